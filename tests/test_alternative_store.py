"""The sandbox's alternative correct store (SANDBOX_STORE=alternative): each documented choice it makes, read from
what Flexiti's simulator received and what the store answers, without a browser."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from harness.journal import Journal
from harness.settings import SettingsError, load_settings
from sandbox.servers import Sandbox
from sandbox.store.app import Order, Store
from sandbox.store.catalogue import lines_of, totals_of
from sandbox.store.choices import ALTERNATIVE, REFERENCE
from sandbox.store.defects import NOT_ON_ALTERNATIVE, StoreDefect
from sandbox.store.flexiti_client import FlexitiConfig

SHOPPER = {"first_name": "Ada", "last_name": "Lovelace", "dob": "1985-04-12", "postal_code": "M5V2T6",
           "email": "ada.lovelace@example.test", "phone_number": "4165550101"}
ACCOUNT = "40000000000011"


@pytest.fixture(scope="module")
def running() -> Iterator[Sandbox]:
    with Sandbox(store="alternative") as sandbox:
        yield sandbox


@pytest.fixture
def sandbox(running: Sandbox) -> Sandbox:
    running.reset()
    return running


@pytest.fixture
def shopper(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A shopper with a desk lamp in the basket; French first in the browser, which this store ignores."""
    with httpx.Client(base_url=sandbox.urls.store, headers={"accept-language": "fr-CA,fr;q=0.9"}) as client:
        visit = client.get("/")  # as a browser does: the session cookie comes first, then the basket
        # By hand: http.cookiejar keeps a cookie of the dotless host "localhost" but never sends it back.
        client.headers["cookie"] = f"store_session={visit.cookies['store_session']}"
        client.post("/basket/add", data={"sku": "LAMP-03"})
        yield client


def journal(sandbox: Sandbox) -> Journal:
    return Journal(f"{sandbox.urls.flexiti}/__sandbox/journal")


def check_out(client: httpx.Client, **extra: str) -> httpx.Response:
    return client.post("/basket/details", data={**SHOPPER, **extra})


def test_purchase_widget_init_sends_every_identifier_the_shopper_gave_in_english(
    sandbox: Sandbox, shopper: httpx.Client,
) -> None:
    check_out(shopper, account_number=ACCOUNT, vcc_number="5000 0000 0000 0011")

    [init] = journal(sandbox).to("widget/init")
    identification = init.body["customer_identification"]
    assert identification["account_number"] == int(ACCOUNT)
    assert identification["vcc_number"] == "5000000000000011"
    assert identification["personal_information"]["last_name"] == "Lovelace"
    assert init.body["lang"] == "en"


def test_each_widget_opening_takes_a_new_client_credentials_grant(sandbox: Sandbox, shopper: httpx.Client) -> None:
    first = check_out(shopper)
    second = check_out(shopper)

    assert first.status_code == second.status_code == 303
    grants = [call.body["grant_type"] for call in journal(sandbox).to("oauth/token")]
    assert grants == ["client_credentials", "client_credentials"]


def test_one_x_reference_id_per_flow_and_a_new_one_for_the_next(sandbox: Sandbox, shopper: httpx.Client) -> None:
    check_out(shopper)
    check_out(shopper)

    calls = journal(sandbox).calls()
    token_1, init_1, token_2, init_2 = (call.reference_id for call in calls)
    assert token_1 == init_1 and token_2 == init_2
    assert token_1 != token_2


def test_cancel_goes_back_to_the_details_with_the_basket_and_no_notice(sandbox: Sandbox, shopper: httpx.Client) -> None:
    paying = check_out(shopper).headers["location"]

    answer = shopper.post(f"{paying}/outcome", json={"eventType": "flx-cancel"}).json()
    details = shopper.get(answer["next"])

    assert answer == {"next": "/basket/details"}
    assert 'id="flash"' not in details.text
    assert "Basket: 1 item<" in details.text and "Total $92.79" in details.text


def test_activation_tells_the_customer_to_activate_at_the_portal_and_opens_nothing(
    sandbox: Sandbox, shopper: httpx.Client,
) -> None:
    paying = check_out(shopper).headers["location"]
    [order] = sandbox.store.state.orders.values()
    success = {"eventType": "flx-success", "eventData": {
        "accountNumber": None, "verified": False, "action": "activation",
        "widget_session_id": order.flow.widget_session_id}}

    answer = shopper.post(f"{paying}/outcome", json=success).json()
    page = shopper.get(answer["next"])

    portal = sandbox.store.config.customer_portal_url
    assert "open" not in answer
    assert "Activate your account at" in page.text and f'<a href="{portal}"' in page.text


def test_authorization_body_has_no_reference_and_no_sku_data() -> None:
    lines = lines_of({"LAMP-03": 2})
    order = Order("ORD-TEST0001", "session", lines, totals_of(lines), SHOPPER)
    config = FlexitiConfig("http://127.0.0.1:9/flexiti/pos-api", "client", "secret", "http://127.0.0.1:9")

    alternative = Store(config, "", choices=ALTERNATIVE)._authorization_body(order, int(ACCOUNT))
    reference = Store(config, "", choices=REFERENCE)._authorization_body(order, int(ACCOUNT))

    assert "reference" not in alternative and "sku_data" not in alternative
    assert Decimal(str(alternative["amount"])) == totals_of(lines).total
    assert reference["reference"] == "ORD-TEST0001" and "sku_data" in reference


def test_sandbox_store_setting_is_checked_and_names_itself() -> None:
    assert load_settings("sandbox", root=Path("/nonexistent"), environ={}).sandbox_store == "reference"
    assert load_settings("sandbox", root=Path("/nonexistent"),
                         environ={"SANDBOX_STORE": "alternative"}).sandbox_store == "alternative"

    with pytest.raises(SettingsError, match="SANDBOX_STORE = 'other' is not one of reference, alternative"):
        load_settings("sandbox", root=Path("/nonexistent"), environ={"SANDBOX_STORE": "other"})


def test_every_defect_but_the_listed_ones_applies_to_the_alternative_store() -> None:
    assert {defect.value for defect in StoreDefect if not defect.on_alternative} == NOT_ON_ALTERNATIVE
    assert {defect.value for defect in StoreDefect} > NOT_ON_ALTERNATIVE

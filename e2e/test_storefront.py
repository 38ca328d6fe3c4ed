"""The storefront contract: checks that run on any merchant's site, whether a selector profile
(STOREFRONT_PROFILE) or page objects drive it, with after-the-fact confirmation from Flexiti's back office."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

import pytest

from fixtures.pages import OpenWidget, opening_widget
from fixtures.sandbox import Target
from harness import checks
from harness.back_office import BackOffice
from harness.customers import Customer
from harness.journal import Journal
from harness.network import RequestLog
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront, WidgetHost
from pages.widget.mfa import MfaStrategy


@dataclass(frozen=True)
class AtTheWidget:
    shopper: Customer
    cart_total: Decimal | None
    host: WidgetHost


@pytest.fixture
def at_the_widget(storefront: Storefront, customers: dict[str, Customer], proof: Proof, widget_events: EventLog,
                  open_widget: OpenWidget) -> Callable[[str], AtTheWidget]:
    """Shop as the customer in `role`: a product in the cart, checkout, Flexiti chosen, the widget open."""

    def _shop(role: str) -> AtTheWidget:
        shopper = customers[role]
        storefront.open_product(storefront.product)
        storefront.add_to_cart()
        storefront.check_out(shopper)
        total = storefront.cart_total()
        with opening_widget(proof, widget_events, "INIT-01"):
            host = storefront.choose_flexiti()
        open_widget(host)
        return AtTheWidget(shopper, total, host)

    return _shop


@pytest.mark.checklist("INIT-03", "AUTH-01")
def test_storefront_opens_the_widget_from_the_widget_origin(
    at_the_widget: Callable[[str], AtTheWidget], browser_requests: RequestLog, target: Target, proof: Proof,
) -> None:
    """Non-destructive (production-safe): opening the widget authorizes nothing."""
    shopping = at_the_widget("single_account")

    src = shopping.host.widget.frame_element.get_attribute("src") or ""
    with proof.of("INIT-03"):
        assert f"{urlsplit(src).scheme}://{urlsplit(src).netloc}" == target.widget_origin, f"widget iframe src {src}"
    with proof.of("AUTH-01"):
        assert not browser_requests.to("/oauth/token"), "the browser requested /oauth/token"
        assert not browser_requests.contains_secret(target.client_secret), "the client secret reached the browser"


@pytest.mark.destructive
@pytest.mark.checklist("ACC-02", "EVT-02", "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04", "INIT-01")
def test_storefront_purchase_is_paid_and_confirmed_by_flexiti(
    at_the_widget: Callable[[str], AtTheWidget], storefront: Storefront, mfa: MfaStrategy, widget_events: EventLog,
    browser_requests: RequestLog, flexiti_journal: Journal, back_office: BackOffice, target: Target, proof: Proof,
) -> None:
    shopping = at_the_widget("single_account")

    with proof.of("ACC-02", stop=True):
        with widget_events.awaiting("flx-success"):
            mfa.verify(shopping.host.widget, shopping.shopper)
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["verified"], success.event_data["action"]) == (True, "purchase")
    with proof.of("EVT-02", stop=True):
        outcome = storefront.order_outcome()
        assert outcome.paid, f"the store shows {outcome.text!r} at {outcome.url}, not a paid order"

    with proof.of("EVT-02"):  # as the merchant server sent it (journal or recording proxy)
        checks.authorized_as_reported(flexiti_journal, success, shopping.cart_total or Decimal(0),
                                      outcome.order_reference or "")
    with proof.of("AUTH-01"):
        checks.tokens_only_server_side(flexiti_journal, browser_requests, target.client_secret)
    with proof.of("INIT-01"):
        checks.widget_init_for(flexiti_journal, success.event_data["widget_session_id"])
    with proof.of("AUTH-02"):  # a new shopper session: client_credentials first, refresh_token afterwards
        grants = checks.token_grants(flexiti_journal)
        assert grants[:1] == ["client_credentials"] and set(grants[1:]) <= {"refresh_token"}, (
            f"token grants in this purchase: {grants}")
    with proof.of("AUTH-03"):
        checks.bearer_and_reference_on_every_call(flexiti_journal)
    with proof.of("AUTH-04"):
        session = success.event_data["widget_session_id"]
        checks.same_token_lineage(flexiti_journal, checks.widget_init_call(flexiti_journal, session),
                                  checks.authorization_for(flexiti_journal, session))
    # Last: the back office's own token request would otherwise show up in the journal's grants (in the sandbox,
    # where the journal sees every caller).
    with proof.of("EVT-02"):  # after the fact, with the merchant's credentials: what Flexiti itself recorded
        assert outcome.order_reference, "the storefront shows no order reference to look the authorization up by"
        assert shopping.cart_total is not None, "the storefront does not say where checkout shows the total"
        back_office.confirm(outcome.order_reference, shopping.cart_total)

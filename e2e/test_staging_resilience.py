"""Resilience on any storefront, through the storefront contract (selector profile or page objects) and
`flexiti_faults`: Flexiti made to fail by the simulator in the sandbox, or by the recording proxy on a staging site.
Without either, the items are reported "not observable" with the setting to add."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from fixtures.pages import opening_widget
from harness import checks
from harness.customers import Customer
from harness.faults import Faults
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront, WidgetHost
from pages.widget.mfa import MfaStrategy

pytestmark = pytest.mark.destructive


@dataclass(frozen=True)
class Shopping:
    shopper: Customer
    host: WidgetHost


@pytest.fixture
def shop_to_the_widget(storefront: Storefront, customers: dict[str, Customer], proof: Proof,
                       widget_events: EventLog) -> Callable[..., Shopping]:
    """A product in the cart, checkout, Flexiti chosen and the widget open, as the customer in `role`; a widget
    that does not open fails `item` (CFG-01 if the widget refused the site)."""

    def _shop(role: str, item: str = "INIT-01") -> Shopping:
        shopper = customers[role]
        storefront.open_product(storefront.product)
        storefront.add_to_cart()
        storefront.check_out(shopper)
        with opening_widget(proof, widget_events, item):
            host = storefront.choose_flexiti()
            host.widget.wait_until_open()
        return Shopping(shopper, host)

    return _shop


@pytest.mark.checklist("RES-01")
def test_storefront_authorization_error_is_not_shown_as_paid_and_nothing_is_charged(
    flexiti_faults: Faults, shop_to_the_widget: Callable[..., Shopping], storefront: Storefront, mfa: MfaStrategy,
    widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    flexiti_faults.inject("/authorization", status=500)
    shopping = shop_to_the_widget("single_account")

    with widget_events.awaiting("flx-success"):
        mfa.verify(shopping.host.widget, shopping.shopper)
    with proof.of("RES-01", stop=True):
        outcome = storefront.order_outcome()

    with proof.of("RES-01"):
        assert not outcome.paid, f"the store shows {outcome.text!r} after Flexiti failed the authorization"
        assert len(flexiti_journal.to("/authorization")) <= 1, "the store retried the authorization on its own"
        checks.nothing_charged(flexiti_journal)


@pytest.mark.checklist("RES-03")
def test_storefront_token_expired_before_the_next_widget_is_replaced_by_a_new_one(
    flexiti_faults: Faults, shop_to_the_widget: Callable[..., Shopping], storefront: Storefront, mfa: MfaStrategy,
    widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    """The shopper opened the widget, left it, and comes back to pay after the token expired: Flexiti answers the
    store's refresh with 401 invalid_token, and the store must start again on a new client_credentials token."""
    shop_to_the_widget("single_account")
    flexiti_faults.inject("oauth/token", expire_token=True)

    again = shop_to_the_widget("single_account", item="RES-03")
    with widget_events.awaiting("flx-success"):
        mfa.verify(again.host.widget, again.shopper)
    success = widget_events.of_type("flx-success")[-1]
    with proof.of("RES-03", stop=True):
        outcome = storefront.order_outcome()

    with proof.of("RES-03"):
        assert outcome.paid, f"the store shows {outcome.text!r} at {outcome.url}, not a paid order"
        grants = [(str((c.body or {}).get("grant_type", "client_credentials")), c.status)
                  for c in flexiti_journal.to("oauth/token")]
        assert ("refresh_token", 401) in grants and grants[-1] == ("client_credentials", 200), (
            f"token requests: {grants} (after the expired refresh, a new client_credentials token was expected)")
        session = success.event_data["widget_session_id"]
        approved = checks.authorization_for(flexiti_journal, session)
        assert approved.status == 200, f"/authorization on the new token: {approved.describe()}"
        checks.same_token_lineage(flexiti_journal, checks.widget_init_call(flexiti_journal, session), approved)


@pytest.mark.checklist("TXN-02")
@pytest.mark.parametrize("decline", ["credit_exceeded", "user_not_able_to_purchase"])
def test_storefront_declined_authorization_is_never_shown_as_paid(
    decline: str, flexiti_faults: Faults, shop_to_the_widget: Callable[..., Shopping], storefront: Storefront,
    mfa: MfaStrategy, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    """Flexiti declines the authorization (409, as it documents); whichever test customers an environment has, the
    store must show the decline and never the order as paid."""
    flexiti_faults.inject("/authorization", status=409, error=decline)
    shopping = shop_to_the_widget("single_account")

    with widget_events.awaiting("flx-success"):
        mfa.verify(shopping.host.widget, shopping.shopper)
    with proof.of("TXN-02", stop=True):
        outcome = storefront.order_outcome()

    with proof.of("TXN-02"):
        assert not outcome.paid, f"the store shows {outcome.text!r} after Flexiti declined ({decline})"
        declined = flexiti_journal.to("/authorization")
        assert [c.status for c in declined] == [409], f"authorizations: {flexiti_journal.describe()}"
        checks.nothing_charged(flexiti_journal)

"""Purchase outcomes: declines, cancel, a widget failure, and amounts that match the cart."""

from __future__ import annotations

import pytest

from fixtures.pages import Journey, needs
from harness import checks, verdicts
from harness.journal import Journal
from harness.landing import Capability, Where
from harness.proof import NotObservable, Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive


def _declined_for(journal: Journal, success_session: str, error: str) -> None:
    """The store asked the right way and Flexiti declined: the precondition of TXN-02 (else EVT-02 is broken)."""
    authorization = checks.authorization_for(journal, success_session)
    assert authorization.response.get("error") == error, (
        f"Flexiti answered {authorization.status} {authorization.response.get('error')}, not {error}")


@pytest.mark.checklist("TXN-02", "EVT-02")
def test_credit_exceeded_is_shown_as_declined_and_not_paid(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    shopper = journey.customers["three_accounts"]
    smallest = min(shopper.accounts, key=lambda account: account.available_credit)
    # Everything the store sells, to exceed the smallest account's credit.
    host = journey.to_widget("three_accounts", list(storefront.products))
    total = journey.cart.shown("total")
    if total <= smallest.available_credit:
        raise NotObservable(f"the cart ({total}) does not exceed the smallest account's credit "
                            f"({smallest.available_credit}): list a pricier product in the storefront's products")

    host.widget.verify_by("sms", shopper.mfa_answer("sms"))
    with widget_events.awaiting("flx-success"):
        host.widget.choose_account(smallest.last4)
    with proof.of("TXN-02", stop=True):
        landing = storefront.landing()
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        _declined_for(flexiti_journal, success.event_data["widget_session_id"], "credit_exceeded")

    with proof.of("TXN-02"):
        verdicts.not_paid_and_told(landing)
    with proof.of("TXN-02"):
        verdicts.cart_kept(journey.cart, storefront.cart())


@pytest.mark.checklist("TXN-02", "EVT-02")
def test_customer_not_able_to_purchase_is_shown_as_declined_and_not_paid(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("purchase_blocked")

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    with proof.of("TXN-02", stop=True):
        landing = storefront.landing()
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        _declined_for(flexiti_journal, success.event_data["widget_session_id"], "user_not_able_to_purchase")

    with proof.of("TXN-02"):
        verdicts.not_paid_and_told(landing)


@pytest.mark.checklist("EVT-04")
def test_cancel_returns_to_checkout_with_the_cart_intact(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("single_account", journey.products(2))

    with widget_events.awaiting("flx-cancel"):
        host.widget.cancel()
    with proof.of("EVT-04", stop=True):
        landing = storefront.landing()

    with proof.of("EVT-04"):
        verdicts.back_at(landing)
        assert [e.event_type for e in widget_events.from_widget()] == ["flx-cancel"]
        checks.no_authorization(flexiti_journal)
    with proof.advisory("EVT-04"):  # good practice: the events page asks only that the cancellation be handled
        assert landing.shown("notice"), (
            f"the store says nothing after the shopper cancelled ({landing.describe()}); a short note that the payment "
            "was cancelled and the cart kept helps the shopper")
    with proof.of("EVT-04"):
        verdicts.cart_kept(journey.cart, storefront.cart())


@pytest.mark.checklist("EVT-05")
def test_widget_failure_shows_an_error_with_the_cart_intact(
    flexiti_sandbox: Sandbox, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    flexiti_sandbox.inject_fault("/verify", status=500)
    host = journey.to_widget("single_account")

    with widget_events.awaiting("flx-failure"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    with proof.of("EVT-05", stop=True):
        landing = storefront.landing()

    with proof.of("EVT-05"):
        verdicts.back_with_notice(landing)
        [failure] = widget_events.of_type("flx-failure")
        assert failure.event_data["error"] == 500
        checks.no_authorization(flexiti_journal)
    with proof.of("EVT-05"):
        verdicts.cart_kept(journey.cart, storefront.cart())


@pytest.mark.checklist("TXN-01", "EVT-02")
def test_amount_and_sku_data_match_the_cart(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    first, second = (journey.products(2) * 2)[:2]
    cart = journey.to_checkout("single_account", [first, first, second])
    host = journey.to_widget()

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    with proof.of("EVT-02"):
        assert landing.where is Where.ORDER and landing.shown("paid") is True, landing.describe()
        checks.authorized_as_reported(flexiti_journal, success, cart.shown("total"),
                                      lambda: landing.shown("order_reference"))
    with proof.of("TXN-01"):
        authorization = checks.authorization_for(flexiti_journal, success.event_data["widget_session_id"])
        checks.authorization_fields_complete(authorization)
        checks.amount_is_cart_total(authorization, cart.shown("total"))
    with proof.of("TXN-01"):  # optional; compared with the cart where the store sends it
        sku = verdicts.sku_data_of(authorization.body)
        needs(storefront, Capability.CART_LINES)
        verdicts.amounts_match(cart, sku)

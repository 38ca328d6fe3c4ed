"""Purchase outcomes: declines, cancel, a widget failure, and amounts that match the cart."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from fixtures.pages import PayFrom, PayWithFlexitiAs, ToCheckout
from harness import checks
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive


def _declined_for(journal: Journal, success_session: str, error: str) -> None:
    """The store asked the right way and Flexiti declined: the precondition of TXN-02 (else EVT-02 is broken)."""
    authorization = checks.authorization_for(journal, success_session)
    assert authorization.response.get("error") == error, (
        f"Flexiti answered {authorization.status} {authorization.response.get('error')}, not {error}")


@pytest.mark.checklist("TXN-02", "EVT-02")
def test_credit_exceeded_is_shown_as_declined_and_not_paid(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("three_accounts", "Maple standing desk")
    smallest = min(started.shopper.accounts, key=lambda account: account.available_credit)
    assert smallest.available_credit < started.cart_total, "scenario needs an account with too little credit"

    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    with widget_events.awaiting("flx-success"):
        started.payment.widget.choose_account(smallest.last4)
    with proof.of("TXN-02", stop=True):
        order = started.payment.order_outcome()
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        _declined_for(flexiti_journal, success.event_data["widget_session_id"], "credit_exceeded")

    with proof.of("TXN-02"):
        expect(order.status).to_have_text("Payment declined")
        expect(order.message).to_contain_text("more than the credit available")
        expect(order.cart_link).to_have_text("Cart (1)")


@pytest.mark.checklist("TXN-02", "EVT-02")
def test_customer_not_able_to_purchase_is_shown_as_declined_and_not_paid(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("purchase_blocked")

    with widget_events.awaiting("flx-success"):
        started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    with proof.of("TXN-02", stop=True):
        order = started.payment.order_outcome()
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        _declined_for(flexiti_journal, success.event_data["widget_session_id"], "user_not_able_to_purchase")

    with proof.of("TXN-02"):
        expect(order.status).to_have_text("Payment declined")
        expect(order.message).to_contain_text("cannot be used for purchases")


@pytest.mark.checklist("EVT-04")
def test_cancel_returns_to_checkout_with_the_cart_intact(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account", "Desk lamp", "Ergonomic chair")

    with widget_events.awaiting("flx-cancel"):
        started.payment.widget.cancel()
    with proof.of("EVT-04", stop=True):
        checkout = started.payment.back_at_checkout()

    with proof.of("EVT-04"):
        expect(checkout.notice).to_contain_text("cancelled")
        expect(checkout.cart_link).to_have_text("Cart (2)")
        assert checkout.totals.total_amount() == started.cart_total
        assert [e.event_type for e in widget_events.from_widget()] == ["flx-cancel"]
        checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("EVT-05")
def test_widget_failure_shows_an_error_with_the_cart_intact(
    flexiti_sandbox: Sandbox, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    flexiti_sandbox.inject_fault("/verify", status=500)
    started = pay_with_flexiti_as("single_account")

    with widget_events.awaiting("flx-failure"):
        started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    with proof.of("EVT-05", stop=True):
        checkout = started.payment.back_at_checkout()

    with proof.of("EVT-05"):
        expect(checkout.notice).to_contain_text("could not complete the payment")
        expect(checkout.cart_link).to_have_text("Cart (1)")
        [failure] = widget_events.of_type("flx-failure")
        assert failure.event_data["error"] == 500
        checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("TXN-01", "EVT-02")
def test_amount_and_sku_data_match_the_cart(
    to_checkout: ToCheckout, pay_from: PayFrom, widget_events: EventLog, flexiti_journal: Journal,
    proof: Proof,
) -> None:
    shopper, checkout = to_checkout("single_account", "Desk lamp", "Desk lamp", "Ergonomic chair")
    shown = checkout.totals.amounts()
    lines = checkout.totals.lines()
    payment = pay_from(checkout)

    with widget_events.awaiting("flx-success"):
        payment.widget.verify_by("sms", shopper.mfa_answer("sms"))
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        order = payment.order_outcome()

    with proof.of("EVT-02"):
        expect(order.status).to_have_text("Paid with Flexiti")
        checks.authorized_as_reported(flexiti_journal, success, shown["total"], order.order_id)
    with proof.of("TXN-01"):
        authorization = checks.authorization_for(flexiti_journal, success.event_data["widget_session_id"])
        checks.authorization_fields_complete(authorization)
        sku = authorization.body["sku_data"]
        assert Decimal(str(sku["transaction_subtotal"])) == shown["subtotal"]
        assert Decimal(str(sku["gst_hst"])) + Decimal(str(sku.get("pst", 0))) == shown["hst"]
        assert Decimal(str(sku["shipping_total"])) == shown["shipping"]
        assert Decimal(str(sku["transaction_total"])) == shown["total"], "sku_data total is not the cart total"
        sent = sorted((p["description"], p["quantity"], Decimal(str(p["extended_price"]))) for p in sku["products"])
        assert sent == sorted(lines), f"sku_data products {sent} differ from the cart {lines}"

"""Resilience: Flexiti errors and timeouts at init and authorization, double clicks and reloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.pages import OpenWidget, PayFrom, PayWithFlexitiAs, ToCheckout
from harness import checks
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.merchant.store import OrderPage
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive
FAULTS = {
    "500": {"status": 500, "error": "general_error"},
    "timeout": {"timeout": True},
    "409": {"status": 409, "error": "general_error"},
}


def _charged_once_and_shown(journal: Journal, order: OrderPage) -> None:
    """RES-02: exactly one /authorization for the purchase, and if Flexiti approved it the order shows as paid.
    (Whether Flexiti approves is another item's business: a store that authorizes on the wrong token fails EVT-02.)"""
    authorizations = journal.to("/authorization")
    assert len(authorizations) == 1, f"{len(authorizations)} authorizations for one purchase: {journal.describe()}"
    if authorizations[0].status == 200:
        expect(order.status).to_have_text("Paid with Flexiti")


@pytest.mark.checklist("INIT-04", "RES-01")
@pytest.mark.parametrize("fault", ["500", "timeout", "409"])
def test_flexiti_error_at_widget_init_is_shown_with_the_cart_intact(
    fault: str, flexiti_sandbox: Sandbox, to_checkout: ToCheckout, flexiti_journal: Journal, proof: Proof,
) -> None:
    flexiti_sandbox.inject_fault("widget/init", **FAULTS[fault])
    _, checkout = to_checkout("single_account", "Desk lamp", "Ergonomic chair")

    with proof.of("INIT-04", stop=True):
        checkout.try_pay_with_flexiti()

    with proof.of("INIT-04"):
        expect(checkout.error).to_contain_text("unavailable")
        expect(checkout.cart_link).to_have_text("Cart (2)")
    with proof.of("RES-01"):
        checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("RES-01")
@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_flexiti_error_at_authorization_is_shown_and_nothing_is_charged(
    fault: str, flexiti_sandbox: Sandbox, pay_with_flexiti_as: PayWithFlexitiAs, flexiti_journal: Journal,
    proof: Proof,
) -> None:
    flexiti_sandbox.inject_fault("/authorization", **FAULTS[fault])
    started = pay_with_flexiti_as("single_account")

    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    with proof.of("RES-01", stop=True):
        order = started.payment.order_outcome()

    with proof.of("RES-01"):
        expect(order.status).to_have_text("Not paid: Flexiti error")
        expect(order.message).to_contain_text("not been charged")
        expect(order.cart_link).to_have_text("Cart (1)")
        assert len(flexiti_journal.to("/authorization")) <= 1, "the store retried the authorization on its own"
        checks.nothing_charged(flexiti_journal)


@pytest.mark.checklist("RES-02")
def test_double_click_on_pay_and_verify_authorizes_once(
    to_checkout: ToCheckout, pay_from: PayFrom, flexiti_journal: Journal, proof: Proof,
) -> None:
    shopper, checkout = to_checkout("single_account")
    payment = pay_from(checkout, twice=True)

    payment.widget.mfa_choice().choose("sms").submit_twice_quickly(shopper.mfa_answer("sms"))
    with proof.of("RES-02", stop=True):
        order = payment.order_outcome()

    with proof.of("RES-02"):
        _charged_once_and_shown(flexiti_journal, order)


@pytest.mark.checklist("RES-02")
def test_reload_during_the_widget_authorizes_once(
    pay_with_flexiti_as: PayWithFlexitiAs, open_widget: OpenWidget, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account")
    started.payment.widget.mfa_choice().choose("sms")

    payment = started.payment.reload()
    open_widget(payment)
    payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    with proof.of("RES-02", stop=True):
        order = payment.order_outcome()
        order.page.reload()

    with proof.of("RES-02"):
        _charged_once_and_shown(flexiti_journal, order)


@pytest.mark.checklist("RES-02")
def test_widget_outcome_delivered_twice_authorizes_once(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    """The deterministic form of the double-click: the widget's success reaches the page twice in one task."""
    started = pay_with_flexiti_as("single_account")
    widget_events.repeat_outcomes(started.payment.page)

    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    with proof.of("RES-02", stop=True):
        order = started.payment.order_outcome()

    with proof.of("RES-02"):
        _charged_once_and_shown(flexiti_journal, order)

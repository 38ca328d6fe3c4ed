"""Resilience: Flexiti errors and timeouts at init and authorization, double clicks and reloads."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.pages import PayWithFlexitiAs, ToCheckout
from harness import checks
from harness.journal import Journal
from harness.widget_events import EventLog
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive
FAULTS = {
    "500": {"status": 500, "error": "general_error"},
    "timeout": {"timeout": True},
    "409": {"status": 409, "error": "general_error"},
}


@pytest.mark.checklist("INIT-04", "RES-01")
@pytest.mark.parametrize("fault", ["500", "timeout", "409"])
def test_flexiti_error_at_widget_init_is_shown_with_the_cart_intact(
    fault: str, flexiti_sandbox: Sandbox, to_checkout: ToCheckout, flexiti_journal: Journal,
) -> None:
    flexiti_sandbox.inject_fault("widget/init", **FAULTS[fault])
    _, checkout = to_checkout("single_account", "Desk lamp", "Ergonomic chair")

    checkout.try_pay_with_flexiti()

    expect(checkout.error).to_contain_text("unavailable")
    expect(checkout.cart_link).to_have_text("Cart (2)")
    checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("RES-01")
@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_flexiti_error_at_authorization_is_shown_and_nothing_is_charged(
    fault: str, flexiti_sandbox: Sandbox, pay_with_flexiti_as: PayWithFlexitiAs, flexiti_journal: Journal,
) -> None:
    flexiti_sandbox.inject_fault("/authorization", **FAULTS[fault])
    started = pay_with_flexiti_as("single_account")

    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    order = started.payment.order_outcome()

    expect(order.status).to_have_text("Not paid: Flexiti error")
    expect(order.message).to_contain_text("not been charged")
    expect(order.cart_link).to_have_text("Cart (1)")
    assert len(flexiti_journal.to("/authorization")) <= 1, "the store retried the authorization on its own"
    checks.nothing_charged(flexiti_journal)


@pytest.mark.checklist("RES-02")
def test_double_click_on_pay_authorizes_once(
    to_checkout: ToCheckout, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    shopper, checkout = to_checkout("single_account")
    cart_total = checkout.totals.total_amount()

    payment = checkout.pay_with_flexiti_twice_quickly()
    payment.widget.mfa_choice().choose("sms").submit_twice_quickly(shopper.mfa_answer("sms"))
    order = payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    authorizations = flexiti_journal.to("/authorization")
    assert len(authorizations) == 1, flexiti_journal.describe()
    assert authorizations[0].status == 200
    assert authorizations[0].body["amount"] == float(cart_total)


@pytest.mark.checklist("RES-02")
def test_reload_during_the_widget_authorizes_once(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    started = pay_with_flexiti_as("single_account")
    started.payment.widget.mfa_choice().choose("sms")

    payment = started.payment.reload()
    payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    order = payment.order_outcome()
    order.page.reload()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    checks.authorized_once(flexiti_journal, success, started.cart_total, order.order_id)

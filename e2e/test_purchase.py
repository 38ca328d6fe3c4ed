"""Purchase flow: a verified customer pays with Flexiti and the order is authorized for the cart."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.sandbox import Target
from harness import checks
from harness.customers import Customer
from harness.journal import Journal
from harness.network import RequestLog
from harness.widget_events import EventLog
from pages.merchant.store import CataloguePage

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("ACC-02", "EVT-02", "AUTH-01", "AUTH-03", "INIT-01")
def test_single_account_customer_completes_purchase(
    store: CataloguePage,
    customers: dict[str, Customer],
    widget_events: EventLog,
    browser_requests: RequestLog,
    flexiti_journal: Journal,
    target: Target,
) -> None:
    shopper = customers["single_account"]
    checkout = store.open().add_to_cart("Desk lamp").checkout(shopper)
    cart_total = checkout.totals.total_amount()
    payment = checkout.pay_with_flexiti()

    payment.widget.verify_by("sms", shopper.mfa_answer("sms"))
    order = payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is True
    assert success.event_data["action"] == "purchase"
    assert success.event_data["accountNumber"] == shopper.accounts[0].account_number
    assert success.event_data["mfaOptionSelected"] == "sms"
    checks.tokens_only_server_side(flexiti_journal, browser_requests, target.client_secret)
    assert len(flexiti_journal.to("oauth/token")) == 1, flexiti_journal.describe()
    checks.authorized_once(flexiti_journal, success, cart_total, order.order_id)
    checks.bearer_and_reference_on_every_call(flexiti_journal)


@pytest.mark.checklist("ACC-01", "EVT-02", "AUTH-01", "AUTH-03", "INIT-01")
def test_three_account_customer_pays_with_the_chosen_account(
    store: CataloguePage,
    customers: dict[str, Customer],
    widget_events: EventLog,
    browser_requests: RequestLog,
    flexiti_journal: Journal,
    target: Target,
) -> None:
    shopper = customers["three_accounts"]
    chosen = shopper.accounts[1]
    checkout = store.open().add_to_cart("Maple standing desk").checkout(shopper)
    cart_total = checkout.totals.total_amount()
    payment = checkout.pay_with_flexiti()

    payment.widget.verify_by("email", shopper.mfa_answer("email"))
    payment.widget.choose_account(chosen.last4)
    order = payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is True
    assert success.event_data["action"] == "purchase"
    assert success.event_data["accountNumber"] == chosen.account_number
    checks.tokens_only_server_side(flexiti_journal, browser_requests, target.client_secret)
    assert len(flexiti_journal.to("oauth/token")) == 1, flexiti_journal.describe()
    authorization = checks.authorized_once(flexiti_journal, success, cart_total, order.order_id)
    assert authorization.body["account_number"] == chosen.account_number
    checks.bearer_and_reference_on_every_call(flexiti_journal)

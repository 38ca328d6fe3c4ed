"""Purchase flow: a verified customer pays with Flexiti and the order is authorized for the cart."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from fixtures.pages import PayWithFlexitiAs
from fixtures.sandbox import Target
from harness import checks
from harness.journal import Journal
from harness.network import RequestLog
from harness.widget_events import EventLog


@pytest.mark.destructive
@pytest.mark.checklist("ACC-02", "EVT-02", "AUTH-01", "AUTH-03", "INIT-01")
def test_single_account_customer_completes_purchase(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, browser_requests: RequestLog,
    flexiti_journal: Journal, target: Target,
) -> None:
    started = pay_with_flexiti_as("single_account", "Desk lamp")

    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    order = started.payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is True
    assert success.event_data["action"] == "purchase"
    assert success.event_data["accountNumber"] == started.shopper.accounts[0].account_number
    checks.tokens_only_server_side(flexiti_journal, browser_requests, target.client_secret)
    assert checks.token_grants(flexiti_journal) == ["client_credentials"], flexiti_journal.describe()
    checks.authorized_once(flexiti_journal, success, started.cart_total, order.order_id)
    checks.bearer_and_reference_on_every_call(flexiti_journal)


@pytest.mark.destructive
@pytest.mark.checklist("ACC-01", "EVT-02", "AUTH-01", "AUTH-03", "INIT-01")
def test_three_account_customer_pays_with_the_chosen_account(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, browser_requests: RequestLog,
    flexiti_journal: Journal, target: Target,
) -> None:
    started = pay_with_flexiti_as("three_accounts", "Maple standing desk")
    chosen = started.shopper.accounts[1]

    started.payment.widget.verify_by("email", started.shopper.mfa_answer("email"))
    started.payment.widget.choose_account(chosen.last4)
    order = started.payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is True
    assert success.event_data["accountNumber"] == chosen.account_number
    checks.tokens_only_server_side(flexiti_journal, browser_requests, target.client_secret)
    authorization = checks.authorized_once(flexiti_journal, success, started.cart_total, order.order_id)
    assert authorization.body["account_number"] == chosen.account_number
    checks.bearer_and_reference_on_every_call(flexiti_journal)


@pytest.mark.checklist("INIT-03", "AUTH-01")
def test_widget_is_rendered_from_the_widget_origin(
    pay_with_flexiti_as: PayWithFlexitiAs, browser_requests: RequestLog, target: Target,
) -> None:
    started = pay_with_flexiti_as("single_account")

    widget = started.payment.widget
    widget.mfa_choice()

    src = widget.frame_element.get_attribute("src") or ""
    assert f"{urlsplit(src).scheme}://{urlsplit(src).netloc}" == target.widget_origin, f"widget iframe src {src}"
    assert "/#/widget/" in src, f"the iframe does not render a widget redirection_url: {src}"
    assert not browser_requests.to("/oauth/token"), "the browser requested /oauth/token"
    assert not browser_requests.contains_secret(target.client_secret), "the client secret reached the browser"

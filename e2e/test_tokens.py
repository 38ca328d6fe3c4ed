"""Token lifecycle: client_credentials first, refresh afterwards, refreshed before expiry, one token per flow."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.pages import PayWithFlexitiAs
from harness import checks
from harness.journal import Journal
from harness.widget_events import EventLog
from sandbox.servers import Sandbox
from sandbox.store.flexiti_client import EXPIRATION_THRESHOLD

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("AUTH-02", "AUTH-04")
def test_second_widget_opening_refreshes_the_token(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    started = pay_with_flexiti_as("single_account")
    started.payment.widget.mfa_choice()
    started.payment.widget.cancel()
    checkout = started.payment.back_at_checkout()

    payment = checkout.enter_details(started.shopper).pay_with_flexiti()
    payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    order = payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    assert checks.token_grants(flexiti_journal) == ["client_credentials", "refresh_token"], flexiti_journal.describe()
    first_init, second_init = flexiti_journal.to("widget/init")
    assert first_init.token != second_init.token, "the second widget opened on the old token, not a refreshed one"
    [success] = widget_events.of_type("flx-success")
    authorization = flexiti_journal.to("/authorization")[0]
    assert authorization.token == second_init.token, "/authorization did not use the token that opened the widget"
    assert authorization.body["widget_session_id"] == success.event_data["widget_session_id"]


@pytest.mark.checklist("RES-03", "AUTH-04")
def test_token_expiring_during_the_widget_is_refreshed_before_authorization(
    flexiti_sandbox: Sandbox, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog,
    flexiti_journal: Journal,
) -> None:
    lifetime = 120
    flexiti_sandbox.set_token_lifetime(lifetime)
    started = pay_with_flexiti_as("single_account")
    started.payment.widget.mfa_choice()

    # The shopper lingers in the widget until the token is inside the refresh threshold (but not expired).
    flexiti_sandbox.advance_clock(lifetime - EXPIRATION_THRESHOLD + 10)
    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    order = started.payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    assert checks.token_grants(flexiti_journal) == ["client_credentials", "refresh_token"], flexiti_journal.describe()
    [success] = widget_events.of_type("flx-success")
    authorization = checks.authorized_once(flexiti_journal, success, started.cart_total, order.order_id)
    [init] = flexiti_journal.to("widget/init")
    assert authorization.token != init.token, "/authorization went out on the token that was about to expire"

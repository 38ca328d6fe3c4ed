"""Customer verification: every MFA option, a wrong code, and too many wrong codes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.pages import PayWithFlexitiAs
from harness import checks
from harness.journal import Journal
from harness.widget_events import EventLog
from sandbox.flexiti.state import MAX_MFA_ATTEMPTS

pytestmark = pytest.mark.destructive
WRONG_CODE = "000000"


@pytest.mark.checklist("VER-01")
@pytest.mark.parametrize("option", ["sms", "email", "security_question"])
def test_each_mfa_option_completes_verification(
    option: str, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    started = pay_with_flexiti_as("single_account")

    started.payment.widget.verify_by(option, started.shopper.mfa_answer(option))
    order = started.payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["mfaOptionSelected"] == option
    assert success.event_data["verified"] is True
    checks.authorized_once(flexiti_journal, success, started.cart_total, order.order_id)


@pytest.mark.checklist("VER-01")
def test_wrong_code_shows_error_and_allows_retry(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog,
) -> None:
    started = pay_with_flexiti_as("single_account")
    code_entry = started.payment.widget.mfa_choice().choose("sms")

    code_entry.submit(WRONG_CODE)
    expect(code_entry.error).to_contain_text("not correct")
    code_entry.submit(started.shopper.mfa_answer("sms"))
    order = started.payment.order_outcome()

    expect(order.status).to_have_text("Paid with Flexiti")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is True


@pytest.mark.checklist("VER-01", "EVT-03")
def test_too_many_wrong_codes_take_the_unverified_path(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    started = pay_with_flexiti_as("single_account")
    code_entry = started.payment.widget.mfa_choice().choose("sms")

    for left in range(MAX_MFA_ATTEMPTS - 1, 0, -1):
        code_entry.submit(WRONG_CODE)
        expect(code_entry.error).to_contain_text(f"{left} attempt(s) left")
    code_entry.submit(WRONG_CODE)
    checkout = started.payment.back_at_checkout()

    expect(checkout.notice).to_contain_text("could not verify")
    expect(checkout.cart_link).to_have_text("Cart (1)")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is False
    assert success.event_data["action"] == "purchase"
    assert isinstance(success.event_data["accountNumber"], int)
    checks.no_authorization(flexiti_journal)

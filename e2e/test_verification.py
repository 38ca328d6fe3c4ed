"""Customer verification: every MFA option, a wrong code, and too many wrong codes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.pages import PayWithFlexitiAs
from harness import checks
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from sandbox.flexiti.state import MAX_MFA_ATTEMPTS

pytestmark = pytest.mark.destructive
WRONG_CODE = "000000"


@pytest.mark.checklist("VER-01")
@pytest.mark.parametrize("option", ["sms", "email", "security_question"])
def test_each_mfa_option_completes_verification(
    option: str, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account")

    with proof.of("VER-01", stop=True):
        with widget_events.awaiting("flx-success"):
            started.payment.widget.verify_by(option, started.shopper.mfa_answer(option))
        [success] = widget_events.of_type("flx-success")

    with proof.of("VER-01"):
        assert success.event_data["mfaOptionSelected"] == option
        assert success.event_data["verified"] is True


@pytest.mark.checklist("VER-01")
def test_wrong_code_shows_error_and_allows_retry(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account")
    code_entry = started.payment.widget.mfa_choice().choose("sms")

    with proof.of("VER-01", stop=True):
        code_entry.submit(WRONG_CODE)
        expect(code_entry.error).to_contain_text("not correct")
        with widget_events.awaiting("flx-success"):
            code_entry.submit(started.shopper.mfa_answer("sms"))
        [success] = widget_events.of_type("flx-success")

    with proof.of("VER-01"):
        assert success.event_data["verified"] is True


@pytest.mark.checklist("VER-01", "EVT-03")
def test_too_many_wrong_codes_take_the_unverified_path(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account")
    code_entry = started.payment.widget.mfa_choice().choose("sms")

    with proof.of("VER-01", stop=True):
        for left in range(MAX_MFA_ATTEMPTS - 1, 0, -1):
            code_entry.submit(WRONG_CODE)
            expect(code_entry.error).to_contain_text(f"{left} attempt(s) left")
        with widget_events.awaiting("flx-success"):
            code_entry.submit(WRONG_CODE)
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["verified"], success.event_data["action"]) == (False, "purchase")
        assert isinstance(success.event_data["accountNumber"], int)
    with proof.of("EVT-03", stop=True):
        checkout = started.payment.back_at_checkout()

    with proof.of("EVT-03"):
        expect(checkout.notice).to_contain_text("could not verify")
        expect(checkout.notice).to_contain_text("another payment method")  # the shopper is offered a way on
        expect(checkout.cart_link).to_have_text("Cart (1)")
        checks.no_authorization(flexiti_journal)

"""Customer verification: every MFA option, a wrong code, and too many wrong codes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront
from sandbox.flexiti.state import MAX_MFA_ATTEMPTS

pytestmark = pytest.mark.destructive
WRONG_CODE = "000000"


@pytest.mark.checklist("VER-01")
@pytest.mark.parametrize("option", ["sms", "email", "security_question"])
def test_each_mfa_option_completes_verification(
    option: str, journey: Journey, widget_events: EventLog, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")

    with proof.of("VER-01", stop=True):
        with widget_events.awaiting("flx-success"):
            host.widget.verify_by(option, journey.customer.mfa_answer(option))
        [success] = widget_events.of_type("flx-success")

    with proof.of("VER-01"):
        assert success.event_data["mfaOptionSelected"] == option
        assert success.event_data["verified"] is True


@pytest.mark.checklist("VER-01")
def test_wrong_code_shows_error_and_allows_retry(
    journey: Journey, widget_events: EventLog, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    code_entry = host.widget.mfa_choice().choose("sms")

    with proof.of("VER-01", stop=True):
        code_entry.submit(WRONG_CODE)
        expect(code_entry.error).to_contain_text("not correct")
        with widget_events.awaiting("flx-success"):
            code_entry.submit(journey.customer.mfa_answer("sms"))
        [success] = widget_events.of_type("flx-success")

    with proof.of("VER-01"):
        assert success.event_data["verified"] is True


@pytest.mark.checklist("VER-01", "EVT-03")
def test_too_many_wrong_codes_take_the_unverified_path(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    code_entry = host.widget.mfa_choice().choose("sms")

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
        landing = storefront.landing()

    with proof.of("EVT-03"):
        verdicts.back_with_notice(landing)
        checks.no_authorization(flexiti_journal)
    with proof.of("EVT-03"):
        verdicts.cart_kept(journey.cart, storefront.cart())

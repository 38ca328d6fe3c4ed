"""MFA strategies in a real widget: a human typing the one-time PIN (played here by a script in the widget
frame that waits for the code screen), a human who never comes, and the automatic choice of method."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from fixtures.pages import Journey
from harness.customers import Customer
from harness.settings import SettingsError, check_manual_mfa
from harness.widget_events import EventLog
from pages.widget.mfa import MfaStrategy, MfaTimeout
from tests import subprocesses

# The "human": types the PIN and presses Verify on the code screen, as a person at the keyboard would.
HUMAN = """code => {
  const act = () => {
    const input = document.querySelector("input[name=answer]");
    const verify = [...document.querySelectorAll("button")].find((b) => b.textContent === "Verify");
    if (!input || !verify) return false;
    input.value = code;
    verify.click();
    return true;
  };
  if (act()) return;
  const watcher = new MutationObserver(() => { if (act()) watcher.disconnect(); });
  watcher.observe(document.body, { childList: true, subtree: true });
}"""


def test_manual_mfa_waits_until_the_human_has_typed_the_pin(
    journey: Journey, widget_events: EventLog,
) -> None:
    widget = journey.to_widget("single_account").widget
    frame = widget.frame_element.element_handle().content_frame()
    assert frame is not None
    said: list[str] = []

    def human_reads(message: str) -> None:
        """The prompt is what sends the human to the keyboard."""
        said.append(message)
        frame.evaluate(HUMAN, journey.customer.mfa_answer("sms"))

    with widget_events.awaiting("flx-success"):
        MfaStrategy("manual", sandbox=True, manual_timeout=10, announce=human_reads).verify(widget, journey.customer)

    [success] = widget_events.of_type("flx-success")
    assert success.event_data["verified"] is True and success.event_data["mfaOptionSelected"] == "sms"
    assert said and "type the one-time PIN" in said[0] and "sms" in said[0]


def test_manual_mfa_without_a_human_fails_naming_the_option_and_timeout(
    journey: Journey, widget_events: EventLog,
) -> None:
    widget = journey.to_widget("single_account").widget

    with pytest.raises(MfaTimeout, match=r"not entered within 1 s \(--mfa manual; raise MANUAL_MFA_TIMEOUT"):
        MfaStrategy("manual", sandbox=True, manual_timeout=1, announce=lambda _: None).verify(
            widget, journey.customer)

    assert not widget_events.of_type("flx-success")


def test_manual_mfa_asks_for_the_pin_by_the_configured_channel(
    journey: Journey, widget_events: EventLog,
) -> None:
    widget = journey.to_widget("single_account").widget
    frame = widget.frame_element.element_handle().content_frame()
    assert frame is not None

    with widget_events.awaiting("flx-success"):
        MfaStrategy("manual", sandbox=True, manual_timeout=10, channel="email",
                    announce=lambda _: frame.evaluate(HUMAN, journey.customer.mfa_answer("email"))
                    ).verify(widget, journey.customer)

    [success] = widget_events.of_type("flx-success")
    assert success.event_data["mfaOptionSelected"] == "email"


def test_manual_mfa_is_refused_in_a_headless_run_naming_the_options() -> None:
    with pytest.raises(SettingsError) as raised:
        check_manual_mfa("manual", headed=False, workers=False)

    assert "--mfa manual" in str(raised.value) and "--headed" in str(raised.value)
    assert "xdist" not in str(raised.value)  # the workers are not the problem here


def test_manual_mfa_is_refused_in_parallel_workers_even_when_headed() -> None:
    with pytest.raises(SettingsError, match=r"--mfa manual.*\n.*pytest-xdist workers \(-n\)"):
        check_manual_mfa("manual", headed=True, workers=True)


def test_manual_mfa_headed_in_one_process_and_automatic_mfa_anywhere_are_accepted() -> None:
    check_manual_mfa("manual", headed=True, workers=False)
    check_manual_mfa("auto", headed=False, workers=True)


@pytest.mark.parametrize("extra", [[], ["--headed", "-n", "2"]], ids=["headless", "headed-in-workers"])
def test_manual_mfa_stops_the_run_before_any_browser_starts(tmp_path: Path, extra: list[str]) -> None:
    command = [sys.executable, "-m", "pytest", "--mfa", "manual", *extra, "--collect-only", "-q",
               f"--reports-dir={tmp_path}", f"--junitxml={tmp_path / 'junit.xml'}", "e2e/test_purchase.py"]

    result = subprocesses.run(command, cwd=Path(__file__).resolve().parent.parent, env=None, timeout=120)

    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert "--mfa manual" in result.stderr and ("--headed" if not extra else "-n") in result.stderr, result.stderr


def test_automatic_mfa_uses_the_security_question_outside_the_sandbox(customers: dict[str, Customer]) -> None:
    shopper = customers["single_account"]

    assert MfaStrategy("auto", sandbox=True, manual_timeout=1).option_for(shopper) == "sms"
    assert MfaStrategy("auto", sandbox=False, manual_timeout=1).option_for(shopper) == "security_question"


def test_automatic_mfa_without_a_known_answer_says_what_to_add(customers: dict[str, Customer]) -> None:
    no_answer = dataclasses.replace(customers["single_account"], security_question=None)

    with pytest.raises(AssertionError, match=r"no answer for security_question .* --mfa manual"):
        MfaStrategy("auto", sandbox=False, manual_timeout=1).option_for(no_answer)

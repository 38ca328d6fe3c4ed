"""How a test gets through the widget's verification: known answers, or a human typing the one-time PIN.

Training and MI send a real one-time PIN to the phone or email set in the Developer Portal, so there the
automatic strategy answers the security question from the test-customers file, and `--mfa manual` lets a
person type the PIN in a headed run while the test waits for the widget to move on. The manual strategy chooses
FLEXITI_MFA_CHANNEL (sms or email) on the widget; `harness.settings.check_manual_mfa` refuses it, before any
browser starts, in a headless or parallel (-n) run, where nobody could type.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.customers import Customer, CustomersFileError
from pages.widget import locators
from pages.widget.screens import FlexitiWidget

SANDBOX_OPTIONS = ("sms", "email", "security_question")  # the sandbox knows every code
REAL_OPTIONS = ("security_question",)  # elsewhere only the answer can be known in advance


class MfaTimeout(AssertionError):
    """Manual MFA: nobody completed verification in time."""


@dataclass(frozen=True)
class MfaStrategy:
    mode: str  # auto | manual
    sandbox: bool
    manual_timeout: float  # seconds
    announce: Callable[[str], None] = print
    channel: str = "sms"  # manual: where Flexiti sends the PIN (FLEXITI_MFA_CHANNEL)

    def option_for(self, shopper: Customer) -> str:
        """The verification method the automatic strategy can answer for this shopper."""
        candidates = SANDBOX_OPTIONS if self.sandbox else REAL_OPTIONS
        for option in candidates:
            try:
                shopper.mfa_answer(option)
            except CustomersFileError:
                continue
            return option
        raise AssertionError(
            f"test customer {shopper.role!r} has no answer for {' or '.join(candidates)} in the test-customers "
            "file; add its security_question answer, or run headed with --mfa manual and type the PIN")

    def verify(self, widget: FlexitiWidget, shopper: Customer, option: str | None = None) -> None:
        """Pass verification: `option` with its known answer, or (manual) a human typing the one-time PIN."""
        if self.mode == "manual":
            self.wait_for_human(widget, option or self.channel)
            return
        chosen = option or self.option_for(shopper)
        widget.verify_by(chosen, shopper.mfa_answer(chosen))

    def wait_for_human(self, widget: FlexitiWidget, option: str) -> None:
        """Choose the method, then wait (state, not time) until the code screen is gone: the human typed it."""
        widget.mfa_choice().choose(option)
        self.announce(f"MFA: type the one-time PIN Flexiti sent by {option} into the widget "
                      f"(waiting up to {self.manual_timeout:.0f} s)")
        try:
            locators.code_heading(widget.root).wait_for(state="hidden", timeout=self.manual_timeout * 1000)
        except PlaywrightTimeout:
            raise MfaTimeout(f"manual MFA: the one-time PIN was not entered within {self.manual_timeout:.0f} s "
                             "(--mfa manual; raise MANUAL_MFA_TIMEOUT if you need longer)") from None

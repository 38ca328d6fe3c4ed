"""The widget's screens: choose a verification method, enter the code, choose an account."""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Locator, Page

from harness.evidence import StepLog
from harness.widget_events import FAILURE_MARK
from pages.widget import locators


class Screen:
    """A widget screen; on arrival it hands a screenshot of the widget to the step log, if there is one."""

    title = "widget"

    def __init__(self, widget: FlexitiWidget) -> None:
        self.widget = widget
        self.root = widget.root

    def _arrived(self, landmark: Locator) -> None:
        landmark.wait_for()
        if self.widget.steps is not None:
            self.widget.steps.capture(self.widget.frame_element, f"widget: {self.title}")


class MfaChoiceScreen(Screen):
    title = "choose verification"

    def wait_until_loaded(self) -> MfaChoiceScreen:
        self._arrived(locators.mfa_choice_heading(self.root))
        return self

    def choose(self, option: str) -> CodeEntryScreen:
        locators.mfa_option(self.root, option).check()
        locators.continue_button(self.root).click()
        return CodeEntryScreen(self.widget).wait_until_loaded()


class CodeEntryScreen(Screen):
    """Where the shopper types a one-time code, a security answer, or an application PIN."""

    title = "enter code"

    def __init__(self, widget: FlexitiWidget, heading: Locator | None = None) -> None:
        super().__init__(widget)
        self._heading = heading or locators.code_heading(self.root)

    @property
    def error(self) -> Locator:
        return locators.error(self.root)

    def wait_until_loaded(self) -> CodeEntryScreen:
        self._arrived(self._heading)
        return self

    def submit(self, answer: str) -> None:
        locators.code_input(self.root).fill(answer)
        locators.verify_button(self.root).click()

    def submit_twice_quickly(self, answer: str) -> None:
        """An impatient double-click on Verify."""
        locators.code_input(self.root).fill(answer)
        locators.verify_button(self.root).dblclick()


class AccountSelectionScreen(Screen):
    title = "choose account"

    def wait_until_loaded(self) -> AccountSelectionScreen:
        self._arrived(locators.account_heading(self.root))
        return self

    def choose(self, last4: str) -> None:
        locators.account_option(self.root, last4).check()
        locators.continue_button(self.root).click()


class FlexitiWidget:
    """The widget inside the merchant page, driven as the shopper would."""

    def __init__(self, page: Page, steps: StepLog | None = None, origin: str | None = None) -> None:
        self.page = page
        self.steps = steps
        self.origin = origin  # None: the run's widget origin (locators.use_widget_origin)
        self.root: FrameLocator = locators.frame(page, origin)

    @property
    def frame_element(self) -> Locator:
        """The iframe element itself, for its src."""
        return locators.frame_element(self.page, self.origin)

    def wait_until_open(self) -> FlexitiWidget:
        """Arrival: the widget shows its first screen. Waiting on the frame itself (not a FrameLocator) means
        that if the merchant page navigates away instead, the wait ends at once with an error rather than running
        out the clock. If the widget failed at once (a refusal posts flx-failure) and the store moved on before
        the frame was found, the event capture's mark on the page ends the wait instead."""
        failed = self.page.locator(f"html[{FAILURE_MARK}]")
        handle = self.frame_element.or_(failed).first.element_handle()
        code = handle.get_attribute(FAILURE_MARK)
        if code is not None:
            raise AssertionError(f"the widget failed before it opened (flx-failure {code}); "
                                 f"the store moved on to {self.page.url}")
        frame = handle.content_frame()
        if frame is None:
            raise AssertionError("the widget iframe has no document")
        locators.heading(frame).first.wait_for()
        return self

    @property
    def heading(self) -> Locator:
        return locators.heading(self.root)

    @property
    def error(self) -> Locator:
        return locators.error(self.root)

    def mfa_choice(self) -> MfaChoiceScreen:
        return MfaChoiceScreen(self).wait_until_loaded()

    def verify_by(self, option: str, answer: str) -> None:
        """Choose the MFA option and enter its code or answer."""
        self.mfa_choice().choose(option).submit(answer)

    def choose_account(self, last4: str) -> None:
        AccountSelectionScreen(self).wait_until_loaded().choose(last4)

    def pin_entry(self) -> CodeEntryScreen:
        """The application flow's phone confirmation."""
        return CodeEntryScreen(self, locators.pin_heading(self.root)).wait_until_loaded()

    def enter_pin(self, pin: str) -> None:
        self.pin_entry().submit(pin)

    def go_to_activation(self) -> None:
        locators.activation_button(self.root).click()

    def return_to_store(self) -> None:
        locators.back_to_store_button(self.root).click()

    def apply_instead(self) -> None:
        locators.apply_instead_button(self.root).click()

    def cancel(self) -> None:
        locators.cancel_button(self.root).click()

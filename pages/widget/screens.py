"""The widget's screens: choose a verification method, enter the code, choose an account."""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Locator, Page

from pages.widget import locators


class MfaChoiceScreen:
    def __init__(self, root: FrameLocator) -> None:
        self.root = root

    def wait_until_loaded(self) -> MfaChoiceScreen:
        locators.mfa_choice_heading(self.root).wait_for()
        return self

    def choose(self, option: str) -> CodeEntryScreen:
        locators.mfa_option(self.root, option).check()
        locators.continue_button(self.root).click()
        return CodeEntryScreen(self.root).wait_until_loaded()


class CodeEntryScreen:
    """Where the shopper types a one-time code, a security answer, or an application PIN."""

    def __init__(self, root: FrameLocator, heading: Locator | None = None) -> None:
        self.root = root
        self._heading = heading or locators.code_heading(root)

    @property
    def error(self) -> Locator:
        return locators.error(self.root)

    def wait_until_loaded(self) -> CodeEntryScreen:
        self._heading.wait_for()
        return self

    def submit(self, answer: str) -> None:
        locators.code_input(self.root).fill(answer)
        locators.verify_button(self.root).click()

    def submit_twice_quickly(self, answer: str) -> None:
        """An impatient double-click on Verify."""
        locators.code_input(self.root).fill(answer)
        locators.verify_button(self.root).dblclick()


class AccountSelectionScreen:
    def __init__(self, root: FrameLocator) -> None:
        self.root = root

    def wait_until_loaded(self) -> AccountSelectionScreen:
        locators.account_heading(self.root).wait_for()
        return self

    def choose(self, last4: str) -> None:
        locators.account_option(self.root, last4).check()
        locators.continue_button(self.root).click()


class FlexitiWidget:
    """The widget inside the merchant page, driven as the shopper would."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.root = locators.frame(page)

    @property
    def frame_element(self) -> Locator:
        return locators.frame_element(self.page)

    @property
    def heading(self) -> Locator:
        return locators.heading(self.root)

    @property
    def error(self) -> Locator:
        return locators.error(self.root)

    def mfa_choice(self) -> MfaChoiceScreen:
        return MfaChoiceScreen(self.root).wait_until_loaded()

    def verify_by(self, option: str, answer: str) -> None:
        """Choose the MFA option and enter its code or answer."""
        self.mfa_choice().choose(option).submit(answer)

    def choose_account(self, last4: str) -> None:
        AccountSelectionScreen(self.root).wait_until_loaded().choose(last4)

    def pin_entry(self) -> CodeEntryScreen:
        """The application flow's phone confirmation."""
        return CodeEntryScreen(self.root, locators.pin_heading(self.root)).wait_until_loaded()

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

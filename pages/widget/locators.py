"""Every locator the harness uses inside the Flexiti widget, in one place.

Flexiti does not publish the widget's DOM, so these describe the sandbox widget. To point the suite at the
real widget in Training, change these (roles, accessible names and labels) and nothing else.
"""

from __future__ import annotations

from playwright.sync_api import Frame, FrameLocator, Locator, Page

IFRAME = 'iframe[title="Flexiti widget"]'
MFA_OPTION_LABELS = {"sms": "Text message (SMS)", "email": "Email", "security_question": "Security question"}


def frame(page: Page) -> FrameLocator:
    return page.frame_locator(IFRAME)


def frame_element(page: Page) -> Locator:
    return page.locator(IFRAME)


def heading(root: FrameLocator | Frame) -> Locator:
    return root.get_by_role("heading", level=1)


def mfa_choice_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name="Verify your identity")


def mfa_option(root: FrameLocator, option: str) -> Locator:
    return root.get_by_role("radio", name=MFA_OPTION_LABELS[option])


def code_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name="Enter your verification code")


def pin_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name="Confirm your phone number")


def activation_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name="Go to activation")


def back_to_store_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name="Back to the store")


def apply_instead_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name="Apply instead")


def code_input(root: FrameLocator) -> Locator:
    return root.get_by_role("textbox")


def account_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name="Choose an account")


def account_option(root: FrameLocator, last4: str) -> Locator:
    return root.get_by_role("radio", name=f"Account ending in {last4}")


def continue_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name="Continue")


def verify_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name="Verify")


def cancel_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name="Cancel")


def error(root: FrameLocator) -> Locator:
    return root.get_by_role("alert")

"""Every locator the harness uses inside the Flexiti widget, in one place.

Flexiti does not publish the widget's DOM, so the defaults describe the sandbox widget. To point the suite at
the real widget in Training, override the iframe selector and the accessible names below from a TOML file
(FLEXITI_WIDGET_LOCATORS; see storefronts/widget-locators.example.toml) without editing tests or page objects.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, FrameLocator, Locator, Page

IFRAME = 'iframe[title="Flexiti widget"]'
# Accessible names (roles are fixed by what each control is); "{last4}" is filled in.
NAMES: dict[str, str] = {
    "mfa_choice_heading": "Verify your identity",
    "code_heading": "Enter your verification code",
    "pin_heading": "Confirm your phone number",
    "account_heading": "Choose an account",
    "account_option": "Account ending in {last4}",
    "activation_button": "Go to activation",
    "back_to_store_button": "Back to the store",
    "apply_instead_button": "Apply instead",
    "continue_button": "Continue",
    "verify_button": "Verify",
    "cancel_button": "Cancel",
}
MFA_OPTION_LABELS: dict[str, str] = {"sms": "Text message (SMS)", "email": "Email",
                                     "security_question": "Security question"}
_DEFAULTS = (IFRAME, dict(NAMES), dict(MFA_OPTION_LABELS))


class LocatorsFileError(ValueError):
    """The widget-locators file is unreadable or names something the harness does not use; says which."""


def load_overrides(path: Path) -> None:
    """Replace the defaults with the file's values: `iframe`, `[names]` and `[mfa_option_labels]`."""
    global IFRAME
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LocatorsFileError(f"FLEXITI_WIDGET_LOCATORS: cannot read {path}: {error}") from None
    problems = [f"unknown key {key!r} (expected iframe, names, mfa_option_labels)"
                for key in data if key not in ("iframe", "names", "mfa_option_labels")]
    for table, known in (("names", NAMES), ("mfa_option_labels", MFA_OPTION_LABELS)):
        values = data.get(table, {})
        if not isinstance(values, dict):
            problems.append(f"[{table}] must be a table")
            continue
        problems += [f"[{table}] {key!r} is not one of {', '.join(known)}" for key in values if key not in known]
        problems += [f"[{table}] {key} must be a string" for key, value in values.items() if not isinstance(value, str)]
    if "iframe" in data and not isinstance(data["iframe"], str):
        problems.append("iframe must be a CSS selector string")
    if problems:
        raise LocatorsFileError(f"FLEXITI_WIDGET_LOCATORS {path}:\n  - " + "\n  - ".join(problems))
    IFRAME = data.get("iframe", IFRAME)
    NAMES.update(data.get("names", {}))
    MFA_OPTION_LABELS.update(data.get("mfa_option_labels", {}))


def reset() -> None:
    """Back to the sandbox widget's locators."""
    global IFRAME
    IFRAME = _DEFAULTS[0]
    NAMES.clear()
    NAMES.update(_DEFAULTS[1])
    MFA_OPTION_LABELS.clear()
    MFA_OPTION_LABELS.update(_DEFAULTS[2])


def frame(page: Page) -> FrameLocator:
    return page.frame_locator(IFRAME)


def frame_element(page: Page) -> Locator:
    return page.locator(IFRAME)


def heading(root: FrameLocator | Frame) -> Locator:
    return root.get_by_role("heading", level=1)


def mfa_choice_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name=NAMES["mfa_choice_heading"])


def mfa_option(root: FrameLocator, option: str) -> Locator:
    return root.get_by_role("radio", name=MFA_OPTION_LABELS[option])


def code_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name=NAMES["code_heading"])


def pin_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name=NAMES["pin_heading"])


def activation_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name=NAMES["activation_button"])


def back_to_store_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name=NAMES["back_to_store_button"])


def apply_instead_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name=NAMES["apply_instead_button"])


def code_input(root: FrameLocator) -> Locator:
    return root.get_by_role("textbox")


def account_heading(root: FrameLocator) -> Locator:
    return root.get_by_role("heading", name=NAMES["account_heading"])


def account_option(root: FrameLocator, last4: str) -> Locator:
    return root.get_by_role("radio", name=NAMES["account_option"].format(last4=last4))


def continue_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name=NAMES["continue_button"])


def verify_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name=NAMES["verify_button"])


def cancel_button(root: FrameLocator) -> Locator:
    return root.get_by_role("button", name=NAMES["cancel_button"])


def error(root: FrameLocator) -> Locator:
    return root.get_by_role("alert")

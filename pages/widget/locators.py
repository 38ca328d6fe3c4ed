"""Every locator the harness uses inside the Flexiti widget, in one place.

Flexiti does not publish the widget's DOM, so the defaults describe the sandbox widget. To point the suite at
the real widget in Training, override any of them from a TOML file (FLEXITI_WIDGET_LOCATORS; every key is listed
in storefronts/widget-locators.example.toml) without editing tests or page objects:

- `iframe`: the CSS selector of the widget's iframe in the merchant page. Without it the widget is the iframe whose
  document is on FLEXITI_WIDGET_ORIGIN, whatever its title or container (the SDK's iframe, or the merchant's own
  iframe in a dialog), so most sites need no override;
- `[names]` and `[mfa_option_labels]`: accessible names (what a screen reader announces);
- `[locators]`: how each control is found. A role (with `level` for headings, `exact` for the name) takes its
  accessible name from `[names]`; `label`, `test_id` or `css` find it without a role, and may use `{name}` (the
  accessible name), `{option}` (mfa_option: sms, email, security_question) and `{last4}` (account_option).
"""

from __future__ import annotations

import copy
import string
import tomllib
from pathlib import Path
from typing import Any

from playwright.sync_api import Frame, FrameLocator, Locator, Page

IFRAME: str | None = None  # None: found by the widget origin (see widget_iframe)
WIDGET_ORIGIN = ""  # set per run from the target (use_widget_origin)
# Accessible names; "{last4}" is filled in.
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
# The same names per widget language (widget/init's `lang`); `use_language` switches to one, `reset` back to English.
NAMES_BY_LANGUAGE: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "en": (dict(NAMES), dict(MFA_OPTION_LABELS)),
    "fr": ({
        "mfa_choice_heading": "Vérifiez votre identité",
        "code_heading": "Entrez votre code de vérification",
        "pin_heading": "Confirmez votre numéro de téléphone",
        "account_heading": "Choisissez un compte",
        "account_option": "Compte se terminant par {last4}",
        "activation_button": "Activer mon compte",
        "back_to_store_button": "Retour au magasin",
        "apply_instead_button": "Faire une demande",
        "continue_button": "Continuer",
        "verify_button": "Vérifier",
        "cancel_button": "Annuler",
    }, {"sms": "Message texte (SMS)", "email": "Courriel", "security_question": "Question de sécurité"}),
}
# How each control is found. A role locator's name comes from NAMES (mfa_option: MFA_OPTION_LABELS); the three
# without a name match any heading of level 1, any textbox, any alert on the current screen.
LOCATORS: dict[str, dict[str, Any]] = {
    "screen_heading": {"role": "heading", "level": 1},
    "mfa_choice_heading": {"role": "heading"},
    "mfa_option": {"role": "radio"},
    "code_heading": {"role": "heading"},
    "code_input": {"role": "textbox"},
    "pin_heading": {"role": "heading"},
    "account_heading": {"role": "heading"},
    "account_option": {"role": "radio"},
    "activation_button": {"role": "button"},
    "back_to_store_button": {"role": "button"},
    "apply_instead_button": {"role": "button"},
    "continue_button": {"role": "button"},
    "verify_button": {"role": "button"},
    "cancel_button": {"role": "button"},
    "error": {"role": "alert"},
}
_DEFAULTS = (IFRAME, dict(NAMES), dict(MFA_OPTION_LABELS), copy.deepcopy(LOCATORS))
_FINDERS = ("role", "label", "test_id", "css")
_PLACEHOLDERS = {"mfa_option": {"name", "option"}, "account_option": {"name", "last4"}}
_TABLES = ("iframe", "names", "mfa_option_labels", "locators")


class LocatorsFileError(ValueError):
    """The widget-locators file is unreadable or names something the harness does not use; says which."""


def _locator_problems(key: str, spec: Any) -> list[str]:
    where = f"[locators] {key}"
    if not isinstance(spec, dict):
        return [f"{where} must be a table such as {{ role = \"button\" }} or {{ test_id = \"verify\" }}"]
    finders = [finder for finder in _FINDERS if finder in spec]
    if len(finders) != 1:
        return [f"{where}: give exactly one of {', '.join(_FINDERS)} (got {sorted(spec)})"]
    problems = []
    if "name" in spec:
        problems.append(f"{where}: the accessible name goes in [names] (or [mfa_option_labels]), not here")
    unknown = set(spec) - {*_FINDERS, "level", "exact", "name"}
    if unknown:
        problems.append(f"{where}: unknown key(s) {sorted(unknown)} (known: {', '.join(_FINDERS)}, level, exact)")
    if not isinstance(spec[finders[0]], str):
        problems.append(f"{where}: {finders[0]} must be a string")
    elif finders[0] != "role":
        allowed = _PLACEHOLDERS.get(key, {"name"})
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(spec[finders[0]]) if name}
        except ValueError as error:  # a lone { or }
            return [*problems, f"{where}: {error} (write a literal brace as {{{{ or }}}})"]
        problems += [f"{where}: unknown placeholder {{{name}}} (here: {', '.join(sorted(allowed))})"
                     for name in sorted(used - allowed)]
    if "level" in spec and (finders[0] != "role" or not isinstance(spec["level"], int)
                            or isinstance(spec["level"], bool)):
        problems.append(f"{where}: level goes with role and is a number, e.g. {{ role = \"heading\", level = 1 }}")
    if "exact" in spec and not isinstance(spec["exact"], bool):
        problems.append(f"{where}: exact is true or false")
    return problems


def load_overrides(path: Path) -> None:
    """Replace the defaults with the file's values: `iframe`, `[names]`, `[mfa_option_labels]` and `[locators]`."""
    global IFRAME
    try:
        data: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise LocatorsFileError(f"FLEXITI_WIDGET_LOCATORS: cannot read {path}: {error}") from None
    problems = [f"unknown key {key!r} (expected {', '.join(_TABLES)})" for key in data if key not in _TABLES]
    for table, known in (("names", NAMES), ("mfa_option_labels", MFA_OPTION_LABELS), ("locators", LOCATORS)):
        values = data.get(table, {})
        if not isinstance(values, dict):
            problems.append(f"[{table}] must be a table")
            continue
        problems += [f"[{table}] {key!r} is not one of {', '.join(known)}" for key in values if key not in known]
        if table == "locators":
            problems += [problem for key, spec in values.items() if key in known
                         for problem in _locator_problems(key, spec)]
        else:
            problems += [f"[{table}] {key} must be a string" for key, value in values.items()
                         if not isinstance(value, str)]
    if "iframe" in data and not isinstance(data["iframe"], str):
        problems.append("iframe must be a CSS selector string")
    if problems:
        raise LocatorsFileError(f"FLEXITI_WIDGET_LOCATORS {path}:\n  - " + "\n  - ".join(problems))
    IFRAME = data.get("iframe", IFRAME)
    NAMES.update(data.get("names", {}))
    MFA_OPTION_LABELS.update(data.get("mfa_option_labels", {}))
    LOCATORS.update(data.get("locators", {}))


def use_language(lang: str) -> None:
    """The widget's accessible names in `lang` ("en" or "fr"); the locator recipes stay as they are."""
    if lang not in NAMES_BY_LANGUAGE:
        raise ValueError(f"no widget locators for language {lang!r} (known: {', '.join(NAMES_BY_LANGUAGE)})")
    names, labels = NAMES_BY_LANGUAGE[lang]
    NAMES.clear()
    NAMES.update(names)
    MFA_OPTION_LABELS.clear()
    MFA_OPTION_LABELS.update(labels)


def reset() -> None:
    """Back to the sandbox widget's locators."""
    global IFRAME
    IFRAME, names, labels, locators = copy.deepcopy(_DEFAULTS)
    NAMES.clear()
    NAMES.update(names)
    MFA_OPTION_LABELS.clear()
    MFA_OPTION_LABELS.update(labels)
    LOCATORS.clear()
    LOCATORS.update(locators)


def _find(root: FrameLocator | Frame, key: str, name: str | None = None, **values: str) -> Locator:
    """The control `key` as LOCATORS says to find it; `name` is its accessible name, if it has one."""
    spec = LOCATORS[key]
    if "role" in spec:
        options: dict[str, Any] = {option: spec[option] for option in ("level", "exact") if option in spec}
        if name is not None:
            options["name"] = name
        return root.get_by_role(spec["role"], **options)  # a role string from the file, checked when loaded
    fill = {"name": name or "", **values}
    if "label" in spec:
        return root.get_by_label(spec["label"].format_map(fill), exact=spec.get("exact", False))
    if "test_id" in spec:
        return root.get_by_test_id(spec["test_id"].format_map(fill))
    return root.locator(spec["css"].format_map(fill))


def use_widget_origin(origin: str) -> None:
    """The origin the widget is served from (FLEXITI_WIDGET_ORIGIN, or the embedded simulator's)."""
    global WIDGET_ORIGIN
    WIDGET_ORIGIN = origin.rstrip("/")


def widget_iframe(origin: str | None = None) -> str:
    """The widget's iframe: FLEXITI_WIDGET_LOCATORS' `iframe` if given, else the iframe whose src is on the widget
    origin. The src is where its document comes from, so this holds for the SDK's iframe and a merchant's own."""
    if IFRAME is not None:
        return IFRAME
    on = (origin or WIDGET_ORIGIN).rstrip("/")
    if not on:
        raise RuntimeError("the widget origin is not known yet: call locators.use_widget_origin() first")
    return f'iframe[src^="{on}/"], iframe[src="{on}"]'


def frame(page: Page, origin: str | None = None) -> FrameLocator:
    return page.frame_locator(widget_iframe(origin)).first


def frame_element(page: Page, origin: str | None = None) -> Locator:
    return page.locator(widget_iframe(origin)).first


def heading(root: FrameLocator | Frame) -> Locator:
    """Any screen's heading: the landmark that the widget has rendered a screen."""
    return _find(root, "screen_heading")


def mfa_choice_heading(root: FrameLocator) -> Locator:
    return _find(root, "mfa_choice_heading", NAMES["mfa_choice_heading"])


def mfa_option(root: FrameLocator, option: str) -> Locator:
    return _find(root, "mfa_option", MFA_OPTION_LABELS[option], option=option)


def code_heading(root: FrameLocator) -> Locator:
    return _find(root, "code_heading", NAMES["code_heading"])


def pin_heading(root: FrameLocator) -> Locator:
    return _find(root, "pin_heading", NAMES["pin_heading"])


def activation_button(root: FrameLocator) -> Locator:
    return _find(root, "activation_button", NAMES["activation_button"])


def back_to_store_button(root: FrameLocator) -> Locator:
    return _find(root, "back_to_store_button", NAMES["back_to_store_button"])


def apply_instead_button(root: FrameLocator) -> Locator:
    return _find(root, "apply_instead_button", NAMES["apply_instead_button"])


def code_input(root: FrameLocator) -> Locator:
    return _find(root, "code_input")


def account_heading(root: FrameLocator) -> Locator:
    return _find(root, "account_heading", NAMES["account_heading"])


def account_option(root: FrameLocator, last4: str) -> Locator:
    return _find(root, "account_option", NAMES["account_option"].format(last4=last4), last4=last4)


def continue_button(root: FrameLocator) -> Locator:
    return _find(root, "continue_button", NAMES["continue_button"])


def verify_button(root: FrameLocator) -> Locator:
    return _find(root, "verify_button", NAMES["verify_button"])


def cancel_button(root: FrameLocator) -> Locator:
    return _find(root, "cancel_button", NAMES["cancel_button"])


def error(root: FrameLocator) -> Locator:
    return _find(root, "error")

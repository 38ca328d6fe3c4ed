"""Selector profiles, widget-locator overrides and the example test-customers file: read, checked, and
rejected with messages that name the file, the table and the step at fault."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.customers import load_applicants, load_customers
from pages.storefront import ACTIONS, ProfileError, load_profile
from pages.widget import locators

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_PROFILE = ROOT / "storefronts" / "reference-store.toml"


def _write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_profile_describes_every_action() -> None:
    profile = load_profile(REFERENCE_PROFILE)

    assert set(profile.actions) == set(ACTIONS)
    assert profile.product == "Desk lamp"
    assert profile.paid_text == "Paid with Flexiti"
    assert profile.order_reference == {"url_pattern": "/orders/(ORD-[A-Z0-9]+)$"}
    assert profile.cart_total == {"test_id": "total"}


def test_profile_problems_are_all_named_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, """
[open_product]
steps = [{ goto = "products" }]
[add_to_cart]
steps = [{ click = { role = "button", label = "Add" } }]
[check_out]
steps = [{ fill = { label = "First name" }, value = "{first_nme}" }, { tap = { text = "x" } }]
[order_outcome]
locator = { test_id = "status" }
""")

    with pytest.raises(ProfileError) as raised:
        load_profile(path)

    message = str(raised.value)
    assert str(path) in message
    assert "[open_product] step 1: goto takes a path on the storefront, starting with /" in message
    assert "[add_to_cart] step 1: give exactly one of role" in message
    assert "[check_out] step 1: unknown placeholder {first_nme}" in message
    assert "[check_out] step 2: give exactly one of goto" in message
    assert "[choose_flexiti] needs a non-empty steps" in message
    assert "[order_outcome] needs locator" in message and "paid_text" in message
    assert "product = \"...\" is missing" in message


def test_unreadable_profile_names_the_setting_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[open_product\nsteps = 1")

    with pytest.raises(ProfileError, match=r"STOREFRONT_PROFILE: cannot read .*profile\.toml"):
        load_profile(path)


@pytest.fixture
def restored_locators() -> Iterator[None]:
    yield
    locators.reset()


@pytest.mark.usefixtures("restored_locators")
def test_widget_locator_file_overrides_the_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, """
iframe = "iframe#flexiti"
[names]
verify_button = "Confirm"
account_option = "Account ****{last4}"
[mfa_option_labels]
sms = "Send me a text"
""", "widget.toml")

    locators.load_overrides(path)

    assert locators.IFRAME == "iframe#flexiti"
    assert locators.NAMES["verify_button"] == "Confirm"
    assert locators.NAMES["account_option"].format(last4="0011") == "Account ****0011"
    assert locators.MFA_OPTION_LABELS["sms"] == "Send me a text"
    assert locators.NAMES["continue_button"] == "Continue"  # what the file leaves out keeps its default


@pytest.mark.usefixtures("restored_locators")
def test_widget_locator_file_with_unknown_names_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, '[names]\nverify_buton = "Confirm"\n[colours]\nx = 1\n', "widget.toml")

    with pytest.raises(locators.LocatorsFileError) as raised:
        locators.load_overrides(path)

    assert "'verify_buton' is not one of" in str(raised.value)
    assert "unknown key 'colours'" in str(raised.value)
    assert locators.NAMES["verify_button"] == "Verify"


def test_example_widget_locator_file_matches_the_defaults() -> None:
    """The example documents the real keys: loading it must change nothing."""
    before = (locators.IFRAME, dict(locators.NAMES), dict(locators.MFA_OPTION_LABELS))
    try:
        locators.load_overrides(ROOT / "storefronts" / "widget-locators.example.toml")
        assert (locators.IFRAME, locators.NAMES, locators.MFA_OPTION_LABELS) == before
    finally:
        locators.reset()


def test_example_customers_file_loads_and_holds_no_real_answers() -> None:
    path = ROOT / "fixtures" / "data" / "customers.example.json"

    customers = load_customers(path)
    applicants = load_applicants(path)

    assert set(customers) >= {"single_account", "three_accounts"}
    assert applicants is not None and applicants.pin == "2222"
    for customer in customers.values():
        assert customer.sms_code is None and customer.email_code is None
        assert customer.security_question is None or customer.security_question.answer == "REPLACE"

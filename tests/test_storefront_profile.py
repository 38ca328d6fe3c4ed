"""Selector profiles, widget-locator overrides and the example test-customers file: read, checked, and
rejected with messages that name the file, the table and the step at fault."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from harness.customers import load_applicants, load_customers
from harness.errors import HarnessError, ProfileError
from harness.landing import Capability, Where
from pages.profile import ACTIONS, OPTIONAL_ACTIONS, ProfileStorefront, load_profile
from pages.widget import locators

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_PROFILE = ROOT / "storefronts" / "reference-store.toml"
EXAMPLE_LOCATORS = ROOT / "storefronts" / "widget-locators.example.toml"


def _write(tmp_path: Path, text: str, name: str = "profile.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reference_profile_describes_every_action_and_capability() -> None:
    profile = load_profile(REFERENCE_PROFILE)

    assert set(profile.actions) == {*ACTIONS, *OPTIONAL_ACTIONS}
    assert profile.products[0] == "Desk lamp" and len(profile.products) == 3
    assert profile.capabilities == set(Capability)
    assert set(profile.where) == {place.value for place in Where if place is not Where.ELSEWHERE}
    assert profile.landing["paid"] == {"test_id": "order-status", "says": "Paid with Flexiti"}
    assert profile.landing["order_reference"] == {"url_pattern": "/orders/(ORD-[A-Z0-9]+)$"}
    assert re.search(profile.landing["widget_page"], "/orders/ORD-1A2B3C4D/pay")


MINIMAL = """
products = ["Lamp"]
[add_to_cart]
steps = [{ goto = "/" }]
[check_out]
steps = [{ goto = "/checkout" }]
[choose_flexiti]
steps = [{ click = { role = "button", name = "Pay" } }]
[landing.where]
checkout = { url_pattern = "/checkout$" }
order = { url_pattern = "/orders/" }
"""


@pytest.mark.parametrize(("capability", "table"), [
    (Capability.CART, "[cart]"), (Capability.CART_LINES, "[cart] lines"),
    (Capability.ORDER_REFERENCE, "[landing] order_reference"), (Capability.APPLICATION, "[apply]"),
])
def test_a_capability_the_profile_leaves_out_names_the_table_to_add(
    tmp_path: Path, capability: Capability, table: str,
) -> None:
    profile = load_profile(_write(tmp_path, MINIMAL))
    storefront = ProfileStorefront(None, profile)  # type: ignore[arg-type]  # no page needed to say what is missing

    assert capability not in storefront.capabilities
    assert table in storefront.missing(capability) and "profile.toml" in storefront.missing(capability)


def test_profile_problems_are_all_named_at_once(tmp_path: Path) -> None:
    path = _write(tmp_path, """
[add_to_cart]
steps = [{ goto = "products" }, { click = { role = "button", label = "Add" } }]
[check_out]
steps = [{ fill = { label = "First name" }, value = "{first_nme}" }, { tap = { text = "x" } }]
[cart]
count = { css = "#n", pattern = "no group" }
[landing.where]
checkout = { url_pattern = "/checkout$" }
basket = { url_pattern = "/basket" }
[landing]
paid = { test_id = "status" }
widget_page = "/pay("
[order_outcome]
locator = { test_id = "status" }
""")

    with pytest.raises(ProfileError) as raised:
        load_profile(path)

    message = str(raised.value)
    assert str(path) in message
    assert "[add_to_cart] step 1: goto takes a path on the storefront, starting with /" in message
    assert "[add_to_cart] step 2: give exactly one of role" in message
    assert "[check_out] step 1: unknown placeholder {first_nme}" in message
    assert "[check_out] step 2: give exactly one of goto" in message
    assert "[choose_flexiti] needs a non-empty steps" in message
    assert "[cart] count.pattern: needs exactly 1 (group)" in message
    assert "[landing.where] basket: not one of" in message
    assert "[landing.where] order is missing" in message
    assert "[landing] paid needs says" in message
    assert "[landing] widget_page: missing )" in message
    assert "unknown table(s) ['order_outcome']" in message
    assert "products = [" in message


def test_profile_errors_are_harness_errors_not_checklist_failures() -> None:
    assert issubclass(ProfileError, HarnessError) and not issubclass(ProfileError, AssertionError)


def test_unreadable_profile_names_the_setting_and_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "[add_to_cart\nsteps = 1")

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
    assert locators.widget_iframe() == "iframe#flexiti"
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
    before = (locators.IFRAME, dict(locators.NAMES), dict(locators.MFA_OPTION_LABELS), dict(locators.LOCATORS))
    try:
        locators.load_overrides(EXAMPLE_LOCATORS)
        assert before == (locators.IFRAME, locators.NAMES, locators.MFA_OPTION_LABELS, locators.LOCATORS)
    finally:
        locators.reset()


def test_example_widget_locator_file_lists_every_key() -> None:
    example = tomllib.loads(EXAMPLE_LOCATORS.read_text(encoding="utf-8"))

    assert set(example) == {"names", "mfa_option_labels", "locators"}  # iframe: documented, commented out
    assert "# iframe = " in EXAMPLE_LOCATORS.read_text(encoding="utf-8")
    assert set(example["names"]) == set(locators.NAMES)
    assert set(example["mfa_option_labels"]) == set(locators.MFA_OPTION_LABELS)
    assert set(example["locators"]) == set(locators.LOCATORS)


# A widget whose controls a role and name cannot tell apart: found by level, label, test id and CSS instead.
OTHER_WIDGET = """
<h2>Identity check</h2>
<input type="radio" value="sms" id="sms"><label for="sms">SMS</label>
<input type="radio" value="email" id="email"><label for="email">E-mail</label>
<label>One-time code <input name="otp"></label><input name="search" aria-label="Search">
<div data-testid="problem">That code is wrong</div><p role="alert">cookie banner</p>
<ul><li data-testid="account-0011">Card 0011</li></ul>
"""


@pytest.mark.usefixtures("restored_locators")
def test_widget_locator_file_re_points_headings_inputs_alerts_and_radios(tmp_path: Path, page: Page) -> None:
    path = _write(tmp_path, """
[locators]
screen_heading = { role = "heading", level = 2 }
mfa_option = { css = "input[type=radio][value='{option}']" }
code_input = { label = "One-time code" }
error = { test_id = "problem" }
account_option = { test_id = "account-{last4}" }
""", "widget.toml")
    page.set_content(OTHER_WIDGET)

    locators.load_overrides(path)

    expect(locators.heading(page)).to_have_text("Identity check")  # type: ignore[arg-type]  # a Page finds as a frame
    expect(locators.mfa_option(page, "email")).to_have_attribute("id", "email")  # type: ignore[arg-type]
    expect(locators.code_input(page)).to_have_attribute("name", "otp")  # type: ignore[arg-type]
    expect(locators.error(page)).to_have_text("That code is wrong")  # type: ignore[arg-type]
    expect(locators.account_option(page, "0011")).to_have_text("Card 0011")  # type: ignore[arg-type]


@pytest.mark.usefixtures("restored_locators")
def test_widget_locator_file_with_malformed_locators_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, """
[locators]
code_input = { role = "textbox", label = "Code" }
error = { role = "alert", name = "Problem" }
mfa_option = { css = "input[value='{last4}']" }
screen_heading = { css = "h1", level = 1 }
code_textbox = { role = "textbox" }
verify_button = { css = "button.verify{" }
""", "widget.toml")

    with pytest.raises(locators.LocatorsFileError) as raised:
        locators.load_overrides(path)

    message = str(raised.value)
    assert "[locators] code_input: give exactly one of role, label, test_id, css" in message
    assert "[locators] error: the accessible name goes in [names]" in message
    assert "[locators] mfa_option: unknown placeholder {last4}" in message
    assert "[locators] screen_heading: level goes with role" in message
    assert "[locators] 'code_textbox' is not one of" in message
    assert "[locators] verify_button: Single '{' encountered" in message
    assert locators.LOCATORS["code_input"] == {"role": "textbox"}  # nothing applied from a rejected file


def test_example_customers_file_loads_and_holds_no_real_answers() -> None:
    path = ROOT / "fixtures" / "data" / "customers.example.json"

    customers = load_customers(path)
    applicants = load_applicants(path)

    assert set(customers) >= {"single_account", "three_accounts"}
    assert applicants is not None and applicants.pin == "2222"
    for customer in customers.values():
        assert customer.sms_code is None and customer.email_code is None
        assert customer.security_question is None or customer.security_question.answer == "REPLACE"


def test_the_widget_is_found_by_its_origin_unless_an_override_names_it(page: Page) -> None:
    page.set_content('<iframe title="Flexiti widget" src="about:blank"></iframe>'
                     '<dialog open><iframe title="Pay monthly" src="http://widget.test:9/#/widget/?s=1"></iframe></dialog>')

    found = locators.frame_element(page, "http://widget.test:9")

    expect(found).to_have_attribute("title", "Pay monthly")  # the document's origin, not the title, decides


def test_storefront_class_setting_names_an_importable_adapter() -> None:
    from pages.merchant.storefront import ReferenceStorefront
    from pages.storefront import StorefrontClassError, load_storefront_class

    assert load_storefront_class("pages.merchant.storefront:ReferenceStorefront") is ReferenceStorefront
    for spec, said in [("pages.merchant.storefront", "package.module:ClassName"),
                       ("no_such_module:Store", "cannot import no_such_module"),
                       ("pages.merchant.storefront:Nope", "has no class Nope"),
                       ("harness.landing:CartLine", "lacks fill_cart")]:
        with pytest.raises(StorefrontClassError, match=said):
            load_storefront_class(spec)


ALTERNATIVE_PROFILE = ROOT / "storefronts" / "alternative-store.toml"
# Amounts inside one line of text, as the alternative store prints them; the lines table puts quantity first.
ONE_LINE_CART = """<a id="basket">Basket: 3 items</a>
<table aria-label="Basket contents"><tbody>
  <tr><td>2</td><td>Desk lamp</td><td>$119.98</td></tr><tr><td>1</td><td>Ergonomic chair</td><td>$1,349.50</td></tr>
</tbody></table>
<p id="sums">Subtotal $1,469.48 · HST $191.03 · Shipping $25.00 · Total $1,685.51</p>"""
ONE_LINE_PROFILE = MINIMAL + """
[cart]
count = { css = "#basket", pattern = "Basket: (\\\\d+) items?" }
total = { css = "#sums", pattern = "· Total (\\\\$[\\\\d,.]+)" }
subtotal = { css = "#sums", pattern = "Subtotal (\\\\$[\\\\d,.]+)" }
tax = { css = "#sums", pattern = "HST (\\\\$[\\\\d,.]+)" }
shipping = { css = "#sums", pattern = "Shipping (\\\\$[\\\\d,.]+)" }
lines = { rows = { css = "table tbody tr" }, name = 2, quantity = 1, price = 3 }
"""


def test_alternative_profile_describes_every_action_and_capability_but_the_order_reference_and_french() -> None:
    profile = load_profile(ALTERNATIVE_PROFILE)

    assert set(profile.actions) == {*ACTIONS, *OPTIONAL_ACTIONS}
    # It sends no `reference` with /authorization, so there is no order reference to compare.
    assert profile.capabilities == set(Capability) - {Capability.ORDER_REFERENCE, Capability.FRENCH}
    assert profile.cart is not None and all("pattern" in profile.cart[name] for name in ("total", "subtotal", "tax"))
    assert re.search(profile.landing["widget_page"], "/financing/ORD-1A2B3C4D")
    assert re.search(profile.landing["widget_page"], "/credit/APL-1A2B3C4D/financing")


def test_amounts_printed_on_one_line_are_each_read_with_their_pattern(tmp_path: Path, page: Page) -> None:
    page.set_content(ONE_LINE_CART)
    storefront = ProfileStorefront(page, load_profile(_write(tmp_path, ONE_LINE_PROFILE)))

    cart = storefront.cart()

    assert (cart.count, cart.subtotal, cart.tax, cart.shipping, cart.total) == (
        3, Decimal("1469.48"), Decimal("191.03"), Decimal("25.00"), Decimal("1685.51"))
    assert [(line.name, line.quantity, line.price) for line in cart.lines or ()] == [
        ("Desk lamp", 2, Decimal("119.98")), ("Ergonomic chair", 1, Decimal("1349.50"))]


def test_an_amount_pattern_that_matches_nothing_reads_no_amount(tmp_path: Path, page: Page) -> None:
    page.set_content(ONE_LINE_CART.replace("· Total", "· Grand total"))
    storefront = ProfileStorefront(page, load_profile(_write(tmp_path, ONE_LINE_PROFILE)))

    cart = storefront.cart()

    assert cart.total is None and cart.subtotal == Decimal("1469.48")


def test_an_amount_pattern_needs_exactly_one_group(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL + '[cart]\ntotal = { css = "#sums", pattern = "Total \\\\$[0-9.]+" }\n'
                  'tax = { css = "#sums", pattern = "(HST) (\\\\$[0-9.]+)" }\n')

    with pytest.raises(ProfileError) as raised:
        load_profile(path)

    assert "[cart] total.pattern: needs exactly 1 (group)" in str(raised.value)
    assert "[cart] tax.pattern: needs exactly 1 (group)" in str(raised.value)


@pytest.mark.parametrize(("languages", "french"), [("", False), ('languages = ["en", "fr"]', True),
                                                   ('languages = ["en"]', False)])
def test_a_profile_offers_french_only_where_it_lists_it(tmp_path: Path, languages: str, french: bool) -> None:
    text = REFERENCE_PROFILE.read_text(encoding="utf-8").replace('languages = ["en", "fr"]', languages)
    path = tmp_path / "store.toml"
    path.write_text(text, encoding="utf-8")

    assert (Capability.FRENCH in load_profile(path).capabilities) is french


def test_a_profile_naming_an_unknown_language_names_the_key(tmp_path: Path) -> None:
    path = tmp_path / "store.toml"
    text = REFERENCE_PROFILE.read_text(encoding="utf-8")
    path.write_text(text.replace('languages = ["en", "fr"]', 'languages = ["de"]'), encoding="utf-8")

    with pytest.raises(ProfileError, match=r"languages = \['de'\]"):
        load_profile(path)

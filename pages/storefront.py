"""The storefront contract: the few shopper actions the suite needs from any merchant's site.

Two implementations: `ReferenceStorefront` drives the reference store through its page objects, and
`ProfileStorefront` drives any site from a selector profile, a TOML file that maps each action to steps on
locators (role, label and test id first), so a merchant points the suite at their site without writing Python.

A site a profile cannot express gets its own Python class meeting `Storefront`: a `product` attribute (the name of
a product the site sells) and six methods, called in this order: `open_product(product) -> None`,
`add_to_cart() -> None`, `check_out(shopper: Customer) -> None` (shopper details entered),
`cart_total() -> Decimal | None`, `choose_flexiti() -> WidgetHost` (an object with `page` and a `widget`
property returning `FlexitiWidget`; `ProfiledHost(page, steps)` is one) and `order_outcome() -> Outcome`. Return
it from a `storefront` fixture in `e2e/conftest.py`, which overrides the one in fixtures/pages.py (see the README).
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from playwright.sync_api import Locator, Page

from harness.customers import Customer
from harness.evidence import StepLog
from pages.merchant.store import CartPage, CataloguePage, CheckoutPage, PaymentPage, money
from pages.widget.screens import FlexitiWidget

ACTIONS = ("open_product", "add_to_cart", "check_out", "choose_flexiti")
SHOPPER_FIELDS = ("first_name", "last_name", "dob", "postal_code", "email", "phone_number")
PLACEHOLDERS = frozenset({"product", *SHOPPER_FIELDS})
STEP_KINDS = ("goto", "click", "fill", "check", "select", "wait")
LOCATOR_KINDS = ("role", "label", "test_id", "placeholder", "text", "css")


class WidgetHost(Protocol):
    """The merchant page the widget opened in."""

    page: Page

    @property
    def widget(self) -> FlexitiWidget: ...


@dataclass(frozen=True)
class Outcome:
    """Where the store sent the shopper after the widget's result, and what it shows there."""

    url: str
    text: str
    paid: bool
    order_reference: str | None


class Storefront(Protocol):
    """The shopper actions the storefront-level certification tests need."""

    product: str  # what the tests buy: a product the storefront sells, named as the site names it

    def open_product(self, product: str) -> None: ...

    def add_to_cart(self) -> None: ...

    def check_out(self, shopper: Customer) -> None:
        """From the cart to checkout, with the shopper's details entered."""

    def cart_total(self) -> Decimal | None:
        """The total shown at checkout; None where the storefront does not say where it is."""

    def choose_flexiti(self) -> WidgetHost: ...

    def order_outcome(self) -> Outcome:
        """Once the widget has reported: the page the store shows the result on."""


class ReferenceStorefront:
    """The reference store, through its page objects."""

    paid_text = "Paid with Flexiti"
    product = "Desk lamp"

    def __init__(self, page: Page, steps: StepLog | None = None) -> None:
        self.page, self.steps = page, steps
        self._product = ""
        self._catalogue: CataloguePage | None = None
        self._cart: CartPage | None = None
        self._checkout: CheckoutPage | None = None
        self._payment: PaymentPage | None = None

    def open_product(self, product: str) -> None:
        self._product = product
        self._catalogue = CataloguePage(self.page, self.steps).open()

    def add_to_cart(self) -> None:
        assert self._catalogue is not None, "open_product() first"
        self._cart = self._catalogue.add_to_cart(self._product)

    def check_out(self, shopper: Customer) -> None:
        assert self._cart is not None, "add_to_cart() first"
        self._checkout = self._cart.checkout(shopper)

    def cart_total(self) -> Decimal | None:
        assert self._checkout is not None, "check_out() first"
        return self._checkout.totals.total_amount()

    def choose_flexiti(self) -> WidgetHost:
        assert self._checkout is not None, "check_out() first"
        self._payment = self._checkout.pay_with_flexiti()
        return self._payment

    def order_outcome(self) -> Outcome:
        assert self._payment is not None, "choose_flexiti() first"
        order = self._payment.order_outcome()
        text = order.status.inner_text().strip()
        return Outcome(self.page.url, text, text == self.paid_text, order.order_id)


# -- selector profiles ------------------------------------------------------------------------------------------
class ProfileError(ValueError):
    """The selector profile is unreadable or malformed; the message names the file, the action and the step."""


@dataclass(frozen=True)
class Step:
    kind: str
    locator: dict[str, Any] | None
    value: str | None  # the path for goto, the text for fill and select

    def describe(self) -> str:
        return f"{self.kind} {self.locator or self.value}"


@dataclass(frozen=True)
class Profile:
    name: str
    product: str
    path: Path
    actions: dict[str, list[Step]]
    outcome: dict[str, Any]
    paid_text: str
    order_reference: dict[str, Any] = field(default_factory=dict)
    cart_total: dict[str, Any] | None = None


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _check_locator(spec: Any, where: str) -> list[str]:
    if not isinstance(spec, dict):
        return [f"{where}: a locator is a table such as {{ role = \"button\", name = \"Pay\" }}"]
    kinds = [kind for kind in LOCATOR_KINDS if kind in spec]
    if len(kinds) != 1:
        return [f"{where}: give exactly one of {', '.join(LOCATOR_KINDS)} (got {sorted(spec)})"]
    unknown = set(spec) - {*LOCATOR_KINDS, "name", "exact"}
    problems = [f"{where}: unknown locator key(s) {sorted(unknown)}"] if unknown else []
    texts = [str(v) for v in spec.values() if isinstance(v, str)]
    problems += [f"{where}: unknown placeholder {{{name}}} (known: {', '.join(sorted(PLACEHOLDERS))})"
                 for text in texts for name in _placeholders(text) - PLACEHOLDERS]
    return problems


def load_profile(path: Path) -> Profile:
    """Read and check a selector profile; every problem found is listed at once."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ProfileError(f"STOREFRONT_PROFILE: cannot read {path}: {error}") from None
    problems: list[str] = []
    actions: dict[str, list[Step]] = {}
    for action in ACTIONS:
        raw_steps = data.get(action, {}).get("steps") if isinstance(data.get(action), dict) else None
        if not isinstance(raw_steps, list) or not raw_steps:
            problems.append(f"[{action}] needs a non-empty steps = [...] list")
            continue
        actions[action] = []
        for number, raw in enumerate(raw_steps, 1):
            where = f"[{action}] step {number}"
            kinds = [kind for kind in STEP_KINDS if kind in raw] if isinstance(raw, dict) else []
            if len(kinds) != 1:
                problems.append(f"{where}: give exactly one of {', '.join(STEP_KINDS)}")
                continue
            kind = kinds[0]
            if kind == "goto":
                if not isinstance(raw["goto"], str) or not raw["goto"].startswith("/"):
                    problems.append(f"{where}: goto takes a path on the storefront, starting with /")
                actions[action].append(Step(kind, None, str(raw["goto"])))
                continue
            problems += _check_locator(raw[kind], where)
            value = raw.get("value")
            if kind in ("fill", "select") and not isinstance(value, str):
                problems.append(f"{where}: {kind} needs value = \"...\" (placeholders such as {{first_name}} allowed)")
            if isinstance(value, str):
                problems += [f"{where}: unknown placeholder {{{name}}}" for name in _placeholders(value) - PLACEHOLDERS]
            actions[action].append(Step(kind, raw[kind], value if isinstance(value, str) else None))
    outcome = data.get("order_outcome")
    if not isinstance(outcome, dict) or "locator" not in outcome or not isinstance(outcome.get("paid_text"), str):
        problems.append("[order_outcome] needs locator = {...} (where the result is shown) and paid_text = \"...\"")
        outcome = {}
    else:
        problems += _check_locator(outcome["locator"], "[order_outcome] locator")
        reference = outcome.get("reference", {})
        if reference and not (isinstance(reference, dict) and ("url_pattern" in reference) != ("locator" in reference)):
            problems.append("[order_outcome] reference takes either url_pattern = \"regex with one group\" "
                            "or locator = {...}")
        elif "url_pattern" in reference:
            try:
                if re.compile(reference["url_pattern"]).groups != 1:
                    problems.append("[order_outcome] reference.url_pattern needs exactly one (group)")
            except re.error as error:
                problems.append(f"[order_outcome] reference.url_pattern: {error}")
    cart_total = data.get("cart_total")
    if cart_total is not None:
        problems += _check_locator(cart_total.get("locator") if isinstance(cart_total, dict) else None,
                                   "[cart_total] locator")
    if not isinstance(data.get("product"), str) or not data.get("product"):
        problems.append("product = \"...\" is missing: the name of a product the storefront sells, for {product}")
    unknown = set(data) - {"name", "product", *ACTIONS, "order_outcome", "cart_total"}
    if unknown:
        problems.append(f"unknown table(s) {sorted(unknown)}")
    if problems:
        raise ProfileError(f"STOREFRONT_PROFILE {path}:\n  - " + "\n  - ".join(problems))
    return Profile(
        name=str(data.get("name", path.stem)), product=data["product"], path=path, actions=actions, outcome=outcome["locator"],
        paid_text=outcome["paid_text"], order_reference=outcome.get("reference", {}),
        cart_total=cart_total["locator"] if cart_total else None,
    )


@dataclass
class ProfiledHost:
    """The page the widget opened in, for a profile storefront."""

    page: Page
    steps: StepLog | None

    @property
    def widget(self) -> FlexitiWidget:
        return FlexitiWidget(self.page, self.steps)


class ProfileStorefront:
    """Any storefront, driven by the steps of a selector profile."""

    def __init__(self, page: Page, profile: Profile, steps: StepLog | None = None) -> None:
        self.page, self.profile, self.steps = page, profile, steps
        self.product = profile.product
        self.values: dict[str, str] = {}

    def open_product(self, product: str) -> None:
        self.values["product"] = product
        self._run("open_product")

    def add_to_cart(self) -> None:
        self._run("add_to_cart")

    def check_out(self, shopper: Customer) -> None:
        self.values.update({name: str(getattr(shopper, name)) for name in SHOPPER_FIELDS})
        self._run("check_out")

    def cart_total(self) -> Decimal | None:
        if self.profile.cart_total is None:
            return None
        return money(self._locate(self.profile.cart_total).inner_text())

    def choose_flexiti(self) -> WidgetHost:
        self._run("choose_flexiti")
        return ProfiledHost(self.page, self.steps)

    def order_outcome(self) -> Outcome:
        shown = self._locate(self.profile.outcome)
        shown.wait_for()
        if self.steps is not None:
            self.steps.capture(self.page, "order outcome")
        text = shown.inner_text().strip()
        return Outcome(self.page.url, text, self.profile.paid_text in text, self._reference())

    def _reference(self) -> str | None:
        spec = self.profile.order_reference
        if "url_pattern" in spec:
            match = re.search(spec["url_pattern"], self.page.url)
            return match.group(1) if match else None
        if "locator" in spec:
            return self._locate(spec["locator"]).inner_text().strip()
        return None

    def _run(self, action: str) -> None:
        for number, step in enumerate(self.profile.actions[action], 1):
            try:
                self._do(step)
            except Exception as error:
                # Say which profile line to look at; the Playwright error says what the page looked like.
                raise AssertionError(f"{self.profile.path.name} [{action}] step {number} ({step.describe()}): "
                                     f"{str(error).strip().splitlines()[0] if str(error).strip() else error!r}"
                                     ) from error
        if self.steps is not None:
            self.steps.capture(self.page, action.replace("_", " "))

    def _do(self, step: Step) -> None:
        if step.kind == "goto":
            self.page.goto(self._fill_in(step.value or "/"))
            return
        assert step.locator is not None
        target = self._locate(step.locator)
        if step.kind == "click":
            target.click()
        elif step.kind == "fill":
            target.fill(self._fill_in(step.value or ""))
        elif step.kind == "check":
            target.check()
        elif step.kind == "select":
            target.select_option(self._fill_in(step.value or ""))
        else:
            target.wait_for()

    def _fill_in(self, text: str) -> str:
        return text.format_map(self.values)

    def _locate(self, spec: dict[str, Any]) -> Locator:
        name = self._fill_in(spec["name"]) if isinstance(spec.get("name"), str) else None
        exact = bool(spec.get("exact", False))
        if "role" in spec:
            return self.page.get_by_role(spec["role"], name=name, exact=exact).first
        if "label" in spec:
            return self.page.get_by_label(self._fill_in(spec["label"]), exact=exact).first
        if "test_id" in spec:
            return self.page.get_by_test_id(self._fill_in(spec["test_id"])).first
        if "placeholder" in spec:
            return self.page.get_by_placeholder(self._fill_in(spec["placeholder"]), exact=exact).first
        if "text" in spec:
            return self.page.get_by_text(self._fill_in(spec["text"]), exact=exact).first
        return self.page.locator(self._fill_in(spec["css"])).first

"""The selector-profile adapter: any merchant's site, described in a TOML file instead of Python.

A profile names the steps of each shopper action (goto, click, fill, check, select, wait on locators: role, label
and test id first) and where the site shows what the suite reads: the cart, where the shopper landed, the notice,
the paid state, the order reference. storefronts/reference-store.toml describes the reference store completely and
documents every table. A table the profile leaves out makes the items that need it "not observable", with a reason
naming the table to add; a step that matches nothing on the site is a ProfileError (a harness error), never a
failed checklist item.
"""

from __future__ import annotations

import re
import string
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from harness.customers import Applicant, Customer
from harness.errors import HarnessError, ProfileError, raise_if_browser_fault
from harness.evidence import StepLog
from harness.landing import Capability, CartLine, CartState, Landing, Where
from harness.proof import NotApplicable, NotObservable
from pages.storefront import WidgetHost, without_query
from pages.widget import locators

SHOPPER_FIELDS = ("first_name", "last_name", "dob", "postal_code", "email", "phone_number")
# Placeholders of check_out besides the shopper's own fields: the shopper's first Flexiti account number ("" for
# a shopper without one), for a store whose checkout asks for it.
SHOPPER_EXTRAS = ("account_number",)
APPLICANT_FIELDS = ("first_name", "middle_name", "last_name", "dob", "postal_code", "email", "phone_number",
                    "address_1", "city", "province", "account_type")
# Each action's table, and the placeholders its steps may use.
ACTIONS: dict[str, frozenset[str]] = {
    "add_to_cart": frozenset({"product"}),
    "check_out": frozenset((*SHOPPER_FIELDS, *SHOPPER_EXTRAS)),
    "choose_flexiti": frozenset(),
}
OPTIONAL_ACTIONS: dict[str, frozenset[str]] = {"apply": frozenset(APPLICANT_FIELDS)}
STEP_KINDS = ("goto", "click", "fill", "check", "select", "wait")
LOCATOR_KINDS = ("role", "label", "test_id", "placeholder", "text", "css")
LOCATOR_OPTIONS = ("name", "exact", "level")
AMOUNTS = ("total", "subtotal", "tax", "shipping")
# Marks the document the shopper chose Flexiti from: a document without it is the store's answer.
CHOSEN_MARK = "data-flexiti-harness-chosen"


@dataclass(frozen=True)
class Step:
    kind: str
    locator: dict[str, Any] | None
    value: str | None  # the path for goto, the text for fill and select

    def describe(self) -> str:
        return f"{self.kind} {self.locator or self.value}"


@dataclass(frozen=True)
class Profile:
    """A checked selector profile."""

    name: str
    path: Path
    products: tuple[str, ...]
    actions: dict[str, list[Step]]
    where: dict[str, dict[str, Any]]  # Where value -> { url_pattern } or a locator
    landing: dict[str, Any] = field(default_factory=dict)  # notice, paid, order_reference
    cart: dict[str, Any] | None = None
    languages: tuple[str, ...] = ("en",)  # the languages the store serves a shopper in (its choice)

    @property
    def capabilities(self) -> frozenset[Capability]:
        found = set()
        if "fr" in self.languages:
            found.add(Capability.FRENCH)
        if self.cart is not None and ("count" in self.cart or "total" in self.cart):
            found.add(Capability.CART)
        if self.cart is not None and "lines" in self.cart and all(a in self.cart for a in AMOUNTS):
            found.add(Capability.CART_LINES)
        if "order_reference" in self.landing:
            found.add(Capability.ORDER_REFERENCE)
        if "apply" in self.actions:
            found.add(Capability.APPLICATION)
        return frozenset(found)


# -- reading and checking a profile -----------------------------------------------------------------------------
def _placeholders(text: str) -> set[str]:
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}
    except ValueError:
        return {"{"}


def _check_locator(spec: Any, where: str, allowed: frozenset[str] = frozenset(), extra: tuple[str, ...] = ()
                   ) -> list[str]:
    if not isinstance(spec, dict):
        return [f"{where}: a locator is a table such as {{ role = \"button\", name = \"Pay\" }}"]
    kinds = [kind for kind in LOCATOR_KINDS if kind in spec]
    if len(kinds) != 1:
        return [f"{where}: give exactly one of {', '.join(LOCATOR_KINDS)} (got {sorted(spec)})"]
    unknown = set(spec) - {*LOCATOR_KINDS, *LOCATOR_OPTIONS, *extra}
    problems = [f"{where}: unknown locator key(s) {sorted(unknown)}"] if unknown else []
    for key in (kinds[0], "name"):
        if isinstance(spec.get(key), str):
            problems += [f"{where}: unknown placeholder {{{name}}}"
                         + (f" (here: {', '.join(sorted(allowed))})" if allowed else " (none here)")
                         for name in sorted(_placeholders(spec[key]) - allowed)]
    return problems


def _check_pattern(pattern: Any, where: str, groups: int | None = None) -> list[str]:
    if not isinstance(pattern, str):
        return [f"{where}: a regular expression string"]
    try:
        compiled = re.compile(pattern)
    except re.error as error:
        return [f"{where}: {error}"]
    if groups is not None and compiled.groups != groups:
        return [f"{where}: needs exactly {groups} (group)"]
    return []


def _steps(table: str, raw_steps: Any, allowed: frozenset[str], problems: list[str]) -> list[Step]:
    if not isinstance(raw_steps, list) or not raw_steps:
        problems.append(f"[{table}] needs a non-empty steps = [...] list")
        return []
    steps = []
    for number, raw in enumerate(raw_steps, 1):
        where = f"[{table}] step {number}"
        kinds = [kind for kind in STEP_KINDS if kind in raw] if isinstance(raw, dict) else []
        if len(kinds) != 1:
            problems.append(f"{where}: give exactly one of {', '.join(STEP_KINDS)}")
            continue
        kind = kinds[0]
        if kind == "goto":
            if not isinstance(raw["goto"], str) or not raw["goto"].startswith("/"):
                problems.append(f"{where}: goto takes a path on the storefront, starting with /")
            steps.append(Step(kind, None, str(raw["goto"])))
            continue
        problems += _check_locator(raw[kind], where, allowed)
        value = raw.get("value")
        if kind in ("fill", "select") and not isinstance(value, str):
            problems.append(f"{where}: {kind} needs value = \"...\" (placeholders such as {{first_name}} allowed)")
        if isinstance(value, str):
            problems += [f"{where}: unknown placeholder {{{name}}}" for name in sorted(_placeholders(value) - allowed)]
        steps.append(Step(kind, raw[kind], value if isinstance(value, str) else None))
    return steps


def _check_cart(cart: object, problems: list[str]) -> dict[str, Any] | None:
    if cart is None:
        return None
    if not isinstance(cart, dict):
        problems.append("[cart] must be a table")
        return None
    if "count" not in cart and "total" not in cart:
        problems.append("[cart] needs count = { locator..., pattern = \"...\" } or total = { locator } (or both)")
    unknown = set(cart) - {"steps", "count", "empty", "lines", *AMOUNTS}
    if unknown:
        problems.append(f"[cart] unknown key(s) {sorted(unknown)}")
    if "steps" in cart:
        cart = {**cart, "steps": _steps("cart", cart["steps"], frozenset(), problems)}
    if "count" in cart:
        problems += _check_locator(cart["count"], "[cart] count", extra=("pattern",))
        if isinstance(cart["count"], dict) and "pattern" in cart["count"]:
            problems += _check_pattern(cart["count"]["pattern"], "[cart] count.pattern", groups=1)
    for name in AMOUNTS:
        # An amount printed inside a line of text ("Subtotal $84.99 · Total $96.04") is read with a pattern.
        if name in cart:
            problems += _check_locator(cart[name], f"[cart] {name}", extra=("pattern",))
            if isinstance(cart[name], dict) and "pattern" in cart[name]:
                problems += _check_pattern(cart[name]["pattern"], f"[cart] {name}.pattern", groups=1)
    if "empty" in cart:
        problems += _check_locator(cart["empty"], "[cart] empty")
    lines = cart.get("lines")
    if lines is not None:
        if not isinstance(lines, dict) or "rows" not in lines:
            problems.append("[cart] lines = { rows = { locator of each line }, name = 1, quantity = 2, price = 3 }")
        else:
            problems += _check_locator(lines["rows"], "[cart] lines.rows")
            problems += [f"[cart] lines.{column} is the column number (1 = first cell) of the line's {column}"
                         for column in ("name", "quantity", "price")
                         if not isinstance(lines.get(column), int) or isinstance(lines.get(column), bool)
                         or lines[column] < 1]
    return cart


def _check_landing(landing: Any, problems: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    if not isinstance(landing, dict) or not isinstance(landing.get("where"), dict) or not landing["where"]:
        problems.append("[landing.where] is missing: say how each place is recognised, e.g. "
                        "checkout = { url_pattern = \"/checkout$\" } or order = { test_id = \"order-status\" }")
        return {}, {}
    where: dict[str, dict[str, Any]] = {}
    places = [place.value for place in Where if place is not Where.ELSEWHERE]
    for place, spec in landing["where"].items():
        at = f"[landing.where] {place}"
        if place not in places:
            problems.append(f"{at}: not one of {', '.join(places)} (anything else is 'elsewhere')")
        elif isinstance(spec, dict) and "url_pattern" in spec:
            problems += _check_pattern(spec["url_pattern"], f"{at} url_pattern")
            if set(spec) != {"url_pattern"}:
                problems.append(f"{at}: give url_pattern or a locator, not both")
        else:
            problems += _check_locator(spec, at)
        where[place] = spec
    for place in (Where.CHECKOUT, Where.ORDER):
        if place.value not in where:
            problems.append(f"[landing.where] {place.value} is missing: every purchase lands at checkout or an order")
    extras: dict[str, Any] = {}
    unknown = set(landing) - {"where", "notice", "paid", "order_reference", "widget_page"}
    if unknown:
        problems.append(f"[landing] unknown key(s) {sorted(unknown)}")
    if "widget_page" in landing:
        problems += _check_pattern(landing["widget_page"], "[landing] widget_page")
        extras["widget_page"] = landing["widget_page"]
    if "notice" in landing:
        problems += _check_locator(landing["notice"], "[landing] notice")
        extras["notice"] = landing["notice"]
    if "paid" in landing:
        paid = landing["paid"]
        problems += _check_locator(paid, "[landing] paid", extra=("says",))
        if isinstance(paid, dict) and not isinstance(paid.get("says"), str):
            problems.append("[landing] paid needs says = \"...\": what the located element says for a paid order")
        extras["paid"] = paid
    if "order_reference" in landing:
        reference = landing["order_reference"]
        if isinstance(reference, dict) and "url_pattern" in reference:
            problems += _check_pattern(reference["url_pattern"], "[landing] order_reference.url_pattern", groups=1)
        else:
            problems += _check_locator(reference, "[landing] order_reference")
        extras["order_reference"] = reference
    return where, extras


def load_profile(path: Path) -> Profile:
    """Read and check a selector profile; every problem found is listed at once."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise ProfileError(f"STOREFRONT_PROFILE: cannot read {path}: {error}") from None
    problems: list[str] = []
    products = data.get("products")
    if not isinstance(products, list) or not products or not all(isinstance(p, str) and p for p in products):
        problems.append("products = [\"...\"] is missing: names of products the storefront sells (the first is the "
                        "default buy; list a pricier one too, for the credit-exceeded check)")
        products = []
    actions: dict[str, list[Step]] = {}
    for table, allowed in {**ACTIONS, **OPTIONAL_ACTIONS}.items():
        raw = data.get(table)
        if raw is None and table in OPTIONAL_ACTIONS:
            continue
        actions[table] = _steps(table, raw.get("steps") if isinstance(raw, dict) else None, allowed, problems)
    languages = data.get("languages", ["en"])
    if not isinstance(languages, list) or not languages or not set(languages) <= {"en", "fr"}:
        problems.append(f"languages = {languages!r}: list the languages the store serves its shoppers in, from "
                        "\"en\" and \"fr\" (e.g. languages = [\"en\", \"fr\"]); English only when left out")
        languages = ["en"]
    cart = _check_cart(data.get("cart"), problems)
    where, landing = _check_landing(data.get("landing"), problems)
    unknown = set(data) - {"name", "products", "languages", *ACTIONS, *OPTIONAL_ACTIONS, "cart", "landing"}
    if unknown:
        problems.append(f"unknown table(s) {sorted(unknown)} (a profile written for an older harness? see "
                        "storefronts/reference-store.toml)")
    if problems:
        raise ProfileError(f"STOREFRONT_PROFILE {path}:\n  - " + "\n  - ".join(problems))
    return Profile(name=str(data.get("name", path.stem)), path=path, products=tuple(products), actions=actions,
                   where=where, landing=landing, cart=cart, languages=tuple(languages))


# -- driving a site from a profile -------------------------------------------------------------------------------
HOW_TO_ADD = {
    Capability.CART: "[cart] (steps to reach the cart, and count and/or total locators)",
    Capability.CART_LINES: "[cart] lines, subtotal, tax and shipping",
    Capability.ORDER_REFERENCE: "[landing] order_reference (a url_pattern with one group, or a locator)",
    Capability.APPLICATION: "[apply] (the steps that fill the store's Flexiti application form and submit it)",
    Capability.FRENCH: "languages = [\"en\", \"fr\"] (only if the store serves French shoppers in French)",
}


def _money(text: str) -> Decimal | None:
    try:
        return Decimal(re.sub(r"[^0-9.\-]", "", text))
    except InvalidOperation:
        return None


class ProfileStorefront:
    """Any storefront, driven by the steps of a selector profile."""

    def __init__(self, page: Page, profile: Profile, steps: StepLog | None = None) -> None:
        self.page, self.profile, self.steps = page, profile, steps
        self.products = profile.products
        self.capabilities = profile.capabilities
        self.values: dict[str, str] = {}
        self._chose = False

    def missing(self, capability: Capability) -> str:
        if capability is Capability.APPLICATION:
            return (f"the storefront profile {self.profile.path.name} has no [apply] table, so the store takes no "
                    f"Flexiti credit applications; if it does, add {HOW_TO_ADD[capability]}")
        return (f"the storefront profile {self.profile.path.name} does not describe it: add "
                f"{HOW_TO_ADD[capability]} to make it observable")

    def fill_cart(self, products: Sequence[str]) -> CartState:
        for product in products:
            self.values["product"] = product
            self._run("add_to_cart")
        return self._cart_or_unseen()

    def check_out(self, shopper: Customer) -> CartState:
        shown = self._cart_or_unseen()  # [cart] steps may navigate, so read the cart before checking out
        self.values.update({name: str(getattr(shopper, name)) for name in SHOPPER_FIELDS})
        self.values["account_number"] = str(shopper.accounts[0].account_number) if shopper.accounts else ""
        self._run("check_out")
        return shown

    def choose_flexiti(self) -> WidgetHost:
        return self._open_by("choose_flexiti")

    def choose_flexiti_twice(self) -> WidgetHost:
        return self._open_by("choose_flexiti", twice=True)

    def reload(self) -> WidgetHost:
        self.page.reload()
        return WidgetHost(self.page, self.steps)

    def landing(self) -> Landing:
        if not self._chose:
            raise HarnessError("storefront contract misuse: landing() before choose_flexiti() or apply()")
        # The store has acted once the widget is gone: it navigated away, or closed the dialog that held it.
        try:
            locators.frame_element(self.page).wait_for(state="hidden")
        except PlaywrightTimeout:
            raise AssertionError(f"the store did not act on the widget's report: the widget is still shown at "
                                 f"{self.page.url}") from None
        if "widget_page" in self.profile.landing:
            # A page that opens the widget from its own script may send the shopper away before the widget ever
            # showed: the store has acted once the shopper is off that page.
            hosting = re.compile(self.profile.landing["widget_page"])
            try:
                self.page.wait_for_url(lambda url: hosting.search(without_query(url)) is None)
            except PlaywrightTimeout:
                raise AssertionError(f"the store did not act on the widget's report: the shopper is still on the "
                                     f"widget's page {self.page.url}") from None
        self.page.wait_for_load_state()
        if self.steps is not None:
            self.steps.capture(self.page, "landing")
        url, unseen = self.page.url, {}
        where = self._where(url)
        notice = None
        if "notice" in self.profile.landing:
            said = [t.strip() for t in self._locate(self.profile.landing["notice"], many=True).all_inner_texts()]
            notice = " ".join(t for t in said if t) or None
        else:
            unseen["notice"] = self._needs("[landing] notice = { locator of the store's message to the shopper }")
        paid: bool | None = None
        if "paid" in self.profile.landing:
            spec = self.profile.landing["paid"]
            paid = any(spec["says"] in text for text in self._locate(spec, many=True).all_inner_texts())
        else:
            unseen["paid"] = self._needs("[landing] paid = { locator..., says = \"what a paid order says\" }")
        reference = None
        if "order_reference" in self.profile.landing:
            reference = self._reference(self.profile.landing["order_reference"], url) if where is Where.ORDER else None
        else:
            unseen["order_reference"] = self.missing(Capability.ORDER_REFERENCE)
        return Landing(where, url, notice, paid, reference, unseen=unseen)

    def cart(self) -> CartState:
        if self.profile.cart is None:
            raise NotObservable(self.missing(Capability.CART))
        return self._read_cart()

    def apply(self, applicant: Applicant) -> WidgetHost:
        if "apply" not in self.profile.actions:
            raise NotApplicable(self.missing(Capability.APPLICATION))
        self.values.update({name: str(getattr(applicant, name)) for name in APPLICANT_FIELDS})
        return self._open_by("apply")

    # -- helpers ----------------------------------------------------------------------------------------------
    def _needs(self, what: str) -> str:
        return f"the storefront profile {self.profile.path.name} does not say where the site shows it: add {what}"

    def _open_by(self, action: str, twice: bool = False) -> WidgetHost:
        """Run the action's steps, then wait for the store's answer: the widget on this page (a dialog), or a new
        document (the widget's page, or checkout showing an error)."""
        self.page.evaluate(f"document.documentElement.setAttribute('{CHOSEN_MARK}', '')")
        self._run(action, twice=twice)
        answered = locators.frame_element(self.page).or_(self.page.locator(f"html:not([{CHOSEN_MARK}])"))
        answered.first.wait_for(state="attached")
        self._chose = True
        return WidgetHost(self.page, self.steps)

    def _where(self, url: str) -> Where:
        for place, spec in self.profile.where.items():
            if "url_pattern" in spec:
                if re.search(spec["url_pattern"], without_query(url)):  # /checkout?error=… is still the checkout
                    return Where(place)
            elif self._locate(spec, many=True).count() and self._locate(spec).is_visible():
                return Where(place)
        return Where.ELSEWHERE

    def _reference(self, spec: dict[str, Any], url: str) -> str | None:
        if "url_pattern" in spec:
            match = re.search(spec["url_pattern"], url)
            return match.group(1) if match else None
        texts = self._locate(spec, many=True).all_inner_texts()
        return texts[0].strip() if texts else None

    def _cart_or_unseen(self) -> CartState:
        if self.profile.cart is None:
            why = self.missing(Capability.CART)
            return CartState(None, None, unseen={name: why for name in ("count", "total", "lines", *AMOUNTS)})
        return self._read_cart()

    def _read_cart(self) -> CartState:
        cart = self.profile.cart
        assert cart is not None
        if cart.get("steps"):
            self._run("cart", steps=cart["steps"])
        unseen = {name: self.missing(Capability.CART_LINES) for name in ("lines", "subtotal", "tax", "shipping")
                  if name not in cart}
        if "total" not in cart:
            unseen["total"] = self._needs("total = { locator } to [cart]")
        if "count" not in cart:
            unseen["count"] = self._needs("count = { locator, pattern } to [cart]")
        if "empty" in cart and self._locate(cart["empty"], many=True).count():
            return CartState(0, None, () if "lines" in cart else None, unseen=unseen)
        count = None
        if "count" in cart:
            said = self._read(cart["count"], r"(\d+)")
            count = int(said) if said is not None else None
        amounts = {}
        for name in AMOUNTS:
            if name in cart:
                said = self._read(cart[name], r"(.*)")
                amounts[name] = _money(said) if said is not None else None
        lines = None
        if "lines" in cart:
            spec = cart["lines"]
            found = []
            for row in self._locate(spec["rows"], many=True).all():
                cells = row.locator("td, th").all_inner_texts()
                try:
                    found.append(CartLine(cells[spec["name"] - 1].strip(), int(cells[spec["quantity"] - 1]),
                                          _money(cells[spec["price"] - 1]) or Decimal(0)))
                except (IndexError, ValueError) as error:
                    raise ProfileError(f"{self.profile.path.name} [cart] lines: a row's cells {cells} do not fit "
                                       f"name/quantity/price columns {spec['name']}/{spec['quantity']}/"
                                       f"{spec['price']} ({error})") from None
            lines = tuple(found)
        return CartState(count, amounts.get("total"), lines, amounts.get("subtotal"), amounts.get("tax"),
                         amounts.get("shipping"), unseen=unseen)

    def _read(self, spec: dict[str, Any], default_pattern: str) -> str | None:
        """The text of the first element `spec` locates, or the part its `pattern`'s group picks out of it; None
        where the page shows no such element or the pattern does not match."""
        texts = self._locate(spec, many=True).all_inner_texts()
        if not texts:
            return None
        match = re.search(spec.get("pattern", default_pattern), texts[0], flags=re.DOTALL)
        return match.group(1) if match else None

    def _run(self, action: str, twice: bool = False, steps: list[Step] | None = None) -> None:
        planned = steps if steps is not None else self.profile.actions[action]
        for number, step in enumerate(planned, 1):
            try:
                self._do(step, double=twice and number == len(planned))
            except PlaywrightError as error:
                raise_if_browser_fault(error)  # not the profile's fault either
                # Say which profile line to look at; the Playwright error says what the page looked like.
                first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
                raise ProfileError(f"{self.profile.path.name} [{action}] step {number} ({step.describe()}) at "
                                   f"{self.page.url}: {first}") from error
        if self.steps is not None:
            self.steps.capture(self.page, action.replace("_", " "))

    def _do(self, step: Step, double: bool = False) -> None:
        if step.kind == "goto":
            self.page.goto(self._fill_in(step.value or "/"))
            return
        assert step.locator is not None
        target = self._locate(step.locator)
        if step.kind == "click":
            target.dblclick() if double else target.click()
        elif step.kind == "fill":
            target.fill(self._fill_in(step.value or ""))
        elif step.kind == "check":
            target.check()
        elif step.kind == "select":
            target.select_option(self._fill_in(step.value or ""))
        else:
            target.wait_for()

    def _fill_in(self, text: str) -> str:
        try:
            return text.format_map(self.values)
        except KeyError as error:
            raise HarnessError(f"storefront contract misuse: {{{error.args[0]}}} has no value yet "
                               f"({self.profile.path.name}); wrong order of actions?") from None

    def _locate(self, spec: dict[str, Any], many: bool = False) -> Locator:
        name = self._fill_in(spec["name"]) if isinstance(spec.get("name"), str) else None
        exact = bool(spec.get("exact", False))
        if "role" in spec:
            options: dict[str, Any] = {"name": name, "exact": exact}
            if "level" in spec:
                options["level"] = spec["level"]
            found = self.page.get_by_role(spec["role"], **options)
        elif "label" in spec:
            found = self.page.get_by_label(self._fill_in(spec["label"]), exact=exact)
        elif "test_id" in spec:
            found = self.page.get_by_test_id(self._fill_in(spec["test_id"]))
        elif "placeholder" in spec:
            found = self.page.get_by_placeholder(self._fill_in(spec["placeholder"]), exact=exact)
        elif "text" in spec:
            found = self.page.get_by_text(self._fill_in(spec["text"]), exact=exact)
        else:
            found = self.page.locator(self._fill_in(spec["css"]))
        return found if many else found.first

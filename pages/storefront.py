"""The storefront contract: everything the certification suite asks of a merchant's site, and nothing of how the
site is built.

Every e2e test reaches the store through a `Storefront`. Three adapters meet it: the reference store's page objects
(pages/merchant/storefront.py), a selector profile (pages/profile.py, a TOML file naming locators and steps), and a
merchant's own Python class, named by STOREFRONT_CLASS = "module:Class" or returned from an overriding `storefront`
fixture. A merchant's class needs only the members below; `WidgetHost(page)` is all it returns from the three
methods that open the widget.

Results are values (harness/landing.py): `CartState` and `Landing`, where None means "this site does not show it".
A capability the site lacks is left out of `capabilities`; `missing(capability)` says what would add it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, cast, runtime_checkable
from urllib.parse import urlsplit

from playwright.sync_api import Page

from harness.customers import Applicant, Customer
from harness.errors import HarnessError
from harness.evidence import StepLog
from harness.landing import Capability, CartLine, CartState, Landing, Where
from pages.widget.screens import FlexitiWidget

__all__ = ["Capability", "CartLine", "CartState", "Landing", "Storefront", "StorefrontClassError", "Where",
           "WidgetHost", "load_storefront_class"]


@dataclass
class WidgetHost:
    """The merchant page the widget opened in (the widget itself is found by its origin)."""

    page: Page
    steps: StepLog | None = None

    @property
    def widget(self) -> FlexitiWidget:
        return FlexitiWidget(self.page, self.steps)


@runtime_checkable
class Storefront(Protocol):
    """The shopper's actions on a merchant's site, and what the site shows back."""

    capabilities: frozenset[Capability]

    @property  # read-only here, so an adapter may hold its products in a tuple
    def products(self) -> Sequence[str]:
        """Products the site sells, as it names them; the first is the suite's default buy."""

    def fill_cart(self, products: Sequence[str]) -> CartState:
        """Put each of `products` in the cart (a name twice: two of it); the cart as the site then shows it."""

    def check_out(self, shopper: Customer) -> CartState:
        """From wherever the shopper is, to checkout with their details entered, Flexiti not yet chosen."""

    def choose_flexiti(self) -> WidgetHost:
        """Pay with Flexiti, once the store has answered (the widget's page, or checkout with an error)."""

    def choose_flexiti_twice(self) -> WidgetHost:
        """An impatient double-click on the control that chooses Flexiti."""

    def reload(self) -> WidgetHost:
        """Reload the page the widget is open in."""

    def landing(self) -> Landing:
        """Once the widget has reported (or the store could not open it): where the store put the shopper."""

    def cart(self) -> CartState:
        """The cart as the store shows it now (this may navigate to the cart)."""

    def apply(self, applicant: Applicant) -> WidgetHost:
        """Apply for Flexiti credit through the store's form (capability `application`)."""

    def missing(self, capability: Capability) -> str:
        """Why the site lacks `capability`, and what would add it (only asked for one it lacks)."""


class StorefrontClassError(HarnessError):
    """STOREFRONT_CLASS does not name an importable class; the message says which part is wrong."""


def load_storefront_class(spec: str) -> Callable[..., Storefront]:
    """`package.module:ClassName` -> the class, called later as `Class(page, steps)`."""
    module_name, _, class_name = spec.partition(":")
    if not module_name or not class_name:
        raise StorefrontClassError(f"STOREFRONT_CLASS = {spec!r}: write it as package.module:ClassName")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise StorefrontClassError(f"STOREFRONT_CLASS = {spec!r}: cannot import {module_name}: {error}") from None
    found = getattr(module, class_name, None)
    if not isinstance(found, type):
        raise StorefrontClassError(f"STOREFRONT_CLASS = {spec!r}: {module_name} has no class {class_name}")
    absent = [name for name in ("fill_cart", "check_out", "choose_flexiti",
                                "choose_flexiti_twice", "reload", "landing", "cart", "apply")
              if not hasattr(found, name)]
    if absent:
        raise StorefrontClassError(f"STOREFRONT_CLASS = {spec!r}: {class_name} lacks {', '.join(absent)} "
                                   "(see the Storefront contract in pages/storefront.py)")
    # Checked for the contract's methods above, not their signatures: the class is taken at its word.
    return cast("Callable[..., Storefront]", found)


def without_query(url: str) -> str:
    """The URL without its query and fragment: where the shopper is, whatever the page was told (?error=…)."""
    return urlsplit(url)._replace(query="", fragment="").geturl()

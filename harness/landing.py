"""What a storefront shows the shopper, as values: the cart, and where the store sent the shopper after the widget.

These are the storefront contract's result types (pages/storefront.py produces them, tests and harness/verdicts.py
judge them). A field a site does not show is None, and `unseen` says what to configure to make it observable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from harness.proof import NotObservable


class Where(StrEnum):
    """Where the store sent the shopper once the widget reported (or once it could not open the widget)."""

    CHECKOUT = "checkout"
    CART = "cart"
    ORDER = "order"  # the order's own page: paid, declined or not paid
    APPLY_FORM = "apply_form"
    DECISION = "decision"  # the store's page for a credit application's outcome
    ELSEWHERE = "elsewhere"


class Capability(StrEnum):
    """What a storefront may or may not offer the suite; each names the items that need it."""

    CART = "cart"  # the cart can be read (count and/or total): EVT-04/05, INIT-04, RES-01, TXN-02, EVT-09
    CART_LINES = "cart_lines"  # the cart's lines and subtotal, tax, shipping: TXN-01
    ORDER_REFERENCE = "order_reference"  # the order id the store sends as the authorization's reference: EVT-02
    APPLICATION = "application"  # a Flexiti credit application form: INIT-02, EVT-07, EVT-08
    # The store serves French shoppers in French (which language a store offers is its choice): the French tests.
    FRENCH = "french"


@dataclass(frozen=True)
class CartLine:
    name: str
    quantity: int
    price: Decimal  # the line's extended price


def _unseen(unseen: dict[str, str], name: str, value: Any) -> Any:
    if value is None and name in unseen:
        raise NotObservable(unseen[name])
    return value


@dataclass(frozen=True)
class CartState:
    """The cart as the store shows it: how many items, the total, and (where shown) lines and amounts."""

    count: int | None
    total: Decimal | None
    lines: tuple[CartLine, ...] | None = None
    subtotal: Decimal | None = None
    tax: Decimal | None = None
    shipping: Decimal | None = None
    unseen: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def shown(self, name: str) -> Any:
        """The field's value; not observable (with what to configure) where the site does not show it."""
        return _unseen(self.unseen, name, getattr(self, name))


@dataclass(frozen=True)
class Landing:
    """Where the shopper landed and what the store shows there."""

    where: Where
    url: str
    notice: str | None  # what the store tells the shopper there (a message, an error, a decision); None: nothing
    paid: bool | None  # the store says the order is paid
    order_reference: str | None = None
    unseen: dict[str, str] = field(default_factory=dict, compare=False, hash=False, repr=False)

    def shown(self, name: str) -> Any:
        """The field's value; not observable (with what to configure) where the site does not show it."""
        return _unseen(self.unseen, name, getattr(self, name))

    def describe(self) -> str:
        paid = {True: "paid", False: "not paid", None: "paid or not unknown"}[self.paid]
        return f"{self.where.value} ({self.url}), {paid}, notice {self.notice!r}"

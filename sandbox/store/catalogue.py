"""What the reference store sells, and how it prices a cart (Ontario HST, flat shipping)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

HST_RATE = Decimal("0.13")
SHIPPING = Decimal("25.00")
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal


PRODUCTS = {
    product.sku: product
    for product in (
        Product("DESK-01", "Maple standing desk", Decimal("899.00")),
        Product("CHAIR-02", "Ergonomic chair", Decimal("349.50")),
        Product("LAMP-03", "Desk lamp", Decimal("59.99")),
    )
}


@dataclass(frozen=True)
class Line:
    product: Product
    quantity: int

    @property
    def extended(self) -> Decimal:
        return (self.product.price * self.quantity).quantize(CENT)


@dataclass(frozen=True)
class Totals:
    subtotal: Decimal
    hst: Decimal
    shipping: Decimal

    @property
    def total(self) -> Decimal:
        return self.subtotal + self.hst + self.shipping


def lines_of(cart: dict[str, int]) -> list[Line]:
    return [Line(PRODUCTS[sku], quantity) for sku, quantity in cart.items() if sku in PRODUCTS and quantity > 0]


def totals_of(lines: list[Line]) -> Totals:
    subtotal = sum((line.extended for line in lines), Decimal("0.00"))
    hst = (subtotal * HST_RATE).quantize(CENT, rounding=ROUND_HALF_UP)
    return Totals(subtotal, hst, SHIPPING if lines else Decimal("0.00"))

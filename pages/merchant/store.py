"""The reference store's pages: catalogue, cart, checkout, Flexiti payment and the order outcome."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import ClassVar, Self

from playwright.sync_api import Locator, Page

from harness.customers import Customer
from pages.widget.screens import FlexitiWidget


def money(text: str) -> Decimal:
    """"$1,234.50" -> Decimal("1234.50")."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


class StorePage:
    """A page of the store; `open()` navigates relative to the storefront URL and waits to arrive."""

    path: ClassVar[str] = "/"

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("notice")

    def open(self) -> Self:
        self.page.goto(self.path)
        return self.wait_until_loaded()

    def wait_until_loaded(self) -> Self:
        self.heading.wait_for()
        return self


class CataloguePage(StorePage):
    path = "/"

    def wait_until_loaded(self) -> Self:
        self.page.get_by_role("heading", name="Catalogue").wait_for()
        return self

    def add_to_cart(self, product_name: str) -> CartPage:
        self.page.get_by_role("button", name=f"Add {product_name} to cart").click()
        return CartPage(self.page).wait_until_loaded()


class Totals:
    """The subtotal, tax, shipping and total shown with a cart or an order."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def total(self) -> Locator:
        return self.page.get_by_test_id("total")

    def total_amount(self) -> Decimal:
        return money(self.total.inner_text())


class CartPage(StorePage):
    path = "/cart"

    @property
    def totals(self) -> Totals:
        return Totals(self.page)

    def wait_until_loaded(self) -> Self:
        self.page.get_by_role("heading", name="Your cart").wait_for()
        return self

    def checkout(self, shopper: Customer) -> CheckoutPage:
        self.page.get_by_role("link", name="Checkout").click()
        return CheckoutPage(self.page).wait_until_loaded().enter_details(shopper)


class CheckoutPage(StorePage):
    path = "/checkout"

    @property
    def totals(self) -> Totals:
        return Totals(self.page)

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("checkout-error")

    def wait_until_loaded(self) -> Self:
        self.page.get_by_role("heading", name="Checkout").wait_for()
        return self

    def enter_details(self, shopper: Customer) -> Self:
        self.page.get_by_label("First name").fill(shopper.first_name)
        self.page.get_by_label("Last name").fill(shopper.last_name)
        self.page.get_by_label("Date of birth").fill(shopper.dob)
        self.page.get_by_label("Postal code").fill(shopper.postal_code)
        self.page.get_by_label("Email").fill(shopper.email)
        self.page.get_by_label("Phone").fill(shopper.phone_number)
        return self

    def pay_with_flexiti(self) -> PaymentPage:
        self.page.get_by_role("button", name="Pay with Flexiti").click()
        return PaymentPage(self.page).wait_until_loaded()


class PaymentPage(StorePage):
    """The page that hosts the Flexiti widget."""

    @property
    def widget(self) -> FlexitiWidget:
        return FlexitiWidget(self.page)

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("payment-status")

    def wait_until_loaded(self) -> Self:
        self.page.get_by_role("heading", name="Pay with Flexiti").wait_for()
        return self

    def order_outcome(self) -> OrderPage:
        """Where the store sends the shopper once it has acted on the widget's result."""
        return OrderPage(self.page).wait_until_loaded()

    def back_at_checkout(self) -> CheckoutPage:
        self.page.wait_for_url(re.compile(r"/checkout$"))
        return CheckoutPage(self.page).wait_until_loaded()


class OrderPage(StorePage):
    """The order's outcome: paid, declined, or not paid."""

    ORDER_URL = re.compile(r"/orders/(ORD-[A-Z0-9]+)$")

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("order-status")

    @property
    def message(self) -> Locator:
        return self.page.get_by_test_id("order-message")

    @property
    def totals(self) -> Totals:
        return Totals(self.page)

    @property
    def order_id(self) -> str:
        match = self.ORDER_URL.search(self.page.url)
        if not match:
            raise LookupError(f"not on an order page: {self.page.url}")
        return match.group(1)

    def wait_until_loaded(self) -> Self:
        self.page.wait_for_url(self.ORDER_URL)
        self.status.wait_for()
        return self

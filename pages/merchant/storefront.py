"""The reference store through its page objects: the storefront contract's first adapter."""

from __future__ import annotations

import re
from collections.abc import Sequence

from playwright.sync_api import Page, expect

from harness.customers import Applicant, Customer
from harness.errors import HarnessError
from harness.evidence import StepLog
from harness.landing import Capability, CartLine, CartState, Landing, Where
from pages.merchant.store import (
    ApplicationPage,
    ApplyPage,
    CartPage,
    CataloguePage,
    CheckoutPage,
    OrderPage,
    Totals,
    money,
)
from pages.storefront import WidgetHost, without_query

# The store's pages that host the widget: the shopper has landed once the store leaves them.
WIDGET_PAGES = re.compile(r"/orders/ORD-[A-Z0-9]+/pay$|/applications/APL-[A-Z0-9]+/widget$")
# Everything the store says to the shopper where it lands: a notice, an error, an order's message, a decision.
NOTICES = ("notice", "checkout-error", "order-message", "apply-error", "application-decision")
# All of them in one read, in the page's order (one round trip where five cost about 40 ms at every landing).
_NOTICES_SELECTOR = ", ".join(f'[data-testid="{test_id}"]' for test_id in NOTICES)
PAID = "Paid with Flexiti"


class ReferenceStorefront:
    """The sandbox's reference store, driven by its page objects."""

    products = ("Desk lamp", "Ergonomic chair", "Maple standing desk")
    capabilities = frozenset(Capability)

    def __init__(self, page: Page, steps: StepLog | None = None) -> None:
        self.page, self.steps = page, steps
        self._checkout: CheckoutPage | None = None

    def fill_cart(self, products: Sequence[str]) -> CartState:
        catalogue = CataloguePage(self.page, self.steps)
        cart: CartPage | None = None
        for product in products:
            cart = catalogue.open().add_to_cart(product)
        if cart is None:
            raise HarnessError("storefront contract misuse: fill_cart() needs at least one product")
        return self._shown(cart.totals)

    def check_out(self, shopper: Customer) -> CartState:
        # From the cart the shopper just filled, or from wherever the test left them: the cart is opened then.
        at_cart = CartPage.url is not None and CartPage.url.search(without_query(self.page.url)) is not None
        cart = CartPage(self.page, self.steps) if at_cart else CartPage(self.page, self.steps).open()
        self._checkout = cart.checkout(shopper)
        return self._shown(self._checkout.totals)

    def choose_flexiti(self) -> WidgetHost:
        checkout = self._at_checkout()
        with self.page.expect_navigation():
            checkout.pay_button.click()
        return self._host("payment page")

    def choose_flexiti_twice(self) -> WidgetHost:
        # The second submission aborts the first navigation: arrival is the payment page, whichever got there.
        checkout = self._at_checkout()
        checkout.pay_button.dblclick()
        checkout.wait_for_payment_page()
        return self._host("payment page")

    def reload(self) -> WidgetHost:
        self.page.reload()
        return self._host("widget page, reloaded")

    def landing(self) -> Landing:
        # Arrival: the page is no longer a widget page. Checked on the page's URL until it holds, not on navigation
        # events: a store whose page script sends the shopper back (a widget/init made from the browser) may
        # navigate between two events the harness listens to.
        expect(self.page).not_to_have_url(WIDGET_PAGES)
        url = self.page.url
        place_url = without_query(url)  # /checkout?flexiti_error=… is still the checkout
        where, paid, reference = Where.ELSEWHERE, False, None
        if (order := OrderPage.ORDER_URL.search(place_url)) is not None:
            shown = OrderPage(self.page, self.steps).wait_until_loaded()
            where, paid, reference = Where.ORDER, shown.status.inner_text().strip() == PAID, order.group(1)
        elif ApplicationPage.URL.search(place_url):
            ApplicationPage(self.page, self.steps).wait_until_loaded()
            where = Where.DECISION
        else:
            for page_class, place in ((CheckoutPage, Where.CHECKOUT), (CartPage, Where.CART),
                                      (ApplyPage, Where.APPLY_FORM), (CataloguePage, Where.ELSEWHERE)):
                if page_class.url is not None and page_class.url.search(place_url):
                    page_class(self.page, self.steps).wait_until_loaded()
                    where = place
                    break
        said = [text.strip() for text in self.page.locator(_NOTICES_SELECTOR).all_inner_texts()]
        return Landing(where, url, " ".join(t for t in said if t) or None, paid, reference)

    def cart(self) -> CartState:
        cart = CartPage(self.page, self.steps).open()
        if not cart.totals.total.count():
            return CartState(count=self._count(cart), total=None, lines=(), subtotal=None, tax=None, shipping=None)
        return self._shown(cart.totals)

    def apply(self, applicant: Applicant) -> WidgetHost:
        ApplyPage(self.page, self.steps).open().submit(applicant)
        return self._host("application widget page")

    def missing(self, capability: Capability) -> str:
        return f"the reference store offers {capability.value}"  # never asked: it has every capability

    # -- helpers ----------------------------------------------------------------------------------------------
    def _at_checkout(self) -> CheckoutPage:
        if self._checkout is None:
            raise HarnessError("storefront contract misuse: check_out() before choose_flexiti()")
        return self._checkout

    def _host(self, title: str) -> WidgetHost:
        if self.steps is not None:
            self.steps.capture(self.page, title)
        return WidgetHost(self.page, self.steps)

    def _count(self, page: CartPage | CheckoutPage) -> int:
        match = re.search(r"\((\d+)\)", page.cart_link.inner_text())
        return int(match.group(1)) if match else 0

    def _shown(self, totals: Totals) -> CartState:
        amounts, lines, count = totals.read()
        return CartState(count=count, total=amounts["total"],
                         lines=tuple(CartLine(name, quantity, price) for name, quantity, price in lines),
                         subtotal=amounts["subtotal"], tax=amounts["hst"], shipping=amounts["shipping"])


__all__ = ["ReferenceStorefront", "money"]

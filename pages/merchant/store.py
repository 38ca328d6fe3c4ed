"""The reference store's pages: catalogue, cart, checkout, Flexiti payment and the order outcome."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import ClassVar, Self

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page

from harness.customers import Applicant, Customer
from harness.evidence import StepLog
from pages.storefront import without_query
from pages.widget.screens import FlexitiWidget


def money(text: str) -> Decimal:
    """"$1,234.50" -> Decimal("1234.50")."""
    return Decimal(re.sub(r"[^0-9.\-]", "", text))


class NotArrived(AssertionError):
    """A navigation ended somewhere other than the page it was meant to reach; the message says where."""


class StorePage:
    """A page of the store; `open()` navigates relative to the storefront URL and waits to arrive.

    `steps`, when given, gets a screenshot of every page the shopper arrives at (report evidence).
    """

    path: ClassVar[str] = "/"
    title: ClassVar[str] = "store page"
    # Arrival is the navigation's load event for this URL (an event, so no polling back-off), then the landmark.
    url: ClassVar[re.Pattern[str] | None] = None

    def __init__(self, page: Page, steps: StepLog | None = None) -> None:
        self.page = page
        self.steps = steps

    def _arrived(self) -> Self:
        if self.steps is not None:
            self.steps.capture(self.page, self.title)
        return self

    @property
    def heading(self) -> Locator:
        return self.page.get_by_role("heading", level=1)

    @property
    def notice(self) -> Locator:
        return self.page.get_by_test_id("notice")

    @property
    def cart_link(self) -> Locator:
        """The header's cart link, which shows how many items the cart holds."""
        return self.page.get_by_role("navigation", name="Store").get_by_role("link", name=re.compile(r"^Cart"))

    def open(self) -> Self:
        self.page.goto(self.path)
        return self.wait_until_loaded()

    def wait_until_loaded(self) -> Self:
        self._wait_for_url()
        self.heading.wait_for()
        return self._arrived()

    def _wait_for_url(self) -> None:
        # The page is where its path says, whatever the query tells it (/checkout?flexiti_error=… is the checkout).
        if (url := self.url) is not None:
            self.page.wait_for_url(lambda address: url.search(without_query(address)) is not None)


class CataloguePage(StorePage):

    title = "catalogue"
    url = re.compile(r"^[^?#]*://[^/]+/$")
    path = "/"

    def wait_until_loaded(self) -> Self:
        self._wait_for_url()
        self.page.get_by_role("heading", name="Catalogue").wait_for()
        return self._arrived()

    def add_to_cart(self, product_name: str) -> CartPage:
        self.page.get_by_role("button", name=f"Add {product_name} to cart").click()
        return CartPage(self.page, self.steps).wait_until_loaded()


class Totals:
    """The lines, subtotal, tax, shipping and total shown with a cart or an order."""

    def __init__(self, page: Page) -> None:
        self.page = page

    @property
    def total(self) -> Locator:
        return self.page.get_by_test_id("total")

    def read(self) -> tuple[dict[str, Decimal], list[tuple[str, int, Decimal]], int]:
        """What the page shows, read in one round trip once it has arrived: subtotal, hst, shipping and total; (item
        name, quantity, line price) for each row of the order lines table; and the header cart link's count. Each of
        those must be on the page exactly once, as the locators they replace demanded."""
        shown = self.page.evaluate(_READ_TOTALS, list(AMOUNTS))
        wrong = [f"{what} ({count} found)" for what, count in shown["found"].items() if count != 1]
        if wrong:
            raise NotArrived(f"the page at {self.page.url} does not show exactly one of: {', '.join(wrong)}")
        count = re.search(r"\((\d+)\)", shown["cart"])
        return ({name: money(shown["amounts"][name]) for name in AMOUNTS},
                [(cells[0], int(cells[1]), money(cells[2])) for cells in shown["rows"]],
                int(count.group(1)) if count else 0)


AMOUNTS = ("subtotal", "hst", "shipping", "total")
# The same places the locators above name (test ids, the "Order lines" table, the "Store" navigation's cart link),
# read in one evaluation rather than one round trip each (a purchase reads them twice), with how many of each matched.
_READ_TOTALS = """names => {
    const text = element => element ? element.innerText.trim() : null;
    const found = {}, amounts = {};
    for (const name of names) {
        const matches = document.querySelectorAll(`[data-testid="${name}"]`);
        found[name] = matches.length;
        amounts[name] = text(matches[0]);
    }
    const tables = document.querySelectorAll('table[aria-label="Order lines"]');
    found["order lines table"] = tables.length;
    const rows = tables.length ? [...tables[0].querySelectorAll("tbody tr")]
        .map(row => [...row.querySelectorAll("td")].map(cell => cell.innerText.trim())) : [];
    const links = [...document.querySelectorAll('nav[aria-label="Store"] a')].filter(a => /^Cart/.test(text(a)));
    found["cart link"] = links.length;
    return {found, amounts, rows, cart: text(links[0]) ?? ""};
}"""


class CartPage(StorePage):

    title = "cart"
    url = re.compile(r"/cart$")
    path = "/cart"

    @property
    def totals(self) -> Totals:
        return Totals(self.page)

    def wait_until_loaded(self) -> Self:
        self._wait_for_url()
        self.page.get_by_role("heading", name="Your cart").wait_for()
        return self._arrived()

    def checkout(self, shopper: Customer) -> CheckoutPage:
        self.page.get_by_role("link", name="Checkout").click()
        return CheckoutPage(self.page, self.steps).wait_until_loaded().enter_details(shopper)


class CheckoutPage(StorePage):

    title = "checkout"
    url = re.compile(r"/checkout$")
    path = "/checkout"

    @property
    def totals(self) -> Totals:
        return Totals(self.page)

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("checkout-error")

    def wait_until_loaded(self) -> Self:
        self._wait_for_url()
        self.page.get_by_role("heading", name="Checkout").wait_for()
        return self._arrived()

    def enter_details(self, shopper: Customer) -> Self:
        self.page.get_by_label("First name").fill(shopper.first_name)
        self.page.get_by_label("Last name").fill(shopper.last_name)
        self.page.get_by_label("Date of birth").fill(shopper.dob)
        self.page.get_by_label("Postal code").fill(shopper.postal_code)
        self.page.get_by_label("Email").fill(shopper.email)
        self.page.get_by_label("Phone").fill(shopper.phone_number)
        return self

    @property
    def pay_button(self) -> Locator:
        return self.page.get_by_role("button", name="Pay with Flexiti")

    def pay_with_flexiti(self) -> PaymentPage:
        with self.page.expect_navigation():
            self.pay_button.click()
        return self._payment_page()

    def pay_with_flexiti_twice_quickly(self) -> PaymentPage:
        """An impatient double-click on the pay button: the second submission aborts the first navigation,
        so arrival is the payment page's URL loading, whichever submission got there."""
        self.pay_button.dblclick()
        self.wait_for_payment_page()
        return self._payment_page()

    def wait_for_payment_page(self) -> None:
        """After a double submission. Waiting for the URL can catch the first navigation just before the second
        aborts it (net::ERR_ABORTED, seen with a store slow to answer the first); the one that survived is waited for
        then."""
        try:
            self.page.wait_for_url(PaymentPage.url)
        except PlaywrightError as error:
            if "ERR_ABORTED" not in error.message:
                raise
            self.page.wait_for_url(PaymentPage.url)

    def _payment_page(self) -> PaymentPage:
        """Arrival after paying: the widget's page, or (the store could not open Flexiti) still checkout."""
        if not PaymentPage.url or not PaymentPage.url.search(self.page.url):
            shown = self.error.all_inner_texts() or ["no error shown"]
            raise NotArrived(f"the store did not open Flexiti: still at {self.page.url} ({shown[0]})")
        # The navigation's load event was the arrival: the widget may already be moving the page on.
        return PaymentPage(self.page, self.steps)._arrived()

    def try_pay_with_flexiti(self) -> CheckoutPage:
        """Pay when Flexiti is expected to fail: the shopper stays at checkout with an error."""
        self.pay_button.click()
        self.error.wait_for()
        return self._arrived()


class WidgetHostPage(StorePage):
    """A store page that hosts the Flexiti widget."""

    title = "widget page"

    heading_text: ClassVar[str] = ""

    @property
    def widget(self) -> FlexitiWidget:
        return FlexitiWidget(self.page, self.steps)

    @property
    def widget_frame(self) -> Locator:
        """The iframe element itself, for its src."""
        return self.widget.frame_element

    @property
    def status(self) -> Locator:
        return self.page.get_by_test_id("widget-status")

    def wait_until_loaded(self) -> Self:
        self._wait_for_url()
        self.page.get_by_role("heading", name=self.heading_text).wait_for()
        return self._arrived()

    def reload(self) -> Self:
        self.page.reload()
        return self.wait_until_loaded()

    def _left_for(self, expected: re.Pattern[str], what: str) -> None:
        """Wait until the store navigates away from the widget, then check it went to `expected`."""
        here = self.url
        self.page.wait_for_url(lambda url: here is None or not here.search(url))
        if not expected.search(self.page.url):
            notices = self.notice.all_inner_texts() or ["no notice"]
            raise NotArrived(f"the store went to {self.page.url} instead of {what} ({notices[0]})")


class PaymentPage(WidgetHostPage):
    """The page that hosts the Flexiti widget for an order's payment."""

    title = "payment page"
    url = re.compile(r"/orders/ORD-[A-Z0-9]+/pay$")

    heading_text = "Pay with Flexiti"

    def order_outcome(self) -> OrderPage:
        """Where the store sends the shopper once it has acted on the widget's result."""
        self._left_for(OrderPage.ORDER_URL, "the order page")
        return OrderPage(self.page, self.steps).wait_until_loaded()

    def back_at_checkout(self) -> CheckoutPage:
        self._left_for(CheckoutPage.url, "checkout")
        return CheckoutPage(self.page, self.steps).wait_until_loaded()


class OrderPage(StorePage):
    """The order's outcome: paid, declined, or not paid."""

    title = "order outcome"

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
        return self._arrived()


class ApplyPage(StorePage):
    """The store's Flexiti credit application form."""

    title = "application form"
    url = re.compile(r"/apply$")

    path = "/apply"

    @property
    def error(self) -> Locator:
        return self.page.get_by_test_id("apply-error")

    def wait_until_loaded(self) -> Self:
        self._wait_for_url()
        self.page.get_by_role("heading", name="Apply for Flexiti financing").wait_for()
        return self._arrived()

    def submit(self, applicant: Applicant) -> None:
        """Fill in the form as `applicant`, agree to the terms and continue to Flexiti (whatever page that opens)."""
        fields = {
            "First name": applicant.first_name, "Middle name": applicant.middle_name, "Last name": applicant.last_name,
            "Date of birth": applicant.dob, "Email": applicant.email, "Phone": applicant.phone_number,
            "Address": applicant.address_1, "City": applicant.city, "Province": applicant.province,
            "Postal code": applicant.postal_code,
        }
        for label, value in fields.items():
            self.page.get_by_label(label, exact=True).fill(value)
        account = "Business account" if applicant.account_type == "business" else "Personal account"
        self.page.get_by_label(account).check()
        self.page.get_by_label("I agree to Flexiti's terms of service").check()
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Continue to Flexiti").click()

    def apply_as(self, applicant: Applicant) -> ApplicationWidgetPage:
        self.submit(applicant)
        if not ApplicationWidgetPage.url or not ApplicationWidgetPage.url.search(self.page.url):
            shown = self.error.all_inner_texts() or ["no error shown"]
            raise NotArrived(f"the store did not open Flexiti: still at {self.page.url} ({shown[0]})")
        return ApplicationWidgetPage(self.page, self.steps)._arrived()


class ApplicationWidgetPage(WidgetHostPage):
    """The page that hosts the Flexiti widget for a credit application."""

    title = "application widget page"
    url = re.compile(r"/applications/APL-[A-Z0-9]+/widget$")

    heading_text = "Apply with Flexiti"

    def decision(self) -> ApplicationPage:
        self._left_for(ApplicationPage.URL, "the application's decision")
        return ApplicationPage(self.page, self.steps).wait_until_loaded()

    def back_at_application_form(self) -> ApplyPage:
        """Where the store sends an applicant Flexiti will not take an application from."""
        self._left_for(ApplyPage.url, "the application form")
        return ApplyPage(self.page, self.steps).wait_until_loaded()

    def back_at_catalogue(self) -> CataloguePage:
        """Where the store sends an applicant who already has an account to activate."""
        self._left_for(CataloguePage.url, "the catalogue")
        return CataloguePage(self.page, self.steps).wait_until_loaded()


class ApplicationPage(StorePage):
    """The application's outcome as the store shows it."""

    title = "application decision"

    @property
    def decision(self) -> Locator:
        return self.page.get_by_test_id("application-decision")

    URL = re.compile(r"/applications/APL-[A-Z0-9]+$")

    def wait_until_loaded(self) -> Self:
        self.page.wait_for_url(self.URL)
        self.decision.wait_for()
        return self._arrived()

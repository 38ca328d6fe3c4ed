"""The reference store's own wording, as a sandbox test: what its pages say after each widget outcome.

The certification suite (e2e/) asserts meaning through the storefront contract and never this wording, so that it
certifies any merchant's store; this file keeps the reference store saying what its README and screenshots show."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from fixtures.pages import Journey
from fixtures.sandbox import Target
from harness.customers import Applicants, Customer
from harness.landing import Where
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.merchant.store import NotArrived, OrderPage, Totals
from pages.merchant.storefront import ReferenceStorefront
from pages.widget import locators
from sandbox.flexiti.state import MAX_MFA_ATTEMPTS
from sandbox.servers import Sandbox


@pytest.fixture
def reference(page: Page, target: Target) -> ReferenceStorefront:
    locators.use_widget_origin(target.widget_origin)
    return ReferenceStorefront(page)


@pytest.fixture
def shopper_journey(reference: ReferenceStorefront, customers: dict[str, Customer], widget_events: EventLog
                    ) -> Journey:
    return Journey(reference, customers, Proof(), widget_events)


def _cart_link(page: Page) -> str:
    return OrderPage(page).cart_link.inner_text()


def test_a_paid_order_says_paid_with_flexiti_and_empties_the_cart(
    page: Page, shopper_journey: Journey, reference: ReferenceStorefront, widget_events: EventLog,
) -> None:
    host = shopper_journey.to_widget("single_account")
    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", shopper_journey.customer.mfa_answer("sms"))

    landing = reference.landing()

    expect(OrderPage(page).status).to_have_text("Paid with Flexiti")
    assert landing.paid is True and _cart_link(page) == "Cart (0)"


@pytest.mark.parametrize(("role", "outcome", "said"), [
    ("single_account", "cancel", "You cancelled Flexiti financing. Your cart is still here."),
    ("single_account", "unverified", "We could not verify your identity with Flexiti. Please choose another payment "
                                     "method."),
    ("derogatory", "return", "Your Flexiti account cannot be used to purchase. Please choose another payment method."),
])
def test_back_at_checkout_the_store_says_why(
    page: Page, shopper_journey: Journey, reference: ReferenceStorefront, widget_events: EventLog,
    role: str, outcome: str, said: str,
) -> None:
    host = shopper_journey.to_widget(role, reference.products[:2])
    if outcome == "cancel":
        host.widget.cancel()
    elif outcome == "return":
        host.widget.return_to_store()
    else:
        code_entry = host.widget.mfa_choice().choose("sms")
        for left in range(MAX_MFA_ATTEMPTS - 1, 0, -1):
            code_entry.submit("000000")
            expect(code_entry.error).to_contain_text(f"{left} attempt(s) left")
        code_entry.submit("000000")

    landing = reference.landing()

    assert (landing.where, landing.notice) == (Where.CHECKOUT, said)
    assert _cart_link(page) == "Cart (2)"


def test_a_widget_failure_is_explained_at_checkout(
    flexiti_sandbox: Sandbox, shopper_journey: Journey, reference: ReferenceStorefront, widget_events: EventLog,
) -> None:
    flexiti_sandbox.inject_fault("/verify", status=500)
    host = shopper_journey.to_widget("single_account")
    with widget_events.awaiting("flx-failure"):
        host.widget.verify_by("sms", shopper_journey.customer.mfa_answer("sms"))

    landing = reference.landing()

    assert landing.notice is not None and landing.notice.startswith("Flexiti could not complete the payment (")
    assert landing.notice.endswith("). Your cart is still here.")


def test_a_decline_says_payment_declined_and_why(
    page: Page, shopper_journey: Journey, reference: ReferenceStorefront, widget_events: EventLog,
) -> None:
    host = shopper_journey.to_widget("three_accounts", ["Maple standing desk"])
    smallest = min(shopper_journey.customer.accounts, key=lambda account: account.available_credit)
    host.widget.verify_by("sms", shopper_journey.customer.mfa_answer("sms"))
    with widget_events.awaiting("flx-success"):
        host.widget.choose_account(smallest.last4)

    landing = reference.landing()

    expect(OrderPage(page).status).to_have_text("Payment declined")
    assert landing.notice == "The amount is more than the credit available on this Flexiti account."


def test_an_init_error_says_flexiti_is_unavailable(
    flexiti_sandbox: Sandbox, shopper_journey: Journey, reference: ReferenceStorefront,
) -> None:
    flexiti_sandbox.inject_fault("widget/init", status=500, error="general_error")
    shopper_journey.to_checkout("single_account")

    reference.choose_flexiti()
    landing = reference.landing()

    assert landing.notice == "Flexiti financing is unavailable right now (general_error). Your cart is unchanged."


@pytest.mark.parametrize(("outcome", "shown"), [
    ("approved", "Approved"), ("pending", "Pending review"), ("declined", "Declined"),
])
def test_an_application_decision_is_shown_in_words(
    shopper_journey: Journey, reference: ReferenceStorefront, applicants: Applicants, widget_events: EventLog,
    outcome: str, shown: str,
) -> None:
    host = shopper_journey.apply(applicants.deciding(outcome))
    with widget_events.awaiting("flx-success"):
        host.widget.enter_pin(applicants.pin)

    landing = reference.landing()

    assert (landing.where, landing.notice) == (Where.DECISION, shown)


CART_PAGE = """<nav aria-label="Store"><a href="/cart">Cart (2)</a></nav>
<table aria-label="Order lines"><tbody><tr><td> Desk lamp </td><td>2</td><td>$1,058.00</td></tr></tbody></table>
<dl><dd data-testid="subtotal">$1,058.00</dd><dd data-testid="hst">$137.54</dd><dd data-testid="shipping">$0.00</dd>
<dd data-testid="total">$1,195.54</dd></dl>"""


def test_a_cart_is_read_in_one_go_and_each_part_must_be_there_once(page: Page) -> None:
    page.set_content(CART_PAGE)

    amounts, lines, count = Totals(page).read()

    assert (amounts["subtotal"], amounts["hst"], amounts["total"]) == (Decimal("1058.00"), Decimal("137.54"),
                                                                        Decimal("1195.54"))
    assert (lines, count) == ([("Desk lamp", 2, Decimal("1058.00"))], 2)
    page.set_content(CART_PAGE.replace('<dd data-testid="shipping">$0.00</dd>', "")
                     .replace("Cart (2)", "Basket (2)") + '<p data-testid="total">$1.00</p>')
    with pytest.raises(NotArrived, match=r"shipping \(0 found\), total \(2 found\), cart link \(0 found\)"):
        Totals(page).read()

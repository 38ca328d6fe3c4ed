"""Verdicts shared by certification tests: the same few rules, each checked in its own item's block.

They judge the storefront contract's values (harness/landing.py), never a page object: any storefront's landing
and cart are judged the same way.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness import checks
from harness.journal import Journal
from harness.landing import CartState, Landing, Where
from harness.network import RequestLog
from harness.proof import NotApplicable, NotObservable, Proof
from harness.widget_events import WidgetEvent


def purchase_paid(proof: Proof, journal: Journal, success: WidgetEvent, cart: CartState, landing: Landing) -> None:
    """After a verified purchase: one token carried the flow (AUTH-04); the store authorized the reported account
    for the cart total and the order, and shows the order paid (EVT-02)."""
    session = success.event_data["widget_session_id"]
    with proof.of("AUTH-04"):
        init, authorization = checks.widget_init_call(journal, session), checks.authorization_for(journal, session)
        checks.same_token(journal, init, authorization)
    with proof.of("EVT-02"):
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        checks.authorized_as_reported(journal, success, cart.shown("total"), lambda: landing.shown("order_reference"))


def server_side_integration(proof: Proof, journal: Journal, browser: RequestLog, client_secret: str,
                            success: WidgetEvent) -> None:
    """Tokens only server side (AUTH-01); bearer and x-reference-id everywhere (AUTH-03); widget/init server side
    with one customer identifier (INIT-01)."""
    with proof.of("AUTH-01"):
        checks.tokens_only_server_side(journal, browser, client_secret)
    with proof.of("AUTH-03"):
        checks.bearer_and_reference_on_every_call(journal)
    with proof.of("INIT-01"):
        checks.widget_init_for(journal, success.event_data["widget_session_id"])


def cart_kept(before: CartState, now: CartState) -> None:
    """The cart as the store shows it is what it was before Flexiti (count, total, lines where shown)."""
    if before.count is None and before.total is None:
        raise NotObservable(before.unseen.get("total") or "the storefront shows neither the cart's count nor its total")
    assert now == before, f"the cart changed: it was {before}, it is {now}"


def back_at(landing: Landing, *places: Where) -> None:
    """The store put the shopper back at one of `places` (default: checkout or the cart), not paid."""
    expected = places or (Where.CHECKOUT, Where.CART)
    assert landing.where in expected, (
        f"the store sent the shopper to {landing.describe()}, not {' or '.join(p.value for p in expected)}")
    assert landing.shown("paid") is not True, f"the store shows the order paid: {landing.describe()}"


def back_with_notice(landing: Landing, *places: Where) -> None:
    """The store put the shopper back at one of `places` (default: checkout or the cart) and told them why."""
    back_at(landing, *places)
    assert landing.shown("notice"), f"the store tells the shopper nothing at {landing.url}"


def customer_sent_to_the_portal(page: Page, landing: Landing, portal: str) -> None:
    """EVT-06: the store opened the customer portal in a new tab, or let the customer do it and said where (a link
    to the portal, or its address in what the store shows): the events page documents both."""
    parts = urlsplit(portal)
    site = f"{parts.netloc}{parts.path.rsplit('/', 1)[0]}"
    links = page.locator("a[href]").evaluate_all("(links) => links.map((link) => link.href)")
    told = any(site in link for link in links) or parts.netloc in (landing.shown("notice") or "")
    opened = [other for other in page.context.pages if other is not page]
    if not opened and not told:
        # A tab the page opened reaches Playwright as an event of its own, which can come after the store moved on.
        # (No Playwright call since reading the pages above, so no event can have slipped in between.)
        with contextlib.suppress(PlaywrightTimeoutError):
            opened = [page.context.wait_for_event("page", timeout=PORTAL_TAB_TIMEOUT_MS)]
    if opened:  # the store opened one: it must be the portal
        expect(opened[-1]).to_have_url(portal)
        return
    assert told, (f"the store neither opened the customer portal nor told the customer where to activate "
                  f"({landing.describe()}): open {portal} in a new tab, or show a link to it")


# How long a portal tab may take to reach Playwright after the store has moved on (an event, waited for as one).
PORTAL_TAB_TIMEOUT_MS = 5_000


def not_paid_and_told(landing: Landing) -> None:
    """The store does not show the order paid, and says something about it (TXN-02, RES-01)."""
    assert landing.shown("paid") is False, f"the store shows the order paid: {landing.describe()}"
    assert landing.shown("notice"), f"the store tells the shopper nothing at {landing.url} ({landing.describe()})"


def sku_data_of(body: dict[str, object]) -> dict[str, object]:
    """The /authorization's sku_data; not applicable where the store sends none (optional, and not validated by
    Flexiti: Transactions, authorization fields)."""
    sku = body.get("sku_data")
    if sku is None:
        raise NotApplicable("the store sends no sku_data with /authorization, which Flexiti makes optional: only the "
                            "amount and the required fields were compared with the cart")
    assert isinstance(sku, dict), f"sku_data is {type(sku).__name__}, not an object"
    return sku


def amounts_match(cart: CartState, sku: dict[str, object]) -> None:
    """TXN-01: sku_data's amounts and products, where sent, are the cart's, as the store showed them (every sku_data
    field is optional: a field left out is not compared; one that is sent must say what the cart says)."""
    sent = {name: _amount(sku, name) for name in ("transaction_subtotal", "gst_hst", "pst", "shipping_total",
                                                  "transaction_total") if sku.get(name) is not None}
    if "transaction_subtotal" in sent:
        assert sent["transaction_subtotal"] == cart.shown("subtotal"), (
            f"sku_data transaction_subtotal is {sent['transaction_subtotal']}, the cart's subtotal is {cart.subtotal}")
    if "gst_hst" in sent or "pst" in sent:
        taxes = sent.get("gst_hst", Decimal(0)) + sent.get("pst", Decimal(0))
        assert taxes == cart.shown("tax"), (f"sku_data gst_hst + pst is {taxes}, the taxes the cart shows are "
                                            f"{cart.tax}: send each tax the shopper is charged")
    if "shipping_total" in sent:
        assert sent["shipping_total"] == cart.shown("shipping"), (
            f"sku_data shipping_total is {sent['shipping_total']}, the cart's shipping is {cart.shipping}")
    if "transaction_total" in sent:
        assert sent["transaction_total"] == cart.shown("total"), (
            f"sku_data transaction_total is {sent['transaction_total']}, the cart total is {cart.total}")
    products = sku.get("products")
    if products is None:
        return
    assert isinstance(products, list) and all(isinstance(p, dict) for p in products), (
        f"sku_data products is {products!r}, not a list of products")
    lines = cart.shown("lines")
    try:
        listed = sorted((str(p.get("description")), int(p.get("quantity", 0)), _amount(p, "extended_price"))
                        for p in products)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"sku_data products {products!r} cannot be read: {error}") from error
    shown = sorted((line.name, line.quantity, line.price) for line in lines)
    assert listed == shown, f"sku_data products {listed} differ from the cart {shown}"


def _amount(fields: dict[str, object], name: str) -> Decimal:
    """An amount of sku_data as a Decimal; a value that is no number fails the item with what was sent."""
    try:
        return Decimal(str(fields.get(name)))
    except ArithmeticError as error:
        raise AssertionError(f"sku_data {name} is {fields.get(name)!r}, not an amount") from error

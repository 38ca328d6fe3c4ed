"""Verdicts shared by certification tests: the same few rules, each checked in its own item's block.

They judge the storefront contract's values (harness/landing.py), never a page object: any storefront's landing
and cart are judged the same way.
"""

from __future__ import annotations

from decimal import Decimal

from harness import checks
from harness.journal import Journal
from harness.landing import CartState, Landing, Where
from harness.network import RequestLog
from harness.proof import NotObservable, Proof
from harness.widget_events import WidgetEvent


def purchase_paid(proof: Proof, journal: Journal, success: WidgetEvent, cart: CartState, landing: Landing) -> None:
    """After a verified purchase: one token carried the flow (AUTH-04); the store authorized the reported account
    for the cart total and the order, and shows the order paid (EVT-02)."""
    session = success.event_data["widget_session_id"]
    with proof.of("AUTH-04"):
        checks.same_token_lineage(journal, checks.widget_init_call(journal, session),
                                  checks.authorization_for(journal, session))
    with proof.of("EVT-02"):
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        checks.authorized_as_reported(journal, success, cart.shown("total"), landing.shown("order_reference"))


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


def back_with_notice(landing: Landing, *places: Where) -> None:
    """The store put the shopper back at one of `places` (default: checkout or the cart) and told them why."""
    expected = places or (Where.CHECKOUT, Where.CART)
    assert landing.where in expected, (
        f"the store sent the shopper to {landing.describe()}, not {' or '.join(p.value for p in expected)}")
    assert landing.shown("paid") is not True, f"the store shows the order paid: {landing.describe()}"
    assert landing.shown("notice"), f"the store tells the shopper nothing at {landing.url}"


def not_paid_and_told(landing: Landing) -> None:
    """The store does not show the order paid, and says something about it (TXN-02, RES-01)."""
    assert landing.shown("paid") is False, f"the store shows the order paid: {landing.describe()}"
    assert landing.shown("notice"), f"the store tells the shopper nothing at {landing.url} ({landing.describe()})"


def amounts_match(cart: CartState, sku: dict[str, object]) -> None:
    """TXN-01: sku_data's amounts and products are the cart's, as the store showed them."""
    subtotal, tax, shipping = cart.shown("subtotal"), cart.shown("tax"), cart.shown("shipping")
    lines = cart.shown("lines")
    sent_total, sent_subtotal = Decimal(str(sku["transaction_total"])), Decimal(str(sku["transaction_subtotal"]))
    sent_tax = Decimal(str(sku["gst_hst"])) + Decimal(str(sku.get("pst", 0)))
    sent_shipping = Decimal(str(sku["shipping_total"]))
    assert sent_subtotal == subtotal, (
        f"sku_data transaction_subtotal is {sent_subtotal}, the cart's subtotal is {subtotal}")
    assert sent_tax == tax, (f"sku_data gst_hst + pst is {sent_tax}, the taxes the cart shows are {tax}: send each "
                             "tax the shopper is charged")
    assert sent_shipping == shipping, f"sku_data shipping_total is {sent_shipping}, the cart's shipping is {shipping}"
    assert sent_total == cart.shown("total"), (
        f"sku_data transaction_total is {sent_total}, the cart total is {cart.total}")
    products = sku["products"]
    assert isinstance(products, list)
    sent = sorted((str(p["description"]), int(p["quantity"]), Decimal(str(p["extended_price"]))) for p in products)
    shown = sorted((line.name, line.quantity, line.price) for line in lines)
    assert sent == shown, f"sku_data products {sent} differ from the cart {shown}"

"""Verdicts shared by certification tests: the same few rules, each checked in its own item's block."""

from __future__ import annotations

from decimal import Decimal

from playwright.sync_api import expect

from harness import checks
from harness.journal import Journal
from harness.network import RequestLog
from harness.proof import Proof
from harness.widget_events import WidgetEvent
from pages.merchant.store import OrderPage


def purchase_paid(proof: Proof, journal: Journal, success: WidgetEvent, cart_total: Decimal, order: OrderPage) -> None:
    """After a verified purchase: one token carried the flow (AUTH-04); the store authorized the reported account
    for the cart total and the order, and shows the order paid (EVT-02)."""
    session = success.event_data["widget_session_id"]
    with proof.of("AUTH-04"):
        checks.same_token_lineage(journal, checks.widget_init_call(journal, session),
                                  checks.authorization_for(journal, session))
    with proof.of("EVT-02"):
        expect(order.status).to_have_text("Paid with Flexiti")
        checks.authorized_as_reported(journal, success, cart_total, order.order_id)


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

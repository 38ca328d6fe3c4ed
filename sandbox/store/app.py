"""The reference store's web app: catalogue → cart → checkout → Flexiti widget → order outcome.

Read it as an example integration. The server does every POS API call; the page only renders the
`redirection_url` with the SDK and forwards the widget's events to the server, which decides.
"""

from __future__ import annotations

import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sandbox.store.catalogue import PRODUCTS, Line, Totals, lines_of, totals_of
from sandbox.store.flexiti_client import FlexitiClient, FlexitiConfig, FlexitiError, Token

HERE = Path(__file__).parent
COOKIE = "store_session"
SHOPPER_FIELDS = ("first_name", "last_name", "dob", "postal_code", "email", "phone_number")


@dataclass
class ShopperSession:
    cart: dict[str, int] = field(default_factory=dict)
    token: Token | None = None  # the Flexiti token lives here, server side, never in the page
    notice: str | None = None


@dataclass
class Order:
    order_id: str
    session_id: str
    lines: list[Line]
    totals: Totals
    shopper: dict[str, str]
    status: str = "awaiting_payment"
    redirection_url: str | None = None
    widget_session_id: str | None = None
    authorization_id: str | None = None
    message: str = ""


@dataclass
class StoreState:
    sessions: dict[str, ShopperSession] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)

    def reset(self) -> None:
        self.sessions.clear()
        self.orders.clear()


STATUS_TEXT = {
    "awaiting_payment": "Awaiting payment",
    "paid": "Paid with Flexiti",
    "declined": "Payment declined",
    "verification_failed": "Not paid: verification failed",
    "cancelled": "Cancelled",
    "failed": "Not paid: Flexiti error",
}


class Store:
    """The store app around one Flexiti configuration and one in-memory state."""

    def __init__(self, config: FlexitiConfig, sdk_url: str, state: StoreState | None = None) -> None:
        self.config = config
        self.sdk_url = sdk_url
        self.state = state or StoreState()
        self.flexiti = FlexitiClient(config)
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape())
        self.templates.filters["money"] = money
        self.app = Starlette(
            routes=[
                Route("/", self.catalogue),
                Route("/cart", self.cart),
                Route("/cart/items", self.add_to_cart, methods=["POST"]),
                Route("/checkout", self.checkout, methods=["GET"]),
                Route("/checkout", self.place_order, methods=["POST"]),
                Route("/orders/{order_id}/pay", self.pay),
                Route("/orders/{order_id}/flexiti-events", self.flexiti_event, methods=["POST"]),
                Route("/orders/{order_id}", self.order),
                Route("/__store/reset", self.reset, methods=["POST"]),
                Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.flexiti.aclose()

    # -- helpers --------------------------------------------------------------------------------
    def _session(self, request: Request) -> tuple[str, ShopperSession]:
        session_id = request.cookies.get(COOKIE, "")
        if session_id not in self.state.sessions:
            session_id = secrets.token_urlsafe(16)
            self.state.sessions[session_id] = ShopperSession()
        return session_id, self.state.sessions[session_id]

    def _page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        session_id, session = self._session(request)
        notice, session.notice = session.notice, None
        html = self.templates.get_template(template).render(
            cart_count=sum(session.cart.values()), notice=notice, status_text=STATUS_TEXT, **context
        )
        response = HTMLResponse(html, status_code=status)
        response.set_cookie(COOKIE, session_id, httponly=True, samesite="lax")
        return response

    def _redirect(self, request: Request, url: str) -> RedirectResponse:
        session_id, _ = self._session(request)
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(COOKIE, session_id, httponly=True, samesite="lax")
        return response

    def _order(self, request: Request) -> Order:
        session_id, _ = self._session(request)
        order = self.state.orders.get(request.path_params["order_id"])
        if order is None or order.session_id != session_id:
            raise LookupError(request.path_params["order_id"])
        return order

    # -- shopping -------------------------------------------------------------------------------
    async def catalogue(self, request: Request) -> Response:
        return self._page(request, "catalogue.html", products=list(PRODUCTS.values()))

    async def add_to_cart(self, request: Request) -> Response:
        form = await request.form()
        sku = str(form.get("sku", ""))
        _, session = self._session(request)
        if sku in PRODUCTS:
            session.cart[sku] = session.cart.get(sku, 0) + 1
        return self._redirect(request, "/cart")

    async def cart(self, request: Request) -> Response:
        _, session = self._session(request)
        lines = lines_of(session.cart)
        return self._page(request, "cart.html", lines=lines, totals=totals_of(lines))

    async def checkout(self, request: Request, error: str | None = None, shopper: dict[str, str] | None = None,
                       status: int = 200) -> Response:
        _, session = self._session(request)
        lines = lines_of(session.cart)
        if not lines:
            return self._redirect(request, "/cart")
        return self._page(request, "checkout.html", status=status, lines=lines, totals=totals_of(lines),
                          error=error, shopper=shopper or {})

    async def place_order(self, request: Request) -> Response:
        """Create the order, then open Flexiti: a usable token, then widget/init, all server side."""
        session_id, session = self._session(request)
        lines = lines_of(session.cart)
        if not lines:
            return self._redirect(request, "/cart")
        form = await request.form()
        shopper = {name: str(form.get(name, "")).strip() for name in SHOPPER_FIELDS}
        missing = [name for name in ("first_name", "last_name", "dob", "postal_code") if not shopper[name]]
        if missing:
            return await self.checkout(request, f"Please fill in: {', '.join(missing)}.", shopper, status=422)
        order = Order("ORD-" + uuid.uuid4().hex[:8].upper(), session_id, lines, totals_of(lines), shopper)
        try:
            # Refresh before opening the widget, so the whole flow fits in one token's lifetime.
            session.token = await (self.flexiti.refreshed(session.token) if session.token else self.flexiti.new_token())
            order.redirection_url = await self.flexiti.widget_init(session.token, {
                "flow": "purchase",
                "lang": "en",
                "customer_identification": {"personal_information": {
                    name: shopper[name] for name in ("first_name", "last_name", "dob", "postal_code")
                }},
            })
        except FlexitiError as error:
            return await self.checkout(
                request, f"Flexiti financing is unavailable right now ({error.error}). Your cart is unchanged.",
                shopper, status=502,
            )
        order.widget_session_id = _query_value(order.redirection_url, "widget_session_id")
        self.state.orders[order.order_id] = order
        return self._redirect(request, f"/orders/{order.order_id}/pay")

    async def pay(self, request: Request) -> Response:
        try:
            order = self._order(request)
        except LookupError:
            return HTMLResponse("No such order", status_code=404)
        if order.status != "awaiting_payment":
            return self._redirect(request, f"/orders/{order.order_id}")
        return self._page(request, "pay.html", order=order, sdk_url=self.sdk_url,
                          widget_origin=self.config.widget_origin)

    async def flexiti_event(self, request: Request) -> Response:
        """The page forwards each widget event here; the server decides what happens to the order."""
        try:
            order = self._order(request)
        except LookupError:
            return JSONResponse({"error": "no such order"}, status_code=404)
        _, session = self._session(request)
        message = await request.json()
        event_type = message.get("eventType")
        data = message.get("eventData") or {}
        if order.status != "awaiting_payment":
            return JSONResponse({"next": f"/orders/{order.order_id}"})
        if event_type == "flx-cancel":
            order.status = "cancelled"
            session.notice = "You cancelled Flexiti financing. Your cart is still here."
            return JSONResponse({"next": "/checkout"})
        if event_type == "flx-failure":
            order.status = "failed"
            session.notice = f"Flexiti could not complete the payment ({data.get('message', 'unknown error')})."
            return JSONResponse({"next": "/checkout"})
        if event_type != "flx-success":
            return JSONResponse({"error": f"unexpected event {event_type!r}"}, status_code=400)
        if data.get("widget_session_id") != order.widget_session_id:
            return JSONResponse({"error": "the event is not for this order's widget session"}, status_code=409)
        if data.get("action") == "purchase" and data.get("verified") is True and data.get("accountNumber"):
            await self._authorize(order, session, int(data["accountNumber"]))
            return JSONResponse({"next": f"/orders/{order.order_id}"})
        if data.get("action") == "purchase":
            order.status = "verification_failed"
            session.notice = "We could not verify your identity with Flexiti. Please choose another payment method."
            return JSONResponse({"next": "/checkout"})
        order.status = "failed"
        session.notice = "Your Flexiti account cannot be used for this purchase."
        return JSONResponse({"next": "/checkout"})

    async def _authorize(self, order: Order, session: ShopperSession, account_number: int) -> None:
        totals = order.totals
        body = {
            "account_number": account_number,
            "reference": order.order_id,
            "amount": float(totals.total),
            "auto_capture": False,
            "widget_session_id": order.widget_session_id,
            "financing_option": {"transaction_type": "regular_purchase"},
            "sku_data": {
                "purchase_order": order.order_id,
                "transaction_subtotal": float(totals.subtotal),
                "transaction_total": float(totals.total),
                "gst_hst": float(totals.hst),
                "pst": 0.0,
                "shipping_total": float(totals.shipping),
                "products": [
                    {"sku_id": line.product.sku, "description": line.product.name, "quantity": line.quantity,
                     "unit_price": float(line.product.price), "extended_price": float(line.extended)}
                    for line in order.lines
                ],
            },
        }
        try:
            session.token = await self.flexiti.usable(session.token)
            result = await self.flexiti.authorize(session.token, body)
        except FlexitiError as error:
            order.status, order.message = "declined", _decline_text(error)
            return
        order.status = "paid"
        order.authorization_id = str(result.get("authorization_id", ""))
        session.cart.clear()

    async def order(self, request: Request) -> Response:
        try:
            order = self._order(request)
        except LookupError:
            return HTMLResponse("No such order", status_code=404)
        return self._page(request, "order.html", order=order, lines=order.lines, totals=order.totals)

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return Response(status_code=204)


def _decline_text(error: FlexitiError) -> str:
    reasons = {
        "credit_exceeded": "The amount is more than the credit available on this Flexiti account.",
        "user_not_able_to_purchase": "This Flexiti account cannot be used for purchases right now.",
    }
    return reasons.get(error.error, f"Flexiti did not authorize the payment ({error.error}).")


def _query_value(url: str, name: str) -> str | None:
    query = urlsplit(urlsplit(url).fragment).query
    values = parse_qs(query).get(name)
    return values[0] if values else None


def money(value: Decimal) -> str:
    return f"${value:,.2f}"

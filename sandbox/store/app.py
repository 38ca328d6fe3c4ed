"""The reference store's web app: catalogue → cart → checkout → Flexiti widget → order outcome, and a
Flexiti credit application.

Read it as an example integration. The server does every POS API call; the page only renders the
`redirection_url` with the SDK and forwards the widget's events to the server, which decides. Each step a
merchant can get wrong is a small method of `Store`; the sandbox's deliberate defects override those steps in
sandbox/store/defective.py, so nothing here is a defect.
"""

from __future__ import annotations

import contextlib
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sandbox.store.catalogue import PRODUCTS, Line, Totals, lines_of, totals_of
from sandbox.store.choices import REFERENCE, StoreChoices
from sandbox.store.flexiti_client import FlexitiClient, FlexitiConfig, FlexitiError, Token

HERE = Path(__file__).parent
COOKIE = "store_session"
SHOPPER_FIELDS = ("first_name", "last_name", "dob", "postal_code", "email", "phone_number")
# Identifiers a shopper may give besides their personal information (the alternative store's checkout asks).
ACCOUNT_FIELDS = ("account_number", "vcc_number")
PERSONAL_FIELDS = ("first_name", "middle_name", "last_name", "dob", "postal_code")
APPLICANT_FIELDS = (*PERSONAL_FIELDS, "email", "phone_number", "address_1", "address_2", "city", "province",
                    "account_type")
# Flexiti's answers that mean "no" to this purchase, as opposed to an integration or availability problem.
DECLINES = {
    "credit_exceeded": "The amount is more than the credit available on this Flexiti account.",
    "user_not_able_to_purchase": "This Flexiti account cannot be used for purchases right now.",
    "auth_not_allowed": "Flexiti did not allow this purchase.",
    "plan_term_not_available": "The financing plan is not available for this purchase.",
}


@dataclass
class ShopperSession:
    cart: dict[str, int] = field(default_factory=dict)
    token: Token | None = None  # the Flexiti token lives here, server side, never in the page
    notice: str | None = None
    notice_link: str | None = None  # a link the notice points to (the customer portal, to activate there)


@dataclass(eq=False)
class WidgetFlow:
    """What the store remembers of one opening of the widget (an order payment or an application)."""

    redirection_url: str | None = None
    widget_session_id: str | None = None
    settled: bool = False  # the widget's outcome was acted on; later events are ignored
    # The x-reference-id of this flow's calls, for a store that sends one per flow rather than one per call.
    reference_id: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass
class Order:
    order_id: str
    session_id: str
    lines: list[Line]
    totals: Totals
    shopper: dict[str, str]
    flow: WidgetFlow = field(default_factory=WidgetFlow)
    status: str = "awaiting_payment"
    authorization_id: str | None = None
    message: str = ""


@dataclass
class Application:
    application_id: str
    session_id: str
    applicant: dict[str, str]
    flow: WidgetFlow = field(default_factory=WidgetFlow)
    decision: str | None = None
    account_number: int | None = None
    lang: str = "en"  # the widget's language, from the shopper's browser


@dataclass
class StoreState:
    sessions: dict[str, ShopperSession] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    applications: dict[str, Application] = field(default_factory=dict)

    def reset(self) -> None:
        self.sessions.clear()
        self.orders.clear()
        self.applications.clear()


STATUS_TEXT = {
    "awaiting_payment": "Awaiting payment",
    "paid": "Paid with Flexiti",
    "declined": "Payment declined",
    "verification_failed": "Not paid: verification failed",
    "cancelled": "Cancelled",
    "failed": "Not paid: Flexiti error",
}
DECISION_TEXT = {
    "approved": "Approved",
    "pending": "Pending review",
    "declined": "Declined",
}


class Store:
    """The store app around one Flexiti configuration and one in-memory state."""

    def __init__(self, config: FlexitiConfig, sdk_url: str, state: StoreState | None = None,
                 clock: Callable[[], float] = time.time, choices: StoreChoices = REFERENCE) -> None:
        self.config = config
        self.sdk_url = sdk_url
        self.choices = choices
        self.paths = paths = choices.paths
        self.state = state or StoreState()
        self.flexiti = self._flexiti_client(config, clock)
        self.flexiti.new_grant_per_flow = choices.new_grant_per_flow
        self.templates = Environment(loader=FileSystemLoader(HERE / "templates" / choices.templates),
                                     autoescape=select_autoescape())
        self.templates.filters["money"] = money
        self.app = Starlette(
            routes=[
                Route(paths.catalogue, self.catalogue),
                Route(paths.cart, self.cart),
                Route(paths.add_to_cart, self.add_to_cart, methods=["POST"]),
                Route(paths.checkout, self.checkout, methods=["GET"]),
                Route(paths.checkout, self.place_order, methods=["POST"]),
                Route(paths.pay, self.pay),
                Route(paths.order_events, self.order_event, methods=["POST"]),
                Route(paths.order, self.order),
                Route(paths.apply_form, self.application_form, methods=["GET"]),
                Route(paths.apply_form, self.start_application, methods=["POST"]),
                Route(paths.application_widget, self.application_widget),
                Route(paths.application_events, self.application_event, methods=["POST"]),
                Route(paths.application, self.application),
                Route("/__store/reset", self.reset, methods=["POST"]),
                Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
            ],
            lifespan=self._lifespan,
        )

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.flexiti.aclose()

    def _flexiti_client(self, config: FlexitiConfig, clock: Callable[[], float]) -> FlexitiClient:
        return FlexitiClient(config, clock=clock)

    def registered_trust_url(self, store_url: str) -> str:
        """The Trust URL to register in Flexiti's Developer Portal: the store's origin exactly, no path, no slash."""
        return store_url

    # -- helpers --------------------------------------------------------------------------------
    def _session(self, request: Request) -> tuple[str, ShopperSession]:
        session_id = request.cookies.get(COOKIE, "")
        if session_id not in self.state.sessions:
            session_id = secrets.token_urlsafe(16)
            self.state.sessions[session_id] = ShopperSession()
        return session_id, self.state.sessions[session_id]

    def _with_cookie(self, request: Request, response: Response) -> Response:
        session_id, _ = self._session(request)
        response.set_cookie(COOKIE, session_id, httponly=True, samesite="lax")
        return response

    def _page(self, request: Request, template: str, status: int = 200, **context: Any) -> Response:
        _, session = self._session(request)
        notice, session.notice = session.notice, None
        notice_link, session.notice_link = session.notice_link, None
        html = self.templates.get_template(template).render(
            cart_count=sum(session.cart.values()), notice=notice, notice_link=notice_link, paths=self.paths,
            status_text=STATUS_TEXT,
            decision_text=DECISION_TEXT, **self._page_extras(), **context
        )
        return self._with_cookie(request, HTMLResponse(html, status_code=status))

    def _page_extras(self) -> dict[str, Any]:
        """What every page's template gets besides its own context: nothing of Flexiti's credentials, ever."""
        return {}

    def _redirect(self, request: Request, url: str) -> Response:
        return self._with_cookie(request, RedirectResponse(url, status_code=303))

    def _owned(self, request: Request, table: dict[str, Any], key: str) -> Any:
        session_id, _ = self._session(request)
        found = table.get(request.path_params[key])
        if found is None or found.session_id != session_id:
            raise LookupError(request.path_params[key])
        return found

    def _flow_calls(self, flow: WidgetFlow) -> contextlib.AbstractContextManager[None]:
        """The x-reference-id of the calls made inside: the flow's one GUID, or (reference) a new one per call."""
        return self.flexiti.reference_id(flow.reference_id if self.choices.reference_id_per_flow else None)

    async def _open_widget(self, session: ShopperSession, flow: WidgetFlow, body: dict[str, Any]) -> None:
        """widget/init on a token with its life ahead of it (refreshed, or a new grant: the store's choice), so
        one token carries the flow."""
        with self._flow_calls(flow):
            session.token = await self.flexiti.for_widget(session.token)
            await self._widget_init(session.token, flow, body)

    async def _widget_init(self, token: Token, flow: WidgetFlow, body: dict[str, Any]) -> None:
        """widget/init from the server; the page gets only the redirection_url, whose widget_session_id the
        store keeps to match the widget's events and to send with /authorization or /apply."""
        flow.redirection_url = await self.flexiti.widget_init(token, body)
        flow.widget_session_id = _query_value(flow.redirection_url, "widget_session_id")

    def _widget_page(
        self, request: Request, flow: WidgetFlow, heading: str, events_url: str, **context: Any,
    ) -> Response:
        return self._page(request, "widget.html", heading=heading, flow=flow, events_url=events_url,
                          sdk_url=self.sdk_url if self.choices.uses_sdk else None, script=self.choices.page_script,
                          widget_origin=self.config.widget_origin,
                          customer_portal_url=self.config.customer_portal_url, **self._widget_page_flags(flow),
                          **context)

    def _widget_page_flags(self, flow: WidgetFlow) -> dict[str, Any]:
        """Data attributes for the widget page's script besides the widget's own: none, as its defaults are the
        correct behaviour (messages from the widget's origin only, one outcome per opening, the customer portal on
        activation)."""
        return {}

    def _for_this_flow(self, flow: WidgetFlow, event_type: str | None, data: dict[str, Any]) -> bool:
        """Whether a widget event belongs to this flow: a success must name the widget session of its widget/init
        (an event from another tab's or an earlier widget must not settle this order)."""
        return event_type != "flx-success" or data.get("widget_session_id") == flow.widget_session_id

    # -- shopping -------------------------------------------------------------------------------
    async def catalogue(self, request: Request) -> Response:
        return self._page(request, "catalogue.html", products=list(PRODUCTS.values()))

    async def add_to_cart(self, request: Request) -> Response:
        form = await request.form()
        sku = str(form.get("sku", ""))
        _, session = self._session(request)
        if sku in PRODUCTS:
            session.cart[sku] = session.cart.get(sku, 0) + 1
        return self._redirect(request, self.paths.cart)

    async def cart(self, request: Request) -> Response:
        _, session = self._session(request)
        lines = lines_of(session.cart)
        return self._page(request, "cart.html", lines=lines, totals=totals_of(lines))

    async def checkout(self, request: Request, error: str | None = None, shopper: dict[str, str] | None = None,
                       status: int = 200) -> Response:
        _, session = self._session(request)
        if error is None and request.query_params.get("flexiti_error"):
            error = f"Flexiti financing is unavailable right now ({request.query_params['flexiti_error']}). " \
                    "Your cart is unchanged."
        lines = lines_of(session.cart)
        if not lines:
            return self._redirect(request, self.paths.cart)
        return self._page(request, "checkout.html", status=status, lines=lines, totals=totals_of(lines),
                          error=error, shopper=shopper or {})

    async def place_order(self, request: Request) -> Response:
        """Create the order, then open Flexiti: a usable token, then widget/init, all server side."""
        session_id, session = self._session(request)
        lines = lines_of(session.cart)
        if not lines:
            return self._redirect(request, self.paths.cart)
        shopper = _fields(await request.form(), (*SHOPPER_FIELDS, *ACCOUNT_FIELDS))
        missing = [name for name in ("first_name", "last_name", "dob", "postal_code") if not shopper[name]]
        if missing:
            return await self.checkout(request, f"Please fill in: {', '.join(missing)}.", shopper, status=422)
        order = Order("ORD-" + uuid.uuid4().hex[:8].upper(), session_id, lines, totals_of(lines), shopper)
        try:
            await self._open_widget(session, order.flow, self._purchase_init_body(request, shopper))
        except FlexitiError as error:
            return await self._widget_init_failed(request, error, shopper)
        self.state.orders[order.order_id] = order
        return self._redirect(request, self.paths.of(self.paths.pay, order.order_id))

    def _language(self, request: Request) -> str:
        """The widget's language: the shopper's browser's (en or fr), or English for a store that offers no French."""
        return shopper_language(request) if self.choices.follows_browser_language else "en"

    def _purchase_init_body(self, request: Request, shopper: dict[str, str]) -> dict[str, Any]:
        """The widget/init body of a purchase: the shopper's personal information, and (a store that sends all it
        has) the Flexiti account and FlexitiCard numbers the shopper gave; Flexiti needs one, takes several."""
        identification: dict[str, Any] = {"personal_information": {
            name: shopper[name] for name in ("first_name", "last_name", "dob", "postal_code")
        }}
        if self.choices.all_identifiers:
            if shopper.get("account_number", "").isdigit():
                identification["account_number"] = int(shopper["account_number"])
            if shopper.get("vcc_number"):
                identification["vcc_number"] = shopper["vcc_number"].replace(" ", "")
        return {"flow": "purchase", "lang": self._language(request), "customer_identification": identification}

    async def _widget_init_failed(self, request: Request, error: FlexitiError, shopper: dict[str, str]) -> Response:
        """Back to checkout with the reason on the page, a refusal (409) as much as Flexiti being down: the shopper
        must learn that Flexiti financing is not available, and the cart stays."""
        return await self.checkout(
            request, f"Flexiti financing is unavailable right now ({error.error}). Your cart is unchanged.",
            shopper, status=502,
        )

    async def pay(self, request: Request) -> Response:
        try:
            order: Order = self._owned(request, self.state.orders, "id")
        except LookupError:
            return HTMLResponse("No such order", status_code=404)
        if order.flow.settled:
            return self._redirect(request, self.paths.of(self.paths.order, order.order_id))
        return self._widget_page(request, order.flow, "Pay with Flexiti",
                                 self.paths.of(self.paths.order_events, order.order_id), order=order)

    async def order_event(self, request: Request) -> Response:
        """The page forwards each widget event here; the server decides what happens to the order."""
        try:
            order: Order = self._owned(request, self.state.orders, "id")
        except LookupError:
            return JSONResponse({"error": "no such order"}, status_code=404)
        _, session = self._session(request)
        event_type, data = _event(await request.json())
        if self._order_settled(order):
            return JSONResponse({"next": self.paths.of(self.paths.order, order.order_id)})
        if not self._for_this_flow(order.flow, event_type, data):
            return JSONResponse({"error": "the event is not for this order's widget session"}, status_code=409)
        order.flow.settled = True
        action = data.get("action")
        if event_type == "flx-cancel":
            return self._on_cancel(order, session)
        if event_type == "flx-failure":
            return self._on_failure(order, session, data)
        if action == "purchase":
            return await self._on_purchase(order, session, data)
        if action == "activation":
            return self._on_activation(order, session)
        if action == "apply":
            order.status = "cancelled"
            session.notice = "We could not find a Flexiti account for you. You can apply for one here."
            return JSONResponse({"next": self.paths.apply_form})
        return self._on_not_usable(order, session)

    def _order_settled(self, order: Order) -> bool:
        """The idempotency guard: a second click, a reload, a late event: the first outcome stands."""
        return order.flow.settled

    def _on_cancel(self, order: Order, session: ShopperSession) -> Response:
        """flx-cancel: the order is cancelled, the cart stays for another payment method."""
        order.status = "cancelled"
        if self.choices.cancel_notice:
            session.notice = "You cancelled Flexiti financing. Your cart is still here."
        return JSONResponse({"next": self.paths.checkout})

    def _on_failure(self, order: Order, session: ShopperSession, data: dict[str, Any]) -> Response:
        """flx-failure: not paid, and the shopper is told why, back at checkout with the cart."""
        order.status = "failed"
        session.notice = f"Flexiti could not complete the payment ({data.get('message', 'unknown error')}). " \
                         "Your cart is still here."
        return JSONResponse({"next": self.paths.checkout})

    async def _on_purchase(self, order: Order, session: ShopperSession, data: dict[str, Any]) -> Response:
        """flx-success with action=purchase: authorize only a verified customer, with the account it names."""
        if self._verified(data) and data.get("accountNumber"):
            await self._authorize(order, session, int(data["accountNumber"]))
            return JSONResponse({"next": self.paths.of(self.paths.order, order.order_id)})
        order.status = "verification_failed"
        session.notice = "We could not verify your identity with Flexiti. Please choose another payment method."
        return JSONResponse({"next": self.paths.checkout})

    def _verified(self, data: dict[str, Any]) -> bool:
        """Flexiti verified the customer: `verified` is exactly true (missing, false or "true" are not)."""
        return data.get("verified") is True

    def _on_activation(self, order: Order, session: ShopperSession) -> Response:
        """flx-success with action=activation: the account exists but is not active; the page opens the customer
        portal in a new tab, or (the other documented choice) the shopper is told to activate it there."""
        order.status = "cancelled"
        if not self.choices.activation_opens_portal:
            self._tell_to_activate(session, "then come back to pay with it.")
            return JSONResponse({"next": self.paths.checkout})
        session.notice = "Your Flexiti account needs to be activated. We opened the Flexiti customer portal " \
                         "in a new tab; come back to pay once it is active."
        return JSONResponse({"open": self.config.customer_portal_url, "next": self.paths.checkout})

    def _tell_to_activate(self, session: ShopperSession, then: str) -> None:
        session.notice = f"Your Flexiti account is not active yet. Activate your account at " \
                         f"{self.config.customer_portal_url}, {then}"
        session.notice_link = self.config.customer_portal_url

    def _on_not_usable(self, order: Order, session: ShopperSession) -> Response:
        """Any other outcome: this Flexiti account cannot pay; the shopper chooses another payment method."""
        order.status = "failed"
        session.notice = "Your Flexiti account cannot be used to purchase. Please choose another payment method."
        return JSONResponse({"next": self.paths.checkout})

    async def _authorize(self, order: Order, session: ShopperSession, account_number: int) -> None:
        body = self._authorization_body(order, account_number)
        try:
            with self._flow_calls(order.flow):
                result = await self._authorization(await self._token_for_authorization(session), body)
        except FlexitiError as error:
            self._authorization_refused(order, error)
            return
        order.status = "paid"
        order.authorization_id = str(result.get("authorization_id", ""))
        session.cart.clear()

    def _authorization_body(self, order: Order, account_number: int) -> dict[str, Any]:
        """The /authorization body: the order's total with its tax; where the store sends them (both optional), the
        order id as `reference` and sku_data line by line as in the cart."""
        totals = order.totals
        body: dict[str, Any] = {
            "account_number": account_number,
            "amount": float(totals.total),
            "auto_capture": False,
            "widget_session_id": order.flow.widget_session_id,
            "financing_option": {"transaction_type": "regular_purchase"},
        }
        if self.choices.send_reference:
            body["reference"] = order.order_id
        if self.choices.send_sku_data:
            body["sku_data"] = {
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
            }
        return body

    async def _token_for_authorization(self, session: ShopperSession) -> Token:
        """The token of widget/init carries /authorization unchanged: Flexiti refuses any other (not_verified)."""
        assert session.token is not None  # set by _open_widget for this order
        return session.token

    async def _authorization(self, token: Token, body: dict[str, Any]) -> dict[str, Any]:
        """/authorization, once: it is not idempotent, so a 5xx or no answer is reported, never retried."""
        return await self.flexiti.authorize(token, body)

    def _authorization_refused(self, order: Order, error: FlexitiError) -> None:
        """A decline is a "no" to this purchase; anything else is a failure. Neither charges the shopper."""
        if error.error in DECLINES:
            order.status, order.message = "declined", DECLINES[error.error]
        else:
            order.status = "failed"
            order.message = f"We could not confirm your Flexiti payment ({error.error}). You have not been charged."

    async def order(self, request: Request) -> Response:
        try:
            order: Order = self._owned(request, self.state.orders, "id")
        except LookupError:
            return HTMLResponse("No such order", status_code=404)
        return self._page(request, "order.html", order=order, lines=order.lines, totals=order.totals)

    # -- credit application -----------------------------------------------------------------------
    async def application_form(self, request: Request, error: str | None = None,
                               applicant: dict[str, str] | None = None, status: int = 200) -> Response:
        return self._page(request, "apply.html", status=status, error=error, applicant=applicant or {})

    async def start_application(self, request: Request) -> Response:
        session_id, session = self._session(request)
        form = await request.form()
        applicant = _fields(form, APPLICANT_FIELDS)
        required = ("first_name", "last_name", "dob", "postal_code", "email", "phone_number", "address_1", "city",
                    "province")
        missing = [name for name in required if not applicant[name]]
        if form.get("tos_agreement") != "yes":
            missing.append("terms of service")
        if missing:
            return await self.application_form(request, f"Please fill in: {', '.join(missing)}.", applicant, 422)
        application = Application("APL-" + uuid.uuid4().hex[:8].upper(), session_id, applicant,
                                  lang=self._language(request))
        try:
            await self._open_widget(session, application.flow, _apply_body(applicant, application.lang))
        except FlexitiError as error:
            return await self.application_form(
                request, f"Flexiti applications are unavailable right now ({error.error}).", applicant, 502)
        self.state.applications[application.application_id] = application
        return self._redirect(request, self.paths.of(self.paths.application_widget, application.application_id))

    async def application_widget(self, request: Request) -> Response:
        try:
            application: Application = self._owned(request, self.state.applications, "id")
        except LookupError:
            return HTMLResponse("No such application", status_code=404)
        if application.flow.settled:
            return self._redirect(request, self.paths.of(self.paths.application, application.application_id))
        return self._widget_page(request, application.flow, "Apply with Flexiti",
                                 self.paths.of(self.paths.application_events, application.application_id))

    async def application_event(self, request: Request) -> Response:
        try:
            application: Application = self._owned(request, self.state.applications, "id")
        except LookupError:
            return JSONResponse({"error": "no such application"}, status_code=404)
        _, session = self._session(request)
        event_type, data = _event(await request.json())
        done = {"next": self.paths.of(self.paths.application, application.application_id)}
        flow = application.flow
        if flow.settled:
            return JSONResponse(done)
        if not self._for_this_flow(flow, event_type, data):
            return JSONResponse({"error": "the event is not for this application's widget session"}, status_code=409)
        action = data.get("action")
        if event_type == "flx-success" and action == "retry":
            return await self._on_application_retry(application, session)
        flow.settled = True
        if event_type == "flx-success" and action == "apply":
            return await self._on_apply(application, session)
        if event_type == "flx-success" and action == "activation":
            if not self.choices.activation_opens_portal:
                self._tell_to_activate(session, "then shop with it.")
                return JSONResponse({"next": self.paths.catalogue})
            session.notice = "You already have a Flexiti account that needs activation: we opened the customer portal."
            return JSONResponse({"open": self.config.customer_portal_url, "next": self.paths.catalogue})
        if event_type == "flx-success" and action == "purchase":
            session.notice = "You already have a Flexiti account: choose Flexiti at checkout to use it."
            return JSONResponse({"next": self.paths.cart})
        if event_type == "flx-cancel":
            if self.choices.cancel_notice:
                session.notice = "You cancelled your Flexiti application."
        elif event_type == "flx-failure":
            session.notice = f"Flexiti could not take your application ({data.get('message', 'unknown error')})."
        else:
            return self._application_not_accepted(session)
        return JSONResponse({"next": self.paths.apply_form})

    async def _on_application_retry(self, application: Application, session: ShopperSession) -> Response:
        """flx-success with action=retry: a third-party timeout at Flexiti; start a new widget session and show
        the widget again."""
        flow = application.flow
        try:
            await self._open_widget(session, flow, _apply_body(application.applicant, application.lang))
        except FlexitiError as error:
            flow.settled = True
            session.notice = f"Flexiti applications are unavailable right now ({error.error})."
            return JSONResponse({"next": self.paths.apply_form})
        return JSONResponse({"reopen": flow.redirection_url})

    async def _on_apply(self, application: Application, session: ShopperSession) -> Response:
        """flx-success with action=apply: /apply with the widget's session and the applicant's information exactly
        as sent to widget/init; Flexiti's decision is the application's."""
        try:
            assert session.token is not None  # set by _open_widget for this flow; kept unchanged (the reference)
            with self._flow_calls(application.flow):
                result = await self.flexiti.apply(session.token, self._apply_request(application))
        except FlexitiError as error:
            session.notice = f"Flexiti could not take your application ({error.error})."
            return JSONResponse({"next": self.paths.apply_form})
        application.decision = str(result.get("decision"))
        application.account_number = result.get("account_number")
        return JSONResponse({"next": self.paths.of(self.paths.application, application.application_id)})

    def _apply_request(self, application: Application) -> dict[str, Any]:
        """The /apply body: widget/init's application body again, with the widget_session_id."""
        return {**_apply_body(application.applicant, application.lang),
                "widget_session_id": application.flow.widget_session_id}

    def _application_not_accepted(self, session: ShopperSession) -> Response:
        """Any other outcome of the application widget: Flexiti will not take an application now."""
        session.notice = "Flexiti cannot accept an application from you at this time."
        return JSONResponse({"next": self.paths.apply_form})

    async def application(self, request: Request) -> Response:
        try:
            application: Application = self._owned(request, self.state.applications, "id")
        except LookupError:
            return HTMLResponse("No such application", status_code=404)
        return self._page(request, "application.html", application=application)

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return Response(status_code=204)


def _fields(form: FormData, names: tuple[str, ...]) -> dict[str, str]:
    return {name: str(form.get(name, "")).strip() for name in names}


def _event(message: Any) -> tuple[str | None, dict[str, Any]]:
    if not isinstance(message, dict):
        return None, {}
    data = message.get("eventData")
    return message.get("eventType"), data if isinstance(data, dict) else {}


def shopper_language(request: Request) -> str:
    """The widget's language: "fr" when the browser's Accept-Language prefers French to English, else "en" (the
    store's choice of signal; Flexiti's widget knows en and fr)."""
    ranked = []
    for position, part in enumerate(request.headers.get("accept-language", "").split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        primary = tag.strip().lower().split("-")[0]
        if primary in ("en", "fr") and quality > 0:
            ranked.append((-quality, position, primary))
    return min(ranked)[2] if ranked else "en"


def _apply_body(applicant: dict[str, str], lang: str = "en") -> dict[str, Any]:
    """The widget/init body for an application; /apply repeats it with the widget_session_id."""
    body: dict[str, Any] = {
        "flow": "apply",
        "lang": lang,
        "customer_identification": {"personal_information": {
            name: applicant[name] for name in PERSONAL_FIELDS if applicant.get(name)
        }},
        "email": applicant["email"],
        "phone_number": applicant["phone_number"],
        "address_1": applicant["address_1"],
        "city": applicant["city"],
        "province": applicant["province"],
        "account_type": applicant.get("account_type") or "consumer",
        "tos_agreement": True,
    }
    if applicant.get("address_2"):
        body["address_2"] = applicant["address_2"]
    return body


def _query_value(url: str, name: str) -> str | None:
    query = urlsplit(urlsplit(url).fragment).query
    values = parse_qs(query).get(name)
    return values[0] if values else None


def money(value: Decimal) -> str:
    return f"${value:,.2f}"

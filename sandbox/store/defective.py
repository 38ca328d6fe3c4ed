"""The reference store broken on purpose: `DefectiveStore` overrides the steps of the correct integration
(sandbox/store/app.py) and, for each `StoreDefect` switched on, deviates the way a real integration might; with none
on, it is the correct store. The sandbox always runs this class, so detection switches defects per test in-process.

The defects apply on top of either correct store (sandbox/store/choices.py). On the alternative store `sku_mismatch`
cannot apply: it sends no sku_data to mismatch (sku_data is optional), so that defect leaves it correct.
"""

from __future__ import annotations

import dataclasses
import time
import weakref
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sandbox.store.app import DECLINES, Application, Order, ShopperSession, Store, StoreState, WidgetFlow
from sandbox.store.catalogue import Line, Totals
from sandbox.store.choices import REFERENCE, StoreChoices
from sandbox.store.defects import StoreDefect
from sandbox.store.flexiti_client import FlexitiClient, FlexitiConfig, FlexitiError, Token


class Switches:
    """The defects switched on, shared by the store and its Flexiti client so one call switches both."""

    def __init__(self) -> None:
        self.on: frozenset[StoreDefect] = frozenset()

    def __contains__(self, defect: StoreDefect) -> bool:
        return defect in self.on


class DefectiveFlexitiClient(FlexitiClient):
    """The POS API client with the token and header defects."""

    def __init__(self, config: FlexitiConfig, switches: Switches, clock: Callable[[], float]) -> None:
        super().__init__(config, clock=clock)
        self.defects = switches

    def _reference(self) -> dict[str, str]:
        if StoreDefect.MISSING_REFERENCE_ID in self.defects:
            return {}
        return super()._reference()

    async def new_token(self) -> Token:
        if StoreDefect.MERCHANT_SCOPE_TOKEN in self.defects:
            return await self._request_token({"grant_type": "client_credentials"})  # scope defaults to merchant
        return await super().new_token()

    async def for_widget(self, token: Token | None) -> Token:
        if token is not None and StoreDefect.STALE_TOKEN in self.defects \
                and not token.near_expiry(self.clock(), threshold=0):
            return token  # the session's token, however little of its life is left for the widget
        if token is not None and StoreDefect.EXPIRED_TOKEN_REFRESHED in self.defects:
            # An expired token cannot be refreshed (401), and no new one is asked for instead: the call fails.
            return await self.refreshed(token)
        return await super().for_widget(token)

    def widget_init_url(self) -> str:
        return self._url("v2.5", f"client-id/{self.config.client_id}/widget/init")


class DefectiveStore(Store):
    """The reference store with its deliberate defects switchable (sandbox/store/defects.py)."""

    def __init__(self, config: FlexitiConfig, sdk_url: str, state: StoreState | None = None,
                 clock: Callable[[], float] = time.time, defects: Iterable[str] = frozenset(),
                 choices: StoreChoices = REFERENCE) -> None:
        self.switches = Switches()  # before Store.__init__, which makes the Flexiti client that shares it
        # init_from_browser: what the page needs to call widget/init itself, per widget opening.
        self._browser_inits: weakref.WeakKeyDictionary[WidgetFlow, dict[str, Any]] = weakref.WeakKeyDictionary()
        super().__init__(config, sdk_url, state, clock, choices)
        self.set_defects(defects)

    @property
    def defects(self) -> frozenset[StoreDefect]:
        return self.switches.on

    def set_defects(self, defects: Iterable[str]) -> None:
        """Switch the store's deliberate defects; detection runs switch them per test."""
        self.switches.on = StoreDefect.parse(defects, "the reference store's defects")

    def _flexiti_client(self, config: FlexitiConfig, clock: Callable[[], float]) -> FlexitiClient:
        self._client = DefectiveFlexitiClient(config, self.switches, clock)
        return self._client

    def registered_trust_url(self, store_url: str) -> str:
        if StoreDefect.TRUST_URL_TRAILING_SLASH in self.defects:
            return store_url + "/"  # the slash Flexiti's documentation warns about
        return super().registered_trust_url(store_url)

    # -- pages ------------------------------------------------------------------------------------
    def _page_extras(self) -> dict[str, Any]:
        extras = super()._page_extras()
        if StoreDefect.SECRET_IN_BROWSER in self.defects:
            extras["leaked_config"] = {"clientId": self.config.client_id, "clientSecret": self.config.client_secret}
        return extras

    def _widget_page_flags(self, flow: WidgetFlow) -> dict[str, Any]:
        # The page's script (static/widget.js) reads these as data attributes.
        flags = super()._widget_page_flags(flow)
        flags["browser_init"] = self._browser_inits.get(flow)
        flags["any_origin"] = StoreDefect.NO_ORIGIN_CHECK in self.defects  # acts on any window's message
        flags["no_guard"] = StoreDefect.NO_IDEMPOTENCY in self.defects  # reports every event, not just the first
        flags["no_portal"] = StoreDefect.ACTIVATION_IGNORED in self.defects  # no customer portal on activation
        return flags

    # -- widget/init ------------------------------------------------------------------------------
    async def _widget_init(self, token: Token, flow: WidgetFlow, body: dict[str, Any]) -> None:
        if StoreDefect.INIT_FROM_BROWSER in self.defects and body.get("flow") == "purchase":
            # The page calls widget/init itself, so the access token reaches the browser. It gives up when the
            # server would have: the defect is where the call is made, not its patience.
            url = self._client.widget_init_url()
            self._browser_inits[flow] = {"url": url, "token": token.access_token, "body": body,
                                         "timeout_ms": round(self._client.timeout_for(url) * 1000)}
            return
        await super()._widget_init(token, flow, body)

    async def _widget_init_failed(self, request: Request, error: FlexitiError, shopper: dict[str, str]) -> Response:
        if error.status == 409 and StoreDefect.INIT_REFUSAL_HIDDEN in self.defects:
            return self._redirect(request, "/checkout")  # the refusal is taken for "no financing offered"
        return await super()._widget_init_failed(request, error, shopper)

    # -- widget events ----------------------------------------------------------------------------
    def _for_this_flow(self, flow: WidgetFlow, event_type: str | None, data: dict[str, Any]) -> bool:
        if flow in self._browser_inits and flow.widget_session_id is None:
            flow.widget_session_id = data.get("widget_session_id")  # the page opened the widget itself
        return super()._for_this_flow(flow, event_type, data)

    def _order_settled(self, order: Order) -> bool:
        if StoreDefect.NO_IDEMPOTENCY in self.defects:
            return False  # a later event overrides the first outcome, a payment too
        return super()._order_settled(order)

    def _verified(self, data: dict[str, Any]) -> bool:
        return StoreDefect.AUTHORIZE_UNVERIFIED in self.defects or super()._verified(data)

    def _on_cancel(self, order: Order, session: ShopperSession) -> Response:
        response = super()._on_cancel(order, session)
        if StoreDefect.CANCEL_EMPTIES_CART in self.defects:
            session.cart.clear()
        return response

    def _on_failure(self, order: Order, session: ShopperSession, data: dict[str, Any]) -> Response:
        if StoreDefect.FAILURE_NOT_SHOWN in self.defects:
            order.status = "failed"  # and not a word to the shopper
            return JSONResponse({"next": "/checkout"})
        return super()._on_failure(order, session, data)

    def _on_activation(self, order: Order, session: ShopperSession) -> Response:
        if StoreDefect.ACTIVATION_IGNORED in self.defects:
            return self._on_not_usable(order, session)
        return super()._on_activation(order, session)

    # -- /authorization ---------------------------------------------------------------------------
    def _authorization_body(self, order: Order, account_number: int) -> dict[str, Any]:
        if StoreDefect.TAX_LEFT_OUT in self.defects:
            totals = order.totals
            order = dataclasses.replace(order, totals=Totals(totals.subtotal, Decimal("0.00"), totals.shipping))
        if StoreDefect.SKU_MISMATCH in self.defects:
            order = dataclasses.replace(order, lines=[Line(line.product, 1) for line in order.lines])
        return super()._authorization_body(order, account_number)

    async def _token_for_authorization(self, session: ShopperSession) -> Token:
        # Either token differs from widget/init's, which Flexiti takes as the flow's reference: not_verified.
        token = await super()._token_for_authorization(session)
        if StoreDefect.NEW_TOKEN_FOR_AUTHORIZATION in self.defects:
            session.token = token = await self.flexiti.new_token()
        if StoreDefect.REFRESH_MID_FLOW in self.defects:
            session.token = token = await self.flexiti.refreshed(token)
        return token

    async def _authorization(self, token: Token, body: dict[str, Any]) -> dict[str, Any]:
        try:
            return await super()._authorization(token, body)
        except FlexitiError as error:
            if error.status < 500 or StoreDefect.AUTHORIZATION_RETRIED not in self.defects:
                raise
            return await self.flexiti.authorize(token, body)  # the first may have been taken already

    def _authorization_refused(self, order: Order, error: FlexitiError) -> None:
        if error.error in DECLINES and StoreDefect.DECLINES_MARKED_PAID in self.defects:
            order.status = "paid"
            return
        super()._authorization_refused(order, error)

    # -- credit application -----------------------------------------------------------------------
    async def _on_application_retry(self, application: Application, session: ShopperSession) -> Response:
        if StoreDefect.RETRY_NOT_HANDLED in self.defects:
            application.flow.settled = True  # a failure: no new widget session
            return self._application_not_accepted(session)
        return await super()._on_application_retry(application, session)

    async def _on_apply(self, application: Application, session: ShopperSession) -> Response:
        if StoreDefect.APPLY_SKIPPED in self.defects:
            application.decision = "approved"  # Flexiti never heard of this application
            return JSONResponse({"next": f"/applications/{application.application_id}"})
        return await super()._on_apply(application, session)

    def _apply_request(self, application: Application) -> dict[str, Any]:
        if StoreDefect.APPLY_CHANGED_INFO in self.defects:
            # Not the personal information widget/init sent, which /apply must repeat exactly.
            changed = {**application.applicant, "last_name": application.applicant["last_name"].upper()}
            application = dataclasses.replace(application, applicant=changed)
        return super()._apply_request(application)

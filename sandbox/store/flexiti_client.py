"""The store's server-side Flexiti POS API client: tokens, widget/init and authorization.

Everything here runs on the merchant's server. The browser never sees the client secret or a token
request; it only receives the `redirection_url` to render with the SDK.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx

# Flexiti's guidance: treat a token as expired this many seconds before it really does.
EXPIRATION_THRESHOLD = 60


class FlexitiError(Exception):
    """A POS API error response (HTTP status and Flexiti's error code), or no answer at all (5xx)."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(f"{status} {error}: {message}")
        self.status, self.error, self.message = status, error, message


@dataclass
class Token:
    """An access token as kept in the shopper's server session."""

    access_token: str
    refresh_token: str
    expires_in: int
    created: float

    def near_expiry(self, now: float, threshold: int = EXPIRATION_THRESHOLD) -> bool:
        return now - self.created >= self.expires_in - threshold


@dataclass(frozen=True)
class FlexitiConfig:
    api_base: str  # e.g. https://posapi-training.flexiti.fi/flexiti/pos-api (no trailing slash)
    client_id: str
    client_secret: str
    widget_origin: str  # where the widget iframe and its messages come from
    customer_portal_url: str = "https://my.flexiti.com/index"
    timeout: float = 10.0


class FlexitiClient:
    """POS API calls the store makes; one instance per store, one `Token` per shopper session."""

    def __init__(self, config: FlexitiConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.clock = clock
        # Idle connections are dropped before a server's usual 5 s keep-alive ends: reusing one the server is
        # closing at that moment would fail the call ("unreachable"), and a POST such as /authorization is not
        # retried. (Probably what failed one CI detection run; it never reproduced here.)
        self._http = httpx.AsyncClient(timeout=config.timeout, limits=httpx.Limits(keepalive_expiry=2.0))
        # Sandbox control (Sandbox.shorten_store_timeout): endpoint suffix -> [seconds, calls left], so a test that
        # injects a timeout waits a fraction of a second for the store to give up, and only on that call.
        self.short_timeouts: dict[str, list[float]] = {}
        # The store's choice of token for a widget: a new client_credentials grant each time (True), or the
        # session's token refreshed (False).
        self.new_grant_per_flow = False
        # The x-reference-id of the calls made in this request's task, where the store sends one per flow.
        self._flow_reference: ContextVar[str | None] = ContextVar("flow_reference", default=None)

    async def aclose(self) -> None:
        await self._http.aclose()

    def _url(self, version: str, path: str) -> str:
        return f"{self.config.api_base.rstrip('/')}/{version}/{path.lstrip('/')}"

    def _reference(self) -> dict[str, str]:
        # A GUID of 32 characters, as Flexiti asks for x-reference-id: the flow's, or a new one per call.
        return {"x-reference-id": self._flow_reference.get() or uuid.uuid4().hex}

    @contextlib.contextmanager
    def reference_id(self, flow_reference: str | None) -> Iterator[None]:
        """Calls made inside carry `flow_reference` as their x-reference-id (None: a new GUID per call). A context
        variable, so concurrent requests of other shoppers keep their own."""
        previous = self._flow_reference.set(flow_reference)
        try:
            yield
        finally:
            self._flow_reference.reset(previous)

    def timeout_for(self, url: str) -> float:
        """Seconds to wait for Flexiti's answer on `url`: the configured timeout, unless a test shortened it."""
        for suffix, shortened in self.short_timeouts.items():
            if shortened[1] > 0 and url.rstrip("/").endswith(suffix.rstrip("/")):
                shortened[1] -= 1
                return shortened[0]
        return self.config.timeout

    async def _post(self, url: str, **kwargs: Any) -> httpx.Response:
        """POST, with transport trouble turned into the same error type as Flexiti's own errors."""
        timeout = self.timeout_for(url)
        try:
            return await self._http.post(url, timeout=timeout, **kwargs)
        except httpx.TimeoutException:
            raise FlexitiError(504, "timeout", f"no answer from Flexiti within {timeout}s") from None
        except httpx.TransportError as error:
            # The transport error's kind stays in the code the shopper's notice shows: "refused" and "server
            # disconnected" point at different causes, and nothing else of this error reaches a report.
            raise FlexitiError(503, f"unreachable: {type(error).__name__}", f"cannot reach Flexiti: {error}") from None

    async def _request_token(self, form: dict[str, str]) -> Token:
        response = await self._post(
            self._url("v2.5", "oauth/token"),
            data={"client_id": self.config.client_id, "client_secret": self.config.client_secret, **form},
            headers=self._reference(),
        )
        body = self._checked(response)
        return Token(body["access_token"], body["refresh_token"], int(body["expires_in"]), self.clock())

    async def new_token(self) -> Token:
        return await self._request_token({"grant_type": "client_credentials", "scope": "customer"})

    async def refreshed(self, token: Token) -> Token:
        """The refresh_token grant: a new access token for the same client, not a second client_credentials one."""
        return await self._request_token({"grant_type": "refresh_token", "refresh_token": token.refresh_token})

    async def for_widget(self, token: Token | None) -> Token:
        """The token to open a widget on, and so the token of the whole flow: Flexiti takes the exact access token
        of widget/init as the flow's reference (widget, /authorization, /apply), so it is refreshed here, before
        the widget opens, giving the shopper its whole lifetime; never between widget/init and the flow's end.
        A new one when there is none, or when it expired (a widget left open too long) and cannot be refreshed;
        a store that takes a new grant for every widget (new_grant_per_flow) never refreshes."""
        if self.new_grant_per_flow:
            return await self._new_grant_once_more_on_401()
        if token is None or token.near_expiry(self.clock(), threshold=0):
            return await self.new_token()
        try:
            return await self.refreshed(token)
        except FlexitiError as error:
            if error.status != 401:
                raise
            return await self.new_token()  # it expired on the way

    async def _new_grant_once_more_on_401(self) -> Token:
        """A new client_credentials grant; asked once more if Flexiti answers 401 (it says a token expired): a grant
        changes nothing at Flexiti, so asking again is safe, and the second answer is the store's to act on."""
        try:
            return await self.new_token()
        except FlexitiError as error:
            if error.status != 401:
                raise
            return await self.new_token()

    async def _call(self, token: Token, version: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = await self._post(
            self._url(version, f"client-id/{self.config.client_id}/{path}"),
            json=body,
            headers={"authorization": f"Bearer {token.access_token}", **self._reference()},
        )
        return self._checked(response)

    async def widget_init(self, token: Token, body: dict[str, Any]) -> str:
        return str((await self._call(token, "v2.5", "widget/init", body))["redirection_url"])

    async def authorize(self, token: Token, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(token, "v2.5.1", "authorization", body)

    async def apply(self, token: Token, body: dict[str, Any]) -> dict[str, Any]:
        return await self._call(token, "v2.5", "apply", body)

    @staticmethod
    def _checked(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = {}
        if response.status_code >= 400 or not isinstance(body, dict):
            error = body.get("error", "unknown") if isinstance(body, dict) else "unknown"
            message = body.get("message", response.reason_phrase) if isinstance(body, dict) else response.reason_phrase
            raise FlexitiError(response.status_code, str(error), str(message))
        return body

"""The simulator's HTTP surface: POS API endpoints, the widget's own API, static widget and SDK, admin.

Facts from Flexiti's documentation are followed exactly; where the documentation is silent the sandbox
chooses and says so in the README ("Sandbox choices").
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import math
import re
import secrets
import traceback
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from harness.customers import Customer
from harness.proxy_faults import WIDGET_PAGE_FAULT
from harness.recording import JOURNAL_PATH, call_entry
from sandbox.flexiti.state import (
    MAX_MFA_ATTEMPTS,
    RETURN_WINDOW_DAYS,
    Authorization,
    Capture,
    Fault,
    Grant,
    SimulatorState,
    WidgetSession,
)

STATIC = Path(__file__).with_name("static")
API = "/flexiti/pos-api"
Handler = Callable[[Request], Awaitable[Response]]
_PROVINCE = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^\d{10}$")
PROVINCES = (("AB", "Alberta"), ("BC", "British Columbia"), ("MB", "Manitoba"), ("NB", "New Brunswick"),
             ("NL", "Newfoundland & Labrador"), ("NS", "Nova Scotia"), ("NT", "Northwest Territories"),
             ("NU", "Nunavut"), ("ON", "Ontario"), ("PE", "Prince Edward Island"), ("QC", "Quebec"),
             ("SK", "Saskatchewan"), ("YT", "Yukon Territory"))
# Training and MI choose an application's decision by the applicant's middle name: these keys, exactly.
DECISION_KEYS = {
    **dict.fromkeys(("A-RR_L", "A-RR_M", "A-RR_H", "A-RR_X"), "approved"),
    **dict.fromkeys(("P-REVIEW_MISC", "P-EXIST_CUST", "P-CREDIT", "P-FRAUD", "P-MISSING_INFO"), "pending"),
    **dict.fromkeys(("D-DUPLICATE", "D-NO_HIT", "D-NO_SCORE", "D-FRAUD"), "declined"),
    # An older version of the test-data page lists D-MISSING_INFO (a decline) where the current one has P-MISSING_INFO.
    "D-MISSING_INFO": "declined",
    # Declined when the merchant has no standard account enabled, approved otherwise: the sandbox merchant has none
    # (a declared choice), so these decline.
    **dict.fromkeys(("A-RR_XX", "A-RR_XXX"), "declined"),
}
RETRY_KEY = "D-EMAIL_DBL_TIMEOUT"  # a third-party timeout: the widget ends in action=retry (once per applicant)
_REFERENCE_ID = re.compile(r"^[0-9a-fA-F]{32}$")
LANGUAGES = ("en", "fr")  # documented values of `lang`, in widget/init's body and in the query of other calls
IDEMPOTENCY_KEY = "x-idempotency-key"  # documented optional header on the v2.5.1 transaction calls
_DOB = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CUSTOMER_OR_MERCHANT = ("customer", "merchant")  # documented: customer-scope endpoints take either
MERCHANT_ONLY = ("merchant",)  # documented: back-office endpoints need a merchant-scope token
TRANSACTION_TYPES = ("regular_purchase", "promotional_purchase")
MFA_LABELS = {"sms": "Text message (SMS)", "email": "Email", "security_question": "Security question"}
# What the widget's server side says, per widget/init `lang` (the sandbox's own wording; the screens are in widget.js).
TEXTS: dict[str, dict[str, str]] = {
    "en": {"sms": "Text message (SMS)", "email": "Email", "security_question": "Security question",
           "answer_label": "Your answer", "code_label": "Verification code",
           "code_sent": "We sent a code (ending …{destination}).",
           "wrong_answer": "That answer is not correct. {left} attempt(s) left."},
    "fr": {"sms": "Message texte (SMS)", "email": "Courriel", "security_question": "Question de sécurité",
           "answer_label": "Votre réponse", "code_label": "Code de vérification",
           "code_sent": "Nous avons envoyé un code (se terminant par …{destination}).",
           "wrong_answer": "Cette réponse n'est pas la bonne. Essais restants : {left}."},
}
# How long an injected timeout holds a call at most: longer than any sensible client timeout in the sandbox. The
# call is let go as soon as its caller hangs up (gives up on it), so a test waits only for the caller's timeout.
FAULT_HOLD_SECONDS = 8.0
CUSTOMER_PORTAL = "/customer-portal"


async def _until_caller_hangs_up(request: Request, at_most: float) -> None:
    """Hold a call until its client disconnects (ASGI `http.disconnect`, once the body has been read) or
    `at_most` seconds have passed, whichever comes first."""
    async def disconnected() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(disconnected(), timeout=at_most)


class ApiError(Exception):
    """A documented POS API error: status, error code, message and optional field errors."""

    def __init__(self, status: int, error: str, message: str, field_errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.status, self.error, self.message, self.field_errors = status, error, message, field_errors or []


def _wrong_inputs(*field_errors: tuple[str, str, Any]) -> ApiError:
    return ApiError(
        409, "wrong_inputs", "Some inputs are wrong!",
        [{"param": param, "msg": msg, "value": value} for param, msg, value in field_errors],
    )


# Deeper JSON than any documented body: refused before it can exhaust the parser's recursion.
MAX_JSON_DEPTH = 32


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def _depth(raw: bytes) -> int:
    """How deep brackets nest in `raw`, counted outside strings, without parsing (a parser would recurse)."""
    deepest = depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            deepest = max(deepest, depth)
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def parse_json_body(raw: bytes) -> Any:
    """A JSON body the simulator can safely echo back: UTF-8, no NaN/Infinity/out-of-range numbers, bounded
    depth. Anything else raises ValueError with the reason (Starlette's own parser accepts all of them)."""
    if _depth(raw) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8") from None
    return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)


def parse_form_body(raw: bytes, name: str = "body") -> dict[str, str]:
    """An application/x-www-form-urlencoded body as a dict (first value of each field); ApiError if not UTF-8."""
    try:
        text = raw.decode("utf-8")
        return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True, errors="strict").items()}
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_request", f"The form {name} is not valid UTF-8 (percent-encoded or raw)") from None


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of UTF-8 bytes: compare_digest refuses str holding non-ASCII characters."""
    return secrets.compare_digest(given.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass"))


def _error_body(request: Request, error: ApiError) -> dict[str, Any]:
    body: dict[str, Any] = {"url": request.url.path, "message": error.message, "error": error.error}
    if error.field_errors:
        body["field_errors"] = error.field_errors
    return body


class Simulator:
    """Builds the Starlette app around one `SimulatorState`."""

    def __init__(self, state: SimulatorState) -> None:
        self.state = state
        self.app = TrustedOriginCors(Starlette(routes=self._routes()), state)

    @property
    def journaled_prefixes(self) -> tuple[str, ...]:
        return (API, "/widget-api/")

    def _routes(self) -> list[Route]:
        j = self._journaled
        return [
            Route(f"{API}/v2.5/oauth/token", j(self.token), methods=["POST"]),
            Route(f"{API}/v2.5/client-id/{{client_id}}/widget/init", j(self.widget_init), methods=["POST"]),
            Route(f"{API}/v2.5/client-id/{{client_id}}/merchants/login", j(self.merchants_login), methods=["POST"]),
            Route(f"{API}/v2.5/client-id/{{client_id}}/apply", j(self.apply), methods=["POST"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/authorization", j(self.authorize), methods=["POST"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/authorization/{{authorization_id}}",
                  j(self.get_authorization), methods=["GET"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/authorizations", j(self.list_authorizations), methods=["GET"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/authorization/{{authorization_id}}/capture",
                  j(self.capture), methods=["POST"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/authorization/{{authorization_id}}/release",
                  j(self.release), methods=["POST"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/authorization/{{authorization_id}}/capture/{{capture_id}}/return",
                  j(self.return_capture), methods=["POST"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/capture/{{capture_id}}/return", j(self.return_capture),
                  methods=["POST"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/captures", j(self.list_captures), methods=["GET"]),
            Route(f"{API}/v2.5.1/client-id/{{client_id}}/accounts/{{account_number}}/refund", j(self.refund),
                  methods=["POST"]),
            Route("/widget-api/sessions/{session_id}", j(self.widget_session), methods=["GET"]),
            Route("/widget-api/sessions/{session_id}/mfa", j(self.widget_choose_mfa), methods=["POST"]),
            Route("/widget-api/sessions/{session_id}/verify", j(self.widget_verify), methods=["POST"]),
            Route("/widget-api/sessions/{session_id}/account", j(self.widget_choose_account), methods=["POST"]),
            Route("/widget-api/sessions/{session_id}/cancel", j(self.widget_cancel), methods=["POST"]),
            Route("/widget-api/sessions/{session_id}/continue", j(self.widget_continue), methods=["POST"]),
            Route("/", self.widget_page, methods=["GET"]),
            Route(CUSTOMER_PORTAL, self.customer_portal, methods=["GET"]),
            Route("/widget/widget.js", self.static("widget.js"), methods=["GET"]),
            Route("/sdk/flexiti-sdk.js", self.static("flexiti-sdk.js"), methods=["GET"]),
            Route(JOURNAL_PATH, self.read_journal, methods=["GET"]),
            Route(JOURNAL_PATH, self.clear_journal, methods=["DELETE"]),
            Route("/__sandbox/reset", self.reset, methods=["POST"]),
            Route("/__sandbox/config", self.read_config, methods=["GET"]),
            Route("/__sandbox/config", self._admin(self.configure), methods=["POST"]),
            Route("/__sandbox/faults", self._admin(self.add_fault), methods=["POST"]),
            Route("/__sandbox/clock", self._admin(self.advance_clock), methods=["POST"]),
            Route("/{path:path}", j(self.unknown), methods=["GET", "POST", "PUT", "DELETE", "PATCH"]),
        ]

    # -- plumbing -----------------------------------------------------------------------------
    def _journaled(self, handler: Handler) -> Handler:
        """Journal the call, turn ApiError into the documented body, and keep crashes for the test."""

        async def wrapper(request: Request) -> Response:
            epoch = self.state.epoch
            raw = await request.body()
            try:
                self._check_reference_id(request)
                self._check_query_lang(request)
                response = await self._injected_fault(request) or await handler(request)
            except ApiError as error:
                response = self._error_response(request, error)
            except Exception:  # noqa: BLE001 - a simulator bug must fail the test that caused it
                response = self._crash(request)
            if request.url.path.startswith(self.journaled_prefixes):
                try:
                    entry = call_entry(request, raw, response.status_code, bytes(response.body))
                except Exception:  # noqa: BLE001 - an unjournaled crash would pass the test that caused it
                    response = self._crash(request)
                    entry = {"method": request.method, "path": request.url.path, "query": {}, "headers": {},
                             "body": None, "status": response.status_code, "response": None}
                self.state.record(entry, epoch)
            return response

        return wrapper

    @staticmethod
    def _check_reference_id(request: Request) -> None:
        """Documented: x-reference-id is a GUID of at most 32 characters, i.e. 32 hex digits without dashes. A
        malformed one is refused; a missing one is journaled and let through (sandbox choice: Flexiti does not say
        what it answers, and the harness's AUTH-03 fails the call from the journal)."""
        reference = request.headers.get("x-reference-id")
        if request.url.path.startswith(API) and reference is not None and not _REFERENCE_ID.match(reference):
            raise _wrong_inputs(("x-reference-id", "must be a GUID of 32 hex digits without dashes", reference))

    @staticmethod
    def _check_query_lang(request: Request) -> None:
        """Documented: `lang` in the query of the POS API calls (v2.5.1 calls, merchants/login) is `en` or `fr`,
        default `en`. Either is accepted; another value is refused (sandbox choice: Flexiti does not say what it
        answers). The token endpoint refuses every query parameter on its own."""
        lang = request.query_params.get("lang")
        if (lang is not None and request.url.path.startswith(API) and not request.url.path.endswith("/oauth/token")
                and lang not in LANGUAGES):
            raise _wrong_inputs(("lang", "must be 'en' or 'fr'", lang))

    def _admin(self, handler: Handler) -> Handler:
        """Admin calls are not journaled nor faulted, but a bad one gets the same documented error body."""

        async def wrapper(request: Request) -> Response:
            try:
                return await handler(request)
            except ApiError as error:
                return self._error_response(request, error)

        return wrapper

    def _error_response(self, request: Request, error: ApiError) -> Response:
        try:
            return JSONResponse(_error_body(request, error), status_code=error.status)
        except ValueError:  # a field value that is not JSON (NaN): the error stands, without the values
            body = _error_body(request, ApiError(error.status, error.error, error.message))
            return JSONResponse(body, status_code=error.status)

    def _crash(self, request: Request) -> Response:
        self.state.errors.append(f"{request.method} {request.url.path}\n{traceback.format_exc()}")
        return JSONResponse(
            {"url": request.url.path, "message": "sandbox crashed; see the test's error", "error": "general_error"},
            status_code=500,
        )

    async def _injected_fault(self, request: Request) -> Response | None:
        """A fault a test injected for this endpoint, or a browser call from an untrusted origin."""
        origin = request.headers.get("origin")
        if (origin and request.url.path.startswith(API) and self.state.trust_url is not None
                and origin != self.state.trust_url):
            raise ApiError(403, "untrusted_origin", f"Origin {origin} is not this merchant's Trust URL")
        fault = self.state.take_fault(request.url.path)
        if fault is None:
            return None
        if fault.timeout:
            await _until_caller_hangs_up(request, FAULT_HOLD_SECONDS)
            return JSONResponse({"url": request.url.path, "message": "injected timeout", "error": "timeout"},
                                status_code=504)
        raise ApiError(fault.status, fault.error, f"injected fault: {fault.status} {fault.error}")

    def _grant(self, request: Request, scopes: tuple[str, ...] = ("customer", "merchant")) -> Grant:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ApiError(401, "invalid_token", "Missing bearer token in the authorization header")
        grant = self.state.grant_for(token.strip())
        if grant is None:
            raise ApiError(401, "invalid_token", "The access token is unknown or expired")
        if grant.scope not in scopes:
            raise ApiError(403, "insufficient_scope", "Insufficient scope: authorized scope is insufficient")
        return grant

    def _client(self, request: Request, grant: Grant) -> None:
        # invalid_role is documented for an account not provisioned for the API; a token used under another
        # client id is a wrong token for that path: 401 (documented: "wrong or expired access token").
        if request.path_params.get("client_id") != grant.client_id:
            raise ApiError(401, "invalid_token", "The access token was not issued to the client id in the path")

    @staticmethod
    async def _json(request: Request) -> dict[str, Any]:
        try:
            body = parse_json_body(await request.body())
        except ValueError as error:
            raise _wrong_inputs(("body", f"must be a JSON object ({one_reason(error)})", None)) from None
        if not isinstance(body, dict):
            raise _wrong_inputs(("body", "must be a JSON object", None))
        return body

    def static(self, name: str) -> Handler:
        async def serve(request: Request) -> Response:
            return FileResponse(STATIC / name, headers={"cache-control": "no-store"})

        return serve

    # -- authentication -----------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
            raise ApiError(400, "invalid_request", "Token requests must be sent as application/x-www-form-urlencoded")
        if request.query_params:
            raise ApiError(400, "invalid_request", "Token parameters must be in the form body, not the query string")
        form = parse_form_body(await request.body())
        grant_type = form.get("grant_type", "client_credentials")
        scope = form.get("scope", "merchant")
        if grant_type not in ("client_credentials", "refresh_token", "password"):
            raise ApiError(400, "invalid_request", f"Invalid grant_type {grant_type!r}")
        if scope not in ("merchant", "customer"):
            raise ApiError(400, "invalid_request", f"Unknown scope {scope!r}")
        same_id = form.get("client_id") == self.state.client_id
        secret_matches = same_secret(form.get("client_secret", ""), self.state.client_secret)
        if not (same_id and secret_matches):
            raise ApiError(400, "invalid_client", "Bad client credentials")
        if grant_type == "password":
            # Documented as a grant type, its fields are not: the sandbox asks for a username and a password and
            # then answers as for client_credentials (a sandbox choice, declared in the README).
            missing = [(name, "required for grant_type=password", None) for name in ("username", "password")
                       if not form.get(name)]
            if missing:
                raise _wrong_inputs(*missing)
        if grant_type == "refresh_token":
            grant = self.state.refresh(form.get("refresh_token", ""))
            if grant is None:
                raise ApiError(401, "invalid_token", "The refresh token is unknown, used or expired")
        else:
            grant = self.state.issue_grant(self.state.client_id, scope)
        return JSONResponse({
            "token_type": "bearer",
            "access_token": grant.access_token,
            "expires_in": grant.expires_in,
            "refresh_token": grant.refresh_token,
            "scope": grant.scope,
        })

    async def merchants_login(self, request: Request) -> Response:
        """Deprecated since Flexiti release 20.3 ("not wrong, just outdated"): answered as documented, journaled, and
        marked with a `deprecation` header so a report can advise dropping it."""
        grant = self._grant(request)
        self._client(request, grant)
        # Documented: merchant_username and merchant_password are optional (a sales representative or location);
        # the sandbox knows no such users, so any pair, or none, logs in the merchant.
        body = await self._json(request) if await request.body() else {}
        for name in ("merchant_username", "merchant_password"):
            if body.get(name) is not None and not isinstance(body[name], str):
                raise _wrong_inputs((name, "must be a string", "***" if name == "merchant_password" else body[name]))
        return JSONResponse({
            "merchant_name": "Sandbox Merchant",
            "merchant_id": "000001",
            "form_values": {"province": {"options": dict(PROVINCES)}},
        }, headers={"deprecation": "true"})

    # -- widget/init ----------------------------------------------------------------------------
    async def widget_init(self, request: Request) -> Response:
        grant = self._grant(request)
        self._client(request, grant)
        body = await self._json(request)
        flow = body.get("flow")
        if flow not in ("purchase", "apply"):
            raise _wrong_inputs(("flow", "must be 'purchase' or 'apply'", flow))
        lang = body.get("lang", "en")
        if lang not in ("en", "fr"):
            raise _wrong_inputs(("lang", "must be 'en' or 'fr'", lang))
        identification = body.get("customer_identification") or {}
        if not isinstance(identification, dict):
            raise _wrong_inputs(("customer_identification", "must be an object", identification))
        if flow == "purchase":
            self._check_purchase_identification(identification)
        else:
            self._check_application(body, identification)
        customer = self.state.find_customer(identification) if flow == "purchase" else None
        session = WidgetSession(
            session_id=str(uuid.uuid4()), access_token=grant.access_token, client_id=grant.client_id, flow=flow,
            customer=customer,
            application=body if flow == "apply" else None, lang=lang,
        )
        self.state.sessions[session.session_id] = session
        query = urlencode({
            "lang": lang,
            "x-reference-id": request.headers.get("x-reference-id", ""),
            "widget_session_id": session.session_id,
        })
        origin = f"{request.url.scheme}://{request.url.netloc}"
        return JSONResponse(
            {"redirection_url": f"{origin}/#/widget/{grant.client_id}/{grant.access_token}?{query}"}
        )

    @staticmethod
    def _check_purchase_identification(identification: dict[str, Any]) -> None:
        """Documented: the three identifiers are conditional mandatory, "you only need one", and Flexiti's own example
        sends all three: one or more are accepted, none is refused. Each one sent must be well formed; the customer
        is found by the account number, else by the personal information (sandbox choice, see FIDELITY.md)."""
        given = [key for key in ("account_number", "vcc_number", "personal_information") if identification.get(key)]
        if not given:
            raise _wrong_inputs((
                "customer_identification",
                "purchase needs at least one of account_number, vcc_number, personal_information",
                given,
            ))
        if "personal_information" in given:
            Simulator._check_personal(identification["personal_information"])
        number = identification.get("account_number")
        if "account_number" in given and not (
                _is_number(number) and isinstance(number, int) and 0 < number < 10 ** 14):
            raise _wrong_inputs(("customer_identification.account_number", "a number of at most 14 digits", number))
        vcc = identification.get("vcc_number")
        if "vcc_number" in given and not (isinstance(vcc, str) and len(vcc) == 16):
            raise _wrong_inputs(("customer_identification.vcc_number", "the 16 characters of a FlexitiCard", vcc))

    @staticmethod
    def _check_personal(personal: Any) -> None:
        if not isinstance(personal, dict):
            raise _wrong_inputs(("customer_identification.personal_information", "must be an object", personal))
        errors = [
            (f"customer_identification.personal_information.{key}", "required", personal.get(key))
            for key in ("first_name", "last_name", "dob", "postal_code") if not personal.get(key)
        ]
        if personal.get("dob") and not _DOB.match(str(personal["dob"])):
            errors.append(("customer_identification.personal_information.dob", "must be YYYY-MM-DD", personal["dob"]))
        if errors:
            raise _wrong_inputs(*errors)

    @staticmethod
    def _check_application(body: dict[str, Any], identification: dict[str, Any]) -> None:
        Simulator._check_personal(identification.get("personal_information"))
        errors = [(key, "required", body.get(key)) for key in ("email", "phone_number", "address_1", "city", "province")
                  if not body.get(key)]
        if body.get("phone_number") and not _PHONE.match(str(body["phone_number"])):
            errors.append(("phone_number", "must be 10 digits", body["phone_number"]))
        if body.get("province") and not _PROVINCE.match(str(body["province"])):
            errors.append(("province", "must be a 2-letter code", body["province"]))
        if body.get("tos_agreement") is not True:
            errors.append(("tos_agreement", "must be true", body.get("tos_agreement")))
        if body.get("account_type", "consumer") not in ("consumer", "business"):
            errors.append(("account_type", "must be 'consumer' or 'business'", body.get("account_type")))
        if errors:
            raise _wrong_inputs(*errors)

    # -- authorization ------------------------------------------------------------------------
    async def authorize(self, request: Request) -> Response:
        grant = self._grant(request)
        self._client(request, grant)
        body = await self._json(request)
        # Documented: with an x-idempotency-key only the first call is processed and a repeat gets the earlier
        # successful answer. Modelled per client id and key until reset; a failed call is not kept (a retry with the
        # same key is processed), and the repeat's body is not compared (x-context-hash is only journaled).
        key = request.headers.get(IDEMPOTENCY_KEY)
        if key is not None and (grant.client_id, key) in self.state.idempotent:
            return JSONResponse(self.state.idempotent[grant.client_id, key])
        self._check_authorization(body)
        amount = Decimal(str(body["amount"]))
        session = self.state.sessions.get(str(body["widget_session_id"]))
        # Documented: the access token of widget/init is the flow's reference; any other token (a refresh of it
        # included) does not carry the widget session.
        if session is None or session.access_token != grant.access_token:
            raise ApiError(409, "not_verified", "No widget session for this access token and widget_session_id")
        if session.customer is None:
            raise ApiError(404, "customer_identity_not_found", "The widget session has no identified customer")
        if not session.verified:  # documented: "the customer didn't pass through the widget or was not authenticated"
            raise ApiError(404, "customer_identity_not_found", "The customer did not pass verification in this widget")
        account = next(
            (a for a in session.customer.accounts if str(a.account_number) == str(body["account_number"])), None)
        if account is None and not self._account_exists(body["account_number"]):
            raise ApiError(404, "not_found", "Customer Account not found")
        if account is None:
            raise ApiError(404, "customer_identity_not_found", "The account does not belong to the verified customer")
        if session.account_number != account.account_number:
            raise ApiError(404, "customer_identity_not_found",
                           "The account is not the one the customer chose in the widget")
        if account.status != "N" or session.customer.purchase_blocked:
            raise ApiError(409, "user_not_able_to_purchase", "This customer cannot make purchases right now")
        with self.state.lock:
            used = self.state.spent.get(account.account_number, Decimal(0))
            if used + amount > account.available_credit:
                raise ApiError(409, "credit_exceeded", "The amount exceeds the account's available credit")
            self.state.spent[account.account_number] = used + amount
            authorization = Authorization(
                authorization_id="AUTH-" + uuid.uuid4().hex[:12].upper(),
                account_number=account.account_number,
                reference=None if body.get("reference") is None else str(body["reference"]),
                amount=amount,
                widget_session_id=session.session_id,
                auto_capture=body["auto_capture"],
                transaction_type=body["financing_option"]["transaction_type"],
            )
            self.state.authorizations[authorization.authorization_id] = authorization
            if authorization.auto_capture:  # captured in full at once, as a capture the back office can return
                self._new_capture(authorization, amount, authorization.reference)
            answer = _authorization_json(authorization)
            if key is not None:
                self.state.idempotent[grant.client_id, key] = answer
        return JSONResponse(answer)

    def _account_exists(self, number: Any) -> bool:
        return any(str(a.account_number) == str(number) for c in self.state.customers.values() for a in c.accounts)

    @staticmethod
    def _check_authorization(body: dict[str, Any]) -> None:
        """The documented required fields and their types (a number is a JSON number, never a string). `reference`
        is documented Required: No, so it may be left out."""
        errors: list[tuple[str, str, Any]] = [
            (key, "required", body.get(key))
            for key in ("account_number", "amount", "auto_capture", "financing_option", "widget_session_id")
            if body.get(key) in (None, "")
        ]
        if "verification_code" in body:
            errors.append(("verification_code", "not accepted for online purchases", "***"))
        number = body.get("account_number")
        if number not in (None, "") and not (_is_number(number) and isinstance(number, int) and 0 < number < 10 ** 14):
            errors.append(("account_number", "must be a whole number of at most 14 digits", number))
        amount = body.get("amount")
        if amount not in (None, "") and not (_is_number(amount) and amount > 0):
            errors.append(("amount", "must be a positive number", amount))
        if body.get("auto_capture") not in (None, "") and not isinstance(body["auto_capture"], bool):
            errors.append(("auto_capture", "must be true or false", body["auto_capture"]))
        option = body.get("financing_option")
        if option not in (None, ""):
            if not isinstance(option, dict):
                errors.append(("financing_option", "must be an object", option))
            elif option.get("transaction_type") not in TRANSACTION_TYPES:
                errors.append(("financing_option.transaction_type", f"must be one of {list(TRANSACTION_TYPES)}",
                               option.get("transaction_type")))
            elif option["transaction_type"] == "promotional_purchase":
                if option.get("plan_id") in (None, ""):
                    errors.append(("financing_option.plan_id", "required for a promotional purchase",
                                   option.get("plan_id")))
                term = option.get("term")
                if not (isinstance(term, int) and not isinstance(term, bool) and term > 0):
                    errors.append(("financing_option.term", "a whole number of months, required for a promotional "
                                   "purchase", term))
        if errors:
            raise _wrong_inputs(*errors)

    # -- back office (documented: merchant scope only) -------------------------------------------
    def _merchant(self, request: Request) -> Grant:
        grant = self._grant(request, MERCHANT_ONLY)
        self._client(request, grant)
        return grant

    def _authorization(self, request: Request) -> Authorization:
        authorization = self.state.authorizations.get(request.path_params["authorization_id"])
        if authorization is None:
            raise ApiError(404, "not_found", "No such authorization")
        return authorization

    async def get_authorization(self, request: Request) -> Response:
        self._merchant(request)
        return JSONResponse(_authorization_json(self._authorization(request)))

    async def list_authorizations(self, request: Request) -> Response:
        """Sandbox choice: Flexiti publishes no filters; `reference` narrows the list to one order."""
        self._merchant(request)
        found = [_authorization_json(a) for a in self.state.authorizations.values()]
        reference = request.query_params.get("reference")
        return JSONResponse([a for a in found if reference is None or a["reference"] == reference])

    async def capture(self, request: Request) -> Response:
        self._merchant(request)
        body = await self._json(request)
        authorization = self._authorization(request)
        amount = _amount(body, "amount")
        reference = None if body.get("reference") in (None, "") else str(body["reference"])  # no Required mark
        with self.state.lock:
            self._check_open(authorization)
            if amount > authorization.open_amount:
                raise ApiError(409, "auth_amount_exceeded", f"The amount is more than the {authorization.open_amount} "
                               "left on the authorization")
            capture = self._new_capture(authorization, amount, reference)
        return JSONResponse(_capture_json(capture, authorization))

    @staticmethod
    def _check_open(authorization: Authorization) -> None:
        """Documented: a capture or release of a closed authorization is `authorization_ended`. The sandbox counts a
        released or fully captured one as closed (a choice)."""
        if authorization.open_amount <= 0:
            raise ApiError(409, "authorization_ended", f"Authorization {authorization.authorization_id} is "
                           f"{'released' if authorization.status == 'released' else 'fully captured'}")

    def _new_capture(self, authorization: Authorization, amount: Decimal, reference: str | None) -> Capture:
        capture = Capture("CAP-" + uuid.uuid4().hex[:12].upper(), authorization.authorization_id,
                          authorization.account_number, reference, amount, self.state.now())
        authorization.captured += amount
        self.state.captures[capture.capture_id] = capture
        return capture

    async def release(self, request: Request) -> Response:
        """Releases what is not captured yet (or `amount` of it) and gives that credit back to the account."""
        self._merchant(request)
        body = await self._json(request) if await request.body() else {}
        authorization = self._authorization(request)
        with self.state.lock:
            self._check_open(authorization)
            released = authorization.open_amount if body.get("amount") is None else _amount(body, "amount")
            if released > authorization.open_amount:
                raise ApiError(409, "auth_amount_exceeded", f"The amount is more than the {authorization.open_amount} "
                               "left on the authorization")
            authorization.released += released  # a partial release leaves the rest open for capture (choice)
            if authorization.open_amount == 0:
                authorization.status = "released"
            account = authorization.account_number
            self.state.spent[account] = self.state.spent.get(account, Decimal(0)) - released
        return JSONResponse({**_authorization_json(authorization), "released_amount": float(released)})

    async def return_capture(self, request: Request) -> Response:
        """Documented path `.../authorization/{authorization_id}/capture/{capture_id}/return`; the sandbox also serves
        the shorter `.../capture/{capture_id}/return` the harness's back office still calls (a declared divergence)."""
        self._merchant(request)
        body = await self._json(request)
        capture = self.state.captures.get(request.path_params["capture_id"])
        wanted = request.path_params.get("authorization_id")
        if capture is None or (wanted is not None and capture.authorization_id != wanted):
            raise ApiError(404, "not_found", "Authorization ID or Capture ID not found")
        full = body.get("full_return", False)  # sandbox choice: left out, the return is partial and needs `amount`
        if not isinstance(full, bool):
            raise _wrong_inputs(("full_return", "must be true or false", full))
        with self.state.lock:
            remaining = capture.amount - capture.returned
            amount = remaining if full else _amount(body, "amount")
            if self.state.now() - capture.created > RETURN_WINDOW_DAYS * 86400:
                raise ApiError(409, "return_date_exceeded", f"Returns are allowed up to {RETURN_WINDOW_DAYS} days "
                               "after the capture")
            if remaining <= 0 or amount > remaining:
                raise ApiError(409, "capture_amount_exceeded", f"The amount is more than the {remaining} left on the "
                               "capture")
            capture.returned += amount
            account = capture.account_number
            self.state.spent[account] = self.state.spent.get(account, Decimal(0)) - amount
            authorization = self.state.authorizations[capture.authorization_id]
            result = {"return_id": "RET-" + uuid.uuid4().hex[:12].upper(), "reference": capture.reference,
                      "capture_id": capture.capture_id, "authorization_id": capture.authorization_id,
                      "date": datetime.fromtimestamp(self.state.now(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "amount": float(amount), "remaining_capture_amount": float(capture.amount - capture.returned),
                      "remaining_authorization_amount": float(authorization.open_amount)}
            self.state.returns.append(result)
        return JSONResponse(result)

    async def list_captures(self, request: Request) -> Response:
        """Sandbox choice: `authorization_id` narrows the list, as `reference` does for authorizations."""
        self._merchant(request)
        wanted = request.query_params.get("authorization_id")
        return JSONResponse([
            _capture_json(capture, self.state.authorizations[capture.authorization_id])
            for capture in self.state.captures.values() if wanted is None or capture.authorization_id == wanted
        ])

    async def refund(self, request: Request) -> Response:
        self._merchant(request)
        body = await self._json(request)
        number = request.path_params["account_number"]
        if not self._account_exists(number):
            raise ApiError(404, "not_found", "Customer Account not found")
        amount = _amount(body, "amount")
        if body.get("reference") in (None, ""):
            raise _wrong_inputs(("reference", "required", body.get("reference")))
        result = {"refund_id": "REF-" + uuid.uuid4().hex[:12].upper(), "account_number": int(number),
                  "reference": str(body["reference"]), "amount": float(amount)}
        with self.state.lock:
            self.state.spent[int(number)] = self.state.spent.get(int(number), Decimal(0)) - amount
            self.state.refunds.append(result)
        return JSONResponse(result)

    # -- the widget's own API (sandbox choice: Flexiti does not publish it) -----------------------
    def _session(self, request: Request) -> WidgetSession:
        grant = self._grant(request)
        session = self.state.sessions.get(request.path_params["session_id"])
        if session is None or session.access_token != grant.access_token:
            raise ApiError(404, "not_found", "No widget session for this token")
        if session.finished:
            raise ApiError(409, "session_finished", "This widget session has already finished")
        return session

    @staticmethod
    def _standing(customer: Customer) -> str:
        """What a customer's accounts allow: "activation" (none activated yet), "derogatory" (none in good
        standing), or "usable"."""
        if all(not account.activated for account in customer.accounts):
            return "activation"
        if all(account.status != "N" for account in customer.accounts):
            return "derogatory"
        return "usable"

    @staticmethod
    def _stage(session: WidgetSession) -> str:
        """Which screen the session opens on."""
        if session.flow == "apply":
            return "pin"
        if session.customer is None:
            return "not_found"
        standing = Simulator._standing(session.customer)
        return "mfa" if standing == "usable" else standing

    async def widget_session(self, request: Request) -> Response:
        session = self._session(request)
        customer = session.customer
        stage = self._stage(session)
        phone = str((session.application or {}).get("phone_number", ""))
        return JSONResponse({
            "flow": session.flow,
            "stage": stage,
            "first_name": customer.first_name if customer else None,
            "phone_last4": phone[-4:] if phone else None,
            "lang": session.lang,
            "mfa_options": [{"option": option, "label": TEXTS[session.lang][option]} for option in MFA_LABELS]
            if stage == "mfa" else [],
        })

    async def widget_choose_mfa(self, request: Request) -> Response:
        session = self._session(request)
        option = (await self._json(request)).get("option")
        if self._stage(session) != "mfa" or session.customer is None or option not in MFA_LABELS:
            raise _wrong_inputs(("option", f"must be one of {sorted(MFA_LABELS)}", option))
        session.mfa_option = option
        if option == "security_question":
            question = session.customer.security_question
            prompt = question.question if question else "Security question"
            return JSONResponse({"prompt": prompt, "input_label": TEXTS[session.lang]["answer_label"]})
        destination = session.customer.phone_number[-4:] if option == "sms" else session.customer.email.split("@")[-1]
        texts = TEXTS[session.lang]
        return JSONResponse({"prompt": texts["code_sent"].format(destination=destination),
                             "input_label": texts["code_label"]})

    def _expected_answer(self, session: WidgetSession) -> str:
        if session.flow == "apply":
            if self.state.applicants is None:
                raise ApiError(409, "general_error", "The sandbox has no applicants data")
            return self.state.applicants.pin
        if session.customer is None or session.mfa_option is None:
            raise ApiError(409, "wrong_inputs", "Choose a verification option first")
        return session.customer.mfa_answer(session.mfa_option)

    async def widget_verify(self, request: Request) -> Response:
        session = self._session(request)
        if session.verified:
            raise ApiError(409, "wrong_inputs", "Already verified; choose an account")
        answer = str((await self._json(request)).get("answer", "")).strip()
        expected = self._expected_answer(session)
        if same_secret(answer.lower(), expected.lower()):
            session.verified = True
            if session.flow == "apply":
                return JSONResponse({"message": self._finish_application(session)})
            accounts = session.customer.accounts if session.customer else ()
            if len(accounts) == 1:
                return JSONResponse({"message": self._finish(session, accounts[0].account_number, "purchase")})
            return JSONResponse({"accounts": [
                {"account_number": a.account_number, "last4": a.last4} for a in accounts
            ]})
        session.attempts += 1
        left = MAX_MFA_ATTEMPTS - session.attempts
        if left > 0:
            raise ApiError(409, "wrong_code", TEXTS[session.lang]["wrong_answer"].format(left=left))
        if session.flow == "apply":
            return JSONResponse({"message": self._finish(session, None, "apply")})
        assert session.customer is not None
        return JSONResponse({"message": self._finish(session, session.customer.accounts[0].account_number, "purchase")})

    async def widget_choose_account(self, request: Request) -> Response:
        session = self._session(request)
        chosen = (await self._json(request)).get("account_number")
        if not session.verified or session.customer is None:
            raise ApiError(409, "not_verified", "Verify before choosing an account")
        if not any(str(a.account_number) == str(chosen) for a in session.customer.accounts):
            raise _wrong_inputs(("account_number", "not one of the customer's accounts", chosen))
        return JSONResponse({"message": self._finish(session, int(chosen), "purchase")})

    async def widget_continue(self, request: Request) -> Response:
        """The shopper acknowledged an informational screen; the stage decides the event, not the caller."""
        session = self._session(request)
        actions = {"activation": "activation", "derogatory": None, "not_found": "apply"}
        stage = self._stage(session)
        if stage not in actions:
            raise ApiError(409, "wrong_inputs", f"Nothing to continue from on the {stage!r} screen")
        return JSONResponse({"message": self._finish(session, None, actions[stage])})

    async def widget_cancel(self, request: Request) -> Response:
        session = self._session(request)
        session.finished = True
        return JSONResponse({"message": {"eventType": "flx-cancel"}})

    def _finish_application(self, session: WidgetSession) -> dict[str, Any]:
        """A verified application ends in `apply`, except the retry applicant's first session and an applicant who
        already is a customer (same name, date of birth and postal code; a sandbox choice): accounts to activate
        end in `activation`, derogatory ones in null (cannot apply), a usable one in `purchase` with its number."""
        personal = ((session.application or {}).get("customer_identification") or {}).get("personal_information") or {}
        existing = self.state.find_customer({"personal_information": personal})
        if existing is not None:
            standing = self._standing(existing)
            if standing == "activation":
                return self._finish(session, None, "activation")
            if standing == "derogatory":
                return self._finish(session, None, None)
            usable = next(a for a in existing.accounts if a.status == "N" and a.activated)
            return self._finish(session, usable.account_number, "purchase")
        key = f"{personal.get('first_name')}|{personal.get('last_name')}|{personal.get('dob')}"
        if str(personal.get("middle_name", "")).strip() == RETRY_KEY and key not in self.state.retried_applicants:
            self.state.retried_applicants.add(key)
            return self._finish(session, None, "retry")
        return self._finish(session, None, "apply")

    def _finish(self, session: WidgetSession, account_number: int | None, action: str | None) -> dict[str, Any]:
        """End the session and build the flx-success message the widget posts to the merchant page."""
        session.finished = True
        session.account_number = account_number
        session.action = action
        customer = session.customer
        application = session.application or {}
        return {
            "eventType": "flx-success",
            "eventData": {
                "accountNumber": account_number,
                # Documented: only a purchase flow's purchase and an application's apply report verification.
                "verified": session.verified if (action, session.flow) in {("purchase", "purchase"), ("apply", "apply")}
                else False,
                "action": action,
                "mfaOptionSelected": session.mfa_option or ("sms" if session.flow == "apply" else None),
                "widget_session_id": session.session_id,
                "customerId": customer.customer_id if customer else None,
                "accountType": customer.account_type if customer else application.get("account_type", "consumer"),
            },
        }

    # -- apply ----------------------------------------------------------------------------------
    async def apply(self, request: Request) -> Response:
        """Sandbox choice for the unpublished schema: the widget/init application fields plus widget_session_id."""
        grant = self._grant(request)
        self._client(request, grant)
        body = await self._json(request)
        session = self.state.sessions.get(str(body.get("widget_session_id", "")))
        if (session is None or session.access_token != grant.access_token or session.flow != "apply"
                or session.action != "apply"):
            raise ApiError(409, "not_verified",
                           "No finished application widget session for this token and widget_session_id")
        # Documented: tos_agreement_required when the terms are missing or not agreed. The session's widget/init
        # agreed to them (it is refused otherwise), so an /apply may leave tos_agreement out; one that sends
        # anything but true withdraws the agreement.
        if "tos_agreement" in body and body["tos_agreement"] is not True:
            raise ApiError(409, "tos_agreement_required", "tos_agreement must be true")
        sent = (body.get("customer_identification") or {}).get("personal_information") or {}
        application = session.application or {}
        expected = (application.get("customer_identification") or {}).get("personal_information") or {}
        # Documented: the personal information must be widget/init's. The rest of widget/init's body is not listed
        # for /apply (its schema is unpublished): what is left out is not asked for; what is repeated must match.
        initialized = {**dict.fromkeys(APPLICATION_FIELDS), "account_type": "consumer", **application}
        changed = [name for name in APPLICATION_FIELDS
                   if name in body and _text(body[name]) != _text(initialized[name])]
        if sent != expected or changed:
            raise ApiError(409, "not_verified", "The personal information differs from the widget/init call")
        middle = str(expected.get("middle_name", "")).strip()
        # Documented test keys, exactly; after its retry, D-EMAIL_DBL_TIMEOUT and any other middle name (none
        # included) go to review (sandbox choices, declared in the README).
        decision = DECISION_KEYS.get(middle, "pending")
        result = {
            "application_id": "APP-" + uuid.uuid4().hex[:10].upper(),
            "decision": decision,
            "decision_code": middle or None,
            "account_number": 40000000900000 + len(self.state.applications) if decision == "approved" else None,
            "credit_limit": 5000.0 if decision == "approved" else None,
        }
        self.state.applications[result["application_id"]] = result
        return JSONResponse(result)

    # -- static and admin ---------------------------------------------------------------------
    async def widget_page(self, request: Request) -> Response:
        """The widget, only for pages of the merchant's Trust URL (the embedding page's origin, from Referer)."""
        referer = urlsplit(request.headers.get("referer", ""))
        embedder = f"{referer.scheme}://{referer.netloc}" if referer.netloc else ""
        if self.state.trust_url is not None and embedder != self.state.trust_url:
            self.state.record({"method": "GET", "path": "/", "query": {}, "headers": {"referer": embedder},
                               "body": None, "status": 403, "response": {"error": "untrusted_origin"}})
            return HTMLResponse(_UNTRUSTED_PAGE % {"embedder": html.escape(embedder or "(unknown)")}, status_code=403)
        if self.state.take_fault(WIDGET_PAGE_FAULT) is not None:
            # The recording proxy's refuse_widget_token, made here: the token sits in the URL's fragment, which no
            # server sees, so the page tells the widget to use one the simulator never issued; its calls are then
            # refused (401 invalid_token) by the simulator's own token check, as Flexiti refuses a wrong token.
            page = (STATIC / "widget.html").read_text(encoding="utf-8")
            page = page.replace("<body>", "<body data-token-refused>", 1)
            return HTMLResponse(page, headers={"cache-control": "no-store"})
        return FileResponse(STATIC / "widget.html", headers={"cache-control": "no-store"})

    async def customer_portal(self, request: Request) -> Response:
        return HTMLResponse("<!doctype html><title>Flexiti customer portal</title>"
                            "<h1>Flexiti customer portal (sandbox)</h1><p>Activate your account here.</p>")

    async def read_journal(self, request: Request) -> Response:
        return JSONResponse({"calls": self.state.journal.calls(), "errors": list(self.state.errors)})

    async def clear_journal(self, request: Request) -> Response:
        self.state.journal.clear()
        return Response(status_code=204)

    async def reset(self, request: Request) -> Response:
        self.state.reset()
        return Response(status_code=204)

    async def read_config(self, request: Request) -> Response:
        return JSONResponse({"token_lifetime": self.state.token_lifetime, "trust_url": self.state.trust_url,
                             "customer_portal": CUSTOMER_PORTAL})

    async def configure(self, request: Request) -> Response:
        body = await self._json(request)
        if "token_lifetime" in body:
            lifetime = body["token_lifetime"]
            if not isinstance(lifetime, int) or lifetime <= 0:
                raise ApiError(409, "wrong_inputs", "token_lifetime must be a positive whole number of seconds")
            self.state.token_lifetime = lifetime
        if "trust_url" in body:
            if body["trust_url"] is not None and not isinstance(body["trust_url"], str):
                raise ApiError(409, "wrong_inputs", "trust_url must be a URL string or null")
            self.state.trust_url = body["trust_url"]
        return await self.read_config(request)

    async def add_fault(self, request: Request) -> Response:
        body = await self._json(request)
        try:
            fault = Fault(**body)
        except TypeError as error:
            raise ApiError(409, "wrong_inputs", f"bad fault: {error}") from None
        problems = _fault_problems(fault)
        if problems:
            raise ApiError(409, "wrong_inputs", "bad fault: " + "; ".join(problems))
        self.state.faults.append(fault)
        return JSONResponse({"faults": len(self.state.faults)})

    async def advance_clock(self, request: Request) -> Response:
        seconds = (await self._json(request)).get("seconds")
        if (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds)
                or seconds < 0):
            raise ApiError(409, "wrong_inputs", "seconds must be a non-negative number")
        self.state.clock_offset += seconds
        return JSONResponse({"clock_offset": self.state.clock_offset})

    async def unknown(self, request: Request) -> Response:
        raise ApiError(404, "not_found", f"The sandbox has no endpoint {request.method} {request.url.path}")


APPLICATION_FIELDS = ("email", "phone_number", "address_1", "address_2", "city", "province", "account_type")


def _text(value: Any) -> str:
    """A field's value as compared between widget/init and /apply: a phone number may be a JSON number in one and a
    string in the other, and an empty address_2 is the same as none."""
    return "" if value is None else str(value).strip()


def _is_number(value: Any) -> bool:
    """A JSON number (bool is an int in Python, not in JSON)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value  # NaN is not a number


def _amount(body: dict[str, Any], key: str) -> Decimal:
    value = body.get(key)
    if not (_is_number(value) and value > 0):
        raise _wrong_inputs((key, "must be a positive number", value))
    return Decimal(str(value))


def one_reason(error: Exception) -> str:
    return str(error).splitlines()[0][:120]


def _fault_problems(fault: Fault) -> list[str]:
    """What makes an injected fault unusable: checked before it is stored, since it fires on later calls."""
    problems = []
    if not isinstance(fault.endpoint, str) or not fault.endpoint:
        problems.append("endpoint must be a non-empty path string")
    if isinstance(fault.status, bool) or not isinstance(fault.status, int) or not 400 <= fault.status <= 599:
        problems.append("status must be a whole number from 400 to 599")
    if not isinstance(fault.error, str):
        problems.append("error must be a string")
    if not isinstance(fault.timeout, bool):
        problems.append("timeout must be true or false")
    if isinstance(fault.times, bool) or not isinstance(fault.times, int) or fault.times < 1:
        problems.append("times must be a whole number of at least 1")
    return problems


def _authorization_json(authorization: Authorization) -> dict[str, Any]:
    return {
        "authorization_id": authorization.authorization_id,
        "account_number": authorization.account_number,
        "reference": authorization.reference,
        "amount": float(authorization.amount),
        "status": authorization.status,
        "widget_session_id": authorization.widget_session_id,
        "auto_capture": authorization.auto_capture,
        "captured_amount": float(authorization.captured),
    }


def _capture_json(capture: Capture, authorization: Authorization) -> dict[str, Any]:
    return {
        "capture_id": capture.capture_id,
        "authorization_id": capture.authorization_id,
        "reference": capture.reference,
        "amount": float(capture.amount),
        "returned_amount": float(capture.returned),
        "remaining_authorization_amount": float(authorization.open_amount),
    }


_UNTRUSTED_PAGE = """<!doctype html><title>Flexiti</title>
<h1>This site is not allowed to show the Flexiti widget</h1>
<p role="alert">The page at %(embedder)s does not match the merchant's Trust URL.</p>
<script>window.parent.postMessage({eventType: "flx-failure",
  eventData: {error: 403, message: "untrusted origin"}}, "*");</script>"""


class TrustedOriginCors:
    """CORS for the merchant's Trust URL only (sandbox choice: Flexiti does not document its CORS policy)."""

    def __init__(self, app: Any, state: SimulatorState) -> None:
        self.app, self.state = app, state

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        headers = dict(scope.get("headers") or [])
        origin = headers.get(b"origin", b"").decode("latin-1")  # as Starlette decodes headers: never fails
        trusted = scope["type"] == "http" and origin and origin == self.state.trust_url
        if not trusted:
            await self.app(scope, receive, send)
            return
        allow = [(b"access-control-allow-origin", origin.encode()), (b"vary", b"Origin")]
        if scope["method"] == "OPTIONS":
            await send({"type": "http.response.start", "status": 204, "headers": [
                *allow,
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", b"authorization, content-type, x-reference-id"),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *allow]}
            await send(message)

        await self.app(scope, receive, with_cors)

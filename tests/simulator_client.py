"""HTTP helpers for talking to the running sandbox simulator in tests, as a merchant server would."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx

from sandbox.servers import Sandbox

SINGLE = {"first_name": "Ada", "last_name": "Lovelace", "dob": "1985-04-12", "postal_code": "M5V2T6"}
SINGLE_ACCOUNT, SINGLE_SMS = 40000000000011, "314159"
OTHER_CUSTOMERS_ACCOUNT = 40000000000021
UUID4 = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
REDIRECT = re.compile(
    r"^http://127\.0\.0\.1:\d+/#/widget/sandbox-merchant/[^?]+"
    rf"\?lang=en&x-reference-id=[0-9a-f]{{32}}&widget_session_id={UUID4}$"
)


TestFunction = TypeVar("TestFunction", bound=Callable[..., Any])


def fidelity(*rows: str) -> Callable[[TestFunction], TestFunction]:
    """Mark a contract test as asserting the documented behaviour of these FIDELITY.md rows (ids `F-...`).

    A plain decorator, not a pytest marker, so no registration is needed: tests/test_fidelity.py reads the decorator
    from the test files' syntax tree and fails for a modelled row no test names, or a name no row has."""
    def mark(function: TestFunction) -> TestFunction:
        function.fidelity_rows = rows  # type: ignore[attr-defined]
        return function

    return mark


def token_url(sandbox: Sandbox) -> str:
    return f"{sandbox.urls.api_base}/v2.5/oauth/token"


def credentials(sandbox: Sandbox, **extra: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": sandbox.client_id,
            "client_secret": sandbox.client_secret, **extra}


def grant(sandbox: Sandbox) -> dict[str, Any]:
    response = httpx.post(token_url(sandbox), data=credentials(sandbox))
    assert response.status_code == 200, response.text
    return response.json()


def token(sandbox: Sandbox) -> str:
    return str(grant(sandbox)["access_token"])


def refreshed(sandbox: Sandbox, refresh_token: str) -> str:
    """The access token of a refresh_token grant."""
    form = credentials(sandbox, grant_type="refresh_token", refresh_token=refresh_token)
    response = httpx.post(token_url(sandbox), data=form)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def headers(token: str | None) -> dict[str, str]:
    headers = {"x-reference-id": uuid.uuid4().hex}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    return headers


def purchase_body(**identification: Any) -> dict[str, Any]:
    return {"flow": "purchase", "lang": "en",
            "customer_identification": identification or {"personal_information": SINGLE}}


def init(sandbox: Sandbox, token: str | None, body: dict[str, Any], client_id: str | None = None) -> httpx.Response:
    url = f"{sandbox.urls.api_base}/v2.5/client-id/{client_id or sandbox.client_id}/widget/init"
    return httpx.post(url, headers=headers(token), json=body)


def session_id(sandbox: Sandbox, token: str) -> str:
    return session_of(init(sandbox, token, purchase_body()))


def widget(sandbox: Sandbox, token: str, sid: str, step: str, body: dict[str, Any]) -> httpx.Response:
    url = f"{sandbox.urls.flexiti}/widget-api/sessions/{sid}/{step}"
    return httpx.post(url, headers={"authorization": f"Bearer {token}"}, json=body)


def verified_session(sandbox: Sandbox, token: str) -> str:
    sid = session_id(sandbox, token)
    assert widget(sandbox, token, sid, "mfa", {"option": "sms"}).status_code == 200
    assert widget(sandbox, token, sid, "verify", {"answer": SINGLE_SMS}).status_code == 200
    return sid


def session_of(response: httpx.Response) -> str:
    """The widget_session_id of a successful widget/init response."""
    assert response.status_code == 200, response.text
    query = parse_qs(urlsplit(response.json()["redirection_url"]).fragment.partition("?")[2])
    return query["widget_session_id"][0]

"""After-the-fact checks and back-office calls through the POS API with the merchant's own credentials.

Where neither the sandbox journal nor the recording proxy sees the merchant's server, Flexiti's own records still
say what was authorized: `GET .../authorizations` and `GET .../authorization/{id}` (merchant scope, v2.5.1). The
documented back-office calls (capture, release, return, refund, `GET .../captures`) are here too, for a merchant
whose backend captures later (`auto_capture: false`).
"""

from __future__ import annotations

import uuid
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import httpx

from harness.masking import Masker

APPROVED = "approved"
_CENT = Decimal("0.01")


class BackOfficeError(RuntimeError):
    """Flexiti could not be asked, or refused: the message names the call, the URL and the status or cause."""

    def __init__(self, message: str, url: str, status: int | None = None) -> None:
        super().__init__(message)
        self.url, self.status = url, status


class BackOfficeMismatch(AssertionError):
    """Flexiti's records disagree with the merchant's order: absent, repeated, another amount, or not approved."""


def _cents(amount: Any) -> Decimal | None:
    try:
        return Decimal(str(amount)).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return None


class BackOffice:
    """Reads the merchant's authorizations from Flexiti with a merchant-scope `client_credentials` token."""

    def __init__(self, api_base: str, client_id: str, client_secret: str, *, timeout: float = 10.0) -> None:
        self.api_base = api_base.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        # Flexiti's own error messages are passed on; the masker keeps the secret and tokens out of them.
        self._masker = Masker(hidden=[client_secret])
        self._http = httpx.Client(timeout=timeout)
        self._access_token: str | None = None

    def authorizations(self, reference: str | None = None) -> list[dict[str, Any]]:
        """The merchant's authorizations, those for `reference` only when given.

        The simulator filters on a `reference` query parameter; the real API's filters are not published, so the
        list is also filtered here.
        """
        params = {"reference": reference} if reference is not None else {}
        listed = self._get("authorizations", params)
        if not isinstance(listed, list) or not all(isinstance(item, dict) for item in listed):
            raise BackOfficeError(f"GET {self._url('authorizations')} answered something other than a list of "
                                  f"authorizations: {type(listed).__name__}", self._url("authorizations"))
        return [item for item in listed if reference is None or str(item.get("reference")) == reference]

    def authorization(self, authorization_id: str) -> dict[str, Any]:
        found = self._get(f"authorization/{authorization_id}")
        if not isinstance(found, dict):
            url = self._url(f"authorization/{authorization_id}")
            raise BackOfficeError(f"GET {url} answered something other than an authorization: "
                                  f"{type(found).__name__}", url)
        return found

    def confirm(self, reference: str, amount: float | Decimal) -> dict[str, Any]:
        """Flexiti's one authorization for the order `reference`, re-read by id: approved, for `amount` to the cent."""
        expected = _cents(amount)
        if expected is None:
            raise ValueError(f"the expected amount {amount!r} is not a number")
        listed = self.authorizations(reference)
        if not listed:
            raise BackOfficeMismatch(f"Flexiti has no authorization with reference {reference!r}; "
                                     f"expected one of {expected} approved")
        if len(listed) > 1:
            found = ", ".join(f"{a.get('authorization_id')} ({a.get('amount')}, {a.get('status')})" for a in listed)
            raise BackOfficeMismatch(f"Flexiti has {len(listed)} authorizations with reference {reference!r}: {found}; "
                                     f"expected one of {expected} approved")
        authorization = self.authorization(str(listed[0].get("authorization_id")))
        returned, status = authorization.get("amount"), authorization.get("status")
        if _cents(returned) != expected or str(status).lower() != APPROVED:
            raise BackOfficeMismatch(
                f"Flexiti's authorization {authorization.get('authorization_id')} for reference {reference!r} is "
                f"{returned} with status {status!r}; expected {expected} approved")
        return authorization

    def captures(self, authorization_id: str | None = None) -> list[dict[str, Any]]:
        params = {"authorization_id": authorization_id} if authorization_id is not None else {}
        listed = self._get("captures", params)
        if not isinstance(listed, list):
            raise BackOfficeError(f"GET {self._url('captures')} answered something other than a list",
                                  self._url("captures"))
        return listed

    def capture(self, authorization_id: str, amount: float | Decimal, reference: str) -> dict[str, Any]:
        body = {"amount": float(amount), "reference": reference}
        return self._post(f"authorization/{authorization_id}/capture", body)

    def release(self, authorization_id: str) -> dict[str, Any]:
        return self._post(f"authorization/{authorization_id}/release", {})

    def return_capture(self, capture_id: str, amount: float | Decimal | None = None) -> dict[str, Any]:
        """A full return without `amount`, else a partial one."""
        body: dict[str, Any] = {"full_return": True} if amount is None else {"full_return": False,
                                                                           "amount": float(amount)}
        return self._post(f"capture/{capture_id}/return", body)

    def refund(self, account_number: int, amount: float | Decimal, reference: str) -> dict[str, Any]:
        return self._post(f"accounts/{account_number}/refund", {"amount": float(amount), "reference": reference})

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST with the current token; a token Flexiti refused (401, so nothing was done) is replaced once."""
        url = self._url(path)
        response = self._send("POST", url, json=body, headers=self._headers())
        if response.status_code == 401:
            self._access_token = None
            response = self._send("POST", url, json=body, headers=self._headers())
        answer = self._checked("POST", url, response)
        if not isinstance(answer, dict):
            raise BackOfficeError(f"POST {url} answered something other than an object", url, response.status_code)
        return answer

    def _url(self, path: str) -> str:
        return f"{self.api_base}/v2.5.1/client-id/{self.client_id}/{path}"

    def _get(self, path: str, params: dict[str, str] | None = None) -> Any:
        """GET with the current token; a token Flexiti no longer accepts (401) is replaced once."""
        url = self._url(path)
        response = self._send("GET", url, params=params, headers=self._headers())
        if response.status_code == 401:
            self._access_token = None
            response = self._send("GET", url, params=params, headers=self._headers())
        return self._checked("GET", url, response)

    def _headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self._token()}", "x-reference-id": uuid.uuid4().hex}

    def _token(self) -> str:
        if self._access_token is None:
            url = f"{self.api_base}/v2.5/oauth/token"
            form = {"grant_type": "client_credentials", "scope": "merchant", "client_id": self.client_id,
                    "client_secret": self._client_secret}
            response = self._send("POST", url, data=form, headers={"x-reference-id": uuid.uuid4().hex})
            body = self._checked("POST", url, response)
            token = body.get("access_token") if isinstance(body, dict) else None
            if not token:
                raise BackOfficeError(f"POST {url} answered {response.status_code} without an access_token", url,
                                      response.status_code)
            self._masker.token(str(token))
            self._access_token = str(token)
        return self._access_token

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            cause = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
            raise BackOfficeError(self._masker.text(f"{method} {url} failed: {cause}"), url) from None

    def _checked(self, method: str, url: str, response: httpx.Response) -> Any:
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code < 400 and body is not None:
            return body
        if isinstance(body, dict):
            detail = f"{body.get('error')}: {body.get('message')}"
        elif response.status_code >= 400:
            detail = response.reason_phrase
        else:
            detail = "with a body that is not JSON"
        raise BackOfficeError(self._masker.text(f"{method} {url} answered {response.status_code} {detail}"),
                              url, response.status_code)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> BackOffice:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

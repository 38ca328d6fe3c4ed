"""Faults the recording proxy answers in Flexiti's place: the sandbox simulator's vocabulary (endpoint, status,
error, timeout, times), so one test drives either, plus two only a proxy can make exactly: an expired token refused
where it is used, and a widget handed a token Flexiti refuses. Kept free of pytest: the proxy runs beside a merchant
backend."""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict
from urllib.parse import parse_qsl

# Where faults are set: POST adds one, DELETE clears them all, GET lists them (as the simulator serves its own).
FAULTS_PATH = "/__sandbox/faults"
# The sandbox's name for the widget page when a fault is set on it (refuse_widget_token): no POS API path ends
# like this, so no API call takes the fault by mistake.
WIDGET_PAGE_FAULT = "/#/widget"
# The token in widget/init's redirection_url: {origin}/#/widget/{client_id}/{token}?lang=...
_WIDGET_TOKEN = re.compile(r"(#/widget/[^/?#]+/)([^/?#]+)")
_FIELDS = ("endpoint", "status", "error", "timeout", "times", "message", "expire_token", "refuse_widget_token")


class ErrorAnswer(TypedDict):
    """An error as Flexiti answers it: the HTTP status, the error code and its message."""

    status: int
    error: str
    message: str


# How Flexiti answers a call on an expired access token (or a used or expired refresh token).
EXPIRED_TOKEN: ErrorAnswer = {
    "status": 401, "error": "invalid_token", "message": "The access token is unknown or expired",
}


class FaultError(ValueError):
    """A fault request the proxy cannot carry out; the message names the field at fault."""


@dataclass
class Fault:
    """The next `times` calls whose path ends with `endpoint` get `status` and a Flexiti error body, or (timeout) are
    held until the caller gives up."""

    endpoint: str
    status: int = 500
    error: str = "general_error"
    timeout: bool = False
    times: int = 1
    message: str | None = None
    # Flexiti's answer to an expired token, given only to calls that USE a token issued before the fault was set:
    # a Bearer header, or the refresh_token of a refresh_token grant. A client_credentials grant uses none (Flexiti
    # answers bad credentials with 400 invalid_client, never 401), and a token granted afterwards is a live one.
    expire_token: bool = False
    # widget/init is forwarded, and the token in its redirection_url replaced by one Flexiti never issued: the
    # widget's own calls are then refused by Flexiti itself (401, "wrong or expired token").
    refuse_widget_token: bool = False
    # Digests of the tokens issued (through the proxy) since an expire_token fault was set: those are not expired.
    fresh: set[str] = field(default_factory=set, repr=False)

    @classmethod
    def from_json(cls, data: Any) -> Fault:
        if not isinstance(data, dict):
            raise FaultError("a fault is a JSON object such as {\"endpoint\": \"widget/init\", \"status\": 500}")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise FaultError(f"unknown fault field(s) {sorted(unknown)}; known: {', '.join(_FIELDS)}")
        if data.get("expire_token") is True:  # Flexiti's own answer, unless the fault says otherwise
            data = {"status": EXPIRED_TOKEN["status"], "error": EXPIRED_TOKEN["error"],
                    "message": EXPIRED_TOKEN["message"], **data}
        if "endpoint" not in data:
            raise FaultError("endpoint is missing: name the end of a POS API path, e.g. \"widget/init\"")
        fault = cls(**data)
        if not isinstance(fault.endpoint, str) or not fault.endpoint.strip("/"):
            raise FaultError("endpoint must name the end of a POS API path, e.g. \"widget/init\" or \"/authorization\"")
        if not isinstance(fault.status, int) or isinstance(fault.status, bool) or not 400 <= fault.status <= 599:
            raise FaultError(f"status {fault.status!r} must be an HTTP error status, 400 to 599")
        if not isinstance(fault.error, str) or not fault.error:
            raise FaultError("error must be a Flexiti error code such as \"general_error\"")
        if not isinstance(fault.timeout, bool):
            raise FaultError("timeout must be true or false")
        if not isinstance(fault.times, int) or isinstance(fault.times, bool) or fault.times < 1:
            raise FaultError(f"times {fault.times!r} must be a whole number, 1 or more")
        if fault.message is not None and not isinstance(fault.message, str):
            raise FaultError("message must be a string")
        for flag in ("expire_token", "refuse_widget_token"):
            if not isinstance(getattr(fault, flag), bool):
                raise FaultError(f"{flag} must be true or false")
        if fault.expire_token and (fault.timeout or fault.refuse_widget_token):
            raise FaultError("expire_token answers 401 at once: it goes with neither timeout nor refuse_widget_token")
        if fault.refuse_widget_token and (fault.timeout or not fault.endpoint.rstrip("/").endswith("widget/init")):
            raise FaultError("refuse_widget_token rewrites widget/init's answer: its endpoint is \"widget/init\", "
                             "without timeout")
        return fault

    def takes(self, path: str, token: str | None) -> bool:
        """Whether a call to `path` that uses `token` (None: no token) meets this fault."""
        if self.times < 1 or not path.rstrip("/").endswith(self.endpoint.rstrip("/")):
            return False
        return not self.expire_token or (token is not None and digest(token) not in self.fresh)

    def body(self, path: str) -> dict[str, str]:
        """Flexiti's error shape for this fault."""
        return {"url": path, "message": self.message or f"injected fault: {self.status} {self.error}",
                "error": self.error}


class FaultTable:
    """Faults waiting for their calls, each used up by `times` calls; thread-safe."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> int:
        with self._lock:
            self._faults.append(fault)
            return len(self._faults)

    def take(self, path: str, token: str | None = None) -> Fault | None:
        """The first fault a call to this path meets (`token`: the one the call uses, if any), used up by it."""
        with self._lock:
            for fault in self._faults:
                if fault.takes(path, token):
                    fault.times -= 1
                    return fault
            return None

    def issued(self, *tokens: str) -> None:
        """Tokens Flexiti just granted: live, whatever expire_token fault was set before."""
        with self._lock:
            for fault in self._faults:
                if fault.expire_token:
                    fault.fresh.update(digest(token) for token in tokens if token)

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [{name: getattr(fault, name) for name in _FIELDS} for fault in self._faults if fault.times > 0]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()


def digest(token: str) -> str:
    """What the fault table keeps of a token: enough to recognise it, nothing to use it with."""
    return hashlib.sha256(token.encode()).hexdigest()


def used_token(path: str, headers: Mapping[str, str], body: bytes) -> str | None:
    """The token a POS API call uses: the refresh_token of a refresh_token grant (a form body, as Flexiti requires),
    none for any other grant, else the Bearer credential. `headers` are looked up lower-case."""
    if path.rstrip("/").endswith("oauth/token"):
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return None
        return (form.get("refresh_token") or None) if form.get("grant_type") == "refresh_token" else None
    scheme, _, credential = headers.get("authorization", "").partition(" ")
    return (credential.strip() or None) if scheme.lower() == "bearer" else None


def issued_tokens(body: bytes) -> tuple[str, ...]:
    """The access and refresh tokens in a token grant's answer (none if it is not one)."""
    try:
        answer = json.loads(body)
    except ValueError:
        return ()
    if not isinstance(answer, dict):
        return ()
    return tuple(str(answer[key]) for key in ("access_token", "refresh_token") if answer.get(key))


def refused_widget_url(redirection_url: str) -> str | None:
    """`redirection_url` with its token replaced by one Flexiti never issued, shaped like a real one (so only
    Flexiti's own check can tell); None when the URL carries no widget token to replace."""
    if not _WIDGET_TOKEN.search(redirection_url):
        return None
    return _WIDGET_TOKEN.sub(lambda found: found.group(1) + secrets.token_urlsafe(32), redirection_url, count=1)

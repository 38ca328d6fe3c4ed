"""Writing the call journal: one entry format, masked as it is recorded.

Shared by the sandbox simulator and the recording proxy, so `harness.journal.Journal` reads either one the same way.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import Request

from harness.masking import Masker

# Where a journal is served: GET reads it ({"calls": [...], "errors": [...]}), DELETE clears it.
JOURNAL_PATH = "/__sandbox/journal"
# The headers the checks read, and the ones that tell a browser's call from a server's.
KEPT_HEADERS = ("authorization", "x-reference-id", "content-type", "origin", "sec-fetch-mode", "user-agent")
_TOKEN_FIELDS = ("access_token", "refresh_token")


def _not_json(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"{text} is out of range")
    return number


def call_entry(request: Request, raw: bytes, status: int, response_body: bytes) -> dict[str, Any]:
    """One call as the journal keeps it, before masking: form and JSON bodies parsed, a JSON response parsed."""
    content_type = request.headers.get("content-type", "")
    body: Any
    if not raw:
        body = None
    elif content_type.startswith("application/x-www-form-urlencoded"):
        # errors="replace": a body that is not UTF-8 is still journaled (the error it got is the point).
        form = parse_qs(raw.decode(errors="replace"), keep_blank_values=True, errors="replace")
        body = {k: v[0] if len(v) == 1 else v for k, v in form.items()}
    else:
        try:
            # NaN and Infinity would make the journal itself unserialisable; deep nesting exhausts recursion.
            body = json.loads(raw, parse_constant=_not_json, parse_float=_finite)
        except (ValueError, RecursionError):
            body = raw.decode(errors="replace")
    try:
        response = json.loads(response_body) if response_body else None
    except ValueError:
        response = None
    return {
        "method": request.method,
        "path": request.url.path,
        "query": dict(request.query_params),
        "headers": {name: request.headers[name] for name in KEPT_HEADERS if name in request.headers},
        "body": body,
        "status": status,
        "response": response,
    }


class CallRecorder:
    """The journal's entries in arrival order, numbered, timed and masked when recorded: nothing unmasked is kept."""

    def __init__(self, masker: Masker) -> None:
        self.masker = masker
        self._calls: deque[dict[str, Any]] = deque()
        self._lock = threading.Lock()

    def record(self, entry: dict[str, Any]) -> None:
        with self._lock:
            response = entry.get("response")
            if isinstance(response, dict):
                # A token answer teaches the masker its tokens, so they are fingerprinted wherever they appear later.
                self.masker.token(*(str(response[name]) for name in _TOKEN_FIELDS if response.get(name)))
            stamped = {**entry, "seq": self._next_seq(), "time": datetime.now(UTC).isoformat(timespec="milliseconds")}
            self._keep(self._masked(stamped))

    def _next_seq(self) -> int:
        return len(self._calls) + 1

    def _masked(self, stamped: dict[str, Any]) -> dict[str, Any]:
        masked: dict[str, Any] = self.masker.data(stamped)
        return masked

    def _keep(self, masked: dict[str, Any]) -> None:
        self._calls.append(masked)

    def calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._calls)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()

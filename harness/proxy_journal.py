"""The recording proxy's journal: entries in the sandbox journal's format, built from whatever a merchant backend
sends (any content type, any authorization scheme, bytes that are not UTF-8), masked, and bounded in count and size."""

from __future__ import annotations

import base64
import binascii
import json
from collections import deque
from typing import Any
from urllib.parse import parse_qsl

from harness.masking import Masker, fingerprint
from harness.recording import KEPT_HEADERS, CallRecorder

DEFAULT_JOURNAL_CALLS = 1000
# A POS API body is a few kilobytes; a journaled body over this is replaced by a marker, so the journal's memory is
# bounded by calls x this.
DEFAULT_JOURNAL_BODY_BYTES = 32 * 1024


def not_kept(raw: bytes, why: str) -> str:
    """What the journal says in place of a body it does not keep: its size and why, never its bytes (base64 would
    keep a secret in a form no masking rule recognises)."""
    return f"<{len(raw)} bytes, {why}: not kept>"


def _form(text: str) -> dict[str, Any] | None:
    """A form-encoded body, whatever the content type claimed: key=value pairs joined by &."""
    if "=" not in text or text.lstrip().startswith(("{", "[")):
        return None
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        return None
    body: dict[str, Any] = {}
    for key, value in pairs:
        body.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in body.items()}


def parsed_body(raw: bytes, content_type: str, limit: int = DEFAULT_JOURNAL_BODY_BYTES) -> Any:
    """A request or response body as the journal keeps it (before masking): JSON or form fields parsed by what the
    bytes are, not by what the content type says (a secret in a form sent as text/plain is still a form field)."""
    if not raw:
        return None
    if len(raw) > limit:
        return not_kept(raw, f"over the journal's {limit}-byte body limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return not_kept(raw, "not UTF-8")
    if "x-www-form-urlencoded" in content_type.lower():
        form = _form(text)
        if form is not None:
            return form
    try:
        return json.loads(text)
    except ValueError:
        pass
    form = _form(text)
    return form if form is not None else text


def masked_authorization(value: str) -> str:
    """The authorization header with its credentials masked under any scheme: Basic keeps the client id and hides
    the secret; any other scheme (or a bare value) keeps the scheme and fingerprints the credential, so "same
    token" stays checkable."""
    scheme, _, credentials = value.strip().partition(" ")
    credentials = credentials.strip()
    if not credentials:  # a bare token, no scheme
        return scheme if not scheme or scheme.startswith("masked:") or scheme == "***" else fingerprint(scheme)
    if scheme.lower() == "basic":
        try:
            user = base64.b64decode(credentials, validate=True).decode("utf-8").partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            return "Basic ***"
        return f"Basic {user}:***"
    if credentials.startswith("masked:"):
        return f"{scheme} {credentials}"
    return f"{scheme} {fingerprint(credentials)}"


def proxy_entry(method: str, path: str, query: dict[str, str], headers: dict[str, str], raw: bytes, status: int,
                response_body: bytes, response_type: str, *, body_limit: int = DEFAULT_JOURNAL_BODY_BYTES,
                note: str | None = None, altered: str | None = None) -> dict[str, Any]:
    """One call, before masking. `headers` are the request's, lower-cased; `altered` says how an injected fault
    changed Flexiti's answer on its way back; `note` says why a call was answered by the
    proxy itself instead of being forwarded (an injected fault, a refusal)."""
    entry: dict[str, Any] = {
        "method": method,
        "path": path,
        "query": query,
        "headers": {name: headers[name] for name in KEPT_HEADERS if name in headers},
        "body": parsed_body(raw, headers.get("content-type", ""), body_limit),
        "status": status,
        "response": None,
    }
    response = parsed_body(response_body, response_type, body_limit)
    entry["response"] = response if isinstance(response, (dict, list)) else None
    if note:
        entry["not_forwarded"] = note
    if altered:
        entry["altered"] = altered
    return entry


class BoundedRecorder(CallRecorder):
    """The journal's last `capacity` entries, numbered, timed and masked as they are recorded; older entries are
    dropped and counted. Sequence numbers keep counting across drops and clears, so "calls after #n" stays true."""

    def __init__(self, masker: Masker, capacity: int = DEFAULT_JOURNAL_CALLS) -> None:
        if capacity < 1:
            raise ValueError("the journal must keep at least one call")
        super().__init__(masker)
        self.capacity = capacity
        self._calls = deque(maxlen=capacity)
        self._seq = 0
        self.dropped = 0

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _masked(self, stamped: dict[str, Any]) -> dict[str, Any]:
        masked = super()._masked(stamped)
        authorization = stamped.get("headers", {}).get("authorization")
        if authorization is not None:
            # Basic is decoded before the masker sees it: the masker would hide the whole base64 blob (it holds the
            # secret), and the client id in it is worth keeping as evidence.
            basic = authorization.strip().partition(" ")[0].lower() == "basic"
            masked["headers"]["authorization"] = (
                self.masker.text(masked_authorization(authorization)) if basic
                else masked_authorization(self.masker.text(authorization)))
        return masked

    def _keep(self, masked: dict[str, Any]) -> None:
        if len(self._calls) == self.capacity:
            self.dropped += 1
        self._calls.append(masked)

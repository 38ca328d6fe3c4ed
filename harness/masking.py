"""Secret masking shared by the sandbox journal, the browser request log and the reports."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

# Keys whose values are secrets wherever they appear (form fields, JSON bodies, headers).
_HIDDEN_KEYS = {"client_secret", "password", "pin", "verification_code", "answer", "security_answer", "code"}
_TOKEN_KEYS = {"access_token", "refresh_token"}
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BEARER = re.compile(r"(?i)\bbearer\s+(?!masked:)([A-Za-z0-9._~+/=-]+)")
# Flexiti's redirection_url carries the access token in its hash route: /#/widget/{client_id}/{token}
_WIDGET_TOKEN = re.compile(r"(/#/widget/[^/\s\"'<>]+/)(?!masked:)([^?\s\"'<>&]+)")


def fingerprint(secret: str) -> str:
    """A stable, non-reversible label for a token, so "same token" stays checkable once masked."""
    return "masked:" + hashlib.sha256(secret.encode()).hexdigest()[:10]


class Masker:
    """Replaces secrets with masks: known values anywhere in text, and secret-named fields in data."""

    def __init__(self, hidden: Iterable[str] = (), tokens: Iterable[str] = ()) -> None:
        self._hidden: set[str] = {value for value in hidden if value}
        self._tokens: set[str] = {value for value in tokens if value}

    def hide(self, *values: str) -> None:
        """Register values that are masked as `***` wherever they appear."""
        self._hidden.update(value for value in values if value)

    def token(self, *values: str) -> None:
        """Register tokens that are replaced by their fingerprint wherever they appear."""
        self._tokens.update(value for value in values if value)

    def forget(self) -> None:
        self._hidden.clear()
        self._tokens.clear()

    def text(self, value: str) -> str:
        value = _BEARER.sub(lambda match: "Bearer " + fingerprint(match.group(1)), value)
        value = _WIDGET_TOKEN.sub(lambda match: match.group(1) + fingerprint(match.group(2)), value)
        # Longest first, so a secret that contains another is replaced whole.
        for token in sorted(self._tokens, key=len, reverse=True):
            value = value.replace(token, fingerprint(token))
        for secret in sorted(self._hidden, key=len, reverse=True):
            if secret.isdigit():
                # A PIN or one-time code: only where it stands alone, not inside a longer number.
                value = re.sub(rf"(?<!\d){re.escape(secret)}(?!\d)", "***", value)
            elif len(secret) >= 4 or value == secret:
                value = value.replace(secret, "***")
        return value

    def json_lines(self, text: str) -> str:
        """Mask inside the JSON string literals of `text` only, so numbers and structure stay valid."""
        return _JSON_STRING.sub(lambda match: json.dumps(self.text(json.loads(match.group(0))))
                                if self._worth_masking(match.group(0)) else match.group(0), text)

    def _worth_masking(self, literal: str) -> bool:
        return len(literal) > 5 and self.text(literal) != literal

    def data(self, value: Any, key: str = "") -> Any:
        lowered = key.lower()
        if isinstance(value, dict):
            return {k: self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.data(item, key) for item in value]
        if isinstance(value, str):
            if lowered in _HIDDEN_KEYS:
                return "***"
            if lowered in _TOKEN_KEYS:
                return fingerprint(value)
            return self.text(value)
        if lowered in _HIDDEN_KEYS and value is not None:
            return "***"
        return value

    def headers(self, headers: dict[str, str]) -> dict[str, str]:
        return {name: self.text(value) for name, value in headers.items()}

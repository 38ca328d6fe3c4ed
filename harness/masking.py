"""Secret masking shared by the sandbox journal, the browser request log and the reports."""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, quote_plus

# Keys whose values are secrets wherever they appear (form fields, JSON bodies, headers).
_HIDDEN_KEYS = {"client_secret", "password", "merchant_password", "pin", "verification_code", "answer",
                "security_answer", "code"}
_TOKEN_KEYS = {"access_token", "refresh_token"}
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BEARER = re.compile(r"(?i)\bbearer\s+(?!masked:)([A-Za-z0-9._~+/=-]+)")
# Flexiti's redirection_url carries the access token in its hash route: /#/widget/{client_id}/{token}
_WIDGET_TOKEN = re.compile(r"(/#/widget/[^/\s\"'<>]+/)(?!masked:)([^?\s\"'<>&]+)")


@functools.lru_cache(maxsize=8192)
def fingerprint(secret: str) -> str:
    """A stable, non-reversible label for a token, so "same token" stays checkable once masked."""
    return "masked:" + hashlib.sha256(secret.encode()).hexdigest()[:10]


# The characters HTML-safe JSON encoders write as \\uXXXX: Jinja's tojson and Flask, Django's json_script, and
# encoders that also escape the slash (PHP's json_encode writes it \\/).
_HTML_SAFE_JSON = ("<>&'", "<>&", "<>&'/", "/")
# Below this length a base64 fragment is too short to be told from chance.
_SHORTEST_BASE64 = 8


def _json_forms(secret: str) -> set[str]:
    forms = {json.dumps(secret)[1:-1], json.dumps(secret, ensure_ascii=False)[1:-1]}
    for base in list(forms):
        for escaped in _HTML_SAFE_JSON:
            for hex_format in ("\\u{:04x}", "\\u{:04X}"):
                forms.add("".join(hex_format.format(ord(c)) if c in escaped else c for c in base))
        forms.add(base.replace("/", "\\/"))
    return forms


def _html_forms(secret: str) -> set[str]:
    entities = [{"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': quote_form, "'": apostrophe}
                for quote_form in ("&quot;", "&#34;", "&#x22;") for apostrophe in ("&#x27;", "&#39;", "&apos;")]
    forms = {html.escape(secret), html.escape(secret, quote=False)}
    forms |= {"".join(table.get(c, c) for c in secret) for table in entities}
    return forms


def _url_forms(secret: str) -> set[str]:
    forms = {quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/"),
             quote(secret, safe="/:@!$&'()*+,;=")}  # the last: what a browser leaves alone in a URL path
    return forms | {re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), form) for form in forms}


def standalone_code(codes: str) -> str:
    """A pattern for PINs or one-time codes (`codes`: an alternation of escaped digit strings) where they stand alone:
    not touching a letter, a digit, `_` or `-`, nor a decimal point between digits. Inside anything else they are part
    of an identifier or an amount (a session id ending -2222bbbf8641, an x-reference-id, ORD-2222AB, 2222.50), whose
    value checks compare and which tells nothing of the code. The masker and the leak scans read codes this way."""
    return rf"(?<![0-9A-Za-z_\-])(?<!\d\.)(?:{codes})(?![0-9A-Za-z_\-])(?!\.\d)"


def _base64_forms(secret: str) -> set[str]:
    """The secret base64-encoded inside a longer value: at each of the three byte alignments, the characters
    that depend on the secret's bytes alone (the ones at either end also depend on its neighbours)."""
    raw = secret.encode("utf-8")
    forms = set()
    for lead in range(3):
        encoded = base64.b64encode(b"\0" * lead + raw).decode()
        start = 4 if lead else 0  # the first group mixes the neighbour's bytes with the secret's
        end = (lead + len(raw)) // 3 * 4  # the last partial group does too
        fragment = encoded[start:end]
        if len(fragment) >= _SHORTEST_BASE64:
            forms |= {fragment, fragment.replace("+", "-").replace("/", "_")}
    return forms


def _plain(value: str) -> str:
    """The characters of `value` as a plain str: a `Secret` (harness.settings) prints itself as a mask."""
    return str.__str__(value)


def secret_forms(secret: str) -> frozenset[str]:
    return _secret_forms(_plain(secret))


@functools.lru_cache(maxsize=1024)
def _secret_forms(secret: str) -> frozenset[str]:
    """`secret` as written raw and in every encoding a page, request or trace may carry it: JSON-escaped
    (HTML-safe \\u0026 included), HTML entities, URL-encoded, base64 (inside a longer encoded value)."""
    if not secret:
        return frozenset()
    forms = {secret} | _json_forms(secret) | _html_forms(secret) | _url_forms(secret)
    for form in list(forms):  # a URL-encoded value inside HTML, an HTML page inside JSON
        forms |= _html_forms(form) | _json_forms(form)
    return frozenset(forms | _base64_forms(secret))


def contains_secret(text: str, secret: str) -> bool:
    """Whether `text` holds `secret` in any of its forms."""
    return any(form in text for form in secret_forms(secret))


class _Plan:
    """The registered values in the order they are replaced (longest first, so a value that contains another is
    replaced whole), built once per change rather than per string: a run learns hundreds of tokens."""

    def __init__(self, tokens: set[str], hidden: set[str]) -> None:
        self.tokens = [(token, fingerprint(token)) for token in sorted(tokens, key=len, reverse=True)]
        self.shortest_token = min((len(token) for token in tokens), default=0)
        self.hidden = hidden
        ordered = sorted(hidden, key=len, reverse=True)
        # PINs and one-time codes, in one pass, only where they stand alone (standalone_code): masked inside an
        # identifier or an amount, they would change a value a check compares (a widget session id, an
        # x-reference-id, an order id), and they tell nothing of the code there.
        codes = [re.escape(secret) for secret in ordered if secret.isdigit()]
        self.codes = re.compile(standalone_code("|".join(codes))) if codes else None
        # Other secrets anywhere, if long enough not to hit ordinary words; shorter ones only as a whole value.
        # Each in every encoding too: an HTML-safe JSON page writes `&` as \u0026, a form body as %26.
        long_enough = [secret for secret in ordered if not secret.isdigit() and len(secret) >= 4]
        self.secrets = sorted({form for secret in long_enough for form in secret_forms(secret)}, key=len, reverse=True)


class Masker:
    """Replaces secrets with masks: known values anywhere in text, and secret-named fields in data."""

    def __init__(self, hidden: Iterable[str] = (), tokens: Iterable[str] = ()) -> None:
        self._hidden: set[str] = {_plain(value) for value in hidden if value}
        self._tokens: set[str] = {_plain(value) for value in tokens if value}
        self._plan: _Plan | None = None

    def hide(self, *values: str) -> None:
        """Register values that are masked as `***` wherever they appear."""
        self._hidden.update(_plain(value) for value in values if value)
        self._plan = None

    def token(self, *values: str) -> None:
        """Register tokens that are replaced by their fingerprint wherever they appear."""
        self._tokens.update(_plain(value) for value in values if value)
        self._plan = None

    def forget(self) -> None:
        self._hidden.clear()
        self._tokens.clear()
        self._plan = None

    def text(self, value: str) -> str:
        value = _BEARER.sub(lambda match: "Bearer " + fingerprint(match.group(1)), value)
        value = _WIDGET_TOKEN.sub(lambda match: match.group(1) + fingerprint(match.group(2)), value)
        if self._plan is None:
            self._plan = _Plan(self._tokens, self._hidden)
        plan = self._plan
        if len(value) >= plan.shortest_token:  # most strings (names, dates, paths) are shorter than any token
            for token, mask in plan.tokens:
                value = value.replace(token, mask)
        if value in plan.hidden:
            return "***"
        for secret in plan.secrets:  # before the codes: a secret that contains a code is replaced whole
            value = value.replace(secret, "***")
        if plan.codes is not None:
            value = plan.codes.sub("***", value)
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

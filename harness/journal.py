"""The server-side call journal: what Flexiti received (the sandbox's journal, or a recording proxy's)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx


@dataclass(frozen=True)
class Call:
    """One POS API call as Flexiti received it; secrets already masked by the journal."""

    seq: int
    time: str
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    response: Any

    @property
    def token(self) -> str | None:
        """The masked fingerprint of the bearer token, comparable between calls."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        return value if scheme.lower() == "bearer" and value else None

    @property
    def reference_id(self) -> str | None:
        return self.headers.get("x-reference-id")

    @property
    def from_browser(self) -> bool:
        """Browsers send Origin or Sec-Fetch-Mode on cross-site calls; a merchant server does not."""
        return "origin" in self.headers or "sec-fetch-mode" in self.headers

    def describe(self) -> str:
        return f"#{self.seq} {self.method} {self.path} -> {self.status}"


class JournalError(RuntimeError):
    """The journal could not be read; the message names the URL and the cause."""


# Shared by every Journal: an httpx client costs tens of milliseconds to set up (its TLS context), a read does not.
_http = httpx.Client(timeout=10)


class Journal:
    """Reads the journal over HTTP so the same code serves the sandbox and the recording proxy."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.url = url
        # The recording proxy's control token (FLEXITI_PROXY_TOKEN); the sandbox's journal needs none.
        self._headers = {"authorization": f"Bearer {token}"} if token else {}

    def calls(self) -> list[Call]:
        try:
            response = _http.get(self.url, headers=self._headers)
            response.raise_for_status()
            raw = response.json()["calls"]
        except (httpx.HTTPError, KeyError, ValueError) as error:
            raise JournalError(f"cannot read the call journal at {self.url}: {error}") from error
        return [
            Call(
                seq=entry["seq"], time=entry["time"], method=entry["method"], path=entry["path"],
                headers=entry.get("headers", {}), body=entry.get("body"), status=entry["status"],
                response=entry.get("response"),
            )
            for entry in raw
        ]

    def pos_api_calls(self) -> list[Call]:
        return [c for c in self.calls() if c.path.startswith("/flexiti/pos-api/")]

    def to(self, endpoint: str) -> list[Call]:
        """POS API calls whose path ends with `endpoint`, e.g. "oauth/token" or "widget/init"."""
        return [c for c in self.pos_api_calls() if c.path.rstrip("/").endswith(endpoint)]

    def token_lineages(self) -> dict[str, int]:
        """Access-token fingerprint -> lineage number: a refresh continues the lineage of the token it refreshed,
        so "one token carries the whole flow" can be checked across refreshes."""
        lineage_of_refresh: dict[str, int] = {}
        lineages: dict[str, int] = {}
        new_lineage = itertools.count(1)
        for call in self.to("oauth/token"):
            if call.status != 200 or not isinstance(call.response, dict):
                continue
            body = call.body or {}
            refreshed = lineage_of_refresh.get(str(body.get("refresh_token")))
            lineage = refreshed if body.get("grant_type") == "refresh_token" and refreshed else next(new_lineage)
            lineages[str(call.response.get("access_token"))] = lineage
            lineage_of_refresh[str(call.response.get("refresh_token"))] = lineage
        return lineages

    def describe(self) -> str:
        return "\n".join(f"  {c.describe()}" for c in self.calls()) or "  (no calls journaled)"


def widget_session_of(redirection_url: str) -> str | None:
    """The widget_session_id inside a redirection_url (it sits in the hash route's query)."""
    query = urlsplit(urlsplit(redirection_url).fragment).query
    values = parse_qs(query).get("widget_session_id")
    return values[0] if values else None

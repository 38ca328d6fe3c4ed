"""The server-side call journal: what Flexiti received (the sandbox's journal, or a recording proxy's)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable
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


# What a browser sees of a widget session: the redirection_url (in the store's page or a JSON answer, and as the
# widget frame's URL) carries the session id in its hash route's query and the access token in its path; the
# request log and the journal both hold that token as its fingerprint.
_SESSION_IN_TEXT = re.compile(r"[?&]widget_session_id=([A-Za-z0-9_.~-]+)")
_TOKEN_IN_TEXT = re.compile(r"/#/widget/[^/\s\"'<>]+/(masked:[0-9a-f]+)")


@dataclass(frozen=True)
class Seen:
    """The widget sessions and (fingerprinted) widget tokens one test's browser saw."""

    sessions: frozenset[str] = frozenset()
    tokens: frozenset[str] = frozenset()

    @staticmethod
    def in_texts(texts: Iterable[str], sessions: Iterable[str] = ()) -> Seen:
        """Every session id and widget token named in `texts` (masked URLs and bodies), plus `sessions`."""
        found_sessions, found_tokens = set(sessions), set()
        for text in texts:
            if "widget" in text:
                found_sessions.update(_SESSION_IN_TEXT.findall(text))
                found_tokens.update(_TOKEN_IN_TEXT.findall(text))
        return Seen(frozenset(found_sessions), frozenset(found_tokens))


def _sessions_named(call: Call) -> set[str]:
    """The widget sessions a call is about: the one in its body (/authorization, /apply) or the one its
    answer opened (widget/init's redirection_url)."""
    named: set[str] = set()
    if isinstance(call.body, dict) and call.body.get("widget_session_id"):
        named.add(str(call.body["widget_session_id"]))
    if isinstance(call.response, dict) and isinstance(call.response.get("redirection_url"), str):
        opened = widget_session_of(call.response["redirection_url"])
        if opened:
            named.add(opened)
    return named


def attribute(calls: list[Call], seen: Seen) -> list[Call]:
    """The calls that belong to one test, out of a journal that several tests (workers) write at once.

    A call belongs when it names one of the test's widget sessions; when it went out on a token only the test's
    sessions used (a token that also served another session is a shared server-wide token, and proves nothing);
    when it shares an x-reference-id with a call that belongs; and when it issued one of those calls' tokens, or
    the refresh token such a grant was made with (the lineage, back to its client_credentials grant)."""
    ours = {call.seq for call in calls if _sessions_named(call) & seen.sessions}
    sessions_on_token: dict[str, set[str]] = {}
    for call in calls:
        for token in filter(None, (call.token, _issued_widget_token(call))):
            sessions_on_token.setdefault(token, set()).update(_sessions_named(call))
    candidate_tokens = set(seen.tokens) | {call.token for call in calls if call.seq in ours and call.token}
    exclusive = {token for token in candidate_tokens if sessions_on_token.get(token, set()) <= seen.sessions}
    ours |= {call.seq for call in calls if call.token in exclusive}
    references = {call.reference_id for call in calls if call.seq in ours and call.reference_id}
    ours |= {call.seq for call in calls
             if call.reference_id in references and _sessions_named(call) <= seen.sessions}
    issued_access: dict[str, Call] = {}
    issued_refresh: dict[str, Call] = {}
    for call in calls:
        if call.path.rstrip("/").endswith("oauth/token") and call.status == 200 and isinstance(call.response, dict):
            issued_access.setdefault(str(call.response.get("access_token")), call)
            issued_refresh.setdefault(str(call.response.get("refresh_token")), call)
    used = {call.token for call in calls if call.seq in ours and call.token} | set(seen.tokens)
    for token in used:
        grant = issued_access.get(token)
        while grant is not None and grant.seq not in ours:
            ours.add(grant.seq)
            body = grant.body if isinstance(grant.body, dict) else {}
            refreshed = body.get("grant_type") == "refresh_token"
            grant = issued_refresh.get(str(body.get("refresh_token"))) if refreshed else None
    # Forward too: a refresh that presented the refresh token of one of this test's grants is this test's, even when
    # Flexiti refused it (an expired token's 401 issues nothing, so no later call leads back to it).
    ours_refresh = {str(call.response.get("refresh_token")) for call in calls
                    if call.seq in ours and call.path.rstrip("/").endswith("oauth/token")
                    and isinstance(call.response, dict) and call.response.get("refresh_token")}
    ours |= {call.seq for call in calls if call.path.rstrip("/").endswith("oauth/token")
             and isinstance(call.body, dict) and call.body.get("grant_type") == "refresh_token"
             and str(call.body.get("refresh_token")) in ours_refresh}
    return [call for call in calls if call.seq in ours]


def _issued_widget_token(call: Call) -> str | None:
    """The token in a widget/init answer's redirection_url (the token the widget was opened on)."""
    if isinstance(call.response, dict) and isinstance(call.response.get("redirection_url"), str):
        found = _TOKEN_IN_TEXT.search(call.response["redirection_url"])
        return found.group(1) if found else None
    return None


class AttributedJournal(Journal):
    """A shared journal (a recording proxy's, with several workers behind it) narrowed to one test's calls: those
    of the widget sessions and tokens its browser saw (see `attribute`), whenever they were made."""

    def __init__(self, url: str, seen: Callable[[], Seen], token: str | None = None) -> None:
        super().__init__(url, token)
        self.seen = seen

    def calls(self) -> list[Call]:
        return attribute(super().calls(), self.seen())


def widget_session_of(redirection_url: str) -> str | None:
    """The widget_session_id inside a redirection_url (it sits in the hash route's query)."""
    query = urlsplit(urlsplit(redirection_url).fragment).query
    values = parse_qs(query).get("widget_session_id")
    return values[0] if values else None

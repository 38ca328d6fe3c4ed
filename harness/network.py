"""The browser's request log: every request the page and its frames make, with secrets masked."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import BrowserContext, Request, Response

from harness.journal import Seen
from harness.masking import Masker, contains_secret


@dataclass(frozen=True)
class BrowserRequest:
    time: float
    method: str
    url: str
    frame_url: str
    resource_type: str
    headers: dict[str, str]
    post_data: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


@dataclass(frozen=True)
class BrowserResponse:
    url: str
    status: int
    body: str | None  # text bodies only, masked


# Style sheets and scripts already read by this process, by address, strong ETag and length: the store's style sheet
# (five times a purchase) and the widget's scripts, loaded by every test, are read from the browser once. A strong ETag
# names one exact body (RFC 9110); a weak one (W/"...") or none, and the body is read every time. Pages and API
# answers, where a secret would come with the data, are always read: their ETag is the site's own, under test too.
_CACHED_KINDS = ("stylesheet", "script")
_BODY_CHARS_KEPT = 2_000_000
_bodies: OrderedDict[tuple[str, str, str], str] = OrderedDict()
_bodies_chars = 0
_bodies_lock = threading.Lock()


def _body_key(response: Response) -> tuple[str, str, str] | None:
    etag = response.headers.get("etag", "")
    if response.status != 200 or not etag.startswith('"') or response.request.resource_type not in _CACHED_KINDS:
        return None
    return response.url, etag, response.headers.get("content-length", "")


def _text_of(response: Response) -> str:
    """The response's text, from this process's earlier read of the same body when its strong ETag says it is."""
    global _bodies_chars
    key = _body_key(response)
    if key is not None:
        with _bodies_lock:
            if key in _bodies:
                _bodies.move_to_end(key)
                return _bodies[key]
    text = response.text()
    if key is not None and len(text) <= _BODY_CHARS_KEPT // 8:
        with _bodies_lock:
            if key not in _bodies:
                _bodies[key] = text
                _bodies_chars += len(text)
            while _bodies_chars > _BODY_CHARS_KEPT:
                _bodies_chars -= len(_bodies.popitem(last=False)[1])
    return text


def _all_headers(message: Request | Response) -> dict[str, str]:
    """Every header, cookies included (`.headers` leaves those out); the short list if the page has gone."""
    try:
        return message.all_headers()
    except Exception:  # noqa: BLE001 - a closed page or frame can no longer answer
        return message.headers


@dataclass
class RequestLog:
    """Requests and text responses seen by the browser context, recorded with secrets masked.

    Unmasked raw text is kept only in memory and only for `contains_secret`, so a test can prove a secret
    never reached the browser without the log itself ever holding it in a report. Reading every header (cookies
    included) costs the browser a round trip per request and per response, so those are read only when
    `contains_secret` is asked, while the context is still open; what the event carries is recorded at once.
    """

    masker: Masker = field(default_factory=Masker)
    requests: list[BrowserRequest] = field(default_factory=list)
    responses: list[BrowserResponse] = field(default_factory=list)
    _raw: list[str] = field(default_factory=list, repr=False)
    _unread_headers: list[Request | Response] = field(default_factory=list, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def install(self, context: BrowserContext) -> RequestLog:
        context.on("request", self.record_request)
        context.on("response", self.record_response)
        return self

    def record_request(self, request: Request) -> None:
        try:
            frame_url = request.frame.url
        except Exception:  # noqa: BLE001 - service-worker requests have no frame
            frame_url = ""
        headers = request.headers  # what the event carried: no round trip
        post_data = request.post_data
        entry = BrowserRequest(
            time=time.time(),
            method=request.method,
            url=self.masker.text(request.url),
            frame_url=self.masker.text(frame_url),
            resource_type=request.resource_type,
            headers=self.masker.headers(headers),
            post_data=self.masker.text(post_data) if post_data else None,
        )
        with self._lock:
            self.requests.append(entry)
            self._raw.extend([request.url, " ".join(f"{k}: {v}" for k, v in headers.items()), post_data or ""])
            self._unread_headers.append(request)

    def record_response(self, response: Response) -> None:
        body: str | None = None
        content_type = response.headers.get("content-type", "")
        if any(kind in content_type for kind in ("json", "text", "javascript")):
            try:
                # Read now: once the page has moved on, the browser may have dropped the body.
                body = _text_of(response)
            except Exception:  # noqa: BLE001 - bodies of redirects and aborted loads are not readable
                body = None
        with self._lock:
            self.responses.append(BrowserResponse(self.masker.text(response.url), response.status,
                                                  self.masker.text(body) if body else None))
            self._raw.append(" ".join(f"{k}: {v}" for k, v in response.headers.items()))
            if body:
                self._raw.append(body)
            self._unread_headers.append(response)  # set-cookie: a token in a cookie reached the browser too

    def _read_headers(self) -> None:
        """Every header of the requests and responses so far, cookies included, into the raw text."""
        with self._lock:
            unread, self._unread_headers = self._unread_headers, []
        read = [" ".join(f"{k}: {v}" for k, v in _all_headers(message).items()) for message in unread]
        with self._lock:
            self._raw.extend(read)

    def to(self, path_part: str) -> list[BrowserRequest]:
        """Requests whose URL path contains `path_part`."""
        with self._lock:
            return [r for r in self.requests if path_part in r.path]

    def seen(self, sessions: Iterable[str] = ()) -> Seen:
        """The widget sessions and widget tokens named in what the browser loaded: the widget frame's URL, and
        the store's pages and answers that carried the redirection_url; plus `sessions` (from widget events)."""
        with self._lock:
            texts = [*(r.url for r in self.requests), *(r.frame_url for r in self.requests),
                     *(r.body for r in self.responses if r.body)]
        return Seen.in_texts(texts, sessions)

    def contains_secret(self, secret: str) -> bool:
        """Whether `secret` appeared in any request URL, header (cookies included) or body, or in any response
        header or text body the browser saw, raw or encoded (JSON-escaped, HTML entities, URL-encoded, base64).
        Binary bodies (images, fonts) are not searched."""
        self._read_headers()
        with self._lock:
            return any(contains_secret(text, secret) for text in self._raw)

"""The browser request log: a secret is found wherever the browser saw it, and never kept in the masked log.

Served by a small loopback server rather than routes: a routed response cannot set a cookie."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import Browser, Page, Response

from harness import network
from harness.masking import Masker
from harness.network import RequestLog

SECRET = "sk_test_harness_4f1c9e"


class _Shop(BaseHTTPRequestHandler):
    """/cookie sets the secret in a cookie, /header in a response header, /body writes it in the page; /strong and
    /weak write it in a script that carries a strong or a weak ETag, which /page-strong and /page-weak load."""

    def do_GET(self) -> None:  # the http.server hook's name
        where = self.path.split("?")[0].strip("/")
        body = (f"<p>token {SECRET}</p>" if where == "body" else "<p>nothing to see</p>").encode()
        if where.startswith("page-"):
            body = f"<script src='/{where.removeprefix('page-')}'></script>".encode()
        if where in ("strong", "weak"):
            body = f"const clientSecret = '{SECRET}';".encode()
        self.send_response(200)
        self.send_header("content-type", "text/javascript" if where in ("strong", "weak") else "text/html")
        if where in ("strong", "weak"):
            self.send_header("etag", '"v1"' if where == "strong" else 'W/"v1"')
        self.send_header("content-length", str(len(body)))
        if where == "cookie":
            self.send_header("set-cookie", f"flexiti_token={SECRET}; Path=/")
        if where == "header":
            self.send_header("x-debug-token", SECRET)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def shop() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Shop)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def log() -> RequestLog:
    return RequestLog(masker=Masker(hidden=[SECRET]))


def _visit(page: Page, log: RequestLog, url: str) -> None:
    """What the context's request and response events do, called in line: installed, the log records from event
    handlers that can still be reading headers and body when goto returns, and this test would race them."""
    response = page.goto(url)
    assert response is not None
    log.record_request(response.request)
    log.record_response(response)


@pytest.mark.parametrize("where", ["cookie", "header", "body", "url"])
def test_a_secret_is_found_wherever_the_browser_saw_it(where: str, shop: str, page: Page, log: RequestLog) -> None:
    _visit(page, log, f"{shop}/nowhere?key={SECRET}" if where == "url" else f"{shop}/{where}")

    assert log.contains_secret(SECRET)
    assert SECRET not in repr(log.requests) + repr(log.responses)  # what reports read is masked


def test_a_page_without_the_secret_is_clean(shop: str, page: Page, log: RequestLog) -> None:
    _visit(page, log, f"{shop}/nowhere")

    assert log.requests and log.responses, "the log saw nothing: the check below would pass for nothing"
    assert not log.contains_secret(SECRET)


def _reads_counted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The address of each body read from the browser from now on, with no body read before (an empty cache)."""
    monkeypatch.setattr(network, "_bodies", OrderedDict())
    read: list[str] = []
    text = Response.text

    def counted(response: Response) -> str:
        read.append(response.url)
        return text(response)

    monkeypatch.setattr(Response, "text", counted)
    return read


@pytest.mark.parametrize(("etag", "reads"), [("strong", 1), ("weak", 2)])
def test_a_body_a_strong_etag_names_is_read_from_the_browser_once_and_still_searched_in_every_test(
        etag: str, reads: int, shop: str, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every page of every test loads the same style sheet and scripts: one read serves them all, and each test's log
    # still finds a secret in them. A weak ETag promises no identical bytes, so that body is read every time. (A bare
    # context: the harness's own page fixture would log, and read, the same responses.)
    read = _reads_counted(monkeypatch)
    earlier, later = RequestLog(masker=Masker(hidden=[SECRET])), RequestLog(masker=Masker(hidden=[SECRET]))

    for log in (earlier, later):  # two tests: two contexts, no cache shared by the browser
        context = browser.new_context()
        try:
            page = context.new_page()
            with page.expect_response(f"**/{etag}") as script:
                page.goto(f"{shop}/page-{etag}")
            assert script.value.request.resource_type == "script"
            log.record_response(script.value)
        finally:
            context.close()

    assert len(read) == reads, read
    assert earlier.contains_secret(SECRET) and later.contains_secret(SECRET)
    assert later.responses and all(SECRET not in (response.body or "") for response in later.responses)


def test_a_page_is_read_every_time_whatever_its_etag(shop: str, browser: Browser,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # A page or an API answer carries the data a secret would come with, and its ETag is the site's own (under test
    # too): only style sheets and scripts are taken from earlier reads.
    read = _reads_counted(monkeypatch)
    for _ in range(2):
        context = browser.new_context()
        try:
            _visit(context.new_page(), RequestLog(masker=Masker(hidden=[SECRET])), f"{shop}/strong")
        finally:
            context.close()

    assert read == [f"{shop}/strong"] * 2

"""Waiting for the widget to open: a widget that fails at once, and a store that moves on before the wait
begins, end the wait with the failure instead of a timeout. Pages are served by routes (no server)."""

from __future__ import annotations

import pytest
from playwright.sync_api import BrowserContext, Page, Route

from harness.widget_events import FAILURE_MARK, EventLog
from pages.widget.screens import FlexitiWidget

STORE = "http://127.0.0.1:9"  # routed: nothing listens there
WIDGET = "http://localhost:9"
# The store page: hosts the widget and, as a store does on flx-failure, goes back to checkout.
PAYMENT = """<h1>Pay</h1><iframe title="Flexiti widget" src="%s/widget?%s"></iframe>
<script>addEventListener("message", (e) => {
  if (e.data && e.data.eventType === "flx-failure") location.href = "/checkout";
});</script>"""
REFUSING = """<h1>Something went wrong</h1>
<script>parent.postMessage({eventType: "flx-failure", eventData: {error: 403, message: "untrusted origin"}}, "*")
</script>"""
OPENING = "<h1>Choose a verification method</h1>"


def _serve(route: Route) -> None:
    url = route.request.url
    if url.startswith(f"{WIDGET}/widget"):
        body = REFUSING if url.endswith("refuse") else OPENING
    elif url.startswith(f"{STORE}/pay"):
        body = PAYMENT % (WIDGET, url.rsplit("?", 1)[-1])
    else:
        body = "<h1>Checkout</h1>"
    route.fulfill(status=200, content_type="text/html", body=body)


@pytest.fixture
def store_page(context: BrowserContext, page: Page, widget_events: EventLog) -> Page:
    """The page with the harness's event capture (the widget_events fixture installs it on the context)."""
    context.route("**/*", _serve)
    page.set_default_timeout(3_000)  # a wait that does not end on the failure fails fast, not after 10 s
    return page


def test_wait_ends_with_the_failure_when_the_store_moved_on_first(store_page: Page) -> None:
    store_page.goto(f"{STORE}/pay?refuse")
    store_page.wait_for_url(f"{STORE}/checkout")  # the store left before anyone looked for the widget

    with pytest.raises(AssertionError, match=r"failed before it opened \(flx-failure 403\)"):
        FlexitiWidget(store_page, origin=WIDGET).wait_until_open()


def test_the_mark_is_left_on_the_next_page_only(store_page: Page) -> None:
    store_page.goto(f"{STORE}/pay?refuse")
    store_page.wait_for_url(f"{STORE}/checkout")
    assert store_page.locator("html").get_attribute(FAILURE_MARK) == "403"

    store_page.goto(f"{STORE}/pay?open")

    assert store_page.locator("html").get_attribute(FAILURE_MARK) is None
    FlexitiWidget(store_page, origin=WIDGET).wait_until_open()  # the next widget opens as usual


def test_a_widget_that_opens_is_waited_for_as_usual(store_page: Page) -> None:
    store_page.goto(f"{STORE}/pay?open")

    widget = FlexitiWidget(store_page, origin=WIDGET).wait_until_open()

    assert widget.frame_element.get_attribute("title") == "Flexiti widget"

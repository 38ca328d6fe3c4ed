"""A storefront unlike the reference store, driven by a selector profile alone: its own DOM, the widget's
redirection URL rendered in its own <dialog> iframe (its own title, no Flexiti SDK), results shown in the same page.
No FLEXITI_WIDGET_LOCATORS: the widget is found by its origin. Both sites are tiny loopback apps defined here."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from harness.customers import Customer
from harness.errors import HarnessError, ProfileError
from harness.landing import Capability, Where
from harness.proof import NotApplicable, NotObservable
from harness.proxy_server import ThreadedServer
from harness.widget_events import EventLog
from pages.profile import ProfileStorefront, load_profile
from pages.widget import locators

# A stand-in for the widget: a first screen, and a Cancel that posts flx-cancel to the page that embeds it.
WIDGET = """<!doctype html><title>widget</title><h1>Verify your identity</h1>
<button onclick='parent.postMessage({eventType: "flx-cancel", eventData: {}}, "*")'>Cancel</button>"""
# The merchant's checkout: a basket, details, and its own dialog for financing. It listens to the widget itself,
# checks the origin, and answers a cancel in place: dialog closed, a message shown, the basket kept.
STORE = """<!doctype html><title>Basket - Harbour Bikes</title>
<header><span id="items">2 items</span></header>
<main>
  <h2>Your basket</h2>
  <section id="basket"><div class="row"><b>Gravel bike</b> x<i>2</i> <s>CA$2,400.00</s></div>
    <p>Order total <strong id="grand-total">CA$2,737.00</strong></p></section>
  <form onsubmit="return false"><label>Given name <input id="fn"></label><label>Family name <input id="ln"></label>
    <button type="button" id="finance">Spread the cost</button></form>
  <div id="message" role="status"></div>
  <dialog id="financing"><iframe title="Monthly payments" width="400" height="300"></iframe></dialog>
</main>
<script>
const widgetOrigin = %(origin)r;
const dialog = document.getElementById("financing");
document.getElementById("finance").addEventListener("click", () => {
  dialog.querySelector("iframe").src = widgetOrigin + "/#/widget/?widget_session_id=s-1";  // from the server
  dialog.showModal();
});
addEventListener("message", (event) => {
  if (event.origin !== widgetOrigin || !event.data) return;
  if (event.data.eventType === "flx-cancel") {
    dialog.close();
    document.getElementById("message").textContent = "Financing cancelled - your basket is still here.";
  }
});
</script>"""
PROFILE = """
name = "Harbour Bikes (dialog-hosted widget, no SDK)"
products = ["Gravel bike"]

[add_to_cart]
steps = [{ goto = "/basket" }]

[check_out]
steps = [
  { fill = { label = "Given name" }, value = "{first_name}" },
  { fill = { label = "Family name" }, value = "{last_name}" },
]

[choose_flexiti]
steps = [{ click = { role = "button", name = "Spread the cost" } }]

[cart]
count = { css = "#items", pattern = "(\\\\d+) items?" }
total = { css = "#grand-total" }

[landing.where]
checkout = { role = "heading", name = "Your basket" }
order = { url_pattern = "/orders/" }

[landing]
notice = { role = "status" }
"""


async def _store(request: Request) -> HTMLResponse:
    return HTMLResponse(STORE % {"origin": request.app.state.widget_origin})


async def _widget(request: Request) -> HTMLResponse:
    return HTMLResponse(WIDGET)


@pytest.fixture(scope="module")
def sites() -> Iterator[tuple[str, str]]:
    """(store URL, widget origin): two loopback origins."""
    widget = ThreadedServer("dialog-widget", Starlette(routes=[Route("/", _widget)]), "localhost")
    store_app = Starlette(routes=[Route("/basket", _store)])
    store = ThreadedServer("dialog-store", store_app, "127.0.0.1")
    store_app.state.widget_origin = widget.url
    widget.start()
    store.start()
    yield store.url, widget.url
    store.stop()
    widget.stop()


@pytest.fixture
def shop_page(browser: Browser, sites: tuple[str, str]) -> Iterator[tuple[Page, EventLog]]:
    store_url, widget_origin = sites
    context = browser.new_context(base_url=store_url)
    events = EventLog(widget_origin=widget_origin).install(context)
    page = context.new_page()
    page.set_default_timeout(5_000)
    run_origin = locators.WIDGET_ORIGIN
    locators.use_widget_origin(widget_origin)
    yield page, events
    locators.use_widget_origin(run_origin)
    context.close()


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    path = tmp_path / "harbour-bikes.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def test_dialog_hosted_widget_without_the_sdk_is_driven_by_a_profile_alone(
    shop_page: tuple[Page, EventLog], profile_path: Path, customers: dict[str, Customer],
) -> None:
    page, events = shop_page
    storefront = ProfileStorefront(page, load_profile(profile_path))

    storefront.fill_cart(storefront.products)
    before = storefront.check_out(customers["single_account"])
    host = storefront.choose_flexiti()
    host.widget.wait_until_open()
    with events.awaiting("flx-cancel"):
        host.widget.cancel()
    landing = storefront.landing()

    assert host.widget.frame_element.get_attribute("title") == "Monthly payments"  # its own title, no override
    assert page.locator("dialog iframe").count() == 1
    assert [e.event_type for e in events.from_widget()] == ["flx-cancel"]
    assert landing.where is Where.CHECKOUT
    assert landing.notice == "Financing cancelled - your basket is still here."
    assert before.count == 2 and before.total == Decimal("2737.00")
    assert storefront.cart() == before
    # What this profile leaves out is not observable, each naming the table that would add it.
    assert storefront.capabilities == {Capability.CART}
    with pytest.raises(NotObservable, match=r"add \[landing\] paid"):
        landing.shown("paid")
    with pytest.raises(NotApplicable, match=r"no \[apply\] table"):
        storefront.apply(None)  # type: ignore[arg-type]  # refused before the applicant is read


def test_a_step_that_matches_nothing_is_a_profile_error_naming_file_table_and_step(
    shop_page: tuple[Page, EventLog], profile_path: Path, customers: dict[str, Customer],
) -> None:
    page, _ = shop_page
    profile_path.write_text(PROFILE.replace('name = "Spread the cost"', 'name = "Pay monthly"'), encoding="utf-8")
    storefront = ProfileStorefront(page, load_profile(profile_path))
    page.set_default_timeout(1_000)
    storefront.fill_cart(storefront.products)
    storefront.check_out(customers["single_account"])

    with pytest.raises(ProfileError) as raised:
        storefront.choose_flexiti()

    assert isinstance(raised.value, HarnessError) and not isinstance(raised.value, AssertionError)
    message = str(raised.value)
    assert "harbour-bikes.toml [choose_flexiti] step 1 (click" in message and "Pay monthly" in message, message


def test_actions_out_of_order_are_a_harness_error(shop_page: tuple[Page, EventLog], profile_path: Path) -> None:
    page, _ = shop_page
    storefront = ProfileStorefront(page, load_profile(profile_path))

    with pytest.raises(HarnessError, match="landing\\(\\) before choose_flexiti\\(\\)"):
        storefront.landing()

"""Security: forged widget messages, the Trust URL, and what the browser may never see."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from fixtures.pages import Journey
from fixtures.sandbox import Target
from harness import checks
from harness.journal import Journal, widget_session_of
from harness.proof import NotObservable, Proof
from harness.settings import Settings
from harness.widget_events import EventLog
from pages.storefront import Storefront
from sandbox.servers import Sandbox

LOOPBACK = ("localhost", "127.0.0.1", "::1")


@pytest.mark.destructive
@pytest.mark.checklist("EVT-01")
def test_forged_success_from_another_origin_changes_nothing(
    page: Page, journey: Journey, storefront: Storefront, forger_origin: str, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """A frame from another origin posts a perfect-looking flx-success for the shopper's own widget session; the
    shopper then cancels in the real widget. A store that checks the origin authorizes nothing and shows no paid
    order; one that does not has already authorized on the forged message."""
    host = journey.to_widget("single_account")
    [init] = flexiti_journal.to("widget/init")
    query = urlencode({"session": widget_session_of(init.response["redirection_url"]),
                       "account": journey.customer.accounts[0].account_number})

    with widget_events.awaiting("flx-success"):
        page.evaluate("""(src) => { const f = document.createElement('iframe'); f.src = src; f.title = 'forger';
                                    document.body.appendChild(f); }""", f"{forger_origin}/forge?{query}")
    # A store that hands widget messages to Flexiti's SDK never sees a forged one if the SDK drops it: then nothing
    # here shows the store's own check.
    through_sdk = page.evaluate("() => typeof window.FlexitiSDK !== 'undefined'")
    with proof.of("EVT-01", stop=True):
        try:
            host.widget.cancel()
        except PlaywrightError as error:  # the widget is gone: the store moved on with no genuine outcome
            raise AssertionError(f"the store acted on the forged message: it left the widget for {page.url} "
                                 "before the widget reported anything") from error
        landing = storefront.landing()

    forged = [e for e in widget_events.widget_events() if e.origin == forger_origin]
    with proof.of("EVT-01"):
        assert len(forged) == 1, "the forged message was not delivered, so this test proved nothing"
        checks.no_authorization(flexiti_journal)
        assert landing.shown("paid") is not True, f"the store shows a paid order: {landing.describe()}"
        if through_sdk:
            raise NotObservable("the store takes widget messages through Flexiti's SDK, whose own origin filter may "
                                "have dropped the forged message before the store's code saw it; the store did not "
                                "act on it, but its own check of event.origin cannot be seen")


@pytest.mark.checklist("CFG-01")
def test_trust_url_has_no_trailing_slash_and_the_store_uses_https_outside_the_sandbox(
    settings: Settings, target: Target, proof: Proof,
) -> None:
    trust_url = target.trust_url

    with proof.of("CFG-01"):
        assert trust_url, "no Trust URL is configured (FLEXITI_TRUST_URL)"
        assert not trust_url.endswith("/"), f"the Trust URL {trust_url!r} ends with a slash; Flexiti requires none"
        parts = urlsplit(trust_url)
        assert f"{parts.scheme}://{parts.netloc}" == trust_url, (
            f"the Trust URL {trust_url!r} must be the site's base URL")
        # Loopback is where a developer runs a staging copy: browsers treat it as a secure context, https or not.
        if not settings.is_sandbox and urlsplit(target.store_url).hostname not in LOOPBACK:
            assert urlsplit(target.store_url).scheme == "https", f"the storefront {target.store_url} is not https"
            assert parts.scheme == "https", f"the Trust URL {trust_url} is not https"


@pytest.mark.checklist("CFG-01")
def test_widget_refuses_a_page_outside_the_trust_url(
    flexiti_sandbox: Sandbox, page: Page, journey: Journey, forger_origin: str, widget_events: EventLog,
    proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    src = host.widget.frame_element.get_attribute("src") or ""

    with proof.of("CFG-01"), widget_events.awaiting("flx-failure"):
        page.goto(f"{forger_origin}/embed?{urlencode({'src': src})}")

    with proof.of("CFG-01"):
        [failure] = widget_events.of_type("flx-failure")
        assert failure.event_data["error"] == 403, "the widget served a page outside the merchant's Trust URL"

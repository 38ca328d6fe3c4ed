"""Security: forged widget messages, the Trust URL, and what the browser may never see."""

from __future__ import annotations

import json
from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from fixtures.pages import PayWithFlexitiAs
from fixtures.sandbox import Target
from harness.journal import Journal, widget_session_of
from harness.network import RequestLog
from harness.proof import Proof
from harness.settings import Settings
from harness.widget_events import EventLog
from sandbox.servers import Sandbox


@pytest.mark.destructive
@pytest.mark.checklist("EVT-01")
def test_forged_success_from_another_origin_changes_nothing(
    page: Page, pay_with_flexiti_as: PayWithFlexitiAs, forger_origin: str, widget_events: EventLog,
    browser_requests: RequestLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account")
    [init] = flexiti_journal.to("widget/init")
    query = urlencode({"session": widget_session_of(init.response["redirection_url"]),
                       "account": started.shopper.accounts[0].account_number})

    # A frame from another origin posts a perfect-looking flx-success to the store's page.
    with widget_events.awaiting("flx-success"):
        page.evaluate("""(src) => { const f = document.createElement('iframe'); f.src = src; f.title = 'forger';
                                    document.body.appendChild(f); }""", f"{forger_origin}/forge?{query}")
    with proof.of("EVT-01", stop=True):
        expect(started.payment.status).to_be_hidden()
        with widget_events.awaiting("flx-success"):
            started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
        started.payment.order_outcome()

    forged = [e for e in widget_events.widget_events() if e.origin == forger_origin]
    [genuine] = widget_events.of_type("flx-success")
    with proof.of("EVT-01"):
        assert len(forged) == 1, "the forged message was not delivered, so this test proved nothing"
        reports = browser_requests.to("/flexiti-events")
        assert len(reports) == 1, f"the store's page reported {len(reports)} events for one genuine one"
        reported = json.loads(reports[0].post_data or "{}").get("eventData", {})
        assert reported.get("customerId") == genuine.event_data["customerId"], "the store acted on the forged event"


@pytest.mark.checklist("CFG-01")
def test_trust_url_has_no_trailing_slash_and_the_store_uses_https_outside_the_sandbox(
    settings: Settings, target: Target, proof: Proof,
) -> None:
    trust_url = target.trust_url

    with proof.of("CFG-01"):
        assert trust_url, "no Trust URL is configured (FLEXITI_TRUST_URL)"
        assert not trust_url.endswith("/"), f"the Trust URL {trust_url!r} ends with a slash; Flexiti requires none"
        parts = urlsplit(trust_url)
        assert f"{parts.scheme}://{parts.netloc}" == trust_url, f"the Trust URL {trust_url!r} must be the site's base URL"
        if not settings.is_sandbox:
            assert urlsplit(target.store_url).scheme == "https", f"the storefront {target.store_url} is not https"
            assert parts.scheme == "https", f"the Trust URL {trust_url} is not https"


@pytest.mark.checklist("CFG-01")
def test_widget_refuses_a_page_outside_the_trust_url(
    flexiti_sandbox: Sandbox, page: Page, pay_with_flexiti_as: PayWithFlexitiAs, forger_origin: str,
    widget_events: EventLog, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("single_account")
    src = started.payment.widget_frame.get_attribute("src") or ""

    with proof.of("CFG-01"), widget_events.awaiting("flx-failure"):
        page.goto(f"{forger_origin}/embed?{urlencode({'src': src})}")

    with proof.of("CFG-01"):
        [failure] = widget_events.of_type("flx-failure")
        assert failure.event_data["error"] == 403, "the widget served a page outside the merchant's Trust URL"

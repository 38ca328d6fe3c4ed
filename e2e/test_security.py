"""Security: forged widget messages, the Trust URL, and what the browser may never see."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import pytest
from playwright.sync_api import Page, expect

from fixtures.pages import PayWithFlexitiAs
from fixtures.sandbox import Target
from harness import checks
from harness.journal import Journal, widget_session_of
from harness.network import RequestLog
from harness.settings import Settings
from harness.widget_events import EventLog
from sandbox.servers import Sandbox


@pytest.mark.destructive
@pytest.mark.checklist("EVT-01")
def test_forged_success_from_another_origin_changes_nothing(
    page: Page, pay_with_flexiti_as: PayWithFlexitiAs, forger_origin: str, widget_events: EventLog,
    browser_requests: RequestLog, flexiti_journal: Journal,
) -> None:
    started = pay_with_flexiti_as("single_account")
    started.payment.widget.mfa_choice()
    [init] = flexiti_journal.to("widget/init")
    query = urlencode({"session": widget_session_of(init.response["redirection_url"]),
                       "account": started.shopper.accounts[0].account_number})

    # A frame from another origin posts a perfect-looking flx-success to the store's page.
    page.evaluate("""(src) => { const f = document.createElement('iframe'); f.src = src; f.title = 'forger';
                                document.body.appendChild(f); }""", f"{forger_origin}/forge?{query}")
    expect(page.frame_locator("iframe[title=forger]").get_by_text("forged message sent")).to_be_visible()
    expect(started.payment.status).to_be_hidden()
    started.payment.widget.verify_by("sms", started.shopper.mfa_answer("sms"))
    order = started.payment.order_outcome()

    forged = [e for e in widget_events.widget_events() if e.origin == forger_origin]
    assert len(forged) == 1, "the forged message was not delivered, so this test proved nothing"
    expect(order.status).to_have_text("Paid with Flexiti")
    assert len(browser_requests.to("/flexiti-events")) == 1, "the store's page reported more than the real event"
    [authorization] = flexiti_journal.to("/authorization")
    assert authorization.status == 200


@pytest.mark.checklist("CFG-01")
def test_trust_url_has_no_trailing_slash_and_the_store_uses_https_outside_the_sandbox(
    settings: Settings, target: Target,
) -> None:
    trust_url = target.trust_url

    assert trust_url, "no Trust URL is configured (FLEXITI_TRUST_URL)"
    assert not trust_url.endswith("/"), f"the Trust URL {trust_url!r} ends with a slash; Flexiti requires none"
    parts = urlsplit(trust_url)
    assert f"{parts.scheme}://{parts.netloc}" == trust_url, f"the Trust URL {trust_url!r} must be the site's base URL"
    if not settings.is_sandbox:
        assert urlsplit(target.store_url).scheme == "https", f"the storefront {target.store_url} is not served over https"
        assert parts.scheme == "https", f"the Trust URL {trust_url} is not https"


@pytest.mark.checklist("CFG-01", "EVT-05")
def test_widget_refuses_a_page_outside_the_trust_url(
    flexiti_sandbox: Sandbox, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog,
    flexiti_journal: Journal,
) -> None:
    flexiti_sandbox.set_trust_url(flexiti_sandbox.urls.store + "/")  # registered with a trailing slash

    started = pay_with_flexiti_as("single_account")
    checkout = started.payment.back_at_checkout()

    expect(checkout.notice).to_contain_text("could not complete the payment")
    [failure] = widget_events.of_type("flx-failure")
    assert failure.event_data["error"] == 403
    checks.no_authorization(flexiti_journal)

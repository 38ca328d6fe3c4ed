"""Journal attribution: behind one recording proxy, each test's journal holds its own calls and no other test's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext

from harness.customers import load_customers
from harness.journal import AttributedJournal, Call, Journal, Seen, attribute, widget_session_of
from harness.masking import Masker
from harness.network import RequestLog
from harness.proxy import RecordingProxy
from harness.widget_events import EventLog
from pages.merchant.store import CataloguePage, PaymentPage
from pages.widget import locators
from sandbox.flexiti.state import CUSTOMERS_FILE
from sandbox.servers import Sandbox


def _call(seq: int, path: str, *, token: str | None = None, reference: str | None = None, body: Any = None,
          response: Any = None, status: int = 200) -> Call:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    if reference:
        headers["x-reference-id"] = reference
    return Call(seq, "", "POST", f"/flexiti/pos-api/v1/{path}", headers, body, status, response)


def _init(seq: int, token: str, session: str) -> Call:
    return _call(seq, "client/c/widget/init", token=token, reference=f"r{seq}", body={"flow": "purchase"},
                 response={"redirection_url": f"http://w/#/widget/c/{token}?widget_session_id={session}"})


def _grant(seq: int, access: str, refresh_with: str | None = None) -> Call:
    body = {"grant_type": "refresh_token", "refresh_token": refresh_with} if refresh_with else {
        "grant_type": "client_credentials"}
    return _call(seq, "oauth/token", body=body, response={"access_token": access, "refresh_token": f"R-{access}"})


def _authorize(seq: int, token: str, session: str) -> Call:
    return _call(seq, "client/c/authorization", token=token, reference=f"r{seq}", body={"widget_session_id": session})


def test_a_shared_server_token_attributes_each_session_its_own_calls_and_the_grant() -> None:
    # Two shoppers, interleaved, on the store's one cached token.
    calls = [_grant(1, "masked:t1"), _init(2, "masked:t1", "A"), _init(3, "masked:t1", "B"),
             _authorize(4, "masked:t1", "B"), _authorize(5, "masked:t1", "A")]

    mine = attribute(calls, Seen(frozenset({"A"}), frozenset({"masked:t1"})))

    assert [call.seq for call in mine] == [1, 2, 5]


def test_a_token_per_flow_attributes_its_refresh_lineage_and_its_tokenless_calls_by_reference() -> None:
    calls = [_grant(1, "masked:a1"), _grant(2, "masked:b1"), _init(3, "masked:a1", "A"), _init(4, "masked:b1", "B"),
             _grant(5, "masked:a2", refresh_with="R-masked:a1"), _grant(6, "masked:b2", refresh_with="R-masked:b1"),
             _call(7, "client/c/status", token="masked:a2"),  # no session named: attributed by its own token
             _call(8, "client/c/status", reference="r3"),  # no token: attributed by the flow's x-reference-id
             _authorize(9, "masked:b2", "B"), _authorize(10, "masked:a2", "A")]

    mine = attribute(calls, Seen(frozenset({"A"}), frozenset({"masked:a1"})))
    theirs = attribute(calls, Seen(frozenset({"B"}), frozenset({"masked:b1"})))

    assert [call.seq for call in mine] == [1, 3, 5, 7, 8, 10]
    assert [call.seq for call in theirs] == [2, 4, 6, 9]


def test_sessions_and_widget_tokens_are_read_from_masked_urls_and_bodies() -> None:
    frame = "http://127.0.0.1:1/#/widget/merchant/masked:0123456789?widget_session_id=s-1&lang=en"
    body = '{"redirection_url": "http://127.0.0.1:1/#/widget/merchant/masked:abcdef0123?widget_session_id=s-2"}'

    seen = Seen.in_texts([frame, body, "http://localhost:2/cart"], sessions=["s-3"])

    assert seen == Seen(frozenset({"s-1", "s-2", "s-3"}), frozenset({"masked:0123456789", "masked:abcdef0123"}))


@pytest.fixture
def staging() -> Iterator[tuple[Sandbox, RecordingProxy]]:
    """A staging store whose backend calls "Flexiti" through one recording proxy, as two workers would share it."""
    with Sandbox() as sandbox, RecordingProxy(sandbox.urls.flexiti, secrets=[sandbox.client_secret]) as proxy:
        sandbox.route_store_through(proxy.api_base)
        previous = locators.WIDGET_ORIGIN
        locators.use_widget_origin(sandbox.urls.flexiti)  # the page objects find the widget by its origin
        yield sandbox, proxy
        locators.use_widget_origin(previous)


def _observed(browser: Browser, sandbox: Sandbox) -> tuple[BrowserContext, RequestLog, EventLog]:
    context = browser.new_context(base_url=sandbox.urls.store)
    requests = RequestLog(masker=Masker(hidden=[sandbox.client_secret])).install(context)
    events = EventLog(widget_origin=sandbox.urls.flexiti).install(context)
    return context, requests, events


def _at_widget(context: BrowserContext, role: str) -> PaymentPage:
    shopper = load_customers(CUSTOMERS_FILE)[role]
    checkout = CataloguePage(context.new_page()).open().add_to_cart("Desk lamp").checkout(shopper)
    payment = checkout.pay_with_flexiti()
    payment.widget.wait_until_open()
    return payment


def test_two_purchases_at_once_through_one_proxy_each_see_only_their_own_calls(
    staging: tuple[Sandbox, RecordingProxy], browser: Browser,
) -> None:
    sandbox, proxy = staging
    shopper = load_customers(CUSTOMERS_FILE)["single_account"]
    first, second = _observed(browser, sandbox), _observed(browser, sandbox)
    try:
        # Interleaved step by step, so each purchase's calls fall between the other's in the proxy's journal.
        payments = [_at_widget(first[0], "single_account"), _at_widget(second[0], "single_account")]
        for payment in payments:
            payment.widget.verify_by("sms", shopper.mfa_answer("sms"))
        for payment in payments:
            payment.order_outcome()
        journals = [AttributedJournal(proxy.journal_url, lambda log=log: log.seen(), proxy.control_token)
                    for _, log, _ in (first, second)]
        everything = Journal(proxy.journal_url, proxy.control_token)
        sessions = [{widget_session_of(c.response["redirection_url"]) for c in journal.to("widget/init")}
                    for journal in journals]
        authorized = [{c.body["widget_session_id"] for c in journal.to("/authorization")} for journal in journals]
        grants = [[c.seq for c in journal.to("oauth/token")] for journal in journals]
    finally:
        first[0].close()
        second[0].close()

    # The whole journal interleaves both purchases: read "since the test started", each would see both.
    assert len(everything.to("/authorization")) == 2 and len(everything.to("widget/init")) == 2, everything.describe()
    assert all(len(found) == 1 for found in sessions) and sessions[0] != sessions[1], sessions
    assert authorized == sessions, (authorized, sessions)
    # Each purchase's token lineage is its own (the store asks per flow), and no grant is left unattributed.
    assert all(grants) and not set(grants[0]) & set(grants[1]), grants
    assert sorted(grants[0] + grants[1]) == [c.seq for c in everything.to("oauth/token")], grants

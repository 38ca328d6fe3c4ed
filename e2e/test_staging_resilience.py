"""Resilience on any storefront with `flexiti_faults`: an expired token, a widget that reports a failure and a declined
authorization, made by the simulator in the sandbox or by the recording proxy on a staging site (where the sandbox's
clock and test data are not there). Without either, the items are reported "not observable" with the setting to add."""

from __future__ import annotations

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.errors import raise_if_browser_fault
from harness.faults import Faults
from harness.journal import Journal, widget_session_of
from harness.proof import ChecklistFailure, Proof, state_of
from harness.widget_events import EventLog
from pages.storefront import Storefront
from pages.widget import locators

pytestmark = pytest.mark.destructive

# The calls that use a token, where Flexiti meets one it has expired; a client_credentials grant uses none. Each
# refuses a few times over: Flexiti keeps refusing an expired token however often a store tries it.
TOKEN_USES = ("oauth/token", "widget/init", "/authorization")
REFUSALS = 3


def _last_seq(journal: Journal) -> int:
    return max((call.seq for call in journal.calls()), default=0)


@pytest.mark.checklist("RES-03", "AUTH-04")
def test_storefront_token_expired_before_the_next_widget_is_replaced_by_a_new_one(
    flexiti_faults: Faults, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """The shopper opened the widget, left it, and comes back to pay after Flexiti expired the store's token. Whatever
    documented token strategy the store follows, the next widget must open on a token Flexiti accepts and the purchase
    go through on it: a store that refreshes has the refresh refused (401) and one that reuses its token has
    widget/init refused (401 invalid_token), and either must take a new client_credentials grant and go on; a store
    that takes a new token per checkout never meets the expiry."""
    journey.to_widget("single_account")  # and leaves it: no cancel, whose handling is EVT-04's business
    for endpoint in TOKEN_USES:
        flexiti_faults.inject(endpoint, expire_token=True, times=REFUSALS)
    since = _last_seq(flexiti_journal)

    with proof.of("RES-03", stop=True):  # a wait that runs out says what the store did (proof.describe_state)
        storefront.check_out(journey.customer)
        host = storefront.choose_flexiti()
        host.widget.wait_until_open()
    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    success = widget_events.of_type("flx-success")[-1]
    with proof.of("RES-03", stop=True):
        landing = storefront.landing()

    calls = [call for call in flexiti_journal.pos_api_calls() if call.seq > since]
    refused = [call for call in calls if call.status == 401]
    after = refused[-1].seq if refused else since
    granted_after = {str(call.response.get("access_token")) for call in calls
                     if call.seq > after and call.path.rstrip("/").endswith("oauth/token") and call.status == 200
                     and isinstance(call.response, dict)}
    session = success.event_data["widget_session_id"]
    with proof.of("RES-03"):
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        init = checks.widget_init_call(flexiti_journal, session)
        approved = checks.authorization_for(flexiti_journal, session)
        assert approved.status == 200, f"/authorization on the new token: {approved.describe()}"
        # A store that took a new token for this checkout never used the expired one, so Flexiti refused nothing:
        # its documented strategy makes the failure impossible here, and what RES-03 asks (the purchase goes through
        # on a token Flexiti accepts) is seen all the same. Passing it is the honest verdict; "not observable" would
        # hold a correct store back for a choice Flexiti leaves it.
        assert granted_after, (
            f"after Flexiti refused the expired token ({', '.join(c.describe() for c in refused)}) the store took no "
            f"new client_credentials grant: {flexiti_journal.describe()}")
        assert init.token in granted_after, (
            f"the widget that went through ({init.describe()}) was opened on a token granted before Flexiti's "
            f"refusal, not on the new one: {flexiti_journal.describe()}")
    with proof.of("AUTH-04"):
        checks.same_token(flexiti_journal, init, approved)


@pytest.mark.checklist("EVT-05", "INIT-01")
def test_storefront_widget_failure_is_shown_with_the_cart_intact(
    flexiti_faults: Faults, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof, page: Page,
) -> None:
    """Flexiti's widget reports a failure (flx-failure): it was opened on a token Flexiti refuses, so its own calls
    are answered 401. The store must show an error, take the shopper back to checkout or the cart with the cart
    intact, and authorize nothing."""
    flexiti_faults.refuse_widget_token()  # "not observable", naming the setting, where nothing can set it
    cart = journey.to_checkout("single_account", journey.products(2))
    since = _last_seq(flexiti_journal)

    try:
        with widget_events.awaiting("flx-failure"):
            storefront.choose_flexiti()
    except (PlaywrightError, AssertionError) as error:
        raise_if_browser_fault(error)
        if locators.frame_element(page).count() == 0:  # no widget, so nothing could fail in it: INIT-01's business
            proof.fail("INIT-01", f"the store did not put the widget in the page: {state_of(proof.describe_state)}")
            raise ChecklistFailure(proof.summary()) from error
        # How Flexiti's own widget reacts to a refused token is not documented: where it posts nothing, EVT-05
        # cannot be shown here, and the item stays "not run" with the reason rather than judged on a guess.
        pytest.skip(f"Flexiti's widget, opened on a token Flexiti refuses, posted no flx-failure to the page "
                    f"({state_of(proof.describe_state)}): EVT-05 needs a widget that reports its "
                    "failure")
    with proof.of("INIT-01"):  # the widget was opened: by a server-side widget/init for a purchase
        opened = [c for c in flexiti_journal.to("widget/init") if c.seq > since and c.status == 200]
        assert opened, f"no successful widget/init opened this widget: {flexiti_journal.describe()}"
        checks.widget_init_for(flexiti_journal, widget_session_of(opened[-1].response["redirection_url"]) or "")
    with proof.of("EVT-05", stop=True):
        landing = storefront.landing()

    with proof.of("EVT-05"):
        verdicts.back_with_notice(landing)
        assert widget_events.of_type("flx-failure"), "the widget's flx-failure is missing from the event log"
        checks.no_authorization(flexiti_journal)
    with proof.of("EVT-05"):
        verdicts.cart_kept(cart, storefront.cart())


@pytest.mark.checklist("TXN-02")
@pytest.mark.parametrize("decline", ["credit_exceeded", "user_not_able_to_purchase"])
def test_storefront_declined_authorization_is_never_shown_as_paid(
    decline: str, flexiti_faults: Faults, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """Flexiti declines the authorization (409, as it documents); whichever test customers an environment has, the
    store must show the decline and never the order as paid."""
    flexiti_faults.inject("/authorization", status=409, error=decline)
    host = journey.to_widget("single_account")

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    with proof.of("TXN-02", stop=True):
        landing = storefront.landing()

    with proof.of("TXN-02"):
        verdicts.not_paid_and_told(landing)
        declined = flexiti_journal.to("/authorization")
        assert [c.status for c in declined] == [409], f"authorizations: {flexiti_journal.describe()}"
        checks.nothing_charged(flexiti_journal)

"""Resilience on any storefront with `flexiti_faults`: an expired token and a declined authorization, made by the
simulator in the sandbox or by the recording proxy on a staging site (where the sandbox's clock and test data are not
there). Without either, the items are reported "not observable" with the setting to add."""

from __future__ import annotations

import pytest

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.faults import Faults
from harness.journal import Journal
from harness.proof import NotObservable, Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("RES-03", "AUTH-04")
def test_storefront_token_expired_before_the_next_widget_is_replaced_by_a_new_one(
    flexiti_faults: Faults, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """The shopper opened the widget, left it, and comes back to pay after the token expired: Flexiti answers the
    store's next token request with 401 invalid_token, and the store must get a token that works and take the
    shopper through on it."""
    journey.to_widget("single_account")  # and leaves it: no cancel, whose handling is EVT-04's business
    asked_before = len(flexiti_journal.to("oauth/token"))
    flexiti_faults.inject("oauth/token", expire_token=True)

    with proof.of("RES-03", stop=True):  # reopening the widget on a dead token is this item's failure
        storefront.check_out(journey.customer)
        host = storefront.choose_flexiti()
        host.widget.wait_until_open()
        with widget_events.awaiting("flx-success"):
            host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
        success = widget_events.of_type("flx-success")[-1]
        landing = storefront.landing()

    asked_again = flexiti_journal.to("oauth/token")[asked_before:]
    with proof.of("AUTH-04"):
        assert asked_again, "the store opened the next widget on its old token: refresh it before opening the widget"
    with proof.of("RES-03"):
        if not asked_again:
            raise NotObservable("the store asked for no token before the next widget, so Flexiti's 401 for an "
                                "expired token never reached it (AUTH-04 says why)")
        assert asked_again[0].status == 401, f"the expired-token answer was not the first: {flexiti_journal.describe()}"
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        assert any(call.status == 200 for call in asked_again[1:]), (
            f"after the 401 the store got no new token: {[(c.describe()) for c in asked_again]}")
        session = success.event_data["widget_session_id"]
        approved = checks.authorization_for(flexiti_journal, session)
        assert approved.status == 200, f"/authorization on the new token: {approved.describe()}"
        checks.same_token(flexiti_journal, checks.widget_init_call(flexiti_journal, session), approved)


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

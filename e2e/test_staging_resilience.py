"""Resilience on any storefront with `flexiti_faults`: an expired token and a declined authorization, made by the
simulator in the sandbox or by the recording proxy on a staging site (where the sandbox's clock and test data are not
there). Without either, the items are reported "not observable" with the setting to add."""

from __future__ import annotations

import pytest

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.faults import Faults
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("RES-03")
def test_storefront_token_expired_before_the_next_widget_is_replaced_by_a_new_one(
    flexiti_faults: Faults, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """The shopper opened the widget, left it, and comes back to pay after the token expired: Flexiti answers the
    store's refresh with 401 invalid_token, and the store must start again on a new client_credentials token."""
    host = journey.to_widget("single_account")
    with widget_events.awaiting("flx-cancel"):
        host.widget.cancel()
    storefront.landing()  # wait until the store has taken the shopper back (what it shows is EVT-04's business)
    flexiti_faults.inject("oauth/token", expire_token=True)

    with proof.of("RES-03", stop=True):  # reopening the widget on a dead token is this item's failure
        storefront.check_out(journey.customer)
        host = storefront.choose_flexiti()
        host.widget.wait_until_open()
        with widget_events.awaiting("flx-success"):
            host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
        success = widget_events.of_type("flx-success")[-1]
        landing = storefront.landing()

    with proof.of("RES-03"):
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        grants = [(str((c.body or {}).get("grant_type", "client_credentials")), c.status)
                  for c in flexiti_journal.to("oauth/token")]
        assert ("refresh_token", 401) in grants and grants[-1] == ("client_credentials", 200), (
            f"token requests: {grants} (after the expired refresh, a new client_credentials token was expected)")
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

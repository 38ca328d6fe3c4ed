"""Token lifecycle: client_credentials first, a token not near expiry at each widget opening, one token per flow."""

from __future__ import annotations

import pytest

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.journal import Journal
from harness.landing import Where
from harness.proof import NotObservable, Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive
LIFETIME = 120  # a short token life, so moving the sandbox's clock past it stays readable


@pytest.mark.checklist("AUTH-02", "AUTH-04", "EVT-02", "EVT-04")
def test_second_widget_opening_takes_a_token_not_near_expiry(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
    sandbox: Sandbox | None,
) -> None:
    """The shopper cancels and comes back once the first token is within Flexiti's expiry threshold: the store opens
    the second widget on a token that is not about to expire (a refresh or a new client_credentials grant: both are
    documented), and that one token carries the purchase."""
    if sandbox is not None:
        sandbox.set_token_lifetime(LIFETIME)
    host = journey.to_widget("single_account")
    with widget_events.awaiting("flx-cancel"):
        host.widget.cancel()
    with proof.of("EVT-04", stop=True):
        landing = storefront.landing()
        assert landing.where in (Where.CHECKOUT, Where.CART), f"after cancel: {landing.describe()}"
        verdicts.cart_kept(journey.cart, storefront.cart())  # else there is nothing to pay for the second time
    aged_at = None
    if sandbox is not None:  # only the sandbox has a clock to move: the first token now has half the threshold left
        aged_at = max(call.seq for call in flexiti_journal.calls())
        sandbox.advance_clock(LIFETIME - checks.EXPIRY_THRESHOLD // 2)
    host = journey.again()

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    with proof.of("AUTH-02"):
        checks.token_requests_documented(flexiti_journal)
    with proof.of("AUTH-04"):
        second = checks.widget_init_call(flexiti_journal, success.event_data["widget_session_id"])
        if aged_at is None:
            raise NotObservable("whether the second widget opens on a fresh token is seen only where the harness "
                                "can age the first token (the embedded sandbox's clock)")
        checks.token_taken_after(flexiti_journal, second, aged_at)
    verdicts.purchase_paid(proof, flexiti_journal, success, journey.cart, landing)


@pytest.mark.checklist("RES-03", "AUTH-04")
def test_token_near_expiry_during_the_widget_still_carries_the_authorization(
    flexiti_sandbox: Sandbox, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """The token ages inside the refresh threshold while the widget is open: the store keeps it (a refresh now would
    be another token, which Flexiti refuses on /authorization) and the purchase goes through on it."""
    lifetime = LIFETIME
    flexiti_sandbox.set_token_lifetime(lifetime)
    host = journey.to_widget("single_account")

    # The shopper lingers in the widget until the token is inside the refresh threshold (but not expired).
    flexiti_sandbox.advance_clock(lifetime - checks.EXPIRY_THRESHOLD + 10)
    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    [success] = widget_events.of_type("flx-success")
    with proof.of("RES-03", stop=True):
        landing = storefront.landing()

    with proof.of("RES-03"):
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        approved = checks.authorization_for(flexiti_journal, success.event_data["widget_session_id"])
        assert approved.status == 200, f"/authorization after the token aged: {approved.describe()} {approved.response}"
    with proof.of("AUTH-04"):
        session = success.event_data["widget_session_id"]
        checks.same_token(flexiti_journal, checks.widget_init_call(flexiti_journal, session),
                          checks.authorization_for(flexiti_journal, session))


@pytest.mark.checklist("RES-03", "AUTH-02", "AUTH-04", "EVT-02")
def test_token_expired_during_the_widget_is_recovered_from_with_a_new_token(
    flexiti_sandbox: Sandbox, journey: Journey, storefront: Storefront, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    """The shopper leaves the widget open past the token's whole lifetime: the widget's session ends with its token
    (flx-failure 401) and the token can no longer be refreshed. The store keeps the cart, and the next attempt
    starts on a new client_credentials token instead of failing on the dead one."""
    lifetime = LIFETIME
    flexiti_sandbox.set_token_lifetime(lifetime)
    host = journey.to_widget("single_account")
    code_entry = host.widget.mfa_choice().choose("sms")

    flexiti_sandbox.advance_clock(lifetime + 10)
    with widget_events.awaiting("flx-failure"):
        code_entry.submit(journey.customer.mfa_answer("sms"))
    with proof.of("RES-03", stop=True):  # opening the next widget is this item's business, not INIT-01's
        landing = storefront.landing()
        assert landing.where in (Where.CHECKOUT, Where.CART), f"after the widget failed: {landing.describe()}"
        checks.no_authorization(flexiti_journal)
    with proof.of("RES-03"):
        verdicts.cart_kept(journey.cart, storefront.cart())
    with proof.of("RES-03", stop=True):
        storefront.check_out(journey.customer)
        host = storefront.choose_flexiti()
        host.widget.wait_until_open()

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    success = widget_events.of_type("flx-success")[-1]
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    with proof.of("RES-03"):
        assert landing.shown("paid") is True, f"the store does not show the order paid: {landing.describe()}"
        session = success.event_data["widget_session_id"]
        init = checks.widget_init_call(flexiti_journal, session)
        authorization = checks.authorization_for(flexiti_journal, session)
        assert authorization.status == 200, f"/authorization after the new token: {authorization.describe()}"
        checks.same_token(flexiti_journal, init, authorization)
        first_init = flexiti_journal.to("widget/init")[0]
        assert flexiti_journal.token_lineages().get(init.token or "") != flexiti_journal.token_lineages().get(
            first_init.token or ""), "the second widget opened on the expired token's lineage"
    with proof.of("AUTH-02"):  # the dead token cannot be refreshed: a new client_credentials grant is right here
        checks.token_requests_documented(flexiti_journal)
    verdicts.purchase_paid(proof, flexiti_journal, success, journey.cart, landing)

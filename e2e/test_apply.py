"""Credit applications: the decision is shown, /apply repeats widget/init, and a retry reopens the widget.

Applications are optional: a storefront without an application form (a profile without [apply]) reports these
items not observable, naming what would add it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from fixtures.pages import Journey
from fixtures.sandbox import Target
from harness import checks, verdicts
from harness.customers import Applicants, Customer
from harness.journal import Journal, widget_session_of
from harness.landing import Where
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("EVT-07", "INIT-02", "AUTH-03", "AUTH-04")
@pytest.mark.parametrize("outcome", ["approved", "pending", "declined"])
def test_application_decision_is_shown(
    outcome: str, journey: Journey, storefront: Storefront, applicants: Applicants, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.apply(applicants.deciding(outcome))

    with widget_events.awaiting("flx-success"):
        host.widget.enter_pin(applicants.pin)
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-07", stop=True):
        landing = storefront.landing()

    session = success.event_data["widget_session_id"]
    with proof.of("INIT-02"):
        checks.application_initialized(flexiti_journal, session)
    init = checks.widget_init_call(flexiti_journal, session)
    apply = None
    with proof.of("EVT-07"):
        assert landing.where is Where.DECISION, f"the store did not show a decision: {landing.describe()}"
        assert landing.shown("notice"), f"the store shows no decision at {landing.url}"
        assert (success.event_data["action"], success.event_data["accountNumber"]) == ("apply", None)
        apply = checks.applied_as_initialized(flexiti_journal, init, success)
    if apply is not None:  # which token /apply used can only be judged when there was an /apply
        with proof.of("AUTH-04"):
            checks.same_token(flexiti_journal, init, apply)
    with proof.of("AUTH-03"):
        checks.bearer_and_reference_on_every_call(flexiti_journal)


@pytest.mark.checklist("EVT-08", "EVT-07")
def test_retry_runs_widget_init_again_and_reopens_the_widget(
    journey: Journey, storefront: Storefront, applicants: Applicants, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.apply(applicants.deciding("retry"))
    first_src = host.widget.frame_element.get_attribute("src")

    with widget_events.awaiting("flx-success"):
        host.widget.enter_pin(applicants.pin)
    with proof.of("EVT-08", stop=True), widget_events.awaiting("flx-success"):
        host.widget.enter_pin(applicants.pin)  # the reopened widget asks again
    with proof.of("EVT-07", stop=True):
        landing = storefront.landing()

    retry, applied = widget_events.of_type("flx-success")
    with proof.of("EVT-08"):
        assert (retry.event_data["action"], applied.event_data["action"]) == ("retry", "apply")
        inits = flexiti_journal.to("widget/init")
        assert [widget_session_of(c.response["redirection_url"]) for c in inits] == [
            retry.event_data["widget_session_id"], applied.event_data["widget_session_id"]], flexiti_journal.describe()
        assert first_src != inits[1].response["redirection_url"]
    with proof.of("EVT-07"):
        assert landing.where is Where.DECISION and landing.shown("notice"), landing.describe()
        init = checks.widget_init_call(flexiti_journal, applied.event_data["widget_session_id"])
        checks.applied_as_initialized(flexiti_journal, init, applied)


def _needs_the_sandbox(sandbox: Sandbox | None) -> None:
    if sandbox is None:
        pytest.skip("needs the embedded sandbox: how Flexiti recognises an applicant as an existing customer is not "
                    "documented, so no test data can be named for it")


@pytest.mark.checklist("EVT-06")
def test_applicant_with_an_account_to_activate_is_sent_to_the_customer_portal(
    page: Page, journey: Journey, storefront: Storefront, applicants: Applicants, customers: dict[str, Customer],
    widget_events: EventLog, flexiti_journal: Journal, target: Target, proof: Proof, sandbox: Sandbox | None,
) -> None:
    """The store opens the customer portal in a new tab, or lets the applicant do it and says where: the events page
    documents both."""
    _needs_the_sandbox(sandbox)
    host = journey.apply(applicants.already_customer(customers["needs_activation"]))

    with proof.of("EVT-06", stop=True):
        with widget_events.awaiting("flx-success"):
            host.widget.enter_pin(applicants.pin)
        landing = storefront.landing()

    with proof.of("EVT-06"):
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["accountNumber"]) == ("activation", None)
        assert not flexiti_journal.to("/apply"), "the store applied for a customer who only needs to activate"
        verdicts.customer_sent_to_the_portal(page, landing, target.customer_portal)


@pytest.mark.checklist("EVT-09")
def test_applicant_flexiti_will_not_take_is_told_they_cannot_apply(
    journey: Journey, storefront: Storefront, applicants: Applicants, customers: dict[str, Customer],
    widget_events: EventLog, flexiti_journal: Journal, proof: Proof, sandbox: Sandbox | None,
) -> None:
    _needs_the_sandbox(sandbox)
    host = journey.apply(applicants.already_customer(customers["derogatory"]))

    with proof.of("EVT-09", stop=True):
        with widget_events.awaiting("flx-success"):
            host.widget.enter_pin(applicants.pin)
        landing = storefront.landing()

    with proof.of("EVT-09"):
        verdicts.back_with_notice(landing, Where.APPLY_FORM)
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["verified"]) == (None, False)
        assert not flexiti_journal.to("/apply"), "the store applied after Flexiti said the customer cannot apply"

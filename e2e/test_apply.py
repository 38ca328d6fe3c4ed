"""Credit applications: the decision is shown, /apply repeats widget/init, and a retry reopens the widget."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from fixtures.pages import ApplyAs
from fixtures.sandbox import Target
from harness import checks
from harness.customers import Applicants, Customer
from harness.journal import Journal, widget_session_of
from harness.proof import Proof
from harness.widget_events import EventLog
from sandbox.servers import Sandbox

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("EVT-07", "INIT-02", "AUTH-03", "AUTH-04")
@pytest.mark.parametrize(("outcome", "shown"), [
    ("approved", "Approved"), ("pending", "Pending review"), ("declined", "Declined"),
])
def test_application_decision_is_shown(
    outcome: str, shown: str, apply_as: ApplyAs, applicants: Applicants, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    widget_page = apply_as(applicants.deciding(outcome))

    with widget_events.awaiting("flx-success"):
        widget_page.widget.enter_pin(applicants.pin)
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-07", stop=True):
        application = widget_page.decision()

    session = success.event_data["widget_session_id"]
    with proof.of("INIT-02"):
        checks.application_initialized(flexiti_journal, session)
    init = checks.widget_init_call(flexiti_journal, session)
    apply = None
    with proof.of("EVT-07"):
        expect(application.decision).to_have_text(shown)
        assert (success.event_data["action"], success.event_data["accountNumber"]) == ("apply", None)
        apply = checks.applied_as_initialized(flexiti_journal, init, success)
        assert apply.response["decision"] == outcome
    if apply is not None:  # which token /apply used can only be judged when there was an /apply
        with proof.of("AUTH-04"):
            checks.same_token_lineage(flexiti_journal, init, apply)
    with proof.of("AUTH-03"):
        checks.bearer_and_reference_on_every_call(flexiti_journal)


@pytest.mark.checklist("EVT-08", "EVT-07")
def test_retry_runs_widget_init_again_and_reopens_the_widget(
    apply_as: ApplyAs, applicants: Applicants, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    widget_page = apply_as(applicants.deciding("retry"))
    first_src = widget_page.widget_frame.get_attribute("src")

    with widget_events.awaiting("flx-success"):
        widget_page.widget.enter_pin(applicants.pin)
    with proof.of("EVT-08", stop=True), widget_events.awaiting("flx-success"):
        widget_page.widget.enter_pin(applicants.pin)  # the reopened widget asks again
    with proof.of("EVT-07", stop=True):
        application = widget_page.decision()

    retry, applied = widget_events.of_type("flx-success")
    with proof.of("EVT-08"):
        assert (retry.event_data["action"], applied.event_data["action"]) == ("retry", "apply")
        inits = flexiti_journal.to("widget/init")
        assert [widget_session_of(c.response["redirection_url"]) for c in inits] == [
            retry.event_data["widget_session_id"], applied.event_data["widget_session_id"]], flexiti_journal.describe()
        assert first_src != inits[1].response["redirection_url"]
    with proof.of("EVT-07"):
        expect(application.decision).not_to_have_text("Not decided")
        init = checks.widget_init_call(flexiti_journal, applied.event_data["widget_session_id"])
        checks.applied_as_initialized(flexiti_journal, init, applied)


def _needs_the_sandbox(sandbox: Sandbox | None) -> None:
    if sandbox is None:
        pytest.skip("needs the embedded sandbox: how Flexiti recognises an applicant as an existing customer is not "
                    "documented, so no test data can be named for it")


@pytest.mark.checklist("EVT-06")
def test_applicant_with_an_account_to_activate_is_sent_to_the_customer_portal(
    page: Page, apply_as: ApplyAs, applicants: Applicants, customers: dict[str, Customer], widget_events: EventLog,
    flexiti_journal: Journal, target: Target, proof: Proof, sandbox: Sandbox | None,
) -> None:
    _needs_the_sandbox(sandbox)
    widget_page = apply_as(applicants.already_customer(customers["needs_activation"]))

    with proof.of("EVT-06", stop=True):
        with page.context.expect_page() as portal, widget_events.awaiting("flx-success"):
            widget_page.widget.enter_pin(applicants.pin)
        expect(portal.value).to_have_url(target.customer_portal)

    with proof.of("EVT-06"):
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["accountNumber"]) == ("activation", None)
        expect(widget_page.back_at_catalogue().notice).to_contain_text("needs activation")
        assert not flexiti_journal.to("/apply"), "the store applied for a customer who only needs to activate"


@pytest.mark.checklist("EVT-09")
def test_applicant_flexiti_will_not_take_is_told_they_cannot_apply(
    apply_as: ApplyAs, applicants: Applicants, customers: dict[str, Customer], widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof, sandbox: Sandbox | None,
) -> None:
    _needs_the_sandbox(sandbox)
    widget_page = apply_as(applicants.already_customer(customers["derogatory"]))

    with proof.of("EVT-09", stop=True):
        with widget_events.awaiting("flx-success"):
            widget_page.widget.enter_pin(applicants.pin)
        form = widget_page.back_at_application_form()

    with proof.of("EVT-09"):
        expect(form.notice).to_contain_text("cannot accept an application")
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["verified"]) == (None, False)
        assert not flexiti_journal.to("/apply"), "the store applied after Flexiti said the customer cannot apply"

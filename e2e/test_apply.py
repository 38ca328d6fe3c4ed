"""Credit applications: the decision is shown, /apply repeats widget/init, and a retry reopens the widget."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from harness import checks
from harness.customers import Applicants
from harness.journal import Journal, widget_session_of
from harness.widget_events import EventLog
from pages.merchant.store import ApplyPage

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("EVT-07", "INIT-02", "AUTH-03")
@pytest.mark.parametrize(("outcome", "shown"), [
    ("approved", "Approved"), ("pending", "Pending review"), ("declined", "Declined"),
])
def test_application_decision_is_shown(
    outcome: str, shown: str, apply_page: ApplyPage, applicants: Applicants, widget_events: EventLog,
    flexiti_journal: Journal,
) -> None:
    widget_page = apply_page.open().apply_as(applicants.deciding(outcome))

    widget_page.widget.enter_pin(applicants.pin)
    application = widget_page.decision()

    expect(application.decision).to_have_text(shown)
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["action"] == "apply"
    assert success.event_data["accountNumber"] is None
    apply = checks.applied_as_initialized(flexiti_journal, success)
    assert apply.response["decision"] == outcome
    checks.bearer_and_reference_on_every_call(flexiti_journal)


@pytest.mark.checklist("EVT-08", "EVT-07")
def test_retry_runs_widget_init_again_and_reopens_the_widget(
    apply_page: ApplyPage, applicants: Applicants, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    widget_page = apply_page.open().apply_as(applicants.deciding("retry"))
    first_src = widget_page.widget_frame.get_attribute("src")

    widget_page.widget.enter_pin(applicants.pin)
    widget_page.widget.enter_pin(applicants.pin)  # the reopened widget asks again
    application = widget_page.decision()

    expect(application.decision).not_to_have_text("Not decided")
    retry, applied = widget_events.of_type("flx-success")
    assert retry.event_data["action"] == "retry"
    assert applied.event_data["action"] == "apply"
    inits = flexiti_journal.to("widget/init")
    assert len(inits) == 2, flexiti_journal.describe()
    assert [widget_session_of(c.response["redirection_url"]) for c in inits] == [
        retry.event_data["widget_session_id"], applied.event_data["widget_session_id"]]
    assert first_src != inits[1].response["redirection_url"]
    checks.applied_as_initialized(flexiti_journal, applied)

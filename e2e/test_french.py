"""Quebec shoppers: a French browser gets the widget in French, and a purchase and an application go through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.customers import Applicants
from harness.journal import Journal
from harness.landing import Where
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront
from pages.widget import locators

pytestmark = pytest.mark.destructive


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A browser set to Canadian French: it sends Accept-Language fr-CA, which the store turns into lang=fr."""
    return {**browser_context_args, "locale": "fr-CA"}


@pytest.fixture(autouse=True)
def french_widget_locators() -> Iterator[None]:
    """The widget's accessible names in French for this test; whatever was in force before comes back after."""
    names, labels = dict(locators.NAMES), dict(locators.MFA_OPTION_LABELS)
    locators.use_language("fr")
    yield
    locators.NAMES.clear()
    locators.NAMES.update(names)
    locators.MFA_OPTION_LABELS.clear()
    locators.MFA_OPTION_LABELS.update(labels)


@pytest.mark.checklist("INIT-01", "EVT-02", "AUTH-04")
def test_purchase_in_french(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    expect(host.widget.heading).to_have_text("Vérifiez votre identité")

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    with proof.of("INIT-01"):  # a French-speaking shopper gets the widget in French
        init = checks.widget_init_for(flexiti_journal, success.event_data["widget_session_id"])
        assert init.body.get("lang") == "fr", f"widget/init lang is {init.body.get('lang')!r} for a fr-CA browser"
    verdicts.purchase_paid(proof, flexiti_journal, success, journey.cart, landing)


@pytest.mark.checklist("INIT-02", "EVT-07")
def test_application_in_french(
    journey: Journey, storefront: Storefront, applicants: Applicants, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.apply(applicants.deciding("approved"))
    expect(host.widget.heading).to_have_text("Confirmez votre numéro de téléphone")

    with widget_events.awaiting("flx-success"):
        host.widget.enter_pin(applicants.pin)
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-07", stop=True):
        landing = storefront.landing()

    session = success.event_data["widget_session_id"]
    with proof.of("INIT-02"):
        init = checks.application_initialized(flexiti_journal, session)
        assert init.body.get("lang") == "fr", f"widget/init lang is {init.body.get('lang')!r} for a fr-CA browser"
    with proof.of("EVT-07"):
        assert landing.where is Where.DECISION, f"the store did not show a decision: {landing.describe()}"
        assert landing.shown("notice"), f"the store shows no decision at {landing.url}"
        apply = checks.applied_as_initialized(flexiti_journal, init, success)
        assert apply.response["decision"] == "approved"

"""Quebec shoppers, on a store that offers French: a French browser's purchase and application go through.

Which languages a store offers is its own choice, so these tests are "not applicable" to an English-only store. Sending
the shopper's language to the widget (widget/init's optional `lang`) is good practice, reported as an advisory."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.customers import Applicants
from harness.journal import Journal
from harness.landing import Capability, Where
from harness.proof import NotApplicable, Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront, WidgetHost
from pages.widget import locators

pytestmark = pytest.mark.destructive


@pytest.fixture
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A browser set to Canadian French: it sends Accept-Language fr-CA."""
    return {**browser_context_args, "locale": "fr-CA"}


@pytest.fixture(autouse=True)
def french_store(storefront: Storefront) -> Iterator[None]:
    """Only a store that offers French is asked to serve a French shopper; the widget's accessible names follow the
    language the store opened it in, and whatever was in force before comes back after."""
    if Capability.FRENCH not in storefront.capabilities:
        raise NotApplicable("the storefront does not declare French (a profile's languages, or the contract's "
                            "capabilities); which languages a store offers is its choice")
    names, labels = dict(locators.NAMES), dict(locators.MFA_OPTION_LABELS)
    yield
    locators.NAMES.clear()
    locators.NAMES.update(names)
    locators.MFA_OPTION_LABELS.clear()
    locators.MFA_OPTION_LABELS.update(labels)


def _speak_the_widgets_language(host: WidgetHost) -> str:
    """The language the store opened the widget in (redirection_url's lang), which the widget's names follow."""
    src = host.widget.frame_element.get_attribute("src") or ""
    lang = (parse_qs(urlsplit(urlsplit(src).fragment).query).get("lang") or ["en"])[0]
    locators.use_language(lang if lang in locators.NAMES_BY_LANGUAGE else "en")
    return lang


def _advise_french(proof: Proof, item: str, lang: object) -> None:
    with proof.advisory(item):
        assert lang == "fr", (f"widget/init sent lang={lang!r} for a shopper whose browser asks for French; passing "
                              "lang=fr opens the widget in the shopper's language")


@pytest.mark.checklist("INIT-01", "EVT-02", "AUTH-04")
def test_purchase_in_french(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    _speak_the_widgets_language(host)

    with widget_events.awaiting("flx-success"):
        host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    with proof.of("INIT-01"):
        init = checks.widget_init_for(flexiti_journal, success.event_data["widget_session_id"])
    _advise_french(proof, "INIT-01", init.body.get("lang"))
    verdicts.purchase_paid(proof, flexiti_journal, success, journey.cart, landing)


@pytest.mark.checklist("INIT-02", "EVT-07")
def test_application_in_french(
    journey: Journey, storefront: Storefront, applicants: Applicants, widget_events: EventLog,
    flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.apply(applicants.deciding("approved"))
    _speak_the_widgets_language(host)

    with widget_events.awaiting("flx-success"):
        host.widget.enter_pin(applicants.pin)
    [success] = widget_events.of_type("flx-success")
    with proof.of("EVT-07", stop=True):
        landing = storefront.landing()

    session = success.event_data["widget_session_id"]
    with proof.of("INIT-02"):
        init = checks.application_initialized(flexiti_journal, session)
    _advise_french(proof, "INIT-02", init.body.get("lang"))
    with proof.of("EVT-07"):
        assert landing.where is Where.DECISION, f"the store did not show a decision: {landing.describe()}"
        assert landing.shown("notice"), f"the store shows no decision at {landing.url}"
        checks.applied_as_initialized(flexiti_journal, init, success)

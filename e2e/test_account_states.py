"""Accounts the customer cannot pay with: one that needs activation, one with a derogatory status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from fixtures.pages import Journey
from fixtures.sandbox import Target
from harness import checks, verdicts
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("EVT-06")
def test_account_needing_activation_is_sent_to_the_customer_portal(
    page: Page, journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal,
    target: Target, proof: Proof,
) -> None:
    """The store opens the customer portal in a new tab, or lets the customer do it and says where."""
    host = journey.to_widget("needs_activation")

    with proof.of("EVT-06", stop=True):
        with widget_events.awaiting("flx-success"):
            host.widget.go_to_activation()
        landing = storefront.landing()

    with proof.of("EVT-06"):
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["accountNumber"]) == ("activation", None)
        checks.no_authorization(flexiti_journal)
        verdicts.customer_sent_to_the_portal(page, landing, target.customer_portal)


@pytest.mark.checklist("EVT-09")
def test_derogatory_account_is_told_it_cannot_purchase(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("derogatory")

    with proof.of("EVT-09", stop=True):
        with widget_events.awaiting("flx-success"):
            host.widget.return_to_store()
        landing = storefront.landing()

    with proof.of("EVT-09"):
        verdicts.back_with_notice(landing)
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["verified"]) == (None, False)
        checks.no_authorization(flexiti_journal)
    with proof.of("EVT-09"):
        verdicts.cart_kept(journey.cart, storefront.cart())

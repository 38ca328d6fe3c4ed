"""Accounts the customer cannot pay with: one that needs activation, one with a derogatory status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from fixtures.pages import PayWithFlexitiAs
from fixtures.sandbox import Target
from harness import checks
from harness.journal import Journal
from harness.proof import Proof
from harness.widget_events import EventLog

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("EVT-06")
def test_account_needing_activation_opens_the_customer_portal_in_a_new_tab(
    page: Page, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
    target: Target, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("needs_activation")

    with proof.of("EVT-06", stop=True):
        with page.context.expect_page() as portal, widget_events.awaiting("flx-success"):
            started.payment.widget.go_to_activation()
        expect(portal.value).to_have_url(target.customer_portal)

    with proof.of("EVT-06"):
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["accountNumber"]) == ("activation", None)
        checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("EVT-09")
def test_derogatory_account_is_told_it_cannot_purchase(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    started = pay_with_flexiti_as("derogatory")

    with proof.of("EVT-09", stop=True):
        with widget_events.awaiting("flx-success"):
            started.payment.widget.return_to_store()
        checkout = started.payment.back_at_checkout()

    with proof.of("EVT-09"):
        expect(checkout.notice).to_contain_text("cannot be used to purchase")
        expect(checkout.cart_link).to_have_text("Cart (1)")
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["action"], success.event_data["verified"]) == (None, False)
        checks.no_authorization(flexiti_journal)

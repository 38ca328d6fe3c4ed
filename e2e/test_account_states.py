"""Accounts the customer cannot pay with: one that needs activation, one with a derogatory status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from fixtures.pages import PayWithFlexitiAs
from fixtures.sandbox import Target
from harness import checks
from harness.journal import Journal
from harness.widget_events import EventLog

pytestmark = pytest.mark.destructive


@pytest.mark.checklist("EVT-06")
def test_account_needing_activation_opens_the_customer_portal_in_a_new_tab(
    page: Page, pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
    target: Target,
) -> None:
    started = pay_with_flexiti_as("needs_activation")

    with page.context.expect_page() as portal:
        started.payment.widget.go_to_activation()
    checkout = started.payment.back_at_checkout()

    expect(portal.value).to_have_url(target.customer_portal)
    expect(checkout.notice).to_contain_text("needs to be activated")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["action"] == "activation"
    assert success.event_data["accountNumber"] is None
    checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("EVT-09")
def test_derogatory_account_is_told_it_cannot_purchase(
    pay_with_flexiti_as: PayWithFlexitiAs, widget_events: EventLog, flexiti_journal: Journal,
) -> None:
    started = pay_with_flexiti_as("derogatory")

    started.payment.widget.return_to_store()
    checkout = started.payment.back_at_checkout()

    expect(checkout.notice).to_contain_text("cannot be used to purchase")
    expect(checkout.cart_link).to_have_text("Cart (1)")
    [success] = widget_events.of_type("flx-success")
    assert success.event_data["action"] is None
    assert success.event_data["verified"] is False
    checks.no_authorization(flexiti_journal)

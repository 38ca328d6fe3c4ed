"""Purchase flow: a verified customer pays with Flexiti and the order is authorized for the cart."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from fixtures.pages import Journey
from fixtures.sandbox import Target
from harness import checks, verdicts
from harness.journal import Journal
from harness.network import RequestLog
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront


@pytest.mark.destructive
@pytest.mark.checklist("ACC-02", "EVT-02", "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04", "INIT-01")
def test_single_account_customer_completes_purchase(
    journey: Journey, storefront: Storefront, widget_events: EventLog, browser_requests: RequestLog,
    flexiti_journal: Journal, target: Target, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    shopper = journey.customer

    with proof.of("ACC-02", stop=True):
        with widget_events.awaiting("flx-success"):
            host.widget.verify_by("sms", shopper.mfa_answer("sms"))
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["verified"], success.event_data["action"]) == (True, "purchase")
        assert success.event_data["accountNumber"] == shopper.accounts[0].account_number
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    verdicts.purchase_paid(proof, flexiti_journal, success, journey.cart, landing)
    verdicts.server_side_integration(proof, flexiti_journal, browser_requests, target.client_secret, success)
    with proof.of("AUTH-02"):
        checks.token_requests_documented(flexiti_journal)


@pytest.mark.destructive
@pytest.mark.checklist("ACC-01", "EVT-02", "AUTH-01", "AUTH-02", "AUTH-03", "AUTH-04", "INIT-01")
def test_three_account_customer_pays_with_the_chosen_account(
    journey: Journey, storefront: Storefront, widget_events: EventLog, browser_requests: RequestLog,
    flexiti_journal: Journal, target: Target, proof: Proof,
) -> None:
    host = journey.to_widget("three_accounts", journey.products(3))
    chosen = journey.customer.accounts[1]

    with proof.of("ACC-01", stop=True):
        host.widget.verify_by("email", journey.customer.mfa_answer("email"))
        with widget_events.awaiting("flx-success"):
            host.widget.choose_account(chosen.last4)
        [success] = widget_events.of_type("flx-success")
        assert (success.event_data["verified"], success.event_data["action"]) == (True, "purchase")
        assert success.event_data["accountNumber"] == chosen.account_number
    with proof.of("EVT-02", stop=True):
        landing = storefront.landing()

    verdicts.purchase_paid(proof, flexiti_journal, success, journey.cart, landing)
    verdicts.server_side_integration(proof, flexiti_journal, browser_requests, target.client_secret, success)
    with proof.of("AUTH-02"):
        checks.token_requests_documented(flexiti_journal)
    with proof.of("ACC-01"):
        authorization = checks.authorization_for(flexiti_journal, success.event_data["widget_session_id"])
        assert authorization.body["account_number"] == chosen.account_number


@pytest.mark.checklist("INIT-03", "AUTH-01")
def test_widget_is_rendered_from_the_widget_origin(
    journey: Journey, browser_requests: RequestLog, target: Target, proof: Proof,
) -> None:
    """Non-destructive (production-safe): opening the widget authorizes nothing."""
    host = journey.to_widget("single_account")

    src = host.widget.frame_element.get_attribute("src") or ""

    with proof.of("INIT-03"):
        assert f"{urlsplit(src).scheme}://{urlsplit(src).netloc}" == target.widget_origin, f"widget iframe src {src}"
        assert "/#/widget/" in src, f"the iframe does not render a widget redirection_url: {src}"
    with proof.of("AUTH-01"):
        assert not browser_requests.to("/oauth/token"), "the browser requested /oauth/token"
        assert not browser_requests.contains_secret(target.client_secret), "the client secret reached the browser"

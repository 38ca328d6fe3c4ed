"""Resilience: Flexiti errors and timeouts at init and authorization, double clicks and reloads."""

from __future__ import annotations

import pytest

from fixtures.pages import Journey
from harness import checks, verdicts
from harness.faults import Faults
from harness.journal import Call, Journal
from harness.landing import Landing
from harness.proof import Proof
from harness.widget_events import EventLog
from pages.storefront import Storefront

pytestmark = pytest.mark.destructive
FAULTS = {
    "500": {"status": 500, "error": "general_error"},
    "timeout": {"timeout": True},
    "409": {"status": 409, "error": "general_error"},
}


def _charged_once_and_shown(journal: Journal, landing: Landing) -> None:
    """RES-02: one /authorization for the purchase (repeats only with its x-idempotency-key, which Flexiti answers
    once), and if Flexiti approved it the order shows as paid.
    (Whether Flexiti approves is another item's business: a store that authorizes on the wrong token fails EVT-02.)"""
    authorizations = journal.to("/authorization")
    assert authorizations, f"no /authorization for the purchase: {journal.describe()}"
    keys = {call.headers.get("x-idempotency-key") for call in authorizations}
    assert len(authorizations) == 1 or (None not in keys and len(keys) == 1), (
        f"{len(authorizations)} authorizations for one purchase, not repeats of one x-idempotency-key: "
        f"{journal.describe()}")
    if any(call.status == 200 for call in authorizations):
        assert landing.shown("paid") is True, f"approved, but the store does not show it paid: {landing.describe()}"


@pytest.mark.checklist("INIT-04", "RES-01")
@pytest.mark.parametrize("fault", ["500", "timeout", "409"])
def test_flexiti_error_at_widget_init_is_shown_with_the_cart_intact(
    fault: str, flexiti_faults: Faults, journey: Journey, storefront: Storefront, flexiti_journal: Journal,
    proof: Proof,
) -> None:
    flexiti_faults.inject("widget/init", **FAULTS[fault])
    cart = journey.to_checkout("single_account", journey.products(2))

    with proof.of("INIT-04", stop=True):
        storefront.choose_flexiti()
        landing = storefront.landing()

    with proof.of("INIT-04"):
        verdicts.back_with_notice(landing)
    with proof.of("INIT-04"):
        verdicts.cart_kept(cart, storefront.cart())
    with proof.of("RES-01"):
        checks.no_authorization(flexiti_journal)


@pytest.mark.checklist("RES-01")
@pytest.mark.parametrize("fault", ["500", "timeout"])
def test_flexiti_error_at_authorization_is_shown_and_nothing_is_charged(
    fault: str, flexiti_faults: Faults, journey: Journey, storefront: Storefront, flexiti_journal: Journal,
    proof: Proof,
) -> None:
    flexiti_faults.inject("/authorization", **FAULTS[fault])
    host = journey.to_widget("single_account")

    host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    with proof.of("RES-01", stop=True):
        landing = storefront.landing()

    approved: list[Call] = []
    with proof.of("RES-01"):
        approved = checks.retried_only_idempotently(flexiti_journal)
        if approved:  # a repeat with the same x-idempotency-key went through: charged once, and shown paid
            assert landing.shown("paid") is True, (
                f"{approved[0].describe()} was approved, but the store does not show the order paid: "
                f"{landing.describe()}")
        else:
            verdicts.not_paid_and_told(landing)
    with proof.of("RES-01"):
        if not approved:
            verdicts.cart_kept(journey.cart, storefront.cart())


@pytest.mark.checklist("RES-02")
def test_double_click_on_pay_and_verify_authorizes_once(
    journey: Journey, storefront: Storefront, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("single_account", twice=True)

    host.widget.mfa_choice().choose("sms").submit_twice_quickly(journey.customer.mfa_answer("sms"))
    with proof.of("RES-02", stop=True):
        landing = storefront.landing()

    with proof.of("RES-02"):
        _charged_once_and_shown(flexiti_journal, landing)


@pytest.mark.checklist("RES-02")
def test_reload_during_the_widget_authorizes_once(
    journey: Journey, storefront: Storefront, flexiti_journal: Journal, proof: Proof,
) -> None:
    host = journey.to_widget("single_account")
    host.widget.mfa_choice().choose("sms")

    host = journey.reload()
    host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    with proof.of("RES-02", stop=True):
        storefront.landing()
        host.page.reload()
        landing = storefront.landing()

    with proof.of("RES-02"):
        _charged_once_and_shown(flexiti_journal, landing)


@pytest.mark.checklist("RES-02")
def test_widget_outcome_delivered_twice_authorizes_once(
    journey: Journey, storefront: Storefront, widget_events: EventLog, flexiti_journal: Journal, proof: Proof,
) -> None:
    """The deterministic form of the double-click: the widget's success reaches the page twice in one task."""
    host = journey.to_widget("single_account")
    widget_events.repeat_outcomes(host.page)

    host.widget.verify_by("sms", journey.customer.mfa_answer("sms"))
    with proof.of("RES-02", stop=True):
        landing = storefront.landing()

    with proof.of("RES-02"):
        _charged_once_and_shown(flexiti_journal, landing)

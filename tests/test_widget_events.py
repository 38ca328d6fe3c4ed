"""Unit tests for harness.widget_events: the flx-* event contract and the EventLog filters."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any, cast

import pytest
from playwright.sync_api import BrowserContext

from harness.widget_events import EventLog, WidgetEvent, contract_violations

WIDGET_ORIGIN = "https://posapi-training.flexiti.fi"


def _success_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "accountNumber": 40000000000011,
        "verified": True,
        "action": "purchase",
        "mfaOptionSelected": "sms",
        "widget_session_id": str(uuid.uuid4()),
        "customerId": "1000001-00001",
        "accountType": "consumer",
    }
    data.update(changes)
    return data


def _event(data: Any, origin: str = WIDGET_ORIGIN, from_child_frame: bool = True) -> WidgetEvent:
    return WidgetEvent(origin=origin, data=data, receiver="https://shop.test/checkout",
                       from_child_frame=from_child_frame, time=1.0)


def _payload(data: Any, origin: str = WIDGET_ORIGIN, from_child_frame: bool = True) -> dict[str, Any]:
    return {"origin": origin, "data": data, "receiver": "https://shop.test/checkout",
            "fromChildFrame": from_child_frame, "time": 1.0}


def _without(name: str) -> dict[str, Any]:
    data = _success_data()
    del data[name]
    return data


def test_contract_violations_empty_for_well_formed_success() -> None:
    event = _event({"eventType": "flx-success", "eventData": _success_data()})

    problems = contract_violations(event)

    assert problems == []


@pytest.mark.parametrize(
    ("data", "named"),
    [
        pytest.param({"eventType": "flx-success", "eventData": _without("customerId")}, "customerId",
                     id="missing-field"),
        pytest.param({"eventType": "flx-success", "eventData": _success_data(verified="true")}, "verified",
                     id="verified-string"),
        pytest.param({"eventType": "flx-success", "eventData": _success_data(action="refund")}, "action",
                     id="unknown-action"),
        pytest.param({"eventType": "flx-success", "eventData": _success_data(widget_session_id="not-a-guid")},
                     "widget_session_id", id="bad-guid"),
        pytest.param({"eventType": "flx-success", "eventData": _success_data(accountNumber="40000000000011")},
                     "accountNumber", id="account-number-string"),
        pytest.param({"eventType": "flx-refund", "eventData": {}}, "eventType", id="unknown-event-type"),
        pytest.param({"eventType": "flx-failure", "eventData": {"error": "409", "message": "no"}}, "error",
                     id="failure-error-not-int"),
        pytest.param(["flx-success"], "envelope", id="non-object-envelope"),
        pytest.param({"eventType": "flx-success", "eventData": _success_data(customerId=1000001)}, "customerId",
                     id="customer-id-number"),
        pytest.param({"eventType": "flx-cancel", "eventData": {"reason": "closed"}}, "flx-cancel",
                     id="cancel-with-data"),
    ],
)
def test_contract_violations_names_field_for_broken_event(data: Any, named: str) -> None:
    event = _event(data)

    problems = contract_violations(event)

    assert len(problems) == 1
    assert named in problems[0]


def test_contract_violations_empty_for_cancel_without_event_data() -> None:
    event = _event({"eventType": "flx-cancel"})

    problems = contract_violations(event)

    assert problems == []


def test_contract_violations_empty_for_well_formed_failure() -> None:
    event = _event({"eventType": "flx-failure", "eventData": {"error": 409, "message": "Not verified"}})

    problems = contract_violations(event)

    assert problems == []


def test_widget_events_ignores_messages_not_from_child_frame() -> None:
    log = EventLog()
    log.add(_payload({"eventType": "flx-cancel"}, from_child_frame=False))
    log.add(_payload({"eventType": "flx-cancel"}))
    log.add(_payload({"kind": "analytics"}))

    events = log.widget_events()

    assert [(e.event_type, e.from_child_frame) for e in events] == [("flx-cancel", True)]


def test_from_widget_ignores_other_origins_when_widget_origin_set() -> None:
    log = EventLog(widget_origin=WIDGET_ORIGIN)
    log.add(_payload({"eventType": "flx-cancel"}, origin="https://evil.test"))
    log.add(_payload({"eventType": "flx-success", "eventData": _success_data()}))

    events = log.from_widget()

    assert [(e.origin, e.event_type) for e in events] == [(WIDGET_ORIGIN, "flx-success")]
    assert len(log.widget_events()) == 2


def test_from_widget_keeps_every_origin_when_widget_origin_unset() -> None:
    log = EventLog()
    log.add(_payload({"eventType": "flx-cancel"}, origin="https://other.test"))

    events = log.from_widget()

    assert [e.origin for e in events] == ["https://other.test"]


def test_of_type_filters_by_event_type() -> None:
    log = EventLog(widget_origin=WIDGET_ORIGIN)
    log.add(_payload({"eventType": "flx-cancel"}))
    log.add(_payload({"eventType": "flx-success", "eventData": _success_data()}))
    log.add(_payload({"eventType": "flx-success", "eventData": _success_data()}, origin="https://evil.test"))

    successes = log.of_type("flx-success")

    assert len(successes) == 1 and successes[0].origin == WIDGET_ORIGIN


def test_violations_reports_only_widget_origin_events() -> None:
    log = EventLog(widget_origin=WIDGET_ORIGIN)
    log.add(_payload({"eventType": "flx-success", "eventData": _success_data(verified="yes")}, origin="https://evil.test"))
    log.add(_payload({"eventType": "flx-success", "eventData": _success_data(action="refund")}))

    violations = log.violations()

    assert len(violations) == 1
    assert violations[0].startswith("flx-success: ") and "action" in violations[0]


@pytest.mark.parametrize(
    "data",
    [pytest.param({"eventType": "flx-sucess", "eventData": {}}, id="misspelled-event-type"),
     pytest.param("flx-success", id="bare-string"),
     pytest.param({"eventType": "flx-success", "eventData": "verified"}, id="event-data-not-an-object")],
)
def test_violations_check_every_message_from_the_widget_origin_that_claims_to_be_a_widget_event(data: Any) -> None:
    log = EventLog(widget_origin=WIDGET_ORIGIN)
    log.add(_payload(data))
    log.add(_payload(data, origin="https://evil.test"))  # another origin's business, not the widget's contract

    violations = log.violations()

    assert len(violations) == 1, violations


def test_violations_leave_other_widget_messages_alone() -> None:
    log = EventLog(widget_origin=WIDGET_ORIGIN)
    log.add(_payload({"type": "resize", "height": 640}))
    log.add(_payload("ready"))

    assert log.violations() == []


class _MarkFirstContext:
    """A context whose page's mark arrives before the binding call with the event, which lands on the `lands_on`th
    round trip after it (Playwright's server can hand the console message on first)."""

    def __init__(self, log: EventLog, lands_on: int) -> None:
        self.log, self.lands_on, self.round_trips = log, lands_on, 0

    @contextlib.contextmanager
    def expect_console_message(self, predicate: Any) -> Iterator[None]:
        yield

    def cookies(self) -> list[Any]:
        self.round_trips += 1
        if self.round_trips == self.lands_on:
            self.log.add({"origin": "https://widget.example", "data": {"eventType": "flx-cancel"},
                          "receiver": "https://store.example/pay", "fromChildFrame": True})
        return []


@pytest.mark.parametrize("lands_on", [1, 3])
def test_awaiting_returns_once_the_event_is_in_the_log_even_when_its_mark_came_first(lands_on: int) -> None:
    log = EventLog(widget_origin="https://widget.example")
    context = _MarkFirstContext(log, lands_on)
    log._context = cast(BrowserContext, context)

    with log.awaiting("flx-cancel"):
        pass

    assert [event.event_type for event in log.of_type("flx-cancel")] == ["flx-cancel"]
    assert context.round_trips == lands_on  # no round trip more than it took


def test_awaiting_makes_no_round_trip_when_the_event_landed_with_its_mark() -> None:
    log = EventLog(widget_origin="https://widget.example")
    context = _MarkFirstContext(log, lands_on=0)
    log._context = cast(BrowserContext, context)

    with log.awaiting("flx-cancel"):
        log.add({"origin": "https://widget.example", "data": {"eventType": "flx-cancel"},
                 "receiver": "https://store.example/pay", "fromChildFrame": True})

    assert context.round_trips == 0

"""Widget postMessage events: the capture script, the event log and the documented event contract."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import BrowserContext, Page

BINDING = "__flexitiHarnessMessage"
# After handing a message to the binding, the top page logs this mark: Python can then wait for a widget event as
# an event (no polling), even when the page navigates away at once, and the binding call has arrived before it.
ARRIVED = "__flexiti_harness_event__:"
# Round trips EventLog.awaiting makes at most for an event whose mark came first: one is almost always enough.
LANDING_ROUND_TRIPS = 20
# When a flx-failure from a child frame reaches the top page, the capture script marks that document's <html>
# with this attribute (value: the failure's error code), and the next document the tab loads on the same
# origin too: a store that goes back to checkout on a failure lands on a marked page. A wait for the widget can
# then end on the mark instead of running out its timeout (pages.widget.screens.FlexitiWidget.wait_until_open).
FAILURE_MARK = "data-flexiti-harness-widget-failure"

# Runs in every document of the context, child frames included, before any page script: a capture-phase
# listener on window sees every message delivered to that document and hands it to the binding.
CAPTURE_SCRIPT = """
(() => {
  if (window.__flexitiHarnessInstalled) return;
  Object.defineProperty(window, "__flexitiHarnessInstalled", { value: true });
  const forward = window["%(binding)s"];
  const repeats = new WeakSet();
  const markKey = "__flexitiHarnessWidgetFailure";
  const mark = (code) => {
    const stamp = () => document.documentElement && document.documentElement.setAttribute("%(mark)s", code);
    if (document.documentElement) stamp(); else document.addEventListener("DOMContentLoaded", stamp, { once: true });
  };
  if (window === window.top) {
    try {
      const carried = sessionStorage.getItem(markKey);  // a failure on the page this one replaced
      if (carried !== null) { sessionStorage.removeItem(markKey); mark(carried); }
    } catch (e) { /* no storage in this document (opaque origin): nothing carried */ }
  }
  window.addEventListener("message", (event) => {
    if (repeats.has(event)) return;
    let data;
    try { data = JSON.parse(JSON.stringify(event.data)); } catch (e) { data = String(event.data); }
    let fromChild = false;
    for (let i = 0; i < window.frames.length; i++) { if (window.frames[i] === event.source) fromChild = true; }
    forward({
      origin: event.origin, data, receiver: location.href, fromChildFrame: fromChild, time: Date.now() / 1000,
    });
    if (window === window.top && fromChild && data && typeof data === "object" && data.eventType === "flx-failure") {
      const code = String((data.eventData && data.eventData.error) ?? "");
      mark(code);
      try { sessionStorage.setItem(markKey, code); } catch (e) { /* opaque origin */ }
    }
    if (window === window.top && data && typeof data === "object") console.debug("%(arrived)s" + data.eventType);
    // Opt-in (EventLog.repeat_outcomes): the widget's outcome reaches the page twice in the same task, as when a
    // double-click or a reload makes the widget deliver it again. Same origin, same source frame, same data.
    if (window === window.top && window.__flexitiHarnessRepeat && fromChild && data && typeof data === "object"
        && String(data.eventType).startsWith("flx-")) {
      const again = new MessageEvent("message", { data: event.data, origin: event.origin, source: event.source });
      repeats.add(again);
      window.dispatchEvent(again);
    }
  }, true);
})();
""" % {"binding": BINDING, "arrived": ARRIVED, "mark": FAILURE_MARK}  # noqa: UP031 - %-format leaves JS braces be

EVENT_TYPES = ("flx-success", "flx-failure", "flx-cancel")
ACTIONS = ("apply", "purchase", "activation", "retry", None)
MFA_OPTIONS = ("sms", "email", "security_question", None)
ACCOUNT_TYPES = ("consumer", "business")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


@dataclass(frozen=True)
class WidgetEvent:
    """One message delivered to a document in the page: who sent it, what it said, and when."""

    origin: str
    data: Any
    receiver: str
    from_child_frame: bool
    time: float

    @property
    def event_type(self) -> str | None:
        return self.data.get("eventType") if isinstance(self.data, dict) else None

    @property
    def event_data(self) -> dict[str, Any]:
        data = self.data.get("eventData") if isinstance(self.data, dict) else None
        return data if isinstance(data, dict) else {}

    def describe(self) -> str:
        return f"{self.event_type or '(not a widget event)'} from {self.origin}: {self.event_data}"


def contract_violations(event: WidgetEvent) -> list[str]:
    """What in this event breaks Flexiti's documented envelope and fields; empty when it conforms."""
    if not isinstance(event.data, dict) or "eventType" not in event.data:
        return ["envelope: expected an object with eventType"]
    problems: list[str] = []
    kind, data = event.event_type, event.data.get("eventData")
    if kind not in EVENT_TYPES:
        return [f"eventType {kind!r} is not one of {EVENT_TYPES}"]
    if kind == "flx-cancel":
        return [] if data in (None, {}) else [f"flx-cancel: carries no eventData, got {data!r}"]
    if not isinstance(data, dict):
        return [f"{kind}: eventData must be an object, got {type(data).__name__}"]
    if kind == "flx-failure":
        if not isinstance(data.get("error"), int):
            problems.append(f"flx-failure: error must be an HTTP status number, got {data.get('error')!r}")
        if not isinstance(data.get("message"), str):
            problems.append(f"flx-failure: message must be a string, got {data.get('message')!r}")
        return problems
    required = ("accountNumber", "verified", "action", "mfaOptionSelected", "widget_session_id", "customerId",
                "accountType")
    problems += [f"flx-success: missing {name}" for name in required if name not in data]
    account = data.get("accountNumber")
    if account is not None and (not isinstance(account, int) or isinstance(account, bool)):
        problems.append(f"flx-success: accountNumber must be a number or null, got {account!r}")
    if "verified" in data and not isinstance(data["verified"], bool):
        problems.append(f"flx-success: verified must be a boolean, got {data['verified']!r}")
    if data.get("action") not in ACTIONS:
        problems.append(f"flx-success: action {data.get('action')!r} is not one of {ACTIONS}")
    if data.get("mfaOptionSelected") not in MFA_OPTIONS:
        problems.append(f"flx-success: mfaOptionSelected {data.get('mfaOptionSelected')!r} is not one of {MFA_OPTIONS}")
    if "widget_session_id" in data and not _GUID.match(str(data["widget_session_id"])):
        problems.append(f"flx-success: widget_session_id {data['widget_session_id']!r} is not a GUID")
    if data.get("customerId") is not None and not isinstance(data["customerId"], str):
        problems.append(f"flx-success: customerId must be a string or null, got {data['customerId']!r}")
    if "accountType" in data and data["accountType"] not in ACCOUNT_TYPES:
        problems.append(f"flx-success: accountType {data['accountType']!r} is not one of {ACCOUNT_TYPES}")
    return problems


def _claims_widget_event(data: Any) -> bool:
    return (isinstance(data, dict) and "eventType" in data) or (isinstance(data, str) and data.startswith("flx-"))


@dataclass
class EventLog:
    """Every message delivered in the context's pages and frames, in arrival order."""

    widget_origin: str | None = None
    events: list[WidgetEvent] = field(default_factory=list)
    _context: BrowserContext | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def install(self, context: BrowserContext) -> EventLog:
        """Must run before the first navigation, or early messages are missed."""
        context.expose_binding(BINDING, lambda source, payload: self.add(payload))
        context.add_init_script(CAPTURE_SCRIPT)
        self._context = context
        return self

    @contextlib.contextmanager
    def awaiting(self, event_type: str) -> Iterator[None]:
        """Around the action that makes the widget post `event_type`: returns once it has reached the page and this
        log. The page's mark can overtake the binding call that carries the event itself (Playwright's server hands
        a binding call on after an await, a console message at once; seen under load as an empty log right after
        the mark), so a round trip to the browser at a time lets a call on its way land, until the event is here."""
        if self._context is None:
            raise RuntimeError("EventLog.install(context) first")
        before = self._count(event_type)
        with self._context.expect_console_message(lambda message: message.text == ARRIVED + event_type):
            yield
        for _ in range(LANDING_ROUND_TRIPS):
            if self._count(event_type) > before:
                return
            self._context.cookies()  # any round trip: the binding call queued before its answer is handled first
        # Still not here: the later checks read the log and say what is missing.

    def _count(self, event_type: str) -> int:
        with self._lock:
            return sum(1 for event in self.events if event.event_type == event_type)

    @staticmethod
    def repeat_outcomes(page: Page) -> None:
        """From now on in this document, every widget outcome is delivered to the merchant page twice at once."""
        page.evaluate("window.__flexitiHarnessRepeat = true")

    def add(self, payload: dict[str, Any]) -> None:
        event = WidgetEvent(
            origin=str(payload.get("origin", "")),
            data=payload.get("data"),
            receiver=str(payload.get("receiver", "")),
            from_child_frame=bool(payload.get("fromChildFrame")),
            time=float(payload.get("time") or time.time()),
        )
        with self._lock:
            self.events.append(event)

    def widget_events(self) -> list[WidgetEvent]:
        """Messages with a widget event type that reached the top-level merchant page from a child frame."""
        with self._lock:
            return [e for e in self.events if e.event_type in EVENT_TYPES and e.from_child_frame]

    def from_widget(self) -> list[WidgetEvent]:
        """Widget events that came from the environment's widget origin."""
        return [e for e in self.widget_events() if self.widget_origin is None or e.origin == self.widget_origin]

    def of_type(self, event_type: str) -> list[WidgetEvent]:
        return [e for e in self.from_widget() if e.event_type == event_type]

    def violations(self) -> list[str]:
        """Contract problems in every message the merchant page received from a widget-origin frame that claims
        to be a widget event: any eventType (a misspelled one included), or a bare "flx-…" string. Other shapes
        (a real widget's resize or analytics messages, which Flexiti does not document) are not its contract."""
        with self._lock:
            received = [e for e in self.events if e.from_child_frame and _claims_widget_event(e.data)
                        and (self.widget_origin is None or e.origin == self.widget_origin)]
        return [f"{e.event_type or 'message'}: {problem}" for e in received for problem in contract_violations(e)]

    def describe(self) -> str:
        return "\n".join(f"  {e.describe()}" for e in self.widget_events()) or "  (no widget events captured)"

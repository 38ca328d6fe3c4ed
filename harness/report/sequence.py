"""The observed sequence diagram: one test's steps, requests, POS API calls and widget events as an inline SVG."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from itertools import chain
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from harness.report.model import CallEvidence, EventEvidence, RequestEvidence, Step, TestResult

SHOPPER, BROWSER, MERCHANT, FLEXITI, WIDGET, OTHER = range(6)
LIFELINES = ("Shopper", "Browser", "Merchant server", "Flexiti API", "Widget", "Other origin")
CALLERS = {"merchant server": MERCHANT, "widget": WIDGET, "browser": BROWSER}
WIDGET_STEP_PREFIX = "widget:"
API_PREFIX = "/flexiti/pos-api/"
EVENT_KEY_FIELDS = {"flx-success": ("action", "verified"), "flx-failure": ("error", "message")}
MAX_ROWS = 80

WIDTH = 900
GUTTER = 46  # left margin holding each row's time offset
TOP = 8
HEADER_HEIGHT = 34
HEADER_MAX_WIDTH = 132
FIRST_ROW_Y = TOP + HEADER_HEIGHT + 24
ROW_HEIGHT = 22
BOTTOM_PADDING = 12
FONT_SIZE = 11
CHAR_WIDTH = 6.1  # average advance of an 11px system-ui glyph: SVG text cannot wrap, so long labels are cut
SMALL_FONT_SIZE = 9
ARROWHEAD = 7

INK = "#37474f"
ALARM = "#c62828"
MUTED = "#78909c"
LIFELINE_STROKE = "#b0bec5"
HEADER_FILL = "#eceff1"

_API_VERSION = re.compile(r"^v\d+(?:\.\d+)*/")
_CLIENT_ID = re.compile(r"(^|/)client-id/[^/]+/")
_XML_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class Arrow:
    """One row of the diagram: a message from one lifeline to another at a moment in the test."""

    time: float
    source: int
    target: int
    label: str
    alarming: bool = False


def short_api_path(path: str) -> str:
    """Drops prefix, API version and client id: /flexiti/pos-api/v2.5/client-id/c/widget/init -> widget/init."""
    short = urlsplit(path).path.removeprefix(API_PREFIX)
    return _CLIENT_ID.sub(r"\1", _API_VERSION.sub("", short), count=1)


def step_arrow(step: Step) -> Arrow:
    if step.title.startswith(WIDGET_STEP_PREFIX):
        return Arrow(step.time, SHOPPER, WIDGET, step.title.removeprefix(WIDGET_STEP_PREFIX).strip())
    return Arrow(step.time, SHOPPER, BROWSER, step.title)


def request_arrow(request: RequestEvidence, widget_origin: str | None = None) -> Arrow:
    url = urlsplit(request.url)
    label = f"{request.method} {url.path or '/'}"
    if request.frame == "widget":
        return Arrow(request.time, WIDGET, FLEXITI, label)
    # The widget origin is Flexiti's host: a page request there did not go to the merchant server.
    if widget_origin and f"{url.scheme}://{url.netloc}" == widget_origin.rstrip("/"):
        return Arrow(request.time, BROWSER, FLEXITI, label)
    return Arrow(request.time, BROWSER, MERCHANT, label)


def call_arrow(call: CallEvidence, cited: frozenset[int] | set[int] = frozenset()) -> Arrow:
    number = f"#{call.seq} " if call.seq else ""
    label = f"{number}{call.method} {short_api_path(call.path)} → {call.status}"
    # A browser talking to the POS API directly is a finding in itself (AUTH-01), whatever the status; a call a
    # failure cites (the wrong-amount authorization, answered 200) is the finding.
    alarming = call.caller not in ("merchant server", "widget") or call.status >= 400 or call.seq in cited
    if call.seq in cited:
        label += " ✗ cited by the failure"
    return Arrow(call.time, CALLERS.get(call.caller, BROWSER), FLEXITI, label, alarming)


def event_arrow(event: EventEvidence, cited: frozenset[str] | set[str] = frozenset()) -> Arrow:
    name = event.event_type or "message"
    if not event.from_widget:
        return Arrow(event.time, OTHER, BROWSER, f"forged? {name} from {event.origin}", alarming=True)
    fields = " ".join(f"{key}={_plain(value)}" for key, value in _key_fields(event))
    label = f"{name} {fields}" if fields else name
    if name in cited:
        return Arrow(event.time, WIDGET, BROWSER, f"{label} ✗ cited by the failure", alarming=True)
    return Arrow(event.time, WIDGET, BROWSER, label)


def _key_fields(event: EventEvidence) -> list[tuple[str, Any]]:
    data = event.data if isinstance(event.data, dict) else {}
    # Accept both the whole envelope ({eventType, eventData}) and eventData alone.
    payload = data.get("eventData", data)
    if not isinstance(payload, dict):
        return []
    return [(key, payload[key]) for key in EVENT_KEY_FIELDS.get(event.event_type or "", ()) if key in payload]


def _plain(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def arrows(test: TestResult, widget_origin: str | None = None, cited: frozenset[int] | set[int] = frozenset(),
           cited_events: frozenset[str] | set[str] = frozenset()) -> list[Arrow]:
    """Every evidence item as an arrow, in time order; ties keep steps, requests, calls, events order."""
    # A widget call that Flexiti's journal has is drawn from the journal; the browser's copy would repeat it.
    journaled = {(call.method, call.path) for call in test.calls if call.caller == "widget"}
    found = chain(
        map(step_arrow, test.steps),
        (request_arrow(request, widget_origin) for request in test.requests
         if (request.method, urlsplit(request.url).path) not in journaled),
        (call_arrow(call, cited) for call in test.calls),
        (event_arrow(event, cited_events) for event in test.events),
    )
    return sorted(found, key=lambda arrow: arrow.time)


def sequence_svg(test: TestResult, widget_origin: str | None, cited: frozenset[int] | set[int] = frozenset(),
                 cited_events: frozenset[str] | set[str] = frozenset()) -> str:
    """The diagram; calls numbered in `cited` and events whose type is in `cited_events` are drawn red."""
    rows = arrows(test, widget_origin, cited, cited_events)
    shown, hidden = rows[:MAX_ROWS], len(rows) - MAX_ROWS
    notes = _notes(len(rows), hidden)
    lanes = len(LIFELINES) if any(OTHER in (a.source, a.target) for a in rows) else len(LIFELINES) - 1
    height = FIRST_ROW_Y + (len(shown) + len(notes)) * ROW_HEIGHT + BOTTOM_PADDING
    start = rows[0].time if rows else 0.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" '
        f'height="{height}" role="img" font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">',
        f"<title>{_text(f'Observed sequence: {test.name}')}</title>",
        *_lifelines(lanes, height - BOTTOM_PADDING, widget_origin),
        *(_arrow(arrow, row, lanes, start) for row, arrow in enumerate(shown)),
        *(_note(note, len(shown) + index) for index, note in enumerate(notes)),
        "</svg>",
    ]
    return "\n".join(parts)


def _notes(total: int, hidden: int) -> list[str]:
    if total == 0:
        return ["no evidence recorded"]
    return [f"… {hidden} more"] if hidden > 0 else []


def _lane_x(lane: int, lanes: int) -> float:
    return round(GUTTER + (lane + 0.5) * (WIDTH - GUTTER) / lanes, 1)


def _row_y(row: int) -> int:
    return FIRST_ROW_Y + row * ROW_HEIGHT


def _lifelines(lanes: int, bottom: int, widget_origin: str | None) -> list[str]:
    box_width = min(HEADER_MAX_WIDTH, (WIDTH - GUTTER) / lanes - 12)
    drawn = []
    for lane in range(lanes):
        x = _lane_x(lane, lanes)
        subtitle = _host(widget_origin) if lane == WIDGET else None
        title_y = TOP + (14 if subtitle else 21)
        drawn += [
            f'<line x1="{x}" y1="{TOP + HEADER_HEIGHT}" x2="{x}" y2="{bottom}" stroke="{LIFELINE_STROKE}" '
            'stroke-dasharray="4 3"/>',
            f'<rect x="{round(x - box_width / 2, 1)}" y="{TOP}" width="{round(box_width, 1)}" height="{HEADER_HEIGHT}" '
            f'rx="6" fill="{HEADER_FILL}" stroke="{LIFELINE_STROKE}"/>',
            f'<text x="{x}" y="{title_y}" text-anchor="middle" font-weight="600" fill="{INK}">{LIFELINES[lane]}</text>',
        ]
        if subtitle:
            drawn.append(
                f'<text x="{x}" y="{TOP + 27}" text-anchor="middle" font-size="{SMALL_FONT_SIZE}" fill="{MUTED}">'
                f"{_text(_fit(subtitle, box_width, SMALL_FONT_SIZE))}</text>"
            )
    return drawn


def _host(origin: str | None) -> str | None:
    return (urlsplit(origin).netloc or origin) if origin else None


def _arrow(arrow: Arrow, row: int, lanes: int, start: float) -> str:
    x1, x2, y = _lane_x(arrow.source, lanes), _lane_x(arrow.target, lanes), _row_y(row)
    colour = ALARM if arrow.alarming else INK
    direction = 1 if x2 > x1 else -1
    tip, base = x2, round(x2 - direction * ARROWHEAD, 1)
    middle = round((x1 + x2) / 2, 1)
    # Each row holds one label, so it may run past its arrow's ends; only the diagram's edges limit it.
    label = _fit(arrow.label, 2 * min(middle - GUTTER, WIDTH - middle) - 8)
    return (
        f'<g class="arrow{" alarm" if arrow.alarming else ""}">'
        f"<title>{_text(arrow.label)}</title>"
        f'<text x="{GUTTER - 6}" y="{y + 4}" text-anchor="end" font-size="{SMALL_FONT_SIZE}" fill="{MUTED}">'
        f"+{arrow.time - start:.1f}s</text>"
        f'<line x1="{x1}" y1="{y}" x2="{base}" y2="{y}" stroke="{colour}" stroke-width="1.2"/>'
        f'<polygon points="{tip},{y} {base},{y - 3.5} {base},{y + 3.5}" fill="{colour}"/>'
        f'<text x="{middle}" y="{y - 4}" text-anchor="middle" fill="{colour}">{_text(label)}</text>'
        "</g>"
    )


def _note(note: str, row: int) -> str:
    return (
        f'<text class="note" x="{(GUTTER + WIDTH) / 2}" y="{_row_y(row) + 4}" text-anchor="middle" '
        f'font-style="italic" fill="{MUTED}">{_text(note)}</text>'
    )


def _fit(label: str, width: float, font_size: int = FONT_SIZE) -> str:
    limit = max(4, int(width / (CHAR_WIDTH * font_size / FONT_SIZE)))
    return label if len(label) <= limit else label[: limit - 1] + "…"


def _text(value: str) -> str:
    # Event data is attacker-controlled; characters XML forbids would make the whole SVG unparseable.
    return escape(_XML_UNSAFE.sub("\ufffd", value))

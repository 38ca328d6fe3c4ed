"""The HTML certification report: one self-contained page with the checklist and each test's evidence."""

from __future__ import annotations

import hashlib
import json
import re
import shlex
from collections.abc import Iterable
from html import escape
from typing import Any
from urllib.parse import quote

from harness.report.markdown import (
    FAILED_OUTCOMES, ITEM_STATUSES, outcome_counts_line, short_test_name, store_defects_line, utc_timestamp,
)
from harness.report.model import (
    CallEvidence,
    ChecklistResult,
    EventEvidence,
    Report,
    RequestEvidence,
    RunInfo,
    Step,
    TestResult,
    status_label,
)
from harness.report.sequence import sequence_svg

IMAGE_DATA_PREFIX = "data:image/"

CSS = """
:root { --ink: #1f2933; --muted: #5f6b77; --line: #dde2e6; --passed: #2e7d32; --failed: #c62828;
  --error: #7f1010; --grey: #78909c; --light: #e3e7ea; --amber: #f2a900; }
* { box-sizing: border-box; }
body { margin: 0; background: #f7f8f9; color: var(--ink); font: 14px/1.45 system-ui, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 17px; margin: 0; word-break: break-word; }
h3 { font-size: 14px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f4; font-weight: 600; }
td:first-child { white-space: nowrap; }
table.checklist td:nth-child(2) { min-width: 240px; }
table.checklist a { overflow-wrap: anywhere; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
td code { word-break: break-all; }
pre { margin: 4px 0; max-height: 320px; overflow: auto; white-space: pre-wrap; word-break: break-all; }
a { color: #1559b0; }
summary { cursor: pointer; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  color: #fff; white-space: nowrap; }
.badge.passed { background: var(--passed); }
.badge.failed { background: var(--failed); }
.badge.error { background: var(--error); }
.badge.skipped, .badge.not-run { background: var(--grey); }
.badge.not-applicable { background: var(--light); color: #37474f; }
.badge.not-observable { background: var(--amber); color: #3d2a00; }
.alert { margin: 12px 0; padding: 10px 14px; border: 2px solid var(--failed); border-radius: 6px;
  background: #fdecea; color: var(--error); font-weight: 600; }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
dl.run dt { color: var(--muted); }
dl.run dd { margin: 0; word-break: break-all; }
code.command { display: block; margin-bottom: 20px; padding: 8px 12px; border-radius: 6px; background: #263238;
  color: #eceff1; white-space: pre-wrap; word-break: break-all; }
.summary, .meta, .hint, figcaption { color: var(--muted); }
section.test { margin: 16px 0; padding: 12px 16px; border: 1px solid var(--line); border-left: 4px solid var(--grey);
  border-radius: 6px; background: #fff; }
section.test[data-outcome="passed"] { border-left-color: var(--passed); }
section.test[data-outcome="failed"] { border-left-color: var(--failed); }
section.test[data-outcome="error"] { border-left-color: var(--error); }
.meta { margin: 4px 0; }
.reason { margin: 6px 0; font-weight: 600; }
section.test[data-outcome="failed"] .reason, section.test[data-outcome="error"] .reason,
td.reason { color: var(--failed); }
.steps { display: flex; gap: 12px; overflow-x: auto; padding: 4px 0 8px; }
.steps figure { flex: 0 0 auto; margin: 0; }
.steps img, .steps .no-image { display: block; height: 180px; border: 1px solid var(--line); border-radius: 4px; }
.steps .no-image { width: 120px; padding: 8px; border-style: dashed; color: var(--muted); }
figcaption { max-width: 320px; font-size: 12px; }
figure.sequence { margin: 12px 0; overflow-x: auto; }
figure.sequence svg { max-width: 100%; height: auto; }
tr.forged td, td.alarm { color: var(--failed); }
"""


def anchor(nodeid: str) -> str:
    """A stable, unique, URL-safe id for a test's section."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", nodeid).strip("-").lower()[:60]
    return f"test-{slug}-{hashlib.sha1(nodeid.encode()).hexdigest()[:8]}"


def render_html(report: Report) -> str:
    title = f"Flexiti certification — {report.run.environment}"
    tests = sorted(report.tests, key=lambda test: test.outcome not in FAILED_OUTCOMES)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head>",
        "<body><main>",
        f"<h1>{_e(title)}</h1>",
        _stopped_early(report.run),
        _run_details(report),
        "<h2>Checklist</h2>",
        _checklist_summary(report),
        _checklist_table(report),
        *(_test_section(test, report.run.widget_origin) for test in tests),
        "</main></body>",
        "</html>",
    ])


def _stopped_early(run: RunInfo) -> str:
    if not run.stopped_early:
        return ""
    return (
        f'<div class="alert" role="alert"><strong>Stopped early:</strong> {_e(run.stopped_early)}<br>'
        "The results below are incomplete: items whose tests did not run are reported as not run.</div>"
    )


def _run_details(report: Report) -> str:
    run = report.run
    fields = [
        ("Environment", _e(run.environment)),
        ("Storefront", _e(run.store_url or "—")),
        ("Flexiti API base", _e(run.api_base or "—")),
        ("Widget origin", _e(run.widget_origin or "—")),
        ("Browser", _e(run.browser or "—")),
        ("Harness version", _e(run.harness_version)),
        *([("Store defects", _e(store_defects_line(run.store_defects)))] if run.store_defects else []),
        ("Started", f"{utc_timestamp(run.started)} (UTC)"),
        ("Finished", f"{utc_timestamp(run.finished)} (UTC)"),
        ("Duration", f"{run.duration:.1f} s"),
        ("Tests", _e(outcome_counts_line(report))),
    ]
    listed = "".join(f"<dt>{name}</dt><dd>{value}</dd>" for name, value in fields)
    return (
        f'<dl class="run">{listed}</dl>'
        f'<p>Reproduce this run with:</p><code class="command">{_e(run.command)}</code>'
    )


def _checklist_summary(report: Report) -> str:
    counts = report.checklist_counts()
    parts = (f"{counts.get(status, 0)} {status_label(status)}" for status in ITEM_STATUSES)
    return f'<p class="summary">Checklist: {" · ".join(parts)}</p>'


def _checklist_table(report: Report) -> str:
    rows = "\n".join(_checklist_row(item, report.tests) for item in report.checklist)
    return (
        '<table class="checklist" aria-label="Certification checklist">'
        "<thead><tr><th>ID</th><th>Item</th><th>Status</th><th>Proved by</th><th>Reason</th></tr></thead>"
        f"<tbody>\n{rows}\n</tbody></table>"
    )


def _checklist_row(item: ChecklistResult, tests: list[TestResult]) -> str:
    links = ", ".join(f'<a href="#{anchor(n)}">{_e(short_test_name(n, tests))}</a>' for n in item.tests)
    reason_class = ' class="reason"' if item.status == "failed" else ""
    return (
        f'<tr id="item-{_e(item.id)}" data-status="{_e(item.status)}" data-item="{_e(item.id)}">'
        f"<td>{_e(item.id)}</td><td>{_e(item.title)}</td><td>{_badge(item.status)}</td>"
        f'<td>{links or "—"}</td><td{reason_class}>{_e(item.reason or "")}</td></tr>'
    )


def _test_section(test: TestResult, widget_origin: str | None) -> str:
    items = ", ".join(f'<a href="#item-{_e(i)}">{_e(i)}</a>' for i in test.checklist) or "—"
    reason = f'<p class="reason">{_e(test.reason)}</p>' if test.reason else ""
    return (
        f'<section class="test" id="{anchor(test.nodeid)}" data-outcome="{_e(test.outcome)}">'
        f"<h2>{_e(test.name)}</h2>"
        f'<p class="meta">{_badge(test.outcome)} {test.duration:.1f} s · checklist: {items} · '
        f"<code>{_e(test.nodeid)}</code></p>"
        f"{reason}{_evidence(test, widget_origin)}{_artifacts(test.artifacts)}</section>"
    )


def _evidence(test: TestResult, widget_origin: str | None) -> str:
    times = [e.time for e in (*test.steps, *test.events, *test.calls, *test.requests)]
    if not times:
        return ""
    start = min(times)
    counts = (
        f"{len(test.steps)} screenshots, {len(test.events)} widget events, "
        f"{len(test.calls)} POS API calls, {len(test.requests)} browser requests"
    )
    opened = " open" if test.outcome in FAILED_OUTCOMES else ""
    return (
        f'<details class="evidence"{opened}><summary>Evidence: {counts}</summary>'
        f"{_steps(test.steps)}"
        f'<figure class="sequence" aria-label="Observed sequence diagram">{sequence_svg(test, widget_origin)}</figure>'
        f"{_events_table(test.events, start)}{_calls_table(test.calls, start)}{_requests(test.requests, start)}"
        "</details>"
    )


def _steps(steps: list[Step]) -> str:
    if not steps:
        return ""
    return '<h3>Steps</h3><div class="steps">' + "".join(map(_step, steps)) + "</div>"


def _step(step: Step) -> str:
    if step.image and step.image.startswith(IMAGE_DATA_PREFIX):
        picture = f'<img src="{_e(step.image)}" alt="{_e(step.title)}">'
    else:
        picture = '<div class="no-image">no screenshot</div>'
    return f"<figure>{picture}<figcaption>{_e(step.title)}</figcaption></figure>"


def _events_table(events: list[EventEvidence], start: float) -> str:
    rows = [
        (
            ' class="forged"' if not event.from_widget else "",
            [_offset(event.time, start), _e(event.origin) + ("" if event.from_widget else " (not the widget origin)"),
             _e(event.event_type or "—"), f"<code>{_e(_compact_json(event.data))}</code>"],
        )
        for event in events
    ]
    return _table("Widget events", ["Time", "Origin", "Type", "Data"], rows)


def _calls_table(calls: list[CallEvidence], start: float) -> str:
    return _table(
        "POS API calls",
        ["Time", "Caller", "Method", "Path", "Status", "Token", "Body", "Response"],
        [("", _call_cells(call, start)) for call in calls],
    )


def _call_cells(call: CallEvidence, start: float) -> list[str]:
    caller_class = ' class="alarm"' if call.caller == "browser" else ""
    status_class = ' class="alarm"' if call.status >= 400 else ""
    return [
        _offset(call.time, start),
        f"<span{caller_class}>{_e(call.caller)}</span>",
        _e(call.method),
        f"<code>{_e(call.path)}</code>",
        f"<span{status_class}>{call.status}</span>",
        f"<code>{_e(call.token or '—')}</code>",
        _json_details("body", call.body),
        _json_details("response", call.response),
    ]


def _requests(requests: list[RequestEvidence], start: float) -> str:
    if not requests:
        return ""
    rows = [
        ("", [_offset(r.time, start), _e(r.frame), _e(r.resource_type), _e(r.method), f"<code>{_e(r.url)}</code>"])
        for r in requests
    ]
    table = _table("Browser requests", ["Time", "Frame", "Type", "Method", "URL"], rows, heading=False)
    return f'<details class="requests"><summary>Browser requests ({len(requests)})</summary>{table}</details>'


def _artifacts(paths: list[str]) -> str:
    if not paths:
        return ""
    return "<h3>Artifacts</h3><ul>" + "".join(map(_artifact, paths)) + "</ul>"


def _artifact(path: str) -> str:
    # quote() turns "scheme:" into "scheme%3A", so a path can only ever be a relative link.
    link = f'<a href="{_e(quote(path))}">{_e(path)}</a>'
    if path.rsplit("/", 1)[-1] == "trace.zip":
        link += f' <span class="hint">open with: <code>playwright show-trace {_e(shlex.quote(path))}</code></span>'
    return f"<li>{link}</li>"


def _table(label: str, headers: list[str], rows: Iterable[tuple[str, list[str]]], heading: bool = True) -> str:
    body = "".join(f"<tr{attrs}>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>" for attrs, cells in rows)
    if not body:
        return ""
    head = "".join(f"<th>{h}</th>" for h in headers)
    title = f"<h3>{label}</h3>" if heading else ""
    return f'{title}<table aria-label="{label}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _json_details(name: str, value: Any) -> str:
    if value is None:
        return "—"
    return f"<details><summary>{name}</summary><pre>{_e(json.dumps(value, indent=2, default=str))}</pre></details>"


def _compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


def _offset(time: float, start: float) -> str:
    return f"+{time - start:.3f} s"


def _badge(status: str) -> str:
    return f'<span class="badge {_e(status.replace(" ", "-"))}">{_e(status_label(status))}</span>'


def _e(text: str) -> str:
    return escape(text, quote=True)

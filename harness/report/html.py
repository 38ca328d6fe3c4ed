"""The HTML certification report: one self-contained page with the checklist and each test's evidence."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import shlex
from collections.abc import Iterable
from html import escape
from typing import Any, Protocol
from urllib.parse import quote

from harness.report.markdown import (
    ITEM_STATUSES,
    observed_text,
    outcome_counts_line,
    short_test_name,
    store_defects_line,
    utc_timestamp,
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

CSS = """
:root { --ink: #1f2933; --muted: #5f6b77; --line: #dde2e6; --passed: #2e7d32; --failed: #c62828;
  --broken: #6a1b9a; --grey: #78909c; --light: #e3e7ea; --amber: #f2a900; --cite: #fff3cd; }
* { box-sizing: border-box; }
body { margin: 0; background: #f7f8f9; color: var(--ink); font: 14px/1.45 system-ui, sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 16px 24px 24px; }
h1 { font-size: 20px; margin: 12px 0 8px; }
h2 { font-size: 17px; margin: 18px 0 6px; overflow-wrap: anywhere; }
h3 { font-size: 14px; margin: 18px 0 6px; }
table { border-collapse: collapse; width: 100%; background: #fff; margin: 6px 0; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f0f2f4; font-weight: 600; }
td:first-child { white-space: nowrap; }
table.checklist td:nth-child(2) { min-width: 240px; }
table.checklist a { overflow-wrap: anywhere; }
code, pre { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
td code { overflow-wrap: anywhere; }
pre { margin: 4px 0; max-height: 320px; overflow: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
a { color: #1559b0; }
summary { cursor: pointer; font-weight: 600; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  color: #fff; white-space: nowrap; }
.badge.passed { background: var(--passed); }
.badge.failed { background: var(--failed); }
.badge.broken, .badge.error { background: var(--broken); }
.badge.skipped, .badge.not-run { background: var(--grey); }
.badge.not-applicable { background: var(--light); color: #37474f; }
.badge.not-observable { background: var(--amber); color: #3d2a00; }
.verdict { margin: 0 0 12px; padding: 14px 18px; border-radius: 8px; color: #fff; }
.verdict h1 { margin: 0 0 4px; font-size: 26px; }
.verdict p { margin: 4px 0; font-size: 15px; }
.verdict ul { margin: 6px 0 0; padding-left: 20px; }
.verdict a { color: #fff; font-weight: 700; }
.verdict.ready { background: var(--passed); }
.verdict.not-ready { background: var(--failed); }
.verdict.incomplete { background: #8d6e00; }
.verdict.sandbox-self-test { background: #37474f; }
.verdict.has-failures { border-left: 12px solid var(--failed); }
.verdict .kind { font-size: 12px; text-transform: uppercase; letter-spacing: .08em; opacity: .85; }
.bar { display: flex; height: 22px; border-radius: 6px; overflow: hidden; margin: 6px 0 4px; background: var(--light); }
.bar a { display: block; color: #fff; font-size: 12px; font-weight: 600; text-align: center; line-height: 22px;
  text-decoration: none; overflow: hidden; white-space: nowrap; }
.bar .passed { background: var(--passed); } .bar .failed { background: var(--failed); }
.bar .not-run { background: var(--grey); } .bar .not-observable { background: var(--amber); color: #3d2a00; }
.bar .not-applicable { background: #cfd8dc; color: #37474f; }
.legend { color: var(--muted); font-size: 13px; margin: 0 0 10px; }
.alert { margin: 12px 0; padding: 10px 14px; border: 2px solid var(--failed); border-radius: 6px;
  background: #fdecea; color: #7f1010; font-weight: 600; }
.finding { margin: 8px 0; padding: 10px 14px; border: 1px solid var(--line); border-left: 5px solid var(--failed);
  border-radius: 6px; background: #fff; }
.finding.broken { border-left-color: var(--broken); }
.finding h3 { margin: 0 0 4px; }
.finding dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 4px 0 0; }
.finding dt { color: var(--muted); font-weight: 600; }
.finding dd { margin: 0; overflow-wrap: anywhere; }
.finding .observed { color: var(--failed); font-weight: 600; }
.finding.broken .observed { color: var(--broken); }
dl.run { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0 0 12px; }
dl.run dt { color: var(--muted); }
dl.run dd { margin: 0; overflow-wrap: anywhere; }
code.command { display: block; margin-bottom: 20px; padding: 8px 12px; border-radius: 6px; background: #263238;
  color: #eceff1; white-space: pre-wrap; overflow-wrap: anywhere; }
.summary, .meta, .hint, figcaption { color: var(--muted); }
section.test { margin: 16px 0; padding: 12px 16px; border: 1px solid var(--line); border-left: 4px solid var(--grey);
  border-radius: 6px; background: #fff; }
section.test[data-outcome="passed"] { border-left-color: var(--passed); }
section.test[data-outcome="failed"] { border-left-color: var(--failed); }
section.test[data-outcome="broken"], section.test[data-outcome="error"] { border-left-color: var(--broken); }
.meta { margin: 4px 0; }
.reason { margin: 6px 0; font-weight: 600; }
section.test[data-outcome="failed"] .reason, td.reason { color: var(--failed); }
section.test[data-outcome="broken"] .reason { color: var(--broken); }
.steps { display: flex; flex-wrap: wrap; gap: 12px; padding: 4px 0 8px; }
.steps figure { flex: 0 0 auto; margin: 0; width: 200px; }
.shot { display: block; width: 100%; background-size: contain; background-repeat: no-repeat;
  background-position: center; border: 1px solid var(--line); border-radius: 4px; background-color: #fff; }
.steps .no-image { display: block; height: 120px; padding: 8px; border: 1px dashed var(--line); color: var(--muted); }
figure.failure-shot { margin: 8px 0; max-width: 640px; }
figure.failure-shot figcaption { color: var(--failed); font-weight: 600; }
figcaption { font-size: 12px; overflow-wrap: anywhere; }
.zoom { display: none; }
.zoom:target { display: block; position: fixed; inset: 0; z-index: 10; margin: 0; background-color: rgba(0,0,0,.85);
  background-size: contain; background-repeat: no-repeat; background-position: center; background-origin: content-box;
  padding: 24px; cursor: zoom-out; }
.zoom:target::after { content: "click anywhere to close"; position: absolute; top: 4px; right: 12px; color: #fff;
  font-size: 12px; }
figure.sequence { margin: 12px 0; overflow-x: auto; }
figure.sequence svg { max-width: 100%; height: auto; }
tr.forged td, td.alarm, span.alarm { color: var(--failed); }
tr.cited td { background: var(--cite); }
table[aria-label="POS API calls"] td:nth-child(2),
table[aria-label="Widget events"] td:first-child { white-space: nowrap; }
tr.cited td:first-child { border-left: 4px solid var(--failed); font-weight: 700; }
table.matrix { width: auto; font-size: 12px; }
table.matrix th, table.matrix td { padding: 2px 4px; text-align: center; min-width: 22px; }
table.matrix td.passed { background: #c8e6c9; } table.matrix td.failed { background: #ef9a9a; font-weight: 700; }
table.matrix td.broken { background: #e1bee7; } table.matrix td.cites { background: #eceff1; }
table.matrix th[scope="row"] { text-align: left; }
.filters { margin: 8px 0; }
.filters label { margin-right: 12px; cursor: pointer; }
body:has(#show-failed:checked) section.test:not([data-outcome="failed"]):not([data-outcome="broken"]),
body:has(#show-failed:checked) table.checklist tr[data-status]:not([data-status="failed"]),
body:has(#show-broken:checked) section.test:not([data-outcome="broken"]),
body:has(#show-passed:checked) section.test:not([data-outcome="passed"]),
body:has(#show-passed:checked) table.checklist tr[data-status]:not([data-status="passed"]),
body:has(#show-notrun:checked) section.test:not([data-outcome="not run"]):not([data-outcome="skipped"]),
body:has(#show-notrun:checked) table.checklist tr[data-status]:not([data-status="not run"]) { display: none; }
"""
FAILED_OUTCOMES_HTML = ("failed", "broken", "error")
_CITED_CALL = re.compile(r"#(\d+)\b")
_SAFE_IMAGE = re.compile(r"data:image/(?:jpeg|png|webp);base64,[A-Za-z0-9+/]+=*")
_CITED_EVENT = re.compile(r"\bflx-[a-z]+\b")


def anchor(nodeid: str) -> str:
    """A stable, unique, URL-safe id for a test's section."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", nodeid).strip("-").lower()[:60]
    return f"test-{slug}-{hashlib.sha1(nodeid.encode()).hexdigest()[:8]}"


def cited_calls(test: TestResult) -> set[int]:
    """The journal numbers ("#6") the test's failure reasons cite: those calls are the evidence of the finding."""
    texts = [*test.failed_items.values(), test.reason or ""] if test.outcome in FAILED_OUTCOMES_HTML else []
    return {int(number) for text in texts for number in _CITED_CALL.findall(text)}


def cited_events(test: TestResult) -> set[str]:
    """The widget event types ("flx-success") the test's failure reasons name."""
    texts = [*test.failed_items.values(), test.reason or ""] if test.outcome in FAILED_OUTCOMES_HTML else []
    return {name for text in texts for name in _CITED_EVENT.findall(text)}


def render_html(report: Report) -> str:
    report.intern_images()
    title = f"Flexiti certification — {report.run.environment}"
    tests = sorted(report.tests, key=lambda test: test.outcome not in FAILED_OUTCOMES_HTML)
    numbers = {test.nodeid: index for index, test in enumerate(tests, 1)}
    used = _used_images(report)
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en">',
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}{_image_css(report.images, used)}</style></head>",
        "<body><main>",
        _verdict(report),
        _status_bar(report),
        _findings(report),
        _harness_errors(report),
        _stopped_early(report.run),
        f"<h1>{_e(title)}</h1>",
        _run_details(report),
        "<h2>Checklist</h2>",
        _filters(),
        _checklist_summary(report),
        _checklist_table(report),
        _matrix(report, tests, numbers),
        _person_cases(report),
        "<h2>Tests</h2>",
        *(_test_section(test, report, numbers[test.nodeid]) for test in tests),
        "</main>",
        *(_zoom(key) for key in sorted(used)),
        "</body>",
        "</html>",
    ])


def _used_images(report: Report) -> set[str]:
    keys = {step.image for test in report.tests for step in test.steps if step.image}
    keys |= {test.failure_image for test in report.tests if test.failure_image}
    return {key for key in keys if key in report.images}


def _image_css(images: dict[str, str], used: set[str]) -> str:
    """Each picture once, as a class every thumbnail and its enlargement share: no copy, no script, no request."""
    rules = []
    for key in sorted(used):
        uri = images[key]
        if not _SAFE_IMAGE.fullmatch(uri):  # inside <style>: base64 only, so nothing can close the rule or tag
            continue
        size = image_size(uri)
        ratio = f" aspect-ratio: {size[0]} / {size[1]};" if size else " aspect-ratio: 16 / 10;"
        rules.append(f'.i-{key} {{ background-image: url("{uri}");{ratio} }}')
    return "\n" + "\n".join(rules)


def image_size(uri: str) -> tuple[int, int] | None:
    """Width and height of a JPEG, PNG or WebP data: URI (from its header; nothing is decoded)."""
    try:
        data = base64.b64decode(uri.split(",", 1)[1][:200_000] + "==", validate=False)
    except (ValueError, IndexError):
        return None
    if data.startswith(b"\x89PNG") and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    index = 2
    while data.startswith(b"\xff\xd8") and index + 9 < len(data):
        if data[index] != 0xFF:
            return None
        marker, length = data[index + 1], int.from_bytes(data[index + 2:index + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            return int.from_bytes(data[index + 7:index + 9], "big"), int.from_bytes(data[index + 5:index + 7], "big")
        index += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # lossy: 14-bit sizes after the key frame's start code
        return int.from_bytes(data[26:28], "little") & 0x3FFF, int.from_bytes(data[28:30], "little") & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F:  # lossless: two 14-bit sizes less one, packed after the signature
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":  # extended: 24-bit sizes less one
        return int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1
    return None


def _zoom(key: str) -> str:
    return f'<a class="zoom i-{key}" id="z-{key}" href="#_" aria-label="close the enlarged screenshot"></a>'


def _verdict(report: Report) -> str:
    verdict = report.verdict
    items = {item.id: item for item in report.checklist}
    failed = "".join(
        f'<li><a href="#finding-{_e(i)}">{_e(i)}</a> {_e(items[i].title) if i in items else ""}</li>'
        for i in verdict.failed_items)
    reasons = "".join(f"<li>{_e(reason)}</li>" for reason in verdict.reasons)
    advice = "".join(f"<li>{_e(advisory)}</li>" for advisory in verdict.advisories)
    kind = {"sandbox self-test": "Embedded sandbox — not a certification"}.get(verdict.status, "Verdict")
    return (
        f'<header class="verdict {_e(verdict.status.replace(" ", "-"))}{" has-failures" if failed else ""}" '
        'role="banner" id="verdict">'
        f'<div class="kind">{_e(kind)}</div><h1>{_e(verdict.title)}</h1><p>{_e(verdict.summary)}</p>'
        + (f"<p>Failed items:</p><ul>{failed}</ul>" if failed else "")
        + (f"<p>Why this run certifies nothing:</p><ul>{reasons}</ul>" if reasons and verdict.status != "ready" else "")
        + (f'<p>Advisory (not a failure):</p><ul class="advisories">{advice}</ul>' if advice else "")
        + "</header>"
    )


def _status_bar(report: Report) -> str:
    counts = report.checklist_counts()
    total = max(1, len(report.checklist))
    segments = "".join(
        f'<a class="{status.replace(" ", "-")}" style="width:{100 * counts[status] / total:.2f}%" '
        f'href="#checklist" title="{counts[status]} {_e(status_label(status))}">{counts[status]}</a>'
        for status in ITEM_STATUSES if counts.get(status))
    legend = " · ".join(f"{counts.get(status, 0)} {status_label(status)}" for status in ITEM_STATUSES)
    return (f'<div class="bar" role="img" aria-label="Checklist: {_e(legend)}">{segments}</div>'
            f'<p class="legend">Checklist: {_e(legend)}</p>')


def _findings(report: Report) -> str:
    failed = [item for item in report.checklist if item.status == "failed"]
    if not failed:
        return ""
    return "<h2>Failed items: what to change</h2>" + "".join(_finding(item, report) for item in failed)


def _finding(item: ChecklistResult, report: Report) -> str:
    failing = [t for t in report.tests if t.nodeid in item.failed_by]
    evidence = ", ".join(_evidence_link(t, item.id) for t in failing) or "—"
    docs = (f'<a href="{_e(item.docs)}" rel="noreferrer">{_e(item.rule)}</a>' if item.docs and
            item.docs.startswith("https://") else _e(item.rule))
    observed = observed_text(item)
    return (
        f'<div class="finding" id="finding-{_e(item.id)}"><h3>{_badge("failed")} {_e(item.id)} — {_e(item.title)}</h3>'
        "<dl>"
        f'<dt>Observed</dt><dd class="observed">{_e(observed)}</dd>'
        f"<dt>Required</dt><dd>{_e(item.title)}</dd>"
        f"<dt>Change</dt><dd>{_e(item.fix or 'see the rule')}</dd>"
        f"<dt>Rule</dt><dd>{docs}</dd>"
        f"<dt>Evidence</dt><dd>{evidence}</dd>"
        "</dl></div>"
    )


def _evidence_link(test: TestResult, item_id: str) -> str:
    """The test, and the calls its reason for this item cites, each linked to its highlighted row."""
    calls = sorted({int(n) for n in _CITED_CALL.findall(test.failed_items.get(item_id, ""))})
    cited = "".join(f' · <a href="#{anchor(test.nodeid)}-call-{n}">call #{n}</a>' for n in calls
                    if any(call.seq == n for call in test.calls))
    return f'<a href="#{anchor(test.nodeid)}">{_e(test.name)}</a>{cited}'


def _harness_errors(report: Report) -> str:
    broken = [test for test in report.tests if test.outcome in ("broken", "error")]
    if not broken:
        return ""
    blocks = "".join(
        f'<div class="finding broken"><h3>{_badge("broken")} <a href="#{anchor(t.nodeid)}">{_e(t.name)}</a></h3><dl>'
        f'<dt>What broke</dt><dd class="observed">{_e(t.reason or "")}</dd>'
        f"<dt>Fix</dt><dd>{_e(t.fix or 'see the message')}</dd>"
        f"<dt>Items</dt><dd>{_e(', '.join(t.checklist) or '—')} (not run: a harness error proves and fails nothing)"
        "</dd></dl></div>"
        for t in broken)
    return ("<h2>Harness errors: the harness, browser or machine broke (not the store)</h2>" + blocks)


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


def _filters() -> str:
    choices = [("all", "everything"), ("failed", "failed only"), ("broken", "harness errors"),
               ("passed", "passed"), ("notrun", "not run")]
    return '<div class="filters" role="radiogroup" aria-label="Show">Show: ' + "".join(
        f'<label><input type="radio" name="show" id="show-{value}"{" checked" if value == "all" else ""}> {label}'
        "</label>" for value, label in choices) + "</div>"


def _checklist_summary(report: Report) -> str:
    counts = report.checklist_counts()
    parts = (f"{counts.get(status, 0)} {status_label(status)}" for status in ITEM_STATUSES)
    return f'<p class="summary">Checklist: {" · ".join(parts)}</p>'


def _checklist_table(report: Report) -> str:
    order = {"failed": 0, "not observable": 1, "not run": 2, "passed": 3, "not applicable": 4}
    items = sorted(report.checklist, key=lambda item: order.get(item.status, 5))
    rows = "\n".join(_checklist_row(item, report.tests) for item in items)
    return (
        '<table class="checklist" id="checklist" aria-label="Certification checklist">'
        "<thead><tr><th>ID</th><th>Item</th><th>Status</th><th>Proved by</th><th>Reason</th></tr></thead>"
        f"<tbody>\n{rows}\n</tbody></table>"
    )


def _person_cases(report: Report) -> str:
    """Flexiti's cases no browser can check, and those not automated yet: never counted as passed."""
    if not report.manual_cases and not report.not_yet_automated:
        return ""
    rows = "".join(f"<tr><td>{_e(c.plan)} {_e(c.case)}</td><td>{_e(c.title)}</td><td>{_e(c.who)}</td>"
                   f"<td>{_e(c.prepare)}</td></tr>" for c in report.manual_cases)
    pending = "".join(f"<li>{_e(case)}</li>" for case in report.not_yet_automated)
    return ("<h2>Checked by a person (never counted as passed)</h2>"
            '<table class="manual" aria-label="Cases a person checks"><thead><tr><th>Flexiti case</th><th>What</th>'
            f"<th>Who checks it</th><th>Prepare</th></tr></thead><tbody>{rows}</tbody></table>"
            + (f"<p>Cases of Flexiti's test plans this harness does not automate yet (Flexiti will check them):</p>"
               f"<ul>{pending}</ul>" if pending else ""))


def _checklist_row(item: ChecklistResult, tests: list[TestResult]) -> str:
    proved_by = item.tests if item.status in ("passed", "failed") else []
    links = ", ".join(f'<a href="#{anchor(n)}">{_e(short_test_name(n, tests))}</a>' for n in proved_by)
    if item.failed_by:  # the column names who proved it; the tests that failed it are said apart, in red
        failed = ", ".join(f'<a href="#{anchor(n)}">{_e(short_test_name(n, tests))}</a>' for n in item.failed_by)
        links = f'<span class="alarm">failed by {failed}</span>' + (f"<br>proved by {links}" if links else "")
    reason_class = ' class="reason"' if item.status == "failed" else ""
    reason = _e(item.reason or "")
    if item.status == "failed":
        reason = f'<a href="#finding-{_e(item.id)}" class="alarm">{reason}</a>'
    reason += "".join(f'<br><span class="note">Not compared: {_e(note)}</span>' for note in item.notes)
    reason += "".join(f'<br><span class="advisory">Advisory (not a failure): {_e(advice)}</span>'
                      for advice in item.advisories)
    rule = (f' <a href="{_e(item.docs)}" rel="noreferrer" title="Flexiti documentation">rule</a>'
            if item.docs and item.docs.startswith("https://") else "")
    return (
        f'<tr id="item-{_e(item.id)}" data-status="{_e(item.status)}" data-item="{_e(item.id)}">'
        f"<td>{_e(item.id)}{_cases(item)}</td><td>{_e(item.title)}{rule}</td><td>{_badge(item.status)}</td>"
        f'<td>{links or "—"}</td><td{reason_class}>{reason}</td></tr>'
    )


def _cases(item: ChecklistResult) -> str:
    """Flexiti's own case ids beside ours, so its implementation team can tick its sheet from the report."""
    if not item.flexiti_cases:
        return ""
    return f'<br><small class="cases">Flexiti: {_e(", ".join(item.flexiti_cases))}</small>'


def _matrix(report: Report, tests: list[TestResult], numbers: dict[str, int]) -> str:
    """Items × tests: which test proved, failed or only cites which item, at a glance."""
    items = [item for item in report.checklist if item.status != "not applicable"
             and any(item.id in t.checklist or item.id in t.failed_items for t in tests)]
    if not items or not tests:
        return ""
    head = "".join(f'<th title="{_e(t.name)}"><a href="#{anchor(t.nodeid)}">{numbers[t.nodeid]}</a></th>'
                   for t in tests)
    rows = []
    for item in items:
        cells = []
        for test in tests:
            state, mark = _matrix_cell(item, test)
            cells.append(f'<td class="{state}" title="{_e(item.id)} × {_e(test.name)}: {state}">{mark}</td>')
        rows.append(f'<tr><th scope="row"><a href="#item-{_e(item.id)}">{_e(item.id)}</a></th>{"".join(cells)}</tr>')
    return ('<details class="matrix-box" open><summary>Items × tests matrix (✓ proved, ✗ failed, ! harness error, '
            '· cited but not proved; column numbers are the tests below)</summary>'
            f'<table class="matrix" aria-label="Items by tests"><thead><tr><th>Item</th>{head}</tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></details>")


def _matrix_cell(item: ChecklistResult, test: TestResult) -> tuple[str, str]:
    if test.nodeid in item.failed_by:
        return "failed", "✗"
    if item.status in ("passed", "failed") and test.nodeid in item.tests:
        return "passed", "✓"
    if item.id in test.checklist:
        return ("broken", "!") if test.outcome in ("broken", "error") else ("cites", "·")
    return "none", ""


def _test_section(test: TestResult, report: Report, number: int) -> str:
    items = ", ".join(f'<a href="#item-{_e(i)}">{_e(i)}</a>' for i in test.checklist) or "—"
    reason = f'<p class="reason">{_e(test.reason)}</p>' if test.reason else ""
    fix = f'<p class="reason">Fix: {_e(test.fix)}</p>' if test.fix else ""
    label = {"not run": "not run (interrupted before its checks finished)"}.get(test.outcome, test.outcome)
    return (
        f'<section class="test" id="{anchor(test.nodeid)}" data-outcome="{_e(test.outcome)}">'
        f"<h2>{number}. {_e(test.name)}</h2>"
        f'<p class="meta">{_badge(test.outcome, label)} {test.duration:.1f} s · checklist: {items} · '
        f"<code>{_e(test.nodeid)}</code></p>"
        f"{reason}{fix}{_failure_shot(test)}{_evidence(test, report.run.widget_origin)}{_artifacts(test.artifacts)}"
        "</section>"
    )


def _failure_shot(test: TestResult) -> str:
    if not test.failure_image or test.outcome not in FAILED_OUTCOMES_HTML:
        return ""
    return (f'<figure class="failure-shot"><a class="shot i-{_e(test.failure_image)}" '
            f'href="#z-{_e(test.failure_image)}"'
            ' aria-label="enlarge the screenshot"></a><figcaption>The last screen before the failure (click to '
            "enlarge)</figcaption></figure>")


class _Timed(Protocol):
    """A piece of a test's evidence: a step, widget event, POS API call or request, at its epoch time."""

    @property
    def time(self) -> float: ...


def _evidence(test: TestResult, widget_origin: str | None) -> str:
    evidence: tuple[_Timed, ...] = (*test.steps, *test.events, *test.calls, *test.requests)
    times = [e.time for e in evidence]
    if not times:
        return ""
    start = min(times)
    cited, events = cited_calls(test), cited_events(test)
    counts = ", ".join([_count(len(test.steps), "screenshot"), _count(len(test.events), "widget event"),
                        _count(len(test.calls), "POS API call"), _count(len(test.requests), "browser request")])
    opened = " open" if test.outcome in FAILED_OUTCOMES_HTML else ""
    return (
        f'<details class="evidence"{opened}><summary>Evidence: {counts}</summary>'
        f"{_steps(test.steps)}"
        '<figure class="sequence" aria-label="Observed sequence diagram">'
        f"{sequence_svg(test, widget_origin, cited, events)}</figure>"
        f"{_events_table(test.events, start, events)}{_calls_table(test.calls, start, cited, anchor(test.nodeid))}"
        f"{_requests(test.requests, start)}"
        "</details>"
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _steps(steps: list[Step]) -> str:
    if not steps:
        return ""
    return ('<h3>Steps <span class="hint">(click a screenshot to see it at full size)</span></h3><div class="steps">'
            + "".join(map(_step, steps)) + "</div>")


def _step(step: Step) -> str:
    if step.image and not step.image.startswith("data:"):
        picture = (f'<a class="shot i-{_e(step.image)}" href="#z-{_e(step.image)}" role="img" '
                   f'aria-label="{_e(step.title)}" title="click to see it at full size"></a>')
    else:
        picture = '<div class="no-image">no screenshot</div>'
    return f"<figure>{picture}<figcaption>{_e(step.title)}</figcaption></figure>"


def _events_table(events: list[EventEvidence], start: float, cited: set[str]) -> str:
    rows = [
        (
            ' class="forged"' if not event.from_widget else
            ' class="cited" title="cited by the failure"' if event.event_type in cited else "",
            [_offset(event.time, start), _e(event.origin) + ("" if event.from_widget else " (not the widget origin)"),
             _e(event.event_type or "—"), f"<pre>{_e(_readable_json(event.data))}</pre>"],
        )
        for event in events
    ]
    return _table("Widget events", ["Time", "Origin", "Type", "Data"], rows)


def _calls_table(calls: list[CallEvidence], start: float, cited: set[int], test_anchor: str) -> str:
    return _table(
        "POS API calls",
        ["#", "Time", "Caller", "Method", "Path", "Status", "Token", "Headers", "Body", "Response"],
        [(f' class="cited" id="{test_anchor}-call-{call.seq}" title="cited by the failure"'
          if call.seq in cited else "",
          _call_cells(call, start, opened=call.seq in cited)) for call in calls],
    )


def _call_cells(call: CallEvidence, start: float, opened: bool = False) -> list[str]:
    caller_class = ' class="alarm"' if call.caller == "browser" else ""
    status_class = ' class="alarm"' if call.status >= 400 else ""
    return [
        f"#{call.seq}" if call.seq else "—",
        _offset(call.time, start),
        f"<span{caller_class}>{_e(call.caller)}</span>",
        _e(call.method),
        f"<code>{_e(call.path)}</code>",
        f"<span{status_class}>{call.status}</span>",
        f"<code>{_e(call.token or '—')}</code>",
        _json_details("headers", call.headers or None),
        _json_details("body", call.body, opened),
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
    return ('<h3>Artifacts</h3><p class="hint">Beside this report, and in the certification zip that holds the report '
            "and every trace (attach that one file to a ticket).</p><ul>" + "".join(map(_artifact, paths)) + "</ul>")


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


def _json_details(name: str, value: Any, opened: bool = False) -> str:
    if value is None:
        return "—"
    text = json.dumps(value, indent=2, ensure_ascii=False, default=str)
    return f"<details{' open' if opened else ''}><summary>{name}</summary><pre>{_e(text)}</pre></details>"


def _readable_json(value: Any) -> str:
    """One line, with a space after each separator so a narrow cell wraps between fields, not inside a word."""
    return json.dumps(value, separators=(", ", ": "), ensure_ascii=False, default=str)


def _offset(time: float, start: float) -> str:
    return f"+{time - start:.3f} s"


def _badge(status: str, label: str | None = None) -> str:
    return f'<span class="badge {_e(status.replace(" ", "-"))}">{_e(label or status_label(status))}</span>'


def _e(text: str) -> str:
    return escape(text, quote=True)

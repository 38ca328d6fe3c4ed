"""The Markdown certification report, for pasting into a ticket."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from harness.report.model import ChecklistResult, Report, TestResult, status_label

FAILED_OUTCOMES = ("failed", "broken", "error")
TEST_OUTCOMES = ("passed", "failed", "broken", "skipped", "not run")
ITEM_STATUSES = ("passed", "failed", "not run", "not applicable", "not observable")
OUTCOME_MARKERS = {"failed": "**FAILED**", "broken": "**HARNESS ERROR**", "error": "**HARNESS ERROR**"}
VERDICT_MARKS = {"ready": "✅", "not ready": "❌", "incomplete": "⚠️", "sandbox self-test": "🧪"}


def utc_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def short_test_name(nodeid: str, tests: Iterable[TestResult] = ()) -> str:
    """The test's own name when the report has it, else the last part of its node id."""
    return next((test.name for test in tests if test.nodeid == nodeid), nodeid.rsplit("::", 1)[-1])


def outcome_counts_line(report: Report) -> str:
    counts = report.counts()
    words = {"broken": "broken (harness error)"}
    return ", ".join(f"{counts.get(outcome, 0)} {words.get(outcome, outcome)}" for outcome in TEST_OUTCOMES
                     if counts.get(outcome, 0) or outcome in ("passed", "failed"))


def store_defects_line(defects: list[str]) -> str:
    """The reference store was broken on purpose: a reader must not take its failures for the harness's."""
    return f"{', '.join(defects)} (switched on deliberately: failures are expected)"


def render_markdown(report: Report) -> str:
    sections = [
        _verdict(report),
        *_findings(report),
        *_harness_errors(report),
        f"# Flexiti certification — {report.run.environment}",
        *_stopped_early(report),
        _run_table(report),
        "## Command\n\n" + _code_block(report.run.command, "sh"),
        "## Checklist\n\n" + _checklist_table(report),
        "## Failures\n\n" + _failures(report),
        *_person_cases(report),
    ]
    return "\n\n".join(sections) + "\n"


def _verdict(report: Report) -> str:
    verdict = report.verdict
    lines = [f"# {VERDICT_MARKS.get(verdict.status, '')} {verdict.title}".replace("#  ", "# "), "",
             f"**{_one_line(verdict.summary)}**"]
    if verdict.failed_items:
        lines += ["", "Failed items: " + ", ".join(f"[{i}](#{i.lower()})" for i in verdict.failed_items)]
    if verdict.reasons and verdict.status != "ready":
        lines += ["", "Why this run certifies nothing:", "", *(f"- {_one_line(r)}" for r in verdict.reasons)]
    if verdict.advisories:
        lines += ["", "Advisory (not a failure):", "", *(f"- {_one_line(a)}" for a in verdict.advisories)]
    return "\n".join(lines)


def _findings(report: Report) -> list[str]:
    failed = [item for item in report.checklist if item.status == "failed"]
    if not failed:
        return []
    blocks = []
    for item in failed:
        rule = f"[{item.rule}]({item.docs})" if item.docs else item.rule
        blocks.append("\n".join([
            f"### {item.id}", "",
            f"- **Observed:** {_one_line(observed_text(item))}",
            f"- **Required:** {_one_line(item.title)}",
            f"- **Change:** {_one_line(item.fix or 'see the rule')}",
            f"- **Rule:** {rule}",
            f"- **Evidence:** {', '.join(_code(short_test_name(n, report.tests)) for n in item.failed_by) or '—'}",
        ]))
    return ["## Failed items: what to change\n\n" + "\n\n".join(blocks)]


def observed_text(item: ChecklistResult) -> str:
    """The failing test's reason without its name in front (the Evidence line names the test)."""
    reason = item.reason or "—"
    return reason.split(": ", 1)[-1] if item.failed_by and ": " in reason else reason


def _harness_errors(report: Report) -> list[str]:
    broken = [test for test in report.tests if test.outcome in ("broken", "error")]
    if not broken:
        return []
    lines = [f"- {_code(test.name)}: {_one_line(test.reason or '—')} — **fix:** {_one_line(test.fix or '—')}"
             for test in broken]
    return ["## Harness errors (the harness, browser or machine broke; not checklist failures)\n\n"
            + "\n".join(lines)]


def _stopped_early(report: Report) -> list[str]:
    return [f"> Stopped early: {_one_line(report.run.stopped_early)}"] if report.run.stopped_early else []


def _run_table(report: Report) -> str:
    run = report.run
    rows = [
        ("Environment", run.environment),
        ("Storefront", run.store_url),
        ("Flexiti API base", run.api_base),
        ("Widget origin", run.widget_origin),
        ("Browser", run.browser),
        ("Harness version", run.harness_version),
        *([("Store defects", store_defects_line(run.store_defects))] if run.store_defects else []),
        ("Started (UTC)", utc_timestamp(run.started)),
        ("Finished (UTC)", utc_timestamp(run.finished)),
        ("Duration", f"{run.duration:.1f} s"),
        ("Tests", outcome_counts_line(report)),
    ]
    return _table(("Run", ""), [(name, value or "—") for name, value in rows])


def _checklist_table(report: Report) -> str:
    rows = [
        (item.id + (f" ({', '.join(item.flexiti_cases)})" if item.flexiti_cases else ""), _status(item), item.title,
         _test_names(item, report), " ".join(
            [item.reason or "", *(f"Not compared: {note}." for note in item.notes),
             *(f"Advisory (not a failure): {advice}." for advice in item.advisories)]).strip())
        for item in report.checklist
    ]
    counts = report.checklist_counts()
    summary = ", ".join(f"{counts.get(status, 0)} {status_label(status)}" for status in ITEM_STATUSES)
    return _table(("ID", "Status", "Item", "Proved or failed by", "Reason"), rows) + f"\n\n{summary}"


def _person_cases(report: Report) -> list[str]:
    """Flexiti's cases no browser can check, and those not automated yet: never counted as passed."""
    if not report.manual_cases and not report.not_yet_automated:
        return []
    table = _table(("Flexiti case", "What", "Who checks it", "Prepare"),
                   [(f"{c.plan} {c.case}", c.title, c.who, c.prepare) for c in report.manual_cases])
    pending = "".join(f"\n- {_one_line(case)}" for case in report.not_yet_automated)
    return ["## Checked by a person (never counted as passed)\n\n" + table
            + (f"\n\nNot automated yet (Flexiti will check them):\n{pending}" if pending else "")]


def _status(item: ChecklistResult) -> str:
    return "**failed**" if item.status == "failed" else status_label(item.status)


def _test_names(item: ChecklistResult, report: Report) -> str:
    shown = item.failed_by if item.status == "failed" else item.tests if item.status == "passed" else []
    return ", ".join(short_test_name(nodeid, report.tests) for nodeid in shown)


def _failures(report: Report) -> str:
    failed = [test for test in report.tests if test.outcome in FAILED_OUTCOMES]
    return "\n\n".join(map(_failure, failed)) if failed else "No failed or broken tests."


def _failure(test: TestResult) -> str:
    lines = [
        f"### {OUTCOME_MARKERS[test.outcome]} {_code(test.name)}",
        "",
        f"- Test: {_code(test.nodeid)}",
        f"- Reason: {_one_line(test.reason) if test.reason else '—'}",
        *([f"- Fix: {_one_line(test.fix)}"] if test.fix else []),
        f"- Checklist: {', '.join(test.checklist) or '—'}",
        f"- Artifacts: {', '.join(map(_code, test.artifacts)) or '—'}",
    ]
    return "\n".join(lines)


def _table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> str:
    lines = [_row(header), "|" + "---|" * len(header)]
    lines += [_row(row) for row in rows]
    return "\n".join(lines)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(_one_line(cell).replace("|", "\\|") for cell in cells) + " |"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _code(text: str) -> str:
    """An inline code span that survives backticks inside the text."""
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    padding = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{padding}{text}{padding}{fence}"


def _code_block(text: str, language: str) -> str:
    fence = "`" * max(3, max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence}{language}\n{text}\n{fence}"

"""The Markdown certification report, for pasting into a ticket."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from harness.report.model import ChecklistResult, Report, TestResult, status_label

FAILED_OUTCOMES = ("failed", "error")
TEST_OUTCOMES = ("passed", "failed", "error", "skipped")
ITEM_STATUSES = ("passed", "failed", "not run", "not applicable", "not observable")
OUTCOME_MARKERS = {"failed": "**FAILED**", "error": "**ERROR**"}


def utc_timestamp(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def short_test_name(nodeid: str, tests: Iterable[TestResult] = ()) -> str:
    """The test's own name when the report has it, else the last part of its node id."""
    return next((test.name for test in tests if test.nodeid == nodeid), nodeid.rsplit("::", 1)[-1])


def outcome_counts_line(report: Report) -> str:
    counts = report.counts()
    words = {"error": "errored"}
    return ", ".join(f"{counts.get(outcome, 0)} {words.get(outcome, outcome)}" for outcome in TEST_OUTCOMES)


def store_defects_line(defects: list[str]) -> str:
    """The reference store was broken on purpose: a reader must not take its failures for the harness's."""
    return f"{', '.join(defects)} (switched on deliberately: failures are expected)"


def render_markdown(report: Report) -> str:
    sections = [
        f"# Flexiti certification — {report.run.environment}",
        *_stopped_early(report),
        _run_table(report),
        "## Command\n\n" + _code_block(report.run.command, "sh"),
        "## Checklist\n\n" + _checklist_table(report),
        "## Failures\n\n" + _failures(report),
    ]
    return "\n\n".join(sections) + "\n"


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
        (item.id, _status(item), item.title, _test_names(item, report), item.reason or "")
        for item in report.checklist
    ]
    counts = report.checklist_counts()
    summary = ", ".join(f"{counts.get(status, 0)} {status_label(status)}" for status in ITEM_STATUSES)
    return _table(("ID", "Status", "Item", "Tests", "Reason"), rows) + f"\n\n{summary}"


def _status(item: ChecklistResult) -> str:
    return f"**FAILED** {item.status}" if item.status == "failed" else status_label(item.status)


def _test_names(item: ChecklistResult, report: Report) -> str:
    return ", ".join(short_test_name(nodeid, report.tests) for nodeid in item.tests)


def _failures(report: Report) -> str:
    failed = [test for test in report.tests if test.outcome in FAILED_OUTCOMES]
    return "\n\n".join(map(_failure, failed)) if failed else "No failed or errored tests."


def _failure(test: TestResult) -> str:
    lines = [
        f"### {OUTCOME_MARKERS[test.outcome]} {_code(test.name)}",
        "",
        f"- Test: {_code(test.nodeid)}",
        f"- Reason: {_one_line(test.reason) if test.reason else '—'}",
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

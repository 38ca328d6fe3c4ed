"""Turns pytest's reports and each test's observers into the certification report's model."""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness import __version__
from harness.checklist import ChecklistItem
from harness.evidence import StepLog
from harness.journal import Call, Journal, JournalError
from harness.network import RequestLog
from harness.proof import NOT_APPLICABLE, NOT_OBSERVABLE, Proof
from harness.report.model import (
    CallEvidence, ChecklistResult, EventEvidence, ItemStatus, Report, RequestEvidence, RunInfo, Step, TestResult,
    test_result_from_json,
)
from harness.settings import SECRET_NAMES, SETTINGS, printable_endpoint
from harness.widget_events import EventLog

_PAGE_TRAFFIC = {"document", "fetch", "xhr"}
# Secrets by name, and values that derive secrets: a reproducing command is pasted into tickets and CI logs.
_NEVER_IN_COMMAND = SECRET_NAMES | {"SANDBOX_TOKEN_SEED"}


def one_line(text: str, limit: int = 300) -> str:
    """The first meaningful line of an error message, shortened. A line ending in ":" introduces a list, and
    says nothing on its own ("widget events break the documented contract:"), so the first entry joins it."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    if not lines:
        return ""
    line = f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return line if len(line) <= limit else line[: limit - 1] + "…"


def reproducing_command(args: list[str], environ: Mapping[str, str]) -> str:
    """The command that reruns this run. Settings taken from the process environment go in front of it, since
    they choose what is tested (a store defect, the storefront); secrets, and values whose printing would mask
    a credential (user info or a query in a URL), are left out for the person rerunning it to supply."""
    assignments = [
        f"{name}={shlex.quote(environ[name])}" for name in SETTINGS
        if environ.get(name) and name not in _NEVER_IN_COMMAND and printable_endpoint(environ[name]) == environ[name]
    ]
    return " ".join([*assignments, *(shlex.quote(part) for part in ["python", "-m", "pytest", *args])])


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _epoch(iso: str) -> float:
    try:
        return datetime.fromisoformat(iso).timestamp()
    except ValueError:
        return 0.0


class RunRecorder:
    """Collects outcomes and evidence during a run, and builds the Report at the end."""

    def __init__(self, environment: str, command: list[str], catalog: dict[str, ChecklistItem],
                 environ: Mapping[str, str] | None = None) -> None:
        self.environment = environment
        self.command = reproducing_command(command, environ or {})
        self.catalog = catalog
        self.started = time.time()
        self.collected = 0
        self.results: dict[str, TestResult] = {}
        self.store_url: str | None = None
        self.api_base: str | None = None
        self.widget_origin: str | None = None
        self.browser: str | None = None
        self.stopped_early: str | None = None
        self.store_defects: list[str] = []
        self.reports_dir = Path("reports")

    # -- outcomes -------------------------------------------------------------------------------
    def record(self, item: pytest.Item, report: pytest.TestReport, checklist: list[str]) -> None:
        result = self.results.get(item.nodeid)
        if result is None:
            result = TestResult(item.nodeid, item.name, "passed", 0.0, checklist)
            self.results[item.nodeid] = result
        result.duration += report.duration
        if report.skipped and result.outcome == "passed":
            result.outcome = "skipped"
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            # pytest names a skip's subclass before its message: the reason is the message.
            for prefix in ("Skipped: ", "harness.proof.NotApplicable: ", "harness.proof.NotObservable: "):
                reason = reason.removeprefix(prefix)
            result.reason = one_line(reason)
        elif report.failed:
            failed_in_call = report.when == "call"
            why = one_line(_failure_text(report))
            if not failed_in_call:
                why = f"{report.when} error: {why}"
            if result.outcome not in ("failed", "error"):
                result.outcome = "failed" if failed_in_call else "error"
                result.reason = why

    # -- evidence -------------------------------------------------------------------------------
    def attach_proof(self, item: pytest.Item) -> None:
        result = self.results.get(item.nodeid)
        proof = getattr(item, "funcargs", {}).get("proof")
        if result is not None and isinstance(proof, Proof):
            result.failed_items = dict(proof.failed)
            result.proved_items = sorted(proof.proved)
            result.unobservable_items = dict(proof.unobservable)

    def attach_calls(self, item: pytest.Item) -> None:
        """Read the journal right after the test body: the last test's teardown stops the sandbox."""
        result = self.results.get(item.nodeid)
        funcargs = getattr(item, "funcargs", {})
        target = funcargs.get("target")
        if result is None or target is None or not target.journal_url:
            return
        journal = funcargs.get("flexiti_journal")
        try:
            result.calls = [self._call(call) for call in
                            (journal if isinstance(journal, Journal) else Journal(target.journal_url)).calls()]
        except JournalError as error:
            result.reason = result.reason or one_line(str(error))

    def attach_evidence(self, item: pytest.Item) -> None:
        """Called once the test's fixtures are torn down: its observers still hold what they saw."""
        result = self.results.get(item.nodeid)
        funcargs: dict[str, Any] = getattr(item, "funcargs", {})
        if result is None:
            return
        target = funcargs.get("target")
        if target is not None:
            self.store_url, self.api_base, self.widget_origin = target.store_url, target.api_base, target.widget_origin
        browser = funcargs.get("browser")
        if browser is not None and self.browser is None:
            self.browser = f"{browser.browser_type.name} {browser.version}"
        steps = funcargs.get("step_log")
        if isinstance(steps, StepLog):
            result.steps = [Step(s.title, s.time, s.image) for s in steps.steps]
        events = funcargs.get("widget_events")
        if isinstance(events, EventLog):
            result.events = [
                EventEvidence(e.time, e.origin, e.event_type, e.data, e.origin == events.widget_origin)
                for e in events.widget_events()
            ]
        requests = funcargs.get("browser_requests")
        if isinstance(requests, RequestLog):
            result.requests = [
                RequestEvidence(r.time, r.method, r.url, r.resource_type, self._frame_of(r.frame_url))
                for r in requests.requests if r.resource_type in _PAGE_TRAFFIC
            ]
        output = funcargs.get("output_path")
        if output and Path(output).is_dir():
            result.artifacts = sorted(
                str(path.relative_to(self.reports_dir.resolve())) if path.is_relative_to(self.reports_dir.resolve())
                else str(path)
                for path in Path(output).resolve().rglob("*") if path.is_file()
            )

    def _frame_of(self, frame_url: str) -> Any:
        origin = _origin(frame_url)
        if self.store_url and origin == _origin(self.store_url):
            return "page"
        if self.widget_origin and origin == self.widget_origin:
            return "widget"
        return "other"

    @staticmethod
    def _call(call: Call) -> CallEvidence:
        caller = "widget" if call.path.startswith("/widget-api/") else "browser" if call.from_browser else "merchant server"
        return CallEvidence(_epoch(call.time), call.method, call.path, call.status, caller, call.token, call.body,
                            call.response)

    # -- the report -----------------------------------------------------------------------------
    def checklist(self) -> list[ChecklistResult]:
        found = []
        for item in self.catalog.values():
            citing = [r for r in self.results.values()
                      if item.id in r.checklist or item.id in r.failed_items or item.id in r.proved_items
                      or item.id in r.unobservable_items]
            found.append(self._item_result(item, citing))
        return found

    @staticmethod
    def _fails(result: TestResult, item_id: str) -> bool:
        """Did this test fail this item? Its own verdicts say so; a failure it did not attribute (an error, a
        broken step outside any block) counts against every item it cites and had not yet proved."""
        if item_id in result.failed_items:
            return True
        unattributed = result.outcome == "error" or (result.outcome == "failed" and not result.failed_items)
        return unattributed and item_id in result.checklist and item_id not in result.proved_items

    @staticmethod
    def _proves(result: TestResult, item_id: str) -> bool:
        return item_id in result.proved_items or (
            result.outcome == "passed" and item_id in result.checklist and item_id not in result.unobservable_items)

    def _item_result(self, item: ChecklistItem, citing: list[TestResult]) -> ChecklistResult:
        ran = [r for r in citing if r.outcome != "skipped"]
        names = [r.nodeid for r in citing]
        status: ItemStatus
        if self.environment not in item.environments:
            return ChecklistResult(item.id, item.title, item.rule, "not applicable", names,
                                   f"does not apply to {self.environment}")
        failing = [r for r in ran if self._fails(r, item.id)]
        if failing:
            first = failing[0]
            status, reason = "failed", f"{first.name}: {first.failed_items.get(item.id, first.reason)}"
        elif any(self._proves(r, item.id) for r in ran):
            status, reason = "passed", None
        elif citing and all((r.reason or "").startswith(NOT_APPLICABLE) for r in citing):
            status, reason = "not applicable", citing[0].reason  # the storefront does not offer it
        elif citing and all(item.id in r.unobservable_items or (r.reason or "").startswith(NOT_OBSERVABLE)
                            for r in citing):
            status = "not observable"
            reason = next((r.unobservable_items.get(item.id) or r.reason for r in citing), None)
        else:
            status = "not run"
            reason = citing[0].reason if citing and citing[0].reason else "no test reached its checks"
        return ChecklistResult(item.id, item.title, item.rule, status, names, reason)

    # -- parallel runs: each worker hands its part to the controller -------------------------------
    def dump_part(self, path: Path) -> None:
        part = {
            "collected": self.collected, "results": [asdict(r) for r in self.results.values()],
            "store_url": self.store_url, "api_base": self.api_base, "widget_origin": self.widget_origin,
            "browser": self.browser,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(part, default=str), encoding="utf-8")

    def merge_parts(self, directory: Path) -> None:
        for path in sorted(directory.glob("*.json")):
            part = json.loads(path.read_text(encoding="utf-8"))
            self.collected = max(self.collected, part["collected"])
            for raw in part["results"]:
                self.results[raw["nodeid"]] = test_result_from_json(raw)
            for name in ("store_url", "api_base", "widget_origin", "browser"):
                setattr(self, name, getattr(self, name) or part[name])
            path.unlink()

    def artifact_paths(self) -> list[Path]:
        return [self.reports_dir / artifact for result in self.results.values() for artifact in result.artifacts]

    def build(self) -> Report:
        finished = time.time()
        if self.stopped_early is None and self.collected and len(self.results) < self.collected:
            self.stopped_early = f"stopped after {len(self.results)} of {self.collected} tests"
        run = RunInfo(
            environment=self.environment, store_url=self.store_url, api_base=self.api_base,
            widget_origin=self.widget_origin, browser=self.browser, harness_version=__version__,
            command=self.command, started=self.started, finished=finished, stopped_early=self.stopped_early,
            store_defects=list(self.store_defects),
        )
        order = {"failed": 0, "error": 0, "skipped": 2, "passed": 1}
        tests = sorted(self.results.values(), key=lambda r: order.get(r.outcome, 3))
        return Report(run=run, checklist=self.checklist(), tests=tests)


def _failure_text(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return str(crash.message).removeprefix("Failed: ").removeprefix("AssertionError: ")
    return str(longrepr)

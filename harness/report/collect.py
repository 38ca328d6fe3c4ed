"""Turns pytest's reports and each test's observers into the certification report's model."""

from __future__ import annotations

import json
import re
import shlex
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from harness import __version__
from harness.checklist import ChecklistItem, load_cases
from harness.evidence import StepLog
from harness.journal import Call, Journal, JournalError
from harness.network import RequestLog
from harness.proof import NOT_APPLICABLE, NOT_OBSERVABLE, ChecklistFailure, Proof
from harness.report.broken import fix_for, is_harness_error
from harness.report.model import (
    Caller,
    CallEvidence,
    ChecklistResult,
    EventEvidence,
    ItemStatus,
    PersonCase,
    Report,
    RequestEvidence,
    RunInfo,
    Step,
    TestResult,
    Verdict,
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


_EXCEPTION_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?(?:ChecklistFailure|AssertionError|Failed):\s*")
_DECIMAL = re.compile(r"Decimal\('([^']*)'\)")
_COMPARISON = re.compile(r"^assert (.+?) (==|!=|<=|>=|<|>|is not|is|not in|in) (.+)$")
# Conversions that make a test's source line hard to read, and say nothing about what was compared.
_SOURCE_NOISE = re.compile(r"Decimal\(str\(([^()]*(?:\([^()]*\))?[^()]*)\)\)")
_WORDS = {"==": "equal", "!=": "differ from", "<=": "be at most", ">=": "be at least", "<": "be below",
          ">": "be above", "is": "be", "is not": "not be", "in": "be among", "not in": "not be among"}


def explain(reason: str, where: str | None = None) -> str:
    """A reason in words: without the exception's class, and a bare rewritten `assert a == b` (a check with no
    message of its own) turned into what was observed against what the check requires. `where` is the test's
    line ("e2e/t.py:12: assert sku['gst_hst'] == shown['hst']"): its two sides name what was compared."""
    text = _EXCEPTION_PREFIX.sub("", reason.strip())
    if not text.startswith("assert "):
        return text
    plain = _DECIMAL.sub(r"\1", text)
    found = _COMPARISON.match(plain)
    if not found:
        return f"a check did not hold: {plain.removeprefix('assert ')}"
    observed, operator, required = (part.strip() for part in found.groups())
    observed = observed.removeprefix("(").removesuffix(")") if observed.count("(") == 1 else observed
    source = _COMPARISON.match(_SOURCE_NOISE.sub(r"\1", where.split(": ", 1)[-1])) if where else None
    if source and source.group(2) == operator:
        return (f"{source.group(1).strip()} was {observed}, where the check requires it to {_WORDS[operator]} "
                f"{source.group(3).strip()} ({required})")
    return f"observed {observed}, where the check requires it to {_WORDS[operator]} {required}"


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
        self.single_browser: str | None = None  # the one browser the run used, left out of test names
        self.images: dict[str, str] = {}

    # -- outcomes -------------------------------------------------------------------------------
    def record(self, item: pytest.Item, report: pytest.TestReport, checklist: list[str],
               error: BaseException | None = None) -> None:
        """A result starts as "not run": only a finished test body makes it passed (an interrupted test, whose
        call phase never reports, stays not run and proves nothing)."""
        result = self.results.get(item.nodeid)
        if result is None:
            result = TestResult(item.nodeid, self.display_name(item.name), "not run", 0.0, checklist)
            self.results[item.nodeid] = result
        result.duration += report.duration
        if report.skipped and result.outcome in ("not run", "passed"):
            result.outcome = "skipped"
            longrepr = report.longrepr
            reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
            # pytest names a skip's subclass before its message: the reason is the message.
            for prefix in ("Skipped: ", "harness.proof.NotApplicable: ", "harness.proof.NotObservable: "):
                reason = reason.removeprefix(prefix)
            result.reason = one_line(reason)
        elif report.failed:
            if result.outcome in ("failed", "broken"):
                return  # the first failure is the one to fix; teardown errors after it follow from it
            why = explain(one_line(_failure_text(report)))
            if _is_broken(report.when, error):
                result.outcome = "broken"
                result.reason = why if report.when == "call" else f"{report.when} error: {why}"
                result.fix = fix_for(_full_text(report), self.single_browser)
            else:
                result.outcome = "failed"
                result.reason = why
        elif report.when == "call" and report.passed and result.outcome == "not run":
            result.outcome = "passed"

    def display_name(self, name: str) -> str:
        """A test's name without the browser parameter when only one browser ran: `[chromium]` on every test
        says nothing, `[chromium-approved]` becomes `[approved]`."""
        if not self.single_browser:
            return name
        browser = re.escape(self.single_browser)
        return re.sub(rf"\[{browser}\]$", "", re.sub(rf"\[{browser}-", "[", name))

    # -- evidence -------------------------------------------------------------------------------
    def attach_proof(self, item: pytest.Item) -> None:
        result = self.results.get(item.nodeid)
        proof = getattr(item, "funcargs", {}).get("proof")
        if result is not None and isinstance(proof, Proof):
            result.failed_items = {item: explain(reason, proof.where.get(item))
                                   for item, reason in proof.failed.items()}
            result.proved_items = sorted(proof.proved - set(proof.failed))
            if result.outcome == "failed" and result.failed_items:
                result.reason = "; ".join(f"[{item}] {why}" for item, why in result.failed_items.items())
            result.unobservable_items = dict(proof.unobservable)
            result.inapplicable_items = dict(proof.inapplicable)
            result.advisories = {item: list(advice) for item, advice in proof.advisories.items()}

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
                            (journal if isinstance(journal, Journal)
                             else Journal(target.journal_url, getattr(target, "journal_token", None))).calls()]
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
        caller: Caller = (
            "widget" if call.path.startswith("/widget-api/") else "browser" if call.from_browser else "merchant server")
        return CallEvidence(_epoch(call.time), call.method, call.path, call.status, caller, call.token, call.body,
                            call.response, seq=call.seq, headers=dict(call.headers))

    # -- the report -----------------------------------------------------------------------------
    def checklist(self) -> list[ChecklistResult]:
        found = []
        for item in self.catalog.values():
            citing = [r for r in self.results.values()
                      if item.id in r.checklist or item.id in r.failed_items or item.id in r.proved_items
                      or item.id in r.unobservable_items or item.id in r.inapplicable_items]
            result = self._item_result(item, citing)
            if result.status in ("passed", "failed"):
                result.notes = _unique(r.inapplicable_items[item.id] for r in citing
                                       if item.id in r.inapplicable_items and r.outcome in ("passed", "failed"))
            result.advisories = _unique(advice for r in citing if r.outcome in ("passed", "failed")
                                        for advice in r.advisories.get(item.id, []))
            result.requires = list(item.requires)
            result.flexiti_cases = [f"{case.plan} {case.case}" for case in item.flexiti_cases]
            found.append(result)
        return found

    @staticmethod
    def _fails(result: TestResult, item_id: str) -> bool:
        """Did this test fail this item? Its own verdicts say so; a failure it did not attribute (an error, a
        broken step outside any block) counts against every item it cites and had not yet proved."""
        if item_id in result.failed_items:
            return True
        unattributed = result.outcome == "failed" and not result.failed_items
        return unattributed and item_id in result.checklist and item_id not in result.proved_items

    @staticmethod
    def _proves(result: TestResult, item_id: str) -> bool:
        """Only a body that finished its checks proves: a passed test, or a failed one's blocks that held. A broken
        or interrupted test proves nothing, whatever blocks it got through."""
        if item_id in result.failed_items:
            return False
        return (result.outcome == "failed" and item_id in result.proved_items) or (
            result.outcome == "passed" and (item_id in result.proved_items or (
                item_id in result.checklist and item_id not in result.unobservable_items
                and item_id not in result.inapplicable_items)))

    def _item_result(self, item: ChecklistItem, citing: list[TestResult]) -> ChecklistResult:
        ran = [r for r in citing if r.outcome != "skipped"]
        names = [r.nodeid for r in citing]
        status: ItemStatus
        if self.environment not in item.environments:
            return ChecklistResult(item.id, item.title, item.rule, "not applicable", names,
                                   f"does not apply to {self.environment}")
        failing = [r for r in ran if self._fails(r, item.id)]
        proving = [r for r in ran if self._proves(r, item.id)]
        if failing:
            first = failing[0]
            return ChecklistResult(item.id, item.title, item.rule, "failed", [r.nodeid for r in proving],
                                   f"{first.name}: {first.failed_items.get(item.id, first.reason)}",
                                   docs=item.docs, fix=item.fix, failed_by=[r.nodeid for r in failing])
        if proving:
            return ChecklistResult(item.id, item.title, item.rule, "passed", [r.nodeid for r in proving], None,
                                   docs=item.docs)
        if citing and all((r.reason or "").startswith(NOT_APPLICABLE) or item.id in r.inapplicable_items
                          for r in citing):
            # the storefront does not offer it (e.g. no credit applications), or its documented choice leaves it
            # nothing to check (e.g. no sku_data sent)
            reason = next((r.inapplicable_items.get(item.id) or r.reason for r in citing), None)
            return ChecklistResult(item.id, item.title, item.rule, "not applicable", names, reason, docs=item.docs)
        if citing and all(item.id in r.unobservable_items or (r.reason or "").startswith(NOT_OBSERVABLE)
                          for r in citing):
            status = "not observable"
            reason = next((r.unobservable_items.get(item.id) or r.reason for r in citing), None)
        else:
            status = "not run"
            broken = next((r for r in citing if r.outcome == "broken"), None)
            if broken is not None:
                reason = f"harness error in {broken.name}: {broken.reason}"
            elif any(r.outcome == "not run" for r in citing):
                reason = "its test was interrupted before it finished its checks"
            elif citing and citing[0].reason:
                reason = citing[0].reason
            elif citing:
                reason = "no test reached its checks"
            elif self.stopped_early:
                reason = "the run ended before any test citing it ran"
            else:
                reason = "no test citing it was selected in this run"
        return ChecklistResult(item.id, item.title, item.rule, status, names, reason, docs=item.docs)

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
        order = {"failed": 0, "error": 0, "broken": 1, "not run": 2, "passed": 3, "skipped": 4}
        tests = sorted(self.results.values(), key=lambda r: order.get(r.outcome, 5))
        checklist = self.checklist()
        cases = load_cases()
        report = Report(run=run, checklist=checklist, tests=tests, verdict=decide(run, checklist, tests),
                        images=self.images,
                        manual_cases=[PersonCase(c.plan, c.case, c.title, c.who, c.prepare) for c in cases.manual],
                        not_yet_automated=[f"{c.plan} {c.case}: {c.title} ({c.why})"
                                           for c in cases.not_yet_automated]).intern_images()
        if report.verdict.status in ("ready", "not ready") and report.manual_cases:
            report.verdict.summary += (f" Flexiti still checks {_count(len(report.manual_cases), 'case')} of its test "
                                       "plans by hand (listed under \"Checked by a person\").")
        return report


# Flexiti: "Login As Merchant" is deprecated since release 20.3; a store that still calls it is outdated, not wrong.
DEPRECATED_LOGIN = re.compile(r"/client-id/[^/]+/merchants/login/?$")


def _unique(texts: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def advisories(tests: list[TestResult], checklist: Sequence[ChecklistResult]) -> list[str]:
    """Advice that is no checklist failure: good practice beyond Flexiti's requirements that the store did not
    follow (each with its item), and the deprecated merchants/login with the calls that show it."""
    return [*(f"{item.id}: {advice}" for item in checklist for advice in item.advisories), *_deprecated_login(tests)]


def _deprecated_login(tests: list[TestResult]) -> list[str]:
    logins = sorted({f"#{call.seq}" for test in tests for call in test.calls
                     if call.caller == "merchant server" and DEPRECATED_LOGIN.search(call.path)})
    if not logins:
        return []
    return [f"The store still calls the deprecated Login As Merchant endpoint (POST /client-id/{{client_id}}/merchants/"
            f"login; journal call {', '.join(logins)}). Flexiti deprecated it in release 20.3: it is not wrong, just "
            "outdated; the access token from /oauth/token is all the widget flow needs, so remove the call."]


def decide(run: RunInfo, checklist: list[ChecklistResult], tests: list[TestResult]) -> Verdict:
    """The verdict: ready only when every applicable item passed in a whole run against a real environment."""
    verdict = _decide(run, checklist, tests)
    verdict.advisories = advisories(tests, checklist)
    return verdict


def _decide(run: RunInfo, checklist: list[ChecklistResult], tests: list[TestResult]) -> Verdict:
    failed = [item.id for item in checklist if item.status == "failed"]
    broken = [test.nodeid for test in tests if test.outcome == "broken"]
    applicable = [item for item in checklist if item.status != "not applicable"]
    reasons = []
    if run.stopped_early:
        reasons.append(f"the run {run.stopped_early}" if not run.stopped_early.startswith("interrupted")
                       else "the run was interrupted (Ctrl-C) before every test finished")
    if broken:
        reasons.append(f"{_count(len(broken), 'test')} broken by a harness error (see Harness errors)")
    interrupted = [test for test in tests if test.outcome == "not run"]
    if interrupted and not run.stopped_early:
        reasons.append(f"{_count(len(interrupted), 'test')} never finished")
    not_run = [item.id for item in applicable if item.status == "not run"]
    if not_run:
        reasons.append(f"{_count(len(not_run), 'item')} not run ({' '.join(not_run)}): a partial run certifies nothing")
    unseen = [item.id for item in applicable if item.status == "not observable"]
    if unseen:
        reasons.append(f"{_count(len(unseen), 'item')} not observable in this environment ({' '.join(unseen)})")
    if run.environment == "sandbox":
        if failed:
            outcome = f"the harness failed {_count(len(failed), 'item')} ({', '.join(failed)})"
            if run.store_defects:
                outcome += f" of the reference store, broken on purpose ({', '.join(run.store_defects)})"
        elif reasons:
            outcome = "the self-test is incomplete"
        else:
            outcome = f"all {_count(len(applicable), 'applicable item')} passed"
        return Verdict("sandbox self-test", f"Embedded sandbox: {outcome}. This proves the harness and certifies no "
                       "merchant.", reasons, failed, broken)
    if failed:
        return Verdict("not ready", f"{_count(len(failed), 'checklist item')} failed: fix "
                       f"{'it' if len(failed) == 1 else 'them'} and run the whole suite again.",
                       reasons, failed, broken)
    if reasons or not applicable:
        return Verdict("incomplete", "Nothing failed, but this run certifies nothing" + (
            "." if reasons else ": no item applies."), reasons, failed, broken)
    return Verdict("ready", f"Every applicable item ({len(applicable)}) passed in a whole run against "
                   f"{run.environment}.", reasons, failed, broken)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def _is_broken(when: str, error: BaseException | None) -> bool:
    """A failure the store did not cause: a harness, browser, machine or profile error (by its class, or a
    Playwright launch error), or a fixture that could not set up. Anything else a test body or its teardown
    raised stays a failure: a store that never reaches its order page raises LookupError, not an assertion."""
    if isinstance(error, ChecklistFailure):
        return False
    if is_harness_error(error):
        return True
    return when == "setup" and not isinstance(error, (AssertionError, pytest.fail.Exception))


def _full_text(report: pytest.TestReport) -> str:
    return str(report.longrepr)


def _failure_text(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    crash = getattr(longrepr, "reprcrash", None)
    if crash is not None and getattr(crash, "message", None):
        return _EXCEPTION_PREFIX.sub("", str(crash.message))
    return str(longrepr)

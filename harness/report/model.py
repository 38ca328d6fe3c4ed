"""The certification report's data model. `Report.to_json()` is the documented JSON schema (version 1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

SCHEMA_VERSION = 1

ItemStatus = Literal["passed", "failed", "not run", "not applicable", "not observable"]
# How a status reads to a person. "not observable" alone sounds like a property of the integration; the full
# phrase says the gap is this environment's (no journal, no proxy). The JSON keeps the short value.
STATUS_LABELS = {"not observable": "not observable in this environment"}


def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)
TestOutcome = Literal["passed", "failed", "error", "skipped"]


@dataclass
class Step:
    """A screenshot taken when the shopper arrived at a store page or widget screen."""

    title: str
    time: float  # epoch seconds
    image: str | None  # data: URI (JPEG), or None when screenshots were off or failed


@dataclass
class EventEvidence:
    """A postMessage delivered to the merchant page (already masked)."""

    time: float
    origin: str
    event_type: str | None
    data: Any
    from_widget: bool  # came from the environment's widget origin


@dataclass
class CallEvidence:
    """A POS API call Flexiti received (from the journal or the recording proxy; already masked)."""

    time: float
    method: str
    path: str
    status: int
    caller: Literal["merchant server", "browser", "widget"]
    token: str | None  # masked fingerprint
    body: Any
    response: Any


@dataclass
class RequestEvidence:
    """A request the browser made to the storefront (documents and API calls; assets left out)."""

    time: float
    method: str
    url: str
    resource_type: str
    frame: Literal["page", "widget", "other"]


@dataclass
class TestResult:
    __test__ = False  # a result of a test, not a test class for pytest to collect

    nodeid: str
    name: str
    outcome: TestOutcome
    duration: float
    checklist: list[str]
    reason: str | None = None  # one line: why it failed or was skipped
    steps: list[Step] = field(default_factory=list)
    events: list[EventEvidence] = field(default_factory=list)
    calls: list[CallEvidence] = field(default_factory=list)
    requests: list[RequestEvidence] = field(default_factory=list)
    artifacts: list[str] = field(default_factory=list)  # paths relative to the report: trace.zip, screenshots, video
    failed_items: dict[str, str] = field(default_factory=dict)  # checklist item -> why, where the test said which
    proved_items: list[str] = field(default_factory=list)  # items whose assertion blocks passed, even if others failed
    unobservable_items: dict[str, str] = field(default_factory=dict)  # item -> the missing source (never a pass)


@dataclass
class ChecklistResult:
    id: str
    title: str
    rule: str
    status: ItemStatus
    tests: list[str]  # nodeids of the tests that cite the item and ran
    reason: str | None = None  # for failed: the first failing test's reason; otherwise why it has this status


@dataclass
class RunInfo:
    environment: str
    store_url: str | None
    api_base: str | None
    widget_origin: str | None
    browser: str | None  # name and version
    harness_version: str
    command: str  # reproduces the run
    started: float
    finished: float
    stopped_early: str | None = None  # why the run ended before all tests ran (Ctrl-C, start-up failure)
    store_defects: list[str] = field(default_factory=list)  # the reference store's defects switched on (sandbox)

    @property
    def duration(self) -> float:
        return max(0.0, self.finished - self.started)


@dataclass
class Report:
    run: RunInfo
    checklist: list[ChecklistResult]
    tests: list[TestResult]

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for test in self.tests:
            found[test.outcome] = found.get(test.outcome, 0) + 1
        return found

    def checklist_counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for item in self.checklist:
            found[item.status] = found.get(item.status, 0) + 1
        return found

    def to_json(self) -> dict[str, Any]:
        run = asdict(self.run)
        run["duration"] = self.run.duration
        return {
            "schema_version": SCHEMA_VERSION,
            "run": run,
            "summary": {"tests": self.counts(), "checklist": self.checklist_counts()},
            "checklist": [asdict(item) for item in self.checklist],
            "tests": [asdict(test) for test in self.tests],
        }


def test_result_from_json(raw: dict[str, Any]) -> TestResult:
    """The inverse of asdict() for one TestResult (parallel workers hand their results over as JSON)."""
    return TestResult(
        **{k: v for k, v in raw.items() if k not in ("steps", "events", "calls", "requests")},
        steps=[Step(**step) for step in raw.get("steps", [])],
        events=[EventEvidence(**event) for event in raw.get("events", [])],
        calls=[CallEvidence(**call) for call in raw.get("calls", [])],
        requests=[RequestEvidence(**request) for request in raw.get("requests", [])],
    )

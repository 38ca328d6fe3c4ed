"""The certification report's data model. `Report.to_json()` is the documented JSON schema (version 1)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

# 2: the verdict, harness errors ("broken"), numbered calls with request headers, images stored once.
SCHEMA_VERSION = 2

ItemStatus = Literal["passed", "failed", "not run", "not applicable", "not observable"]
# How a status reads to a person. "not observable" alone sounds like a property of the integration; the full
# phrase says the gap is this environment's (no journal, no proxy). The JSON keeps the short value.
STATUS_LABELS = {"not observable": "not observable in this environment"}




def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


# "not run": the test never finished its body (interrupted, or still set up when the run ended).
# "broken": the harness, the browser, the machine or a profile failed; it says nothing about the store.
# "error" is kept for reports written by older versions; this one writes "broken" instead.
TestOutcome = Literal["passed", "failed", "broken", "skipped", "not run", "error"]
VerdictStatus = Literal["ready", "not ready", "incomplete", "sandbox self-test"]
VERDICT_TITLES = {"ready": "Ready for Flexiti UAT", "not ready": "Not ready", "incomplete": "Incomplete",
                  "sandbox self-test": "Sandbox self-test"}


@dataclass
class Step:
    """A screenshot taken when the shopper arrived at a store page or widget screen."""

    title: str
    time: float  # epoch seconds
    image: str | None  # data: URI (JPEG) while running; in the written report, a key of Report.images


@dataclass
class EventEvidence:
    """A postMessage delivered to the merchant page (already masked)."""

    time: float
    origin: str
    event_type: str | None
    data: Any
    from_widget: bool  # came from the environment's widget origin


Caller = Literal["merchant server", "browser", "widget"]  # who made a POS API call


@dataclass
class CallEvidence:
    """A POS API call Flexiti received (from the journal or the recording proxy; already masked)."""

    time: float
    method: str
    path: str
    status: int
    caller: Caller
    token: str | None  # masked fingerprint
    body: Any
    response: Any
    seq: int = 0  # the journal's number for the call, as reasons cite it ("#6")
    headers: dict[str, str] = field(default_factory=dict)  # request headers, masked as the body is


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
    # item -> the documented choice that left part of it nothing to check (e.g. sku_data not sent)
    inapplicable_items: dict[str, str] = field(default_factory=dict)
    advisories: dict[str, list[str]] = field(default_factory=dict)  # item -> good practice not followed
    fix: str | None = None  # for a broken test: how to repair the harness, browser or machine
    failure_image: str | None = None  # the screenshot taken when it failed (a key of Report.images)


@dataclass
class ChecklistResult:
    id: str
    title: str
    rule: str
    status: ItemStatus
    tests: list[str]  # nodeids of the tests that proved the item (passed), failed it (failed), or cite it
    reason: str | None = None  # for failed: the first failing test's reason; otherwise why it has this status
    docs: str | None = None  # the Flexiti documentation page the rule comes from
    fix: str | None = None  # for failed: what the merchant changes
    failed_by: list[str] = field(default_factory=list)  # nodeids of the tests that failed the item
    # Parts a documented choice of the store left nothing to check (passed items say what was not compared).
    notes: list[str] = field(default_factory=list)
    advisories: list[str] = field(default_factory=list)  # good practice the store did not follow; never a failure
    requires: list[str] = field(default_factory=list)  # what fails the item, as the rule's page says it
    flexiti_cases: list[str] = field(default_factory=list)  # Flexiti's own test-plan cases it automates ("plan case")


@dataclass
class PersonCase:
    """A case of Flexiti's test plans that no browser can check: listed for a person, never counted as passed."""

    plan: str
    case: str
    title: str
    who: str  # who checks it ("Flexiti marketing", "the implementation team")
    prepare: str  # what the merchant prepares for it


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
class Verdict:
    """The one answer a reader looks for first: can this integration go to Flexiti's UAT?"""

    status: VerdictStatus
    summary: str  # one sentence
    reasons: list[str] = field(default_factory=list)  # why incomplete, what is broken
    failed_items: list[str] = field(default_factory=list)
    broken_tests: list[str] = field(default_factory=list)
    # What Flexiti calls outdated but not wrong (the deprecated merchants/login): said, never a failure.
    advisories: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return VERDICT_TITLES[self.status]


@dataclass
class Report:
    run: RunInfo
    checklist: list[ChecklistResult]
    tests: list[TestResult]
    verdict: Verdict = field(default_factory=lambda: Verdict("incomplete", "no verdict was reached"))
    images: dict[str, str] = field(default_factory=dict)  # content hash -> data: URI, each picture stored once
    manual_cases: list[PersonCase] = field(default_factory=list)  # Flexiti checks these by hand, whatever this says
    # Automatable cases of Flexiti's plans the checklist does not cover yet: "plan case: title (why)"
    not_yet_automated: list[str] = field(default_factory=list)

    def intern_images(self) -> Report:
        """Each picture once, under its content hash (the same catalogue page seen by 30 tests is one image); a
        failed test's last screen becomes its failure screenshot. Idempotent: a step holding a key is left as is."""
        for test in self.tests:
            for step in test.steps:
                if step.image and step.image.startswith("data:"):
                    key = hashlib.sha256(step.image.encode()).hexdigest()[:16]
                    self.images.setdefault(key, step.image)
                    step.image = key
            if test.outcome in ("failed", "broken", "error") and test.failure_image is None:
                test.failure_image = next((s.image for s in reversed(test.steps) if s.image), None)
        return self

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
        verdict = asdict(self.verdict)
        verdict["title"] = self.verdict.title
        return {
            "schema_version": SCHEMA_VERSION,
            "verdict": verdict,
            "run": run,
            "summary": {"tests": self.counts(), "checklist": self.checklist_counts()},
            "checklist": [asdict(item) for item in self.checklist],
            "tests": [asdict(test) for test in self.tests],
            # Each picture once, by content hash; the pixels are in the HTML and in the images/ folder beside it.
            "images": {key: {"file": image_file(key, uri)} for key, uri in self.images.items()},
            "manual_cases": [asdict(case) for case in self.manual_cases],
            "not_yet_automated": list(self.not_yet_automated),
        }


def image_file(key: str, uri: str) -> str:
    """Where a picture is written beside the report (relative to the reports folder)."""
    extension = next((kind for kind in ("png", "webp") if uri.startswith(f"data:image/{kind}")), "jpg")
    return f"images/{key}.{extension}"


def test_result_from_json(raw: dict[str, Any]) -> TestResult:
    """The inverse of asdict() for one TestResult (parallel workers hand their results over as JSON)."""
    return TestResult(
        **{k: v for k, v in raw.items() if k not in ("steps", "events", "calls", "requests")},
        steps=[Step(**step) for step in raw.get("steps", [])],
        events=[EventEvidence(**event) for event in raw.get("events", [])],
        calls=[CallEvidence(**call) for call in raw.get("calls", [])],
        requests=[RequestEvidence(**request) for request in raw.get("requests", [])],
    )

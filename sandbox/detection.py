"""`python -m sandbox.detection`: run the certification suite against every store defect and print what it caught.

The full matrix (the default; `make detect`): for each defect, and the clean store, the whole e2e suite runs against
the sandbox with that defect switched on; the checklist items that failed are compared with the items the defect
breaks: caught, missed, over-reported. Only the whole suite shows that nothing outside a defect's items is reported.

Cited (`--cited`; `make test`): one pytest run in which each e2e test runs once per defect whose expected items it
cites, the defect switched on in the sandbox for that test only (fixtures/detection.py). Per defect, its items must
fail in those tests and no other item those tests cite may fail.

`--adapter profile` drives the store through its selector profile (storefronts/reference-store.toml) instead of the
reference store's page objects. `--store alternative` runs the sandbox's alternative correct store (SANDBOX_STORE),
always through its profile storefronts/alternative-store.toml; the defects that cannot apply to it
(sandbox/store/defects.py NOT_ON_ALTERNATIVE) are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.report.detection_picture import detection_html
from sandbox.store.defects import NOT_ON_ALTERNATIVE, StoreDefect, UnknownDefectError

ROOT = Path(__file__).resolve().parent.parent
CLEAN = "(clean store)"
ADAPTERS = {"pages": None, "profile": ROOT / "storefronts" / "reference-store.toml"}
STORES = ("reference", "alternative")
ALTERNATIVE_PROFILE = ROOT / "storefronts" / "alternative-store.toml"
# Must match fixtures/detection.py (not imported: that module needs pytest's plugin machinery loaded).
_DEFECT_IN_ID = re.compile(r"defect=([a-z_]+)")
_START, _DONE = "detection: start ", "detection: done "
RUN_DEADLINE_S = 1800


@dataclass(frozen=True)
class Detection:
    defect: str
    expected: frozenset[str]
    failed: frozenset[str]
    seconds: float
    error: str | None = None  # the run itself went wrong (no report): neither caught nor clean
    reasons: tuple[tuple[str, str], ...] = ()  # (failed item, the report's one-line reason), for diagnosis

    def why(self, items: frozenset[str]) -> str:
        """The report's reasons for `items`, for an assertion message or the table."""
        return "; ".join(f"{item}: {reason}" for item, reason in self.reasons if item in items) or "no reason given"

    @property
    def missed(self) -> frozenset[str]:
        return self.expected - self.failed

    @property
    def over_reported(self) -> frozenset[str]:
        return self.failed - self.expected

    @property
    def verdict(self) -> str:
        if self.error:
            return "run failed"
        if self.defect == CLEAN:
            return "clean" if not self.failed else "over-reported"
        if self.missed:
            return "missed"
        return "over-reported" if self.over_reported else "caught"


def _environment(adapter: str = "pages", store: str = "reference") -> dict[str, str]:
    """This process's environment without any setting that would point the run elsewhere than the sandbox; the
    alternative store (SANDBOX_STORE) is driven through its own profile, whatever the adapter."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SANDBOX_", "FLEXITI_", "STORE_URL", "STOREFRONT_PROFILE", "PLAYWRIGHT_WS"))}
    profile = ADAPTERS[adapter]
    if store == "alternative":
        env["SANDBOX_STORE"] = store
        profile = ALTERNATIVE_PROFILE
    if profile is not None:
        env["STOREFRONT_PROFILE"] = str(profile)
    return env


def _pytest(folder: Path, workers: int, *args: str) -> list[str]:
    command = [sys.executable, "-m", "pytest", *args, "-q", "-p", "no:cacheprovider", "--evidence=off",
               "--failure-trace=off", "--tracing=off", "--screenshot=off", f"--reports-dir={folder}",
               f"--junitxml={folder / 'junit.xml'}", f"--output={folder / 'playwright'}"]
    return command + (["-n", str(workers)] if workers > 0 else [])


def run_one(defect: str, workers: int, selection: list[str], scratch: Path, adapter: str = "pages",
            store: str = "reference") -> Detection:
    """The e2e suite against the store with `defect` on (none for the clean store)."""
    folder = scratch / defect.strip("()").replace(" ", "-")
    env = _environment(adapter, store)
    if defect != CLEAN:
        env["SANDBOX_STORE_DEFECTS"] = defect
    command = _pytest(folder, workers, *selection)
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=RUN_DEADLINE_S)
    seconds = time.perf_counter() - started
    expected = StoreDefect.named(defect).expected if defect != CLEAN else frozenset()
    report = folder / "certification-sandbox.json"
    if not report.is_file():
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        return Detection(defect, expected, frozenset(), seconds, error=" | ".join(tail) or f"exit {result.returncode}")
    checklist = json.loads(report.read_text(encoding="utf-8"))["checklist"]
    failed = [item for item in checklist if item["status"] == "failed"]
    reasons = tuple((item["id"], item.get("reason") or "") for item in failed)
    return Detection(defect, expected, frozenset(item["id"] for item in failed), seconds, reasons=reasons)


def cited_plan(defects: list[str], scratch: Path, adapter: str = "pages", store: str = "reference"
               ) -> dict[str, list[str]]:
    """Defect -> the e2e tests that cite its expected items (node ids), as the cited run will collect them."""
    command = [sys.executable, "-m", "pytest", "e2e", "-p", "fixtures.detection", "--collect-only", "-q",
               "-p", "no:cacheprovider", f"--reports-dir={scratch / 'plan'}", f"--detect-defects={','.join(defects)}"]
    result = subprocess.run(command, cwd=ROOT, env=_environment(adapter, store), capture_output=True, text=True,
                            timeout=300)
    plan: dict[str, list[str]] = {defect: [] for defect in defects}
    for line in result.stdout.splitlines():
        found = _DEFECT_IN_ID.search(line)
        if "::" in line and found and found.group(1) in plan:
            plan[found.group(1)].append(line.strip())
    return plan


def cited_verdicts(report: Path, plan: dict[str, list[str]], seconds: dict[str, float], failure: str | None
              ) -> list[Detection]:
    """Per defect, from the cited run's report: the items failed by the tests run against it."""
    tests = json.loads(report.read_text(encoding="utf-8"))["tests"] if report.is_file() else []
    detections = []
    for defect, planned in plan.items():
        ran = [test for test in tests if (_DEFECT_IN_ID.search(test["nodeid"]) or [None, None])[1] == defect]
        failed: dict[str, str] = {}
        for test in ran:
            failed.update(test.get("failed_items") or {})
        broken = [test["nodeid"] for test in ran if test["outcome"] == "error"]
        error = failure if not ran else (f"harness error in {', '.join(broken)}" if broken else None)
        if not planned:
            error = "no e2e test cites its expected items"
        detections.append(Detection(defect, StoreDefect.named(defect).expected, frozenset(failed),
                                    seconds.get(defect, 0.0), error=error, reasons=tuple(sorted(failed.items()))))
    return detections


def run_cited(defects: list[str], workers: int, scratch: Path, adapter: str = "pages",
              say: Callable[[str], None] = print, store: str = "reference") -> list[Detection]:
    """One pytest run: each test once per defect whose items it cites, naming each defect as it starts and ends."""
    plan = cited_plan(defects, scratch, adapter, store)
    folder = scratch / "cited"
    command = _pytest(folder, workers, "e2e", "-p", "fixtures.detection", f"--detect-defects={','.join(defects)}")
    left = {defect: set(nodes) for defect, nodes in plan.items()}
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    tail: deque[str] = deque(maxlen=8)
    with subprocess.Popen(command, cwd=ROOT, env=_environment(adapter, store), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as run:
        assert run.stdout is not None
        for line in run.stdout:
            tail.append(line.rstrip())
            found = _DEFECT_IN_ID.search(line)
            defect = found.group(1) if found else None
            if defect not in plan:
                continue
            # A progress mark (. F E s) may come first on the line.
            if _START in line and defect not in started:
                started[defect] = time.perf_counter()
                say(f"[{len(started)}/{len(plan)}] {defect}: started ({len(plan[defect])} tests)")
            elif _DONE in line:
                left[defect].discard(line.split(_DONE, 1)[1].strip())
                if not left[defect] and defect in started:
                    seconds[defect] = time.perf_counter() - started[defect]
                    say(f"      {defect}: ended in {seconds[defect]:.1f}s")
        run.wait(timeout=RUN_DEADLINE_S)
    report = folder / "certification-sandbox.json"
    failure = None if report.is_file() else " | ".join(tail) or f"exit {run.returncode}"
    return cited_verdicts(report, plan, seconds, failure)


def _items(items: frozenset[str]) -> str:
    return " ".join(sorted(items)) or "-"


def table_lines(detections: list[Detection]) -> list[str]:
    """The detection table: defect, expected items, failed items, verdict, time; then the rate."""
    width = max([len(d.defect) for d in detections] + [6])
    lines = [f"{'defect':<{width}}  {'expected':<24} {'failed':<24} {'verdict':<14} time"]
    for d in detections:
        lines.append(f"{d.defect:<{width}}  {_items(d.expected):<24} {_items(d.failed):<24} {d.verdict:<14} "
                     f"{d.seconds:5.1f}s")
        if d.error:
            lines.append(f"{'':<{width}}  run failed: {d.error}")
        elif d.over_reported:
            lines.append(f"{'':<{width}}  also failed: {d.why(d.over_reported)}")
    defects = [d for d in detections if d.defect != CLEAN]
    caught = sum(d.verdict == "caught" for d in defects)
    over = sum(bool(d.over_reported) for d in detections)
    clean = next((d.verdict for d in detections if d.defect == CLEAN), "not run")
    lines.append(f"detection rate: {caught}/{len(defects)} defects caught exactly "
                 f"({100 * caught / max(1, len(defects)):.0f}%); over-reported in {over} run(s); clean store: {clean}")
    return lines


def as_json(detections: list[Detection]) -> str:
    return json.dumps([{"defect": d.defect, "expected": sorted(d.expected), "failed": sorted(d.failed),
                        "verdict": d.verdict, "seconds": round(d.seconds, 1), "error": d.error,
                        "reasons": dict(d.reasons)}
                       for d in detections], indent=2)


def write_picture(detections: list[Detection], path: Path, *, cited: bool, adapter: str) -> Path:
    """The table as a picture (defects × items: expected, caught, missed, over-reported) in a page of its own."""
    mode = "cited tests" if cited else "full matrix"
    title = f"Flexiti harness: defect detection ({mode}, {adapter} adapter)"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(detection_html(json.loads(as_json(detections)), title=title), encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.detection", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("defects", nargs="*",
                        help=f"defects to try (default: all {len(StoreDefect)}, plus the clean store)")
    parser.add_argument("--cited", action="store_true",
                        help="one run, each defect against the tests citing its items (make test); default: the "
                             "full matrix, each defect against the whole suite (make detect)")
    parser.add_argument("--adapter", choices=sorted(ADAPTERS), default="pages",
                        help="drive the store through the reference page objects (pages, default) or its selector "
                             "profile storefronts/reference-store.toml (profile)")
    parser.add_argument("--store", choices=STORES, default="reference",
                        help="the sandbox's correct store to break: reference (default) or alternative (the other "
                             "documented choices; driven through storefronts/alternative-store.toml)")
    parser.add_argument("--workers", type=int, default=2 if (os.cpu_count() or 1) >= 2 else 0,
                        help="pytest-xdist workers per suite run (default: 2 on two cores or more, else serial)")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    parser.add_argument("--html", type=Path, default=Path("reports") / "detection.html",
                        help="the table as a picture, in a self-contained page (default: reports/detection.html)")
    args = parser.parse_args(argv)
    try:
        StoreDefect.parse(args.defects, "the command line")
    except UnknownDefectError as error:
        parser.error(str(error))
    defects = args.defects or [str(d) for d in StoreDefect if args.store == "reference" or d.on_alternative]
    not_applicable = sorted(set(args.defects) & NOT_ON_ALTERNATIVE) if args.store == "alternative" else []
    if not_applicable:
        parser.error(f"{', '.join(not_applicable)} cannot apply to the alternative store (sandbox/store/defective.py)")
    adapter = "profile" if args.store == "alternative" else args.adapter
    detections = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flexiti-detection-") as scratch:
        if args.cited:
            print(f"defect detection (cited, {args.store} store, adapter: {adapter}): each defect against the tests "
                  "that cite its items; the full matrix is `make detect`", flush=True)
            detections = run_cited(defects, args.workers, Path(scratch), adapter,
                                   say=lambda line: print(line, flush=True), store=args.store)
        else:
            names = args.defects or [CLEAN, *defects]
            for index, name in enumerate(names, 1):
                print(f"[{index}/{len(names)}] {name}: started", flush=True)
                detection = run_one(name, args.workers, ["e2e"], Path(scratch), adapter, args.store)
                detections.append(detection)
                print(f"[{index}/{len(names)}] {name}: {detection.verdict} "
                      f"(failed: {_items(detection.failed)}) in {detection.seconds:.1f}s", flush=True)
    print("\n" + "\n".join(table_lines(detections)))
    print(f"total: {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(as_json(detections), encoding="utf-8")
    print(f"detection report: {write_picture(detections, args.html, cited=args.cited, adapter=adapter)}")
    good = all(d.verdict in ("caught", "clean") for d in detections)
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())

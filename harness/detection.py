"""`python -m harness.detection`: run the certification suite against every store defect and print what it caught.

For each defect (and the clean store) the e2e suite runs against the sandbox with that defect switched on;
the checklist items that failed are compared with the items the defect breaks: caught, missed, over-reported.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from sandbox.store.defects import DEFECTS

ROOT = Path(__file__).resolve().parent.parent
CLEAN = "(clean store)"


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


def run_one(defect: str, workers: int, selection: list[str], scratch: Path) -> Detection:
    """The e2e suite against the store with `defect` on (none for the clean store)."""
    folder = scratch / defect.strip("()").replace(" ", "-")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SANDBOX_", "FLEXITI_", "STORE_URL"))}
    if defect != CLEAN:
        env["SANDBOX_STORE_DEFECTS"] = defect
    command = [sys.executable, "-m", "pytest", *selection, "-q", "-p", "no:cacheprovider", "--evidence=off",
               "--failure-trace=off",
               "--tracing=off", "--screenshot=off", f"--reports-dir={folder}", f"--junitxml={folder / 'junit.xml'}",
               f"--output={folder / 'playwright'}"]
    if workers > 0:
        command += ["-n", str(workers)]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    seconds = time.perf_counter() - started
    expected = DEFECTS[defect].expected if defect != CLEAN else frozenset()
    report = folder / "certification-sandbox.json"
    if not report.is_file():
        tail = (result.stdout + result.stderr).strip().splitlines()[-5:]
        return Detection(defect, expected, frozenset(), seconds, error=" | ".join(tail) or f"exit {result.returncode}")
    checklist = json.loads(report.read_text(encoding="utf-8"))["checklist"]
    failed = [item for item in checklist if item["status"] == "failed"]
    reasons = tuple((item["id"], item.get("reason") or "") for item in failed)
    return Detection(defect, expected, frozenset(item["id"] for item in failed), seconds, reasons=reasons)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.detection", description=__doc__)
    parser.add_argument("defects", nargs="*", help=f"defects to try (default: all {len(DEFECTS)}, plus the clean store)")
    parser.add_argument("--workers", type=int, default=2 if (os.cpu_count() or 1) >= 2 else 0,
                        help="pytest-xdist workers per suite run (default: 2 on two cores or more, else serial)")
    parser.add_argument("--json", type=Path, help="also write the table as JSON here")
    args = parser.parse_args(argv)
    unknown = [name for name in args.defects if name not in DEFECTS]
    if unknown:
        parser.error(f"unknown defects {unknown}; known: {', '.join(sorted(DEFECTS))}")
    names = args.defects or [CLEAN, *DEFECTS]
    detections = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="flexiti-detection-") as scratch:
        for index, name in enumerate(names, 1):
            detection = run_one(name, args.workers, ["e2e"], Path(scratch))
            detections.append(detection)
            print(f"[{index}/{len(names)}] {name}: {detection.verdict} "
                  f"(failed: {_items(detection.failed)}) in {detection.seconds:.1f}s", flush=True)
    print("\n" + "\n".join(table_lines(detections)))
    print(f"total: {time.perf_counter() - started:.0f}s")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(as_json(detections), encoding="utf-8")
    good = all(d.verdict in ("caught", "clean") for d in detections)
    return 0 if good else 1


if __name__ == "__main__":
    raise SystemExit(main())

"""The certification suite catches every store defect, exactly: the defect's items fail, and nothing else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures.stash import DETECTION
from harness.detection import CLEAN, Detection, as_json, run_one, table_lines
from sandbox.store.defects import DEFECTS

WORKERS = 2 if (os.cpu_count() or 1) >= 2 else 0


@pytest.fixture(scope="module")
def detections(pytestconfig: pytest.Config) -> Iterator[list[Detection]]:
    """Every run's result; once the module is done the table goes to reports/detection.json and the terminal
    summary (fixture output itself would be captured)."""
    found: list[Detection] = []
    yield found
    if not found:
        return
    pytestconfig.stash[DETECTION] = table_lines(found)
    reports = Path(pytestconfig.getoption("--reports-dir"))
    reports.mkdir(parents=True, exist_ok=True)
    (reports / "detection.json").write_text(as_json(found), encoding="utf-8")


@pytest.mark.parametrize("defect", [CLEAN, *DEFECTS])
def test_suite_fails_exactly_the_items_the_defect_breaks(
    defect: str, detections: list[Detection], tmp_path: Path,
) -> None:
    detection = run_one(defect, WORKERS, ["e2e"], tmp_path)
    detections.append(detection)

    assert detection.error is None, f"the suite did not run against {defect}: {detection.error}"
    assert not detection.missed, f"{defect}: the suite missed {sorted(detection.missed)}"
    assert not detection.over_reported, (
        f"{defect}: the suite also failed {sorted(detection.over_reported)} "
        f"({detection.why(detection.over_reported)})")


def test_table_gives_the_reports_reason_for_an_over_reported_item() -> None:
    detection = Detection("failure_not_shown", frozenset({"EVT-05"}), frozenset({"EVT-05", "INIT-01"}), 70.0,
                          reasons=(("EVT-05", "no notice"), ("INIT-01", "the store did not open Flexiti")))

    lines = table_lines([detection])

    assert detection.verdict == "over-reported"
    assert [line.strip() for line in lines if "also failed" in line] == [
        "also failed: INIT-01: the store did not open Flexiti"]

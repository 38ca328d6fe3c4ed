"""Item-level verdicts: blocks record against their items, and the report attributes failures to those items."""

from __future__ import annotations

import pytest

from harness.checklist import load_catalog
from harness.proof import ChecklistFailure, Proof
from harness.report.collect import RunRecorder
from harness.report.model import TestResult


def _status(results: list[TestResult], item_id: str) -> str:
    recorder = RunRecorder("sandbox", [], load_catalog())
    recorder.results = {result.nodeid: result for result in results}
    return next(item.status for item in recorder.checklist() if item.id == item_id)


def test_a_failed_soft_block_records_its_items_and_the_test_goes_on() -> None:
    proof = Proof()

    with proof.of("EVT-03"):
        raise AssertionError("went to the order page")
    with proof.of("VER-01"):
        pass

    assert proof.failed == {"EVT-03": "went to the order page"}
    assert proof.proved == {"VER-01"}


def test_a_failed_stop_block_ends_the_test_naming_the_item() -> None:
    proof = Proof()

    with pytest.raises(ChecklistFailure, match=r"\[INIT-01\] no widget"):
        with proof.of("INIT-01", stop=True):
            raise AssertionError("no widget")


def test_verdict_fails_when_any_block_failed() -> None:
    proof = Proof()
    with proof.of("TXN-01"):
        raise AssertionError("sku_data differs")

    with pytest.raises(ChecklistFailure, match="TXN-01"):
        proof.verdict()


def test_an_attributed_failure_fails_only_its_item() -> None:
    result = TestResult("e2e/t.py::test_x", "test_x", "failed", 1.0, ["VER-01", "EVT-03"],
                        failed_items={"EVT-03": "went to the order page"}, proved_items=["VER-01"])

    assert (_status([result], "EVT-03"), _status([result], "VER-01")) == ("failed", "passed")


def test_an_unattributed_failure_fails_every_cited_item_not_yet_proved() -> None:
    result = TestResult("e2e/t.py::test_x", "test_x", "error", 1.0, ["VER-01", "EVT-03"], proved_items=["VER-01"])

    assert (_status([result], "EVT-03"), _status([result], "VER-01")) == ("failed", "passed")


def test_an_item_no_block_reached_is_not_run_rather_than_passed() -> None:
    result = TestResult("e2e/t.py::test_x", "test_x", "failed", 1.0, ["INIT-01", "EVT-02"],
                        failed_items={"INIT-01": "the store did not open Flexiti"})

    assert (_status([result], "INIT-01"), _status([result], "EVT-02")) == ("failed", "not run")

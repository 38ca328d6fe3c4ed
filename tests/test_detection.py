"""Defect detection: every store defect is caught with exactly its expected items.

Here (`make test`) the plan and the table are checked and one defect goes through the cited run end to end;
`make test` then runs `python -m sandbox.detection --cited` over every defect, and `make detect` the full matrix
(every defect against the whole suite: the only proof that nothing outside a defect's items is reported)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sandbox.detection import (
    CLEAN,
    Detection,
    cited_plan,
    cited_verdicts,
    main,
    run_cited,
    run_one,
    table_lines,
    write_picture,
)
from sandbox.store.defects import StoreDefect, UnknownDefectError

STORE = Path(__file__).parent.parent / "sandbox" / "store"


def test_every_defect_is_cited_by_some_e2e_test(tmp_path: Path) -> None:
    plan = cited_plan(list(StoreDefect), tmp_path)

    uncited = [defect for defect, tests in plan.items() if not tests]
    assert not uncited, f"no e2e test cites the expected items of {uncited}: the cited run could not catch them"
    assert all("defect=" + defect in test for defect, tests in plan.items() for test in tests)


def test_cited_run_switches_the_defect_on_for_its_tests_only(tmp_path: Path) -> None:
    said: list[str] = []

    [detection] = run_cited(["sku_mismatch"], 0, tmp_path, say=said.append)

    assert detection.error is None, detection.error
    assert detection.verdict == "caught", (detection.failed, detection.why(detection.failed))
    assert said[0].startswith("[1/1] sku_mismatch: started") and "sku_mismatch: ended" in said[-1], said


def test_the_matrix_runner_reads_a_clean_run_as_clean(tmp_path: Path) -> None:
    """The full matrix's runner (`make detect`), on a small selection: it finds the report and reads it."""
    detection = run_one(CLEAN, 0, ["e2e/test_purchase.py"], tmp_path)

    assert detection.error is None and detection.verdict == "clean", (detection.error, detection.failed)


def test_table_gives_the_reports_reason_for_an_over_reported_item() -> None:
    detection = Detection("failure_not_shown", frozenset({"EVT-05"}), frozenset({"EVT-05", "INIT-01"}), 70.0,
                          reasons=(("EVT-05", "no notice"), ("INIT-01", "the store did not open Flexiti")))

    lines = table_lines([detection])

    assert detection.verdict == "over-reported"
    assert [line.strip() for line in lines if "also failed" in line] == [
        "also failed: INIT-01: the store did not open Flexiti"]


def test_cited_verdicts_come_from_the_tests_run_against_each_defect(tmp_path: Path) -> None:
    def test(nodeid: str, outcome: str, failed: dict[str, str]) -> dict[str, object]:
        return {"nodeid": nodeid, "outcome": outcome, "failed_items": failed}

    report = tmp_path / "certification-sandbox.json"
    report.write_text(json.dumps({"tests": [
        test("e2e/a.py::t[chromium-defect=sku_mismatch]", "failed", {"TXN-01": "sku_data differs"}),
        test("e2e/a.py::t[chromium-defect=tax_left_out]", "failed", {"TXN-01": "amount", "EVT-02": "amount"}),
        test("e2e/b.py::u[chromium-defect=tax_left_out]", "failed", {"AUTH-04": "not the flow's token"}),
        test("e2e/c.py::v[chromium-defect=no_origin_check]", "error", {}),
    ]}), encoding="utf-8")
    plan = {"sku_mismatch": ["a"], "tax_left_out": ["a", "b"], "no_origin_check": ["c"], "no_idempotency": []}

    verdicts = {d.defect: d for d in cited_verdicts(report, plan, {}, None)}

    assert verdicts["sku_mismatch"].verdict == "caught"
    assert verdicts["tax_left_out"].verdict == "over-reported"
    assert verdicts["tax_left_out"].over_reported == {"AUTH-04"}
    assert verdicts["no_origin_check"].verdict == "run failed"  # a harness error is neither caught nor missed
    assert verdicts["no_idempotency"].error == "no e2e test cites its expected items"


def test_the_detection_table_is_written_as_a_picture(tmp_path: Path) -> None:
    detections = [Detection(CLEAN, frozenset(), frozenset(), 30.0),
                  Detection("tax_left_out", frozenset({"EVT-02", "TXN-01"}), frozenset({"TXN-01"}), 12.0)]

    page = write_picture(detections, tmp_path / "out" / "detection.html", cited=False, adapter="profile")

    html = page.read_text(encoding="utf-8")
    assert "<svg" in html and "tax_left_out" in html and "full matrix, profile adapter" in html
    assert "missed" in html  # EVT-02 was expected and did not fail


def test_an_unknown_defect_name_is_an_error_naming_the_input_and_the_known_ones(capsys: pytest.CaptureFixture[str]
                                                                                 ) -> None:
    with pytest.raises(UnknownDefectError) as raised:
        StoreDefect.parse(["tax_left_out", "tax_forgotten"], "SANDBOX_STORE_DEFECTS")
    assert str(raised.value).startswith("SANDBOX_STORE_DEFECTS names unknown defects ['tax_forgotten']; known: ")
    assert all(defect.value in str(raised.value) for defect in StoreDefect)

    with pytest.raises(SystemExit):
        main(["tax_forgotten"])
    assert "unknown defects ['tax_forgotten']" in capsys.readouterr().err


def test_each_defect_carries_its_items_and_is_known_by_its_value() -> None:
    assert StoreDefect.named("tax_left_out") is StoreDefect.TAX_LEFT_OUT == "tax_left_out"
    assert StoreDefect.TAX_LEFT_OUT.expected == {"EVT-02", "TXN-01"}
    assert all(defect.description and defect.expected for defect in StoreDefect)


def test_the_correct_integration_has_no_defect_in_it_and_each_defect_has_its_deviation() -> None:
    correct = (STORE / "app.py").read_text(encoding="utf-8") + (STORE / "flexiti_client.py").read_text(encoding="utf-8")
    defective = (STORE / "defective.py").read_text(encoding="utf-8")

    assert not [defect.value for defect in StoreDefect if defect.value in correct or defect.name in correct]
    assert "StoreDefect" not in correct
    assert not [defect.name for defect in StoreDefect if f"StoreDefect.{defect.name}" not in defective]


"""Whole runs of the certification suite in a subprocess: what their reports say, and what they never hold."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.customers import load_applicants, load_customers
from sandbox.flexiti.state import CUSTOMERS_FILE, seeded_token

ROOT = Path(__file__).resolve().parent.parent
PLANTED_SECRET = "planted-client-secret-7Qx9Zt"
TOKEN_SEED = "report-scan-seed"
AMOUNT_TEST = "e2e/test_outcomes.py::test_amount_and_sku_data_match_the_cart"
# Loaded with -p into a run: the sandbox cannot start, as when no port is free.
SANDBOX_THAT_CANNOT_START = """
from sandbox.servers import Sandbox


def _refuse(self):
    raise OSError("no free port (planted by the test)")


Sandbox.__enter__ = _refuse
"""


def _command(reports: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "pytest", "-p", "no:randomly", f"--reports-dir={reports}",
            f"--junitxml={reports / 'junit.xml'}", f"--output={reports / 'playwright'}", *args]


def _environment(**settings: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items() if not k.startswith(("FLEXITI_", "SANDBOX_", "STORE_URL"))}
    return {**kept, **settings}


def _run(reports: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(_command(reports, *args), cwd=ROOT, env=_environment(**settings), capture_output=True,
                          text=True, timeout=600)


def _report(reports: Path, env: str = "sandbox") -> dict[str, Any]:
    return json.loads((reports / f"certification-{env}.json").read_text(encoding="utf-8"))


def _item(report: dict[str, Any], item_id: str) -> dict[str, Any]:
    return next(item for item in report["checklist"] if item["id"] == item_id)


# Images are pixels: random bytes in them can spell "2222", but no text secret is stored in them as text.
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"\x1aE\xdf\xa3")


def _texts(directory: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every non-image file under `directory` and every entry of every zip."""
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    data = archive.read(name)
                    if not data.startswith(_IMAGE_MAGIC):
                        yield f"{path}!{name}", data.decode("utf-8", errors="ignore")
        elif not path.read_bytes()[:4].startswith(_IMAGE_MAGIC):
            yield str(path), path.read_bytes().decode("utf-8", errors="ignore")


def _junit_checklists(junit: Path) -> dict[str, list[str]]:
    """Each test case's name -> the values of its `checklist` properties."""
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    return {case.get("name", ""): [prop.get("value", "") for prop in case.iter("property")
                                   if prop.get("name") == "checklist"] for case in cases}


def test_failing_run_report_points_at_the_cause(tmp_path: Path) -> None:
    result = _run(tmp_path, AMOUNT_TEST, SANDBOX_STORE_DEFECTS="tax_left_out")

    report = _report(tmp_path)
    assert result.returncode == 1, result.stdout[-2000:]
    assert _item(report, "TXN-01")["status"] == "failed"
    evt = _item(report, "EVT-02")
    assert evt["status"] == "failed"
    assert "amount" in evt["reason"] and "cart total" in evt["reason"], evt["reason"]
    assert {item["id"] for item in report["checklist"] if item["status"] == "failed"} == {"EVT-02", "TXN-01"}
    [test] = report["tests"]
    assert any(call["path"].endswith("/authorization") for call in test["calls"])
    assert any(path.endswith("trace.zip") for path in test["artifacts"]), test["artifacts"]
    assert [step["title"] for step in test["steps"]][:2] == ["catalogue", "cart"]
    assert (tmp_path / "certification-sandbox.html").stat().st_size > 0
    assert (tmp_path / "certification-sandbox.md").read_text().count("TXN-01") >= 1
    # The defect came from the environment: the command must switch it on again, and the header must say it is on.
    assert "SANDBOX_STORE_DEFECTS=tax_left_out python -m pytest " in report["run"]["command"], report["run"]
    assert report["run"]["store_defects"] == ["tax_left_out"]
    assert _junit_checklists(tmp_path / "junit.xml") == {"test_amount_and_sku_data_match_the_cart[chromium]":
                                                         ["TXN-01", "EVT-02"]}


def test_sandbox_that_cannot_start_stops_the_run_and_says_why(tmp_path: Path) -> None:
    plugins, reports = tmp_path / "plugins", tmp_path / "reports"
    plugins.mkdir()
    (plugins / "sandbox_that_cannot_start.py").write_text(SANDBOX_THAT_CANNOT_START, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))

    result = _run(reports, "-p", "sandbox_that_cannot_start", "e2e/test_outcomes.py", PYTHONPATH=path)

    report = _report(reports)
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert report["run"]["stopped_early"] == (
        "stopped: the embedded sandbox did not start: OSError: no free port (planted by the test)")
    # A harness that could not start proves nothing about the store: its items are not run, never failed.
    assert {item["status"] for item in report["checklist"]} <= {"not run", "not applicable"}, report["checklist"]
    assert _item(report, "TXN-01")["status"] == "not run"
    assert str((reports / "certification-sandbox.html").resolve()) in result.stdout


def test_reports_hold_none_of_the_run_secrets(tmp_path: Path) -> None:
    customers = load_customers(CUSTOMERS_FILE)
    applicants = load_applicants(CUSTOMERS_FILE)
    assert applicants is not None

    # One test per flow that types or carries a secret, each keeping its trace: the worst case for leaks.
    result = _run(tmp_path, "e2e/test_purchase.py::test_single_account_customer_completes_purchase",
                  "e2e/test_apply.py::test_application_decision_is_shown[chromium-approved-Approved]",
                  "e2e/test_verification.py::test_each_mfa_option_completes_verification[chromium-security_question]",
                  "e2e/test_verification.py::test_wrong_code_shows_error_and_allows_retry",
                  "--tracing=on", "--screenshot=on",
                  FLEXITI_CLIENT_SECRET=PLANTED_SECRET, SANDBOX_TOKEN_SEED=TOKEN_SEED)

    assert result.returncode == 0, result.stdout[-2000:]
    texts = list(_texts(tmp_path))
    assert any(where.endswith("trace.trace") for where, _ in texts), "no trace was kept, so nothing was scanned"
    plain = [PLANTED_SECRET, *(seeded_token(TOKEN_SEED, n) for n in range(1, 200))]
    plain += [c.security_question.answer for c in customers.values() if c.security_question]
    numeric = [applicants.pin, *(code for c in customers.values() for code in (c.sms_code, c.email_code) if code)]
    leaks = [(where, secret) for where, text in texts for secret in plain if secret in text]
    # A typed or sent code is text ("2222", PIN 2222); a bare JSON number such as "timestamp":2222.6 is not one.
    leaks += [(where, code) for where, text in texts for code in numeric
              if re.search(rf"(?<![\d.:]){code}(?![\d.])", text)]
    assert not leaks, f"secrets found in reports: {leaks[:10]}"


def test_bad_settings_stop_the_run_and_still_write_a_report(tmp_path: Path) -> None:
    result = _run(tmp_path, "e2e", "--env", "training")

    report = _report(tmp_path, "training")
    assert result.returncode == 4
    assert "STORE_URL" in result.stderr
    assert "STORE_URL" in report["run"]["stopped_early"]
    assert {item["status"] for item in report["checklist"]} <= {"not run", "not applicable"}


def test_interrupted_run_writes_a_report_that_says_so(tmp_path: Path) -> None:
    process = subprocess.Popen(_command(tmp_path, "-v", "e2e/test_verification.py"), cwd=ROOT,
                               env=_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    printed: list[str] = []
    interrupted = False
    for line in process.stdout:
        printed.append(line)
        if "PASSED" in line:  # one test finished: interrupt the rest, as a person pressing Ctrl-C would
            process.send_signal(signal.SIGINT)
            interrupted = True
            break
    rest, _ = process.communicate(timeout=120)
    output = "".join(printed) + rest
    tail = "\n".join(output.strip().splitlines()[-25:])

    assert interrupted, f"no test passed, so the run was never interrupted:\n{tail}"
    report = _report(tmp_path)
    outcomes = {test["name"]: test["outcome"] for test in report["tests"]}
    assert process.returncode == 2, (
        f"exit {process.returncode}, report says {report['run']['stopped_early']!r}, tests {outcomes}:\n{tail}")
    assert "interrupted" in report["run"]["stopped_early"], tail
    assert 1 <= len(report["tests"]) < 5, outcomes

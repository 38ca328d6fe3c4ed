"""Whole runs of the certification suite in a subprocess: what their reports say, and what they never hold."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, Route, expect

from harness.customers import load_applicants, load_customers
from harness.masking import standalone_code
from sandbox.flexiti.state import CUSTOMERS_FILE, seeded_token
from tests import subprocesses
from tests.subprocesses import read_report, report_item, run_suite, suite_command, suite_environment

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


# Images are pixels: random bytes in them can spell "2222", but no text secret is stored in them as text.
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"\x1aE\xdf\xa3")


def _texts(directory: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every non-image file under `directory` and every entry of every zip, zips inside zips
    included (a trace in the report's zip): a zip's own bytes are compressed, so they are opened, never read as text."""
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            yield from _entries(str(path), path.read_bytes())


def _entries(where: str, data: bytes) -> Iterator[tuple[str, str]]:
    if data.startswith(b"PK\x03\x04"):
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                yield from _entries(f"{where}!{name}", archive.read(name))
    elif not data.startswith(_IMAGE_MAGIC):
        # "replace", not "ignore": dropped bytes would join digits around them into a code that was never there.
        yield where, data.decode("utf-8", errors="replace")


def _junit_checklists(junit: Path) -> dict[str, list[str]]:
    """Each test case's name -> the values of its `checklist` properties."""
    cases = ElementTree.parse(junit).getroot().iter("testcase")
    return {case.get("name", ""): [prop.get("value", "") for prop in case.iter("property")
                                   if prop.get("name") == "checklist"] for case in cases}


@pytest.fixture(scope="module")
def failing_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """One e2e file against a store that leaves the tax out, traced as a real environment's run is by default: run
    once, read by the tests below."""
    reports = tmp_path_factory.mktemp("failing-run")
    return reports, run_suite(reports, "e2e/test_outcomes.py", "--failure-trace=actions",
                              SANDBOX_STORE_DEFECTS="tax_left_out")


def test_failing_run_report_points_at_the_cause(failing_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    tmp_path, result = failing_run

    report = read_report(tmp_path)
    assert result.returncode == 1, result.stdout[-2000:]
    assert report_item(report, "TXN-01")["status"] == "failed"
    evt = report_item(report, "EVT-02")
    assert evt["status"] == "failed"
    assert "amount" in evt["reason"] and "cart total" in evt["reason"], evt["reason"]
    assert "61.03 short" in evt["reason"] and "taxes and shipping included" in evt["reason"], evt["reason"]
    assert {item["id"] for item in report["checklist"] if item["status"] == "failed"} == {"EVT-02", "TXN-01"}
    # Reasons in words: no exception class, no raw assert; the rule's page and the change to make.
    for item in (evt, report_item(report, "TXN-01")):
        assert "ChecklistFailure" not in item["reason"] and "assert " not in item["reason"], item["reason"]
        assert item["docs"].startswith("https://flexiti.atlassian.net/") and item["fix"], item
    assert AMOUNT_TEST + "[chromium]" not in evt["tests"], "a test that failed the item is listed as proving it"
    [test] = [test for test in report["tests"] if test["nodeid"].startswith(AMOUNT_TEST)]
    assert test["name"] == "test_amount_and_sku_data_match_the_cart"  # one browser ran: no [chromium]
    authorization = next(call for call in test["calls"] if call["path"].endswith("/authorization"))
    assert f"#{authorization['seq']} " in evt["reason"]
    assert authorization["headers"]["authorization"].startswith("Bearer masked:"), authorization["headers"]
    assert "x-reference-id" in authorization["headers"]
    assert any(path.endswith("trace.zip") for path in test["artifacts"]), test["artifacts"]
    assert [step["title"] for step in test["steps"]][:2] == ["catalogue", "cart"]
    assert test["failure_image"] in report["images"]
    assert (tmp_path / "certification-sandbox.html").stat().st_size > 0
    markdown = (tmp_path / "certification-sandbox.md").read_text()
    assert markdown.startswith("# 🧪 Sandbox self-test") and "### TXN-01" in markdown
    with zipfile.ZipFile(tmp_path / "certification-sandbox.zip") as archive:
        names = archive.namelist()
    assert "certification-sandbox.html" in names and any(name.endswith("trace.zip") for name in names), names
    # The defect came from the environment: the command must switch it on again, and the header must say it is on.
    assert "SANDBOX_STORE_DEFECTS=tax_left_out python -m pytest " in report["run"]["command"], report["run"]
    assert report["run"]["store_defects"] == ["tax_left_out"]
    assert report["verdict"]["status"] == "sandbox self-test"
    assert report["verdict"]["failed_items"] == ["EVT-02", "TXN-01"]
    assert _junit_checklists(tmp_path / "junit.xml")["test_amount_and_sku_data_match_the_cart[chromium]"] == [
        "TXN-01", "EVT-02"]


def test_failing_run_terminal_shows_the_tests_line_and_ends_with_the_verdict(
        failing_run: tuple[Path, subprocess.CompletedProcess[str]]) -> None:
    _, result = failing_run
    lines = result.stdout.strip().splitlines()

    assert lines[-1].startswith("VERDICT: Sandbox self-test."), lines[-3:]
    failing_line = 'checks.amount_is_cart_total(authorization, cart.shown("total"))'
    source = (ROOT / "e2e" / "test_outcomes.py").read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(source, 1) if failing_line in line)
    assert f"e2e/test_outcomes.py:{number}: {failing_line}" in result.stdout
    assert "pytest_playwright.py" not in result.stdout and "Proof(failed=" not in result.stdout
    assert "ChecklistFailure" not in result.stdout


def test_failing_run_html_report_reads_at_a_glance_in_a_browser(
        failing_run: tuple[Path, subprocess.CompletedProcess[str]], page: Page) -> None:
    reports, _ = failing_run
    html = reports / "certification-sandbox.html"
    requested: list[str] = []

    def refuse_all_but_the_report(route: Route) -> None:
        requested.append(route.request.url)
        route.continue_() if route.request.url == html.as_uri() else route.abort()

    page.set_viewport_size({"width": 1366, "height": 768})
    page.route("**/*", refuse_all_but_the_report)
    page.goto(html.as_uri())

    banner = page.get_by_role("banner")
    expect(banner).to_be_in_viewport()
    expect(banner.get_by_role("heading", level=1)).to_have_text("Sandbox self-test")
    expect(banner.get_by_role("link", name="EVT-02")).to_be_visible()
    first = page.locator(".finding").first
    expect(first.locator("dd.observed")).to_be_in_viewport()
    expect(first).to_contain_text("Change")
    expect(first).to_contain_text("the amount must be the cart total")
    cited = page.locator("tr.cited").first
    cited.scroll_into_view_if_needed()
    expect(cited).to_be_in_viewport()
    expect(cited.locator("td").first).to_have_text(re.compile(r"^#\d+$"))
    assert cited.evaluate("row => getComputedStyle(row.cells[1]).backgroundColor") == "rgb(255, 243, 205)"

    shot = page.locator("figure.failure-shot a.shot")
    shot.click()

    enlarged = page.locator(".zoom:target")
    expect(enlarged).to_be_visible()
    box = enlarged.bounding_box()
    assert box is not None and box["width"] >= 1300 and box["height"] >= 700
    assert enlarged.evaluate("zoom => getComputedStyle(zoom).backgroundImage").startswith('url("data:image/webp')
    assert requested == [html.as_uri()], requested


def test_sandbox_that_cannot_start_stops_the_run_and_says_why(tmp_path: Path) -> None:
    plugins, reports = tmp_path / "plugins", tmp_path / "reports"
    plugins.mkdir()
    (plugins / "sandbox_that_cannot_start.py").write_text(SANDBOX_THAT_CANNOT_START, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))

    result = run_suite(reports, "-p", "sandbox_that_cannot_start", "e2e/test_outcomes.py", PYTHONPATH=path)

    report = read_report(reports)
    assert result.returncode == 3, result.stdout[-2000:] + result.stderr[-2000:]
    assert report["run"]["stopped_early"] == (
        "stopped: the embedded sandbox did not start: OSError: no free port (planted by the test)")
    # A harness that could not start proves nothing about the store: its items are not run, never failed.
    assert {item["status"] for item in report["checklist"]} <= {"not run", "not applicable"}, report["checklist"]
    assert report_item(report, "TXN-01")["status"] == "not run"
    assert str((reports / "certification-sandbox.html").resolve()) in result.stdout


def test_reports_hold_none_of_the_run_secrets(tmp_path: Path) -> None:
    customers = load_customers(CUSTOMERS_FILE)
    applicants = load_applicants(CUSTOMERS_FILE)
    assert applicants is not None

    # One test per flow that types or carries a secret, each keeping its trace: the worst case for leaks.
    result = run_suite(tmp_path, "e2e/test_purchase.py::test_single_account_customer_completes_purchase",
                  "e2e/test_apply.py::test_application_decision_is_shown[chromium-approved]",
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
    # A typed or sent code stands alone ("2222", PIN 2222), as the masker reads it: a JSON number such as
    # "timestamp":2222.6 is not one, nor the digits of an identifier (a session id ending -2222bbbf8641).
    leaks += [(where, code) for where, text in texts for code in numeric if re.search(standalone_code(code), text)]
    assert not leaks, f"secrets found in reports: {leaks[:10]}"


def test_bad_settings_stop_the_run_and_still_write_a_report(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "e2e", "--env", "training")

    report = read_report(tmp_path, "training")
    assert result.returncode == 4
    assert "STORE_URL" in result.stderr
    assert "STORE_URL" in report["run"]["stopped_early"]
    assert {item["status"] for item in report["checklist"]} <= {"not run", "not applicable"}


def test_interrupted_run_writes_a_report_that_says_so(tmp_path: Path) -> None:
    process = subprocesses.popen(suite_command(tmp_path, "-v", "e2e/test_verification.py"), cwd=ROOT,
                                 env=suite_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    printed: list[str] = []
    interrupted = False
    try:
        for line in process.stdout:
            printed.append(line)
            if "PASSED" in line:  # one test finished: interrupt the rest, as a person pressing Ctrl-C would
                subprocesses.interrupt_group(process)
                interrupted = True
                break
        rest, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            subprocesses.kill_group(process)
    output = "".join(printed) + rest
    tail = "\n".join(output.strip().splitlines()[-25:])

    assert interrupted, f"no test passed, so the run was never interrupted:\n{tail}"
    report = read_report(tmp_path)
    outcomes = {test["name"]: test["outcome"] for test in report["tests"]}
    assert process.returncode == 2, (
        f"exit {process.returncode}, report says {report['run']['stopped_early']!r}, tests {outcomes}:\n{tail}")
    assert "interrupted" in report["run"]["stopped_early"], tail
    assert 1 <= len(report["tests"]) < 5, outcomes


# Loaded into a run (its folder on PYTHONPATH, `-p` the root conftest): each test proves an item, tells the harness
# test it is in its body through a FIFO, then waits for Ctrl-C. Nothing it proved may count: its body never finished.
BODY_THAT_WAITS = '''
import os
import threading

import pytest


@pytest.mark.checklist("EVT-04")
def test_waits_in_its_body_first(proof):
    with proof.of("EVT-04"):
        assert True
    with open(os.environ["IN_BODY_FIFO"], "w") as fifo:
        fifo.write("in body\\n")
    threading.Event().wait()


@pytest.mark.checklist("EVT-05")
def test_waits_in_its_body_second(proof):
    with proof.of("EVT-05"):
        assert True
    with open(os.environ["IN_BODY_FIFO"], "w") as fifo:
        fifo.write("in body\\n")
    threading.Event().wait()
'''


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["serial", "two-workers"])
def test_an_interrupted_test_is_never_passed_nor_proves_its_items(tmp_path: Path, workers: list[str]) -> None:
    tests, reports, fifo = tmp_path / "tests_that_wait", tmp_path / "reports", tmp_path / "in-body"
    tests.mkdir()
    (tests / "test_waits.py").write_text(BODY_THAT_WAITS, encoding="utf-8")
    os.mkfifo(fifo)
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    command = [*suite_command(reports, "-p", "conftest", "-p", "no:cacheprovider", "--rootdir", str(tests),
                         *workers, str(tests / "test_waits.py"))]
    process = subprocesses.popen(command, cwd=ROOT, env=suite_environment(PYTHONPATH=path, IN_BODY_FIFO=str(fifo)),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        with open(fifo, encoding="utf-8") as marker:  # blocks until a test body opens it: waiting on state
            assert marker.readline() == "in body\n"
        subprocesses.interrupt_group(process)  # Ctrl-C reaches every process of the terminal's group
        output, _ = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            subprocesses.kill_group(process)
            process.communicate()

    report = read_report(reports)
    outcomes = {test["name"]: test["outcome"] for test in report["tests"]}
    assert "passed" not in outcomes.values(), (outcomes, output[-2000:])
    assert report_item(report, "EVT-04")["status"] != "passed" and report_item(report, "EVT-05")["status"] != "passed"
    assert report["verdict"]["status"] != "ready"
    assert report["run"]["stopped_early"], output[-2000:]


# Loaded with -p into a run: the selector profile breaks as each test sets up, as a stale profile would.
PROFILE_THAT_BREAKS = """
from harness.errors import ProfileError


def pytest_runtest_setup(item):
    raise ProfileError("STOREFRONT_PROFILE shop.toml: [checkout] selector 'text=Pay with Flexiti' matches nothing")
"""


def _cancel_test_with_plugin(tmp_path: Path, name: str, text: str) -> tuple[Path, subprocess.CompletedProcess[str]]:
    """The cancel test run with the plugin `text` loaded as module `name` (-p): its reports folder and the run."""
    plugins, reports = tmp_path / "plugins", tmp_path / "reports"
    plugins.mkdir()
    (plugins / f"{name}.py").write_text(text, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))
    cancel = "e2e/test_outcomes.py::test_cancel_returns_to_checkout_with_the_cart_intact"
    return reports, run_suite(reports, "-p", name, cancel, PYTHONPATH=path)


def test_a_profile_error_is_a_harness_error_apart_from_failures_with_its_fix(tmp_path: Path) -> None:
    reports, result = _cancel_test_with_plugin(tmp_path, "profile_that_breaks", PROFILE_THAT_BREAKS)

    report = read_report(reports)
    assert result.returncode == 1, result.stdout[-2000:]
    [test] = report["tests"]
    assert test["outcome"] == "broken", test
    assert "matches nothing" in test["reason"] and test["fix"], test
    assert report_item(report, "EVT-04")["status"] == "not run"  # a broken harness neither fails nor proves
    assert not [item for item in report["checklist"] if item["status"] == "failed"]
    assert report["verdict"]["broken_tests"] == [test["nodeid"]]
    assert any("broken by a harness error" in reason for reason in report["verdict"]["reasons"])
    assert "harness errors (not checklist failures" in result.stdout
    html = (reports / "certification-sandbox.html").read_text(encoding="utf-8")
    assert "Harness errors: the harness, browser or machine broke (not the store)" in html


# Loaded with -p into a run: the browser page goes away just as the widget is awaited, as when a browser crashes or a
# machine runs out of memory mid-test. Nothing the store did is observed after that.
PAGE_THAT_CLOSES = """
import pytest

from pages.widget.screens import FlexitiWidget


@pytest.fixture(autouse=True)
def _page_closes_at_the_widget(monkeypatch):
    wait_until_open = FlexitiWidget.wait_until_open

    def closed_first(widget):
        widget.page.close()
        return wait_until_open(widget)

    monkeypatch.setattr(FlexitiWidget, "wait_until_open", closed_first)
"""


def test_a_browser_page_closing_mid_test_is_a_harness_error_not_a_failed_item(tmp_path: Path) -> None:
    reports, result = _cancel_test_with_plugin(tmp_path, "page_that_closes", PAGE_THAT_CLOSES)

    report = read_report(reports)
    [test] = report["tests"]
    assert result.returncode == 1, result.stdout[-2000:]
    assert test["outcome"] == "broken", test
    assert "closed or crashed" in test["reason"] and "run the test again" in test["fix"], test
    assert not [item for item in report["checklist"] if item["status"] == "failed"], report["checklist"]
    assert {report_item(report, cited)["status"] for cited in test["checklist"]} == {"not run"}
    assert report["verdict"]["broken_tests"] == [test["nodeid"]]


@pytest.mark.parametrize("theirs", [False, True], ids=["new-folder", "somebody-elses-playwright-folder"])
def test_another_reports_dir_takes_the_junit_xml_and_the_failure_artifacts_along(tmp_path: Path, theirs: bool) -> None:
    # pyproject.toml's addopts name reports/junit.xml and reports/playwright; a run told to report elsewhere keeps the
    # whole run in that one folder (what a CI job uploads). pytest-playwright empties its artifacts folder as a run
    # starts, so a playwright/ folder there that this harness did not make is left alone. Run from tmp_path, so the
    # default folders are tmp_path's, not this checkout's.
    reports = tmp_path / "out"
    if theirs:
        (reports / "playwright").mkdir(parents=True)
        (reports / "playwright" / "spec.ts").write_text("their own test", encoding="utf-8")
    command = [sys.executable, "-m", "pytest", "-c", str(ROOT / "pyproject.toml"), "--rootdir", str(ROOT),
               "-p", "no:randomly", "-p", "no:cacheprovider", "--reports-dir=out",
               str(ROOT / "e2e" / "test_purchase.py") + "::test_widget_is_rendered_from_the_widget_origin"]

    result = subprocesses.run(command, cwd=tmp_path, env=suite_environment(), timeout=300)

    assert result.returncode == 0, result.stdout[-2000:]
    assert [case.get("name") for case in ElementTree.parse(reports / "junit.xml").getroot().iter("testcase")] == [
        "test_widget_is_rendered_from_the_widget_origin[chromium]"]
    assert f"JUnit XML:                {reports.resolve() / 'junit.xml'}" in result.stdout
    artifacts = (tmp_path / "reports" / "playwright") if theirs else (reports / "playwright")
    assert f"failed tests' artifacts:  {artifacts.resolve()}" in result.stdout, result.stdout[-1500:]
    if theirs:
        assert (reports / "playwright" / "spec.ts").read_text(encoding="utf-8") == "their own test"
        assert "exists and was not made by this harness" in result.stdout


def test_base_url_names_the_storefront_and_is_refused_against_the_embedded_store(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "e2e/test_outcomes.py", "--base-url", "http://127.0.0.1:9")

    assert result.returncode == 4, result.stdout[-2000:]
    assert "--base-url" in result.stderr and "STORE_URL" in result.stderr
    report = read_report(tmp_path)
    assert report["tests"] == [] and not [i for i in report["checklist"] if i["status"] == "passed"]


def test_a_browser_the_machine_lacks_stops_the_run_before_any_test_with_the_fix(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "e2e/test_outcomes.py", "--browser", "webkit", "--video", "on",
                  PLAYWRIGHT_BROWSERS_PATH=str(tmp_path / "no-browsers"))

    assert result.returncode == 4, result.stdout[-2000:]
    assert "WebKit is not installed: `playwright install webkit`, or drop `--browser webkit`" in result.stderr
    assert "--video needs Playwright's ffmpeg" in result.stderr
    report = read_report(tmp_path)
    assert report["tests"] == [] and not [i for i in report["checklist"] if i["status"] == "failed"]
    assert "webkit" in report["run"]["stopped_early"]

"""Item-level verdicts: blocks record against their items, and the report attributes failures to those items."""

from __future__ import annotations

import pytest
from playwright._impl._errors import TargetClosedError
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from fixtures.observers import judge_contract
from harness.checklist import load_catalog
from harness.errors import BrowserFault, HarnessError
from harness.proof import NOT_APPLICABLE, ChecklistFailure, NotApplicable, NotObservable, Proof
from harness.report.broken import fix_for
from harness.report.collect import RunRecorder, _is_broken
from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.model import Report, TestResult
from harness.widget_events import EventLog


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


def _never_arrived() -> AssertionError:
    """A page object's finding raised from the page closing under it."""
    try:
        raise TargetClosedError()
    except TargetClosedError as closed:
        try:
            raise AssertionError("the order page never arrived") from closed
        except AssertionError as error:
            return error


BROWSER_FAULTS = {
    "closed": TargetClosedError(),
    "crashed": PlaywrightError("Page.click: Target crashed \nCall log:\n  - waiting for get_by_role(\"button\")"),
    "refused": PlaywrightError("Page.goto: net::ERR_CONNECTION_REFUSED at http://127.0.0.1:9/cart\nCall log:"),
    "unresolved": PlaywrightError("Page.goto: net::ERR_NAME_NOT_RESOLVED at https://shop.invalid/"),
    "firefox-refused": PlaywrightError("Page.reload: NS_ERROR_CONNECTION_REFUSED\nCall log:\n  - reloading"),
    "raised-from-closed": _never_arrived(),
}
SITE_FINDINGS = {
    "timeout": PlaywrightTimeoutError("Locator.wait_for: Timeout 5000ms exceeded."),
    "aborted": PlaywrightError("Page.wait_for_url: net::ERR_ABORTED; maybe frame was detached?"),
    "strict": PlaywrightError("Locator.click: Error: strict mode violation: get_by_role(\"button\") resolved to 2"),
    "server-error-page": PlaywrightError("Page.goto: net::ERR_HTTP_RESPONSE_CODE_FAILURE at http://127.0.0.1:9/"),
    # the store sent the shopper to an address that answers nothing (a wrong return URL): the store's defect
    "site-sent-nowhere": PlaywrightError("Page.wait_for_url: net::ERR_NAME_NOT_RESOLVED at https://x.invalid/back"),
}


@pytest.mark.parametrize("error", BROWSER_FAULTS.values(), ids=BROWSER_FAULTS.keys())
@pytest.mark.parametrize("stop", [False, True], ids=["soft", "stop"])
def test_a_browser_fault_in_a_block_is_a_harness_error_that_judges_no_item(error: BaseException, stop: bool) -> None:
    proof = Proof()
    with proof.of("VER-01"):
        pass

    with pytest.raises(BrowserFault) as raised:
        with proof.of("EVT-03", "TXN-01", stop=stop):
            raise error

    assert proof.failed == {} and "EVT-03" not in proof.proved and "TXN-01" not in proof.proved
    assert raised.value.__cause__ is error
    assert ("closed or crashed" in str(raised.value)) or ("could not reach" in str(raised.value)), raised.value
    assert _is_broken("call", raised.value) and _is_broken("call", error)
    fix = fix_for(str(raised.value))
    assert "run the test again" in fix or "start the server" in fix, fix


@pytest.mark.parametrize("error", SITE_FINDINGS.values(), ids=SITE_FINDINGS.keys())
def test_what_the_site_did_to_the_browser_is_still_a_finding(error: BaseException) -> None:
    proof = Proof()

    with proof.of("EVT-03"):
        raise error

    assert list(proof.failed) == ["EVT-03"]
    assert not _is_broken("call", error)


def test_an_unreachable_site_names_the_address_in_the_harness_error() -> None:
    with pytest.raises(BrowserFault, match=r"could not reach http://127\.0\.0\.1:9/cart at all "
                                           r"\(net::ERR_CONNECTION_REFUSED\)"):
        with Proof().of("INIT-01"):
            raise BROWSER_FAULTS["refused"]


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
    result = TestResult("e2e/t.py::test_x", "test_x", "failed", 1.0, ["VER-01", "EVT-03"], proved_items=["VER-01"])

    assert (_status([result], "EVT-03"), _status([result], "VER-01")) == ("failed", "passed")


@pytest.mark.parametrize("outcome", ["broken", "not run"])
def test_a_broken_or_interrupted_test_neither_fails_nor_proves_its_items(outcome: str) -> None:
    # Blocks it got through before the harness broke (or Ctrl-C) do not count: only a finished body proves.
    result = TestResult("e2e/t.py::test_x", "test_x", outcome, 1.0, ["VER-01", "EVT-03"], proved_items=["VER-01"],
                        reason="setup error: BrowserType.launch: Executable doesn't exist")

    assert (_status([result], "EVT-03"), _status([result], "VER-01")) == ("not run", "not run")


def test_an_item_a_test_failed_is_not_also_listed_as_proved_by_it() -> None:
    failing = TestResult("e2e/t.py::test_x", "test_x", "failed", 1.0, ["EVT-02"],
                         failed_items={"EVT-02": "amount"}, proved_items=["EVT-02"])
    passing = TestResult("e2e/t.py::test_y", "test_y", "passed", 1.0, ["EVT-02"])
    recorder = RunRecorder("sandbox", [], load_catalog())
    recorder.results = {failing.nodeid: failing, passing.nodeid: passing}

    [item] = [item for item in recorder.checklist() if item.id == "EVT-02"]

    assert (item.status, item.tests, item.failed_by) == ("failed", [passing.nodeid], [failing.nodeid])


def test_a_failed_block_records_the_tests_own_line() -> None:
    proof = Proof()
    with proof.of("TXN-01"):
        assert 1 + 1 == 3, "sums differ"

    assert proof.where["TXN-01"].startswith("tests/test_proof.py:")
    assert proof.where["TXN-01"].endswith('assert 1 + 1 == 3, "sums differ"')
    assert "Proof(failed ['TXN-01']" in repr(proof)


def test_an_item_no_block_reached_is_not_run_rather_than_passed() -> None:
    result = TestResult("e2e/t.py::test_x", "test_x", "failed", 1.0, ["INIT-01", "EVT-02"],
                        failed_items={"INIT-01": "the store did not open Flexiti"})

    assert (_status([result], "INIT-01"), _status([result], "EVT-02")) == ("failed", "not run")


@pytest.mark.parametrize("unseen_first", [True, False], ids=["unseen-first", "seen-first"])
def test_an_item_partly_unobservable_is_not_proved_whichever_block_came_first(unseen_first: bool) -> None:
    proof = Proof()
    blocks = ["unseen", "seen"] if unseen_first else ["seen", "unseen"]

    for block in blocks:
        with proof.of("EVT-02"):
            if block == "unseen":
                raise NotObservable("no call journal: set FLEXITI_JOURNAL_URL")

    assert "EVT-02" not in proof.proved
    assert proof.unobservable == {
        "EVT-02": "not observable in this environment: no call journal: set FLEXITI_JOURNAL_URL"}


def test_a_failure_beats_an_unobservable_block_for_the_same_item() -> None:
    proof = Proof()

    with proof.of("EVT-02"):
        raise NotObservable("no call journal")
    with proof.of("EVT-02"):
        raise AssertionError("the back office has no authorization for the order")

    assert proof.failed == {"EVT-02": "the back office has no authorization for the order"}
    with pytest.raises(ChecklistFailure, match="EVT-02"):
        proof.verdict()


def test_a_contract_violation_found_after_the_test_fails_every_cited_item_even_those_proved() -> None:
    proof = Proof()
    with proof.of("VER-01", "EVT-03"):
        pass
    log = EventLog(widget_origin="https://widget.test")
    log.add({"origin": "https://widget.test", "data": {"eventType": "flx-success"}, "receiver": "https://shop.test/",
             "fromChildFrame": True, "time": 1.0})

    violations = judge_contract(log, proof, ["VER-01", "EVT-03"])

    result = TestResult("e2e/t.py::test_x", "test_x", "error", 1.0, ["VER-01", "EVT-03"],
                        failed_items=dict(proof.failed), proved_items=sorted(proof.proved))
    assert violations and proof.proved == set()
    assert (_status([result], "VER-01"), _status([result], "EVT-03")) == ("failed", "failed")
    assert proof.failed["EVT-03"].startswith("widget events break the documented contract: flx-success")


def test_events_that_keep_the_contract_leave_the_verdicts_alone() -> None:
    proof = Proof()
    with proof.of("EVT-04"):
        pass
    log = EventLog(widget_origin="https://widget.test")
    log.add({"origin": "https://widget.test", "data": {"eventType": "flx-cancel"}, "receiver": "https://shop.test/",
             "fromChildFrame": True, "time": 1.0})

    assert judge_contract(log, proof, ["EVT-04"]) == []
    assert proof.proved == {"EVT-04"} and not proof.failed


@pytest.mark.parametrize(("when", "error", "broken"), [
    ("setup", RuntimeError("the sandbox did not start"), True),
    ("call", LookupError("not on an order page"), False),
    ("call", PlaywrightError("BrowserType.launch: Executable doesn't exist at /x/firefox-1/firefox"), True),
    ("call", HarnessError("STOREFRONT_PROFILE: selector matches nothing"), True),
    ("call", AssertionError("amount"), False),
    ("call", PlaywrightError("Timeout 5000ms exceeded waiting for the order page"), False),
    ("teardown", ChecklistFailure("[EVT-01] widget events break the contract"), False),
], ids=["setup", "lookup-error", "launch", "harness", "assertion", "timeout", "teardown-contract"])
def test_harness_errors_are_broken_and_findings_are_failed(when: str, error: BaseException, broken: bool) -> None:
    assert _is_broken(when, error) is broken


def test_an_advisory_block_records_advice_and_never_fails_the_item() -> None:
    proof = Proof()

    with proof.of("EVT-04"):
        pass
    with proof.advisory("EVT-04"):
        raise AssertionError("the store says nothing after a cancel")
    with proof.advisory("EVT-04"):
        raise NotObservable("the profile has no notice locator")  # advice that cannot be seen is not given

    proof.verdict()  # does not raise
    assert proof.proved == {"EVT-04"} and not proof.failed
    assert proof.advisories == {"EVT-04": ["the store says nothing after a cancel"]}


def test_a_documented_choice_leaves_part_of_an_item_not_applicable_and_the_rest_still_counts() -> None:
    proof = Proof()

    with proof.of("TXN-01"):
        pass
    with proof.of("TXN-01"):
        raise NotApplicable("the store sends no sku_data")
    with proof.of("TXN-02"):
        raise NotApplicable("nothing to compare")

    assert proof.proved == {"TXN-01"}  # the part that was checked proves it; TXN-02 proved nothing
    assert proof.inapplicable == {"TXN-01": f"{NOT_APPLICABLE}: the store sends no sku_data",
                                  "TXN-02": f"{NOT_APPLICABLE}: nothing to compare"}


def _built(results: list[TestResult], environment: str = "training") -> Report:
    recorder = RunRecorder(environment, [], load_catalog())
    recorder.results = {result.nodeid: result for result in results}
    recorder.collected = len(results)
    return recorder.build()


def test_an_item_with_advice_still_passes_and_the_advice_reaches_the_verdict_and_the_pages() -> None:
    quiet = TestResult("e2e/t.py::test_cancel", "test_cancel", "passed", 1.0, ["EVT-04"], proved_items=["EVT-04"],
                       advisories={"EVT-04": ["the store says nothing after a cancel"]})

    report = _built([quiet])

    [item] = [item for item in report.checklist if item.id == "EVT-04"]
    assert item.status == "passed" and item.advisories == ["the store says nothing after a cancel"]
    assert "EVT-04: the store says nothing after a cancel" in report.verdict.advisories
    assert not report.verdict.failed_items
    assert "Advisory (not a failure): the store says nothing after a cancel" in render_html(report)
    assert "Advisory (not a failure): the store says nothing after a cancel" in render_markdown(report)


@pytest.mark.parametrize("also_proved", [False, True])
def test_a_part_left_out_by_a_documented_choice_is_not_applicable_unless_the_rest_proves_the_item(
    also_proved: bool,
) -> None:
    no_sku = TestResult("e2e/t.py::test_amounts", "test_amounts", "passed", 1.0, ["TXN-01"],
                        proved_items=["TXN-01"] if also_proved else [],
                        inapplicable_items={"TXN-01": f"{NOT_APPLICABLE}: the store sends no sku_data"})

    [item] = [item for item in _built([no_sku]).checklist if item.id == "TXN-01"]

    if also_proved:
        assert (item.status, item.notes) == ("passed", [f"{NOT_APPLICABLE}: the store sends no sku_data"])
    else:
        assert (item.status, item.reason) == ("not applicable", f"{NOT_APPLICABLE}: the store sends no sku_data")


def test_flexiti_cases_stand_beside_ours_and_the_cases_a_person_checks_are_listed_never_passed() -> None:
    report = _built([TestResult("e2e/t.py::test_x", "test_x", "passed", 1.0, ["AUTH-01"])])

    [auth] = [item for item in report.checklist if item.id == "AUTH-01"]
    assert auth.flexiti_cases and auth.requires
    assert report.manual_cases and all(case.who for case in report.manual_cases)
    html, markdown = render_html(report), render_markdown(report)
    for text in (html, markdown):
        assert "Checked by a person (never counted as passed)" in text
        assert report.manual_cases[0].title in text.replace("&#x27;", "'").replace("&quot;", '"')
        assert auth.flexiti_cases[0] in text
    assert report.to_json()["manual_cases"][0]["who"] == report.manual_cases[0].who


def test_a_wait_that_ran_out_says_what_the_store_did_instead_never_the_timeout() -> None:
    proof = Proof(describe_state=lambda: "the shopper is at http://shop/checkout; the widget's last event was "
                                         "flx-cancel; Flexiti's last call was #3 POST /widget/init -> 200")

    with proof.of("EVT-02"):
        raise PlaywrightTimeoutError("Locator.wait_for: Timeout 30000ms exceeded.\nCall log:\n  - waiting for "
                                     "get_by_test_id(\"order-status\") to be visible\n")

    reason = proof.failed["EVT-02"]
    assert "Timeout" not in reason and "30000" not in reason
    assert reason.startswith('the store never showed get_by_test_id("order-status") to be visible; instead')
    assert "flx-cancel" in reason and "#3 POST /widget/init" in reason


@pytest.mark.parametrize("gone", [True, False])
def test_an_aborted_navigation_is_a_harness_error_only_when_the_browser_died_under_the_test(gone: bool) -> None:
    proof = Proof(browser_gone=lambda: gone)
    aborted = PlaywrightError("Page.goto: net::ERR_ABORTED at http://localhost:5000/checkout")

    if gone:
        with pytest.raises(BrowserFault, match="the browser went away"), proof.of("EVT-04"):
            raise aborted
        assert not proof.failed and not proof.proved
    else:  # a live browser: the site aborted its own navigation, which is a finding
        with proof.of("EVT-04"):
            raise aborted
        assert "ERR_ABORTED" in proof.failed["EVT-04"]

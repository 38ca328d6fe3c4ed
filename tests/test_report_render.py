"""Tests for the certification report renderers: JSON, Markdown, the sequence diagram and the HTML page."""

from __future__ import annotations

import base64
import copy
import json
import re
import struct
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from fixtures.reporting import settings_environ
from harness.errors import HarnessError, ProfileError
from harness.report import model
from harness.report.broken import diagnose, is_harness_error
from harness.report.collect import RunRecorder, decide, explain, reproducing_command
from harness.report.detection_picture import detection_html, detection_svg
from harness.report.html import anchor, render_html
from harness.report.markdown import render_markdown
from harness.report.model import (
    CallEvidence,
    ChecklistResult,
    EventEvidence,
    Report,
    RequestEvidence,
    RunInfo,
    Step,
    status_label,
)
from harness.report.sequence import (
    ALARM,
    BROWSER,
    FLEXITI,
    INK,
    MERCHANT,
    OTHER,
    SHOPPER,
    WIDGET,
    Arrow,
    arrows,
    request_arrow,
    sequence_svg,
)
from harness.report.write import write_reports
from harness.settings import SettingsError

SVG = "{http://www.w3.org/2000/svg}"
T0 = 1_750_000_000.0
WIDGET_ORIGIN = "https://posapi-training.flexiti.fi"
FORGER_ORIGIN = "https://evil.example"
ATTACK = "<script>alert(1)</script>"
PASSED_ID = "e2e/test_events.py::test_forged_message_from_another_origin_changes_nothing[chromium]"
FAILED_ID = "e2e/test_auth.py::test_browser_never_calls_oauth_token[chromium]"
SKIPPED_ID = "e2e/test_resilience.py::test_token_expiring_mid_flow_is_refreshed[chromium]"
FAILED_REASON = "the browser called POST /flexiti/pos-api/v2.5/oauth/token | origin https://staging.shop.example"
TRACE = "playwright/e2e-test-auth-py-test-browser-never-calls-oauth-token-chromium/trace.zip"
API = "/flexiti/pos-api"
STOPPED = "interrupted (Ctrl-C) after 2 of 40 tests"
DOCS = "https://flexiti.atlassian.net/wiki/spaces/FDP/pages/118063585/Flexiti+Widget+-+Online+Channel+-+POS+API+2.5"
FIX = "Request tokens from the merchant server only."


def _png_data_uri(width: int, height: int, rgb: tuple[int, int, int]) -> str:
    """A real, decodable PNG of one colour, built by hand (no imaging library in the project)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(pixels)) + chunk(b"IEND", b"")
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _passed_test() -> model.TestResult:
    image = _png_data_uri(32, 20, (46, 125, 50))
    token = "masked:3fa2c1d0e9"
    client = f"{API}/v2.5/client-id/merchant-1"
    return model.TestResult(
        nodeid=PASSED_ID,
        name="test_forged_message_from_another_origin_changes_nothing[chromium]",
        outcome="passed",
        duration=6.42,
        checklist=["EVT-01", "EVT-02"],
        steps=[
            Step("cart", T0, image),
            Step("checkout", T0 + 1.0, image),
            Step("widget: verification", T0 + 3.0, image),
        ],
        requests=[
            RequestEvidence(T0 + 0.1, "GET", "https://staging.shop.example/cart?ref=mail", "document", "page"),
            RequestEvidence(T0 + 1.5, "POST", "https://staging.shop.example/api/flexiti/session", "fetch", "page"),
            RequestEvidence(T0 + 2.5, "GET", f"{WIDGET_ORIGIN}/widget/app?session=1", "document", "widget"),
        ],
        calls=[
            CallEvidence(T0 + 1.6, "POST", f"{API}/v2.5/oauth/token", 200, "merchant server", None,
                         {"grant_type": "client_credentials", "client_secret": "masked"}, {"access_token": token}),
            CallEvidence(T0 + 1.8, "POST", f"{client}/widget/init", 409, "merchant server", token,
                         {"flow": "purchase", "email": "a@example.com"}, {"error": "invalid_role"}),
            CallEvidence(T0 + 2.0, "POST", f"{client}/widget/init", 200, "merchant server", token,
                         {"flow": "purchase", "email": "a@example.com"}, {"redirection_url": f"{WIDGET_ORIGIN}/w"}),
            CallEvidence(T0 + 3.5, "GET", f"{client}/widget/session", 200, "widget", token, None, {"ok": True}),
            CallEvidence(T0 + 5.0, "POST", f"{API}/v2.5.1/client-id/merchant-1/authorization", 200, "merchant server",
                         token, {"amount": 139.99}, {"authorization_id": "a-1"}),
        ],
        events=[
            EventEvidence(T0 + 3.2, WIDGET_ORIGIN, "flx-failure",
                          {"eventType": "flx-failure", "eventData": {"error": 401, "message": "Wrong code"}}, True),
            EventEvidence(T0 + 4.0, WIDGET_ORIGIN, "flx-success",
                          {"eventType": "flx-success", "eventData": {"action": "purchase", "verified": True}}, True),
            EventEvidence(T0 + 4.5, FORGER_ORIGIN, "flx-success",
                          {"eventType": "flx-success", "eventData": {"action": "purchase", "note": ATTACK}}, False),
        ],
    )


def _failed_test() -> model.TestResult:
    return model.TestResult(
        nodeid=FAILED_ID,
        name="test_browser_never_calls_oauth_token[chromium]",
        outcome="failed",
        duration=3.1,
        checklist=["AUTH-01"],
        reason=FAILED_REASON,
        steps=[
            Step("cart", T0 + 10, _png_data_uri(24, 16, (198, 40, 40))),
            Step("widget: account choice", T0 + 12, None),
        ],
        requests=[RequestEvidence(T0 + 10.2, "POST", f"{WIDGET_ORIGIN}{API}/v2.5/oauth/token", "fetch", "page")],
        calls=[CallEvidence(T0 + 10.3, "POST", f"{API}/v2.5/oauth/token", 200, "browser", None,
                            {"grant_type": "client_credentials"}, {"access_token": "masked:77aa00bb11"})],
        artifacts=[TRACE, TRACE.replace("trace.zip", "test-failed-1.png")],
    )


def _skipped_test() -> model.TestResult:
    return model.TestResult(
        SKIPPED_ID, "test_token_expiring_mid_flow_is_refreshed[chromium]", "skipped", 0.0, ["RES-03"],
        reason="needs the embedded sandbox (fault injection, clock, Trust URL control)",
    )


def make_report(stopped_early: str | None = None, store_defects: tuple[str, ...] = ()) -> Report:
    run = RunInfo(
        environment="training",
        store_url="https://staging.shop.example",
        api_base=f"https://posapi-training.flexiti.fi{API}",
        widget_origin=WIDGET_ORIGIN,
        browser="chromium 131.0.6778.33",
        harness_version="0.1.0",
        command="python -m pytest e2e --env training",
        started=T0 - 10,
        finished=T0 + 72.34,
        stopped_early=stopped_early,
        store_defects=list(store_defects),
    )
    checklist = [
        ChecklistResult("EVT-01", "Accept widget messages only from the widget origin", "Widget events",
                        "passed", [PASSED_ID]),
        ChecklistResult("EVT-02", "Verified purchase authorizes server side", "Widget events", "passed", [PASSED_ID]),
        ChecklistResult("AUTH-01", "Tokens are requested server side", "POS API calls server side", "failed",
                        [], reason=FAILED_REASON, docs=DOCS, fix=FIX, failed_by=[FAILED_ID]),
        ChecklistResult("RES-03", "Recover from a token that expires mid-flow", "Refresh token", "not run", [],
                        reason="its only test was skipped"),
        ChecklistResult("CFG-01", "Storefront served over HTTPS outside the sandbox", "Widget overview",
                        "not applicable", [], reason="not required in this environment"),
        ChecklistResult("AUTH-02", "Token requests are form-encoded", "Authentication endpoints", "not observable",
                        [], reason="no call journal in this environment"),
    ]
    tests = [_passed_test(), _failed_test(), _skipped_test()]
    return Report(run, checklist, tests, decide(run, checklist, tests))


def _arrow_groups(svg: str) -> dict[str, ElementTree.Element]:
    """Each arrow's group by its full label (the group's <title>)."""
    root = ElementTree.fromstring(svg)
    return {group.findtext(f"{SVG}title"): group for group in root.iter(f"{SVG}g") if "arrow" in group.get("class", "")}


def _texts(svg: str) -> list[str]:
    return [text.text or "" for text in ElementTree.fromstring(svg).iter(f"{SVG}text")]


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def _tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    collector = _TagCollector()
    collector.feed(html)
    return collector.tags


# JSON and write_reports


def test_write_reports_writes_the_reports_a_zip_and_each_image_once(tmp_path: Path) -> None:
    directory = tmp_path / "reports" / "nested"
    (directory / "playwright" / "t").mkdir(parents=True)
    (directory / "playwright" / "t" / "trace.zip").write_bytes(b"PK trace")
    report = make_report()
    report.tests[1].artifacts = ["playwright/t/trace.zip"]

    paths = write_reports(report, directory)

    assert paths == {
        "html": directory / "certification-training.html",
        "json": directory / "certification-training.json",
        "markdown": directory / "certification-training.md",
        "zip": directory / "certification-training.zip",
    }
    # Two distinct pictures (the passed test's three steps share one): each written once, by content hash.
    images = sorted(p.name for p in (directory / "images").iterdir())
    assert len(images) == 2 and all(name.endswith(".png") for name in images)
    with zipfile.ZipFile(paths["zip"]) as archive:
        names = set(archive.namelist())
    assert {"certification-training.html", "certification-training.json", "certification-training.md",
            "playwright/t/trace.zip", *(f"images/{name}" for name in images)} == names


def test_write_reports_replaces_earlier_reports(tmp_path: Path) -> None:
    write_reports(make_report(stopped_early=STOPPED), tmp_path)

    paths = write_reports(make_report(), tmp_path)

    assert STOPPED not in paths["html"].read_text(encoding="utf-8")
    assert len(list((tmp_path / "images").iterdir())) == 2  # the same pictures, not a second copy
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == sorted(p.name for p in paths.values())


def test_json_report_round_trips_with_schema_version_and_summary(tmp_path: Path) -> None:
    report = make_report()

    loaded = json.loads(write_reports(report, tmp_path)["json"].read_text(encoding="utf-8"))

    assert loaded == json.loads(json.dumps(report.to_json()))
    assert loaded["schema_version"] == 2
    assert loaded["verdict"]["status"] == "not ready" and loaded["verdict"]["failed_items"] == ["AUTH-01"]
    [auth] = [item for item in loaded["checklist"] if item["id"] == "AUTH-01"]
    assert (auth["docs"], auth["fix"], auth["failed_by"]) == (DOCS, FIX, [FAILED_ID])
    # Pictures are stored once and referenced by key; the steps carry keys, never the pixels.
    steps = [step["image"] for test in loaded["tests"] for step in test["steps"] if step["image"]]
    assert set(steps) == set(loaded["images"]) and len(loaded["images"]) == 2
    assert not any(str(image).startswith("data:") for image in steps)
    assert loaded["summary"] == {
        "tests": {"passed": 1, "failed": 1, "skipped": 1},
        "checklist": {"passed": 2, "failed": 1, "not run": 1, "not applicable": 1, "not observable": 1},
    }
    assert loaded["run"]["duration"] == pytest.approx(82.34)


def test_json_keeps_the_short_status_value_people_read_in_full() -> None:
    loaded = make_report().to_json()

    [item] = [item for item in loaded["checklist"] if item["id"] == "AUTH-02"]
    assert item["status"] == "not observable"
    assert status_label(item["status"]) == "not observable in this environment"


# The reproducing command


def test_reproducing_command_puts_settings_from_the_environment_in_front() -> None:
    environ = {"SANDBOX_STORE_DEFECTS": "tax_left_out,no_origin_check", "STORE_URL": "https://shop.example/a b",
               "HOME": "/root", "FLEXITI_MFA": ""}

    command = reproducing_command(["e2e", "-k", "amount and sku"], environ)

    assert command == ("STORE_URL='https://shop.example/a b' SANDBOX_STORE_DEFECTS=tax_left_out,no_origin_check "
                       "python -m pytest e2e -k 'amount and sku'")


def test_reproducing_command_leaves_out_secrets_and_credentials() -> None:
    environ = {"FLEXITI_CLIENT_SECRET": "s3cret", "SANDBOX_TOKEN_SEED": "seed-1",
               "PLAYWRIGHT_WS_ENDPOINT": "wss://grid.example/playwright?token=t0ken",
               "STORE_URL": "https://qa:staging-pass@shop.example", "FLEXITI_CLIENT_ID": "merchant-1"}

    command = reproducing_command([], environ)

    assert command == "FLEXITI_CLIENT_ID=merchant-1 python -m pytest"


# Collecting outcomes


# Markdown


def test_markdown_has_title_run_table_and_command() -> None:
    markdown = render_markdown(make_report())

    assert markdown.startswith("# ❌ Not ready\n")
    assert "\n# Flexiti certification — training\n" in markdown
    for line in ("| Started (UTC) | 2025-06-15T15:06:30Z |", "| Finished (UTC) | 2025-06-15T15:07:52Z |",
                 "| Duration | 82.3 s |", "| Tests | 1 passed, 1 failed, 1 skipped |",
                 "| Flexiti API base | https://posapi-training.flexiti.fi/flexiti/pos-api |"):
        assert line in markdown
    assert "```sh\npython -m pytest e2e --env training\n```" in markdown
    assert "Stopped early" not in markdown


def test_markdown_lists_every_checklist_item_with_its_status() -> None:
    report = make_report()

    lines = render_markdown(report).splitlines()

    for item in report.checklist:
        [row] = [line for line in lines if line.startswith(f"| {item.id} |")]
        assert f" {status_label(item.status)} |" in row or (item.status == "failed" and "| **failed** |" in row)
    [unobservable_row] = [line for line in lines if line.startswith("| AUTH-02 |")]
    assert "| not observable in this environment |" in unobservable_row
    assert "1 not observable in this environment" in render_markdown(report)
    [failed_row] = [line for line in lines if line.startswith("| AUTH-01 |")]
    assert "| **failed** |" in failed_row and "FAILED" not in failed_row


def test_markdown_escapes_pipes_in_table_cells() -> None:
    [row] = [line for line in render_markdown(make_report()).splitlines() if line.startswith("| AUTH-01 |")]

    cells = re.split(r"(?<!\\)\|", row)[1:-1]

    assert len(cells) == 5
    assert cells[3].strip() == "test_browser_never_calls_oauth_token[chromium]"
    assert cells[4].strip() == FAILED_REASON.replace("|", "\\|")


def test_markdown_failed_items_say_what_was_observed_required_and_what_to_change() -> None:
    findings = render_markdown(make_report()).split("## Failed items: what to change", 1)[1].split("\n# ", 1)[0]

    assert "### AUTH-01" in findings
    assert f"- **Observed:** {FAILED_REASON}" in findings
    assert "- **Required:** Tokens are requested server side" in findings
    assert f"- **Change:** {FIX}" in findings
    assert f"- **Rule:** [POS API calls server side]({DOCS})" in findings


def test_markdown_failures_list_reason_checklist_and_artifacts() -> None:
    failures = render_markdown(make_report()).split("## Failures", 1)[1]

    assert "### **FAILED** `test_browser_never_calls_oauth_token[chromium]`" in failures
    assert f"- Reason: {FAILED_REASON}" in failures
    assert "- Checklist: AUTH-01" in failures
    assert f"`{TRACE}`" in failures
    assert "test_forged_message" not in failures


def test_markdown_shows_store_defects_only_when_some_are_on() -> None:
    assert "Store defects" not in render_markdown(make_report())

    markdown = render_markdown(make_report(store_defects=("tax_left_out",)))

    assert "| Store defects | tax_left_out (switched on deliberately: failures are expected) |" in markdown


def test_markdown_says_when_the_run_stopped_early() -> None:
    markdown = render_markdown(make_report(stopped_early=STOPPED))

    assert f"Stopped early: {STOPPED}" in markdown


# The observed sequence diagram


def test_sequence_svg_is_standalone_xml_with_the_five_lifelines() -> None:
    test = _passed_test()
    test.events = [e for e in test.events if e.from_widget]

    svg = sequence_svg(test, WIDGET_ORIGIN)

    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("viewBox") == f"0 0 {root.get('width')} {root.get('height')}"
    headers = [t for t in _texts(svg) if t in ("Shopper", "Browser", "Merchant server", "Flexiti API", "Widget")]
    assert headers == ["Shopper", "Browser", "Merchant server", "Flexiti API", "Widget"]
    assert "Other origin" not in _texts(svg)
    assert "posapi-training.flexiti.fi" in _texts(svg)


def test_sequence_svg_draws_one_arrow_per_evidence_item() -> None:
    test = _passed_test()

    groups = _arrow_groups(sequence_svg(test, WIDGET_ORIGIN))

    assert len(groups) == len(test.steps) + len(test.requests) + len(test.calls) + len(test.events)


@pytest.mark.parametrize(
    ("label", "source", "target", "alarming"),
    [
        ("cart", SHOPPER, BROWSER, False),
        ("verification", SHOPPER, WIDGET, False),
        ("GET /cart", BROWSER, MERCHANT, False),
        ("POST /api/flexiti/session", BROWSER, MERCHANT, False),
        ("GET /widget/app", WIDGET, FLEXITI, False),
        ("POST oauth/token → 200", MERCHANT, FLEXITI, False),
        ("POST widget/init → 409", MERCHANT, FLEXITI, True),
        ("POST widget/init → 200", MERCHANT, FLEXITI, False),
        ("GET widget/session → 200", WIDGET, FLEXITI, False),
        ("POST authorization → 200", MERCHANT, FLEXITI, False),
        ("flx-failure error=401 message=Wrong code", WIDGET, BROWSER, False),
        ("flx-success action=purchase verified=true", WIDGET, BROWSER, False),
        (f"forged? flx-success from {FORGER_ORIGIN}", OTHER, BROWSER, True),
    ],
)
def test_sequence_arrows_follow_the_evidence(label: str, source: int, target: int, alarming: bool) -> None:
    found = [(a.source, a.target, a.alarming) for a in arrows(_passed_test()) if a.label == label]

    assert found.count((source, target, alarming)) == 1


def test_sequence_arrows_send_page_requests_to_flexiti_hosts_to_the_flexiti_api() -> None:
    [request] = _failed_test().requests

    expected = Arrow(request.time, BROWSER, FLEXITI, f"POST {API}/v2.5/oauth/token")
    assert request_arrow(request, WIDGET_ORIGIN) == expected
    assert request_arrow(request, "https://other.example").target == MERCHANT


def test_sequence_draws_a_journaled_widget_call_once() -> None:
    call = CallEvidence(T0 + 1, "GET", "/widget-api/sessions/s-1", 200, "widget", "masked:1", None, {})
    copy_seen_by_browser = RequestEvidence(T0 + 1.01, "GET", f"{WIDGET_ORIGIN}/widget-api/sessions/s-1", "fetch",
                                           "widget")
    test = model.TestResult("e2e/t.py::test_x", "test_x", "passed", 1.0, [], calls=[call],
                            requests=[copy_seen_by_browser])

    drawn = [a.label for a in arrows(test, WIDGET_ORIGIN)]

    assert drawn == ["GET /widget-api/sessions/s-1 → 200"]


def test_sequence_arrows_are_in_time_order() -> None:
    labels = [a.label for a in arrows(_passed_test())]

    assert labels[:3] == ["cart", "GET /cart", "checkout"]
    assert labels[-1] == "POST authorization → 200"


def test_sequence_svg_draws_findings_in_red() -> None:
    groups = _arrow_groups(sequence_svg(_passed_test(), WIDGET_ORIGIN))

    forged = groups[f"forged? flx-success from {FORGER_ORIGIN}"]
    assert forged.find(f"{SVG}line").get("stroke") == ALARM
    assert "alarm" in forged.get("class", "").split()
    assert groups["POST widget/init → 409"].find(f"{SVG}line").get("stroke") == ALARM
    assert groups["POST widget/init → 200"].find(f"{SVG}line").get("stroke") == INK
    assert "Other origin" in _texts(sequence_svg(_passed_test(), WIDGET_ORIGIN))


def test_sequence_svg_draws_browser_calls_to_the_pos_api_in_red() -> None:
    groups = _arrow_groups(sequence_svg(_failed_test(), WIDGET_ORIGIN))

    assert groups["POST oauth/token → 200"].find(f"{SVG}line").get("stroke") == ALARM


def test_sequence_svg_escapes_text_and_survives_control_characters() -> None:
    test = _passed_test()
    test.events[2].origin = "https://evil.example/\x00<b>&"

    svg = sequence_svg(test, WIDGET_ORIGIN)

    assert "<b>" not in svg
    assert "forged? flx-success from https://evil.example/\ufffd<b>&" in _arrow_groups(svg)


def test_sequence_svg_shortens_long_labels_but_keeps_them_whole_in_the_tooltip() -> None:
    title = "checkout " + "with a very long page title " * 10
    test = model.TestResult("t.py::test_long_title", "test_long_title", "passed", 1.0, [],
                            steps=[Step(title, T0, None)])

    [group] = _arrow_groups(sequence_svg(test, None)).items()

    label = group[1].find(f"{SVG}text[@text-anchor='middle']").text
    assert group[0] == title
    assert label.endswith("…") and title.startswith(label[:-1])


@pytest.mark.parametrize(("steps", "arrows_drawn", "note"), [(80, 80, None), (100, 80, "… 20 more")])
def test_sequence_svg_caps_rows(steps: int, arrows_drawn: int, note: str | None) -> None:
    test = model.TestResult("t.py::test_long", "test_long", "passed", 1.0, [],
                      steps=[Step(f"page {i}", T0 + i, None) for i in range(steps)])

    svg = sequence_svg(test, None)

    assert len(_arrow_groups(svg)) == arrows_drawn
    notes = [t.text for t in ElementTree.fromstring(svg).iter(f"{SVG}text") if t.get("class") == "note"]
    assert notes == ([note] if note else [])


def test_sequence_svg_is_deterministic() -> None:
    assert sequence_svg(_passed_test(), WIDGET_ORIGIN) == sequence_svg(copy.deepcopy(_passed_test()), WIDGET_ORIGIN)


# HTML


def test_html_escapes_attacker_controlled_event_data() -> None:
    html = render_html(make_report())

    assert ATTACK not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert all(tag != "script" for tag, _ in _tags(html))


def test_html_is_self_contained() -> None:
    tags = _tags(render_html(make_report()))

    html = render_html(make_report())
    sources = [attrs["src"] for _, attrs in tags if "src" in attrs]
    links = [str(attrs["href"]) for _, attrs in tags if "href" in attrs]
    urls = re.findall(r"url\(\"?([^\")]*)", html)
    assert not sources
    assert urls and all(url.startswith("data:image/") for url in urls)
    # Links stay in the page or beside it; the only absolute ones are the rules' Flexiti documentation pages.
    assert all(not re.match(r"^[a-z][a-z0-9+.-]*:", href) or href == DOCS for href in links)
    assert not [tag for tag, _ in tags if tag in ("link", "script", "iframe")]


def test_html_checklist_rows_carry_status_and_item() -> None:
    report = make_report()

    rows = [attrs for tag, attrs in _tags(render_html(report)) if tag == "tr" and "data-item" in attrs]

    # Failed first, then what is not proved, then passed: what needs reading comes first.
    assert [(r["data-item"], r["data-status"]) for r in rows] == [
        ("AUTH-01", "failed"), ("AUTH-02", "not observable"), ("RES-03", "not run"), ("EVT-01", "passed"),
        ("EVT-02", "passed"), ("CFG-01", "not applicable")]


def test_html_puts_failed_tests_first_with_their_evidence_open() -> None:
    html = render_html(make_report())

    sections = re.findall(r'<section class="test" id="([^"]+)" data-outcome="([^"]+)">(.*?)</section>', html, re.S)

    assert [(id_, outcome) for id_, outcome, _ in sections] == [
        (anchor(FAILED_ID), "failed"), (anchor(PASSED_ID), "passed"), (anchor(SKIPPED_ID), "skipped")
    ]
    assert '<details class="evidence" open>' in sections[0][2]
    assert '<details class="evidence">' in sections[1][2]


def test_html_links_artifacts_relatively_with_a_trace_hint() -> None:
    html = render_html(make_report())

    assert f'<a href="{TRACE}">{TRACE}</a>' in html
    assert f"open with: <code>playwright show-trace {TRACE}</code>" in html


def test_html_header_names_the_store_defects_that_are_on() -> None:
    assert "Store defects" not in render_html(make_report())

    html = render_html(make_report(store_defects=("tax_left_out", "no_origin_check")))

    assert "<dt>Store defects</dt><dd>tax_left_out, no_origin_check (switched on deliberately" in html


def test_html_badge_reads_not_observable_in_this_environment() -> None:
    html = render_html(make_report())

    [row] = re.findall(r'<tr id="item-AUTH-02".*?</tr>', html)
    assert '<span class="badge not-observable">not observable in this environment</span>' in row
    assert 'data-status="not observable"' in row


def test_html_has_no_alert_when_the_run_completed() -> None:
    assert 'role="alert"' not in render_html(make_report())


# The HTML report in a real browser


def _open_report(page: Page, tmp_path: Path, report: Report) -> None:
    page.goto(write_reports(report, tmp_path)["html"].as_uri())


def test_html_report_renders_checklist_and_failed_evidence_in_browser(page: Page, tmp_path: Path) -> None:
    report = make_report()
    _open_report(page, tmp_path, report)

    table = page.get_by_role("table", name="Certification checklist")
    expect(table).to_be_visible()
    expect(table.locator("tbody tr")).to_have_count(len(report.checklist))
    failed_row = table.locator('tr[data-item="AUTH-01"]')
    expect(failed_row.locator(".badge")).to_have_text("failed")
    expect(failed_row).to_contain_text(FAILED_REASON)

    failed = page.locator(f"#{anchor(FAILED_ID)}")
    figure = failed.get_by_role("figure", name="Observed sequence diagram")
    expect(figure).to_be_visible()
    box = figure.locator("svg").bounding_box()
    assert box is not None and box["width"] > 0 and box["height"] > 0
    screenshot = failed.get_by_role("img", name="cart", exact=True)
    expect(screenshot).to_be_visible()
    assert screenshot.evaluate("shot => getComputedStyle(shot).backgroundImage").startswith('url("data:image/png')


def test_html_report_opens_passed_evidence_on_demand_in_browser(page: Page, tmp_path: Path) -> None:
    _open_report(page, tmp_path, make_report())
    passed = page.locator(f"#{anchor(PASSED_ID)}")
    figure = passed.get_by_role("figure", name="Observed sequence diagram")
    expect(figure).to_be_hidden()

    passed.locator("details.evidence > summary").click()

    expect(figure).to_be_visible()
    expect(passed.get_by_role("img", name="verification")).to_be_visible()
    events = passed.get_by_role("table", name="Widget events")
    expect(events.locator("tr.forged")).to_contain_text(ATTACK)  # shown as text, never run


def test_html_report_shows_stopped_early_alert_in_browser(page: Page, tmp_path: Path) -> None:
    _open_report(page, tmp_path, make_report(stopped_early=STOPPED))

    expect(page.get_by_role("alert")).to_contain_text(f"Stopped early: {STOPPED}")


# The verdict


def _verdict_of(environment: str = "training", stopped_early: str | None = None,
                statuses: tuple[str, ...] = ("passed", "passed"), outcome: str = "passed") -> model.Verdict:
    run = make_report(stopped_early=stopped_early).run
    run.environment = environment
    checklist = [ChecklistResult(f"EVT-0{n}", "title", "rule", status, []) for n, status in enumerate(statuses, 1)]
    tests = [model.TestResult("e2e/t.py::test_x", "test_x", outcome, 1.0, ["EVT-01"])]  # type: ignore[arg-type]
    return decide(run, checklist, tests)


def test_verdict_is_ready_only_when_every_applicable_item_passed_in_a_whole_run() -> None:
    ready = _verdict_of(statuses=("passed", "passed", "not applicable"))

    assert (ready.status, ready.title) == ("ready", "Ready for Flexiti UAT")
    assert ready.reasons == []


def test_verdict_is_not_ready_with_the_failed_items() -> None:
    verdict = _verdict_of(statuses=("passed", "failed", "not run"))

    assert (verdict.status, verdict.failed_items) == ("not ready", ["EVT-02"])


@pytest.mark.parametrize(("stopped", "statuses", "outcome", "says"), [
    (None, ("passed", "not run"), "passed", "1 item not run (EVT-02): a partial run certifies nothing"),
    ("interrupted (Ctrl-C)", ("passed", "passed"), "passed", "interrupted"),
    (None, ("passed", "not observable"), "passed", "not observable in this environment (EVT-02)"),
    (None, ("passed", "passed"), "broken", "1 test broken by a harness error"),
], ids=["partial", "stopped", "unobservable", "broken"])
def test_verdict_is_incomplete_and_says_why(stopped: str | None, statuses: tuple[str, ...], outcome: str,
                                            says: str) -> None:
    verdict = _verdict_of(stopped_early=stopped, statuses=statuses, outcome=outcome)

    assert verdict.status == "incomplete"
    assert "certifies nothing" in verdict.summary
    assert any(says in reason for reason in verdict.reasons), verdict.reasons


@pytest.mark.parametrize("statuses", [("passed", "passed"), ("passed", "failed")])
def test_a_sandbox_run_is_a_self_test_that_certifies_no_merchant(statuses: tuple[str, ...]) -> None:
    verdict = _verdict_of(environment="sandbox", statuses=statuses)

    assert verdict.title == "Sandbox self-test"
    assert "certifies no merchant" in verdict.summary
    assert verdict.failed_items == (["EVT-02"] if "failed" in statuses else [])


@pytest.mark.parametrize(("path", "advised"), [
    ("/flexiti/pos-api/v2.5/client-id/merchant-1/merchants/login", True),
    ("/flexiti/pos-api/v2.5/client-id/merchant-1/widget/init", False),
])
def test_the_deprecated_merchant_login_is_an_advisory_never_a_failure(path: str, advised: bool) -> None:
    report = make_report()
    passed = next(test for test in report.tests if test.outcome == "passed")
    passed.calls.append(CallEvidence(T0 + 1, "POST", path, 200, "merchant server", None, {}, {}, seq=42))
    report.verdict = decide(report.run, report.checklist, report.tests)

    html, markdown = render_html(report), render_markdown(report)

    assert bool(report.verdict.advisories) is advised, report.verdict.advisories
    assert report.verdict.status == "not ready" and report.verdict.failed_items == ["AUTH-01"]  # unchanged by it
    if advised:
        [advice] = report.verdict.advisories
        assert "deprecated Login As Merchant" in advice and "#42" in advice
        assert "Advisory (not a failure)" in html and "deprecated Login As Merchant" in html
        assert "Advisory (not a failure):" in markdown
    else:
        assert "Advisory" not in html and "Advisory" not in markdown


def test_html_and_markdown_open_with_the_verdict() -> None:
    report = make_report()

    html = render_html(report)
    markdown = render_markdown(report)

    assert html.index('class="verdict not-ready has-failures"') < html.index('class="bar"') < html.index("<table")
    assert '<a href="#finding-AUTH-01">AUTH-01</a>' in html
    assert markdown.splitlines()[0] == "# ❌ Not ready"
    assert "Failed items: [AUTH-01](#auth-01)" in markdown


# Reasons a merchant can act on


@pytest.mark.parametrize(("raw", "where", "explained"), [
    ("harness.proof.ChecklistFailure: [EVT-02] amount", None, "[EVT-02] amount"),
    ("AssertionError: the browser requested /oauth/token", None, "the browser requested /oauth/token"),
    ("assert (Decimal('0.0') + Decimal('0.0')) == Decimal('61.03')",
     "e2e/t.py:131: assert Decimal(str(sku[\"gst_hst\"])) + Decimal(str(sku.get(\"pst\", 0))) == shown[\"hst\"]",
     "sku[\"gst_hst\"] + sku.get(\"pst\", 0) was 0.0 + 0.0, where the check requires it to equal shown[\"hst\"] "
     "(61.03)"),
    ("assert 3 == 4", None, "observed 3, where the check requires it to equal 4"),
])
def test_reasons_never_show_raw_assert_text_or_exception_classes(raw: str, where: str | None, explained: str) -> None:
    assert explain(raw, where) == explained


def test_a_failed_item_says_observed_required_change_and_links_its_rule_in_html() -> None:
    html = render_html(make_report())

    [finding] = re.findall(r'<div class="finding" id="finding-AUTH-01">.*?</div>', html, re.S)
    assert "<dt>Observed</dt>" in finding and "<dt>Required</dt>" in finding and f"<dd>{FIX}</dd>" in finding
    assert f'<a href="{DOCS}" rel="noreferrer">POS API calls server side</a>' in finding


def test_harness_errors_have_their_own_section_and_fix_and_fail_no_item() -> None:
    report = make_report()
    broken = model.TestResult("e2e/t.py::test_b", "test_b", "broken", 0.1, ["EVT-04"],
                              reason="setup error: BrowserType.launch: "
                                     "Executable doesn't exist at /x/firefox-1/firefox",
                              fix="`playwright install firefox`, or drop `--browser firefox`")
    report.tests.append(broken)

    html = render_html(report)
    markdown = render_markdown(report)

    assert "Harness errors: the harness, browser or machine broke (not the store)" in html
    assert '<span class="badge broken">broken</span>' in html
    assert "`playwright install firefox`, or drop `--browser firefox`" in html
    assert "## Harness errors" in markdown and "**fix:** `playwright install firefox`" in markdown


@pytest.mark.parametrize(("text", "problem", "fix"), [
    ("BrowserType.launch: Executable doesn't exist at /root/.cache/ms-playwright/firefox-1572/firefox/firefox",
     "Firefox is not installed", "`playwright install firefox`, or drop `--browser firefox`"),
    ("Executable doesn't exist at /root/.cache/ms-playwright/ffmpeg-1011/ffmpeg-linux",
     "--video needs Playwright's ffmpeg", "`playwright install ffmpeg`, or drop `--video`"),
    ("Looks like you launched a headed browser without having a XServer running.",
     "--headed needs a display", "run under `xvfb-run`, or drop `--headed`"),
])
def test_machine_problems_are_named_with_their_fix(text: str, problem: str, fix: str) -> None:
    found = diagnose(text)

    assert found is not None and found.problem.startswith(problem) and found.fix == fix


def test_harness_and_profile_errors_are_harness_errors_and_assertions_are_not() -> None:
    assert is_harness_error(HarnessError("x")) and is_harness_error(ProfileError("selector matches nothing"))
    assert not is_harness_error(AssertionError("amount"))


# Evidence that proves the reason


def _test_citing_call_2() -> model.TestResult:
    test = _passed_test()
    test.outcome = "failed"
    for number, call in enumerate(test.calls, 1):
        call.seq = number
        call.headers = {"authorization": "Bearer masked:3fa2c1d0e9", "x-reference-id": f"ref-{number}"}
    test.failed_items = {"EVT-02": "#5 POST /authorization -> 200 asked for amount 139.99, the cart total is 155.1"}
    test.calls[4].seq = 5
    return test


def test_calls_are_numbered_with_headers_and_the_cited_one_highlighted() -> None:
    report = make_report()
    report.tests[0] = _test_citing_call_2()
    report.checklist[1] = ChecklistResult("EVT-02", "Verified purchase authorizes server side", "Widget events",
                                          "failed", [], reason="amount", failed_by=[PASSED_ID])

    html = render_html(report)

    [table] = [t for t in re.findall(r'<table aria-label="POS API calls">.*?</table>', html, re.S) if "ref-5" in t]
    assert [int(n) for n in re.findall(r"<tr[^>]*><td>#(\d+)</td>", table)] == [1, 2, 3, 4, 5]
    [cited] = re.findall(rf'<tr class="cited" id="{anchor(PASSED_ID)}-call-(\d+)"', table)
    assert cited == "5"
    assert f'<a href="#{anchor(PASSED_ID)}-call-5">call #5</a>' in html  # the failed item's card links to it
    assert "x-reference-id" in table and "Bearer masked:3fa2c1d0e9" in table


def test_the_cited_call_is_red_in_the_sequence_diagram_even_when_it_answered_200() -> None:
    test = _test_citing_call_2()

    groups = _arrow_groups(sequence_svg(test, WIDGET_ORIGIN, {5}))

    [label] = [label for label in groups if label.startswith("#5 POST authorization → 200")]
    assert "alarm" in groups[label].get("class", "")
    assert all("alarm" not in groups[label].get("class", "") for label in groups if label.startswith("#3 "))


def test_each_picture_is_stored_once_and_opens_full_size_without_script() -> None:
    html = render_html(make_report())

    rules = re.findall(r"\.i-([0-9a-f]+) \{ background-image: url\(", html)
    assert len(rules) == len(set(rules)) == 2  # three steps share one picture, the failed test has the other
    assert html.count("data:image/png") == 2
    for key in rules:
        assert f'href="#z-{key}"' in html and f'id="z-{key}"' in html
    assert ".zoom:target" in html


def test_papercuts_plural_unicode_readable_json_and_no_browser_suffix() -> None:
    report = make_report()
    report.tests[0].events = report.tests[0].events[:1]
    report.tests[0].calls[0].response = {"message": "Loading…"}
    html = render_html(report)
    recorder = RunRecorder("sandbox", [], {})
    recorder.single_browser = "chromium"

    assert "1 widget event," in html
    assert "Loading…" in html and "\\u2026" not in html
    assert '{"eventType": "flx-failure", "eventData": {"error": 401' in html.replace("&quot;", '"')
    assert recorder.display_name("test_x[chromium]") == "test_x"
    assert recorder.display_name("test_y[chromium-approved]") == "test_y[approved]"


def test_items_by_tests_matrix_marks_failed_and_proved_cells() -> None:
    html = render_html(make_report())

    [matrix] = re.findall(r'<table class="matrix".*?</table>', html, re.S)
    assert 'title="AUTH-01 × test_browser_never_calls_oauth_token[chromium]: failed">✗' in matrix
    assert 'title="EVT-01 × test_forged_message_from_another_origin_changes_nothing[chromium]: passed">✓' in matrix


def test_a_filter_shows_failed_items_only_without_script(page: Page, tmp_path: Path) -> None:
    _open_report(page, tmp_path, make_report())
    table = page.get_by_role("table", name="Certification checklist")

    page.get_by_role("radio", name="failed only").check()

    expect(table.locator("tbody tr:visible")).to_have_count(1)
    expect(page.locator(f"#{anchor(PASSED_ID)}")).to_be_hidden()
    expect(page.locator(f"#{anchor(FAILED_ID)}")).to_be_visible()


# The detection table as a picture


def test_detection_picture_marks_caught_missed_and_over_reported_cells() -> None:
    rows = [
        {"defect": "(clean store)", "expected": [], "failed": [], "verdict": "clean", "seconds": 60.0},
        {"defect": "tax_left_out", "expected": ["TXN-01"], "failed": ["EVT-02", "TXN-01"],
         "verdict": "over-reported", "seconds": 61.2},
        {"defect": "no_origin_check", "expected": ["EVT-01"], "failed": [], "verdict": "missed", "seconds": 59.0},
    ]

    svg = detection_svg(rows)
    root = ElementTree.fromstring(svg)
    cells = {rect.findtext(f"{SVG}title"): rect.get("class") for rect in root.iter(f"{SVG}rect")
             if "cell" in (rect.get("class") or "")}

    assert cells["tax_left_out × TXN-01: caught"] == "cell caught"
    assert cells["tax_left_out × EVT-02: over-reported"] == "cell over-reported"
    assert cells["no_origin_check × EVT-01: missed"] == "cell missed"
    assert len(cells) == 3 * 3  # every defect × every item any run touched
    page = detection_html(rows)
    assert "<svg" in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_an_event_a_failure_names_is_highlighted_and_red() -> None:
    test = _passed_test()
    test.outcome = "failed"
    test.failed_items = {"EVT-05": "flx-failure was shown as a success"}
    report = make_report()
    report.tests[0] = test

    html = render_html(report)

    assert '<tr class="cited" title="cited by the failure"><td>+' in html
    groups = _arrow_groups(sequence_svg(test, WIDGET_ORIGIN, set(), {"flx-failure"}))
    [label] = [label for label in groups if label.startswith("flx-failure")]
    assert "alarm" in groups[label].get("class", "")


# --base-url is the storefront


class _Options:
    """A pytest config's getoption, for the options these functions read."""

    def __init__(self, **options: object) -> None:
        self.options = options

    def getoption(self, name: str, default: object = None) -> object:
        return self.options.get(name.lstrip("-").replace("-", "_"), default)


def test_base_url_sets_store_url_outside_the_sandbox(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STORE_URL", raising=False)

    environ = settings_environ(_Options(env="training", base_url="https://staging.shop.example"))  # type: ignore[arg-type]

    assert environ["STORE_URL"] == "https://staging.shop.example"


@pytest.mark.parametrize(("env", "store_url", "says"), [
    ("sandbox", None, "--env sandbox tests the embedded reference store"),
    ("training", "https://other.example", "name different storefronts"),
])
def test_base_url_is_refused_where_it_would_be_ignored_or_contradicted(
        monkeypatch: pytest.MonkeyPatch, env: str, store_url: str | None, says: str) -> None:
    if store_url:
        monkeypatch.setenv("STORE_URL", store_url)

    with pytest.raises(SettingsError, match=says):
        settings_environ(_Options(env=env, base_url="https://staging.shop.example"))  # type: ignore[arg-type]


def test_pictures_of_an_earlier_run_are_removed_from_the_images_folder(tmp_path: Path) -> None:
    write_reports(make_report(), tmp_path)
    later = make_report()
    for test in later.tests:
        test.steps = []

    write_reports(later, tmp_path)

    assert list((tmp_path / "images").iterdir()) == []

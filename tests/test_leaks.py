"""No secret leaves a run: not in report or trace contents, entry names, hashes, any encoding, terminal output or
junit.xml, nor in a run that was interrupted; and the production guard looks at the hosts, not the label."""

from __future__ import annotations

import hashlib
import json
import os
import re
import select
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.customers import load_applicants, load_customers
from harness.masking import Masker, contains_secret, standalone_code
from harness.report.scrub import scrub_file, scrub_tree
from sandbox.flexiti.state import CUSTOMERS_FILE, seeded_token
from tests import subprocesses
from tests.subprocesses import output_tail, read_report, report_item, run_suite, suite_command, suite_environment

ROOT = Path(__file__).resolve().parent.parent
ENCODED_SECRET = "Pl&nted+S3cret/B1<x>"  # every character an HTML-safe JSON encoder or a URL escapes
TOKEN_SEED = "leak-scan-seed"
PRODUCTION_API = "https://posapi.flexiti.fi/flexiti/pos-api"
DESTRUCTIVE_TEST = "e2e/test_storefront.py::test_storefront_purchase_is_paid_and_confirmed_by_flexiti"
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"RIFF", b"\x1aE\xdf\xa3")
_SHA1_NAME = re.compile(r"(?:^|/)([0-9a-f]{40})(?:\.[A-Za-z0-9]+)?$")


# -- scanning what a run left ---------------------------------------------------------------------------

def _files(directory: Path) -> Iterator[tuple[str, bytes]]:
    """(where, bytes) for every file under `directory` and every entry of every zip."""
    for path in sorted(directory.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        yield str(path.relative_to(directory)), data
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                for name in archive.namelist():
                    yield f"{path.relative_to(directory)}!{name}", archive.read(name)


def _hash_guesses(secret: str) -> set[str]:
    """SHA-1s of bodies an attacker would guess carried `secret`: the names a trace would give them."""
    bodies = [secret, json.dumps(secret)]
    for key in ("answer", "code", "pin", "client_secret", "verification_code", "password"):
        bodies += [json.dumps({key: secret}), json.dumps({key: secret}, separators=(",", ":")), f"{key}={secret}"]
    return {hashlib.sha1(body.encode()).hexdigest() for body in bodies}  # SHA-1: what the trace names use


def _leaks(directory: Path, texts: list[str] = (), plain: list[str] = (), numeric: list[str] = ()) -> list[str]:
    """Every place a secret can be recovered from: contents in any encoding, names, names that are hashes of
    guessed bodies, content-hash names that are not the hash of the content kept, and `texts` (terminal output)."""
    guesses = {guess: secret for secret in [*plain, *numeric] for guess in _hash_guesses(secret)}
    found = []
    for where, data in [*_files(directory), *((f"text {n}", t.encode()) for n, t in enumerate(texts))]:
        text = "" if data.startswith(_IMAGE_MAGIC) else data.decode("utf-8", errors="replace")  # "ignore" joins digits
        for secret in plain:
            if contains_secret(where, secret) or contains_secret(text, secret):
                found.append(f"{secret!r} in {where}")
        for code in numeric:
            # A typed or sent code stands alone, as the masker reads it: not inside a number such as
            # "timestamp":2222.6, nor an identifier (a widget session id ending -2222bbbf8641), which it leaves whole.
            if re.search(standalone_code(code), where + "\n" + text):
                found.append(f"code {code} in {where}")
        hashes = set(re.findall(r"[0-9a-f]{40}", where + "\n" + text))
        found += [f"sha1 of a body with {guesses[h]!r} in {where}" for h in hashes & guesses.keys()]
        named = _SHA1_NAME.search(where.split("!")[-1])
        if "!resources/" in where and named and named.group(1) != hashlib.sha1(data).hexdigest():
            found.append(f"{where} is named by the hash of content it no longer holds")
    return found


def _run_secrets() -> tuple[list[str], list[str]]:
    customers = load_customers(CUSTOMERS_FILE)
    applicants = load_applicants(CUSTOMERS_FILE)
    assert applicants is not None
    plain = [c.security_question.answer for c in customers.values() if c.security_question]
    plain += [seeded_token(TOKEN_SEED, n) for n in range(1, 120)]
    numeric = [applicants.pin, *(code for c in customers.values() for code in (c.sms_code, c.email_code) if code)]
    return plain, sorted(set(numeric))


# -- the scrubber, on a trace made by hand ----------------------------------------------------------------

def _sha1(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def _trace(path: Path, secret_body: bytes) -> str:
    """A trace.zip as Playwright writes it: a request body stored under the hash of its content, referenced from
    the network log, and a screencast frame referenced from the event log."""
    body_name = _sha1(secret_body)
    events = [{"type": "context-options", "title": "t"},
              {"type": "screencast-frame", "pageId": "page@1", "sha1": "page@1-100.jpeg", "width": 10, "height": 10},
              {"type": "screencast-frame", "pageId": "page@1", "file": "screencast/page@1-200.jpeg", "width": 10},
              {"type": "frame-snapshot", "snapshot": {"html": ["INPUT", {"value": "314159"}]}}]
    network = {"type": "resource-snapshot", "snapshot": {"request": {"postData": {"_sha1": f"{body_name}.dat"}},
                                                         "response": {"content": {"_sha1": f"{body_name}.dat"}}}}
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("trace.trace", "\n".join(json.dumps(event) for event in events) + "\n")
        archive.writestr("trace.network", json.dumps(network) + "\n")
        archive.writestr(f"resources/{body_name}.dat", secret_body)
        archive.writestr("resources/page@1-100.jpeg", b"\xff\xd8\xff" + b"pixels of the typed code")
        archive.writestr("screencast/page@1-200.jpeg", b"\xff\xd8\xff" + b"pixels of the typed answer")
        archive.writestr("resources/" + _sha1(b"unrelated") + ".css", b"unrelated")
    return body_name


def test_a_masked_trace_resource_is_renamed_to_the_hash_of_its_new_content(tmp_path: Path) -> None:
    trace = tmp_path / "trace.zip"
    old_name = _trace(trace, b'{"answer":"314159"}')

    assert scrub_file(trace, Masker(hidden=["314159"]))

    with zipfile.ZipFile(trace) as archive:
        names = archive.namelist()
        network = archive.read("trace.network").decode()
        [body_entry] = [name for name in names if name.endswith(".dat")]
        body = archive.read(body_entry)
    assert old_name not in " ".join(names) and old_name not in network
    assert body == b'{"answer":"***"}' and body_entry == f"resources/{_sha1(body)}.dat"
    assert network.count(f"{_sha1(body)}.dat") == 2, network  # the references follow the new name
    assert "resources/" + _sha1(b"unrelated") + ".css" in names  # untouched resources keep theirs
    assert not _leaks(tmp_path, numeric=["314159"])


def test_screencast_frames_are_dropped_with_the_events_that_show_them(tmp_path: Path) -> None:
    trace = tmp_path / "trace.zip"
    _trace(trace, b"nothing secret")

    assert scrub_file(trace, Masker(hidden=["314159"]))

    with zipfile.ZipFile(trace) as archive:
        assert not [name for name in archive.namelist() if name.endswith(".jpeg")]
        events = [json.loads(line) for line in archive.read("trace.trace").decode().splitlines()]
    assert [event["type"] for event in events] == ["context-options", "frame-snapshot"]
    assert "314159" not in json.dumps(events)


def test_scrub_tree_reaches_every_file_of_the_run_listed_or_not(tmp_path: Path) -> None:
    (tmp_path / "playwright" / "interrupted-test").mkdir(parents=True)
    _trace(tmp_path / "playwright" / "interrupted-test" / "trace.zip", b'{"answer":"314159"}')
    (tmp_path / "junit.xml").write_text(f"<failure>client_secret={ENCODED_SECRET.replace('&', '&amp;')}</failure>")

    scrub_tree([tmp_path, tmp_path / "playwright"], Masker(hidden=["314159", ENCODED_SECRET]), since=0)

    assert not _leaks(tmp_path, plain=[ENCODED_SECRET], numeric=["314159"])


# -- whole runs -------------------------------------------------------------------------------------------

# Loaded with -p: a frame holding the Target fails, so -l prints it (in the terminal and in junit.xml).
TARGET_IN_A_FAILING_FRAME = """
import pytest


@pytest.fixture(autouse=True)
def _planted_teardown_error(target):
    yield
    raise RuntimeError("planted teardown error, in a frame whose locals hold the target")
"""


def test_an_encoded_secret_in_the_page_fails_auth01_and_is_printed_nowhere(tmp_path: Path) -> None:
    """The store writes the secret with HTML-safe JSON escaping (\\u0026); -vvv -l prints locals and full diffs."""
    plugins, reports = tmp_path / "plugins", tmp_path / "reports"
    plugins.mkdir()
    (plugins / "target_in_a_failing_frame.py").write_text(TARGET_IN_A_FAILING_FRAME, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))

    result = run_suite(reports, "e2e/test_storefront.py::test_storefront_opens_the_widget_from_the_widget_origin",
                  "-p", "target_in_a_failing_frame", "-vvv", "-l", "--tracing=on", "--screenshot=on",
                  FLEXITI_CLIENT_SECRET=ENCODED_SECRET, SANDBOX_STORE_DEFECTS="secret_in_browser", PYTHONPATH=path)
    tmp_path = reports

    assert result.returncode == 1, output_tail(result)
    auth = report_item(read_report(tmp_path), "AUTH-01")
    assert auth["status"] == "failed" and "secret" in auth["reason"], auth
    leaks = _leaks(tmp_path, texts=[result.stdout, result.stderr], plain=[ENCODED_SECRET])
    assert not leaks, leaks[:10]
    assert "Secret('***')" in result.stdout, "the -l locals were not printed, so nothing was tested"
    assert "Secret(&apos;***&apos;)" in (reports / "junit.xml").read_text() or "Secret('***')" in (
        reports / "junit.xml").read_text(), "junit.xml holds no locals, so nothing was tested there"


def test_a_traced_run_keeps_no_code_answer_pin_or_token_in_names_hashes_or_contents(tmp_path: Path) -> None:
    plain, numeric = _run_secrets()

    result = run_suite(tmp_path, "e2e/test_verification.py::test_each_mfa_option_completes_verification",
                  "e2e/test_verification.py::test_wrong_code_shows_error_and_allows_retry",
                  "e2e/test_apply.py::test_application_decision_is_shown[chromium-approved]",
                  "--tracing=on", "--screenshot=on", SANDBOX_TOKEN_SEED=TOKEN_SEED)

    assert result.returncode == 0, output_tail(result)
    names = [where for where, _ in _files(tmp_path)]
    assert any(name.endswith("!trace.trace") for name in names), "no trace was kept, so nothing was scanned"
    assert any(_SHA1_NAME.search(name.split("!")[-1]) for name in names if "!" in name), "no trace resources"
    # Inside traces only: the report's own pictures (images/ in certification-*.zip) are masked step screenshots.
    frames = [where for where, data in _files(tmp_path) if where.split("!")[0].endswith("trace.zip") and "!" in where
              and (data.startswith(_IMAGE_MAGIC) or b'"screencast-frame"' in data)]
    assert not frames, f"screencast frames (pictures of the codes typed) kept: {frames[:5]}"
    leaks = _leaks(tmp_path, texts=[result.stdout, result.stderr], plain=plain, numeric=numeric)
    assert not leaks, leaks[:10]


@pytest.mark.parametrize("trace", ["auto", "actions", "snapshots"])
def test_the_failure_trace_of_a_failed_test_keeps_no_code(tmp_path: Path, trace: str) -> None:
    plain, numeric = _run_secrets()

    result = run_suite(tmp_path, "e2e/test_outcomes.py::test_amount_and_sku_data_match_the_cart",
                       f"--failure-trace={trace}", SANDBOX_STORE_DEFECTS="tax_left_out", SANDBOX_TOKEN_SEED=TOKEN_SEED)

    assert result.returncode == 1, output_tail(result)
    traces = list(tmp_path.rglob("trace.zip"))
    if trace == "auto":  # against the embedded sandbox: none recorded; the masked failure screenshot is scanned
        assert not traces and list(tmp_path.rglob("failure-*.png")), [str(path) for path in tmp_path.rglob("*")]
    else:
        [kept] = traces or [None]
        assert kept is not None, "the failed test kept no trace, so nothing was scanned"
        with zipfile.ZipFile(kept) as archive:
            events = [json.loads(line) for line in archive.read("trace.trace").decode().splitlines()]
        snapshots = sum(event.get("type") == "frame-snapshot" for event in events)
        assert any(event.get("type") == "before" for event in events), "the trace holds no action"
        assert (snapshots > 0) == (trace == "snapshots"), f"{snapshots} DOM snapshots in a {trace} trace"
    leaks = _leaks(tmp_path, texts=[result.stdout, result.stderr], plain=plain, numeric=numeric)
    assert not leaks, leaks[:10]


def _interrupt_after_first_pass(reports: Path, whom: str, *args: str, **settings: str) -> tuple[int, str]:
    """Start a run, and once one test passed, interrupt the next: SIGINT to the process group, as a terminal's
    Ctrl-C sends it (the browser stops too), or to pytest alone, as `kill -INT` does (the browser lives on, and
    the interrupted test's trace is written during the session's teardown, after every test's report)."""
    process = subprocesses.popen(suite_command(reports, "-v", *args), cwd=ROOT, env=suite_environment(**settings),
                                 stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    printed: list[str] = []
    try:
        for line in process.stdout:
            printed.append(line)
            if "PASSED" in line:
                if whom == "group":
                    subprocesses.interrupt_group(process)
                else:
                    process.send_signal(signal.SIGINT)
                break
        rest, _ = process.communicate(timeout=180)
    except BaseException:
        subprocesses.kill_group(process)
        raise
    assert any("PASSED" in line for line in printed), "".join(printed)[-3000:]
    return process.returncode, "".join(printed) + rest


@pytest.mark.parametrize("whom", ["group", "process"])
def test_ctrl_c_exits_2_cleanly_and_leaves_no_secret_in_the_interrupted_test_trace(tmp_path: Path,
                                                                                    whom: str) -> None:
    plain, numeric = _run_secrets()

    code, output = _interrupt_after_first_pass(tmp_path, whom, "e2e/test_verification.py", "--tracing=on",
                                               SANDBOX_TOKEN_SEED=TOKEN_SEED)

    tail = "\n".join(output.strip().splitlines()[-40:])
    leaks = _leaks(tmp_path, plain=plain, numeric=numeric)
    assert not leaks, leaks[:10]
    assert code == 2, f"exit {code}:\n{tail}"
    after_paths = output.rsplit("certification (", 1)[-1]
    assert not re.search(r"Traceback|ExceptionGroup|TargetClosedError", after_paths), tail
    cases = list(ElementTree.parse(tmp_path / "junit.xml").getroot().iter("testcase"))
    assert cases and all(case.get("name") for case in cases), [case.attrib for case in cases]


# Loaded with -p: an artifact written after every test's report, as an interrupted test's trace is (at the
# session's teardown, if at all), and listed by no report.
LATE_ARTIFACT = """
import os
import zipfile
from pathlib import Path

import pytest


@pytest.fixture(scope="session", autouse=True)
def _late_artifact(pytestconfig):
    yield
    folder = Path(pytestconfig.getoption("--output")) / "interrupted-test"
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(folder / "trace.zip", "w") as trace:
        trace.writestr("trace.network", '{"postData": "client_secret=' + os.environ["FLEXITI_CLIENT_SECRET"] + '"}')
"""


def test_an_artifact_no_report_lists_is_scrubbed_at_the_end_of_the_run(tmp_path: Path) -> None:
    plugins, reports = tmp_path / "plugins", tmp_path / "reports"
    plugins.mkdir()
    (plugins / "late_artifact.py").write_text(LATE_ARTIFACT, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))

    result = run_suite(reports, "e2e/test_verification.py::test_each_mfa_option_completes_verification[chromium-sms]",
                  "-p", "late_artifact", FLEXITI_CLIENT_SECRET="late-planted-secret-4Kq", PYTHONPATH=path)

    assert result.returncode == 0, output_tail(result)
    assert (reports / "playwright" / "interrupted-test" / "trace.zip").is_file()
    leaks = _leaks(reports, plain=["late-planted-secret-4Kq"])
    assert not leaks, leaks


# A test interrupted mid-call, whose session teardown then fails as a browser closed by the same Ctrl-C does.
INTERRUPTED_WITH_A_CLOSED_BROWSER = """
import pytest


@pytest.fixture(scope="session")
def browser_like():
    yield
    raise ExceptionGroup("errors during test teardown",
                         [RuntimeError("Target page, context or browser has been closed")])


def test_interrupted(browser_like):
    raise KeyboardInterrupt
"""


def test_an_interruption_whose_teardown_fails_still_exits_2_with_a_named_testcase(tmp_path: Path) -> None:
    (tmp_path / "test_interrupted.py").write_text(INTERRUPTED_WITH_A_CLOSED_BROWSER, encoding="utf-8")
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}

    result = subprocesses.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly",
                               "-p", "fixtures.interruption", "test_interrupted.py", "--junitxml=junit.xml"],
                              cwd=tmp_path, env=environment, timeout=120)

    assert result.returncode == 2, output_tail(result)
    assert not re.search(r"Traceback|ExceptionGroup", result.stdout + result.stderr), output_tail(result)
    [case] = ElementTree.parse(tmp_path / "junit.xml").getroot().iter("testcase")
    assert case.get("name") == "test_interrupted" and case.find("error") is not None, case.attrib


def test_a_child_gets_sigint_at_its_default_even_when_the_parent_ignores_it(tmp_path: Path) -> None:
    probe = "import signal; print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)"
    # As `bash -c 'make test &'` starts it: SIGINT ignored, inherited by every child.
    parent = (f"import signal, sys\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
              f"sys.path.insert(0, {str(ROOT)!r})\nfrom tests import subprocesses\n"
              f"print(subprocesses.run([sys.executable, '-c', {probe!r}], cwd={str(tmp_path)!r}, env=dict(),"
              f" timeout=60).stdout.strip())")

    result = subprocesses.run([sys.executable, "-c", parent], cwd=None, env=None, timeout=120)

    assert result.stdout.strip() == "True", result.stdout + result.stderr


def test_a_child_that_outlives_its_timeout_is_killed_with_its_group(tmp_path: Path) -> None:
    marker = tmp_path / "grandchild.pid"
    script = (f"import subprocess, sys, time\n"
              f"child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
              f"open({str(marker)!r}, 'w').write(str(child.pid))\nchild.wait()")

    with pytest.raises(subprocess.TimeoutExpired):
        subprocesses.run([sys.executable, "-c", script], cwd=tmp_path, env=dict(os.environ), timeout=5)

    grandchild = int(marker.read_text())
    try:
        handle = os.pidfd_open(grandchild)
    except ProcessLookupError:
        return  # already gone and reaped
    try:
        ended, _, _ = select.select([handle], [], [], 30)  # readable once the process has ended
    finally:
        os.close(handle)
    assert ended, f"the grandchild {grandchild} outlived the kill"


# Loaded with -p: the shopper types a code and the test fails right there, with the code in the input; where the
# input is on the page (CSS pixels of the viewport) goes to BOX_FILE.
FAIL_WITH_THE_CODE_TYPED = """
import json
import os

from pages.widget import locators
from pages.widget.screens import CodeEntryScreen


def _type_then_fail(self, answer):
    code_input = locators.code_input(self.root)
    code_input.fill(os.environ["PLANTED_CODE"])
    with open(os.environ["BOX_FILE"], "w") as box:
        json.dump(code_input.bounding_box(), box)
    raise AssertionError("planted failure while the code input holds the code")


CodeEntryScreen.submit = _type_then_fail
"""
CODE_TEST = "e2e/test_verification.py::test_each_mfa_option_completes_verification[chromium-sms]"


def _png_rows(data: bytes) -> tuple[int, list[bytes]]:
    """Bytes per pixel and the unfiltered rows of an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)."""
    import struct
    import zlib
    position, chunks, header = 8, [], b""
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        header, chunks = (body, chunks) if kind == b"IHDR" else (header, chunks + [body] * (kind == b"IDAT"))
        position += 12 + length
    width, height, depth, colour = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour in (2, 6) and header[12] == 0, header
    channels = 3 if colour == 2 else 4
    raw, stride = zlib.decompress(b"".join(chunks)), width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - channels] if x >= channels else 0
            up, up_left = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - up_left
                near = min((abs(guess - left), 0), (abs(guess - up), 1), (abs(guess - up_left), 2))[1]
                line[x] = (line[x] + (left, up, up_left)[near]) & 0xFF
        rows.append(bytes(line))
        previous = line
    return channels, rows


def _crop(png: bytes, box: dict[str, float]) -> list[bytes]:
    channels, rows = _png_rows(png)
    left, top = int(box["x"]), int(box["y"])
    right, bottom = int(box["x"] + box["width"]), int(box["y"] + box["height"])
    return [row[left * channels:right * channels] for row in rows[top:bottom]]


def _failure_screenshot_of_the_code_input(reports: Path, code: str) -> list[bytes]:
    plugins, box_file = reports.parent / f"plugins-{code}", reports.parent / f"box-{code}.json"
    plugins.mkdir()
    (plugins / "fail_with_the_code_typed.py").write_text(FAIL_WITH_THE_CODE_TYPED, encoding="utf-8")
    path = os.pathsep.join(filter(None, [str(plugins), os.environ.get("PYTHONPATH")]))
    result = run_suite(reports, CODE_TEST, "-p", "fail_with_the_code_typed", "--screenshot=only-on-failure",
                  PLANTED_CODE=code, BOX_FILE=str(box_file), PYTHONPATH=path)
    assert result.returncode == 1 and "planted failure" in result.stdout, output_tail(result)
    [screenshot] = list(reports.rglob("*.png"))
    box = json.loads(box_file.read_text())
    assert box and box["width"] > 10 and box["height"] > 5, box
    return _crop(screenshot.read_bytes(), box)


def test_the_failure_screenshot_does_not_show_the_code_typed_into_the_widget(tmp_path: Path) -> None:
    """Two runs that differ only in the code typed: the code input's pixels in the failure screenshot must be the
    same, or the code can be read from them (masked as Playwright masks, the input is a solid box)."""
    first = _failure_screenshot_of_the_code_input(tmp_path / "first", "135791")
    second = _failure_screenshot_of_the_code_input(tmp_path / "second", "864208")

    assert first and len(first) == len(second), (len(first), len(second))
    differing = sum(a != b for a, b in zip(first, second, strict=True))
    assert differing == 0, f"{differing} of {len(first)} rows of the code input change with the code typed"


# -- the production guard, as pytest sees it --------------------------------------------------------------

def _training_on(**hosts: str) -> dict[str, str]:
    return {"STORE_URL": "https://127.0.0.1:9/", "FLEXITI_CLIENT_ID": "merchant-1",
            "FLEXITI_CLIENT_SECRET": "guard-secret", "FLEXITI_TEST_CUSTOMERS": str(CUSTOMERS_FILE), **hosts}


def _collected(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line.strip() for line in result.stdout.splitlines() if "::" in line and " " not in line.strip()]


@pytest.mark.parametrize("hosts", [{"FLEXITI_API_BASE": PRODUCTION_API},
                                   {"FLEXITI_WIDGET_ORIGIN": "https://POSAPI.flexiti.fi."},
                                   {"FLEXITI_API_BASE": "https://posapi.flexiti.fi:443/flexiti/pos-api"}])
def test_a_training_run_on_a_production_host_leaves_destructive_tests_out(tmp_path: Path,
                                                                          hosts: dict[str, str]) -> None:
    result = run_suite(tmp_path, "e2e/test_storefront.py", "--env", "training", "--collect-only", "-q",
                  **_training_on(**hosts))

    collected = _collected(result)
    assert any("test_storefront_opens_the_widget_from_the_widget_origin" in test for test in collected), \
        output_tail(result)
    assert not [test for test in collected if test.startswith(DESTRUCTIVE_TEST)], collected


@pytest.mark.parametrize("named", [DESTRUCTIVE_TEST, "--pyargs e2e.test_storefront::"
                                                     "test_storefront_purchase_is_paid_and_confirmed_by_flexiti"])
def test_a_named_destructive_test_is_refused_on_a_production_host(tmp_path: Path, named: str) -> None:
    result = run_suite(tmp_path, *named.split(), "--env", "training", "--collect-only",
                  **_training_on(FLEXITI_API_BASE=PRODUCTION_API))

    assert result.returncode == 4, output_tail(result)
    assert "refused in production" in result.stderr and "FLEXITI_API_BASE" in result.stderr, output_tail(result)


def test_with_workers_the_guard_line_and_the_report_name_the_left_out_tests(tmp_path: Path) -> None:
    result = run_suite(tmp_path, "e2e/test_storefront.py", "-k", "purchase_is_paid", "-n", "2", "--env", "training",
                  **_training_on(FLEXITI_API_BASE=PRODUCTION_API))

    assert "production guard: 1 test(s) marked destructive were not run" in result.stdout, output_tail(result)
    report = read_report(tmp_path, "training")
    [left_out] = [test for test in report["tests"] if test["nodeid"].startswith(DESTRUCTIVE_TEST)]
    assert left_out["outcome"] == "skipped" and "production guard" in left_out["reason"], left_out
    assert report_item(report, "ACC-02")["status"] == "not run", report_item(report, "ACC-02")

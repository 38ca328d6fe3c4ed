"""A remote browser through PLAYWRIGHT_WS_ENDPOINT: the connection options, and suite runs against a real
`playwright run-server` started here, so a run that silently launched a local browser instead would be caught."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserType

from fixtures.browser import LAUNCH_OPTIONS_HEADER, WS_ENDPOINT_SETTING, remote_connect_options, server_launch_options
from harness.browser import QUIET_FLAGS, resolve_local
from harness.settings import SettingsError, load_settings, printable_endpoint
from tests import subprocesses

ROOT = Path(__file__).resolve().parent.parent
QUICK_TEST = "e2e/test_purchase.py::test_widget_is_rendered_from_the_widget_origin"
SERVER_START_DEADLINE_S = 60.0
SERVER_STOP_DEADLINE_S = 30.0
SUITE_DEADLINE_S = 300.0


# ---------------------------------------------------------------- the pieces, without a browser


def _endpoint(value: str) -> str | None:
    """PLAYWRIGHT_WS_ENDPOINT as the settings read it (a sandbox run needs nothing else)."""
    return load_settings("sandbox", root=Path("/nonexistent"), environ={WS_ENDPOINT_SETTING: value}).ws_endpoint


def test_endpoint_unset_or_empty_means_launch_locally() -> None:
    assert load_settings("sandbox", root=Path("/nonexistent"), environ={}).ws_endpoint is None
    assert _endpoint("  ") is None  # CI exports an unset variable as ""


@pytest.mark.parametrize("endpoint", ["ws://127.0.0.1:3000/", "wss://grid.example.com/playwright?token=t"])
def test_ws_and_wss_endpoints_are_accepted(endpoint: str) -> None:
    assert _endpoint(endpoint) == endpoint


@pytest.mark.parametrize("endpoint", ["http://127.0.0.1:3000/", "127.0.0.1:3000", "ws://"])
def test_other_endpoints_are_refused_naming_the_setting(endpoint: str) -> None:
    with pytest.raises(SettingsError, match=WS_ENDPOINT_SETTING):
        _endpoint(endpoint)


def test_printed_endpoint_hides_tokens_and_passwords() -> None:
    shown = printable_endpoint("wss://user:pa55word@grid.example.com/pw?token=s3cret&browser=chromium")

    assert "s3cret" not in shown and "pa55word" not in shown
    assert shown == "wss://***@grid.example.com/pw?token=***&browser=***"


@pytest.mark.parametrize(("embedded", "exposed"), [(True, "<loopback>"), (False, None)],
                         ids=["sandbox", "training"])
def test_only_the_sandbox_exposes_this_machines_loopback_to_the_remote_browser(
    embedded: bool, exposed: str | None,
) -> None:
    inherited = {"headers": {"x-grid-token": "kept"}, "slow_mo": 100}

    options = remote_connect_options(inherited, "ws://127.0.0.1:3000/", {"args": ["--no-first-run"]}, sandbox=embedded)

    assert options.get("expose_network") == exposed  # a real storefront is reached from the server's own network
    assert options["headers"]["x-grid-token"] == "kept" and options["slow_mo"] == 100
    assert "--no-first-run" in json.loads(options["headers"][LAUNCH_OPTIONS_HEADER])["args"]
    assert "ws://127.0.0.1:3000/" in options.values()


def test_launch_options_use_the_servers_camel_case_names() -> None:
    options = server_launch_options({"executable_path": "/usr/bin/chromium", "slow_mo": 300, "args": list(QUIET_FLAGS)})

    assert options == {"headless": True, "executablePath": "/usr/bin/chromium", "slowMo": 300,
                       "args": list(QUIET_FLAGS)}


def test_launch_options_keep_headed_from_the_command_line() -> None:
    assert server_launch_options({"headless": False})["headless"] is False


# ---------------------------------------------------------------- whole runs against a Playwright server


@dataclass(frozen=True)
class PlaywrightServer:
    endpoint: str
    log_path: Path  # the server's stderr, with DEBUG=pw:server,pw:browser

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _drain(stream: Any, lines: queue.Queue[str | None]) -> None:
    """Hand every stdout line to the waiting test, then None at EOF; reading to the end keeps the pipe from filling."""
    for line in stream:
        lines.put(line)
    lines.put(None)


def _await_listening(lines: queue.Queue[str | None], log_path: Path) -> str:
    deadline = time.monotonic() + SERVER_START_DEADLINE_S
    seen: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        try:
            line = lines.get(timeout=max(remaining, 0))
        except queue.Empty:
            raise AssertionError(f"no 'Listening on' from the Playwright server within {SERVER_START_DEADLINE_S}s; "
                                 f"stdout: {seen}; stderr: {log_path.read_text()[-2000:]}") from None
        if line is None:
            raise AssertionError(f"the Playwright server exited before listening; stdout: {seen}; "
                                 f"stderr: {log_path.read_text()[-2000:]}")
        seen.append(line)
        if line.startswith("Listening on "):
            return line.removeprefix("Listening on ").strip()


def _stop(process: subprocess.Popen[str], drained: threading.Thread) -> None:
    """Interrupt the server's process group as Ctrl-C would (node ignores SIGTERM and never reads stdin).

    The server's stdout reaching EOF means the Python wrapper and node, which both hold it, have exited; only if that
    does not happen in time is the group this test started killed.
    """
    with suppress(ProcessLookupError):  # the server may already have died, e.g. before it listened
        os.killpg(process.pid, signal.SIGINT)
    drained.join(timeout=SERVER_STOP_DEADLINE_S)
    if drained.is_alive():
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        drained.join(timeout=SERVER_STOP_DEADLINE_S)
    process.wait(timeout=SERVER_STOP_DEADLINE_S)


@contextmanager
def running_playwright_server(log_path: Path) -> Iterator[PlaywrightServer]:
    """`playwright run-server` on a port it picks itself (no free-port race), stopped whatever the test did.

    `--unsafe` lets clients choose `executablePath` and `args`: Playwright's own browser is not installed here, so
    the server must launch the Chromium the client resolved, as a grid without Playwright's build would.
    """
    command = [sys.executable, "-m", "playwright", "run-server", "--port", "0", "--host", "127.0.0.1", "--unsafe"]
    env = {**os.environ, "DEBUG": "pw:server"}
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocesses.popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log, env=env)
    lines: queue.Queue[str | None] = queue.Queue()
    drained = threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True)
    drained.start()
    try:
        yield PlaywrightServer(_await_listening(lines, log_path), log_path)
    finally:
        _stop(process, drained)


def _environment(**settings: str) -> dict[str, str]:
    """The caller's environment without any setting that would change what the run is checked against."""
    dropped = ("FLEXITI_", "SANDBOX_", "STORE_URL", WS_ENDPOINT_SETTING, "DEBUG")
    kept = {name: value for name, value in os.environ.items() if not name.startswith(dropped)}
    return {**kept, **settings}


def _run_suite(reports: Path, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "pytest", "-p", "no:randomly", f"--reports-dir={reports}",
               f"--junitxml={reports / 'junit.xml'}", f"--output={reports / 'playwright'}", "--evidence", "off", *args]
    return subprocesses.run(command, cwd=ROOT, env=_environment(**settings), timeout=SUITE_DEADLINE_S)


def _resolved_chromium_version(browser_type: BrowserType) -> str | None:
    """The version of the Chromium a local run would choose; None when that is Playwright's build (no path to send).
    Playwright's own path comes from the session's browser_type: a second sync Playwright cannot start beside it."""
    executable = resolve_local(os.environ.get("E2E_CHROMIUM")).executable_path
    if executable is None:
        return None
    banner = subprocesses.run([executable, "--version"], cwd=None, env=None, timeout=60).stdout
    found = re.search(r"\b(\d+\.\d+\.\d+\.\d+)\b", banner)
    assert found, f"{executable} --version printed {banner!r}"
    return found.group(1)


def test_suite_runs_its_browser_through_the_playwright_server(tmp_path: Path, browser_type: BrowserType) -> None:
    with running_playwright_server(tmp_path / "server.log") as server:
        result = _run_suite(tmp_path / "reports", QUICK_TEST, **{WS_ENDPOINT_SETTING: server.endpoint})
        log = server.log()

    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    report = json.loads((tmp_path / "reports" / "certification-sandbox.json").read_text(encoding="utf-8"))
    assert [(test["nodeid"].split("[")[0], test["outcome"]) for test in report["tests"]] == [(QUICK_TEST, "passed")]
    # The server logs these only when a client connected and it launched a browser for it; the socks proxy only
    # when the client asked to expose its loopback, which only this harness's connect_options do (for the sandbox).
    assert 'engaged launch mode for "chromium"' in log, log[-3000:]
    assert "started socks proxy" in log, log[-3000:]
    # The browser the server launched is the one this side resolved and named in the launch-options header.
    expected = _resolved_chromium_version(browser_type)
    if expected is not None:
        assert report["run"]["browser"] == f"chromium {expected}", (report["run"]["browser"], expected)


def test_malformed_endpoint_stops_the_run_naming_the_setting(tmp_path: Path) -> None:
    result = _run_suite(tmp_path, QUICK_TEST, **{WS_ENDPOINT_SETTING: "http://127.0.0.1:3000/"})

    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"{WS_ENDPOINT_SETTING} = 'http://127.0.0.1:3000/' is not a ws:// or wss:// URL" in result.stderr
    report = json.loads((tmp_path / "certification-sandbox.json").read_text(encoding="utf-8"))
    assert WS_ENDPOINT_SETTING in report["run"]["stopped_early"]


def test_unreachable_endpoint_stops_the_run_naming_the_endpoint(tmp_path: Path) -> None:
    # Bound but not listening: connecting is refused at once, and no other process can take the port meanwhile.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as closed:
        closed.bind(("127.0.0.1", 0))
        endpoint = f"ws://127.0.0.1:{closed.getsockname()[1]}/"
        result = _run_suite(tmp_path, QUICK_TEST, **{WS_ENDPOINT_SETTING: endpoint})

    output = result.stdout + result.stderr
    assert result.returncode == 3, output[-3000:]
    assert f"{WS_ENDPOINT_SETTING} = '{endpoint}': could not get a browser from that Playwright server" in output
    report = json.loads((tmp_path / "certification-sandbox.json").read_text(encoding="utf-8"))
    assert report["run"]["stopped_early"].startswith(f"stopped: {WS_ENDPOINT_SETTING} = "), report["run"]
    assert "ECONNREFUSED" in output, output[-3000:]

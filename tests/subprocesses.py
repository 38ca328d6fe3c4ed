"""Child processes of the harness's own tests: SIGINT at its default, and killed when they outlive their time.

A script that starts `make test &` in the background runs it with SIGINT ignored, and children inherit that: a
child pytest or proxy would then shrug off the Ctrl-C a test sends it, and outlive the test. Children started
through here get SIGINT's default disposition back, run in their own process group (a signal reaches all of
them, and a test's own Ctrl-C does not), and are killed, group and all, on timeout.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def _default_signals() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def popen(command: Sequence[str], then: Callable[[], None] | None = None, **options: Any) -> subprocess.Popen[str]:
    """A child in its own process group, with SIGINT at its default whatever this process ignores; `then` runs in
    the child after that (a test that hands the child a disposition on purpose, as a background launch would)."""
    def prepare() -> None:
        _default_signals()
        if then is not None:
            then()

    return subprocess.Popen(list(command), preexec_fn=prepare, start_new_session=True, text=True, **options)


def kill_group(process: subprocess.Popen[str]) -> None:
    """Kill the child and everything it started (browsers, servers)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def interrupt_group(process: subprocess.Popen[str]) -> None:
    """Ctrl-C as a terminal sends it: SIGINT to the whole process group."""
    os.killpg(process.pid, signal.SIGINT)


def run(command: Sequence[str], cwd: Path | None, env: dict[str, str] | None, timeout: float
        ) -> subprocess.CompletedProcess[str]:
    """Run to the end and capture the output; on timeout the whole group is killed, then TimeoutExpired."""
    process = popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        kill_group(process)
        raise
    return subprocess.CompletedProcess(list(command), process.returncode, stdout, stderr)


# -- the suite as a child: the harness's own tests run it as a merchant would, and read what it wrote --------------

ROOT = Path(__file__).resolve().parent.parent
# Settings that would change what a child run is checked against: the child gets only what its test gives it.
RUN_SETTINGS = ("FLEXITI_", "SANDBOX_", "STORE_URL")


def suite_command(reports: Path, *args: str) -> list[str]:
    """pytest with every output (reports, JUnit, Playwright's folder) under `reports`, in a fixed test order."""
    return [sys.executable, "-m", "pytest", "-p", "no:randomly", "-p", "no:cacheprovider", f"--reports-dir={reports}",
            f"--junitxml={reports / 'junit.xml'}", f"--output={reports / 'playwright'}", *args]


def suite_environment(*dropped: str, **settings: str) -> dict[str, str]:
    """This process's environment without the run settings (and `dropped` prefixes), plus `settings`."""
    prefixes = (*RUN_SETTINGS, *dropped)
    return {**{name: value for name, value in os.environ.items() if not name.startswith(prefixes)}, **settings}


def run_suite(reports: Path, *args: str, timeout: float = 600, **settings: str) -> subprocess.CompletedProcess[str]:
    """The suite (or the tests `args` name) in a child, with only `settings` for configuration."""
    return run(suite_command(reports, *args), cwd=ROOT, env=suite_environment(**settings), timeout=timeout)


def read_report(reports: Path, env: str = "sandbox") -> dict[str, Any]:
    """The JSON certification report a child run wrote."""
    report: dict[str, Any] = json.loads((reports / f"certification-{env}.json").read_text(encoding="utf-8"))
    return report


def report_item(report: dict[str, Any], item_id: str) -> dict[str, Any]:
    """One checklist item of a report."""
    return next(item for item in report["checklist"] if item["id"] == item_id)


def output_tail(result: subprocess.CompletedProcess[str], lines: int = 30) -> str:
    """The last lines a child printed, for an assertion message."""
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])

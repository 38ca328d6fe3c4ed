"""`python -m harness.flake`: run the certification suite N times and count how often each test fails."""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from harness.browser import BrowserNotFound, ChromiumChoice, chosen_chromium, resolve_local

if TYPE_CHECKING:
    from multiprocessing.synchronize import Event as EventType

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SELECTION = ("e2e",)
DEFAULT_RUNS = 20
DEFAULT_RUN_TIMEOUT = 3600.0  # one run of the whole suite, serial, on a slow machine, with margin
STOP_GRACE_SECONDS = 15.0  # how long a stopped pytest gets to write its reports before it is killed
LOAD_ROUND = 100_000  # arithmetic steps between two checks of the load process's stop conditions
POSIX = os.name == "posix"


class SetupError(RuntimeError):
    """The measurement cannot start (no pytest, no Chromium, a broken selection); the message says why."""


# -- running a command -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finished:
    """How a command ended: its exit code (None when it was stopped after its time limit) and wall time."""

    returncode: int | None
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.returncode is None


def _signal_group(process: subprocess.Popen[bytes], signum: int) -> None:
    """Signal the command and the processes it started (its own session), or only the command elsewhere."""
    try:
        if POSIX:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
    except (ProcessLookupError, PermissionError):
        pass


def _stop(process: subprocess.Popen[bytes], first_signal: int) -> None:
    """Ask the command to stop, give it a grace period to write its reports, then kill what is left."""
    _signal_group(process, first_signal)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)
    _signal_group(process, signal.SIGKILL if POSIX else signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_SECONDS)


def run_command(args: Sequence[str], *, cwd: Path, output: IO[bytes] | None, timeout: float,
                env: dict[str, str] | None = None) -> Finished:
    """Run `args` to completion or until `timeout`; on Ctrl-C stop it (and its children) and re-raise.

    The command runs in its own session, so a time-out or a Ctrl-C also ends the browsers and workers it
    started; Ctrl-C is passed on as SIGINT, so pytest still writes its reports.
    """
    started = time.perf_counter()
    process = subprocess.Popen(list(args), cwd=cwd, stdout=output, stderr=subprocess.STDOUT if output else None,
                               start_new_session=POSIX, env=env)
    try:
        returncode: int | None = process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(process, signal.SIGTERM)
        returncode = None
    except KeyboardInterrupt:
        _stop(process, signal.SIGINT)
        raise
    return Finished(returncode, time.perf_counter() - started)


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log, for an error message."""
    if not path.is_file():
        return "(no output)"
    text = path.read_text(encoding="utf-8", errors="replace").rstrip().splitlines()
    return "\n".join(text[-lines:])


# -- preconditions ---------------------------------------------------------------------------------------

def require_pytest() -> None:
    if importlib.util.find_spec("pytest") is None:
        raise SetupError(f"pytest is not installed for {sys.executable}; run `make setup` and use .venv/bin/python")


def require_chromium() -> ChromiumChoice:
    """The Chromium the suite will launch, found the way the harness finds it."""
    try:
        return resolve_local(chosen_chromium())
    except BrowserNotFound as error:
        raise SetupError(str(error)) from None
    except ImportError:
        raise SetupError(f"playwright is not installed for {sys.executable}; run `make setup`") from None


# -- JUnit results ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class JunitResults:
    tests: tuple[str, ...]  # every test case id, in file order, once
    failed: frozenset[str]
    skipped: frozenset[str]

    @property
    def passed(self) -> int:
        return len(self.tests) - len(self.failed) - len(self.skipped - self.failed)


def case_id_of(case: ElementTree.Element) -> str:
    classname, name = case.get("classname", ""), case.get("name", "")
    return f"{classname}::{name}" if classname else name


def read_junit(path: Path) -> JunitResults:
    """Test ids, failed ids and skipped ids of a JUnit XML file (a failure or an error child is a failure)."""
    root = ElementTree.parse(path).getroot()
    tests: dict[str, None] = {}
    failed: set[str] = set()
    skipped: set[str] = set()
    for case in root.iter("testcase"):
        case_id = case_id_of(case)
        tests[case_id] = None
        children = {child.tag for child in case}
        if children & {"failure", "error"}:
            failed.add(case_id)
        elif "skipped" in children:
            skipped.add(case_id)
    return JunitResults(tuple(tests), frozenset(failed), frozenset(skipped))


# -- one run ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RunResult:
    index: int
    folder: Path
    junit: Path
    seconds: float
    results: JunitResults | None  # None: the run did not complete (see `problem`)
    problem: str | None = None

    @property
    def failed(self) -> bool:
        return self.results is None or bool(self.results.failed)

    def describe(self, runs: int) -> str:
        head = f"run {self.index}/{runs}:"
        if self.results is None:
            return f"{head} did not complete ({self.problem}) after {self.seconds:.1f}s"
        counts = f"{self.results.passed} passed, {len(self.results.failed)} failed"
        if self.results.skipped:
            counts += f", {len(self.results.skipped)} skipped"
        return f"{head} {counts} in {self.seconds:.1f}s"


def pytest_command(selection: Sequence[str], folder: Path, junit: Path, workers: int) -> list[str]:
    command = [sys.executable, "-m", "pytest", *selection, "-q", "-p", "no:randomly", f"--junitxml={junit}",
               f"--reports-dir={folder}", f"--output={folder / 'playwright'}"]
    if workers > 0:
        command += ["-n", str(workers)]
    return command


def run_once(index: int, base: Path, selection: Sequence[str], workers: int, timeout: float) -> RunResult:
    folder, junit = base / f"run-{index}", base / f"run-{index}.xml"
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "pytest.log").open("wb") as log:
        finished = run_command(pytest_command(selection, folder, junit, workers), cwd=REPO_ROOT, output=log,
                               timeout=timeout)
    if finished.timed_out:
        return RunResult(index, folder, junit, finished.seconds, None, f"stopped after the {timeout:.0f}s limit")
    if finished.returncode not in (0, 1):
        return RunResult(index, folder, junit, finished.seconds, None, f"pytest exit code {finished.returncode}")
    try:
        results = read_junit(junit)
    except (OSError, ElementTree.ParseError) as error:
        return RunResult(index, folder, junit, finished.seconds, None, f"no readable JUnit XML: {error}")
    if finished.returncode == 1 and not results.failed:
        return RunResult(index, folder, junit, finished.seconds, None, "pytest exit code 1 but no failed test case")
    return RunResult(index, folder, junit, finished.seconds, results)


def discard(run: RunResult) -> None:
    shutil.rmtree(run.folder, ignore_errors=True)
    run.junit.unlink(missing_ok=True)


# -- CPU load --------------------------------------------------------------------------------------------

def spin(stop: EventType, parent_pid: int, max_seconds: float) -> None:
    """Keep one core busy with arithmetic until told to stop, the parent is gone, or `max_seconds` pass."""
    with contextlib.suppress(AttributeError, OSError):  # no nice on this platform: normal priority then
        os.nice(10)
    deadline = time.monotonic() + max_seconds
    value = 1
    # A round takes well over 0.1 ms, so this count bound is never reached before the time bound.
    for _ in range(int(max_seconds * 10_000) + 1):
        for step in range(LOAD_ROUND):
            value = (value * 1103515245 + step) & 0xFFFFFFFF
        if stop.is_set() or time.monotonic() > deadline or os.getppid() != parent_pid:
            return


class CpuLoad:
    """One process spinning one core's worth of arithmetic, niced, between `start()` and `stop()`."""

    def __init__(self, max_seconds: float) -> None:
        self.stop_event = multiprocessing.Event()
        self.process = multiprocessing.Process(target=spin, args=(self.stop_event, os.getpid(), max_seconds),
                                               name="flake-cpu-load", daemon=True)

    def start(self) -> None:
        self.process.start()

    def stop(self) -> None:
        self.stop_event.set()
        if self.process.pid is not None:
            self.process.terminate()
            self.process.join(timeout=10)


# -- summary ---------------------------------------------------------------------------------------------

def failure_counts(runs: Sequence[RunResult]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for run in runs:
        if run.results is not None:
            counts.update({case: 0 for case in run.results.tests})
            counts.update(run.results.failed)
    return counts


def print_table(counts: Counter[str], runs: int) -> None:
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    print(f"\n{'failures':>10}  test")
    for case, failures in rows:
        print(f"{failures:>5} / {runs:<3} {case}")


def format_seconds(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes)}m {rest:04.1f}s" if minutes else f"{rest:.1f}s"


def print_summary(runs: Sequence[RunResult], planned: int, wall: float, load: bool, interrupted: bool) -> None:
    counts = failure_counts(runs)
    print_table(counts, len(runs))
    failing = [run for run in runs if run.failed]
    incomplete = [run for run in runs if run.results is None]
    print(f"\ntotal test failures: {sum(counts.values())} over {len(runs)} of {planned} planned run(s)"
          f"{' (interrupted)' if interrupted else ''}")
    print(f"runs with a failure: {', '.join(str(run.index) for run in failing) or 'none'}")
    for run in incomplete:
        print(f"  run {run.index} did not complete: {run.problem}")
    if failing:
        print("reports of the failing runs (JUnit XML beside each folder; pytest's output in pytest.log):")
        for run in failing:
            print(f"  run {run.index}: {run.folder}")
    print(f"CPU load: {'on (1 busy process, niced)' if load else 'off'}")
    print(f"total wall time: {format_seconds(wall)}")


# -- command line ----------------------------------------------------------------------------------------

def split_selection(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Own options before `--`, pytest's selection after it (default: the e2e suite)."""
    if "--" in argv:
        cut = list(argv).index("--")
        return list(argv[:cut]), list(argv[cut + 1:]) or list(DEFAULT_SELECTION)
    return list(argv), list(DEFAULT_SELECTION)


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m harness.flake",
        usage="python -m harness.flake [--runs N] [--load] [--workers N] [--run-timeout S] [-- PYTEST_SELECTION ...]",
        description="Run the certification suite N times in a row (each run a fresh pytest process) and "
                    "report how often each test failed. Exit code 0 when no test failed in any run, 1 otherwise, "
                    "2 when the runs cannot start.",
        epilog="Anything after `--` is pytest's selection, relative to the repository root, e.g. "
               "`python -m harness.flake --runs 5 -- e2e/test_purchase.py -k single`. Default selection: e2e.",
    )
    parser.add_argument("--runs", type=positive_int, default=DEFAULT_RUNS, help="how many runs (default: 20)")
    parser.add_argument("--load", action="store_true",
                        help="keep one core busy (a niced process spinning arithmetic) during all runs")
    parser.add_argument("--workers", type=non_negative_int, default=0,
                        help="pytest-xdist workers per run (-n); 0 runs serially (default: 0)")
    parser.add_argument("--run-timeout", type=float, default=DEFAULT_RUN_TIMEOUT, metavar="SECONDS",
                        help="stop a run that takes longer than this (default: 3600)")
    return parser.parse_args(argv)


def run_all(args: argparse.Namespace, selection: list[str], base: Path, runs: list[RunResult]) -> None:
    """Every run in turn, appended to `runs`; the reports of a passing run are deleted as soon as it ends."""
    for index in range(1, args.runs + 1):
        run = run_once(index, base, selection, args.workers, args.run_timeout)
        print(run.describe(args.runs), flush=True)
        if index == 1 and run.results is None:
            raise SetupError(f"the first run did not complete ({run.problem}); pytest's output ends with:\n"
                             f"{tail(run.folder / 'pytest.log')}\nits reports are in {run.folder}")
        runs.append(run)
        if not run.failed:
            discard(run)


def main(argv: Sequence[str] | None = None) -> int:
    own, selection = split_selection(sys.argv[1:] if argv is None else argv)
    args = parse_args(own)
    try:
        require_pytest()
        chromium = require_chromium()
    except SetupError as error:
        print(f"flake: {error}", file=sys.stderr)
        return 2
    base = Path(tempfile.mkdtemp(prefix="flake-"))
    mode = f"{args.workers} workers" if args.workers else "serial"
    print(f"flake: {args.runs} run(s) of `pytest {' '.join(selection)}` ({mode}), browser {chromium.describe()}")
    started = time.perf_counter()
    runs: list[RunResult] = []
    interrupted = False
    load = CpuLoad(max_seconds=args.runs * args.run_timeout + 60) if args.load else None
    try:
        if load is not None:
            load.start()
            print(f"flake: CPU load on: 1 busy process (pid {load.process.pid}), niced by 10", flush=True)
        run_all(args, selection, base, runs)
    except SetupError as error:
        print(f"flake: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        interrupted = True
        print("\nflake: interrupted", file=sys.stderr)
    finally:
        if load is not None:
            load.stop()
            print("flake: CPU load stopped", flush=True)
    print_summary(runs, args.runs, time.perf_counter() - started, args.load, interrupted)
    if any(base.iterdir()):
        if interrupted:
            print(f"output of the interrupted run, if any: {base}")
    else:
        base.rmdir()
    if interrupted:
        return 130
    return 1 if any(run.failed for run in runs) else 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Measure the harness: suite wall time, overhead over bare Playwright, sandbox API throughput, fresh clone."""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import argparse  # noqa: E402 - the repository root must be on sys.path before the project's imports
import json  # noqa: E402
import multiprocessing  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
import xml.etree.ElementTree as ElementTree  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402
from urllib.parse import parse_qs, urlsplit  # noqa: E402

try:
    import httpx
    from playwright.sync_api import Browser, expect, sync_playwright

    from harness.browser import (
        QUIET_FLAGS,
        ChromiumChoice,
        chosen_chromium,
        playwright_builds,
        system_chromium,
        system_headless_shell,
    )
    from harness.customers import Customer, load_customers
    from harness.flake import (
        SetupError,
        positive_int,
        read_junit,
        require_chromium,
        require_pytest,
        run_command,
        tail,
    )
    from sandbox.servers import Sandbox
except ImportError as missing:  # pragma: no cover - depends on the interpreter
    print(f"benchmark: {missing}. Run `make setup` and use .venv/bin/python.", file=sys.stderr)
    raise SystemExit(2) from None

GROUPS = ("suite", "harness_vs_bare", "sandbox_rps", "fresh_clone")
# The figures from one run: the suite, the overhead per browser, and fresh clone -> first report.
DEFAULT_GROUPS = ("suite", "harness_vs_bare", "fresh_clone")
CUSTOMERS_FILE = REPO_ROOT / "sandbox" / "flexiti" / "customers.json"
HARNESS_TEST = "e2e/test_purchase.py::test_single_account_customer_completes_purchase"
SUITE_TIMEOUT = 3600.0
HARNESS_TEST_TIMEOUT = 300.0
FRESH_CLONE_TIMEOUT = 3600.0
RESET_EVERY = 200  # throughput iterations between two sandbox resets, so the sandbox's state stays small
HTTP_TIMEOUT = 10.0
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class BenchmarkError(RuntimeError):
    """A figure could not be measured; the message says why."""


@dataclass
class Results:
    """What this invocation measured: headline figures, the series behind them, and when each group ran."""

    figures: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, Any] = field(default_factory=dict)

    def figure(self, name: str, value: Any, unit: str = "") -> None:
        self.figures[name] = value
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"  {name} = {shown}{unit}", flush=True)


# -- helpers ---------------------------------------------------------------------------------------------

def require_loopback(url: str) -> str:
    host = urlsplit(url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise BenchmarkError(f"refusing to target {url}: only loopback addresses may be benchmarked")
    return url


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def series(values: Sequence[float]) -> str:
    return "[" + ", ".join(f"{value:.3f}" for value in values) + "]"


def pytest_args(*selection: str, out: Path, extra: Sequence[str] = ()) -> list[str]:
    """pytest with every output (reports, JUnit, Playwright artifacts) in `out`, never in the repo's reports/."""
    return [sys.executable, "-m", "pytest", *selection, "-q", "-p", "no:randomly", f"--reports-dir={out}",
            f"--junitxml={out}.xml", f"--output={out / 'playwright'}", *extra]


# -- a. the suite, serial and with two workers -----------------------------------------------------------

def time_suite(name: str, extra: Sequence[str], work: Path) -> tuple[float, dict[str, Any]]:
    out = work / name
    out.mkdir(parents=True)
    log = work / f"{name}.log"
    with log.open("wb") as output:
        finished = run_command(pytest_args("e2e", out=out, extra=extra), cwd=REPO_ROOT, output=output,
                               timeout=SUITE_TIMEOUT)
    if finished.timed_out or finished.returncode not in (0, 1):
        raise BenchmarkError(f"`pytest e2e {' '.join(extra)}` did not complete "
                             f"({'timed out' if finished.timed_out else f'exit {finished.returncode}'}):\n{tail(log)}")
    results = read_junit(Path(f"{out}.xml"))
    if results.failed:
        print(f"  warning: {len(results.failed)} test(s) failed in the {name} run; its time still counts",
              flush=True)
    return finished.seconds, {"tests": len(results.tests), "failed": sorted(results.failed),
                              "exit_code": finished.returncode}


def measure_suite(results: Results, work: Path) -> None:
    print(f"suite: os.cpu_count() = {os.cpu_count()}", flush=True)
    results.figure("cpu_count", os.cpu_count())
    serial, serial_details = time_suite("serial", (), work)
    results.figure("suite_serial_s", serial, " s")
    parallel, parallel_details = time_suite("n2", ("-n", "2"), work)
    results.figure("suite_n2_s", parallel, " s")
    # `make certify` itself: -n auto, every core.
    results.figure("suite_speedup", serial / parallel, "x (serial / -n 2)")
    results.details["suite"] = {"serial": serial_details, "n2": parallel_details}


# -- b. the purchase flow: bare Playwright versus the harness test ---------------------------------------

def bare_purchase(browser: Browser, sandbox: Sandbox, shopper: Customer) -> float:
    """The purchase flow with nothing but Playwright: no event capture, no journal, no report."""
    started = time.perf_counter()
    context = browser.new_context(base_url=sandbox.urls.store)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("button", name="Add Desk lamp to cart").click()
        page.wait_for_url("**/cart")
        page.get_by_role("link", name="Checkout").click()
        page.get_by_label("First name").fill(shopper.first_name)
        page.get_by_label("Last name").fill(shopper.last_name)
        page.get_by_label("Date of birth").fill(shopper.dob)
        page.get_by_label("Postal code").fill(shopper.postal_code)
        page.get_by_label("Email").fill(shopper.email)
        page.get_by_label("Phone").fill(shopper.phone_number)
        page.get_by_role("button", name="Pay with Flexiti").click()
        widget = page.frame_locator('iframe[title="Flexiti widget"]')
        widget.get_by_role("radio", name="Text message (SMS)").check()
        widget.get_by_role("button", name="Continue").click()
        widget.get_by_role("textbox").fill(shopper.mfa_answer("sms"))
        widget.get_by_role("button", name="Verify").click()
        page.wait_for_url(re.compile(r"/orders/ORD-[A-Z0-9]+$"))
        expect(page.get_by_test_id("order-status")).to_have_text("Paid with Flexiti")
    finally:
        context.close()
    sandbox.reset()
    return time.perf_counter() - started


# The harness test runs this many times in one pytest session. The first pays for starting the session (sandbox,
# browser) in its setup and the last for stopping it in its teardown (JUnit counts the session's finalizers in the
# last test's time), so only the ones between are comparable with a bare run, which reuses both.
HARNESS_REPEATS = 4


def harness_purchases(work: Path, name: str, chromium: ChromiumChoice, extra: Sequence[str] = ()) -> list[float]:
    """JUnit times (setup + call + teardown) of the harness test's repeats but the first and the last, on `chromium`,
    with pytest options `extra`."""
    out = work / name
    out.mkdir(parents=True)
    log = work / f"{name}.log"
    # --keep-duplicates keeps repeated paths (not node ids): the file four times, the test picked with -k.
    test_file, _, test_name = HARNESS_TEST.partition("::")
    command = pytest_args(*([test_file] * HARNESS_REPEATS), out=out,
                          extra=("--keep-duplicates", "-k", test_name, *extra))
    with log.open("wb") as output:
        env = {**os.environ, **({"E2E_CHROMIUM": chromium.executable_path} if chromium.executable_path else {})}
        finished = run_command(command, cwd=REPO_ROOT, output=output, timeout=HARNESS_TEST_TIMEOUT, env=env)
    if finished.returncode != 0:
        why = "timed out" if finished.timed_out else f"exit {finished.returncode}"
        raise BenchmarkError(f"the harness test did not pass ({why}):\n{tail(log)}")
    cases = junit_times(Path(f"{out}.xml"))
    if len(cases) != HARNESS_REPEATS:
        raise BenchmarkError(f"expected {HARNESS_REPEATS} test cases in {out}.xml, found {len(cases)}")
    return cases[1:-1]


def junit_times(path: Path) -> list[float]:
    """The `time` attribute of every test case in a JUnit XML file (pytest: setup + call + teardown)."""
    return [float(case.get("time", "nan")) for case in ElementTree.parse(path).getroot().iter("testcase")]


def browsers_to_compare() -> dict[str, ChromiumChoice]:
    """Each kind of Chromium this machine has (Playwright's build first, else the system's), or only the one
    E2E_CHROMIUM names."""
    explicit = chosen_chromium()
    if explicit:
        return {"e2e_chromium": ChromiumChoice(explicit, "E2E_CHROMIUM")}
    builds = playwright_builds()
    found = {
        "headless_shell": builds.headless_shell or system_headless_shell(),
        "chromium": builds.chromium or system_chromium(),
    }
    return {kind: ChromiumChoice(path, kind) for kind, path in found.items() if path}


def measure_harness_vs_bare(results: Results, work: Path, chromium: ChromiumChoice, alternations: int) -> None:
    """harness_vs_bare for each browser found (`harness_vs_bare_<kind>`); `harness_vs_bare` is the one a run
    chooses by default (`chromium`)."""
    compared = browsers_to_compare()
    for kind, choice in compared.items():
        print(f"harness_vs_bare [{kind}]: {choice.executable_path}", flush=True)
        default = choice.executable_path == chromium.executable_path
        ratio = harness_vs_bare_on(results, work / kind, choice, alternations, suffix=f"_{kind}",
                                   without_pictures=default)
        if default:
            results.figure("harness_vs_bare", ratio, f"x (the default browser: {kind})")


# The same harness test without step pictures: what the harness's own machinery (event capture, request log, journal,
# page objects, checks, report) costs apart from the screenshots a report shows for every step.
WITHOUT_PICTURES = ("--evidence", "off")


def harness_vs_bare_on(results: Results, work: Path, chromium: ChromiumChoice, alternations: int,
                       suffix: str = "", without_pictures: bool = False) -> float:
    work.mkdir(parents=True, exist_ok=True)
    shopper = load_customers(CUSTOMERS_FILE)["single_account"]
    bare: list[float] = []
    harness: list[float] = []
    pictureless: list[float] = []
    print(f"  {alternations} alternation(s) of bare Playwright and `pytest {HARNESS_TEST}`"
          + (f" (also with {' '.join(WITHOUT_PICTURES)})" if without_pictures else ""), flush=True)
    with Sandbox() as sandbox, sync_playwright() as playwright:
        require_loopback(sandbox.urls.store)
        require_loopback(sandbox.urls.flexiti)
        browser = playwright.chromium.launch(executable_path=chromium.executable_path, args=list(QUIET_FLAGS))
        try:
            for index in range(1, alternations + 1):
                runs = [bare_purchase(browser, sandbox, shopper) for _ in range(HARNESS_REPEATS - 2)]
                bare.extend(runs)
                harness.extend(repeats := harness_purchases(work, f"harness-{index}", chromium))
                line = f"  {index}/{alternations}: bare {series(runs)}, harness {series(repeats)}"
                if without_pictures:
                    pictureless.extend(more := harness_purchases(work, f"no-pictures-{index}", chromium,
                                                                 WITHOUT_PICTURES))
                    line += f", without pictures {series(more)}"
                print(line, flush=True)
        finally:
            browser.close()
    print(f"  bare series:    {series(bare)}")
    print(f"  harness series: {series(harness)}")
    ratio = median(harness) / median(bare)
    results.figure(f"bare_median_s{suffix}", median(bare), " s")
    results.figure(f"harness_median_s{suffix}", median(harness), " s")
    results.figure(f"harness_vs_bare{suffix}", ratio, "x (harness / bare, median / median)")
    if pictureless:
        print(f"  without pictures series: {series(pictureless)}")
        results.figure(f"harness_vs_bare_without_pictures{suffix}", median(pictureless) / median(bare),
                       f"x (harness {' '.join(WITHOUT_PICTURES)} / bare)")
    results.details[f"harness_vs_bare{suffix}"] = {
        "browser": chromium.executable_path,
        "bare_s": bare,
        "harness_s": harness,
        "harness_without_pictures_s": pictureless,
        "note": "harness_s: JUnit time (setup+call+teardown) of the purchase test repeated in one pytest session, "
                "first and last repeats dropped (they start and stop the sandbox and browser); bare_s reuses one "
                "sandbox and one browser",
    }
    return ratio


# -- c. sandbox API throughput ---------------------------------------------------------------------------

class ResetGate:
    """Lets client threads run iterations, and resets the sandbox every `every` iterations when none is in
    flight (a reset in the middle of another thread's purchase would break that purchase)."""

    def __init__(self, sandbox: Sandbox, every: int) -> None:
        self.sandbox, self.every = sandbox, every
        self.condition = threading.Condition()
        self.in_flight = 0
        self.iterations = 0
        self.resetting = False

    def enter(self) -> None:
        with self.condition:
            if not self.condition.wait_for(lambda: not self.resetting, timeout=HTTP_TIMEOUT * 6):
                raise BenchmarkError("a sandbox reset did not finish")
            self.in_flight += 1

    def leave(self) -> None:
        with self.condition:
            self.in_flight -= 1
            self.iterations += 1
            try:
                if self.iterations % self.every == 0:
                    self.resetting = True
                    if not self.condition.wait_for(lambda: self.in_flight == 0, timeout=HTTP_TIMEOUT * 6):
                        raise BenchmarkError("client threads did not drain before a sandbox reset")
                    self.sandbox.reset()  # not a request: not counted
            finally:
                self.resetting = False
                self.condition.notify_all()


def expect_ok(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise BenchmarkError(f"{response.request.method} {response.request.url.path} answered "
                             f"{response.status_code}: {response.text[:300]}")
    return response


def widget_session_id(init: httpx.Response) -> str:
    fragment = urlsplit(init.json()["redirection_url"]).fragment
    return parse_qs(fragment.partition("?")[2])["widget_session_id"][0]


@dataclass(frozen=True)
class SandboxAddress:
    """What a throughput client needs from the sandbox; picklable, for clients in their own processes."""

    api_base: str
    flexiti: str
    client_id: str
    client_secret: str

    @classmethod
    def of(cls, sandbox: Sandbox) -> SandboxAddress:
        return cls(sandbox.urls.api_base, sandbox.urls.flexiti, sandbox.client_id, sandbox.client_secret)


def one_purchase(client: httpx.Client, sandbox: SandboxAddress, shopper: Customer, reference: str) -> int:
    """Token, widget/init, the widget's MFA and verify calls, and the authorization; returns the request count."""
    api, client_id = sandbox.api_base, sandbox.client_id
    token = expect_ok(client.post(f"{api}/v2.5/oauth/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": sandbox.client_secret,
    })).json()["access_token"]
    bearer = {"authorization": f"Bearer {token}"}
    headers = {**bearer, "x-reference-id": uuid.uuid4().hex}
    personal = {"first_name": shopper.first_name, "last_name": shopper.last_name, "dob": shopper.dob,
                "postal_code": shopper.postal_code}
    init = expect_ok(client.post(f"{api}/v2.5/client-id/{client_id}/widget/init", headers=headers, json={
        "flow": "purchase", "lang": "en", "customer_identification": {"personal_information": personal},
    }))
    session = widget_session_id(init)
    widget_api = f"{sandbox.flexiti}/widget-api/sessions/{session}"
    expect_ok(client.post(f"{widget_api}/mfa", headers=bearer, json={"option": "sms"}))
    expect_ok(client.post(f"{widget_api}/verify", headers=bearer, json={"answer": shopper.mfa_answer("sms")}))
    expect_ok(client.post(f"{api}/v2.5.1/client-id/{client_id}/authorization", headers=headers, json={
        # A dollar: client processes run without resets, and thousands of purchases must fit the account's credit.
        "account_number": shopper.accounts[0].account_number, "reference": reference, "amount": 1.0,
        "widget_session_id": session, "auto_capture": False,
        "financing_option": {"transaction_type": "regular_purchase"},
    }))
    return 5


@dataclass
class ClientThread:
    """One client thread's loop and its tally."""

    number: int
    run: Callable[[httpx.Client, str], int]
    gate: ResetGate
    deadline: float
    max_iterations: int
    stop: threading.Event
    requests: int = 0
    error: BaseException | None = None

    def __call__(self) -> None:
        try:
            with httpx.Client(trust_env=False, timeout=HTTP_TIMEOUT) as client:
                for iteration in range(self.max_iterations):
                    if self.stop.is_set() or time.perf_counter() >= self.deadline:
                        return
                    self.gate.enter()
                    try:
                        self.requests += self.run(client, f"BENCH-{self.number}-{iteration}")
                    finally:
                        self.gate.leave()
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            self.error = error
            self.stop.set()


def throughput(sandbox: Sandbox, shopper: Customer, threads: int, seconds: float) -> tuple[float, int, float]:
    """(requests per second, requests, elapsed seconds) of `threads` clients looping for `seconds`."""
    sandbox.reset()
    address = SandboxAddress.of(sandbox)
    gate, stop = ResetGate(sandbox, RESET_EVERY), threading.Event()
    started = time.perf_counter()
    clients = [
        ClientThread(number, lambda client, reference: one_purchase(client, address, shopper, reference), gate,
                     started + seconds, max_iterations=1000 + int(seconds * 2000), stop=stop)
        for number in range(threads)
    ]
    workers = [threading.Thread(target=client, name=f"bench-client-{client.number}") for client in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=seconds + HTTP_TIMEOUT * 6)
    elapsed = time.perf_counter() - started
    stop.set()
    if any(worker.is_alive() for worker in workers):
        raise BenchmarkError("a client thread did not stop in time")
    errors = [client.error for client in clients if client.error is not None]
    if errors:
        raise BenchmarkError(f"a throughput client failed: {errors[0]}")
    requests = sum(client.requests for client in clients)
    return requests / elapsed, requests, elapsed


def client_process(address: SandboxAddress, number: int, seconds: float, ready: Any, start: Any, done: Any) -> None:
    """One client in its own process (its own interpreter lock): purchases for `seconds` after `start`."""
    shopper = load_customers(CUSTOMERS_FILE)["single_account"]
    requests, error = 0, None
    with httpx.Client(trust_env=False, timeout=HTTP_TIMEOUT) as client:
        ready.put(number)
        start.wait()
        deadline = time.perf_counter() + seconds
        iteration = 0
        try:
            while time.perf_counter() < deadline:
                requests += one_purchase(client, address, shopper, f"BENCH-P{number}-{iteration}")
                iteration += 1
        except Exception as failure:  # noqa: BLE001 - reported by the parent
            error = f"{type(failure).__name__}: {failure}"
    done.put((number, requests, error))


def process_throughput(sandbox: Sandbox, processes: int, seconds: float) -> tuple[float, int, float]:
    """(requests per second, requests, elapsed seconds) of `processes` client processes, started together.
    No resets: a reset would need every process to drain; a few seconds of purchases keep the state small."""
    sandbox.reset()
    context = multiprocessing.get_context("spawn")
    ready, done, start = context.Queue(), context.Queue(), context.Event()
    workers = [context.Process(target=client_process, args=(SandboxAddress.of(sandbox), number, seconds, ready, start,
                                                            done), daemon=True) for number in range(processes)]
    for worker in workers:
        worker.start()
    try:
        for _ in workers:
            ready.get(timeout=60)
        started = time.perf_counter()
        start.set()
        finished = [done.get(timeout=seconds + HTTP_TIMEOUT * 6) for _ in workers]
        elapsed = time.perf_counter() - started
    finally:
        for worker in workers:
            worker.join(timeout=HTTP_TIMEOUT)
            if worker.is_alive():
                worker.kill()
    errors = [error for _, _, error in finished if error]
    if errors:
        raise BenchmarkError(f"a throughput client process failed: {errors[0]}")
    requests = sum(count for _, count, _ in finished)
    return requests / elapsed, requests, elapsed


def measure_sandbox_rps(results: Results, seconds: float) -> None:
    shopper = load_customers(CUSTOMERS_FILE)["single_account"]
    print(f"sandbox_rps: {seconds:g}s per client count; 5 requests per purchase; reset every {RESET_EVERY}",
          flush=True)
    details: dict[str, Any] = {}
    with Sandbox() as sandbox:
        require_loopback(sandbox.urls.api_base)
        for threads, name in ((1, "sandbox_rps"), (2, "sandbox_rps_2_threads")):
            rps, requests, elapsed = throughput(sandbox, shopper, threads, seconds)
            print(f"  {threads} client thread(s): {requests} requests in {elapsed:.2f}s", flush=True)
            results.figure(name, rps, " requests/s")
            details[name] = {"threads": threads, "requests": requests, "elapsed_s": elapsed}
        for processes, name in ((1, "sandbox_rps_process"), (2, "sandbox_rps_2_processes")):
            rps, requests, elapsed = process_throughput(sandbox, processes, seconds)
            print(f"  {processes} client process(es): {requests} requests in {elapsed:.2f}s", flush=True)
            results.figure(name, rps, " requests/s")
            details[name] = {"processes": processes, "requests": requests, "elapsed_s": elapsed}
    results.details["sandbox_rps"] = details


# -- d. from a fresh clone to the first report -----------------------------------------------------------

def clean_environment() -> dict[str, str]:
    """This environment without an outer make's settings, so the clone's make starts as a person's would."""
    return {key: value for key, value in os.environ.items() if key not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}


def measure_fresh_clone(results: Results, work: Path) -> None:
    for tool in ("git", "make"):
        if shutil.which(tool) is None:
            raise BenchmarkError(f"fresh_clone needs `{tool}` on PATH")
    if not (REPO_ROOT / ".git").exists():
        raise BenchmarkError(f"{REPO_ROOT} is not a git repository")
    clone = work / "clone"
    print("fresh_clone: git clone --no-hardlinks of the committed HEAD (uncommitted changes are not included), "
          "then `make certify` in it", flush=True)
    with (work / "clone.log").open("wb") as output:
        cloned = run_command(["git", "clone", "--quiet", "--no-hardlinks", str(REPO_ROOT), str(clone)],
                             cwd=work, output=output, timeout=600)
    if cloned.returncode != 0:
        raise BenchmarkError(f"git clone failed:\n{tail(work / 'clone.log')}")
    log = work / "certify.log"
    with log.open("wb") as output:
        finished = run_command(["make", "certify"], cwd=clone, output=output, timeout=FRESH_CLONE_TIMEOUT,
                               env=clean_environment())
    report = clone / "reports" / "certification-sandbox.html"
    if not report.is_file():
        why = "timed out" if finished.timed_out else f"exit {finished.returncode}"
        raise BenchmarkError(f"`make certify` ({why}) wrote no {report.relative_to(clone)}:\n{tail(log)}")
    print(f"  git clone took {cloned.seconds:.1f}s; `make certify` exited {finished.returncode}", flush=True)
    results.figure("fresh_clone_to_first_report_s", finished.seconds, " s")
    print("  note: pip's cache (and an already downloaded browser) make a second run faster than a first one "
          "on a new machine", flush=True)
    results.details["fresh_clone"] = {"clone_s": cloned.seconds, "make_exit_code": finished.returncode}


# -- output ----------------------------------------------------------------------------------------------

def write_json(path: Path, results: Results, settings: dict[str, Any]) -> None:
    """Merge this invocation's figures into the file, so groups measured separately end up together."""
    try:
        merged = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(merged, dict) or not isinstance(merged.get("figures"), dict):
            merged = {}
    except (OSError, ValueError):
        merged = {}
    merged.setdefault("figures", {}).update(results.figures)
    merged.setdefault("details", {}).update(results.details)
    merged.setdefault("measured", {}).update(results.measured)
    merged["machine"] = {"cpu_count": os.cpu_count(), "python": platform.python_version(),
                         "platform": platform.platform()}
    merged["last_settings"] = settings
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(merged, indent=2) + "\n", encoding="utf-8")


def print_summary(results: Results, failed: dict[str, str], path: Path) -> None:
    print("\n=== summary ===")
    for name, value in results.figures.items():
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{name:32} {shown}")
    for group, reason in failed.items():
        print(f"{group:32} not measured: {reason.splitlines()[0]}")
    print(f"figures written to {path}")


def positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python bench/benchmark.py",
        description="Measure the certification harness; print each figure, a summary, and write them as JSON. "
                    "See bench/README.md for what each figure means.",
    )
    parser.add_argument("--only", nargs="+", choices=GROUPS, metavar="NAME",
                        help=f"measure only these: {', '.join(GROUPS)} (default: {', '.join(DEFAULT_GROUPS)}; "
                             "sandbox_rps only when named)")
    parser.add_argument("--alternations", type=positive_int, default=10,
                        help="harness_vs_bare: bare/harness pairs (default: 10)")
    parser.add_argument("--throughput-seconds", type=positive_float, default=5.0, metavar="S",
                        help="sandbox_rps: seconds per client count (default: 5)")
    parser.add_argument("--json", type=Path, default=REPO_ROOT / "reports" / "benchmark.json", metavar="PATH",
                        help="where the figures go; figures from earlier runs of other groups are kept "
                             "(default: reports/benchmark.json)")
    return parser.parse_args(argv)


def run_group(group: str, args: argparse.Namespace, results: Results, work: Path,
              chromium: ChromiumChoice | None) -> None:
    if group == "suite":
        measure_suite(results, work)
    elif group == "harness_vs_bare":
        assert chromium is not None
        measure_harness_vs_bare(results, work, chromium, args.alternations)
    elif group == "sandbox_rps":
        measure_sandbox_rps(results, args.throughput_seconds)
    elif group == "fresh_clone":
        measure_fresh_clone(results, work)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    groups = [group for group in GROUPS if group in (args.only or DEFAULT_GROUPS)]
    try:
        if {"suite", "harness_vs_bare"} & set(groups):
            require_pytest()
        chromium = require_chromium() if {"suite", "harness_vs_bare"} & set(groups) else None
    except SetupError as error:
        print(f"benchmark: {error}", file=sys.stderr)
        return 2
    if chromium is not None:
        print(f"benchmark: browser {chromium.describe()}")
    results: Results = Results()
    failed: dict[str, str] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
            for group in groups:
                work = Path(temporary) / group
                work.mkdir()
                try:
                    run_group(group, args, results, work, chromium)
                except BenchmarkError as error:
                    print(f"  {group} not measured: {error}", file=sys.stderr, flush=True)
                    failed[group] = str(error)
                    continue
                results.measured[group] = datetime.now(UTC).isoformat(timespec="seconds")
    except KeyboardInterrupt:
        print(f"\nbenchmark: interrupted; nothing written to {args.json}", file=sys.stderr)
        return 130
    settings = {"groups": groups, "alternations": args.alternations, "throughput_seconds": args.throughput_seconds}
    write_json(args.json, results, settings)
    print_summary(results, failed, args.json)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())

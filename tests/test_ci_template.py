"""The nightly CI template merchants copy: it must name only real settings and make targets, never give the sandbox
jobs secrets, run production non-destructively and on request only, upload only the reports whatever happened, and
pass zizmor's audit of GitHub Actions workflows."""

from __future__ import annotations

import json
import posixpath
import re
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import yaml

from fixtures.browser import WS_ENDPOINT_SETTING
from harness.settings import REQUIRED_OUTSIDE_SANDBOX, SETTINGS
from tests import subprocesses

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
WORKFLOW = WORKFLOWS / "nightly-certification.yml"
NIGHTLY_ENVIRONMENTS = ["sandbox", "training", "mi"]
# Names the harness reads besides harness.settings.SETTINGS (until SETTINGS takes each of them over).
KNOWN_NAMES = set(SETTINGS) | {WS_ENDPOINT_SETTING}
SANDBOX_GUARD = "matrix.env != 'sandbox'"
# Settings the template deliberately leaves out, and why; every other setting reaches the certify step.
NOT_FROM_CI = {
    "FLEXITI_MFA": "nobody types a PIN in CI: MFA stays automatic",
    "MANUAL_MFA_TIMEOUT": "manual MFA only",
    "FLEXITI_MFA_CHANNEL": "manual MFA only",
    "E2E_CHROMIUM": "make setup provisions the browser",
    "SANDBOX_STORE_DEFECTS": "harness self-tests only: the nightly sandbox job certifies the clean store",
    "SANDBOX_TOKEN_SEED": "harness self-tests only",
    "SANDBOX_STORE": "harness self-tests only: the nightly sandbox job certifies the reference store",
}
# zizmor severities that fail the template; informational and low findings are advice.
BLOCKING_SEVERITIES = {"Medium", "High"}
FULL_COMMIT = re.compile(r"[0-9a-f]{40}")


def _workflow() -> dict[Any, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


def _triggers(workflow: dict[Any, Any]) -> dict[str, Any]:
    # YAML 1.1 reads a bare `on` key as the boolean True.
    return workflow.get("on", workflow.get(True))


def _certify_job() -> dict[str, Any]:
    return _workflow()["jobs"]["certify"]


def _step(job: dict[str, Any], command: str) -> dict[str, Any]:
    [step] = [step for step in job["steps"] if command in step.get("run", "")]
    return step


def _matrix_lists(expression: str) -> list[list[str]]:
    """The JSON lists a `fromJSON(cond && '[…]' || '[…]')` matrix expression chooses between, in order."""
    return [json.loads(found) for found in re.findall(r"'(\[[^']*\])'", expression)]


def test_runs_nightly_and_on_demand() -> None:
    triggers = _triggers(_workflow())

    assert [entry["cron"] for entry in triggers["schedule"]], triggers
    assert triggers["workflow_dispatch"]["inputs"]["production"] == {
        "description": "Also certify production (non-destructive tests only)", "type": "boolean", "default": False}


def test_matrix_covers_the_nightly_environments_without_failing_fast() -> None:
    strategy = _certify_job()["strategy"]

    with_production, nightly = _matrix_lists(strategy["matrix"]["env"])
    assert strategy["fail-fast"] is False
    assert nightly == NIGHTLY_ENVIRONMENTS
    assert with_production == [*NIGHTLY_ENVIRONMENTS, "production"]
    # The longer list is chosen only when the dispatch input is ticked.
    assert strategy["matrix"]["env"].replace(" ", "").startswith("${{fromJSON(inputs.production&&'[")


def test_production_runs_only_the_non_destructive_tests() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    markers = pyproject["tool"]["pytest"]["ini_options"]["markers"]

    production_only = """${{ matrix.env == 'production' && '-m "not destructive"' || '' }}"""
    assert _certify_job()["env"]["PYTEST_ARGS"] == production_only
    assert any(marker.startswith("destructive:") for marker in markers)


def test_certifies_through_the_makefile_target() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")

    job = _certify_job()
    step = _step(job, "make certify")
    # The environment's name reaches the script through `env:`, quoted: never an expression inside `run:`.
    assert step["run"] == 'make certify ENV="$CERTIFY_ENV"'
    assert job["env"]["CERTIFY_ENV"] == "${{ matrix.env }}"
    assert re.search(r"^certify:", makefile, re.MULTILINE) and re.search(r"^ENV\s*\?=", makefile, re.MULTILINE)
    assert re.search(r"^PYTEST_ARGS\s*\?=", makefile, re.MULTILINE)  # so the job's PYTEST_ARGS reaches pytest


def test_reports_including_junit_are_uploaded_even_when_certification_fails() -> None:
    addopts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["pytest"]["ini_options"]
    [upload] = [step for step in _certify_job()["steps"] if step.get("uses", "").startswith("actions/upload-artifact@")]

    assert upload["if"] == "always()"
    assert upload["with"]["path"].rstrip("/") == "reports"
    assert "${{ matrix.env }}" in upload["with"]["name"]  # one artifact per environment, no name clash
    assert "--junitxml=reports/junit.xml" in addopts["addopts"]


def test_every_secret_and_variable_is_a_harness_setting() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")

    secrets = set(re.findall(r"\bsecrets\.(\w+)", text))
    variables = set(re.findall(r"\bvars\.(\w+)", text))
    assert secrets and secrets <= set(SETTINGS), secrets - set(SETTINGS)
    assert variables <= KNOWN_NAMES, variables - KNOWN_NAMES


def test_every_required_setting_reaches_the_certify_step() -> None:
    job = _certify_job()
    provided = set(_step(job, "make certify")["env"])
    # A file's path cannot be a secret: a step writes the secret's content to a file and exports the path.
    exported = {name for step in job["steps"] for name in re.findall(r'echo "(\w+)=.*>> "\$GITHUB_ENV"',
                                                                        step.get("run", ""))}

    assert set(REQUIRED_OUTSIDE_SANDBOX) <= provided | exported, set(REQUIRED_OUTSIDE_SANDBOX) - provided - exported
    assert (provided | exported) <= KNOWN_NAMES, (provided | exported) - KNOWN_NAMES


def test_sandbox_job_is_never_given_secrets() -> None:
    unguarded = []
    for step in _certify_job()["steps"]:
        if step.get("if") == SANDBOX_GUARD:
            continue
        for name, value in {**step.get("env", {}), **step.get("with", {})}.items():
            if "secrets." in str(value) and SANDBOX_GUARD not in str(value):
                unguarded.append((step["name"], name))

    assert not unguarded, f"secrets reach the sandbox job: {unguarded}"


def _certify_settings() -> set[str]:
    """The settings the certify step gets: from its env, or exported to $GITHUB_ENV by an earlier step."""
    job = _certify_job()
    exported = {name for step in job["steps"] for name in re.findall(r'echo "(\w+)=.*>> "\$GITHUB_ENV"',
                                                                        step.get("run", ""))}
    return set(_step(job, "make certify")["env"]) | exported


def test_every_setting_reaches_the_certify_step_unless_left_out_on_purpose() -> None:
    provided = _certify_settings()

    assert set(SETTINGS) - set(NOT_FROM_CI) <= provided, sorted(set(SETTINGS) - set(NOT_FROM_CI) - provided)
    assert not provided & set(NOT_FROM_CI), sorted(provided & set(NOT_FROM_CI))
    assert set(NOT_FROM_CI) <= set(SETTINGS), sorted(set(NOT_FROM_CI) - set(SETTINGS))


def test_environment_overrides_never_reach_the_sandbox_job() -> None:
    step_env = _step(_certify_job(), "make certify")["env"]

    for name in ("FLEXITI_API_BASE", "FLEXITI_WIDGET_ORIGIN", "FLEXITI_CUSTOMER_PORTAL", "FLEXITI_WIDGET_LOCATORS"):
        assert step_env[name] == f"${{{{ {SANDBOX_GUARD} && vars.{name} || '' }}}}", step_env[name]


def _zizmor_findings(folder: Path) -> list[dict[str, Any]]:
    """zizmor's findings over the workflows in `folder`, offline, as its versioned JSON."""
    # The zizmor that `pip install -e .` put next to this interpreter, not whichever one is on PATH.
    zizmor = shutil.which("zizmor", path=str(Path(sys.executable).parent))
    assert zizmor, (f"zizmor is not installed next to {sys.executable}: it is a dependency in pyproject.toml, "
                    "so rerun `make setup` (or `pip install -e .`)")
    # --strict-collection: a workflow zizmor cannot parse fails the audit instead of being skipped with a warning.
    # --no-exit-codes: exit 0 whatever was found, so any other exit is zizmor itself failing.
    result = subprocesses.run([zizmor, "--offline", "--strict-collection", "--no-exit-codes", "--no-progress",
                               "--format", "json-v1", str(folder)], cwd=None, env=None, timeout=120)
    why = result.stderr.split("Stack backtrace:")[0].strip()
    assert result.returncode == 0, f"zizmor failed (exit {result.returncode}): {why}"
    return json.loads(result.stdout)


def _blocking(findings: list[dict[str, Any]]) -> list[str]:
    """Findings at medium severity or above, one line each: audit, severity, file and line, what is wrong."""
    lines = []
    for finding in findings:
        severity = finding["determinations"]["severity"]
        if severity not in BLOCKING_SEVERITIES:
            continue
        where = [f"{Path(loc['symbolic']['key']['Local']['verbatim_path']).name}:"
                 f"{loc['concrete']['location']['start_point']['row'] + 1}"
                 for loc in finding["locations"] if loc["symbolic"]["kind"] == "Primary"]
        lines.append(f"{finding['ident']} ({severity}) at {', '.join(where)}: {finding['desc']}")
    return lines


def test_zizmor_finds_nothing_at_medium_or_above() -> None:
    findings = _zizmor_findings(WORKFLOWS)

    assert WORKFLOW.is_file()
    blocking = _blocking(findings)
    assert not blocking, "zizmor --offline .github/workflows/:\n" + "\n".join(blocking)


def test_zizmor_catches_the_template_with_its_hardening_undone(tmp_path: Path) -> None:
    # The template as it was before the hardening: the tags it used instead of commits (checkout v4, which still
    # wrote its token into .git/config; zizmor knows v6 on does not), checkout's default credentials, the matrix
    # value expanded inside a script. The audit above must be able to fail on exactly these.
    before = {"actions/checkout": "v4", "actions/setup-python": "v5", "actions/upload-artifact": "v4"}
    text = WORKFLOW.read_text(encoding="utf-8")
    text = re.sub(r"(actions/[\w-]+)@[0-9a-f]{40}  # v[\d.]+", lambda pin: f"{pin[1]}@{before[pin[1]]}", text)
    text = re.sub(r"\n\s*with:\n\s*persist-credentials: false[^\n]*", "", text)
    text = text.replace('ENV="$CERTIFY_ENV"', "ENV=${{ matrix.env }}")
    folder = tmp_path / ".github" / "workflows"
    folder.mkdir(parents=True)
    (folder / WORKFLOW.name).write_text(text, encoding="utf-8")

    blocking = _blocking(_zizmor_findings(folder))
    audits = {line.split(" ", 1)[0] for line in blocking}
    assert {"unpinned-uses", "artipacked", "template-injection"} <= audits, blocking


def test_every_action_is_pinned_to_a_commit_with_its_release_in_a_comment() -> None:
    uses_lines = [line.strip() for line in WORKFLOW.read_text(encoding="utf-8").splitlines()
                  if re.match(r"\s*(- )?uses:", line)]

    assert uses_lines
    unpinned = [line for line in uses_lines
                if not re.fullmatch(r"(- )?uses: [\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+\.\d+\.\d+", line)]
    assert not unpinned, unpinned


def test_no_run_script_expands_an_expression() -> None:
    expanded = [(name, step.get("name", "")) for name, job in _workflow()["jobs"].items() for step in job["steps"]
                if "${{" in step.get("run", "")]

    assert not expanded, f"pass these through the step's env: instead: {expanded}"


def test_checkout_never_persists_credentials() -> None:
    checkouts = [step for job in _workflow()["jobs"].values() for step in job["steps"]
                 if step.get("uses", "").startswith("actions/checkout@")]

    assert checkouts and all(step.get("with", {}).get("persist-credentials") is False for step in checkouts), checkouts


def _upload_problems(step: dict[str, Any]) -> list[str]:
    """Why an upload-artifact step could carry more than the harness's scrubbed reports/ (nothing when it cannot)."""
    inputs = step.get("with", {})
    problems = []
    if str(inputs.get("include-hidden-files", False)).lower() != "false":
        problems.append("include-hidden-files would upload .env* files")
    patterns = [line.strip() for line in str(inputs.get("path", "")).splitlines() if line.strip()]
    if not patterns:
        problems.append("no path")
    for pattern in patterns:
        if pattern.startswith("!"):
            continue  # an exclusion only narrows the upload
        normal = posixpath.normpath(pattern)
        if not (normal == "reports" or normal.startswith("reports/")):
            problems.append(f"{pattern!r} reaches outside reports/")
        if any(mark in pattern for mark in ("$", "~", "\\")):
            problems.append(f"{pattern!r} depends on a variable or home directory")
        lowered = pattern.lower()
        hidden = any(part.startswith(".") and part not in (".", "..") for part in lowered.split("/"))
        if hidden or "customers" in lowered:
            problems.append(f"{pattern!r} names a hidden (.env*, .git) or customers file")
    return problems


def test_uploads_hold_only_the_scrubbed_reports_folder() -> None:
    uploads = [(name, step) for name, job in _workflow()["jobs"].items() for step in job["steps"]
               if step.get("uses", "").startswith("actions/upload-artifact@")]

    assert uploads
    problems = [(name, step.get("name"), problem) for name, step in uploads for problem in _upload_problems(step)]
    assert not problems, problems


def test_the_upload_check_rejects_what_could_leak() -> None:
    leaky = ["./", "**/*", "reports/../.env.training", "fixtures/data/customers-training.json",
             "reports/\n.git/config", "${{ github.workspace }}/reports", "reports/.env", "/home/runner/.env"]

    for path in leaky:
        assert _upload_problems({"with": {"path": path}}), path
    assert _upload_problems({"with": {"path": "reports/", "include-hidden-files": True}})
    assert not _upload_problems({"with": {"path": "reports/\n!reports/playwright/", "include-hidden-files": False}})


def test_the_customers_file_is_written_outside_the_checkout() -> None:
    step = _step(_certify_job(), "FLEXITI_TEST_CUSTOMERS=")

    # $RUNNER_TEMP is outside $GITHUB_WORKSPACE, so no upload of the checkout's reports/ can pick the file up.
    assert re.search(r'^\s*customers="\$RUNNER_TEMP/[^"/]+"$', step["run"], re.MULTILINE), step["run"]
    assert "umask 077" in step["run"]


def test_detection_matrix_runs_in_the_sandbox_without_secrets() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    [(name, job)] = [(name, job) for name, job in _workflow()["jobs"].items()
                     if any(re.match(r"make detect\b", step.get("run", "")) for step in job["steps"])]
    [step] = [step for step in job["steps"] if re.match(r"make detect\b", step.get("run", ""))]

    assert re.search(r"^detect:", makefile, re.MULTILINE)
    assert "ENV=" not in step["run"]  # make's default ENV: the embedded sandbox
    assert "environment" not in job and "secrets" not in job, name  # no GitHub environment, nothing inherited
    text = yaml.safe_dump(job)
    assert not re.findall(r"\b(?:secrets|vars)\.\w+", text), re.findall(r"\b(?:secrets|vars)\.\w+", text)
    given = {key for part in (job, *job["steps"]) for key in part.get("env", {})}
    assert not {key for key in given if key.startswith(("FLEXITI_", "SANDBOX_", "STORE_URL", "ENV"))}, given
    # GitHub's default shell has no pipefail: a `make detect | tee` there would pass whatever was missed.
    assert "|" not in step["run"] or step.get("shell") == "bash", step

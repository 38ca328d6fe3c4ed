"""The nightly CI template merchants copy: it must name only real settings and make targets, never give the sandbox
job secrets, run production non-destructively and on request only, and upload the reports whatever happened."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from fixtures.browser import WS_ENDPOINT_SETTING
from harness.settings import REQUIRED_OUTSIDE_SANDBOX, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github" / "workflows" / "nightly-certification.yml"
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
}


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

    step = _step(_certify_job(), "make certify")
    assert step["run"] == "make certify ENV=${{ matrix.env }}"
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

"""Unit tests for harness.browser: which Chromium is chosen, and the quiet launch flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import QUIET_FLAGS, BrowserNotFound, ChromiumChoice, chosen_chromium, resolve_chromium


def _no_system_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.browser.shutil.which", lambda name: None)


def test_resolve_chromium_prefers_existing_explicit_path(tmp_path: Path) -> None:
    explicit = tmp_path / "chromium"
    explicit.write_text("#!/bin/sh\n")

    choice = resolve_chromium(str(explicit), "/bundled/chrome")

    assert choice == ChromiumChoice(executable_path=str(explicit), source="E2E_CHROMIUM")


def test_resolve_chromium_raises_for_missing_explicit_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-chromium-here"

    with pytest.raises(BrowserNotFound, match=r"E2E_CHROMIUM = .*no-chromium-here"):
        resolve_chromium(str(missing), "/bundled/chrome")


def test_resolve_chromium_uses_playwright_when_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_chromium(monkeypatch)

    choice = resolve_chromium(None, "/ms-playwright/chromium/chrome")

    assert choice == ChromiumChoice(executable_path=None, source="playwright")


def test_resolve_chromium_falls_back_to_system_without_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {"chromium-browser": "/usr/bin/chromium-browser"}
    monkeypatch.setattr("harness.browser.shutil.which", lambda name: found.get(name))

    choice = resolve_chromium(None, None)

    assert choice == ChromiumChoice(executable_path="/usr/bin/chromium-browser", source="system")


def test_resolve_chromium_explains_every_remedy_when_nothing_found(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_chromium(monkeypatch)

    with pytest.raises(BrowserNotFound) as raised:
        resolve_chromium(None, None)

    message = str(raised.value)
    for hint in ("playwright install chromium", "apt-get install chromium", "E2E_CHROMIUM"):
        assert hint in message


def test_quiet_flags_include_background_service_switches() -> None:
    required = {"--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"}

    missing = required - set(QUIET_FLAGS)

    assert missing == set()


def test_set_up_reads_e2e_chromium_where_the_run_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("E2E_CHROMIUM", raising=False)
    (tmp_path / ".env").write_text("E2E_CHROMIUM=/opt/from-dotenv/chromium\n")
    (tmp_path / ".env.training").write_text("E2E_CHROMIUM=/opt/from-training/chromium\n")

    chosen = (chosen_chromium("sandbox", tmp_path), chosen_chromium("training", tmp_path))
    monkeypatch.setenv("E2E_CHROMIUM", "/opt/from-environment/chromium")
    overridden = chosen_chromium("training", tmp_path)

    assert chosen == ("/opt/from-dotenv/chromium", "/opt/from-training/chromium")
    assert overridden == "/opt/from-environment/chromium"

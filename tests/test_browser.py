"""Unit tests for harness.browser: which Chromium is chosen, and the quiet launch flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.browser import (
    QUIET_FLAGS,
    BrowserNotFound,
    ChromiumChoice,
    PlaywrightBuilds,
    chosen_chromium,
    playwright_builds,
    provision,
    resolve_chromium,
)


def _no_system_chromium(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.browser.shutil.which", lambda name: None)


def test_resolve_chromium_prefers_existing_explicit_path(tmp_path: Path) -> None:
    explicit = tmp_path / "chromium"
    explicit.write_text("#!/bin/sh\n")

    choice = resolve_chromium(str(explicit), "/bundled/chrome", bundled_shell="/bundled/shell")

    assert (choice.executable_path, choice.source) == (str(explicit), "E2E_CHROMIUM")


def test_resolve_chromium_raises_for_missing_explicit_path(tmp_path: Path) -> None:
    missing = tmp_path / "no-chromium-here"

    with pytest.raises(BrowserNotFound, match=r"E2E_CHROMIUM = .*no-chromium-here"):
        resolve_chromium(str(missing), "/bundled/chrome")


def test_resolve_chromium_uses_playwright_when_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_chromium(monkeypatch)

    choice = resolve_chromium(None, "/ms-playwright/chromium/chrome")

    assert (choice.executable_path, choice.source) == ("/ms-playwright/chromium/chrome", "playwright")


def test_resolve_chromium_falls_back_to_system_without_bundled(monkeypatch: pytest.MonkeyPatch) -> None:
    found = {"chromium-browser": "/usr/bin/chromium-browser"}
    monkeypatch.setattr("harness.browser.shutil.which", lambda name: found.get(name))

    choice = resolve_chromium(None, None)

    assert (choice.executable_path, choice.source) == ("/usr/bin/chromium-browser", "system")


def test_resolve_chromium_explains_every_remedy_when_nothing_found(monkeypatch: pytest.MonkeyPatch) -> None:
    _no_system_chromium(monkeypatch)

    with pytest.raises(BrowserNotFound) as raised:
        resolve_chromium(None, None)

    message = str(raised.value)
    for hint in ("playwright install chromium", "apt-get install chromium-headless-shell", "E2E_CHROMIUM"):
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


SYSTEM = {"chromium": "/usr/bin/chromium", "chromium-headless-shell": "/usr/bin/chromium-headless-shell"}


def _system(monkeypatch: pytest.MonkeyPatch, found: dict[str, str]) -> None:
    monkeypatch.setattr("harness.browser.shutil.which", lambda name: found.get(name))


@pytest.mark.parametrize(("headless", "bundled", "bundled_shell", "system", "expected"), [
    # headless: Playwright's headless shell, then the system's, then a full Chromium (Playwright's, the system's)
    (True, "/pw/chrome", "/pw/shell", SYSTEM, ("/pw/shell", "playwright headless shell")),
    (True, "/pw/chrome", None, SYSTEM, ("/usr/bin/chromium-headless-shell", "system headless shell")),
    (True, "/pw/chrome", None, {"chromium": "/usr/bin/chromium"}, ("/pw/chrome", "playwright")),
    (True, None, None, {"chromium": "/usr/bin/chromium"}, ("/usr/bin/chromium", "system")),
    # headed: a headless shell cannot show a window, so the full browser even where a shell is installed
    (False, "/pw/chrome", "/pw/shell", SYSTEM, ("/pw/chrome", "playwright")),
    (False, None, "/pw/shell", SYSTEM, ("/usr/bin/chromium", "system")),
])
def test_resolution_order(monkeypatch: pytest.MonkeyPatch, headless: bool, bundled: str | None,
                          bundled_shell: str | None, system: dict[str, str], expected: tuple[str, str]) -> None:
    _system(monkeypatch, system)

    choice = resolve_chromium(None, bundled, headless=headless, bundled_shell=bundled_shell)

    assert (choice.executable_path, choice.source) == expected
    assert choice.reason, "the choice must say why, for the pytest header"


def test_explicit_setting_overrides_a_headless_shell_and_headed(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _system(monkeypatch, SYSTEM)
    explicit = tmp_path / "my-chrome"
    explicit.write_text("#!/bin/sh\n")

    chosen = {resolve_chromium(str(explicit), "/pw/chrome", headless=headless, bundled_shell="/pw/shell")
              for headless in (True, False)}

    assert chosen == {ChromiumChoice(str(explicit), "E2E_CHROMIUM", "set explicitly")}


def test_headed_run_without_a_full_browser_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    _system(monkeypatch, {"chromium-headless-shell": "/usr/bin/chromium-headless-shell"})

    with pytest.raises(BrowserNotFound, match="No Chromium found"):
        resolve_chromium(None, None, headless=False, bundled_shell="/pw/shell")


def test_playwright_builds_are_found_in_its_browsers_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLAYWRIGHT_BROWSERS_PATH", str(tmp_path))
    monkeypatch.setattr("harness.browser._revisions", lambda: {"chromium": "9", "chromium-headless-shell": "9"})
    shell = tmp_path / "chromium_headless_shell-9" / "chrome-headless-shell-linux64" / "chrome-headless-shell"
    full = tmp_path / "chromium-9" / "chrome-linux64" / "chrome"
    for executable in (shell, full):
        executable.parent.mkdir(parents=True)
        executable.write_text("#!/bin/sh\n")
        executable.chmod(0o755)
    (tmp_path / "chromium_headless_shell-8" / "x").mkdir(parents=True)  # another release's: not this Playwright's

    builds = playwright_builds()

    assert builds == PlaywrightBuilds(chromium=str(full), headless_shell=str(shell))


def test_set_up_fails_clearly_when_no_browser_can_be_had(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _system(monkeypatch, {})
    monkeypatch.setattr("harness.browser.playwright_builds", lambda: PlaywrightBuilds())
    stamp = tmp_path / "stamp"
    stamp.write_text("playwright install failed earlier\n")  # so no download is tried
    monkeypatch.setattr("harness.browser._apt_install", lambda packages: None)  # nothing to install here

    with pytest.raises(BrowserNotFound) as raised:
        provision(stamp)

    assert "No Chromium found" in str(raised.value) and "E2E_CHROMIUM" in str(raised.value)

"""Which Chromium to launch: an explicit E2E_CHROMIUM, Playwright's own build, or a system Chromium.

`python -m harness.browser` provisions one (used by `make setup`); the fixtures call `resolve_chromium`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from harness.settings import ROOT, Environment, env_files

# Without these, Chromium keeps calling Google services; on a closed network that is a storm of
# refused connections, and on any CI it is noise that has nothing to do with the merchant's site.
QUIET_FLAGS = (
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--metrics-recording-only",
)
SYSTEM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
INSTALL_HINT = (
    "No Chromium found. Do one of:\n"
    "  - python -m playwright install chromium   (Playwright's own build; needs access to its download host)\n"
    "  - apt-get install chromium                (Debian/Ubuntu; or your platform's chromium package)\n"
    "  - set E2E_CHROMIUM=/path/to/chromium      (any recent Chromium or Chrome)"
)


class BrowserNotFound(RuntimeError):
    """No usable Chromium; the message says what to install or set."""


@dataclass(frozen=True)
class ChromiumChoice:
    executable_path: str | None  # None: Playwright's own build, found by Playwright itself
    source: str  # "E2E_CHROMIUM", "playwright", or "system"

    def describe(self) -> str:
        where = self.executable_path or "Playwright's bundled Chromium"
        return f"{where} ({self.source})"


def playwright_chromium() -> str | None:
    """The path of Playwright's own Chromium if it is installed."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        path = playwright.chromium.executable_path
    return path if Path(path).is_file() else None


def system_chromium() -> str | None:
    for name in SYSTEM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def resolve_chromium(explicit: str | None, bundled: str | None) -> ChromiumChoice:
    """Explicit setting first, then Playwright's build, then a system Chromium; else a clear error."""
    if explicit:
        if not Path(explicit).is_file():
            raise BrowserNotFound(f"E2E_CHROMIUM = {explicit!r}: no such file")
        return ChromiumChoice(explicit, "E2E_CHROMIUM")
    if bundled:
        return ChromiumChoice(None, "playwright")
    system = system_chromium()
    if system:
        return ChromiumChoice(system, "system")
    raise BrowserNotFound(INSTALL_HINT)


def chosen_chromium(env: str = "sandbox", root: Path | None = None) -> str | None:
    """E2E_CHROMIUM as the run will read it: the environment first, then `.env.<env>`, then `.env`."""
    if os.environ.get("E2E_CHROMIUM"):
        return os.environ["E2E_CHROMIUM"]
    for path in reversed(env_files(root or ROOT, Environment(env))):
        value = dotenv_values(path, interpolate=False).get("E2E_CHROMIUM") if path.is_file() else None
        if value:
            return value
    return None


def provision(stamp: Path, explicit: str | None = None) -> ChromiumChoice:
    """Make sure a Chromium exists: the one E2E_CHROMIUM names, or Playwright's (its installer tried once per
    venv), else a system package."""
    if explicit:
        return resolve_chromium(explicit, None)
    if playwright_chromium():
        return ChromiumChoice(None, "playwright")
    if not stamp.exists():
        print("browser: trying `playwright install chromium` …", flush=True)
        result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                                capture_output=True, text=True, timeout=600)
        if result.returncode == 0 and playwright_chromium():
            return ChromiumChoice(None, "playwright")
        stamp.parent.mkdir(parents=True, exist_ok=True)
        stamp.write_text("playwright install chromium failed; delete this file to try again\n")
        print("browser: Playwright's download is not reachable; falling back to a system Chromium", flush=True)
    if not system_chromium() and shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print("browser: installing Debian's chromium package …", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, env=env)
    return resolve_chromium(None, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make sure a Chromium is there for the suite")
    parser.add_argument("--env", default="sandbox", choices=[e.value for e in Environment], help="whose .env.<env> may name E2E_CHROMIUM (default: sandbox)")
    args = parser.parse_args(argv)
    stamp = Path(sys.prefix) / ".playwright-install-failed"
    try:
        choice = provision(stamp, chosen_chromium(args.env))
    except BrowserNotFound as error:
        print(f"browser: {error}", file=sys.stderr)
        return 1
    print(f"browser: using {choice.describe()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

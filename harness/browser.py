"""Which Chromium to launch: an explicit E2E_CHROMIUM, else a headless shell for headless runs (Playwright's
own, else the system's `chromium-headless-shell`), else a full Chromium (Playwright's, else the system's).

`python -m harness.browser` provisions one (used by `make setup`); the fixtures call `resolve_chromium`.
"""

from __future__ import annotations

import argparse
import json
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
# The old headless mode as its own small binary: no GPU process, no full browser UI, about 1.7x faster per test
# than a full Chromium in headless mode, and the browser Playwright itself runs headless tests in.
SYSTEM_SHELL_NAMES = ("chromium-headless-shell", "chrome-headless-shell", "headless_shell")
# Debian's packages, installed by `python -m harness.browser` when it runs as root and finds neither.
DEBIAN_PACKAGES = ("chromium-headless-shell", "chromium")
INSTALL_HINT = (
    "No Chromium found. Do one of:\n"
    "  - python -m playwright install chromium   (Playwright's own build and headless shell; needs its download host)\n"
    "  - apt-get install chromium-headless-shell chromium   (Debian/Ubuntu; or your platform's chromium package)\n"
    "  - set E2E_CHROMIUM=/path/to/chromium      (any recent Chromium or Chrome)"
)


class BrowserNotFound(RuntimeError):
    """No usable Chromium; the message says what to install or set."""


@dataclass(frozen=True)
class ChromiumChoice:
    """The executable a run launches, where it came from, and why it was chosen over the others."""

    executable_path: str | None  # None: Playwright's own build, found by Playwright itself
    source: str  # "E2E_CHROMIUM", "playwright headless shell", "playwright", "system headless shell", "system"
    reason: str = ""

    def describe(self) -> str:
        where = self.executable_path or "Playwright's bundled Chromium"
        return f"{where} ({self.source}{': ' + self.reason if self.reason else ''})"


@dataclass(frozen=True)
class PlaywrightBuilds:
    """Playwright's own browsers where they are installed: its full Chromium and its headless shell."""

    chromium: str | None = None
    headless_shell: str | None = None


def _browsers_path() -> Path:
    """Where Playwright keeps its browsers (PLAYWRIGHT_BROWSERS_PATH, else the per-user cache)."""
    configured = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if configured and configured != "0":
        return Path(configured)
    if configured == "0":  # "inside the package": next to the driver
        import playwright

        return Path(playwright.__file__).parent / "driver" / "package" / ".local-browsers"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home())) / "ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"


def _revisions() -> dict[str, str]:
    """The browser revisions this Playwright release expects (its driver's browsers.json)."""
    try:
        import playwright
    except ImportError:
        return {}
    listing = Path(playwright.__file__).parent / "driver" / "package" / "browsers.json"
    try:
        browsers = json.loads(listing.read_text(encoding="utf-8"))["browsers"]
    except (OSError, ValueError, KeyError):
        return {}
    return {str(entry["name"]): str(entry["revision"]) for entry in browsers if "name" in entry}


def _installed(folder: Path, names: tuple[str, ...]) -> str | None:
    """The first executable file named one of `names` one level below `folder` (the platform's sub-folder)."""
    if not folder.is_dir():
        return None
    for candidate in sorted(folder.glob("*/*")):
        if candidate.name in names and candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def playwright_builds() -> PlaywrightBuilds:
    """Playwright's full Chromium and headless shell, read from its browsers folder without starting its driver
    (so the pytest header and the set-up can ask cheaply)."""
    revisions, root = _revisions(), _browsers_path()
    full = revisions.get("chromium")
    shell = revisions.get("chromium-headless-shell")
    return PlaywrightBuilds(
        chromium=_installed(root / f"chromium-{full}", ("chrome", "chrome.exe", "Chromium")) if full else None,
        headless_shell=(_installed(root / f"chromium_headless_shell-{shell}",
                                   ("chrome-headless-shell", "chrome-headless-shell.exe", "headless_shell"))
                        if shell else None),
    )


def playwright_chromium() -> str | None:
    """The path of Playwright's own full Chromium if it is installed."""
    return playwright_builds().chromium


def _which(names: tuple[str, ...]) -> str | None:
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def system_chromium() -> str | None:
    return _which(SYSTEM_NAMES)


def system_headless_shell() -> str | None:
    return _which(SYSTEM_SHELL_NAMES)


def resolve_chromium(explicit: str | None, bundled: str | None, *, headless: bool = True,
                     bundled_shell: str | None = None) -> ChromiumChoice:
    """E2E_CHROMIUM first. Headless: a headless shell (Playwright's, then the system's), then a full Chromium.
    Headed (a headless shell cannot show a window): Playwright's Chromium, then the system's. Else a clear error."""
    if explicit:
        if not Path(explicit).is_file():
            raise BrowserNotFound(f"E2E_CHROMIUM = {explicit!r}: no such file")
        return ChromiumChoice(explicit, "E2E_CHROMIUM", "set explicitly")
    if headless:
        if bundled_shell:
            return ChromiumChoice(bundled_shell, "playwright headless shell",
                                  "headless run, Playwright's shell installed")
        shell = system_headless_shell()
        if shell:
            return ChromiumChoice(shell, "system headless shell", "headless run, no Playwright headless shell")
    mode = "headless run, no headless shell" if headless else "headed run needs a full browser"
    if bundled:
        return ChromiumChoice(bundled, "playwright", f"{mode}; Playwright's Chromium installed")
    system = system_chromium()
    if system:
        return ChromiumChoice(system, "system", f"{mode}; no Playwright Chromium")
    raise BrowserNotFound(INSTALL_HINT)


def resolve_local(explicit: str | None, *, headless: bool = True) -> ChromiumChoice:
    """`resolve_chromium` with Playwright's installed builds looked up."""
    builds = playwright_builds()
    return resolve_chromium(explicit, builds.chromium, headless=headless, bundled_shell=builds.headless_shell)


def chosen_chromium(env: str = "sandbox", root: Path | None = None) -> str | None:
    """E2E_CHROMIUM as the run will read it: the environment first, then `.env.<env>`, then `.env`."""
    if os.environ.get("E2E_CHROMIUM"):
        return os.environ["E2E_CHROMIUM"]
    for path in reversed(env_files(root or ROOT, Environment(env))):
        value = dotenv_values(path, interpolate=False).get("E2E_CHROMIUM") if path.is_file() else None
        if value:
            return value
    return None


def _apt_install(packages: list[str]) -> None:
    """Debian's packages, when this process may install them (root, apt-get present); quietly nothing otherwise."""
    if not packages or not shutil.which("apt-get") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    print(f"browser: installing Debian's {' and '.join(packages)} …", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=False, env=env)
    for package in packages:  # one at a time: a release without the headless shell still gets chromium
        subprocess.run(["apt-get", "install", "-y", "-qq", package], check=False, env=env)


def provision(stamp: Path, explicit: str | None = None) -> ChromiumChoice:
    """Make sure a Chromium exists: the one E2E_CHROMIUM names, or Playwright's (its installer tried once per
    venv), else Debian's headless shell and chromium packages. Returns what a headless run will launch."""
    if explicit:
        return resolve_chromium(explicit, None)
    builds = playwright_builds()
    if not (builds.chromium and builds.headless_shell) and not stamp.exists():
        print("browser: trying `playwright install chromium` …", flush=True)
        result = subprocess.run([sys.executable, "-m", "playwright", "install", "chromium"],
                                capture_output=True, text=True, timeout=600)
        builds = playwright_builds()
        if result.returncode != 0 or not builds.chromium:
            stamp.parent.mkdir(parents=True, exist_ok=True)
            stamp.write_text("playwright install chromium failed; delete this file to try again\n")
            print("browser: Playwright's download is not reachable; falling back to a system Chromium", flush=True)
    if not builds.headless_shell or not builds.chromium:
        missing = [package for package, found in (("chromium-headless-shell", builds.headless_shell
                                                   or system_headless_shell()),
                                                  ("chromium", builds.chromium or system_chromium())) if not found]
        _apt_install(missing)
    return resolve_local(None, headless=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="make sure a Chromium is there for the suite")
    parser.add_argument("--env", default="sandbox", choices=[e.value for e in Environment],
                        help="whose .env.<env> may name E2E_CHROMIUM (default: sandbox)")
    args = parser.parse_args(argv)
    stamp = Path(sys.prefix) / ".playwright-install-failed"
    explicit = chosen_chromium(args.env)
    try:
        choice = provision(stamp, explicit)
    except BrowserNotFound as error:
        print(f"browser: {error}", file=sys.stderr)
        return 1
    print(f"browser: headless runs use {choice.describe()}")
    if not explicit:
        try:
            headed = resolve_local(None, headless=False)
            print(f"browser: --headed runs use {headed.describe()}")
        except BrowserNotFound:
            print("browser: no full Chromium for --headed runs (install chromium, or set E2E_CHROMIUM)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

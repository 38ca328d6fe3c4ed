"""Tells a broken run (harness, browser, machine, profile) apart from a failed checklist item, and says the fix."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError

from harness.errors import GONE, UNREACHABLE, Fault, browser_fault, fault_in

# Exceptions by class name, anywhere in the class's MRO: the selector-profile error lives in pages/, and a
# module must not import the page objects to classify their errors.
HARNESS_ERROR_NAMES = {"HarnessError", "ProfileError", "LocatorsFileError", "SettingsError", "CustomersFileError",
                       "JournalError", "BrowserNotFound"}


@dataclass(frozen=True)
class Diagnosis:
    """What broke and how to fix it, in words a person at the terminal can act on."""

    problem: str
    fix: str


_MISSING_EXECUTABLE = re.compile(r"Executable doesn't exist at (\S+)")
_BROWSER_NAMES = ("firefox", "webkit", "chromium")
_TITLES = {"firefox": "Firefox", "webkit": "WebKit", "chromium": "Chromium"}


def diagnose(text: str, browser: str | None = None) -> Diagnosis | None:
    """A known machine problem in an error's text (Playwright's launch errors say what is missing, at length)."""
    missing = _MISSING_EXECUTABLE.search(text)
    if missing:
        path = missing.group(1)
        if "ffmpeg" in path:
            return Diagnosis("--video needs Playwright's ffmpeg, which is not installed",
                             "`playwright install ffmpeg`, or drop `--video`")
        name = next((n for n in _BROWSER_NAMES if n in path.lower()), browser or "the browser")
        return Diagnosis(f"{_TITLES.get(name, name)} is not installed",
                         f"`playwright install {name}`, or drop `--browser {name}`")
    if re.search(r"(Missing X server|\$DISPLAY|XServer|no display)", text, re.IGNORECASE):
        return Diagnosis("--headed needs a display, and this machine has none ($DISPLAY is not set)",
                         "run under `xvfb-run`, or drop `--headed`")
    if "Host system is missing dependencies" in text:
        return Diagnosis("the browser's system libraries are missing",
                         "`playwright install-deps`, or use the Debian chromium (E2E_CHROMIUM)")
    fault = fault_in(text) or _raised_fault(text)
    if fault is not None and fault.kind == "gone":
        return Diagnosis("the browser page closed or crashed during a test",
                         "run the test again; if it recurs, look for memory pressure or a full /dev/shm on this "
                         "machine, or watch it with --headed")
    if fault is not None:
        return Diagnosis("the browser could not reach a site at all",
                         "start the server the message names (STORE_URL, or the Flexiti environment's widget "
                         "origin) and check this machine can reach it, then run again")
    return None


def _raised_fault(text: str) -> Fault | None:
    """The fault a BrowserFault's own message tells of, wherever the text holds it (a report's traceback)."""
    if GONE in text:
        return Fault("gone", text)
    if UNREACHABLE in text:
        return Fault("unreachable", text)
    return None


def is_harness_error(error: BaseException | None) -> bool:
    """Whether an exception is the harness's or the machine's rather than the store's."""
    if error is None:
        return False
    names = {cls.__name__ for cls in type(error).__mro__}
    if names & HARNESS_ERROR_NAMES:
        return True
    if browser_fault(error) is not None:  # the page closed or crashed, or the site was unreachable
        return True
    if isinstance(error, PlaywrightError):
        return diagnose(str(error)) is not None or "BrowserType.launch" in str(error)
    return False


def fix_for(text: str, browser: str | None = None) -> str:
    """The fix for a harness error: a known machine problem's, or a generic pointer at the message."""
    found = diagnose(text, browser)
    if found:
        return found.fix
    return "the message above names the setting, file or tool at fault; fix it and run again"


def preflight(browsers: list[str], video: str | None, headed: bool, executable_of: dict[str, str]) -> list[Diagnosis]:
    """Problems that would break every test, found before the first one: a browser not installed, --video without
    ffmpeg, --headed without a display. `executable_of` maps a browser name to the executable Playwright would
    launch (chromium is left out: the harness chooses its own, harness/browser.py)."""
    found: list[Diagnosis] = []
    for name in browsers:
        path = executable_of.get(name)
        if name != "chromium" and path is not None and not Path(path).is_file():
            found.append(Diagnosis(f"{_TITLES.get(name, name)} is not installed",
                                   f"`playwright install {name}`, or drop `--browser {name}`"))
    if video and video != "off" and not ffmpeg_available(executable_of.get("chromium")):
        found.append(Diagnosis("--video needs Playwright's ffmpeg, which is not installed",
                               "`playwright install ffmpeg`, or drop `--video`"))
    if headed and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        found.append(Diagnosis("--headed needs a display, and this machine has none ($DISPLAY is not set)",
                               "run under `xvfb-run`, or drop `--headed`"))
    return found


def ffmpeg_available(chromium_executable: str | None) -> bool:
    """Playwright records video with its own ffmpeg build, kept beside the browsers it downloaded."""
    roots = [Path.home() / ".cache" / "ms-playwright"]
    if os.environ.get("PLAYWRIGHT_BROWSERS_PATH"):
        roots.insert(0, Path(os.environ["PLAYWRIGHT_BROWSERS_PATH"]))
    if chromium_executable:
        roots += [parent for parent in Path(chromium_executable).parents if parent.name == "ms-playwright"]
    return any(path.is_file() for root in roots for path in root.glob("ffmpeg-*/ffmpeg-*"))


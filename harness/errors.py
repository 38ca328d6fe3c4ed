"""Errors of the harness itself, kept apart from checklist failures: the report files them as harness errors."""

from __future__ import annotations

import re

from playwright.sync_api import Error as PlaywrightError


class HarnessError(Exception):
    """The harness could not do its job (a setup, a selector profile, a misuse of the storefront contract); says
    nothing about the integration under test, so it is never a failed (or passed) checklist item."""


class ProfileError(HarnessError):
    """A selector profile is unreadable or malformed, or one of its steps matched nothing on the site; the message
    names the profile file, the table and the step."""


class BrowserFault(HarnessError):
    """The browser or the machine broke under a test (the page closed or crashed, the site could not be reached at
    all): nothing the site did was observed, so no item it was checking failed or passed."""


# What Playwright says when the page, its context or the browser went away under a call.
_BROWSER_GONE = re.compile(r"Target page, context or browser has been closed|Target crashed|Page crashed|"
                           r"Browser has been closed|browser has disconnected|Browser closed", re.IGNORECASE)
# Chromium's errors for a site it could not reach at all (nothing answered), as opposed to one that answered
# badly or a navigation the page itself aborted (net::ERR_ABORTED), which are the site's doing.
_UNREACHABLE = re.compile(r"net::(ERR_CONNECTION_REFUSED|ERR_NAME_NOT_RESOLVED|ERR_ADDRESS_UNREACHABLE|"
                          r"ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_TIMED_OUT)(?: at (\S+))?")


def browser_fault(error: BaseException) -> str | None:
    """Why `error` (or the error it was raised from: a page object's "never arrived" from a closed page) is the
    browser's or the machine's fault rather than the site's, in one line; None when it is not (a timeout waiting for
    what the shopper should see is the site's: it never showed it)."""
    cause: BaseException | None = error
    for _ in range(5):
        if cause is None:
            return None
        if isinstance(cause, PlaywrightError):
            return fault_in(str(cause))
        cause = cause.__cause__
    return None


def fault_in(text: str) -> str | None:
    """The browser or machine fault a Playwright error's text tells of (TargetClosedError's own message among them),
    in one line; None when it tells of none."""
    gone = _BROWSER_GONE.search(text)
    if gone:
        line = next(line for line in text.splitlines() if gone.group(0) in line).strip()
        return f"the browser page closed or crashed during the test ({line[:200]})"
    unreachable = _UNREACHABLE.search(text)
    if unreachable:
        where = f" {unreachable.group(2)}" if unreachable.group(2) else " a page's site"
        return (f"the browser could not reach{where} at all (net::{unreachable.group(1)}): is its server running "
                "and reachable from this machine?")
    return None


def raise_if_browser_fault(error: BaseException) -> None:
    """Raise BrowserFault (from `error`) when `error` is the browser's or the machine's, so that the code catching
    it as a finding about the site does not record one."""
    fault = browser_fault(error)
    if fault is not None:
        raise BrowserFault(fault) from error

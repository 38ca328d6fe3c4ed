"""Errors of the harness itself, kept apart from checklist failures: the report files them as harness errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

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


# What Playwright says when the page, its context or the browser went away under a call (in every browser).
_BROWSER_GONE = re.compile(r"Target page, context or browser has been closed|Target crashed|Page crashed|"
                           r"Browser has been closed|browser has disconnected|Browser closed", re.IGNORECASE)
# An address the harness itself opened (goto, reload, back, forward) that the browser could not reach at all: nothing
# answered (Chromium's net::ERR_..., Firefox's NS_ERROR_..., WebKit's words). A navigation the site started to an
# address that does not answer is the site's doing and stays a finding, as do an answer that was bad and a navigation
# the page aborted (net::ERR_ABORTED).
_UNREACHABLE = re.compile(
    r"^(?:Page|Frame)\.(?:goto|reload|go_back|go_forward): "
    r"(?P<why>net::ERR_(?:CONNECTION_REFUSED|NAME_NOT_RESOLVED|ADDRESS_UNREACHABLE|INTERNET_DISCONNECTED|"
    r"CONNECTION_TIMED_OUT|UNSAFE_PORT)|NS_ERROR_(?:CONNECTION_REFUSED|UNKNOWN_HOST|NET_TIMEOUT|OFFLINE)|"
    r"Could not connect[^\n]*|Couldn't connect to server|A server with the specified hostname could not be found)"
    r"(?: at (?P<url>\S+))?")


# How a BrowserFault's message begins, by kind: the report's diagnosis finds the kind again in a traceback's text.
GONE = "the browser page closed or crashed during the test"
UNREACHABLE = "the browser could not reach"


@dataclass(frozen=True)
class Fault:
    """A browser or machine fault: `gone` (the page, its context or the browser closed or crashed) or
    `unreachable` (an address the harness opened answered nothing), and what to say of it."""

    kind: Literal["gone", "unreachable"]
    message: str


def browser_fault(error: BaseException) -> Fault | None:
    """The fault `error` (or the error it was raised from: a page object's "never arrived" from a closed page) tells
    of, when it is the browser's or the machine's rather than the site's; None when it is not (a timeout waiting for
    what the shopper should see is the site's: it never showed it)."""
    cause: BaseException | None = error
    for _ in range(5):
        if cause is None:
            return None
        if isinstance(cause, PlaywrightError):
            return fault_in(str(cause))
        cause = cause.__cause__
    return None


def fault_in(text: str) -> Fault | None:
    """The browser or machine fault a Playwright error's text tells of (TargetClosedError's own message among them);
    None when it tells of none."""
    gone = _BROWSER_GONE.search(text)
    if gone:
        line = next(line for line in text.splitlines() if gone.group(0) in line).strip()
        return Fault("gone", f"{GONE} ({line[:200]})")
    unreachable = _UNREACHABLE.search(text.strip())
    if unreachable:
        where = unreachable.group("url") or "the address it was given"
        return Fault("unreachable", f"{UNREACHABLE} {where} at all ({unreachable.group('why')}): is "
                                    "its server running, and reachable from this machine by a browser?")
    return None


def raise_if_browser_fault(error: BaseException) -> None:
    """Raise BrowserFault (from `error`) when `error` is the browser's or the machine's, so that the code catching
    it as a finding about the site does not record one."""
    fault = browser_fault(error)
    if fault is not None:
        raise BrowserFault(fault.message) from error

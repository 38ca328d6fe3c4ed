"""Item-level verdicts: each block of assertions in a test proves (or disproves) named checklist items.

A test that fails says which items failed, so one broken rule is reported as that rule, not as every item
the test happened to pass through.
"""

from __future__ import annotations

import contextlib
import linecache
import re
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from harness.errors import BrowserFault, raise_if_browser_fault

NOT_OBSERVABLE = "not observable in this environment"
NOT_APPLICABLE = "not applicable to this storefront"


class ChecklistFailure(AssertionError):
    """One or more checklist items failed in this test; the message lists each with its reason."""


class NotObservable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """No configured source can see what an item needs (e.g. no call journal outside the sandbox).

    Inside `proof.of()` only that block's items are set aside and the test goes on; anywhere else the whole test
    is skipped with a reason the report reads as "not observable", never as a pass."""

    def __init__(self, why: str) -> None:
        super().__init__(f"{NOT_OBSERVABLE}: {why}", allow_module_level=False)


class NotApplicable(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """The storefront does not offer what the test certifies (e.g. no credit applications): the items only such
    tests cite are reported "not applicable", with the reason."""

    def __init__(self, why: str) -> None:
        super().__init__(f"{NOT_APPLICABLE}: {why}", allow_module_level=False)


_OWN_FILES = {Path(__file__).resolve(), Path(contextlib.__file__).resolve()}


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


_WAITED_FOR = re.compile(r"waiting for (.+)")


def failure_reason(error: BaseException, describe_state: Callable[[], str] | None = None) -> str:
    """Why a block failed, in one line. A wait that ran out says what it waited for and what the store did instead
    (`describe_state`: where the shopper is, the last widget event, the last POS API call), never the timeout's text:
    the developer fixes the store from what it did, not from how long the harness waited."""
    if not isinstance(error, PlaywrightTimeoutError):
        return _one_line(error)
    waited = _WAITED_FOR.search(str(error))
    what = waited.group(1).strip() if waited else "the next page or screen"
    return f"the store never showed {what}; instead {state_of(describe_state)}"


def state_of(describe_state: Callable[[], str] | None) -> str:
    """What the store did, as `describe_state` tells it; a description that fails says so instead."""
    if describe_state is None:
        return "nothing more is known"
    try:
        return describe_state()
    except Exception as unseen:  # noqa: BLE001 - the description is a courtesy; the failure stands without it
        return f"the page could not be read ({_one_line(unseen)})"


def where_it_failed(error: BaseException) -> str | None:
    """The test's own line that failed ("e2e/test_x.py:42: assert ..."): the first frame outside this module and
    contextlib, so a person sees their line rather than the proof's machinery."""
    for frame in traceback.extract_tb(error.__traceback__):
        path = Path(frame.filename).resolve()
        if path in _OWN_FILES:
            continue
        try:
            shown = path.relative_to(Path.cwd())
        except ValueError:
            shown = path
        line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
        return f"{shown}:{frame.lineno}: {line}"
    return None


@dataclass
class Proof:
    """What a test proved, item by item. `of()` blocks record; `verdict()` fails the test if any item failed.

    An item is failed if any block for it failed; else not observable if any block for it could not see what it
    needs; else proved. A partial observation is never reported as a pass."""

    failed: dict[str, str] = field(default_factory=dict)  # item -> why
    proved: set[str] = field(default_factory=set)
    unobservable: dict[str, str] = field(default_factory=dict)  # item -> which source is missing
    where: dict[str, str] = field(default_factory=dict)  # failed item -> the test's line that failed it
    # item -> why the storefront's documented choice leaves part of it nothing to check (sku_data not sent)
    inapplicable: dict[str, str] = field(default_factory=dict)
    # item -> good practice the store did not follow: shown in the report and the terminal, never a failure
    advisories: dict[str, list[str]] = field(default_factory=dict)
    # What the store did instead, when a wait runs out (wired by the journey: page, widget events, journal)
    describe_state: Callable[[], str] | None = field(default=None, repr=False, compare=False)
    # Whether the test's browser (or its page) is gone: a Playwright error then is the browser's, whatever its text
    # (a navigation the dying browser aborted reads net::ERR_ABORTED), never a finding about the store.
    browser_gone: Callable[[], bool] | None = field(default=None, repr=False, compare=False)

    def __repr__(self) -> str:  # shown in tracebacks: the items, not the dictionaries
        return f"Proof(failed {sorted(self.failed)}, proved {sorted(self.proved - set(self.failed))})"

    @contextlib.contextmanager
    def of(self, *items: str, stop: bool = False) -> Iterator[None]:
        """Assertions for `items`. A failure is recorded against them; with stop=True the test ends there
        (later steps depend on this one), otherwise the test goes on to check the other items. A Playwright error
        that is the browser's or the machine's (the page closed or crashed, the site unreachable) records nothing
        and ends the test as a harness error (BrowserFault)."""
        __tracebackhide__ = True
        try:
            yield
        except NotApplicable as chosen:
            for item in items:  # a documented choice leaves this part nothing to check; the rest still counts
                self.inapplicable.setdefault(item, str(chosen.msg))
        except NotObservable as missing:
            for item in items:  # part of the item went unseen, so no other block can prove it whole
                self.unobservable.setdefault(item, str(missing.msg))
                self.proved.discard(item)
        except (AssertionError, PlaywrightError) as error:
            raise_if_browser_fault(error)  # the browser broke, not the site: a harness error, no verdict
            self.raise_if_browser_gone(error)
            reason = failure_reason(error, self.describe_state)
            location = where_it_failed(error)
            for item in items:
                self.failed.setdefault(item, reason)
                self.proved.discard(item)
                if location:
                    self.where.setdefault(item, location)
            if stop:
                raise ChecklistFailure(self.summary()) from error
        else:
            self.proved.update(item for item in items if item not in self.failed and item not in self.unobservable)

    def raise_if_browser_gone(self, error: BaseException) -> None:
        """BrowserFault (from `error`) when the test's browser or page has gone away under it: every check it cut off
        is a harness error, not a failed item."""
        try:
            gone = self.browser_gone is not None and self.browser_gone()
        except PlaywrightError:
            gone = True  # asking the browser failed: it is gone
        if gone:
            raise BrowserFault(f"the browser went away during the test ({_one_line(error)})") from error

    @contextlib.contextmanager
    def advisory(self, item: str) -> Iterator[None]:
        """Good practice beyond what Flexiti requires, for `item`: a failed assertion here is recorded as advice and
        the test goes on; it never fails the item nor changes the verdict. Advice that cannot be seen on this site
        (NotObservable, NotApplicable) is simply not given. Any other error is left to the caller."""
        __tracebackhide__ = True
        try:
            yield
        except (NotObservable, NotApplicable):
            pass
        except AssertionError as error:
            self.advise(item, _one_line(error))

    def advise(self, item: str, advice: str) -> None:
        """Record good practice the store did not follow (never a failure)."""
        known = self.advisories.setdefault(item, [])
        if advice not in known:
            known.append(advice)

    def fail(self, item: str, reason: str) -> None:
        """Record a failure found by diagnosis or after the test, rather than by an assertion block; it overrides
        an earlier proof of the item, and keeps an earlier reason for its failure."""
        self.failed.setdefault(item, reason)
        self.proved.discard(item)

    def summary(self) -> str:
        return "; ".join(f"[{item}] {reason}" for item, reason in self.failed.items())

    def failure_text(self, explain: Callable[[str, str | None], str] = lambda reason, _where: reason) -> str:
        """What the terminal shows for a checklist failure: each item, its reason (put in words by `explain`, given
        the test's line) and the test's line."""
        lines = []
        for item, reason in self.failed.items():
            lines.append(f"[{item}] {explain(reason, self.where.get(item))}")
            if item in self.where:
                lines.append(f"    at {self.where[item]}")
        return "\n".join(lines)

    def verdict(self) -> None:
        __tracebackhide__ = True
        if self.failed:
            raise ChecklistFailure(self.summary())

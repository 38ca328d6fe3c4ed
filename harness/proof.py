"""Item-level verdicts: each block of assertions in a test proves (or disproves) named checklist items.

A test that fails says which items failed, so one broken rule is reported as that rule, not as every item
the test happened to pass through.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from playwright.sync_api import Error as PlaywrightError


class ChecklistFailure(AssertionError):
    """One or more checklist items failed in this test; the message lists each with its reason."""


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


@dataclass
class Proof:
    """What a test proved, item by item. `of()` blocks record; `verdict()` fails the test if any item failed."""

    failed: dict[str, str] = field(default_factory=dict)  # item -> why
    proved: set[str] = field(default_factory=set)

    @contextlib.contextmanager
    def of(self, *items: str, stop: bool = False) -> Iterator[None]:
        """Assertions for `items`. A failure is recorded against them; with stop=True the test ends there
        (later steps depend on this one), otherwise the test goes on to check the other items."""
        try:
            yield
        except (AssertionError, PlaywrightError) as error:
            reason = _one_line(error)
            for item in items:
                self.failed.setdefault(item, reason)
            if stop:
                raise ChecklistFailure(self.summary()) from error
        else:
            self.proved.update(item for item in items if item not in self.failed)

    def fail(self, item: str, reason: str) -> None:
        """Record a failure found by diagnosis rather than by an assertion block."""
        self.failed.setdefault(item, reason)

    def summary(self) -> str:
        return "; ".join(f"[{item}] {reason}" for item, reason in self.failed.items())

    def verdict(self) -> None:
        if self.failed:
            raise ChecklistFailure(self.summary())

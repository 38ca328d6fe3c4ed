"""Step evidence: a screenshot each time the shopper arrives at a store page or a widget screen, and one of each
open page when a test fails; in every one the widget's code, answer and PIN inputs are masked."""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from playwright.sync_api import BrowserContext, Error, Locator, Page

EvidenceMode = Literal["steps", "off"]
# Painted over every secret input: what a reader of the report sees instead of a one-time code or a PIN.
MASK_COLOUR = "#FF00FF"
# Small enough that a step costs little to take and to embed in the report, large enough to read the screen.
STEP_QUALITY = 40
FAILURE_SHOT_TIMEOUT_MS = 5_000


def widget_secret_inputs(page: Page) -> list[Locator]:
    """Where the shopper types what must never be kept: every input of every frame embedded in the page (the widget's
    code, answer and PIN inputs among them, wherever the merchant put the widget and whatever its DOM), and any
    password field on the merchant's own page. Found without the widget's locators, so a screenshot is masked even
    before (or without) knowing the widget's origin."""
    frames = page.frame_locator("iframe")
    embedded = [frames.nth(index).locator("input, textarea") for index in range(page.locator("iframe").count())]
    return [*embedded, page.locator("input[type=password]")]


def _page_of(target: Page | Locator) -> Page:
    return target if isinstance(target, Page) else target.page


@dataclass
class StepShot:
    title: str
    time: float
    image: str | None  # a data: URI, or None when screenshots are off or failed


@dataclass
class StepLog:
    """What the page objects saw on arrival. Capture never fails a test: evidence is not the behaviour."""

    mode: EvidenceMode = "steps"
    quality: int = STEP_QUALITY
    steps: list[StepShot] = field(default_factory=list)
    masks: Callable[[Page], list[Locator]] = widget_secret_inputs
    _images: dict[str, str] = field(default_factory=dict, repr=False)  # digest -> data URI: identical shots once

    def capture(self, target: Page | Locator, title: str) -> None:
        image = None
        if self.mode == "steps":
            try:
                shot = target.screenshot(type="jpeg", quality=self.quality, scale="css", animations="disabled",
                                         caret="hide", mask=self.masks(_page_of(target)), mask_color=MASK_COLOUR,
                                         timeout=2_000)  # a page already moving on is not worth waiting for
                digest = hashlib.sha256(shot).hexdigest()
                image = self._images.setdefault(digest, "data:image/jpeg;base64," + base64.b64encode(shot).decode())
            except Error:
                image = None  # the page moved on (navigation, closed frame) before the shot; keep the title
        self.steps.append(StepShot(title, time.time(), image))


def failure_screenshots(context: BrowserContext, folder: Path,
                        masks: Callable[[Page], list[Locator]] = widget_secret_inputs) -> list[Path]:
    """A masked screenshot of every page still open in `context`, written to `folder` (a failed test's artifacts).
    Replaces pytest-playwright's own failure screenshot, which masks nothing."""
    written = []
    for index, page in enumerate(context.pages, 1):
        path = folder / f"failure-{index}.png"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=path, type="png", animations="disabled", caret="hide", mask=masks(page),
                            mask_color=MASK_COLOUR, timeout=FAILURE_SHOT_TIMEOUT_MS)
        except Error:
            continue  # a page that closed or hung: the trace still shows it
        written.append(path)
    return written

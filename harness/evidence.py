"""Step evidence: a screenshot each time the shopper arrives at a store page or a widget screen."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from typing import Literal

from playwright.sync_api import Error, Locator, Page

EvidenceMode = Literal["steps", "off"]


@dataclass
class StepShot:
    title: str
    time: float
    image: str | None  # a data: URI, or None when screenshots are off or failed


@dataclass
class StepLog:
    """What the page objects saw on arrival. Capture never fails a test: evidence is not the behaviour."""

    mode: EvidenceMode = "steps"
    quality: int = 45
    steps: list[StepShot] = field(default_factory=list)

    def capture(self, target: Page | Locator, title: str) -> None:
        image = None
        if self.mode == "steps":
            try:
                shot = target.screenshot(type="jpeg", quality=self.quality, scale="css", animations="disabled",
                                         timeout=2_000)  # a page already moving on is not worth waiting for
                image = "data:image/jpeg;base64," + base64.b64encode(shot).decode()
            except Error:
                image = None  # the page moved on (navigation, closed frame) before the shot; keep the title
        self.steps.append(StepShot(title, time.time(), image))

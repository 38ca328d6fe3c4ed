"""Step evidence: a screenshot each time the shopper arrives at a store page or a widget screen, and one of each
open page when a test fails; in every one the widget's code, answer and PIN inputs are masked."""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from playwright.sync_api import Browser, BrowserContext, Error, Locator, Page

EvidenceMode = Literal["steps", "off"]
# Painted over every secret input: what a reader of the report sees instead of a one-time code or a PIN.
MASK_COLOUR = "#FF00FF"
# A step is kept as a WebP at three quarters of its CSS size: about a third of the bytes of the full-size JPEG
# (quality 40) it replaces, and its text still reads when the report enlarges it (issue 15: the whole report of a
# sandbox run under 3 MB). The browser does the shrinking, so no imaging library is needed.
STEP_SCALE = 0.75
STEP_QUALITY = 60
# When no shrinking page can be had (a persistent context has no Browser to open one in): a full-size JPEG.
FALLBACK_JPEG_QUALITY = 40
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


# Decodes a PNG, scales it with the browser's high-quality filter and encodes it as WebP; returns a data: URI. A
# browser that cannot encode WebP (Firefox, WebKit) gives a PNG instead, and the URI says so.
_SHRINK_SCRIPT = """async ([png, scale, quality]) => {
    const bitmap = await createImageBitmap(await (await fetch("data:image/png;base64," + png)).blob());
    const width = Math.max(1, Math.round(bitmap.width * scale));
    const height = Math.max(1, Math.round(bitmap.height * scale));
    const small = await createImageBitmap(bitmap, {resizeWidth: width, resizeHeight: height, resizeQuality: "high"});
    const canvas = new OffscreenCanvas(width, height);
    canvas.getContext("2d").drawImage(small, 0, 0);
    const blob = await canvas.convertToBlob({type: "image/webp", quality});
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return "data:" + blob.type + ";base64," + btoa(binary);
}"""


class _Shrinker:
    """A blank page in a context of its own in the test's browser, where shots are re-encoded: it is in no test's
    context, so no test, trace or video sees it. One per browser, kept for the session."""

    def __init__(self) -> None:
        self._browser: Browser | None = None
        self._page: Page | None = None
        self._done: dict[str, str] = {}  # digest of the PNG and settings -> data URI: the catalogue page is shrunk once

    def data_uri(self, png: bytes, browser: Browser, scale: float, quality: int) -> str:
        digest = f"{hashlib.sha256(png).hexdigest()}@{scale}q{quality}"
        if digest not in self._done:
            if self._page is None or self._page.is_closed() or self._browser is not browser:
                self._browser, self._page = browser, browser.new_context().new_page()
            uri = self._page.evaluate(_SHRINK_SCRIPT, [base64.b64encode(png).decode(), scale, quality / 100])
            if not re.fullmatch(r"data:image/(?:webp|png);base64,[A-Za-z0-9+/]*=*", uri):
                raise Error(f"the shrinking page returned no WebP or PNG: {uri[:40]!r}")
            self._done[digest] = _without_colour_profile(uri)
        return self._done[digest]


def _without_colour_profile(uri: str) -> str:
    """The WebP without the sRGB profile Chromium attaches to each one (about 450 bytes, 5% of a step): a picture
    without one is read as sRGB anyway."""
    if not uri.startswith("data:image/webp;base64,"):
        return uri
    data = base64.b64decode(uri.split(",", 1)[1])
    chunks, offset = [], 12
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset + 4:offset + 8], "little")
        end = offset + 8 + size + (size & 1)  # chunks are padded to an even length
        chunks.append(data[offset:end])
        offset = end
    if not chunks or chunks[0][:4] != b"VP8X" or offset != len(data):
        return uri  # not the layout expected: kept as the browser made it
    flags = chunks[0][8] & ~0x20  # the "has an ICC profile" flag
    kept = [chunks[0][:8] + bytes([flags]) + chunks[0][9:], *(c for c in chunks[1:] if c[:4] != b"ICCP")]
    body = b"WEBP" + b"".join(kept)
    return "data:image/webp;base64," + base64.b64encode(b"RIFF" + len(body).to_bytes(4, "little") + body).decode()


_shrinker = _Shrinker()


@dataclass
class StepShot:
    title: str
    time: float
    image: str | None  # a data: URI, or None when screenshots are off or failed


@dataclass
class StepLog:
    """What the page objects saw on arrival. Capture never fails a test: evidence is not the behaviour."""

    mode: EvidenceMode = "steps"
    scale: float = STEP_SCALE
    quality: int = STEP_QUALITY
    steps: list[StepShot] = field(default_factory=list)
    masks: Callable[[Page], list[Locator]] = widget_secret_inputs
    _images: dict[str, str] = field(default_factory=dict, repr=False)  # digest -> data URI: identical shots once

    def capture(self, target: Page | Locator, title: str) -> None:
        image = None
        if self.mode == "steps":
            try:
                image = self._shot(target)
            except Error:
                image = None  # the page moved on (navigation, closed frame) before the shot; keep the title
        self.steps.append(StepShot(title, time.time(), image))

    def _shot(self, target: Page | Locator) -> str:
        # The mask is painted into the PNG, before any re-encoding: no copy of the shot ever shows the input.
        page = _page_of(target)
        browser = page.context.browser
        kind: Literal["png", "jpeg"] = "jpeg" if browser is None else "png"
        shot = target.screenshot(type=kind, quality=FALLBACK_JPEG_QUALITY if browser is None else None, scale="css",
                                 animations="disabled", caret="hide", mask=self.masks(page), mask_color=MASK_COLOUR,
                                 timeout=2_000)  # a page already moving on is not worth waiting for
        if browser is None:
            uri = "data:image/jpeg;base64," + base64.b64encode(shot).decode()
        else:
            try:
                uri = _shrinker.data_uri(shot, browser, self.scale, self.quality)
            except Error:  # the shot is taken and masked: kept full size rather than lost
                uri = "data:image/png;base64," + base64.b64encode(shot).decode()
        return self._images.setdefault(hashlib.sha256(uri.encode()).hexdigest(), uri)


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

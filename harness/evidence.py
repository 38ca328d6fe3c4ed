"""Step evidence: a screenshot each time the shopper arrives at a store page or a widget screen (the last one again
when the page shows the same), and one of each open page when a test fails; in every one the widget's code, answer
and PIN inputs are masked."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from playwright.sync_api import Browser, BrowserContext, CDPSession, Error, Frame, Locator, Page

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
        # digest of the PNG and settings -> data URI (or its encoding under way): the catalogue page is shrunk once
        self._done: dict[str, str | _Pending] = {}

    def _page_in(self, browser: Browser) -> Page:
        if self._page is None or self._page.is_closed() or self._browser is not browser:
            self._browser, self._page = browser, browser.new_context().new_page()
            self._done.clear()
        return self._page

    def data_uri(self, png: bytes, browser: Browser, scale: float, quality: int) -> str:
        shrunk = self.start(png, browser, scale, quality, wait=True)
        return shrunk if isinstance(shrunk, str) else shrunk.result()

    def start(self, png: bytes, browser: Browser, scale: float, quality: int, wait: bool = False) -> str | _Pending:
        """The shot re-encoded as a WebP (or PNG) data URI; unless `wait`, encoded on the shrinking page while the test
        goes on (that page has a renderer of its own, so the other core does it), to be waited for when the report
        needs it."""
        digest = f"{hashlib.sha256(png).hexdigest()}@{scale}q{quality}"
        known = self._done.get(digest)
        if known is not None:
            return known
        page = self._page_in(browser)
        encoded = base64.b64encode(png).decode()
        arguments = [encoded, scale, quality / 100]
        fallback = "data:image/png;base64," + encoded
        shrunk: str | _Pending | None = None
        if not wait:
            shrunk = _Pending.evaluate(page, _SHRINK_SCRIPT, arguments, fallback)
        if shrunk is None:  # waited for, or this Playwright has no way to leave it running
            shrunk = _checked(page.evaluate(_SHRINK_SCRIPT, arguments))
        self._done[digest] = shrunk
        return shrunk


class _Pending:
    """A re-encoding under way on the shrinking page. `result()` waits for it; if it failed, the masked PNG it was
    made from is kept instead, so the step keeps its picture."""

    def __init__(self, page: Page, task: Any, fallback: str) -> None:
        self._page, self._task, self._fallback = page, task, fallback
        self._uri: str | None = None

    @classmethod
    def evaluate(cls, page: Page, script: str, arguments: Any, fallback: str) -> _Pending | None:
        """Starts `script` on `page` without waiting for it, through the sync API's own event loop (the same way
        every sync call runs; the sync API has no public call for it). None when this Playwright has no such loop."""
        try:
            task = page._loop.create_task(page._impl_obj.evaluate(script, arguments))
        except (AttributeError, TypeError, RuntimeError):
            return None
        task.add_done_callback(lambda done: done.cancelled() or done.exception())  # failure is handled in result()
        return cls(page, task, fallback)

    def result(self) -> str:
        if self._uri is None:
            try:
                self._uri = _checked(self._page._sync(self._task))
            except Error:
                self._uri = self._fallback  # masked already, only bigger
        return self._uri


def _checked(uri: Any) -> str:
    if not isinstance(uri, str) or not re.fullmatch(r"data:image/(?:webp|png);base64,[A-Za-z0-9+/]*=*", uri):
        raise Error(f"the shrinking page returned no WebP or PNG: {str(uri)[:40]!r}")
    return _without_colour_profile(uri)


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


# Paints a box of the mask colour over each secret input of one frame (every input and text area of an embedded
# frame; password fields of the top page), shadow roots included. Returns the frame's scroll offset, its viewport and
# a fingerprint of what it shows (its markup, shadow roots included, and the values of the inputs that are not
# masked): the same fingerprints in every frame mean the same picture. The boxes are `position: fixed` at the inputs'
# client rectangles, so they cover them wherever the page scrolled. Only the 32-bit hash leaves the page.
_MASK_FRAME_SCRIPT = """([selector, colour, marker]) => {
    const secret = [], roots = [document];
    let markup = document.documentElement ? document.documentElement.outerHTML : "";
    for (let i = 0; i < roots.length; i++) {
        secret.push(...roots[i].querySelectorAll(selector));
        for (const element of roots[i].querySelectorAll("*")) {
            if (!element.shadowRoot) continue;
            roots.push(element.shadowRoot);
            markup += "\\n" + element.shadowRoot.innerHTML;
        }
    }
    const masked = new Set(secret);
    for (const root of roots) {
        for (const field of root.querySelectorAll("input, textarea, select")) {
            if (!masked.has(field)) markup += "\\n" + (field.type === "checkbox" || field.type === "radio" ?
                String(field.checked) : field.value);
        }
    }
    let hash = 0x811c9dc5;
    for (let i = 0; i < markup.length; i++) { hash ^= markup.charCodeAt(i); hash = Math.imul(hash, 16777619); }
    for (const element of secret) {
        const r = element.getBoundingClientRect();
        if (r.width <= 0 || r.height <= 0) continue;
        const box = document.createElement("div");
        box.setAttribute(marker, "");
        box.style.cssText = `all:initial;position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;` +
            `height:${r.height}px;background:${colour};z-index:2147483647;pointer-events:none;display:block`;
        document.documentElement.appendChild(box);
    }
    return [window.scrollX, window.scrollY, window.innerWidth, window.innerHeight,
            location.href.length + ":" + markup.length + ":" + (hash >>> 0).toString(16)];
}"""
_UNMASK_FRAME_SCRIPT = "marker => { for (const box of document.querySelectorAll(`[${marker}]`)) box.remove(); }"
_MASK_MARKER = "data-harness-evidence-mask"
EMBEDDED_SECRET_INPUTS = "input, textarea"
PAGE_SECRET_INPUTS = "input[type=password]"


class _DirectCapture:
    """Step shots through DevTools' Page.captureScreenshot, with the secret inputs painted over in every frame first:
    a PNG made for speed at the step's scale, whose WebP encoding is left to the shrinking page, off the test's path
    (Chromium's WebP encoder costs twice what its fast PNG does). Chromium only; a page it cannot serve (another
    browser, a frame that would not take its mask) raises Error, and the caller takes the portable way."""

    def __init__(self) -> None:
        self._sessions: dict[int, tuple[Page, CDPSession]] = {}

    def _session(self, page: Page) -> CDPSession:
        known = self._sessions.get(id(page))
        if known is None or known[0] is not page:
            if len(self._sessions) > 64:  # pages of finished tests: their sessions died with their contexts
                self._sessions = {key: value for key, value in self._sessions.items() if not value[0].is_closed()}
            known = (page, page.context.new_cdp_session(page))
            self._sessions[id(page)] = known
        return known[1]

    def png(self, target: Page | Locator, scale: float, unchanged_since: str | None) -> tuple[str, bytes | None]:
        """The fingerprint of what `target` shows, and its masked PNG at `scale`; no PNG when the fingerprint is
        `unchanged_since` (the same markup, inputs, scroll and place as the shot it identifies)."""
        page = _page_of(target)
        session = self._session(page)
        frames = [frame for frame in page.frames if not frame.is_detached()]
        jobs: list[tuple[Any, str, dict[str, Any]]] = [
            (frame, "evaluate", {"expression": _MASK_FRAME_SCRIPT, "arg": [
                PAGE_SECRET_INPUTS if frame == page.main_frame else EMBEDDED_SECRET_INPUTS, MASK_COLOUR, _MASK_MARKER]})
            for frame in frames]
        if not isinstance(target, Page):
            jobs.append((target, "bounding_box", {"timeout": 2_000}))
        masked: list[Frame] = []
        try:
            answers = _at_once(jobs)
            fingerprints, viewport = [], None
            for frame, extent in zip(frames, answers, strict=False):
                if isinstance(extent, BaseException):
                    if frame != page.main_frame and frame.is_detached():
                        continue  # gone from the page: nothing of it can be in the shot
                    raise Error(f"a frame could not be masked: {extent}")  # so no shot this way
                masked.append(frame)
                fingerprints.append(f"{frame.url}#{extent[4]}")
                if frame == page.main_frame:
                    viewport = extent
            if viewport is None:
                raise Error("the page's viewport could not be read")
            scroll_x, scroll_y, width, height = viewport[:4]
            if isinstance(target, Page):
                clip = {"x": scroll_x, "y": scroll_y, "width": width, "height": height}
            else:
                box = answers[-1]
                if not isinstance(box, dict):
                    raise Error(f"the element to capture is not visible: {box}")
                clip = {"x": scroll_x + box["x"], "y": scroll_y + box["y"], "width": box["width"],
                        "height": box["height"]}
            fingerprint = hashlib.sha256(repr((sorted(fingerprints), sorted(clip.items()), scale)).encode()).hexdigest()
            if fingerprint == unchanged_since:
                return fingerprint, None
            shot = session.send("Page.captureScreenshot", {
                "format": "png", "clip": {**clip, "scale": scale}, "captureBeyondViewport": False,
                "optimizeForSpeed": True,
            })
        finally:
            if masked:  # errors ignored: a frame that has gone took its boxes with it
                _at_once([(frame, "evaluate", {"expression": _UNMASK_FRAME_SCRIPT, "arg": _MASK_MARKER})
                          for frame in masked])
        data = shot.get("data", "") if isinstance(shot, dict) else ""
        if not data:
            raise Error("Chromium returned no screenshot")
        return fingerprint, base64.b64decode(data)


_direct = _DirectCapture()


def _at_once(jobs: list[tuple[Any, str, dict[str, Any]]]) -> list[Any]:
    """Each job's method (an object of the sync API, a method name, its keyword arguments) called at the same time:
    one wait for the browser instead of one per call. Each answer is the method's result or the Error it raised.
    Through the sync API's own event loop, as each of its calls runs (it has no public call for this); one by one
    where this Playwright has no such loop."""
    owner = jobs[0][0] if jobs else None
    sync = getattr(owner, "_sync", None)
    if sync is not None and all(hasattr(thing, "_impl_obj") for thing, _, _ in jobs):
        async def every() -> list[Any]:
            calls = [getattr(thing._impl_obj, name)(**arguments) for thing, name, arguments in jobs]
            return await asyncio.gather(*calls, return_exceptions=True)
        try:
            return list(sync(every()))
        except (AttributeError, TypeError):
            pass  # another Playwright's implementation: nothing was sent, so each is asked in turn below
    answers: list[Any] = []
    for thing, name, arguments in jobs:
        try:
            answers.append(getattr(thing, name)(**arguments))
        except Error as error:
            answers.append(error)
    return answers


class StepShot:
    """One step: its title, when, and its picture (a data: URI; None when screenshots are off or failed), waited
    for the first time it is read if it was still being encoded."""

    def __init__(self, title: str, time: float, image: str | _Pending | None) -> None:
        self.title, self.time, self._image = title, time, image

    @property
    def image(self) -> str | None:
        if isinstance(self._image, _Pending):
            self._image = self._image.result()
        return self._image

    def __repr__(self) -> str:
        return f"StepShot({self.title!r}, {self.time!r})"


@dataclass
class StepLog:
    """What the page objects saw on arrival. Capture never fails a test: evidence is not the behaviour."""

    mode: EvidenceMode = "steps"
    scale: float = STEP_SCALE
    quality: int = STEP_QUALITY
    steps: list[StepShot] = field(default_factory=list)
    masks: Callable[[Page], list[Locator]] = widget_secret_inputs
    # digest -> data URI (or its encoding under way): identical shots are kept once
    _images: dict[str, str | _Pending] = field(default_factory=dict, repr=False)
    # the fingerprint of the last direct shot and its picture: a step that shows the same is not shot again
    _last: tuple[str, str | _Pending] | None = field(default=None, repr=False)

    def capture(self, target: Page | Locator, title: str) -> None:
        image: str | _Pending | None = None
        if self.mode == "steps":
            try:
                image = self._shot(target)
            except Error:
                image = None  # the page moved on (navigation, closed frame) before the shot; keep the title
        self.steps.append(StepShot(title, time.time(), image))

    def settle(self) -> None:
        """Waits for every picture still being encoded (while the browser that encodes them is still open)."""
        for step in self.steps:
            _ = step.image

    def _shot(self, target: Page | Locator) -> str | _Pending:
        page = _page_of(target)
        browser = page.context.browser
        if self.masks is widget_secret_inputs and browser is not None and browser.browser_type.name == "chromium":
            try:
                fingerprint, png = _direct.png(target, self.scale, self._last[0] if self._last else None)
            except Error:
                pass  # taken the portable way below, which waits for the page to be still
            else:
                if png is None and self._last is not None:
                    return self._last[1]  # the page shows what the last step showed: the same picture
                if png is not None:  # already at the step's scale: the shrinking page only encodes it
                    digest = hashlib.sha256(png).hexdigest()
                    shrunk = self._images.get(digest) or _shrinker.start(png, browser, 1.0, self.quality)
                    self._images[digest] = shrunk
                    self._last = (fingerprint, shrunk)
                    return shrunk
        self._last = None
        # The mask is painted into the PNG, before any re-encoding: no copy of the shot ever shows the input.
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

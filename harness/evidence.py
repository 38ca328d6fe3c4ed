"""Step evidence: a screenshot each time the shopper arrives at a store page or a widget screen (an earlier picture
again when the page shows exactly what it showed then), and one of each open page when a test fails; in every one
the widget's code, answer and PIN inputs are masked."""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from PIL import Image, features
from playwright.sync_api import BrowserContext, CDPSession, Error, Frame, Locator, Page

EvidenceMode = Literal["steps", "off"]
# Painted over every secret input: what a reader of the report sees instead of a one-time code or a PIN.
MASK_COLOUR = "#FF00FF"
# A step is kept as a WebP at three quarters of its CSS size: about a third of the bytes of the full-size JPEG
# (quality 40) it replaces, and its text still reads when the report enlarges it (issue 15: the whole report of a
# sandbox run under 3 MB). Pillow encodes it on a thread of its own, off the test's path.
STEP_SCALE = 0.75
STEP_QUALITY = 60
# libwebp's effort, 0 (fastest) to 6: its default, 4, costs a step twice what 2 does for about 5% fewer bytes.
STEP_WEBP_METHOD = 2
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


def _encoded(png: bytes, scale: float, quality: int) -> str:
    """The masked PNG as a WebP data: URI, first scaled by `scale` (1 when the browser already shot it at the step's
    scale); a PNG when this Pillow has no WebP encoder, or the masked PNG itself when it cannot be encoded, so the
    step keeps a picture. A WebP made from pixels carries no text and, from Pillow, no colour profile."""
    try:
        with Image.open(io.BytesIO(png)) as shot:
            picture = shot.convert("RGB")  # no alpha channel: a plain lossy WebP, a third smaller
        if scale != 1:
            size = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
            picture = picture.resize(size, Image.Resampling.LANCZOS)
        encoded, kind = io.BytesIO(), "webp" if _has_webp() else "png"
        if kind == "webp":
            picture.save(encoded, "WEBP", quality=quality, method=STEP_WEBP_METHOD)
        else:
            picture.save(encoded, "PNG")
    except (OSError, ValueError, MemoryError, Image.DecompressionBombError):
        return "data:image/png;base64," + base64.b64encode(png).decode()  # masked already, only bigger
    return f"data:image/{kind};base64," + base64.b64encode(encoded.getvalue()).decode()


@functools.cache
def _has_webp() -> bool:
    return bool(features.check("webp"))


# One thread encodes every step's WebP while the test goes on (its thread mostly waits on the browser meanwhile); one
# is enough for the eight or so shots of a test, and keeps encodings from crowding the test's CPU. It never touches
# the browser, so no Playwright object crosses threads.
_encoder = ThreadPoolExecutor(max_workers=1, thread_name_prefix="step-evidence")


# The length of a text and two 32-bit hashes of it, in the page: all of a fingerprint that leaves it. Put into each
# script that fingerprints, at its /*HASH*/ line.
_FINGERPRINT_JS = """const fingerprint = text => {
        let one = 0x811c9dc5, two = 0x01000193;
        for (let i = 0; i < text.length; i++) {
            const c = text.charCodeAt(i);
            one = Math.imul(one ^ c, 16777619);
            two = Math.imul(two + c, 0x5bd1e995) ^ (two >>> 15);
        }
        return text.length + ":" + (one >>> 0).toString(16) + ":" + (two >>> 0).toString(16);
    };"""


# Paints a box of the mask colour over each secret input of one frame (every input and text area of an embedded
# frame, empty or not, since a value may arrive before the shot; password fields of the top page), shadow roots
# included. Returns the frame's scroll offset, its viewport, a fingerprint of what it shows, and how many boxes it
# painted (a frame with none, the merchant's own page mostly, needs no second round trip to take them off). The
# fingerprint covers what decides the frame's pixels: its markup (shadow roots included), the state of the inputs that
# are not masked, focus and hover, where each box went, scroll and viewport, language (it draws a date field's
# placeholder), pixel ratio, colour scheme, and whether the document, its fonts and each image have loaded; a frame
# with a running animation gets a fingerprint of its own, never reused. The same fingerprints in every frame mean
# the same picture. Only two 32-bit hashes leave the page. The boxes are `position: fixed` at the inputs' client
# rectangles, so they cover them wherever the page scrolled.
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
    let focused = document.activeElement;
    while (focused && focused.shadowRoot && focused.shadowRoot.activeElement) {
        focused = focused.shadowRoot.activeElement;
    }
    const hovered = [...document.querySelectorAll(":hover")].pop();
    const running = document.getAnimations().some(animation => animation.playState === "running");
    markup += "\\nfocus:" + (focused ? focused.outerHTML.slice(0, 200) : "") +
        "\\nhover:" + (hovered ? hovered.outerHTML.slice(0, 200) : "") +
        `\\nview:${window.scrollX},${window.scrollY},${window.innerWidth},${window.innerHeight},` +
        `${window.devicePixelRatio},${navigator.language},${matchMedia("(prefers-color-scheme: dark)").matches}` +
        `\\nloaded:${document.readyState},${document.fonts ? document.fonts.status : ""},` +
        [...document.images].map(image => image.complete ? image.naturalWidth : "-").join(",") +
        (running ? "\\nanimated:" + Math.random() : "");
    let painted = 0;
    for (const element of secret) {
        const r = element.getBoundingClientRect();
        if (r.width <= 0 || r.height <= 0) continue;
        const box = document.createElement("div");
        box.setAttribute(marker, "");
        box.style.cssText = `all:initial;position:fixed;left:${r.left}px;top:${r.top}px;width:${r.width}px;` +
            `height:${r.height}px;background:${colour};z-index:2147483647;pointer-events:none;display:block`;
        document.documentElement.appendChild(box);
        markup += `\\nmask:${r.left},${r.top},${r.width},${r.height}`;
        painted++;
    }
    /*HASH*/
    return [window.scrollX, window.scrollY, window.innerWidth, window.innerHeight,
            fingerprint(markup), painted];
}""".replace("/*HASH*/", _FINGERPRINT_JS)
_UNMASK_FRAME_SCRIPT = "marker => { for (const box of document.querySelectorAll(`[${marker}]`)) box.remove(); }"
# For a step that shows the widget's iframe (an IFRAME or FRAME of the top page): the frame's box in the viewport, and a
# fingerprint of everything of the page around it that can change the pixels inside that box, so that the picture does
# not depend on the rest of the page (the order's number beside the widget). It covers:
# - the frame element (its address without query or fragment: the widget session) and every ancestor in the flat
#   tree (slots and shadow hosts included): tag, attribute names, the values of the attributes CSS can see (class,
#   style, id, the presentational ones, any named in an attribute selector of a readable style sheet; all of them when
#   a sheet cannot be read), their painting styles as computed (opacity, filters, transforms, clipping, masks,
#   backgrounds, borders, overflow and scroll...), and what their ::before and ::after show and where;
# - every style sheet (its rules as the page holds them, imported ones too, whether it is disabled, its media), the
#   part of the box inside the viewport, pixel ratio, colour scheme, fonts, the hovered and the focused element;
# - every other element (shadow roots included) that may paint into the box, with its markup, the values of its form
#   fields (not passwords: those are masked), whether its images have loaded, and its place relative to the box: an
#   element whose box (or overflowing content) comes within 2 CSS pixels of the frame's, or as far as its shadows,
#   outline or filter reach, or anywhere when its ::before or ::after is positioned; and any modal dialog or open
#   popover, whose backdrop covers the whole page.
# A running animation anywhere on the page makes a fingerprint of its own, never reused. Null for any other element,
# or one that is not in the top document: the caller then fingerprints the whole page.
_TARGET_SCRIPT = """element => {
    if (window !== window.top || !["IFRAME", "FRAME"].includes(element.tagName)) return null;
    const r = element.getBoundingClientRect();
    const up = node => node.assignedSlot || node.parentNode || node.host || null;
    const seen = new Set(["class", "style", "id", "hidden", "dir", "lang", "width", "height", "align", "bgcolor",
                          "border", "background", "color", "src", "open", "popover"]);
    let unreadable = false, markup = "";
    const sheets = [...document.styleSheets, ...(document.adoptedStyleSheets || [])];
    for (let node = up(element); node; node = up(node)) {
        if (node instanceof ShadowRoot) sheets.push(...node.styleSheets, ...(node.adoptedStyleSheets || []));
    }
    const readRules = (sheet, depth) => {
        let rules;
        try { rules = sheet.cssRules; } catch (error) { unreadable = true; return; }
        markup += `\\ncss:${sheet.href || ""}:${sheet.disabled}:${sheet.media ? sheet.media.mediaText : ""}`;
        const walk = list => {
            for (const rule of list) {
                markup += "\\n" + rule.cssText;
                const named = (rule.selectorText || "").matchAll(/\\[\\s*([-\\w:]+)/g);
                for (const found of named) seen.add(found[1].toLowerCase());
                if (rule.styleSheet && depth < 8) readRules(rule.styleSheet, depth + 1);
                if (rule.cssRules) walk(rule.cssRules);
            }
        };
        walk(rules);
    };
    for (const sheet of sheets) readRules(sheet, 0);
    if (unreadable) markup += "\\ncss:unreadable:" + sheets.map(sheet => sheet.href || "").join(" ");
    const value = attribute => attribute.name === "src" ? attribute.value.split(/[?#]/)[0] :
        (unreadable || seen.has(attribute.name.toLowerCase()) ? attribute.value : "");
    const tag = node => node.tagName + [...node.attributes].map(a => ` ${a.name}=${value(a)}`).join("");
    const PAINT = ["display", "visibility", "opacity", "filter", "backdrop-filter", "transform", "translate", "scale",
                   "rotate", "clip-path", "mask", "mix-blend-mode", "isolation", "background-color",
                   "background-image", "border-top", "border-right", "border-bottom", "border-left", "border-radius",
                   "outline", "box-shadow", "overflow", "position", "z-index", "zoom", "content-visibility",
                   "color-scheme", "color", "font", "content", "top", "left", "right", "bottom", "width", "height"];
    const painted = (node, pseudo) => {
        const style = getComputedStyle(node, pseudo);
        return PAINT.map(property => style.getPropertyValue(property)).join(";");
    };
    const relative = box => `${box.left - r.left},${box.top - r.top},${box.width},${box.height}`;
    markup += "\\ntarget:" + tag(element) + "|" + painted(element, null);
    for (let node = up(element); node; node = up(node)) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        markup += `\\nin:${tag(node)}|${painted(node, null)}|${painted(node, "::before")}|` +
            `${painted(node, "::after")}|${relative(node.getBoundingClientRect())}|` +
            `${node.scrollLeft},${node.scrollTop}`;
    }
    const extent = text => [...text.matchAll(/-?[\\d.]+px/g)]
        .reduce((sum, length) => sum + Math.abs(parseFloat(length[0])), 0);
    const reach = other => {
        for (const pseudo of ["::before", "::after"]) {
            const style = getComputedStyle(other, pseudo);
            if (style.content !== "none" && style.content !== "normal" &&
                (style.position === "absolute" || style.position === "fixed")) return Infinity;
        }
        const style = getComputedStyle(other);
        return 2 + extent(style.boxShadow) + extent(style.textShadow) * 2 + extent(style.filter) * 3 +
            (style.outlineStyle !== "none" ? extent(style.outlineWidth) + Math.abs(extent(style.outlineOffset)) : 0);
    };
    const fields = other => [...other.querySelectorAll("input, textarea, select"), other]
        .filter(field => field.matches("input, textarea, select") && field.type !== "password")
        .map(field => field.type === "checkbox" || field.type === "radio" ? String(field.checked) : field.value)
        .join("\\u0000");
    const images = other => [...other.querySelectorAll("img"), other].filter(image => image.tagName === "IMG")
        .map(image => image.complete ? image.naturalWidth : "-").join(",");
    const isModal = other => {
        try { return other.matches(":modal, :popover-open"); } catch (error) { return other.matches("dialog[open]"); }
    };
    const roots = [document];
    for (let i = 0; i < roots.length; i++) {
        for (const other of roots[i].querySelectorAll("*")) {
            if (other.shadowRoot) roots.push(other.shadowRoot);
            if (other === element) continue;
            let holds = false;
            for (let node = up(element); node && !holds; node = up(node)) holds = node === other;
            if (holds) continue;
            const o = other.getBoundingClientRect();
            const right = o.left + Math.max(o.width, other.scrollWidth || 0);
            const bottom = o.top + Math.max(o.height, other.scrollHeight || 0);
            const modal = isModal(other);
            if (!modal) {
                const margin = reach(other);
                if (right < r.left - margin || o.left > r.right + margin || bottom < r.top - margin ||
                    o.top > r.bottom + margin) continue;
            }
            markup += `\\nnear:${modal ? "modal:" : ""}${relative(o)}:${fields(other)}:${images(other)}:` +
                other.outerHTML;
        }
    }
    let focused = document.activeElement;
    while (focused && focused.shadowRoot && focused.shadowRoot.activeElement) {
        focused = focused.shadowRoot.activeElement;
    }
    const hovered = [...document.querySelectorAll(":hover")].pop();
    const running = document.getAnimations().some(animation => animation.playState === "running");
    markup += "\\nfocus:" + (focused ? tag(focused) : "") + "\\nhover:" + (hovered ? tag(hovered) : "") +
        `\\nshown:${Math.max(0, -r.left)},${Math.max(0, -r.top)},${Math.min(r.width, window.innerWidth - r.left)},` +
        `${Math.min(r.height, window.innerHeight - r.top)},${r.width},${r.height}` +
        `\\nview:${window.devicePixelRatio},${matchMedia("(prefers-color-scheme: dark)").matches},` +
        (document.fonts ? document.fonts.status : "") + (running ? "\\nanimated:" + Math.random() : "");
    /*HASH*/
    return [r.left, r.top, r.width, r.height, fingerprint(markup)];
}""".replace("/*HASH*/", _FINGERPRINT_JS)
_MASK_MARKER = "data-harness-evidence-mask"
EMBEDDED_SECRET_INPUTS = "input, textarea"
PAGE_SECRET_INPUTS = "input[type=password]"


class _DirectCapture:
    """Step shots through DevTools' Page.captureScreenshot, with the secret inputs painted over in every frame first:
    a PNG made for speed at the step's scale, whose WebP encoding is left to the encoding thread, off the test's path
    (Chromium's own WebP encoder costs twice what its fast PNG does). Chromium only; a page it cannot serve (another
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

    def png(self, target: Page | Locator, scale: float, known: Callable[[str], bool]) -> tuple[str, bytes | None]:
        """The fingerprint of what `target` shows, and its masked PNG at `scale`; no PNG when the fingerprint is
        `known` (a shot of the same markup, inputs, focus, masks, scroll and place was already taken)."""
        page = _page_of(target)
        session = self._session(page)
        masked: list[Frame] = []
        try:
            fingerprints, embedded, viewport = [], [], None
            for frame in [frame for frame in page.frames if not frame.is_detached()]:
                secret = PAGE_SECRET_INPUTS if frame == page.main_frame else EMBEDDED_SECRET_INPUTS
                try:
                    extent = frame.evaluate(_MASK_FRAME_SCRIPT, [secret, MASK_COLOUR, _MASK_MARKER])
                except Error as error:
                    if frame != page.main_frame and frame.is_detached():
                        continue  # gone from the page: nothing of it can be in the shot
                    raise Error(f"a frame could not be masked: {error}") from error  # so no shot this way
                if extent[5]:
                    masked.append(frame)  # boxes to take off after the shot; none painted, no round trip
                # the frame's address is not in the picture: a widget session's query must not tell two alike apart
                fingerprints.append(f"{frame.url.split('?')[0].split('#')[0]}#{extent[4]}")
                if frame == page.main_frame:
                    viewport = extent
                else:
                    embedded.append(fingerprints[-1])
            if viewport is None:
                raise Error("the page's viewport could not be read")
            scroll_x, scroll_y, width, height = viewport[:4]
            around = None if isinstance(target, Page) else target.evaluate(_TARGET_SCRIPT, timeout=2_000)
            seen: tuple[object, ...]
            if isinstance(target, Page):
                clip = {"x": scroll_x, "y": scroll_y, "width": width, "height": height}
                seen = (sorted(fingerprints), sorted(clip.items()))
            elif around is not None:  # an element of the top page: what the page shows elsewhere does not matter
                x, y, box_width, box_height, page_around = around
                if box_width <= 0 or box_height <= 0:
                    raise Error("the element to capture is not visible")
                clip = {"x": scroll_x + x, "y": scroll_y + y, "width": box_width, "height": box_height}
                # every embedded frame, not only the element's own: a frame cannot be told apart by its place here
                seen = (sorted(embedded), [f"around#{page_around}"])
            else:
                box = target.bounding_box(timeout=2_000)
                if box is None:
                    raise Error("the element to capture is not visible")
                clip = {"x": scroll_x + box["x"], "y": scroll_y + box["y"], "width": box["width"],
                        "height": box["height"]}
                seen = (sorted(fingerprints), sorted(clip.items()))
            fingerprint = hashlib.sha256(repr((seen, scale)).encode()).hexdigest()
            if known(fingerprint):
                return fingerprint, None
            # Chromium can leave this unanswered while the page navigates away (a store leaving the widget the moment
            # it failed: 3 runs in 6 of the staging EVT-05 test hung here); past the deadline the shot goes the
            # portable way, which is bounded too.
            shot = session.send("Page.captureScreenshot", {
                "format": "png", "clip": {**clip, "scale": scale}, "captureBeyondViewport": False,
                "optimizeForSpeed": True,
            }, timeout=SHOT_DEADLINE_MS)
        finally:
            for frame in masked:
                with contextlib.suppress(Error):  # a frame that has gone took its boxes with it
                    frame.evaluate(_UNMASK_FRAME_SCRIPT, _MASK_MARKER)
        data = shot.get("data", "") if isinstance(shot, dict) else ""
        if not data:
            raise Error("Chromium returned no screenshot")
        return fingerprint, base64.b64decode(data)


SHOT_DEADLINE_MS = 3_000
_direct = _DirectCapture()
# fingerprint of a direct shot -> its picture, across the tests of this process: a page that shows exactly what an
# earlier step showed (every run's catalogue, the same cart, the same customer's checkout) is not shot again
_PICTURES_KEPT = 512
_pictures: OrderedDict[str, Future[str]] = OrderedDict()


class StepShot:
    """One step: its title, when, and its picture (a data: URI; None when screenshots are off or failed), waited
    for the first time it is read if it was still being encoded."""

    def __init__(self, title: str, time: float, image: str | Future[str] | None) -> None:
        self.title, self.time, self._image = title, time, image

    @property
    def image(self) -> str | None:
        if isinstance(self._image, Future):
            # _encoded keeps the masked PNG when Pillow fails; anything else loses the picture, never the test
            self._image = self._image.result() if self._image.exception() is None else None
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
    # digest of the masked PNG -> its encoding (done or under way): identical shots are kept once
    _images: dict[str, Future[str]] = field(default_factory=dict, repr=False)

    def capture(self, target: Page | Locator, title: str) -> None:
        image: Future[str] | None = None
        if self.mode == "steps":
            try:
                image = self._shot(target)
            except Error:
                image = None  # the page moved on (navigation, closed frame) before the shot; keep the title
        self.steps.append(StepShot(title, time.time(), image))

    def settle(self) -> None:
        """Waits for every picture still being encoded, so the report never waits on a test's leftovers."""
        for step in self.steps:
            _ = step.image

    def _shot(self, target: Page | Locator) -> Future[str]:
        page = _page_of(target)
        browser = page.context.browser
        if self.masks is widget_secret_inputs and browser is not None and browser.browser_type.name == "chromium":
            try:
                fingerprint, png = _direct.png(target, self.scale, lambda seen: f"{seen}@{self.quality}" in _pictures)
            except Error:
                pass  # taken the portable way below, which waits for the page to be still
            else:
                key = f"{fingerprint}@{self.quality}"
                if png is None and key in _pictures:
                    _pictures.move_to_end(key)
                    return _pictures[key]  # the page shows what an earlier step showed: the same picture
                if png is not None:  # already at the step's scale: only encoded
                    _pictures[key] = self._encoding(png, 1.0)
                    while len(_pictures) > _PICTURES_KEPT:
                        _pictures.popitem(last=False)
                    return _pictures[key]
        # The mask is painted into the PNG, before any re-encoding: no copy of the shot ever shows the input.
        # A short timeout: a page already moving on is not worth waiting for.
        shot = target.screenshot(type="png", scale="css", animations="disabled", caret="hide", mask=self.masks(page),
                                 mask_color=MASK_COLOUR, timeout=2_000)
        return self._encoding(shot, self.scale)

    def _encoding(self, png: bytes, scale: float) -> Future[str]:
        digest = f"{hashlib.sha256(png).hexdigest()}@{scale}"
        if digest not in self._images:
            self._images[digest] = _encoder.submit(_encoded, png, scale, self.quality)
        return self._images[digest]


def failure_trace_mode(option: str, is_sandbox: bool) -> str:
    """--failure-trace as it applies to this run: `auto` records actions against a real environment, where a failure
    is costly to reproduce, and nothing against the embedded sandbox, where it is not."""
    if option != "auto":
        return option
    return "off" if is_sandbox else "actions"


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

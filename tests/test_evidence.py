"""Evidence screenshots: the widget's code / answer / PIN input is painted over in every image the harness keeps."""

from __future__ import annotations

import base64
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from harness import evidence
from harness.evidence import MASK_COLOUR, StepLog, failure_screenshots
from harness.report.html import image_size
from pages.widget import locators

WIDGET = ("<body style='margin:0;background:#fff'><h1>Enter your verification code</h1>"
          "<input aria-label='code' value='824613' style='position:absolute;left:40px;top:80px;width:200px;"
          "height:40px;font-size:30px;border:0;background:#fff;color:#000'></body>")
STORE = (f"<body style='margin:0;background:#fff'><p>Checkout</p>"
         f"<iframe title='Flexiti widget' srcdoc=\"{WIDGET}\" "
         f"style='position:absolute;left:100px;top:60px;width:400px;height:300px;border:0'></iframe></body>")
IFRAME = "iframe[title='Flexiti widget']"
MAGENTA = tuple(int(MASK_COLOUR[i:i + 2], 16) for i in (1, 3, 5))


def _pixel(page: Page, image: str, x: float, y: float, width: float) -> tuple[int, int, int]:
    """The colour at CSS point (x, y) of a capture `width` CSS pixels wide (a data: URI, kept at whatever scale),
    decoded by the browser itself."""
    rgb = page.evaluate("""async ([src, x, y, width]) => {
        const img = new Image(); img.src = src; await img.decode();
        const canvas = document.createElement("canvas"); canvas.width = img.width; canvas.height = img.height;
        const context = canvas.getContext("2d"); context.drawImage(img, 0, 0);
        const scale = img.width / width;
        return Array.from(context.getImageData(Math.round(x * scale), Math.round(y * scale), 1, 1).data.slice(0, 3));
    }""", [image, x, y, width])
    return (rgb[0], rgb[1], rgb[2])


def _is_mask(colour: tuple[int, int, int]) -> bool:
    # JPEG drifts a little from the exact colour.
    return all(abs(channel - wanted) <= 40 for channel, wanted in zip(colour, MAGENTA, strict=True))


@pytest.fixture(autouse=True)
def widget_named_by_its_title(monkeypatch: pytest.MonkeyPatch) -> None:
    # The widget here is a srcdoc iframe, on no origin: named as a merchant names its own (FLEXITI_WIDGET_LOCATORS).
    monkeypatch.setattr(locators, "IFRAME", "iframe[title='Flexiti widget']")


@pytest.fixture(autouse=True)
def no_earlier_pictures(monkeypatch: pytest.MonkeyPatch) -> None:
    # Pictures are reused across the tests of a process: each test here starts with none, so it proves its own case.
    monkeypatch.setattr(evidence, "_pictures", OrderedDict())


@pytest.fixture
def checkout_with_code_typed(page: Page) -> Page:
    page.set_viewport_size({"width": 640, "height": 400})
    page.set_content(STORE)
    locators.frame(page).get_by_role("textbox").wait_for()
    return page


def test_step_screenshots_of_the_page_and_of_the_widget_mask_the_code_input(checkout_with_code_typed: Page) -> None:
    page = checkout_with_code_typed
    frame = locators.frame_element(page)
    steps = StepLog()

    steps.capture(page, "checkout")
    steps.capture(frame, "widget: enter code")

    whole, widget = (step.image for step in steps.steps)
    assert whole is not None and widget is not None
    # The input's centre: at (100+40+100, 60+80+20) on the page, (40+100, 80+20) in the widget's own shot.
    assert _is_mask(_pixel(page, whole, 240, 160, 640)), _pixel(page, whole, 240, 160, 640)
    assert _is_mask(_pixel(page, widget, 140, 100, 400)), _pixel(page, widget, 140, 100, 400)
    # Only the input: the heading beside it stays as the shopper saw it, so the test can tell the two apart.
    assert not _is_mask(_pixel(page, widget, 380, 280, 400)), _pixel(page, widget, 380, 280, 400)


def test_identical_step_screenshots_are_kept_once(checkout_with_code_typed: Page) -> None:
    steps = StepLog()

    steps.capture(checkout_with_code_typed, "checkout")
    steps.capture(checkout_with_code_typed, "checkout again")

    first, second = steps.steps
    assert first.image is not None and first.image is second.image


def test_the_failure_screenshot_masks_the_code_input(checkout_with_code_typed: Page, tmp_path: Path) -> None:
    [written] = failure_screenshots(checkout_with_code_typed.context, tmp_path)

    image = "data:image/png;base64," + base64.b64encode(written.read_bytes()).decode()
    assert _is_mask(_pixel(checkout_with_code_typed, image, 240, 160, 640))
    assert not _is_mask(_pixel(checkout_with_code_typed, image, 20, 300, 640))


def test_a_step_screenshot_is_a_small_webp_at_three_quarters_of_its_size(page: Page) -> None:
    # A page of text and a table at the default 1280x720 viewport, as the store's checkout is: as the full-size JPEG
    # (quality 40) steps were before, 20 kB; now about 8 kB. The whole report of a sandbox run must stay under 3 MB.
    page.set_viewport_size({"width": 1280, "height": 720})
    rows = "".join(f"<tr><td>Item {n} with a long descriptive name</td><td>{n}</td><td>${n * 37}.99</td></tr>"
                   for n in range(1, 4))
    page.set_content(f"<body style='font-family:sans-serif'><h1>Checkout</h1><table>{rows}</table>"
                     f"<p>{'Finance this purchase with Flexiti. ' * 4}</p></body>")
    steps = StepLog()

    steps.capture(page, "checkout")

    [step] = steps.steps
    assert step.image is not None and step.image.startswith("data:image/webp;base64,"), (step.image or "")[:40]
    data = base64.b64decode(step.image.split(",", 1)[1])
    assert len(data) <= 12_000, len(data)
    # Three quarters of the CSS size: 960 pixels wide, enough for 16 px text to read when enlarged.
    assert page.evaluate("async src => { const img = new Image(); img.src = src; await img.decode(); "
                         "return [img.width, img.height]; }", step.image) == [960, 540]
    assert image_size(step.image) == (960, 540)  # read from the WebP header, for the report's aspect ratio
    assert b"ICCP" not in data[:64]  # no colour profile: 450 bytes of every step for nothing


def test_a_step_is_shot_again_once_what_the_page_shows_changed(page: Page) -> None:
    # An unchanged page keeps the last picture; a value typed into an input that is not masked changes what the
    # step must show, so it is shot again.
    page.set_viewport_size({"width": 640, "height": 400})
    page.set_content("<body><label>Name <input id='name'></label></body>")
    steps = StepLog()

    steps.capture(page, "empty form")
    steps.capture(page, "still empty")
    page.fill("#name", "Ada Lovelace")
    steps.capture(page, "name typed")

    empty, still_empty, typed = (step.image for step in steps.steps)
    assert empty is not None and typed is not None
    assert still_empty is empty
    assert typed != empty


def test_a_step_shot_the_portable_way_is_also_a_webp_at_three_quarters_with_the_code_masked(
        checkout_with_code_typed: Page) -> None:
    # Masks given by the caller (as on a browser other than Chromium) take Playwright's own masked screenshot, which
    # Pillow shrinks and encodes: the same picture, the same size, the input still painted over.
    page = checkout_with_code_typed
    steps = StepLog(masks=lambda shown: [locators.frame(shown).get_by_role("textbox")])

    steps.capture(page, "checkout")

    [step] = steps.steps
    assert step.image is not None and step.image.startswith("data:image/webp;base64,"), (step.image or "")[:40]
    assert image_size(step.image) == (480, 300)
    assert _is_mask(_pixel(page, step.image, 240, 160, 640)), _pixel(page, step.image, 240, 160, 640)
    assert not _is_mask(_pixel(page, step.image, 20, 300, 640))


def test_the_widget_input_is_masked_before_anything_is_typed_in_it(page: Page) -> None:
    # A code may arrive between the check and the shot (a person typing with --mfa manual, a widget that fills it):
    # the box goes over every widget input, empty or not, so the picture never depends on when the value came.
    page.set_viewport_size({"width": 640, "height": 400})
    page.set_content(STORE.replace(" value='824613'", ""))
    code = locators.frame(page).get_by_role("textbox")
    code.focus()
    steps = StepLog()

    steps.capture(page, "code asked")
    code.fill("824613")
    steps.capture(page, "code typed")

    empty, typed = (step.image for step in steps.steps)
    assert empty is not None and typed is not None
    assert _is_mask(_pixel(page, empty, 240, 160, 640)), _pixel(page, empty, 240, 160, 640)
    assert _is_mask(_pixel(page, typed, 240, 160, 640)), _pixel(page, typed, 240, 160, 640)


def _shots_counted(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """Whether each direct capture from now on asked the browser for a new shot."""
    shots: list[bool] = []
    direct_png = evidence._direct.png

    def counted(*args: Any) -> tuple[str, bytes | None]:
        fingerprint, png = direct_png(*args)
        shots.append(png is not None)
        return fingerprint, png

    monkeypatch.setattr(evidence._direct, "png", counted)
    return shots


def test_a_page_shown_exactly_as_in_an_earlier_test_reuses_its_picture_without_a_shot(
        page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    # Every test's catalogue looks the same: a later test's step gets the earlier picture, and the browser is not asked
    # for a new shot (identical shots are kept once anyway; this is about not taking them).
    shots = _shots_counted(monkeypatch)
    page.set_viewport_size({"width": 640, "height": 400})
    page.set_content("<body><h1>Catalogue</h1><p>Desk lamp</p></body>")
    earlier, later = StepLog(), StepLog()

    earlier.capture(page, "catalogue")
    later.capture(page, "catalogue")
    page.set_content("<body><h1>Catalogue</h1><p>Desk lamp, 2 left</p></body>")
    later.capture(page, "catalogue, changed")

    [before] = earlier.steps
    same, changed = later.steps
    assert shots == [True, False, True]
    assert before.image is not None and same.image is before.image
    assert changed.image is not None and changed.image != before.image


def _store_around_the_widget(order: str, over_the_widget: str = "", frame_style: str = "") -> str:
    return STORE.replace("<p>Checkout</p>", f"<p>Checkout: order {order}</p>{over_the_widget}").replace(
        "height:300px;border:0", f"height:300px;border:0;{frame_style}")


def test_a_widget_screen_shown_exactly_as_before_reuses_its_picture_whatever_the_page_says_elsewhere(
        page: Page, monkeypatch: pytest.MonkeyPatch) -> None:
    # The widget's step is a picture of its frame only: another order's number beside it changes nothing in it.
    shots = _shots_counted(monkeypatch)
    page.set_viewport_size({"width": 640, "height": 400})
    steps = StepLog()

    page.set_content(_store_around_the_widget("ORD-1"))
    steps.capture(locators.frame_element(page), "widget: enter code")
    page.set_content(_store_around_the_widget("ORD-2"))
    steps.capture(locators.frame_element(page), "widget: enter code")
    steps.capture(page, "payment page")

    first, second, whole = (step.image for step in steps.steps)
    assert shots == [True, False, True]
    assert first is not None and second is first and whole is not None and whole != first


PSEUDO_ELEMENT_AWAY = ("<div style='position:absolute;left:0;top:0;width:10px;height:10px;z-index:1'><style>"
                       "#far::after{content:'';position:absolute;left:160px;top:110px;width:40px;height:40px;"
                       "background:#00aa00}</style><i id='{id}'></i></div>")


@pytest.mark.parametrize(("before", "over_the_widget", "frame_style"), [
    ("", "<div style='position:absolute;left:150px;top:100px;width:50px;height:50px;background:#00aa00;"
     "pointer-events:none;z-index:1'></div>", ""),
    ("", "<div style='position:absolute;left:90px;top:50px;width:20px;height:20px;background:#00aa00;"
     "z-index:1'></div>", ""),
    ("", "", "opacity:0.5"),
    # the same style sheet on both pages: only the element whose ::after lands on the frame differs
    (PSEUDO_ELEMENT_AWAY.replace("{id}", "plain"), PSEUDO_ELEMENT_AWAY.replace("{id}", "far"), ""),
    ("", "<div style='position:absolute;left:100px;top:370px;width:400px;height:20px;"
     "box-shadow:0 -30px 20px #00aa00;z-index:1'></div>", ""),
    # a rule that fades the frame when an alert precedes it: nothing near the frame, nor of its own, changes
    ("<style>.alert ~ iframe{opacity:.4}</style>", "<style>.alert ~ iframe{opacity:.4}</style><p class='alert'>!</p>",
     ""),
    ("", "<div style='position:absolute;left:600px;top:380px;width:10px;height:10px;"
     "box-shadow:0 0 0 2000px rgba(0,0,0,.5);z-index:1'></div>", ""),
    # a modal dialog in a corner, away from the frame: its backdrop still covers the whole page
    ("", "<dialog id='modal' style='margin:0;inset:auto 0 0 auto;padding:0;width:20px;height:20px;border:0'>"
     "</dialog><script>modal.showModal(); document.activeElement.blur()</script>", ""),
], ids=["overlay-over-the-frame", "neighbour-at-its-corner", "frame-faded", "far-pseudo-element", "shadow-from-below",
        "sibling-selector", "spotlight-shadow", "modal-dialog"])
def test_a_widget_screen_is_shot_again_when_the_page_paints_over_or_into_its_frame(
        page: Page, monkeypatch: pytest.MonkeyPatch, before: str, over_the_widget: str, frame_style: str) -> None:
    # What the page draws over the frame (even an overlay that lets clicks through, a ::before or ::after placed far
    # from its element, a shadow cast from outside) or does to the frame itself is in the widget's picture, so a page
    # that does it is never given the plain widget's picture.
    shots = _shots_counted(monkeypatch)
    page.set_viewport_size({"width": 640, "height": 400})
    steps = StepLog()

    page.set_content(_store_around_the_widget("ORD-1", before))
    steps.capture(locators.frame_element(page), "widget: enter code")
    page.set_content(_store_around_the_widget("ORD-2", over_the_widget, frame_style))
    steps.capture(locators.frame_element(page), "widget: enter code")

    plain, painted = (step.image for step in steps.steps)
    assert shots == [True, True]
    assert plain is not None and painted is not None and painted != plain
    if "pointer-events" in over_the_widget:  # the overlay is in the picture, at its place inside the frame's box
        green = _pixel(page, painted, 75, 65, 400)
        assert all(abs(got - wanted) <= 24 for got, wanted in zip(green, (0, 170, 0), strict=True)), green


@pytest.mark.parametrize(("state", "reused"), [("idle", True), ("busy", False)])
def test_an_ancestor_attribute_counts_only_when_a_style_sheet_can_see_it(
        page: Page, monkeypatch: pytest.MonkeyPatch, state: str, reused: bool) -> None:
    # The widget's container carries the session in an attribute no rule looks at: a new session is the same picture.
    # A state attribute that a rule selects on can fade the frame: a new value is shot again.
    shots = _shots_counted(monkeypatch)
    page.set_viewport_size({"width": 640, "height": 400})
    steps = StepLog()

    def container(session: str, shown: str) -> str:
        return STORE.replace("<iframe", "<style>[data-state=busy] iframe{opacity:.3}</style>"
                             f"<div data-session='{session}' data-state='{shown}'><iframe").replace(
            "</iframe>", "</iframe></div>")

    page.set_content(container("a6d104ea", "idle"))
    steps.capture(locators.frame_element(page), "widget: enter code")
    page.set_content(container("164dffb8", state))
    steps.capture(locators.frame_element(page), "widget: enter code")

    first, second = (step.image for step in steps.steps)
    assert shots == [True, not reused]
    assert first is not None and (second is first) is reused

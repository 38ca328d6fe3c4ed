"""Evidence screenshots: the widget's code / answer / PIN input is painted over in every image the harness keeps."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from playwright.sync_api import Page

from harness.evidence import MASK_COLOUR, StepLog, failure_screenshots

WIDGET = ("<body style='margin:0;background:#fff'><h1>Enter your verification code</h1>"
          "<input aria-label='code' value='824613' style='position:absolute;left:40px;top:80px;width:200px;"
          "height:40px;font-size:30px;border:0;background:#fff;color:#000'></body>")
STORE = (f"<body style='margin:0;background:#fff'><p>Checkout</p>"
         f"<iframe title='Flexiti widget' srcdoc=\"{WIDGET}\" "
         f"style='position:absolute;left:100px;top:60px;width:400px;height:300px;border:0'></iframe></body>")
IFRAME = "iframe[title='Flexiti widget']"
MAGENTA = tuple(int(MASK_COLOUR[i:i + 2], 16) for i in (1, 3, 5))


def _pixel(page: Page, image: str, x: float, y: float) -> tuple[int, int, int]:
    """The colour at (x, y) of an image (a data: URI), decoded by the browser itself."""
    rgb = page.evaluate("""async ([src, x, y]) => {
        const img = new Image(); img.src = src; await img.decode();
        const canvas = document.createElement("canvas"); canvas.width = img.width; canvas.height = img.height;
        const context = canvas.getContext("2d"); context.drawImage(img, 0, 0);
        return Array.from(context.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3));
    }""", [image, x, y])
    return (rgb[0], rgb[1], rgb[2])


def _is_mask(colour: tuple[int, int, int]) -> bool:
    # JPEG drifts a little from the exact colour.
    return all(abs(channel - wanted) <= 40 for channel, wanted in zip(colour, MAGENTA, strict=True))


@pytest.fixture
def checkout_with_code_typed(page: Page) -> Page:
    page.set_viewport_size({"width": 640, "height": 400})
    page.set_content(STORE)
    page.frame_locator(IFRAME).get_by_role("textbox").wait_for()
    return page


def test_step_screenshots_of_the_page_and_of_the_widget_mask_the_code_input(checkout_with_code_typed: Page) -> None:
    page = checkout_with_code_typed
    frame = page.locator(IFRAME)
    steps = StepLog()

    steps.capture(page, "checkout")
    steps.capture(frame, "widget: enter code")

    whole, widget = (step.image for step in steps.steps)
    assert whole is not None and widget is not None
    # The input's centre: at (100+40+100, 60+80+20) on the page, (40+100, 80+20) in the widget's own shot.
    assert _is_mask(_pixel(page, whole, 240, 160)), _pixel(page, whole, 240, 160)
    assert _is_mask(_pixel(page, widget, 140, 100)), _pixel(page, widget, 140, 100)
    # Only the input: the heading beside it stays as the shopper saw it, so the test can tell the two apart.
    assert not _is_mask(_pixel(page, widget, 380, 280)), _pixel(page, widget, 380, 280)


def test_identical_step_screenshots_are_kept_once(checkout_with_code_typed: Page) -> None:
    steps = StepLog()

    steps.capture(checkout_with_code_typed, "checkout")
    steps.capture(checkout_with_code_typed, "checkout again")

    first, second = steps.steps
    assert first.image is not None and first.image is second.image


def test_the_failure_screenshot_masks_the_code_input(checkout_with_code_typed: Page, tmp_path: Path) -> None:
    [written] = failure_screenshots(checkout_with_code_typed.context, tmp_path)

    image = "data:image/png;base64," + base64.b64encode(written.read_bytes()).decode()
    assert _is_mask(_pixel(checkout_with_code_typed, image, 240, 160))
    assert not _is_mask(_pixel(checkout_with_code_typed, image, 20, 300))

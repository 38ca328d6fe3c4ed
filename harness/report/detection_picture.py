"""The `make detect` table as a picture: defects × checklist items, each cell caught, missed or over-reported.

`detection_svg(rows)` takes the rows `sandbox.detection.as_json` writes (dicts with defect, expected, failed,
verdict, seconds, error); `detection_html(rows)` wraps the picture in a self-contained page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape as html_escape
from typing import Any
from xml.sax.saxutils import escape

CELL = 22
ROW_LABEL_WIDTH = 190
VERDICT_WIDTH = 110
HEADER_HEIGHT = 64
FONT_SIZE = 11
COLOURS = {"caught": "#2e7d32", "missed": "#c62828", "over-reported": "#f2a900", "clean": "#2e7d32",
           "run failed": "#6a1b9a"}
LEGEND = (("caught", "#2e7d32", "expected and failed: the defect was caught"),
          ("missed", "#c62828", "expected, did not fail: the defect went unseen"),
          ("over-reported", "#f2a900", "failed, not expected"))


def _cell(expected: bool, failed: bool) -> tuple[str, str] | None:
    if expected and failed:
        return "caught", COLOURS["caught"]
    if expected:
        return "missed", COLOURS["missed"]
    if failed:
        return "over-reported", COLOURS["over-reported"]
    return None


def detection_svg(rows: Sequence[Mapping[str, Any]]) -> str:
    """One row per defect run, one column per checklist item any run expected or failed; the verdict at the end."""
    items = sorted({str(i) for row in rows for i in (*row.get("expected", ()), *row.get("failed", ()))})
    width = ROW_LABEL_WIDTH + CELL * len(items) + VERDICT_WIDTH + 8
    legend_top = HEADER_HEIGHT + CELL * len(rows) + 14
    height = legend_top + 18 * len(LEGEND) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" font-family="system-ui, sans-serif" font-size="{FONT_SIZE}">',
             "<title>Defect detection: defects by checklist items</title>"]
    for column, item in enumerate(items):
        x = ROW_LABEL_WIDTH + column * CELL + CELL / 2
        parts.append(f'<text transform="translate({x + 4},{HEADER_HEIGHT - 6}) rotate(-60)" fill="#37474f">'
                     f"{escape(item)}</text>")
    parts.append(f'<text x="{ROW_LABEL_WIDTH + CELL * len(items) + 8}" y="{HEADER_HEIGHT - 6}" font-weight="600" '
                 'fill="#37474f">verdict</text>')
    for index, row in enumerate(rows):
        y = HEADER_HEIGHT + index * CELL
        expected, failed = set(map(str, row.get("expected", ()))), set(map(str, row.get("failed", ())))
        parts.append(f'<text x="{ROW_LABEL_WIDTH - 6}" y="{y + CELL * 0.68}" text-anchor="end" fill="#1f2933">'
                     f"{escape(str(row.get('defect', '')))}</text>")
        for column, item in enumerate(items):
            x = ROW_LABEL_WIDTH + column * CELL
            found = _cell(item in expected, item in failed)
            fill, stroke, label = ("#ffffff", "#dde2e6", "not involved") if found is None else (found[1], found[1],
                                                                                               found[0])
            parts.append(f'<rect class="cell {label.replace(" ", "-")}" x="{x + 1}" y="{y + 1}" width="{CELL - 2}" '
                         f'height="{CELL - 2}" rx="3" fill="{fill}" stroke="{stroke}">'
                         f"<title>{escape(str(row.get('defect', '')))} × {escape(item)}: {label}</title></rect>")
        verdict = str(row.get("verdict", ""))
        seconds = row.get("seconds")
        shown = f"{verdict} ({seconds:.0f} s)" if isinstance(seconds, (int, float)) else verdict
        parts.append(f'<text class="verdict" x="{ROW_LABEL_WIDTH + CELL * len(items) + 8}" y="{y + CELL * 0.68}" '
                     f'font-weight="600" fill="{COLOURS.get(verdict, "#37474f")}">{escape(shown)}</text>')
    for index, (_, colour, meaning) in enumerate(LEGEND):
        y = legend_top + index * 18
        parts.append(f'<rect x="8" y="{y}" width="12" height="12" rx="2" fill="{colour}"/>'
                     f'<text x="26" y="{y + 10}" fill="#37474f">{escape(meaning)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def detection_html(rows: Sequence[Mapping[str, Any]], title: str = "Flexiti harness: defect detection") -> str:
    """A page holding the picture and nothing it must fetch."""
    caught = sum(1 for row in rows if row.get("verdict") == "caught")
    defects = sum(1 for row in rows if row.get("verdict") != "clean" and row.get("defect") != "(clean store)")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{html_escape(title)}</title>'
            "<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1f2933}svg{max-width:100%;"
            "height:auto}</style></head><body>"
            f"<h1>{html_escape(title)}</h1><p>{caught}/{defects} defects caught exactly.</p>"
            f"<figure>{detection_svg(rows)}</figure></body></html>")

"""Scrub secrets from Playwright's artifacts, which record what the browser typed and saw."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from harness.masking import Masker

_JSON_LINES = (".trace", ".network", ".stacks", ".json")
_BINARY = (".png", ".jpeg", ".jpg", ".webm", ".webp", ".woff", ".woff2", ".ttf", ".zip")


def scrub_file(path: Path, masker: Masker) -> bool:
    """Mask secrets in one artifact; True when something changed."""
    if path.suffix == ".zip":
        return _scrub_zip(path, masker)
    if path.suffix.lower() in _BINARY:
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError):
        return False
    masked = masker.json_lines(text) if path.suffix in _JSON_LINES else masker.text(text)
    if masked == text:
        return False
    path.write_text(masked, encoding="utf-8")
    return True


def _scrub_zip(path: Path, masker: Masker) -> bool:
    changed = False
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".zip")
    os.close(handle)
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            data = source.read(entry)
            name = entry.filename
            if not name.lower().endswith(_BINARY):
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    text = None
                if text is not None:
                    is_json = name.endswith(_JSON_LINES)
                    masked = masker.json_lines(text) if is_json else masker.text(text)
                    if masked != text:
                        data, changed = masked.encode("utf-8"), True
            target.writestr(entry, data)
    if changed:
        os.replace(temporary, path)
    else:
        os.unlink(temporary)
    return changed


def scrub_paths(paths: list[Path], masker: Masker) -> int:
    """Scrub the given artifacts (a run's own, so parallel workers never touch each other's files)."""
    return sum(scrub_file(path, masker) for path in paths if path.is_file())

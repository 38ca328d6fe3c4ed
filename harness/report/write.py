"""Writes the certification report as HTML, JSON and Markdown, each file replaced atomically."""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
import secrets
import zipfile
from pathlib import Path

from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.model import Report, image_file


def write_reports(report: Report, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    report.intern_images()
    stem = f"certification-{_safe_name(report.run.environment)}"
    contents = {
        "html": (f"{stem}.html", render_html(report)),
        "json": (f"{stem}.json", json.dumps(report.to_json(), indent=2, default=str) + "\n"),
        "markdown": (f"{stem}.md", render_markdown(report)),
    }
    written = {kind: _write_atomically(directory / name, text) for kind, (name, text) in contents.items()}
    pictures = _write_images(report, directory)
    written["zip"] = _bundle(report, directory, stem, written, pictures)
    return written


def _write_images(report: Report, directory: Path) -> list[Path]:
    """The JSON's pictures, each once under its content hash (the HTML embeds the same ones); pictures an earlier
    run left there and this report does not show are removed, so the folder and the zip hold this run only."""
    wanted = {directory / image_file(key, uri) for key, uri in report.images.items()}
    for stale in (directory / "images").glob("*"):
        if stale.is_file() and stale not in wanted and stale.suffix in (".jpg", ".png", ".webp"):
            stale.unlink()
    written = []
    for key, uri in report.images.items():
        path = directory / image_file(key, uri)
        try:
            data = base64.b64decode(uri.split(",", 1)[1], validate=True)
        except (IndexError, binascii.Error):
            continue
        if not path.is_file():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        written.append(path)
    return written


def _bundle(report: Report, directory: Path, stem: str, written: dict[str, Path], pictures: list[Path]) -> Path:
    """The report and every test's artifacts (traces) in one zip a merchant attaches to a ticket: the artifact links
    in the HTML are relative, so they keep working once the zip is unpacked."""
    path = directory / f"{stem}.zip"
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for report_file in written.values():
                archive.write(report_file, report_file.name)
            for picture in pictures:
                archive.write(picture, picture.relative_to(directory).as_posix(), compress_type=zipfile.ZIP_STORED)
            for artifact in sorted({a for test in report.tests for a in test.artifacts}):
                source = directory / artifact
                if source.is_file():
                    # Outside the reports folder (--output elsewhere): under artifacts/, by test folder and name.
                    name = artifact if not Path(artifact).is_absolute() and ".." not in Path(artifact).parts else (
                        f"artifacts/{source.parent.name}/{source.name}")
                    # A trace or an image is already compressed: stored as it is, it costs nothing to zip.
                    archive.write(source, name, compress_type=zipfile.ZIP_STORED)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def _safe_name(environment: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", environment).strip(".-") or "unknown"


def _write_atomically(path: Path, text: str) -> Path:
    """A reader (a CI artifact upload, a browser reload) never sees a half-written report."""
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # os.open with 0o666 lets the umask decide the mode, as a plain open() of the report would.
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with open(descriptor, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path

"""Writes the certification report as HTML, JSON and Markdown, each file replaced atomically."""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path

from harness.report.html import render_html
from harness.report.markdown import render_markdown
from harness.report.model import Report


def write_reports(report: Report, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"certification-{_safe_name(report.run.environment)}"
    contents = {
        "html": (f"{stem}.html", render_html(report)),
        "json": (f"{stem}.json", json.dumps(report.to_json(), indent=2, default=str) + "\n"),
        "markdown": (f"{stem}.md", render_markdown(report)),
    }
    return {kind: _write_atomically(directory / name, text) for kind, (name, text) in contents.items()}


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

"""Scrub secrets from Playwright's artifacts, which record what the browser typed and saw.

A trace names each resource by the SHA-1 of its content, so masking a resource's content is not enough: its old
name would let anyone confirm a guessed secret by hashing candidate bodies (`{"answer":"314159"}`). A rewritten
resource is renamed to the hash of its new content, and every reference to the old name follows it. Screencast
frames (the filmstrip of `--tracing on`) are pictures of the page, codes typed into the widget included, and
pixels cannot be masked as text: they are dropped, with the events that point at them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable
from pathlib import Path

from harness.masking import Masker

_JSON_LINES = (".trace", ".network", ".stacks", ".json")
_BINARY = (".png", ".jpeg", ".jpg", ".webm", ".webp", ".woff", ".woff2", ".ttf", ".zip", ".gif", ".ico")
_SHA1 = re.compile(r"[0-9a-f]{40}")
_SCREENCAST = '"screencast-frame"'


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


def _drop_screencast(text: str) -> tuple[str, set[str]]:
    """The trace events without screencast frames, and the resource names those frames pointed at."""
    kept: list[str] = []
    frames: set[str] = set()
    for line in text.splitlines(keepends=True):
        if _SCREENCAST in line:
            try:
                event = json.loads(line)
            except ValueError:
                event = {}
            if event.get("type") == "screencast-frame":
                # Older Playwright names the picture by "sha1" under resources/, newer by its "file" path.
                frames.update(value for value in (event.get("sha1"), event.get("file")) if isinstance(value, str))
                continue
        kept.append(line)
    return "".join(kept), frames


def _mask_entry(name: str, data: bytes, masker: Masker) -> bytes:
    if name.lower().endswith(_BINARY):
        return data
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    masked = masker.json_lines(text) if name.endswith(_JSON_LINES) else masker.text(text)
    return data if masked == text else masked.encode("utf-8")


def _content_named(name: str) -> bool:
    """Whether a zip entry is a resource named by the SHA-1 of its content (`resources/<sha1>[.ext]`)."""
    stem = name.rsplit("/", 1)[-1].split(".", 1)[0]
    return name.startswith("resources/") and bool(_SHA1.fullmatch(stem))


def _scrub_zip(path: Path, masker: Masker) -> bool:
    with zipfile.ZipFile(path) as source:
        entries = [(entry, source.read(entry)) for entry in source.infolist()]
    changed = False
    frames: set[str] = set()
    contents: dict[str, bytes] = {}
    for entry, data in entries:
        if entry.filename.endswith(".trace"):
            text, dropped = _drop_screencast(data.decode("utf-8", errors="replace"))
            if dropped:
                data, changed = text.encode("utf-8"), True
                frames |= dropped
        contents[entry.filename] = data
    renamed: dict[str, str] = {}  # old content hash -> new content hash
    names: dict[str, str] = {}  # old entry name -> new entry name
    for entry, _ in entries:
        name = entry.filename
        if name in frames or name.rsplit("/", 1)[-1] in frames or name.startswith("screencast/"):
            del contents[name]
            changed = True
            continue
        masked = _mask_entry(name, contents[name], masker)
        if masked is contents[name]:
            names[name] = name
            continue
        changed = True
        contents[name] = masked
        if _content_named(name):
            old = name.rsplit("/", 1)[-1].split(".", 1)[0]
            new = hashlib.sha1(masked).hexdigest()  # SHA-1: the trace format's own naming, not security
            renamed[old] = new
            names[name] = name.replace(old, new)
        else:
            names[name] = name
    if renamed:
        for name in list(contents):
            if not name.lower().endswith(_BINARY) and not _content_named(name):
                text = contents[name].decode("utf-8", errors="surrogateescape")
                contents[name] = _SHA1.sub(lambda match: renamed.get(match.group(0), match.group(0)),
                                           text).encode("utf-8", errors="surrogateescape")
    if not changed:
        return False
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".zip")
    os.close(handle)
    written: set[str] = set()
    with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as target:
        for entry, _ in entries:
            if entry.filename not in contents:
                continue
            name = names[entry.filename]
            if name in written:  # two bodies that mask to the same content are one resource now
                continue
            written.add(name)
            info = zipfile.ZipInfo(name, date_time=entry.date_time)
            info.compress_type, info.external_attr = zipfile.ZIP_DEFLATED, entry.external_attr
            target.writestr(info, contents[entry.filename])
    os.replace(temporary, path)
    return True


def scrub_paths(paths: Iterable[Path], masker: Masker) -> int:
    """Scrub the given artifacts (a run's own, so parallel workers never touch each other's files)."""
    return sum(scrub_file(path, masker) for path in paths if path.is_file())


def scrub_tree(folders: Iterable[Path], masker: Masker, since: float | None = None) -> int:
    """Scrub every file under `folders` written since `since` (a run's start): run last, when nothing writes any
    more, it also reaches what no test's report listed, such as an interrupted test's trace."""
    seen: set[Path] = set()
    paths = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in folder.rglob("*"):
            resolved = path.resolve()
            if resolved in seen or not path.is_file() or path.is_symlink():
                continue
            seen.add(resolved)
            if since is None or path.stat().st_mtime >= since - 1:
                paths.append(path)
    return scrub_paths(paths, masker)

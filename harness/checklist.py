"""The certification checklist catalog: item IDs, titles, the documented rule each comes from."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

CATALOG = Path(__file__).resolve().parent.parent / "fixtures" / "data" / "checklist.json"


@dataclass(frozen=True)
class ChecklistItem:
    id: str
    title: str
    rule: str
    environments: tuple[str, ...]
    docs: str | None = None  # the Flexiti documentation page the rule comes from
    fix: str | None = None  # what a merchant changes when the item fails


def load_catalog(path: Path = CATALOG) -> dict[str, ChecklistItem]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    return {
        item["id"]: ChecklistItem(item["id"], item["title"], item["rule"], tuple(item["environments"]),
                                  item.get("docs"), item.get("fix"))
        for item in raw["items"]
    }

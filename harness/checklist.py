"""The certification checklist catalog: each item's Flexiti page section and rule, what fails it, which Flexiti
test-plan cases it automates; plus the plan cases left to a person or not automated yet, and the plans read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATALOG = Path(__file__).resolve().parent.parent / "fixtures" / "data" / "checklist.json"

RULE_SEPARATOR = " › "  # "Page title › Section: paraphrase of the sentence"
PAGE_DIFF_MARKERS = ("diffpages", "originalId=", "originalVersion=")  # Confluence version-diff views, not stable pages
MIN_RULE_WORDS = 8  # below this a "rule" is a topic ("SDK init method"), not a sentence


@dataclass(frozen=True)
class FlexitiCase:
    """One case of a Flexiti test plan that a checklist item automates."""

    plan: str
    case: str
    title: str
    version: str


@dataclass(frozen=True)
class ChecklistItem:
    """One certification item: what a merchant must do, the Flexiti sentence it rests on, and how to fix a failure."""

    id: str
    title: str
    rule: str  # "Page › Section: paraphrase" of the sentence the item enforces
    environments: tuple[str, ...]
    docs: str | None = None  # the Flexiti page, with the section's anchor
    fix: str | None = None  # what a merchant changes when the item fails
    requires: tuple[str, ...] = ()  # what fails the item
    recommends: tuple[str, ...] = ()  # good practice reported as advisory, never a failure
    flexiti_cases: tuple[FlexitiCase, ...] = ()
    basis: str | None = None  # why there is no plan case, when flexiti_cases is empty


@dataclass(frozen=True)
class ManualCase:
    """A Flexiti test-plan case only a person can check, and who checks it."""

    plan: str
    case: str
    title: str
    who: str
    prepare: str


@dataclass(frozen=True)
class PendingCase:
    """A Flexiti test-plan case a machine could check but no checklist item covers yet."""

    plan: str
    case: str
    title: str
    why: str


@dataclass(frozen=True)
class CaseSource:
    """A Flexiti test plan read for the mapping: its version and what of it was stored."""

    plan: str
    version: str
    url: str
    note: str


@dataclass(frozen=True)
class CaseCatalog:
    """The test-plan side of the catalog: cases for people, cases not automated yet, plans read."""

    manual: tuple[ManualCase, ...]
    not_yet_automated: tuple[PendingCase, ...]
    read: tuple[CaseSource, ...]


def _raw(path: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _item(raw: dict[str, Any]) -> ChecklistItem:
    return ChecklistItem(
        raw["id"], raw["title"], raw["rule"], tuple(raw["environments"]), raw.get("docs"), raw.get("fix"),
        requires=tuple(raw.get("requires", ())),
        recommends=tuple(raw.get("recommends", ())),
        flexiti_cases=tuple(FlexitiCase(c["plan"], c["case"], c["title"], c["version"])
                            for c in raw.get("flexiti_cases", ())),
        basis=raw.get("basis"),
    )


def load_catalog(path: Path = CATALOG) -> dict[str, ChecklistItem]:
    return {item["id"]: _item(item) for item in _raw(path)["items"]}


def load_cases(path: Path = CATALOG) -> CaseCatalog:
    raw = _raw(path)
    return CaseCatalog(
        tuple(ManualCase(c["plan"], c["case"], c["title"], c["who"], c["prepare"])
              for c in raw.get("manual_cases", ())),
        tuple(PendingCase(c["plan"], c["case"], c["title"], c["why"]) for c in raw.get("not_yet_automated", ())),
        tuple(CaseSource(c["plan"], c["version"], c["url"], c["note"]) for c in raw.get("cases_read", ())),
    )


def item_problems(item: ChecklistItem) -> list[str]:
    """What keeps an item from resting on a named Flexiti sentence; empty when it does."""
    problems = []
    page_section, _, paraphrase = item.rule.partition(": ")
    if RULE_SEPARATOR not in page_section or len(paraphrase.split()) < MIN_RULE_WORDS:
        problems.append(f"{item.id}: rule is not 'Page › Section: <a sentence>': {item.rule!r}")
    if not item.docs or "#" not in item.docs or not item.docs.partition("#")[2]:
        problems.append(f"{item.id}: docs has no section anchor: {item.docs!r}")
    elif any(marker in item.docs for marker in PAGE_DIFF_MARKERS):
        problems.append(f"{item.id}: docs is a page-diff view, not the page: {item.docs!r}")
    if not item.requires or not all(r.strip() for r in item.requires):
        problems.append(f"{item.id}: no 'requires' list, so nothing says what fails it")
    if not item.flexiti_cases and not (item.basis or "").strip():
        problems.append(f"{item.id}: neither Flexiti test-plan cases nor a stated basis")
    for case in item.flexiti_cases:
        if not case.plan.strip() or not case.case.strip():
            problems.append(f"{item.id}: a flexiti_cases entry lacks its plan or case id: {case}")
    if not (item.fix or "").strip():
        problems.append(f"{item.id}: no fix text")
    return problems


def case_problems(cases: CaseCatalog) -> list[str]:
    """What is missing from the test-plan side: an owner for each manual case, a reason for each pending one."""
    problems = [f"manual case {c.plan} {c.case}: nobody named to check it" for c in cases.manual if not c.who.strip()]
    problems += [f"not automated {c.plan} {c.case}: no reason given" for c in cases.not_yet_automated
                 if not c.why.strip()]
    listed: list[ManualCase | PendingCase] = [*cases.manual, *cases.not_yet_automated]
    problems += [f"{c.plan} {c.case}: plan or case id missing" for c in listed
                 if not c.plan.strip() or not c.case.strip()]
    return problems

"""The certification suite covers the whole checklist catalog, and cites only items the catalog has; every item rests
on a named Flexiti sentence and maps to Flexiti's own test-plan cases."""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

import pytest

from harness.checklist import (
    CATALOG,
    CaseCatalog,
    ChecklistItem,
    FlexitiCase,
    ManualCase,
    PendingCase,
    case_problems,
    item_problems,
    load_cases,
    load_catalog,
)

E2E = Path(__file__).resolve().parent.parent / "e2e"


def _cited(path: Path) -> dict[str, set[str]]:
    """Checklist IDs each test function in `path` cites with @pytest.mark.checklist(...)."""
    cited: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.checklist":
                    ids = {arg.value for arg in decorator.args
                           if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
                    cited.setdefault(f"{path.name}::{node.name}", set()).update(ids)
    return cited


def _all_cited() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted(E2E.glob("test_*.py")):
        found.update(_cited(path))
    return found


def test_every_catalog_item_is_proved_by_an_e2e_test() -> None:
    covered = set().union(*_all_cited().values())

    uncovered = sorted(set(load_catalog()) - covered)

    assert not uncovered, f"checklist items no e2e test proves: {uncovered}"


def test_every_e2e_test_cites_known_checklist_items() -> None:
    catalog = load_catalog()

    unknown = {test: ids - set(catalog) for test, ids in _all_cited().items() if ids - set(catalog)}

    assert not unknown, f"tests cite items missing from {CATALOG.name}: {unknown}"


def test_every_e2e_test_cites_at_least_one_item() -> None:
    tests = {
        f"{path.name}::{node.name}"
        for path in E2E.glob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }

    uncited = sorted(tests - set(_all_cited()))

    assert not uncited, f"e2e tests that prove no checklist item: {uncited}"


def test_catalog_ids_are_unique_and_well_formed() -> None:
    ids = [item.id for item in load_catalog().values()]

    assert len(ids) == len(set(ids)) == 26
    assert all(item_id.split("-")[0] in {"CFG", "AUTH", "INIT", "EVT", "ACC", "VER", "TXN", "RES"} for item_id in ids)


VERDICTS = E2E.parent / "harness" / "verdicts.py"


def _proof_items(node: ast.AST) -> set[str]:
    """Item IDs named as literals in `proof.of(...)` / `proof.fail(...)` calls under `node`."""
    return {
        arg.value
        for call in ast.walk(node)
        if isinstance(call, ast.Call) and ast.unparse(call.func) in {"proof.of", "proof.fail"}
        for arg in call.args
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str)
    }


def _judged(path: Path, helpers: dict[str, set[str]]) -> dict[str, set[str]]:
    """Items each test function in `path` gives a verdict on: its own proof blocks and the shared verdicts it calls."""
    judged = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            items = _proof_items(node)
            for call in ast.walk(node):
                if isinstance(call, ast.Call) and ast.unparse(call.func).startswith("verdicts."):
                    items |= helpers[ast.unparse(call.func).removeprefix("verdicts.")]
            judged[f"{path.name}::{node.name}"] = items
    return judged


def test_every_item_a_test_gives_a_verdict_on_is_in_its_marker() -> None:
    """The marker is what JUnit and the report list per test; a proof block for an item the marker leaves out
    would under-report what the test proves, and an unattributed failure would not count against that item.
    Only the test's own blocks and the shared verdicts are scanned: fixtures that fail an item on the test's
    behalf (opening the widget fails INIT-01/02/03 or CFG-01) are not, and the report counts those anyway."""
    helpers = {node.name: _proof_items(node) for node in ast.parse(VERDICTS.read_text(encoding="utf-8")).body
               if isinstance(node, ast.FunctionDef)}
    cited = _all_cited()
    judged: dict[str, set[str]] = {}
    for path in sorted(E2E.glob("test_*.py")):
        judged.update(_judged(path, helpers))

    unmarked = {test: sorted(items - cited.get(test, set())) for test, items in judged.items()
                if items - cited.get(test, set())}

    assert judged and any(judged.values()), "found no proof blocks at all: the scan itself is broken"
    assert not unmarked, f"tests give verdicts on items their @pytest.mark.checklist leaves out: {unmarked}"


SOUND = ChecklistItem(
    "EVT-04", "flx-cancel: cart intact",
    "Flexiti Widget Communication Events › Cancel: a cancel arrives with no data and the merchant handles the flow.",
    ("sandbox",),
    "https://flexiti.atlassian.net/wiki/spaces/FDP/pages/149749812/X#FlexitiWidgetCommunicationEvents-Cancel",
    "Return to checkout with the cart intact.",
    requires=("the cart is unchanged",),
    flexiti_cases=(FlexitiCase("Test Plan - Online Channel", "B-2", "expired token", "25"),),
)


def test_a_sound_item_has_no_problems() -> None:
    assert item_problems(SOUND) == []


WIKI = "https://flexiti.atlassian.net/wiki"


@pytest.mark.parametrize(("change", "expected"), [
    ({"rule": "SDK init method"}, "rule is not"),
    ({"rule": "Flexiti SDK Init Method: any one identifier is enough to find the customer for a purchase"},
     "rule is not"),
    ({"docs": f"{WIKI}/spaces/FDP/pages/149520436/Flexiti+SDK+Init+Method"}, "no section anchor"),
    ({"docs": f"{WIKI}/pages/diffpages.action?originalId=2028470317&pageId=10190869#Errors"}, "page-diff view"),
    ({"requires": ()}, "no 'requires' list"),
    ({"flexiti_cases": (), "basis": None}, "neither Flexiti test-plan cases nor a stated basis"),
    ({"flexiti_cases": (FlexitiCase("Test Plan - Online Channel", "", "expired token", "25"),)},
     "lacks its plan or case"),
    ({"fix": None}, "no fix text"),
])
def test_item_problems_name_what_is_missing(change: dict[str, object], expected: str) -> None:
    broken = dataclasses.replace(SOUND, **change)  # type: ignore[arg-type]

    problems = item_problems(broken)

    assert any(expected in problem for problem in problems), problems


def test_every_catalog_item_rests_on_a_named_flexiti_sentence() -> None:
    problems = [problem for item in load_catalog().values() for problem in item_problems(item)]

    assert not problems, "\n".join(problems)


def test_no_docs_url_is_a_page_diff_view() -> None:
    diff_views = {item.id: item.docs for item in load_catalog().values()
                  if item.docs and ("diffpages" in item.docs or "originalId=" in item.docs)}

    assert not diff_views, f"items whose docs link a Confluence diff view instead of the page: {diff_views}"


def test_case_problems_name_a_manual_case_nobody_checks() -> None:
    cases = CaseCatalog((ManualCase("Test Plan - Online Channel", "A-4", "Disclaimers", " ", "staging URL"),),
                        (PendingCase("Test Plan - Online Channel", "A-5", "Field lengths", ""),), ())

    problems = case_problems(cases)

    assert any("nobody named" in p for p in problems) and any("no reason" in p for p in problems), problems


def test_every_manual_and_pending_case_is_complete() -> None:
    cases = load_cases()

    assert cases.manual and cases.not_yet_automated, "the catalog lists no manual or pending Flexiti cases"
    assert not case_problems(cases), "\n".join(case_problems(cases))


def test_every_flexiti_case_names_a_plan_that_was_read() -> None:
    cases = load_cases()
    read = {source.plan: source.version for source in cases.read}
    named: list[FlexitiCase | ManualCase | PendingCase] = [
        *(c for item in load_catalog().values() for c in item.flexiti_cases), *cases.manual, *cases.not_yet_automated]

    unread = sorted({f"{c.plan} {c.case}" for c in named if c.plan not in read})
    wrong_version = sorted({f"{c.plan} {c.case}: {c.version}" for item in load_catalog().values()
                            for c in item.flexiti_cases if c.plan in read and c.version != read[c.plan]})

    assert read, "cases_read is empty: the mapping names no plan it was read from"
    assert not unread, f"cases from plans missing from cases_read: {unread}"
    assert not wrong_version, f"cases whose version differs from the plan's version read: {wrong_version}"


def test_expired_token_fix_does_not_say_refresh_and_retry() -> None:
    """A refresh token only works before expiry: once Flexiti says the token expired, only a new grant helps."""
    fix = (load_catalog()["RES-03"].fix or "").lower()

    assert "client_credentials" in fix
    assert "refresh and retry" not in fix and "refresh the token and retry" not in fix


def test_cancel_notice_is_advisory_not_required() -> None:
    item = load_catalog()["EVT-04"]

    assert any("cancel" in advice for advice in item.recommends)
    assert not any(word in requirement for requirement in item.requires for word in ("tell", "notice", "message"))


CASES_TABLE = E2E.parent / "docs" / "flexiti-cases.md"


def test_cases_table_has_a_row_for_every_case_in_the_catalog() -> None:
    cases = load_cases()
    listed: list[FlexitiCase | ManualCase | PendingCase] = [
        *(c for item in load_catalog().values() for c in item.flexiti_cases), *cases.manual, *cases.not_yet_automated]
    table = CASES_TABLE.read_text(encoding="utf-8")

    missing = sorted({f"{c.plan} {c.case}" for c in listed if f"| {c.plan} | {c.case} |" not in table})

    assert listed, "the catalog names no Flexiti cases at all"
    assert not missing, f"{CASES_TABLE.name} has no row for: {missing}"

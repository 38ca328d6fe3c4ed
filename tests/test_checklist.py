"""The certification suite covers the whole checklist catalog, and cites only items the catalog has."""

from __future__ import annotations

import ast
from pathlib import Path

from harness.checklist import CATALOG, load_catalog

E2E = Path(__file__).resolve().parent.parent / "e2e"


def _cited(path: Path) -> dict[str, set[str]]:
    """Checklist IDs each test function in `path` cites with @pytest.mark.checklist(...)."""
    cited: dict[str, set[str]] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
            for decorator in node.decorator_list:
                if isinstance(decorator, ast.Call) and ast.unparse(decorator.func) == "pytest.mark.checklist":
                    ids = {arg.value for arg in decorator.args if isinstance(arg, ast.Constant)}
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

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

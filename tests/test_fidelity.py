"""The fidelity record (sandbox/flexiti/FIDELITY.md) stays true: every documented element has a row, every modelled
row has a contract test that names it, every gap is declared, every route is listed."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

import pytest

from sandbox.flexiti.app import Simulator
from sandbox.flexiti.state import SimulatorState

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "sandbox" / "flexiti" / "FIDELITY.md"
TEST_DIRS = (ROOT / "tests", ROOT / "e2e")
STATUSES = ("modelled", "modelled, diverges", "not modelled")
FIGURES = re.compile(r"^Figures: documented (\d+), modelled (\d+), tested (\d+), divergent \(declared\) (\d+), "
                     r"undeclared (\d+)$", re.MULTILINE)


def _rows(heading: str, text: str | None = None) -> list[list[str]]:
    """The cells of the table under `## heading`, without its header and rule."""
    text = TABLE.read_text(encoding="utf-8") if text is None else text
    section = text.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def _documented(text: str | None = None) -> list[str]:
    return [row[0] for row in _rows("Documented elements", text)]


def _fidelity_rows(text: str | None = None) -> list[dict[str, str]]:
    names = ("id", "elements", "where", "status", "declared")
    return [dict(zip(names, row, strict=True)) for row in _rows("Rows", text)]


def _elements_of(row: dict[str, str]) -> list[str]:
    return [part.strip() for part in row["elements"].split(",") if part.strip().startswith("E-")]


def fidelity_marks(source: str) -> list[tuple[str, tuple[str, ...]]]:
    """(function name, row ids) for each function decorated `@fidelity(...)` or `@<module>.fidelity(...)`."""
    marks = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        for decorator in node.decorator_list:
            func = decorator.func if isinstance(decorator, ast.Call) else None
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
            if name == "fidelity" and isinstance(decorator, ast.Call):
                rows = tuple(arg.value for arg in decorator.args
                             if isinstance(arg, ast.Constant) and isinstance(arg.value, str))
                marks.append((node.name, rows))
    return marks


def _marked_tests() -> dict[str, list[str]]:
    """Row id -> the contract tests (path::name) that say they assert it."""
    tests: dict[str, list[str]] = defaultdict(list)
    for directory in TEST_DIRS:
        for path in sorted(directory.rglob("test_*.py")):
            for name, rows in fidelity_marks(path.read_text(encoding="utf-8")):
                for row in rows:
                    tests[row].append(f"{path.relative_to(ROOT)}::{name}")
    return tests


def _figures(text: str | None = None, marked: dict[str, list[str]] | None = None) -> tuple[int, ...]:
    rows, documented = _fidelity_rows(text), _documented(text)
    marked = _marked_tests() if marked is None else marked
    covered = {element for row in rows for element in _elements_of(row)}
    modelled = {e for row in rows if row["status"].startswith("modelled") for e in _elements_of(row)}
    tested = {e for row in rows if marked.get(row["id"]) for e in _elements_of(row)}
    divergent = {e for row in rows if row["status"] != "modelled" for e in _elements_of(row)}
    undeclared = len(set(documented) - covered) + sum(
        len(_elements_of(row)) for row in rows if row["status"] != "modelled" and not row["declared"])
    return len(documented), len(modelled), len(tested), len(divergent), undeclared


def test_every_route_is_in_the_fidelity_table() -> None:
    served = {f"{method} {route.path}" for route in Simulator(SimulatorState("c", "s")).app.app.routes
              for method in sorted(route.methods - {"HEAD"})}  # type: ignore[attr-defined]
    listed = {row[0].strip("`") for row in _rows("Routes")}

    assert served - listed == set(), f"routes the simulator serves that FIDELITY.md does not list: {served - listed}"
    assert listed - served == set(), f"routes FIDELITY.md lists that the simulator does not serve: {listed - served}"


def test_every_documented_element_has_a_row() -> None:
    documented = _documented()
    covered = {element for row in _fidelity_rows() for element in _elements_of(row)}

    assert len(set(documented)) == len(documented), "element ids repeat"
    assert set(documented) - covered == set(), "documented elements no row covers"
    assert covered - set(documented) == set(), "rows name elements the documented list does not have"


@pytest.mark.parametrize("row", _fidelity_rows(), ids=lambda row: row["id"])
def test_each_row_is_tested_or_declared(row: dict[str, str]) -> None:
    marked = _marked_tests()

    assert row["status"] in STATUSES, row["status"]
    if row["status"].startswith("modelled"):
        assert marked.get(row["id"]), f"{row['id']} is modelled but no contract test carries @fidelity({row['id']!r})"
    if row["status"] != "modelled":
        assert row["declared"], f"{row['id']} diverges or is absent without saying why"


def test_every_fidelity_mark_names_a_row_and_sits_on_a_test() -> None:
    rows = {row["id"] for row in _fidelity_rows()}
    problems = []
    for directory in TEST_DIRS:
        for path in sorted(directory.rglob("*.py")):
            for name, marked in fidelity_marks(path.read_text(encoding="utf-8")):
                where = f"{path.relative_to(ROOT)}::{name}"
                problems += [f"{where} names {row}, which FIDELITY.md has no row for" for row in marked
                             if row not in rows]
                if not marked:
                    problems.append(f"{where} carries @fidelity() without a row id")
                if not (name.startswith("test_") and path.name.startswith("test_")):
                    problems.append(f"{where} carries @fidelity but is not a test pytest collects")

    assert problems == []


def test_the_figures_line_matches_the_tables() -> None:
    match = FIGURES.search(TABLE.read_text(encoding="utf-8"))

    assert match is not None, "FIDELITY.md has no figures line"
    assert tuple(int(n) for n in match.groups()) == _figures()
    assert _figures()[4] == 0, "documented elements without a row, or divergences without a declaration"
    rows = [row["id"] for row in _fidelity_rows()]
    assert len(set(rows)) == len(rows), "row ids repeat"


# -- the checks above can fail: each is run on a record with one defect ----------------------------

_RECORD = """## Documented elements

| element | page | what |
|---|---|---|
| E-ONE | p | one |
| E-TWO | p | two |

## Rows

| row | elements | where | status | declared |
|---|---|---|---|---|
| F-ONE | E-ONE | x | modelled | |
| F-TWO | E-TWO | — | not modelled | why |
"""


def test_an_element_without_a_row_is_counted_undeclared() -> None:
    record = _RECORD.replace("| F-TWO | E-TWO | — | not modelled | why |\n", "")

    assert _figures(record, {"F-ONE": ["t"]}) == (2, 1, 1, 0, 1)


def test_a_divergence_without_its_declaration_is_counted_undeclared() -> None:
    record = _RECORD.replace("not modelled | why |", "not modelled | |")

    assert _figures(record, {"F-ONE": ["t"]})[4] == 1


def test_a_modelled_row_no_test_names_is_not_counted_tested() -> None:
    assert _figures(_RECORD, {}) == (2, 1, 0, 1, 0)


def test_fidelity_marks_are_read_from_the_syntax_tree() -> None:
    source = ('@api.fidelity("F-ONE", "F-TWO")\n@pytest.mark.parametrize("x", [1])\ndef test_a(x):\n    assert x\n\n'
              '@fidelity("F-THREE")\ndef helper():\n    pass\n\ndef test_b():\n    assert True\n')

    assert fidelity_marks(source) == [("test_a", ("F-ONE", "F-TWO")), ("helper", ("F-THREE",))]

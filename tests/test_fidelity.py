"""The fidelity table (sandbox/flexiti/FIDELITY.md) stays true: every route listed, every test real, every gap
declared."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sandbox.flexiti.app import Simulator
from sandbox.flexiti.state import SimulatorState

ROOT = Path(__file__).resolve().parent.parent
TABLE = ROOT / "sandbox" / "flexiti" / "FIDELITY.md"
ABBREVIATIONS = {"api": "tests/test_simulator_api.py", "flows": "tests/test_simulator_flows.py",
                 "bo": "tests/test_back_office.py"}
FIGURES = re.compile(r"^Figures: documented (\d+), modelled (\d+), contract-tested (\d+), divergent (\d+), "
                     r"undeclared (\d+)$", re.MULTILINE)


def _rows(heading: str) -> list[list[str]]:
    """The cells of the table under `## heading`, without its header and rule."""
    section = TABLE.read_text(encoding="utf-8").split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    lines = [line for line in section.splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]] for line in lines]


def _elements() -> list[dict[str, str]]:
    names = ("id", "element", "where", "test", "status", "declared")
    return [dict(zip(names, row, strict=True)) for row in _rows("Documented elements")]


def _tests(cell: str) -> list[tuple[Path, str]]:
    found = []
    for reference in (part.strip() for part in cell.split(",") if part.strip() not in ("", "—")):
        where, _, name = reference.rpartition(":")
        found.append((ROOT / ABBREVIATIONS.get(where, where), name))
    return found


def test_every_route_is_in_the_fidelity_table() -> None:
    served = {f"{method} {route.path}" for route in Simulator(SimulatorState("c", "s")).app.app.routes
              for method in sorted(route.methods - {"HEAD"})}  # type: ignore[attr-defined]
    listed = {row[0].strip("`") for row in _rows("Routes")}

    assert served - listed == set(), f"routes the simulator serves that FIDELITY.md does not list: {served - listed}"
    assert listed - served == set(), f"routes FIDELITY.md lists that the simulator does not serve: {listed - served}"


@pytest.mark.parametrize("element", _elements(), ids=lambda element: element["id"])
def test_each_element_is_tested_or_declared(element: dict[str, str]) -> None:
    assert element["status"] in ("modelled", "modelled, diverges", "not modelled"), element["status"]
    if element["status"].startswith("modelled"):
        assert _tests(element["test"]), f"{element['id']} is modelled but names no contract test"
    for path, name in _tests(element["test"]):
        assert re.search(rf"^def {re.escape(name)}\(", path.read_text(encoding="utf-8"), re.MULTILINE), (
            f"{element['id']} names {path.relative_to(ROOT)}::{name}, which does not exist")
    if element["status"] != "modelled":
        assert element["declared"], f"{element['id']} diverges or is absent without saying why"


def test_the_figures_line_matches_the_table() -> None:
    elements = _elements()
    divergent = [e for e in elements if e["status"] != "modelled"]
    counted = (len(elements), sum(e["status"].startswith("modelled") for e in elements),
               sum(bool(_tests(e["test"])) for e in elements), len(divergent),
               sum(not e["declared"] for e in divergent))

    match = FIGURES.search(TABLE.read_text(encoding="utf-8"))

    assert match is not None, "FIDELITY.md has no figures line"
    assert tuple(int(n) for n in match.groups()) == counted
    assert len({e["id"] for e in elements}) == len(elements), "element ids repeat"

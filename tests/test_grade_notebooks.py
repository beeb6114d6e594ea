"""The exercise notebooks, run with a learner's answers filled in: right, then wrong.

Each exercise cell is tagged ``exercise:<key>``; the answers come from
:mod:`tests.grade_solutions`. With the right answers every gradient is exact; with
one seeded mistake the grader names that node wrong here, with its sentence.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from tests.grade_solutions import MISTAKES, SOLUTIONS

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "examples" / "notebooks"


def _run(name: str, answers: dict[str, str], tmp_path, monkeypatch) -> str:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    nb = nbformat.read(FOLDER / name, as_version=4)
    nb = copy.deepcopy(nb)
    filled = set()
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith("exercise:"):
                cell.source = answers[tag.split(":", 1)[1]]
                filled.add(tag)
    assert len(filled) == len(answers), f"{name}: exercise cells {sorted(filled)}"
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()
    last = [c for c in nb.cells if c.cell_type == "code"][-1]
    return "".join(o.get("text", "") for o in last.outputs)


def _statuses(table: str) -> dict[str, str]:
    rows = {}
    for line in table.splitlines()[2:]:
        if not line.strip():
            break
        parts = line.split()
        rows[parts[0]] = " ".join(parts[2:4]) if parts[2] == "wrong" else parts[2]
    return rows


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_the_right_answers_are_all_exact(name, tmp_path, monkeypatch):
    table = _run(name, SOLUTIONS[name], tmp_path, monkeypatch)
    statuses = _statuses(table)
    assert statuses and set(statuses.values()) == {"exact"}, table


CASES = [(name, mistake) for name, cases in sorted(MISTAKES.items()) for mistake in cases]


@pytest.mark.parametrize(("name", "mistake"), CASES)
def test_a_seeded_mistake_is_named_by_the_grader(name, mistake, tmp_path, monkeypatch):
    key, code, node, phrase = MISTAKES[name][mistake]
    answers = {**SOLUTIONS[name], key: code}
    table = _run(name, answers, tmp_path, monkeypatch)
    statuses = _statuses(table)
    assert [n for n, s in statuses.items() if s == "wrong here"] == [node], table
    assert phrase in table, table


@pytest.mark.parametrize("name", sorted(SOLUTIONS))
def test_the_blank_notebook_runs_and_calls_every_gradient_missing(name, tmp_path, monkeypatch):
    nb = nbformat.read(FOLDER / name, as_version=4)
    blanks = {}
    for cell in nb.cells:
        for tag in cell.get("metadata", {}).get("tags", []):
            if tag.startswith("exercise:"):
                blanks[tag.split(":", 1)[1]] = cell.source
    table = _run(name, blanks, tmp_path, monkeypatch)
    assert set(_statuses(table).values()) == {"missing"}, table

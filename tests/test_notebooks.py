"""The notebooks are stored clean and run from top to bottom.

Stored without outputs and execution counts (so a diff shows code, not pictures),
executed in a fresh kernel with a time limit per cell; each notebook asserts its
own claims, and the pictures it promises display inline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "examples" / "notebooks").glob("*.ipynb"))
# What each notebook must display inline: graphs as SVG, plots as PNG.
INLINE = {
    "worked_example.ipynb": "image/svg+xml",
    "moons.ipynb": "image/png",
    "autodiff_vs_delta.ipynb": "image/svg+xml",
}


def test_the_three_notebooks_exist():
    assert {p.name for p in NOTEBOOKS} >= set(INLINE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for k, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: cell {k} is stored with outputs"
            assert cell.execution_count is None, f"{path.name}: cell {k} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_pictures(path, tmp_path, monkeypatch):
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    if path.name == "moons.ipynb":
        pytest.importorskip("sklearn")
    if shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, naming the cell, if any cell fails
    kinds = {
        kind
        for cell in nb.cells
        if cell.cell_type == "code"
        for output in cell.outputs
        for kind in output.get("data", {})
    }
    wanted = INLINE.get(path.name)
    if wanted:
        assert wanted in kinds, f"{path.name} displayed {sorted(kinds)}, not {wanted}"

"""The documentation site builds strictly, its code runs and its numbers are computed.

- ``mkdocs build --strict`` succeeds (a broken link or anchor, a page missing from
  the nav or a reference mkdocstrings cannot resolve fails it), and does fail
  when a link is broken;
- every ```` ```python ```` block of the guide pages runs, page by page, in order
  (each asserts what it claims);
- every number the errata page states is recomputed here from the library.
"""

from __future__ import annotations

import doctest
import importlib.util
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# The guide pages whose code blocks are run here (other pages test their own).
RUNNABLE = [
    "index.md",
    "getting-started.md",
    "training-api.md",
    "autodiff-vs-backprop.md",
    "coming-from-pytorch.md",
    "coming-from-sklearn.md",
    "architecture.md",
    "debugging.md",
]


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess:
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_MKDOCS_2_WARNING="1")
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(config), "-d", str(site)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_site_builds_strictly(tmp_path):
    result = mkdocs_build(ROOT / "mkdocs.yml", tmp_path / "site")
    assert result.returncode == 0, result.stderr[-5000:]
    assert "WARNING" not in result.stderr, result.stderr[-5000:]
    engines = (tmp_path / "site" / "api" / "engines" / "index.html").read_text()
    # the reference is generated from the docstrings: the Tensor class and its ops are there
    assert 'id="tinygrad_mlp.tensor.Tensor"' in engines
    assert "tinygrad_mlp.tensor.Tensor.backward" in engines
    assert (tmp_path / "site" / "errata" / "index.html").exists()


def test_strict_build_fails_on_a_broken_link(tmp_path):
    yaml = pytest.importorskip("yaml")
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    page = docs / "getting-started.md"
    page.write_text(page.read_text() + "\nSee [a page that is not there](no-such-page.md).\n")
    text = (ROOT / "mkdocs.yml").read_text()
    config = tmp_path / "mkdocs.yml"
    config.write_text(text.replace("docs_dir: docs", f"docs_dir: {docs}"))
    assert yaml.safe_load(config.read_text().split("\nnav:")[0])["docs_dir"] == str(docs)
    result = mkdocs_build(config, tmp_path / "site")
    assert result.returncode != 0
    assert "no-such-page.md" in result.stderr


def python_blocks(page: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", (DOCS / page).read_text(), re.S | re.M)


@pytest.mark.parametrize("page", RUNNABLE)
def test_page_code_runs(page, tmp_path, monkeypatch):
    blocks = python_blocks(page)
    if page != "index.md":
        assert blocks, f"{page} has no python code block"
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": "__docs__"}
    for k, block in enumerate(blocks):
        if re.search(r"^from sklearn|^import sklearn", block, re.M):
            pytest.importorskip("sklearn")
        if re.search(r"^import torch|torch_bridge", block, re.M):
            pytest.importorskip("torch")
        try:
            exec(compile(block, f"{page}, block {k + 1}", "exec"), namespace)
        except Exception as error:  # pragma: no cover - the message is the point
            raise AssertionError(f"{page}, python block {k + 1} fails: {error!r}") from error


def test_griffe_extension_doctests():
    spec = importlib.util.spec_from_file_location(
        "griffe_doctests", ROOT / "scripts" / "griffe_doctests.py"
    )
    pytest.importorskip("griffe")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    failed, tried = doctest.testmod(module)
    assert tried >= 3 and failed == 0


# -- the errata page's numbers -------------------------------------------------------------


def errata_numbers() -> dict[str, str]:
    """Each number the errata page states, keyed by what it is, computed by the library."""
    from tinygrad_mlp import Value
    from tinygrad_mlp.autograd import walk
    from tinygrad_mlp.data import MinMaxScaler
    from tinygrad_mlp.losses import mse
    from tinygrad_mlp.optim import SGD
    from tinygrad_mlp.seed import DATASET, seed_network

    out: dict[str, str] = {}
    net = seed_network()
    y = net([1.0, 1.0])
    node = {v.label: v for v in walk(y[0])}
    out["s_o"] = f"{node['so[0]'].data:.10f}"
    out["y"] = f"{y[0].data:.9f}"
    out["1-y"] = f"{1 - y[0].data:.9f}"
    out["y(1-y)"] = f"{y[0].data * (1 - y[0].data):.9f}"
    out["y(1-y) short"] = f"{y[0].data * (1 - y[0].data):.6f}"
    for z, digits in ((91.0, 7), (1.0, 9)):
        net.zero_grad()
        loss = mse(net([1.0, 1.0]), [z])
        loss.backward()
        nodes = {v.label: v for v in walk(loss)}
        out[f"delta_o z={z:g}"] = f"{nodes['so[0]'].grad:.{digits}f}"
        h = [nodes[f"sh[0][{j}]"].grad for j in range(3)]
        out[f"delta_h z={z:g}"] = (
            ", ".join(f"{d:.8f}" for d in h[:2])
            if z == 91
            else ", ".join(f"{d:.10f}" for d in h[:2])
        )
    scaled = MinMaxScaler((-1, 1)).fit(DATASET[:, :2]).transform([[50.0, 85.0]])[0, 0]
    out["50 in [-1,1]"] = f"+{scaled:.4f}"
    out["50 in [0,1]"] = (
        f"{MinMaxScaler((0, 1)).fit(DATASET[:, :2]).transform([[50, 85]])[0, 0]:.4f}"
    )
    out["loss floor"] = f"{0.5 * (91 - 1) ** 2:g}"
    SGD(net.parameters(), lr=0.1).step()  # the z = 1.0 gradients are the last computed
    out["wo after"] = ", ".join(f"{w + 0.0:.9f}" for w in net.layers[1].weight.data[0])
    out["bo after"] = f"{net.layers[1].bias.data[0]:.9f}"
    # the gradient-descent walk, with Value
    x, yy = 3.0, 4.0
    for k in range(1, 11):
        vx, vy = Value(x), Value(yy)
        (vx**2 + vy**2).backward()
        out[f"walk {k} dx"], out[f"walk {k} dy"] = f"{vx.grad:.4f}", f"{vy.grad:.4f}"
        x, yy = x - 0.1 * vx.grad, yy - 0.1 * vy.grad
        out[f"walk {k} x"], out[f"walk {k} f"] = f"{x:.4f}", f"{x * x + yy * yy:.4f}"
    return out


def test_errata_numbers_are_the_librarys():
    text = (DOCS / "errata.md").read_text().replace("−", "-").replace("**", "")
    n = errata_numbers()
    stated = [
        n["s_o"],
        n["y"],
        n["1-y"],
        n["y(1-y)"],
        n["delta_o z=91"],
        n["delta_o z=1"],
        n["50 in [-1,1]"],
        n["50 in [0,1]"],
        n["loss floor"],
        n["bo after"],
        n["y(1-y) short"],
    ]
    for number in stated:
        assert number in text, f"errata.md does not state {number}"
    assert f"({n['delta_h z=1']}, 0)" in text
    assert f"({n['delta_h z=91']}, 0)" in text
    assert f"({n['wo after']})" in text
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([\d.]+) \| ([\d.]+) \|$", text, re.M)
    assert len(rows) == 11
    key = {
        "∂f/∂x = 2x": "dx",
        "∂f/∂x": "dx",
        "∂f/∂y = 2y": "dy",
        "∂f/∂y": "dy",
        "f": "f",
        "x after the step": "x",
    }
    for step, cell, _sheet, exact in rows:
        assert n[f"walk {step} {key[cell.strip()]}"] == exact, (step, cell)
    assert math.isclose(float(n["walk 8 f"]), 25 * 0.64**8, abs_tol=5e-5)


def test_errata_check_can_fail():
    """A wrong number on the page would not be found among the computed ones."""
    n = errata_numbers()
    assert n["delta_o z=91"] == "-22.6234333"  # DESIGN's golden number, from exact math
    assert "-22.56" not in n.values()
    assert np.isclose(float(n["y(1-y)"]), 0.503002809 * (1 - 0.503002809), atol=1e-9)

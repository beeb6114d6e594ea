"""Pictures of higher-order gradients (issue 11): a gradient built with create_graph=True is a
graph of its own, and draw_graph shows it."""

from __future__ import annotations

import math
import re
import runpy
from pathlib import Path

import pytest

from tinygrad_mlp import Value, grad
from tinygrad_mlp.autograd import walk
from tinygrad_mlp.viz import draw_graph

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "tanh_derivatives.py"


def boxes(source: str) -> list[str]:
    """The text of every value box of a drawing, cells joined by " | "."""
    found = []
    for label in re.findall(r"^\s*n\d+ \[label=<<table[^>]*>(.*?)</table>>", source, re.M):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", label)
        found.append(" | ".join(re.sub(r"</?b>", "", c) for c in cells))
    return found


def test_draw_graph_of_a_gradient_draws_the_gradients_own_graph():
    x = Value(2.0, label="x")
    y = x * x * x
    (dy,) = grad(y, x, create_graph=True)  # 3x² = 12, as a node
    dy.label = "dy/dx"
    drawn = boxes(draw_graph(dy).source)
    assert len(drawn) == len(walk(dy))  # every value of the gradient's graph, once
    assert "x | data 2 | grad —" in drawn and "dy/dx | data 12 | grad —" in drawn
    dy.backward()  # d(3x²)/dx = 6x = 12
    drawn = boxes(draw_graph(dy).source)
    assert "x | data 2 | grad 12" in drawn and "dy/dx | data 12 | grad 1" in drawn


def test_gradients_that_are_nodes_show_their_numbers():
    x = Value(2.0, label="x")
    y = x * x * x
    y.label = "y"
    y.backward(create_graph=True)
    assert isinstance(x.grad, Value)
    drawn = boxes(draw_graph(y).source)
    assert "x | data 2 | grad 12" in drawn and "y | data 8 | grad 1" in drawn


def test_tanh_example_draws_four_derivatives_whose_graphs_grow(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLE.parent))  # as `python examples/x.py` has it
    example = runpy.run_path(str(EXAMPLE))
    x, graphs = example["derivative_graphs"](0.5)
    t = math.tanh(0.5)
    exact = [t, 1 - t * t, -2 * t * (1 - t * t), (6 * t * t - 2) * (1 - t * t)]
    exact.append((16 * t - 24 * t**3) * (1 - t * t))
    assert [g.data for g in graphs] == pytest.approx(exact, rel=1e-12)
    sizes = [len(walk(g)) for g in graphs]
    assert sizes == sorted(sizes) and len(set(sizes)) == 5  # each derivative's graph is larger
    for g in graphs:
        drawn = boxes(draw_graph(g).source)
        assert len(drawn) == len(walk(g)) and any(box.startswith("x | data 0.5") for box in drawn)

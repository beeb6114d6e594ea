"""Graph pictures: exact DOT for small graphs, real rendering, the missing-dot path."""

from __future__ import annotations

import html
import re
import shutil
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value
from tinygrad_mlp.cli import main
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network
from tinygrad_mlp.viz import GraphvizMissing, draw_graph, draw_network, save

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")


def nodes_and_edges(source: str) -> tuple[dict[str, str], set[tuple[str, str]]]:
    """Node name → its text (table cells joined by " | "), and the visible edges."""
    nodes = {}
    for name, label in re.findall(r"^\s*(\w+) \[label=(<<.*?>>|\"?.*?\"?) [a-z]+=", source, re.M):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", label)
        text = " | ".join(re.sub(r"</?b>", "", c) for c in cells) if cells else label.strip('"')
        nodes[name] = html.unescape(text)
    edges = set()
    for tail, head, attrs in re.findall(r"^\s*(\w+) -> (\w+)(.*)$", source, re.M):
        if "style=invis" not in attrs:
            edges.add((tail, head))
    return nodes, edges


def test_small_scalar_graph_has_exactly_the_expected_nodes_edges_and_labels():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    c.backward()
    source = draw_graph(c, color_grad=False).source
    nodes, edges = nodes_and_edges(source)
    assert set(nodes) == {"n0", "n1", "n2", "n2op"}
    assert nodes["n0"] == "a | data 2 | grad -3"
    assert nodes["n1"] == "b | data -3 | grad 2"
    assert nodes["n2"] == "c | data -6 | grad 1"
    assert nodes["n2op"] == "*"
    assert edges == {("n0", "n2op"), ("n1", "n2op"), ("n2op", "n2")}


def test_gradients_before_backward_show_as_not_computed():
    a = Value(2.0, label="a")
    source = draw_graph(a * a).source
    assert "grad —" in source and "grad 0<" not in source
    t = Tensor([1.0, 2.0], requires_grad=True)
    assert "grad —" in draw_graph((t * t).sum()).source


def test_seed_graph_clusters_each_neuron_inside_its_layer():
    net = seed_network()
    loss = mse(net([1.0, 1.0]), [1.0])
    loss.backward()
    source = draw_graph(loss, clusters=True).source
    clusters = re.findall(r"subgraph (cluster_\w+)", source)
    assert clusters == [
        "cluster_layer_0",
        "cluster_neuron_0_0",
        "cluster_neuron_0_1",
        "cluster_neuron_0_2",
        "cluster_layer_1",
        "cluster_neuron_1_0",
    ]
    # every labelled value of neuron ah[0][1] sits in that neuron's cluster
    block = source.split("subgraph cluster_neuron_0_1")[1].split("}")[0]
    nodes, _ = nodes_and_edges(draw_graph(loss).source)
    members = set(re.findall(r"\b(n\d+(?:op)?)\b", block))
    names = {nodes[m].split(" | ")[0] for m in members if not m.endswith("op")}
    assert {"wh[0][1][0]", "wh[0][1][1]", "bh[0][1]", "sh[0][1]", "ah[0][1]"} <= names
    assert "x[0]" not in names and "wo[0][1]" not in names


def test_edge_labels_hold_local_derivatives():
    a, b = Value(3.0), Value(4.0)
    c = (a * b).tanh()
    c.backward()
    source = draw_graph(c, edge_derivatives=True).source
    assert '"∂=4"' in source and '"∂=3"' in source  # d(ab)/da = b, d(ab)/db = a
    derivative = 1 - np.tanh(12.0) ** 2  # about 1.5e-10: a power of ten
    mantissa = f"{derivative / 1e-10:.3f}".rstrip("0")
    assert f"∂={mantissa}×10⁻¹⁰" in source


def test_highlight_marks_the_path_to_the_root_only():
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    out = a * b + c
    out.backward()
    source = draw_graph(out, highlight=a).source
    bold = re.findall(r'^\s*(n\d+) \[label=<<table [^>]*border="3"', source, re.M)
    nodes, _ = nodes_and_edges(source)
    assert "n0" in bold  # a itself
    assert not any(nodes[n].startswith("data 3 ") for n in bold)  # c is off the path
    assert {nodes[n].split(" | ")[0] for n in bold} == {"data 1", "data 2", "data 5"}
    with pytest.raises(ValueError, match="not part of this graph"):
        draw_graph(out, highlight=Value(9.0))


def test_gradient_colours_mark_nan_exploding_and_vanishing():
    x = Value(1.0)
    y = x * 1e6
    y.backward()
    source = draw_graph(y).source
    assert "#ffa64d" in source  # x.grad = 1e6: exploding
    z = Value(0.0)
    w = z.log()
    w.backward()
    assert "#ff5555" in draw_graph(w).source  # grad inf


def test_tensor_graph_shows_op_shape_and_dtype():
    w = Tensor(np.ones((3, 2)), requires_grad=True, label="W")
    loss = (Tensor(np.ones((4, 2))) @ w.T).sum()
    loss.backward()
    nodes, _ = nodes_and_edges(draw_graph(loss).source)
    # d(sum of x Wᵀ)/dW = column sums of x: every entry 4 (four rows of ones)
    assert "W | 3×2 float64 | data [1 1; 1 1; 1 1] | grad [4 4; 4 4; 4 4]" in nodes.values()
    assert "scalar float64 | data 24 | grad 1" in nodes.values()  # 4 rows × 3 × 2
    assert "@" in nodes.values() and "sum" in nodes.values()


def test_large_graph_collapses_quickly():
    net = MLP(20, [40, 40, 1], seed=0)
    loss = mse(net([0.1] * 20), [0.5])
    loss.backward()
    start = time.perf_counter()
    source = draw_graph(loss, max_nodes=300).source
    elapsed = time.perf_counter() - start
    boxes = re.findall(r"box_(\w+) \[label=\"neuron", source)
    assert len(boxes) == 81 and "cluster_" not in source
    assert elapsed < 5  # generous: the point is that it does not draw 10,000 records
    chain = Value(1.0)
    for _ in range(20_000):
        chain = chain * 1.0
    collapsed = draw_graph(chain, max_nodes=50).source
    # 20,001 values and 20,000 constants 1.0: the 50 nearest the root are drawn
    assert collapsed.count("shape=plain") == 50 and "… 39951 more values in [1, 1]" in collapsed


def test_network_diagram_elides_large_layers_and_shows_weights():
    net = seed_network()
    source = draw_network(net).source
    assert "ah[0][2]" in source and "yo[0]" in source
    # wh[0][0][1] = -1: the edge from input 1 to node 0, red, widest, -1 on hover
    edge = next(line for line in source.splitlines() if "c0_1 -> c1_0" in line)
    assert 'color="#c0392b"' in edge and "penwidth=3.00" in edge
    assert 'tooltip="wh[0][0][1] = -1: x[1] → ah[0][0]"' in edge
    big = draw_network(MLP(784, [128, 10], seed=0)).source
    assert "x[783]" in big and "x[500]" not in big and "⋮" in big
    assert big.count("->") < 300


def test_missing_dot_gives_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    graph = draw_network(seed_network())
    with pytest.raises(GraphvizMissing, match="apt-get install graphviz"):
        save(graph, tmp_path / "n.png")
    assert not (tmp_path / "n.png").exists()
    save(graph, tmp_path / "n.dot")
    assert (tmp_path / "n.dot").read_text().startswith("digraph")
    assert main(["graph", "-o", str(tmp_path / "g.png")]) == 2


@needs_dot
def test_rendering_to_svg_and_png_with_dot(tmp_path):
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b + a
    c.backward()
    save(draw_graph(c), tmp_path / "g.svg")
    root = ET.parse(tmp_path / "g.svg").getroot()
    groups = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "node"]
    assert len(groups) == 4 + 2  # a, b, a*b, c and two op nodes
    save(draw_graph(c), tmp_path / "g.png")
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"


@needs_dot
def test_graph_command_renders_each_kind(tmp_path, capsys):
    for argv in (
        ["-o", "s.png"],
        ["--engine", "tensor", "-o", "t.svg"],
        ["--network", "-o", "n.pdf"],
    ):
        out = tmp_path / argv[-1]
        assert main(["graph", *argv[:-1], str(out)]) == 0
        assert out.stat().st_size > 1000
    assert (tmp_path / "n.pdf").read_bytes()[:4] == b"%PDF"

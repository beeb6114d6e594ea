"""Pictures a newcomer can read (issue 14): one number format, legends, titles, index order,
summaries when collapsed, named constants and inputs, quiet Graphviz, ``graph --json``, the
network without data, and membership from the network's own metadata."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import graphviz
import numpy as np
import pytest

from tinygrad_mlp.autograd import walk
from tinygrad_mlp.cli import main
from tinygrad_mlp.io import SavedModel, save_model
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network
from tinygrad_mlp.viz import draw_graph, draw_network, format_number, modules_of, write_picture

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")


def positions(source: str) -> dict[str, tuple[float, float]]:
    """Node name → (x, y) after Graphviz's layout (``dot -Tplain``)."""
    out = subprocess.run(["dot", "-Tplain"], input=source.encode(), capture_output=True, check=True)
    found = {}
    for line in out.stdout.decode().splitlines():
        part = line.split()
        if part[0] == "node":
            found[part[1]] = (float(part[2]), float(part[3]))
    return found


def in_reading_order(points: list[tuple[float, float]], rankdir: str) -> bool:
    """Left to right in TB; top down in LR (Graphviz's y grows upwards)."""
    keys = [x for x, _ in points] if rankdir == "TB" else [-y for _, y in points]
    return keys == sorted(keys) and len(set(keys)) == len(keys)


def named(source: str) -> dict[str, str]:
    """Value label → DOT node name, for the value boxes of draw_graph."""
    return {
        label: name
        for name, label in re.findall(
            r"^\s*(n\d+) \[label=<<table[^>]*><tr><td><b>([^<]+)</b>", source, re.M
        )
    }


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "value, text",
    [
        (0.268941421, "0.2689"),
        (-1.0, "-1"),
        (0.5, "0.5"),
        (-0.000213, "-2.13×10⁻⁴"),
        (0.00123456, "0.001235"),
        (8.1152e-07, "8.115×10⁻⁷"),
        (9.102e-17, "9.102×10⁻¹⁷"),
        (123456.0, "1.235×10⁵"),
        (-0.0, "0"),
        (float("inf"), "inf"),
    ],
)
def test_one_number_format_keeps_four_significant_digits(value, text):
    assert format_number(value, 4) == text


def test_network_numbers_use_one_format_even_for_tiny_error_signals():
    net = MLP(3, [4, 2], seed=0)
    net.layers[0].bias.grad = np.array([-0.000213, 8.1152e-07, 9.102e-17, 0.5])
    net.layers[1].bias.grad = np.array([0.01, -0.2])
    source = draw_network(net, show="grad", precision=4).source
    for text in ("δ -2.13×10⁻⁴", "δ 8.115×10⁻⁷", "δ 9.102×10⁻¹⁷", "δ 0.5", "δ 0.01", "δ -0.2"):
        assert text in source
    assert "e-0" not in source and "e-1" not in source  # no Python exponent spelling


# --------------------------------------------------------------------------- network diagram


def test_network_writes_weights_in_the_nodes_never_on_edges_and_every_edge_has_a_tooltip():
    sheet = draw_network(seed_network()).source
    # the sheet's notation: each node's incoming weights in input order
    for text in ("ah[0][0]\\nw -0.5 -1\\nb 0.5", "ah[0][2]\\nw 1 0", "yo[0]\\nw 0.5 -1 0"):
        assert text in sheet
    wide = MLP(8, [16, 16, 3], seed=0)
    source = draw_network(wide).source
    edges = [line for line in source.splitlines() if " -> " in line and "invis" not in line]
    assert len(edges) == 8 * 8 + 8 * 8 + 8 * 3  # 7 nodes, "…" and the last of each long layer
    assert all("tooltip=" in line for line in edges)
    assert not any(re.search(r"\b(head|tail)?label=", line) for line in edges)  # nothing to pile up
    assert "\\nw " not in source  # 8 and 16 inputs: too many to list; the tooltips have them
    assert "hover an edge" in source
    w = wide.layers[1].weight.data[2, 5]
    assert f'tooltip="wh[1][2][5] = {format_number(w, 3)}: ah[0][5] → ah[1][2]"' in source


def test_network_has_a_legend_and_names_the_data_row(tmp_path, capsys):
    source = draw_network(seed_network(), show="grad", title="δ for data row 3").source
    assert "weight &gt; 0" in source and "weight &lt; 0" in source
    assert "δ &gt; 0" in source and "δ &lt; 0" in source
    assert "δ for data row 3" in source
    out = tmp_path / "n.dot"
    assert main(["graph", "--network", "--row", "3", "-o", str(out)]) == 0
    text = out.read_text()
    assert "data row 3 of the cheat sheet" in text
    # δ of the output node for row 3 alone, (y − z)·y(1 − y), from the sheet's data
    # (65, 67) → 80, min-max scaled to [0, 1], and its weights
    x = np.array([(65 - 25) / (70 - 25), (67 - 67) / (98 - 67)])
    z = (80 - 68) / (91 - 68)
    wh = np.array([[-0.5, -1.0], [-0.5, 0.5], [1.0, 0.0]])
    a = 1 / (1 + np.exp(-(wh @ x + 0.5)))
    y = 1 / (1 + np.exp(-(np.array([0.5, -1.0, 0.0]) @ a + 0.5)))
    assert f"δ {format_number((y - z) * y * (1 - y), 4)}" in text


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_network_layers_stay_in_index_order(rankdir):
    net = MLP(8, [16, 16, 3], seed=0)
    source = draw_network(net, rankdir=rankdir).source
    where = positions(source)
    for c, size in enumerate(net.sizes):
        shown = [j for j in range(size) if f"c{c}_{j}" in where]
        assert in_reading_order([where[f"c{c}_{j}"] for j in shown], rankdir), (c, rankdir)


def test_network_draws_without_any_gradient_and_checks_names():
    source = draw_network(MLP(2, [2, 1], seed=0), show="grad").source
    assert "δ —" in source
    with pytest.raises(ValueError, match="3 input names for 2 inputs"):
        draw_network(MLP(2, [2, 1], seed=0), input_names=["a", "b", "c"])


# --------------------------------------------------------------------------- graphs


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
@pytest.mark.parametrize("sizes", [(2, [3, 1]), (3, [4, 3]), (4, [5, 5, 2])])
def test_graph_neurons_stay_in_index_order(rankdir, sizes):
    nin, nouts = sizes
    net = MLP(nin, nouts, seed=3)
    loss = mse(net([0.5] * nin), [1.0] * nouts[-1])
    loss.backward()
    source = draw_graph(loss, rankdir=rankdir).source
    where, name = positions(source), named(source)
    for l, size in enumerate(nouts):  # noqa: E741
        outs = [f"yo[{j}]" if l == len(nouts) - 1 else f"ah[{l}][{j}]" for j in range(size)]
        assert in_reading_order([where[name[o]] for o in outs], rankdir), (l, rankdir)


@needs_dot
@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_collapsed_graph_keeps_index_order_and_summarizes_each_neuron(rankdir):
    net = MLP(8, [16, 3], seed=0)
    outputs = net([0.1 * i for i in range(8)])
    loss = mse(outputs, [1.0, 0.0, 1.0])
    loss.backward()
    source = draw_graph(loss, max_nodes=100, rankdir=rankdir).source
    where = positions(source)
    assert in_reading_order([where[f"box_0_{j}"] for j in range(16)], rankdir)
    assert in_reading_order([where[f"box_1_{j}"] for j in range(3)], rankdir)
    inputs = named(source)
    assert in_reading_order([where[inputs[f"x[{i}]"]] for i in range(8)], rankdir)
    # the box of yo[1] states its size, range, output and its parameters' gradient norm
    neuron = net.layers[1].neurons[1]
    box = re.search(r'box_1_1 \[label="(.*?)"', source).group(1).split("\\n")
    out = outputs[1]
    grads = np.array([p.grad for p in neuron.parameters()])
    assert box[0] == "neuron yo[1]"
    assert box[1].startswith(f"{16 + 16 + 1 + 16 + 1} values in [")  # 16 w, 16 ×, 16 +, b, σ
    assert box[2] == f"out {format_number(out.data)}, grad {format_number(out.grad)}"
    assert box[3] == f"‖grad of weights, bias‖ {format_number(np.linalg.norm(grads))}"


def test_scalar_graph_names_the_constants_and_tensor_graph_names_its_input():
    net = seed_network()
    loss = mse(net([1.0, 1.0]), [1.0])
    loss.backward()
    labels = set(named(draw_graph(loss).source))
    assert {"-z[0]", "½"} <= labels
    net.zero_grad()
    batch = mse(net(np.ones((1, 2))), np.ones((1, 1)))
    batch.backward()
    labels = set(named(draw_graph(batch).source))
    assert {"x", "z", "wh[0]", "bh[0]", "wo", "bo"} <= labels


def test_membership_comes_from_the_network_not_from_labels():
    net = seed_network()
    loss = mse(net([1.0, 1.0]), [1.0])
    loss.backward()
    before = draw_graph(loss, clusters=True).source
    order = walk(loss)
    parameter_views = {id(p) for layer in net.layers for n in layer.neurons for p in n.parameters()}
    for node in order:  # relabel every value with a misleading name from another neuron
        if id(node) not in parameter_views:  # NOTE: a view's label is its module's, read-only
            node.label = "wh[0][2][1]" if node.label else ""
    owner = modules_of(order)
    neuron = net.layers[0].neurons[1]
    mine = [n for n in order if owner.get(id(n)) is neuron]
    # its two weights and bias, w0·x0, w1·x1, their sum, + b, sigmoid
    assert len(mine) == 3 + 2 + 1 + 1 + 1
    assert all(id(p) in {id(n) for n in mine} for p in neuron.parameters())
    after = draw_graph(loss, clusters=True).source
    clusters = re.findall(r"subgraph (cluster_\w+)", after)
    assert clusters == re.findall(r"subgraph (cluster_\w+)", before)


# --------------------------------------------------------------------------- output


@needs_dot
def test_graphviz_warnings_are_captured_in_our_words(tmp_path, capfd):
    graph = graphviz.Digraph()
    graph.node("a", label="a label far too long for its node", fixedsize="true", width="0.2")
    picture = write_picture(graph, tmp_path / "w.svg")
    assert picture.notes == ["a label is wider than its shape and overflows it"]
    wide = MLP(8, [16, 16, 3], seed=0)
    wide.layers[0].bias.grad = np.full(16, -0.00123456)
    assert write_picture(draw_network(wide, show="grad"), tmp_path / "n.png").notes == []
    assert main(["graph", "--network", "-o", str(tmp_path / "s.png")]) == 0
    captured = capfd.readouterr()
    assert captured.err == ""


@needs_dot
def test_graph_command_json_lists_the_written_file(tmp_path, capsys):
    out = tmp_path / "g.svg"
    assert main(["graph", "--json", "-o", str(out)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["written"] == [{"path": str(out), "bytes": out.stat().st_size, "notes": []}]


def test_graph_network_from_a_model_needs_no_data(tmp_path, capsys):
    model = tmp_path / "m.json"
    save_model(
        model, SavedModel(seed_network(), input_names=["area", "age"], target_names=["price"])
    )
    out = tmp_path / "n.dot"
    assert main(["graph", "--model", str(model), "--network", "-o", str(out)]) == 0
    source = out.read_text()
    assert "area" in source and "price" in source and "b 0.5" in source
    assert "δ" not in source.split("label=<<table")[0]  # no error signals without a row
    assert "give --data" in source
    bad = tmp_path / "n.bmp"
    assert main(["graph", "--model", str(model), "--network", "-o", str(bad)]) == 2
    assert "unknown picture format 'bmp'" in capsys.readouterr().err and not bad.exists()

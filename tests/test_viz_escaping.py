"""Untrusted text stays text (issue 16): labels, column names and class names from users'
files are drawn as their characters in DOT and SVG, never read as markup."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tinygrad_mlp import Value
from tinygrad_mlp.cli import main
from tinygrad_mlp.io import SavedModel, save_model
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network
from tinygrad_mlp.viz import draw_graph, draw_network, save

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")

SVG = "{http://www.w3.org/2000/svg}"
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<<table><tr><td>x</td></tr></table>>",
    '<script>alert("x")</script>',
    'a\\"b',  # a backslash before a quote: must not end the DOT string
    "\\N \\G \\l",  # Graphviz escapes: the node's name, the graph's name, a line break
    "{x|<p>y}",  # record-label syntax
    "&amp; & ]]>",
]


def svg_texts(path) -> tuple[list[str], set[str]]:
    """Every text and tooltip in a rendered SVG, and every element tag it holds."""
    root = ET.parse(path).getroot()  # also proves the SVG is well-formed XML
    texts = [el.text or "" for el in root.iter(f"{SVG}text")]
    texts += [el.text or "" for el in root.iter(f"{SVG}title")]
    links = (el.get("{http://www.w3.org/1999/xlink}title") for el in root.iter(f"{SVG}a"))
    texts += [t for t in links if t]
    tags = {el.tag.split("}")[-1] for el in root.iter()}
    return texts, tags


def test_network_dot_escapes_input_and_output_names():
    net = MLP(len(PAYLOADS), [2, 2], seed=0)
    source = draw_network(net, input_names=PAYLOADS, output_names=["<b>yes</b>", "no"]).source
    assert "label=<<table><tr>" not in source  # no column became an HTML-like label
    assert '"<img src=x onerror=alert(1)>"' in source  # quoted: a plain string, brackets kept
    assert '"a\\\\\\"b"' in source  # backslash doubled, quote escaped: a\"b stays a\"b
    assert '"\\\\N \\\\G \\\\l"' in source


def test_graph_dot_escapes_labels_in_html_tables():
    a = Value(2.0, label="<<table><tr><td>x</td></tr></table>>")
    b = Value(3.0, label="<img src=x onerror=alert(1)>")
    c = a * b
    c.label = "&lt;already&gt;"
    c.backward()
    source = draw_graph(c, title="<i>title</i>").source
    assert "&lt;&lt;table&gt;&lt;tr&gt;&lt;td&gt;x&lt;/td&gt;" in source
    assert "&lt;img src=x onerror=alert(1)&gt;" in source
    assert "&amp;lt;already&amp;gt;" in source  # an entity in a label is shown, not decoded
    assert "&lt;i&gt;title&lt;/i&gt;" in source


@needs_dot
def test_network_svg_shows_payloads_as_text(tmp_path):
    net = MLP(len(PAYLOADS), [2, 2], seed=0)
    net.zero_grad()
    mse(net(np.ones((1, len(PAYLOADS)))), np.ones((1, 2))).backward()
    graph = draw_network(
        net,
        show="grad",
        input_names=PAYLOADS,
        output_names=["<b>yes</b>", "no"],
        title="<img src=y onerror=alert(2)>",
    )
    save(graph, tmp_path / "n.svg")
    texts, tags = svg_texts(tmp_path / "n.svg")
    for payload in [*PAYLOADS, "<b>yes</b>", "<img src=y onerror=alert(2)>"]:
        assert any(payload in t for t in texts), payload
    assert not tags & {"img", "script", "table", "b", "foreignObject", "iframe"}


@needs_dot
def test_graph_svg_shows_payload_labels_as_text(tmp_path):
    leaves = [Value(float(k), label=p) for k, p in enumerate(PAYLOADS)]
    total = leaves[0]
    for leaf in leaves[1:]:
        total = total + leaf
    total.label = "<<table><tr><td>L</td></tr></table>>"
    total.backward()
    for graph in (draw_graph(total), draw_graph(total, max_nodes=3)):
        save(graph, tmp_path / "g.svg")
        texts, tags = svg_texts(tmp_path / "g.svg")
        assert any("<<table><tr><td>L</td></tr></table>>" in t for t in texts)
        assert not tags & {"img", "script", "table", "foreignObject"}
    save(draw_graph(total), tmp_path / "g.svg")
    texts, _ = svg_texts(tmp_path / "g.svg")
    for payload in PAYLOADS:
        assert any(payload in t for t in texts), payload


@needs_dot
def test_graph_command_draws_a_model_with_payload_columns(tmp_path, capsys):
    """A model trained on a CSV whose column names are HTML/JS payloads, through the CLI."""
    header = ["<img src=x onerror=alert(1)>", "<<table><tr><td>x</td></tr></table>>", "<b>z</b>"]
    data = tmp_path / "evil.csv"
    rows = [[70, 98, 91], [50, 85, 82], [65, 67, 80], [25, 95, 68]]
    data.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows))
    model = tmp_path / "m.json"
    args = ["train", "--data", str(data), "--model", str(model), "--epochs", "2", "--quiet"]
    assert main(args) == 0
    for extra in ([], ["--data", str(data)]):
        out = tmp_path / "n.svg"
        assert main(["graph", "--model", str(model), "--network", *extra, "-o", str(out)]) == 0
        texts, tags = svg_texts(out)
        for name in header:
            assert any(name in t for t in texts), (name, extra)
        assert not tags & {"img", "table", "b", "script"}
    out = tmp_path / "g.svg"
    assert main(["graph", "--model", str(model), "--data", str(data), "-o", str(out)]) == 0
    texts, tags = svg_texts(out)
    assert any(str(model) in t for t in texts)  # the title names the model file
    assert not tags & {"img", "table", "b", "script"}


def test_seed_network_names_survive_a_round_trip_through_a_model(tmp_path):
    model = tmp_path / "m.json"
    save_model(model, SavedModel(seed_network(), input_names=PAYLOADS[:2], target_names=["t"]))
    out = tmp_path / "n.dot"
    assert main(["graph", "--model", str(model), "--network", "-o", str(out)]) == 0
    source = out.read_text()
    assert '"<img src=x onerror=alert(1)>"' in source
    assert "label=<<table><tr><td>x" not in source

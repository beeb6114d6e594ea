"""Pictures of graphs and networks with Graphviz.

- :func:`draw_graph`: the computation graph of a ``Value`` or ``Tensor``, in
  micrograd's well-known shape — a record per value (label | data | grad) and a
  small node per op — with clusters per neuron and layer, gradient colours, local
  derivatives on edges, a highlighted path, and collapsing past a node limit.
- :func:`draw_network`: the network diagram of an ``MLP``: neurons in layer
  columns, weights on edges, large layers elided.
- :func:`save`: DOT source always; SVG, PNG or PDF by the file's extension when
  Graphviz's ``dot`` program is installed.

Both drawing functions return a ``graphviz.Digraph``, which shows itself inline
in Jupyter. Nothing here recurses: graphs are walked by :func:`autograd.walk`.

Gradients before ``backward()``: a graph whose root has no gradient yet (a
``Value`` root with grad 0, a ``Tensor`` root with grad None) is drawn with
"grad —" (not computed), never with zeros. After ``backward()`` the root's
gradient is 1 and every value shows its own.
"""

from __future__ import annotations

import math
import re
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import graphviz
import numpy as np

from tinygrad_mlp.autograd import walk
from tinygrad_mlp.nn import MLP

__all__ = ["GraphvizMissing", "draw_graph", "draw_network", "neuron_of", "save"]

FONT = "Helvetica"
#: Neuron membership from a label: wh[l][j][i], bh[l][j], sh[l][j], ah[l][j] → ("h", l, j);
#: wo[j][i], bo[j], so[j], yo[j] → ("o", 0, j).
_HIDDEN = re.compile(r"^([wbsa])h\[(\d+)\]\[(\d+)\]")
_OUTPUT = re.compile(r"^([wbsy])o\[(\d+)\]")


class GraphvizMissing(OSError):
    """Graphviz's ``dot`` program is needed to render an image and is not installed."""


def neuron_of(label: str) -> tuple[str, int, int] | None:
    """The neuron a cheat-sheet label belongs to, e.g. "wh[0][2][1]" → ("h", 0, 2)."""
    if m := _HIDDEN.match(label):
        return ("h", int(m.group(2)), int(m.group(3)))
    if m := _OUTPUT.match(label):
        return ("o", 0, int(m.group(2)))
    return None


def _is_parameter(label: str) -> bool:
    return label[:1] in ("w", "b") and neuron_of(label) is not None


def _is_output(label: str) -> bool:
    return label[:1] in ("a", "y") and neuron_of(label) is not None


def _assign_neurons(order: list) -> dict[int, tuple[str, int, int]]:
    """Node id → neuron, for the nodes of a scalar MLP graph (parents come first in ``order``)."""
    owner: dict[int, tuple[str, int, int]] = {}
    for node in order:
        label = getattr(node, "label", "")
        key = neuron_of(label) if label else None
        if key is None and node._prev:
            params = [owner[id(p)] for p in node._prev if p.label and _is_parameter(p.label)]
            if params:
                key = params[0]
            else:
                inner = {
                    owner.get(id(p))
                    for p in node._prev
                    if not (p.label and _is_output(p.label)) and id(p) in owner
                }
                carried = [
                    p
                    for p in node._prev
                    if id(p) in owner and not (p.label and _is_output(p.label))
                ]
                if len(inner) == 1 and carried:
                    key = inner.pop()
        if key is not None:
            owner[id(node)] = key
    return owner


def _layer_name(key: tuple[str, int, int]) -> str:
    return "output layer" if key[0] == "o" else f"hidden layer {key[1]}"


def _neuron_name(key: tuple[str, int, int]) -> str:
    return f"yo[{key[2]}]" if key[0] == "o" else f"ah[{key[1]}][{key[2]}]"


# --------------------------------------------------------------------------- formatting


def _is_tensor(node: Any) -> bool:
    return hasattr(node.data, "shape")


def _fmt(v: float, precision: int) -> str:
    v = float(v)
    if math.isnan(v) or math.isinf(v):
        return str(v)
    return (
        f"{v + 0.0:.{precision}f}" if abs(v) >= 10**-precision or v == 0 else f"{v:.{precision}g}"
    )


def _preview(array: np.ndarray | None, precision: int) -> str:
    if array is None:
        return "—"
    array = np.asarray(array)
    if array.size <= 6:
        return np.array2string(array, precision=precision, separator=" ", suppress_small=True)
    return f"min {_fmt(array.min(), precision)} max {_fmt(array.max(), precision)}"


def _escape(text: str) -> str:
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _grad_colour(grad: Any) -> str:
    """Fill colour by gradient: red NaN/inf, orange exploding, grey vanishing, else by sign."""
    if grad is None:
        return "white"
    g = np.asarray(grad, dtype=np.float64)
    if not np.all(np.isfinite(g)):
        return "#ff5555"
    size = float(np.abs(g).max()) if g.size else 0.0
    if size > 1e3:
        return "#ffa64d"
    if size < 1e-8:
        return "#e6e6e6"
    # strength from 1e-6 (faint) to 1 (full), on a log scale
    strength = min(1.0, max(0.15, (math.log10(size) + 6) / 6))
    sign = float(np.sum(g))
    light = int(255 - 80 * strength)
    return f"#{light:02x}{light:02x}ff" if sign >= 0 else f"#ff{light:02x}{light:02x}"


# --------------------------------------------------------------------------- graphs


def draw_graph(
    root: Any,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    highlight: Any = None,
    clusters: bool = True,
    color_grad: bool = True,
    edge_derivatives: bool = False,
    max_nodes: int = 400,
) -> graphviz.Digraph:
    """The computation graph that produced ``root`` (a ``Value`` or ``Tensor``).

    Args:
        rankdir: "LR" (left to right, micrograd's choice) or "TB".
        show_data, show_grad: which numbers each value's record holds.
        precision: digits after the point.
        highlight: a node of the graph; every path from it to ``root`` is drawn bold.
        clusters: box the nodes of each neuron, and each layer, of a scalar MLP graph.
        color_grad: fill values by gradient: blue positive, red negative, grey
            vanishing (< 1e-8), orange exploding (> 1e3), bright red NaN/inf.
        edge_derivatives: label each edge into an op with its local derivative
            ∂(op output)/∂(input), so the chain rule can be read off the picture.
        max_nodes: past this many values, neurons collapse to one box each, then
            layers; a graph with no neurons keeps the ``max_nodes`` values nearest
            the root and one box for the rest.
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    order = walk(root)
    computed = root.grad is not None and (_is_tensor(root) or root.grad != 0)
    on_path: set[int] = set()
    if highlight is not None:
        for node in order:
            if node is highlight or any(id(p) in on_path for p in node._prev):
                on_path.add(id(node))
        if id(highlight) not in on_path:
            raise ValueError("the node to highlight is not part of this graph")
    owner = _assign_neurons(order) if not _is_tensor(root) else {}
    dot = graphviz.Digraph(
        "computation_graph",
        # NOTE: newrank and ordering="in" keep neurons and their inputs in index
        # order, top down, as the sheet draws them.
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "nodesep": "0.25",
            "ranksep": "0.4",
            "newrank": "true",
            "ordering": "in",
        },
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6"},
    )
    if len(order) > max_nodes:
        _collapsed(dot, order, owner, max_nodes, precision, computed)
        return dot
    ids = {id(node): f"n{k}" for k, node in enumerate(order)}
    groups: dict[tuple[str, int, int], list[str]] = {}
    for node in order:
        name = ids[id(node)]
        fill = _grad_colour(node.grad) if (color_grad and computed) else "white"
        bold = id(node) in on_path
        dot.node(
            name,
            label=_record(node, show_data, show_grad, precision, computed),
            shape="record",
            style="filled,bold" if bold else "filled",
            fillcolor=fill,
            color="#1f4e9e" if bold else "black",
            penwidth="2.5" if bold else "1",
        )
        key = owner.get(id(node))
        if node._fn is not None:
            op = name + "op"
            dot.node(
                op,
                label=node._op,
                shape="circle",
                width="0.3",
                fixedsize="false",
                fontsize="10",
                style="filled",
                fillcolor="#f2f2f2",
            )
            dot.edge(
                op, name, penwidth="2.5" if bold else "1", color="#1f4e9e" if bold else "black"
            )
            if key is not None:
                groups.setdefault(key, []).append(op)
            derivatives = _local_derivatives(node) if edge_derivatives else None
            for k, parent in enumerate(node._prev):
                attrs = {}
                if derivatives is not None and derivatives[k] is not None:
                    attrs["label"] = f"∂={_fmt(derivatives[k], precision)}"
                if id(parent) in on_path and bold:
                    attrs.update(penwidth="2.5", color="#1f4e9e")
                dot.edge(ids[id(parent)], op, **attrs)
        if key is not None:
            groups.setdefault(key, []).append(name)
    if clusters and groups:
        layers: dict[tuple[str, int], list[tuple[str, int, int]]] = {}
        for key in groups:
            layers.setdefault(key[:2], []).append(key)
        for (kind, index), keys in sorted(
            layers.items(), key=lambda kv: (kv[0][0] == "o", kv[0][1])
        ):
            with dot.subgraph(name=f"cluster_layer_{kind}{index}") as layer_graph:
                layer_graph.attr(
                    label=_layer_name((kind, index, 0)),
                    style="rounded",
                    color="#888888",
                    fontname=FONT,
                    fontsize="12",
                )
                for key in sorted(keys):
                    with layer_graph.subgraph(
                        name=f"cluster_neuron_{kind}{index}_{key[2]}"
                    ) as neuron:
                        neuron.attr(
                            label=f"node {_neuron_name(key)}",
                            style="rounded,dashed",
                            color="#aaaaaa",
                            fontsize="10",
                        )
                        for member in groups[key]:
                            neuron.node(member)
    return dot


def _record(node: Any, show_data: bool, show_grad: bool, precision: int, computed: bool) -> str:
    parts = [_escape(node.label)] if node.label else []
    if _is_tensor(node):
        shape = "×".join(map(str, node.data.shape)) or "scalar"
        parts.append(f"{shape} {node.data.dtype}")
        if show_data:
            parts.append("data " + _escape(_preview(node.data, precision)))
        if show_grad:
            grad = node.grad if computed else None
            parts.append("grad " + _escape(_preview(grad, precision)))
    else:
        if show_data:
            parts.append(f"data {_fmt(node.data, precision)}")
        if show_grad:
            parts.append(f"grad {_fmt(node.grad, precision)}" if computed else "grad —")
    return "{ " + " | ".join(parts or [" "]) + " }"


def _local_derivatives(node: Any) -> list[Any] | None:
    """∂(node)/∂(each parent), from the op's own backward rule with an upstream gradient of 1."""
    if _is_tensor(node):
        if node.data.size != 1:
            return None
        one = np.ones_like(node.data)
    else:
        one = 1.0
    try:
        grads = node._fn.backward(one, node.data, *[p.data for p in node._prev])
    except (ValueError, TypeError, ZeroDivisionError):
        return None
    out = []
    for g in grads:
        if g is None:
            out.append(None)
        elif np.size(g) == 1:
            out.append(float(np.asarray(g).reshape(-1)[0]))
        else:
            out.append(None)
    return out


def _collapsed(dot, order, owner, max_nodes, precision, computed) -> None:
    """Draw one box per neuron (or per layer, or the nodes nearest the root) instead."""
    neurons = sorted({owner[id(n)] for n in order if id(n) in owner})
    if neurons and len(neurons) + (len(order) - len(owner)) // 10 <= max_nodes:
        group_of = {k: owner[k] for k in owner}
        boxes = {key: f"neuron {_neuron_name(key)}" for key in neurons}
        if len(neurons) > max_nodes:
            group_of = {k: (v[0], v[1], 0) for k, v in owner.items()}
            boxes = {(k[0], k[1], 0): _layer_name(k) for k in neurons}
        members: dict[Any, int] = {}
        for node in order:
            key = group_of.get(id(node))
            if key is not None:
                members[key] = members.get(key, 0) + 1
        for key, count in sorted(members.items(), key=lambda kv: (kv[0][0] == "o", kv[0][1:])):
            dot.node(
                _box_id(key),
                label=f"{boxes[key]}\\n{count} values",
                shape="box",
                style="rounded,filled",
                fillcolor="#eef3fb",
            )
        edges = set()
        for node in order:
            head = group_of.get(id(node))
            for parent in node._prev:
                tail = group_of.get(id(parent))
                if head is not None and tail is not None and head != tail:
                    edges.add((_box_id(tail), _box_id(head)))
        for tail, head in edges:
            dot.edge(tail, head)
        rest = len(order) - sum(members.values())
        if rest:
            dot.node(
                "rest",
                label=f"… {rest} values outside the neurons (inputs, loss)",
                shape="box",
                style="dashed",
            )
        return
    kept = order[-max_nodes:]
    kept_ids = {id(n) for n in kept}
    ids = {id(n): f"n{k}" for k, n in enumerate(kept)}
    dot.node("rest", label=f"… {len(order) - len(kept)} more values", shape="box", style="dashed")
    for node in kept:
        dot.node(
            ids[id(node)], label=_record(node, True, True, precision, computed), shape="record"
        )
        for parent in node._prev:
            dot.edge(ids[id(parent)] if id(parent) in kept_ids else "rest", ids[id(node)])


def _box_id(key: tuple[str, int, int]) -> str:
    return f"box_{key[0]}{key[1]}_{key[2]}"


# --------------------------------------------------------------------------- networks


def _elide(count: int, limit: int) -> list[int | None]:
    """Indices to draw for ``count`` nodes: all, or the first ones, None (for …), the last."""
    if count <= limit:
        return list(range(count))
    return [*range(limit - 1), None, count - 1]


def draw_network(
    net: MLP,
    weights: str = "value",
    show: str | None = None,
    max_per_layer: int = 8,
    precision: int = 2,
    input_names: Iterable[str] | None = None,
) -> graphviz.Digraph:
    """The network as a diagram: neurons as circles in layer columns.

    Args:
        weights: "value" (label each edge, colour and width by sign and size),
            "colour" (no labels), or "none".
        show: "grad" adds each node's last bias gradient ∂L/∂b — for one sample,
            its error signal δ; None shows names only.
        max_per_layer: a layer with more nodes shows the first ones, "…", the last.
        input_names: names of the inputs (default x[0], x[1], ...).
    """
    if weights not in ("value", "colour", "none"):
        raise ValueError(f"weights must be 'value', 'colour' or 'none', got {weights!r}")
    if show not in (None, "grad"):
        raise ValueError(f"show must be None or 'grad', got {show!r}")
    dot = graphviz.Digraph(
        "network",
        graph_attr={
            "rankdir": "LR",
            "splines": "line",
            "nodesep": "0.15",
            "ranksep": "1.6",
            "fontname": FONT,
        },
        node_attr={"fontname": FONT, "fontsize": "10"},
        edge_attr={"fontname": FONT, "fontsize": "8", "arrowsize": "0.4"},
    )
    names = list(input_names) if input_names is not None else []
    columns: list[list[tuple[str, str]]] = []
    inputs = _elide(net.nin, max_per_layer)
    columns.append(
        [
            (f"x{i}", "…" if i is None else (names[i] if i < len(names) else f"x[{i}]"))
            if i is not None
            else ("x_more", "…")
            for i in inputs
        ]
    )
    shown_rows = [inputs]
    for l, layer in enumerate(net.layers):  # noqa: E741
        last = l == len(net.layers) - 1
        rows = _elide(layer.nout, max_per_layer)
        shown_rows.append(rows)
        column = []
        for j in rows:
            if j is None:
                column.append((f"L{l}_more", "…"))
                continue
            label = f"yo[{j}]" if last else f"ah[{l}][{j}]"
            label += f"\\nb={_fmt(layer.bias.data[j], precision)}"
            if show == "grad":
                grad = layer.bias.grad
                label += "\\nδ=—" if grad is None else f"\\nδ={_fmt(grad[j], precision + 2)}"
            column.append((f"L{l}_{j}", label))
        columns.append(column)
    titles = ["inputs"] + [
        "output layer" if l == len(net.layers) - 1 else f"hidden layer {l}"
        for l in range(len(net.layers))  # noqa: E741
    ]
    sizes = [net.nin, *[la.nout for la in net.layers]]
    for c, (column, title) in enumerate(zip(columns, titles, strict=True)):
        # NOTE: a rank=same subgraph (not a cluster: clusters ignore rank) with a
        # title node on top, chained by invisible edges, holds the column in index order.
        with dot.subgraph(name=f"column{c}") as sub:
            sub.attr(rank="same")
            head = f"title{c}"
            sub.node(head, label=f"{title}\n({sizes[c]})", shape="plaintext", fontsize="11")
            names = [head, *(name for name, _ in column)]
            for above, below in zip(names, names[1:], strict=False):
                sub.edge(above, below, style="invis")
            for name, label in column:
                if label == "…":
                    sub.node(name, label="⋮", shape="plaintext", fontsize="18")
                elif c == 0:
                    sub.node(
                        name, label=label, shape="box", style="rounded,filled", fillcolor="#f5f5f5"
                    )
                else:
                    sub.node(
                        name,
                        label=label,
                        shape="circle",
                        style="filled",
                        fillcolor="#eef3fb",
                        width="0.9",
                        fixedsize="true",
                    )
    scale = max((float(np.abs(la.weight.data).max()) for la in net.layers), default=1.0) or 1.0
    for l, layer in enumerate(net.layers):  # noqa: E741
        for j in shown_rows[l + 1]:
            if j is None:
                continue
            for i in shown_rows[l]:
                if i is None:
                    continue
                tail = f"x{i}" if l == 0 else f"L{l - 1}_{i}"
                w = float(layer.weight.data[j, i])
                attrs: dict[str, str] = {}
                if weights != "none":
                    attrs["color"] = "#1f4e9e" if w >= 0 else "#c0392b"
                    attrs["penwidth"] = f"{0.4 + 2.6 * abs(w) / scale:.2f}"
                if weights == "value":
                    # NOTE: near the head, where edges into one node fan apart; a
                    # mid-edge label collides with its neighbours' at the tail.
                    attrs.update(
                        headlabel=_fmt(w, precision),
                        labeldistance="5",
                        labelangle="8",
                        labelfontsize="8",
                        labelfontname=FONT,
                    )
                dot.edge(tail, f"L{l}_{j}", **attrs)
    return dot


# --------------------------------------------------------------------------- output

IMAGE_FORMATS = ("svg", "png", "pdf")


def save(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write ``graph`` to ``path``: DOT source for .dot/.gv, an image for .svg/.png/.pdf.

    Raises :class:`GraphvizMissing` (one sentence naming the package to install)
    when an image is asked for and the ``dot`` program is not installed.
    """
    from tinygrad_mlp.io import atomic_write_bytes

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("dot", "gv"):
        atomic_write_bytes(path, graph.source.encode("utf-8"))
        return path
    if suffix not in IMAGE_FORMATS:
        raise ValueError(f"{path}: unknown picture format {suffix!r}; use .dot, .svg, .png or .pdf")
    if shutil.which("dot") is None:
        raise GraphvizMissing(
            f"{path}: rendering needs Graphviz's dot program; install it (Debian: apt-get install "
            "graphviz) or save .dot source instead"
        )
    try:
        data = graph.pipe(format=suffix)
    except graphviz.ExecutableNotFound:
        raise GraphvizMissing(
            f"{path}: rendering needs Graphviz's dot program; install it (Debian: apt-get install "
            "graphviz) or save .dot source instead"
        ) from None
    atomic_write_bytes(path, data)
    return path


from tinygrad_mlp.viz.playback import playback as playback  # noqa: E402 -- uses the helpers above

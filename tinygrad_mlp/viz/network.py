"""Network diagrams: :func:`draw_network`.

Neurons as ellipses in one column (LR) or row (TB) per layer, in index order;
weights as edges coloured by sign and as wide as their size; a legend and a
title saying which data row the error signals δ come from. Numbers follow the
one format of :func:`format_number`. No number is written on an edge, so none
can pile up where edges cross: a node with few inputs lists its incoming
weights in input order (``w -0.5 -1``, the sheet's own notation), and every edge
carries its weight as a tooltip (hover in an SVG viewer or browser).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import graphviz
import numpy as np

from tinygrad_mlp.nn import as_mlp
from tinygrad_mlp.viz._text import (
    EDGE_NEGATIVE,
    EDGE_POSITIVE,
    FONT,
    NEGATIVE,
    POSITIVE,
    VANISHING,
    format_number,
    grad_colour,
    legend,
    lines,
    plain,
)

__all__ = ["draw_network"]

#: A node lists its incoming weights when it has at most this many inputs.
WEIGHT_LIMIT = 4


def _elide(count: int, limit: int) -> list[int | None]:
    """Indices to draw for ``count`` nodes: all, or the first ones, None (for …), the last."""
    if count <= limit:
        return list(range(count))
    return [*range(limit - 1), None, count - 1]


def _names(names: Iterable[str] | None, count: int, default: str, what: str) -> list[str]:
    if names is None:
        return [f"{default}[{i}]" for i in range(count)]
    names = [str(n) for n in names]
    if len(names) != count:
        raise ValueError(f"{len(names)} {what} names for {count} {what}s")
    return names


def draw_network(
    net: Any,
    weights: str = "value",
    show: str | None = None,
    max_per_layer: int = 8,
    precision: int = 3,
    input_names: Iterable[str] | None = None,
    output_names: Iterable[str] | None = None,
    rankdir: str = "LR",
    title: str | None = None,
) -> graphviz.Digraph:
    """The network as a diagram: neurons in layer columns, weights on edges.

    Args:
        net: an ``MLP``, or a ``Sequential`` of ``Linear`` and activation modules.
        weights: "value" (colour and width by sign and size, each node's incoming
            weights listed when it has at most four inputs, each edge's weight as
            its tooltip), "colour" (no numbers) or "none".
        show: "grad" adds each node's bias gradient ∂L/∂b: after one sample's
            backward pass, its error signal δ. None shows names and biases only.
        max_per_layer: a layer with more nodes shows the first ones, "…", the last.
        precision: significant digits of every number.
        input_names, output_names: names of the inputs and outputs (e.g. CSV
            columns); drawn as given, whatever characters they hold.
        rankdir: "LR" (layers left to right) or "TB" (top to bottom).
        title: a line above the diagram, e.g. which data row δ comes from.

    Returns:
        A ``graphviz.Digraph``.

    >>> from tinygrad_mlp.seed import seed_network
    >>> "ah[0][2]" in draw_network(seed_network()).source
    True
    """
    if weights not in ("value", "colour", "none"):
        raise ValueError(f"weights must be 'value', 'colour' or 'none', got {weights!r}")
    if show not in (None, "grad"):
        raise ValueError(f"show must be None or 'grad', got {show!r}")
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    net = as_mlp(net)
    layers = list(net.layers)
    sizes = [layers[0].weight.shape[1], *(layer.weight.shape[0] for layer in layers)]
    inputs = _names(input_names, sizes[0], "x", "input")
    outputs = _names(output_names, sizes[-1], "yo", "output") if output_names is not None else None
    dot = graphviz.Digraph(
        "network",
        graph_attr={
            "rankdir": rankdir,
            "splines": "line",
            "nodesep": "0.25",
            "ranksep": "1.6" if rankdir == "LR" else "1.2",
            "fontname": FONT,
            "labelloc": "t",
            "fontsize": "11",
        },
        node_attr={"fontname": FONT, "fontsize": "10"},
        edge_attr={"fontname": FONT, "fontsize": "8", "arrowsize": "0.4"},
    )
    shown = [_elide(n, max_per_layer) for n in sizes]
    listed = [weights == "value" and size <= WEIGHT_LIMIT for size in sizes[:-1]]
    for c, rows in enumerate(shown):
        last = c == len(sizes) - 1
        head = "inputs" if c == 0 else ("output layer" if last else f"hidden layer {c - 1}")
        column: list[tuple[str, Any, dict]] = []
        for j in rows:
            if j is None:
                dots = "⋮" if rankdir == "LR" else "⋯"
                column.append((f"c{c}_more", dots, {"shape": "plaintext", "fontsize": "18"}))
            elif c == 0:
                column.append(
                    (
                        f"c0_{j}",
                        plain(inputs[j]),
                        {"shape": "box", "style": "rounded,filled", "fillcolor": "#f5f5f5"},
                    )
                )
            else:
                column.append(
                    _neuron(layers[c - 1], c - 1, j, last, outputs, show, precision, listed[c - 1])
                )
        # NOTE: a rank=same subgraph (clusters ignore rank) with the title first,
        # chained by invisible edges, holds the layer in index order in LR and TB.
        with dot.subgraph(name=f"column{c}") as sub:
            sub.attr(rank="same")
            sub.node(
                f"title{c}", label=lines(head, f"({sizes[c]})"), shape="plaintext", fontsize="11"
            )
            names = [f"title{c}", *(name for name, _, _ in column)]
            for above, below in zip(names, names[1:], strict=False):
                sub.edge(above, below, style="invis")
            for name, label, attrs in column:
                sub.node(name, label=label, **attrs)
    scale = max((float(np.abs(la.weight.data).max()) for la in layers), default=1.0) or 1.0
    for l, layer in enumerate(layers):  # noqa: E741 -- the sheet's layer index
        rows, cols = shown[l + 1], shown[l]
        last = l == len(layers) - 1
        for j in rows:
            if j is None:
                continue
            for i in cols:
                if i is None:
                    continue
                w = float(layer.weight.data[j, i])
                source = inputs[i] if l == 0 else f"ah[{l - 1}][{i}]"
                target = f"yo[{j}]" if last else f"ah[{l}][{j}]"
                name = f"wo[{j}][{i}]" if last else f"wh[{l}][{j}][{i}]"
                attrs: dict[str, Any] = {
                    "tooltip": plain(f"{name} = {format_number(w, precision)}: {source} → {target}")
                }
                if weights != "none":
                    attrs["color"] = EDGE_POSITIVE if w >= 0 else EDGE_NEGATIVE
                    attrs["penwidth"] = f"{0.4 + 2.6 * abs(w) / scale:.2f}"
                dot.edge(f"c{l}_{i}", f"c{l + 1}_{j}", **attrs)
    rows_legend: list[tuple[str, str]] = []
    if weights != "none":
        rows_legend += [
            (f"edge:{EDGE_POSITIVE}", "weight > 0"),
            (f"edge:{EDGE_NEGATIVE}", "weight < 0 (width: size)"),
        ]
    if show == "grad":
        rows_legend += [
            (POSITIVE, "δ > 0"),
            (NEGATIVE, "δ < 0 (paler: smaller)"),
            (VANISHING, "δ ≈ 0"),
        ]
    if title is None and show == "grad":
        title = "δ = ∂L/∂b from the last backward pass"
    notes = []
    if any(listed):
        notes.append("w: a node's incoming weights, in input order")
    if weights == "value" and not all(listed):
        notes.append("hover an edge for its weight (SVG)")
    note = "; ".join(notes) or None
    if title or rows_legend or note:
        dot.attr(label=legend(title, rows_legend, note))
    return dot


def _neuron(layer, l, j, last, outputs, show, digits, listed) -> tuple[str, Any, dict]:  # noqa: E741
    name = f"yo[{j}]" if last else f"ah[{l}][{j}]"
    texts = [name]
    if last and outputs is not None:
        texts.append(outputs[j])
    if listed:
        texts.append("w " + " ".join(format_number(w, digits) for w in layer.weight.data[j]))
    texts.append(f"b {format_number(layer.bias.data[j], digits)}")
    fill = "#eef3fb"
    if show == "grad":
        grad = layer.bias.grad
        grad = getattr(grad, "data", grad)
        if grad is None:
            texts.append("δ —")
        else:
            texts.append(f"δ {format_number(grad[j], digits)}")
            fill = grad_colour(grad[j])
    attrs = {"shape": "ellipse", "style": "filled", "fillcolor": fill, "width": "0.9"}
    return f"c{l + 1}_{j}", lines(*texts), attrs

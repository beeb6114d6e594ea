"""Computation graphs: :func:`draw_graph`.

micrograd's well-known shape — a box per value (label | data | grad) and a
small node per op — with clusters per neuron and layer, gradient colours and a
legend, local derivatives on edges, a highlighted path, and collapsing past a
node limit into one box per neuron (or layer) that summarizes its values.

Which neuron and layer a node belongs to comes from the network itself, never
from labels: a module of :mod:`tinygrad_mlp.nn` tags each output it computes
(``node.module``: a ``Neuron`` on the scalar engine, a ``Layer`` on the tensor
engine), and a module's nodes are those between its own parameters
(``module.parameters()``) and its tagged output.
"""

from __future__ import annotations

from typing import Any

import graphviz
import numpy as np

from tinygrad_mlp.anomaly import AnomalyError
from tinygrad_mlp.autograd import walk
from tinygrad_mlp.viz._text import (
    FONT,
    GRADIENT_LEGEND,
    format_array,
    format_number,
    grad_colour,
    html,
    legend,
    lines,
    plain,
)

__all__ = ["draw_graph", "modules_of"]

BOLD = "#1f4e9e"
CULPRIT = "#d62728"


# --------------------------------------------------------------------------- membership


def _module_of(node: Any) -> Any:
    return getattr(node, "module", None)


def modules_of(order: list) -> dict[int, Any]:
    """``id(node)`` → the module (``Neuron`` or ``Layer``) whose computation it is part of.

    A module's nodes lie between its parameters and its tagged output: walking
    back from the output stops at other modules' outputs, and of what is
    reached, only the parameters and the nodes that depend on them belong.

    Args:
        order: the graph's nodes, parents first (as :func:`autograd.walk` gives them).

    Returns:
        A dict from ``id(node)`` to its module, for the nodes that have one.

    >>> from tinygrad_mlp.autograd import walk
    >>> from tinygrad_mlp.nn import MLP
    >>> net = MLP(2, [1], seed=0)
    >>> order = walk(net([1.0, 2.0])[0])
    >>> owner = modules_of(order)
    >>> sorted(n.label or n._op for n in order if owner.get(id(n)) is net.layers[0].neurons[0])
    ['*', '*', '+', 'bo[0]', 'so[0]', 'wo[0][0]', 'wo[0][1]', 'yo[0]']
    """
    position = {id(node): k for k, node in enumerate(order)}
    outputs: dict[int, tuple[Any, list]] = {}
    for node in order:
        module = _module_of(node)
        if module is not None:
            outputs.setdefault(id(module), (module, []))[1].append(node)
    owner: dict[int, Any] = {}
    for module, tagged in outputs.values():
        params = {id(p) for p in module.parameters()}
        reached = {id(n): n for n in tagged}
        stack = list(tagged)
        while stack:
            node = stack.pop()
            for parent in node._prev:
                other = _module_of(parent)
                if id(parent) in reached or (other is not None and other is not module):
                    continue
                reached[id(parent)] = parent
                stack.append(parent)
        members: set[int] = set()
        for node in sorted(reached.values(), key=lambda n: position.get(id(n), -1)):
            if id(node) in params or any(id(p) in members for p in node._prev):
                members.add(id(node))
        for key in members:
            owner.setdefault(key, module)
    return owner


class _Layout:
    """Layers and neurons of a graph, in the network's index order, with their titles."""

    def __init__(self, order: list, network: Any = None) -> None:
        self.owner = modules_of(order)
        seen_layers: list = []
        self.neurons: dict[int, Any] = {}  # id(module) -> module, first seen first
        for node in order:
            module = self.owner.get(id(node))
            if module is None or id(module) in self.neurons:
                continue
            self.neurons[id(module)] = module
            layer = self.layer_of(module)
            if all(layer is not seen for seen in seen_layers):
                seen_layers.append(layer)
        if network is not None:
            listed = list(network.layers)
            self.layers = [la for la in listed if any(la is s for s in seen_layers)]
            self.positions = {id(la): listed.index(la) for la in self.layers}
            self.last = listed[-1] if listed else None
        else:
            self.layers = seen_layers
            self.positions = {id(la): k for k, la in enumerate(seen_layers)}
            self.last = seen_layers[-1] if seen_layers else None

    @staticmethod
    def layer_of(module: Any) -> Any:
        """A neuron's layer, or the module itself when it is a whole layer (tensor engine)."""
        return getattr(module, "layer", module)

    def is_neuron(self, module: Any) -> bool:
        return self.layer_of(module) is not module

    def layer_title(self, layer: Any) -> str:
        if layer is self.last:
            return "output layer"
        return f"hidden layer {self.positions[id(layer)]}"

    def layer_key(self, layer: Any) -> int:
        return self.positions[id(layer)]

    def neuron_title(self, module: Any, output: Any) -> str:
        name = getattr(output, "label", "") or f"{module.index}"
        return f"node {name}"

    def place(self, module: Any, output: Any) -> str:
        """Where a node sits, for its tooltip: "node ah[0][1], hidden layer 0"."""
        layer = self.layer_title(self.layer_of(module))
        if self.is_neuron(module):
            return f"{self.neuron_title(module, output)}, {layer}"
        return layer

    def neurons_of(self, layer: Any) -> list:
        found = [m for m in self.neurons.values() if self.layer_of(m) is layer]
        return sorted(found, key=lambda m: getattr(m, "index", 0))


# --------------------------------------------------------------------------- drawing


def _is_tensor(node: Any) -> bool:
    return hasattr(node.data, "shape")


def _grad_computed(root: Any) -> bool:
    grad = root.grad
    if grad is None:
        return False
    if _is_tensor(root):
        return True
    return bool(np.any(np.asarray(_numbers(grad)) != 0))


def _numbers(x: Any) -> Any:
    """The plain number or array of a gradient that may itself be a node."""
    return x.data if hasattr(x, "_prev") else x


def draw_graph(
    root: Any,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    highlight: Any = None,
    clusters: bool | None = None,
    color_grad: bool = True,
    edge_derivatives: bool = False,
    max_nodes: int = 400,
    title: str | None = None,
    network: Any = None,
    culprit: Any = None,
) -> graphviz.Digraph:
    """The computation graph that produced ``root`` (a ``Value`` or ``Tensor``).

    Args:
        root: the node to draw back from (usually the loss).
        rankdir: "LR" (left to right, micrograd's choice) or "TB".
        show_data, show_grad: which numbers each value's record holds.
        precision: significant digits of every number (see :func:`format_number`).
        highlight: a node of the graph; every path from it to ``root`` is drawn bold.
        clusters: box the nodes of each neuron and layer of a network. None (the
            default) boxes the layers of a tensor graph only: with neuron boxes,
            Graphviz orders them by its own crossing minimization and neurons may
            leave index order; without, every layer's neurons stay in index order
            (top down in LR, left to right in TB) and each value's tooltip names
            its neuron.
        color_grad: fill values by gradient (blue positive, red negative, grey
            vanishing < 1e-8, orange exploding > 1e3, bright red NaN/inf), with a legend.
        edge_derivatives: label each edge into an op with its local derivative
            ∂(op output)/∂(input), so the chain rule can be read off the picture.
        max_nodes: past this many values, neurons collapse to one box each
            (then layers), each box summarizing its values; a graph with no
            neurons keeps the ``max_nodes`` values nearest the root.
        title: a line above the picture (e.g. which data row it shows).
        network: the ``MLP`` the graph came from, to title layers by their place
            in it; without it, layers are numbered in the order the graph uses them.
        culprit: a node of the graph where a NaN or an infinity was born: framed in
            red, with every path from the inputs to it bold. ``draw_graph(err)`` for an
            :class:`~tinygrad_mlp.AnomalyError` draws ``err.node`` with itself as culprit.

    Returns:
        A ``graphviz.Digraph`` (shown inline in Jupyter; write it with :func:`save`).

    >>> from tinygrad_mlp import Value
    >>> a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    >>> c = a * b
    >>> c.backward()
    >>> "<td><b>a</b></td><td>data 2</td><td>grad -3</td>" in draw_graph(c).source
    True
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    if isinstance(root, AnomalyError):
        root, culprit = root.node, root.node
    order = walk(root)
    computed = _grad_computed(root)
    on_path: set[int] = set()
    if highlight is not None:
        for node in order:
            if node is highlight or any(id(p) in on_path for p in node._prev):
                on_path.add(id(node))
        if id(highlight) not in on_path:
            raise ValueError("the node to highlight is not part of this graph")
    if culprit is not None:
        on_path.update(id(node) for node in walk(culprit))
        if not any(node is culprit for node in order):
            raise ValueError("the culprit node is not part of this graph")
    layout = _Layout(order, network)
    dot = graphviz.Digraph(
        "computation_graph",
        # NOTE: newrank lets rank constraints cross clusters, so the outputs of one
        # layer's neurons can be held in index order (see _hold_order).
        graph_attr={
            "rankdir": rankdir,
            "fontname": FONT,
            "nodesep": "0.25",
            "ranksep": "0.4",
            "newrank": "true",
            "labelloc": "t",
            "fontsize": "11",
        },
        node_attr={"fontname": FONT, "fontsize": "11"},
        edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6"},
    )
    show_colours = color_grad and computed
    if title or show_colours:
        dot.attr(label=legend(title, GRADIENT_LEGEND if show_colours else []))
    if len(order) > max_nodes:
        _collapsed(dot, order, layout, max_nodes, precision, computed, show_colours)
        return dot
    ids = {id(node): f"n{k}" for k, node in enumerate(order)}
    output_of = {id(_module_of(n)): n for n in order if _module_of(n) is not None}
    members: dict[int, list[str]] = {}
    for node in order:
        name = ids[id(node)]
        fill = grad_colour(_numbers(node.grad)) if show_colours else "white"
        bold = id(node) in on_path
        module = layout.owner.get(id(node))
        place = layout.place(module, output_of.get(id(module))) if module is not None else ""
        dot.node(
            name,
            label=_record(
                node,
                show_data,
                show_grad,
                precision,
                computed,
                bgcolor=fill,
                color=CULPRIT if node is culprit else BOLD if bold else "black",
                border="3" if bold else "1",
            ),
            shape="plain",
            tooltip=plain(place or node.label or node._op or "value"),
        )
        if node._fn is not None:
            op = name + "op"
            dot.node(
                op,
                label=plain(node._op),
                shape="circle",
                width="0.3",
                fontsize="10",
                style="filled",
                fillcolor="#f2f2f2" if node is not culprit else CULPRIT,
            )
            dot.edge(op, name, penwidth="2.5" if bold else "1", color=BOLD if bold else "black")
            if module is not None:
                members.setdefault(id(module), []).append(op)
            derivatives = _local_derivatives(node) if edge_derivatives else None
            for k, parent in enumerate(node._prev):
                attrs = {}
                if derivatives is not None and derivatives[k] is not None:
                    attrs["label"] = plain(f"∂={format_number(derivatives[k], precision)}")
                if id(parent) in on_path and bold:
                    attrs.update(penwidth="2.5", color=BOLD)
                dot.edge(ids[id(parent)], op, **attrs)
        if module is not None:
            members.setdefault(id(module), []).append(name)
    outputs = {key: ids[id(node)] for key, node in output_of.items()}
    if clusters is None:
        clusters = not any(layout.is_neuron(m) for m in layout.neurons.values())
    if clusters and members:
        _clusters(dot, layout, members, output_of)
    _hold_order(dot, layout, outputs)
    fed = {id(p) for n in order if id(n) in layout.owner for p in n._prev}
    inputs = [
        ids[id(n)] for n in order if n._fn is None and id(n) in fed and id(n) not in layout.owner
    ]
    _chain(dot, "order_inputs", inputs)
    return dot


def _chain(dot, name: str, nodes: list[str]) -> None:
    """Hold ``nodes`` in one rank, in this order (see :func:`_hold_order`)."""
    if len(nodes) < 2:
        return
    with dot.subgraph(name=name) as group:
        group.attr(rank="same")
        for above, below in zip(nodes, nodes[1:], strict=False):
            group.edge(above, below, style="invis")


def _clusters(dot, layout: _Layout, members: dict[int, list[str]], output_of: dict) -> None:
    """A solid box per layer, a dashed box per neuron inside it."""
    for layer in layout.layers:
        k = layout.layer_key(layer)
        with dot.subgraph(name=f"cluster_layer_{k}") as layer_graph:
            layer_graph.attr(
                label=plain(layout.layer_title(layer)),
                style="rounded",
                color="#888888",
                fontname=FONT,
                fontsize="12",
            )
            if not layout.is_neuron(layer) and id(layer) in members:
                for member in members[id(layer)]:
                    layer_graph.node(member)
            for neuron in layout.neurons_of(layer):
                if not layout.is_neuron(neuron) or id(neuron) not in members:
                    continue
                with layer_graph.subgraph(name=f"cluster_neuron_{k}_{neuron.index}") as box:
                    box.attr(
                        label=plain(layout.neuron_title(neuron, output_of.get(id(neuron)))),
                        style="rounded,dashed",
                        color="#aaaaaa",
                        fontsize="10",
                    )
                    for member in members[id(neuron)]:
                        box.node(member)


def _hold_order(dot, layout: _Layout, outputs: dict[int, str]) -> None:
    """Keep each layer's neurons in index order, whatever the direction.

    NOTE: Graphviz orders a rank by its own crossing minimization; a rank=same
    group of the neurons' outputs chained by invisible edges pins the order
    (top to bottom in LR, left to right in TB).
    """
    for layer in layout.layers:
        names = [outputs[id(n)] for n in layout.neurons_of(layer) if id(n) in outputs]
        _chain(dot, f"order_{layout.layer_key(layer)}", names)


def _record(
    node: Any,
    show_data: bool,
    show_grad: bool,
    digits: int,
    computed: bool,
    op: bool = False,
    **style: str,
) -> str:
    """The value's box: an HTML-like table of label | data | grad (the label escaped).

    With ``op`` the box also names the op that made the value (``= exp``), for
    drawings without op circles (a condensed graph's values outside the neurons).
    """
    parts = [f"<b>{html(node.label)}</b>"] if node.label else []
    if op and node._fn is not None and node._op:
        parts.append(f"<i>{html('= ' + str(node._op))}</i>")
    grad = _numbers(node.grad) if computed else None
    if _is_tensor(node):
        shape = "×".join(map(str, node.data.shape)) or "scalar"
        parts.append(html(f"{shape} {node.data.dtype}"))
        if show_data:
            parts.append(html("data " + format_array(node.data, digits)))
        if show_grad:
            parts.append(html("grad " + format_array(grad, digits)))
    else:
        if show_data:
            parts.append(html(f"data {format_number(node.data, digits)}"))
        if show_grad:
            parts.append(html("grad " + ("—" if grad is None else format_number(grad, digits))))
    cells = "".join(f"<td>{part}</td>" for part in parts or [" "])
    table = {"border": "1", "cellborder": "1", "cellspacing": "0", "cellpadding": "3", **style}
    attrs = " ".join(f'{k}="{v}"' for k, v in table.items())
    return f"<<table {attrs}><tr>{cells}</tr></table>>"


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
        g = _numbers(g)
        if g is None or np.size(g) != 1:
            out.append(None)
        else:
            out.append(float(np.asarray(g).reshape(-1)[0]))
    return out


# --------------------------------------------------------------------------- collapsed


def _collapsed(dot, order, layout: _Layout, max_nodes, digits, computed, colours) -> None:
    """One summary box per neuron (or per layer), the few values outside them as records."""
    owner = layout.owner
    if not owner:
        _nearest(dot, order, max_nodes, digits, computed)
        return
    by_layer = len(layout.neurons) > max_nodes
    group_of: dict[int, Any] = {}
    for key, module in owner.items():
        group_of[key] = layout.layer_of(module) if by_layer else module
    groups: dict[int, tuple[Any, list]] = {}
    for node in order:
        group = group_of.get(id(node))
        if group is not None:
            groups.setdefault(id(group), (group, []))[1].append(node)
    outside = [n for n in order if id(n) not in group_of]
    ids: dict[int, str] = {}
    for layer in layout.layers:
        k = layout.layer_key(layer)
        boxes = [layer] if by_layer else layout.neurons_of(layer)
        names = []
        for group in boxes:
            if id(group) not in groups:
                continue
            nodes = groups[id(group)][1]
            name = f"box_{k}" if group is layer else f"box_{k}_{group.index}"
            names.append(name)
            for node in nodes:
                ids[id(node)] = name
            output = next((n for n in nodes if _module_of(n) is group), None)
            dot.node(
                name,
                label=lines(*_summary(layout, group, nodes, output, digits, computed)),
                shape="box",
                style="rounded,filled",
                fillcolor=grad_colour(_numbers(output.grad))
                if (colours and output is not None)
                else "#eef3fb",
            )
        _chain(dot, f"order_{k}", names)
    room = max_nodes - len(set(ids.values()))
    feeds_boxes = {id(p) for n in order if id(n) in group_of for p in n._prev}
    if len(outside) <= max(room, 0):
        for k, node in enumerate(outside):
            ids[id(node)] = f"n{k}"
            fill = grad_colour(_numbers(node.grad)) if colours else "white"
            dot.node(
                f"n{k}",
                label=_record(node, True, True, digits, computed, op=True, bgcolor=fill),
                shape="plain",
            )
        # NOTE: the network's inputs, in the order the walk met them (index order),
        # held in one rank like the neurons.
        inputs = [ids[id(n)] for n in outside if n._fn is None and id(n) in feeds_boxes]
        _chain(dot, "order_inputs", inputs)
    elif outside:
        for node in outside:
            ids[id(node)] = "rest"
        dot.node(
            "rest",
            label=plain(f"… {len(outside)} values outside the neurons (inputs, loss)"),
            shape="box",
            style="dashed",
        )
    edges: list[tuple[str, str]] = []
    seen = set()
    for node in order:
        head = ids[id(node)]
        for parent in node._prev:
            tail = ids[id(parent)]
            if tail != head and (tail, head) not in seen:
                seen.add((tail, head))
                edges.append((tail, head))
    for tail, head in edges:
        dot.edge(tail, head)


def _summary(layout: _Layout, group: Any, nodes: list, output: Any, digits: int, computed) -> list:
    """Title, how many values and their range, the output, the parameters' gradient norm."""
    if layout.is_neuron(group):
        title = "neuron " + (getattr(output, "label", "") or str(group.index))
        params = {id(p) for p in group.parameters()}
    else:
        neurons = [n for n in layout.neurons_of(group) if layout.is_neuron(n)]
        title = layout.layer_title(group) + (f" ({len(neurons)} nodes)" if neurons else "")
        params = {id(p) for p in group.parameters()}
        params |= {id(p) for n in neurons for p in n.parameters()}
    data = np.concatenate([np.ravel(np.asarray(n.data, dtype=np.float64)) for n in nodes])
    text = [
        title,
        f"{len(nodes)} values in [{format_number(data.min(), digits)}, "
        f"{format_number(data.max(), digits)}]",
    ]
    if output is not None and not _is_tensor(output):
        grad = format_number(_numbers(output.grad), digits) if computed else "—"
        text.append(f"out {format_number(output.data, digits)}, grad {grad}")
    grads = [_numbers(n.grad) for n in nodes if id(n) in params]
    if computed and grads:
        norm = float(np.sqrt(sum(float(np.sum(np.square(g))) for g in grads)))
        text.append(f"‖grad of weights, bias‖ {format_number(norm, digits)}")
    return text


def _nearest(dot, order, max_nodes, digits, computed) -> None:
    """A graph without neurons: the values nearest the root, one box for the rest."""
    kept = order[-max_nodes:]
    dropped = order[: len(order) - len(kept)]
    kept_ids = {id(n): f"n{k}" for k, n in enumerate(kept)}
    data = np.concatenate([np.ravel(np.asarray(n.data, dtype=np.float64)) for n in dropped])
    dot.node(
        "rest",
        label=plain(
            f"… {len(dropped)} more values in [{format_number(data.min(), digits)}, "
            f"{format_number(data.max(), digits)}]"
        ),
        shape="box",
        style="dashed",
    )
    for node in kept:
        dot.node(
            kept_ids[id(node)],
            label=_record(node, True, True, digits, computed, op=True, bgcolor="white"),
            shape="plain",
        )
        for parent in node._prev:
            dot.edge(kept_ids.get(id(parent), "rest"), kept_ids[id(node)])

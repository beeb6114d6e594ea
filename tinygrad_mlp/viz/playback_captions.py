"""What each playback frame says: names, rules, the δ witness, steps cut into frames.

:func:`tinygrad_mlp.viz.playback.playback` records a pass; this module reads
the recorded graph (which node belongs to which neuron, which node is a
pre-activation, from the modules' metadata, never from labels), names every
node, and turns the recorded events into :class:`Frame` objects whose captions
give each rule with its numbers. The module is long because it holds one caption
rule per kind of op, each a few lines, read by one dispatcher.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.explain.formulas import DELTA, derivative, output_rule
from tinygrad_mlp.names import ACTIVATION_FACTS
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.viz._text import format_number
from tinygrad_mlp.viz.graph import modules_of

_IDENTIFIER = re.compile(r"^[\w.\[\]]+$")


# --------------------------------------------------------------------------- numbers


def _num(v: Any) -> str:
    """A number for a caption: :func:`viz.format_number`'s 4 digits, a true minus sign."""
    return format_number(v).replace("-", "−")


def _full(v: Any) -> str:
    """A number at 9 significant digits, for the δ comparison."""
    return format_number(v, 9).replace("-", "−")


def _show(value: Any, full: bool = False) -> str:
    """A float, or an array shown compactly (values if small, else shape and range)."""
    if value is None:
        return "—"
    fmt = _full if full else _num
    if not isinstance(value, np.ndarray):
        return fmt(value)
    if value.size == 1:
        return fmt(value.reshape(-1)[0])
    if value.size <= 6:
        rows = np.atleast_2d(value)
        inner = "; ".join(" ".join(fmt(v) for v in row) for row in rows)
        return f"[{inner}]"
    shape = "×".join(map(str, value.shape))
    return f"{shape} in [{fmt(value.min())}, {fmt(value.max())}]"


def _is_tensor(node: Any) -> bool:
    return isinstance(node.data, np.ndarray)


# --------------------------------------------------------------------------- rules

#: How a node reads as an expression of its parents' names, by op symbol.
FORWARD = {
    "+": "{0} + {1}",
    "-": "{0} − {1}",
    "*": "{0}·{1}",
    "/": "{0}/{1}",
    "**": "{0}^{1}",
    "exp": "exp({0})",
    "log": "ln({0})",
    "tanh": "tanh({0})",
    "sigmoid": "σ({0})",
    "ReLU": "relu({0})",
    "neg": "−{0}",
    "abs": "|{0}|",
    "@": "{0} @ {1}",
    "@ᵀ": "{0} @ {1}ᵀ",
    "½Σ(y−z)²": "½Σ({0} − {1})²",
    "sum": "Σ {0}",
    "max": "max {0}",
    "T": "{0}ᵀ",
    "log_softmax": "log_softmax({0})",
    "[]": "{0}[picked]",
    "clip": "clip({0})",
}

#: ∂(node)/∂(parent k) as an expression (scalar rules: the gradient is this times
#: the node's gradient). ``{y}`` is the node itself.
LOCAL = {
    "+": ("1", "1"),
    "-": ("1", "−1"),
    "*": ("{1}", "{0}"),
    "/": ("1/{1}", "−{0}/{1}²"),
    "**": ("{1}·{0}^({1} − 1)", "{y}·ln {0}"),
    "exp": ("{y}",),
    "log": ("1/{0}",),
    "tanh": ("(1 − {y}²)",),
    "sigmoid": ("{y}(1 − {y})",),
    "ReLU": ("[{0} > 0]",),
    "neg": ("−1",),
    "abs": ("sign({0})",),
}

#: Tensor rules, written whole with ``{g}`` the node's gradient.
TENSOR_RULES = {
    "+": ("{g}", "{g}"),
    "-": ("{g}", "−{g}"),
    "*": ("{g} ⊙ {1}", "{g} ⊙ {0}"),
    "/": ("{g} / {1}", "−{g} ⊙ {y} / {1}"),
    "@ᵀ": ("{g} @ {1}", "{g}ᵀ @ {0}"),
    "@": ("{g} @ {1}ᵀ", "{0}ᵀ @ {g}"),
    "½Σ(y−z)²": ("{g}·({0} − {1})", "−{g}·({0} − {1})"),
    "sigmoid": ("{g} ⊙ {y}(1 − {y})",),
    "tanh": ("{g} ⊙ (1 − {y}²)",),
    "ReLU": ("{g} ⊙ [{0} > 0]",),
    "exp": ("{g} ⊙ {y}",),
    "log": ("{g} / {0}",),
    "neg": ("−{g}",),
    "sum": ("{g} spread over {0}",),
    "[]": ("{g} put back where it was picked, 0 elsewhere",),
    "log_softmax": ("{g} − softmax({0})·Σ{g}",),
    "abs": ("{g} ⊙ sign({0})",),
    "clip": ("{g} where {0} was not clipped, else 0",),
}


#: The activations whose op carries another symbol than the name (the rest: the name).
_OP_SYMBOL = {"relu": "ReLU"}
for _facts in ACTIVATION_FACTS.values():
    if _facts.name == "linear":
        continue
    _symbol = _OP_SYMBOL.get(_facts.name, _facts.name)
    _fprime = _facts.derivative_text(a="{y}", s="{0}")
    FORWARD.setdefault(_symbol, _facts.name + "({0})")
    LOCAL.setdefault(_symbol, (f"({_fprime})",))
    TENSOR_RULES.setdefault(_symbol, (f"{{g}} ⊙ ({_fprime})",))


_SIMPLE = re.compile(r"^(?:[\w.\[\]]+|\([^()]*\)²?|[−-]?[\d.]+(?:e[−+-]?\d+)?)$")


def _d(name: str) -> str:
    """∂L/∂name, the name in parentheses unless it is one symbol."""
    return f"∂L/∂{name}" if _IDENTIFIER.match(name) else f"∂L/∂({name})"


def _wrap(name: str) -> str:
    """``name`` in parentheses unless it is one symbol, one number or already enclosed."""
    return name if _SIMPLE.match(name) else f"({name})"


def _expression(node: Any, names: list[str], symbol: str) -> str:
    if symbol.startswith("**") and len(names) == 1:  # a constant power
        p = symbol[2:]
        if names[0].startswith("−"):
            names = [f"({names[0]})"]
        return f"{_wrap(names[0])}²" if p in ("2", "2.0") else f"{_wrap(names[0])}^{p}"
    template = FORWARD.get(symbol)
    if template is None:
        return f"{symbol}({', '.join(names)})"
    args = names if symbol == "+" else [_wrap(n) for n in names]
    return template.format(*args)


# --------------------------------------------------------------------------- frames


@dataclass
class Frame:
    """One step of the playback.

    Attributes:
        kind: "start", "forward", "backward" or "end".
        nodes: the nodes this frame computes (forward) or sweeps (backward), in
            the core's order; one, unless neurons are collapsed; none for start/end.
        caption: the rule and its numbers, plain text (lines).
        computed: nodes whose value becomes known in this frame.
        grads: gradients that change in this frame, ``id(node) -> running sum``.
        deltas: ``(name, autodiff, backprop.py)`` for each error signal checked here.
    """

    kind: str
    nodes: tuple = ()
    caption: str = ""
    computed: tuple = ()
    grads: dict[int, Any] = field(default_factory=dict)
    deltas: list[tuple[str, Any, Any]] = field(default_factory=list)

    @property
    def node(self) -> Any:
        """The node at work (the last one, when several are collapsed into a frame)."""
        return self.nodes[-1] if self.nodes else None


# --------------------------------------------------------------------------- analysis


def _names(order: list, forward: list, net: MLP | None) -> dict[int, str]:
    """A readable name for every node: its label, a role, or an expression of its parents.

    A long expression becomes ``v<k>``, k the forward step that computes the node.
    """
    step = {id(n): k for k, n in enumerate(forward, start=1)}
    roles: dict[int, str] = {}
    if net is not None:
        biases = {id(layer.bias): l for l, layer in enumerate(net.layers)}  # noqa: E741
        for node in order:
            if node._fn is None or not _is_tensor(node):
                continue
            if node._op == "+" and len(node._prev) == 2 and id(node._prev[1]) in biases:
                a_name, s_name = net.layers[biases[id(node._prev[1])]].node_names
                roles[id(node)] = s_name
                consumers = [c for c in order if c._fn is not None and node in c._prev]
                layer = net.layers[biases[id(node._prev[1])]]
                # f(s): s's one consumer, tagged as the layer's output (any activation)
                activation = bool(consumers) and getattr(consumers[0], "module", None) is layer
                if len(consumers) == 1 and activation and a_name != "a":
                    roles[id(consumers[0])] = a_name
            if node._op == "½Σ(y−z)²" and not node._prev[1].label:
                roles[id(node._prev[1])] = "z"
    names: dict[int, str] = {}
    for node in order:
        if node.label:
            names[id(node)] = node.label
        elif id(node) in roles:
            names[id(node)] = roles[id(node)]
        elif node._fn is None:
            small = not _is_tensor(node) or node.data.size == 1
            names[id(node)] = _show(node.data) if small else "const"
        else:
            expr = _expression(node, [names[id(p)] for p in node._prev], node._op)
            names[id(node)] = expr if len(expr) <= 20 else f"v{step.get(id(node), '?')}"
    return names


def _witness(net: MLP | None, x: Any, z: Any, loss: str, pre: dict[int, tuple]) -> dict:
    """id(pre-activation node) -> δ of :mod:`tinygrad_mlp.backprop` for it."""
    if net is None or x is None or z is None:
        return {}
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    weights = [layer.weight.data.copy() for layer in net.layers]
    biases = [layer.bias.data.copy() for layer in net.layers]
    bp = backprop.gradients(weights, biases, net.activations, x, z, loss)
    out: dict[int, Any] = {}
    for key, (layer, j, _) in pre.items():
        if j is None:
            out[key] = bp.delta[layer]
        elif len(x) == 1:
            out[key] = float(bp.delta[layer][0, j])
    return out


def _delta_formulas(net: MLP | None, loss: str, pre: dict[int, tuple]) -> dict[int, str]:
    """id(pre-activation node) -> its δ formula, the explain trace's template in words."""
    if net is None:
        return {}
    acts = net.activations
    rule = output_rule(loss, acts[-1])
    out: dict[int, str] = {}
    for key, (layer, _, _) in pre.items():
        formula = DELTA[rule if layer == len(acts) - 1 else "hidden"].symbolic("text")
        fprime = derivative(acts[layer], "text")
        out[key] = f"{formula.format(node='j', next='δ')}, f'(s) = {fprime}"
    return out


def _pre_activation(output: Any, module: Any, module_of: dict[int, Any]) -> Any:
    """The weighted sum s under a module's tagged output f(s), found from the structure.

    Walking back from the output along first parents inside the module, s is the first
    node with a parameter of the module as a parent (the bias, or the last w·x without
    one), else the first with a parent that has one: whatever f is (one op, as gelu, or
    a composition, as softsign's s / (1 + |s|)), and no list of activation ops to keep.
    """
    params = {id(p) for p in module.parameters()}

    def has_parameter(n: Any) -> bool:
        return any(id(p) in params for p in n._prev)

    chain = []
    node = output
    while node is not None and node._fn is not None and module_of.get(id(node)) is module:
        chain.append(node)
        node = node._prev[0] if node._prev else None
    for node in chain:
        if has_parameter(node):
            return node
    for node in chain:
        if any(has_parameter(p) for p in node._prev):
            return node
    return output


def _structure(order: list, net: MLP | None) -> tuple[dict[int, tuple], dict[int, tuple]]:
    """Neurons and pre-activations of a graph, from the modules' metadata, never labels.

    :func:`~tinygrad_mlp.viz.modules_of` gives each node's module (a ``Neuron`` on
    the scalar engine, a ``Layer`` on the tensor engine); a layer's position is its
    place in ``net.layers`` (or, without a net, the order the graph meets layers),
    a neuron's is ``neuron.index``. A module's pre-activation s is its tagged output,
    or that output's input when the output is an activation f(s).

    Returns:
        ``(owners, pre)``: owners maps a scalar node's id to its neuron's key
        ``("h", l, j)`` or ``("o", 0, j)`` (the last layer is the output layer);
        pre maps a pre-activation's id to ``(l, j, name of its δ)`` (j None for a
        whole layer).
    """
    module_of = modules_of(order)
    layers: list = list(net.layers) if net is not None else []
    if net is None:
        for node in order:
            module = module_of.get(id(node))
            layer = getattr(module, "layer", module)
            if module is not None and all(layer is not seen for seen in layers):
                layers.append(layer)
    position = {id(layer): k for k, layer in enumerate(layers)}

    def place(module: Any) -> tuple[int, int | None] | None:
        layer = getattr(module, "layer", module)
        if id(layer) not in position:
            return None
        return position[id(layer)], (module.index if layer is not module else None)

    def key(l: int, j: int | None) -> tuple:  # noqa: E741
        return ("o", 0, j) if l == len(layers) - 1 else ("h", l, j)

    owners: dict[int, tuple] = {}
    pre: dict[int, tuple] = {}
    for node in order:
        module = module_of.get(id(node))
        where = place(module) if module is not None else None
        if where is None:
            continue
        if where[1] is not None and not _is_tensor(node):
            owners[id(node)] = key(*where)
        if getattr(node, "module", None) is module:  # the module's tagged output
            s = _pre_activation(node, module, module_of)
            pre[id(s)] = (*where, _delta_name(where, len(layers) - 1))
    return owners, pre


def _delta_name(where: tuple, last: int) -> str:
    """δ's name from a layer's position and a neuron's index: δh[0][2], δo[0], δh[0], δo."""
    l, j = where  # noqa: E741
    head = "δo" if l == last else f"δh[{l}]"
    return head if j is None else f"{head}[{j}]"


def _neuron_title(key: tuple) -> str:
    kind, layer, j = key
    return f"neuron yo[{j}]" if kind == "o" else f"neuron ah[{layer}][{j}]"


def _layer_title(key: tuple) -> str:
    return "output layer" if key[0] == "o" else f"hidden layer {key[1]}"


def _units(
    order: list, owners: dict[int, tuple], names: dict[int, str], max_nodes: int
) -> tuple[dict[int, int], list[str], dict[int, tuple]]:
    """Map each node to a drawn box: itself, or its neuron (or layer) past ``max_nodes``."""
    sort_key = {"h": 0, "o": 1}
    if len(order) <= max_nodes or not owners:
        units = {id(n): k for k, n in enumerate(order)}
        cluster = {
            k: ((sort_key[owners[id(n)][0]], owners[id(n)][1]), _neuron_title(owners[id(n)]))
            for k, n in enumerate(order)
            if id(n) in owners
        }
        return units, [names[id(n)] for n in order], cluster
    neurons = sorted({owners[i] for i in owners}, key=lambda k: (sort_key[k[0]], k[1], k[2]))
    by_layer = len(neurons) > max_nodes
    group = (lambda k: (k[0], k[1], 0)) if by_layer else (lambda k: k)
    title = _layer_title if by_layer else _neuron_title
    units: dict[int, int] = {}
    titles: list[str] = []
    index: dict[Any, int] = {}
    first_use: dict[int, Any] = {}
    for node in order:
        for parent in node._prev:
            first_use.setdefault(id(parent), node)
    for node in order:
        if id(node) in owners:
            key = ("neuron", group(owners[id(node)]))
            label = title(owners[id(node)])
        elif node._fn is None and node.label:  # the inputs
            key, label = ("inputs",), "inputs"
        elif node._fn is None and id(node) in first_use:  # a constant: with its first use
            user = first_use[id(node)]
            key = ("neuron", group(owners[id(user)])) if id(user) in owners else ("node", id(user))
            label = title(owners[id(user)]) if id(user) in owners else names[id(user)]
        else:
            key, label = ("node", id(node)), names[id(node)]
        if key not in index:
            index[key] = len(titles)
            titles.append(label)
        units[id(node)] = index[key]
    return units, titles, {}


def _runs(
    nodes: list, units: dict[int, int], max_frames: int, sweep: list | None = None
) -> list[list]:
    """The recorded events cut into frames, in order.

    One event per frame while every value has its own box. When boxes stand for
    neurons, consecutive events in one box share a frame, a run of unnamed steps
    (a few additions of another neuron's sum) joins the frame after it, and past
    ``max_frames`` neighbouring frames are joined in equal slices. The events are
    never reordered: concatenated, the frames are the recorded sequence.
    """
    items = sweep if sweep is not None else nodes
    runs: list[list] = []
    last = None
    for node, item in zip(nodes, items, strict=True):
        unit = units[id(node)]
        if runs and unit == last:
            runs[-1].append(item)
        else:
            runs.append([item])
        last = unit
    if len(runs) == len(nodes):  # nothing collapsed: one step per frame
        return runs
    joined: list[list] = []
    pending: list = []
    for run in runs:
        pending.extend(run)
        if any(_node_of(item).label for item in run):
            joined.append(pending)
            pending = []
    if pending:
        joined.append(pending)
    if len(joined) > max_frames:
        size = -(-len(joined) // max_frames)
        joined = [sum(joined[k : k + size], []) for k in range(0, len(joined), size)]
    return joined


def _node_of(item: Any) -> Any:
    return item[0] if isinstance(item, tuple) else item


class _Captions:
    """Builds each frame's caption and state changes from the recorded events."""

    def __init__(
        self, order, names, witness, start_grads, units, unit_titles, pre, formulas=None
    ) -> None:
        self.pre = pre
        self.formulas = formulas or {}
        self.order = order
        self.units = units
        self.unit_titles = unit_titles
        self.names = names
        self.witness = witness
        self.running: dict[int, Any] = dict(start_grads)
        self.received: dict[int, list] = {}
        self.consumers: dict[int, list] = {}
        for node in order:
            for parent in node._prev:
                self.consumers.setdefault(id(parent), []).append(node)
        self.gnames: dict[int, str] = {}
        for node in reversed(order):  # consumers come after their parents in `order`
            self.gnames[id(node)] = self._gname(node)
        self.forward_count = sum(1 for n in order if n._fn is not None)
        self.done_forward = 0
        self.done_backward = 0
        self.checked: list[tuple[str, Any, Any]] = []

    def _name(self, node) -> str:
        return self.names[id(node)]

    def _gname(self, node) -> str:
        """δ for a pre-activation and the terms of its sum (an add passes its gradient on)."""
        name = self._name(node)
        if id(node) in self.pre:
            return self.pre[id(node)][2]
        users = self.consumers.get(id(node), [])
        if len(users) == 1 and users[0]._op == "+" and not _is_tensor(node):
            inherited = self.gnames.get(id(users[0]), "")
            if inherited.startswith("δ"):
                return inherited
        return _d(name)

    def start(self) -> Frame:
        leaves = sum(1 for n in self.order if n._fn is None)
        text = (
            f"Start: the {leaves} inputs, parameters and constants are known.\n"
            f"Forward pass: {self.forward_count} values to compute, each from values "
            "already known, in the order the engine computed them.\n"
            "Then the backward pass sends ∂L/∂ back from the loss, node by node."
        )
        return Frame("start", caption=text)

    def forward(self, nodes: list) -> Frame:
        lines = []
        for node in nodes:
            self.done_forward += 1
            if len(nodes) > 1 and not node.label:
                continue
            lines.append(self._forward_line(node))
        if not lines:  # a run of unnamed steps: their results
            shown = "; ".join(f"{self._name(n)} = {_show(n.data)}" for n in nodes[:4])
            lines.append(shown + (f"; … ({len(nodes) - 4} more)" if len(nodes) > 4 else ""))
        head = f"Forward {self.done_forward}/{self.forward_count}"
        if len(nodes) > 1:
            head += f" ({len(nodes)} steps inside {self._where(nodes)})"
        return Frame(
            "forward",
            nodes=tuple(nodes),
            caption="\n".join([head + ":", *_cap(lines)]),
            computed=tuple(nodes),
        )

    def _where(self, nodes: list) -> str:
        """The boxes a merged frame covers, in order: "neuron yo[0], neuron ah[0][3]"."""
        titles: list[str] = []
        for node in nodes:
            title = self.unit_titles[self.units[id(node)]]
            if title not in titles:
                titles.append(title)
        return ", ".join(titles[:3]) + (f" and {len(titles) - 3} more" if len(titles) > 3 else "")

    def _forward_line(self, node) -> str:
        parents = [self._name(p) for p in node._prev]
        expr = _expression(node, parents, node._op)
        name = self._name(node)
        line = f"{name} = {expr}" if expr != name else expr
        if not _is_tensor(node):
            numbers = _expression(node, [_show(p.data) for p in node._prev], node._op)
            return f"{line} = {numbers} = {_show(node.data)}"
        return f"{line} = {_show(node.data)}"

    def backward(self, steps: list) -> Frame:
        lines: list[str] = []
        grads: dict[int, Any] = {}
        deltas: list[tuple[str, Any, Any]] = []
        for node, grad_out, parent_grads in steps:
            self.done_backward += 1
            grads[id(node)] = grad_out
            self.running[id(node)] = grad_out
            quiet = len(steps) > 1 and not node.label
            if not quiet:
                lines.extend(self._total_lines(node, grad_out))
            if id(node) in self.witness:
                check = self._delta_line(node, grad_out)
                lines.append(check)
                deltas.append((self._name(node), grad_out, self.witness[id(node)]))
            for k, (parent, g) in enumerate(zip(node._prev, parent_grads, strict=True)):
                if g is None:
                    continue
                before = self.running.get(id(parent))
                total = g if before is None else before + g
                self.running[id(parent)] = total
                grads[id(parent)] = total
                self.received.setdefault(id(parent), []).append(g)
                if not quiet:
                    lines.append(self._parent_line(node, k, parent, g, grad_out, total))
        self.checked.extend(deltas)
        quiet = [s for s in steps if not s[0].label] if len(steps) > 1 else []
        if quiet:
            shown = "; ".join(f"{_d(self._name(n))} = {_show(g)}" for n, g, _ in quiet[:4])
            more = f"; … ({len(quiet) - 4} more)" if len(quiet) > 4 else ""
            lines.append(f"inside the sums: {shown}{more}")
        node = steps[-1][0]
        head = f"Backward {self.done_backward}/{self.forward_count}"
        if len(steps) > 1:
            head += f" ({len(steps)} steps inside {self._where([s[0] for s in steps])})"
        return Frame(
            "backward",
            nodes=tuple(s[0] for s in steps),
            caption="\n".join([head + ":", *_cap(lines)]),
            grads=grads,
            deltas=deltas,
        )

    def _total_lines(self, node, grad_out) -> list[str]:
        gname = self.gnames[id(node)]
        plain = f"{_d(self._name(node))}"
        lead = gname if gname == plain else f"{gname} = {plain}"
        if not self.consumers.get(id(node)):
            return [f"{lead} = {_show(grad_out)} (the loss itself: the sweep starts from 1)"]
        parts = self.received.get(id(node), [])
        if len(parts) > 1:
            terms = " + ".join(_show(g) for g in parts)
            return [f"{lead} = {terms} = {_show(grad_out)} (the sum over its {len(parts)} uses)"]
        return [f"{lead} = {_show(grad_out)}"]

    def _delta_line(self, node, grad_out) -> str:
        expected = self.witness[id(node)]
        gname = self.gnames[id(node)]
        same = np.allclose(grad_out, expected, rtol=1e-9, atol=1e-12)
        mark = "✓ the same" if same else "✗ DIFFERENT"
        formula = self.formulas.get(id(node))
        return (
            f"backprop.py (the δ formula): {gname} = {_show(expected, full=True)}; "
            f"autodiff: {_show(grad_out, full=True)} {mark}"
            + (f" (δ = {formula})" if formula else "")
        )

    def _parent_line(self, node, k, parent, g, grad_out, total) -> str:
        pname = self._name(parent)
        names = [self._name(p) for p in node._prev]
        gname = self.gnames[id(node)]
        uses = len(self.consumers.get(id(parent), []))
        sign = "+=" if uses > 1 else "="
        so_far = f" (so far {_show(total)})" if uses > 1 and total is not g else ""
        target = self.gnames.get(id(parent), "")
        left = target if target.startswith("δ") and parent._fn is not None else _d(pname)
        symbol = node._op
        if _is_tensor(node):
            rules = TENSOR_RULES.get(symbol)
            rule = (
                rules[k].format(*[_wrap(n) for n in names], g=gname, y=_wrap(self._name(node)))
                if rules and k < len(rules)
                else f"the {symbol} rule applied to {gname}"
            )
            summed = (
                " (summed over the batch)"
                if np.shape(g) != np.shape(grad_out) and symbol in ("+", "-", "*")
                else ""
            )
            return f"{left} {sign} {rule}{summed} = {_show(g)}{so_far}"
        if symbol == "+":
            return f"{_d(pname)} {sign} {gname} = {_show(g)}{so_far}"
        local = _local_expression(k, names, self._name(node), symbol)
        local_value = _local_value(node, k)
        return (
            f"{left} {sign} {local}·{gname} = {_show(local_value)}·{_show(grad_out)} "
            f"= {_show(g)}{so_far}"
        )

    def end(self) -> Frame:
        lines = ["Done: every value has its gradient ∂L/∂(value)."]
        if self.checked:
            worst = max(
                float(np.max(np.abs(np.asarray(a) - np.asarray(b)))) for _, a, b in self.checked
            )
            lines.append(
                f"{len(self.checked)} error signals δ from autodiff and from backprop.py's "
                f"formulas; largest difference {worst:.3g}."
            )
        params = [n for n in self.order if n._fn is None and id(n) in self.running]
        shown = ", ".join(f"{_d(self._name(n))} = {_show(self.running[id(n)])}" for n in params[:8])
        if shown:
            more = f", … ({len(params) - 8} more)" if len(params) > 8 else ""
            lines.append(shown + more)
        return Frame("end", caption="\n".join(lines))


def _cap(lines: list[str], limit: int = 14) -> list[str]:
    """At most ``limit`` caption lines; the rest counted."""
    if len(lines) <= limit:
        return lines
    return [*lines[: limit - 1], f"… and {len(lines) - limit + 1} more lines"]


def _local_expression(k: int, names: list[str], name: str, symbol: str) -> str:
    """∂(node)/∂(parent k) as an expression of the names (``name`` is the node's own)."""
    if symbol.startswith("**") and len(names) == 1:
        p = symbol[2:]
        return f"{p}·{_wrap(names[0])}" if p in ("2", "2.0") else f"{p}·{_wrap(names[0])}^({p} − 1)"
    rules = LOCAL.get(symbol)
    if rules is None or k >= len(rules):
        return f"∂{symbol}/∂{_wrap(names[k])}"
    return rules[k].format(*[_wrap(n) for n in names], y=_wrap(name))


def _local_value(node, k: int) -> float:
    grads = node._fn.backward(1.0, node.data, *[p.data for p in node._prev])
    return float(grads[k])

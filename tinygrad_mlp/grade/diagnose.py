"""Why a step is wrong: the person's array against the right one and its usual wrong twins.

Each twin is computed, not guessed: the sweep of :mod:`tinygrad_mlp.grade.graph` is run
from the person's own downstream gradients with one op's rule swapped for a usual
mistake (an activation's derivative at the wrong place, relu's mask from another
tensor, a weight where its transpose belongs, another layer's numbers), or the right
array is reshaped the usual wrong ways (transposed, a broadcast's sum forgotten or over
the wrong axis, off by a constant factor).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from tinygrad_mlp import elementwise
from tinygrad_mlp.grade.graph import Graph, Group, sweep
from tinygrad_mlp.grade.steps import activation_of

__all__ = ["diagnose", "near"]


def near(p: np.ndarray, q: np.ndarray, tol: float, floor: float = 0.0) -> bool:
    """True when ``p`` and ``q`` have one shape and differ by at most ``tol`` of their scale."""
    if np.shape(p) != np.shape(q):
        return False
    p, q = np.asarray(p, np.float64), np.asarray(q, np.float64)
    if not (np.isfinite(p).all() and np.isfinite(q).all()):
        return False
    scale = max(float(np.abs(p).max(initial=0.0)), float(np.abs(q).max(initial=0.0)), floor)
    return float(np.abs(p - q).max(initial=0.0)) <= tol * scale


def _fraction(c: float, n: int) -> str | None:
    """Words for a usual constant factor ``c`` (n the batch size), or None."""
    named = [(2.0, "twice"), (0.5, "half"), (-1.0, "minus"), (-2.0, "minus twice")]
    named += [(-0.5, "minus half")]
    if n > 2:
        named += [(1.0 / n, f"1/{n} times (divided by the batch size n = {n})")]
        named += [(float(n), f"{n} times (the batch size n = {n})")]
    for value, words in named:
        if abs(c - value) <= 1e-6 * abs(value):
            return words
    return None


def diagnose(
    graph: Graph,
    group: Group,
    person: np.ndarray,
    expected: np.ndarray,
    raw: np.ndarray | None,
    overrides: dict,
    groups: dict[str, Group],
    others: dict[str, np.ndarray],
    tol: float,
    floor: float,
) -> str:
    """One plain sentence saying how ``person`` differs from ``expected`` for ``group``.

    Args:
        graph: the loss's graph.
        group: the node(s) graded.
        person: the person's gradient of them.
        expected: the chain rule's, from the person's own downstream gradients.
        raw: the contributions to a single node before unbroadcasting (or None).
        overrides: node → the person's gradient, for the sweep.
        groups: every named group of the graph, by name.
        others: the expected gradients of the other given groups, by name.
        tol: how near counts as equal (relative to the arrays' scale).
        floor: the smallest scale ``tol`` is taken of.
    """
    name = group.name
    p = np.asarray(person, np.float64)
    e = np.asarray(expected, np.float64)

    def same(q: np.ndarray) -> bool:
        return near(p, q, tol, floor) and not near(e, q, tol, floor)

    if p.shape != e.shape:
        return _shape_sentence(name, p, e, raw, tol, floor)
    if e.ndim == 2 and e.shape[0] == e.shape[1] and same(e.T):
        return f"d{name} is transposed: it is the right gradient's transpose."
    if raw is not None and raw.shape != e.shape:
        for axis, total in _wrong_sums(raw, e.shape):
            if same(total):
                return (
                    f"d{name} sums the broadcast gradient over axis {axis} where the sum "
                    f"belongs over the batch axis 0."
                )
    batch = _batch_size(graph, groups)
    dot = float((e * e).sum())
    if dot > 0 and np.isfinite(p).all():
        c = float((p * e).sum()) / dot
        words = _fraction(c, batch)
        if words is not None and near(p, c * e, tol, floor):
            if c == -1.0 or abs(c + 1.0) < 1e-6:
                return f"d{name} has the wrong sign: it is minus the right gradient."
            return f"d{name} is off by a constant factor: it is {words} the right gradient."
    for sentence, variant in _twins(graph, group, overrides, groups):
        if same(variant):
            return sentence
    if p.ndim == 2:
        sentence = _softmax_sentence(name, group, p, e, tol, floor)
        if sentence:
            return sentence
    for other, value in others.items():
        if other != name and same(value):
            return f"d{name} is the gradient of {other}: the right formula on the wrong layer."
    return _unknown(name, p, e, tol, floor)


def _shape_sentence(name, p, e, raw, tol, floor) -> str:
    if p.shape == e.T.shape and near(p, e.T, tol, floor):
        return f"d{name} is transposed: it has shape {p.shape} where {e.shape} belongs."
    if raw is not None:
        if near(p, raw, tol, floor):
            return (
                f"d{name} forgets to sum over the batch: {name} was broadcast in the forward "
                f"pass, so its gradient of shape {raw.shape} must be summed to {e.shape}."
            )
        for axis, total in _wrong_sums(raw, None):
            if np.size(total) == p.size and near(p.reshape(np.shape(total)), total, tol, floor):
                return (
                    f"d{name} sums the broadcast gradient over axis {axis} where the sum "
                    f"belongs over the batch axis 0."
                )
    return f"d{name} has shape {p.shape} where {name}'s shape {e.shape} belongs."


def _wrong_sums(raw: np.ndarray, shape: tuple | None) -> Iterator[tuple[int, np.ndarray]]:
    for axis in range(1, raw.ndim):
        total = raw.sum(axis=axis)
        if shape is None or total.shape == shape:
            yield axis, total


def _batch_size(graph: Graph, groups: dict[str, Group]) -> int:
    sizes = [n.data.shape[0] for n in graph.order if getattr(n.data, "ndim", 0) >= 2]
    sizes += [g.shape[0] for g in groups.values() if len(g.shape) >= 2]
    return max(sizes, default=1)


def _softmax_sentence(name, group, p, e, tol, floor) -> str | None:
    s = group.data()
    if s.shape != p.shape:
        return None
    shifted = np.exp(s - s.max(axis=-1, keepdims=True))
    soft = shifted / shifted.sum(axis=-1, keepdims=True)
    for scale in (1.0, 1.0 / len(s)):
        if near(p, soft * scale, tol, floor):
            return (
                f"d{name} is softmax({name}) without subtracting the one-hot targets: "
                f"softmax with cross-entropy gives (softmax({name}) - onehot)/N."
            )
    return None


def _unknown(name, p, e, tol, floor) -> str:
    diff = np.abs(p - e)
    where = np.unravel_index(int(np.nanargmax(diff)), diff.shape) if diff.size else ()
    scale = max(float(np.abs(e).max(initial=0.0)), floor)
    wrong = int((diff > tol * scale).sum())
    at = f" at {list(map(int, where))}" if where else ""
    return (
        f"d{name} matches none of the usual mistakes: {wrong} of {diff.size} entries differ, "
        f"the largest by {float(diff.max(initial=0.0)):.3g}{at} "
        f"(yours {float(p[where]):.6g}, the chain rule's {float(e[where]):.6g})."
    )


# --------------------------------------------------------------------------- twins


def _region(graph: Graph, group: Group, overrides: dict) -> list:
    """The ops whose rules carry the gradient from the given nodes after ``group`` to it."""
    found: list = []
    seen: set = set()
    todo = list(group.nodes)
    while todo:
        n = todo.pop()
        for c, _ in graph.consumers.get(n, []):
            if c in seen:
                continue
            seen.add(c)
            found.append(c)
            if c not in overrides:
                todo.append(c)
    return found


def _members(groups: dict[str, Group]) -> dict:
    """node → (group, index) for every named node."""
    where = {}
    for g in groups.values():
        for k, node in enumerate(g.nodes):
            where[node] = (g, None if g.index is None else g.index[k])
    return where


def _twins(
    graph: Graph, group: Group, overrides: dict, groups: dict[str, Group]
) -> Iterator[tuple[str, np.ndarray]]:
    """(sentence, the gradient that mistake gives) for each usual mistake that applies."""
    region = _region(graph, group, overrides)
    members = _members(groups)

    def run(rules: dict) -> np.ndarray:
        computed, _ = sweep(graph, overrides, rules)
        return group.assemble(computed)

    kinds: dict[str, list[tuple[Any, Callable]]] = {}
    for node in region:
        for key, sentence, rule in _rules_for(node, graph, members, groups):
            kinds.setdefault(key + "\0" + sentence, []).append((node, rule))
    for key, pairs in kinds.items():
        sentence = key.split("\0", 1)[1]
        yield sentence, run(dict(pairs))
        if len(pairs) > 1:
            for node, rule in pairs:
                yield sentence, run({node: rule})


def _name(node: Any, members: dict, fallback: str) -> str:
    if node.label:
        return node.label
    if node in members:
        g, idx = members[node]
        return g.name
    return fallback


def _group_name(node: Any, members: dict, fallback: str) -> str:
    return members[node][0].name if node in members else (node.label or fallback)


def _rules_for(node: Any, graph: Graph, members: dict, groups: dict) -> Iterator:
    """(kind, sentence, rule) for each usual mistake at op ``node``."""
    fn = node._fn
    cls = fn.__name__ if isinstance(fn, type) else type(fn).__name__
    act = activation_of(fn)
    if act is not None:
        yield from _activation_rules(node, act, graph, members, groups)
        return
    if cls in ("MatMul", "MatMulT") and len(node._prev) == 2:
        a, b = node._prev
        if b.data.ndim == 2 and b.data.shape[0] == b.data.shape[1]:
            w = _group_name(b, members, "the weight")
            if cls == "MatMul":  # dL/da = g @ bᵀ; the mistake: g @ b

                def rule(g, out, a_, b_):
                    return g @ b_, a_.swapaxes(-1, -2) @ g

                yield "T", f"{w} is used where its transpose {w}ᵀ belongs.", rule
            else:  # x @ Wᵀ: dL/dx = g @ W; the mistake: g @ Wᵀ

                def rule_t(g, out, a_, b_):
                    return g @ b_.T, g.T @ a_

                yield "T", f"{w}ᵀ is used where {w} belongs (a transpose too many).", rule_t
    if cls == "Mul" and len(node._prev) == 2:
        yield from _scalar_mul_rules(node, members, groups)
    yield from _other_layer_rules(node, cls, members, groups)


def _row(act: str) -> tuple[Any, tuple]:
    row = elementwise.FUNCTIONS[act] if act != "linear" else None
    params = () if row is None else tuple(default for _, default in row.params)
    return row, params


def _activation_rules(node, act, graph, members, groups) -> Iterator:
    row, params = _row(act)
    if row is None:
        return
    fn = node._fn
    own = tuple(getattr(fn, "params", ()) or ()) or params
    out_name = _group_name(node, members, "the activation")
    s_name = _group_name(node._prev[0], members, "s")

    def deriv(a, y):
        d = row.derivative(np.asarray(a), np.asarray(y), *own)
        return 0.0 if d is None else d

    def at_output(g, out, a):
        return (g * deriv(out, row.forward(np.asarray(out), *own)),)

    def from_output_at_input(g, out, a):
        return (g * deriv(a, a),)

    def left_out(g, out, a):
        return (g,)

    scalar = not hasattr(node.data, "shape")

    def cast(rule):
        if not scalar:
            return rule
        return lambda g, out, a: (float(rule(g, out, a)[0]),)

    yield (
        "act-out",
        f"{act}'s derivative is evaluated at its output {out_name} where it belongs at "
        f"its input {s_name}: f'({out_name}) in place of f'({s_name}).",
        cast(at_output),
    )
    if act in ("tanh", "sigmoid"):
        from tinygrad_mlp.explain.formulas import derivative

        yield (
            "act-in",
            f"{act}'s derivative is written from its output but fed its input {s_name}: "
            f"{derivative(act, a=s_name)} where {derivative(act, a=out_name)} belongs.",
            cast(from_output_at_input),
        )
    yield (
        "act-none",
        f"{act}'s derivative is left out: d{out_name} is passed to {s_name} without "
        f"multiplying by f'({s_name}).",
        cast(left_out),
    )
    if act == "relu":

        def upstream_mask(g, out, a):
            return (g * (g > 0),)

        yield (
            "mask-g",
            f"relu's mask is taken from the upstream gradient d{out_name} where it belongs "
            f"to its input {s_name} ([{s_name} > 0]).",
            cast(upstream_mask),
        )
        if node in members:
            here, idx = members[node]
            for other in groups.values():
                if other.shape != here.shape or other is here:
                    continue
                twin = other.nodes[0] if idx is None else _element(other, idx)
                if twin is None or twin is node._prev[0]:
                    continue

                mask = np.asarray(twin.data) > 0

                def other_mask(g, out, a, _m=mask):
                    return (g * _m,)

                yield (
                    "mask-" + other.name,
                    f"relu's mask is taken from {other.name} where it belongs to its input "
                    f"{s_name} ([{s_name} > 0]).",
                    cast(other_mask),
                )
    # the same derivative with another layer's numbers
    if node in members:
        g_here, idx = members[node]
        for other in groups.values():
            if other is g_here or other.shape != g_here.shape:
                continue
            twin = other.nodes[0] if idx is None else _element(other, idx)
            if twin is None or activation_of(twin._fn) != act:
                continue
            y_alt, a_alt = twin.data, twin._prev[0].data

            def rule(g, out, a, _y=y_alt, _a=a_alt):
                return (g * deriv(_a, _y),)

            yield (
                "layer-" + other.name,
                f"{act}'s derivative uses {other.name} where {g_here.name} belongs: "
                f"the right formula on the wrong layer.",
                cast(rule),
            )


def _element(group: Group, idx: tuple) -> Any:
    for node, i in zip(group.nodes, group.index or [], strict=False):
        if i == idx:
            return node
    return None


def _scalar_mul_rules(node, members, groups) -> Iterator:
    """On the scalar engine: a weight element swapped for its transpose's."""
    for k, operand in enumerate(node._prev):
        if operand not in members:
            continue
        group, idx = members[operand]
        if idx is None or len(idx) != 2 or group.shape[0] != group.shape[1]:
            continue
        partner = _element(group, (idx[1], idx[0]))
        if partner is None:
            continue
        swapped = [p.data for p in node._prev]
        swapped[k] = partner.data

        def rule(g, out, a, b, _s=tuple(swapped), _k=k):
            return (g * _s[1], g * _s[0])

        yield "T", f"{group.name} is used where its transpose {group.name}ᵀ belongs.", rule


def _other_layer_rules(node, cls, members, groups) -> Iterator:
    """An operand of the op swapped for the same-shaped numbers of another named group."""
    if cls not in ("Mul", "MatMul", "MatMulT"):
        return
    for k, operand in enumerate(node._prev):
        if operand not in members:
            continue
        group, idx = members[operand]
        for other in groups.values():
            if other is group or other.shape != group.shape:
                continue
            twin = other.nodes[0] if idx is None else _element(other, idx)
            if twin is None:
                continue
            datas = [p.data for p in node._prev]
            datas[k] = twin.data

            def rule(g, out, *inputs, _d=tuple(datas), _fn=node._fn):
                return _fn.backward(g, out, *_d)

            yield (
                "layer-" + other.name,
                f"{other.name} is used where {group.name} belongs: the right formula on the "
                f"wrong layer.",
                rule,
            )

"""The correct chain rule step for a node, written from the op types of its graph.

``dh = dlogits @ W2ᵀ``: from the node's consumers up to the nearest nodes whose
gradients the person gave (or the loss), each edge written with the template of
:data:`tinygrad_mlp.explain.formulas.CHAIN` for its op, and f'(s) with the registry's
derivative (:func:`tinygrad_mlp.explain.formulas.derivative`), the template ``explain``
shows too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp.grade.graph import Graph
from tinygrad_mlp.names import ACTIVATIONS

__all__ = ["activation_of", "chain_step", "display"]

_LONGEST = 240  # characters: a longer step is summarised
_DEEPEST = 10  # ops between a node and the named nodes after it


def activation_of(fn: Any) -> str | None:
    """The vocabulary's name of an activation op (``tanh``, ``relu``, ``gelu``...), else None."""
    symbol = getattr(fn, "symbol", None)
    symbol = {"ReLU": "relu"}.get(symbol, symbol)
    return symbol if symbol in ACTIVATIONS else None


def display(node: Any, notation: str) -> str:
    """A node's name in a formula: its label, or what made it."""
    if node.label:
        name = node.label
    elif node._fn is None:
        data = np.asarray(node.data)
        name = f"{float(data.reshape(-1)[0]):g}" if data.size == 1 else "x"
    else:
        name = "s" if activation_of(node._fn) is None else f"{node._fn.symbol}(…)"
    if notation == "tex":
        return r"\mathrm{" + name.replace("_", r"\_").replace("…", r"\ldots") + "}"
    return name


def _grad_name(node: Any, notation: str) -> str:
    return ("d" if notation == "text" else "d") + display(node, notation)


def _wrap(text: str) -> str:
    """``text`` in parentheses unless it is one term already."""
    if " " not in text:
        return text
    depth = 0
    for k, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth == 0 and k < len(text) - 1:
            return f"({text})"
    return text


def chain_step(graph: Graph, node: Any, stops: set, notation: str = "text") -> str:
    """The right-hand side of ``d<node> = ...`` from the gradients of ``stops`` (given nodes).

    Args:
        graph: the loss's graph.
        node: the node whose gradient is written.
        stops: nodes whose gradients are taken as given (the person's), besides the loss.
        notation: "text" or "tex".
    """
    from tinygrad_mlp.explain.formulas import DELTA, derivative, step

    def grad_of(n: Any, depth: int) -> str:
        if n is graph.loss:
            return "1"
        if n in stops and n is not node:
            return _grad_name(n, notation)
        if depth > _DEEPEST:
            raise _TooLong
        terms = [edge(c, k, depth) for c, k in graph.consumers.get(n, [])]
        text = " + ".join(t for t in terms if t)
        if len(text) > _LONGEST:
            raise _TooLong
        return text or "0"

    def edge(c: Any, k: int, depth: int) -> str:
        fn = c._fn
        cls = fn.__name__ if isinstance(fn, type) else type(fn).__name__
        a = c._prev[0]
        b = c._prev[1] if len(c._prev) > 1 else None
        names = {
            "a": display(a, notation),
            "b": display(b, notation) if b is not None else "",
            "out": display(c, notation),
            "op": str(fn.symbol),
        }
        if cls == "LogSoftmax" and _reaches_loss_unnamed(graph, c, stops):
            rule = DELTA["softmax"].symbolic(notation).format()  # the template explain shows
            return rule.replace("(s)", f"({names['a']})")
        g = _wrap(grad_of(c, depth + 1))
        if g == "1":  # the loss itself: its gradient is 1, left unwritten
            if cls == "HalfSquaredError":
                return f"({names['a']} - z)"
            if cls == "Mul":
                other = c._prev[1 - k] if len(c._prev) == 2 else c._prev[0]
                return display(other, notation)
        act = activation_of(fn)
        if act is not None:
            s_name = names["a"]
            deriv = derivative(act, notation, a=names["out"], s=s_name)
            return step("activation", notation, g=g, deriv=deriv) if deriv != "1" else g
        if cls in ("Add", "Sub") or (cls == "Neg"):
            if cls == "Neg" or (cls == "Sub" and k == 1):
                return step("neg", notation, g=g)
            parent = c._prev[k]
            broadcast = hasattr(parent.data, "shape") and parent.data.shape != c.data.shape
            return step("add_batch" if broadcast else "add", notation, g=g)
        if cls == "Mul":
            other = c._prev[1 - k] if len(c._prev) == 2 else c._prev[0]
            return step("mul", notation, g=g, other=display(other, notation))
        if cls == "Div":
            return step("div_a" if k == 0 else "div_b", notation, g=g, **names)
        if cls == "MatMul" and b is not None and _unnamed_transpose(b):
            names["b"] = display(b._prev[0], notation)
            return step("matmul_t_a" if k == 0 else "matmul_t_b", notation, g=g, **names)
        if cls == "MatMul":
            return step("matmul_a" if k == 0 else "matmul_b", notation, g=g, **names)
        if cls == "MatMulT":
            return step("matmul_t_a" if k == 0 else "matmul_t_b", notation, g=g, **names)
        kind = {
            "Exp": "exp",
            "Log": "log",
            "Sum": "sum",
            "Transpose": "transpose",
            "Reshape": "reshape",
            "LogSoftmax": "log_softmax",
            "HalfSquaredError": "half_squared_error",
        }.get(cls, "other")
        return step(kind, notation, g=g, **names)

    try:
        return grad_of(node, 0)
    except _TooLong:
        return (
            "the chain rule through every op up to the loss"
            if notation == "text"
            else r"\text{the chain rule through every op up to the loss}"
        )


def _unnamed_transpose(node: Any) -> bool:
    fn = node._fn
    return (
        not node.label
        and fn is not None
        and (fn.__name__ if isinstance(fn, type) else type(fn).__name__) == "Transpose"
        and bool(node._prev[0].label)
    )


class _TooLong(Exception):
    """The step is too long to show."""


def _reaches_loss_unnamed(graph: Graph, start: Any, stops: set) -> bool:
    """True when every path from ``start`` to the loss passes no given node."""
    seen = {start}
    todo = [start]
    while todo:
        n = todo.pop()
        if n is not start and n in stops:
            return False
        for c, _ in graph.consumers.get(n, []):
            if c not in seen:
                seen.add(c)
                todo.append(c)
    return True

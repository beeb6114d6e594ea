"""micrograd's graph drawing (``trace_graph.ipynb``): ``trace`` and ``draw_dot``.

The same nodes and edges as the notebook's function: a record per value named by its
``id``, an op node named ``id + op`` pointing at it, and an edge from each child to
the op node of its parent. The walk does not recurse, so deep graphs draw too. For
the richer picture (clusters per neuron, gradient colours, local derivatives) use
:func:`tinygrad_mlp.viz.draw_graph`, which accepts these values as well.
"""

from __future__ import annotations

from typing import Any

import graphviz

__all__ = ["draw_dot", "trace"]


def trace(root: Any) -> tuple[set, set]:
    """Every value reachable from ``root`` through ``_prev``, and every (child, parent) edge.

    >>> from tinygrad_mlp.micrograd.engine import Value
    >>> a = Value(2.0)
    >>> nodes, edges = trace(a * a + 1)
    >>> len(nodes), len(edges)
    (4, 3)
    """
    nodes, edges = {root}, set()
    stack = [root]
    while stack:
        v = stack.pop()
        for child in v._prev:
            edges.add((child, v))
            if child not in nodes:
                nodes.add(child)
                stack.append(child)
    return nodes, edges


def draw_dot(root: Any, format: str = "svg", rankdir: str = "LR") -> graphviz.Digraph:
    """The computation graph of ``root`` as a ``graphviz.Digraph``, micrograd style.

    Args:
        root: the value whose graph to draw.
        format: the render format, e.g. "svg" or "png".
        rankdir: "LR" (left to right) or "TB" (top to bottom).

    Returns:
        The digraph; it shows itself in Jupyter, ``.render(name)`` writes a file.

    Each value is a record ``{ data | grad }`` (``{ label | data | grad }`` when it
    has a label, as in the lecture).

    >>> from tinygrad_mlp.micrograd.engine import Value
    >>> x = Value(1.0)
    >>> y = (x * 2 + 1).relu()
    >>> y.backward()
    >>> dot = draw_dot(y)
    >>> sum("->" in line for line in dot.body)  # 3 ops into their values, 5 values into ops
    8
    """
    if rankdir not in ("LR", "TB"):
        raise ValueError(f"rankdir must be 'LR' or 'TB', got {rankdir!r}")
    nodes, edges = trace(root)
    dot = graphviz.Digraph(format=format, graph_attr={"rankdir": rankdir})
    for n in nodes:
        uid = str(id(n))
        numbers = f"data {n.data:.4f} | grad {n.grad:.4f}"
        label = f"{{ {n.label} | {numbers} }}" if n.label else f"{{ {numbers} }}"
        dot.node(name=uid, label=label, shape="record")
        if n._op:
            dot.node(name=uid + n._op, label=n._op)
            dot.edge(uid + n._op, uid)
    for child, parent in edges:
        dot.edge(str(id(child)), str(id(parent)) + parent._op)
    return dot

"""The graph as the grader sees it: named groups of nodes and a sweep that can be steered.

A *group* is what a person names: one ``Tensor`` node (``h``), or on the scalar engine
the ``Value`` nodes whose labels index one name (``h[0]``, ``h[1]``, or the sheet's
``wh[0][2][1]`` in ``wh[0]``). :func:`sweep` is the backward sweep run with each op's own
``backward(grad_out, out, *inputs)``, where the gradients of chosen nodes are replaced
(by a person's values) and the rule of chosen nodes swapped (for a usual mistake).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_mlp.autograd import toposort, unbroadcast, walk
from tinygrad_mlp.labels import KINDS

__all__ = ["Graph", "Group", "raw_of", "sweep"]

_INDEXED = re.compile(r"^(.*?)((?:\[\d+\])+)$")
_HIDDEN_HEADS = {heads[0] for heads in KINDS.values()}


def _indices(text: str) -> tuple[int, ...]:
    return tuple(int(k) for k in re.findall(r"\[(\d+)\]", text))


@dataclass
class Group:
    """Nodes under one name: a single node (``index`` None) or scalars by index."""

    name: str
    nodes: list
    index: list | None = None
    shape: tuple = ()
    first: int = 0  # position of its first node in the forward walk

    @property
    def scalar(self) -> bool:
        """True for ``Value`` nodes (floats), False for one ``Tensor`` node."""
        return self.index is not None or not hasattr(self.nodes[0].data, "shape")

    def assemble(self, per_node: dict, dtype: Any = np.float64) -> np.ndarray:
        """An array of this group's shape from a node → number (or array) mapping; 0 if absent."""
        if self.index is None:
            g = per_node.get(self.nodes[0])
            data = np.asarray(self.nodes[0].data)
            return np.zeros(data.shape, dtype) if g is None else np.asarray(g, dtype=dtype)
        out = np.zeros(self.shape, dtype)
        for node, idx in zip(self.nodes, self.index, strict=True):
            g = per_node.get(node)
            out[idx] = 0.0 if g is None else float(g)
        return out

    def data(self) -> np.ndarray:
        """The forward values, as one array."""
        return self.assemble({n: n.data for n in self.nodes})

    def split(self, array: np.ndarray) -> dict:
        """node → its part of ``array`` (a float for a ``Value``, the array for a ``Tensor``)."""
        if self.index is None:
            node = self.nodes[0]
            if not hasattr(node.data, "shape"):
                return {node: float(np.asarray(array).reshape(-1)[0])}
            return {node: np.asarray(array, dtype=node.data.dtype)}
        return {n: float(array[idx]) for n, idx in zip(self.nodes, self.index, strict=True)}

    def dtype(self) -> np.dtype:
        """The nodes' float type (float64 for ``Value``)."""
        data = self.nodes[0].data
        return data.dtype if hasattr(data, "dtype") else np.dtype(np.float64)


@dataclass
class Graph:
    """The loss's graph: its nodes in forward order, consumers, labelled groups."""

    loss: Any
    order: list  # interior nodes, parents first (autograd.toposort)
    nodes: list  # every node, parents first (autograd.walk)
    consumers: dict = field(default_factory=dict)

    @classmethod
    def of(cls, loss: Any) -> Graph:
        """Walk ``loss``'s graph once."""
        if not hasattr(loss, "_fn"):
            raise TypeError(f"grade needs the loss as a Value or Tensor, not {type(loss).__name__}")
        size = np.asarray(loss.data).size
        if size != 1:
            raise ValueError(f"the loss has {size} elements; grade needs a one-element loss")
        if loss._fn is None:
            raise ValueError("the loss is a leaf: it has no graph to grade")
        graph = cls(loss, toposort(loss), walk(loss))
        for node in graph.order:
            for k, parent in enumerate(node._prev):
                graph.consumers.setdefault(parent, []).append((node, k))
        return graph

    def position(self) -> dict:
        """node → its place in the forward walk."""
        return {node: k for k, node in enumerate(self.nodes)}

    def group(self, name: str) -> Group | None:
        """The nodes named ``name``: a node labelled so, or Values labelled ``name[i]...``."""
        where = self.position()
        exact = [n for n in self.nodes if n.label == name]
        if exact:
            node = exact[0]
            return Group(name, [node], None, np.shape(node.data), where[node])
        prefix = name + "["
        members = []
        for node in self.nodes:
            label = node.label
            if label.startswith(prefix) and not hasattr(node.data, "shape"):
                rest = label[len(name) :]
                if re.fullmatch(r"(?:\[\d+\])+", rest):
                    members.append((node, _indices(rest)))
        if not members:
            return None
        depth = {len(idx) for _, idx in members}
        if len(depth) != 1:
            raise ValueError(f"the nodes named {name}[...] mix {sorted(depth)} indices")
        shape = tuple(max(idx[k] for _, idx in members) + 1 for k in range(depth.pop()))
        first = min(where[n] for n, _ in members)
        return Group(name, [n for n, _ in members], [i for _, i in members], shape, first)

    def labelled_names(self) -> list[str]:
        """The names of every labelled node that needs a gradient, grouped, in forward order."""
        names: dict[str, None] = {}
        for node in self.nodes:
            if not node.label or not node.requires_grad:
                continue
            if hasattr(node.data, "shape"):
                names.setdefault(node.label)
                continue
            m = _INDEXED.match(node.label)
            if m is None:
                names.setdefault(node.label)
                continue
            head, idx = m.group(1), _indices(m.group(2))
            if head in _HIDDEN_HEADS and idx:
                head = f"{head}[{idx[0]}]"
            names.setdefault(head)
        return list(names)


Rule = Callable[..., tuple]


def sweep(
    graph: Graph,
    overrides: dict | None = None,
    rules: dict | None = None,
    capture: set | None = None,
) -> tuple[dict, dict]:
    """The backward sweep from the loss, with each op's own ``backward``.

    Args:
        graph: the loss's graph.
        overrides: node → gradient to pass on in place of the one the sweep computed
            (a person's values); the computed one is still reported.
        rules: node → a stand-in for its op's ``backward(grad_out, out, *inputs)``.
        capture: nodes whose contributions are also kept before unbroadcasting.

    Returns:
        (node → its gradient as the sweep computed it, before any override;
        node → the sum of its contributions before unbroadcasting, for ``capture``; on
        the scalar engine a list of (consumer, contribution) pairs).
    """
    overrides = overrides or {}
    rules = rules or {}
    loss = graph.loss
    scalar = not hasattr(loss.data, "shape")
    grads: dict = {loss: 1.0 if scalar else np.ones_like(loss.data)}
    computed: dict = {}
    raw: dict = {}
    with np.errstate(all="ignore"):
        for node in reversed(graph.order):
            g = grads.pop(node, None)
            if g is None:
                continue
            computed[node] = g
            g = overrides.get(node, g)
            inputs = [p.data for p in node._prev]
            rule = rules.get(node)
            if rule is not None:
                in_grads = rule(g, node.data, *inputs)
            else:
                in_grads = node._fn.backward(g, node.data, *inputs)
            for parent, pg in zip(node._prev, in_grads, strict=True):
                if pg is None or not parent.requires_grad:
                    continue
                if scalar:
                    if capture and parent in capture:
                        raw.setdefault(parent, []).append((node, pg))
                else:
                    pg = np.asarray(pg)
                    if capture and parent in capture:
                        raw[parent] = pg if parent not in raw else _add_raw(raw[parent], pg)
                    if pg.shape != parent.data.shape:
                        pg = unbroadcast(pg, parent.data.shape)
                grads[parent] = grads[parent] + pg if parent in grads else pg
    computed.update(grads)  # what is left belongs to leaves
    return computed, raw


def _add_raw(old: np.ndarray, new: np.ndarray) -> np.ndarray:
    try:
        return old + new
    except ValueError:  # contributions of different shapes: keep the first
        return old


def raw_of(group: Group, raw: dict, groups: dict[str, Group], graph: Graph) -> np.ndarray | None:
    """A group's gradient before the forward pass's broadcast was summed away.

    A ``Tensor`` node's is captured by the sweep. A ``Value`` group's is laid out in the
    shape of the one named group that consumes all of it (``b[j]`` feeding ``z[i][j]``
    for every sample i gives an array of z's shape), or None.
    """
    if group.index is None:
        return raw.get(group.nodes[0])
    where = {
        n: (g, i) for g in groups.values() if g.index for n, i in zip(g.nodes, g.index, strict=True)
    }

    def named(consumer: Any) -> Any:
        # NOTE: through a chain of unnamed single-consumer nodes (a running sum) to a name
        while consumer not in where and len(graph.consumers.get(consumer, [])) == 1:
            consumer = graph.consumers[consumer][0][0]
        return consumer

    target = None
    for node in group.nodes:
        for consumer, _ in raw.get(node, []):
            g = where.get(named(consumer), (None, None))[0]
            if g is None or (target is not None and g is not target):
                return None
            target = g
    if target is None or target is group:
        return None
    out = np.zeros(target.shape)
    for node in group.nodes:
        for consumer, pg in raw.get(node, []):
            out[where[named(consumer)][1]] += float(pg)
    return out

"""Recording one run of a step: the events in order, and what the step touched.

A :class:`Recorder` listens through :func:`tinygrad_mlp.autograd.recording` and keeps
one stream of events, in the order they happened:

- ``("node", node)``: an interior node was built (forward, creation order);
- ``("sweep", root, seed)``: ``root.backward(seed)`` started a backward sweep;
- ``("call", fn, args)``: work outside the graph that reports itself (an optimizer's
  ``zero_grad`` and ``step``, ``clip_grad_norm_``), to be called again as it was.

Anything the replay cannot redo is written to ``refusals`` (one sentence each), and
:func:`structure` turns a stream into a comparable key: two runs of a step that build
the same graph, in the same order, with the same op settings, have equal keys.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Recorder", "Unsupported", "optimizers_of", "structure"]


class Unsupported(Exception):
    """A capture the replay cannot redo (the message is one sentence)."""


def optimizers_of(calls: list) -> list:
    """The optimizers among the owners of recorded calls (those with a ``state_dict``)."""
    found: dict[int, Any] = {}
    for fn, _ in calls:
        owner = getattr(fn, "__self__", None)
        if owner is not None and hasattr(owner, "state_dict"):
            found[id(owner)] = owner
    return list(found.values())


class Recorder:
    """Collects a step's events (see the module docstring) during one eager run."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.refusals: list[str] = []
        self._sweeping = False

    def on_forward(self, node: Any) -> None:
        """An interior node was built: keep it, in creation order."""
        self.events.append(("node", node))

    def on_sweep(self, root: Any, seed: Any, create_graph: bool) -> None:
        """``root.backward(seed)`` is about to sweep."""
        if create_graph:
            self.refusals.append("the step differentiates twice (create_graph=True)")
        self.events.append(("sweep", root, seed))
        self._sweeping = True

    def on_backward(self, node: Any, grad_out: Any, parent_grads: Any) -> None:
        """A sweep processed ``node``; a sweep that did not come from ``backward()`` is refused."""
        if not self._sweeping:
            self.refusals.append("the step calls grad(), which a replay does not redo")
            self._sweeping = True

    def on_call(self, fn: Any, *args: Any) -> None:
        """Work outside the graph that a replay calls again (an optimizer's update)."""
        self.events.append(("call", fn, args))
        self._sweeping = False


def _setting(value: Any) -> Any:
    """A hashable summary of one op setting (arrays by shape, dtype and bytes)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "iu":  # NOTE: index arrays may be read from the call's labels
            return ("indices", value.shape, value.dtype.str)
        return ("array", value.shape, value.dtype.str, value.tobytes())
    if isinstance(value, (tuple, list)):
        return tuple(_setting(v) for v in value)
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, (int, float, str, bool, type(None), np.generic)):
        return value
    if isinstance(value, type):
        return value.__qualname__
    return type(value).__qualname__


def op_settings(fn: Any) -> tuple:
    """The op's class and its settings (slots and attributes other than ``needs``)."""
    if isinstance(fn, type):
        return (fn.__module__, fn.__qualname__, ())
    kind = type(fn)
    names = _SLOT_NAMES.get(kind)
    if names is None:
        found: set[str] = set()
        for cls in kind.__mro__:
            slots = getattr(cls, "__slots__", ())
            found.update((slots,) if isinstance(slots, str) else slots)
        found.discard("needs")
        names = _SLOT_NAMES[kind] = tuple(sorted(found))
    own = getattr(fn, "__dict__", None)
    if own:
        names = tuple(sorted(set(names).union(own).difference(("needs",))))
    values = tuple((name, _setting(getattr(fn, name, None))) for name in names)
    return (kind.__module__, kind.__qualname__, values)


#: Per op class, the names of its slots but ``needs``, sorted (see :func:`op_settings`).
_SLOT_NAMES: dict[type, tuple[str, ...]] = {}


def _data_key(data: Any) -> Any:
    if isinstance(data, np.ndarray):
        return (data.shape, data.dtype.str)
    return type(data).__name__


def bound_argument(leaf: Any, args: tuple) -> int | None:
    """The position of the call's argument that ``leaf`` is (or wraps without a copy)."""
    data = leaf.data
    for k, arg in enumerate(args):
        if arg is leaf or (isinstance(arg, np.ndarray) and arg is data):
            return k
        if getattr(arg, "data", None) is data and isinstance(data, np.ndarray):
            return k
    return None


def leaf_name(leaf: Any, args: tuple, constants: dict[int, int]) -> tuple:
    """A name for a leaf that is the same in two runs of a step that use it alike.

    An argument by its position; a parameter (a tensor that requires grad, or an
    element view of one) by its identity, since it lives across calls; any other
    leaf (a constant the step makes) by its order of first use and its value, so that
    a constant made from a Python variable that changed shows as a different graph.
    """
    k = bound_argument(leaf, args)
    if k is not None:
        return ("arg", k)
    tensor = getattr(leaf, "tensor", None)
    if tensor is not None and hasattr(leaf, "index"):  # an element view of a parameter
        return ("param", id(tensor), leaf.index)
    if isinstance(leaf.data, np.ndarray) and leaf.requires_grad:
        return ("param", id(leaf))
    return ("const", constants.setdefault(id(leaf), len(constants)), _setting(leaf.data))


def structure(events: list[tuple], args: tuple) -> tuple:
    """A key for the graph of a run: ops, settings, edges, shapes and dtypes, in order.

    Interior nodes are named by their position in the stream, leaves by
    :func:`leaf_name`. Two runs with equal keys built the same graph.
    """
    position: dict[int, int] = {}
    constants: dict[int, int] = {}
    key: list[tuple] = []
    for event in events:
        kind = event[0]
        if kind == "node":
            node = event[1]
            parents = tuple(
                ("n", position[id(p)]) if id(p) in position else leaf_name(p, args, constants)
                for p in node._prev
            )
            position[id(node)] = len(position)
            key.append(("node", op_settings(node._fn), parents, _data_key(node.data)))
        elif kind == "sweep":
            root = event[1]
            seed = event[2]
            key.append(("sweep", position.get(id(root)), _setting(np.asarray(seed))))
        else:
            fn = event[1]
            owner = getattr(fn, "__self__", None)
            key.append(("call", getattr(fn, "__qualname__", repr(fn)), id(owner), len(event[2])))
    return tuple(key)

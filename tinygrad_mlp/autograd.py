"""The graph core shared by :class:`~tinygrad_mlp.value.Value` and
:class:`~tinygrad_mlp.tensor.Tensor`.

A node is anything with four attributes (the protocol both front-ends follow):

- ``data``: the forward value (a Python float or a numpy array);
- ``grad``: the gradient of the last ``backward()`` (leaves: summed over calls);
- ``_prev``: a tuple of parent nodes, in argument order (``a * a`` has two edges);
- ``_fn``: the op that made the node (``None`` for a leaf).

An op has ``backward(grad_out, out, *inputs) -> tuple`` returning one gradient per
parent (``None`` where a parent needs none). Its arguments are the upstream
gradient, the op's output and its inputs, so the rule is a pure function of them.

This module owns the topological order, the backward driver, ``no_grad`` and the
graph walk used by rendering. None of it recurses, so a chain of a million nodes
backpropagates at the default recursion limit.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

__all__ = [
    "Op",
    "backward",
    "grad_enabled",
    "is_grad_enabled",
    "no_grad",
    "enable_grad",
    "recording",
    "toposort",
    "unbroadcast",
    "walk",
]


class Op:
    """Base of every differentiable operation.

    ``symbol`` is the short name a graph drawing shows (``"+"``, ``"*"``, ``"tanh"``).
    Subclasses define ``forward`` and, right below it, ``backward``.
    """

    symbol = "?"

    def backward(self, grad_out: Any, out: Any, *inputs: Any) -> tuple:
        raise NotImplementedError(f"{type(self).__name__} cannot be differentiated")


# --------------------------------------------------------------------------- no_grad

_GRAD_ENABLED = True


def is_grad_enabled() -> bool:
    """True unless inside a :func:`no_grad` block."""
    return _GRAD_ENABLED


@contextlib.contextmanager
def grad_enabled(mode: bool) -> Iterator[None]:
    """Turn graph building on or off inside a ``with`` block, restoring it after."""
    global _GRAD_ENABLED
    previous = _GRAD_ENABLED
    _GRAD_ENABLED = mode
    try:
        yield
    finally:
        _GRAD_ENABLED = previous


def no_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: operations inside build no graph (as ``torch.no_grad``).

    >>> from tinygrad_mlp import Value, no_grad
    >>> a = Value(2.0)
    >>> with no_grad():
    ...     b = a * 3
    >>> b._prev
    ()
    """
    return grad_enabled(False)


def enable_grad() -> contextlib.AbstractContextManager[None]:
    """Context manager: graph building back on, even inside :func:`no_grad`."""
    return grad_enabled(True)


# --------------------------------------------------------------------------- recording


class _Recording(threading.local):
    recorder: Any = None


#: The recorder of this thread (see :func:`recording`); None almost always.
_RECORDING = _Recording()


@contextlib.contextmanager
def recording(recorder: Any) -> Iterator[Any]:
    """Report what the engines do to ``recorder``, in the order they do it, in this thread.

    While active, every interior node built with grad enabled is passed to
    ``recorder.on_forward(node)`` right after its creation, and the backward
    driver calls ``recorder.on_backward(node, grad_out, parent_grads)`` for each
    interior node it processes, in its own sweep order: ``grad_out`` is the
    node's total gradient of the sweep, ``parent_grads`` one contribution per
    parent after unbroadcasting (None where a parent gets none). The previous
    recorder is restored on exit, as :func:`no_grad` restores its switch.

    >>> from tinygrad_mlp import Value
    >>> class Names:
    ...     def __init__(self): self.seen = []
    ...     def on_forward(self, node): self.seen.append(("forward", node.data))
    ...     def on_backward(self, node, grad_out, parent_grads):
    ...         self.seen.append(("backward", parent_grads))
    >>> rec = Names()
    >>> with recording(rec):
    ...     y = Value(2.0) * Value(3.0)
    ...     y.backward()
    >>> rec.seen
    [('forward', 6.0), ('backward', (3.0, 2.0))]
    """
    previous = _RECORDING.recorder
    _RECORDING.recorder = recorder
    try:
        yield recorder
    finally:
        _RECORDING.recorder = previous


# --------------------------------------------------------------------------- order


def toposort(root: Any) -> list:
    """Interior nodes reachable from ``root``, every node after all of its parents.

    Leaves (nodes without ``_fn``) are left out: the backward driver adds into
    them directly. An explicit stack of ``(node, parent iterator)`` pairs stands
    in for recursion, so depth is limited by memory only.
    """
    if root._fn is None:
        return []
    order: list = []
    seen = {root}
    stack = [(root, iter(root._prev))]
    push, pop, add = stack.append, stack.pop, seen.add
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent._fn is not None and parent not in seen:
                add(parent)
                push((parent, iter(parent._prev)))
                break
        else:
            pop()
            order.append(node)
    return order


def walk(root: Any) -> list:
    """Every node reachable from ``root`` (leaves included), each once, parents first.

    This is the walk that drawing uses; like :func:`toposort` it does not recurse.
    """
    order: list = []
    seen = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, parents = stack[-1]
        for parent in parents:
            if parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(parent._prev)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


# --------------------------------------------------------------------------- backward


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing numpy broadcasting.

    Leading axes that broadcasting added are summed away, then every axis where
    ``shape`` has a 1 is summed with ``keepdims``. The total is preserved.

    >>> unbroadcast(np.ones((2, 3)), (3,)).tolist()
    [2.0, 2.0, 2.0]
    >>> unbroadcast(np.ones((2, 3)), (2, 1)).tolist()
    [[3.0], [3.0]]
    """
    grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra == 1 and grad.shape[1:] == shape:  # NOTE: the common case, a bias over a batch
        return grad.sum(axis=0)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad.reshape(shape)


def backward(root: Any, grad_root: Any) -> None:
    """Reverse-mode sweep from ``root`` seeded with ``grad_root``.

    Gradients of one sweep live in a dict local to this call; a node feeding
    several consumers receives the sum, and its entry is dropped once passed on.
    Interior nodes end with this sweep's gradient in ``.grad`` (so a drawing can
    show it); leaves *add* it, so two sweeps sum until ``zero_grad()``. Float
    graphs take :func:`_backward_scalars`, the same rules without the dict.
    """
    order = toposort(root)
    if not order:  # the root is a leaf
        root.grad = grad_root if root.grad is None else root.grad + grad_root
        return
    if not hasattr(root.data, "shape"):
        if _RECORDING.recorder is not None:
            _backward_scalars_recorded(order, grad_root, _RECORDING.recorder)
        else:
            _backward_scalars(order, grad_root)
        return
    recorder = _RECORDING.recorder
    grads = {root: grad_root}
    pop = grads.pop
    for node in reversed(order):
        grad = pop(node, None)
        if grad is None:
            continue
        node.grad = grad
        prev = node._prev
        # NOTE: unrolled for one and two parents, the common cases.
        if len(prev) == 2:
            a, b = prev
            in_grads = node._fn.backward(grad, node.data, a.data, b.data)
        elif len(prev) == 1:
            in_grads = node._fn.backward(grad, node.data, prev[0].data)
        else:
            in_grads = node._fn.backward(grad, node.data, *[p.data for p in prev])
        if recorder is not None:
            in_grads = tuple(
                None
                if g is None or not p.requires_grad
                else (unbroadcast(g, p.data.shape) if g.shape != p.data.shape else g)
                for p, g in zip(prev, in_grads, strict=True)
            )
            recorder.on_backward(node, grad, in_grads)
        for parent, g in zip(prev, in_grads, strict=True):
            if g is None or not parent.requires_grad:
                continue
            if g.shape != parent.data.shape:
                g = unbroadcast(g, parent.data.shape)
            if parent._fn is None:  # a leaf: accumulate across sweeps
                if parent.grad is not None:
                    parent.grad = parent.grad + g
                elif g is grad or g.base is not None or not g.flags.writeable:
                    # NOTE: a leaf owns its gradient: never a view of, or the same
                    # array as, another node's, so `p.grad *= c` touches only p.
                    parent.grad = np.array(g)
                else:
                    parent.grad = g
            elif parent in grads:
                grads[parent] = grads[parent] + g
            else:
                grads[parent] = g


def _backward_scalars(order: list, grad_root: float) -> None:
    """The sweep for float nodes: the same rules, with each node's ``.grad`` as its sum.

    NOTE: this is the scalar engine's hot loop. Interior nodes start the sweep at
    0 and collect their consumers' contributions in ``.grad`` itself (a float per
    node, no dict); since ``order`` lists every interior node reachable from the
    root, each is settled before its parents are visited. Leaves are not reset,
    so they sum over sweeps, as in the tensor sweep.
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = grad_root
    for node in reversed(order):
        grad = node.grad
        prev = node._prev
        if len(prev) == 2:
            a, b = prev
            grad_a, grad_b = node._fn.backward(grad, node.data, a.data, b.data)
            a.grad += grad_a
            b.grad += grad_b
        else:
            in_grads = node._fn.backward(grad, node.data, *[p.data for p in prev])
            for parent, g in zip(prev, in_grads, strict=True):
                parent.grad += g


def _backward_scalars_recorded(order: list, grad_root: float, recorder: Any) -> None:
    """:func:`_backward_scalars`, reporting each node to ``recorder`` (see :func:`recording`)."""
    for node in order:
        node.grad = 0.0
    order[-1].grad = grad_root
    for node in reversed(order):
        grad = node.grad
        prev = node._prev
        in_grads = tuple(node._fn.backward(grad, node.data, *[p.data for p in prev]))
        recorder.on_backward(node, grad, in_grads)
        for parent, g in zip(prev, in_grads, strict=True):
            parent.grad += g

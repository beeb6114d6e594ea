"""The graph core shared by :class:`~tinygrad_mlp.value.Value` and
:class:`~tinygrad_mlp.tensor.Tensor`.

A node is anything with four attributes (the protocol both front-ends follow):

- ``data``: the forward value (a Python float or a numpy array);
- ``grad``: the gradient of the last ``backward()`` (leaves: summed over calls);
- ``_prev``: a tuple of parent nodes, in argument order (``a * a`` has two edges);
- ``_fn``: the op that made the node (``None`` for a leaf);

plus ``requires_grad`` and a static ``_constant(data)`` that wraps numbers in a node
of the same engine that needs no gradient. Array nodes also offer ``sum_to_size``
and ``astype`` (the unbroadcast and the cast as ops, used on the graph of a gradient).

An op has ``backward(grad_out, out, *inputs) -> tuple`` returning one gradient per
parent (``None`` where a parent needs none). Its arguments are the upstream
gradient, the op's output and its inputs, so the rule is a pure function of them.
The rule is written once: on the fast first-order path it receives numbers or
arrays; with ``create_graph=True`` it receives the nodes themselves, and the
same operators then build the graph of the gradient, which can be differentiated
again.

This module owns the topological order, the backward driver, :func:`grad`,
``no_grad``, the recording hook and the graph walk used by rendering. None of it
recurses, so a chain of a million nodes backpropagates at the default recursion
limit. The module is long because the sweep is one idea in three forms (floats,
arrays, and nodes for higher orders) that must stay side by side to stay equal.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "Chain",
    "Op",
    "backward",
    "enable_grad",
    "grad",
    "grad_enabled",
    "is_grad_enabled",
    "no_grad",
    "recording",
    "report",
    "toposort",
    "unbroadcast",
    "walk",
]


class Op:
    """Base of every differentiable operation, and the public way to add one.

    A subclass defines ``forward(*inputs)`` on numbers or arrays and, right below
    it, ``backward(grad_out, out, *inputs)`` returning one gradient per input
    (``None`` for an input that needs none). Write ``backward`` with operators
    (``+ - * / ** @``) and methods that numbers, arrays and nodes share
    (``.sum``, ``.reshape``, ``.exp()`` on nodes...) and the same rule gives
    first derivatives on arrays and, on nodes, a graph that can be differentiated
    again. ``symbol`` is the short name a graph drawing shows. ``needs`` is set
    per node by the engine: which inputs require a gradient; ``versions``, set only
    once some tensor was changed in place, holds the version counters of the output
    and the inputs when the node was made (see :func:`check_versions`).

    >>> import numpy as np
    >>> from tinygrad_mlp import Tensor
    >>> class Cube(Op):
    ...     '''y = a**3;  dy/da = 3 a**2.'''
    ...     symbol = "cube"
    ...     def forward(self, a):
    ...         return a**3
    ...     def backward(self, grad_out, out, a):
    ...         return (grad_out * 3 * a**2,)
    >>> x = Tensor([2.0], requires_grad=True)
    >>> Cube.apply(x).sum().backward()
    >>> x.grad.tolist()
    [12.0]
    """

    # NOTE: "versions" lives here, not in TensorOp, so a user's op with empty __slots__
    # still records versions after an in-place change anywhere in the process.
    __slots__ = ("needs", "versions")
    symbol = "?"
    #: An op may offer ``backward_into(grad_out, out, *inputs, grad_last)``: its rule on
    #: arrays, writing the last input's gradient into ``grad_last`` (that input's shape
    #: and dtype), which the array sweep passes when it has a leaf's old array to reuse.
    backward_into: Any = None

    def forward(self, *inputs: Any) -> Any:
        """The op's value on plain data: floats for ``Value``, numpy arrays for ``Tensor``.

        Args:
            *inputs: the inputs' data (never nodes), in the order given to :meth:`apply`;
                options passed to :meth:`apply` are attributes set by ``__init__``.

        Returns:
            The output's data, a float or an array of the shape the op defines.
        """
        raise NotImplementedError(f"{type(self).__name__} has no forward")

    def backward(self, grad_out: Any, out: Any, *inputs: Any) -> tuple:
        """The vector-Jacobian product: from ∂L/∂out, one ∂L/∂xᵢ per input.

        For out = f(x₁, ..., xₙ) it returns (∂L/∂out · ∂f/∂x₁, ..., ∂L/∂out · ∂f/∂xₙ).

        Args:
            grad_out: ∂L/∂out, of the output's shape.
            out: the output this op produced in :meth:`forward` (``exp`` reuses it).
            *inputs: the same inputs :meth:`forward` saw.

        Returns:
            A tuple with one entry per input: its gradient, of that input's shape or the
            broadcast output's (the engine sums broadcast axes away), or ``None`` where
            ``self.needs[i]`` is false or the input is not differentiable. The arguments
            are arrays in a first-order sweep and nodes under ``create_graph=True``, so
            write the rule with operators and methods both share.
        """
        raise NotImplementedError(f"{type(self).__name__} cannot be differentiated")

    @classmethod
    def apply(cls, *inputs: Any, **options: Any) -> Any:
        """Run the op on nodes: ``cls(**options)`` on the inputs' data, recorded in the graph.

        The first input that is a node (a ``Value`` or ``Tensor``) decides the engine;
        the others are lifted into it.
        """
        for x in inputs:
            if hasattr(x, "_apply"):
                return x._apply(cls(**options), *inputs)
        raise TypeError(f"{cls.__name__}.apply needs at least one Value or Tensor input")


# --------------------------------------------------------------------------- modes
# Each thread has its own mode (as torch's grad mode is thread-local): graph
# building on or off, and an optional recorder. The front-ends' hot paths read
# one module global, `_MODE`: True while no thread is inside `no_grad` or
# `recording`, so building a node costs no thread-local lookup; otherwise None,
# and they ask `mode()` for the calling thread's mode.


class _State(threading.local):
    grad = True
    recorder: Any = None


_STATE = _State()
_MODE: bool | None = True
_SPECIAL = 0  # threads whose mode is not plain graph building
_LOCK = threading.Lock()


def mode() -> Any:
    """The calling thread's mode: False (no graph), True (graph), or the active recorder."""
    state = _STATE
    if not state.grad:
        return False
    return True if state.recorder is None else state.recorder


def _plain(state: _State) -> bool:
    return bool(state.grad) and state.recorder is None


class _Switch:
    """Sets the calling thread's mode inside a ``with`` block and restores it after.

    Re-entrant and reusable, as torch's: one stored ``no_grad()`` may be entered
    again, nested or later; each entry restores what it found.
    """

    __slots__ = ("settings", "saved")

    def __init__(self, settings: dict) -> None:
        self.settings = settings
        self.saved: list = []

    def __enter__(self) -> None:
        global _MODE, _SPECIAL
        state = _STATE
        previous = {key: getattr(state, key) for key in self.settings}
        was_plain = _plain(state)
        for key, value in self.settings.items():
            setattr(state, key, value)
        now_plain = _plain(state)
        if was_plain != now_plain:
            with _LOCK:
                _SPECIAL += 1 if was_plain else -1
                _MODE = True if _SPECIAL == 0 else None
        self.saved.append((previous, was_plain, now_plain))

    def __exit__(self, *exc_info: Any) -> None:
        global _MODE, _SPECIAL
        previous, was_plain, now_plain = self.saved.pop()
        state = _STATE
        for key, value in previous.items():
            setattr(state, key, value)
        if was_plain != now_plain:
            with _LOCK:
                _SPECIAL += -1 if was_plain else 1
                _MODE = True if _SPECIAL == 0 else None


def _switch(**settings: Any) -> _Switch:
    return _Switch(settings)


def is_grad_enabled() -> bool:
    """True unless the calling thread is inside a :func:`no_grad` block."""
    return bool(_STATE.grad)


def grad_enabled(mode: bool) -> _Switch:
    """Turn graph building on or off in this thread inside a ``with`` block, restoring it after."""
    return _switch(grad=bool(mode))


def no_grad() -> _Switch:
    """Context manager: operations inside build no graph (as ``torch.no_grad``, per thread).

    >>> from tinygrad_mlp import Value, no_grad
    >>> a = Value(2.0)
    >>> with no_grad():
    ...     b = a * 3
    >>> b._prev
    ()
    """
    return _switch(grad=False)


def enable_grad() -> _Switch:
    """Context manager: graph building back on, even inside :func:`no_grad`."""
    return _switch(grad=True)


def recording(recorder: Any) -> _Switch:
    """Report every interior node built, and every node a backward sweep processes.

    While active in this thread, ``recorder.on_forward(node)`` runs right after each
    interior node is created with grad enabled (in creation order, both engines),
    and each backward sweep calls ``recorder.on_backward(node, grad_out,
    parent_grads)`` for every interior node it processes, in the sweep's order:
    ``grad_out`` is the node's total gradient in this sweep, ``parent_grads`` one
    contribution per parent after unbroadcasting (``None`` where none). The
    previous recorder is restored on exit.

    >>> from tinygrad_mlp import Value
    >>> class Names:
    ...     def __init__(self):
    ...         self.seen = []
    ...     def on_forward(self, node):
    ...         self.seen.append(("forward", node._op))
    ...     def on_backward(self, node, grad_out, parent_grads):
    ...         self.seen.append(("backward", node._op, grad_out, parent_grads))
    >>> names = Names()
    >>> with recording(names):
    ...     y = Value(2.0) * 3.0
    ...     y.backward()
    >>> names.seen
    [('forward', '*'), ('backward', '*', 1.0, (3.0, 2.0))]
    """
    return _switch(recorder=recorder)


# --------------------------------------------------------------------------- versions
# NOTE: torch's version counters. An in-place op bumps its tensor's `_version`; a node
# made after the first in-place op of the process keeps the versions of its output and
# inputs in `_fn.versions` (before it, every version was 0). A sweep checks them only
# once some in-place op has run, so graphs that never meet one pay nothing.

_CHANGED_IN_PLACE = False
_refcount = sys.getrefcount


def changed_in_place() -> None:
    """Note that some node was changed in place: from now on versions are kept and checked."""
    global _CHANGED_IN_PLACE
    _CHANGED_IN_PLACE = True


def check_versions(order: Sequence[Any]) -> None:
    """Refuse a sweep through a node whose output or inputs changed in place since it was made."""
    for node in order:
        fn = node._fn
        if isinstance(fn, type):
            continue  # a class, not a per-node object (the scalar engine): no versions
        current = (
            getattr(node, "_version", 0),
            *[getattr(p, "_version", 0) for p in node._prev],
        )
        saved = getattr(fn, "versions", None) or (0,) * len(current)
        if current != saved:
            k = next(i for i, (a, b) in enumerate(zip(current, saved, strict=True)) if a != b)
            which = "the output" if k == 0 else f"input {k - 1}"
            raise RuntimeError(
                f"{which} of {_op_name(node._fn)} was changed by an in-place operation "
                "after the op saved it; change a copy (x = x + 1), or run the forward again"
            )


def report(event: str, *args: Any) -> None:
    """Tell this thread's recorder, if it has an ``on_<event>`` method, about ``args``.

    Work outside the graph reports itself here so that a recording of a training step
    sees it in order: an optimizer's ``zero_grad`` and ``step`` report
    ``report("call", bound_method)``, and ``backward`` reports
    ``report("sweep", root, grad_root, create_graph)`` before its sweep. Without a
    recorder (the usual case) this is one thread-local read.
    """
    recorder = _STATE.recorder
    if recorder is not None:
        hook = getattr(recorder, "on_" + event, None)
        if hook is not None:
            hook(*args)


# --------------------------------------------------------------------------- order


def toposort(root: Any) -> list:
    """Interior nodes reachable from ``root``, every node after all of its parents.

    Leaves (nodes without ``_fn``) are left out: the backward driver adds into
    them directly. An explicit stack of ``(node, parent iterator)`` pairs stands
    in for recursion, so depth is limited by memory only.
    """
    return _toposort((root,))


class Chain(tuple):
    """The parents of a node that ends a chain of nodes built in one loop, and the chain.

    A builder that makes many nodes at once (a neuron's ``x[0]*w[0] + x[1]*w[1] + ... + b``,
    one node per ``*`` and ``+``) knows a topological order of them as it makes them: the
    order it makes them in. It gives the last node's parents as a ``Chain``, which is the
    plain tuple of parents plus two lists the sort reads: ``inner``, the chain's interior
    nodes in the order made (the last node's parents among them, the last node not), and
    ``outer``, every node from outside the chain that a node of the chain takes as a parent.

    :func:`toposort` then takes ``inner`` in one step instead of walking it node by node:
    it sorts ``outer`` first and puts ``inner`` after it. That is a topological order as
    long as no node of ``inner`` was reached another way before (a node the user built on
    one of them): then the sort walks the chain as any other graph. Either way every node
    comes after its parents, and each node's consumers keep their relative order, so the
    sums of a sweep are the same.
    """

    inner: list
    outer: list


def _toposort(roots: Sequence[Any]) -> list:
    order: list = []
    seen: set = set()
    add, update, isdisjoint, issuperset = seen.add, seen.update, seen.isdisjoint, seen.issuperset
    # NOTE: three parallel stacks (nodes, iterators over their parents, and the chain to
    # put before a node, or None) rather than one of tuples, and leaves marked seen too,
    # so that each later visit of a leaf is one set lookup: the scalar engine's graphs
    # have tens of thousands of nodes. A node whose parents are a Chain that nothing
    # reached yet has its chain's outside parents sorted, then the chain taken whole.
    # NOTE: the roots are the parents of a node that is not there (None at the bottom of
    # the stacks), so that one loop takes roots and parents alike; it comes out last.
    nodes: list = [None]
    parents: list = [iter(roots)]
    chains: list = [None]
    push, pop, push_parents, pop_parents = nodes.append, nodes.pop, parents.append, parents.pop
    push_chain, pop_chain = chains.append, chains.pop
    append, extend = order.append, order.extend
    while nodes:
        for parent in parents[-1]:
            if parent not in seen:
                add(parent)
                if parent._fn is not None:
                    push(parent)
                    prev = parent._prev
                    if type(prev) is Chain and isdisjoint(prev.inner):
                        update(prev.inner)
                        push_parents(_DONE if issuperset(prev.outer) else iter(prev.outer))
                        push_chain(prev.inner)
                    else:
                        push_parents(iter(prev))
                        push_chain(None)
                    break
        else:
            pop_parents()
            inner = pop_chain()
            if inner is not None:
                extend(inner)
            append(pop())
    order.pop()  # the node that is not there
    return order


_DONE = iter(())  # an iterator with nothing left: a chain whose outside parents are all sorted


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


# --------------------------------------------------------------------------- unbroadcast


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...], op: Any = None) -> np.ndarray:
    """Sum ``grad`` down to ``shape``, undoing numpy broadcasting.

    Leading axes that broadcasting added are summed away, then every axis where
    ``shape`` has a 1 is summed with ``keepdims``. The total is preserved. A
    gradient that broadcasting cannot explain (``shape`` does not broadcast to
    its shape) is a bug in the op that produced it: a ValueError names the op
    and both shapes, never a silent reshape.

    >>> unbroadcast(np.ones((2, 3)), (3,)).tolist()
    [2.0, 2.0, 2.0]
    >>> unbroadcast(np.ones((2, 3)), (2, 1)).tolist()
    [[3.0], [3.0]]
    """
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra == 1 and grad.shape[1:] == shape:
        # NOTE: the common case, a bias over a batch: ``grad.sum(axis=0)``, which is this
        # same reduction reached through a Python-level wrapper
        return _add_reduce(grad, 0)
    if extra < 0 or any(n not in (1, m) for n, m in zip(shape, grad.shape[extra:], strict=True)):
        name = "a gradient" if op is None else f"the gradient of {_op_name(op)}"
        raise ValueError(
            f"{name} has shape {grad.shape}, which does not reduce to its input's shape {shape}"
        )
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    ones = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if ones:
        grad = grad.sum(axis=ones, keepdims=True)
    return grad


_add_reduce = np.add.reduce


def _op_name(op: Any) -> str:
    name = op.__name__ if isinstance(op, type) else type(op).__name__
    return f"{name} ({op.symbol!r})"


# --------------------------------------------------------------------------- backward


def backward(root: Any, grad_root: Any, create_graph: bool = False) -> None:
    """Reverse-mode sweep from ``root`` seeded with ``grad_root``.

    Gradients of one sweep live in a dict local to this call; a node feeding
    several consumers receives the sum, and its entry is dropped once passed on.
    Interior nodes end with this sweep's gradient in ``.grad`` (so a drawing can
    show it); leaves *add* it, so two sweeps sum until ``zero_grad()``.

    With ``create_graph`` the rules run on the nodes themselves, so every
    gradient is a node with its own graph. Float graphs take
    :func:`_backward_scalars`, array graphs :func:`_backward_arrays`: the same
    rules on plain numbers, with no per-node checks. A sweep under
    :func:`recording` takes the general sweep, which reports each node.
    """
    if create_graph or _STATE.recorder is not None:
        report("sweep", root, grad_root, create_graph)
        _sweep((root,), (grad_root,), create_graph, _STATE.recorder)
        return
    order = toposort(root)
    if _CHANGED_IN_PLACE:
        check_versions(order)
    if not order:  # the root is a leaf
        _accumulate(root, grad_root)
        return
    if hasattr(root.data, "shape"):
        _backward_arrays(order, grad_root)
    else:
        _backward_scalars(order, grad_root)


def _backward_arrays(order: list, grad_root: np.ndarray) -> None:
    """The first-order sweep for array nodes (the tensor engine's hot loop)."""
    grads = {order[-1]: grad_root}
    pop = grads.pop
    for node in reversed(order):
        grad = pop(node, None)
        if grad is None:
            continue
        node.grad = grad
        fn = node._fn
        prev = node._prev
        # NOTE: unrolled for one and two parents, the common cases.
        if len(prev) == 2:
            a, b = prev
            if (
                fn.backward_into is not None
                and b._fn is None
                and getattr(b, "_spare", None) is not None
                and b.grad is None
            ):
                # NOTE: a layer's weight gradient computed straight into the array the
                # weight had before zero_grad() (see _into_spare), with no copy.
                spare, b._spare = b._spare, None
                data = b.data
                if _sole(spare, 1) and spare.shape == data.shape and spare.dtype == data.dtype:
                    grad_a, grad_b = fn.backward_into(grad, node.data, a.data, data, spare)
                else:
                    grad_a, grad_b = fn.backward(grad, node.data, a.data, data)
                del spare
            else:
                grad_a, grad_b = fn.backward(grad, node.data, a.data, b.data)
            edges: Any = ((a, grad_a), (b, grad_b))
        elif len(prev) == 1:
            a = prev[0]
            (grad_a,) = fn.backward(grad, node.data, a.data)
            edges = ((a, grad_a),)
        else:
            in_grads = fn.backward(grad, node.data, *[p.data for p in prev])
            edges = zip(prev, in_grads, strict=True)
        for parent, g in edges:
            if g is None or not parent.requires_grad:
                continue
            data = parent.data
            shape = data.shape
            if g.shape != shape:
                if g.ndim == len(shape) + 1 and g.shape[1:] == shape:
                    g = _add_reduce(g, 0)  # NOTE: unbroadcast's common case, written out
                else:
                    g = unbroadcast(g, shape, fn)
            if parent._fn is not None:  # NOTE: an interior node, the common case first
                if parent in grads:
                    grads[parent] = grads[parent] + g
                else:
                    grads[parent] = g
                continue
            # a leaf: accumulate across sweeps
            if g.dtype != data.dtype:  # NOTE: as torch, a leaf's gradient has its dtype
                g = g.astype(data.dtype)
            old = parent.grad
            if old is None:
                if getattr(parent, "_spare", None) is not None and _into_spare(parent, g):
                    continue
                if type(g) is np.ndarray and g.base is None and g is not grad and g.flags.writeable:
                    parent.grad = g
                else:
                    # NOTE: a leaf owns its gradient: an array (not a numpy scalar),
                    # never a view of, or the same array as, another node's, so
                    # `p.grad *= c` touches only p.
                    parent.grad = np.array(g)
            elif type(old) is np.ndarray:
                if _sole(old, 2) and old.shape == data.shape and old.dtype == data.dtype:
                    # NOTE: no one else sees this array (the leaf's slot and `old`
                    # are all its references), so the sum is written into it
                    np.add(old, g, out=old)
                    continue
                total = old + g
                # NOTE: numpy gives a scalar for 0-d sums; a gradient is an array
                parent.grad = total if type(total) is np.ndarray else np.asarray(total)
            else:  # a node left by `create_graph=True` (rare)
                _accumulate(parent, g)


def _sole(array: np.ndarray, holders: int) -> bool:
    """True if ``array`` is a writable array of its own memory that nothing but the
    caller refers to (``holders``: the references the caller holds, its locals and
    slots); a view of it is a reference, so a viewed array is never sole."""
    return (
        _refcount(array) == _ONE_HOLDER + holders - 1
        and array.base is None
        and array.flags.writeable
    )


def _held_once() -> int:
    array = np.empty(0)
    return _refcount_in_call(array)


def _refcount_in_call(array: np.ndarray) -> int:
    return _refcount(array)


# NOTE: what the reference count of an array held by one local reads inside _sole's
# call (measured, not assumed, so that another interpreter's counting is followed).
_ONE_HOLDER = _held_once()


def _into_spare(leaf: Any, g: Any) -> bool:
    """Write a leaf's first gradient into the array it held before ``zero_grad()``.

    NOTE: ``zero_grad()`` sets ``.grad`` to None, as torch's, and keeps the array as
    ``_spare``. Writing the new gradient into it, rather than keeping a new array and
    freeing the old one every step, keeps large networks' steps from handing memory
    back to the system and faulting it in again. Only a spare that nothing else refers
    to is reused (a gradient saved by the user before ``zero_grad()`` stays as it was).
    """
    spare = getattr(leaf, "_spare", None)
    if spare is None:
        return False
    leaf._spare = None
    if not (
        _sole(spare, 1) and spare.shape == np.shape(g) and spare.dtype == getattr(g, "dtype", None)
    ):
        return False
    np.copyto(spare, g)
    leaf.grad = spare
    return True


def _backward_scalars(order: list, grad_root: float) -> None:
    """The sweep for float nodes: the same rules, with each node's ``.grad`` as its sum.

    NOTE: this is the scalar engine's hot loop. Interior nodes start the sweep at
    0 and collect their consumers' contributions in ``.grad`` itself (a float per
    node, no dict); since ``order`` lists every interior node reachable from the
    root, each is settled before its parents are visited. Leaves are not reset,
    so they sum over sweeps, as in the tensor sweep. Scalar rules return a number
    for every parent (0.0, not None).
    """
    for node in order:
        node.grad = 0.0
    order[-1].grad = grad_root
    plain = type(order[-1])
    # NOTE: a float engine may name its add and multiply ops (``Value`` does), whose
    # rules the loop below writes out: (g, g) and (g * b, g * a), the same float
    # operations in the same order as ``Add.backward`` and ``Mul.backward``
    # (tests/test_scalar_fast.py holds them equal).
    add, mul = getattr(plain, "_sum_ops", (None, None))
    held: dict = {}
    held_get = held.get
    for node in reversed(order):
        fn = node._fn
        # NOTE: unrolled for the common shapes, most frequent first: a multiply of a node
        # of the root's class by a held parameter view (a weight times an input), an add
        # of two such nodes, or of one and a view (a sum plus a bias); any rule on parents
        # of the root's class. Everything else goes edge by edge.
        if fn is mul:
            a, b = node._prev
            if type(a) is plain:
                grad = node.grad
                if type(b) is not plain:
                    entry = held_get(b, _MISSING)
                    if entry is _MISSING:
                        entry = _hold(b, held)
                    if entry is not None:
                        a.grad += grad * entry[0]
                        entry[1] += grad * a.data
                        continue
                else:
                    a.grad += grad * b.data
                    b.grad += grad * a.data
                    continue
        elif fn is add:
            a, b = node._prev
            if type(a) is plain:
                grad = node.grad
                if type(b) is plain:
                    a.grad += grad
                    b.grad += grad
                    continue
                entry = held_get(b, _MISSING)
                if entry is _MISSING:
                    entry = _hold(b, held)
                if entry is not None:
                    a.grad += grad
                    entry[1] += grad
                    continue
        else:
            prev = node._prev
            if len(prev) == 1:
                a = prev[0]
                if type(a) is plain:
                    (grad_a,) = fn.backward(node.grad, node.data, a.data)
                    a.grad += grad_a
                    continue
            elif len(prev) == 2:
                a, b = prev
                if type(a) is plain and type(b) is plain:
                    grad_a, grad_b = fn.backward(node.grad, node.data, a.data, b.data)
                    a.grad += grad_a
                    b.grad += grad_b
                    continue
        grad = node.grad
        _held_edges(node, grad, plain, held)
    for leaf, entry in held.items():
        if entry is not None:
            leaf.grad = entry[1]


_MISSING = object()  # not yet looked at by a scalar sweep


def _hold(p: Any, held: dict) -> list | None:
    """A leaf of another class's ``[data, grad]`` for the sweep to sum into, or None."""
    hold = getattr(p, "_hold", None) if p._fn is None else None
    entry = held[p] = hold() if hold is not None else None
    return entry


def _held_edges(node: Any, grad: float, plain: type, held: dict) -> None:
    """One node's rule when a parent is a leaf of another class (a parameter view).

    NOTE: a view's ``data`` and ``grad`` are properties over a module's tensors. A
    view that offers ``_hold()`` is read once per sweep; its contributions are summed
    in ``held`` in the order they arrive and written back once at the end: the same
    additions as ``view.grad += g`` edge by edge, without two property calls per edge.
    """
    prev = node._prev
    numbers = []
    for p in prev:
        if type(p) is not plain and p._fn is None:
            entry = held[p] if p in held else _hold(p, held)
            numbers.append(p.data if entry is None else entry[0])
        else:
            numbers.append(p.data)
    in_grads = node._fn.backward(grad, node.data, *numbers)
    for p, g in zip(prev, in_grads, strict=True):
        if g is None:
            continue
        entry = held.get(p) if type(p) is not plain else None
        if entry is None:
            p.grad += g
        else:
            entry[1] += g


def _is_node(x: Any) -> bool:
    return hasattr(x, "_fn")


def _accumulate(leaf: Any, g: Any) -> None:
    """Add ``g`` into a leaf's ``.grad`` (a fresh array when the leaf had none)."""
    old = leaf.grad
    if old is None or (type(old) is float and old == 0.0 and _is_node(g)):
        if isinstance(g, (np.ndarray, np.generic)):
            g = np.array(g)  # NOTE: a leaf owns its gradient array
        leaf.grad = g
    else:
        total = old + g
        leaf.grad = np.asarray(total) if isinstance(total, np.generic) else total


def _fit(g: Any, parent: Any, op: Any) -> Any:
    """The contribution ``g`` summed to ``parent``'s shape and cast to its dtype."""
    data = parent.data
    shape = getattr(data, "shape", None)
    if shape is None:  # a float node: nothing to fit
        return g
    node = _is_node(g)
    if node:
        if g.shape != shape:
            g = g.sum_to_size(shape, op)
        if g.dtype != data.dtype:
            g = g.astype(data.dtype)
        return g
    g = np.asarray(g)
    if g.shape != shape:
        g = unbroadcast(g, shape, op)
    if g.dtype != data.dtype:
        g = g.astype(data.dtype)
    return g


def _sweep(
    roots: Sequence[Any],
    seeds: Sequence[Any],
    create_graph: bool,
    recorder: Any = None,
    targets: Sequence[Any] | None = None,
) -> list | None:
    """The general sweep: first or higher order, into ``.grad`` or into a list.

    With ``targets`` nothing's ``.grad`` is touched: the total gradient of each
    target (a leaf or an interior node) is returned, ``None`` where none arrived.
    """
    order = _toposort(roots)
    if _CHANGED_IN_PLACE:
        check_versions(order)
    grads: dict = {}
    for root, seed in zip(roots, seeds, strict=True):
        grads[root] = grads[root] + seed if root in grads else seed
    wanted = None if targets is None else set(targets)
    found: dict = {}
    with _switch(grad=create_graph):
        for node in reversed(order):
            grad = grads.pop(node, None)
            if grad is None:
                continue
            if wanted is None:
                node.grad = grad
            elif node in wanted:
                found[node] = grad
            fn, prev = node._fn, node._prev
            if create_graph:
                in_grads = fn.backward(grad, node, *prev)
            else:
                in_grads = fn.backward(grad, node.data, *[p.data for p in prev])
            fitted = []
            for parent, g in zip(prev, in_grads, strict=True):
                if g is None or not parent.requires_grad:
                    fitted.append(None)
                    continue
                g = _fit(g, parent, fn)
                fitted.append(g)
                grads[parent] = grads[parent] + g if parent in grads else g
            if recorder is not None:
                recorder.on_backward(node, grad, tuple(fitted))
    # What is left belongs to leaves.
    for leaf, g in grads.items():
        if create_graph and not _is_node(g):
            g = leaf._constant(g)
        if wanted is None:
            _accumulate(leaf, g)
        elif leaf in wanted:
            found[leaf] = g
    if targets is None:
        return None
    results = []
    for t in targets:
        g = found.get(t)
        if g is not None and create_graph and not _is_node(g):
            g = t._constant(g)
        results.append(g)
    return results


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    create_graph: bool = False,
    allow_unused: bool = False,
) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as ``torch.autograd.grad``.

    No ``.grad`` anywhere is touched. With ``create_graph`` the results are nodes
    with their own graph (differentiate them again); without it, numbers or
    arrays.

    Args:
        outputs: a node or a sequence of nodes (Values or Tensors).
        inputs: a node or a sequence of nodes to differentiate with respect to.
        grad_outputs: one seed per output; may be left out for one-element outputs.
        create_graph: build the graph of the gradient.
        allow_unused: return None for an input the outputs do not depend on
            (otherwise that is a ValueError, as in torch).

    Returns:
        A tuple with one gradient per input.

    >>> from tinygrad_mlp import Value, grad
    >>> x = Value(3.0)
    >>> (dx,) = grad(x**3, x, create_graph=True)
    >>> dx.data, grad(dx, x)[0]
    (27.0, 18.0)
    """
    outputs = (outputs,) if _is_node(outputs) else tuple(outputs)
    inputs = (inputs,) if _is_node(inputs) else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif _is_node(grad_outputs) or isinstance(grad_outputs, (np.ndarray, float, int)):
        grad_outputs = (grad_outputs,)
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"{len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    seeds = []
    for k, (out, seed) in enumerate(zip(outputs, grad_outputs, strict=True)):
        if not out.requires_grad:
            raise ValueError(f"output {k} does not require grad and has no graph")
        shape = getattr(out.data, "shape", None)
        if seed is None:
            if shape is not None and out.data.size != 1:
                raise ValueError(
                    f"output {k} has shape {shape}: grad_outputs are needed for more "
                    "than one element"
                )
            seed = 1.0 if shape is None else np.ones_like(out.data)
        elif shape is not None and np.shape(seed) != shape:
            raise ValueError(f"grad_outputs[{k}] has shape {np.shape(seed)}, output {shape}")
        if create_graph and not _is_node(seed):
            seed = out._constant(seed)
        elif not create_graph and _is_node(seed):
            seed = seed.data
        seeds.append(seed)
    for k, x in enumerate(inputs):
        if not x.requires_grad:
            raise ValueError(f"input {k} does not require grad")
    results = _sweep(outputs, seeds, create_graph, _STATE.recorder, targets=inputs)
    for k, g in enumerate(results):
        if g is None and not allow_unused:
            raise ValueError(
                f"input {k} was not used to compute the outputs; pass allow_unused=True "
                "to get None for it"
            )
    return tuple(results)

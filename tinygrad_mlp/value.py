"""``Value``: a scalar node of the autodiff graph, micrograd style.

Every multiply and every add is a node of its own, so the graph of a neuron
shows the cheat sheet's ``s = x[0]*w[0] + x[1]*w[1] + b`` term by term. This
module is the front-end: it picks an op for each operator and method. The rules
(each ``backward`` right under its ``forward``) live in
:mod:`tinygrad_mlp.ops.scalar` and the element-wise table
(:mod:`tinygrad_mlp.elementwise`); the backward driver in
:mod:`tinygrad_mlp.autograd`.

``-a = a * -1``, ``a - b = a + (-b)`` and ``a / b = a * b**-1`` are composed
exactly as micrograd composes them, so micrograd code gives the same numbers.
Numbers follow IEEE arithmetic as numpy and torch do: ``Value(1.0) / 0`` is inf,
``Value(-1.0).log()`` is nan; no math-domain case raises.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp import autograd, elementwise
from tinygrad_mlp.autograd import Chain, Op
from tinygrad_mlp.ops.scalar import (  # noqa: F401  (BCE, BCEWithLogits: named here by losses)
    BCE,
    Add,
    BCEWithLogits,
    Elementwise,
    Exp,
    Extremum,
    Log,
    Mul,
    Pow,
    PowConst,
    Relu,
    Sigmoid,
    Tanh,
)

__all__ = ["Value"]


def _num(a) -> float:
    """The number of a Value, or ``a`` itself (comparisons read numbers, not nodes)."""
    return a.data if isinstance(a, Value) else a


# --------------------------------------------------------------------------- Value


class Value(elementwise.ElementwiseMethods):
    """A scalar that remembers how it was computed.

    Args:
        data: the number.
        label: a name shown in graph drawings (the cheat sheet's ``wh[0][2][1]``).

    >>> a = Value(2.0, label="a")
    >>> b = a * a + a
    >>> b.backward()
    >>> b.data, a.grad
    (6.0, 5.0)
    """

    # NOTE: `module` (the nn module whose output this node is, for drawings) is
    # left unset unless a module tags the node; read it with getattr(node, "module", None).
    __slots__ = ("data", "grad", "label", "_prev", "_fn", "module", "__weakref__")
    requires_grad = True
    #: the add and multiply ops whose rules the scalar sweep writes out (see autograd)
    _sum_ops = (Add, Mul)

    def __init__(self, data: float, label: str = "", _prev: tuple = (), _fn=None) -> None:
        self.data = float(data) if type(data) is not float else data
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._fn = _fn

    @staticmethod
    def _constant(data: float) -> Value:
        """A leaf holding ``data`` (the core wraps numbers with it on higher-order paths)."""
        return Value(data)

    @property
    def _op(self) -> str:
        """The op's symbol ('' for a leaf): the string micrograd's drawing code reads."""
        return "" if self._fn is None else self._fn.symbol

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        grad = self.grad
        grad = f"{grad:.6g}" if isinstance(grad, (float, int)) else repr(grad)
        return f"Value({name}data={self.data:.6g}, grad={grad})"

    # -- building nodes ---------------------------------------------------------

    def _unary(self, fn) -> Value:
        out = fn.forward(self.data)
        if autograd._MODE is True:
            return Value(out, "", (self,), fn)
        return _built(out, (self,), fn)

    def _apply(self, fn: Op, *inputs: Any) -> Value:
        """A node of op ``fn`` on ``inputs`` (numbers are lifted to constant Values)."""
        parents = tuple(x if isinstance(x, Value) else Value(x) for x in inputs)
        if not isinstance(fn, type):  # NOTE: stateless scalar ops are classes, not instances
            fn.needs = (True,) * len(parents)
        out = fn.forward(*[p.data for p in parents])
        return _built(out, parents, fn)

    def __add__(self, other) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        out = self.data + other.data
        if autograd._MODE is True:
            return Value(out, "", (self, other), Add)
        return _built(out, (self, other), Add)

    def __mul__(self, other) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        out = self.data * other.data
        if autograd._MODE is True:
            return Value(out, "", (self, other), Mul)
        return _built(out, (self, other), Mul)

    def __pow__(self, other) -> Value:
        if isinstance(other, Value):
            out = Pow.forward(self.data, other.data)
            if autograd._MODE is True:
                return Value(out, "", (self, other), Pow)
            return _built(out, (self, other), Pow)
        if isinstance(other, (np.integer, np.floating)):
            other = other.item()
        if not isinstance(other, (int, float)):
            raise TypeError(f"Value ** {type(other).__name__} is not supported")
        return self._unary(PowConst(other))

    # -- the core functions: fast twins of rows of the element-wise table ------------

    @elementwise.from_row("exp", twin="tinygrad_mlp.ops.scalar.Exp")
    def exp(self) -> Value:
        return self._unary(Exp)

    @elementwise.from_row("log", twin="tinygrad_mlp.ops.scalar.Log")
    def log(self) -> Value:
        return self._unary(Log)

    @elementwise.from_row("tanh", twin="tinygrad_mlp.ops.scalar.Tanh")
    def tanh(self) -> Value:
        return self._unary(Tanh)

    @elementwise.from_row("sigmoid", twin="tinygrad_mlp.ops.scalar.Sigmoid")
    def sigmoid(self) -> Value:
        return self._unary(Sigmoid)

    @elementwise.from_row("relu", twin="tinygrad_mlp.ops.scalar.Relu")
    def relu(self) -> Value:
        return self._unary(Relu)

    # -- the wider set: every other row of the table (methods of ElementwiseMethods) ---

    def _elementwise(self, name: str, *params: float) -> Value:
        return self._unary(Elementwise(name, params))

    def maximum(self, other: Any) -> Value:
        """max(self, other); the gradient goes to the larger, halved at a tie (as torch)."""
        return self._apply(Extremum(True), self, other)

    def minimum(self, other: Any) -> Value:
        """min(self, other); the gradient goes to the smaller, halved at a tie (as torch)."""
        return self._apply(Extremum(False), self, other)

    def masked_fill(self, mask: bool, value: float) -> Value:
        """A constant ``value`` if ``mask``, else self (the rules' masks on scalars)."""
        return Value(value) if mask else self

    # -- composed ---------------------------------------------------------------

    def __neg__(self) -> Value:
        return self * -1

    def __sub__(self, other) -> Value:
        return self + (-other)

    def __truediv__(self, other) -> Value:
        return self * other**-1

    def __radd__(self, other) -> Value:
        return self + other

    def __rmul__(self, other) -> Value:
        return self * other

    def __rsub__(self, other) -> Value:
        return other + (-self)

    def __rtruediv__(self, other) -> Value:
        return other * self**-1

    def __rpow__(self, other) -> Value:
        return Value(other) ** self

    # -- in place: under no_grad the number changes; with a graph, Python rebinds ------
    # NOTE: outside no_grad `v += 1` makes a new node and the name takes it, which is
    # what torch does for a tensor in a graph (the name now holds the op's output) and
    # leaves every earlier consumer of the old node right. Under no_grad the Value's
    # own number changes, so `p -= lr * p.grad` updates a parameter (and its view).

    def _in_place(self, number: float) -> Value:
        self.data = number
        return self

    def __iadd__(self, other) -> Value:
        if autograd._MODE is True or autograd.is_grad_enabled():
            return self + other
        return self._in_place(self.data + _num(other))

    def __isub__(self, other) -> Value:
        if autograd._MODE is True or autograd.is_grad_enabled():
            return self - other
        return self._in_place(self.data - _num(other))

    def __imul__(self, other) -> Value:
        if autograd._MODE is True or autograd.is_grad_enabled():
            return self * other
        return self._in_place(self.data * _num(other))

    def __itruediv__(self, other) -> Value:
        if autograd._MODE is True or autograd.is_grad_enabled():
            return self / other
        other = float(_num(other))
        with np.errstate(divide="ignore", invalid="ignore"):
            return self._in_place(float(np.float64(self.data) / other))

    # -- comparisons: plain bools from the numbers (no graph), as torch's masks ------
    # NOTE: `==` stays identity: nodes are dict keys in the backward sweep.

    def __lt__(self, other) -> bool:
        return self.data < _num(other)

    def __le__(self, other) -> bool:
        return self.data <= _num(other)

    def __gt__(self, other) -> bool:
        return self.data > _num(other)

    def __ge__(self, other) -> bool:
        return self.data >= _num(other)

    # -- autodiff -----------------------------------------------------------------

    def backward(self, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Leaves add to what they hold, so two calls sum (as in PyTorch); interior
        nodes hold this call's gradient. With ``create_graph`` every gradient is a
        ``Value`` with its own graph, so it can be differentiated again.

        >>> x = Value(3.0)
        >>> (x**3).backward(create_graph=True)
        >>> x.grad.data
        27.0
        >>> g = x.grad
        >>> x.grad = 0.0
        >>> g.backward()
        >>> x.grad
        18.0
        """
        autograd.backward(self, 1.0, create_graph)

    def zero_grad(self) -> None:
        """Set this node's gradient to zero."""
        self.grad = 0.0


_new = object.__new__

#: The op behind each of the five core methods (``v.relu()`` makes ``Value(Relu.forward(
#: v.data), "", (v,), Relu)``), for builders that make those nodes without the call.
UNARY_OPS = {"exp": Exp, "log": Log, "tanh": Tanh, "sigmoid": Sigmoid, "relu": Relu}


def weighted_sum_nodes(
    x: list,
    w: list,
    numbers: list,
    b: Any = None,
    bias: float | None = None,
    layer: bool = False,
) -> Value:
    """The nodes ``x[0]*w[0] + x[1]*w[1] + ... + b`` builds, term by term, in one loop.

    ``numbers`` are the weights' numbers (``w[i].data``, read once by the caller), ``bias``
    the number of ``b`` if the caller read it too. ``layer=True`` says what a layer
    checked once for all its nodes: ``x`` is a list of ``Value`` nodes as long as ``w``,
    and ``w`` and ``b`` are leaves (parameter views), so the chain's outside parents are
    ``x`` alone (kept, not copied: do not change it). Every
    multiply and add is a node with the parents, op and number the operators give (a
    number ``x[i]`` becomes a constant leaf on the right of its weight, as ``w * 2.0``
    makes it); only the per-node dispatch is gone. Graph building must be on, with no
    recorder (``autograd._MODE is True``): the caller checks.

    >>> x, w = [Value(2.0), 3.0], [Value(0.5), Value(-1.0)]
    >>> s = weighted_sum_nodes(x, w, [0.5, -1.0], Value(1.0))
    >>> s.data, s._op, s._prev[0]._prev[1]._prev[1].data
    (-1.0, '+', 3.0)
    """
    # NOTE: the scalar engine's hottest loop. Nodes are made as Value.__init__ makes
    # them (every slot it sets, in its order) without the call: their data are floats.
    # The last node's parents are a Chain: the nodes made here, in the order made, and
    # the nodes from outside (inputs, weights, bias), so the sort takes them in one step.
    if layer:
        terms = zip(x, w, numbers, strict=True)
        xi, wi, number = next(terms)
        s = _new(Value)
        s.data = xi.data * number
        s.grad = 0.0
        s.label = ""
        s._prev = (xi, wi)
        s._fn = Mul
        made = [s]
        keep = made.append
        for xi, wi, number in terms:
            term = _new(Value)
            term.data = xi.data * number
            term.grad = 0.0
            term.label = ""
            term._prev = (xi, wi)
            term._fn = Mul
            total = _new(Value)
            total.data = s.data + term.data
            total.grad = 0.0
            total.label = ""
            total._prev = (s, term)
            total._fn = Add
            keep(term)
            keep(total)
            s = total
        return _chained(s, made, b, bias, x)
    s = None
    made = []
    keep = made.append
    numbers_in_x = False
    for xi, wi, number in zip(x, w, numbers, strict=True):
        if isinstance(xi, Value):
            term = _new(Value)
            term.data = xi.data * number
            term._prev = (xi, wi)
        else:
            numbers_in_x = True
            c = Value(xi)
            term = _new(Value)
            term.data = number * c.data
            term._prev = (wi, c)
        term.grad = 0.0
        term.label = ""
        term._fn = Mul
        keep(term)
        if s is None:
            s = term
        else:
            total = _new(Value)
            total.data = s.data + term.data
            total.grad = 0.0
            total.label = ""
            total._prev = (s, term)
            total._fn = Add
            keep(total)
            s = total
    outer = [v for v in x if isinstance(v, Value)] if numbers_in_x else [*x]
    outer += w
    if b is not None:
        outer.append(b)
    return _chained(s, made, b, bias, outer)


def _chained(s: Value, made: list, b: Any, bias: float | None, outer: list) -> Value:
    """The weighted sum's last node (``s`` plus the bias, if any), its parents a Chain."""
    if b is not None:
        s = Value(s.data + (b.data if bias is None else bias), "", Chain((s, b)), Add)
    elif len(made) > 1:
        made.pop()
        s._prev = Chain(s._prev)
    else:
        return s
    chain = s._prev
    chain.inner = made
    chain.outer = outer
    return s


def _built(out: float, parents: tuple, fn) -> Value:
    """A node in the calling thread's mode: no graph, a graph, or a reported graph."""
    mode = autograd.mode()
    if mode is False:
        return Value(out)
    node = Value(out, "", parents, fn)
    if mode is not True:
        mode.on_forward(node)
    return node

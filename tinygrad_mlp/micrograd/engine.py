"""micrograd's ``Value``, bug for bug, on this project's graph core.

Code written for micrograd 0.1.0 (``from micrograd.engine import Value``) or for the
"Zero to Hero" lecture runs unchanged with ``from tinygrad_mlp.micrograd.engine import
Value`` and prints the same numbers:

- the lecture's constructor ``Value(data, _children=(), _op='', label='')``;
- ``_prev`` is a ``set`` of the children, ``_op`` a string, ``_backward`` a callable
  that can be read, called node by node, or replaced by a hand-written function;
- micrograd's accumulation: ``backward()`` sets the root's grad to 1 and *adds* into
  every other node, interior ones included (nothing is reset, so a second
  ``backward()`` on the same graph adds again);
- ``data`` is kept as given (an int stays an int) and the ops are Python's own, so
  where micrograd raises (``Value(0.0) ** -1``, ``Value(1000.0).exp()``) this raises;
- micrograd's repr, ``Value(data=..., grad=...)``, grad starting at the int 0.

What differs is underneath. A node holds its op as a class (no closure per node, so
no reference cycle that only the garbage collector can free), the topological order
is :func:`tinygrad_mlp.autograd.toposort` (iterative: a 10,000-deep chain
backpropagates), and the sweep applies each op's ``backward`` rule, written once in
the core's :class:`~tinygrad_mlp.autograd.Op` form. A ``_backward`` callable is
built only when someone reads it; one that a user assigns is stored and the sweep
calls it in place of the op's rule.

For this project's own scalar (PyTorch's semantics, IEEE arithmetic) use
:class:`tinygrad_mlp.Value`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from tinygrad_mlp import autograd
from tinygrad_mlp.autograd import Op

__all__ = ["Value"]


# --------------------------------------------------------------------------- ops
# Each rule is written with micrograd's own expression (same operand order), so the
# floats are micrograd's to the last bit. Ops hold no per-node state except the
# exponent of PowConst; the class itself is a node's ``_fn``.


class Add(Op):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    symbol = "+"

    @staticmethod
    def backward(grad_out, out, a, b):
        return grad_out, grad_out


class Mul(Op):
    """y = a * b;  dy/da = b, dy/db = a."""

    symbol = "*"

    @staticmethod
    def backward(grad_out, out, a, b):
        return b * grad_out, a * grad_out


class PowConst(Op):
    """y = a ** p for a number p;  dy/da = p * a**(p - 1)."""

    __slots__ = ("p", "symbol")

    def __init__(self, p: float) -> None:
        self.p = p
        self.symbol = f"**{p}"

    def backward(self, grad_out, out, a):
        return ((self.p * a ** (self.p - 1)) * grad_out,)


class Relu(Op):
    """y = max(0, a) (micrograd: 0 if a < 0 else a);  dy/da = 1 if y > 0 else 0."""

    symbol = "ReLU"

    @staticmethod
    def backward(grad_out, out, a):
        return ((out > 0) * grad_out,)


class Tanh(Op):
    """y = (e**2a - 1) / (e**2a + 1), the lecture's formula;  dy/da = 1 - y**2.

    NOTE: the lecture writes tanh through ``math.exp`` rather than ``math.tanh``; the
    two differ in the last bit (tanh(0.8813735870195432) is 0.7071067811865476 by
    the formula, ...477 by ``math.tanh``), and the formula overflows for a > ~354.
    The formula is kept so that the lecture's printed numbers come out the same.
    """

    symbol = "tanh"

    @staticmethod
    def backward(grad_out, out, a):
        return ((1 - out**2) * grad_out,)


class Exp(Op):
    """y = e**a;  dy/da = y."""

    symbol = "exp"

    @staticmethod
    def backward(grad_out, out, a):
        return (out * grad_out,)


class Handwritten(Op):
    """The op of a node built with the constructor's ``_children`` (a user's own op).

    Its rule is the node's ``_backward`` as the user assigns it; until then it does
    nothing, as micrograd's default ``lambda: None``. It has no local derivative to
    offer a drawing (``None`` per parent).
    """

    symbol = ""

    @staticmethod
    def backward(grad_out, out, *inputs):
        return (None,) * len(inputs)


def _nothing() -> None:
    """micrograd's ``_backward`` of a leaf."""


def _apply_rule(node: Value) -> None:
    """One node's step of the sweep: its op's rule, added into its operands."""
    fn = node._fn
    if fn is None or fn is Handwritten:
        return
    a, b = node._a, node._b
    if b is None:
        (grad_a,) = fn.backward(node.grad, node.data, a.data)
        a.grad += grad_a
    else:
        grad_a, grad_b = fn.backward(node.grad, node.data, a.data, b.data)
        a.grad += grad_a
        b.grad += grad_b


#: Marks a node built with three or more children: ``_a`` then holds them all.
_MANY = object()


# --------------------------------------------------------------------------- Value


class Value:
    """A scalar and its gradient, as micrograd's ``Value``.

    Args:
        data: the number (kept as given: an int stays an int, as in micrograd).
        _children: the values this one was computed from (read back as the set ``_prev``).
        _op: the op's name, for drawings.
        label: a name for drawings (the lecture's addition).
        _fn: the op class, passed by the ops below (``None`` for a leaf; a node built
            with ``_children`` and no ``_fn`` is a user's own op, see ``Handwritten``).

    >>> a = Value(-4.0)
    >>> b = Value(2.0)
    >>> c = a * b + b**3
    >>> c.backward()
    >>> c, a.grad, b.grad
    (Value(data=0.0, grad=1), 2.0, 8.0)
    """

    # NOTE: __dict__ and __weakref__ as any plain class has them (micrograd's code may set
    # attributes of its own); the dict is only made when an attribute needs it.
    __slots__ = (
        "data", "grad", "label", "_op", "_fn", "_a", "_b", "_user_backward",
        "__dict__", "__weakref__",
    )  # fmt: skip

    def __init__(
        self,
        data: Any,
        _children: Iterable[Value] = (),
        _op: str = "",
        label: str = "",
        _fn: Any = None,
    ) -> None:
        self.data = data
        self.grad = 0
        self._op = _op
        self.label = label
        self._fn = _fn
        self._user_backward = None
        if _fn is not None:  # built by an op below: one or two operands, in order
            self._a, self._b = _children if len(_children) == 2 else (_children[0], None)
        elif _children:  # a user's own op (see Handwritten)
            self._prev = _children
        else:
            self._a = self._b = None

    # -- micrograd's _prev --------------------------------------------------------------

    @property
    def _prev(self) -> set[Value]:
        """The children, as micrograd's set (``a * a`` has one).

        NOTE: built on each read from the operand slots. A set per node held for the
        graph's lifetime is what makes the garbage collector's full passes costly;
        the operands themselves are kept in order, both edges of ``a * a`` included.
        """
        a, b = self._a, self._b
        if b is None:
            return set() if a is None else {a}
        return set(a) if b is _MANY else {a, b}

    @_prev.setter
    def _prev(self, children: Iterable[Value]) -> None:
        children = tuple(children)
        if len(children) > 2:
            self._a, self._b = children, _MANY
        else:
            self._a, self._b = (*children, None, None)[:2]
        if children and self._fn is None:
            self._fn = Handwritten

    # -- the lecture's _backward ------------------------------------------------------

    @property
    def _backward(self) -> Callable[[], None]:
        """This node's step of backpropagation: adds its grad's share into its children.

        Built on demand from the op's rule (micrograd builds a closure per node);
        a function assigned here replaces the rule, in ``backward()`` too.
        """
        if self._user_backward is not None:
            return self._user_backward
        if self._fn is None or self._fn is Handwritten:
            return _nothing
        return lambda: _apply_rule(self)

    @_backward.setter
    def _backward(self, fn: Callable[[], None]) -> None:
        self._user_backward = fn
        if self._fn is None:
            # NOTE: a leaf with a hand-written step must take part in the sweep.
            self._fn = Handwritten

    # -- ops ----------------------------------------------------------------------------

    def __add__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data + other.data, (self, other), "+", "", Add)

    def __mul__(self, other: Any) -> Value:
        other = other if isinstance(other, Value) else Value(other)
        return Value(self.data * other.data, (self, other), "*", "", Mul)

    def __pow__(self, other: Any) -> Value:
        if not isinstance(other, (int, float)):
            # NOTE: micrograd asserts here; the same exception type, raised explicitly.
            raise AssertionError("only int and float exponents are supported, as in micrograd")
        fn = PowConst(other)
        return Value(self.data**other, (self,), fn.symbol, "", fn)

    def relu(self) -> Value:
        """max(0, self); a negative input gives the int 0, as in micrograd."""
        return Value(0 if self.data < 0 else self.data, (self,), "ReLU", "", Relu)

    def tanh(self) -> Value:
        """Hyperbolic tangent by the lecture's formula (see :class:`Tanh`)."""
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        return Value(t, (self,), "tanh", "", Tanh)

    def exp(self) -> Value:
        """e ** self (``math.exp``: raises OverflowError past ~709, as the lecture's)."""
        return Value(math.exp(self.data), (self,), "exp", "", Exp)

    def __neg__(self) -> Value:  # -self
        return self * -1

    def __radd__(self, other: Any) -> Value:  # other + self
        return self + other

    def __sub__(self, other: Any) -> Value:  # self - other
        return self + (-other)

    def __rsub__(self, other: Any) -> Value:  # other - self
        return other + (-self)

    def __rmul__(self, other: Any) -> Value:  # other * self
        return self * other

    def __truediv__(self, other: Any) -> Value:  # self / other
        return self * other**-1

    def __rtruediv__(self, other: Any) -> Value:  # other / self
        return other * self**-1

    # -- backpropagation --------------------------------------------------------------

    def backward(self) -> None:
        """micrograd's backward: root grad = 1, every node's step in reverse topological order.

        Each step *adds* into the children, and nothing is reset first: call it twice
        on one graph and the gradients of everything below the root double up.
        """
        order = autograd.toposort(self)  # parents first; leaves left out (their step is a no-op)
        self.grad = 1
        # NOTE: _apply_rule inlined: this loop is the hot path of every training step.
        for node in reversed(order):
            user = node._user_backward
            if user is not None:
                user()
                continue
            fn = node._fn
            if fn is Handwritten or fn is None:  # a user's node without _backward; a leaf
                continue
            a, b = node._a, node._b
            if b is None:
                (grad_a,) = fn.backward(node.grad, node.data, a.data)
                a.grad += grad_a
            else:
                grad_a, grad_b = fn.backward(node.grad, node.data, a.data, b.data)
                a.grad += grad_a
                b.grad += grad_b

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

"""``Value``: a scalar node of the autodiff graph, micrograd style.

Every multiply and every add is a node of its own, so the graph of a neuron
shows the cheat sheet's ``s = x[0]*w[0] + x[1]*w[1] + b`` term by term. The
backward driver lives in :mod:`tinygrad_mlp.autograd`; this module only holds
the ops (each ``backward`` right under its ``forward``) and operator sugar.

Primitives: ``Add``, ``Mul``, ``Pow`` (Value exponent), ``PowConst`` (number
exponent), ``Exp``, ``Log``, ``Tanh``, ``Sigmoid``, ``Relu``. Everything else
is composed: ``-a = a * -1``, ``a - b = a + (-b)``, ``a / b = a * b**-1``,
exactly as micrograd composes them, so micrograd code gives the same numbers.
"""

from __future__ import annotations

import math

from tinygrad_mlp import autograd
from tinygrad_mlp.autograd import _RECORDING, Op

__all__ = ["Value"]


# --------------------------------------------------------------------------- ops
# Scalar ops carry no per-node state, so the class itself is the node's ``_fn``
# and both methods are static: no op object is allocated per node.


class Add(Op):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    symbol = "+"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a + b

    @staticmethod
    def backward(grad_out, out, a, b):
        return grad_out, grad_out


class Mul(Op):
    """y = a * b;  dy/da = b, dy/db = a."""

    symbol = "*"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a * b

    @staticmethod
    def backward(grad_out, out, a, b):
        return grad_out * b, grad_out * a


class Pow(Op):
    """y = a ** b with both a node;  dy/da = b * a**(b-1), dy/db = y * ln(a).

    NOTE: ln(a) is only real for a > 0; elsewhere dy/db is nan, as in PyTorch
    (and 0 at a = 0 with b > 0, where y = 0, also as in PyTorch).
    """

    symbol = "**"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a**b

    @staticmethod
    def backward(grad_out, out, a, b):
        if a > 0:
            grad_b = grad_out * out * math.log(a)
        elif a == 0 and b > 0:
            grad_b = 0.0
        else:
            grad_b = math.nan
        return grad_out * b * a ** (b - 1), grad_b


class PowConst(Op):
    """y = a ** p for a fixed number p;  dy/da = p * a**(p-1)."""

    __slots__ = ("p",)

    def __init__(self, p: float) -> None:
        self.p = p

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return f"**{self.p}"

    def forward(self, a: float) -> float:
        return a**self.p

    def backward(self, grad_out, out, a):
        return (grad_out * self.p * a ** (self.p - 1),)


class Exp(Op):
    """y = e**a;  dy/da = y, taken from the saved output."""

    symbol = "exp"

    @staticmethod
    def forward(a: float) -> float:
        # NOTE: math.exp raises OverflowError past ~709; inf is what numpy and
        # torch give, and what a user expects from a float.
        try:
            return math.exp(a)
        except OverflowError:
            return math.inf

    @staticmethod
    def backward(grad_out, out, a):
        return (grad_out * out,)


class Log(Op):
    """y = ln(a);  dy/da = 1 / a."""

    symbol = "log"

    @staticmethod
    def forward(a: float) -> float:
        if a > 0:
            return math.log(a)
        return -math.inf if a == 0 else math.nan

    @staticmethod
    def backward(grad_out, out, a):
        return (grad_out / a if a != 0 else math.copysign(math.inf, grad_out),)


class Tanh(Op):
    """y = tanh(a);  dy/da = 1 - y**2, taken from the saved output."""

    symbol = "tanh"

    @staticmethod
    def forward(a: float) -> float:
        return math.tanh(a)

    @staticmethod
    def backward(grad_out, out, a):
        return (grad_out * (1.0 - out * out),)


class Sigmoid(Op):
    """y = 1 / (1 + e**-a);  dy/da = y * (1 - y), taken from the saved output.

    Fused rather than composed from exp, add and pow so that the graph reads as
    the cheat sheet's f(s) and sigmoid(-1000) is 0 without an overflow.
    """

    symbol = "sigmoid"

    @staticmethod
    def forward(a: float) -> float:
        if a >= 0:
            return 1.0 / (1.0 + math.exp(-a))
        e = math.exp(a)
        return e / (1.0 + e)

    @staticmethod
    def backward(grad_out, out, a):
        return (grad_out * out * (1.0 - out),)


class Relu(Op):
    """y = max(0, a);  dy/da = 1 if a > 0 else 0.

    NOTE: relu'(0) = 0, as in PyTorch and micrograd.
    """

    symbol = "ReLU"

    @staticmethod
    def forward(a: float) -> float:
        return a if a > 0 else 0.0

    @staticmethod
    def backward(grad_out, out, a):
        return (grad_out if a > 0 else 0.0,)


# --------------------------------------------------------------------------- Value


class Value:
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

    def __init__(self, data: float, label: str = "", _prev: tuple = (), _fn=None) -> None:
        self.data = float(data) if type(data) is not float else data
        self.grad = 0.0
        self.label = label
        self._prev = _prev
        self._fn = _fn

    @property
    def _op(self) -> str:
        """The op's symbol ('' for a leaf): the string micrograd's drawing code reads."""
        return "" if self._fn is None else self._fn.symbol

    def __repr__(self) -> str:
        name = f"{self.label}, " if self.label else ""
        return f"Value({name}data={self.data:.6g}, grad={self.grad:.6g})"

    # -- building nodes ---------------------------------------------------------

    def _unary(self, fn) -> Value:
        out = fn.forward(self.data)
        if autograd._GRAD_ENABLED:
            node = Value(out, "", (self,), fn)
            if _RECORDING.recorder is not None:  # NOTE: see autograd.recording
                _RECORDING.recorder.on_forward(node)
            return node
        return Value(out)

    def __add__(self, other) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        out = self.data + other.data
        if autograd._GRAD_ENABLED:
            node = Value(out, "", (self, other), Add)
            if _RECORDING.recorder is not None:  # NOTE: see autograd.recording
                _RECORDING.recorder.on_forward(node)
            return node
        return Value(out)

    def __mul__(self, other) -> Value:
        if not isinstance(other, Value):
            other = Value(other)
        out = self.data * other.data
        if autograd._GRAD_ENABLED:
            node = Value(out, "", (self, other), Mul)
            if _RECORDING.recorder is not None:  # NOTE: see autograd.recording
                _RECORDING.recorder.on_forward(node)
            return node
        return Value(out)

    def __pow__(self, other) -> Value:
        if isinstance(other, Value):
            out = Pow.forward(self.data, other.data)
            if autograd._GRAD_ENABLED:
                node = Value(out, "", (self, other), Pow)
                if _RECORDING.recorder is not None:  # NOTE: see autograd.recording
                    _RECORDING.recorder.on_forward(node)
                return node
            return Value(out)
        if not isinstance(other, (int, float)):
            raise TypeError(f"Value ** {type(other).__name__} is not supported")
        return self._unary(PowConst(other))

    def exp(self) -> Value:
        """e ** self."""
        return self._unary(Exp)

    def log(self) -> Value:
        """Natural logarithm (-inf at 0, nan below, as numpy)."""
        return self._unary(Log)

    def tanh(self) -> Value:
        """Hyperbolic tangent."""
        return self._unary(Tanh)

    def sigmoid(self) -> Value:
        """Logistic sigmoid 1 / (1 + e**-self)."""
        return self._unary(Sigmoid)

    def relu(self) -> Value:
        """max(0, self)."""
        return self._unary(Relu)

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

    # -- autodiff -----------------------------------------------------------------

    def backward(self) -> None:
        """Fill ``.grad`` of every node this one depends on with d(self)/d(node).

        Leaves add to what they hold, so two calls sum (as in PyTorch); interior
        nodes hold this call's gradient.
        """
        autograd.backward(self, 1.0)

    def zero_grad(self) -> None:
        """Set this node's gradient to zero."""
        self.grad = 0.0

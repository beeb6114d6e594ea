"""The scalar engine's rules: ``Value``'s ops on Python floats, micrograd style.

Every op is a class whose ``forward`` computes a float and whose ``backward``,
right under it, returns one gradient per input; the class docstring gives the
math. Most carry no per-node state, so the class itself is the node's ``_fn`` and
both methods are static: no op object is allocated per node.

Primitives: ``Add``, ``Mul``, ``Pow`` (Value exponent), ``PowConst`` (number
exponent), the core functions ``Exp``, ``Log``, ``Tanh``, ``Sigmoid``, ``Relu``
(fast twins of rows of :data:`tinygrad_mlp.elementwise.FUNCTIONS`, each with a
NOTE naming its row), every other element-wise function as :class:`Elementwise`
on its row, ``Extremum``, and the two fused losses ``BCE`` and
``BCEWithLogits``. ``Value`` composes the rest: ``-a = a * -1``,
``a - b = a + (-b)``, ``a / b = a * b**-1``, exactly as micrograd composes them.

Numbers follow IEEE arithmetic as numpy and torch do: ``Value(1.0) / 0`` is inf,
``Value(-1.0).log()`` is nan, ``Value(-8.0) ** (1/3)`` is nan; no math-domain case
raises. Each backward rule is written once, with operators and the helpers
``_pow``, ``_div``, ``_log``, ``_sigmoid`` that take plain floats (the fast
first-order path) or Values (building the graph of the gradient).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_mlp import elementwise
from tinygrad_mlp.autograd import Op
from tinygrad_mlp.elementwise import BCE_EPS, BCE_LOG_FLOOR
from tinygrad_mlp.elementwise import num as _num

__all__: list[str] = []  # the rules are reached through Value's methods

_NUMBERS = elementwise.NUMBER_TYPES  # plain numbers; anything else is a Value


# --------------------------------------------------------------------------- IEEE helpers
# Python's float arithmetic raises where IEEE (numpy, torch) gives inf or nan; these
# try the fast Python operation and fall back to numpy's scalar arithmetic. On
# Values they are the Value operators (which never raise).


def _ieee(fn, *args: float) -> float:
    with np.errstate(all="ignore"):
        return float(fn(*[np.float64(a) for a in args]))


def _pow(a, b):
    """a ** b: IEEE on floats (0 ** -1 = inf, (-8) ** (1/3) = nan), a node on Values."""
    try:
        out = a**b
    except (ZeroDivisionError, OverflowError):
        return _ieee(np.power, a, b)
    return math.nan if type(out) is complex else out


def _pow_const(a, p: float):
    """a ** p for a fixed number p: :func:`_pow`, except that ±0.5 powers are square roots.

    NOTE: torch computes x ** ±0.5 (a number exponent) as sqrt(x) and 1 / sqrt(x),
    so (-inf) ** 0.5 is nan and (-0) ** -0.5 is -inf there, not IEEE pow's inf.
    """
    if type(a) is float and (p == 0.5 or p == -0.5):
        root = math.sqrt(a) if a >= 0 else math.nan
        return root if p == 0.5 else _div(1.0, root)
    return _pow(a, p)


def _log1p_neg(a: float) -> float:
    """ln(1 − a) for a float, accurate for small a (-inf at 1, nan above)."""
    if a < 1:
        return math.log1p(-a)
    return -math.inf if a == 1 else math.nan


def _div(a, b):
    """a / b: IEEE on floats (1 / 0 = inf, 0 / 0 = nan), a node on Values."""
    try:
        return a / b
    except ZeroDivisionError:
        return _ieee(np.divide, a, b)


def _log(a):
    return Log.forward(a) if isinstance(a, _NUMBERS) else a.log()


def _sigmoid(a):
    return Sigmoid.forward(a) if isinstance(a, _NUMBERS) else a.sigmoid()


# --------------------------------------------------------------------------- ops
# Most scalar ops carry no per-node state, so the class itself is the node's ``_fn``
# and both methods are static: no op object is allocated per node.


class Add(Op):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    __slots__ = ()
    symbol = "+"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a + b

    @staticmethod
    def backward(grad_out, out, a, b):
        return grad_out, grad_out


class Mul(Op):
    """y = a * b;  dy/da = b, dy/db = a."""

    __slots__ = ()
    symbol = "*"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return a * b

    @staticmethod
    def backward(grad_out, out, a, b):
        return grad_out * b, grad_out * a


class Pow(Op):
    """y = a ** b with both a node;  dy/da = b * a**(b-1), dy/db = y * ln(a).

    NOTE: as torch, dy/da is 0 where b = 0 (not 0 * a**-1, nan at a = 0), and
    dy/db is 0 where a = 0 and b >= 0 (where y * ln(a) is 0 * -inf); ln(a) of a
    negative a is nan, so dy/db is nan there.
    """

    __slots__ = ()
    symbol = "**"

    @staticmethod
    def forward(a: float, b: float) -> float:
        return _pow(a, b)

    @staticmethod
    def backward(grad_out, out, a, b):
        grad_a = 0.0 if _num(b) == 0 else grad_out * b * _pow(a, b - 1)
        grad_b = 0.0 if _num(a) == 0 and _num(b) >= 0 else grad_out * out * _log(a)
        return grad_a, grad_b


class PowConst(Op):
    """y = a ** p for a fixed number p;  dy/da = p * a**(p-1) (0 for p = 0, as torch)."""

    __slots__ = ("p",)

    def __init__(self, p: float) -> None:
        self.p = p

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return f"**{self.p}"

    def forward(self, a: float) -> float:
        return _pow_const(a, self.p)

    def backward(self, grad_out, out, a):
        p = self.p
        if p == 0:
            return (0.0,)
        return (grad_out * p * _pow_const(a, p - 1),)


class Exp(Op):
    """y = e**a;  dy/da = y, taken from the saved output.

    NOTE: a fast twin of row ``exp`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`, on floats with
    ``math`` (equal to numpy's within an ulp; tests hold the two equal).
    """

    __slots__ = ()
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
    """y = ln(a);  dy/da = 1 / a (-inf at 0, nan below 0, as numpy).

    NOTE: a fast twin of row ``log`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`, on floats.
    """

    __slots__ = ()
    symbol = "log"

    @staticmethod
    def forward(a: float) -> float:
        if a > 0:
            return math.log(a)
        return -math.inf if a == 0 else math.nan

    @staticmethod
    def backward(grad_out, out, a):
        return (_div(grad_out, a),)


class Tanh(Op):
    """y = tanh(a);  dy/da = 1 - y**2, taken from the saved output.

    NOTE: a fast twin of row ``tanh`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`, on floats.
    """

    __slots__ = ()
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
    the cheat sheet's f(s) and sigmoid(-1000) is 0 without an overflow: for
    a < 0 it is computed as e**a / (1 + e**a), exact to rounding.

    NOTE: a fast twin of row ``sigmoid`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`, on floats;
    the row computes 1 / (1 + e**-a) for every a, so the two agree to a few ulps
    where y is a normal float, and below a ≈ -709 this one keeps the subnormal
    values the row rounds to 0.
    """

    __slots__ = ()
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
    """y = max(0, a);  dy/da = 0 where a <= 0, else 1.

    NOTE: relu'(0) = 0, as in PyTorch and micrograd; relu(nan) = nan and its
    derivative passes the gradient through, as torch's ``a <= 0`` test does.

    NOTE: a fast twin of row ``relu`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`, on floats; it
    passes or drops the gradient where the row multiplies it by 1 or 0.
    """

    __slots__ = ()
    symbol = "ReLU"

    @staticmethod
    def forward(a: float) -> float:
        return 0.0 if a <= 0 else a

    @staticmethod
    def backward(grad_out, out, a):
        return (0.0 if a <= 0 else grad_out,)


class BCE(Op):
    """L = −[z ln y + (1 − z) ln(1 − y)] of a probability y and a target z.

    dL/dy = (y − z) / max(y (1 − y), 1e-12);  dL/dz = ln(1 − y) − ln(y).

    As torch's ``binary_cross_entropy``: each log is bounded below by −100, and
    the denominator of dL/dy (not the input) by 1e-12, so a saturated wrong
    prediction still gets a large gradient.
    """

    __slots__ = ()
    symbol = "bce"

    @staticmethod
    def forward(y: float, z: float) -> float:
        log_y, log_1my = Log.forward(y), _log1p_neg(y)
        log_y = BCE_LOG_FLOOR if log_y < BCE_LOG_FLOOR else log_y
        log_1my = BCE_LOG_FLOOR if log_1my < BCE_LOG_FLOOR else log_1my
        return -(z * log_y + (1.0 - z) * log_1my)

    @staticmethod
    def backward(grad_out, out, y, z):
        bound = y * (1.0 - y)
        if _num(bound) < BCE_EPS:  # NOTE: a constant there, so its derivative is 0 (clamp)
            bound = BCE_EPS
        grad_y = grad_out * _div(y - z, bound)
        grad_z = grad_out * (_log(1.0 - y) - _log(y))
        return grad_y, grad_z


class BCEWithLogits(Op):
    """L = (1 − z) s + ln(1 + e^−s) of a raw score s and a target z;  dL/ds = σ(s) − z.

    NOTE: the float twin of :class:`tinygrad_mlp.ops.fused.BCEWithLogits`, whose
    docstring says why it is fused and how it stays finite; the engines' agreement
    tests hold the two equal.
    """

    __slots__ = ()
    symbol = "bce_logits"

    @staticmethod
    def forward(s: float, z: float) -> float:
        return (1.0 - z) * s + (-s if s < 0 else 0.0) + math.log1p(Exp.forward(-abs(s)))

    @staticmethod
    def backward(grad_out, out, s, z):
        return grad_out * (_sigmoid(s) - z), grad_out * -s


# --------------------------------------------------------------------------- ops: the wider set


class Elementwise(Op):
    """y = f(a) for a function of :data:`tinygrad_mlp.elementwise.FUNCTIONS`;  dy/da = f'(a).

    Numbers are computed with numpy's float64 scalars, so IEEE cases (sqrt(−1),
    asin(2), tan at overflow) give nan or inf and never raise.
    """

    __slots__ = ("fn", "params")

    def __init__(self, name: str, params: tuple = ()) -> None:
        self.fn, self.params = elementwise.FUNCTIONS[name], params

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return self.fn.name

    def forward(self, a: float) -> float:
        with np.errstate(all="ignore"):
            return float(self.fn.forward(np.float64(a), *self.params))

    def backward(self, grad_out, out, a):
        if isinstance(a, _NUMBERS):
            a = np.float64(a)
            out = np.float64(_num(out))
        with np.errstate(all="ignore"):
            d = self.fn.derivative(a, out, *self.params)
        if d is None:
            return (0.0,)
        return (grad_out * (float(d) if isinstance(d, _NUMBERS) else d),)


class Extremum(Op):
    """y = max(a, b) (or min);  the gradient goes to the larger (smaller), halved at a tie.

    As torch's ``maximum``/``minimum``: a nan in either makes y nan and passes the
    whole gradient to both.
    """

    __slots__ = ("larger", "needs")

    def __init__(self, larger: bool) -> None:
        self.larger = larger

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return "maximum" if self.larger else "minimum"

    def forward(self, a: float, b: float) -> float:
        if a != a or b != b:
            return math.nan
        if self.larger:
            return a if a >= b else b
        return a if a <= b else b

    def backward(self, grad_out, out, a, b):
        x, z = _num(a), _num(b)
        if x == z:
            return grad_out * 0.5, grad_out * 0.5
        a_loses = x < z if self.larger else x > z
        b_loses = x > z if self.larger else x < z
        return (0.0 if a_loses else grad_out), (0.0 if b_loses else grad_out)

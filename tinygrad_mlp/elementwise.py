"""Element-wise functions and activations, each with its derivative, for both engines.

One table (:data:`FUNCTIONS`) holds, per function, its forward on numpy numbers and
its derivative f'(a) written with :func:`call`, :func:`fill` and operators. The
derivative receives the input ``a`` and the saved output ``y``: plain numpy numbers
on the fast first-order path, or nodes (``Tensor`` or ``Value``) when the graph of a
gradient is built (``create_graph=True``), so each rule is written once and every
op has derivatives of every order. :class:`tinygrad_mlp.tensor.Elementwise` and
:class:`tinygrad_mlp.value.Elementwise` turn a row into an op of their engine.

Derivatives follow torch's formulas, so singular points (±0, ±inf, nan, kinks)
give torch's numbers: for example relu-like kinks take torch's one-sided value,
and ``sign``, ``floor``, ``ceil``, ``round`` and ``trunc`` have derivative 0.

This module imports only numpy and the standard library.

>>> FUNCTIONS["sin"].forward(np.array([0.0])).tolist()
[0.0]
>>> FUNCTIONS["sin"].derivative(np.array([0.0]), None).tolist()
[1.0]
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import numpy as np

__all__ = ["FUNCTIONS", "Function", "call", "fill", "num"]

LN2 = math.log(2.0)
SQRT1_2 = math.sqrt(0.5)
#: 2 / sqrt(pi), the scale of erf's derivative
TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
#: 1 / sqrt(2 pi), the scale of the normal density
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
#: sqrt(2 / pi) and the cubic coefficient of gelu's tanh form
GELU_BETA = math.sqrt(2.0 / math.pi)
GELU_KAPPA = 0.044715
#: torch's hardsigmoid slope: 1/6 as a float32
HARDSIGMOID_SLOPE = float(np.float32(1.0 / 6.0))

_erf = np.frompyfunc(math.erf, 1, 1)


def _erf_array(a: Any) -> Any:
    """erf on numpy numbers (numpy has no erf; math.erf element by element)."""
    a = np.asarray(a)
    return np.asarray(_erf(a), dtype=a.dtype) if a.size else np.array(a, copy=True)


#: numpy forms of the functions a derivative may call on numbers
NUMPY: dict[str, Callable[[Any], Any]] = {
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "rsqrt": lambda a: 1 / np.sqrt(a),
    "sin": np.sin,
    "cos": np.cos,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "erf": _erf_array,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
}


def num(x: Any) -> Any:
    """The numbers of ``x``: the data of a node, or ``x`` itself."""
    return x if isinstance(x, (np.ndarray, np.generic, float, int)) else x.data


def _is_number(x: Any) -> bool:
    return isinstance(x, (np.ndarray, np.generic, float, int))


def call(name: str, x: Any) -> Any:
    """``name`` applied to ``x``: numpy's function on numbers, the node's method on a node."""
    if _is_number(x):
        with np.errstate(all="ignore"):
            return NUMPY[name](x)
    return getattr(x, name)()


def fill(x: Any, mask: Any, value: float) -> Any:
    """``value`` where ``mask`` holds, ``x`` elsewhere; the mask is a constant of the rule."""
    if isinstance(x, np.ndarray):
        return np.where(mask, value, x).astype(x.dtype, copy=False)
    if _is_number(x):
        return type(x)(value) if mask else x
    return x.masked_fill(mask, value)


def _const(a: Any, values: Any) -> Any:
    """Constant numbers in the dtype of ``a`` (a number for a scalar input)."""
    data = num(a)
    if isinstance(data, np.ndarray):
        return np.asarray(values, dtype=data.dtype)
    return type(data)(values) if isinstance(data, np.generic) else float(values)


#: torch's bounds for binary cross-entropy on probabilities, shared by both engines:
#: the log is floored at −100 and y(1 − y) bounded below by float32(1e-12).
BCE_EPS = float(np.float32(1e-12))  # NOTE: torch's constant is a float32
BCE_LOG_FLOOR = -100.0


class Function(NamedTuple):
    """One element-wise function: its forward on numbers and its derivative rule.

    ``derivative(a, y, *params)`` returns f'(a) (to be multiplied by the incoming
    gradient), or None for a function whose derivative is 0 everywhere.
    """

    name: str
    math: str
    forward: Callable[..., Any]
    derivative: Callable[..., Any]
    #: the parameters' names and defaults, in order
    params: tuple = ()


def _zero(a: Any, y: Any, *params: Any) -> None:
    return None


def _leaky_relu_d(a, y, slope):
    return _const(a, np.where(num(a) > 0, 1.0, slope))


def _elu_d(a, y, alpha):
    # NOTE: exp of the input with its part >= 0 replaced by a constant 0, so that a
    # large input (masked anyway) never makes an inf whose derivative is 0 * inf, and
    # the second derivative at 0 is 0, as torch's (which tests a < 0 there).
    positive = np.logical_not(num(a) <= 0)  # nan counts as positive, as torch
    inner = fill(a, np.logical_not(num(a) < 0), 0.0)
    return fill(alpha * call("exp", inner), positive, 1.0)


def _celu_d(a, y, alpha):
    positive = np.logical_not(num(a) <= 0)
    inner = fill(a, np.logical_not(num(a) < 0), 0.0)
    return fill(call("exp", inner * (1.0 / alpha)), positive, 1.0)


def _gelu_d(a, y):
    cdf = 0.5 * (1.0 + call("erf", a * SQRT1_2))
    pdf = INV_SQRT_2PI * call("exp", a * a * -0.5)
    return cdf + a * pdf


def _gelu_tanh_forward(a):
    inner = GELU_BETA * (a + GELU_KAPPA * (a * a * a))
    return 0.5 * a * (1.0 + np.tanh(inner))


def _gelu_tanh_d(a, y):
    inner = GELU_BETA * (a + GELU_KAPPA * (a * a * a))
    t = call("tanh", inner)
    inner_d = GELU_BETA * (1.0 + 3.0 * GELU_KAPPA * (a * a))
    return 0.5 * (1.0 + t) + 0.5 * a * (1.0 - t * t) * inner_d


def _silu_d(a, y):
    s = call("sigmoid", a)
    return s * (1.0 + a * (1.0 - s))


def _softplus_forward(a, beta, threshold):
    return np.where(a * beta > threshold, a, np.log1p(np.exp(a * beta)) / beta)


def _softplus_d(a, y, beta, threshold):
    x = num(a)
    linear = x * beta > threshold
    # NOTE: a constant from the threshold on (so no overflow, and the second
    # derivative is 0 at βa = threshold itself, as torch's double backward).
    z = call("exp", fill(a, x * beta >= threshold, threshold / beta) * beta)
    return fill(z / (z + 1.0), linear, 1.0)


def _hardtanh_d(a, y, low, high):
    x = num(a)
    return _const(
        a, np.logical_not((x <= low) | (x >= high))
    )  # NOTE: nan passes the gradient, as torch


def _hardsigmoid_d(a, y):
    x = num(a)
    # NOTE: torch's kernel multiplies by 1/6 rounded to float32, in every dtype
    return _const(a, ((x > -3.0) & (x < 3.0)) * HARDSIGMOID_SLOPE)


def _sign(a):
    a = np.asarray(a)
    return (a > 0).astype(a.dtype) - (a < 0)


def _abs_d(a, y):
    return _const(a, _sign(np.asarray(num(a), dtype=np.float64)))


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        Function("sqrt", "y = √a;  dy/da = 1 / (2y)", np.sqrt, lambda a, y: 0.5 / y),
        Function(
            "rsqrt",
            "y = 1/√a;  dy/da = −y³ / 2",
            NUMPY["rsqrt"],
            lambda a, y: -0.5 * (y * y * y),
        ),
        Function("sin", "y = sin a;  dy/da = cos a", np.sin, lambda a, y: call("cos", a)),
        Function("cos", "y = cos a;  dy/da = −sin a", np.cos, lambda a, y: -call("sin", a)),
        Function("tan", "y = tan a;  dy/da = 1 + y²", np.tan, lambda a, y: 1.0 + y * y),
        Function("sinh", "y = sinh a;  dy/da = cosh a", np.sinh, lambda a, y: call("cosh", a)),
        Function("cosh", "y = cosh a;  dy/da = sinh a", np.cosh, lambda a, y: call("sinh", a)),
        Function(
            "asin",
            "y = asin a;  dy/da = 1/√(1 − a²)",
            np.arcsin,
            lambda a, y: call("rsqrt", 1.0 - a * a),
        ),
        Function(
            "acos",
            "y = acos a;  dy/da = −1/√(1 − a²)",
            np.arccos,
            lambda a, y: -call("rsqrt", 1.0 - a * a),
        ),
        Function(
            "atan", "y = atan a;  dy/da = 1/(1 + a²)", np.arctan, lambda a, y: 1.0 / (a * a + 1.0)
        ),
        Function(
            "asinh",
            "y = asinh a;  dy/da = 1/√(a² + 1)",
            np.arcsinh,
            lambda a, y: call("rsqrt", a * a + 1.0),
        ),
        Function(
            "acosh",
            "y = acosh a;  dy/da = 1/√(a² − 1)",
            np.arccosh,
            lambda a, y: call("rsqrt", a * a - 1.0),
        ),
        Function(
            "atanh",
            "y = atanh a;  dy/da = 1/(1 − a²)",
            np.arctanh,
            lambda a, y: 1.0 / (1.0 - a * a),
        ),
        Function("log2", "y = log₂ a;  dy/da = 1/(a ln 2)", np.log2, lambda a, y: 1.0 / (a * LN2)),
        Function("exp2", "y = 2^a;  dy/da = y ln 2", np.exp2, lambda a, y: y * LN2),
        Function(
            "erf",
            "y = erf a;  dy/da = 2/√π e^(−a²)",
            _erf_array,
            lambda a, y: TWO_OVER_SQRT_PI * call("exp", -(a * a)),
        ),
        Function("sign", "y = sign a (0 at 0 and at nan, as torch);  dy/da = 0", _sign, _zero),
        Function("floor", "y = ⌊a⌋;  dy/da = 0", np.floor, _zero),
        Function("ceil", "y = ⌈a⌉;  dy/da = 0", np.ceil, _zero),
        Function("round", "y = a rounded half to even;  dy/da = 0", np.round, _zero),
        Function("trunc", "y = a rounded toward 0;  dy/da = 0", np.trunc, _zero),
        Function("abs", "y = |a|;  dy/da = sign a (0 at 0 and nan)", np.abs, _abs_d),
        # -- activations
        Function(
            "leaky_relu",
            "y = a (a > 0), s·a (else);  dy/da = 1 (a > 0), s (else, so s at 0)",
            lambda a, slope: np.where(a > 0, a, a * slope),
            _leaky_relu_d,
            (("negative_slope", 0.01),),
        ),
        Function(
            "elu",
            "y = a (a > 0), α(e^a − 1) (else);  dy/da = 1 (a > 0), α e^a (else)",
            lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a)),
            _elu_d,
            (("alpha", 1.0),),
        ),
        Function(
            "celu",
            "y = a (a > 0), α(e^(a/α) − 1) (else);  dy/da = 1 (a > 0), e^(a/α) (else)",
            lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a * (1.0 / alpha))),
            _celu_d,
            (("alpha", 1.0),),
        ),
        Function(
            "gelu",
            "y = a Φ(a), Φ(a) = ½(1 + erf(a/√2));  dy/da = Φ(a) + a φ(a), φ(a) = e^(−a²/2)/√(2π)",
            lambda a: a * 0.5 * (1.0 + _erf_array(a * SQRT1_2)),
            _gelu_d,
        ),
        Function(
            "gelu_tanh",
            "y = ½a(1 + tanh u), u = √(2/π)(a + 0.044715a³);  "
            "dy/da = ½(1 + tanh u) + ½a(1 − tanh² u) √(2/π)(1 + 3·0.044715a²)",
            _gelu_tanh_forward,
            _gelu_tanh_d,
        ),
        Function(
            "silu",
            "y = a σ(a);  dy/da = σ(a)(1 + a(1 − σ(a)))",
            lambda a: a / (1.0 + np.exp(-a)),
            _silu_d,
        ),
        Function(
            "softplus",
            "y = ln(1 + e^(βa))/β (a when βa > threshold);  dy/da = e^(βa)/(e^(βa) + 1) (1 there)",
            _softplus_forward,
            _softplus_d,
            (("beta", 1.0), ("threshold", 20.0)),
        ),
        Function(
            "hardtanh",
            "y = min(max(a, lo), hi);  dy/da = 0 for a <= lo or a >= hi, else 1 (1 at nan)",
            lambda a, low, high: np.minimum(np.maximum(a, low), high),
            _hardtanh_d,
            (("min_val", -1.0), ("max_val", 1.0)),
        ),
        Function(
            "hardsigmoid",
            "y = min(max(a + 3, 0), 6)/6;  dy/da = 1/6 for −3 < a < 3, else 0",
            lambda a: np.minimum(np.maximum(a + 3.0, 0.0), 6.0) / 6.0,
            _hardsigmoid_d,
        ),
    ]
}


_N = TypeVar("_N", bound="ElementwiseMethods")


class ElementwiseMethods:
    """The element-wise functions of :data:`FUNCTIONS` as methods, for ``Tensor`` and ``Value``.

    Each method is one row of the table applied through the engine's own
    ``_elementwise(name, *params)``, so both engines have the same names, the same
    parameters and the same derivatives, written once.
    """

    __slots__ = ()

    def sqrt(self: _N) -> _N:
        """√a (nan below 0); derivative 1 / (2√a), inf at 0."""
        return self._elementwise("sqrt")

    def rsqrt(self: _N) -> _N:
        """1 / √a; derivative −a^(−3/2) / 2."""
        return self._elementwise("rsqrt")

    def sin(self: _N) -> _N:
        """sin a; derivative cos a."""
        return self._elementwise("sin")

    def cos(self: _N) -> _N:
        """cos a; derivative −sin a."""
        return self._elementwise("cos")

    def tan(self: _N) -> _N:
        """tan a; derivative 1 + tan² a."""
        return self._elementwise("tan")

    def sinh(self: _N) -> _N:
        """sinh a; derivative cosh a."""
        return self._elementwise("sinh")

    def cosh(self: _N) -> _N:
        """cosh a; derivative sinh a."""
        return self._elementwise("cosh")

    def asin(self: _N) -> _N:
        """asin a (nan outside [−1, 1]); derivative 1 / √(1 − a²)."""
        return self._elementwise("asin")

    def acos(self: _N) -> _N:
        """acos a (nan outside [−1, 1]); derivative −1 / √(1 − a²)."""
        return self._elementwise("acos")

    def atan(self: _N) -> _N:
        """atan a; derivative 1 / (1 + a²)."""
        return self._elementwise("atan")

    def asinh(self: _N) -> _N:
        """asinh a; derivative 1 / √(a² + 1)."""
        return self._elementwise("asinh")

    def acosh(self: _N) -> _N:
        """acosh a (nan below 1); derivative 1 / √(a² − 1)."""
        return self._elementwise("acosh")

    def atanh(self: _N) -> _N:
        """atanh a (±inf at ±1); derivative 1 / (1 − a²)."""
        return self._elementwise("atanh")

    def log2(self: _N) -> _N:
        """log₂ a; derivative 1 / (a ln 2)."""
        return self._elementwise("log2")

    def exp2(self: _N) -> _N:
        """2^a; derivative 2^a ln 2."""
        return self._elementwise("exp2")

    def erf(self: _N) -> _N:
        """The error function; derivative 2/√π e^(−a²)."""
        return self._elementwise("erf")

    def sign(self: _N) -> _N:
        """−1, 0 or 1 (nan at nan); derivative 0."""
        return self._elementwise("sign")

    def floor(self: _N) -> _N:
        """Rounded down; derivative 0."""
        return self._elementwise("floor")

    def ceil(self: _N) -> _N:
        """Rounded up; derivative 0."""
        return self._elementwise("ceil")

    def round(self: _N) -> _N:
        """Rounded to the nearest integer, halves to even (as torch); derivative 0."""
        return self._elementwise("round")

    def trunc(self: _N) -> _N:
        """Rounded toward zero; derivative 0."""
        return self._elementwise("trunc")

    def leaky_relu(self: _N, negative_slope: float = 0.01) -> _N:
        """a where a > 0, else slope·a; derivative 1 or slope (slope at 0, as torch)."""
        return self._elementwise("leaky_relu", float(negative_slope))

    def elu(self: _N, alpha: float = 1.0) -> _N:
        """a where a > 0, else α(e^a − 1); derivative 1 or α e^a."""
        return self._elementwise("elu", float(alpha))

    def celu(self: _N, alpha: float = 1.0) -> _N:
        """a where a > 0, else α(e^(a/α) − 1); derivative 1 or e^(a/α)."""
        return self._elementwise("celu", float(alpha))

    def gelu(self: _N, approximate: str = "none") -> _N:
        """a Φ(a) (``approximate="tanh"``: torch's tanh form); see :mod:`~.elementwise`."""
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}")
        return self._elementwise("gelu" if approximate == "none" else "gelu_tanh")

    def gelu_tanh(self: _N) -> _N:
        """gelu's tanh form (``gelu(approximate="tanh")``), by the name MLPs use."""
        return self._elementwise("gelu_tanh")

    def silu(self: _N) -> _N:
        """a σ(a) (swish); derivative σ(a)(1 + a(1 − σ(a)))."""
        return self._elementwise("silu")

    def softplus(self: _N, beta: float = 1.0, threshold: float = 20.0) -> _N:
        """ln(1 + e^(βa))/β, and a itself where βa > threshold (as torch)."""
        return self._elementwise("softplus", float(beta), float(threshold))

    def softsign(self: _N) -> _N:
        """a / (1 + |a|); derivative 1 / (1 + |a|)²."""
        return self / (self.abs() + 1.0)

    def hardtanh(self: _N, min_val: float = -1.0, max_val: float = 1.0) -> _N:
        """a clipped to [min, max]; derivative 1 strictly inside, 0 elsewhere (as torch)."""
        return self._elementwise("hardtanh", float(min_val), float(max_val))

    def hardsigmoid(self: _N) -> _N:
        """min(max(a + 3, 0), 6) / 6; derivative 1/6 on (−3, 3), else 0."""
        return self._elementwise("hardsigmoid")

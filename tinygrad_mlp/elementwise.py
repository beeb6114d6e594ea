"""Element-wise functions and activations, each with its derivative, for both engines.

One table (:data:`FUNCTIONS`) holds, per function, its math as text, its forward on
numpy numbers and its derivative f'(a) written with :func:`call`, :func:`fill` and
operators. The derivative receives the input ``a`` and the saved output ``y``: plain
numpy numbers on the fast first-order path, or nodes (``Tensor`` or ``Value``) when
the graph of a gradient is built (``create_graph=True``), so each rule is written
once and every op has derivatives of every order.
:class:`tinygrad_mlp.ops.arithmetic.Elementwise` and
:class:`tinygrad_mlp.ops.scalar.Elementwise` turn a row into an op of their engine.

The core functions (``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``) are rows too;
the engines run them through fast twins in :mod:`tinygrad_mlp.ops` (one op class
each, no table dispatch on the hot path), and a test holds each twin equal to its
row. The math text of a row is the only copy: the methods' docstrings
(:func:`from_row`) and the element-wise tables of ``docs/ops.md``
(:func:`markdown_table`) are rendered from it. The module is long because it is
one table, about forty rows of math, forward and derivative, with the renderers
and the methods that read it.

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

import inspect
import math
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

import numpy as np

__all__ = [
    "FUNCTIONS",
    "Function",
    "call",
    "fill",
    "from_row",
    "markdown_table",
    "num",
    "row_doc",
]

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


def _sigmoid(a: Any) -> Any:
    """1 / (1 + e**-a): exact to a few ulps (relative) wherever the result is a normal float.

    NOTE: for a < -709, e**-a overflows to inf and the result is 0 where the true
    value is below 1e-308; numpy's overflow warning is silenced for that case.
    Computed in place: one array, which matters more than the arithmetic. (The
    (1 + tanh(a/2)) / 2 form cancels for negative a: all digits lost at -40.)
    """
    with np.errstate(over="ignore"):
        out = np.exp(np.negative(a))
    if type(out) is not np.ndarray:  # a 0-d input gives a numpy scalar
        return 1.0 / (1.0 + out)
    out += 1.0
    return np.reciprocal(out, out=out)


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
    "sigmoid": _sigmoid,
}


#: the types of plain numbers; anything else a rule receives is a node
NUMBER_TYPES = (np.ndarray, np.generic, float, int)


def num(x: Any) -> Any:
    """The numbers of ``x``: the data of a node, or ``x`` itself."""
    return x if isinstance(x, NUMBER_TYPES) else x.data


def _is_number(x: Any) -> bool:
    return isinstance(x, NUMBER_TYPES)


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
    """One element-wise function: its math, its forward on numbers and its derivative rule.

    ``derivative(a, y, *params)`` returns f'(a) (to be multiplied by the incoming
    gradient), or None for a function whose derivative is 0 everywhere. ``y``,
    ``dy`` and ``notes`` are the math as text, the one copy that docstrings and
    ``docs/ops.md`` are rendered from.
    """

    name: str
    #: the forward, y = ..., in the notation of docs/ops.md (a the input)
    y: str
    #: dy/da, in the same notation (y the output)
    dy: str
    forward: Callable[..., Any]
    derivative: Callable[..., Any]
    #: the parameters' names and defaults, in order
    params: tuple = ()
    #: the singular points and kinks (ours are torch's), for docs and docstrings
    notes: str = ""
    #: which table of docs/ops.md lists it: "function" or "activation"
    kind: str = "function"

    @property
    def math(self) -> str:
        """The function and its derivative in one line: ``y = ...;  dy/da = ...``."""
        return f"y = {self.y};  dy/da = {self.dy}"


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


def _relu_d(a, y):
    # NOTE: nan passes the gradient (torch tests a <= 0), and relu'(0) = 0
    return _const(a, np.logical_not(num(a) <= 0))


def _row(name, y, dy, forward, derivative, notes, params=(), kind="function") -> Function:
    return Function(name, y, dy, forward, derivative, params, notes, kind)


FUNCTIONS: dict[str, Function] = {
    f.name: f
    for f in [
        _row("exp", "e^a", "y", np.exp, lambda a, y: y, "−inf: 0; overflow to +inf past 709.78"),
        _row(
            "log",
            "ln a",
            "1/a",
            np.log,
            lambda a, y: 1.0 / a,
            "a = ±0: y −inf, dy ±inf; a < 0: nan",
        ),
        _row(
            "sqrt",
            "√a",
            "1 / (2y)",
            np.sqrt,
            lambda a, y: 0.5 / y,
            "a = 0: dy +inf; a < 0: y and dy nan; +inf: dy 0",
        ),
        _row(
            "rsqrt",
            "1/√a",
            "−y³ / 2",
            NUMPY["rsqrt"],
            lambda a, y: -0.5 * (y * y * y),
            "a = +0: y +inf, dy −inf; −0: y −inf; a < 0: nan",
        ),
        _row("sin", "sin a", "cos a", np.sin, lambda a, y: call("cos", a), "±inf: nan"),
        _row("cos", "cos a", "−sin a", np.cos, lambda a, y: -call("sin", a), "±inf: nan"),
        _row(
            "tan",
            "tan a",
            "1 + y²",
            np.tan,
            lambda a, y: 1.0 + y * y,
            "±inf: nan (the poles are not exactly representable)",
        ),
        _row(
            "sinh",
            "sinh a",
            "cosh a",
            np.sinh,
            lambda a, y: call("cosh", a),
            "overflow to ±inf past ±710",
        ),
        _row(
            "cosh",
            "cosh a",
            "sinh a",
            np.cosh,
            lambda a, y: call("sinh", a),
            "overflow to +inf past ±710",
        ),
        _row(
            "asin",
            "asin a",
            "1/√(1 − a²)",
            np.arcsin,
            lambda a, y: call("rsqrt", 1.0 - a * a),
            "a = ±1: dy +inf; |a| > 1: nan",
        ),
        _row(
            "acos",
            "acos a",
            "−1/√(1 − a²)",
            np.arccos,
            lambda a, y: -call("rsqrt", 1.0 - a * a),
            "a = ±1: dy −inf; |a| > 1: nan",
        ),
        _row(
            "atan",
            "atan a",
            "1/(1 + a²)",
            np.arctan,
            lambda a, y: 1.0 / (a * a + 1.0),
            "±inf: y ±π/2, dy 0",
        ),
        _row(
            "asinh",
            "asinh a",
            "1/√(a² + 1)",
            np.arcsinh,
            lambda a, y: call("rsqrt", a * a + 1.0),
            "±inf: dy 0",
        ),
        _row(
            "acosh",
            "acosh a",
            "1/√(a² − 1)",
            np.arccosh,
            lambda a, y: call("rsqrt", a * a - 1.0),
            "a = 1: dy +inf; a < 1: nan",
        ),
        _row(
            "atanh",
            "atanh a",
            "1/(1 − a²)",
            np.arctanh,
            lambda a, y: 1.0 / (1.0 - a * a),
            "a = ±1: y ±inf, dy +inf; |a| > 1: nan",
        ),
        _row(
            "log2",
            "log₂ a",
            "1/(a ln 2)",
            np.log2,
            lambda a, y: 1.0 / (a * LN2),
            "a = ±0: y −inf, dy ±inf; a < 0: nan",
        ),
        _row("exp2", "2^a", "y ln 2", np.exp2, lambda a, y: y * LN2, "−inf: 0; overflow to +inf"),
        _row(
            "erf",
            "erf a",
            "2/√π e^(−a²)",
            _erf_array,
            lambda a, y: TWO_OVER_SQRT_PI * call("exp", -(a * a)),
            "±inf: y ±1, dy 0",
        ),
        _row("abs", "|a|", "sign a", np.abs, _abs_d, "a = 0 and nan: dy 0"),
        _row("sign", "−1, 0 or 1", "0", _sign, _zero, "sign(nan) = 0 (torch's sign)"),
        _row("floor", "⌊a⌋", "0", np.floor, _zero, "dy 0 everywhere, nan included"),
        _row("ceil", "⌈a⌉", "0", np.ceil, _zero, "dy 0 everywhere, nan included"),
        _row(
            "round", "a rounded, halves to even", "0", np.round, _zero, "dy 0 everywhere (as torch)"
        ),
        _row("trunc", "a rounded toward 0", "0", np.trunc, _zero, "dy 0 everywhere (as torch)"),
        # -- activations
        _row(
            "sigmoid",
            "σ(a) = 1/(1 + e^−a)",
            "y(1 − y)",
            _sigmoid,
            lambda a, y: y * (1.0 - y),
            "+inf: 1, −inf: 0, dy 0 at both; exact to a few ulps wherever y is a normal "
            "float (0 below a ≈ −709)",
            kind="activation",
        ),
        _row(
            "tanh",
            "tanh a",
            "1 − y²",
            np.tanh,
            lambda a, y: 1.0 - y * y,
            "±inf: ±1, dy 0",
            kind="activation",
        ),
        _row(
            "relu",
            "max(0, a)",
            "1 (a > 0), 0 (else)",
            lambda a: np.maximum(a, 0),  # NOTE: propagates nan, as torch
            _relu_d,
            "at 0: dy 0; nan: y nan, dy 1 (torch tests a <= 0)",
            kind="activation",
        ),
        _row(
            "leaky_relu",
            "a (a > 0), s·a (else), s = negative_slope",
            "1 (a > 0), s (else)",
            lambda a, slope: np.where(a > 0, a, a * slope),
            _leaky_relu_d,
            "at 0: s; nan: s·g (torch tests a > 0)",
            (("negative_slope", 0.01),),
            "activation",
        ),
        _row(
            "elu",
            "a (a > 0), α(e^a − 1) (else)",
            "1 (a > 0), α e^a (else)",
            lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a)),
            _elu_d,
            "at 0: α; d² at 0 is 0 (torch tests a < 0 there); nan: dy 1",
            (("alpha", 1.0),),
            "activation",
        ),
        _row(
            "celu",
            "a (a > 0), α(e^(a/α) − 1) (else)",
            "1 (a > 0), e^(a/α) (else)",
            lambda a, alpha: np.where(a > 0, a, alpha * np.expm1(a * (1.0 / alpha))),
            _celu_d,
            "as elu",
            (("alpha", 1.0),),
            "activation",
        ),
        _row(
            "gelu",
            "a Φ(a), Φ(a) = ½(1 + erf(a/√2))",
            "Φ(a) + a φ(a), φ(a) = e^(−a²/2)/√(2π)",
            lambda a: a * 0.5 * (1.0 + _erf_array(a * SQRT1_2)),
            _gelu_d,
            "−inf: y and dy nan (−inf·0), as torch",
            kind="activation",
        ),
        _row(
            "gelu_tanh",
            "½a(1 + tanh u), u = √(2/π)(a + 0.044715a³)",
            "½(1 + tanh u) + ½a(1 − tanh² u)·√(2/π)(1 + 3·0.044715a²)",
            _gelu_tanh_forward,
            _gelu_tanh_d,
            'as torch\'s tanh form (gelu with approximate="tanh")',
            kind="activation",
        ),
        _row(
            "silu",
            "a σ(a)",
            "σ(a)(1 + a(1 − σ(a)))",
            lambda a: a / (1.0 + np.exp(-a)),
            _silu_d,
            "−inf: nan",
            kind="activation",
        ),
        _row(
            "softplus",
            "ln(1 + e^(βa))/β, and a where βa > threshold",
            "e^(βa)/(e^(βa) + 1), and 1 where βa > threshold",
            _softplus_forward,
            _softplus_d,
            "at βa = threshold: d² is 0, as torch",
            (("beta", 1.0), ("threshold", 20.0)),
            "activation",
        ),
        _row(
            "hardtanh",
            "min(max(a, lo), hi), lo = min_val, hi = max_val",
            "1 for lo < a < hi, else 0",
            lambda a, low, high: np.minimum(np.maximum(a, low), high),
            _hardtanh_d,
            "at the bounds: dy 0; nan: dy 1 (torch's test)",
            (("min_val", -1.0), ("max_val", 1.0)),
            "activation",
        ),
        _row(
            "hardsigmoid",
            "min(max(a + 3, 0), 6)/6",
            "1/6 for −3 < a < 3, else 0",
            lambda a: np.minimum(np.maximum(a + 3.0, 0.0), 6.0) / 6.0,
            _hardsigmoid_d,
            "the 1/6 is float32's (torch's kernel constant); torch has no second "
            "derivative, ours is 0",
            kind="activation",
        ),
    ]
}


# --------------------------------------------------------------------------- rendering
# The rows' math text rendered as method docstrings and as the tables of docs/ops.md.

_TABLE = "tinygrad_mlp.elementwise.FUNCTIONS"


def _signature(row: Function) -> str:
    args = ", ".join(f"{name}={default:g}" for name, default in row.params)
    return f"{row.name}({args})" if args else row.name


def row_doc(row: Function, twin: str = "") -> str:
    """The docstring of the method that computes ``row``, rendered from its math.

    ``twin`` names the op class that computes the row faster (the engines' core
    functions); the docstring then points at it.

    >>> print(row_doc(FUNCTIONS["sin"]))
    y = sin a;  dy/da = cos a, element-wise.
    <BLANKLINE>
    At singular points, as torch: ±inf: nan.
    <BLANKLINE>
    The rule: row ``sin`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS` (every order).
    """
    lines = [f"{row.math}, element-wise."]
    if row.params:
        defaults = ", ".join(f"{name}={default:g}" for name, default in row.params)
        lines += ["", f"Parameters, torch's defaults: {defaults}."]
    if row.notes:
        lines += ["", f"At singular points, as torch: {row.notes}."]
    where = f"row ``{row.name}`` of :data:`{_TABLE}`"
    if twin:
        lines += ["", f"The rule: :class:`{twin}` (every order), a fast twin of {where}."]
    else:
        lines += ["", f"The rule: {where} (every order)."]
    return "\n".join(lines)


_F = TypeVar("_F", bound=Callable[..., Any])


def from_row(name: str, twin: str = "") -> Callable[[_F], _F]:
    """Decorator: the method's docstring is row ``name``'s math (see :func:`row_doc`).

    What the method's own docstring says (an example, a note on an argument) follows
    the rendered row. Applied once, when the class is made: calls are untouched.
    """
    row = FUNCTIONS[name]

    def document(method: _F) -> _F:
        own = inspect.cleandoc(method.__doc__ or "")
        method.__doc__ = row_doc(row, twin) + (f"\n\n{own}" if own else "")
        return method

    return document


_HEADERS = {
    "function": "| op | y | dy/da | singular points (all as torch) |",
    "activation": "| op (name) | y | dy/da | kinks and singular points (all as torch) |",
}


def markdown_table(kind: str) -> str:
    """The rows of one ``kind`` ("function" or "activation") as a Markdown table.

    ``docs/ops.md`` holds this text between ``<!-- table: kind -->`` markers, and a
    test keeps the two equal (``python scripts/render_ops_doc.py`` rewrites them).

    >>> print(markdown_table("function").splitlines()[2])
    | `exp` | e^a | y | −inf: 0; overflow to +inf past 709.78 |
    """

    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = [_HEADERS[kind], "|---|---|---|---|"]
    for row in FUNCTIONS.values():
        if row.kind == kind:
            cells = [f"`{_signature(row)}`", row.y, row.dy, row.notes]
            lines.append("| " + " | ".join(cell(c) for c in cells) + " |")
    return "\n".join(lines)


_N = TypeVar("_N", bound="ElementwiseMethods")


class ElementwiseMethods:
    """The element-wise functions of :data:`FUNCTIONS` as methods, for ``Tensor`` and ``Value``.

    Each method is one row of the table applied through the engine's own
    ``_elementwise(name, *params)``, so both engines have the same names, the same
    parameters and the same derivatives, written once; each docstring is the row's
    math (:func:`from_row`). The rows ``exp``, ``log``, ``tanh``, ``sigmoid`` and
    ``relu`` are methods of the engines themselves, which run fast twins of them.
    """

    __slots__ = ()

    def named(self: _N, name: str) -> _N:
        """This node, labelled ``name``, so :func:`tinygrad_mlp.grade` can find it (both
        engines; not an element-wise function, but a method both engines share).

        >>> from tinygrad_mlp import Tensor, Value
        >>> (Tensor([[1.0, -1.0]], requires_grad=True) * 2).tanh().named("h").label
        'h'
        >>> (Value(0.5) * 2).tanh().named("h").label
        'h'
        """
        if not isinstance(name, str) or not name:
            raise TypeError(f"a node's name is a non-empty string, not {name!r}")
        self.label = name
        return self

    @from_row("sqrt")
    def sqrt(self: _N) -> _N:
        return self._elementwise("sqrt")

    @from_row("rsqrt")
    def rsqrt(self: _N) -> _N:
        return self._elementwise("rsqrt")

    @from_row("sin")
    def sin(self: _N) -> _N:
        return self._elementwise("sin")

    @from_row("cos")
    def cos(self: _N) -> _N:
        return self._elementwise("cos")

    @from_row("tan")
    def tan(self: _N) -> _N:
        return self._elementwise("tan")

    @from_row("sinh")
    def sinh(self: _N) -> _N:
        return self._elementwise("sinh")

    @from_row("cosh")
    def cosh(self: _N) -> _N:
        return self._elementwise("cosh")

    @from_row("asin")
    def asin(self: _N) -> _N:
        return self._elementwise("asin")

    @from_row("acos")
    def acos(self: _N) -> _N:
        return self._elementwise("acos")

    @from_row("atan")
    def atan(self: _N) -> _N:
        return self._elementwise("atan")

    @from_row("asinh")
    def asinh(self: _N) -> _N:
        return self._elementwise("asinh")

    @from_row("acosh")
    def acosh(self: _N) -> _N:
        return self._elementwise("acosh")

    @from_row("atanh")
    def atanh(self: _N) -> _N:
        return self._elementwise("atanh")

    @from_row("log2")
    def log2(self: _N) -> _N:
        return self._elementwise("log2")

    @from_row("exp2")
    def exp2(self: _N) -> _N:
        return self._elementwise("exp2")

    @from_row("erf")
    def erf(self: _N) -> _N:
        return self._elementwise("erf")

    @from_row("abs")
    def abs(self: _N) -> _N:
        return self._elementwise("abs")

    @from_row("sign")
    def sign(self: _N) -> _N:
        return self._elementwise("sign")

    @from_row("floor")
    def floor(self: _N) -> _N:
        return self._elementwise("floor")

    @from_row("ceil")
    def ceil(self: _N) -> _N:
        return self._elementwise("ceil")

    @from_row("round")
    def round(self: _N) -> _N:
        return self._elementwise("round")

    @from_row("trunc")
    def trunc(self: _N) -> _N:
        return self._elementwise("trunc")

    @from_row("leaky_relu")
    def leaky_relu(self: _N, negative_slope: float = 0.01) -> _N:
        return self._elementwise("leaky_relu", float(negative_slope))

    @from_row("elu")
    def elu(self: _N, alpha: float = 1.0) -> _N:
        return self._elementwise("elu", float(alpha))

    @from_row("celu")
    def celu(self: _N, alpha: float = 1.0) -> _N:
        return self._elementwise("celu", float(alpha))

    @from_row("gelu")
    def gelu(self: _N, approximate: str = "none") -> _N:
        """``approximate="tanh"`` gives torch's tanh form instead, row ``gelu_tanh``."""
        if approximate not in ("none", "tanh"):
            raise ValueError(f"approximate must be 'none' or 'tanh', not {approximate!r}")
        return self._elementwise("gelu" if approximate == "none" else "gelu_tanh")

    @from_row("gelu_tanh")
    def gelu_tanh(self: _N) -> _N:
        """gelu's tanh form (``gelu(approximate="tanh")``), by the name MLPs use."""
        return self._elementwise("gelu_tanh")

    @from_row("silu")
    def silu(self: _N) -> _N:
        return self._elementwise("silu")

    @from_row("softplus")
    def softplus(self: _N, beta: float = 1.0, threshold: float = 20.0) -> _N:
        return self._elementwise("softplus", float(beta), float(threshold))

    def softsign(self: _N) -> _N:
        """a / (1 + |a|); derivative 1 / (1 + |a|)² (composed from abs, add, div, as torch)."""
        return self / (self.abs() + 1.0)

    @from_row("hardtanh")
    def hardtanh(self: _N, min_val: float = -1.0, max_val: float = 1.0) -> _N:
        return self._elementwise("hardtanh", float(min_val), float(max_val))

    @from_row("hardsigmoid")
    def hardsigmoid(self: _N) -> _N:
        return self._elementwise("hardsigmoid")

"""What ONNX export and load share: the activation forms, the scaler nodes, the constants.

:data:`ONNX_FORMS` holds, for each name of :data:`tinygrad_mlp.names.ACTIVATIONS`, the
nodes export writes for it; load recognises an activation by those same nodes, so one
description serves both directions (an activation added to the vocabulary and forgotten
here fails at import). :func:`_scaler_steps` is the same for the scalers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tinygrad_mlp.data import MinMaxScaler, StandardScaler
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.record import Scaler

__all__ = ["DEFAULT_OPSET", "LEGACY_FORMS", "ONNX_FORMS", "activation_nodes"]

#: The opset written unless another is asked for (runs on onnxruntime 1.14 and later).
DEFAULT_OPSET = 17
#: The oldest opset we write: Softmax's per-row meaning (axis=-1) starts at 13.
MIN_OPSET = 13
METADATA_KEY = "tinygrad_mlp"
FORMAT = "tinygrad-mlp-onnx"
VERSION = 1
#: ONNX files larger than this are refused before reading (protobuf's own limit is 2 GiB).
MAX_ONNX_BYTES = 2 * 1024 * 1024 * 1024

#: The first opset with a ``Gelu`` operator; below it gelu is composed from ``Erf``.
GELU_OPSET = 20
SQRT1_2 = float(np.sqrt(0.5))
GELU_BETA = float(np.sqrt(2.0 / np.pi))
GELU_KAPPA = 0.044715


def require_onnx() -> Any:
    """The ``onnx`` module, or one ImportError saying which extra to install."""
    try:
        import onnx
    except ImportError:
        raise ImportError("this needs the onnx package: pip install 'tinygrad-mlp[onnx]'") from None
    return onnx


class _Builder:
    """Nodes and initializers of a graph under construction, each name made once."""

    def __init__(self, onnx: Any) -> None:
        self.onnx = onnx
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []

    def const(self, name: str, value: Any, dtype: Any = None) -> str:
        array = np.asarray(value, dtype=dtype)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attributes: Any) -> str:
        self.nodes.append(
            self.onnx.helper.make_node(op, inputs, [output], name=output, **attributes)
        )
        return output


@dataclass
class _Form:
    """Where one activation's nodes are being written: the builder, the input tensor
    ``x``, the prefix ``p`` of the new names, the dtype and the opset."""

    b: _Builder
    x: str
    p: str
    dtype: Any
    opset: int

    @property
    def f32(self) -> bool:
        return np.dtype(self.dtype) == np.float32

    def c(self, suffix: str, value: float) -> str:
        """A constant of the network's dtype (an ONNX float attribute is float32)."""
        return self.b.const(f"{self.p}.const.{suffix}", value, self.dtype)

    def node(self, op: str, inputs: list[str], suffix: str = "", **attributes: Any) -> str:
        """A node; its output is ``p`` (the activation's output) or ``p.suffix``."""
        return self.b.node(op, inputs, f"{self.p}.{suffix}" if suffix else self.p, **attributes)


def _identity(f: _Form) -> str:
    return f.x  # NOTE: a linear layer writes no node


def _op(op: str) -> Callable[[_Form], str]:
    return lambda f: f.node(op, [f.x])


def _leaky_relu(f: _Form) -> str:
    if f.f32:
        return f.node("LeakyRelu", [f.x], alpha=0.01)
    # NOTE: onnxruntime has float64 PRelu only at opsets 16-18; Where/Mul run at every opset
    positive = f.node("Greater", [f.x, f.c("zero", 0.0)], "positive")
    return f.node("Where", [positive, f.x, f.node("Mul", [f.x, f.c("slope", 0.01)], "scaled")])


def _leaky_relu_prelu(f: _Form) -> str:
    """The float64 form files of version 1 hold (PRelu), read back by load."""
    if f.f32:
        return f.node("LeakyRelu", [f.x], alpha=0.01)
    return f.node("PRelu", [f.x, f.c("slope", 0.01)])


def _elu(f: _Form, celu: bool = False) -> str:
    if f.f32:
        return f.node("Celu" if celu else "Elu", [f.x], alpha=1.0)
    m = f.node("Min", [f.x, f.c("zero", 0.0)], "min")
    if celu:  # α(e^(x/α) − 1) with α = 1
        m = f.node("Div", [m, f.c("alpha", 1.0)], "scaled")
    e = f.node("Sub", [f.node("Exp", [m], "exp"), f.c("one", 1.0)], "expm1")
    if celu:
        e = f.node("Mul", [e, f.c("alpha_out", 1.0)], "negative")
    return f.node("Add", [f.node("Relu", [f.x], "relu"), e])


def _gelu(f: _Form) -> str:
    if f.opset >= GELU_OPSET:
        return f.node("Gelu", [f.x])
    e = f.node("Erf", [f.node("Mul", [f.x, f.c("sqrt1_2", SQRT1_2)], "u")], "erf")
    half = f.node("Mul", [f.x, f.c("half", 0.5)], "half")
    return f.node("Mul", [half, f.node("Add", [e, f.c("one", 1.0)], "phi2")])


def _gelu_tanh(f: _Form) -> str:
    x = f.x
    cube = f.node("Mul", [f.node("Mul", [x, x], "sq"), x], "cube")
    inner = f.node("Add", [x, f.node("Mul", [cube, f.c("kappa", GELU_KAPPA)], "k")], "in")
    t = f.node("Tanh", [f.node("Mul", [inner, f.c("beta", GELU_BETA)], "u")], "tanh")
    half = f.node("Mul", [x, f.c("half", 0.5)], "half")
    return f.node("Mul", [half, f.node("Add", [t, f.c("one", 1.0)], "t1")])


def _sigmoid_nodes(f: _Form, suffix: str = "") -> str:
    # NOTE: 1 / (1 + e^−x), not onnxruntime's Sigmoid, whose float64 kernel is off by 4e-8
    # (relative) at x = −20 and whose float32 kernel gives 0 below −16
    e = f.node("Exp", [f.node("Neg", [f.x], "neg")], "exp")
    return f.node("Div", [f.c("one", 1.0), f.node("Add", [e, f.c("one_", 1.0)], "den")], suffix)


def _sigmoid(f: _Form) -> str:
    return _sigmoid_nodes(f)


def _silu(f: _Form) -> str:
    return f.node("Mul", [f.x, _sigmoid_nodes(f, "sigmoid")])


def _silu_sigmoid_op(f: _Form) -> str:
    """The form files of version 1 hold (x·Sigmoid(x)), read back by load."""
    return f.node("Mul", [f.x, f.node("Sigmoid", [f.x], "sigmoid")])


def _softplus(f: _Form) -> str:
    # ln(1 + eˣ) = max(x, 0) + log1p(e^−|x|): no overflow, and no 1 + eˣ rounding to 1
    # (ln(1 + e^−40) would be 0 where the network gives 4e-18). ONNX has no Log1p, so
    # log1p(u) = u · ln(w) / (w − 1) with w = 1 + u (u where w rounds to 1), exact to a
    # few ulps (Goldberg, "What every computer scientist should know ...", thm. 4).
    u = f.node("Exp", [f.node("Neg", [f.node("Abs", [f.x], "abs")], "neg")], "u")
    w = f.node("Add", [u, f.c("one", 1.0)], "w")
    d = f.node("Sub", [w, f.c("one_", 1.0)], "d")
    ratio = f.node("Div", [f.node("Mul", [u, f.node("Log", [w], "log")], "ulog"), d], "ratio")
    rounds = f.node("Equal", [d, f.c("zero", 0.0)], "rounds")
    log1p = f.node("Where", [rounds, u, ratio], "log1p")
    stable = f.node("Add", [f.node("Max", [f.x, f.c("zero_", 0.0)], "max"), log1p], "stable")
    above = f.node("Greater", [f.x, f.c("threshold", 20.0)], "above")  # torch's threshold
    return f.node("Where", [above, f.x, stable])


def _softplus_log_one_plus_exp(f: _Form) -> str:
    """The form files of version 1 hold (ln(1 + e^min(x, 20))), read back by load."""
    e = f.node("Exp", [f.node("Min", [f.x, f.c("threshold", 20.0)], "min")], "exp")
    log = f.node("Log", [f.node("Add", [e, f.c("one", 1.0)], "1pe")], "log")
    above = f.node("Greater", [f.x, f.c("threshold_", 20.0)], "above")
    return f.node("Where", [above, f.x, log])


def _softsign(f: _Form) -> str:
    if f.f32:
        return f.node("Softsign", [f.x])
    d = f.node("Add", [f.node("Abs", [f.x], "abs"), f.c("one", 1.0)], "den")
    return f.node("Div", [f.x, d])


def _hardtanh(f: _Form) -> str:
    return f.node("Clip", [f.x, f.c("min", -1.0), f.c("max", 1.0)])


def _hardsigmoid(f: _Form) -> str:
    if f.f32:
        return f.node("HardSigmoid", [f.x], alpha=1.0 / 6.0, beta=0.5)
    shifted = f.node("Add", [f.x, f.c("three", 3.0)], "shift")
    clipped = f.node("Clip", [shifted, f.c("zero", 0.0), f.c("six", 6.0)], "clip")
    return f.node("Div", [clipped, f.c("six_", 6.0)])


#: The nodes of each activation, as our engines compute it. An ONNX operator is used
#: where one computes our function with our numbers at the network's dtype; a float
#: attribute is float32 in ONNX, so float64 takes typed constants and composes
#: (``Where(x > 0, x, x·0.01)`` for leaky_relu, ``Exp``/``Relu``/``Min`` for elu and celu,
#: ``(x + 3)`` clipped to [0, 6] over 6 for hardsigmoid), from operators onnxruntime runs
#: in float64. Softplus is the stable ``max(x, 0) + log1p(e^−|x|)`` with torch's threshold
#: (``Where(x > 20, x, ...)``); gelu is ``x·½·(1 + Erf(x/√2))`` below opset 20, gelu_tanh
#: always ``½x(1 + Tanh(√(2/π)(x + 0.044715 x³)))``; sigmoid is ``1 / (1 + e^−x)`` (more
#: accurate than onnxruntime's ``Sigmoid``) and silu ``x`` times it.
ONNX_FORMS: dict[str, Callable[[_Form], str]] = {
    "sigmoid": _sigmoid,
    "tanh": _op("Tanh"),
    "relu": _op("Relu"),
    "linear": _identity,
    "leaky_relu": _leaky_relu,
    "elu": _elu,
    "celu": lambda f: _elu(f, celu=True),
    "gelu": _gelu,
    "gelu_tanh": _gelu_tanh,
    "silu": _silu,
    "softplus": _softplus,
    "softsign": _softsign,
    "hardtanh": _hardtanh,
    "hardsigmoid": _hardsigmoid,
}
#: Forms earlier versions wrote that export no longer does; load still reads them.
LEGACY_FORMS: dict[str, Callable[[_Form], str]] = {
    "sigmoid": _op("Sigmoid"),
    "silu": _silu_sigmoid_op,
    "leaky_relu": _leaky_relu_prelu,
    "softplus": _softplus_log_one_plus_exp,
}

#: Activations whose float64 form needs an operator onnxruntime has no float64 kernel
#: for (its Erf, in gelu): export refuses them unless asked for a file for other runtimes.
NO_FLOAT64_ONNXRUNTIME = {"gelu": "Erf"}

_missing = sorted(set(ACTIVATIONS) - set(ONNX_FORMS))
if _missing:  # NOTE: not an assert: it must fail under python -O too
    raise ImportError(f"activations {_missing} have no ONNX form in ONNX_FORMS")


def activation_nodes(
    b: _Builder, name: str, x: str, p: str, dtype: Any, opset: int, forms: Any = None
) -> str:
    """Write activation ``name`` of tensor ``x`` (new names start with ``p``); its output.

    ``forms`` is the table to take the form from (:data:`ONNX_FORMS` unless given). An
    activation without a form is refused in one sentence naming it.
    """
    form = (ONNX_FORMS if forms is None else forms).get(name)
    if form is None:
        raise ValueError(
            f"activation {name!r} has no ONNX form; add one to ONNX_FORMS in "
            "tinygrad_mlp/onnx/forms.py"
        )
    return form(_Form(b, x, p, dtype, opset))


@dataclass
class _ScalerStep:
    """One node of a scaler: ``op`` on the running tensor (at ``position``) and constants."""

    label: str  # the node's output is named "<side>_scaler.<label>"
    op: str
    constants: list[tuple[str, np.ndarray]]  # (initializer suffix, value), in input order
    position: int = 0


def _scaler_steps(scaler: Scaler, side: str) -> list[_ScalerStep]:
    """The nodes that compute ``scaler.transform`` (side "input") or
    ``scaler.inverse_transform`` (side "output"), in float64 and in the same order
    of operations as the numpy code, so the results agree bit for bit.

    Export writes these nodes and import checks a file's nodes against them: one
    description of the arithmetic per scaler kind serves both directions.
    """
    f64 = np.float64
    if isinstance(scaler, StandardScaler):
        mean, scale = scaler.mean_.astype(f64), scaler.scale_.astype(f64)
        if side == "input":  # (x - mean) / scale (0 where scale = 0)
            if not np.any(scale == 0):
                return [
                    _ScalerStep("shifted", "Sub", [("mean", mean)]),
                    _ScalerStep("output", "Div", [("scale", scale)]),
                ]
            # NOTE: a constant column has no spread; the scaler maps it to 0.
            where = [("constant", scale == 0), ("zero", f64(0.0))]
            return [
                _ScalerStep("shifted", "Sub", [("mean", mean)]),
                _ScalerStep("unit", "Div", [("scale", np.where(scale == 0, 1.0, scale))]),
                _ScalerStep("output", "Where", where, position=2),
            ]
        return [  # y * scale + mean
            _ScalerStep("stretched", "Mul", [("scale", scale)]),
            _ScalerStep("output", "Add", [("mean", mean)]),
        ]
    if isinstance(scaler, MinMaxScaler):
        low, high = scaler.feature_range
        span = (scaler.max_ - scaler.min_).astype(f64)
        if side == "input":  # (x - min) / span (0.5 where span = 0) * (high - low) + low
            steps = [
                _ScalerStep("shifted", "Sub", [("min", scaler.min_.astype(f64))]),
                _ScalerStep("unit", "Div", [("span", np.where(span == 0, 1.0, span))]),
            ]
            if np.any(span == 0):
                # NOTE: a constant column has no span; MinMaxScaler puts it in the middle (0.5).
                where = [("constant", span == 0), ("middle", f64(0.5))]
                steps.append(_ScalerStep("mid", "Where", where, position=2))
            steps.append(_ScalerStep("stretched", "Mul", [("width", f64(high - low))]))
            steps.append(_ScalerStep("output", "Add", [("low", f64(low))]))
            return steps
        return [  # (y - low) / (high - low) * span + min
            _ScalerStep("shifted", "Sub", [("low", f64(low))]),
            _ScalerStep("unit", "Div", [("width", f64(high - low))]),
            _ScalerStep("stretched", "Mul", [("span", span)]),
            _ScalerStep("output", "Add", [("min", scaler.min_.astype(f64))]),
        ]
    raise TypeError(
        f"ONNX export knows MinMaxScaler and StandardScaler scalers, not {type(scaler).__name__}"
    )

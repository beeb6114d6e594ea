"""ONNX export and import: the network, and a trained model with its scalers, as a graph.

:func:`export` writes a network as ONNX, built with the ``onnx`` package's own
helpers and checked by ``onnx.checker``: one ``Gemm`` per layer
(``y = x Wᵀ + b``, W stored nodes × inputs as ours, ``transB=1``), then its
activation (nothing for a linear layer): the ONNX operator where one computes our
numbers at the network's dtype (``Sigmoid``, ``Tanh``, ``Relu``, ``Clip`` for hardtanh;
in float32 also ``LeakyRelu``, ``Elu``, ``Celu``, ``Softsign``, ``HardSigmoid``, and
``Gelu`` from opset 20), otherwise a few nodes with constants of the network's dtype
(an ONNX float attribute is float32), as :func:`_activation` lists. A float64 gelu
holds an ``Erf``, which onnxruntime runs in float32 only. The
input is ``input`` of shape (batch, inputs) with a dynamic batch axis.

A saved model (:class:`~tinygrad_mlp.io.SavedModel`, what ``tinygrad-mlp
train`` writes) is exported as the function ``predict`` computes, so a server
feeds it raw CSV values:

- its input scaler becomes the nodes of its ``transform``, in float64 and in
  the order numpy computes it: ``(x − mean) / scale`` (``Sub``, ``Div``) for a
  :class:`~tinygrad_mlp.data.StandardScaler`; ``(x − min) / (max − min) · (high
  − low) + low`` (``Sub``, ``Div``, ``Mul``, ``Add``; a constant column is put
  in the middle of the range by a ``Where``) for a
  :class:`~tinygrad_mlp.data.MinMaxScaler`;
- its output scaler maps back with the nodes of its ``inverse_transform``
  (``y · scale + mean``, or ``(y − low) / (high − low) · (max − min) + min``),
  and the output ``output`` is in data units;
- a ``bce`` model ends in ``Sigmoid`` and a ``ce`` model in ``Softmax``: the
  output ``probabilities`` holds one probability per output node (per class).

The model's other fields (loss, column names, class labels, scaler values,
settings) travel as JSON in the file's metadata (key ``tinygrad_mlp``), so
:func:`load_model` gives back the model that left. :func:`load` reads the
network of any MLP-shaped graph (``Gemm``, or ``MatMul`` then ``Add``, each
followed by at most one activation in a form export writes), from whichever tool
wrote it, and refuses anything else with one sentence naming the first node
that does not fit.

The ``onnx`` package is an optional extra (``pip install 'tinygrad-mlp[onnx]'``,
with ``onnxruntime`` to run the files); it is imported when a function here runs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.data import MinMaxScaler, StandardScaler, checked_file
from tinygrad_mlp.interchange import Scaler, describe, read_fields
from tinygrad_mlp.io import SavedModel, atomic_write_bytes
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import MLP

__all__ = ["DEFAULT_OPSET", "export", "load", "load_model"]

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
    try:
        import onnx
    except ImportError:
        raise ImportError("this needs the onnx package: pip install 'tinygrad-mlp[onnx]'") from None
    return onnx


# --------------------------------------------------------------------------- export


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


def _activation(b: _Builder, name: str, x: str, p: str, dtype: Any, opset: int) -> str:
    """Nodes computing activation ``name`` of ``x`` as our engines do (names start with ``p``).

    An ONNX operator is used where one computes our function with our numbers at this dtype;
    a float attribute is float32 in ONNX, so float64 takes typed constants and composes
    (``PRelu`` for leaky_relu, ``Exp``/``Relu``/``Min`` for elu and celu, ``(x + 3)`` clipped
    to [0, 6] over 6 for hardsigmoid). Softplus keeps torch's threshold (``Where(x > 20, x,
    ln(1 + e^min(x, 20)))``); gelu is ``x·½·(1 + Erf(x/√2))`` below opset 20, gelu_tanh
    always ``½x(1 + Tanh(√(2/π)(x + 0.044715 x³)))``, silu ``x·Sigmoid(x)``.
    """
    f32 = np.dtype(dtype) == np.float32

    def c(suffix: str, value: float) -> str:
        return b.const(f"{p}.const.{suffix}", value, dtype)

    if name in ("sigmoid", "tanh", "relu"):
        return b.node({"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu"}[name], [x], p)
    if name == "leaky_relu":
        if f32:
            return b.node("LeakyRelu", [x], p, alpha=0.01)
        return b.node("PRelu", [x, c("slope", 0.01)], p)
    if name in ("elu", "celu") and f32:
        return b.node(name.capitalize(), [x], p, alpha=1.0)
    if name in ("elu", "celu"):
        m = b.node("Min", [x, c("zero", 0.0)], f"{p}.min")
        if name == "celu":  # α(e^(x/α) − 1) with α = 1
            m = b.node("Div", [m, c("alpha", 1.0)], f"{p}.scaled")
        e = b.node("Sub", [b.node("Exp", [m], f"{p}.exp"), c("one", 1.0)], f"{p}.expm1")
        if name == "celu":
            e = b.node("Mul", [e, c("alpha_out", 1.0)], f"{p}.negative")
        return b.node("Add", [b.node("Relu", [x], f"{p}.relu"), e], p)
    if name == "gelu" and opset >= GELU_OPSET:
        return b.node("Gelu", [x], p)
    if name == "gelu":
        e = b.node("Erf", [b.node("Mul", [x, c("sqrt1_2", SQRT1_2)], f"{p}.u")], f"{p}.erf")
        half = b.node("Mul", [x, c("half", 0.5)], f"{p}.half")
        return b.node("Mul", [half, b.node("Add", [e, c("one", 1.0)], f"{p}.phi2")], p)
    if name == "gelu_tanh":
        cube = b.node("Mul", [b.node("Mul", [x, x], f"{p}.sq"), x], f"{p}.cube")
        inner = b.node(
            "Add", [x, b.node("Mul", [cube, c("kappa", GELU_KAPPA)], f"{p}.k")], f"{p}.in"
        )
        t = b.node("Tanh", [b.node("Mul", [inner, c("beta", GELU_BETA)], f"{p}.u")], f"{p}.tanh")
        half = b.node("Mul", [x, c("half", 0.5)], f"{p}.half")
        return b.node("Mul", [half, b.node("Add", [t, c("one", 1.0)], f"{p}.t1")], p)
    if name == "silu":
        return b.node("Mul", [x, b.node("Sigmoid", [x], f"{p}.sigmoid")], p)
    if name == "softplus":
        e = b.node("Exp", [b.node("Min", [x, c("threshold", 20.0)], f"{p}.min")], f"{p}.exp")
        log = b.node("Log", [b.node("Add", [e, c("one", 1.0)], f"{p}.1pe")], f"{p}.log")
        above = b.node("Greater", [x, c("threshold_", 20.0)], f"{p}.above")
        return b.node("Where", [above, x, log], p)
    if name == "softsign" and f32:
        return b.node("Softsign", [x], p)
    if name == "softsign":
        d = b.node("Add", [b.node("Abs", [x], f"{p}.abs"), c("one", 1.0)], f"{p}.den")
        return b.node("Div", [x, d], p)
    if name == "hardtanh":
        return b.node("Clip", [x, c("min", -1.0), c("max", 1.0)], p)
    if name == "hardsigmoid" and f32:
        return b.node("HardSigmoid", [x], p, alpha=1.0 / 6.0, beta=0.5)
    if name == "hardsigmoid":
        shifted = b.node("Add", [x, c("three", 3.0)], f"{p}.shift")
        clipped = b.node("Clip", [shifted, c("zero", 0.0), c("six", 6.0)], f"{p}.clip")
        return b.node("Div", [clipped, c("six_", 6.0)], p)
    raise ValueError(f"ONNX export has no form for activation {name!r}")


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


def _scale(b: _Builder, x: str, scaler: Scaler, side: str, output: str | None = None) -> str:
    """The scaler's nodes after tensor ``x``; the last one's output is ``output`` if given."""
    steps = _scaler_steps(scaler, side)
    for k, step in enumerate(steps):
        inputs = [b.const(f"{side}_scaler.{suffix}", value) for suffix, value in step.constants]
        inputs.insert(step.position, x)
        name = output if output is not None and k == len(steps) - 1 else None
        x = b.node(step.op, inputs, name or f"{side}_scaler.{step.label}")
    return x


def _graph(model: SavedModel, onnx: Any, opset: int = DEFAULT_OPSET) -> Any:
    net = model.net
    helper = onnx.helper
    dtype = np.dtype(net.layers[0].weight.data.dtype)
    if dtype not in (np.float32, np.float64):
        raise TypeError(f"ONNX export takes float32 or float64 networks, got {dtype}")
    b = _Builder(onnx)
    scaled_in = model.input_scaler is not None
    scaled_out = model.output_scaler is not None and model.loss == "mse"
    x = "input"
    input_dtype = np.float64 if scaled_in else dtype
    if scaled_in:
        x = _scale(b, x, model.input_scaler, "input")
        if dtype != np.float64:
            x = b.node("Cast", [x], "input_scaler.cast", to=onnx.TensorProto.FLOAT)
    for l, layer in enumerate(net.layers):  # noqa: E741 -- the sheet's layer index
        weight = b.const(f"layers.{l}.weight", layer.weight.data, dtype)
        bias = b.const(f"layers.{l}.bias", layer.bias.data, dtype)
        x = b.node("Gemm", [x, weight, bias], f"layers.{l}.s", transB=1)
        if layer.activation != "linear":
            x = _activation(b, layer.activation, x, f"layers.{l}.a", dtype, opset)
    output_dtype = dtype
    if scaled_out:
        if dtype != np.float64:
            x = b.node("Cast", [x], "output_scaler.cast", to=onnx.TensorProto.DOUBLE)
        output = _scale(b, x, model.output_scaler, "output", output="output")
        output_dtype = np.float64
    elif model.loss == "bce":
        output = b.node("Sigmoid", [x], "probabilities")
    elif model.loss == "ce":
        output = b.node("Softmax", [x], "probabilities", axis=-1)
    else:
        output = b.node("Identity", [x], "output")
    elem = helper.np_dtype_to_tensor_dtype
    nin, nout = net.sizes[0], net.sizes[-1]
    return helper.make_graph(
        b.nodes,
        "tinygrad_mlp",
        [helper.make_tensor_value_info("input", elem(np.dtype(input_dtype)), ["batch", nin])],
        [helper.make_tensor_value_info(output, elem(np.dtype(output_dtype)), ["batch", nout])],
        initializer=b.initializers,
        doc_string=f"inputs: {', '.join(model.input_names)}; outputs: {_output_doc(model)}",
    )


def _output_doc(model: SavedModel) -> str:
    if model.loss == "ce":
        return "probabilities of the classes " + ", ".join(model.classes or [])
    if model.loss == "bce":
        return "probabilities of " + ", ".join(model.target_names)
    return ", ".join(model.target_names)


def export(model: MLP | SavedModel, path: str | Path, opset: int = DEFAULT_OPSET) -> None:
    """Write ``model`` as an ONNX file (checked by ``onnx.checker``, written atomically).

    Args:
        model: an ``MLP`` (input ``input``, output ``output``: the network's
            outputs), or a saved model (raw inputs through its scalers; outputs in
            data units, or ``probabilities`` for bce/ce).
        path: the file to write.
        opset: the ai.onnx opset, at least 13.

    >>> import os, tempfile
    >>> import onnxruntime as ort
    >>> net = MLP(2, [3, 1], seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> export(net, path)
    >>> x = np.array([[0.5, -1.0], [2.0, 0.0]])
    >>> (y,) = ort.InferenceSession(path).run(None, {"input": x})
    >>> bool(np.allclose(y, net(x).data, rtol=1e-12, atol=0))
    True
    """
    onnx = require_onnx()
    if isinstance(model, MLP):
        model = SavedModel(model)
    if not isinstance(model, SavedModel):
        raise TypeError(f"export takes an MLP or a SavedModel, got {type(model).__name__}")
    if not isinstance(opset, int) or opset < MIN_OPSET:
        raise ValueError(f"opset must be a whole number of at least {MIN_OPSET}, got {opset!r}")
    if opset > onnx.defs.onnx_opset_version():
        raise ValueError(
            f"opset {opset} is newer than this onnx package knows "
            f"({onnx.defs.onnx_opset_version()})"
        )
    opsets = [onnx.helper.make_opsetid("", opset)]
    proto = onnx.helper.make_model(
        _graph(model, onnx, opset),
        opset_imports=opsets,
        producer_name="tinygrad_mlp",
        ir_version=onnx.helper.find_min_ir_version_for(opsets),
    )
    record = {"format": FORMAT, "version": VERSION, "sizes": model.net.sizes, **describe(model)}
    onnx.helper.set_model_props(proto, {METADATA_KEY: json.dumps(record, allow_nan=False)})
    onnx.checker.check_model(proto, full_check=True)
    atomic_write_bytes(path, proto.SerializeToString())


# --------------------------------------------------------------------------- import


@dataclass
class _Step:
    """One node of the chain from the graph's input to its output."""

    index: int
    node: Any
    constants: list[np.ndarray]  # its constant inputs, in order
    position: int  # where the running tensor enters among its inputs

    @property
    def op(self) -> str:
        return self.node.op_type

    def describe(self) -> str:
        name = f" {self.node.name!r}" if self.node.name else ""
        return f"node {self.index} ({self.op}{name})"


_MLP_SHAPE = (
    "load reads Gemm or MatMul+Add layers, each followed by at most one activation "
    "written as export writes it"
)


@dataclass
class _Template:
    """The nodes export writes for one activation (input ``X``), to find them in a file."""

    name: str
    nodes: list[Any]
    constants: dict[str, np.ndarray]
    output: str


def _templates(onnx: Any) -> list[_Template]:
    """Every form export writes an activation in (each dtype, each opset), longest first."""
    found: list[_Template] = []
    for name in ACTIVATIONS:
        if name == "linear":
            continue
        for dtype in (np.float64, np.float32):
            for opset in (DEFAULT_OPSET, GELU_OPSET):
                b = _Builder(onnx)
                output = _activation(b, name, "X", "T", dtype, opset)
                constants = {t.name: onnx.numpy_helper.to_array(t) for t in b.initializers}
                found.append(_Template(name, b.nodes, constants, output))
    return sorted(found, key=lambda t: -len(t.nodes))


def _same_constant(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.size == b.size and np.array_equal(a.reshape(-1), b.reshape(-1))


def _match(
    template: _Template,
    start: str,
    nodes: list[tuple[int, Any]],
    constants: dict[str, np.ndarray],
    onnx: Any,
) -> tuple[list[tuple[int, Any]], str] | None:
    """The file's nodes that compute ``template`` of tensor ``start`` (and its output), if any."""
    names = {"X": start}
    used: list[tuple[int, Any]] = []
    for t in template.nodes:
        t_attributes = {a.name: onnx.helper.get_attribute_value(a) for a in t.attribute}
        for k, n in nodes:
            if (k, n) in used or n.op_type != t.op_type or len(n.input) != len(t.input):
                continue
            if (
                len(n.output) != 1
                or {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute} != t_attributes
            ):
                continue
            fits = all(
                (
                    want in template.constants
                    and got in constants
                    and _same_constant(constants[got], template.constants[want])
                )
                or (want in names and got == names[want])
                for want, got in zip(t.input, n.input, strict=True)
            )
            if fits:
                names[t.output[0]] = n.output[0]
                used.append((k, n))
                break
        else:
            return None
    inner = {names[t.output[0]] for t in template.nodes} - {names[template.output]}
    if any(name in n.input for k, n in nodes if (k, n) not in used for name in inner):
        return None  # an inner tensor also feeds another node
    return used, names[template.output]


def _read(path: str | Path, onnx: Any) -> Any:
    path = checked_file(path, MAX_ONNX_BYTES)
    try:
        # NOTE: no external data: a file naming other files must not make us read them.
        proto = onnx.load(str(path), load_external_data=False)
    except Exception:  # NOTE: protobuf raises its own DecodeError and others; one sentence here
        raise ValueError(f"{path}: not a readable ONNX file (truncated or not ONNX)") from None
    if any(t.data_location == onnx.TensorProto.EXTERNAL for t in proto.graph.initializer):
        raise ValueError(f"{path}: its weights are stored in other files (external data)")
    try:
        onnx.checker.check_model(proto)
    except Exception as error:  # NOTE: onnx.checker.ValidationError and protobuf errors
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(f"{path}: not a valid ONNX model ({first})") from None
    return proto


def _chain(path: Path, proto: Any, onnx: Any) -> tuple[list[_Step], Any, Any]:
    """The nodes from the single input to the single output, each fed by the one before."""
    graph = proto.graph
    constants = {t.name: onnx.numpy_helper.to_array(t) for t in graph.initializer}
    nodes = []
    for node in graph.node:
        if node.op_type == "Constant" and len(node.output) == 1:
            attribute = next((a for a in node.attribute if a.name == "value"), None)
            if attribute is None:
                raise ValueError(f"{path}: Constant node {node.name!r} has no tensor value")
            constants[node.output[0]] = onnx.numpy_helper.to_array(attribute.t)
        else:
            nodes.append(node)
    inputs = [v for v in graph.input if v.name not in constants]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise ValueError(
            f"{path}: an MLP graph has one input and one output, this one has "
            f"{len(inputs)} and {len(graph.output)}"
        )
    current, end = inputs[0].name, graph.output[0].name
    steps: list[_Step] = []
    remaining = list(enumerate(nodes))
    composites = [t for t in _templates(onnx) if len(t.nodes) > 1]
    while current != end:
        matched = next(
            (
                (t, m)
                for t in composites
                if (m := _match(t, current, remaining, constants, onnx)) is not None
            ),
            None,
        )
        if matched is not None:  # an activation export composes: one step of its own
            template, (used, output) = matched
            for item in used:
                remaining.remove(item)
            k, last = used[-1]
            node = onnx.helper.make_node(
                f"tinygrad_mlp.{template.name}", [current], [output], name=last.name
            )
            steps.append(_Step(k, node, [], 0))
            current = output
            continue
        users = [(k, n) for k, n in remaining if current in n.input]
        if len(users) != 1:
            raise ValueError(
                f"{path}: tensor {current!r} feeds {len(users)} nodes; an MLP graph is one chain"
            )
        k, node = users[0]
        remaining.remove((k, node))
        others = [name for name in node.input if name != current]
        step = _Step(k, node, [], list(node.input).index(current))
        for name in others:
            if name not in constants:
                raise ValueError(
                    f"{path}: {step.describe()} takes {name!r}, which is neither the layer "
                    f"input nor a constant; {_MLP_SHAPE}"
                )
            step.constants.append(constants[name])
        if len(node.output) != 1:
            raise ValueError(f"{path}: {step.describe()} has several outputs; {_MLP_SHAPE}")
        steps.append(step)
        current = node.output[0]
    if remaining:
        k, node = remaining[0]
        raise ValueError(
            f"{path}: node {k} ({node.op_type}) is not on the path from input to output; "
            f"{_MLP_SHAPE}"
        )
    return steps, inputs[0], graph.output[0]


def _attributes(step: _Step, onnx: Any) -> dict[str, Any]:
    return {a.name: onnx.helper.get_attribute_value(a) for a in step.node.attribute}


class _Reader:
    """Walks the chain with a cursor, checking each step against what our export writes."""

    def __init__(self, path: Path, steps: list[_Step], onnx: Any) -> None:
        self.path, self.steps, self.onnx = path, steps, onnx
        self.k = 0

    def refuse(self, step: _Step, why: str = "is not part of an MLP") -> ValueError:
        return ValueError(f"{self.path}: {step.describe()} {why}; {_MLP_SHAPE}")

    def peek(self, offset: int = 0) -> _Step | None:
        k = self.k + offset
        return self.steps[k] if k < len(self.steps) else None

    def take(self, op: str, expected: list[Any], position: int = 0) -> _Step:
        """The next step: ``op`` on the running tensor (at ``position``) and these constants."""
        step = self.peek()
        if step is None:
            raise ValueError(f"{self.path}: the graph ends where a {op} node was expected")
        if step.op != op or step.position != position:
            raise self.refuse(step, f"is not the {op} our scaler or output writes")
        same = len(step.constants) == len(expected) and all(
            np.array_equal(np.asarray(c, dtype=np.float64).reshape(-1), np.reshape(e, -1))
            for c, e in zip(step.constants, expected, strict=True)
        )
        if not same:
            raise self.refuse(step, "holds numbers that differ from the file's metadata")
        self.k += 1
        return step

    def skip_cast(self) -> None:
        step = self.peek()
        if step is not None and step.op == "Cast":
            self.k += 1


def _layer(reader: _Reader, onnx: Any) -> tuple[np.ndarray, np.ndarray, str]:
    """One layer (Gemm or MatMul+Add, then maybe an activation): weight, bias, activation."""
    step = reader.peek()
    assert step is not None
    if step.op == "Gemm":
        a = _attributes(step, onnx)
        if a.get("alpha", 1.0) != 1.0 or a.get("beta", 1.0) != 1.0 or a.get("transA", 0):
            raise reader.refuse(step, "scales or transposes its input (alpha, beta or transA)")
        if step.position != 0 or len(step.constants) != 2:
            raise reader.refuse(step, "is not input times constant weights plus a constant bias")
        weight, bias = step.constants
        if weight.ndim != 2:
            raise reader.refuse(step, f"has weights of shape {weight.shape}")
        weight = weight if a.get("transB", 0) else weight.T
        reader.k += 1
    elif step.op == "MatMul":
        if step.position != 0 or len(step.constants) != 1 or step.constants[0].ndim != 2:
            raise reader.refuse(step, "is not input times a constant weight matrix")
        weight = step.constants[0].T
        reader.k += 1
        add = reader.peek()
        if add is None or add.op != "Add" or len(add.constants) != 1:
            raise reader.refuse(step, "is not followed by the Add of a constant bias")
        bias = add.constants[0]
        reader.k += 1
    else:
        raise reader.refuse(step)
    if bias.size != weight.shape[0] or bias.ndim > 2 or (bias.ndim == 2 and bias.shape[0] != 1):
        raise reader.refuse(step, f"has a bias of shape {bias.shape} for {weight.shape[0]} nodes")
    activation = "linear"
    after = reader.peek()
    if after is not None and after.op.startswith("tinygrad_mlp."):
        activation = after.op.partition(".")[2]
        reader.k += 1
    elif after is not None and after.position == 0:
        attributes = _attributes(after, onnx)
        for t in _templates(onnx):
            node = t.nodes[0]
            if len(t.nodes) != 1 or node.op_type != after.op:
                continue
            wanted = [t.constants[name] for name in node.input[1:]]
            if (
                {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute} == attributes
                and len(wanted) == len(after.constants)
                and all(map(_same_constant, after.constants, wanted))
            ):
                activation = t.name
                reader.k += 1
                break
    return np.array(weight), np.array(bias).reshape(-1), activation


def _metadata(path: Path, proto: Any) -> dict[str, Any] | None:
    entry = next((p.value for p in proto.metadata_props if p.key == METADATA_KEY), None)
    if entry is None:
        return None
    try:
        record = json.loads(entry)
    except json.JSONDecodeError:
        raise ValueError(f"{path}: its {METADATA_KEY} metadata is not valid JSON") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path}: its {METADATA_KEY} metadata is not a {FORMAT} record")
    if record.get("version") != VERSION:
        raise ValueError(f"{path}: metadata version {record.get('version')} is not {VERSION}")
    sizes = record.get("sizes")
    if not isinstance(sizes, list) or len(sizes) < 2 or not all(isinstance(n, int) for n in sizes):
        raise ValueError(f"{path}: its metadata has no list of layer sizes")
    return record


def load_model(path: str | Path) -> SavedModel:
    """Read an ONNX file as a saved model: the network and, for our own files, the rest.

    A file written by :func:`export` comes back as the model that left (weights
    bit for bit, scalers, loss, names, classes, settings); its scaler and output
    nodes are checked against the metadata. A file from another tool comes back
    as its network, with no scalers and loss ``mse``.

    Args:
        path: the ONNX file.

    Returns:
        A :class:`~tinygrad_mlp.io.SavedModel`.
    """
    onnx = require_onnx()
    proto = _read(path, onnx)
    path = Path(path)
    record = _metadata(path, proto)
    steps, graph_input, _ = _chain(path, proto, onnx)
    if not steps:
        raise ValueError(f"{path}: the graph has no nodes; {_MLP_SHAPE}")
    fields: dict[str, Any] = {}
    if record is not None:
        fields = read_fields(str(path), record, record["sizes"][0], record["sizes"][-1])
    reader = _Reader(path, steps, onnx)
    tail = _tail(reader, fields)
    reader.steps = steps[: len(steps) - tail]
    scaler = fields.get("input_scaler")
    if scaler is not None:
        for step in _scaler_steps(scaler, "input"):
            reader.take(step.op, [value for _, value in step.constants], step.position)
        reader.skip_cast()
    weights, biases, activations = [], [], []
    while reader.peek() is not None:
        w, b, a = _layer(reader, onnx)
        if weights and w.shape[1] != weights[-1].shape[0]:
            raise ValueError(
                f"{path}: layer {len(weights)} takes {w.shape[1]} inputs after a layer of "
                f"{weights[-1].shape[0]} nodes"
            )
        weights.append(w)
        biases.append(b)
        activations.append(a)
    if not weights:
        raise ValueError(f"{path}: the graph has no Gemm or MatMul layer; {_MLP_SHAPE}")
    dtypes = {w.dtype for w in weights} | {b.dtype for b in biases}
    if len(dtypes) != 1 or dtypes.pop() not in (np.float32, np.float64):
        raise ValueError(f"{path}: the layers must all be float32 or all float64")
    width = _static_width(graph_input)
    if width is not None and width != weights[0].shape[1]:
        raise ValueError(
            f"{path}: the input has {width} columns but the first layer takes {weights[0].shape[1]}"
        )
    net = MLP(
        weights[0].shape[1],
        [w.shape[0] for w in weights],
        activation=activations,
        seed=0,
        dtype=weights[0].dtype,
    )
    net.set_weights(weights, biases)
    if record is not None and record["sizes"] != net.sizes:
        raise ValueError(
            f"{path}: the metadata says sizes {record['sizes']}, the graph has {net.sizes}"
        )
    return SavedModel(net=net, **fields)


def _tail(reader: _Reader, fields: dict[str, Any]) -> int:
    """Check the output nodes our export puts after the last layer; return how many."""
    steps = reader.steps
    loss = fields.get("loss")
    scaler = fields.get("output_scaler")
    if loss == "mse" and scaler is not None:
        expected = _scaler_steps(scaler, "output")
        count = len(expected)
        if len(steps) <= count:
            raise ValueError(f"{reader.path}: the graph is too short for its output scaler")
        tail = _Reader(reader.path, steps[-count:], reader.onnx)
        for step in expected:
            tail.take(step.op, [value for _, value in step.constants], step.position)
        if steps[-count - 1].op == "Cast":
            count += 1
        return count
    if loss in ("bce", "ce"):
        op = "Sigmoid" if loss == "bce" else "Softmax"
        if steps[-1].op != op:
            raise ValueError(f"{reader.path}: a {loss} model's graph must end in {op}")
        if op == "Softmax" and _attributes(steps[-1], reader.onnx).get("axis", -1) not in (-1, 1):
            raise reader.refuse(steps[-1], "is not a softmax over each row")
        return 1
    return 1 if steps[-1].op == "Identity" else 0


def _static_width(value_info: Any) -> int | None:
    dims = value_info.type.tensor_type.shape.dim
    if len(dims) == 2 and dims[1].HasField("dim_value"):
        return dims[1].dim_value
    return None


def load(path: str | Path) -> MLP:
    """The network of an MLP-shaped ONNX file (our scaler and output nodes set aside).

    Reads ``Gemm`` layers (``transB`` 0 or 1, alpha = beta = 1) or ``MatMul``
    followed by ``Add``, each followed by at most one ``Sigmoid``, ``Tanh`` or
    ``Relu``; any other node, a branch, or a truncated file is refused with one
    sentence. Use :func:`load_model` to keep the scalers and names too.

    >>> import os, tempfile
    >>> net = MLP(2, [4, 3], activation="relu", output_activation="tanh", seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> export(net, path)
    >>> back = load(path)
    >>> back.activations, bool((back.layers[0].weight.data == net.layers[0].weight.data).all())
    (['relu', 'tanh'], True)
    """
    return load_model(path).net

"""ONNX export: a network, or a trained model with its scalers, written as one graph.

See :mod:`tinygrad_mlp.onnx` for what the graph holds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.files import atomic_write_bytes
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.onnx.forms import (
    DEFAULT_OPSET,
    FORMAT,
    METADATA_KEY,
    MIN_OPSET,
    NO_FLOAT64_ONNXRUNTIME,
    VERSION,
    Scaler,
    _Builder,
    _scaler_steps,
    activation_nodes,
    require_onnx,
)
from tinygrad_mlp.record import SavedModel, describe

__all__ = ["export"]


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
        x = activation_nodes(b, layer.activation, x, f"layers.{l}.a", dtype, opset)
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


def export(
    model: MLP | SavedModel,
    path: str | Path,
    opset: int = DEFAULT_OPSET,
    *,
    for_onnxruntime: bool = True,
) -> None:
    """Write ``model`` as an ONNX file (checked by ``onnx.checker``, written atomically).

    Every form written runs on onnxruntime at the network's dtype. A float64 gelu needs
    ``Erf`` in float64, which onnxruntime has no kernel for: it is refused, in one
    sentence, unless ``for_onnxruntime=False`` asks for a file for runtimes that have one
    (onnx's reference evaluator with a float64 Erf).

    Args:
        model: an ``MLP`` (input ``input``, output ``output``: the network's
            outputs), or a saved model (raw inputs through its scalers; outputs in
            data units, or ``probabilities`` for bce/ce).
        path: the file to write.
        opset: the ai.onnx opset, at least 13.
        for_onnxruntime: refuse forms onnxruntime cannot run (the default).

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
    dtype = np.dtype(model.net.layers[0].weight.data.dtype)
    if for_onnxruntime and dtype == np.float64:
        for layer in model.net.layers:
            op = NO_FLOAT64_ONNXRUNTIME.get(layer.activation)
            if op is not None:
                raise ValueError(
                    f"a float64 {layer.activation} layer needs ONNX's {op} in float64, which "
                    "onnxruntime cannot run: build the network with dtype=numpy.float32, or "
                    "pass for_onnxruntime=False for a runtime that has a float64 "
                    f"{op}"
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

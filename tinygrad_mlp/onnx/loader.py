"""ONNX load: the network of an MLP-shaped graph, and for our own files the whole model.

See :mod:`tinygrad_mlp.onnx` for what is read. An activation is recognised by the nodes
:data:`~tinygrad_mlp.onnx.forms.ONNX_FORMS` writes for it, in each dtype and opset.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.data import checked_file
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.onnx.forms import (
    DEFAULT_OPSET,
    FORMAT,
    GELU_OPSET,
    LEGACY_FORMS,
    MAX_ONNX_BYTES,
    METADATA_KEY,
    ONNX_FORMS,
    VERSION,
    _Builder,
    _scaler_steps,
    activation_nodes,
    require_onnx,
)
from tinygrad_mlp.record import SavedModel, read_fields

__all__ = ["load", "load_model"]


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
    tables = [(name, ONNX_FORMS) for name in ONNX_FORMS]
    tables += [(name, LEGACY_FORMS) for name in LEGACY_FORMS]
    for name, forms in tables:
        for dtype in (np.float64, np.float32):
            for opset in (DEFAULT_OPSET, GELU_OPSET):
                b = _Builder(onnx)
                output = activation_nodes(b, name, "X", "T", dtype, opset, forms)
                if not b.nodes:  # NOTE: linear writes none
                    continue
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
    followed by ``Add``, each followed by at most one activation in a form export
    writes; any other node, a branch, or a truncated file is refused with one
    sentence. Use :func:`load_model` to keep the scalers and names too.

    >>> import os, tempfile
    >>> from tinygrad_mlp.onnx import export
    >>> net = MLP(2, [4, 3], activation="relu", output_activation="tanh", seed=0)
    >>> path = os.path.join(tempfile.mkdtemp(), "net.onnx")
    >>> export(net, path)
    >>> back = load(path)
    >>> back.activations, bool((back.layers[0].weight.data == net.layers[0].weight.data).all())
    (['relu', 'tanh'], True)
    """
    return load_model(path).net

"""The one model record: a trained network with everything needed to use it, as plain data.

A :class:`SavedModel` is the network plus its loss, the CSV column names, the class
labels, the scalers (min-max or standard) and the training settings. This module is the
one writer and the one reader of those fields as plain data (names, numbers, lists,
dicts): our JSON model file (:mod:`tinygrad_mlp.io`), the metadata of an ONNX file
(:mod:`tinygrad_mlp.onnx`) and a torch file (:mod:`tinygrad_mlp.torch_bridge`) all hold
what :func:`describe` writes and :func:`read_fields` reads, so a file one of them accepts
the others accept too. Each field is checked by one function, and the first wrong field
is named in one sentence.

>>> from tinygrad_mlp.nn import MLP
>>> record = describe(SavedModel(MLP(2, [3, 1], seed=0)))
>>> record["loss"], record["input_names"], record["input_scaler"]
('mse', ['i0', 'i1'], None)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_mlp.data import MinMaxScaler, StandardScaler
from tinygrad_mlp.names import ACTIVATIONS, MODEL_LOSSES
from tinygrad_mlp.nn import MLP, as_mlp

__all__ = [
    "FORMAT",
    "LOSSES",
    "PER_COLUMN",
    "SCALER_KEYS",
    "VERSION",
    "SavedModel",
    "describe",
    "model_from_dict",
    "model_to_dict",
    "network_record",
    "numbers",
    "read_fields",
    "read_network",
    "read_scaler",
    "scaler_record",
]

#: The ``format`` and ``version`` of our JSON model file.
FORMAT = "tinygrad-mlp-model"
VERSION = 1
#: The losses a saved model can have been trained with (see :mod:`tinygrad_mlp.training`).
LOSSES = MODEL_LOSSES
#: The scalers a record can hold, and the keys each is written with (``kind`` may be
#: left out of a min-max scaler: files written before standard scalers existed).
SCALER_KEYS = {"minmax": {"range", "min", "max"}, "standard": {"kind", "mean", "scale"}}
#: The per-column fields of the scaler records (tensors in a torch file).
PER_COLUMN = ("min", "max", "mean", "scale")

Scaler = MinMaxScaler | StandardScaler


@dataclass
class SavedModel:
    """A network with everything needed to use it on raw CSV data.

    Attributes:
        net: the network.
        input_scaler: maps raw inputs into the network's range (None: no scaling).
        output_scaler: maps network outputs back to data units (None: none).
        loss: "mse", "bce" or "ce" (what it was trained with; decides how outputs read).
        input_names, target_names: the CSV columns.
        classes: class labels for "ce" (output node k is classes[k]), else None.
        settings: the training settings, for the record.
    """

    net: MLP
    input_scaler: MinMaxScaler | StandardScaler | None = None
    output_scaler: MinMaxScaler | StandardScaler | None = None
    loss: str = "mse"
    input_names: list[str] = field(default_factory=list)
    target_names: list[str] = field(default_factory=list)
    classes: list[str] | None = None
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.net = as_mlp(self.net)
        if not self.input_names:
            self.input_names = [f"i{k}" for k in range(self.net.nin)]
        if not self.target_names:
            self.target_names = [f"z{k}" for k in range(self.net.sizes[-1])]


# --------------------------------------------------------------------------- writing


def scaler_record(scaler: Scaler | None) -> dict[str, Any] | None:
    """A scaler as plain data, laid out as in a model file (None stays None).

    A :class:`~tinygrad_mlp.data.MinMaxScaler` is ``{"range": [low, high], "min":
    [...], "max": [...]}``; a :class:`~tinygrad_mlp.data.StandardScaler` is
    ``{"kind": "standard", "mean": [...], "scale": [...]}``.

    >>> scaler_record(StandardScaler.from_mean_scale([2.0], [0.5]))
    {'kind': 'standard', 'mean': [2.0], 'scale': [0.5]}
    """
    if scaler is None:
        return None
    if isinstance(scaler, StandardScaler):  # NOTE: before MinMaxScaler, in case one is both
        return {
            "kind": "standard",
            "mean": [float(v) for v in scaler.mean_],
            "scale": [float(v) for v in scaler.scale_],
        }
    if isinstance(scaler, MinMaxScaler):
        return {
            "range": [float(v) for v in scaler.feature_range],
            "min": [float(v) for v in scaler.min_],
            "max": [float(v) for v in scaler.max_],
        }
    raise TypeError(
        f"a scaler of type {type(scaler).__name__} cannot leave this program; "
        "a model's scalers are MinMaxScaler, StandardScaler or None"
    )


def describe(model: SavedModel) -> dict[str, Any]:
    """Every field of ``model`` except the network, as plain data."""
    return {
        "loss": model.loss,
        "input_names": list(model.input_names),
        "target_names": list(model.target_names),
        "classes": None if model.classes is None else list(model.classes),
        "input_scaler": scaler_record(model.input_scaler),
        "output_scaler": scaler_record(model.output_scaler),
        "settings": dict(model.settings),
    }


def network_record(net: Any) -> dict[str, Any]:
    """The network as plain data: ``sizes``, ``activations``, ``weights[l][j][i]``, ``biases``."""
    net = as_mlp(net)
    return {
        "sizes": net.sizes,
        "activations": net.activations,
        "weights": [layer.weight.data.tolist() for layer in net.layers],
        "biases": [layer.bias.data.tolist() for layer in net.layers],
    }


def model_to_dict(model: SavedModel) -> dict[str, Any]:
    """The model as plain JSON-able data: the content of a model file."""
    return {"format": FORMAT, "version": VERSION, **network_record(model.net), **describe(model)}


# --------------------------------------------------------------------------- reading


def numbers(where: str, name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """``value`` as a float64 array of ``shape``, if it holds finite numbers only."""
    values = value.tolist() if hasattr(value, "tolist") else value
    try:
        array = np.array(values)
    except ValueError:  # NOTE: rows of different lengths
        array = None
    if array is None or array.dtype.kind not in "iuf" or _holds_bool(values, array.ndim):
        raise ValueError(f"{where}: {name} must hold numbers only")
    if array.shape != shape:
        raise ValueError(f"{where}: {name} has shape {array.shape}, expected {shape}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{where}: {name} holds a value that is not finite")
    return array


def _holds_bool(values: Any, depth: int) -> bool:
    """Whether nested lists ``depth`` deep hold a bool (numpy reads ``[1.0, True]`` as
    ``[1.0, 1.0]``, and a JSON ``true`` is not a number)."""
    if not isinstance(values, (list, tuple)):
        return isinstance(values, bool)
    flat = list(values)
    for _ in range(depth - 1):
        flat = [v for row in flat for v in row]
    return any(isinstance(v, bool) for v in flat)


def read_scaler(where: str, name: str, record: Any, columns: int) -> Scaler | None:
    """The scaler written by :func:`scaler_record`, checked against ``columns``.

    An unknown ``kind`` is refused in one sentence naming it (a file written by
    a newer version, say), as is a missing or extra key.
    """
    if record is None:
        return None
    if not isinstance(record, dict):
        raise ValueError(f"{where}: {name} must be an object (a scaler) or null")
    kind = record.get("kind", "minmax")
    if kind not in SCALER_KEYS:
        raise ValueError(
            f"{where}: {name} is a scaler of kind {kind!r}, which this version does not "
            "know (it reads min-max and standard scalers)"
        )
    if set(record) != SCALER_KEYS[kind] and set(record) != SCALER_KEYS[kind] | {"kind"}:
        keys = ", ".join(sorted(SCALER_KEYS[kind]))
        raise ValueError(f"{where}: {name} (a {kind} scaler) must have the keys {keys}")
    if kind == "standard":
        means = numbers(where, f"{name}.mean", record["mean"], (columns,))
        scales = numbers(where, f"{name}.scale", record["scale"], (columns,))
        if np.any(scales < 0):
            raise ValueError(f"{where}: {name}.scale must not hold negative numbers")
        return StandardScaler.from_mean_scale(means, scales)
    low, high = numbers(where, f"{name}.range", record["range"], (2,))
    if not low < high:
        raise ValueError(f"{where}: {name}.range must have low < high, got {[low, high]}")
    lows = numbers(where, f"{name}.min", record["min"], (columns,))
    highs = numbers(where, f"{name}.max", record["max"], (columns,))
    return MinMaxScaler.from_min_max(lows, highs, (low, high))


def _names(where: str, key: str, value: Any, count: int) -> list[str]:
    """A list of ``count`` strings (None: none given, the defaults apply)."""
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"{where}: {key} must be a list of {count} names")
    return list(value)


def read_fields(where: str, record: dict[str, Any], nin: int, nout: int) -> dict[str, Any]:
    """The keyword arguments of :class:`SavedModel` (all but ``net``) from a record.

    Args:
        where: the file the record came from, for the error messages.
        record: what :func:`describe` wrote.
        nin, nout: the network's inputs and outputs.

    Returns:
        ``loss``, ``input_names``, ``target_names``, ``classes``, ``input_scaler``,
        ``output_scaler`` and ``settings``, each checked. Class labels are strings, one
        per output, and belong to a ``ce`` model only (another model's are dropped).
    """
    loss = record.get("loss", "mse")
    if loss not in LOSSES:
        raise ValueError(f"{where}: unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")
    classes = record.get("classes")
    if loss == "ce":
        classes = _names(where, "classes", classes, nout)
        if not classes:
            raise ValueError(f"{where}: a 'ce' model needs one class label per output ({nout})")
    settings = record.get("settings") or {}
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: settings must be an object")
    return {
        "loss": loss,
        "input_names": _names(where, "input_names", record.get("input_names"), nin),
        "target_names": _names(
            where, "target_names", record.get("target_names"), 1 if loss == "ce" else nout
        ),
        "classes": classes if loss == "ce" else None,
        "input_scaler": read_scaler(where, "input_scaler", record.get("input_scaler"), nin),
        "output_scaler": read_scaler(where, "output_scaler", record.get("output_scaler"), nout),
        "settings": settings,
    }


def read_network(where: str, record: dict[str, Any]) -> MLP:
    """The network that :func:`network_record` wrote, checking every field."""
    sizes = record.get("sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in sizes)
    ):
        raise ValueError(f"{where}: sizes must be a list of at least two positive whole numbers")
    layers = len(sizes) - 1
    activations = record.get("activations")
    if not isinstance(activations, list) or len(activations) != layers:
        raise ValueError(f"{where}: activations must name one activation per layer ({layers})")
    for name in activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"{where}: unknown activation {name!r}")
    weights, biases = record.get("weights"), record.get("biases")
    if not isinstance(weights, list) or len(weights) != layers:
        raise ValueError(f"{where}: weights must hold {layers} matrices, one per layer")
    if not isinstance(biases, list) or len(biases) != layers:
        raise ValueError(f"{where}: biases must hold {layers} vectors, one per layer")
    ws = [
        numbers(where, f"weights[{k}]", weights[k], (sizes[k + 1], sizes[k]))
        for k in range(layers)
    ]
    bs = [numbers(where, f"biases[{k}]", biases[k], (sizes[k + 1],)) for k in range(layers)]
    return MLP.from_weights(ws, bs, activation=activations)


def model_from_dict(record: Any, path: Any = "the model") -> SavedModel:
    """The model that :func:`model_to_dict` described, checking every field (``path``
    names the source in messages)."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path}: not a tinygrad-mlp model file (no 'format': '{FORMAT}')")
    if record.get("version") != VERSION:
        raise ValueError(f"{path}: model file version {record.get('version')} is not {VERSION}")
    net = read_network(str(path), record)
    return SavedModel(net=net, **read_fields(str(path), record, net.sizes[0], net.sizes[-1]))

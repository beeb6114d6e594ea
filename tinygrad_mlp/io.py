"""Saving and loading models: our JSON model file, and the seed system's two files.

Everything is JSON (never pickle): a file can hold numbers and names, not code.
Every write goes to a temporary file in the target's folder and is then renamed
over the target, so an interrupted save leaves the old file or none, never half
of one. Loading checks every shape and says exactly what does not match.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.data import MinMaxScaler, StandardScaler, checked_file
from tinygrad_mlp.nn import ACTIVATIONS, MLP, as_mlp

__all__ = [
    "SavedModel",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_writable",
    "load_model",
    "model_from_dict",
    "model_to_dict",
    "model_from_seed_files",
    "read_seed_minmax",
    "read_seed_weights",
    "save_model",
    "write_seed_minmax",
    "write_seed_weights",
]

FORMAT = "tinygrad-mlp-model"
VERSION = 1
#: Model and weight files larger than this are refused before parsing.
MAX_JSON_BYTES = 256 * 1024 * 1024


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


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader sees the old file or the new one, never a part; a failed or
    interrupted write removes its temporary file.
    """
    path = check_writable(path)
    folder = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # NOTE: mkstemp makes the file private (0600); give it the mode a plain
        # open() would have: the old file's, or 0666 less the umask.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def check_writable(path: str | Path, what: str = "") -> Path:
    """``path`` as a Path if a file can be written there, else one ValueError saying why.

    Checked before any long work, so that a typo fails at once: the path must
    not be a folder, and its folder must exist.
    """
    path = Path(path)
    label = f"{what} " if what else ""
    if path.is_dir():
        raise ValueError(f"{label}{path}: is a folder; give a file name to write")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"{label}{path}: the folder {folder} does not exist")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _scaler_to_dict(scaler: MinMaxScaler | StandardScaler | None) -> dict | None:
    if scaler is None:
        return None
    if isinstance(scaler, StandardScaler):  # NOTE: before MinMaxScaler: it is one
        return {"kind": "standard", "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()}
    return {
        "range": list(scaler.feature_range),
        "min": scaler.min_.tolist(),
        "max": scaler.max_.tolist(),
    }


def model_to_dict(model: SavedModel) -> dict[str, Any]:
    """The model as plain JSON-able data: the content of a model file."""
    net = model.net
    return {
        "format": FORMAT,
        "version": VERSION,
        "sizes": net.sizes,
        "activations": net.activations,
        "weights": [layer.weight.data.tolist() for layer in net.layers],
        "biases": [layer.bias.data.tolist() for layer in net.layers],
        "loss": model.loss,
        "input_names": list(model.input_names),
        "target_names": list(model.target_names),
        "classes": model.classes,
        "input_scaler": _scaler_to_dict(model.input_scaler),
        "output_scaler": _scaler_to_dict(model.output_scaler),
        "settings": model.settings,
    }


def save_model(path: str | Path, model: SavedModel) -> None:
    """Write ``model`` as one JSON file (atomically)."""
    record = model_to_dict(model)
    atomic_write_text(path, json.dumps(record, indent=1, allow_nan=False) + "\n")


# --------------------------------------------------------------------------- reading


def _read_json(path: str | Path) -> Any:
    path = checked_file(path, MAX_JSON_BYTES)
    try:
        return json.loads(path.read_text(encoding="utf-8"), parse_constant=_no_constant)
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a text file") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: not valid JSON (line {error.lineno}: {error.msg})") from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not allowed in a model file")


def _matrix(path, name, value, shape) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {name} must hold numbers only") from None
    if array.shape != tuple(shape):
        raise ValueError(f"{path}: {name} has shape {array.shape}, expected {tuple(shape)}")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{path}: {name} holds a value that is not finite")
    return array


def _scaler_from_dict(path, name, record, columns) -> MinMaxScaler | StandardScaler | None:
    if record is None:
        return None
    if isinstance(record, dict) and set(record) == {"kind", "mean", "scale"}:
        if record["kind"] != "standard":
            raise ValueError(f"{path}: {name} has unknown kind {record['kind']!r}")
        means = _matrix(path, f"{name}.mean", record["mean"], (columns,))
        scales = _matrix(path, f"{name}.scale", record["scale"], (columns,))
        if np.any(scales < 0):
            raise ValueError(f"{path}: {name}.scale must not hold negative numbers")
        return StandardScaler.from_mean_scale(means, scales)
    if not isinstance(record, dict) or set(record) != {"range", "min", "max"}:
        raise ValueError(
            f"{path}: {name} must have the keys range, min and max (or kind, mean and scale)"
        )
    low_high = _matrix(path, f"{name}.range", record["range"], (2,))
    lows = _matrix(path, f"{name}.min", record["min"], (columns,))
    highs = _matrix(path, f"{name}.max", record["max"], (columns,))
    return MinMaxScaler.from_min_max(lows, highs, tuple(low_high))


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`, checking every field."""
    return model_from_dict(_read_json(path), path)


def model_from_dict(record: Any, path: str | Path = "the model") -> SavedModel:
    """The model that :func:`model_to_dict` described, checking every field (``path``
    names the source in messages)."""
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ValueError(f"{path}: not a tinygrad-mlp model file (no 'format': '{FORMAT}')")
    if record.get("version") != VERSION:
        raise ValueError(f"{path}: model file version {record.get('version')} is not {VERSION}")
    sizes = record.get("sizes")
    if (
        not isinstance(sizes, list)
        or len(sizes) < 2
        or not all(isinstance(n, int) and n >= 1 for n in sizes)
    ):
        raise ValueError(f"{path}: sizes must be a list of at least two positive whole numbers")
    layers = len(sizes) - 1
    activations = record.get("activations")
    if not isinstance(activations, list) or len(activations) != layers:
        raise ValueError(f"{path}: activations must name one activation per layer ({layers})")
    for name in activations:
        if name not in ACTIVATIONS:
            raise ValueError(f"{path}: unknown activation {name!r}")
    weights, biases = record.get("weights"), record.get("biases")
    if not isinstance(weights, list) or len(weights) != layers:
        raise ValueError(f"{path}: weights must hold {layers} matrices, one per layer")
    if not isinstance(biases, list) or len(biases) != layers:
        raise ValueError(f"{path}: biases must hold {layers} vectors, one per layer")
    ws = [
        _matrix(path, f"weights[{k}]", weights[k], (sizes[k + 1], sizes[k])) for k in range(layers)
    ]
    bs = [_matrix(path, f"biases[{k}]", biases[k], (sizes[k + 1],)) for k in range(layers)]
    net = MLP.from_weights(ws, bs, activation=activations)
    loss = record.get("loss", "mse")
    if loss not in ("mse", "bce", "ce"):
        raise ValueError(f"{path}: unknown loss {loss!r}")
    classes = record.get("classes")
    if loss == "ce" and (not isinstance(classes, list) or len(classes) != sizes[-1]):
        raise ValueError(f"{path}: a 'ce' model needs one class label per output ({sizes[-1]})")
    input_names = _names(path, "input_names", record.get("input_names"), sizes[0])
    target_count = 1 if loss == "ce" else sizes[-1]
    target_names = _names(path, "target_names", record.get("target_names"), target_count)
    settings = record.get("settings") or {}
    if not isinstance(settings, dict):
        raise ValueError(f"{path}: settings must be an object")
    return SavedModel(
        net=net,
        input_scaler=_scaler_from_dict(path, "input_scaler", record.get("input_scaler"), sizes[0]),
        output_scaler=_scaler_from_dict(
            path, "output_scaler", record.get("output_scaler"), sizes[-1]
        ),
        loss=loss,
        input_names=input_names,
        target_names=target_names,
        classes=[str(c) for c in classes] if classes is not None else None,
        settings=settings,
    )


def _names(path, key, value, count) -> list[str]:
    if value is None:
        return []
    if (
        not isinstance(value, list)
        or len(value) != count
        or not all(isinstance(v, str) for v in value)
    ):
        raise ValueError(f"{path}: {key} must be a list of {count} column names")
    return value


# --------------------------------------------------------------------------- seed system


def read_seed_weights(path: str | Path) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Weights and biases from the seed system's weights JSON, one pair per layer.

    Its layout: ``hiddenWeights[layer][node][input]``, ``hiddenBias[layer][node]``,
    ``outputWeights[output][node]``, ``outputBias[output]``.
    """
    record = _read_json(path)
    keys = ("hiddenWeights", "hiddenBias", "outputWeights", "outputBias")
    if not isinstance(record, dict) or any(k not in record for k in keys):
        raise ValueError(f"{path}: a seed weights file needs the keys {', '.join(keys)}")
    hidden_w, hidden_b = record["hiddenWeights"], record["hiddenBias"]
    if not isinstance(hidden_w, list) or not isinstance(hidden_b, list):
        raise ValueError(f"{path}: hiddenWeights and hiddenBias must be lists of layers")
    if len(hidden_w) != len(hidden_b):
        raise ValueError(
            f"{path}: {len(hidden_w)} hidden weight layers but {len(hidden_b)} hidden bias layers"
        )
    weights, biases = [], []
    for k, (w, b) in enumerate(zip(hidden_w, hidden_b, strict=True)):
        w = _ragged_check(path, f"hiddenWeights[{k}]", w)
        weights.append(w)
        biases.append(_matrix(path, f"hiddenBias[{k}]", b, (w.shape[0],)))
    out_w = _ragged_check(path, "outputWeights", record["outputWeights"])
    weights.append(out_w)
    biases.append(_matrix(path, "outputBias", record["outputBias"], (out_w.shape[0],)))
    for k in range(1, len(weights)):
        if weights[k].shape[1] != weights[k - 1].shape[0]:
            name = "outputWeights" if k == len(weights) - 1 else f"hiddenWeights[{k}]"
            raise ValueError(
                f"{path}: {name} takes {weights[k].shape[1]} inputs, "
                f"but the layer before it has {weights[k - 1].shape[0]} nodes"
            )
    return weights, biases


def _ragged_check(path, name, value) -> np.ndarray:
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise ValueError(f"{path}: {name} must be a non-empty list of rows")
    width = len(value[0])
    return _matrix(path, name, value, (len(value), width))


def write_seed_weights(path: str | Path, net: MLP) -> None:
    """Write ``net`` in the seed system's weights layout (atomically)."""
    net = as_mlp(net)
    record = {
        "hiddenWeights": [layer.weight.data.tolist() for layer in net.layers[:-1]],
        "hiddenBias": [layer.bias.data.tolist() for layer in net.layers[:-1]],
        "outputWeights": net.layers[-1].weight.data.tolist(),
        "outputBias": net.layers[-1].bias.data.tolist(),
    }
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")


def read_seed_minmax(path: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(minInput, maxInput, minOutput, maxOutput) from the seed system's min-max JSON."""
    record = _read_json(path)
    keys = ("minInput", "maxInput", "minOutput", "maxOutput")
    if not isinstance(record, dict) or any(k not in record for k in keys):
        raise ValueError(f"{path}: a seed min-max file needs the keys {', '.join(keys)}")
    arrays = []
    for key in keys:
        value = record[key]
        if not isinstance(value, list) or not value:
            raise ValueError(f"{path}: {key} must be a non-empty list of numbers")
        arrays.append(_matrix(path, key, value, (len(value),)))
    if arrays[0].shape != arrays[1].shape or arrays[2].shape != arrays[3].shape:
        raise ValueError(f"{path}: each min list must be as long as its max list")
    return tuple(arrays)  # type: ignore[return-value]


def write_seed_minmax(
    path: str | Path, input_scaler: MinMaxScaler, output_scaler: MinMaxScaler
) -> None:
    """Write the two scalers' minima and maxima in the seed system's layout (atomically)."""
    record = {
        "minInput": _plain(input_scaler.min_),
        "maxInput": _plain(input_scaler.max_),
        "minOutput": _plain(output_scaler.min_),
        "maxOutput": _plain(output_scaler.max_),
    }
    atomic_write_text(path, json.dumps(record, indent=2) + "\n")


def _plain(values: np.ndarray) -> list:
    # NOTE: whole numbers are written as integers, as the seed system writes them.
    return [int(v) if math.isfinite(v) and float(v).is_integer() else float(v) for v in values]


def model_from_seed_files(
    weights_path: str | Path,
    minmax_path: str | Path,
    activation: str = "sigmoid",
    normalize: str = "zero-to-one",
) -> SavedModel:
    """A :class:`SavedModel` from the seed system's weights and min-max files."""
    weights, biases = read_seed_weights(weights_path)
    min_in, max_in, min_out, max_out = read_seed_minmax(minmax_path)
    nin, nout = weights[0].shape[1], weights[-1].shape[0]
    if min_in.size != nin:
        raise ValueError(
            f"{minmax_path}: {min_in.size} input minima for a network with {nin} inputs"
        )
    if min_out.size != nout:
        raise ValueError(
            f"{minmax_path}: {min_out.size} output minima for a network with {nout} outputs"
        )
    net = MLP.from_weights(weights, biases, activation=activation)
    return SavedModel(
        net=net,
        input_scaler=MinMaxScaler.from_min_max(min_in, max_in, normalize),
        output_scaler=MinMaxScaler.from_min_max(min_out, max_out, normalize),
        loss="mse",
        settings={"activation": activation, "normalize": normalize, "source": "seed system"},
    )

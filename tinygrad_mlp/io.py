"""Saving and loading: our JSON model file, state files, and the seed system's two files.

A model file is JSON (never pickle): it can hold numbers and names, not code. Its
content is the one model record of :mod:`tinygrad_mlp.record` (which the ONNX and torch
files carry too); this module reads and writes the file around it. A state file
(:func:`save_state`) is an ``.npz`` of arrays, read back without pickle. Every write goes
through :func:`tinygrad_mlp.files.atomic_write_bytes`, so an interrupted save leaves the
old file or none, never half of one. Loading checks every shape and says exactly what
does not match.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.data import MinMaxScaler, checked_file
from tinygrad_mlp.files import (
    atomic_write_bytes,
    atomic_write_text,
    check_writable,
    load_state,
    save_state,
)
from tinygrad_mlp.nn import MLP, as_mlp
from tinygrad_mlp.record import SavedModel, model_from_dict, model_to_dict, numbers

__all__ = [
    "SavedModel",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_writable",
    "load_model",
    "load_state",
    "model_from_dict",
    "model_to_dict",
    "model_from_seed_files",
    "read_seed_minmax",
    "read_seed_weights",
    "save_model",
    "save_state",
    "write_seed_minmax",
    "write_seed_weights",
]

#: Model and weight files larger than this are refused before parsing.
MAX_JSON_BYTES = 256 * 1024 * 1024


# --------------------------------------------------------------------------- model files


def save_model(path: str | Path, model: SavedModel) -> None:
    """Write ``model`` as one JSON file (atomically)."""
    record = model_to_dict(model)
    atomic_write_text(path, json.dumps(record, indent=1, allow_nan=False) + "\n")


def load_model(path: str | Path) -> SavedModel:
    """Read a model file written by :func:`save_model`, checking every field."""
    return model_from_dict(_read_json(path), path)


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


def _matrix(path: Any, name: str, value: Any, shape: tuple[int, ...]) -> np.ndarray:
    return numbers(str(path), name, value, tuple(shape))


# --------------------------------------------------------------------------- state files


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

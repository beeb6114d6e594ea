"""What a model carries beside its weights when it leaves for ONNX or PyTorch.

Our own model file (:mod:`tinygrad_mlp.io`) keeps, next to the network, the
training loss, the CSV column names, the class labels, the scalers (min-max or
standard, in the model file's own layout) and the settings. A network exported
to ONNX or to a torch file keeps them too, as plain data (names, numbers,
lists, dicts), so importing the file gives back the very model that left.
This module writes those fields and reads them back, checking each one and
naming the first that is wrong.

>>> from tinygrad_mlp.io import SavedModel
>>> from tinygrad_mlp.nn import MLP
>>> record = describe(SavedModel(MLP(2, [3, 1], seed=0)))
>>> record["loss"], record["input_names"], record["input_scaler"]
('mse', ['i0', 'i1'], None)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_mlp.data import MinMaxScaler, StandardScaler
from tinygrad_mlp.io import SavedModel

__all__ = [
    "LOSSES",
    "PER_COLUMN",
    "SCALER_KEYS",
    "describe",
    "read_fields",
    "read_scaler",
    "scaler_record",
]

#: The losses a saved model can have been trained with (see :mod:`tinygrad_mlp.training`).
LOSSES = ("mse", "bce", "ce")


#: The scalers a record can hold, and the keys each is written with.
Scaler = MinMaxScaler | StandardScaler
SCALER_KEYS = {"minmax": {"range", "min", "max"}, "standard": {"kind", "mean", "scale"}}
#: The per-column fields of the scaler records (tensors in a torch file).
PER_COLUMN = ("min", "max", "mean", "scale")


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
    if isinstance(scaler, StandardScaler):
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


def _numbers(where: str, name: str, value: Any, count: int) -> np.ndarray:
    values = value.tolist() if hasattr(value, "tolist") else value
    if (
        not isinstance(values, list)
        or len(values) != count
        or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        or not all(math.isfinite(v) for v in values)
    ):
        raise ValueError(f"{where}: {name} must be a list of {count} finite numbers")
    return np.array(values, dtype=np.float64)


def read_scaler(where: str, name: str, record: Any, columns: int) -> Scaler | None:
    """The scaler written by :func:`scaler_record`, checked against ``columns``.

    An unknown ``kind`` is refused in one sentence naming it (a file written by
    a newer version, say), as is a missing or extra key.
    """
    if record is None:
        return None
    if not isinstance(record, dict):
        raise ValueError(f"{where}: {name} must be a dict (a scaler) or None")
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
        means = _numbers(where, f"{name}.mean", record["mean"], columns)
        scales = _numbers(where, f"{name}.scale", record["scale"], columns)
        if np.any(scales < 0):
            raise ValueError(f"{where}: {name}.scale must not hold negative numbers")
        return StandardScaler.from_mean_scale(means, scales)
    low, high = _numbers(where, f"{name}.range", record["range"], 2)
    if not low < high:
        raise ValueError(f"{where}: {name}.range must have low < high, got {[low, high]}")
    lows = _numbers(where, f"{name}.min", record["min"], columns)
    highs = _numbers(where, f"{name}.max", record["max"], columns)
    return MinMaxScaler.from_min_max(lows, highs, (low, high))


def _names(where: str, key: str, value: Any, count: int) -> list[str]:
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
        ``output_scaler`` and ``settings``, each checked.
    """
    loss = record.get("loss", "mse")
    if loss not in LOSSES:
        raise ValueError(f"{where}: unknown loss {loss!r}; expected one of {', '.join(LOSSES)}")
    classes = record.get("classes")
    if loss == "ce" and (
        not isinstance(classes, list)
        or len(classes) != nout
        or not all(isinstance(c, str) for c in classes)
    ):
        raise ValueError(f"{where}: a 'ce' model needs one class label per output ({nout})")
    settings = record.get("settings") or {}
    if not isinstance(settings, dict):
        raise ValueError(f"{where}: settings must be a dict")
    return {
        "loss": loss,
        "input_names": _names(where, "input_names", record.get("input_names"), nin),
        "target_names": _names(
            where, "target_names", record.get("target_names"), 1 if loss == "ce" else nout
        ),
        "classes": list(classes) if loss == "ce" else None,
        "input_scaler": read_scaler(where, "input_scaler", record.get("input_scaler"), nin),
        "output_scaler": read_scaler(where, "output_scaler", record.get("output_scaler"), nout),
        "settings": settings,
    }

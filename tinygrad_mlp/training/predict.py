"""A trained model on new rows: its inputs as the network sees them, the targets as
the loss sees them, and predictions in data units (values, probabilities or labels)."""

from __future__ import annotations

import numpy as np

from tinygrad_mlp.autograd import no_grad
from tinygrad_mlp.data import Dataset, load_csv
from tinygrad_mlp.io import SavedModel
from tinygrad_mlp.tensor import Tensor

__all__ = [
    "load_data_for",
    "network_inputs",
    "predict",
    "predict_proba",
    "targets_for_training",
]


def network_inputs(model: SavedModel, x: np.ndarray) -> np.ndarray:
    """Raw inputs as the network sees them (scaled by the model's input scaler, if any)."""
    return model.input_scaler.transform(x) if model.input_scaler is not None else x


def load_data_for(model: SavedModel, path: str) -> Dataset:
    """A CSV file's columns that ``model`` reads (by name), targets included."""
    return load_csv(
        path,
        targets=model.target_names,
        inputs=model.input_names,
        numeric_targets=model.loss != "ce",
    )


def _where(data: Dataset, row: int, column: str) -> str:
    line = data.lines[row] if data.lines else row + 2
    return f"{data.path}: line {line}, column {column!r}"


def targets_for_training(model: SavedModel, data: Dataset) -> np.ndarray:
    """The targets as the loss sees them: normalized values, 0/1, or class indices."""
    if data.targets is None:
        raise ValueError(f"{data.path}: the file has no target columns")
    if model.loss == "ce":
        index = {c: k for k, c in enumerate(model.classes or [])}
        labels = []
        for row, value in enumerate(data.targets[:, 0]):
            key = str(value)
            if key not in index:
                key = _same_number(key, index)
            if key is None:
                classes = list(model.classes or [])
                known = ", ".join(classes[:10])
                if len(classes) > 10:
                    known += f" and {len(classes) - 10} more"
                raise ValueError(
                    f"{_where(data, row, data.target_names[0])}: class {value!r} is not one "
                    f"the model knows ({known})"
                )
            labels.append(index[key])
        return np.array(labels, dtype=np.intp)
    targets = data.targets.astype(np.float64)
    if model.loss == "bce":
        bad = np.argwhere(~np.isin(targets, (0.0, 1.0)))
        if bad.size:
            row, col = bad[0]
            raise ValueError(
                f"{_where(data, row, data.target_names[col])}: {targets[row, col]:g} is not "
                "0 or 1 (loss bce takes 0/1 columns; class names need loss ce)"
            )
        return targets
    return model.output_scaler.transform(targets) if model.output_scaler is not None else targets


def _same_number(key: str, index: dict) -> str | None:
    try:
        number = float(key)
    except ValueError:
        return None
    for label in index:
        try:
            if float(label) == number:
                return label
        except ValueError:
            continue
    return None


def _logits(model: SavedModel, inputs: np.ndarray) -> np.ndarray:
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 2 or inputs.shape[1] != model.net.nin:
        raise ValueError(
            f"the model takes {model.net.nin} inputs per row, got shape {inputs.shape}"
        )
    # NOTE: an input like 1e308 is a float, but scaling it or the first layer's
    # products overflow; say so in one sentence rather than print numpy's warnings
    # and answer nan.
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        scaled = network_inputs(model, inputs)
        # NOTE: past 1e150 (scaled) a product of two such numbers overflows float64.
        too_big = np.where(np.abs(scaled) > LARGEST_INPUT, np.inf, scaled)
        _require_finite(model, inputs, too_big, "is too large for the model's arithmetic")
        out = model.net(scaled).data
    _require_finite(model, inputs, out, "is too large: the network's output overflows")
    return out


#: The largest input magnitude (after the model's scaling) that predictions accept.
LARGEST_INPUT = 1e150


def _require_finite(model: SavedModel, inputs: np.ndarray, values: np.ndarray, why: str) -> None:
    """Raise ValueError naming the first row (and input) whose ``values`` are not finite."""
    bad = np.argwhere(~np.isfinite(values))
    if not bad.size:
        return
    row = int(bad[0][0])
    col = int(np.argmax(np.abs(np.nan_to_num(inputs[row], nan=np.inf))))
    names = list(model.input_names) or [f"i{k}" for k in range(inputs.shape[1])]
    raise ValueError(
        f"input row {row + 1}: {names[col]!r} = {inputs[row, col]:g} {why}; inputs must be "
        "finite and near the range the model was trained on"
    )


def predict_proba(model: SavedModel, inputs: np.ndarray) -> np.ndarray:
    """Class probabilities: σ(s) per 0/1 column (bce), softmax per class (ce)."""
    if model.loss == "mse":
        raise ValueError("a regression model (loss mse) gives values, not probabilities")
    out = _logits(model, inputs)
    with no_grad():
        # NOTE: the engine's own sigmoid and softmax, so there is one implementation of each.
        if model.loss == "bce":
            return Tensor(out).sigmoid().data
        return Tensor(out).softmax(axis=1).data


def predict(model: SavedModel, inputs: np.ndarray) -> np.ndarray:
    """Outputs in data units: values (mse), probabilities (bce) or labels (ce).

    Args:
        model: a trained model.
        inputs: raw inputs, shape (n, the model's inputs).

    Returns:
        An array (n, outputs): floats for mse and bce, class labels (objects) for ce.
    """
    if model.loss == "ce":
        out = _logits(model, inputs)
        return np.array(model.classes, dtype=object)[out.argmax(axis=1)][:, None]
    if model.loss == "bce":
        return predict_proba(model, inputs)
    out = _logits(model, inputs)
    return model.output_scaler.inverse_transform(out) if model.output_scaler is not None else out

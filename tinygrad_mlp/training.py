"""Training, evaluating and predicting on tables: the seed system's workflow as an API.

The command line (``tinygrad-mlp train/test/predict``) is a thin layer over
these functions, so a Python user gets exactly the CLI's numbers.

Losses, as the data they train on:

- ``mse``: regression. The loss of one sample is the cheat sheet's ½ Σ (y − z)²;
  a batch's loss is the mean of that over its samples, so the learning rate
  means the same for every batch size. Targets are min-max normalized when the
  output activation is bounded (sigmoid: [0, 1]; tanh: the --normalize range,
  [-1, 1] by default) and predictions are mapped back to data units.
- ``bce``: one or more 0/1 columns; the output layer gives logits and the loss
  is ``bce_with_logits``; predictions are probabilities.
- ``ce``: one column of class labels; one output node (a logit) per class and
  softmax cross-entropy; predictions are labels.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np

from tinygrad_mlp.autograd import no_grad
from tinygrad_mlp.data import Dataset, MinMaxScaler, load_csv, minibatches
from tinygrad_mlp.io import SavedModel
from tinygrad_mlp.losses import bce_with_logits, cross_entropy, mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD, Adam, Optimizer
from tinygrad_mlp.tensor import Tensor

__all__ = [
    "Diverged",
    "TrainConfig",
    "evaluate",
    "fit",
    "load_data_for",
    "network_inputs",
    "new_model",
    "predict",
    "targets_for_training",
]

BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}


@dataclass
class TrainConfig:
    """Every training setting, with the seed system's defaults where it has one."""

    hidden: list[int] = field(default_factory=lambda: [3])
    activation: str = "sigmoid"
    output_activation: str | None = None
    loss: str = "mse"
    epochs: int = 1000
    lr: float = 0.1
    batch_size: int = 1
    optimizer: str = "sgd"
    momentum: float = 0.9
    normalize: str = "zero-to-one"
    seed: int = 0
    shuffle: bool = True

    def check(self) -> None:
        """Raise ValueError naming the first setting that is out of range."""
        if self.epochs < 1:
            raise ValueError(f"--epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"--batch-size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"--lr must be positive, got {self.lr}")
        if not self.hidden or any(n < 1 for n in self.hidden):
            raise ValueError(f"--hidden needs positive layer sizes, got {self.hidden}")
        if self.loss not in ("mse", "bce", "ce"):
            raise ValueError(f"--loss must be mse, bce or ce, got {self.loss!r}")
        if self.optimizer not in ("sgd", "momentum", "adam"):
            raise ValueError(f"--optimizer must be sgd, momentum or adam, got {self.optimizer!r}")
        if self.normalize not in ("zero-to-one", "minus-one-to-one", "none"):
            raise ValueError("--normalize must be zero-to-one, minus-one-to-one or none")
        if self.loss in ("bce", "ce") and self.output_activation not in (None, "linear"):
            raise ValueError(
                f"with --loss {self.loss} the output layer gives logits (linear); "
                "drop --output-activation"
            )

    @property
    def final_activation(self) -> str:
        if self.loss in ("bce", "ce"):
            return "linear"
        return self.output_activation or self.activation


class Diverged(ArithmeticError):
    """The loss became NaN or infinite; ``epoch`` is where, ``history`` the good epochs."""

    def __init__(self, epoch: int, loss: float, history: list[float]) -> None:
        super().__init__(
            f"training diverged at epoch {epoch} (loss {loss}); the weights of the last good "
            "epoch were kept: lower the learning rate (--lr)"
        )
        self.epoch, self.loss, self.history = epoch, loss, history


def _classes(labels: np.ndarray) -> list[str]:
    values = sorted(set(labels.tolist()))
    try:
        return sorted(values, key=float)
    except ValueError:
        return values


def new_model(data: Dataset, config: TrainConfig) -> SavedModel:
    """An untrained model for ``data``: scalers fitted on it, weights uniform in [-1, 1]."""
    config.check()
    if data.targets is None or not data.target_names:
        raise ValueError(f"{data.path}: the training file needs at least one target column")
    classes = None
    if config.loss == "ce":
        if data.targets.shape[1] != 1:
            raise ValueError("--loss ce takes exactly one target column of class labels")
        classes = _classes(data.targets[:, 0])
        if len(classes) < 2:
            raise ValueError(f"{data.path}: the target column holds a single class")
        nout = len(classes)
    else:
        nout = data.targets.shape[1]
    input_scaler = None
    if config.normalize != "none":
        input_scaler = MinMaxScaler(config.normalize).fit(data.inputs, data.input_names)
    output_scaler = None
    final = config.final_activation
    if config.loss == "mse" and final in BOUNDED:
        target_range = (
            BOUNDED[final]
            if final == "sigmoid"
            else (
                MinMaxScaler(config.normalize).feature_range
                if config.normalize != "none"
                else (-1, 1)
            )
        )
        output_scaler = MinMaxScaler(target_range).fit(data.targets, data.target_names)
    net = MLP(
        data.inputs.shape[1],
        [*config.hidden, nout],
        activation=config.activation,
        output_activation=final,
        seed=config.seed,
    )
    settings = asdict(config)
    return SavedModel(
        net,
        input_scaler,
        output_scaler,
        config.loss,
        list(data.input_names),
        list(data.target_names),
        classes,
        settings,
    )


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
                raise ValueError(
                    f"{data.path}: row {row + 1} has class {value!r}, which the model does not know"
                )
            labels.append(index[key])
        return np.array(labels, dtype=np.intp)
    targets = data.targets.astype(np.float64)
    if model.loss == "bce":
        bad = np.flatnonzero(~np.isin(targets, (0.0, 1.0)).all(axis=1))
        if bad.size:
            raise ValueError(f"{data.path}: row {bad[0] + 1} has a target other than 0 or 1")
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


def batch_loss(model: SavedModel, out: Tensor, z: np.ndarray) -> Tensor:
    """The loss of one batch (see the module docstring for the conventions)."""
    if model.loss == "ce":
        return cross_entropy(out, z)
    if model.loss == "bce":
        return bce_with_logits(out, z)
    return mse(out, z) * (1.0 / len(z))


def _optimizer(net: MLP, config: TrainConfig) -> Optimizer:
    if config.optimizer == "adam":
        return Adam(net.parameters(), lr=config.lr)
    momentum = config.momentum if config.optimizer == "momentum" else 0.0
    return SGD(net.parameters(), lr=config.lr, momentum=momentum)


def fit(
    model: SavedModel,
    data: Dataset,
    config: TrainConfig,
    on_epoch: Callable[[int, float], None] | None = None,
) -> list[float]:
    """Train ``model`` in place; return the mean loss of every epoch.

    ``batch_size`` 1 is the cheat sheet's per-sample SGD. Samples are shuffled
    each epoch by a generator seeded with ``config.seed``, unless
    ``config.shuffle`` is off: then rows are visited in file order, as the
    seed system does.
    If the loss turns NaN or infinite the weights of the last good epoch are
    restored and :class:`Diverged` is raised.
    """
    config.check()
    x = network_inputs(model, data.inputs)
    z = targets_for_training(model, data)
    net = model.net
    optimizer = _optimizer(net, config)
    rng = np.random.default_rng(config.seed)
    history: list[float] = []
    good = [p.data.copy() for p in net.parameters()]
    for epoch in range(1, config.epochs + 1):
        total = 0.0
        # NOTE: overflow on the way to a NaN loss is expected; it is reported as Diverged.
        with np.errstate(over="ignore", invalid="ignore"):
            for idx in minibatches(len(x), config.batch_size, rng, shuffle=config.shuffle):
                optimizer.zero_grad()
                loss = batch_loss(model, net(x[idx]), z[idx])
                loss.backward()
                optimizer.step()
                total += loss.item() * len(idx)
        mean = total / len(x)
        if not np.isfinite(mean) or not all(np.all(np.isfinite(p.data)) for p in net.parameters()):
            for p, saved in zip(net.parameters(), good, strict=True):
                p.data[...] = saved
            raise Diverged(epoch, mean, history)
        for p, saved in zip(net.parameters(), good, strict=True):
            saved[...] = p.data
        history.append(mean)
        if on_epoch is not None:
            on_epoch(epoch, mean)
    return history


def predict(model: SavedModel, inputs: np.ndarray) -> np.ndarray:
    """Outputs in data units: values (mse), probabilities (bce) or labels (ce)."""
    if inputs.shape[1] != model.net.nin:
        raise ValueError(f"the model takes {model.net.nin} inputs, got {inputs.shape[1]} columns")
    with no_grad():
        out = model.net(network_inputs(model, inputs)).data
    if model.loss == "ce":
        return np.array(model.classes, dtype=object)[out.argmax(axis=1)][:, None]
    if model.loss == "bce":
        return 0.5 * (np.tanh(0.5 * out) + 1.0)
    return model.output_scaler.inverse_transform(out) if model.output_scaler is not None else out


def evaluate(model: SavedModel, data: Dataset) -> dict:
    """Loss and metrics of ``model`` on ``data`` (which must hold the target columns).

    Regression: the ½-sum mse per sample in data units, and RMSE and MAE per
    target column. Classification: the loss the model trained with, accuracy and
    (for ce) a confusion matrix with true classes as rows.
    """
    start = time.perf_counter()
    z = targets_for_training(model, data)
    result: dict = {"samples": len(data)}
    with no_grad():
        out = model.net(network_inputs(model, data.inputs))
        result["loss_trained"] = batch_loss(model, out, z).item()
    if model.loss == "mse":
        y = predict(model, data.inputs)
        error = y - data.targets.astype(np.float64)
        result["loss"] = float(0.5 * (error**2).sum(axis=1).mean())
        result["rmse"] = dict(
            zip(model.target_names, np.sqrt((error**2).mean(axis=0)).tolist(), strict=True)
        )
        result["mae"] = dict(
            zip(model.target_names, np.abs(error).mean(axis=0).tolist(), strict=True)
        )
    elif model.loss == "bce":
        probs = predict(model, data.inputs)
        result["loss"] = result["loss_trained"]
        result["accuracy"] = float(((probs >= 0.5) == (z >= 0.5)).mean())
    else:
        predicted = out.data.argmax(axis=1)
        k = len(model.classes)
        matrix = np.zeros((k, k), dtype=int)
        np.add.at(matrix, (z, predicted), 1)
        result["loss"] = result["loss_trained"]
        result["accuracy"] = float((predicted == z).mean())
        result["classes"] = list(model.classes)
        result["confusion"] = matrix.tolist()
    result["seconds"] = time.perf_counter() - start
    return result

"""Training, evaluating and predicting on tables: the seed system's workflow as an API.

The command line (``tinygrad-mlp train/test/predict``) and the scikit-learn
estimators (:mod:`tinygrad_mlp.sklearn`) are thin layers over these functions,
so a Python user gets exactly their numbers.

Losses, as the data they train on:

- ``mse``: regression. The loss of one sample is the cheat sheet's ½ Σ (y − z)²;
  a batch's loss is the mean of that over its samples, so the learning rate
  means the same for every batch size. The output layer is linear unless asked
  otherwise; targets are scaled as the inputs are (``--normalize``: standard,
  the default, is mean 0 and sd 1; min-max onto [0, 1] or [-1, 1]), except
  that a sigmoid output takes [0, 1] and a tanh output [-1, 1]; predictions are
  mapped back to data units. Reported losses are always in data units, so
  ``train`` and ``test`` speak of the same number.
- ``bce``: one or more 0/1 columns. The output layer gives logits s and the
  loss is ``bce_with_logits`` (the sigmoid folded in: the stable pair);
  predictions are probabilities σ(s). ``--output-activation sigmoid`` names
  this same pair.
- ``ce``: one column of class labels; one output node (a logit) per class and
  softmax cross-entropy; predictions are labels.

Defaults serve a person with a CSV file: standardized columns, minibatches of
200 rows, Adam with η = 0.001, a tenth of the rows held out for validation, and
early stopping that keeps the weights of the best epoch. ``PRESETS["seed"]`` is the cheat
sheet's own setting: sigmoid everywhere, per-sample SGD, min-max [0, 1].
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np

from tinygrad_mlp.autograd import no_grad
from tinygrad_mlp.data import (
    Dataset,
    MinMaxScaler,
    StandardScaler,
    load_csv,
    make_scaler,
    minibatches,
)
from tinygrad_mlp.io import SavedModel
from tinygrad_mlp.losses import bce_with_logits, cross_entropy, mse
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    Optimizer,
    StepLR,
    clip_grad_norm_,
)
from tinygrad_mlp.tensor import Tensor

__all__ = [
    "PRESETS",
    "Diverged",
    "History",
    "TrainConfig",
    "evaluate",
    "fit",
    "load_data_for",
    "loss_units",
    "network_inputs",
    "new_model",
    "predict",
    "predict_proba",
    "targets_for_training",
    "warm_start",
]

BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
LOSSES = ("mse", "bce", "ce")
OPTIMIZERS = ("adam", "sgd", "momentum")
NORMALIZE = ("standard", "zero-to-one", "minus-one-to-one", "none")
SCHEDULERS = ("none", "step", "exponential", "cosine")


@dataclass
class TrainConfig:
    """Every training setting. The defaults are for a person with a CSV file.

    ``epochs`` is an upper bound when early stopping is on (``patience`` > 0):
    training stops once the validation loss (the training loss when
    ``val_split`` is 0 or holds out too few rows, see :func:`split_rows`) has
    not improved by ``tol`` times its first-epoch value for ``patience``
    epochs, and the weights of the best epoch are kept.
    """

    hidden: list[int] = field(default_factory=lambda: [100])
    activation: str = "relu"
    output_activation: str | None = None
    loss: str = "mse"
    epochs: int = 3000
    lr: float = 1e-3
    batch_size: int = 200
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    normalize: str = "standard"
    seed: int = 0
    shuffle: bool = True
    val_split: float = 0.1
    patience: int = 10
    tol: float = 1e-4
    scheduler: str = "none"
    step_size: int = 100
    gamma: float = 0.5
    clip_grad: float | None = None

    def check(self) -> None:
        """Raise ValueError naming the first setting that is out of range."""
        if self.epochs < 1:
            raise ValueError(f"--epochs must be at least 1, got {self.epochs}")
        if self.batch_size < 1:
            raise ValueError(f"--batch-size must be at least 1, got {self.batch_size}")
        if not self.lr > 0:
            raise ValueError(f"--lr must be positive, got {self.lr}")
        if not self.hidden or any(not isinstance(n, int) or n < 1 for n in self.hidden):
            raise ValueError(f"--hidden needs positive layer sizes, got {self.hidden}")
        for name, value, choices in (
            ("--loss", self.loss, LOSSES),
            ("--optimizer", self.optimizer, OPTIMIZERS),
            ("--normalize", self.normalize, NORMALIZE),
            ("--scheduler", self.scheduler, SCHEDULERS),
            ("--activation", self.activation, ACTIVATIONS),
        ):
            if value not in choices:
                raise ValueError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
        if self.output_activation not in (None, *ACTIVATIONS):
            raise ValueError(
                f"--output-activation must be one of {', '.join(ACTIVATIONS)}, "
                f"got {self.output_activation!r}"
            )
        if not 0 <= self.val_split < 1:
            raise ValueError(f"--val-split must lie in [0, 1), got {self.val_split}")
        if self.patience < 0:
            raise ValueError(f"--patience must not be negative, got {self.patience}")
        if self.weight_decay < 0:
            raise ValueError(f"--weight-decay must not be negative, got {self.weight_decay}")
        if self.clip_grad is not None and not self.clip_grad > 0:
            raise ValueError(f"--clip-grad must be positive, got {self.clip_grad}")
        if self.step_size < 1 or not self.gamma > 0:
            raise ValueError("--step-size must be at least 1 and --gamma positive")
        if self.loss == "bce" and self.output_activation not in (None, "linear", "sigmoid"):
            raise ValueError(
                "with --loss bce the output is a sigmoid folded into the loss (trained on "
                f"logits, the stable form); --output-activation {self.output_activation} "
                "cannot go with it"
            )
        if self.loss == "ce" and self.output_activation not in (None, "linear"):
            raise ValueError(
                "with --loss ce the output layer gives logits and softmax is folded into the "
                f"loss; --output-activation {self.output_activation} cannot go with it"
            )

    @property
    def final_activation(self) -> str:
        """The output layer's activation in the saved network (logits for bce and ce)."""
        if self.loss in ("bce", "ce"):
            return "linear"
        return self.output_activation or "linear"


#: Named starting points; ``seed`` is the cheat sheet's own setting.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "seed": {
        "hidden": [3],
        "activation": "sigmoid",
        "output_activation": "sigmoid",
        "epochs": 1000,
        "lr": 0.1,
        "batch_size": 1,
        "optimizer": "sgd",
        "normalize": "zero-to-one",
        "shuffle": False,
        "val_split": 0.0,
        "patience": 0,
    },
}


def config_fields() -> set[str]:
    """The names of :class:`TrainConfig`'s settings."""
    return {f.name for f in fields(TrainConfig)}


class Diverged(ArithmeticError):
    """The loss became NaN or infinite; ``epoch`` is where, ``history`` the good epochs,
    ``kept`` the epoch whose weights the model holds (0: the starting weights)."""

    def __init__(self, epoch: int, loss: float, history: History, kept: int = 0) -> None:
        which = f"the weights of epoch {kept}" if kept else "the starting weights"
        super().__init__(
            f"training diverged at epoch {epoch} (loss {loss}); {which} were kept: lower "
            "the learning rate (--lr)"
        )
        self.epoch, self.loss, self.history, self.kept = epoch, loss, history, kept


@dataclass
class History:
    """What :func:`fit` saw: per-epoch mean losses (data units for mse) and where it stopped.

    ``val_loss`` is empty without a validation split; ``best_epoch`` is the
    epoch whose weights the model holds (1-based).
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    train_rows: int = 0
    val_rows: int = 0


def loss_units(loss: str) -> str:
    """Words for the scale a reported loss is in (the same in train, test and the JSON).

    >>> loss_units("mse")
    "½ Σ (y − z)² per sample, in the data's units"
    """
    if loss == "mse":
        return "½ Σ (y − z)² per sample, in the data's units"
    if loss == "bce":
        return "binary cross-entropy in nats per output, mean over samples"
    return "cross-entropy in nats per sample"


def _classes(labels: np.ndarray) -> list[str]:
    values = sorted({str(v) for v in labels.tolist()})
    try:
        return sorted(values, key=float)
    except ValueError:
        return values


def new_model(data: Dataset, config: TrainConfig) -> SavedModel:
    """An untrained model for ``data``: scalers fitted on it, weights drawn from
    ``config.seed`` (uniform in [-1, 1] for sigmoid layers, ±1/√fan-in otherwise).

    Args:
        data: the training table (its targets decide the classes for ``ce``).
        config: the settings; ``config.check()`` runs first.

    Returns:
        A :class:`~tinygrad_mlp.io.SavedModel` holding the network, the scalers,
        the column names, the classes and the settings.
    """
    config.check()
    if data.targets is None or not data.target_names:
        raise ValueError(f"{data.path}: the training file needs at least one target column")
    classes = None
    if config.loss == "ce":
        if data.targets.shape[1] != 1:
            raise ValueError("--loss ce takes exactly one target column of class labels")
        classes = _classes(data.targets[:, 0])
        if len(classes) < 2:
            raise ValueError(f"{data.path}: column {data.target_names[0]!r} holds one class only")
        nout = len(classes)
    else:
        nout = data.targets.shape[1]
    input_scaler = None
    if config.normalize != "none":
        input_scaler = make_scaler(config.normalize).fit(data.inputs, data.input_names)
    output_scaler: MinMaxScaler | StandardScaler | None = None
    final = config.final_activation
    if config.loss == "mse":
        if final in BOUNDED:
            # NOTE: a bounded output needs targets inside its range: min-max onto
            # [0, 1] for sigmoid; for tanh the --normalize range if it is one, else [-1, 1].
            low_high = BOUNDED[final]
            if final == "tanh" and config.normalize in ("zero-to-one", "minus-one-to-one"):
                low_high = MinMaxScaler(config.normalize).feature_range
            output_scaler = MinMaxScaler(low_high)
        elif config.normalize != "none":
            output_scaler = make_scaler(config.normalize)
        if output_scaler is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a constant target is named by the input check
                output_scaler.fit(data.targets, data.target_names)
    rng = np.random.default_rng(config.seed)
    net = MLP(
        data.inputs.shape[1],
        [*config.hidden, nout],
        activation=config.activation,
        output_activation=final,
        seed=rng,
    )
    # NOTE: sigmoid layers keep the seed system's uniform [-1, 1] init (so the
    # cheat sheet's setting trains as its Go package does); other layers are scaled
    # by 1/√fan-in as torch's nn.Linear is (U(-1/√n, 1/√n)), so that wide tanh and
    # relu layers do not start saturated or with huge outputs.
    for layer, name in zip(net.layers, net.activations, strict=True):
        if name != "sigmoid":
            layer.weight.data *= 1.0 / np.sqrt(layer.nin)
            layer.bias.data *= 1.0 / np.sqrt(layer.nin)
    if config.loss == "mse" and final in ("linear", "relu"):
        # NOTE: start the output at the targets' mean, so the first epochs fit the
        # shape of the data rather than walk the output's offset there (with Adam,
        # that walk overshoots and early stopping mistakes it for overfitting).
        z = output_scaler.transform(data.targets) if output_scaler is not None else data.targets
        net.layers[-1].bias.data[...] = np.asarray(z, dtype=np.float64).mean(axis=0)
    settings = asdict(config)
    settings["output_activation"] = config.output_activation or (
        "sigmoid" if config.loss == "bce" else "softmax" if config.loss == "ce" else "linear"
    )
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


def _normalize_name(scaler: MinMaxScaler | StandardScaler | None) -> str:
    if scaler is None:
        return "none"
    if isinstance(scaler, StandardScaler):
        return "standard"
    return {(0.0, 1.0): "zero-to-one", (-1.0, 1.0): "minus-one-to-one"}.get(
        tuple(scaler.feature_range), str(scaler.feature_range)
    )


def warm_start(start: SavedModel, given: dict[str, Any], source: str) -> TrainConfig:
    """The settings to continue training ``start`` with: the model's own, except ``given``.

    ``given`` holds the settings the user named. Those that define the model
    (hidden sizes, activations, loss, normalization) must agree with the model,
    else one ValueError names both; the model's scalers are kept, not refitted.
    """
    net = start.net
    hidden_acts = net.activations[:-1]
    own: dict[str, Any] = {
        "hidden": net.sizes[1:-1],
        "activation": hidden_acts[0] if hidden_acts else net.activations[-1],
        "loss": start.loss,
        "normalize": start.settings.get("normalize") or _normalize_name(start.input_scaler),
    }
    if start.loss == "mse":
        own["output_activation"] = net.activations[-1]
    if len(set(hidden_acts)) > 1:
        raise ValueError(
            f"{source}: its hidden layers mix activations ({', '.join(hidden_acts)}); "
            "train cannot continue such a network"
        )

    def shown(key: str, value: Any) -> str:
        if key == "hidden":
            return "-".join(map(str, [net.sizes[0], *value, net.sizes[-1]]))
        return str(value)

    for key, mine in own.items():
        wanted = given.get(key)
        if wanted is not None and wanted != mine:
            raise ValueError(
                f"{source}: the model has {key.replace('_', ' ')} {shown(key, mine)}, but "
                f"--{key.replace('_', '-')} asks for {shown(key, wanted)}"
            )
    settings = {k: v for k, v in start.settings.items() if k in config_fields()}
    settings.update({k: v for k, v in given.items() if k in config_fields() and v is not None})
    settings.update(own)
    if settings.get("loss") != "mse":
        settings["output_activation"] = given.get("output_activation")
    return TrainConfig(**settings)


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
                known = ", ".join(model.classes or [])
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
                "0 or 1 (--loss bce takes 0/1 columns; class names need --loss ce)"
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


def batch_loss(model: SavedModel, out: Tensor, z: np.ndarray) -> Tensor:
    """The loss of one batch as training minimizes it (normalized units for mse)."""
    if model.loss == "ce":
        return cross_entropy(out, z)
    if model.loss == "bce":
        return bce_with_logits(out, z)
    return mse(out, z) * (1.0 / len(z))


def _data_unit_scale(model: SavedModel) -> np.ndarray | None:
    """Per target column, data units per normalized unit (None: the same)."""
    scaler = model.output_scaler
    if model.loss != "mse" or scaler is None:
        return None
    return scaler.unit


def _reported_loss(model: SavedModel, out: np.ndarray, z: np.ndarray, scale) -> float:
    """The summed loss of a batch in report units (data units for mse)."""
    if model.loss == "mse":
        diff = out - z
        if scale is not None:
            diff = diff * scale
        return float(0.5 * np.sum(diff * diff))
    with no_grad():
        return batch_loss(model, Tensor(out), z).item() * len(z)


def _optimizer(net: MLP, config: TrainConfig) -> Optimizer:
    if config.optimizer == "adam":
        return Adam(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    momentum = config.momentum if config.optimizer == "momentum" else 0.0
    return SGD(net.parameters(), lr=config.lr, momentum=momentum, weight_decay=config.weight_decay)


def _scheduler(optimizer: Optimizer, config: TrainConfig):
    if config.scheduler == "step":
        return StepLR(optimizer, step_size=config.step_size, gamma=config.gamma)
    if config.scheduler == "exponential":
        return ExponentialLR(optimizer, gamma=config.gamma)
    if config.scheduler == "cosine":
        return CosineAnnealingLR(optimizer, T_max=config.epochs)
    return None


#: The fewest validation rows whose loss early stopping may watch.
MIN_VAL_ROWS = 10


def split_rows(
    n: int, config: TrainConfig, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation row indices: a seeded shuffle, ``val_split`` of them held out.

    With class ``labels`` the split is stratified: each class gives its share
    (at least one row of every class with two or more stays in training).
    A share that comes to fewer than :data:`MIN_VAL_ROWS` rows holds none out:
    all rows train, and early stopping watches the training loss, as
    scikit-learn's default does (a loss over a handful of rows is noise).

    >>> [len(rows) for rows in split_rows(120, TrainConfig())]
    [108, 12]
    >>> [len(rows) for rows in split_rows(64, TrainConfig())]  # 6 would be too few
    [64, 0]
    """
    n_val = int(round(n * config.val_split))
    if n_val < MIN_VAL_ROWS or n - n_val < 1:
        return np.arange(n), np.arange(0)
    rng = np.random.default_rng([config.seed, 1])
    if labels is None:
        order = rng.permutation(n)
        return np.sort(order[n_val:]), np.sort(order[:n_val])
    held = []
    for label in np.unique(labels):
        rows = rng.permutation(np.flatnonzero(labels == label))
        take = min(int(round(len(rows) * config.val_split)), len(rows) - 1)
        held.append(rows[:take])
    val = np.sort(np.concatenate(held))
    return np.setdiff1d(np.arange(n), val), val


def fit(
    model: SavedModel,
    data: Dataset,
    config: TrainConfig,
    on_epoch: Callable[[int, float], None] | None = None,
) -> History:
    """Train ``model`` in place; return its :class:`History`.

    ``batch_size`` 1 is the cheat sheet's per-sample SGD. Samples are shuffled
    each epoch by a generator seeded with ``config.seed``, unless
    ``config.shuffle`` is off: then rows are visited in file order, as the
    seed system does. With ``patience`` > 0 training stops early and the best
    epoch's weights are kept (see :class:`TrainConfig`).
    If the loss turns NaN or infinite the weights of the best (or last good)
    epoch are restored and :class:`Diverged` is raised.

    Args:
        model: from :func:`new_model` (or a loaded model, to continue).
        data: the table to learn, with its target columns.
        config: the settings.
        on_epoch: called as ``on_epoch(epoch, mean_loss)`` after every epoch.

    Returns:
        The :class:`History`: per-epoch losses (data units for mse), the
        validation losses, the best epoch and whether training stopped early.

    >>> import numpy as np
    >>> x = np.linspace(0, 1, 40)[:, None]
    >>> data = Dataset(x, 3 * x + 1, ["x"], ["y"])
    >>> config = TrainConfig(hidden=[8], lr=0.01, seed=0)
    >>> model = new_model(data, config)
    >>> history = fit(model, data, config)
    >>> bool(history.loss[-1] < history.loss[0] / 10)
    True
    >>> bool(abs(predict(model, np.array([[0.5]]))[0, 0] - 2.5) < 0.2)  # 3 · 0.5 + 1
    True
    """
    config.check()
    x_all = network_inputs(model, data.inputs)
    z_all = targets_for_training(model, data)
    labels = z_all if model.loss == "ce" else None
    train_rows, val_rows = split_rows(len(x_all), config, labels)
    x, z = x_all[train_rows], z_all[train_rows]
    xv, zv = x_all[val_rows], z_all[val_rows]
    net = model.net
    params = net.parameters()
    optimizer = _optimizer(net, config)
    scheduler = _scheduler(optimizer, config)
    scale = _data_unit_scale(model)
    rng = np.random.default_rng(config.seed)
    history = History(train_rows=len(x), val_rows=len(xv))
    good = [p.data.copy() for p in params]
    best = [p.data.copy() for p in params]
    best_score, waited = np.inf, 0
    for epoch in range(1, config.epochs + 1):
        total = 0.0
        # NOTE: overflow on the way to a NaN loss is expected; it is reported as Diverged.
        with np.errstate(over="ignore", invalid="ignore"):
            for idx in minibatches(len(x), config.batch_size, rng, shuffle=config.shuffle):
                optimizer.zero_grad()
                out = net(x[idx])
                zb = z[idx]
                loss = batch_loss(model, out, zb)
                loss.backward()
                if config.clip_grad is not None:
                    clip_grad_norm_(params, config.clip_grad)
                optimizer.step()
                if scale is None and model.loss == "mse":
                    total += loss.item() * len(idx)
                elif model.loss == "mse":
                    total += _reported_loss(model, out.data, zb, scale)
                else:
                    total += loss.item() * len(idx)
            val = None
            if len(xv):
                with no_grad():
                    val = _reported_loss(model, net(xv).data, zv, scale) / len(xv)
        mean = total / len(x)
        finite = np.isfinite(mean) and (val is None or np.isfinite(val))
        if not finite or not all(np.all(np.isfinite(p.data)) for p in params):
            use_best = config.patience and history.best_epoch
            for p, saved in zip(params, best if use_best else good, strict=True):
                p.data[...] = saved
            history.best_epoch = history.best_epoch if use_best else len(history.loss)
            raise Diverged(epoch, mean, history, history.best_epoch)
        for p, saved in zip(params, good, strict=True):
            saved[...] = p.data
        history.loss.append(mean)
        if val is not None:
            history.val_loss.append(val)
        if scheduler is not None:
            scheduler.step()
        if on_epoch is not None:
            on_epoch(epoch, mean)
        score = val if val is not None else mean
        if epoch == 1:
            # NOTE: "better" means lower by tol times the first epoch's loss: free of the
            # data's units, and not stricter as the loss shrinks.
            margin = config.tol * abs(score)
        # NOTE: as scikit-learn counts: an epoch is patient unless it beats the best
        # loss by the margin, and the best (whose weights are kept) is any new minimum,
        # so that a loss creeping down by crumbs does not keep a converged run going.
        waited = 0 if score < best_score - margin else waited + 1
        if score < best_score:
            best_score, history.best_epoch = score, epoch
            if config.patience:
                for p, saved in zip(params, best, strict=True):
                    saved[...] = p.data
        if config.patience and waited >= config.patience:
            history.stopped_early = True
            break
    if config.patience:
        for p, saved in zip(params, best, strict=True):
            p.data[...] = saved
    else:
        history.best_epoch = len(history.loss)
    return history


def _logits(model: SavedModel, inputs: np.ndarray) -> np.ndarray:
    inputs = np.asarray(inputs, dtype=np.float64)
    if inputs.ndim != 2 or inputs.shape[1] != model.net.nin:
        raise ValueError(
            f"the model takes {model.net.nin} inputs per row, got shape {inputs.shape}"
        )
    with no_grad():
        return model.net(network_inputs(model, inputs)).data


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


def _confusion(truth: np.ndarray, predicted: np.ndarray, k: int) -> list[list[int]]:
    matrix = np.zeros((k, k), dtype=int)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix.tolist()


def evaluate(model: SavedModel, data: Dataset) -> dict:
    """Loss and metrics of ``model`` on ``data`` (which must hold the target columns).

    Regression: the ½-sum mse per sample in data units, and RMSE and MAE per
    target column. Classification: the loss the model trained with, accuracy and
    a confusion matrix with true classes as rows (for bce, classes 0 and 1; one
    matrix per target column when there are several).
    """
    start = time.perf_counter()
    z = targets_for_training(model, data)
    result: dict = {"samples": len(data), "loss_units": loss_units(model.loss)}
    out = _logits(model, data.inputs)
    result["loss"] = _reported_loss(model, out, z, _data_unit_scale(model)) / max(1, len(z))
    if model.loss == "mse":
        y = predict(model, data.inputs)
        error = y - data.targets.astype(np.float64)
        result["rmse"] = dict(
            zip(model.target_names, np.sqrt((error**2).mean(axis=0)).tolist(), strict=True)
        )
        result["mae"] = dict(
            zip(model.target_names, np.abs(error).mean(axis=0).tolist(), strict=True)
        )
    elif model.loss == "bce":
        predicted = (out >= 0).astype(np.intp)  # σ(s) ≥ ½ exactly when s ≥ 0
        truth = z.astype(np.intp)
        result["accuracy"] = float((predicted == truth).mean())
        result["classes"] = ["0", "1"]
        matrices = {
            name: _confusion(truth[:, k], predicted[:, k], 2)
            for k, name in enumerate(model.target_names)
        }
        if len(matrices) == 1:
            result["confusion"] = next(iter(matrices.values()))
        else:
            result["confusion"] = matrices
    else:
        predicted = out.argmax(axis=1)
        result["accuracy"] = float((predicted == z).mean())
        result["classes"] = list(model.classes)
        result["confusion"] = _confusion(z, predicted, len(model.classes))
    result["seconds"] = time.perf_counter() - start
    return result

"""Building, training and scoring a model: :func:`new_model`, :func:`fit`, :func:`evaluate`.

The module is long because a fit is one loop with the guards a person with a CSV needs
around it (the task against the target, a blow-up, Ctrl-C, early stopping, sample
weights, the captured step), each a few lines that read the loop's own state.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from tinygrad_mlp.autograd import no_grad
from tinygrad_mlp.compiled import CompileWarning
from tinygrad_mlp.data import Dataset, MinMaxScaler, StandardScaler, make_scaler, minibatches
from tinygrad_mlp.io import SavedModel
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    Optimizer,
    StepLR,
)
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.training.config import (
    BOUNDED,
    ConfigError,
    TrainConfig,
    loss_units,
)
from tinygrad_mlp.training.predict import (
    _logits,
    network_inputs,
    predict,
    targets_for_training,
)
from tinygrad_mlp.training.step import TrainStep, batch_loss

if TYPE_CHECKING:
    from tinygrad_mlp.health import Monitor

__all__ = [
    "BLOWUP",
    "MIN_VAL_ROWS",
    "Diverged",
    "History",
    "batch_loss",
    "check_task",
    "evaluate",
    "fit",
    "new_model",
    "optimizer_for",
    "split_rows",
]


#: A loss this many times the starting weights' loss (or NaN, or infinite) is a run
#: that blew up: :func:`fit` stops it with :class:`Diverged`.
BLOWUP = 1e6


class Diverged(ArithmeticError):
    """The loss blew up (NaN, infinite, or :data:`BLOWUP` times the starting loss);
    ``epoch`` is where, ``history`` the good epochs, ``kept`` the epoch whose weights the
    model holds (0: the starting weights)."""

    def __init__(self, epoch: int, loss: float, history: History, kept: int = 0) -> None:
        which = f"the weights of epoch {kept}" if kept else "the starting weights"
        super().__init__(
            f"training diverged at epoch {epoch} (loss {loss:.3g}); {which} were kept: lower "
            "the learning rate"
        )
        self.epoch, self.loss, self.history, self.kept = epoch, loss, history, kept


@dataclass
class History:
    """What :func:`fit` saw: per-epoch mean losses (data units for mse) and where it stopped.

    ``val_loss`` is empty without a validation split; ``best_epoch`` is the
    epoch whose weights the model holds (1-based). While training runs,
    ``waited`` counts the epochs since the last gain (early stopping ends the run
    when it reaches ``patience``); ``interrupted`` is set when Ctrl-C ended it.
    """

    loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    best_epoch: int = 0
    stopped_early: bool = False
    train_rows: int = 0
    val_rows: int = 0
    patience: int = 0
    waited: int = 0
    interrupted: bool = False


def _classes(labels: np.ndarray) -> list[str]:
    values = sorted({str(v) for v in labels.tolist()})
    try:
        return sorted(values, key=float)
    except ValueError:
        return values


#: A column of at most this many integer values, under the default loss, looks like classes.
FEW_CLASSES = 10


def _shown(values: list) -> str:
    text = ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in values[:5])
    return text + (f" and {len(values) - 5} more" if len(values) > 5 else "")


def _class_codes(values: np.ndarray, rows: int) -> bool:
    """Whether sorted distinct ``values`` read as class codes 0..k−1 or 1..k."""
    k = len(values)
    if not 2 <= k <= FEW_CLASSES or k > rows / 3:
        return False
    return bool(np.all(values == np.arange(k)) or np.all(values == np.arange(1, k + 1)))


def check_task(data: Dataset, loss: str, loss_named: bool = True) -> None:
    """Raise :class:`~tinygrad_mlp.training.config.ConfigError` (naming ``loss``) when
    the target and the loss disagree, before a network is built.

    - ``ce`` on a column of numbers that are not class labels (any non-integer, or
      more distinct integers than half the rows and than 20).
    - ``mse`` left at its default (``loss_named`` False) on a column that looks like
      class codes: the integers 0..k−1 or 1..k, 2 ≤ k ≤ :data:`FEW_CLASSES`, each
      about three rows or more (k ≤ rows / 3). Classes, or a count? The user says which.

    >>> x = np.zeros((9, 1))
    >>> check_task(Dataset(x, np.array([[0.0], [1], [2]] * 3), ["x"], ["y"]), "mse", False)
    Traceback (most recent call last):
    ...
    tinygrad_mlp.training.config.ConfigError: the target 'y' has 3 integer values 0, 1, 2: for classes use loss ce; to keep regression, pass loss mse
    """  # noqa: E501 -- a doctest's expected line
    if data.targets is None or not len(data):
        return
    if loss == "ce" and data.targets.shape[1] == 1:
        distinct = sorted({str(v) for v in data.targets[:, 0].tolist()})
        try:
            numbers = sorted({float(v) for v in distinct})
        except ValueError:
            return  # names, not numbers: classes
        fractional = any(not float(v).is_integer() for v in numbers)
        if fractional or len(numbers) > max(20, len(data) // 2):
            raise ConfigError(
                "the target {target!r} holds {k} different numbers ({shown}), not class "
                "labels: {loss} ce would build one output per number; for a numeric target "
                "use {loss} mse",
                ["loss"],
                target=data.target_names[0],
                k=len(numbers),
                shown=_shown(numbers),
            )
    if loss == "mse" and not loss_named:
        for k, name in enumerate(data.target_names):
            column = np.asarray(data.targets[:, k], dtype=np.float64)
            values = np.unique(column)
            if _class_codes(values, len(column)):
                shown = [int(v) for v in values]
                hint = "ce (or bce for a 0/1 column)" if len(values) == 2 else "ce"
                raise ConfigError(
                    "the target {target!r} has {k} integer values {shown}: for classes use "
                    "{loss} {hint}; to keep regression, pass {loss} mse",
                    ["loss"],
                    target=name,
                    k=len(values),
                    shown=_shown(shown),
                    hint=hint,
                )


def new_model(
    data: Dataset, config: TrainConfig, sample_weight: np.ndarray | None = None
) -> SavedModel:
    """An untrained model for ``data``: scalers fitted on it, weights drawn from
    ``config.seed`` (uniform in [-1, 1] for sigmoid layers, ±1/√fan-in otherwise).

    Args:
        data: the training table (its targets decide the classes for ``ce``).
        config: the settings; ``config.check()`` runs first.
        sample_weight: one weight per row: the scalers take weighted means and
            spreads (rows of weight 0 set no range), so that integer weights build the
            model that repeating the rows would.

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
            raise ValueError("loss ce takes exactly one target column of class labels")
        classes = _classes(data.targets[:, 0])
        if len(classes) < 2:
            raise ValueError(f"{data.path}: column {data.target_names[0]!r} holds one class only")
        nout = len(classes)
    else:
        nout = data.targets.shape[1]
    w = None if sample_weight is None else _checked_weights(sample_weight, len(data))
    input_scaler = None
    if config.normalize != "none":
        input_scaler = make_scaler(config.normalize).fit(data.inputs, data.input_names)
        input_scaler = _weighted(input_scaler, data.inputs, w)
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
            output_scaler = _weighted(output_scaler, data.targets, w)
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
        z = np.asarray(z, dtype=np.float64)
        net.layers[-1].bias.data[...] = np.average(z, axis=0, weights=w)
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


def _weighted(scaler, values: np.ndarray, w: np.ndarray | None):
    """``scaler`` refitted with sample weights ``w`` (itself when ``w`` is None)."""
    if w is None:
        return scaler
    values = np.asarray(values, dtype=np.float64)
    if isinstance(scaler, StandardScaler):
        mean = np.average(values, axis=0, weights=w)
        sd = np.sqrt(np.average((values - mean) ** 2, axis=0, weights=w))
        return StandardScaler.from_mean_scale(mean, sd)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a constant column was named by the first fit
        return scaler.fit(values[w > 0])


def _data_unit_scale(model: SavedModel) -> np.ndarray | None:
    """Per target column, data units per normalized unit (None: the same)."""
    scaler = model.output_scaler
    if model.loss != "mse" or scaler is None:
        return None
    return scaler.unit


def _reported_loss(
    model: SavedModel, out: np.ndarray, z: np.ndarray, scale, weight: np.ndarray | None = None
) -> float:
    """The summed loss of a batch in report units (data units for mse), each sample's
    loss times its ``weight`` when given."""
    if model.loss == "mse":
        diff = out - z
        if scale is not None:
            diff = diff * scale
        if weight is not None:
            diff = diff * np.sqrt(weight)[:, None]
        return float(0.5 * np.sum(diff * diff))
    with no_grad():
        if weight is not None:
            return batch_loss(model, Tensor(out), z, weight).item() * float(weight.sum())
        return batch_loss(model, Tensor(out), z).item() * len(z)


def optimizer_for(net: MLP, config: TrainConfig) -> Optimizer:
    """The optimizer ``config`` names for ``net``'s parameters (Adam, SGD or momentum SGD),
    as :func:`fit` makes it: the estimators' ``partial_fit`` and the studio use it too."""
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
    on_step: Callable[[int, int, bool], None] | None = None,
    *,
    history: History | None = None,
    sample_weight: np.ndarray | None = None,
    monitor: Monitor | None = None,
) -> History:
    """Train ``model`` in place; return its :class:`History`.

    ``batch_size`` 1 is the cheat sheet's per-sample SGD. Samples are shuffled
    each epoch by a generator seeded with ``config.seed``, unless
    ``config.shuffle`` is off: then rows are visited in file order, as the
    seed system does. With ``patience`` > 0 training stops early and the best
    epoch's weights are kept (see :class:`TrainConfig`).
    If the loss blows up (NaN, infinite, or :data:`BLOWUP` times the starting
    weights' loss) the weights of the best (or last good) epoch are restored and
    :class:`Diverged` is raised. On ``KeyboardInterrupt`` (Ctrl-C) the same weights are
    restored, ``history.interrupted`` is set and the interrupt goes on up.

    Args:
        model: from :func:`new_model` (or a loaded model, to continue).
        data: the table to learn, with its target columns.
        config: the settings.
        on_epoch: called as ``on_epoch(epoch, mean_loss)`` after every epoch, once
            ``history`` holds that epoch (its best epoch and ``waited``).
        on_step: called as ``on_step(step, epoch, last)`` after every ``backward()``,
            before the optimizer's step (steps count from 1 over the run; ``last`` is
            true on an epoch's last step). It sees each gradient as ``backward`` left
            it and the weights before the update.
        history: a :class:`History` to fill (a new one by default), so that a caller
            can watch it from ``on_epoch`` and still read it after an interrupt.
        sample_weight: one weight per row of ``data``: each batch's loss is the
            weighted mean Σ wᵢ ℓᵢ / Σ wᵢ (scikit-learn's MLPs' rule; ``mse`` and ``ce``).
        monitor: a :class:`~tinygrad_mlp.health.Monitor` on ``model.net``, fed by fit:
            the layers' outputs of each step, :meth:`~tinygrad_mlp.health.Monitor.record`
            after ``backward()`` (a row at each epoch's last step) and
            :meth:`~tinygrad_mlp.health.Monitor.after_step` at each epoch's end, before
            ``on_epoch``.

    The step is captured (:func:`tinygrad_mlp.compile`, when ``config.compile``) with
    a monitor, a hook and sample weights too: the numbers, the monitor's figures
    included, are those of ``compile=False`` to the last bit (see
    :mod:`tinygrad_mlp.training.step`).

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
    history = History() if history is None else history
    kept: dict[str, list[np.ndarray]] = {}
    try:
        with warnings.catch_warnings():
            # NOTE: a step the capture cannot replay runs eagerly with the same numbers;
            # training has nothing to tell the user about it
            warnings.simplefilter("ignore", CompileWarning)
            hooks = (on_epoch, on_step, monitor)
            return _train(model, data, config, hooks, history, kept, sample_weight)
    except KeyboardInterrupt:
        history.interrupted = True
        use_best = bool(config.patience and history.best_epoch)
        saved = kept.get("best" if use_best else "good")
        if saved is not None:
            for p, weights in zip(model.net.parameters(), saved, strict=True):
                p.data[...] = weights
        if not use_best:
            history.best_epoch = len(history.loss)
        raise


def _start_loss(model: SavedModel, x: np.ndarray, z: np.ndarray, scale) -> float:
    """The starting weights' mean loss on the training rows (the yardstick of a blow-up)."""
    if not len(x):
        return np.inf
    with no_grad(), np.errstate(over="ignore", invalid="ignore"):
        return _reported_loss(model, model.net(x).data, z, scale) / len(x)


def _train(model, data, config, hooks, history, kept, sample_weight) -> History:
    """:func:`fit`'s epochs; ``kept`` holds the best and last good weights as they go."""
    config.check()
    on_epoch, on_step, monitor = hooks
    x_all = network_inputs(model, data.inputs)
    z_all = targets_for_training(model, data)
    labels = z_all if model.loss == "ce" else None
    train_rows, val_rows = split_rows(len(x_all), config, labels)
    x, z = x_all[train_rows], z_all[train_rows]
    xv, zv = x_all[val_rows], z_all[val_rows]
    w = wv = None
    if sample_weight is not None:
        weights = _checked_weights(sample_weight, len(x_all))
        w, wv = weights[train_rows], weights[val_rows]
    net = model.net
    params = net.parameters()
    optimizer = optimizer_for(net, config)
    scheduler = _scheduler(optimizer, config)
    scale = _data_unit_scale(model)
    rng = np.random.default_rng(config.seed)
    history.train_rows, history.val_rows, history.patience = len(x), len(xv), config.patience
    kept["good"] = good = [p.data.copy() for p in params]
    kept["best"] = best = [p.data.copy() for p in params]
    best_score, waited = np.inf, 0
    steps, steps_per_epoch = 0, -(-len(x) // config.batch_size)
    limit = BLOWUP * _start_loss(model, x, z, scale)
    step = TrainStep(model, optimizer, config, monitor, watched=on_step is not None)
    before_update = None
    if step.watched:

        def before_update() -> None:
            nonlocal steps
            steps += 1
            last = steps % steps_per_epoch == 0
            if monitor is not None:
                monitor.record(steps, epoch, row=last)
            if on_step is not None:
                on_step(steps, epoch, last)

    for epoch in range(1, config.epochs + 1):
        total = 0.0
        # NOTE: overflow on the way to a NaN loss is expected; it is reported as Diverged.
        with np.errstate(over="ignore", invalid="ignore"):
            for idx in minibatches(len(x), config.batch_size, rng, shuffle=config.shuffle):
                zb = z[idx]
                loss, out = step(x[idx], zb, None if w is None else w[idx], before_update)
                if w is not None:
                    total += _reported_loss(model, out.data, zb, scale, w[idx])
                elif scale is None and model.loss == "mse":
                    total += loss.item() * len(idx)
                elif model.loss == "mse":
                    total += _reported_loss(model, out.data, zb, scale)
                else:
                    total += loss.item() * len(idx)
            val = None
            if len(xv):
                with no_grad():
                    val = _reported_loss(model, net(xv).data, zv, scale, wv)
                    val /= len(xv) if wv is None else max(float(wv.sum()), 1e-300)
        mean = total / (len(x) if w is None else max(float(w.sum()), 1e-300))
        finite = np.isfinite(mean) and (val is None or np.isfinite(val))
        finite = finite and not max(mean, val or 0.0) > limit
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
        history.waited = waited
        if monitor is not None:
            monitor.after_step()
        if on_epoch is not None:
            on_epoch(epoch, mean)
        if config.patience and waited >= config.patience:
            # NOTE: patience running out on the last allowed epoch stops nothing early.
            history.stopped_early = epoch < config.epochs
            break
    if config.patience:
        for p, saved in zip(params, best, strict=True):
            p.data[...] = saved
    else:
        history.best_epoch = len(history.loss)
    return history


def _checked_weights(sample_weight, n: int) -> np.ndarray:
    """``sample_weight`` as n finite, non-negative floats, not all 0; else ValueError."""
    w = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    if w.shape != (n,):
        raise ValueError(f"sample_weight needs one weight per row ({n}), got shape {w.shape}")
    if not np.all(np.isfinite(w)) or np.any(w < 0) or not w.sum() > 0:
        raise ValueError("sample_weight must be finite and non-negative, and not all 0")
    return w


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

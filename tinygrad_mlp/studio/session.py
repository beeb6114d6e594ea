"""One training run, stepped a batch at a time: the studio's model, data and numbers.

:class:`Session` is the headless runner. The server's worker drives one; a script
can drive another with the same data, settings and seed and get the same weights,
to the bit. A session steps exactly as :func:`~tinygrad_mlp.training.fit` trains
(the same model from :func:`~tinygrad_mlp.training.new_model`, the same split,
shuffles, batches and optimizer), so after ``E`` whole epochs its weights are those
of ``tinygrad-mlp train ... --epochs E --patience 0`` on the same CSV.

Everything the page draws is made here, as plain JSON-ready numbers: the view of
the data (a decision boundary, a fitted curve, or predicted against true), the
network's weights and a sample's activations, and the sample's numbers in the
cheat sheet's notation with the δ witness beside autodiff.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import asdict, replace
from typing import Any

import numpy as np

from tinygrad_mlp import backprop, labels
from tinygrad_mlp.autograd import no_grad
from tinygrad_mlp.data import Dataset, minibatches
from tinygrad_mlp.io import SavedModel
from tinygrad_mlp.studio import health_panel
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.training import TrainConfig, new_model
from tinygrad_mlp.training.config import MODEL_LOSSES
from tinygrad_mlp.training.fit import batch_loss, optimizer_for, split_rows
from tinygrad_mlp.training.predict import network_inputs, targets_for_training
from tinygrad_mlp.training.step import TrainStep

__all__ = ["GRID", "MAX_DRAWN_WEIGHTS", "Session", "default_config", "natural_loss"]

#: Cells per side of the decision boundary's heat map.
GRID = 40
#: A network with more weights than this is drawn without its edges' numbers.
MAX_DRAWN_WEIGHTS = 1500
#: Rows shown per layer in the sample's table, and points in a predicted-vs-true view.
MAX_ROWS, MAX_SCATTER = 16, 300


def natural_loss(data: Dataset) -> str:
    """The loss a data set asks for: ``ce`` for class names or a 3-class column, ``bce``
    for one 0/1 column, else ``mse``.

    >>> from tinygrad_mlp.studio.datasets import make_dataset
    >>> natural_loss(make_dataset("xor")), natural_loss(make_dataset("blobs"))
    ('bce', 'ce')
    >>> natural_loss(make_dataset("curve"))
    'mse'
    """
    targets = data.targets
    if targets is None:
        raise ValueError(f"{data.path}: the data needs a target column")
    if targets.dtype == object:
        return "ce"
    if targets.shape[1] == 1:
        values = set(np.unique(targets).tolist())
        if values <= {0.0, 1.0}:
            return "bce"
        if len(values) <= 10 and all(float(v).is_integer() for v in values):
            return "ce"
    return "mse"


def default_config(data: Dataset, **changes: Any) -> TrainConfig:
    """The studio's starting settings for ``data``: a 4-unit tanh layer, Adam at lr 0.03,
    batches of 10, a fifth of the rows held out, no early stopping.

    >>> from tinygrad_mlp.studio.datasets import make_dataset
    >>> config = default_config(make_dataset("xor"))
    >>> config.hidden, config.activation, config.loss, config.patience
    ([4], 'tanh', 'bce', 0)
    """
    config = TrainConfig(
        hidden=[4],
        activation="tanh",
        loss=natural_loss(data),
        epochs=1,
        lr=0.03,
        batch_size=10,
        val_split=0.2,
        patience=0,
    )
    return replace(config, **changes)


def _round(values: Any, digits: int = 4) -> Any:
    """Numbers as JSON: floats to ``digits`` significant digits, NaN and inf as None."""
    array = np.asarray(values, dtype=np.float64)
    out = np.where(np.isfinite(array), array, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        magnitude = np.where(out == 0, 0, np.floor(np.log10(np.abs(out))))
    scale = 10.0 ** (digits - 1 - magnitude)
    rounded = np.round(out * scale) / scale
    listed = rounded.tolist()
    if np.all(np.isfinite(array)):
        return listed
    return np.where(np.isfinite(array), rounded, None).tolist()


class Session:
    """A network, its data and its optimizer, stepped one batch at a time.

    Args:
        data: the table to learn (inputs and one or more target columns).
        config: the settings (:func:`default_config` if None); ``epochs``,
            ``patience``, ``scheduler`` and ``clip_grad`` are not used by stepping.
        health: keep a :mod:`tinygrad_mlp.health` monitor for the health panel.

    >>> from tinygrad_mlp.studio.datasets import make_dataset
    >>> data = make_dataset("xor", size=40)
    >>> a, b = Session(data), Session(data)
    >>> for _ in range(7):
    ...     _ = a.step(), b.step()
    >>> all((p == q).all() for p, q in zip(a.weights(), b.weights()))
    True
    >>> a.step_count, a.epoch  # 32 training rows in batches of 10: 4 steps an epoch
    (7, 1)
    """

    def __init__(
        self, data: Dataset, config: TrainConfig | None = None, health: bool = False
    ) -> None:
        self.health = health
        self.data = data
        self.config = config if config is not None else default_config(data)
        self.extent = _extent(data)
        self.reset()

    # -- building -------------------------------------------------------------------------

    def _training_data(self, data: Dataset, loss: str) -> Dataset:
        """``data`` as the loss takes it: class labels as text for ``ce``."""
        if loss == "ce" and data.targets is not None and data.targets.dtype != object:
            if data.targets.shape[1] != 1:
                raise ValueError("loss ce takes exactly one target column of class labels")
            text = np.array([[f"{v:g}"] for v in data.targets[:, 0]], dtype=object)
            return replace(data, targets=text)
        if loss != "ce" and data.targets is not None and data.targets.dtype == object:
            raise ValueError(
                f"the target column {data.target_names[0]!r} holds class names: it needs loss ce"
            )
        return data

    def _build(self, data: Dataset, config: TrainConfig) -> dict[str, Any]:
        """Everything a run needs, built aside (nothing of ``self`` changes here)."""
        config.check()
        training = self._training_data(data, config.loss)
        model = new_model(training, config)
        parts = _arrays(model, training, config)
        optimizer = optimizer_for(model.net, config)
        monitor = health_panel.monitor(model.net) if self.health else None
        # NOTE: stepping clips nothing (see the class docstring); the step is captured
        stepping = replace(config, clip_grad=None)
        return {
            "model": model,
            "optimizer": optimizer,
            "train_step": TrainStep(model, optimizer, stepping, monitor),
            "rng": np.random.default_rng(config.seed),
            "monitor": monitor,
            **parts,
        }

    def _install(self, data: Dataset, config: TrainConfig, built: dict[str, Any]) -> None:
        self.data, self.config = data, config
        self.model: SavedModel = built["model"]
        self.optimizer = built["optimizer"]
        self.train_step: TrainStep = built["train_step"]
        self.rng: np.random.Generator = built["rng"]
        self.monitor = built["monitor"]
        self._set_arrays(built)
        self.step_count, self.epoch = 0, 0
        self.last_loss = math.nan
        self.diverged: str | None = None

    def _set_arrays(self, parts: dict[str, Any]) -> None:
        self.x_all, self.z_all = parts["x_all"], parts["z_all"]
        self.train_rows, self.val_rows = parts["train_rows"], parts["val_rows"]
        self.x, self.z = self.x_all[self.train_rows], self.z_all[self.train_rows]
        self._order: list[np.ndarray] | None = None
        self._position = 0

    def reset(self) -> None:
        """Start again from the seed's weights: the same run replays, step for step."""
        self._install(self.data, self.config, self._build(self.data, self.config))

    def configure(self, config: TrainConfig) -> None:
        """New settings, and a fresh run under them (nothing changes if they fail)."""
        self._install(self.data, config, self._build(self.data, config))

    def set_data(self, data: Dataset, loss: str | None = None) -> None:
        """New data and a fresh run on it (``loss``: switch to this loss as well).

        The old data, settings and run stay if the new ones cannot train together.
        """
        config = self.config if loss is None else replace(self.config, loss=loss)
        if loss is not None and loss != "mse":
            config = replace(config, output_activation=None)
        self._install(data, config, self._build(data, config))
        self.extent = _extent(data)

    # -- data edits -----------------------------------------------------------------------

    @property
    def classes(self) -> list[str] | None:
        """The class labels a point can take (None for regression)."""
        if self.model.loss == "ce":
            return list(self.model.classes or [])
        if self.model.loss == "bce":
            return ["0", "1"]
        return None

    def _edited(self, data: Dataset) -> None:
        """Keep the weights and optimizer; learn from ``data`` from the next batch on."""
        training = self._training_data(data, self.config.loss)
        parts = _arrays(self.model, training, self.config)
        self.data = data
        self._set_arrays(parts)

    def add_point(self, inputs: list[float], target: float | int) -> None:
        """Add a row: ``target`` is a class index (classification) or a value (regression)."""
        nin = self.data.inputs.shape[1]
        if len(inputs) != nin:
            raise ValueError(f"a point needs {nin} inputs, got {len(inputs)}")
        if len(self.data) >= 5000:
            raise ValueError("the data holds 5000 points, the most the studio keeps")
        if self.data.targets is None or self.data.targets.shape[1] != 1:
            raise ValueError("points can be added to data with one target column only")
        classes = self.classes
        if classes is not None:
            if not isinstance(target, int) or not 0 <= target < len(classes):
                raise ValueError(f"class must be an index from 0 to {len(classes) - 1}")
            label: Any = classes[target]
            if self.data.targets.dtype != object:
                label = float(label)
        else:
            label = float(target)
        row = np.array([inputs], dtype=np.float64)
        target_row = np.array([[label]], dtype=self.data.targets.dtype)
        lines = None if self.data.lines is None else [*self.data.lines, self.data.lines[-1] + 1]
        self._edited(
            replace(
                self.data,
                inputs=np.vstack([self.data.inputs, row]),
                targets=np.vstack([self.data.targets, target_row]),
                lines=lines,
            )
        )

    def remove_point(self, index: int) -> None:
        """Remove row ``index`` of the data."""
        if not 0 <= index < len(self.data):
            raise ValueError(f"there is no point {index}; the data has {len(self.data)} points")
        if len(self.data) <= 2:
            raise ValueError("the data must keep at least 2 points")
        keep = np.arange(len(self.data)) != index
        lines = (
            None
            if self.data.lines is None
            else [n for n, k in zip(self.data.lines, keep, strict=True) if k]
        )
        self._edited(
            replace(
                self.data,
                inputs=self.data.inputs[keep],
                targets=self.data.targets[keep] if self.data.targets is not None else None,
                lines=lines,
            )
        )

    # -- training -------------------------------------------------------------------------

    @property
    def batches_per_epoch(self) -> int:
        """How many steps make one pass over the training rows."""
        return max(1, math.ceil(len(self.x) / self.config.batch_size))

    def step(self, record: bool = False) -> float:
        """One optimizer step on the next batch; returns the batch's loss.

        Args:
            record: also let the health monitor read this step's gradients.
        """
        if self.diverged:
            raise ValueError(f"{self.diverged}: lower the learning rate and reset")
        if self._order is None:
            # NOTE: fit draws each epoch's order from one generator seeded once; so here.
            self._order = list(
                minibatches(len(self.x), self.config.batch_size, self.rng, self.config.shuffle)
            )
            self._position = 0
        idx = self._order[self._position]
        net = self.model.net
        monitor = self.monitor if record else None
        before = None
        if monitor is not None:

            def before() -> None:
                health_panel.record(monitor, self.step_count + 1)

        with np.errstate(over="ignore", invalid="ignore"):
            loss, _ = self.train_step(self.x[idx], self.z[idx], None, before)
            if monitor is not None:
                health_panel.after_step(monitor)
        value = loss.item()
        self.step_count += 1
        self.last_loss = value
        self._position += 1
        if self._position == len(self._order):
            self._order, self.epoch = None, self.epoch + 1
        if not math.isfinite(value) or not all(np.isfinite(p.data).all() for p in net.parameters()):
            self.diverged = f"training diverged at step {self.step_count} (loss {value})"
        return value

    def _unwatched(self) -> Any:
        """A block whose forwards (a row's table, its graph) the health monitor skips."""
        return self.monitor.paused() if self.monitor is not None else contextlib.nullcontext()

    def run_epoch(self) -> float:
        """Step to the end of this epoch (a whole one if at its start); the last loss."""
        value = self.step()
        while self._order is not None and not self.diverged:
            value = self.step()
        return value

    def weights(self) -> list[np.ndarray]:
        """Copies of every parameter, in ``net.parameters()`` order (W, b per layer)."""
        return [p.data.copy() for p in self.model.net.parameters()]

    def losses(self) -> tuple[float, float | None]:
        """Mean loss over the training rows and over the held-out rows (None without)."""
        with no_grad(), np.errstate(all="ignore"):
            train = batch_loss(self.model, self.model.net(self.x), self.z).item()
            val = None
            if len(self.val_rows):
                xv, zv = self.x_all[self.val_rows], self.z_all[self.val_rows]
                val = batch_loss(self.model, self.model.net(xv), zv).item()
        return train, val

    # -- what the page draws --------------------------------------------------------------

    def _outputs(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (bce, ce) or values in data units (mse) for raw inputs ``x``."""
        with no_grad(), np.errstate(all="ignore"):
            out = self.model.net(network_inputs(self.model, x)).data
            if self.model.loss == "bce":
                return Tensor(out).sigmoid().data
            if self.model.loss == "ce":
                return Tensor(out).softmax(axis=1).data
        scaler = self.model.output_scaler
        return scaler.inverse_transform(out) if scaler is not None else out

    def view(self) -> dict[str, Any]:
        """The data view: a boundary heat map (2 inputs), a curve (1 input, regression),
        or predicted against true with a confusion matrix (anything else)."""
        nin = self.data.inputs.shape[1]
        loss = self.model.loss
        if nin == 2:
            (x0, x1), (y0, y1) = self.extent
            xs = np.linspace(x0, x1, GRID)
            ys = np.linspace(y1, y0, GRID)  # NOTE: the first row is the top of the picture
            gx, gy = np.meshgrid(xs, ys)
            out = self._outputs(np.column_stack([gx.ravel(), gy.ravel()]))
            view: dict[str, Any] = {"kind": "boundary", "size": GRID}
            if loss == "ce":
                view["cls"] = out.argmax(axis=1).tolist()
                view["values"] = _round(out.max(axis=1), 2)
            elif loss == "bce":
                view["values"] = _round(out[:, 0], 2)
            else:
                column = out[:, 0]
                low, high = float(column.min()), float(column.max())
                view["values"] = _round((column - low) / ((high - low) or 1.0), 2)
                view["range"] = [low, high]
            return view
        if nin == 1 and loss == "mse":
            (x0, x1), _ = self.extent
            xs = np.linspace(x0, x1, 100)
            return {
                "kind": "curve",
                "x": _round(xs),
                "y": _round(self._outputs(xs[:, None])[:, 0]),
            }
        rows = np.arange(min(len(self.data), MAX_SCATTER))
        if loss == "mse":
            predicted = self._outputs(self.data.inputs[rows])[:, 0]
            true = self.data.targets[rows, 0].astype(float)
            return {"kind": "scatter", "true": _round(true), "predicted": _round(predicted)}
        probabilities = self._outputs(self.data.inputs)
        if loss == "bce":
            predicted = (probabilities[:, 0] >= 0.5).astype(int)
        else:
            predicted = probabilities.argmax(axis=1)
        truth = self.z_all.astype(int).reshape(len(predicted), -1)[:, 0]
        k = len(self.classes or [])
        matrix = np.zeros((k, k), dtype=int)
        np.add.at(matrix, (truth, predicted), 1)
        return {"kind": "confusion", "matrix": matrix.tolist()}

    def points(self) -> dict[str, Any]:
        """The data as the page plots it: rows of inputs with a class index or target."""
        nin = self.data.inputs.shape[1]
        classes = self.classes
        held = np.zeros(len(self.data), dtype=bool)
        held[self.val_rows] = True
        out: dict[str, Any] = {
            "count": len(self.data),
            "inputs": list(self.data.input_names),
            "targets": list(self.data.target_names),
            "classes": classes,
            "extent": [list(pair) for pair in self.extent],
            "name": self.data.path,
        }
        if nin > 2 or self.data.targets is None:
            return out
        if classes is not None:
            if self.model.loss == "ce":
                label = self.z_all.astype(int).reshape(-1)
            else:
                label = self.data.targets[:, 0].astype(int)
            rows = np.column_stack([self.data.inputs, label]) if nin == 2 else None
        else:
            rows = np.column_stack([self.data.inputs[:, 0], self.data.targets[:, 0]])
            if nin != 1:
                rows = None
        if rows is not None:
            out["rows"] = _round(rows, 5)
            out["held"] = held.astype(int).tolist()
        return out

    def network(self, sample: int) -> dict[str, Any]:
        """The diagram's numbers: sizes, activations, each weight (if few enough) and
        each neuron's activation for data row ``sample``."""
        net = self.model.net
        x = self.x_all[sample : sample + 1]
        _, a = backprop.forward(
            [la.weight.data for la in net.layers],
            [la.bias.data for la in net.layers],
            net.activations,
            x,
        )
        count = sum(la.weight.data.size for la in net.layers)
        return {
            "sizes": net.sizes,
            "activations": net.activations,
            "weights": (
                [_round(la.weight.data, 3) for la in net.layers]
                if count <= MAX_DRAWN_WEIGHTS
                else None
            ),
            "values": [_round(layer[0], 3) for layer in a],
        }

    def sample(self, sample: int) -> dict[str, Any]:
        """Data row ``sample`` in the sheet's notation: per neuron s, a, and δ from the
        hand-derived formulas (:mod:`tinygrad_mlp.backprop`) beside autodiff's ∂L/∂b."""
        net = self.model.net
        x, z = self.x_all[sample : sample + 1], self.z_all[sample : sample + 1]
        weights = [la.weight.data for la in net.layers]
        biases = [la.bias.data for la in net.layers]
        witness = backprop.gradients(
            weights, biases, net.activations, x, z, MODEL_LOSSES[self.model.loss]
        )
        net.zero_grad()
        with np.errstate(all="ignore"), self._unwatched():
            loss = batch_loss(self.model, net(x), z)
            loss.backward()
        autodiff = [np.asarray(la.bias.grad).reshape(-1).copy() for la in net.layers]
        net.zero_grad()
        layers = len(net.layers)
        rows = []
        for l in range(layers):  # noqa: E741 -- the sheet's layer index
            for j in range(min(net.sizes[l + 1], MAX_ROWS)):
                rows.append(
                    [
                        labels.node("s", l, layers, j),
                        labels.node("a", l, layers, j),
                        labels.delta(l, layers, j),
                        *_round(
                            [
                                witness.s[l][0, j],
                                witness.a[l + 1][0, j],
                                witness.delta[l][0, j],
                                autodiff[l][j],
                            ],
                            6,
                        ),
                    ]
                )
        agree = max(
            float(np.max(np.abs(w.reshape(-1) - g)))
            for w, g in zip(witness.grad_b, autodiff, strict=True)
        )
        return {
            "index": sample,
            "x": _round(self.data.inputs[sample]),
            "target": _text(self.data.targets[sample, 0]) if self.data.targets is not None else "",
            "loss": _round(witness.loss, 6),
            "rows": rows,
            "largest_difference": agree,
        }

    def graph(self, sample: int) -> Any:
        """The computation graph of row ``sample``'s loss on the scalar engine, with
        each value's data and gradient (a ``graphviz.Digraph``)."""
        from tinygrad_mlp.crosscheck.roads import scalar_loss
        from tinygrad_mlp.viz import draw_graph

        net = self.model.net
        x, z = self.x_all[sample], self.z_all[sample : sample + 1]
        with self._unwatched():
            out = net([float(v) for v in x])
        loss = scalar_loss(out, z[0], MODEL_LOSSES[self.model.loss], 1)
        loss.label = "L"
        loss.backward()
        graph = draw_graph(loss, max_nodes=150, title=f"the loss of data row {sample}", network=net)
        net.zero_grad()
        return graph

    def settings(self) -> dict[str, Any]:
        """The settings as JSON (library words)."""
        return asdict(self.config)


def _text(value: Any) -> str:
    """A target cell as the page shows it: numbers short (``1``, not ``1.0``)."""
    return value if isinstance(value, str) else f"{float(value):g}"


def _arrays(model: SavedModel, data: Dataset, config: TrainConfig) -> dict[str, Any]:
    """The network's inputs and targets, and the split, as :func:`fit` makes them."""
    x_all = network_inputs(model, data.inputs)
    z_all = targets_for_training(model, data)
    labels_ = z_all if model.loss == "ce" else None
    train_rows, val_rows = split_rows(len(x_all), config, labels_)
    return {"x_all": x_all, "z_all": z_all, "train_rows": train_rows, "val_rows": val_rows}


def _extent(data: Dataset) -> list[tuple[float, float]]:
    """The plotted range of the first two columns (inputs, or input and target)."""
    columns = data.inputs
    if columns.shape[1] == 1 and data.targets is not None and data.targets.dtype != object:
        columns = np.column_stack([columns[:, 0], data.targets[:, 0].astype(float)])
    out = []
    for k in range(min(2, columns.shape[1])):
        low, high = float(columns[:, k].min()), float(columns[:, k].max())
        pad = max(0.1 * (high - low), 0.1)
        out.append((round(low - pad, 6), round(high + pad, 6)))
    while len(out) < 2:
        out.append((0.0, 1.0))
    return out

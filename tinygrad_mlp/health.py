"""Why isn't it learning? A network's health over training, layer by layer.

:class:`Monitor` watches a network as any training loop runs it: call
``monitor.record(step)`` once per step, after ``loss.backward()`` and before
``optimizer.step()``. Every ``every`` steps it files one row of figures per layer:

- ``grad_norm``: ‖∂L/∂W‖, the Frobenius norm of the weight matrix's gradient at that step;
- ``update_ratio``: log10(‖ΔW‖ / ‖W‖), the size of that step's update of the weights
  relative to the weights (about -3 is the usual guide: updates of a thousandth). The
  update is only visible after ``optimizer.step()``, so the row's value arrives at the
  next ``record`` (or at :meth:`Monitor.after_step`); until then it is None;
- ``saturated``: for tanh and sigmoid layers, the share of activations (units ×
  samples) in the flat tails, |a| > 0.97 for tanh, a < 0.03 or a > 0.97 for sigmoid,
  where the slope is under 6 % of its peak and gradients barely pass;
- ``dead``: for relu layers, the share of units that were 0 on every sample since the
  previous row (with ``every`` = steps per epoch: on every sample of the epoch);
- ``mean`` and ``std`` of the layer's activations over those samples.

Activations are read by forward hooks on the layers
(:meth:`tinygrad_mlp.nn.Module.register_forward_hook`); forwards under ``no_grad()``
(validation, prediction) are not counted. A captured step (:func:`tinygrad_mlp.compile`)
runs no hook when it is replayed: inside :meth:`Monitor.collecting` the hooks hand the
layers' outputs to a list instead, the step returns them (a replay returns the same
numbers from its buffers), and :meth:`Monitor.observe` counts them, so the figures are
eager's to the last bit. :attr:`Monitor.history` holds the figures as
plain lists of floats (None where a figure does not apply or is not finite), ready for
``json.dumps``; :attr:`Monitor.findings` the plain sentences written when a figure
crosses a threshold of :data:`THRESHOLDS` for :data:`PERSIST` rows in a row; and
:meth:`Monitor.plot` draws it all (matplotlib, the ``plot`` extra).

The module is long because the figures, the thresholds that turn them into sentences
and the plot read one history and change together.
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.autograd import is_grad_enabled
from tinygrad_mlp.crosscheck import GradientReport, cross_check
from tinygrad_mlp.files import atomic_write_bytes
from tinygrad_mlp.nn import Linear, Module, Sequential
from tinygrad_mlp.nn.activation import _Activation
from tinygrad_mlp.nn.linear import Layer
from tinygrad_mlp.nn.mlp import MLP

__all__ = ["PERSIST", "SATURATION", "THRESHOLDS", "Monitor", "RoadsDisagree", "check_roads"]

#: Where an activation counts as saturated: |a| > 0.97 for tanh; a < 0.03 or a > 0.97
#: for sigmoid (both: the slope is under 6 % of its largest value).
SATURATION = {"tanh": 0.97, "sigmoid": 0.97}

#: The lines a figure must cross for a finding (shares are fractions; ratios log10).
THRESHOLDS = {
    "saturated": 0.25,  # a quarter of a tanh/sigmoid layer's activations in the tails
    "dead": 0.25,  # a quarter of a relu layer's units 0 on every sample
    "update_high": -1.0,  # updates above a tenth of the weights per step
    "update_low": -5.0,  # updates below 1e-5 of the weights per step
}

#: The update-to-weight ratio (log10) a healthy layer has, give or take an order.
GUIDE = -3.0

#: Samples a layer's window gathers before summing them in one go (numpy's calls cost
#: more than its passes on small batches); a batch of a quarter of this is summed on
#: arrival, uncopied.
BULK_ROWS = 512

#: Rows in a row a figure must stay past its threshold before it becomes a finding.
PERSIST = 3

_FIGURES = ("grad_norm", "weight_norm", "update_ratio", "saturated", "dead", "mean", "std")


def _layers_of(net: Any) -> list[tuple[str, Any, Module]]:
    """(activation, weight tensor, module whose output is the layer's activations)."""
    if isinstance(net, MLP):
        return [(layer.activation, layer.weight, layer) for layer in net.layers]
    if isinstance(net, Layer):
        return [(net.activation, net.weight, net)]
    if isinstance(net, Sequential):
        found: list[tuple[str, Any, Module]] = []
        pending: Linear | None = None
        for module in net:
            if isinstance(module, Layer):
                if pending is not None:
                    found.append(("linear", pending.weight, pending))
                found.append((module.activation, module.weight, module))
                pending = None
            elif isinstance(module, Linear):
                if pending is not None:
                    found.append(("linear", pending.weight, pending))
                pending = module
            elif isinstance(module, _Activation) and pending is not None:
                found.append((module.activation, pending.weight, module))
                pending = None
        if pending is not None:
            found.append(("linear", pending.weight, pending))
        if found:
            return found
    raise TypeError(
        f"Monitor watches an MLP or a Sequential of Linear layers and activations, "
        f"not {type(net).__name__}"
    )


def _numbers(out: Any) -> np.ndarray:
    """A layer's output as a 2-D array (samples × units), from either engine."""
    a = getattr(out, "data", None)
    if type(a) is not np.ndarray:  # the scalar engine: a vector of Values, one sample
        a = np.array([getattr(v, "data", v) for v in np.asarray(out, dtype=object).ravel()])
    if a.ndim == 2 and a.dtype.kind == "f":
        return a
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(1, -1) if a.ndim < 2 else a.reshape(-1, a.shape[-1])


def _float(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


class _Window:
    """One layer's activations since the last row: held briefly, then summed in bulk.

    NOTE: a small batch's output is only held; the sums run over :data:`BULK_ROWS`
    samples at once (and at a row), so small batches cost a few numpy calls per
    hundreds of samples instead of per batch.
    """

    def __init__(self, activation: str) -> None:
        self.activation = activation
        self.clear()

    def clear(self) -> None:
        self.parts: list[np.ndarray] = []
        self.held = 0  # samples in parts
        self.count = 0  # activations summed (samples × units)
        self.total = 0.0
        self.squares = 0.0
        self.saturated = 0
        self.alive: np.ndarray | None = None  # relu: units non-zero on some sample

    def add(self, a: np.ndarray) -> None:
        if a.shape[0] >= BULK_ROWS // 4:  # NOTE: a big batch is summed at once, never copied
            self._sum(a)
            return
        self.parts.append(a)
        self.held += a.shape[0]
        if self.held >= BULK_ROWS:
            self._flush()

    def _flush(self) -> None:
        if not self.parts:
            return
        a = self.parts[0] if len(self.parts) == 1 else np.concatenate(self.parts)
        self.parts, self.held = [], 0
        self._sum(a)

    def _sum(self, a: np.ndarray) -> None:
        if a.dtype != np.float64:  # NOTE: sums of float32 activations lose digits
            a = a.astype(np.float64)
        flat = a.ravel()
        self.count += flat.size
        # NOTE: column sums and the sum of squares as BLAS products: one fast pass each
        columns = np.ones(a.shape[0]) @ a
        self.total += float(columns.sum())
        self.squares += float(np.dot(flat, flat))
        name = self.activation
        if name == "tanh":
            self.saturated += int(np.count_nonzero(np.abs(flat) > SATURATION["tanh"]))
        elif name == "sigmoid":
            high = SATURATION["sigmoid"]
            self.saturated += int(np.count_nonzero(np.abs(flat - 0.5) > high - 0.5))
        elif name == "relu":
            alive = columns > 0  # NOTE: relu's outputs are >= 0: a unit is alive iff its sum is
            self.alive = alive if self.alive is None else self.alive | alive

    def figures(self) -> dict[str, float | None]:
        self._flush()
        if not self.count:
            return {"saturated": None, "dead": None, "mean": None, "std": None}
        mean = self.total / self.count
        var = max(self.squares / self.count - mean * mean, 0.0)
        saturated = self.saturated / self.count if self.activation in SATURATION else None
        dead = None if self.alive is None else float(1.0 - self.alive.mean())
        return {"saturated": saturated, "dead": dead, "mean": mean, "std": math.sqrt(var)}


class Monitor:
    """Per-layer health of a network over training: figures by step, findings in words.

    Args:
        net: an ``MLP`` or a ``Sequential`` of ``Linear`` layers and activations.
        every: file a row every this many steps (a step ``s`` with ``s % every == 0``);
            with the number of steps per epoch, a row is an epoch and "dead" means
            zero on every sample of the epoch.

    Call :meth:`record` after ``backward()`` and before ``optimizer.step()`` on every
    step; :meth:`close` removes the forward hooks.

    >>> import numpy as np
    >>> from tinygrad_mlp.nn import MLP
    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.losses import mse_mean
    >>> net = MLP(1, [4, 1], activation="tanh", output_activation="linear", seed=0)
    >>> monitor, optimizer = Monitor(net), SGD(net.parameters(), lr=0.1)
    >>> x = np.linspace(-1, 1, 20)[:, None]
    >>> for step in range(1, 6):
    ...     optimizer.zero_grad()
    ...     mse_mean(net(x), x**2).backward()
    ...     monitor.record(step)
    ...     optimizer.step()
    >>> monitor.history["step"], len(monitor.history["layers"])
    ([1, 2, 3, 4, 5], 2)
    >>> monitor.findings
    []
    """

    def __init__(self, net: Any, every: int = 1) -> None:
        if not isinstance(every, int) or every < 1:
            raise ValueError(f"every must be a positive whole number of steps, got {every!r}")
        self.net, self.every = net, every
        self._layers = _layers_of(net)
        self._paused = 0
        self._collected: list[tuple[int, Any]] | None = None
        self._windows = [_Window(activation) for activation, _, _ in self._layers]
        self._handles = [
            module.register_forward_hook(self._hook(k))
            for k, (_, _, module) in enumerate(self._layers)
        ]
        #: Per-layer figures by step, plain lists (JSON-ready; None: not applicable or
        #: not finite, or an update ratio not known yet).
        self.history: dict[str, Any] = {
            "step": [],
            "epoch": [],
            "guide": GUIDE,
            "thresholds": dict(THRESHOLDS),
            "layers": [
                {
                    "name": f"layer {k + 1}",
                    "activation": activation,
                    "units": int(weight.shape[0]),
                    **{figure: [] for figure in _FIGURES},
                }
                for k, (activation, weight, _) in enumerate(self._layers)
            ],
        }
        #: The findings so far, one plain sentence each, in the order they were made
        #: (also ``history["findings"]``, the same list).
        self.findings: list[str] = []
        self.history["findings"] = self.findings
        self._pending: tuple[int, int, list[np.ndarray]] | None = None  # step, row, weights
        self._streaks: dict[tuple[str, int], int] = {}  # (rule, layer) -> its first row
        self._told: set[tuple[str, int]] = set()

    # -- watching ----------------------------------------------------------------------

    def _hook(self, k: int):
        window = self._windows[k]

        def hook(module: Module, args: tuple, out: Any) -> None:
            # NOTE: validation and prediction run under no_grad
            if is_grad_enabled() and not self._paused:
                if self._collected is not None:
                    self._collected.append((k, out))
                else:
                    window.add(_numbers(out))

        return hook

    @contextlib.contextmanager
    def collecting(self) -> Iterator[list[tuple[int, Any]]]:
        """The block's training forwards go to the list it yields, as ``(layer, output)``
        pairs, instead of being counted; :meth:`observe` counts them.

        For a captured step: the step collects and returns the pairs, a replay returns
        the same outputs from its buffers (its hooks do not run), and the training loop
        observes what came back, replayed or not.

        >>> import numpy as np
        >>> from tinygrad_mlp.nn import MLP
        >>> net = MLP(2, [3, 1], seed=0)
        >>> monitor = Monitor(net)
        >>> with monitor.collecting() as outputs:
        ...     _ = net(np.ones((4, 2)))
        >>> [(k, out.shape) for k, out in outputs]
        [(0, (4, 3)), (1, (4, 1))]
        >>> monitor.observe(outputs)
        """
        outer, self._collected = self._collected, []
        try:
            yield self._collected
        finally:
            self._collected = outer

    def observe(self, outputs: Sequence[tuple[int, Any]]) -> None:
        """Count ``(layer, output)`` pairs from :meth:`collecting` as training forwards
        (the hooks would have counted them so, in this order)."""
        windows = self._windows
        for k, out in outputs:
            windows[k].add(_numbers(out))

    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Forwards inside the block are not counted (a check run between steps)."""
        self._paused += 1
        try:
            yield
        finally:
            self._paused -= 1

    @property
    def handles(self) -> tuple[Any, ...]:
        """The handles of the monitor's forward hooks (none once closed)."""
        return tuple(self._handles)

    def close(self) -> None:
        """Remove the forward hooks (the figures so far stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles = []

    # -- recording ---------------------------------------------------------------------

    def record(self, step: int, epoch: int | None = None, row: bool | None = None) -> None:
        """Call after ``backward()``, before ``optimizer.step()``, every step.

        Completes the previous row's update ratio (if that row was the previous step)
        and, when ``step % every == 0``, files a row: gradient norms now, activation
        figures of every training forward since the last row, and a copy of the weights
        to measure this step's update against.

        Args:
            step: the step's number (steps counted from 1 file their first row at
                ``every``).
            epoch: the epoch, if known: findings then say "since epoch 3".
            row: file a row on this step (True) or not (False) whatever ``every`` says
                (a loop that knows where its epochs end passes ``row=last``).
        """
        if self._pending is not None:
            if step == self._pending[0] + 1:
                self.after_step()
            else:
                self._pending = None  # NOTE: more than one update since: not one step's ratio
        if not (row if row is not None else step % self.every == 0):
            return
        history = self.history
        row = len(history["step"])
        history["step"].append(int(step))
        history["epoch"].append(None if epoch is None else int(epoch))
        weights, finite = [], []
        for layer, window, (_, weight, _) in zip(
            history["layers"], self._windows, self._layers, strict=True
        ):
            g = weight.grad
            g = None if g is None else np.asarray(getattr(g, "data", g), dtype=np.float64)
            w = np.array(weight.data, dtype=np.float64)
            weights.append(w)
            with np.errstate(over="ignore", invalid="ignore"):
                grad_norm = None if g is None else float(np.linalg.norm(g))
                weight_norm = float(np.linalg.norm(w))
                figures = window.figures()
            layer["grad_norm"].append(None if grad_norm is None else _float(grad_norm))
            layer["weight_norm"].append(_float(weight_norm))
            layer["update_ratio"].append(None)
            for name, value in figures.items():
                layer[name].append(None if value is None else _float(value))
            finite.append(
                (grad_norm is None or math.isfinite(grad_norm))
                and math.isfinite(weight_norm)
                and all(v is None or math.isfinite(v) for v in figures.values())
            )
            window.clear()
        self._pending = (int(step), row, weights)
        self._judge(row, finite=finite)

    def after_step(self) -> None:
        """Measure the update ``optimizer.step()`` just made against the copy of the last row.

        :meth:`record` calls it when steps follow one another; call it yourself after
        ``optimizer.step()`` if you call :meth:`record` only on the steps you file.
        """
        if self._pending is None:
            return
        _, row, before = self._pending
        self._pending = None
        for layer, w0, (_, weight, _) in zip(
            self.history["layers"], before, self._layers, strict=True
        ):
            delta = np.linalg.norm(np.asarray(weight.data, dtype=np.float64) - w0)
            scale = np.linalg.norm(w0)
            ratio = None
            if scale > 0 and np.isfinite(delta) and delta > 0:
                ratio = float(np.log10(delta / scale))
            layer["update_ratio"][row] = ratio
        self._judge(row, updates=True)

    # -- findings ----------------------------------------------------------------------

    def _when(self, row: int) -> str:
        epoch = self.history["epoch"][row]
        return f"epoch {epoch}" if epoch is not None else f"step {self.history['step'][row]}"

    def _judge(self, row: int, updates: bool = False, finite: Sequence[bool] = ()) -> None:
        """Check the rules on a row (its update ratios when ``updates``)."""
        for k, layer in enumerate(self.history["layers"]):
            name, act = layer["name"], layer["activation"]
            if updates:
                ratio = layer["update_ratio"][row]
                guide = f"(guide: about 10^{GUIDE:.0f})"
                self._rule(
                    ("update_high", k),
                    row,
                    ratio is not None and ratio > THRESHOLDS["update_high"],
                    lambda since, r=ratio, n=name, g=guide: (
                        f"{n}: each step changes the "
                        f"weights by 10^{r:.1f} of their size since {since} {g}: lower the "
                        "learning rate"
                    ),
                )
                self._rule(
                    ("update_low", k),
                    row,
                    ratio is not None and ratio < THRESHOLDS["update_low"],
                    lambda since, r=ratio, n=name, g=guide: (
                        f"{n}: each step changes the "
                        f"weights by only 10^{r:.1f} of their size since {since} {g}: raise the "
                        "learning rate"
                    ),
                )
                continue
            self._rule(
                ("finite", k),
                row,
                not finite[k],
                lambda since, n=name: (
                    f"{n}: the weights, their gradient or the activations "
                    f"are not finite since {since}: lower the learning rate, or run a step inside "
                    "tinygrad_mlp.detect_anomaly() to find the op that made the first NaN"
                ),
                persist=1,
            )
            share = layer["saturated"][row]
            self._rule(
                ("saturated", k),
                row,
                share is not None and share > THRESHOLDS["saturated"],
                lambda since, s=share, n=name, a=act: (
                    f"{n}: {100 * s:.0f} % of {a} units "
                    f"saturated since {since}: scale the inputs, lower the initial weights or "
                    "the learning rate"
                ),
            )
            share = layer["dead"][row]
            self._rule(
                ("dead", k),
                row,
                share is not None and share > THRESHOLDS["dead"],
                lambda since, s=share, n=name: (
                    f"{n}: {100 * s:.0f} % of relu units dead (0 "
                    f"on every sample) since {since}: start the biases at 0, lower the learning "
                    "rate or use leaky_relu"
                ),
            )

    def _rule(
        self, key: tuple[str, int], row: int, crossed: bool, sentence, persist: int = PERSIST
    ) -> None:
        """One finding per streak of ``persist`` rows past a threshold."""
        if not crossed:
            self._streaks.pop(key, None)
            self._told.discard(key)
            return
        first = self._streaks.setdefault(key, row)
        if key not in self._told and row - first + 1 >= persist:
            self._told.add(key)
            self.findings.append(sentence(self._when(first)))

    # -- reading -----------------------------------------------------------------------

    def latest(self) -> list[dict[str, Any]]:
        """Each layer's figures of the last row (update ratio: the last one known)."""
        rows = []
        for layer in self.history["layers"]:
            known = [r for r in layer["update_ratio"] if r is not None]
            figures = {f: (layer[f][-1] if layer[f] else None) for f in _FIGURES}
            figures["update_ratio"] = known[-1] if known else None
            rows.append({"name": layer["name"], "activation": layer["activation"], **figures})
        return rows

    def summary(self) -> str:
        """A table of each layer's latest figures, then the findings (or that there are none).

        >>> from tinygrad_mlp.nn import MLP
        >>> print(Monitor(MLP(2, [1], seed=0)).summary().splitlines()[0])
        layer  activation  |grad W|  log10 update/W  saturated  dead  mean ± std
        """
        head = "layer  activation  |grad W|  log10 update/W  saturated  dead  mean ± std"
        lines = [head]
        for k, row in enumerate(self.latest()):
            lines.append(
                f"{k + 1:>5}  {row['activation']:<10}  {_text(row['grad_norm'], '.3g'):>7}  "
                f"{_text(row['update_ratio'], '.2f'):>14}  {_share(row['saturated']):>9}  "
                f"{_share(row['dead']):>4}  {_text(row['mean'], '.3g')} ± "
                f"{_text(row['std'], '.3g')}"
            )
        if self.findings:
            lines += ["findings:", *(f"  {sentence}" for sentence in self.findings)]
        else:
            lines.append("findings: none (every figure inside its thresholds)")
        return "\n".join(lines)

    # -- the picture ---------------------------------------------------------------------

    def plot(self, path: str | Path | None = None, title: str | None = None) -> Any:
        """Four panels over training, one line per layer: gradient norm, update ratio
        (with the 10^-3 guide and the thresholds), saturated and dead shares, and the
        activations' mean ± std. Written to ``path`` (its suffix picks the format) if
        given; returns the matplotlib ``Figure``. Needs the ``plot`` extra."""
        try:
            from matplotlib.backends.backend_agg import FigureCanvasAgg
            from matplotlib.figure import Figure
        except ImportError:
            raise ValueError(
                "Monitor.plot needs matplotlib: pip install 'tinygrad-mlp[plot]'"
            ) from None
        history = self.history
        epochs = history["epoch"]
        by_epoch = bool(epochs) and all(e is not None for e in epochs)
        x = np.array(epochs if by_epoch else history["step"], dtype=float)
        fig = Figure(figsize=(9, 7), dpi=110)
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, 2, sharex=True)
        (ax_grad, ax_ratio), (ax_share, ax_act) = axes
        colours = [f"C{k}" for k in range(len(history["layers"]))]
        for layer, colour in zip(history["layers"], colours, strict=True):
            label = f"{layer['name']} ({layer['activation']})"
            ax_grad.plot(x, _series(layer["grad_norm"]), color=colour, label=label)
            ax_ratio.plot(x, _series(layer["update_ratio"]), color=colour, label=label)
            if any(v is not None for v in layer["saturated"]):
                ax_share.plot(
                    x,
                    100 * _series(layer["saturated"]),
                    color=colour,
                    label=f"{layer['name']} saturated",
                )
            if any(v is not None for v in layer["dead"]):
                ax_share.plot(
                    x,
                    100 * _series(layer["dead"]),
                    color=colour,
                    ls="--",
                    label=f"{layer['name']} dead",
                )
            mean, std = _series(layer["mean"]), _series(layer["std"])
            ax_act.plot(x, mean, color=colour, label=label)
            ax_act.fill_between(x, mean - std, mean + std, color=colour, alpha=0.15)
        ax_grad.set_title("gradient norm |∂L/∂W|")
        if any(v is not None and v > 0 for layer in history["layers"] for v in layer["grad_norm"]):
            ax_grad.set_yscale("log")
        ax_ratio.set_title("update / weight per step (log10)")
        ax_ratio.axhline(GUIDE, color="green", lw=1, ls=":", label="guide 10^-3")
        ratios = [v for layer in history["layers"] for v in layer["update_ratio"] if v is not None]
        low = min([THRESHOLDS["update_low"], *ratios]) - 0.5
        high = max([THRESHOLDS["update_high"], *ratios]) + 0.5
        ax_ratio.axhspan(THRESHOLDS["update_high"], high, color="red", alpha=0.08)
        ax_ratio.axhspan(low, THRESHOLDS["update_low"], color="red", alpha=0.08)
        ax_ratio.set_ylim(low, high)
        ax_share.set_title("saturated (—) and dead (--) units, %")
        ax_share.axhline(100 * THRESHOLDS["saturated"], color="red", lw=0.8, ls=":")
        ax_share.set_ylim(-3, 103)
        ax_act.set_title("activations: mean ± std")
        spread = [abs(v) for layer in history["layers"] for v in layer["mean"] if v is not None]
        if spread and max(spread) > 1e3:  # NOTE: a diverging run: keep the healthy start visible
            ax_act.set_yscale("symlog")
        for ax in axes.ravel():
            ax.grid(alpha=0.3)
        for ax in axes[1]:
            ax.set_xlabel("epoch" if by_epoch else "step")
        handles, labels = ax_ratio.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8)
        heading = title or (
            "findings: " + "; ".join(self.findings) if self.findings else "no findings"
        )
        fig.suptitle(_wrap(heading, 110), fontsize=9)
        fig.tight_layout(rect=(0, 0.07, 1, 0.95))
        if path is not None:
            buffer = io.BytesIO()
            fig.savefig(buffer, format=Path(path).suffix.lstrip(".").lower() or "png")
            atomic_write_bytes(path, buffer.getvalue())
        return fig


class RoadsDisagree(ArithmeticError):
    """The three roads gave different gradients during training: ``report`` says where."""

    def __init__(self, report: GradientReport, epoch: int | None = None) -> None:
        when = f"at epoch {epoch}" if epoch is not None else "now"
        super().__init__(
            f"the gradient roads disagree {when} (largest difference {report.max_abs:.3g}): "
            "an op's rule or the loss changed under training\n" + report.table()
        )
        self.report, self.epoch = report, epoch


def check_roads(
    net: Any, x: Any, z: Any, loss: str, epoch: int | None = None, monitor: Monitor | None = None
) -> GradientReport:
    """The three-road cross-check on one sample, raising :class:`RoadsDisagree` if it fails.

    Args:
        net: the network being trained (its ``.grad`` is reset by the check).
        x, z: one sample (inputs and targets) in the network's units.
        loss: the loss the network trains with (a name of :mod:`tinygrad_mlp.names`).
        epoch: named in the error.
        monitor: a :class:`Monitor` on ``net`` not to count the check's forward passes.

    Returns:
        The passing :class:`~tinygrad_mlp.crosscheck.GradientReport`.
    """
    with monitor.paused() if monitor is not None else contextlib.nullcontext():
        report = cross_check(net, x, z, loss)
    if not report.passed:
        raise RoadsDisagree(report, epoch)
    return report


def _series(values: Sequence[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _text(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def _share(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f} %"


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return "\n".join([*lines, line][:4])

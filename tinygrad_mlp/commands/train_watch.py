"""What ``train --health``, ``--health-plot`` and ``--check-every`` hang on fit,
and the checks of the picture paths, made before any data is read."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands.common import stderr
from tinygrad_mlp.files import check_writable
from tinygrad_mlp.health import Monitor, check_roads
from tinygrad_mlp.training import MODEL_LOSSES, TrainConfig, network_inputs, targets_for_training

__all__ = ["Watch", "check_health_flags", "check_plot_path"]


def check_plot_path(path: str) -> None:
    """Raise ValueError unless a loss curve can be written to ``path``."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install 'tinygrad-mlp[plot]'") from None
    target = check_writable(path, "--plot")
    suffix = target.suffix.lstrip(".").lower()
    kinds = FigureCanvasAgg(Figure()).get_supported_filetypes()
    if suffix not in kinds:
        raise ValueError(
            f"--plot {path}: cannot write a {suffix or 'file without an extension'!r} image; "
            f"use one of .{', .'.join(sorted(kinds))}"
        )


def check_health_flags(args: argparse.Namespace) -> None:
    """--check-every and --health-plot, refused before any data is read."""
    every = getattr(args, "check_every", None)
    if every is not None and every < 1:
        raise ValueError(f"--check-every must be at least 1 epoch, got {every}")
    plot = getattr(args, "health_plot", None)
    if plot:
        try:
            check_plot_path(plot)
        except ValueError as error:
            raise ValueError(str(error).replace("--plot", "--health-plot")) from None


class Watch:
    """What --health, --health-plot and --check-every hang on fit (its monitor, on_epoch)."""

    def __init__(self, args, model, data, config: TrainConfig, progress, quiet: bool) -> None:
        self.args, self.model, self.progress, self.quiet = args, model, progress, quiet
        self.health = bool(getattr(args, "health", False))
        self.plot = getattr(args, "health_plot", None)
        self.check_every = getattr(args, "check_every", None)
        self.monitor = Monitor(model.net) if self.health or self.plot else None
        self.every = max(1, config.epochs // 10)  # print health this often
        self.told = 0
        self.sample = None
        if self.check_every:
            # NOTE: the first row, in the network's units, as training feeds it
            x = network_inputs(model, data.inputs[:1])
            z = targets_for_training(model, data)[:1]
            self.sample = (x, z, MODEL_LOSSES[model.loss])

    def on_epoch(self, epoch: int, loss: float) -> None:
        """After each epoch (fit has fed the monitor): the progress bar, health lines and
        the roads' check."""
        self.progress.update(epoch, loss)
        monitor = self.monitor
        if monitor is not None and self.health and not self.quiet and epoch % self.every == 0:
            self._print(epoch)
        if self.sample is not None and epoch % self.check_every == 0:
            x, z, loss_name = self.sample
            check_roads(self.model.net, x, z, loss_name, epoch, monitor)

    def _print(self, epoch: int) -> None:
        figures = []
        for k, row in enumerate(self.monitor.latest()):
            ratio = row["update_ratio"]
            text = (
                f"L{k + 1} |g| {row['grad_norm']:.3g}"
                if row["grad_norm"] is not None
                else (f"L{k + 1} |g| -")
            )
            text += f" upd 10^{ratio:.1f}" if ratio is not None else " upd -"
            for name in ("saturated", "dead"):
                if row[name] is not None:
                    text += f" {name} {100 * row[name]:.0f}%"
            figures.append(text)
        stderr(f"epoch {epoch} health: " + "; ".join(figures))
        for sentence in self.monitor.findings[self.told :]:
            stderr(f"  finding: {sentence}")
        self.told = len(self.monitor.findings)

    def finish(self, summary: dict) -> None:
        """Close the hooks; add the figures to the summary; write the plot."""
        if self.monitor is None:
            return
        self.monitor.close()
        summary["health"] = self.monitor.history
        if self.plot:
            self.monitor.plot(self.plot)
            summary["health_plot"] = str(self.plot)

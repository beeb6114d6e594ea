"""``tinygrad-mlp train``: fit a network to a CSV file and save it as one JSON model."""

from __future__ import annotations

import argparse
import io
import sys
import time
import warnings
from pathlib import Path
from typing import Any

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import (
    HelpFormatter,
    add_json_flag,
    announce_reading,
    emit_json,
    stderr,
)
from tinygrad_mlp.commands.train_watch import Watch, check_health_flags, check_plot_path
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.health import RoadsDisagree
from tinygrad_mlp.io import check_writable, load_model, save_model
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.training import (
    EARLY_STOPPING,
    LOSSES,
    NORMALIZE,
    OPTIMIZERS,
    PRESETS,
    SCHEDULERS,
    ConfigError,
    Diverged,
    History,
    TrainConfig,
    check_task,
    config_fields,
    fit,
    loss_units,
    new_model,
    warm_start,
)

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

DEFAULTS = TrainConfig()
CONFIG_KEYS = config_fields() | {"data", "outputs", "target", "model", "init", "plot", "quiet"}


def hidden_sizes(text: str) -> list[int]:
    """'3' or '4,4,4' → [3] or [4, 4, 4]."""
    try:
        sizes = [int(part) for part in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes sizes like 3 or 4,4,4, not {text!r}"
        ) from None
    return sizes


def _default(name: str) -> str:
    value = getattr(DEFAULTS, name)
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return f"(default: {value})"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``train`` with its flags; ``--help`` shows every default."""
    p = subparsers.add_parser(
        "train",
        help=summary("train"),
        formatter_class=HelpFormatter,
        description="Train an MLP on a CSV file (header row; inputs, then targets) and save "
        "it, with its column scalers (standardized by default), as one JSON model file. By "
        "default: minibatches of 200 rows, Adam, a tenth of the rows held out for validation "
        "(if that is at least 10 rows), early stopping that keeps the best epoch's weights, "
        "and a linear output for regression. --preset seed "
        "is the cheat sheet's setting instead (sigmoid everywhere, per-sample SGD, min-max "
        "[0, 1]). Options may also come from a TOML file (--config); flags win.",
    )
    # NOTE: defaults are None here and filled in by `settings`, so that a preset and
    # a TOML config can supply what the command line leaves out; the help shows them.
    p.add_argument("--data", help="training CSV file (required)")
    p.add_argument("--model", help="where to save the model JSON (required)")
    p.add_argument("--config", type=Path, help="TOML file with any of these options")
    p.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        help="starting settings: default, or seed = the cheat sheet's (hidden 3, sigmoid "
        "everywhere, per-sample SGD with lr 0.1, min-max [0, 1], no validation split, 1000 "
        "epochs, rows in file order) (default: default)",
    )
    targets = p.add_mutually_exclusive_group()
    targets.add_argument("--outputs", type=int, help="the last N columns are targets (default: 1)")
    targets.add_argument("--target", action="append", help="a target column by name (repeatable)")
    p.add_argument(
        "--hidden",
        type=hidden_sizes,
        action="append",
        help=f"hidden layer sizes: --hidden 3, --hidden 16,8 {_default('hidden')}",
    )
    p.add_argument(
        "--activation", choices=ACTIVATIONS, help=f"hidden layers {_default('activation')}"
    )
    p.add_argument(
        "--output-activation",
        choices=ACTIVATIONS,
        help="output layer (default: linear for mse, so predictions are not capped at the "
        "training range; sigmoid for bce, folded into the loss; logits for ce)",
    )
    p.add_argument(
        "--loss",
        choices=LOSSES,
        help=f"mse: numbers; bce: 0/1 columns; ce: a column of class labels {_default('loss')}",
    )
    p.add_argument("--epochs", type=int, help=f"most passes over the data {_default('epochs')}")
    p.add_argument("--lr", type=float, help=f"learning rate {_default('lr')}")
    p.add_argument(
        "--batch-size", type=int, help=f"rows per step; 1 = per-sample SGD {_default('batch_size')}"
    )
    p.add_argument("--optimizer", choices=OPTIMIZERS, help=_default("optimizer"))
    p.add_argument(
        "--momentum", type=float, help=f"for --optimizer momentum {_default('momentum')}"
    )
    p.add_argument("--weight-decay", type=float, help=f"L2 penalty {_default('weight_decay')}")
    p.add_argument("--normalize", choices=NORMALIZE, help=_default("normalize"))
    p.add_argument(
        "--val-split",
        type=float,
        help="share of rows held out to watch for overfitting; 0 = none; a share under 10 "
        f"rows holds none out {_default('val_split')}",
    )
    p.add_argument(
        "--patience",
        type=int,
        help="stop after this many epochs without a better validation loss (the training "
        "loss when no rows are held out) and keep the best "
        "epoch's weights; 0 = run every epoch (default: "
        f"{EARLY_STOPPING['mse'][0]} for mse, {EARLY_STOPPING['ce'][0]} for bce and ce)",
    )
    p.add_argument(
        "--scheduler",
        choices=SCHEDULERS,
        help="learning-rate schedule: step (x gamma every --step-size epochs), exponential "
        f"(x gamma every epoch), cosine (down to 0 at --epochs) {_default('scheduler')}",
    )
    p.add_argument("--step-size", type=int, help=f"for --scheduler step {_default('step_size')}")
    p.add_argument("--gamma", type=float, help=f"for step and exponential {_default('gamma')}")
    p.add_argument(
        "--clip-grad", type=float, help="clip the gradients' joint norm to this (default: off)"
    )
    p.add_argument("--seed", type=int, help=f"initial weights, split, shuffling {_default('seed')}")
    p.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_const",
        const=False,
        help="visit rows in file order, as the seed system does",
    )
    p.add_argument(
        "--init",
        help="continue from this model file: its layers, activations, loss and scalers",
    )
    p.add_argument("--plot", help="save the loss curve to this image (.png, .svg, .pdf)")
    p.add_argument("--quiet", action="store_const", const=True, help="no progress output")
    # -- health (tinygrad_mlp.health) --
    p.add_argument(
        "--health",
        action="store_true",
        help="watch each layer's gradient norm, update-to-weight ratio, saturated and dead "
        "units: print findings every few epochs and a summary at the end",
    )
    p.add_argument("--health-plot", metavar="FILE", help="save the health figures to this image")
    p.add_argument(
        "--check-every",
        type=int,
        metavar="N",
        help="every N epochs, cross-check the gradient's three roads on one sample; stop "
        "with the report if they disagree",
    )
    add_json_flag(p, "the summary")
    p.set_defaults(run=run)


def settings(args: argparse.Namespace) -> tuple[dict[str, Any], dict[str, Any]]:
    """(all settings, the ones the user named): command line over TOML over the preset."""
    preset_name = args.preset or "default"
    given: dict[str, Any] = dict(PRESETS[preset_name])
    if args.config is not None:
        if not args.config.is_file():
            raise ValueError(f"{args.config}: no such file")
        try:
            config = tomllib.loads(args.config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{args.config}: not valid TOML ({error})") from None
        for key, value in config.items():
            name = key.replace("-", "_")
            if name == "preset":
                if value not in PRESETS:
                    raise ValueError(f"{args.config}: unknown preset {value!r}")
                if args.preset is None:  # the command line's --preset wins
                    preset_name = str(value)
                    given = {**PRESETS[preset_name], **given}
                continue
            if name not in CONFIG_KEYS:
                raise ValueError(f"{args.config}: unknown option {key!r}")
            given[name] = value
    for key in CONFIG_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            given[key] = value
    if (
        isinstance(given.get("hidden"), list)
        and given["hidden"]
        and isinstance(given["hidden"][0], list)
    ):
        given["hidden"] = given["hidden"][-1]  # the last --hidden flag wins
    if isinstance(given.get("hidden"), (int, str)):
        given["hidden"] = hidden_sizes(str(given["hidden"]))
    preset = PRESETS[preset_name]
    if given.get("loss") == "ce" and given.get("output_activation") == preset.get(
        "output_activation"
    ):
        # NOTE: a preset's output activation is for regression; ce's output is logits.
        given.pop("output_activation", None)
    if isinstance(given.get("target"), str):
        given["target"] = [given["target"]]
    for required in ("data", "model"):
        if not given.get(required):
            raise ValueError(f"--{required} is required (on the command line or in --config)")
    return given, {k: v for k, v in given.items() if k in config_fields()}


def flag(field_name: str) -> str:
    """The flag of a :class:`TrainConfig` field: ``batch_size`` → ``--batch-size``."""
    return "--" + field_name.replace("_", "-")


def run(args: argparse.Namespace) -> int:
    """Check every flag and path, train, then save the model; exit status 0.

    A setting out of range is reported with its flag (``--lr``), not the
    library's field name (``lr``).
    """
    try:
        return _train(args)
    except ConfigError as error:
        raise ValueError(error.worded(flag)) from None


def _train(args: argparse.Namespace) -> int:
    options, named = settings(args)
    # NOTE: every flag is checked here, before the data are read and long before
    # training ends: a typo in --model or --plot must not cost a training run.
    config = TrainConfig(**named)
    config.check()
    model_path = check_writable(options["model"], "--model")
    if Path(options["data"]).resolve() == model_path.resolve():
        raise ValueError(f"--model {model_path} would overwrite the training data")
    if options.get("plot"):
        check_plot_path(options["plot"])
    check_health_flags(args)
    start = None
    if options.get("init"):
        start = load_model(options["init"])
        config = warm_start(start, named, str(options["init"]))
        config.check()
    quiet = bool(options.get("quiet")) or args.json or not sys.stderr.isatty()
    announce_reading(options["data"], bool(options.get("quiet")))
    data = load_csv(
        options["data"],
        outputs=options.get("outputs", 1),
        targets=options.get("target"),
        numeric_targets=config.loss != "ce",
    )
    if start is None:
        check_task(data, config.loss, loss_named="loss" in named)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = new_model(data, config)
    for warning in caught:
        stderr(f"warning: {options['data']}: {warning.message}")
    if start is not None:
        model = _continue(start, model, str(options["init"]))
    history = History()
    progress = Progress(config.epochs, quiet, history)
    started = time.perf_counter()
    status = 0
    # NOTE: --health was asked for: its lines print off a terminal too (not with --quiet)
    watch = Watch(args, model, data, config, progress, bool(options.get("quiet")) or args.json)
    try:
        # NOTE: fit feeds the monitor from the captured step (tinygrad_mlp.compile)
        fit(model, data, config, on_epoch=watch.on_epoch, history=history, monitor=watch.monitor)
    except RoadsDisagree as error:
        progress.close()
        stderr(f"tinygrad-mlp train: error: {error}\nthe model was not saved")
        return 1
    except Diverged as error:
        progress.close()
        stderr(
            f"tinygrad-mlp train: error: training diverged at epoch {error.epoch} (loss "
            f"{error.loss:.3g}): lower --lr (now {config.lr:g}); nothing was written to "
            f"{model_path}"
        )
        return 1
    except KeyboardInterrupt:
        progress.close()
        return _interrupted(model, history, model_path)
    progress.close()
    save_model(model_path, model)
    seconds = time.perf_counter() - started
    best = history.best_epoch
    summary = {
        "model": str(model_path),
        "network": "-".join(map(str, model.net.sizes)),
        "activations": model.net.activations,
        "output": model.settings.get("output_activation"),
        "optimizer": config.optimizer,
        "epochs": len(history.loss),
        "best_epoch": best,
        "stopped_early": history.stopped_early,
        "train_rows": history.train_rows,
        "val_rows": history.val_rows,
        "final_loss": history.loss[best - 1] if best else None,
        "val_loss": history.val_loss[best - 1] if best and history.val_loss else None,
        "loss_units": loss_units(config.loss),
        "seconds": seconds,
        "parameters": sum(p.data.size for p in model.net.parameters()),
        "loss_history": history.loss,
        "val_loss_history": history.val_loss,
    }
    if options.get("plot") and history.loss:
        _plot(history, options["plot"], config.loss)
        summary["plot"] = str(options["plot"])
    watch.finish(summary)
    if args.json:
        emit_json(summary)
    elif status == 0:
        _print_summary(summary, config)
    if watch.monitor is not None and watch.health and not args.json:
        print(f"health at the last epoch:\n{watch.monitor.summary()}")
    return status


def _interrupted(model, history: History, model_path: Path) -> int:
    """Ctrl-C: save the kept epoch (the best so far) atomically, say so; exit status 130."""
    if not history.loss:
        stderr(
            f"tinygrad-mlp train: interrupted before the first epoch ended; {model_path} "
            "was not written"
        )
        return 130
    save_model(model_path, model)
    stderr(
        f"tinygrad-mlp train: interrupted after {len(history.loss)} epochs; saved epoch "
        f"{history.best_epoch} (the best so far) to {model_path}"
    )
    return 130


def _continue(start, fresh, source: str):
    """The start model, checked against the data; its scalers kept, not refitted."""
    if start.net.sizes != fresh.net.sizes:
        raise ValueError(
            f"{source}: a {'-'.join(map(str, start.net.sizes))} network cannot start a "
            f"{'-'.join(map(str, fresh.net.sizes))} one"
        )
    if start.loss == "ce" and start.classes != fresh.classes:
        raise ValueError(
            f"{source}: the model knows the classes {', '.join(start.classes or [])}, "
            f"the data has {', '.join(fresh.classes or [])}"
        )
    placeholder = [f"i{k}" for k in range(start.net.nin)]
    if start.input_names not in (placeholder, fresh.input_names):
        raise ValueError(
            f"{source}: the model reads the columns {', '.join(start.input_names)}, the data "
            f"has {', '.join(fresh.input_names)}"
        )
    start.input_names, start.target_names = fresh.input_names, fresh.target_names
    start.settings = {**fresh.settings, "init": source}
    return start


def _print_summary(summary: dict, config: TrainConfig) -> None:
    stop = (
        f"stopped early, best epoch {summary['best_epoch']}"
        if summary["stopped_early"]
        else f"best epoch {summary['best_epoch']}"
        if config.patience
        else "every epoch"
    )
    print(
        f"trained {summary['network']} ({summary['parameters']} parameters, "
        f"{config.optimizer}) for {summary['epochs']} epochs ({stop}) in "
        f"{summary['seconds']:.2f} s"
    )
    losses = f"training loss {summary['final_loss']:.6g}"
    if summary["val_loss"] is not None:
        losses += f", validation loss {summary['val_loss']:.6g} ({summary['val_rows']} rows)"
    elif config.val_split > 0 and config.patience:
        losses += (
            f" (--val-split {config.val_split} of {summary['train_rows']} rows is under 10 "
            "rows, too few to validate on: early stopping watched the training loss)"
        )
    print(f"  {losses}")
    print(f"  loss: {config.loss}, {summary['loss_units']}")
    output = summary["output"]
    if config.loss == "mse" and output in ("linear", "relu"):
        print(f"  output layer: {output}; predictions are not capped at the training range")
    elif config.loss == "mse":
        print(
            f"  output layer: {output}; predictions stay inside the training targets' range "
            "(--output-activation linear lifts the cap)"
        )
    print(f"  saved to {summary['model']}")


class Progress:
    """A tqdm bar on a terminal (plain lines without tqdm); nothing when quiet.

    With early stopping the bar's end is the epoch where training stops unless the
    loss improves (best epoch + patience, at most ``epochs``), so the ETA is that of
    the run early stopping expects, and the postfix shows the best epoch and the
    patience left, as ``history`` (filled by :func:`~tinygrad_mlp.training.fit`) says.
    """

    def __init__(self, epochs: int, quiet: bool, history: History | None = None) -> None:
        self.epochs, self.quiet, self.bar = epochs, quiet, None
        self.history = history if history is not None else History()
        if quiet:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=epochs, unit="epoch", file=sys.stderr, leave=False)

    def status(self, epoch: int, loss: float) -> dict[str, str]:
        """The postfix: loss, and with early stopping the best epoch and patience left."""
        shown = {"loss": f"{loss:.6g}"}
        history = self.history
        if history.patience and history.best_epoch:
            shown["best"] = f"epoch {history.best_epoch}"
            shown["patience"] = f"{history.patience - history.waited}/{history.patience}"
        return shown

    def expected_end(self, epoch: int) -> int:
        """The epoch training stops at unless the loss improves (``epochs`` without patience)."""
        history = self.history
        if not history.patience:
            return self.epochs
        return min(self.epochs, epoch + history.patience - history.waited)

    def update(self, epoch: int, loss: float) -> None:
        """Show the epoch and its loss (a bar on a terminal, nothing otherwise)."""
        if self.quiet:
            return
        shown = self.status(epoch, loss)
        if self.bar is not None:
            self.bar.total = self.expected_end(epoch)
            self.bar.update(1)
            self.bar.set_postfix(shown, refresh=False)
        elif epoch == self.epochs or epoch % max(1, self.epochs // 10) == 0:
            stderr(
                f"epoch {epoch}/{self.epochs}  " + "  ".join(f"{k} {v}" for k, v in shown.items())
            )

    def close(self) -> None:
        """End the progress display."""
        if self.bar is not None:
            self.bar.close()


def _plot(history, path: str, loss: str) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from tinygrad_mlp.io import atomic_write_bytes

    fig = Figure(figsize=(6, 3.5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    epochs = range(1, len(history.loss) + 1)
    ax.plot(epochs, history.loss, label="training")
    if history.val_loss:
        ax.plot(epochs, history.val_loss, label="validation")
        ax.axvline(history.best_epoch, color="grey", lw=0.8, ls=":", label="best epoch")
        ax.legend()
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{loss} loss ({loss_units(loss).split(',')[0]})")
    values = history.loss + history.val_loss
    ax.set_yscale("log" if min(values) > 0 else "linear")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format=Path(path).suffix.lstrip(".").lower())
    atomic_write_bytes(path, buffer.getvalue())


# --------------------------------------------------------------------------- health

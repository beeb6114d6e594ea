"""``tinygrad-mlp train``: fit a network to a CSV file and save it as one JSON model."""

from __future__ import annotations

import argparse
import io
import sys
import time
import warnings
from dataclasses import fields
from pathlib import Path
from typing import Any

from tinygrad_mlp.commands.common import emit_json, stderr
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.io import load_model, save_model
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.training import Diverged, TrainConfig, fit, new_model

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

CONFIG_KEYS = {f.name for f in fields(TrainConfig)} | {
    "data",
    "outputs",
    "target",
    "model",
    "init",
    "plot",
    "quiet",
}


def hidden_sizes(text: str) -> list[int]:
    """'3' or '4,4,4' → [3] or [4, 4, 4]."""
    try:
        sizes = [int(part) for part in str(text).split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--hidden takes sizes like 3 or 4,4,4, not {text!r}"
        ) from None
    return sizes


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "train",
        help="train a network on a CSV file and save the model",
        description="Train an MLP on a CSV file (header row; inputs, then targets) and save "
        "it, with its min-max scalers, as one JSON model file. Options may also come from a "
        "TOML file (--config); flags on the command line win.",
    )
    # NOTE: defaults are None here and filled in by `settings`, so that a TOML
    # config can supply what the command line leaves out.
    p.add_argument("--data", help="training CSV file")
    p.add_argument("--model", help="where to save the model JSON")
    p.add_argument("--config", type=Path, help="TOML file with any of these options")
    targets = p.add_mutually_exclusive_group()
    targets.add_argument("--outputs", type=int, help="the last N columns are targets (default 1)")
    targets.add_argument("--target", action="append", help="a target column by name (repeatable)")
    p.add_argument(
        "--hidden",
        type=hidden_sizes,
        action="append",
        help="hidden layer sizes: --hidden 3, --hidden 4,4,4 (default 3)",
    )
    p.add_argument("--activation", choices=ACTIVATIONS)
    p.add_argument("--output-activation", choices=ACTIVATIONS)
    p.add_argument("--loss", choices=["mse", "bce", "ce"])
    p.add_argument("--epochs", type=int, help="passes over the data (default 1000)")
    p.add_argument("--lr", type=float, help="learning rate (default 0.1)")
    p.add_argument("--batch-size", type=int, help="samples per step; 1 = per-sample SGD (default)")
    p.add_argument("--optimizer", choices=["sgd", "momentum", "adam"])
    p.add_argument("--momentum", type=float, help="momentum for --optimizer momentum (0.9)")
    p.add_argument("--normalize", choices=["zero-to-one", "minus-one-to-one", "none"])
    p.add_argument("--seed", type=int, help="seed for the initial weights and shuffling (0)")
    p.add_argument(
        "--no-shuffle",
        dest="shuffle",
        action="store_const",
        const=False,
        help="visit rows in file order, as the seed system does",
    )
    p.add_argument("--init", help="start from the weights of this model file")
    p.add_argument("--plot", help="save the loss curve to this image (needs matplotlib)")
    p.add_argument("--quiet", action="store_const", const=True, help="no progress output")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(run=run)


def settings(args: argparse.Namespace) -> dict[str, Any]:
    """Command-line values over TOML values over built-in defaults."""
    merged: dict[str, Any] = {}
    if args.config is not None:
        if not args.config.is_file():
            raise ValueError(f"{args.config}: no such file")
        try:
            config = tomllib.loads(args.config.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"{args.config}: not valid TOML ({error})") from None
        for key, value in config.items():
            name = key.replace("-", "_")
            if name not in CONFIG_KEYS:
                raise ValueError(f"{args.config}: unknown option {key!r}")
            merged[name] = value
    for key in CONFIG_KEYS:
        value = getattr(args, key, None)
        if value is not None:
            merged[key] = value
    if (
        isinstance(merged.get("hidden"), list)
        and merged["hidden"]
        and isinstance(merged["hidden"][0], list)
    ):
        merged["hidden"] = merged["hidden"][-1]  # the last --hidden flag wins
    if isinstance(merged.get("hidden"), (int, str)):
        merged["hidden"] = hidden_sizes(str(merged["hidden"]))
    if isinstance(merged.get("target"), str):
        merged["target"] = [merged["target"]]
    for required in ("data", "model"):
        if not merged.get(required):
            raise ValueError(f"--{required} is required (on the command line or in --config)")
    return merged


def run(args: argparse.Namespace) -> int:
    options = settings(args)
    config = TrainConfig(
        **{k: v for k, v in options.items() if k in TrainConfig.__dataclass_fields__}
    )
    config.check()
    if options.get("plot"):
        _need_matplotlib()
    data = load_csv(
        options["data"],
        outputs=options.get("outputs", 1),
        targets=options.get("target"),
        numeric_targets=config.loss != "ce",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = new_model(data, config)
    for warning in caught:
        stderr(f"warning: {options['data']}: {warning.message}")
    if options.get("init"):
        start = load_model(options["init"])
        if start.net.sizes != model.net.sizes:
            raise ValueError(
                f"{options['init']}: a {'-'.join(map(str, start.net.sizes))} network cannot start "
                f"a {'-'.join(map(str, model.net.sizes))} one"
            )
        model.net.set_weights(
            [layer.weight.data for layer in start.net.layers],
            [layer.bias.data for layer in start.net.layers],
        )
    quiet = bool(options.get("quiet")) or args.json or not sys.stderr.isatty()
    progress = Progress(config.epochs, quiet)
    started = time.perf_counter()
    status = 0
    try:
        history = fit(model, data, config, on_epoch=progress.update)
    except Diverged as error:
        history, status = error.history, 1
        progress.close()
        save_model(options["model"], model)
        stderr(f"tinygrad-mlp train: error: {error}; saved to {options['model']}")
    else:
        progress.close()
        save_model(options["model"], model)
    seconds = time.perf_counter() - started
    parameters = sum(p.data.size for p in model.net.parameters())
    summary = {
        "model": str(options["model"]),
        "network": "-".join(map(str, model.net.sizes)),
        "epochs": len(history),
        "final_loss": history[-1] if history else None,
        "seconds": seconds,
        "parameters": parameters,
        "loss_history": history,
    }
    if options.get("plot") and history:
        _plot(history, options["plot"], config.loss)
        summary["plot"] = str(options["plot"])
    if args.json:
        emit_json(summary)
    elif status == 0:
        print(
            f"trained {summary['network']} ({parameters} parameters) for {len(history)} epochs "
            f"in {seconds:.2f} s; final loss {history[-1]:.6g}; saved to {options['model']}"
        )
    return status


class Progress:
    """A tqdm bar on a terminal (plain lines without tqdm); nothing when quiet."""

    def __init__(self, epochs: int, quiet: bool) -> None:
        self.epochs, self.quiet, self.bar = epochs, quiet, None
        if quiet:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self.bar = tqdm(total=epochs, unit="epoch", file=sys.stderr, leave=False)

    def update(self, epoch: int, loss: float) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{loss:.6g}", refresh=False)
        elif epoch == self.epochs or epoch % max(1, self.epochs // 10) == 0:
            stderr(f"epoch {epoch}/{self.epochs}  loss {loss:.6g}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def _need_matplotlib() -> None:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise ValueError("--plot needs matplotlib: pip install 'tinygrad-mlp[plot]'") from None


def _plot(history: list[float], path: str, loss: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tinygrad_mlp.io import atomic_write_bytes

    fig, ax = plt.subplots(figsize=(6, 3.5), dpi=120)
    ax.plot(range(1, len(history) + 1), history)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"mean {loss} loss per sample")
    ax.set_yscale("log" if min(history) > 0 else "linear")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    suffix = Path(path).suffix.lstrip(".") or "png"
    buffer = io.BytesIO()
    fig.savefig(buffer, format=suffix)
    plt.close(fig)
    atomic_write_bytes(path, buffer.getvalue())

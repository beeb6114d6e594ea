"""``tinygrad-mlp import-seed`` / ``export-seed``: the seed system's weights and min-max files."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import HelpFormatter, emit_json
from tinygrad_mlp.io import (
    check_writable,
    load_model,
    model_from_seed_files,
    save_model,
    write_seed_minmax,
    write_seed_weights,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``import-seed`` and ``export-seed`` for the seed system's JSON files."""
    p = subparsers.add_parser(
        "import-seed",
        formatter_class=HelpFormatter,
        help=summary("import-seed"),
        description="Read a network trained by the cheat sheet author's Go package (its "
        "weights JSON and min-max JSON) and save it as a tinygrad-mlp model.",
    )
    p.add_argument("--weights", required=True, help="hiddenWeights/hiddenBias/outputWeights JSON")
    p.add_argument("--minmax", required=True, help="minInput/maxInput/minOutput/maxOutput JSON")
    p.add_argument(
        "--activation", choices=["sigmoid", "tanh"], default="sigmoid", help="every layer's"
    )
    p.add_argument(
        "--normalize",
        choices=["zero-to-one", "minus-one-to-one"],
        default="zero-to-one",
        help="the range the package scaled inputs and outputs to",
    )
    p.add_argument("--model", required=True, help="model JSON to write")
    p.add_argument("--json", action="store_true", help="print a summary as JSON")
    p.set_defaults(run=run_import)

    p = subparsers.add_parser(
        "export-seed",
        formatter_class=HelpFormatter,
        help=summary("export-seed"),
        description="Write a model as the Go package's weights JSON and min-max JSON. The "
        "network must use one activation (sigmoid or tanh) in every layer and scale both its "
        "inputs and its outputs, as that package does.",
    )
    p.add_argument("--model", required=True, help="model JSON")
    p.add_argument("--weights", required=True, help="weights JSON to write")
    p.add_argument("--minmax", required=True, help="min-max JSON to write")
    p.add_argument("--json", action="store_true", help="print a summary as JSON")
    p.set_defaults(run=run_export)


def run_import(args: argparse.Namespace) -> int:
    """Read the seed system's weights and min-max files into one model file."""
    check_writable(args.model, "--model")
    model = model_from_seed_files(args.weights, args.minmax, args.activation, args.normalize)
    save_model(args.model, model)
    summary = {"model": args.model, "network": "-".join(map(str, model.net.sizes))}
    if args.json:
        emit_json(summary)
    else:
        print(f"imported a {summary['network']} {args.activation} network into {args.model}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    """Write a model as the seed system's weights and min-max files, atomically."""
    check_writable(args.weights, "--weights")
    check_writable(args.minmax, "--minmax")
    model = load_model(args.model)
    activations = set(model.net.activations)
    if model.loss != "mse" or len(activations) != 1 or not activations <= {"sigmoid", "tanh"}:
        raise ValueError(
            f"{args.model}: the seed system runs mse networks with one activation, sigmoid or "
            f"tanh, in every layer; this one has {model.loss} and {model.net.activations}"
        )
    if model.input_scaler is None or model.output_scaler is None:
        raise ValueError(f"{args.model}: the seed system needs both input and output scalers")
    if model.input_scaler.feature_range != model.output_scaler.feature_range:
        raise ValueError(
            f"{args.model}: the seed system scales inputs and outputs to one range; this model "
            f"scales inputs to {list(model.input_scaler.feature_range)} and outputs to "
            f"{list(model.output_scaler.feature_range)} (--preset seed trains one it can run)"
        )
    write_seed_weights(args.weights, model.net)
    write_seed_minmax(args.minmax, model.input_scaler, model.output_scaler)
    summary = {"weights": args.weights, "minmax": args.minmax}
    if args.json:
        emit_json(summary)
    else:
        print(f"wrote {args.weights} and {args.minmax}")
    return 0

"""``tinygrad-mlp test``: a saved model's loss and metrics on a CSV file with targets."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands.common import emit_json
from tinygrad_mlp.io import load_model
from tinygrad_mlp.training import evaluate, load_data_for


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "test",
        help="report a saved model's loss and metrics on a CSV file",
        description="Run a saved model on a CSV file that holds its input and target columns "
        "(found by name) and report the loss in data units, with RMSE and MAE for regression "
        "or accuracy and a confusion matrix for classification.",
    )
    p.add_argument("--model", required=True, help="model JSON written by train or import-seed")
    p.add_argument("--data", required=True, help="CSV file with the model's columns")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    data = load_data_for(model, args.data)
    result = evaluate(model, data)
    if args.json:
        emit_json(result)
        return 0
    print(f"{args.model} on {args.data}: {result['samples']} samples")
    if model.loss == "mse":
        print(f"  loss (1/2 sum (y - z)^2 per sample, data units): {result['loss']:.6g}")
        for name in model.target_names:
            print(f"  {name}: RMSE {result['rmse'][name]:.6g}  MAE {result['mae'][name]:.6g}")
    else:
        print(f"  loss ({model.loss}): {result['loss']:.6g}")
        print(f"  accuracy: {result['accuracy']:.4f}")
    if "confusion" in result:
        classes = result["classes"]
        width = max(len(c) for c in [*classes, "true"]) + 2
        print("  confusion matrix (rows: true class, columns: predicted)")
        print("  " + "true".ljust(width) + "".join(c.rjust(width) for c in classes))
        for name, row in zip(classes, result["confusion"], strict=True):
            print("  " + name.ljust(width) + "".join(str(v).rjust(width) for v in row))
    return 0

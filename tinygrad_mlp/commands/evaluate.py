"""``tinygrad-mlp test``: a saved model's loss and metrics on a CSV file with targets."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import HelpFormatter, add_json_flag, emit_json
from tinygrad_mlp.io import load_model
from tinygrad_mlp.training import evaluate, load_data_for


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``test``: a saved model's loss (and for classes, accuracy) on a CSV."""
    p = subparsers.add_parser(
        "test",
        help=summary("test"),
        formatter_class=HelpFormatter,
        description="Run a saved model on a CSV file that holds its input and target columns "
        "(found by name) and report the loss on the same scale train reports it (data units "
        "for mse), with RMSE and MAE for regression or accuracy and a confusion matrix for "
        "classification.",
    )
    p.add_argument("--model", required=True, help="model JSON written by train or import-seed")
    p.add_argument("--data", required=True, help="CSV file with the model's columns")
    add_json_flag(p)
    p.set_defaults(run=run)


def confusion_lines(classes: list[str], matrix: list[list[int]]) -> list[str]:
    """A confusion matrix as aligned text lines (rows: true class, columns: predicted)."""
    width = max(len(c) for c in [*classes, "true"]) + 2
    lines = ["  " + "true".ljust(width) + "".join(c.rjust(width) for c in classes)]
    for name, row in zip(classes, matrix, strict=True):
        lines.append("  " + name.ljust(width) + "".join(str(v).rjust(width) for v in row))
    return lines


def run(args: argparse.Namespace) -> int:
    """Report the model's loss in data units and metrics; bad input raises ValueError."""
    model = load_model(args.model)
    data = load_data_for(model, args.data)
    result = evaluate(model, data)
    if args.json:
        emit_json(result)
        return 0
    print(f"{args.model} on {args.data}: {result['samples']} samples")
    print(f"  loss ({model.loss}: {result['loss_units']}): {result['loss']:.6g}")
    if model.loss == "mse":
        for name in model.target_names:
            print(f"  {name}: RMSE {result['rmse'][name]:.6g}  MAE {result['mae'][name]:.6g}")
        return 0
    print(f"  accuracy: {result['accuracy']:.4f}")
    confusion = result["confusion"]
    matrices = confusion if isinstance(confusion, dict) else {model.target_names[0]: confusion}
    for name, matrix in matrices.items():
        print(f"  confusion matrix of {name} (rows: true class, columns: predicted)")
        for line in confusion_lines(result["classes"], matrix):
            print(line)
    return 0

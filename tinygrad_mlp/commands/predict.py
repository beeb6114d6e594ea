"""``tinygrad-mlp predict``: a saved model's outputs, in data units, for a CSV of inputs."""

from __future__ import annotations

import argparse
import sys

from tinygrad_mlp.commands.common import csv_text, emit_json
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.io import atomic_write_text, load_model
from tinygrad_mlp.training import predict


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "predict",
        help="predict outputs for a CSV file of inputs",
        description="Run a saved model on the input columns of a CSV file (found by name; other "
        "columns are ignored) and write the inputs with the predicted outputs, in data units.",
    )
    p.add_argument("--model", required=True, help="model JSON written by train or import-seed")
    p.add_argument("--data", required=True, help="CSV file with the model's input columns")
    p.add_argument("--output", help="CSV file to write (default: print to stdout)")
    p.add_argument("--json", action="store_true", help="print the predictions as JSON")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    data = load_csv(args.data, outputs=0, inputs=model.input_names)
    outputs = predict(model, data.inputs)
    names = [f"{n}_probability" if model.loss == "bce" else n for n in model.target_names]
    rows = [[*x, *y] for x, y in zip(data.inputs.tolist(), outputs.tolist(), strict=True)]
    text = csv_text([*model.input_names, *names], rows)
    if args.output:
        atomic_write_text(args.output, text)
    if args.json:
        emit_json({"columns": [*model.input_names, *names], "rows": rows})
    elif not args.output:
        sys.stdout.write(text)
    else:
        print(f"{len(rows)} predictions written to {args.output}")
    return 0

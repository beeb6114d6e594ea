"""``tinygrad-mlp predict``: a saved model's outputs, in data units, for a CSV of inputs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import (
    HelpFormatter,
    add_json_flag,
    announce_reading,
    csv_text,
    emit_json,
)
from tinygrad_mlp.data import load_csv, read_table
from tinygrad_mlp.io import SavedModel, atomic_write_text, check_writable, load_model
from tinygrad_mlp.training import predict, predict_proba


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``predict``: outputs in data units (``--proba``: class probabilities)."""
    p = subparsers.add_parser(
        "predict",
        help=summary("predict"),
        formatter_class=HelpFormatter,
        description="Run a saved model on the input columns of a CSV file (found by name) and "
        "write every column of the file followed by the predictions, in data units: "
        "predicted_<target> holds the value, the class, or 0/1; with --proba, "
        "probability_<class> (ce) or probability_<target> (bce) holds the probabilities.",
    )
    p.add_argument("--model", required=True, help="model JSON written by train or import-seed")
    p.add_argument("--data", required=True, help="CSV file with the model's input columns")
    p.add_argument("--output", help="CSV file to write (default: print to stdout)")
    p.add_argument(
        "--proba", action="store_true", help="add class probabilities (bce and ce models)"
    )
    add_json_flag(p, "the table")
    p.set_defaults(run=run)


def _fresh(name: str, taken: set[str]) -> str:
    """``name``, or ``name_2``, ``name_3``... if the file already has such a column."""
    candidate, k = name, 1
    while candidate in taken:
        k += 1
        candidate = f"{name}_{k}"
    taken.add(candidate)
    return candidate


def prediction_columns(model: SavedModel, inputs: np.ndarray, proba: bool, taken: set[str]):
    """(names, columns) of the predictions: one list of values per new column."""
    if proba and model.loss == "mse":
        raise ValueError("--proba needs a classifier (a model trained with --loss bce or ce)")
    names, columns = [], []
    if model.loss == "ce":
        names.append(_fresh(f"predicted_{model.target_names[0]}", taken))
        columns.append(predict(model, inputs)[:, 0].tolist())
        if proba:
            probs = predict_proba(model, inputs)
            for k, label in enumerate(model.classes or []):
                names.append(_fresh(f"probability_{label}", taken))
                columns.append(probs[:, k].tolist())
        return names, columns
    if model.loss == "bce":
        probs = predict_proba(model, inputs)
        for k, target in enumerate(model.target_names):
            names.append(_fresh(f"predicted_{target}", taken))
            columns.append((probs[:, k] >= 0.5).astype(int).tolist())
            if proba:
                names.append(_fresh(f"probability_{target}", taken))
                columns.append(probs[:, k].tolist())
        return names, columns
    values = predict(model, inputs)
    for k, target in enumerate(model.target_names):
        names.append(_fresh(f"predicted_{target}", taken))
        columns.append(values[:, k].tolist())
    return names, columns


def _cell(text: str):
    try:
        return float(text)
    except ValueError:
        return text


def run(args: argparse.Namespace) -> int:
    """Write the input columns with the predictions beside them; checked before work."""
    model = load_model(args.model)
    if args.proba and model.loss == "mse":
        raise ValueError("--proba needs a classifier (a model trained with --loss bce or ce)")
    if args.output:
        target = check_writable(args.output, "--output").resolve()
        for flag, path in (("--data", args.data), ("--model", args.model)):
            if target == Path(path).resolve():
                raise ValueError(f"--output {args.output} would overwrite {flag} {path}")
    announce_reading(args.data)
    data = load_csv(args.data, outputs=0, inputs=model.input_names)
    header, table = read_table(args.data)
    names, columns = prediction_columns(model, data.inputs, args.proba, set(header))
    new = list(zip(*columns, strict=True))
    rows = [[*cells, *extra] for (_, cells), extra in zip(table, new, strict=True)]
    text = csv_text([*header, *names], rows)
    if args.output:
        atomic_write_text(args.output, text)
    if args.json:
        emit_json(
            {
                "columns": [*header, *names],
                "rows": [
                    [*map(_cell, cells), *extra]
                    for (_, cells), extra in zip(table, new, strict=True)
                ],
                **({"output": args.output} if args.output else {}),
            }
        )
    elif not args.output:
        sys.stdout.write(text)
    else:
        print(f"{len(rows)} predictions written to {args.output}")
    return 0

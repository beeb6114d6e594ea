"""``tinygrad-mlp predict``: a saved model's outputs, in data units, for a CSV of inputs."""

from __future__ import annotations

import argparse
import csv
import io
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
from tinygrad_mlp.data import check_header, load_csv, read_table
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
    plain = None if args.json else plain_table(args.data)
    header, table = plain if plain is not None else read_table(args.data)
    names, columns = prediction_columns(model, data.inputs, args.proba, set(header))
    new = list(zip(*columns, strict=True))
    text = None if plain is None else _plain_text([*header, *names], plain[1], new)
    if text is None:
        if plain is not None:
            header, table = read_table(args.data)
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
        print(f"{len(new)} predictions written to {args.output}")
    return 0


# Bytes a plain table is made of: printable ASCII but the quote and the space, and "\n".
_PLAIN = bytes([10, *range(33, 127)]).replace(b'"', b"")


def plain_table(path: str | Path) -> tuple[list[str], list[str]] | None:
    """The header's cells and the data lines of a table the csv module would cut at every
    comma, or None for any other file (read_table reads it, and names any fault).

    NOTE: a file of printable ASCII with no quote, space, tab or carriage return reads
    the same split at commas as through :func:`read_table` (csv, cells stripped), so
    ``predict`` can copy each line as it stands and add its predictions, rather than
    parse 160,000 rows into cells and quote them back one by one (four seconds).
    A line with a cell too many or too few sends the file to read_table for its sentence.
    """
    raw = Path(path).read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):  # a UTF-8 byte-order mark, as read_table skips it
        raw = raw[3:]
    if raw.translate(None, _PLAIN):
        return None
    lines = [line for line in raw.decode("ascii").split("\n") if line.strip(",")]
    if len(lines) < 2 or max(map(len, lines)) > csv.field_size_limit():
        return None  # NOTE: the csv module refuses a cell that long; read_table says so
    header = lines[0].split(",")
    check_header(path, header)
    commas = len(header) - 1
    if any(line.count(",") != commas for line in lines):
        return None
    return header, lines[1:]


def _plain_text(header: list[str], lines: list[str], new: list[tuple]) -> str | None:
    """The CSV text of ``lines`` as they stand, each followed by its row of ``new``
    (numbers at full precision, quoted where csv would quote them); None if a class
    label holds a line break (the rows are then written cell by cell)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    head = buffer.getvalue()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # NOTE: a first empty cell makes each written row ",a,b", what goes after a line
    writer.writerows(
        ["", *(repr(float(v)) if isinstance(v, (float, np.floating)) else v for v in row)]
        for row in new
    )
    tails = buffer.getvalue().split("\n")
    tails.pop()  # what follows the last "\n"
    if len(tails) != len(lines):
        return None
    return head + "".join([f"{line}{tail}\n" for line, tail in zip(lines, tails, strict=True)])

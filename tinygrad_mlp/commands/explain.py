"""``tinygrad-mlp explain``: one sample's forward and backward pass with every number."""

from __future__ import annotations

import argparse

from tinygrad_mlp import backprop
from tinygrad_mlp.commands.common import emit_json
from tinygrad_mlp.commands.inputs import add_arguments, load_problem
from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.explain import explain, formatter, g, training_table
from tinygrad_mlp.seed import BIASES, DATASET, ERRATA, WEIGHTS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``explain`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "explain",
        help="print one sample's forward and backward pass, step by step, with numbers",
        description="Write out the forward pass (every weighted sum term by term), the loss, "
        "every error signal and gradient, and one gradient-descent step, as the cheat sheet "
        "does. On the sheet's example it also flags the sheet's errata and finishes its "
        "'adjust the weights' table.",
    )
    add_arguments(p, rows=False)
    p.add_argument("--eta", type=float, default=0.1, help="learning rate of the step shown (0.1)")
    p.add_argument(
        "--epochs",
        type=int,
        default=1000,
        help="seed example: epochs of the finished training table (1000)",
    )
    p.add_argument(
        "--format",
        choices=["text", "markdown"],
        default="text",
        help="markdown writes LaTeX math to paste into notes",
    )
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    p.set_defaults(run=run)


def seed_errata() -> list[tuple[str, str]]:
    """The sheet's numbers against the right ones, computed here: (key, sentence)."""
    bp91 = backprop.gradients(WEIGHTS, BIASES, ["sigmoid"] * 2, [[1.0, 1.0]], [[91.0]])
    y = bp91.a[-1][0, 0]
    minus_one = MinMaxScaler((-1, 1)).fit(DATASET[:, :2]).transform(DATASET[:, :2])
    return [
        ("y(1-y)", f"{ERRATA['y(1-y)']} (here: {g(y * (1 - y))})"),
        (
            "delta_o",
            f"{ERRATA['delta_o']} (here, z = 91: delta_o = {g(bp91.delta[1][0, 0])}, "
            f"delta_h = {', '.join(g(v) for v in bp91.delta[0][0])})",
        ),
        ("minus_one_50", f"{ERRATA['minus_one_50']} (here: {minus_one[1, 0]:.4f})"),
        ("target", ERRATA["target"] + " (this trace uses z = (91 - 68) / (91 - 68) = 1)"),
        ("yo", ERRATA["yo"]),
        ("delta_h", ERRATA["delta_h"]),
    ]


def run(args: argparse.Namespace) -> int:
    """Print the step-by-step trace of the first chosen row as text, Markdown or JSON.

    On the cheat sheet's example it adds the sheet's errata and its finished
    "adjust the weights" table, trained ``--epochs`` times.

    Returns:
        0; bad options raise ValueError before any output.
    """
    if args.epochs < 1:
        raise ValueError(f"--epochs must be at least 1, got {args.epochs}")
    everything = load_problem(args, all_rows=True)
    problem = load_problem(args)
    x, z = problem.x[0], problem.z[0]
    trace = explain(
        problem.net, x, z, eta=args.eta, loss=problem.loss, input_names=problem.input_names
    )
    table = None
    errata = []
    if problem.is_seed:
        errata = seed_errata()
        table = training_table(
            everything.net, everything.x, everything.z, eta=args.eta, epochs=args.epochs
        )
    if args.json:
        emit_json(
            {
                "problem": problem.title,
                "numbers": trace.numbers,
                "records": trace.to_dicts(),
                "errata": dict(errata),
                "training": table,
            }
        )
        return 0
    out = formatter(args.format)
    print(f"Explain: {problem.title}, row {args.row}, η = {g(args.eta)}\n")
    print(out.trace(trace), end="")
    if errata:
        print("\n" + "\n".join(out.heading("Where the cheat sheet differs")))
        for _, sentence in errata:
            print(out.note(sentence))
    if table:
        heading = (
            f"The sheet's 'adjust the weights' table, finished: per-sample SGD over its "
            f"{len(everything.x)} rows, η = {g(args.eta)}"
        )
        print("\n" + "\n".join(out.heading(heading)))
        print(out.table(*_table(table)))
    return 0


def _table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The training table's headers and cells, for a formatter to lay out."""
    headers = ["epoch", "mean loss", *[f"wo[0][{i}]" for i in range(len(rows[0]["wo"]))], "bo[0]"]
    body = [
        [str(r["epoch"]), f"{r['loss']:.9f}", *(f"{w:.6f}" for w in r["wo"]), f"{r['bo']:.6f}"]
        for r in rows
    ]
    return headers, body

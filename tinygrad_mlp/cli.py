"""The ``tinygrad-mlp`` command (also ``python -m tinygrad_mlp``).

Each subcommand lives in its own module under :mod:`tinygrad_mlp.commands` and
exposes ``register(subparsers)``, which adds its parser and sets ``run``, a
function taking the parsed arguments and returning the exit status.

Errors a user can cause (a missing file, a bad CSV, a wrong shape) are raised
as :class:`CLIError`, ``ValueError``, ``OSError`` or ``TypeError`` and printed
as one sentence on stderr with exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tinygrad_mlp import __version__
from tinygrad_mlp.commands import (
    check,
    demo,
    evaluate,
    explain,
    graph,
    info,
    playback,
    predict,
    seedfiles,
    train,
)

__all__ = ["CLIError", "build_parser", "main"]

#: Subcommand modules, in the order ``--help`` lists them.
COMMANDS = [demo, train, evaluate, predict, info, seedfiles, check, explain, graph, playback]


class CLIError(Exception):
    """A problem with the user's input, reported as one sentence and exit status 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-mlp",
        description="Train, check, explain and draw small multi-layer perceptrons.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        return int(args.run(args) or 0)
    except (CLIError, ValueError, TypeError, OSError) as error:
        message = str(error) or type(error).__name__
        print(f"tinygrad-mlp {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinygrad-mlp {args.command}: interrupted", file=sys.stderr)
        return 130

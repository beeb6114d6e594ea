"""The ``tinygrad-mlp`` command (also ``python -m tinygrad_mlp``).

Each subcommand lives in its own module under :mod:`tinygrad_mlp.commands` and
exposes ``register(subparsers)``, which adds its parser and sets ``run``, a
function taking the parsed arguments and returning the exit status. The table
:data:`tinygrad_mlp.commands.COMMANDS` names them; a module is imported only when
its command runs (or shows its own ``--help``), so ``tinygrad-mlp --help`` and a
light command never load training, pictures, ONNX or torch.

Problems with the user's input (a missing file, a bad CSV, a wrong shape, a
flag that cannot work) are raised by the library as ``ValueError`` (or
``OSError`` from the file system) and printed here as one sentence on stderr
with exit status 2. Any other exception is a bug in this program and shows as
one, with its traceback. A reader that closes the pipe (``tinygrad-mlp demo |
head -1``) ends the command quietly.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Collection, Sequence

from tinygrad_mlp import __version__
from tinygrad_mlp.commands import COMMANDS, module_of

__all__ = ["build_parser", "main"]


def build_parser(commands: Collection[str] | None = None) -> argparse.ArgumentParser:
    """The ``tinygrad-mlp`` argument parser, one subcommand per entry of ``COMMANDS``.

    Args:
        commands: the commands whose modules are imported and whose flags are added;
            the others are listed by name and help only. None (the default): all.
    """
    parser = argparse.ArgumentParser(
        prog="tinygrad-mlp",
        description="Train, check, explain and draw small multi-layer perceptrons.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    wanted = None if commands is None else {module_of(name) for name in commands}
    registered: set[str] = set()
    for name, module, help_text in COMMANDS:
        if wanted is not None and module not in wanted:
            subparsers.add_parser(name, help=help_text)
        elif module not in registered:  # NOTE: one module may register several commands
            importlib.import_module(f"tinygrad_mlp.commands.{module}").register(subparsers)
            registered.add(module)
    return parser


def _command_word(argv: Sequence[str]) -> list[str]:
    """The subcommand named on a command line (its first word that is not an option)."""
    return [word for word in argv if not word.startswith("-")][:1]


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (AttributeError, OSError, ValueError):
        pass  # NOTE: not a real file (a test's capture); nothing will flush it later


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_command_word(argv))
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        status = int(args.run(args) or 0)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        # NOTE: the reader has gone (`| head -1`); as `git log | head` does, stop
        # without a word. Status 1, as Python's own docs do on EPIPE.
        _silence_stdout()
        return 1
    except (ValueError, OSError) as error:
        message = str(error) or type(error).__name__
        print(f"tinygrad-mlp {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"tinygrad-mlp {args.command}: interrupted", file=sys.stderr)
        return 130

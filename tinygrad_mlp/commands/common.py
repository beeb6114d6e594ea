"""Helpers shared by the subcommands: JSON output, model loading, CSV writing."""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from typing import Any

import numpy as np


def emit_json(result: Any) -> None:
    """Print ``result`` as JSON on stdout (numpy values become plain numbers)."""
    print(json.dumps(result, indent=2, default=_plain))


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def csv_text(header: list[str], rows: list[list[Any]]) -> str:
    """A CSV document as text (numbers at full precision)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([repr(float(v)) if isinstance(v, (float, np.floating)) else v for v in row])
    return buffer.getvalue()


def stderr(message: str) -> None:
    """Print one line to standard error."""
    print(message, file=sys.stderr)


#: A CSV file at least this large is announced before it is read (any size on a terminal).
ANNOUNCE_BYTES = 5 * 1024 * 1024


def announce_reading(path: str, quiet: bool = False) -> None:
    """Say "reading FILE (31 MB)..." on stderr before a large file (or on a terminal).

    A table of some megabytes takes seconds to parse; without a word the screen
    looks hung. Nothing is said when ``quiet``, or for a small file off a terminal.
    """
    try:
        size = os.path.getsize(path)
    except OSError:
        return  # the loader names a missing file
    if quiet or (size < ANNOUNCE_BYTES and not sys.stderr.isatty()):
        return
    shown = f"{size / 1e6:.0f} MB" if size >= 1e6 else f"{size / 1e3:.0f} kB"
    print(f"reading {path} ({shown})...", file=sys.stderr, flush=True)


def add_json_flag(parser: argparse.ArgumentParser, what: str = "the result") -> None:
    """The ``--json`` flag every command takes."""
    parser.add_argument("--json", action="store_true", help=f"print {what} as JSON on stdout")


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, adding "(default: X)" to options that have a default.

    Options whose help already names their default, and flags without a value,
    are left as they are.
    """

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if (
            "default" not in text
            and action.default not in (None, False, argparse.SUPPRESS)
            and action.option_strings
            and action.nargs != 0
        ):
            text += " (default: %(default)s)"
        return text

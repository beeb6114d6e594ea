"""What the examples share: their command-line options and their printed claims.

Each example still runs alone, from any folder (``python examples/moons.py``):
Python puts a script's own folder first on ``sys.path``, so ``from _common import
claim, options`` finds this file.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def parser(doc: str, quick: str = "a shorter run, a looser check") -> argparse.ArgumentParser:
    """An argument parser described by the first line of ``doc``, with ``--quick``."""
    result = argparse.ArgumentParser(description=doc.splitlines()[0])
    result.add_argument("--quick", action="store_true", help=quick)
    return result


def options(name: str, doc: str, argv: list[str] | None = None) -> argparse.Namespace:
    """``--out DIR`` (default ``out/NAME``, created) and ``--quick``, from the command line."""
    p = parser(doc)
    p.add_argument("--out", type=Path, default=Path("out") / name, help="picture folder")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def claim(ok: bool, text: str) -> None:
    """Print the claim with its verdict; exit with status 1 when it does not hold."""
    print(f"{'OK' if ok else 'FAILED'}: {text}")
    if not ok:
        raise SystemExit(1)

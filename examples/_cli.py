"""The two options every example takes: ``--out`` (where pictures go) and ``--quick``."""

from __future__ import annotations

import argparse
from pathlib import Path


def options(doc: str, name: str) -> argparse.Namespace:
    """Parse ``--out DIR`` (default ``out/NAME``) and ``--quick``; create the folder."""
    parser = argparse.ArgumentParser(
        description=doc.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--out", type=Path, default=Path("out") / name, help="folder for the pictures"
    )
    parser.add_argument(
        "--quick", action="store_true", help="a shorter run with a looser check (for the tests)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    return args


def claim(ok: bool, text: str) -> None:
    """Print the claim with its verdict; exit with status 1 when it does not hold."""
    print(f"{'OK' if ok else 'FAILED'}: {text}")
    if not ok:
        raise SystemExit(1)

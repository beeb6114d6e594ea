"""``tinygrad-mlp studio``: a local page that shows a network learning, live."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import add_json_flag


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``studio`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "studio",
        help=summary("studio"),
        description="Start a local server that trains a network and a page that shows it "
        "learning: the loss, the decision boundary, the weights, each neuron's activation, "
        "the health figures, and one sample's δ's beside autodiff. Prints the page's address "
        "(with its secret token) and serves until interrupted. Needs the studio extra: "
        "pip install 'tinygrad-mlp[studio]'.",
    )
    p.add_argument("--data", help="start with this CSV (inputs, then one target column)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port; 0 picks a free one (default 8765)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser")
    add_json_flag(p, 'the address (one line: {"url": ...})')
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Check the flags and the data, print the address, serve until interrupted."""
    if not 0 <= args.port <= 65535:
        raise ValueError(f"--port must be from 0 to 65535, got {args.port}")
    try:
        from tinygrad_mlp.studio import serve
    except ImportError as error:  # pragma: no cover - the extra is missing
        raise ValueError(str(error)) from None
    try:
        serve(
            args.data,
            host=args.host,
            port=args.port,
            open_browser=not args.no_browser,
            json_line=args.json,
        )
    except ImportError as error:
        raise ValueError(str(error)) from None
    return 0

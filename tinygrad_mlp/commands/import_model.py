"""``tinygrad-mlp import``: an ONNX file or a torch file back as a model JSON."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import add_json_flag, emit_json
from tinygrad_mlp.io import save_model

#: File endings that name a format when --format is left out.
SUFFIXES = {".onnx": "onnx", ".pt": "torch", ".pth": "torch"}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``import`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "import",
        help=summary("import"),
        description="Read a network from an ONNX file (Gemm or MatMul+Add layers with "
        "Sigmoid, Tanh or Relu) or a torch file written by export (or by PyTorch code in "
        "its layout), and save it as a model JSON that predict, check, explain and graph "
        "read. Files written by export come back with their scalers, names and settings.",
    )
    p.add_argument("path", type=Path, help="the ONNX or torch file")
    p.add_argument(
        "--format",
        choices=["onnx", "torch"],
        help="file format (default: from the ending, .onnx or .pt/.pth)",
    )
    p.add_argument("--model", required=True, help="model JSON to write")
    add_json_flag(p, "the written model file and its network")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read an ONNX or torch file and save it as the model JSON ``--model``.

    The format comes from ``--format`` or the file's ending (.onnx, .pt, .pth). Prints
    the network's sizes and activations, or JSON.

    Returns:
        0; an unknown format or a missing package raise ValueError.
    """
    from tinygrad_mlp import onnx as onnx_file
    from tinygrad_mlp import torch_bridge

    kind = args.format or SUFFIXES.get(args.path.suffix.lower())
    if kind is None:
        raise ValueError(f"{args.path}: cannot tell the format from its ending; give --format")
    try:
        (onnx_file.require_onnx if kind == "onnx" else torch_bridge.require_torch)()
    except ImportError as error:
        raise ValueError(f"--format {kind}: {error}") from None
    if kind == "onnx":
        model = onnx_file.load_model(args.path)
    else:
        model = torch_bridge.load_torch(args.path)
    save_model(args.model, model)
    sizes = "-".join(map(str, model.net.sizes))
    if args.json:
        emit_json(
            {
                "path": str(args.model),
                "sizes": model.net.sizes,
                "activations": model.net.activations,
            }
        )
        return 0
    print(f"wrote {args.model} ({sizes} network, {', '.join(model.net.activations)})")
    return 0

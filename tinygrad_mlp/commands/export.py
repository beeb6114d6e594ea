"""``tinygrad-mlp export``: a saved model as an ONNX file or a torch file."""

from __future__ import annotations

import argparse
from pathlib import Path

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import add_json_flag, emit_json
from tinygrad_mlp.io import load_model


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``export`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "export",
        help=summary("export"),
        description="Write a saved model as ONNX (raw inputs through its scalers, min-max or "
        "standard, "
        "outputs in data units or class probabilities; needs the onnx extra) or as a torch "
        "file (state dict, activations, scalers and settings, read with "
        "torch.load(weights_only=True); needs the torch extra).",
    )
    p.add_argument("--model", required=True, help="model JSON written by train")
    p.add_argument("--format", required=True, choices=["onnx", "torch"], help="file format")
    p.add_argument("-o", "--output", required=True, type=Path, help="file to write")
    p.add_argument("--opset", type=int, help="ONNX opset (default 17)")
    add_json_flag(p, "the written file, its format and size")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the saved model ``--model`` as an ONNX or a torch file at ``--output``.

    The optional package the format needs is looked for before the model is read.

    Returns:
        0; a missing package or bad options raise ValueError.
    """
    if args.opset is not None and args.format != "onnx":
        raise ValueError("--opset goes with --format onnx")
    from tinygrad_mlp import onnx as onnx_file
    from tinygrad_mlp import torch_bridge

    # NOTE: the optional package is looked for first, so a missing one costs no reading;
    # ImportError becomes ValueError, which the command line prints as one sentence.
    try:
        (onnx_file.require_onnx if args.format == "onnx" else torch_bridge.require_torch)()
    except ImportError as error:
        raise ValueError(f"--format {args.format}: {error}") from None
    model = load_model(args.model)
    if args.format == "onnx":
        opset = onnx_file.DEFAULT_OPSET if args.opset is None else args.opset
        onnx_file.export(model, args.output, opset=opset)
        note = f"ONNX opset {opset}; input 'input', {model.net.nin} columns"
    else:
        torch_bridge.save_torch(model, args.output)
        note = "torch; read it with torch.load(path, weights_only=True)"
    if args.json:
        size = args.output.stat().st_size
        emit_json({"path": str(args.output), "format": args.format, "bytes": size})
    else:
        print(f"wrote {args.output} ({note})")
    return 0

"""``tinygrad-mlp graph``: draw a computation graph or a network diagram to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import emit_json
from tinygrad_mlp.commands.inputs import add_arguments, load_problem
from tinygrad_mlp.crosscheck import scalar_loss, tensor_loss
from tinygrad_mlp.io import SavedModel, load_model
from tinygrad_mlp.viz import IMAGE_FORMATS, draw_graph, draw_network, write_picture
from tinygrad_mlp.viz.render import SOURCE_FORMATS


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``graph`` subcommand and its options to ``subparsers``; it runs :func:`run`."""
    p = subparsers.add_parser(
        "graph",
        help=summary("graph"),
        description="Draw the loss's computation graph after one backward pass on one data row "
        "(--engine scalar: one node per multiply and add; tensor: one node per layer op), or "
        "the network itself (--network: weights, biases and, with data, each node's δ for the "
        "row). The output format follows the file's extension: .dot (DOT source, no Graphviz "
        "needed), .svg, .png or .pdf.",
    )
    add_arguments(p, rows=False)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("graph.png"),
        help="file to write (default graph.png)",
    )
    p.add_argument(
        "--engine",
        choices=["scalar", "tensor"],
        default="scalar",
        help="scalar: one node per multiply and add; tensor: one node per layer op "
        "(default scalar)",
    )
    p.add_argument("--network", action="store_true", help="draw the network diagram instead")
    p.add_argument(
        "--rankdir",
        choices=["LR", "TB"],
        help="LR (left to right) or TB (top to bottom); default LR, TB for tensor graphs",
    )
    p.add_argument(
        "--precision", type=int, default=4, help="significant digits of each number (default 4)"
    )
    p.add_argument("--derivatives", action="store_true", help="local derivative on each edge")
    p.add_argument(
        "--max-nodes", type=int, default=400, help="collapse past this many values (default 400)"
    )
    p.add_argument("--json", action="store_true", help="print what was written as JSON")
    p.set_defaults(run=run)


def _check_output(path: Path) -> None:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in (*SOURCE_FORMATS, *IMAGE_FORMATS):
        raise ValueError(f"{path}: unknown picture format {suffix!r}; use .dot, .svg, .png or .pdf")
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name such as {path / 'graph.png'}")
    if not path.parent.is_dir():
        raise ValueError(f"{path}: the folder {path.parent} does not exist")


def _output_names(model: SavedModel) -> list[str] | None:
    names = model.classes if model.loss == "ce" and model.classes else model.target_names
    return list(names) if names and len(names) == model.net.sizes[-1] else None


def run(args: argparse.Namespace) -> int:
    """Draw the loss's computation graph, or the network with ``--network``, to ``--output``.

    The file's extension picks the format (.dot needs no Graphviz); options are checked
    before the drawing starts. Prints the file written and its size, or JSON.

    Returns:
        0; bad options raise ValueError, a missing Graphviz GraphvizMissing.
    """
    _check_output(args.output)
    if args.precision < 1:
        raise ValueError(f"--precision must be at least 1, got {args.precision}")
    if args.max_nodes < 1:
        raise ValueError(f"--max-nodes must be at least 1, got {args.max_nodes}")
    if args.network and args.model is not None and args.data is None:
        # NOTE: the weights need no data; δ needs a row, so without one none is drawn.
        model = load_model(args.model)
        graph = draw_network(
            model.net,
            input_names=model.input_names,
            output_names=_output_names(model),
            rankdir=args.rankdir or "LR",
            precision=args.precision,
            title=f"weights and biases of {args.model} (give --data for each node's δ)",
        )
        return _write(graph, args)
    problem = load_problem(args)
    x, z = problem.x, problem.z
    net = problem.net
    row = f"data row {args.row} of {problem.title}"
    if args.network:
        net.zero_grad()
        tensor_loss(net(np.asarray(x)), z, problem.loss).backward()
        output_names = None
        if args.model is not None:
            output_names = _output_names(load_model(args.model))
        graph = draw_network(
            net,
            show="grad",
            input_names=problem.input_names,
            output_names=output_names,
            rankdir=args.rankdir or "LR",
            precision=args.precision,
            title=f"δ = ∂L/∂s for {row}",
        )
    else:
        if args.engine == "scalar":
            loss = scalar_loss(net([float(v) for v in x[0]]), z[0], problem.loss, 1)
        else:
            loss = tensor_loss(net(np.asarray(x)), z, problem.loss)
        loss.label = "L"
        loss.backward()
        graph = draw_graph(
            loss,
            rankdir=args.rankdir or ("LR" if args.engine == "scalar" else "TB"),
            precision=args.precision,
            edge_derivatives=args.derivatives,
            max_nodes=args.max_nodes,
            title=f"the loss of {row}",
            network=net,
        )
    net.zero_grad()
    return _write(graph, args)


def _write(graph, args: argparse.Namespace) -> int:
    picture = write_picture(graph, args.output)
    if args.json:
        emit_json({"written": [picture.to_dict()]})
    else:
        print(f"wrote {picture.path} ({picture.size} bytes)")
    return 0

"""``tinygrad-mlp graph``: draw a computation graph or a network diagram to a file."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from tinygrad_mlp.commands.inputs import add_arguments, load_problem
from tinygrad_mlp.crosscheck import scalar_loss, tensor_loss
from tinygrad_mlp.viz import draw_graph, draw_network, save


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "graph",
        help="draw the computation graph or the network diagram (the seed example by default)",
        description="Draw the loss's computation graph after one backward pass (--engine scalar: "
        "one node per multiply and add; tensor: one node per layer op), or the network "
        "itself (--network). The output format follows the file's extension: .dot (DOT "
        "source, no Graphviz needed), .svg, .png or .pdf.",
    )
    add_arguments(p, rows=False)
    p.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("graph.png"),
        help="file to write (default graph.png)",
    )
    p.add_argument("--engine", choices=["scalar", "tensor"], default="scalar")
    p.add_argument("--network", action="store_true", help="draw the network diagram instead")
    p.add_argument(
        "--rankdir",
        choices=["LR", "TB"],
        help="LR (left to right) or TB; default LR for scalar, TB for tensor graphs",
    )
    p.add_argument("--precision", type=int, default=4, help="digits after the point (4)")
    p.add_argument("--derivatives", action="store_true", help="local derivative on each edge")
    p.add_argument("--max-nodes", type=int, default=400, help="collapse past this many values")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    problem = load_problem(args)
    x, z = problem.x, problem.z
    net = problem.net
    if args.network:
        net.zero_grad()
        tensor_loss(net(x), z, problem.loss).backward()
        graph = draw_network(net, show="grad", input_names=problem.input_names)
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
        )
    net.zero_grad()
    save(graph, args.output)
    print(f"wrote {args.output}")
    return 0

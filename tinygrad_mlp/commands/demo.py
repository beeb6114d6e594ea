"""``tinygrad-mlp demo``: the cheat sheet's worked example, end to end."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from tinygrad_mlp.autograd import walk
from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.losses import mse
from tinygrad_mlp.seed import DATASET, ERRATA, seed_network
from tinygrad_mlp.viz import draw_graph, save


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="run the cheat sheet's worked example (forward, backward, golden numbers)",
        description="Run the cheat sheet's 2-3-1 example: normalize, forward, backward, and "
        "print every quantity, flagging the sheet's errata. Writes the computation graph "
        "as DOT source, and as a picture where Graphviz's dot program is installed.",
    )
    parser.add_argument(
        "--graph",
        type=Path,
        default=Path("seed-graph.dot"),
        help="where to write the scalar computation graph (default: seed-graph.dot)",
    )
    parser.set_defaults(run=run)


def golden_rows(z: float) -> list[tuple[str, list[float]]]:
    """Every quantity of the worked example for target ``z``, computed by the scalar engine."""
    net = seed_network()
    x = [float(v) for v in MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2])[0]]
    y = net(x)
    loss = mse(y, [z])
    loss.backward()
    nodes = {v.label: v for v in walk(loss) if v.label}
    return [
        ("s_h", [nodes[f"sh[0][{j}]"].data for j in range(3)]),
        ("a_h", [nodes[f"ah[0][{j}]"].data for j in range(3)]),
        ("s_o", [nodes["so[0]"].data]),
        ("y", [y[0].data]),
        ("L", [loss.data]),
        ("delta_o", [nodes["so[0]"].grad]),
        ("delta_h", [nodes[f"sh[0][{j}]"].grad for j in range(3)]),
    ]


def run(args: argparse.Namespace) -> int:
    for z in (91.0, 1.0):
        print(f"Worked example, x = (70, 98) -> (1, 1), target z = {z:g}:")
        for name, values in golden_rows(z):
            print(f"  {name:<8}" + "  ".join(f"{v + 0.0: .9f}" for v in values))
    print("\nWhere the cheat sheet's numbers differ:")
    for text in ERRATA.values():
        print(f"  - {text}")
    _write_graph(args.graph)
    return 0


def _write_graph(path: Path) -> None:
    net = seed_network()
    loss = mse(net([1.0, 1.0]), [1.0])
    loss.label = "L"
    loss.backward()
    graph = draw_graph(loss)
    save(graph, path)
    print(f"\nComputation graph written as DOT source to {path}")
    if shutil.which("dot") is None:
        print("  (install Graphviz, e.g. 'apt-get install graphviz', to render it as a picture)")
        return
    picture = path.with_suffix(".png")
    save(graph, picture)
    print(f"and rendered to {picture}")

"""``tinygrad-mlp demo``: the cheat sheet's worked example, end to end."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

from tinygrad_mlp.autograd import walk
from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import add_json_flag, emit_json
from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.io import check_writable
from tinygrad_mlp.losses import mse
from tinygrad_mlp.seed import DATASET, ERRATA, seed_network
from tinygrad_mlp.viz import draw_graph, save


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``demo``: the cheat sheet's 2-3-1 example, its numbers and errata."""
    parser = subparsers.add_parser(
        "demo",
        help=summary("demo"),
        description="Run the cheat sheet's 2-3-1 example (its setting: sigmoid everywhere, "
        "min-max [0, 1]): normalize, forward, backward, and print every quantity, flagging "
        "the sheet's errata. With --graph it also writes the computation graph as DOT "
        "source, and as a picture beside it where Graphviz's dot program is installed; "
        "without it, it writes no file.",
    )
    parser.add_argument(
        "--graph",
        type=Path,
        help="write the scalar computation graph here (.dot; default: no file)",
    )
    add_json_flag(parser, "the numbers")
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
    """Print the worked example (and, with ``--graph``, draw it); exit status 0."""
    if args.graph is not None:
        check_writable(args.graph, "--graph")
    examples = {f"{z:g}": dict(golden_rows(z)) for z in (91.0, 1.0)}
    written = _write_graph(args.graph) if args.graph is not None else []
    if args.json:
        emit_json(
            {
                "inputs": {"raw": [70.0, 98.0], "normalized": [1.0, 1.0]},
                "targets": examples,
                "errata": ERRATA,
                "files": written,
            }
        )
        return 0
    for z, rows in examples.items():
        print(f"Worked example, x = (70, 98) -> (1, 1), target z = {z}:")
        for name, values in rows.items():
            print(f"  {name:<8}" + "  ".join(f"{v + 0.0: .9f}" for v in values))
    print("\nWhere the cheat sheet's numbers differ:")
    for text in ERRATA.values():
        print(f"  - {text}")
    for record in written:
        print(f"\n{record['what']} written to {record['path']} ({record['bytes']} bytes)")
    if args.graph is not None and len(written) == 1:
        print("  (install Graphviz, e.g. 'apt-get install graphviz', to render it as a picture)")
    return 0


def _write_graph(path: Path) -> list[dict]:
    """Write the graph as DOT to ``path`` (and a PNG beside it if dot is installed)."""
    net = seed_network()
    loss = mse(net([1.0, 1.0]), [1.0])
    loss.label = "L"
    loss.backward()
    graph = draw_graph(loss)
    dot_path = path if path.suffix == ".dot" else path.with_suffix(".dot")
    save(graph, dot_path)
    written = [{"what": "computation graph (DOT)", "path": str(dot_path), "bytes": _size(dot_path)}]
    if shutil.which("dot") is not None:
        picture = path.with_suffix(".png") if path.suffix == ".dot" else path
        save(graph, picture)
        written.append(
            {"what": "computation graph (picture)", "path": str(picture), "bytes": _size(picture)}
        )
    return written


def _size(path: Path) -> int:
    return path.stat().st_size

"""tanh and its first four derivatives, each the graph of the one before's gradient.

``grad(f, x, create_graph=True)`` returns f'(x) as a ``Value`` with a graph of its
own, built by the same backward rules that compute first-order gradients; taking
its gradient again gives f''(x), and so on. This script draws the five graphs
and prints how their size grows, beside the closed forms (t = tanh x):

    f  = t
    f' = 1 − t²
    f''  = −2t (1 − t²)
    f''' = (6t² − 2)(1 − t²)
    f'''' = (16t − 24t³)(1 − t²)

Run: ``python examples/tanh_derivatives.py [--x 0.5] [--out tanh-derivatives] [--quick]``
(``--quick``: up to the second derivative)
(pictures as SVG where Graphviz's ``dot`` is installed, DOT source otherwise).
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

from _common import parser  # examples/ is on the path when a script runs

from tinygrad_mlp import Value, grad
from tinygrad_mlp.autograd import walk
from tinygrad_mlp.viz import draw_graph, write_picture

NAMES = ["tanh x", "d/dx tanh x", "d²/dx² tanh x", "d³/dx³ tanh x", "d⁴/dx⁴ tanh x"]


def closed_forms(x: float) -> list[float]:
    """tanh and its first four derivatives at ``x``, from the formulas above."""
    t = math.tanh(x)
    s = 1 - t * t
    return [t, s, -2 * t * s, (6 * t * t - 2) * s, (16 * t - 24 * t**3) * s]


def derivative_graphs(x0: float, order: int = 4) -> tuple[Value, list[Value]]:
    """The input leaf and [tanh x, its first derivative, ..., its ``order``-th], as nodes."""
    x = Value(x0, label="x")
    graphs = [x.tanh()]
    for _ in range(order):
        (derivative,) = grad(graphs[-1], x, create_graph=True)
        graphs.append(derivative)
    for name, node in zip(NAMES, graphs, strict=False):
        node.label = name
    return x, graphs


def main() -> None:
    options = parser(__doc__, quick="up to the second derivative")
    options.add_argument("--x", type=float, default=0.5, help="where to differentiate (0.5)")
    options.add_argument("--out", type=Path, default=Path("tanh-derivatives"), help="folder")
    args = options.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    suffix = ".svg" if shutil.which("dot") else ".dot"

    _, graphs = derivative_graphs(args.x, order=2 if args.quick else 4)
    print(f"{'graph':<16} {'value':>12} {'closed form':>12} {'nodes':>6} {'ops':>5}  file")
    exacts = closed_forms(args.x)[: len(graphs)]
    for k, (node, exact) in enumerate(zip(graphs, exacts, strict=True)):
        order = walk(node)
        ops = sum(n._fn is not None for n in order)
        node.backward()  # colours: each value's gradient with respect to this derivative
        picture = write_picture(
            draw_graph(node, rankdir="TB", title=f"{NAMES[k]} at x = {args.x}"),
            args.out / f"tanh-d{k}{suffix}",
        )
        print(
            f"{NAMES[k]:<16} {node.data:>12.6f} {exact:>12.6f} {len(order):>6} {ops:>5}  "
            f"{picture.path}"
        )


if __name__ == "__main__":
    main()

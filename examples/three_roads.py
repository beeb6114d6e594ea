"""One gradient, three roads: scalar autodiff, tensor autodiff and the δ formulas.

    python examples/three_roads.py [--out DIR] [--quick]

For the cheat sheet's 2-3-1 network on its first row, x = (1, 1), z = 1, the
gradient of L = ½(y − z)² is computed three independent ways:

1. scalar autodiff: ``net([1.0, 1.0])`` builds one ``Value`` per multiply and
   add, and ``loss.backward()`` runs the chain rule node by node;
2. tensor autodiff: ``net(np.array([[1.0, 1.0]]))`` builds one ``Tensor`` per
   layer op (matmul, add, sigmoid) and backward runs the same rule on arrays;
3. hand-derived backprop (:mod:`tinygrad_mlp.backprop`): numpy code that
   applies δ_o = f'(s)·(y − z), δ_h = f'(s)·Σ_j w_j δ_j, ∇w = δ·a, sharing no
   code with the engines.

It prints the three side by side, then the cross-check table
(:func:`tinygrad_mlp.crosscheck.cross_check`) for the sheet's network and for a
deeper 3-5-4-2 tanh network on a batch of 6, with central finite differences as a
fourth witness. It saves the computation graph, the network diagram with each
node's δ, and the backprop playback page (open ``playback.html`` in a browser).

Claims: on the sheet's network the three roads agree to 1e-15; on the deeper
network the cross-check passes (|road − δ road| ≤ 1e-10 · (1 + |δ road|), finite
differences within 1e-6). --quick runs the same checks and skips the PNG
pictures (the DOT sources and the playback page are still written).
"""

from __future__ import annotations

import numpy as np
from _common import claim, options

from tinygrad_mlp import backprop
from tinygrad_mlp.crosscheck import cross_check, parameter_names
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import BIASES, WEIGHTS, seed_network
from tinygrad_mlp.viz import draw_graph, draw_network
from tinygrad_mlp.viz.playback import playback_network
from tinygrad_mlp.viz.render import save


def main() -> None:
    args = options("three_roads", __doc__)
    x, z = [1.0, 1.0], [1.0]

    # Road 1: scalar autodiff, one Value per + and *.
    scalar_net = seed_network()
    loss = mse(scalar_net(x), z)
    loss.backward()
    scalar = np.concatenate([p.grad.ravel() for p in scalar_net.parameters()])

    # Road 2: tensor autodiff, one Tensor per layer op.
    tensor_net = seed_network()
    tensor_loss = mse(tensor_net(np.array([x])), np.array([z]))
    tensor_loss.backward()
    tensor = np.concatenate([p.grad.ravel() for p in tensor_net.parameters()])

    # Road 3: the δ formulas, plain numpy, written from the cheat sheet.
    bp = backprop.gradients(WEIGHTS, BIASES, ["sigmoid", "sigmoid"], [x], [z])
    delta = np.concatenate(
        [np.ravel(g) for w, b in zip(bp.grad_w, bp.grad_b, strict=True) for g in (w, b)]
    )

    names = [name for group in parameter_names(tensor_net) for name in group]
    print(
        f"loss L = ½(y − z)² = {loss.data:.12f} (scalar), {tensor_loss.item():.12f} (tensor), "
        f"{float(bp.loss):.12f} (δ)"
    )
    print(f"δ_o = {bp.delta[1][0, 0]:.9f}; δ_h = " + ", ".join(f"{d:.9f}" for d in bp.delta[0][0]))
    print(f"{'parameter':<12}{'scalar':>18}{'tensor':>18}{'delta':>18}")
    for name, a, b, c in zip(names, scalar, tensor, delta, strict=True):
        print(f"{name:<12}{a:18.12f}{b:18.12f}{c:18.12f}")
    gap = float(max(np.abs(scalar - delta).max(), np.abs(tensor - delta).max()))
    print(f"largest difference between the roads: {gap:.1e}\n")

    report = cross_check(seed_network(), [x], [z])
    print("cross_check(seed_network(), x, z):")
    print(report.table())

    rng = np.random.default_rng(0)
    deep = MLP(3, [5, 4, 2], activation="tanh", seed=1)
    xb, zb = rng.normal(size=(6, 3)), rng.uniform(-0.9, 0.9, size=(6, 2))
    deep_report = cross_check(deep, xb, zb, finite_differences=True)
    print("\ncross_check on a 3-5-4-2 tanh network, 6 samples, with finite differences:")
    print(deep_report.table(max_rows=8))

    graph_net = seed_network()
    graph_loss = mse(graph_net(x), z)
    graph_loss.backward()
    pictures = {
        "seed_graph": draw_graph(graph_loss, title="L = ½(y − z)², x = (1, 1), z = 1"),
        "seed_network_deltas": draw_network(graph_net, show="grad", title="δ of each node"),
    }
    for name, graph in pictures.items():
        written = [save(graph, args.out / f"{name}.dot")]
        if not args.quick:
            written.append(save(graph, args.out / f"{name}.png"))
        print("picture: " + ", ".join(str(p) for p in written))
    page = playback_network(seed_network(), [x], [z]).save_html(args.out / "playback.html")
    print(f"playback page: {page}")

    claim(gap < 1e-15, "on the sheet's network the three roads agree to 1e-15")
    claim(report.passed and deep_report.passed, "the cross-check passes on both networks")


if __name__ == "__main__":
    main()

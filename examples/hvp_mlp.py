"""A Hessian-vector product of an MLP's loss, without ever forming the Hessian.

For parameters θ and a direction v, H v = ∇_θ (∇_θ L · v): differentiate the loss
once with ``create_graph=True`` (the gradient is then a graph of its own), take its
dot product with v, and differentiate that scalar again. It costs a few gradients,
whatever the number of parameters, where the full Hessian costs one gradient per
parameter.

The result is checked against an independent witness: central differences of the
δ formulas' gradient (``tinygrad_mlp.backprop``, plain numpy) along v, in the
five-point form of (∇L(θ + εv) − ∇L(θ − εv)) / 2ε.

    python examples/hvp_mlp.py           # an 8-16-16-1 network on 64 random rows
    python examples/hvp_mlp.py --quick   # the sheet's 2-3-1 network on its 4 rows
"""

from __future__ import annotations

import sys
import time

import numpy as np
from _common import parser

from tinygrad_mlp import Tensor, backprop, grad
from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import DATASET, seed_network


def hvp(net: MLP, x: np.ndarray, z: np.ndarray, v: list[np.ndarray]) -> list[np.ndarray]:
    """H v for the loss ½ Σ (y − z)² of ``net`` on (x, z), by double autodiff."""
    params = net.parameters()
    loss = mse(net(x), z)
    first = grad(loss, params, create_graph=True)  # ∇L, as Tensors with a graph
    dot = None
    for g, vi in zip(first, v, strict=True):
        term = (g * Tensor(vi)).sum()  # ∇L · v
        dot = term if dot is None else dot + term
    return [_array(h) for h in grad(dot, params)]  # ∇(∇L · v) = H v


def gradient(net: MLP, x: np.ndarray, z: np.ndarray) -> list[np.ndarray]:
    """∇L by first-order autodiff (for the cost comparison)."""
    return [_array(g) for g in grad(mse(net(x), z), net.parameters())]


def _array(g) -> np.ndarray:
    """A gradient's numbers: grad returns arrays, or Tensors with create_graph=True."""
    return np.array(getattr(g, "data", g), dtype=np.float64)


def witness_hvp(net: MLP, x: np.ndarray, z: np.ndarray, v: list[np.ndarray], eps: float = 1e-3):
    """The derivative of the δ formulas' gradient along v, by five-point differences:
    (g(θ − 2tv) − 8 g(θ − tv) + 8 g(θ + tv) − g(θ + 2tv)) / 12t with t = ε / ‖v‖, so the
    step in parameter space is ε whatever the length of v; error O(ε⁴)."""
    weights = [la.weight.data.copy() for la in net.layers]
    biases = [la.bias.data.copy() for la in net.layers]
    vw, vb = v[0::2], v[1::2]
    t = eps / float(np.sqrt(sum(float((d * d).sum()) for d in v)))

    def grads(sign: float) -> list[np.ndarray]:
        w = [a + sign * t * d for a, d in zip(weights, vw, strict=True)]
        b = [a + sign * t * d for a, d in zip(biases, vb, strict=True)]
        bp = backprop.gradients(w, b, net.activations, x, z, "mse")
        return [g for pair in zip(bp.grad_w, bp.grad_b, strict=True) for g in pair]

    steps = {m: grads(float(m)) for m in (-2, -1, 1, 2)}
    return [
        (a - 8.0 * b + 8.0 * c - d) / (12.0 * t)
        for a, b, c, d in zip(steps[-2], steps[-1], steps[1], steps[2], strict=True)
    ]


def _median_seconds(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def run(quick: bool = False, seed: int = 0) -> dict:
    """H v by double autodiff and by the witness, their largest difference, and the cost."""
    rng = np.random.default_rng(seed)
    if quick:
        net = seed_network()
        x = MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2])
        z = MinMaxScaler((0, 1)).fit_transform(DATASET[:, 2:])
        repeats = 5
    else:
        net = MLP(8, [16, 16, 1], activation="tanh", output_activation="sigmoid", seed=rng)
        x = rng.uniform(-1, 1, (64, 8))
        z = rng.uniform(0, 1, (64, 1))
        repeats = 21
    v = [rng.normal(size=p.data.shape) for p in net.parameters()]
    ours = hvp(net, x, z, v)
    witness = witness_hvp(net, x, z, v)
    flat_ours = np.concatenate([a.ravel() for a in ours])
    flat_witness = np.concatenate([a.ravel() for a in witness])
    error = float(np.max(np.abs(flat_ours - flat_witness) / (1.0 + np.abs(flat_witness))))
    ratio = _median_seconds(lambda: hvp(net, x, z, v), repeats) / _median_seconds(
        lambda: gradient(net, x, z), repeats
    )
    return {
        "parameters": int(flat_ours.size),
        "hvp": flat_ours,
        "witness": flat_witness,
        "max_rel_error": error,
        "cost_ratio": ratio,
    }


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__, quick="the sheet's 2-3-1 network").parse_args(argv)
    result = run(quick=args.quick)
    print(f"H v for {result['parameters']} parameters (first five entries):")
    print("  double autodiff:       " + "  ".join(f"{h: .9f}" for h in result["hvp"][:5]))
    print("  δ-road differences:    " + "  ".join(f"{h: .9f}" for h in result["witness"][:5]))
    print(f"largest |difference| / (1 + |value|): {result['max_rel_error']:.2e}")
    print(f"cost of H v / cost of one gradient (medians): {result['cost_ratio']:.1f}x")
    return 0 if result["max_rel_error"] < 1e-8 else 1


if __name__ == "__main__":
    sys.exit(main())

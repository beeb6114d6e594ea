"""A gradient-penalty training step: ‖∇ₓ f‖² differentiated with respect to the weights.

A regularizer that keeps a network smooth in its inputs (as in WGAN-GP or input
gradient regularization) adds λ · mean_i ‖∇ₓ f(x_i)‖² to the task loss. The penalty
is itself made of a gradient, so training with it needs the gradient of a gradient:
``grad(f(x).sum(), x, create_graph=True)`` returns ∇ₓ f as a graph, the penalty is
built on it, and ``backward()`` then reaches the weights through it.

The weight gradient is checked against central differences of the objective
computed in plain numpy, with ∇ₓ f written out by hand for this network,
f(x) = W₂ tanh(W₁ x + b₁) + b₂, so ∇ₓ f = W₁ᵀ (W₂ᵀ ⊙ (1 − tanh²(W₁ x + b₁))).

    python examples/gradient_penalty.py           # 200 steps on 64 rows
    python examples/gradient_penalty.py --quick   # 5 steps on 8 rows
"""

from __future__ import annotations

import sys

import numpy as np
from _common import parser

from tinygrad_mlp import Tensor, grad
from tinygrad_mlp.losses import mse_mean
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD


def objective(net: MLP, x: np.ndarray, z: np.ndarray, lam: float):
    """(total, task, penalty) as Tensors: mse_mean + λ · mean_i ‖∇ₓ f(x_i)‖²."""
    xt = Tensor(x, requires_grad=True)
    out = net(xt)
    # NOTE: the rows are independent, so ∇ₓ of the sum holds each row's own ∇ₓ f(x_i).
    (grad_x,) = grad(out.sum(), [xt], create_graph=True)
    penalty = (grad_x * grad_x).sum() * (1.0 / len(x))
    task = mse_mean(out, z)
    return task + penalty * lam, task, penalty


def numpy_objective(params: list[np.ndarray], x: np.ndarray, z: np.ndarray, lam: float) -> float:
    """The same objective in plain numpy, ∇ₓ f by hand (the witness)."""
    w1, b1, w2, b2 = params
    a = np.tanh(x @ w1.T + b1)  # (n, hidden)
    out = a @ w2.T + b2  # (n, 1)
    grad_x = (w2 * (1.0 - a * a)) @ w1  # (n, inputs): row i is ∇ₓ f(x_i)
    return float(((out - z) ** 2).mean() + lam * (grad_x**2).sum() / len(x))


def finite_difference_gradient(net: MLP, x, z, lam: float, h: float = 1e-3) -> np.ndarray:
    """Five-point central differences of ``numpy_objective``, one weight at a time."""
    params = [p.data.copy() for p in net.parameters()]
    result = []
    for p in params:
        for idx in np.ndindex(p.shape):
            old = p[idx]
            values = {}
            for m in (-2, -1, 1, 2):
                p[idx] = old + m * h
                values[m] = numpy_objective(params, x, z, lam)
            p[idx] = old
            result.append((values[-2] - 8 * values[-1] + 8 * values[1] - values[2]) / (12 * h))
    return np.array(result)


def run(quick: bool = False, seed: int = 0, lam: float = 0.1, lr: float = 0.1) -> dict:
    """Train with the penalty; check the first step's weight gradient by differences."""
    rng = np.random.default_rng(seed)
    n, hidden, steps = (8, 4, 5) if quick else (64, 16, 200)
    x = rng.uniform(-1, 1, (n, 2))
    z = np.sin(3 * x[:, :1]) * x[:, 1:]  # a wiggly target the penalty smooths
    net = MLP(2, [hidden, 1], activation="tanh", output_activation="linear", seed=rng)
    optimizer = SGD(net.parameters(), lr=lr)
    initial = [p.data.copy() for p in net.parameters()]
    history = []
    check = None
    first_gradient = None
    for step in range(steps + 1):
        total, task, penalty = objective(net, x, z, lam)
        history.append((step, total.item(), task.item(), penalty.item()))
        if step == steps:
            break
        optimizer.zero_grad()
        total.backward()
        if check is None:
            first_gradient = [np.array(getattr(p.grad, "data", p.grad)) for p in net.parameters()]
            ours = np.concatenate([g.ravel() for g in first_gradient])
            witness = finite_difference_gradient(net, x, z, lam)
            check = float(np.max(np.abs(ours - witness) / (1.0 + np.abs(witness))))
        optimizer.step()
    return {
        "history": history,
        "max_rel_error": check,
        "lam": lam,
        "lr": lr,
        "x": x,
        "z": z,
        "initial_parameters": initial,
        "first_gradient": first_gradient,
    }


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__, quick="5 steps on 8 rows").parse_args(argv)
    result = run(quick=args.quick)
    print(f"objective = mse_mean + λ·mean ‖∇ₓ f‖², λ = {result['lam']}, SGD lr = {result['lr']}")
    print(f"{'step':>5} {'objective':>12} {'task loss':>12} {'penalty':>12}")
    history = result["history"]
    shown = {0, 1, len(history) - 1} | set(range(0, len(history), max(1, len(history) // 8)))
    for step, total, task, penalty in history:
        if step in shown:
            print(f"{step:>5} {total:12.6f} {task:12.6f} {penalty:12.6f}")
    print(
        "weight gradient of the first step against central differences of the objective "
        f"(numpy, ∇ₓ f by hand): largest relative difference {result['max_rel_error']:.1e}"
    )
    return 0 if result["max_rel_error"] < 1e-9 else 1


if __name__ == "__main__":
    sys.exit(main())

"""Two moons: one network trained on the scalar engine and on the tensor engine.

    pip install -e ".[digits,plot]" && python examples/moons.py [--out DIR] [--quick]

scikit-learn's ``make_moons`` gives two interleaved half circles no straight
line separates. A 2-16-16-1 tanh network learns them with the binary
cross-entropy of its logit, in two ways from the same starting weights:

- the **scalar engine**: each sample goes through the network as Python
  ``Value`` nodes (one per multiply and add), and the per-sample losses are
  averaged; slow, and every number is visible;
- the **tensor engine**: the whole batch goes through as numpy arrays, three
  matmuls.

Both are the same function, so after the same Adam steps the two copies hold
the same weights, up to rounding. The tensor engine then trains on to the end.

Claims: after the shared steps (20; --quick: 3) the two copies' weights differ
by less than 1e-9; after 600 steps the test accuracy is at least 97%
(--quick: 150 steps, at least 85%).
"""

from __future__ import annotations

import copy

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import claim, options
from sklearn.datasets import make_moons

from tinygrad_mlp import Value, no_grad
from tinygrad_mlp.losses import bce_with_logits
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import Adam


def scalar_loss(net: MLP, x: np.ndarray, z: np.ndarray) -> Value:
    """Mean over samples of max(s, 0) − s·z + ln(1 + e^−|s|), one Value graph per sample."""
    total = Value(0.0)
    for row, target in zip(x, z, strict=True):
        s = net([float(v) for v in row])[0]
        magnitude = s.relu() + (-s).relu()  # |s|
        total = total + s.relu() - s * float(target) + ((-magnitude).exp() + 1.0).log()
    return total / len(x)


def step(net: MLP, optimizer: Adam, x: np.ndarray, z: np.ndarray, engine: str) -> float:
    """One full-batch Adam step on ``engine``; the loss before it."""
    optimizer.zero_grad()
    loss = scalar_loss(net, x, z) if engine == "scalar" else bce_with_logits(net(x), z[:, None])
    loss.backward()
    optimizer.step()
    return float(loss.data)


def accuracy(net: MLP, x: np.ndarray, z: np.ndarray) -> float:
    """The share of rows where the sign of the logit matches the label."""
    with no_grad():
        return float(((net(x).data[:, 0] >= 0) == (z == 1)).mean())


def boundary(ax, net: MLP, x: np.ndarray, z: np.ndarray, title: str) -> None:
    """σ(s) over the plane, the boundary s = 0, and the points."""
    gx, gy = np.meshgrid(np.linspace(-1.6, 2.6, 220), np.linspace(-1.1, 1.6, 150))
    with no_grad():
        s = net(np.column_stack([gx.ravel(), gy.ravel()])).data.reshape(gx.shape)
    ax.contourf(gx, gy, 1 / (1 + np.exp(-s)), levels=20, cmap="RdBu", alpha=0.55)
    ax.contour(gx, gy, s, levels=[0.0], colors="k")
    ax.scatter(x[z == 1, 0], x[z == 1, 1], s=12, c="tab:blue", edgecolors="k", linewidths=0.3)
    ax.scatter(x[z == 0, 0], x[z == 0, 1], s=12, c="tab:red", edgecolors="k", linewidths=0.3)
    ax.set(title=title, xticks=[], yticks=[])


def main() -> None:
    args = options("moons", __doc__)
    shared, total, target = (3, 150, 0.85) if args.quick else (20, 600, 0.97)
    x, z = make_moons(n_samples=400, noise=0.1, random_state=0)
    x_train, z_train, x_test, z_test = x[:300], z[:300], x[300:], z[300:]

    tensor_net = MLP(2, [16, 16, 1], activation="tanh", output_activation="linear", seed=0)
    scalar_net = copy.deepcopy(tensor_net)
    tensor_opt = Adam(tensor_net.parameters(), lr=0.01)
    scalar_opt = Adam(scalar_net.parameters(), lr=0.01)
    for k in range(1, shared + 1):
        ls = step(scalar_net, scalar_opt, x_train, z_train, "scalar")
        lt = step(tensor_net, tensor_opt, x_train, z_train, "tensor")
        if k in (1, shared):
            print(f"step {k:>3}: loss on the scalar engine {ls:.12f}, on the tensor {lt:.12f}")
    gap = max(
        float(np.abs(a.data - b.data).max())
        for a, b in zip(scalar_net.parameters(), tensor_net.parameters(), strict=True)
    )
    print(f"after {shared} steps the two copies' weights differ by at most {gap:.1e}")

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    boundary(axes[0], scalar_net, x_train, z_train, f"scalar engine, {shared} steps")
    boundary(axes[1], tensor_net, x_train, z_train, f"tensor engine, {shared} steps")

    for k in range(shared + 1, total + 1):
        loss = step(tensor_net, tensor_opt, x_train, z_train, "tensor")
        if k % 150 == 0:
            print(
                f"step {k:>3}: loss {loss:.4f}, train accuracy "
                f"{accuracy(tensor_net, x_train, z_train):.3f}"
            )
    test = accuracy(tensor_net, x_test, z_test)
    print(f"test accuracy after {total} steps: {test:.3f} ({len(z_test)} held-out points)")
    boundary(axes[2], tensor_net, x_test, z_test, f"{total} steps, test accuracy {test:.1%}")
    fig.tight_layout()
    path = args.out / "moons.png"
    fig.savefig(path, dpi=100)
    print(f"picture: {path}")

    claim(gap < 1e-9, f"the scalar and tensor engines agree after {shared} steps (1e-9)")
    claim(test >= target, f"test accuracy is at least {target:.0%}")


if __name__ == "__main__":
    main()

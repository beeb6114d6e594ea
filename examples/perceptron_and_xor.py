"""One neuron learns AND and cannot learn XOR; two layers can.

    python examples/perceptron_and_xor.py [--out DIR] [--quick]

A single neuron computes s = w₀x₀ + w₁x₁ + b and answers 1 where s ≥ 0: its
decision boundary is the straight line s = 0. AND's ones and zeros lie on
either side of such a line; XOR's do not, and the script prints why. A 2-4-1
network bends the boundary and gets all four XOR rows right.

Claims: the neuron gets 4/4 on AND, at most 3/4 on XOR (no line does better:
the printed inequalities contradict), and the 2-4-1 MLP gets 4/4 on XOR with a
loss below 0.01 after 500 Adam steps (--quick: 200 steps, loss below 0.1).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import claim, options

from tinygrad_mlp import no_grad
from tinygrad_mlp.losses import bce_with_logits
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import Adam

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND = np.array([[0.0], [0.0], [0.0], [1.0]])
XOR = np.array([[0.0], [1.0], [1.0], [0.0]])


def train(net: MLP, z: np.ndarray, steps: int, lr: float) -> float:
    """Full-batch Adam on the binary cross-entropy of the logits; the last loss."""
    optimizer = Adam(net.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        loss = bce_with_logits(net(X), z)
        loss.backward()
        optimizer.step()
    return loss.item()


def accuracy(net: MLP, z: np.ndarray) -> int:
    """How many of the four rows the network classifies right (σ(s) ≥ ½ ⇔ s ≥ 0)."""
    with no_grad():
        return int(((net(X).data >= 0) == (z == 1)).sum())


def draw_line(ax, line: np.ndarray, title: str, z: np.ndarray) -> None:
    """The points, the boundary w₀x₀ + w₁x₁ + b = 0 and a ring round each row it gets wrong."""
    w0, w1, b = line
    xs = np.linspace(-0.5, 1.5, 2)
    ax.plot(xs, -(w0 * xs + b) / w1, "k--", label="w·x + b = 0")
    wrong = (X @ [w0, w1] + b >= 0) != (z[:, 0] == 1)
    ax.scatter(*X[wrong].T, s=500, facecolors="none", edgecolors="orange", lw=2, label="wrong")
    ax.scatter(*X[z[:, 0] == 1].T, s=120, c="tab:blue", label="1")
    ax.scatter(*X[z[:, 0] == 0].T, s=120, c="tab:red", marker="s", label="0")
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="x₀", ylabel="x₁", title=title)
    ax.set_aspect("equal")
    ax.legend(loc="lower left", fontsize=8)


def draw_regions(ax, net: MLP, title: str, z: np.ndarray) -> None:
    """The MLP's σ(s) over the square, and the ½ contour: its decision boundary."""
    grid = np.linspace(-0.5, 1.5, 161)
    gx, gy = np.meshgrid(grid, grid)
    with no_grad():
        s = net(np.column_stack([gx.ravel(), gy.ravel()])).data.reshape(gx.shape)
    ax.contourf(gx, gy, 1 / (1 + np.exp(-s)), levels=20, cmap="RdBu", alpha=0.6)
    ax.contour(gx, gy, s, levels=[0.0], colors="k", linestyles="--")
    ax.scatter(*X[z[:, 0] == 1].T, s=120, c="tab:blue", edgecolors="k")
    ax.scatter(*X[z[:, 0] == 0].T, s=120, c="tab:red", marker="s", edgecolors="k")
    ax.set(xlim=(-0.5, 1.5), ylim=(-0.5, 1.5), xlabel="x₀", ylabel="x₁", title=title)
    ax.set_aspect("equal")


def main() -> None:
    args = options("perceptron_and_xor", __doc__)
    steps, limit = (200, 0.1) if args.quick else (500, 0.01)

    neuron_and = MLP(2, [1], output_activation="linear", seed=0)
    loss_and = train(neuron_and, AND, 500, 0.1)
    right_and = accuracy(neuron_and, AND)
    print(f"one neuron on AND: {right_and}/4 right, loss {loss_and:.4f}")

    neuron_xor = MLP(2, [1], output_activation="linear", seed=0)
    loss_xor = train(neuron_xor, XOR, 500, 0.1)
    right_xor = accuracy(neuron_xor, XOR)
    (w0, w1), b = neuron_xor.layers[0].weight.data[0], neuron_xor.layers[0].bias.data[0]
    print(f"one neuron on XOR: {right_xor}/4 right, loss {loss_xor:.4f} (ln 2 = 0.6931)")
    print(f"  it settles at w = ({w0:.3f}, {w1:.3f}), b = {b:.3f}: σ(s) ≈ ½ everywhere")
    print("  why no line works: XOR needs s < 0 at (0,0) and (1,1), s ≥ 0 at (0,1) and (1,0):")
    print("    (0,0): b < 0          (0,1): w₁ + b ≥ 0")
    print("    (1,1): w₀ + w₁ + b < 0    (1,0): w₀ + b ≥ 0")
    print("  adding the right column: w₀ + w₁ + 2b ≥ 0, so w₀ + w₁ + b ≥ −b > 0,")
    print("  which contradicts the third line. One line gets at most three rows right.")
    rng = np.random.default_rng(0)
    lines = rng.normal(size=(100_000, 3))
    s = X @ lines[:, :2].T + lines[:, 2]
    right = ((s >= 0) == (XOR == 1)).sum(axis=0)
    best = int(right.max())
    print(f"  the best of 100000 random lines: {best}/4")

    mlp = MLP(2, [4, 1], activation="tanh", output_activation="linear", seed=0)
    loss_mlp = train(mlp, XOR, steps, 0.05)
    right_mlp = accuracy(mlp, XOR)
    print(f"2-4-1 MLP on XOR after {steps} steps: {right_mlp}/4 right, loss {loss_mlp:.4f}")

    fig, axes = plt.subplots(1, 3, figsize=(13, 4.4))
    weights = np.append(neuron_and.layers[0].weight.data[0], neuron_and.layers[0].bias.data)
    draw_line(axes[0], weights, f"one neuron, AND: {right_and}/4", AND)
    # The trained neuron sits at w = 0 (no line at all); draw the best line there is instead.
    draw_line(axes[1], lines[right.argmax()], f"XOR: the best line gets {best}/4", XOR)
    draw_regions(axes[2], mlp, f"2-4-1 MLP, XOR: {right_mlp}/4", XOR)
    fig.tight_layout()
    path = args.out / "perceptron_and_xor.png"
    fig.savefig(path, dpi=100)
    print(f"picture: {path}")

    claim(right_and == 4, "one neuron classifies AND: 4/4")
    claim(right_xor <= 3 and best <= 3, "one neuron (and any line) gets at most 3/4 of XOR")
    claim(right_mlp == 4 and loss_mlp < limit, f"the MLP gets 4/4 on XOR with loss < {limit}")


if __name__ == "__main__":
    main()

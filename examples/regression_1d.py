"""Regression of a noisy 1-D function: the fitted curve over the data.

    python examples/regression_1d.py [--out DIR] [--quick]

The data are y = sin(2πx) + 0.3x plus Gaussian noise (sd 0.1) at 200 points of
[0, 1]. A 1-32-32-1 tanh network with a linear output learns y by the
mean squared error, full-batch Adam (η = 0.01), on the tensor engine.

Claim: on a fresh noiseless grid, the root-mean-square distance between the
fitted curve and the true function is below 0.05 after 1500 steps (--quick:
200 steps, below 0.2). The noise itself has sd 0.1, so 0.05 means the network
found the function rather than the noise.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import claim, options

from tinygrad_mlp import no_grad
from tinygrad_mlp.losses import mse_mean
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import Adam


def truth(x: np.ndarray) -> np.ndarray:
    """The function the data are drawn from."""
    return np.sin(2 * np.pi * x) + 0.3 * x


def main() -> None:
    args = options("regression_1d", __doc__)
    steps, limit = (200, 0.2) if args.quick else (1500, 0.05)
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, size=(200, 1))
    y = truth(x) + rng.normal(0, 0.1, size=x.shape)

    net = MLP(1, [32, 32, 1], activation="tanh", output_activation="linear", seed=0)
    optimizer = Adam(net.parameters(), lr=0.01)
    for k in range(1, steps + 1):
        optimizer.zero_grad()
        loss = mse_mean(net(x), y)  # mean of (y − z)² over the 200 points
        loss.backward()
        optimizer.step()
        if k % (steps // 4) == 0:
            print(f"step {k:>4}: mean squared error on the data {loss.item():.4f}")

    grid = np.linspace(0, 1, 501)[:, None]
    with no_grad():
        fitted = net(grid).data
    rmse = float(np.sqrt(((fitted - truth(grid)) ** 2).mean()))
    noise = float(np.sqrt(((y - truth(x)) ** 2).mean()))
    print(f"RMS distance of the fitted curve from the true function: {rmse:.4f}")
    print(f"RMS of the noise in the data (the floor a fit to the data sees): {noise:.4f}")

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.scatter(x, y, s=10, c="grey", alpha=0.7, label="data (noise sd 0.1)")
    ax.plot(grid, truth(grid), "k--", lw=1, label="sin(2πx) + 0.3x")
    ax.plot(grid, fitted, "tab:red", lw=2, label=f"1-32-32-1 MLP, {steps} steps")
    ax.set(xlabel="x", ylabel="y", title=f"Regression: RMS error to the truth {rmse:.3f}")
    ax.legend()
    fig.tight_layout()
    path = args.out / "regression_1d.png"
    fig.savefig(path, dpi=100)
    print(f"picture: {path}")

    claim(rmse < limit, f"the fitted curve is within {limit} (RMS) of the true function")


if __name__ == "__main__":
    main()

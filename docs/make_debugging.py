"""Regenerate the pictures of docs/debugging.md: ``python docs/make_debugging.py``.

Trains the page's small networks (each pathology and a healthy twin) under a
``health.Monitor`` and saves its plot, and draws the graph of one ``AnomalyError``
(needs Graphviz's ``dot`` program). Every picture goes to docs/img/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_mlp import AnomalyError, Tensor, detect_anomaly  # noqa: E402
from tinygrad_mlp.health import Monitor  # noqa: E402
from tinygrad_mlp.losses import mse_mean  # noqa: E402
from tinygrad_mlp.nn import MLP  # noqa: E402
from tinygrad_mlp.optim import SGD  # noqa: E402
from tinygrad_mlp.viz import draw_graph, write_picture  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"


def regression(low: float = -1.0, high: float = 1.0, n: int = 64):
    """The page's data: two inputs in [low, high], a target of their shape."""
    rng = np.random.default_rng(0)
    x = rng.uniform(low, high, (n, 2))
    u = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, u[:, :1] * u[:, 1:] + 0.5 * u[:, :1]


def train(act: str, lr: float, x, z, bias: float | None = None, epochs: int = 40) -> Monitor:
    """Full-batch SGD, one step an epoch, watched by a Monitor."""
    init = "kaiming" if act == "relu" else "xavier"
    net = MLP(2, [16 if act != "sigmoid" else 8, 1], act, "linear", seed=0, init=init)
    if bias is not None:
        net.layers[0].bias.data[...] = bias
    optimizer, monitor = SGD(net.parameters(), lr=lr), Monitor(net)
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            optimizer.zero_grad()
            mse_mean(net(x), z).backward()
            monitor.record(epoch, epoch=epoch)
            optimizer.step()
    return monitor


def main() -> None:
    IMG.mkdir(exist_ok=True)
    x, z = regression()
    hundreds, _ = regression(100.0, 900.0)
    runs = {
        "health-healthy": train("tanh", 0.1, x, z),
        "health-saturated": train("sigmoid", 0.05, hundreds, z),
        "health-dead": train("relu", 0.1, x, z, bias=-5.0),
        "health-lr-high": train("tanh", 10.0, x, z),
        "health-lr-low": train("tanh", 1e-6, x, z),
    }
    for name, monitor in runs.items():
        monitor.plot(IMG / f"{name}.png")
        print(f"{name}.png: {len(monitor.findings)} findings")
    # one anomaly, drawn: 0 / 0 in a layer normalisation
    w = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True, label="W")
    h = (Tensor([[1.0, 2.0], [-1.0, -2.0]], label="x") @ w.T).relu()
    try:
        with detect_anomaly():
            (h - h.mean(axis=1, keepdims=True)) / h.std(axis=1, keepdims=True)
    except AnomalyError as err:
        write_picture(draw_graph(err), IMG / "anomaly-layer-norm.svg")
        print("anomaly-layer-norm.svg")


if __name__ == "__main__":
    main()

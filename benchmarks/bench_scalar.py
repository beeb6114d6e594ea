"""Scalar engine against micrograd 0.1.0, side by side in one run.

One training step of MLP(2, [16, 16, 1]) on 100 two-dimensional points: the
forward pass of every point, one graph for the summed squared error, backward,
and an SGD update. Both networks use relu hidden layers and a linear output
(micrograd's MLP), and the same data.

    python benchmarks/bench_scalar.py
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import median_time, print_table, write_results  # noqa: E402
from tinygrad_mlp.nn import MLP  # noqa: E402
from tinygrad_mlp.optim import SGD  # noqa: E402

POINTS = 100
rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (POINTS, 2)).tolist()
Y = [1.0 if a * b > 0 else -1.0 for a, b in X]


def ours_step_factory():
    net = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    opt = SGD(net.parameters(), lr=1e-3)

    def step():
        out = [net(x)[0] for x in X]
        loss = sum((o - y) ** 2 for o, y in zip(out, Y, strict=True))
        opt.zero_grad()
        loss.backward()
        opt.step()

    return step


def micrograd_step_factory():
    from micrograd.nn import MLP as MicroMLP

    random.seed(0)
    net = MicroMLP(2, [16, 16, 1])

    def step():
        out = [net(x) for x in X]
        loss = sum((o - y) ** 2 for o, y in zip(out, Y, strict=True))
        net.zero_grad()
        loss.backward()
        for p in net.parameters():
            p.data -= 1e-3 * p.grad

    return step


def main() -> None:
    ours = median_time(ours_step_factory(), repeats=7)
    try:
        theirs = median_time(micrograd_step_factory(), repeats=7)
    except ImportError:
        theirs = None
    rows = [["tinygrad_mlp Value", f"{ours * 1e3:.1f}", "1.00"]]
    if theirs is not None:
        rows.append(["micrograd 0.1.0", f"{theirs * 1e3:.1f}", f"{theirs / ours:.2f}"])
    print(f"MLP(2, [16, 16, 1]), {POINTS} points, one step (median of 7)")
    print_table(["engine", "ms/step", "micrograd/ours" if theirs else "ratio"], rows)
    path = write_results(
        "scalar",
        [
            {
                "benchmark": "mlp_2_16_16_1_100_points_step",
                "ours_s": ours,
                "micrograd_s": theirs,
                "speedup_vs_micrograd": None if theirs is None else theirs / ours,
            }
        ],
    )
    print(f"results written to benchmarks/results/{path.name}")


if __name__ == "__main__":
    main()

"""Scalar engine against micrograd 0.1.0, side by side in one run.

One training step of MLP(2, [16, 16, 1]) on 100 two-dimensional points: the
forward pass of every point, one graph for the summed squared error, backward,
and an SGD update. Both networks use relu hidden layers and a linear output
(micrograd's MLP), and the same data. It is timed in two regimes (see ``main``).

    python benchmarks/bench_scalar.py
"""

from __future__ import annotations

import gc
import random
import statistics
import sys
import time
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


def collected(step):
    """``step`` run on a freshly collected heap: no garbage of earlier steps to trace."""

    def run():
        gc.collect()
        start = time.perf_counter()
        step()
        return time.perf_counter() - start

    return run


def median_collected(step, repeats: int = 7) -> float:
    run = collected(step)
    run()
    return statistics.median(run() for _ in range(repeats))


def median_gc_off(step, repeats: int = 7) -> float:
    """CPU time of ``step`` with the collector off (the raw work, no collection at all)."""
    was = gc.isenabled()
    gc.collect()
    gc.disable()
    try:
        step()
        times = []
        for _ in range(repeats):
            start = time.process_time()
            step()
            times.append(time.process_time() - start)
    finally:
        if was:
            gc.enable()
    return statistics.median(times)


def main() -> None:
    ours_step = ours_step_factory()
    try:
        theirs_step = micrograd_step_factory()
    except ImportError:
        theirs_step = None
    rows, results = [], []
    # NOTE: two regimes. "training loop": steps back to back with the collector
    # as Python runs it, garbage of earlier steps included (micrograd's closures
    # make reference cycles, which only the collector frees). "collected heap":
    # gc.collect() before each timed step, so only the step's own work counts.
    # "collector off": CPU time with gc disabled, three interleaved rounds, best median.
    regimes = (
        ("training loop", median_time),
        ("collected heap", median_collected),
        ("collector off", median_gc_off),
    )
    for regime, timer in regimes:
        ours = theirs = float("inf")
        for _ in range(3 if regime == "collector off" else 1):
            ours = min(ours, timer(ours_step, 7))
            theirs = min(theirs, timer(theirs_step, 7)) if theirs_step else None
        ratio = None if theirs is None else theirs / ours
        rows.append(
            [
                regime,
                f"{ours * 1e3:.1f}",
                "-" if theirs is None else f"{theirs * 1e3:.1f}",
                "-" if ratio is None else f"{ratio:.2f}",
            ]
        )
        results.append(
            {
                "benchmark": "mlp_2_16_16_1_100_points_step",
                "regime": regime,
                "ours_s": ours,
                "micrograd_s": theirs,
                "speedup_vs_micrograd": ratio,
            }
        )
    print(f"MLP(2, [16, 16, 1]), {POINTS} points, one step (median of 7)")
    print_table(["regime", "ours ms", "micrograd 0.1.0 ms", "micrograd/ours"], rows)
    path = write_results("scalar", results)
    print(f"results written to benchmarks/results/{path.name}")


if __name__ == "__main__":
    main()

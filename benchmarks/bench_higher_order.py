"""Cost of a Hessian-vector product relative to one gradient, on both engines.

One gradient: forward, loss, first-order backward. One Hessian-vector product,
two ways: composed by hand (forward, loss, backward with ``create_graph=True``,
g · v, and a second backward), and ``functional.hvp`` (the second sweep seeded
with v at g, no g · v nodes). Theory says about 2-4x. Medians of CPU time over
interleaved repeats.

    python benchmarks/bench_higher_order.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

# NOTE: one BLAS thread, so that a loaded machine's spinning threads do not swamp the ratio
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, write_results  # noqa: E402
from tinygrad_mlp import Tensor, Value, functional, grad  # noqa: E402
from tinygrad_mlp.losses import mse  # noqa: E402
from tinygrad_mlp.tensor import linear  # noqa: E402


def tensor_case(sizes, n):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, sizes[0]))
    z = rng.uniform(0, 1, (n, sizes[-1]))
    params = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        params += [Tensor(rng.uniform(-1, 1, (b, a)), requires_grad=True)]
        params += [Tensor(rng.uniform(-1, 1, b), requires_grad=True)]
    vs = [rng.normal(size=p.shape) for p in params]

    def loss():
        h = Tensor(x)
        for k in range(0, len(params), 2):
            h = linear(h, params[k], params[k + 1]).tanh()
        return mse(h, z)

    def gradient():
        grad(loss(), params)

    def hvp():
        gs = grad(loss(), params, create_graph=True)
        total = None
        for g, v in zip(gs, vs, strict=True):
            term = (g * v).sum()
            total = term if total is None else total + term
        grad(total, params)

    def forward(*ps):
        h = Tensor(x)
        for k in range(0, len(ps), 2):
            h = linear(h, ps[k], ps[k + 1]).tanh()
        return mse(h, z)

    arrays = tuple(p.data for p in params)

    def library_hvp():
        functional.hvp(forward, tuple(Tensor(a) for a in arrays), tuple(vs))

    return gradient, hvp, library_hvp


def scalar_case():
    rng = np.random.default_rng(0)
    ws = [Value(v) for v in rng.uniform(-1, 1, 2 * 8 + 8 + 8 + 1)]
    points = rng.uniform(-1, 1, (20, 2)).tolist()

    def loss():
        total = Value(0.0)
        for x0, x1 in points:
            h = [(ws[2 * j] * x0 + ws[2 * j + 1] * x1 + ws[16 + j]).tanh() for j in range(8)]
            y = sum((h[j] * ws[24 + j] for j in range(8)), ws[-1])
            total = total + (y - 0.5) ** 2
        return total

    def gradient():
        grad(loss(), ws)

    def hvp():
        gs = grad(loss(), ws, create_graph=True)
        grad(sum(gs[1:], gs[0]), ws, allow_unused=True)

    return gradient, hvp, None


def cpu_median(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    cases = {
        "tensor 2-16-16-1 x32": tensor_case([2, 16, 16, 1], 32),
        "tensor 784-128-64-10 x128": tensor_case([784, 128, 64, 10], 128),
        "scalar 2-8-1 x20": scalar_case(),
    }
    rows, records = [], []
    for name, (gradient, composed, library) in cases.items():
        for how, hvp in (("composed", composed), ("functional.hvp", library)):
            if hvp is None:
                continue
            gradient(), hvp()
            g_times, h_times = [], []
            for _ in range(5):  # interleaved blocks
                g_times.append(cpu_median(gradient, args.repeats))
                h_times.append(cpu_median(hvp, args.repeats))
            g, h = statistics.median(g_times), statistics.median(h_times)
            ratios = [b / a for a, b in zip(g_times, h_times, strict=True)]
            rows.append(
                [
                    name,
                    how,
                    f"{g * 1e3:.3f}",
                    f"{h * 1e3:.3f}",
                    f"{h / g:.2f}",
                    f"{min(ratios):.2f}-{max(ratios):.2f}",
                ]
            )
            records.append(
                {"case": name, "hvp": how, "gradient_s": g, "hvp_s": h, "ratios": ratios}
            )
    print_table(["case", "hvp", "gradient ms", "hvp ms", "hvp/gradient", "spread"], rows)
    path = write_results("higher_order", records)
    print(f"results written to benchmarks/results/{path.name}")


if __name__ == "__main__":
    main()

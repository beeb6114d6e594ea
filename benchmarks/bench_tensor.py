"""Tensor engine against PyTorch CPU and a hand-written numpy floor, in one run.

One full training step — zero_grad, forward, ½-sum mse loss, backward, SGD
step — of the same network on the same batch, timed three ways:

- tinygrad_mlp's ``Tensor`` engine through ``MLP``;
- PyTorch 2.13.0 on the CPU, with as many threads as numpy's BLAS uses;
- numpy by hand: the forward and backward of this network written out, with no
  graph at all. No numpy engine can beat it by much; it is the floor.
- a bare graph engine: the least a Python graph of array nodes can do (one object
  per op, a sorted sweep, a dict of gradients; no checks, no dtypes, no hooks). It
  says what one Python node per op costs by itself, whatever the engine.

    python benchmarks/bench_tensor.py [--repeats 10] [--tuned-malloc] [--cpu-time]

``--tuned-malloc`` runs the same suite with glibc's malloc told never to hand
freed memory back to the system (MALLOC_TRIM_THRESHOLD_ and
MALLOC_MMAP_THRESHOLD_ at 256 MiB), for all three contenders alike. A graph
engine frees a whole step's arrays at once; by default glibc then returns them
to the system and the next step page-faults them back in, which the
hand-written floor, freeing as it goes, never does. The two tables show what
that costs.

``--cpu-time`` times CPU time (``time.process_time``) instead of wall time, the
contenders interleaved step block by step block, medians: steadier on a shared
machine. Run it with one BLAS thread (OPENBLAS_NUM_THREADS=1) so that spinning
pool threads are not counted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import best_of_rounds, print_table, write_results  # noqa: E402
from tinygrad_mlp.losses import mse  # noqa: E402
from tinygrad_mlp.nn import MLP  # noqa: E402
from tinygrad_mlp.optim import SGD  # noqa: E402

CASES = [
    ("small", [2, 16, 16, 1], "tanh", 32),
    ("medium", [784, 128, 64, 10], "sigmoid", 128),
    ("large", [784, 512, 512, 10], "relu", 512),
]
LR = 1e-3
TUNED = 256 * 1024 * 1024


def batch(sizes, n, dtype):
    rng = np.random.default_rng(0)
    return rng.uniform(-1, 1, (n, sizes[0])).astype(dtype), rng.uniform(
        0, 1, (n, sizes[-1])
    ).astype(dtype)


def ours(sizes, act, x, z, dtype):
    net = MLP(sizes[0], sizes[1:], activation=act, seed=0, dtype=dtype)
    opt = SGD(net.parameters(), lr=LR)

    def step():
        opt.zero_grad()
        loss = mse(net(x), z)
        loss.backward()
        opt.step()

    return step


#: The floor's activations: f(s), and f' from the output a (and s, for relu).
ACTIVATIONS = {
    "tanh": (np.tanh, lambda a, s: 1 - a * a),
    "sigmoid": (lambda s: 0.5 * (np.tanh(0.5 * s) + 1), lambda a, s: a * (1 - a)),
    "relu": (lambda s: np.maximum(s, 0), lambda a, s: s > 0),
}


def weights(sizes, dtype):
    """The floor's weights and biases (seed 0), which every hand-written step starts from."""
    rng = np.random.default_rng(0)
    ws = [rng.uniform(-1, 1, (o, i)).astype(dtype) for i, o in zip(sizes, sizes[1:], strict=False)]
    return ws, [rng.uniform(-1, 1, o).astype(dtype) for o in sizes[1:]]


def numpy_floor(sizes, act, x, z, dtype):
    ws, bs = weights(sizes, dtype)
    f, df = ACTIVATIONS[act]

    def step():
        acts, sums = [x], []
        for w, b in zip(ws, bs, strict=True):
            s = acts[-1] @ w.T + b
            sums.append(s)
            acts.append(f(s))
        grad = acts[-1] - z  # d(½ Σ (y - z)²)/dy
        for k in reversed(range(len(ws))):
            delta = grad * df(acts[k + 1], sums[k])
            grad_w = delta.T @ acts[k]
            grad_b = delta.sum(axis=0)
            if k:
                grad = delta @ ws[k]
            ws[k] -= LR * grad_w
            bs[k] -= LR * grad_b

    return step


class _Node:
    __slots__ = ("data", "grad", "prev", "rule")

    def __init__(self, data, prev=(), rule=None):
        self.data, self.grad, self.prev, self.rule = data, None, prev, rule


def bare_graph(sizes, act, x, z, dtype):
    """The same step on a bare graph: one node per product, sum and activation."""
    ws, bs = ([_Node(a) for a in arrays] for arrays in weights(sizes, dtype))
    params, inputs, targets = ws + bs, _Node(x), _Node(z)
    f, df = ACTIVATIONS[act]

    def rules(node, g):
        rule = node.rule
        if rule == "matmul":
            a, w = node.prev
            yield w, g.T @ a.data
            if a is not inputs:
                yield a, g @ w.data
        elif rule == "add":
            a, b = node.prev
            yield a, g
            yield b, g.sum(axis=0)
        elif rule == "act":
            (a,) = node.prev
            yield a, g * df(node.data, a.data)
        else:  # ½ Σ (y − z)²
            yield node.prev[0], node.prev[0].data - targets.data

    def order(root):
        out, seen = [], set()

        def visit(node):
            if node not in seen:
                seen.add(node)
                for parent in node.prev:
                    visit(parent)
                out.append(node)

        visit(root)
        return out

    def step():
        for p in params:
            p.grad = None
        a = inputs
        for w, b in zip(ws, bs, strict=True):
            s = _Node(a.data @ w.data.T, (a, w), "matmul")
            s = _Node(s.data + b.data, (s, b), "add")
            a = _Node(f(s.data), (s,), "act")
        diff = a.data - targets.data
        loss = _Node(0.5 * np.vdot(diff, diff), (a, targets), "loss")
        grads = {loss: 1.0}
        for node in reversed(order(loss)):
            g = grads.pop(node, None)
            if g is None:
                continue
            if node.rule is None:
                node.grad = g
                continue
            for parent, pg in rules(node, g):
                grads[parent] = grads[parent] + pg if parent in grads else pg
        for p in params:
            p.data -= LR * p.grad

    return step


def torch_step(sizes, act, x, z, dtype):
    import torch

    tdtype = torch.float64 if dtype == np.float64 else torch.float32
    layers = []
    for i, o in zip(sizes, sizes[1:], strict=False):
        layers += [
            torch.nn.Linear(i, o, dtype=tdtype),
            {"tanh": torch.nn.Tanh, "sigmoid": torch.nn.Sigmoid, "relu": torch.nn.ReLU}[act](),
        ]
    net = torch.nn.Sequential(*layers)
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    tx, tz = torch.from_numpy(x), torch.from_numpy(z)

    def step():
        opt.zero_grad()
        loss = 0.5 * ((net(tx) - tz) ** 2).sum()
        loss.backward()
        opt.step()

    return step


def interleaved_cpu(steps: dict, repeats: int, rounds: int = 9) -> dict[str, float]:
    """Median CPU time per step of each contender, blocks of steps taking turns."""
    for step in steps.values():
        step()
        step()
    start = time.process_time()
    next(iter(steps.values()))()
    once = max(time.process_time() - start, 1e-5)
    number = max(1, min(repeats, int(0.05 / once)))  # about 50 ms per block
    times: dict[str, list[float]] = {name: [] for name in steps}
    order = list(steps.items())
    for r in range(rounds):
        for name, step in order if r % 2 == 0 else reversed(order):
            start = time.process_time()
            for _ in range(number):
                step()
            times[name].append((time.process_time() - start) / number)
    return {name: statistics.median(t) for name, t in times.items()}


def blas_threads() -> int:
    try:
        from threadpoolctl import threadpool_info

        return max(
            (p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"), default=1
        )
    except ImportError:
        return 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--tuned-malloc",
        action="store_true",
        help="keep freed memory in the process (glibc), for every engine",
    )
    parser.add_argument(
        "--cpu-time", action="store_true", help="CPU time, interleaved blocks, medians"
    )
    args = parser.parse_args()
    tuned = os.environ.get("MALLOC_TRIM_THRESHOLD_") == str(TUNED)
    if args.tuned_malloc and not tuned:
        # NOTE: glibc reads these once, at start-up: run this script again with them set.
        env = {
            **os.environ,
            "MALLOC_TRIM_THRESHOLD_": str(TUNED),
            "MALLOC_MMAP_THRESHOLD_": str(TUNED),
        }
        os.execve(sys.executable, [sys.executable, *sys.argv], env)
    try:
        import torch

        threads = blas_threads()
        torch.set_num_threads(threads)
    except ImportError:
        torch = None
        threads = blas_threads()
    rows, table = [], []
    for name, sizes, act, n in CASES:
        for dtype in (np.float64, np.float32):
            x, z = batch(sizes, n, dtype)
            steps = {
                "ours": ours(sizes, act, x, z, dtype),
                "floor": numpy_floor(sizes, act, x, z, dtype),
                "bare": bare_graph(sizes, act, x, z, dtype),
            }
            if torch:
                steps["torch"] = torch_step(sizes, act, x, z, dtype)
            if args.cpu_time:
                medians = interleaved_cpu(steps, max(args.repeats, 200))
            else:
                medians = best_of_rounds(steps, args.repeats)
            t_ours, t_floor, t_torch = medians["ours"], medians["floor"], medians.get("torch")
            t_bare = medians["bare"]
            label = f"{name} {'-'.join(map(str, sizes))} {act} b{n} {np.dtype(dtype).name}"
            rows.append(
                {
                    "case": name,
                    "sizes": sizes,
                    "activation": act,
                    "batch": n,
                    "dtype": np.dtype(dtype).name,
                    "ours_s": t_ours,
                    "numpy_floor_s": t_floor,
                    "bare_graph_s": t_bare,
                    "torch_s": t_torch,
                    "ours_over_floor": t_ours / t_floor,
                    "bare_over_floor": t_bare / t_floor,
                    "torch_over_ours": None if t_torch is None else t_torch / t_ours,
                }
            )
            table.append(
                [
                    label,
                    f"{t_ours * 1e3:.3f}",
                    f"{t_floor * 1e3:.3f}",
                    f"{t_bare * 1e3:.3f}",
                    "-" if t_torch is None else f"{t_torch * 1e3:.3f}",
                    f"{t_ours / t_floor:.2f}",
                    f"{t_bare / t_floor:.2f}",
                    "-" if t_torch is None else f"{t_torch / t_ours:.2f}",
                ]
            )
    timing = (
        "CPU time, medians of 9 interleaved blocks"
        if args.cpu_time
        else f"best of 3 medians of {args.repeats} runs"
    )
    print(
        f"one training step: {timing}; "
        f"BLAS and torch threads: {threads}; "
        f"malloc: {'tuned (memory kept)' if tuned else 'glibc defaults'}"
    )
    print_table(
        [
            "case",
            "ours ms",
            "numpy ms",
            "bare ms",
            "torch ms",
            "ours/numpy",
            "bare/numpy",
            "torch/ours",
        ],
        table,
    )
    suite = "tensor-tuned-malloc" if tuned else "tensor"
    suite += "-cpu" if args.cpu_time else ""
    write_results(suite, rows)
    print(f"results written to benchmarks/results/{suite}.json")


if __name__ == "__main__":
    main()

"""A captured training step (``tinygrad_mlp.compile``) against its anchors, in one run.

Tensor engine: one step (zero_grad, forward, ½-sum mse, backward, SGD) of the
networks of bench_tensor.py, timed as

- ours eager and ours captured (``compile(step)``, after its capture and check);
- the hand-written numpy floor (bench_tensor.numpy_floor: forward, δ backward, update);
- PyTorch eager, and ``torch.compile`` of the same step where it runs here (the
  reason is printed where it does not);
- a straight-line replay written by hand: the step's numpy calls one after another
  into buffers made once, the loss's value included, the weight and bias gradients in
  one array so that SGD's ``lr * g`` is one call. No checks and no Python between the
  calls: what a replay generated as flat code could reach.

Scalar engine: one step of MLP(2, [16, 16, 1]) on 100 points (bench_scalar.py's),
ours eager, ours captured (generated float code) and micrograd 0.1.0 eager, with
the garbage collector off.

Times are CPU time (``time.process_time``, so other users of a shared machine
count less; run with OPENBLAS_NUM_THREADS=1, and torch gets as many threads),
the contenders take turns in interleaved rounds, and each takes the median of
its rounds. Ratios are against the floor (tensor) or micrograd
(scalar) of the same run.

    python benchmarks/bench_compile.py [--rounds 5] [--quick] [--no-torch-compile]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_scalar import micrograd_step_factory, ours_step_factory  # noqa: E402
from benchmarks.bench_tensor import (  # noqa: E402
    CASES,
    LR,
    batch,
    blas_threads,
    numpy_floor,
    ours,
    torch_step,
    weights,
)
from benchmarks.common import print_table, write_results  # noqa: E402
from tinygrad_mlp import compile  # noqa: E402, A004
from tinygrad_mlp.compiled import CompileWarning  # noqa: E402

#: steps per timed block, per case (about 0.1-0.5 s of work each on a quiet machine)
BLOCK = {"small": 400, "medium": 20, "large": 2}


def interleaved(steps: dict, block: int, rounds: int) -> dict[str, float]:
    """Median CPU seconds per call of each step, the steps taking turns each round."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    for step in steps.values():  # warm-up: captures, checks, caches
        for _ in range(3):
            step()
    for _ in range(rounds):
        for name, step in steps.items():
            start = time.process_time()
            for _ in range(block):
                step()
            times[name].append((time.process_time() - start) / block)
    return {name: statistics.median(t) for name, t in times.items()}


def straight_line(sizes, act, x, z, dtype):
    """The step of bench_tensor.numpy_floor as a replay could run it (see the docstring)."""
    ws, bs = weights(sizes, dtype)
    n, params = len(x), ws + bs
    grads = np.empty(sum(p.size for p in params), dtype)  # every gradient, one array
    scaled = np.empty_like(grads)
    cuts = np.cumsum([0] + [p.size for p in params])
    spans = list(zip(cuts[:-1], cuts[1:], params, strict=True))
    gviews = [grads[a:b].reshape(p.shape) for a, b, p in spans]
    sviews = [scaled[a:b].reshape(p.shape) for a, b, p in spans]
    gws, gbs = gviews[: len(ws)], gviews[len(ws) :]
    sums = [np.empty((n, o), dtype) for o in sizes[1:]]
    outs = [np.empty((n, o), dtype) for o in sizes[1:]]
    deltas = [np.empty((n, o), dtype) for o in sizes[1:]]
    slopes = [np.empty((n, o), dtype) for o in sizes[1:]]
    upstream = [np.empty((n, o), dtype) for o in sizes[1:-1]]
    diff, loss = np.empty_like(outs[-1]), np.empty((), dtype)
    matmul, add, sub, mul, tanh, reduce = (
        np.matmul,
        np.add,
        np.subtract,
        np.multiply,
        np.tanh,
        np.add.reduce,
    )
    layers = list(range(len(ws)))

    def f(s, out):
        if act == "tanh":
            tanh(s, out)
        elif act == "sigmoid":  # 0.5 (tanh(s/2) + 1), as the floor
            mul(s, 0.5, out)
            tanh(out, out)
            add(out, 1, out)
            mul(out, 0.5, out)
        else:
            np.maximum(s, 0, out=out)

    def slope(k):  # the floor's df, into slopes[k]
        a = outs[k]
        if act == "tanh":
            mul(a, a, slopes[k])
            sub(1, slopes[k], slopes[k])
        elif act == "sigmoid":
            sub(1, a, slopes[k])
            mul(a, slopes[k], slopes[k])
        else:
            np.greater(sums[k], 0, slopes[k])

    def step():
        a = x
        for k in layers:
            matmul(a, ws[k].T, sums[k])
            add(sums[k], bs[k], sums[k])
            f(sums[k], outs[k])
            a = outs[k]
        sub(a, z, diff)
        loss[()] = 0.5 * np.vdot(diff, diff)
        g = diff
        for k in reversed(layers):
            slope(k)
            mul(g, slopes[k], deltas[k])
            matmul(deltas[k].T, outs[k - 1] if k else x, gws[k])
            reduce(deltas[k], 0, None, gbs[k])
            if k:
                matmul(deltas[k], ws[k], upstream[k - 1])
                g = upstream[k - 1]
        mul(grads, LR, scaled)
        for p, t in zip(params, sviews, strict=True):
            sub(p, t, p)

    return step


def torch_compiled(sizes, act, x, z, dtype):
    """torch.compile of the torch step, or the one-line reason it does not run here."""
    try:
        import torch

        step = torch.compile(torch_step(sizes, act, x, z, dtype))
        step()
        return step, None
    except Exception as error:  # NOTE: any failure of the compiler stack is a reason to print
        return None, f"{type(error).__name__}: {str(error).splitlines()[0][:120]}"


def tensor_suite(args) -> list[dict]:
    rows, table, notes = [], [], []
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False
    cases = CASES[:1] if args.quick else CASES
    for name, sizes, act, n in cases:
        for dtype in (np.float64, np.float32):
            x, z = batch(sizes, n, dtype)
            steps = {
                "floor": numpy_floor(sizes, act, x, z, dtype),
                "eager": ours(sizes, act, x, z, dtype),
                "captured": compile(ours(sizes, act, x, z, dtype)),
                "straight": straight_line(sizes, act, x, z, dtype),
            }
            if have_torch:
                steps["torch"] = torch_step(sizes, act, x, z, dtype)
                if not args.no_torch_compile:
                    compiled, reason = torch_compiled(sizes, act, x, z, dtype)
                    if compiled is not None:
                        steps["torch.compile"] = compiled
                    elif reason not in notes:
                        notes.append(reason)
            med = interleaved(steps, BLOCK[name], args.rounds)
            floor = med["floor"]
            label = f"{'-'.join(map(str, sizes))} {act} b{n} {np.dtype(dtype).name}"
            row = {"case": label, **{f"{k}_s": v for k, v in med.items()}}
            row.update({f"{k}_over_floor": v / floor for k, v in med.items()})
            rows.append(row)
            table.append(
                [label, f"{floor * 1e3:.3f}"]
                + [
                    "-" if k not in med else f"{med[k] / floor:.2f}"
                    for k in ("captured", "straight", "eager", "torch", "torch.compile")
                ]
            )
    print("Tensor engine: one training step, CPU time, ratio to the numpy floor (lower is faster)")
    print_table(
        ["case", "floor ms", "captured", "straight", "eager", "torch", "torch.compile"],
        table,
    )
    for note in notes:
        print(f"torch.compile does not run here: {note}")
    return rows


def optimizer_suite(args) -> list[dict]:
    """The small step with Adam (the command line's default) and with momentum SGD:
    ours eager and captured, and torch eager, in ms."""
    from tinygrad_mlp.losses import mse
    from tinygrad_mlp.nn import MLP
    from tinygrad_mlp.optim import SGD, Adam

    name, sizes, act, n = CASES[0]
    x, z = batch(sizes, n, np.float64)
    momentum = {"lr": 1e-3, "momentum": 0.9}
    kinds = {
        "Adam": (lambda ps: Adam(ps, lr=1e-3), "Adam", {"lr": 1e-3}),
        "momentum SGD": (lambda ps: SGD(ps, **momentum), "SGD", momentum),
    }
    rows = []
    for kind, (make_ours, torch_name, torch_options) in kinds.items():

        def ours_step(make_ours=make_ours):
            net = MLP(sizes[0], sizes[1:], activation=act, seed=0)
            opt = make_ours(net.parameters())

            def step():
                opt.zero_grad()
                mse(net(x), z).backward()
                opt.step()

            return step

        steps = {"ours eager": ours_step(), "ours captured": compile(ours_step())}
        try:
            import torch

            layers = []
            for i, o in zip(sizes, sizes[1:], strict=False):
                layers += [torch.nn.Linear(i, o, dtype=torch.float64), torch.nn.Tanh()]
            net = torch.nn.Sequential(*layers)
            opt = getattr(torch.optim, torch_name)(net.parameters(), **torch_options)
            tx, tz = torch.from_numpy(x), torch.from_numpy(z)

            def torch_step_(net=net, opt=opt, tx=tx, tz=tz):
                opt.zero_grad()
                (0.5 * ((net(tx) - tz) ** 2).sum()).backward()
                opt.step()

            steps["torch"] = torch_step_
        except ImportError:
            pass
        med = interleaved(steps, BLOCK[name], args.rounds)
        label = f"{'-'.join(map(str, sizes))} {act} b{n} float64, {kind}"
        print(f"\n{label}: one step, CPU time")
        anchor = med["ours captured"]
        print_table(
            ["contender", "ms", "over captured"],
            [[k, f"{v * 1e3:.3f}", f"{v / anchor:.2f}"] for k, v in med.items()],
        )
        rows.append({"case": label, **{f"{k}_s": v for k, v in med.items()}})
    return rows


def scalar_suite(args) -> list[dict]:
    ours_eager = ours_step_factory()
    captured = compile(ours_step_factory())
    steps = {"ours eager": ours_eager, "ours captured": captured}
    try:
        steps["micrograd"] = micrograd_step_factory()
    except ImportError:
        print("micrograd is not installed: no scalar anchor")
    enabled = gc.isenabled()
    gc.disable()
    try:
        med = interleaved(steps, 1, max(args.rounds, 5))
    finally:
        if enabled:
            gc.enable()
    anchor = med.get("micrograd")
    print("\nScalar engine: MLP(2, [16, 16, 1]) on 100 points, one step, gc off, CPU time")
    print_table(
        ["contender", "ms", "micrograd / it"],
        [
            [k, f"{v * 1e3:.2f}", "-" if anchor is None else f"{anchor / v:.1f}"]
            for k, v in med.items()
        ],
    )
    return [{"case": "scalar mlp 2-16-16-1 100 points", **{f"{k}_s": v for k, v in med.items()}}]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="the small network only")
    parser.add_argument("--no-torch-compile", action="store_true")
    args = parser.parse_args(argv)
    # NOTE: a captured step that falls back to eager must not be timed as captured
    warnings.simplefilter("error", CompileWarning)
    try:
        import torch

        # NOTE: CPU time is the whole process's: torch's idle threads spinning after its
        # turn would be counted in the next contender's, so torch gets numpy's threads
        torch.set_num_threads(blas_threads())
    except ImportError:
        pass
    print(f"BLAS and torch threads: {blas_threads()}")
    rows = tensor_suite(args) + optimizer_suite(args) + scalar_suite(args)
    path = write_results("compile", rows)
    print(f"results written to benchmarks/results/{path.name} (machine load varies: rerun)")


if __name__ == "__main__":
    main()

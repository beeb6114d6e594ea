"""micrograd's demo notebook on tinygrad_mlp.micrograd against micrograd 0.1.0, in one run.

The demo's training (make_moons with 100 points and noise 0.1, seeds 1337,
MLP(2, [16, 16, 1]), max-margin loss + 1e-4 L2, SGD with rate 1 - 0.9 k / 100) runs
on both packages, as users run it: the garbage collector on, steps back to back.
The two runs take turns in rounds of ``--round`` steps, so that a shared machine's
drift hits both alike, each turn on a heap freed of the other run's garbage
(an untimed ``gc.collect()`` between turns; within a turn the collector runs as
Python runs it). Reported: the median step time of each, their ratio, the
spread of the per-round ratios, and whether the two runs printed the same losses
and accuracies.

    PYTHONPATH=. python benchmarks/bench_micrograd.py             # the full 100 steps
    PYTHONPATH=. python benchmarks/bench_micrograd.py --steps 20 --out results.json

Results go to a JSON file in the system's temporary directory unless ``--out`` names
another path.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import machine, print_table  # noqa: E402


def demo(package: str) -> Iterator[tuple[float, float, float]]:
    """The demo notebook's loop on ``package``; yields (seconds, loss, accuracy) per step."""
    from sklearn.datasets import make_moons

    Value = importlib.import_module(f"{package}.engine").Value  # noqa: N806 -- the notebook's name
    MLP = importlib.import_module(f"{package}.nn").MLP  # noqa: N806
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    k = 0
    while True:
        start = time.perf_counter()
        total_loss, acc = loss()
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        seconds = time.perf_counter() - start
        result = (seconds, float(total_loss.data), float(acc))
        del total_loss  # NOTE: the other run's collector should not walk this graph
        yield result
        k += 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="training steps of each run")
    parser.add_argument("--round", type=int, default=10, help="steps per turn")
    parser.add_argument("--out", type=Path, default=None, help="JSON results file")
    args = parser.parse_args(argv)
    if args.steps < 1 or args.round < 1:
        parser.error("--steps and --round must be positive")
    gc.enable()  # NOTE: as users run it; micrograd's closures leave cycles for the collector
    runs = {"ours": demo("tinygrad_mlp.micrograd"), "micrograd": demo("micrograd")}
    steps: dict[str, list[tuple[float, float, float]]] = {name: [] for name in runs}
    round_ratios = []
    done = 0
    while done < args.steps:
        n = min(args.round, args.steps - done)
        for name, run in runs.items():
            # NOTE: untimed: each turn starts without the other run's garbage on the heap
            gc.collect()
            steps[name].extend(next(run) for _ in range(n))
        ours = statistics.median(s[0] for s in steps["ours"][done : done + n])
        theirs = statistics.median(s[0] for s in steps["micrograd"][done : done + n])
        round_ratios.append(theirs / ours)
        done += n

    ours_t = [s[0] for s in steps["ours"]]
    theirs_t = [s[0] for s in steps["micrograd"]]
    ratio = statistics.median(theirs_t) / statistics.median(ours_t)
    loss_diff = max(
        abs(a[1] - b[1]) / abs(b[1]) for a, b in zip(steps["ours"], steps["micrograd"], strict=True)
    )
    same_acc = all(a[2] == b[2] for a, b in zip(steps["ours"], steps["micrograd"], strict=True))
    final = steps["ours"][-1]
    print(f"micrograd demo, {args.steps} steps each, turns of {args.round}, GC on")
    print_table(
        ["run", "median ms/step", "min", "max", "total s"],
        [
            [name, f"{statistics.median(t) * 1e3:.0f}", f"{min(t) * 1e3:.0f}",
             f"{max(t) * 1e3:.0f}", f"{sum(t):.1f}"]
            for name, t in (("tinygrad_mlp.micrograd", ours_t), ("micrograd 0.1.0", theirs_t))
        ],
    )  # fmt: skip
    print(
        f"speed-up (median/median): {ratio:.2f}x; per-round ratios "
        f"{min(round_ratios):.2f}x .. {max(round_ratios):.2f}x "
        f"(median {statistics.median(round_ratios):.2f}x)"
    )
    print(
        f"same numbers: losses agree to {loss_diff:.1e} relative, accuracies "
        f"{'identical' if same_acc else 'DIFFER'}; last step loss {final[1]:.6f}, "
        f"accuracy {final[2] * 100:.0f}%"
    )
    out = args.out or Path(tempfile.gettempdir()) / "tinygrad_mlp-bench" / "micrograd.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "suite": "micrograd_demo",
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "machine": machine(),
        "steps": args.steps,
        "round": args.round,
        "ours_s": ours_t,
        "micrograd_s": theirs_t,
        "speedup_median": ratio,
        "round_ratios": round_ratios,
        "max_relative_loss_difference": loss_diff,
        "same_accuracies": same_acc,
    }
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(record, indent=2) + "\n")
    os.replace(tmp, out)
    print(f"results written to {out}")


if __name__ == "__main__":
    main()

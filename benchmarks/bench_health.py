"""What watching costs: health.Monitor on the digits example, and detect_anomaly on and off.

    PYTHONPATH=. python benchmarks/bench_health.py [--rounds 5] [--epochs 3]

Cases, each timed in CPU time (``time.process_time``) in interleaved A/B rounds (the
machine is shared; the ratio's spread across rounds is printed beside its median):

- the digits example's loop (examples/train_digits.py: 64-64-32-10 ReLU, Adam, batches of
  32, 1500 images), plain against ``Monitor.record`` on every step with a row per epoch
  (what ``train --health`` does);
- the same through ``training.fit`` (the ``train`` command's loop, its defaults: batches
  of 200, Adam) plain against ``--health``'s monitor (both through the captured step);
- ``training.fit`` with ``--health``'s monitor, eager (``compile=False``) against the
  captured step, on the digits and on a small net with small batches (2-16-16-1 tanh,
  batches of 32, 1000 rows), where the step's Python overhead is most of the time;
- a training step of a small tensor network and of a scalar network outside and inside
  ``detect_anomaly()`` (inside, every node is checked and located).

That ``detect_anomaly`` *off* costs nothing is measured against the code without the
feature: ``python benchmarks/compare_revisions.py --base 0d3dea2 --head HEAD``.
Results go to benchmarks/results/health.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, write_results  # noqa: E402
from tinygrad_mlp import detect_anomaly  # noqa: E402
from tinygrad_mlp.data import Dataset, minibatches  # noqa: E402
from tinygrad_mlp.health import Monitor  # noqa: E402
from tinygrad_mlp.losses import cross_entropy, mse  # noqa: E402
from tinygrad_mlp.nn import MLP  # noqa: E402
from tinygrad_mlp.optim import SGD, Adam  # noqa: E402
from tinygrad_mlp.training import TrainConfig, fit, new_model  # noqa: E402


def digits() -> tuple[np.ndarray, np.ndarray]:
    try:
        from sklearn.datasets import load_digits
    except ImportError:  # NOTE: the same shapes, when the digits extra is not installed
        rng = np.random.default_rng(0)
        return rng.uniform(0, 1, (1797, 64)), rng.integers(0, 10, 1797)
    data = load_digits()
    return data.data / 16.0, data.target


def example_loop(epochs: int, watch: bool) -> Callable[[], None]:
    """examples/train_digits.py's loop, optionally with a Monitor as --health runs it."""
    x, y = digits()
    train = np.random.default_rng(0).permutation(len(x))[:1500]

    def run() -> None:
        rng = np.random.default_rng(0)
        net = MLP(64, [64, 32, 10], "relu", "linear", seed=0, init="kaiming")
        optimizer = Adam(net.parameters(), lr=1e-3)
        monitor = Monitor(net) if watch else None
        step, per_epoch = 0, -(-len(train) // 32)
        for epoch in range(1, epochs + 1):
            for batch in minibatches(len(train), 32, rng):
                idx = train[batch]
                optimizer.zero_grad()
                cross_entropy(net(x[idx]), y[idx]).backward()
                step += 1
                if monitor is not None:
                    monitor.record(step, epoch, row=step % per_epoch == 0)
                optimizer.step()
            if monitor is not None:
                monitor.after_step()

    return run


def fit_loop(epochs: int, watch: bool, compiled: bool = True, small: bool = False):
    """training.fit as `tinygrad-mlp train` runs it (with --health's monitor): on the
    digits, or (``small``) a 2-16-16-1 tanh net on 1000 rows in batches of 32."""
    if small:
        rng = np.random.default_rng(0)
        x = rng.uniform(-1, 1, (1000, 2))
        data = Dataset(x, np.sin(3 * x[:, :1]) + x[:, 1:] ** 2, ["a", "b"], ["y"])
        config = TrainConfig(hidden=[16, 16], activation="tanh", batch_size=32)
    else:
        x, y = digits()
        names = [f"p{k}" for k in range(64)]
        data = Dataset(x, y.astype(str)[:, None].astype(object), names, ["y"])
        config = TrainConfig(loss="ce", hidden=[100])
    config = replace(config, epochs=epochs, patience=0, compile=compiled)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # NOTE: the digits' blank corner pixels are constant
        start = new_model(data, config)
    state = start.net.state_dict()

    def run() -> None:
        model = start
        model.net.load_state_dict(state)
        if not watch:
            fit(model, data, config)
            return
        monitor = Monitor(model.net)
        fit(model, data, config, monitor=monitor)
        monitor.close()

    return run


def anomaly_step(engine: str, inside: bool) -> Callable[[], None]:
    rng = np.random.default_rng(0)
    if engine == "tensor":
        x, z = rng.uniform(-1, 1, (32, 2)), rng.uniform(0, 1, (32, 1))
        net = MLP(2, [16, 16, 1], "tanh", seed=0)
    else:
        x = rng.uniform(-1, 1, (20, 2)).tolist()
        z = [[v] for v in rng.uniform(0, 1, 20)]
        net = MLP(2, [8, 1], "tanh", seed=0)
    optimizer = SGD(net.parameters(), lr=1e-3)

    def step() -> None:
        optimizer.zero_grad()
        if engine == "tensor":
            loss = mse(net(x), z)
        else:
            loss = sum((mse(net(row), t) for row, t in zip(x, z, strict=True)), start=0.0)
        loss.backward()
        optimizer.step()

    def run() -> None:
        for _ in range(20 if engine == "tensor" else 2):
            if inside:
                with detect_anomaly():
                    step()
            else:
                step()

    return run


def cpu_time(run: Callable[[], None]) -> float:
    start = time.process_time()
    run()
    return time.process_time() - start


def ab(name: str, plain: Callable[[], None], watched: Callable[[], None], rounds: int) -> dict:
    """Interleaved rounds (order alternating); the ratio watched/plain per round."""
    plain(), watched()  # warm-up
    a, b, ratios = [], [], []
    for k in range(rounds):
        pair = (plain, watched) if k % 2 == 0 else (watched, plain)
        t = [cpu_time(f) for f in pair]
        ta, tb = (t[0], t[1]) if k % 2 == 0 else (t[1], t[0])
        a.append(ta)
        b.append(tb)
        ratios.append(tb / ta)
    return {
        "case": name,
        "plain s": statistics.median(a),
        "watched s": statistics.median(b),
        "ratio": statistics.median(ratios),
        # NOTE: a loaded machine only adds time: the fastest runs are the least disturbed
        "ratio of minima": min(b) / min(a),
        "ratio min": min(ratios),
        "ratio max": max(ratios),
    }


def own_share(run: Callable[[], None]) -> float:
    """The monitor's own CPU time (its hooks, record, after_step) as a share of ``run``'s."""
    from tinygrad_mlp import health

    spent = [0.0]
    originals = {
        (health.Monitor, "record"): health.Monitor.record,
        (health.Monitor, "after_step"): health.Monitor.after_step,
        (health._Window, "add"): health._Window.add,
    }

    def timed(f):
        def wrapper(*args, **kwargs):
            start = time.process_time()
            try:
                return f(*args, **kwargs)
            finally:
                spent[0] += time.process_time() - start

        return wrapper

    try:
        for (cls, name), f in originals.items():
            setattr(cls, name, timed(f))
        total = cpu_time(run)
    finally:
        for (cls, name), f in originals.items():
            setattr(cls, name, f)
    return spent[0] / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    e, r = args.epochs, args.rounds
    rows = [
        ab("digits example loop + Monitor", example_loop(e, False), example_loop(e, True), r),
        ab("training.fit (train) + --health", fit_loop(e, False), fit_loop(e, True), r),
        ab(
            "fit + --health: eager | captured",
            fit_loop(e, True, compiled=False),
            fit_loop(e, True),
            r,
        ),
        ab(
            "small fit + --health: eager | captured",
            fit_loop(4 * e, True, compiled=False, small=True),
            fit_loop(4 * e, True, small=True),
            r,
        ),
        ab(
            "tensor 2-16-16-1 step in detect_anomaly",
            anomaly_step("tensor", False),
            anomaly_step("tensor", True),
            r,
        ),
        ab(
            "scalar 2-8-1 step in detect_anomaly",
            anomaly_step("scalar", False),
            anomaly_step("scalar", True),
            r,
        ),
    ]
    watched = (example_loop(e, True), fit_loop(e, True), fit_loop(e, True))
    watched += (fit_loop(4 * e, True, small=True),)
    for row, run in zip(rows, watched, strict=False):
        # NOTE: the noise of a shared machine hides a few per cent in A/B ratios; the
        # monitor's own CPU time, counted inside one run, does not
        row["monitor's own share"] = statistics.median(own_share(run) for _ in range(3))
    for row in rows[2:]:
        row.setdefault("monitor's own share", float("nan"))
    columns = [
        "case",
        "plain s",
        "watched s",
        "ratio",
        "ratio min",
        "ratio max",
        "ratio of minima",
        "monitor's own share",
    ]
    print_table(
        columns,
        [[row[c] if c == "case" else f"{row[c]:.3f}" for c in columns] for row in rows],
    )
    write_results("health", rows)


if __name__ == "__main__":
    main()

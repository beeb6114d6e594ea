"""First-order step times of two revisions of the code, interleaved, in one run.

Each round runs one fresh process per revision (in alternating order), and each
process times ``--repeats`` training steps of every case and reports their
medians. Times are the process's CPU time (``time.process_time``), so other
programs sharing the machine disturb them less than wall time. The table gives,
per case, the median over rounds of those medians for both revisions, their
ratio, and the spread of the ratio across rounds (min and max), so machine noise
is visible beside the difference.

    python benchmarks/compare_revisions.py --base HEAD~1 [--rounds 7] [--repeats 15]

``--base`` and ``--head`` are git revisions (``WORKTREE``, the default head, is
the working tree as it is). Results go to benchmarks/results/compare.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, write_results  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

# NOTE: runs inside the child process, against whichever tree is first on sys.path.
RUNNER = r"""
import gc, json, statistics, sys, time
import numpy as np
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD

repeats = int(sys.argv[1])

def scalar_case():
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (100, 2)).tolist()
    Y = [1.0 if a * b > 0 else -1.0 for a, b in X]
    net = MLP(2, [16, 16, 1], activation="relu", output_activation="linear", seed=0)
    opt = SGD(net.parameters(), lr=1e-3)
    def step():
        out = [net(x)[0] for x in X]
        loss = sum((o - y) ** 2 for o, y in zip(out, Y))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return step

def tensor_case(sizes, act, n):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (n, sizes[0]))
    z = rng.uniform(0, 1, (n, sizes[-1]))
    net = MLP(sizes[0], sizes[1:], activation=act, seed=0)
    opt = SGD(net.parameters(), lr=1e-3)
    def step():
        opt.zero_grad()
        mse(net(x), z).backward()
        opt.step()
    return step

cases = {
    "scalar MLP(2,[16,16,1]) x100": scalar_case(),
    "tensor small 2-16-16-1 x32": tensor_case([2, 16, 16, 1], "tanh", 32),
    "tensor medium 784-128-64-10 x128": tensor_case([784, 128, 64, 10], "sigmoid", 128),
}
result = {}
for name, step in cases.items():
    number = 1 if name.startswith("scalar") else 50
    step()
    times = []
    for _ in range(repeats):
        gc.collect()
        start = time.process_time()
        for _ in range(number):
            step()
        times.append((time.process_time() - start) / number)
    result[name] = statistics.median(times)
print(json.dumps(result))
"""


def export(revision: str, into: Path) -> Path:
    """The tree of ``revision`` (WORKTREE: the working tree itself)."""
    if revision == "WORKTREE":
        return ROOT
    target = into / revision.replace("/", "_").replace("~", "_")
    target.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", revision, "tinygrad_mlp"],
        check=True,
        capture_output=True,
    ).stdout
    tar_path = into / "tree.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(target, filter="data")
    return target


def measure(tree: Path, repeats: int) -> dict[str, float]:
    one_thread = {k: "1" for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    env = {**os.environ, "PYTHONPATH": str(tree), **one_thread}
    out = subprocess.run(
        [sys.executable, "-c", RUNNER, str(repeats)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tempfile.gettempdir(),
    ).stdout
    return json.loads(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--head", default="WORKTREE")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"base": export(args.base, Path(tmp)), "head": export(args.head, Path(tmp))}
        runs: dict[str, list[dict[str, float]]] = {"base": [], "head": []}
        for r in range(args.rounds):
            order = ("base", "head") if r % 2 == 0 else ("head", "base")
            for which in order:
                runs[which].append(measure(trees[which], args.repeats))
    rows, records = [], []
    for case in runs["base"][0]:
        base = [run[case] for run in runs["base"]]
        head = [run[case] for run in runs["head"]]
        ratios = [h / b for h, b in zip(head, base, strict=True)]
        b, h = statistics.median(base), statistics.median(head)
        rows.append(
            [
                case,
                f"{b * 1e3:.3f}",
                f"{h * 1e3:.3f}",
                f"{h / b:.3f}",
                f"{min(ratios):.3f}-{max(ratios):.3f}",
            ]
        )
        records.append({"case": case, "base_s": b, "head_s": h, "ratios": ratios})
    print(f"{args.head} against {args.base}: {args.rounds} interleaved rounds")
    print_table(["case", "base ms", "head ms", "head/base", "ratio spread"], rows)
    path = write_results("compare", records)
    print(f"results written to benchmarks/results/{path.name}")


if __name__ == "__main__":
    main()

"""Reading a large numeric CSV: ``load_csv`` against pandas, time and peak memory.

A 160,000 × 20 table of random float64 numbers (19 inputs, 1 target; about 31 MB)
is written once to a temporary folder. Each reader runs in its own fresh
subprocess (so that one reader's freed memory does not flatter the next), which
reports the CPU time of the read (``time.process_time``) and the peak of the
memory numpy and Python allocate during it (``tracemalloc``, which numpy's
allocator reports to). Rounds alternate the readers (A/B/A/B) because the machine
is shared; each reader's best round is kept.

- ours: ``tinygrad_mlp.data.load_csv(path)`` (what ``train --data`` runs): the byte road
  (numpy alone), whether or not pandas is installed or imported;
- ours (numpy only): the same with pandas' road switched off, as where pandas is absent;
- ours (loadtxt road), ours (pandas road): the roads the byte road falls back to, alone;
- pandas: ``pandas.read_csv(path).to_numpy(np.float64)``, if pandas is installed;
- numpy: ``np.loadtxt(path, delimiter=",", skiprows=1)``, the C reader alone.

Peak memory is also given as a multiple of the float64 table (rows × columns × 8
bytes). Run from the repository root: ``python benchmarks/bench_csv.py
[--rows 160000] [--rounds 3]``; the table is printed and written to
``benchmarks/results/csv.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import print_table, write_results  # noqa: E402

READERS = {
    "ours": "from tinygrad_mlp.data import load_csv\nread = lambda p: load_csv(p).inputs",
    "ours (numpy only)": "import tinygrad_mlp.data as d\nd.PANDAS_FROM_BYTES = 1 << 62\n"
    "read = lambda p: d.load_csv(p).inputs",
    "ours (pandas imported)": "import pandas\nfrom tinygrad_mlp.data import load_csv\n"
    "read = lambda p: load_csv(p).inputs",
    "ours (loadtxt road)": "import tinygrad_mlp.data as d\nd.PANDAS_FROM_BYTES = 1 << 62\n"
    "d._read_bytes = lambda *a: None\nread = lambda p: d.load_csv(p).inputs",
    "ours (pandas road)": "import tinygrad_mlp.data as d\nd.PANDAS_FROM_BYTES = 0\n"
    "d._read_bytes = lambda *a: None\nread = lambda p: d.load_csv(p).inputs",
    "ours (slow path)": "import tinygrad_mlp.data as d\nd._fast_load = lambda *a: None\n"
    "read = lambda p: d.load_csv(p).inputs",
    "pandas": "import pandas as pd\nread = lambda p: pd.read_csv(p).to_numpy(np.float64)",
    "numpy": "read = lambda p: np.loadtxt(p, delimiter=',', skiprows=1)",
}

CHILD = """
import json, sys, time, tracemalloc
import numpy as np
{setup}
path = sys.argv[1]
if sys.argv[2] == "memory":
    tracemalloc.start()
start = time.process_time()
out = read(path)
seconds = time.process_time() - start
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({{"seconds": seconds, "peak": peak}}))
"""


def write_table(path: Path, rows: int, columns: int) -> None:
    """A CSV of ``rows`` random rows (6 significant digits, as most tables) under a header."""
    rng = np.random.default_rng(0)
    header = ",".join([f"x{k}" for k in range(columns - 1)] + ["y"])
    np.savetxt(
        path,
        rng.standard_normal((rows, columns)),
        delimiter=",",
        header=header,
        comments="",
        fmt="%.6g",
    )


def run_reader(name: str, path: Path) -> dict | None:
    """Two reads, each in a fresh interpreter: CPU seconds (untraced), then tracemalloc's peak.

    Tracing slows every allocation (and so an import), so time is taken without it.
    """
    result = {}
    for what in ("time", "memory"):
        code = CHILD.format(setup=READERS[name])
        done = subprocess.run(
            [sys.executable, "-c", code, str(path), what], capture_output=True, text=True, cwd=ROOT
        )
        if done.returncode != 0:
            if "ModuleNotFoundError" in done.stderr:
                return None
            raise RuntimeError(f"{name} failed: {done.stderr.strip().splitlines()[-1]}")
        got = json.loads(done.stdout.strip().splitlines()[-1])
        result[{"time": "seconds", "memory": "peak"}[what]] = got[
            {"time": "seconds", "memory": "peak"}[what]
        ]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=160_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--readers", default="|".join(READERS), help="names separated by |")
    args = parser.parse_args()
    table_bytes = args.rows * args.columns * 8
    best: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "big.csv"
        write_table(path, args.rows, args.columns)
        size = path.stat().st_size
        for _ in range(args.rounds):
            for name in args.readers.split("|"):
                result = run_reader(name, path)
                if result is None:
                    continue
                if name not in best or result["seconds"] < best[name]["seconds"]:
                    best[name] = {
                        **result,
                        "peak": min(result["peak"], best.get(name, result)["peak"]),
                    }
    anchor = best.get("pandas")
    rows = []
    for name, result in best.items():
        rows.append(
            {
                "reader": name,
                "seconds": round(result["seconds"], 4),
                "peak_mb": round(result["peak"] / 1e6, 1),
                "peak_vs_float64": round(result["peak"] / table_bytes, 2),
                "time_vs_pandas": round(result["seconds"] / anchor["seconds"], 2)
                if anchor
                else None,
            }
        )
    print(
        f"{args.rows} x {args.columns} CSV, {size / 1e6:.1f} MB on disk, "
        f"{table_bytes / 1e6:.1f} MB as float64; best of {args.rounds} rounds (CPU time)"
    )
    print_table(list(rows[0]), [list(r.values()) for r in rows])
    print(f"written to {write_results('csv', rows)}")


if __name__ == "__main__":
    main()

"""Shared benchmark helpers: median timing and a JSON record of each run."""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

#: Where every run writes its JSON record; git-ignored, so running a benchmark
#: changes no tracked file (set TINYGRAD_MLP_BENCH_RESULTS to write elsewhere).
RESULTS = Path(
    os.environ.get("TINYGRAD_MLP_BENCH_RESULTS", Path(__file__).resolve().parent / "results")
)


def median_time(step: Callable[[], object], repeats: int = 7, warmup: int = 1) -> float:
    """Median wall time of ``step()`` in seconds over ``repeats`` runs after ``warmup`` runs."""
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def best_of_rounds(
    steps: dict[str, Callable[[], object]], repeats: int = 10, rounds: int = 3, warmup: int = 3
) -> dict[str, float]:
    """Each step's median over ``repeats`` runs, in ``rounds`` turns; the lowest median wins.

    The engines take turns in blocks (a warm-up, then the timed runs), so that a
    thread pool left spinning by the previous engine only touches the warm-up,
    and drift of the shared machine's speed hits every engine alike.
    """
    best = {name: float("inf") for name in steps}
    for _ in range(rounds):
        for name, step in steps.items():
            best[name] = min(best[name], median_time(step, repeats, warmup))
    return best


def machine() -> dict:
    """What the numbers were measured on."""
    import numpy as np

    info = {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "machine": platform.machine(),
        "processor": platform.processor() or platform.machine(),
        "cpus": os.cpu_count(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [
            {k: p.get(k) for k in ("internal_api", "num_threads", "architecture")}
            for p in threadpool_info()
        ]
    except ImportError:
        pass
    return info


def write_results(suite: str, rows: list[dict]) -> Path:
    """Write ``rows`` with machine info to ``RESULTS/<suite>.json`` (atomically).

    ``RESULTS`` is the git-ignored benchmarks/results/ folder unless
    TINYGRAD_MLP_BENCH_RESULTS names another.
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{suite}.json"
    tmp = path.with_suffix(".json.tmp")
    record = {"suite": suite, "when": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine()}
    tmp.write_text(json.dumps({**record, "rows": rows}, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def print_table(headers: list[str], rows: list[list]) -> None:
    """An aligned plain-text table."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[k]) for r in cells) for k in range(len(headers))]
    for n, row in enumerate(cells):
        print("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            print("  ".join("-" * w for w in widths))

"""Peak memory per node of scalar graphs, measured with tracemalloc at several sizes.

A chain (y ← y·c, repeated) and a fan (one x feeding n products summed by a
chain of adds) are built and backpropagated; the peak traced memory of build
plus backward, divided by the number of nodes, should stay flat as n grows:
memory linear in the graph's size.

    python benchmarks/bench_memory.py
"""

from __future__ import annotations

import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import print_table, write_results  # noqa: E402
from tinygrad_mlp import Value  # noqa: E402
from tinygrad_mlp.autograd import walk  # noqa: E402


def chain(n: int) -> Value:
    y = Value(1.0)
    for _ in range(n):
        y = y * 1.0000001
    return y


def fan(n: int) -> Value:
    x = Value(2.0)
    total = Value(0.0)
    for _ in range(n // 2):
        total = total + x * 3.0
    return total


def measure(build, n: int) -> dict:
    tracemalloc.start()
    root = build(n)
    built = tracemalloc.get_traced_memory()[0]
    root.backward()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    nodes = len(walk(root))
    return {
        "graph": build.__name__,
        "n": n,
        "nodes": nodes,
        "bytes_per_node_built": built / nodes,
        "peak_bytes_per_node": peak / nodes,
    }


def main() -> None:
    rows = [measure(build, n) for build in (chain, fan) for n in (10_000, 100_000, 1_000_000)]
    print_table(
        ["graph", "nodes", "bytes/node (graph)", "peak bytes/node (with backward)"],
        [
            [
                r["graph"],
                r["nodes"],
                f"{r['bytes_per_node_built']:.0f}",
                f"{r['peak_bytes_per_node']:.0f}",
            ]
            for r in rows
        ],
    )
    write_results("memory", rows)
    print("results written to benchmarks/results/memory.json")


if __name__ == "__main__":
    main()

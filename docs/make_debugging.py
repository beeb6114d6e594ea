"""Regenerate the pictures of docs/debugging.md: ``python docs/make_debugging.py``.

Trains the page's small networks (each pathology and a healthy twin: the very
networks ``tests/test_health.py`` diagnoses) under a ``health.Monitor`` and saves its
plot, and draws the graph of one ``AnomalyError`` (needs Graphviz's ``dot`` program).
Every picture goes to docs/img/.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.test_health import regression, train  # noqa: E402
from tinygrad_mlp import AnomalyError, Tensor, detect_anomaly  # noqa: E402
from tinygrad_mlp.viz import draw_graph, write_picture  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"


def main() -> None:
    IMG.mkdir(exist_ok=True)
    x, z = regression()
    hundreds, _ = regression(low=100.0, high=900.0)
    runs = {
        "health-healthy": train("tanh", 0.1, x, z),
        "health-saturated": train("sigmoid", 0.05, hundreds, z),
        "health-dead": train("relu", 0.1, x, z, bias=-5.0),
        "health-lr-high": train("tanh", 10.0, x, z),
        "health-lr-low": train("tanh", 1e-6, x, z),
    }
    for name, monitor in runs.items():
        monitor.plot(IMG / f"{name}.png")
        print(f"{name}.png: {len(monitor.findings)} findings")
    # one anomaly, drawn: 0 / 0 in a layer normalisation
    w = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True, label="W")
    h = (Tensor([[1.0, 2.0], [-1.0, -2.0]], label="x") @ w.T).relu()
    try:
        with detect_anomaly():
            (h - h.mean(axis=1, keepdims=True)) / h.std(axis=1, keepdims=True)
    except AnomalyError as err:
        write_picture(draw_graph(err), IMG / "anomaly-layer-norm.svg")
        print("anomaly-layer-norm.svg")


if __name__ == "__main__":
    main()

"""Regenerate the pictures of docs/gallery.md: ``python docs/make_gallery.py``.

Needs Graphviz's ``dot`` program (Debian: apt-get install graphviz).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_mlp.data import MinMaxScaler  # noqa: E402
from tinygrad_mlp.losses import mse  # noqa: E402
from tinygrad_mlp.optim import SGD  # noqa: E402
from tinygrad_mlp.seed import DATASET, seed_network  # noqa: E402
from tinygrad_mlp.viz import draw_graph, draw_network, save  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"


def main() -> None:
    IMG.mkdir(exist_ok=True)
    x = MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2])
    z = MinMaxScaler((0, 1)).fit_transform(DATASET[:, 2:])

    net = seed_network()
    loss = mse(net([float(v) for v in x[0]]), [float(z[0, 0])])
    loss.label = "L"
    loss.backward()
    save(draw_graph(loss), IMG / "seed-scalar-graph.svg")
    save(
        draw_graph(loss, edge_derivatives=True, highlight=net.layers[0].neurons[1].w[0]),
        IMG / "seed-scalar-graph-chain-rule.svg",
    )

    net.zero_grad()
    batch_loss = mse(net(x[:1]), z[:1])
    batch_loss.label = "L"
    batch_loss.backward()
    save(draw_graph(batch_loss, rankdir="TB"), IMG / "seed-tensor-graph.svg")
    save(draw_network(net, show="grad", input_names=["I0", "I1"]), IMG / "seed-network-before.svg")

    optimizer = SGD(net.parameters(), lr=0.5)
    for _ in range(1000):  # per-sample SGD over the sheet's four rows
        for row in range(len(x)):
            optimizer.zero_grad()
            mse(net(x[row : row + 1]), z[row : row + 1]).backward()
            optimizer.step()
    net.zero_grad()
    mse(net(x[:1]), z[:1]).backward()
    save(draw_network(net, show="grad", input_names=["I0", "I1"]), IMG / "seed-network-after.svg")
    final = float(mse(net(x), z).item()) / len(x)
    print(f"pictures written to docs/img; mean loss after training {final:.6f}")


if __name__ == "__main__":
    main()

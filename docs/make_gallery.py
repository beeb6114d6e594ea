"""Regenerate the pictures of docs/gallery.md: ``python docs/make_gallery.py``.

Needs Graphviz's ``dot`` program (Debian: apt-get install graphviz). ``--png DIR``
also writes a PNG of each picture into DIR, to look at them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tinygrad_mlp import Value, grad  # noqa: E402
from tinygrad_mlp.data import MinMaxScaler  # noqa: E402
from tinygrad_mlp.losses import mse  # noqa: E402
from tinygrad_mlp.nn import MLP  # noqa: E402
from tinygrad_mlp.optim import SGD  # noqa: E402
from tinygrad_mlp.seed import DATASET, HEADER, seed_network  # noqa: E402
from tinygrad_mlp.viz import draw_graph, draw_network, write_picture  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"
ROW = "data row 1, (70, 98) → 91, scaled to (1, 1) → 1"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, help="also write PNG copies into this folder")
    args = parser.parse_args()
    IMG.mkdir(exist_ok=True)

    def save(graph, name: str) -> None:
        for path in [IMG / f"{name}.svg"] + ([args.png / f"{name}.png"] if args.png else []):
            picture = write_picture(graph, path)
            if picture.notes:
                print(f"{path.name}: {'; '.join(picture.notes)}")

    x = MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2])
    z = MinMaxScaler((0, 1)).fit_transform(DATASET[:, 2:])

    net = seed_network()
    loss = mse(net([float(v) for v in x[0]]), [float(z[0, 0])])
    loss.label = "L"
    loss.backward()
    title = f"the loss of {ROW}"
    save(draw_graph(loss, title=title, network=net), "seed-scalar-graph")
    save(draw_graph(loss, title=title, network=net, clusters=True), "seed-scalar-graph-clusters")
    save(
        draw_graph(
            loss,
            edge_derivatives=True,
            highlight=net.layers[0].neurons[1].w[0],
            title="the chain rule from wh[0][1][0] to L",
            network=net,
        ),
        "seed-scalar-graph-chain-rule",
    )

    net.zero_grad()
    batch_loss = mse(net(x[:1]), z[:1])
    batch_loss.label = "L"
    batch_loss.backward()
    save(draw_graph(batch_loss, rankdir="TB", title=title, network=net), "seed-tensor-graph")
    names = list(HEADER[:2])
    outputs = list(HEADER[2:])
    save(
        draw_network(
            net, show="grad", input_names=names, output_names=outputs, title=f"δ for {ROW}"
        ),
        "seed-network-before",
    )

    optimizer = SGD(net.parameters(), lr=0.5)
    for _ in range(1000):  # per-sample SGD over the sheet's four rows
        for row in range(len(x)):
            optimizer.zero_grad()
            mse(net(x[row : row + 1]), z[row : row + 1]).backward()
            optimizer.step()
    net.zero_grad()
    mse(net(x[:1]), z[:1]).backward()
    save(
        draw_network(
            net,
            show="grad",
            input_names=names,
            output_names=outputs,
            title=f"after 1000 epochs: δ for {ROW}",
        ),
        "seed-network-after",
    )
    final = float(mse(net(x), z).item()) / len(x)

    rng = np.random.default_rng(0)
    wide = MLP(8, [16, 16, 3], seed=0)
    sample, target = rng.uniform(size=(1, 8)), rng.uniform(size=(1, 3))
    mse(wide(sample), target).backward()
    for rankdir in ("LR", "TB"):
        save(
            draw_network(wide, show="grad", rankdir=rankdir, title="δ for one random sample"),
            f"wide-network-{rankdir.lower()}",
        )
    wide.zero_grad()
    wide_loss = mse(wide([float(v) for v in sample[0]]), [float(v) for v in target[0]])
    wide_loss.label = "L"
    wide_loss.backward()
    save(
        draw_graph(wide_loss, max_nodes=150, title="an 8-16-16-3 scalar graph, collapsed"),
        "wide-scalar-graph-collapsed",
    )

    x = Value(0.5, label="x")
    tanh = x.tanh()
    tanh.label = "tanh x"
    (first,) = grad(tanh, x, create_graph=True)
    (second,) = grad(first, x, create_graph=True)
    second.label = "d²/dx² tanh x"
    second.backward()
    save(
        draw_graph(second, rankdir="TB", title="the second derivative of tanh at x = 0.5"),
        "tanh-second-derivative",
    )
    print(f"pictures written to docs/img; mean loss after training {final:.6f}")


if __name__ == "__main__":
    main()

"""Train an MLP on scikit-learn's 8×8 digits with the tensor engine.

    pip install -e ".[digits,plot]" && python examples/train_digits.py [--out DIR] [--quick]

The plain PyTorch-style loop: zero_grad, forward, loss, backward, step. A
64-64-32-10 ReLU network, softmax cross-entropy, Adam (η = 0.001), minibatches
of 32, 1500 training images and 297 held out. The picture shows every test
digit the network gets wrong, with its answer and the truth.

Claim: test accuracy at least 97% after 30 epochs (--quick: 5 epochs, at
least 90%).
"""

from __future__ import annotations

import time

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
from _common import claim, options
from sklearn.datasets import load_digits

from tinygrad_mlp import no_grad
from tinygrad_mlp.data import minibatches
from tinygrad_mlp.losses import cross_entropy
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import Adam


def main() -> None:
    args = options("train_digits", __doc__)
    epochs, target = (5, 0.90) if args.quick else (30, 0.97)
    digits = load_digits()
    x = digits.data / 16.0  # pixel values 0..16 -> 0..1
    y = digits.target
    rng = np.random.default_rng(0)
    order = rng.permutation(len(x))
    train, test = order[:1500], order[1500:]

    net = MLP(
        64, [64, 32, 10], activation="relu", output_activation="linear", seed=0, init="kaiming"
    )
    optimizer = Adam(net.parameters(), lr=1e-3)
    start = time.perf_counter()
    for epoch in range(1, epochs + 1):
        for batch in minibatches(len(train), 32, rng):
            idx = train[batch]
            optimizer.zero_grad()
            loss = cross_entropy(net(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
        if epoch % 5 == 0:
            with no_grad():
                accuracy = (net(x[test]).data.argmax(axis=1) == y[test]).mean()
            print(f"epoch {epoch}: loss {loss.item():.4f}, test accuracy {accuracy:.3f}")
    print(f"{time.perf_counter() - start:.1f} s of training")

    with no_grad():
        predicted = net(x[test]).data.argmax(axis=1)
    accuracy = float((predicted == y[test]).mean())
    wrong = np.flatnonzero(predicted != y[test])
    print(f"{len(wrong)} of {len(test)} test digits wrong: test accuracy {accuracy:.4f}")

    columns = 8
    rows = max(1, -(-len(wrong) // columns))
    fig, axes = plt.subplots(rows, columns, figsize=(columns * 1.2, rows * 1.45 + 0.5))
    for ax in np.atleast_1d(axes).ravel():
        ax.axis("off")
    for ax, k in zip(np.atleast_1d(axes).ravel(), wrong, strict=False):
        ax.imshow(digits.images[test[k]], cmap="gray_r")
        ax.set_title(f"said {predicted[k]}, is {y[test][k]}", fontsize=8)
    fig.suptitle(f"The {len(wrong)} test digits the network gets wrong ({accuracy:.1%} right)")
    fig.tight_layout()
    path = args.out / "misclassified_digits.png"
    fig.savefig(path, dpi=100)
    print(f"picture: {path}")

    claim(accuracy >= target, f"at least {target:.0%} of the test digits are right")


if __name__ == "__main__":
    main()

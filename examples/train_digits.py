"""Train an MLP on scikit-learn's 8×8 digits with the tensor engine.

    pip install -e ".[digits]" && python examples/train_digits.py

The plain PyTorch-style loop: zero_grad, forward, loss, backward, step.
"""

import time

import numpy as np
from sklearn.datasets import load_digits

from tinygrad_mlp import no_grad
from tinygrad_mlp.data import minibatches
from tinygrad_mlp.losses import cross_entropy
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import Adam

digits = load_digits()
x = digits.data / 16.0  # pixel values 0..16 -> 0..1
y = digits.target
rng = np.random.default_rng(0)
order = rng.permutation(len(x))
train, test = order[:1500], order[1500:]

net = MLP(64, [64, 32, 10], activation="relu", output_activation="linear", seed=0)
optimizer = Adam(net.parameters(), lr=1e-3)
start = time.perf_counter()
for epoch in range(1, 31):
    for batch in minibatches(len(train), 32, rng):
        idx = train[batch]
        optimizer.zero_grad()
        loss = cross_entropy(net(x[idx]), y[idx])
        loss.backward()
        optimizer.step()
    if epoch % 10 == 0:
        with no_grad():
            accuracy = (net(x[test]).data.argmax(axis=1) == y[test]).mean()
        print(f"epoch {epoch}: loss {loss.item():.4f}, test accuracy {accuracy:.3f}")
print(f"{time.perf_counter() - start:.1f} s")

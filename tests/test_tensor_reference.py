"""Tensor engine against PyTorch 2.13.0 float64: each op, and whole training runs."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor
from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy, mse, mse_mean
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD, Adam

torch = pytest.importorskip("torch")
F = torch.nn.functional


def both(arrays):
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    return ours, theirs


LOSSES = [
    ("mse", mse, lambda y, z: 0.5 * ((y - z) ** 2).sum(), "real"),
    ("mse_mean", mse_mean, F.mse_loss, "real"),
    (
        "bce",
        lambda y, z: bce(y.sigmoid(), z),
        lambda y, z: F.binary_cross_entropy(y.sigmoid(), z),
        "binary",
    ),
    ("bce_with_logits", bce_with_logits, F.binary_cross_entropy_with_logits, "binary"),
]


@pytest.mark.parametrize("name, ours_fn, torch_fn, kind", LOSSES, ids=[x[0] for x in LOSSES])
def test_loss_and_gradient_match_torch(name, ours_fn, torch_fn, kind):
    rng = np.random.default_rng(3)
    y = rng.normal(0, 3, (6, 2))
    z = rng.integers(0, 2, (6, 2)).astype(float) if kind == "binary" else rng.normal(size=(6, 2))
    (ours,), (theirs,) = both([y])
    loss, ref = ours_fn(ours, z), torch_fn(theirs, torch.tensor(z))
    loss.backward()
    ref.backward()
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_cross_entropy_matches_torch_even_for_huge_logits():
    rng = np.random.default_rng(5)
    logits = rng.normal(0, 1, (7, 4)) * np.array([[1.0], [1e3], [1.0], [1e4], [1], [1], [1]])
    labels = rng.integers(0, 4, 7)
    (ours,), (theirs,) = both([logits])
    loss = cross_entropy(ours, labels)
    ref = F.cross_entropy(theirs, torch.tensor(labels))
    loss.backward()
    ref.backward()
    assert np.isfinite(loss.item())
    assert loss.item() == pytest.approx(ref.item(), rel=1e-12)
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def torch_net(net: MLP):
    params = [torch.tensor(p.data.copy(), requires_grad=True) for p in net.parameters()]

    def forward(x):
        h = torch.tensor(x)
        for layer, (w, b) in zip(
            net.layers, zip(params[::2], params[1::2], strict=True), strict=True
        ):
            h = h @ w.T + b
            h = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu}.get(
                layer.activation, lambda t: t
            )(h)
        return h

    return params, forward


OPTIMIZERS = [
    ("sgd", lambda p: SGD(p, lr=0.1), lambda p: torch.optim.SGD(p, lr=0.1)),
    (
        "momentum",
        lambda p: SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True),
        lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3, nesterov=True),
    ),
    (
        "adam",
        lambda p: Adam(p, lr=0.01, weight_decay=1e-3),
        lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=1e-3),
    ),
]


@pytest.mark.parametrize("name, ours_opt, torch_opt", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_ten_training_steps_match_torch(name, ours_opt, torch_opt):
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    net = MLP(3, [5, 4, 2], activation=["tanh", "relu", "linear"], seed=1)
    params, forward = torch_net(net)
    opt, topt = ours_opt(net.parameters()), torch_opt(params)
    for _ in range(10):
        opt.zero_grad()
        mse(net(x), z).backward()
        opt.step()
        topt.zero_grad()
        (0.5 * ((forward(x) - torch.tensor(z)) ** 2).sum()).backward()
        topt.step()
    for ours, theirs in zip(net.parameters(), params, strict=True):
        np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=0, atol=1e-10)

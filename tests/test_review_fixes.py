"""Regression tests for bugs found in review (each failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value
from tinygrad_mlp.nn import MLP


def _grad_numbers(g):
    return np.asarray(getattr(g, "data", g), dtype=np.float64)


def test_plain_backward_after_create_graph_accumulates_on_tensor():
    # d/dw sum(w^3) = 3w^2 = [3, 12]; d/dw sum(w^2) = 2w = [2, 4]; torch sums: [5, 16]
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w * w).sum().backward(create_graph=True)
    (w * w).sum().backward()
    np.testing.assert_allclose(_grad_numbers(w.grad), [5.0, 16.0])


def test_plain_backward_after_create_graph_updates_every_leaf():
    # two leaves: the sweep must not stop after the first one it visits
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a * a * b).sum().backward(create_graph=True)  # a: 2ab = [6, 16]; b: a^2 = [1, 4]
    (a * b).sum().backward()  # a: b = [3, 4]; b: a = [1, 2]
    np.testing.assert_allclose(_grad_numbers(a.grad), [9.0, 20.0])
    np.testing.assert_allclose(_grad_numbers(b.grad), [2.0, 6.0])


def test_plain_backward_after_create_graph_on_value():
    a = Value(2.0)
    (a * a * a).backward(create_graph=True)  # 3a^2 = 12
    (a * a).backward()  # 2a = 4
    assert float(getattr(a.grad, "data", a.grad)) == 16.0


def test_plain_backward_after_create_graph_through_parameter_views():
    net = MLP(2, [1], activation="linear", seed=0)
    views = [q for n in net.layers[0].neurons for q in n.parameters()]
    xs = [Value(0.3), Value(0.4)]
    out = net(xs)[0]
    (out * out).backward(create_graph=True)
    once = [float(getattr(q.grad, "data", q.grad)) for q in views]
    out = net(xs)[0]
    (out * out).backward()
    twice = [float(getattr(q.grad, "data", q.grad)) for q in views]
    np.testing.assert_allclose(twice, 2 * np.array(once), rtol=1e-12)


def test_plain_backward_after_create_graph_on_tensor_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    net = MLP(2, [3, 1], activation="tanh", seed=0)
    x = np.array([[0.3, -0.4], [0.1, 0.2]])
    (net(Tensor(x)) ** 2).sum().backward(create_graph=True)
    net(Tensor(x)).sum().backward()
    tparams = [
        torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in net.parameters()
    ]

    def forward(tx):
        h = tx
        for k in range(0, len(tparams), 2):
            h = torch.tanh(h @ tparams[k].T + tparams[k + 1])  # every layer, output too
        return h

    tx = torch.tensor(x)
    (forward(tx) ** 2).sum().backward(create_graph=True)
    forward(tx).sum().backward()
    for p, t in zip(net.parameters(), tparams, strict=True):
        np.testing.assert_allclose(_grad_numbers(p.grad), t.grad.detach().numpy(), rtol=1e-12)

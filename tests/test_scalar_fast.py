"""The scalar engine's hot paths (weight rows read once, views' gradients summed once
per sweep, the add and multiply rules written out in the sweep) build the same graph
and give the same numbers, bit for bit, as the operator-by-operator path they shortcut."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.nn import MLP
from tinygrad_mlp.nn.linear import Neuron
from tinygrad_mlp.nn.views import ParameterValue
from tinygrad_mlp.value import Value


def operator_sum(self, x, row=None, bias=None):
    """The weighted sum through the operators (what the hot path must equal)."""
    w = self.w
    s = x[0] * w[0] if isinstance(x[0], Value) else w[0] * x[0]
    for i in range(1, len(w)):
        s = s + (x[i] * w[i] if isinstance(x[i], Value) else w[i] * x[i])
    return s + self.b if self.b is not None else s


def run(dtype, slow: bool, monkeypatch):
    with monkeypatch.context() as patch:
        if slow:
            patch.setattr(Neuron, "_weighted_sum_nodes", operator_sum)
            patch.delattr(ParameterValue, "_hold")
            patch.setattr(Value, "_sum_ops", (None, None))  # every rule through its op
        net = MLP(3, [5, 4, 1], activation="tanh", seed=1, dtype=dtype)
        rng = np.random.default_rng(0)
        points = rng.uniform(-1, 1, (6, 3)).tolist()
        loss = sum(((net(p)[0] - 0.3) ** 2 for p in points), Value(0.0))
        loss.backward()
        loss.backward()  # NOTE: two sweeps sum into the leaves
        return loss.data, [np.array(t.grad, copy=True) for t in net.parameters()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_hot_paths_equal_the_operator_path_bit_for_bit(monkeypatch, dtype):
    fast_loss, fast = run(dtype, False, monkeypatch)
    slow_loss, slow = run(dtype, True, monkeypatch)
    assert fast_loss == slow_loss
    for a, b in zip(fast, slow, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_hot_path_builds_the_operators_graph():
    net = MLP(2, [2, 1], seed=0)
    x = [Value(0.5), 2.0]
    s = net.layers[0].neurons[0].weighted_sum(x)
    w = net.layers[0].neurons[0].w
    mul_a, mul_b = s._prev[0]._prev[0], s._prev[0]._prev[1]
    assert mul_a._prev == (x[0], w[0]) and mul_b._prev[0] is w[1]
    assert mul_b._prev[1].data == 2.0 and s._prev[1] is net.layers[0].neurons[0].b


def test_written_out_rules_are_the_ops_rules():
    from tinygrad_mlp.ops.scalar import Add, Mul

    add, mul = Value._sum_ops
    assert add is Add and mul is Mul
    rng = np.random.default_rng(3)
    for g, a, b in rng.normal(size=(50, 3)).tolist():
        assert Add.backward(g, a + b, a, b) == (g, g)
        assert Mul.backward(g, a * b, a, b) == (g * b, g * a)

"""The scalar engine's hot paths (weight rows read once, views' gradients summed once
per sweep, the add and multiply rules written out in the sweep) build the same graph
and give the same numbers, bit for bit, as the operator-by-operator path they shortcut."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_mlp import autograd
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.nn import linear as linear_module
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


def operator_nodes(x, w, numbers, b=None, bias=None, layer=False):
    """``value.weighted_sum_nodes`` through the operators: plain tuples of parents, no Chain."""
    s = x[0] * w[0] if isinstance(x[0], Value) else w[0] * x[0]
    for i in range(1, len(w)):
        s = s + (x[i] * w[i] if isinstance(x[i], Value) else w[i] * x[i])
    return s + b if b is not None else s


def run(dtype, slow: bool, monkeypatch, activation="tanh", output="sigmoid"):
    with monkeypatch.context() as patch:
        if slow:
            patch.setattr(Neuron, "_weighted_sum_nodes", operator_sum)
            patch.setattr(linear_module, "weighted_sum_nodes", operator_nodes)
            patch.setattr(linear_module, "UNARY_OPS", {})  # f(s) through its method
            patch.delattr(ParameterValue, "_hold")
            patch.setattr(Value, "_sum_ops", (None, None))  # every rule through its op
        net = MLP(
            3, [5, 4, 1], activation=activation, seed=1, dtype=dtype, output_activation=output
        )
        rng = np.random.default_rng(0)
        points = rng.uniform(-1, 1, (6, 3)).tolist()
        loss = sum(((net(p)[0] - 0.3) ** 2 for p in points), Value(0.0))
        loss.backward()
        loss.backward()  # NOTE: two sweeps sum into the leaves
        return loss.data, [np.array(t.grad, copy=True) for t in net.parameters()]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "activation, output", [("tanh", "sigmoid"), ("relu", "linear"), ("gelu", "tanh")]
)
def test_hot_paths_equal_the_operator_path_bit_for_bit(monkeypatch, dtype, activation, output):
    fast_loss, fast = run(dtype, False, monkeypatch, activation, output)
    slow_loss, slow = run(dtype, True, monkeypatch, activation, output)
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


# -- the weighted sum's Chain: the sort takes a neuron's nodes in one step -------------


def chain_graph(build_on_inner: str):
    """A layer's sums, with a node built on an interior node of the first chain."""
    net = MLP(3, [4, 1], activation="tanh", seed=2)
    out = net.layers[0]([0.5, -1.0, 2.0])
    s = out[0]._prev[0]  # the first neuron's weighted sum (its parents: a Chain)
    inner = s._prev[0]._prev[0]  # x0*w0 + x1*w1, inside the chain
    loss = out[1] * 1.0
    extra = inner * 3.0
    if build_on_inner == "after":  # the chain is reached first, the extra node later
        loss = out[0] + loss + extra
    elif build_on_inner == "before":  # the extra node is reached first: no whole chain
        loss = extra + out[0] + loss
    else:
        loss = out[0] + loss
    return net, loss


def test_weighted_sum_parents_are_a_chain_of_the_nodes_made():
    net, _ = chain_graph("none")
    s = net.layers[0].neurons[0].weighted_sum([Value(0.5), Value(-1.0), Value(2.0)])
    chain = s._prev
    assert type(chain) is autograd.Chain
    assert tuple(chain) == (chain.inner[-1], net.layers[0].neurons[0].b)
    assert [n._op for n in chain.inner] == ["*", "*", "+", "*", "+"]
    made = set(map(id, chain.inner))
    for node in chain.inner:  # made in a topological order: parents first
        before = {id(n) for n in chain.inner[: chain.inner.index(node)]}
        assert all(id(p) in before for p in node._prev if id(p) in made)


@pytest.mark.parametrize("build_on_inner", ["none", "after", "before"])
def test_the_sort_with_chains_is_a_topological_order_of_every_node(build_on_inner):
    net, loss = chain_graph(build_on_inner)
    order = autograd.toposort(loss)
    interior = [n for n in autograd.walk(loss) if n._fn is not None]
    assert len(order) == len(set(map(id, order))) == len(interior)
    place = {id(n): k for k, n in enumerate(order)}
    for node in order:
        assert all(place[id(p)] < place[id(node)] for p in node._prev if p._fn is not None)


@pytest.mark.parametrize("build_on_inner", ["none", "after", "before"])
def test_gradients_through_chains_equal_the_operator_graph(monkeypatch, build_on_inner):
    """Nodes built on a chain's interior get their share; the numbers equal, bit for bit,
    those of the same graph made operator by operator (plain parents, no Chain)."""

    def grads(slow):
        with monkeypatch.context() as patch:
            if slow:
                patch.setattr(linear_module, "weighted_sum_nodes", operator_nodes)
            net, loss = chain_graph(build_on_inner)
            loss.backward()
            return loss.data, [np.array(p.grad, copy=True) for p in net.parameters()]

    (fast_loss, fast), (slow_loss, slow) = grads(False), grads(True)
    assert fast_loss == slow_loss
    assert all(np.array_equal(a, b) for a, b in zip(fast, slow, strict=True))


def test_a_layer_fed_numbers_and_a_single_input_take_the_general_road():
    from tinygrad_mlp.nn import Layer

    wide = Layer(3, 2, activation="relu", seed=0)
    out = wide._scalar(np.array([0.5, -1.0, 2.0]))  # numbers, not nodes: constant leaves
    assert out[0]._prev[0]._prev.outer[:3] == wide.neurons[0].w
    narrow = Layer(1, 2, activation="tanh", seed=0)
    (a, _) = narrow([Value(0.25)])
    w, b = narrow.weight.data[0, 0], narrow.bias.data[0]
    assert a.data == math.tanh(0.25 * float(w) + float(b))

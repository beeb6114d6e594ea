"""The graph core: iterative order, the backward driver, unbroadcast."""

from __future__ import annotations

import sys

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays, mutually_broadcastable_shapes

from tinygrad_mlp import Value
from tinygrad_mlp.autograd import toposort, unbroadcast, walk


def test_million_node_chain_backpropagates_at_default_recursion_limit():
    limit = sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1.0
    y.backward()
    assert x.grad == 1.0
    assert y.data == 1_000_001.0
    assert sys.getrecursionlimit() == limit


def test_toposort_puts_every_node_after_its_parents():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = toposort(e)
    position = {id(n): k for k, n in enumerate(order)}
    for node in order:
        for parent in node._prev:
            if parent._fn is not None:
                assert position[id(parent)] < position[id(node)]
    assert [n._op for n in order] == ["*", "+", "*"]


def test_walk_visits_each_node_once_leaves_included():
    a = Value(1.0)
    b = a * a
    c = b + b
    nodes = walk(c)
    assert len(nodes) == 3 and len({id(n) for n in nodes}) == 3
    assert nodes[-1] is c and nodes[0] is a


@given(st.data())
def test_unbroadcast_returns_parent_shape_and_keeps_total(data):
    shapes, result = data.draw(mutually_broadcastable_shapes(num_shapes=2, max_dims=4, max_side=4))
    grad = data.draw(arrays(np.float64, result, elements=st.floats(-10, 10)))
    for shape in shapes:
        reduced = unbroadcast(grad, shape)
        assert reduced.shape == shape
        np.testing.assert_allclose(reduced.sum(), grad.sum(), rtol=1e-9, atol=1e-9)


def test_unbroadcast_exact_small_case():
    grad = np.arange(6.0).reshape(2, 3)
    assert unbroadcast(grad, (3,)).tolist() == [3.0, 5.0, 7.0]
    assert unbroadcast(grad, (2, 1)).tolist() == [[3.0], [12.0]]
    assert unbroadcast(grad, ()).tolist() == 15.0

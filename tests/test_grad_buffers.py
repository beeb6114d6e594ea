"""Leaves' gradient arrays are reused across steps without changing what users see.

``zero_grad()`` sets ``.grad`` to None (as torch) and keeps a large array aside; the next
``backward()`` writes the new gradient into it, and a second ``backward()`` adds into
the leaf's array, but only while nothing else refers to that array. A gradient the
user saved, or a view of it, is never written.
"""

from __future__ import annotations

import weakref

import numpy as np
import pytest

from tinygrad_mlp import Tensor
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD

N = 10_000  # elements: 80 KB in float64, large enough for zero_grad to keep the array


def big(*head: float, dtype=np.float64) -> np.ndarray:
    """An array of N elements starting with ``head`` (then ones)."""
    out = np.ones(N, dtype=dtype)
    out[: len(head)] = head
    return out


def quadratic(w: Tensor, scale: float) -> Tensor:
    return ((w * w) * scale).sum()


def test_zero_grad_leaves_none_and_the_next_gradient_reuses_the_array():
    w = Tensor(big(1.0, -2.0, 3.0), requires_grad=True)
    quadratic(w, 1.0).backward()
    first = weakref.ref(w.grad)  # NOTE: a weak reference does not count as holding it
    w.zero_grad()
    assert w.grad is None
    quadratic(w, 3.0).backward()
    assert w.grad[:3].tolist() == [6.0, -12.0, 18.0]
    assert w.grad is first()  # the same array, rewritten


@pytest.mark.parametrize("how", ["tensor", "optimizer", "module"])
def test_a_saved_gradient_is_never_written(how):
    net = MLP(100, [100, 1], seed=0)
    opt = SGD(net.parameters(), lr=0.1)
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(4, 100)), rng.normal(size=(4, 1))
    mse(net(x), z).backward()
    saved = [p.grad for p in net.parameters()]
    copies = [g.copy() for g in saved]
    if how == "tensor":
        for p in net.parameters():
            p.zero_grad()
    elif how == "optimizer":
        opt.zero_grad()
    else:
        net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    mse(net(x * 2), z).backward()
    for g, before, p in zip(saved, copies, net.parameters(), strict=True):
        assert np.array_equal(g, before)
        assert p.grad is not g


def test_a_view_of_a_gradient_blocks_reuse_and_accumulation_in_place():
    w = Tensor(big(1.0, 2.0), requires_grad=True)
    quadratic(w, 1.0).backward()
    view = w.grad[:2]
    quadratic(w, 1.0).backward()  # accumulates: must not write through the view
    assert view.tolist() == [2.0, 4.0] and w.grad[:2].tolist() == [4.0, 8.0]
    view = w.grad[:1]
    w.zero_grad()
    quadratic(w, 5.0).backward()
    assert view.tolist() == [4.0] and w.grad[:2].tolist() == [10.0, 20.0]


def test_two_backward_calls_add_exactly_in_place_unless_the_gradient_is_held():
    rng = np.random.default_rng(1)
    data = rng.normal(size=(100, 100))
    w = Tensor(data, requires_grad=True)
    ((w * w) * 0.3).sum().backward()
    first = w.grad
    first_copy = first.copy()
    del first
    array = weakref.ref(w.grad)
    (w.exp() * 0.7).sum().backward()
    expected = first_copy + np.exp(data) * 0.7
    assert np.array_equal(w.grad, expected)
    assert w.grad is array()  # added in place
    kept = w.grad
    (w * 2.0).sum().backward()
    assert np.array_equal(kept, expected)  # a held gradient is not added into
    assert np.array_equal(w.grad, expected + 2.0)


def test_leaves_never_share_a_gradient_array_after_reuse():
    a = Tensor(big(1.0, 2.0), requires_grad=True)
    b = Tensor(big(3.0, 4.0), requires_grad=True)
    for _ in range(3):
        a.zero_grad()
        b.zero_grad()
        out = a + b
        out.sum().backward()
        assert a.grad is not b.grad and not np.shares_memory(a.grad, b.grad)
        assert not np.shares_memory(a.grad, out.grad)
        a.grad *= 2
        assert np.all(b.grad == 1.0)


def test_a_spare_of_another_shape_or_dtype_is_not_used():
    w = Tensor(big(1.0, 2.0), requires_grad=True)
    quadratic(w, 1.0).backward()
    w.zero_grad()
    w.data = np.concatenate([big(1.0, 2.0, 3.0), [4.0]])
    quadratic(w, 1.0).backward()
    assert w.grad.shape == (N + 1,) and w.grad[:3].tolist() == [2.0, 4.0, 6.0]
    w.zero_grad()
    w.data = big(1.0, 2.0, 3.0, 4.0, dtype=np.float32)
    quadratic(w, 1.0).backward()
    assert w.grad.dtype == np.float32 and w.grad[:4].tolist() == [2.0, 4.0, 6.0, 8.0]


def test_create_graph_after_zero_grad_still_gives_a_node():
    w = Tensor(big(1.0, 2.0), requires_grad=True)
    quadratic(w, 1.0).backward()
    w.zero_grad()
    (w**3).sum().backward(create_graph=True)
    assert isinstance(w.grad, Tensor) and w.grad.data[:2].tolist() == [3.0, 12.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_training_with_reused_buffers_gives_the_same_bits(dtype):
    def run(reuse: bool) -> list[np.ndarray]:
        net = MLP(100, [200, 2], activation="tanh", seed=2, dtype=dtype)
        opt = SGD(net.parameters(), lr=0.05, momentum=0.9)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(16, 100)).astype(dtype)
        z = rng.normal(size=(16, 2)).astype(dtype)
        for _ in range(5):
            if reuse:
                opt.zero_grad()
            else:
                for p in net.parameters():
                    p.grad = None  # no spare kept: every gradient a fresh array
            mse(net(x), z).backward()
            mse(net(x * 0.5), z).backward()  # two sweeps: accumulation too
            opt.step()
        return [p.data.copy() for p in net.parameters()]

    for a, b in zip(run(True), run(False), strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)


def test_small_gradients_are_simply_dropped():
    w = Tensor([1.0, 2.0], requires_grad=True)
    quadratic(w, 1.0).backward()
    w.zero_grad()
    assert getattr(w, "_spare", None) is None


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_layers_weight_gradient_is_computed_into_its_old_array(dtype):
    rng = np.random.default_rng(4)
    x = rng.normal(size=(32, 120)).astype(dtype)
    z = rng.normal(size=(32, 3)).astype(dtype)
    net = MLP(120, [150, 3], activation="relu", seed=5, dtype=dtype)
    opt = SGD(net.parameters(), lr=0.01)
    mse(net(x), z).backward()
    weight = net.layers[0].weight
    first = weakref.ref(weight.grad)
    opt.zero_grad()
    mse(net(x * 0.5), z).backward()
    assert weight.grad is first()
    fresh = MLP(120, [150, 3], activation="relu", seed=5, dtype=dtype)
    mse(fresh(x * 0.5), z).backward()
    for p, q in zip(net.parameters(), fresh.parameters(), strict=True):
        assert p.grad.dtype == q.grad.dtype and np.array_equal(p.grad, q.grad)

"""Tensor ops: gradients against central finite differences, broadcasting, semantics."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

from tests.tensor_ops import ELEMENTWISE as ELEMENTWISE_OPS
from tests.tensor_ops import sample
from tinygrad_mlp import Tensor, no_grad


def numerical_grads(f, arrays, h=1e-6):
    """d(sum(f · weights))/d(array), every element, central differences in float64."""
    out = f(*[Tensor(a) for a in arrays]).data
    weights = np.random.default_rng(1).uniform(0.5, 1.5, out.shape)
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            plus = (f(*[Tensor(x) for x in arrays]).data * weights).sum()
            a[idx] = old - h
            minus = (f(*[Tensor(x) for x in arrays]).data * weights).sum()
            a[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        grads.append(g)
    return weights, grads


def check_op(f, arrays):
    weights, expected = numerical_grads(f, arrays)
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = f(*tensors)
    out.backward(weights)
    for k, (t, g) in enumerate(zip(tensors, expected, strict=True)):
        assert t.grad is not None, f"input {k} got no gradient"
        assert t.grad.shape == t.shape, f"input {k}: grad {t.grad.shape} for {t.shape}"
        np.testing.assert_allclose(t.grad, g, rtol=1e-5, atol=1e-6, err_msg=f"input {k}")


ELEMENTWISE = [op[:5] for op in ELEMENTWISE_OPS if op.arity == 2]


@pytest.mark.parametrize(
    "name, arity, ours, theirs, domain", ELEMENTWISE, ids=[o[0] for o in ELEMENTWISE]
)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3),
    seed=st.integers(0, 2**16),
)
def test_broadcasting_op_grad_matches_finite_differences(
    name, arity, ours, theirs, domain, shapes, seed
):
    rng = np.random.default_rng(seed)
    check_op(ours, [sample(domain, s, rng) for s in shapes.input_shapes])


@pytest.mark.parametrize(
    "shape_a, shape_b",
    [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)), ((5, 2, 3), (5, 3, 4))],
)
def test_matmul_grad_matches_finite_differences(shape_a, shape_b):
    rng = np.random.default_rng(0)
    check_op(lambda a, b: a @ b, [rng.normal(size=shape_a), rng.normal(size=shape_b)])


def test_repeated_indices_accumulate():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    a[[0, 0, 2]].sum().backward()
    assert a.grad.tolist() == [2.0, 0.0, 1.0]


def test_max_shares_gradient_between_ties():
    a = Tensor([[1.0, 3.0, 3.0]], requires_grad=True)
    a.max(axis=1).sum().backward()
    assert a.grad.tolist() == [[0.0, 0.5, 0.5]]


def test_broadcast_gradient_exact():
    a = Tensor([[1.0], [2.0]], requires_grad=True)
    b = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.tolist() == [[60.0], [60.0]]
    assert b.grad.tolist() == [3.0, 3.0, 3.0]


def test_backward_on_non_scalar_without_grad_is_a_clear_error():
    a = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"one-element tensor, not shape \(2,\)"):
        (a * 2).backward()


def test_float32_stays_float32_through_a_training_step():
    from tinygrad_mlp.losses import mse
    from tinygrad_mlp.nn import MLP

    net = MLP(3, [4, 2], activation="sigmoid", seed=0, dtype=np.float32)
    x = np.ones((5, 3), dtype=np.float32)
    y = net(x)
    loss = mse(y, np.zeros((5, 2)))
    loss.backward()
    assert y.dtype == np.float32 and loss.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in net.parameters())
    assert ((Tensor(x) * 2.5) + 1).dtype == np.float32


def test_no_grad_and_detach_build_no_graph():
    a = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        b = a * 2
    assert not b.requires_grad and b._prev == ()
    c = a.detach() * 2
    assert not c.requires_grad and c.data.tolist() == [2.0, 4.0]


def test_constant_inputs_get_no_gradient():
    x = Tensor(np.ones((2, 3)))
    w = Tensor(np.ones((3, 1)), requires_grad=True)
    (x @ w).sum().backward()
    assert x.grad is None and w.grad.tolist() == [[2.0], [2.0], [2.0]]


def test_two_backward_calls_accumulate_into_leaves():
    a = Tensor([2.0], requires_grad=True)
    c = (a * a) * 3
    c.backward()
    c.backward()
    assert a.grad.tolist() == [24.0]


def test_leaf_gradients_are_independent_writable_arrays():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad *= 10  # in place, as gradient clipping does
    assert b.grad.tolist() == [1.0, 1.0]
    c = Tensor(np.ones((2, 3)), requires_grad=True)
    c.sum().backward()
    c.grad[0, 0] = 5.0  # not a read-only broadcast view
    assert c.grad.sum() == 10.0


def test_numpy_functions_do_not_silently_leave_the_graph():
    w = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="cannot become a numpy array"):
        np.exp(w)
    assert np.asarray(w.detach()).tolist() == [1.0, 2.0]
    assert (np.ones(2) * w).requires_grad  # ndarray <op> Tensor stays in the graph

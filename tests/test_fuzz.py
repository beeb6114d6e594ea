"""Fuzzing: random expression DAGs on both engines against finite differences and torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.strategies_dag import input_values, near_kink, programs, run, tensor_shapes
from tinygrad_mlp import Tensor, Value


def total(results, lib):
    """Sum of every result, so every node of the DAG matters to the output."""
    out = results[3]
    for r in results[4:]:
        out = out + r
    return out if lib != "numpy" else np.sum(out)


@settings(max_examples=1500, deadline=None)
@given(program=programs(), values=input_values())
def test_value_dags_match_finite_differences(program, values):
    assume(not near_kink(program, values))
    leaves = [Value(v) for v in values]
    out = total(run(program, leaves, "ours"), "ours")
    out.backward()
    h = 1e-6
    for k in range(3):
        plus, minus = list(values), list(values)
        plus[k] += h
        minus[k] -= h
        fd = (
            total(run(program, plus, "float"), "float")
            - total(run(program, minus, "float"), "float")
        ) / (2 * h)
        assert leaves[k].grad == pytest.approx(fd, rel=1e-4, abs=1e-5)


@settings(max_examples=400, deadline=None)
@given(program=programs(), shapes=tensor_shapes(), seed=st.integers(0, 2**16))
def test_tensor_dags_match_finite_differences(program, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [np.array(rng.uniform(-2, 2, s)) for s in shapes.input_shapes]
    assume(not near_kink(program, arrays, "numpy"))
    tensors = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    out = total(run(program, tensors, "ours"), "ours")
    out = out.sum() if out.ndim else out
    out.backward()
    h = 1e-6
    for t, a in zip(tensors, arrays, strict=True):
        grad = np.zeros_like(a) if t.grad is None else t.grad
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            plus = total(run(program, arrays, "numpy"), "numpy")
            a[idx] = old - h
            minus = total(run(program, arrays, "numpy"), "numpy")
            a[idx] = old
            assert grad[idx] == pytest.approx((plus - minus) / (2 * h), rel=1e-4, abs=1e-5)


@settings(max_examples=300, deadline=None)
@given(program=programs(), shapes=tensor_shapes(), seed=st.integers(0, 2**16))
def test_tensor_dags_match_torch(program, shapes, seed):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    arrays = [np.array(rng.uniform(-2, 2, s)) for s in shapes.input_shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    out = total(run(program, ours, "ours"), "ours").sum()
    ref = total(run(program, theirs, "torch"), "torch").sum()
    out.backward()
    ref.backward()
    assert out.item() == pytest.approx(ref.item(), rel=1e-12, abs=1e-12)
    for t, r in zip(ours, theirs, strict=True):
        expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(t.shape) if t.grad is None else t.grad
        np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-12)

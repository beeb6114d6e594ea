"""Fuzzing: random expression DAGs on both engines against finite differences and torch."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.strategies_dag import (
    REDUCE,
    SINGULAR_VALUES,
    input_values,
    near_kink,
    programs,
    run,
    tensor_shapes,
)
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


@settings(max_examples=300, deadline=None)
@given(
    program=programs(reduce=True),
    shapes=tensor_shapes(),
    seed=st.integers(0, 2**16),
    dtypes=st.lists(st.sampled_from(["float64", "float32"]), min_size=3, max_size=3),
    strided=st.booleans(),
)
def test_tensor_dags_with_reductions_dtype_mixes_and_strides_match_torch(
    program, shapes, seed, dtypes, strided
):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, dtype in zip(shapes.input_shapes, dtypes, strict=True):
        a = np.array(rng.uniform(-2, 2, shape)).astype(dtype)
        if strided and a.ndim:  # the same numbers through a non-contiguous view
            a = np.repeat(a[..., None], 2, axis=-1)[..., 0]
        arrays.append(a)
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = total(run(program, ours, "ours"), "ours").sum()
    ref = total(run(program, theirs, "torch"), "torch").sum()
    assert str(out.dtype) == str(ref.dtype).removeprefix("torch.")
    out.backward()
    ref.backward()
    tol = 1e-10 if all(d == "float64" for d in dtypes) else 2e-4
    np.testing.assert_allclose(out.item(), ref.item(), rtol=tol, atol=tol)
    for t, r in zip(ours, theirs, strict=True):
        expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(t.shape, t.dtype) if t.grad is None else t.grad
        assert got.dtype == t.dtype, "a leaf's gradient keeps the leaf's dtype"
        np.testing.assert_allclose(got, expected, rtol=tol, atol=tol)


@settings(max_examples=300, deadline=None)
@given(
    program=programs(),
    values=st.lists(st.sampled_from(SINGULAR_VALUES), min_size=3, max_size=3),
)
def test_dags_at_singular_points_agree_with_torch_by_class_on_both_engines(program, values):
    torch = pytest.importorskip("torch")
    from tests.tensor_ops import same_class

    leaves = [Value(v) for v in values]
    scalar_out = total(run(program, leaves, "ours"), "ours")
    scalar_out.backward()  # never raises: IEEE throughout
    tensors = [Tensor(np.array(v), requires_grad=True) for v in values]
    with np.errstate(all="ignore"):
        tensor_out = total(run(program, tensors, "ours"), "ours")
        tensor_out.backward()
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    ref = total(run(program, theirs, "torch"), "torch")
    ref.backward()
    for got in (np.array(scalar_out.data), tensor_out.data):
        same_class(got, ref.detach().numpy(), 1e-9, 1e-12, "forward")
    for k in range(3):
        expected = 0.0 if theirs[k].grad is None else theirs[k].grad.item()
        tensor_grad = 0.0 if tensors[k].grad is None else tensors[k].grad
        same_class(np.array(leaves[k].grad), np.array(expected), 1e-9, 1e-12, f"scalar d/dx{k}")
        same_class(np.array(tensor_grad), np.array(expected), 1e-9, 1e-12, f"tensor d/dx{k}")


@settings(max_examples=150, deadline=None)
@given(program=programs(reduce=True), shapes=tensor_shapes(), seed=st.integers(0, 2**16))
def test_second_derivatives_of_random_dags_match_torch_on_both_engines(program, shapes, seed):
    torch = pytest.importorskip("torch")
    from tinygrad_mlp import grad

    rng = np.random.default_rng(seed)
    arrays = [np.array(rng.uniform(-2, 2, s)) for s in shapes.input_shapes]
    vs = [rng.uniform(0.5, 1.5, s) for s in shapes.input_shapes]
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    out = total(run(program, ours, "ours"), "ours").sum()
    firsts = grad(out, ours, create_graph=True, allow_unused=True)
    s = sum(((g * v).sum() for g, v in zip(firsts, vs, strict=True) if g is not None), Tensor(0.0))
    seconds = grad(s, ours, allow_unused=True) if s.requires_grad else [None] * 3
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    ref = total(run(program, theirs, "torch"), "torch").sum()
    t_firsts = torch.autograd.grad(ref, theirs, create_graph=True, allow_unused=True)
    t_s = sum(
        ((g * torch.tensor(v)).sum() for g, v in zip(t_firsts, vs, strict=True) if g is not None),
        torch.tensor(0.0, dtype=torch.float64),
    )
    t_seconds = (
        torch.autograd.grad(t_s, theirs, allow_unused=True) if t_s.requires_grad else [None] * 3
    )
    for k, (g, r) in enumerate(zip(seconds, t_seconds, strict=True)):
        got = np.zeros(arrays[k].shape) if g is None else g
        expected = np.zeros(arrays[k].shape) if r is None else r.numpy()
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-10, err_msg=f"input {k}")
    scalar_ops = all(op not in REDUCE for op, _ in program)
    if scalar_ops and all(a.ndim == 0 for a in arrays):  # the scalar engine, same program
        leaves = [Value(float(a)) for a in arrays]
        y = total(run(program, leaves, "ours"), "ours")
        g1 = grad(y, leaves, create_graph=True, allow_unused=True)
        s1 = sum((g * float(v) for g, v in zip(g1, vs, strict=True) if g is not None), Value(0.0))
        g2 = grad(s1, leaves, allow_unused=True)
        for k, g in enumerate(g2):
            expected = 0.0 if t_seconds[k] is None else t_seconds[k].item()
            assert (0.0 if g is None else g) == pytest.approx(expected, rel=1e-9, abs=1e-10)

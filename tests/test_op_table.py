"""The op table over every spelling and edge, against torch and central differences.

Tolerances: float64 against torch rtol 1e-10, atol 1e-12; float32 rtol 1e-5,
atol 1e-6; central differences (h = 1e-6, float64) rtol 1e-5, atol 1e-6; at the
singular points, values and gradients as torch's by class (nan, +inf, -inf in
the same places) and within rtol 1e-12, atol 1e-15 elsewhere (the floor: torch's
bce_with_logits rounds ln(1 + e^-50) to 0 where we keep its 1.9e-22).
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.tensor_ops import OPS, SCALAR, grid, inputs_for, same_class, spellings
from tinygrad_mlp import Tensor, Value

torch = pytest.importorskip("torch")

CASES = [(op, sid, shapes) for op in OPS for sid, shapes in spellings(op)]
IDS = [f"{op.name}-{sid}" for op, sid, _ in CASES]
TORCH_DTYPE = {np.dtype(np.float64): torch.float64, np.dtype(np.float32): torch.float32}


def run_ours(op, arrays, weights=None):
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    out = op.ours(*leaves)
    if weights is None:
        weights = np.random.default_rng(7).uniform(0.5, 1.5, out.shape)
    out.backward(weights.astype(out.dtype))
    return out, leaves, weights


def run_torch(op, arrays, weights):
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = op.theirs(*leaves)
    out.backward(torch.tensor(weights, dtype=out.dtype))
    grads = [
        np.zeros(a.shape, a.dtype) if t.grad is None else t.grad.numpy()
        for a, t in zip(arrays, leaves, strict=True)
    ]
    return out.detach().numpy(), grads


def grad_of(t):
    return np.zeros(t.shape, t.dtype) if t.grad is None else t.grad


@pytest.mark.parametrize("op, sid, shapes", CASES, ids=IDS)
@pytest.mark.parametrize("layout", ["contiguous", "non_contiguous"])
def test_forward_and_gradients_match_torch_float64(op, sid, shapes, layout):
    rng = np.random.default_rng(abs(hash((op.name, sid))) % 2**32)
    arrays = inputs_for(op, shapes, rng)
    if layout == "non_contiguous":
        # the same numbers through a strided view (every other element of a wider array)
        arrays = [np.repeat(a[..., None], 2, axis=-1)[..., 0] if a.ndim else a for a in arrays]
        assert all(a.ndim == 0 or a.size <= 1 or not a.flags.c_contiguous for a in arrays)
    out, leaves, weights = run_ours(op, arrays)
    ref, ref_grads = run_torch(op, arrays, weights)
    assert out.shape == ref.shape and out.dtype == np.float64
    same_class(out.data, ref, 1e-10, 1e-12, f"{op.name} forward")
    for k, (t, g) in enumerate(zip(leaves, ref_grads, strict=True)):
        assert type(grad_of(t)) is np.ndarray, f"input {k}: gradient is not an array"
        assert grad_of(t).shape == t.shape and grad_of(t).dtype == t.dtype
        same_class(grad_of(t), g, 1e-10, 1e-12, f"{op.name} d/d input {k}")


@pytest.mark.parametrize("op, sid, shapes", CASES, ids=IDS)
def test_float32_matches_torch_float32(op, sid, shapes):
    rng = np.random.default_rng(3)
    arrays = [a.astype(np.float32) for a in inputs_for(op, shapes, rng)]
    out, leaves, weights = run_ours(op, arrays)
    ref, ref_grads = run_torch(op, arrays, weights.astype(np.float32))
    assert out.dtype == np.float32, f"{op.name} gave {out.dtype} on float32 inputs"
    same_class(out.data, ref, 1e-5, 1e-6, f"{op.name} forward")
    for k, (t, g) in enumerate(zip(leaves, ref_grads, strict=True)):
        assert grad_of(t).dtype == np.float32, f"input {k}: {grad_of(t).dtype} gradient"
        same_class(grad_of(t), g, 1e-5, 1e-5, f"{op.name} d/d input {k}")


# NOTE: torch's matmul and bce refuse mixed dtypes; ours promote as for any other pair.
BINARY_CASES = [
    c for c in CASES if c[0].arity == 2 and c[0].name not in ("matmul", "linear", "bce")
]


@pytest.mark.parametrize(
    "op, sid, shapes", BINARY_CASES, ids=[f"{c[0].name}-{c[1]}" for c in BINARY_CASES]
)
def test_float32_float64_mix_promotes_as_torch(op, sid, shapes):
    rng = np.random.default_rng(5)
    a, b = inputs_for(op, shapes, rng)
    arrays = [a.astype(np.float32), b]
    ref_out = op.theirs(*[torch.tensor(x) for x in arrays])
    out, leaves, weights = run_ours(op, arrays)
    assert out.dtype == np.dtype(str(ref_out.dtype).removeprefix("torch.")), (
        f"{op.name}: {out.dtype}, torch {ref_out.dtype}"
    )
    ref, ref_grads = run_torch(op, arrays, weights)
    same_class(out.data, ref, 1e-5, 1e-6, f"{op.name} forward")
    for k, (t, g) in enumerate(zip(leaves, ref_grads, strict=True)):
        assert grad_of(t).dtype == t.dtype, f"input {k}: a {t.dtype} leaf got {grad_of(t).dtype}"
        same_class(grad_of(t), g, 1e-5, 1e-5, f"{op.name} d/d input {k}")


def central_differences(op, arrays, weights, h=1e-6):
    grads = []
    for a in arrays:
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + h
            plus = (op.ours(*[Tensor(x) for x in arrays]).data * weights).sum()
            a[idx] = old - h
            minus = (op.ours(*[Tensor(x) for x in arrays]).data * weights).sum()
            a[idx] = old
            g[idx] = (plus - minus) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("op, sid, shapes", CASES, ids=IDS)
def test_gradients_match_central_differences(op, sid, shapes):
    rng = np.random.default_rng(11)
    arrays = inputs_for(op, shapes, rng)
    out, leaves, weights = run_ours(op, [a.copy() for a in arrays])
    for k, (t, g) in enumerate(zip(leaves, central_differences(op, arrays, weights), strict=True)):
        np.testing.assert_allclose(grad_of(t), g, rtol=1e-5, atol=1e-6, err_msg=f"input {k}")


SINGULAR = [op for op in OPS if op.singular]


@pytest.mark.parametrize("op", SINGULAR, ids=[op.name for op in SINGULAR])
def test_singular_points_match_torch_by_class(op):
    arrays = grid(op)
    if op.shapes:  # a reduction: the points as one row
        arrays = [a.reshape(1, -1) for a in arrays]
    with np.errstate(all="ignore"):
        out, leaves, weights = run_ours(op, arrays, np.ones(op.ours(*map(Tensor, arrays)).shape))
    ref, ref_grads = run_torch(op, arrays, np.ones(out.shape))
    same_class(out.data, ref, 1e-12, 1e-15, f"{op.name} forward at {arrays}")
    for k, (t, g) in enumerate(zip(leaves, ref_grads, strict=True)):
        same_class(grad_of(t), g, 1e-12, 1e-15, f"{op.name} d/d input {k} at {arrays}")


@pytest.mark.parametrize("op", [o for o in SCALAR if o.singular], ids=lambda o: o.name)
def test_scalar_engine_singular_points_match_torch_and_raise_nothing(op):
    arrays = grid(op)
    ref, ref_grads = run_torch(op, arrays, np.ones(arrays[0].shape))
    values, grads = [], [[] for _ in arrays]
    for point in zip(*arrays, strict=True):
        leaves = [Value(float(x)) for x in point]
        out = op.scalar(*leaves)
        out.backward()
        values.append(out.data)
        for k, leaf in enumerate(leaves):
            grads[k].append(leaf.grad)
    same_class(np.array(values), ref, 1e-12, 1e-15, f"{op.name} forward")
    for k, g in enumerate(grads):
        same_class(np.array(g), ref_grads[k], 1e-12, 1e-15, f"{op.name} d/d input {k}")


def test_table_covers_every_spelling_dimension():
    names = {op.name for op in OPS}
    shapes = [s for op in OPS for _, ss in spellings(op) for s in ss]
    assert () in shapes and any(0 in s for s in shapes) and any(1 in s for s in shapes)
    assert {"permute_neg_axes", "sum_keepdims", "max_axis", "index_bool_mask"} <= names
    assert len(CASES) >= 150

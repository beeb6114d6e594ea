"""Second and third derivatives of every op-table op, on both engines, against torch.

Each order differentiates the previous gradient contracted with a fixed random
vector: s₀ = Σ w·f(x), gₖ = ∇ sₖ₋₁ (create_graph=True), sₖ = Σ vₖ·gₖ, as
``torch.autograd.grad(..., create_graph=True)`` does it. float64, rtol 1e-10 with
an absolute floor of 1e-12 (1e-9 for ``bce``, whose second derivative torch
bounds as (y + 1e-12)²(1 − y + 1e-12)² where ours bounds max(y(1 − y), 1e-12));
non-finite values compared by class.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.tensor_ops import OPS, SCALAR, grid, inputs_for, same_class, spellings
from tinygrad_mlp import Tensor, Value, grad

torch = pytest.importorskip("torch")

FLOOR = {"bce": 1e-9}


def _ours(op, arrays, w, vs, orders):
    leaves = [Tensor(a, requires_grad=True) for a in arrays]
    s = (op.ours(*leaves) * Tensor(w)).sum()
    found = []
    for order in range(orders):
        if s.requires_grad:
            grads = grad(s, leaves, create_graph=order < orders - 1, allow_unused=True)
        else:
            grads = [None] * len(leaves)
        grads = [np.zeros_like(a) if g is None else g for g, a in zip(grads, arrays, strict=True)]
        found.append([g.data if isinstance(g, Tensor) else g for g in grads])
        s = Tensor(0.0)
        for g, v in zip(grads, vs[order], strict=True):
            if isinstance(g, Tensor):
                s = s + (g * Tensor(v)).sum()
    return found


def _torch(op, arrays, w, vs, orders):
    leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    s = (op.theirs(*leaves) * torch.tensor(w)).sum()
    found = []
    for order in range(orders):
        if s.requires_grad:
            grads = torch.autograd.grad(s, leaves, create_graph=True, allow_unused=True)
        else:
            grads = [None] * len(leaves)
        grads = [
            torch.zeros(a.shape, dtype=torch.float64) if g is None else g
            for g, a in zip(grads, arrays, strict=True)
        ]
        found.append([g.detach().numpy(force=True) for g in grads])
        s = sum(
            ((g * torch.tensor(v)).sum() for g, v in zip(grads, vs[order], strict=True)),
            torch.tensor(0.0, dtype=torch.float64),
        )
    return found


CASES = [(op, sid, shapes) for op in OPS for sid, shapes in spellings(op)[:3]]


@pytest.mark.parametrize("op, sid, shapes", CASES, ids=[f"{o.name}-{s}" for o, s, _ in CASES])
def test_second_and_third_derivatives_match_torch_on_the_tensor_engine(op, sid, shapes):
    rng = np.random.default_rng(17)
    arrays = inputs_for(op, shapes, rng)
    w = rng.uniform(0.5, 1.5, op.ours(*[Tensor(a) for a in arrays]).shape)
    vs = [[rng.uniform(0.5, 1.5, a.shape) for a in arrays] for _ in range(op.orders)]
    ours = _ours(op, arrays, w, vs, op.orders)
    theirs = _torch(op, arrays, w, vs, op.orders)
    floor = FLOOR.get(op.name, 1e-12)
    for order, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
        for k, (g, ref) in enumerate(zip(a, b, strict=True)):
            same_class(g, ref, 1e-10, floor, f"{op.name}: order {order}, input {k}")


def _scalar_derivatives(op, point, orders):
    leaves = [Value(float(x)) for x in point]
    s = op.scalar(*leaves)
    found = []
    for order in range(orders):
        if isinstance(s, Value) and s._fn is not None:
            grads = grad(s, leaves, create_graph=order < orders - 1, allow_unused=True)
        else:
            grads = [None] * len(leaves)
        grads = [0.0 if g is None else g for g in grads]
        found.append([g.data if isinstance(g, Value) else g for g in grads])
        s = sum((g for g in grads if isinstance(g, Value)), Value(0.0))
    return found


def _torch_scalar_derivatives(op, point, orders):
    leaves = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in point]
    s = op.theirs(*leaves)
    found = []
    for _ in range(orders):
        if s.requires_grad:
            grads = torch.autograd.grad(s, leaves, create_graph=True, allow_unused=True)
        else:
            grads = [None] * len(leaves)
        grads = [torch.tensor(0.0, dtype=torch.float64) if g is None else g for g in grads]
        found.append([g.item() for g in grads])
        s = sum(grads, torch.tensor(0.0, dtype=torch.float64))
    return found


@pytest.mark.parametrize("op", SCALAR, ids=[op.name for op in SCALAR])
def test_second_and_third_derivatives_match_torch_on_the_scalar_engine(op):
    rng = np.random.default_rng(23)
    arrays = inputs_for(op, [(5,)] * op.arity, rng)
    floor = FLOOR.get(op.name, 1e-12)
    for point in zip(*arrays, strict=True):
        ours = _scalar_derivatives(op, point, op.orders)
        theirs = _torch_scalar_derivatives(op, point, op.orders)
        for order, (a, b) in enumerate(zip(ours, theirs, strict=True), start=1):
            same_class(np.array(a), np.array(b), 1e-10, floor, f"{op.name} at {point}, {order}")


#: singular points left out of the second-order comparison: (which points, why)
EXCLUDED = {
    "div": (
        lambda a, b: b == 0,
        "d²(a/b)/db² at b = 0: ours is ±inf (the limit of 2a/b³), torch's rule forms 0·inf = nan",
    ),
    "rdiv": (
        lambda a: a == 0,
        "as div: at 0 ours is ±inf, torch's -g·c/(a·a) rule differentiates to 0·inf = nan",
    ),
    "tensor_pow": (
        lambda a, b: (a == 0) | np.isinf(a),
        "at base 0, d²(a^b)/da db holds ln 0: torch's masked rule gives nan, ours keeps the "
        "masked branch's other factor (neither limit exists); at an infinite base the scalar "
        "engine cuts the branch its first-order rule masks (a constant 0), where torch keeps "
        "it with weight 0 and 0·inf = nan",
    ),
    "bce": (
        lambda y, z: (y * (1 - y) < 1e-6) | (z != np.round(z)),
        "torch's double backward of binary_cross_entropy bounds the denominator as "
        "(y + 1e-12)²(1 − y + 1e-12)², not the derivative of its own first-order rule; near "
        "y = 0, 1 (and through the target) the two disagree; ours differentiates its rule",
    ),
}


@pytest.mark.parametrize("op", [o for o in SCALAR if o.singular], ids=lambda o: o.name)
def test_second_derivatives_at_singular_points_match_torch_by_class_on_both_engines(op):
    arrays = grid(op)
    if op.name in EXCLUDED:
        with np.errstate(all="ignore"):
            keep = ~EXCLUDED[op.name][0](*arrays)
        arrays = [a[keep] for a in arrays]
    w = np.ones(arrays[0].shape)
    vs = [[np.ones(a.shape) for a in arrays] for _ in range(2)]
    with np.errstate(all="ignore"):
        ours = _ours(op, arrays, w, vs, 2)
    theirs = _torch(op, arrays, w, vs, 2)
    for k, (g, ref) in enumerate(zip(ours[1], theirs[1], strict=True)):
        same_class(g, ref, 1e-10, 1e-10, f"{op.name}: tensor engine, input {k}")
    scalar = [_scalar_derivatives(op, p, 2)[1] for p in zip(*arrays, strict=True)]
    for k in range(op.arity):
        got = np.array([s[k] for s in scalar])
        same_class(got, theirs[1][k], 1e-10, 1e-10, f"{op.name}: scalar engine, input {k}")


def test_bce_second_derivative_near_saturation_matches_central_differences():
    from tinygrad_mlp.tensor import BCE

    y0, z0, h = np.array([1e-3, 0.2, 0.999]), np.array([1.0, 0.0, 0.0]), 1e-7

    def first(y):
        t = Tensor(y, requires_grad=True)
        t._apply(BCE(), t, Tensor(z0)).sum().backward()
        return t.grad

    t = Tensor(y0, requires_grad=True)
    (g,) = grad(t._apply(BCE(), t, Tensor(z0)).sum(), t, create_graph=True)
    (h2,) = grad(g.sum(), t)
    expected = (first(y0 + h) - first(y0 - h)) / (2 * h)
    np.testing.assert_allclose(h2, expected, rtol=1e-6)


def test_the_graph_of_a_gradient_has_the_expected_nodes_and_draws():
    from tinygrad_mlp.autograd import walk
    from tinygrad_mlp.viz import draw_graph

    x = Value(0.4, label="x")
    (g,) = grad(x.tanh(), x, create_graph=True)  # 1·(1 − y·y) with y = tanh(x)
    ops = sorted(n._op for n in walk(g) if n._fn is not None)
    assert ops == sorted(["tanh", "*", "*", "+", "*"])  # y·y, −1·(y·y), 1 + (…), 1·(…)
    assert x in walk(g)
    source = draw_graph(g).source
    assert "tanh" in source and "x" in source

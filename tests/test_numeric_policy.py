"""The numeric policy (IEEE, as numpy and torch) and every case the trust review reported.

Expected values come from PyTorch 2.13 float64, from math, or from central
differences; each test failed on the code before the fix.
"""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value, no_grad
from tinygrad_mlp.autograd import Op, is_grad_enabled
from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy, mse, mse_mean
from tinygrad_mlp.ops import arithmetic, fused, reductions, scalar, shape

torch = pytest.importorskip("torch")
F = torch.nn.functional


# --------------------------------------------------------------------------- 1. transpose


def test_transpose_with_negative_axes_routes_the_gradient_back():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 4))
    w = rng.normal(size=(2, 4, 3))
    a = Tensor(x, requires_grad=True)
    (a.permute(0, -1, 1) * Tensor(w)).sum().backward()
    t = torch.tensor(x, requires_grad=True)
    (t.permute(0, -1, 1) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(a.grad, t.grad.numpy(), rtol=1e-15)


def test_permute_refuses_axes_that_are_not_a_permutation():
    with pytest.raises(ValueError, match=r"repeat an axis"):
        Tensor(np.ones((2, 3))).permute(0, -2)
    with pytest.raises(IndexError, match=r"Dimension out of range"):
        Tensor(np.ones((2, 3))).permute(0, 2)


class _WrongShape(Op):
    """A deliberately wrong rule: the gradient comes back transposed."""

    __slots__ = ()
    symbol = "bad"

    def forward(self, a):
        return a * 2.0

    def backward(self, grad_out, out, a):
        return (grad_out.T * 2.0,)


def test_core_refuses_a_gradient_of_the_wrong_shape_naming_op_and_shapes():
    a = Tensor(np.ones((2, 3)), requires_grad=True)
    with pytest.raises(ValueError, match=r"_WrongShape \('bad'\).*\(3, 2\).*\(2, 3\)"):
        _WrongShape.apply(a).sum().backward()


# --------------------------------------------------------------------------- 2. bce_with_logits


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_bce_with_logits_at_zero_has_the_full_gradient(engine):
    for z, expected in ((1.0, -0.5), (0.0, 0.5)):
        if engine == "tensor":
            s = Tensor([0.0], requires_grad=True)
            bce_with_logits(s, [z]).backward()
            got = s.grad[0]
        else:
            s = Value(0.0)
            bce_with_logits([s], [z]).backward()
            got = s.grad
        assert got == expected


def test_zero_initialised_logistic_model_moves():
    w = Tensor(np.zeros(2), requires_grad=True)
    x = Tensor([[1.0, 2.0], [1.0, 0.5]])
    bce_with_logits(x @ w, [0.0, 0.0]).backward()  # before the fix: exactly 0
    assert np.all(w.grad != 0)


# --------------------------------------------------------------------------- 4. Tensor ** Tensor


def test_tensor_power_of_tensor_follows_torch_at_negative_and_zero_bases():
    bases = np.array([-2.0, 0.0, 0.0, 0.0, 2.0])
    exps = np.array([2.0, 2.0, 0.0, -1.0, 0.5])
    a, b = Tensor(bases, requires_grad=True), Tensor(exps, requires_grad=True)
    y = a**b
    y.sum().backward()
    ta, tb = (torch.tensor(v, requires_grad=True) for v in (bases, exps))
    ty = ta**tb
    ty.sum().backward()
    for ours, theirs in ((y.data, ty), (a.grad, ta.grad), (b.grad, tb.grad)):
        np.testing.assert_array_equal(ours, theirs.detach().numpy())
    assert y.data[0] == 4.0 and a.grad[0] == -4.0 and np.isnan(b.grad[0]) and b.grad[1] == 0.0


# --------------------------------------------------------------------------- 5. empty batches


def test_empty_batches_give_nan_as_numpy_and_torch():
    empty = np.zeros((0, 3))
    assert np.isnan(Tensor(empty).mean().item())
    assert np.isnan(mse_mean(Tensor(empty), empty).item())
    assert np.isnan(bce(Tensor(empty), empty).item())
    assert np.isnan(bce_with_logits(Tensor(empty), empty).item())
    assert np.isnan(cross_entropy(Tensor(empty), np.zeros(0, dtype=int)).item())
    assert mse(Tensor(empty), empty).item() == 0.0  # a sum over nothing
    assert math.isnan(mse_mean([], []).data) and math.isnan(bce([], []).data)
    x = Tensor(empty, requires_grad=True)
    x.mean().backward()
    assert x.grad.shape == (0, 3)


# --------------------------------------------------------------------------- 6. bce bound


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_bce_bounds_the_denominator_not_the_input(engine):
    t = torch.tensor([[1e-20]], dtype=torch.float64, requires_grad=True)
    F.binary_cross_entropy(t, torch.ones(1, 1, dtype=torch.float64)).backward()
    if engine == "tensor":
        y = Tensor([[1e-20]], requires_grad=True)
        bce(y, [[1.0]]).backward()
        got = y.grad.item()
    else:
        y = Value(1e-20)
        bce([y], [1.0]).backward()
        got = y.grad
    assert got == pytest.approx(t.grad.item(), rel=1e-12) and got < -9e11


# --------------------------------------------------------------------------- 7. Value IEEE


def test_value_follows_ieee_and_never_raises_on_math_domain_cases():
    assert (Value(1.0) / Value(0.0)).data == math.inf
    assert math.isnan((Value(-8.0) ** (1 / 3)).data)
    assert math.isnan(Value(math.nan).relu().data)
    a = Value(0.0)
    (a**0.5).backward()
    assert a.grad == math.inf  # torch: inf
    a, b = Value(0.0), Value(0.0)
    (a**b).backward()
    assert (a.grad, b.grad) == (0.0, 0.0)  # torch masks both
    a = Value(1e300)
    assert (a**2).data == math.inf
    c = Value(0.0)
    (Value(1.0) / c).backward()
    assert c.grad == -math.inf


# --------------------------------------------------------------------------- 8. sigmoid


def _sigmoid_reference(x: float) -> float:
    """float64 reference from the math module, in the form that cannot cancel."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def test_sigmoid_is_accurate_to_1e_12_relative_from_minus_700_to_700_on_both_engines():
    xs = np.concatenate([np.linspace(-700, 700, 14001), [-40.0, -36.0, -30.0]])
    expected = np.array([_sigmoid_reference(float(x)) for x in xs])
    ours = Tensor(xs).sigmoid().data
    scalar = np.array([Value(float(x)).sigmoid().data for x in xs])
    for got in (ours, scalar):
        rel = np.abs(got - expected) / expected
        assert rel.max() <= 1e-12, f"worst at x = {xs[rel.argmax()]}: {rel.max():.2e}"


# --------------------------------------------------------------------------- 10. mse targets


def test_scalar_mse_accepts_numpy_targets_and_object_arrays():
    ys = [Value(1.0), Value(2.0)]
    assert mse(ys, np.array([0.0, 0.0])).data == 2.5
    assert mse(np.array(ys, dtype=object), (0.0, 1.0)).data == 1.0
    assert mse(tuple(ys), np.array([0.0, 0.0])).data == 2.5


def test_targets_of_another_layout_are_an_error_naming_both_shapes():
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        mse(Tensor(np.zeros((2, 3))), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        mse([Value(1.0), Value(2.0)], np.zeros(3))
    with pytest.raises(ValueError, match=r"\(2,\).*\(2, 1\)"):
        mse_mean(Tensor(np.zeros((2, 1))), np.zeros(2))  # torch would make it (2, 2)


def test_targets_broadcast_only_toward_the_predictions():
    y = Tensor(np.ones((2, 3)), requires_grad=True)
    mse(y, np.array([1.0, 0.0, 1.0])).backward()  # one row for every sample
    assert y.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 1.0, 0.0]]


# --------------------------------------------------------------------------- 11. dtypes


def test_leaf_gradient_keeps_the_leaf_dtype_as_torch():
    a = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    b = Tensor(np.ones(3), requires_grad=True)
    (a * b).sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64


def test_float32_tensor_plus_float64_array_promotes_as_torch():
    t32 = np.ones(2, dtype=np.float32)
    assert (Tensor(t32) + np.ones(2)).dtype == np.float64  # torch: float64
    assert (Tensor(t32) + np.float64(1.0)).dtype == np.float32  # a number: float32
    assert (Tensor(t32) + Tensor(np.float64(1.0))).dtype == np.float32  # a 0-d tensor
    expected = torch.ones(2, dtype=torch.float32) + torch.tensor(1.0, dtype=torch.float64)
    assert expected.dtype == torch.float32


def test_zero_d_leaf_gradient_is_an_array():
    a = Tensor(2.0, requires_grad=True)
    (a * a).backward()
    assert type(a.grad) is np.ndarray and a.grad.shape == () and a.grad == 4.0


# --------------------------------------------------------------------------- 13. mask, threads


def test_boolean_mask_tensor_selects_rather_than_indexes():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    picked = a[Tensor(np.array([True, False, True]))]
    assert picked.tolist() == [1.0, 3.0]
    picked.sum().backward()
    assert a.grad.tolist() == [1.0, 0.0, 1.0]


def test_no_grad_is_thread_local_as_torch():
    inside, outside = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with no_grad():
            inside.set()
            outside.wait(5)
            seen["worker"] = is_grad_enabled()

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    x = Value(1.0)
    y = x * 2  # another thread is inside no_grad: this one still builds a graph
    t = Tensor([1.0], requires_grad=True) * 2
    seen["main"] = is_grad_enabled()
    outside.set()
    thread.join()
    assert seen == {"main": True, "worker": False}
    assert y._prev == (x, y._prev[1]) and t.requires_grad


# --------------------------------------------------------------------------- slots


def _op_classes(module):
    return [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Op)]


@pytest.mark.parametrize(
    "module", [arithmetic, reductions, shape, fused, scalar], ids=lambda m: m.__name__
)
def test_op_slots_take_effect(module):
    for cls in _op_classes(module):
        assert "__slots__" in vars(cls), f"{cls.__name__} declares no __slots__"
    op = reductions.Sum(axis=0, keepdims=False)
    assert not hasattr(op, "__dict__")
    with pytest.raises(AttributeError):
        op.anything = 1


def test_numpy_number_exponents_are_numbers_on_both_engines():
    x = Tensor([2.0], requires_grad=True)
    (x ** np.float32(3.0)).sum().backward()
    assert x.grad.tolist() == [12.0]
    v = Value(2.0)
    (v ** np.int64(3)).backward()
    assert v.grad == 12.0

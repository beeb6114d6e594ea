"""Losses on Tensors: values from the formulas, computed independently with numpy."""

from __future__ import annotations

import numpy as np

from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy, mse, mse_mean
from tinygrad_mlp.tensor import Tensor


def test_mse_is_half_the_summed_squared_error_and_mse_mean_is_the_mean():
    y = np.array([[0.5], [2.0], [-1.0]])
    z = np.array([[1.0], [0.0], [-1.0]])
    np.testing.assert_allclose(mse(Tensor(y), z).item(), 0.5 * ((y - z) ** 2).sum(), rtol=1e-15)
    np.testing.assert_allclose(mse_mean(Tensor(y), z).item(), ((y - z) ** 2).mean(), rtol=1e-15)


def test_mse_gradient_is_the_residual():
    y = Tensor(np.array([0.5, 2.0, -1.0]), requires_grad=True)
    z = np.array([1.0, 0.0, 1.0])
    mse(y, z).backward()
    np.testing.assert_allclose(y.grad, y.data - z, rtol=0, atol=1e-15)


def test_bce_with_logits_equals_bce_of_the_sigmoid_and_stays_finite_for_huge_logits():
    s = np.array([-3.0, 0.0, 2.5])
    z = np.array([0.0, 1.0, 1.0])
    p = 1 / (1 + np.exp(-s))
    expected = -np.mean(z * np.log(p) + (1 - z) * np.log(1 - p))
    np.testing.assert_allclose(bce_with_logits(Tensor(s), z).item(), expected, rtol=1e-13)
    np.testing.assert_allclose(bce(Tensor(p), z).item(), expected, rtol=1e-12)
    huge = bce_with_logits(Tensor(np.array([1000.0, -1000.0])), np.array([0.0, 1.0])).item()
    np.testing.assert_allclose(huge, 1000.0, rtol=1e-12)


def test_cross_entropy_is_the_mean_negative_log_softmax_at_the_label():
    logits = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 0.0]])
    labels = np.array([2, 0])
    logp = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -logp[np.arange(2), labels].mean()
    np.testing.assert_allclose(cross_entropy(Tensor(logits), labels).item(), expected, rtol=1e-13)


def test_scalar_engine_losses_equal_the_tensor_engine_in_value_and_gradient():
    import pytest

    from tinygrad_mlp import Value

    rng = np.random.default_rng(4)
    y = rng.uniform(0.05, 0.95, 4)
    z = rng.uniform(0.0, 1.0, 4)
    cases = [
        (mse, y, z),
        (mse_mean, y, z),
        (bce, y, z),
        (bce_with_logits, y * 6 - 3, z),
        (cross_entropy, y * 4 - 2, 2),
    ]
    for loss, pred, target in cases:
        values = [Value(float(v)) for v in pred]
        scalar = loss(np.array(values, dtype=object), target)
        scalar.backward()
        t = Tensor(pred[None, :] if loss is cross_entropy else pred, requires_grad=True)
        tensor = loss(t, [target] if loss is cross_entropy else target)
        tensor.backward()
        assert scalar.data == pytest.approx(tensor.item(), rel=1e-13), loss.__name__
        got = [v.grad for v in values]
        np.testing.assert_allclose(got, t.grad.reshape(-1), rtol=1e-12, err_msg=loss.__name__)

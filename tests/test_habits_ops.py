"""The small cases of issue 22, each against torch (float64)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor, grad, no_grad
from tinygrad_mlp.autograd import is_grad_enabled
from tinygrad_mlp.losses import bce

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_a_scan_of_a_0d_tensor_keeps_shape_empty(name):
    x = Tensor(1.5, requires_grad=True)
    out = getattr(x, name)(0)
    out.backward()
    t = torch.tensor(1.5, requires_grad=True)
    tout = getattr(t, name)(0)
    tout.backward()
    assert out.shape == tuple(tout.shape) == ()
    assert out.item() == tout.item() and x.grad.item() == t.grad.item()


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_the_product_of_a_0d_tensor_backpropagates(axis):
    x = Tensor(-2.5, requires_grad=True)
    out = x.prod() if axis is None else x.prod(axis)
    out.backward()
    t = torch.tensor(-2.5, requires_grad=True)
    tout = t.prod() if axis is None else t.prod(axis)
    tout.backward()
    assert out.shape == tuple(tout.shape) == () and out.item() == tout.item()
    assert x.grad.shape == () and x.grad.item() == t.grad.item() == 1.0


def test_sum_over_the_last_axis_of_a_0d_tensor_is_itself():
    x = Tensor(3.0, requires_grad=True)
    out = x.sum(axis=-1)
    out.backward()
    t = torch.tensor(3.0, requires_grad=True)
    assert out.shape == tuple(t.sum(-1).shape) == () and out.item() == 3.0
    assert x.grad.item() == 1.0


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
@pytest.mark.parametrize(("shape", "axis"), [((2, 0), 1), ((2, 0), -1), ((0, 3), 1), ((0,), 0)])
def test_an_empty_axis_gives_torch_s_result(name, shape, axis):
    x = Tensor(np.zeros(shape), requires_grad=True)
    out = getattr(x, name)(axis)
    t = torch.zeros(shape, requires_grad=True)
    tout = getattr(t, name)(axis)
    assert out.shape == tuple(tout.shape)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    if out.size:
        out.sum().backward()
        tout.sum().backward()
        np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_clamp_with_tensor_bounds_where_min_equals_max_routes_the_gradient_as_torch():
    data, bound = np.array([0.0, 1.0, 2.0]), np.ones(3)
    x, lo, hi = (Tensor(v, requires_grad=True) for v in (data, bound, bound))
    x.clamp(lo, hi).sum().backward()
    tx, tlo, thi = (torch.tensor(v, requires_grad=True) for v in (data, bound, bound))
    torch.clamp(tx, tlo, thi).sum().backward()
    for ours, theirs in ((x, tx), (lo, tlo), (hi, thi)):
        np.testing.assert_array_equal(ours.grad, theirs.grad.numpy())


def test_bce_second_derivative_matches_torch_where_y_one_minus_y_is_tiny():
    y0 = np.array([0.0, 1e-13, 0.3, 1.0, 1 - 1e-13, 5e-13])
    z0 = np.array([1.0, 1.0, 0.6, 0.0, 0.5, 0.2])
    y = Tensor(y0, requires_grad=True)
    (g,) = grad(bce(y, Tensor(z0)), y, create_graph=True)
    (h,) = grad((g * Tensor(np.arange(1.0, 7.0))).sum(), y)
    t = torch.tensor(y0, requires_grad=True)
    (tg,) = torch.autograd.grad(
        torch.nn.functional.binary_cross_entropy(t, torch.tensor(z0)), t, create_graph=True
    )
    (th,) = torch.autograd.grad((tg * torch.arange(1.0, 7.0)).sum(), t)
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(h, th.numpy(), rtol=1e-6)


@pytest.mark.parametrize("widths", [(1, -2), (-1, -1), (-2, 1, 1, -1), (0, -3), (2, 0, -1, 0)])
def test_pad_with_negative_widths_crops_as_torch(widths):
    data = np.arange(12.0).reshape(3, 4)
    x = Tensor(data, requires_grad=True)
    out = x.pad(widths, value=7.0)
    t = torch.tensor(data, requires_grad=True)
    tout = torch.nn.functional.pad(t, widths, value=7.0)
    np.testing.assert_array_equal(out.data, tout.detach().numpy())
    w = np.arange(1.0, 1.0 + out.size).reshape(out.shape)
    (out * Tensor(w)).sum().backward()
    (tout * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_pad_that_crops_more_than_the_axis_holds_is_refused():
    with pytest.raises(ValueError, match="crop more"):
        Tensor(np.zeros(3)).pad((-2, -2))


def test_roll_with_a_one_element_tuple_and_no_axis_flattens_as_torch():
    data = np.arange(6.0).reshape(2, 3)
    out = Tensor(data).roll((2,))
    np.testing.assert_array_equal(out.data, torch.tensor(data).roll((2,)).numpy())


def test_a_stored_no_grad_can_be_entered_twice_and_nested():
    quiet = no_grad()
    x = Tensor([1.0], requires_grad=True)
    with quiet:
        assert not (x * 2).requires_grad
    assert is_grad_enabled()
    with quiet:
        with quiet:
            assert not is_grad_enabled()
        assert not is_grad_enabled()
    # NOTE: torch 2.13's no_grad keeps one saved state per object, so nesting one
    # stored object there leaves grad off; each entry here restores what it found.
    assert is_grad_enabled() and (x * 2).requires_grad

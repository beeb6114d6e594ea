"""bce of a sigmoid output is one fused pair: bce_with_logits on the sigmoid's input.

References are math (softplus(s) − z s, σ(s) − z, σ'(s)) and torch float64
(binary_cross_entropy for probabilities, binary_cross_entropy_with_logits for the
fused pair), never a previous run of this code.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value, grad, no_grad
from tinygrad_mlp.crosscheck import cross_check, hessian_check
from tinygrad_mlp.losses import bce
from tinygrad_mlp.nn import MLP

SATURATED = [50.0, -50.0, 700.0, -700.0]
TARGETS = [0.0, 1.0]
# σ(s) − z is computed in float64, as torch does: where z = 1 and σ(s) rounds to 1
# its absolute rounding is one ulp of 1, so there (only) gradients are compared to
# 1e-15 absolute; everywhere else, and for every loss, the comparison is relative.
ATOL = 1e-15


def grad_atol(s: float, z: float) -> float:
    return ATOL if z == 1.0 and s > 0 else 0.0


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s)) if s >= 0 else math.exp(s) / (1.0 + math.exp(s))


def softplus(s: float) -> float:
    return max(s, 0.0) + math.log1p(math.exp(-abs(s)))


def closed_loss(s: float, z: float) -> float:
    """−[z ln σ(s) + (1 − z) ln(1 − σ(s))] = softplus(s) − z s, exactly for any s."""
    # NOTE: written as z softplus(−s) + (1 − z) softplus(s) so nothing cancels.
    return z * softplus(-s) + (1.0 - z) * softplus(s)


def closed_grad(s: float, z: float) -> float:
    """dL/ds = σ(s) − z, as (1 − z) σ(s) − z σ(−s) so that it keeps its digits."""
    return (1.0 - z) * sigmoid(s) - z * sigmoid(-s)


def sigmoid_prime(s: float) -> float:
    return sigmoid(s) * sigmoid(-s)


# --------------------------------------------------------------------------- the op


@pytest.mark.parametrize("z", TARGETS)
@pytest.mark.parametrize("s0", SATURATED)
def test_saturated_sigmoid_bce_is_the_closed_form_on_the_tensor_engine(s0, z):
    s = Tensor([s0], requires_grad=True)
    loss = bce(s.sigmoid(), [z])
    loss.backward()
    assert loss.item() == pytest.approx(closed_loss(s0, z), rel=1e-12, abs=0)
    np.testing.assert_allclose(s.grad, [closed_grad(s0, z)], rtol=1e-12, atol=grad_atol(s0, z))


@pytest.mark.parametrize("z", TARGETS)
@pytest.mark.parametrize("s0", SATURATED)
def test_saturated_sigmoid_bce_is_the_closed_form_on_the_scalar_engine(s0, z):
    s = Value(s0)
    loss = bce([s.sigmoid()], [z])
    loss.backward()
    assert loss.data == pytest.approx(closed_loss(s0, z), rel=1e-12, abs=0)
    assert s.grad == pytest.approx(closed_grad(s0, z), rel=1e-12, abs=grad_atol(s0, z))


def test_the_fused_loss_is_a_mean_and_fuses_element_by_element_on_the_scalar_engine():
    # one sigmoid output (s = 50, fused) next to a probability from elsewhere (0.25,
    # clamped form: no sigmoid made it); the mean halves each gradient.
    s, p = Value(50.0), Value(0.25)
    loss = bce([s.sigmoid(), p], [0.0, 1.0])
    loss.backward()
    assert loss.data == pytest.approx((softplus(50.0) - math.log(0.25)) / 2, rel=1e-12)
    assert s.grad == pytest.approx(sigmoid(50.0) / 2, rel=1e-12)
    assert p.grad == pytest.approx((0.25 - 1.0) / (0.25 * 0.75) / 2, rel=1e-12)


def test_the_fused_pair_agrees_with_the_clamped_form_away_from_saturation():
    torch = pytest.importorskip("torch")
    s0 = np.array([-4.0, -0.7, 0.0, 0.3, 2.5, 9.0])
    z = np.array([1.0, 0.0, 1.0, 0.25, 0.0, 1.0])
    s = Tensor(s0.copy(), requires_grad=True)
    loss = bce(s.sigmoid(), z)
    loss.backward()
    ts = torch.tensor(s0, requires_grad=True)
    t_loss = torch.nn.functional.binary_cross_entropy(torch.sigmoid(ts), torch.tensor(z))
    t_loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-13)
    np.testing.assert_allclose(s.grad, ts.grad.numpy(), rtol=1e-12, atol=1e-16)


# --------------------------------------------------------------------------- not a sigmoid


def test_probabilities_not_from_a_sigmoid_keep_torchs_clamped_bce():
    torch = pytest.importorskip("torch")
    f = torch.nn.functional
    y0 = np.array([1e-20, 0.3, 1.0, 0.0, sigmoid(50.0)])
    z = np.array([1.0, 0.0, 0.0, 0.0, 0.0])
    ty = torch.tensor(y0, requires_grad=True)
    t_loss = f.binary_cross_entropy(ty, torch.tensor(z))
    t_loss.backward()
    # a leaf of probabilities, on both engines
    y = Tensor(y0.copy(), requires_grad=True)
    loss = bce(y, z)
    loss.backward()
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose(y.grad, ty.grad.numpy(), rtol=1e-6)  # torch's eps is float32
    ys = [Value(v) for v in y0]
    scalar_loss = bce(ys, z)
    scalar_loss.backward()
    assert scalar_loss.data == pytest.approx(t_loss.item(), rel=1e-12)
    np.testing.assert_allclose([v.grad for v in ys], ty.grad.numpy(), rtol=1e-6)


def test_a_sigmoid_output_passed_through_another_op_is_not_fused():
    torch = pytest.importorskip("torch")
    # y = σ(50) · 1 is no longer the sigmoid's output: torch's clamp gives loss 100 and
    # gradient 1e12 · σ'(50); the engines must do as torch, not guess.
    ts = torch.tensor([50.0], dtype=torch.float64, requires_grad=True)
    t_loss = torch.nn.functional.binary_cross_entropy(
        torch.sigmoid(ts) * 1.0, torch.zeros(1, dtype=torch.float64)
    )
    t_loss.backward()
    s = Tensor([50.0], requires_grad=True)
    loss = bce(s.sigmoid() * 1.0, [0.0])
    loss.backward()
    assert loss.item() == t_loss.item() == 100.0
    np.testing.assert_allclose(s.grad, ts.grad.numpy(), rtol=1e-6)
    v = Value(50.0)
    scalar_loss = bce([v.sigmoid() * 1.0], [0.0])
    scalar_loss.backward()
    assert scalar_loss.data == 100.0
    assert v.grad == pytest.approx(ts.grad.item(), rel=1e-6)


def test_without_a_graph_the_sigmoid_is_not_seen_and_the_clamp_applies():
    # Documented limit: under no_grad the output carries no op, so bce cannot fuse.
    s = Tensor([50.0], requires_grad=True)
    with no_grad():
        assert bce(s.sigmoid(), [0.0]).item() == 100.0
    assert bce(s.sigmoid(), [0.0]).item() == pytest.approx(softplus(50.0), rel=1e-12)


# --------------------------------------------------------------------------- the three roads


@pytest.mark.parametrize("z", TARGETS)
@pytest.mark.parametrize("s0", SATURATED)
def test_cross_check_passes_at_saturation_with_the_true_numbers_on_every_road(s0, z):
    net = MLP.from_weights([[[s0, 0.0]]], [[0.0]], activation="sigmoid")
    x = [[1.0, 0.5]]
    report = cross_check(net, x, [[z]], loss="bce")
    assert report.passed, report.summary()
    g = closed_grad(s0, z)
    expected = np.array([g * 1.0, g * 0.5, g])
    assert set(report.roads) == {"scalar", "tensor", "delta"}
    for road, values in report.roads.items():
        atol = grad_atol(s0, z)
        np.testing.assert_allclose(values, expected, rtol=1e-12, atol=atol, err_msg=road)
    assert set(report.losses) == {"scalar", "tensor", "delta"}
    for road, value in report.losses.items():
        assert value == pytest.approx(closed_loss(s0, z), rel=1e-12, abs=0), road


@pytest.mark.parametrize("z", TARGETS)
@pytest.mark.parametrize("s0", [-50.0, -700.0, -3.0, 0.4])  # the last two: unsaturated controls
def test_hessian_check_holds_for_a_sigmoid_output_with_bce(s0, z):
    # L = softplus(s) − z s with s = w·x + b: ∂²L/∂θ∂θ' = σ'(s) u u', u = (x₁, x₂, 1).
    # (At s = +50 σ'(s) = σ(s)(1 − σ(s)) rounds to 0 in the engines' sigmoid rule, as
    # in torch, so the negative side is where the number has digits to check.)
    net = MLP.from_weights([[[s0, 0.0]]], [[0.0]], activation="sigmoid")
    report = hessian_check(net, [[1.0, 0.5]], [[z]], loss="bce")
    assert report.passed, report.summary()
    u = np.array([1.0, 0.5, 1.0])
    expected = (sigmoid_prime(s0) * np.outer(u, u)).reshape(-1)
    for road in ("scalar", "tensor"):
        np.testing.assert_allclose(report.roads[road], expected, rtol=1e-9, atol=0, err_msg=road)


# --------------------------------------------------------------------------- higher order


S0 = np.array([-50.0, -3.0, 0.4, 2.0, 50.0, -700.0])
Z = np.array([1.0, 0.0, 1.0, 0.3, 0.0, 1.0])
B0 = 1.5


def torch_reference():
    """L = bce_with_logits(a · b, z) in torch float64: L, ∂L/∂a, ∂L/∂b, ∂²L/∂a∂b, ∂²L/∂a²."""
    torch = pytest.importorskip("torch")
    a = torch.tensor(S0 / B0, requires_grad=True)
    b = torch.tensor(B0, dtype=torch.float64, requires_grad=True)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(a * b, torch.tensor(Z))
    ga, gb = torch.autograd.grad(loss, (a, b), create_graph=True)
    (hab,) = torch.autograd.grad(gb, a, retain_graph=True)
    (haa,) = torch.autograd.grad(ga.sum(), a)
    return loss.item(), ga.detach().numpy(), gb.item(), hab.numpy(), haa.numpy()


def test_second_derivatives_of_the_fused_pair_match_torch_on_the_tensor_engine():
    loss_t, ga_t, gb_t, hab_t, haa_t = torch_reference()
    a = Tensor(S0 / B0, requires_grad=True)
    b = Tensor(B0, requires_grad=True)
    loss = bce((a * b).sigmoid(), Z)
    ga, gb = grad(loss, [a, b], create_graph=True)
    (hab,) = grad(gb, [a])
    (haa,) = grad(ga.sum(), [a])
    assert loss.item() == pytest.approx(loss_t, rel=1e-12)
    np.testing.assert_allclose(ga.data, ga_t, rtol=1e-12, atol=ATOL)
    assert gb.item() == pytest.approx(gb_t, rel=1e-12)
    np.testing.assert_allclose(hab, hab_t, rtol=1e-12, atol=ATOL)
    np.testing.assert_allclose(haa, haa_t, rtol=1e-12, atol=0)


def test_second_derivatives_of_the_fused_pair_match_torch_on_the_scalar_engine():
    loss_t, ga_t, gb_t, hab_t, haa_t = torch_reference()
    a = [Value(v) for v in S0 / B0]
    b = Value(B0)
    loss = bce([(ai * b).sigmoid() for ai in a], Z)
    first = grad(loss, [*a, b], create_graph=True)
    ga, gb = first[:-1], first[-1]
    hab = grad(gb, a)
    haa = [grad(g, [ai])[0] for g, ai in zip(ga, a, strict=True)]
    assert loss.data == pytest.approx(loss_t, rel=1e-12)
    np.testing.assert_allclose([g.data for g in ga], ga_t, rtol=1e-12, atol=ATOL)
    assert gb.data == pytest.approx(gb_t, rel=1e-12)
    np.testing.assert_allclose(
        [float(getattr(h, "data", h)) for h in hab], hab_t, rtol=1e-12, atol=ATOL
    )
    np.testing.assert_allclose(
        [float(getattr(h, "data", h)) for h in haa], haa_t, rtol=1e-12, atol=0
    )

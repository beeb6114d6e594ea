"""The δ witness's numbers: an accurate sigmoid, the fused sigmoid + bce pair, one vocabulary."""

from __future__ import annotations

import decimal
import math

import numpy as np
import pytest

from tinygrad_mlp import backprop, names
from tinygrad_mlp.crosscheck import cross_check
from tinygrad_mlp.explain import explain, training_table
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network

CONTEXT = decimal.Context(prec=50)


def exact_sigmoid(s: float) -> float:
    """σ(s) in 50-digit decimal arithmetic, rounded once to float64."""
    e = CONTEXT.exp(CONTEXT.minus(decimal.Decimal(s)))
    return float(CONTEXT.divide(1, CONTEXT.add(1, e)))


def exact_sigmoid_minus(s: float, z: float) -> float:
    """σ(s) − z in 50-digit decimal arithmetic, rounded once to float64."""
    e = CONTEXT.exp(CONTEXT.minus(decimal.Decimal(s)))
    return float(CONTEXT.subtract(CONTEXT.divide(1, CONTEXT.add(1, e)), decimal.Decimal(z)))


def exact_softplus(s: float) -> float:
    """ln(1 + e^s) in 50-digit decimal arithmetic."""
    return float(CONTEXT.ln(CONTEXT.add(1, CONTEXT.exp(decimal.Decimal(s)))))


def exact_bce(s: float, z: float) -> float:
    """softplus(s) − z s in 400-digit decimal arithmetic (ln(1 + e^700) − 700 ≈ 1e-304 needs
    them all), rounded once to float64."""
    wide = decimal.Context(prec=400)
    value = wide.ln(wide.add(1, wide.exp(decimal.Decimal(s))))
    return float(wide.subtract(value, wide.multiply(decimal.Decimal(z), decimal.Decimal(s))))


def math_sigmoid(s: float) -> float:
    """A float64 reference from the math module: the e^s / (1 + e^s) form for s < 0."""
    if s < 0:
        e = math.exp(s)
        return e / (1.0 + e)
    return 1.0 / (1.0 + math.exp(-s))


GRID = np.concatenate(
    [
        np.linspace(-700.0, 700.0, 2801),
        [-745.0 + 25, -40.0, -36.0, -30.0, -1e-300, 0.0, 1e-300, 36.0, 40.0],
        np.random.default_rng(7).uniform(-700.0, 700.0, 400),
    ]
)


def test_witness_sigmoid_is_accurate_to_1e_12_relative_against_decimal_arithmetic():
    ours = backprop.sigmoid(GRID)
    reference = np.array([exact_sigmoid(s) for s in GRID])
    assert np.all(reference > 0)
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=0)


def test_witness_sigmoid_is_accurate_to_1e_12_relative_against_the_math_module():
    ours = backprop.activate(GRID, "sigmoid")
    reference = np.array([math_sigmoid(s) for s in GRID])
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=0)
    # where (1 + tanh(s/2)) / 2 lost everything: σ(−40) ≈ 4.25e-18, not 0
    assert backprop.activate(np.array([-40.0]), "sigmoid")[0] == pytest.approx(
        math.exp(-40.0) / (1.0 + math.exp(-40.0)), rel=1e-15
    )


def test_witness_sigmoid_derivative_keeps_its_precision_at_saturation():
    s = GRID
    a = backprop.activate(s, "sigmoid")
    ours = backprop.derivative(a, s, "sigmoid")
    reference = np.array([exact_sigmoid(v) * exact_sigmoid(-v) for v in s])
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=0)


# -- the fused pair: a sigmoid output with bce -------------------------------------------


@pytest.mark.parametrize("s", [-700.0, -50.0, -1.5, 0.0, 0.25, 37.0, 50.0, 700.0])
@pytest.mark.parametrize("z", [0.0, 1.0, 0.3])
def test_sigmoid_output_with_bce_gives_delta_sigma_minus_z_at_every_logit(s, z):
    # one node, weight s, input 1: the output's logit is s
    bp = backprop.gradients([[[s]]], [[0.0]], ["sigmoid"], [[1.0]], [[z]], "bce")
    expected = exact_sigmoid_minus(s, z)
    assert bp.delta[0][0, 0] == pytest.approx(expected, rel=1e-12, abs=1e-300)
    assert bp.grad_w[0][0, 0] == pytest.approx(expected, rel=1e-12, abs=1e-300)
    # L = −[z ln σ(s) + (1 − z) ln(1 − σ(s))] = softplus(s) − z s, finite
    assert bp.loss == pytest.approx(exact_bce(s, z), rel=1e-12, abs=0)


def test_fused_and_plain_bce_agree_away_from_saturation():
    rng = np.random.default_rng(3)
    s = rng.uniform(-4, 4, (5, 3))
    z = rng.integers(0, 2, (5, 3)).astype(float)
    y = backprop.activate(s, "sigmoid")
    fused = backprop.output_delta(y, s, z, "sigmoid", "bce")
    # the general formula f'(s) (y − z) / (y (1 − y)) / N, written out here
    plain = y * (1 - y) * (y - z) / (y * (1 - y)) / y.size
    np.testing.assert_allclose(fused, plain, rtol=1e-12)
    assert backprop.loss_value(y, s, z, "bce", "sigmoid") == pytest.approx(
        backprop.loss_value(y, s, z, "bce"), rel=1e-13
    )


def test_bce_on_another_output_keeps_the_general_formula():
    # a linear output that happens to lie in (0, 1): ∂L/∂y = (y − z) / (y(1 − y)) / N
    bp = backprop.gradients([[[0.25]]], [[0.0]], ["linear"], [[1.0]], [[1.0]], "bce")
    assert bp.delta[0][0, 0] == pytest.approx((0.25 - 1.0) / (0.25 * 0.75), rel=1e-14)
    assert bp.loss == pytest.approx(-math.log(0.25), rel=1e-14)


def test_cross_check_holds_at_saturation_on_the_witness_road():
    net = MLP.from_weights([[[50.0, 0.0]]], [[0.0]])
    report = cross_check(net, [[1.0, 0.5]], [[0.0]], loss="bce")
    p = exact_sigmoid(50.0)
    np.testing.assert_allclose(report.roads["delta"], [p, 0.5 * p, p], rtol=1e-14)
    assert report.losses["delta"] == pytest.approx(exact_softplus(50.0), rel=1e-14)
    assert not any(problem.road == "delta" for problem in report.problems())


# -- one vocabulary ----------------------------------------------------------------------


def test_witness_names_are_the_projects_names():
    assert backprop.LOSSES is names.LOSSES
    assert backprop.ACTIVATIONS is names.ACTIVATIONS


def _alias_pairs(aliases: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(aliases.items())


@pytest.mark.parametrize("alias, canonical", _alias_pairs(names.LOSS_ALIASES))
def test_every_loss_alias_gives_the_canonical_losss_numbers(alias, canonical):
    rng = np.random.default_rng(0)
    w, b = [rng.normal(size=(3, 2))], [rng.normal(size=3)]
    x = rng.normal(size=(4, 2))
    z = rng.integers(0, 3, 4) if canonical == "cross_entropy" else rng.integers(0, 2, (4, 3))
    one = backprop.gradients(w, b, ["linear"], x, z, alias)
    two = backprop.gradients(w, b, ["linear"], x, z, canonical)
    assert one.loss == two.loss
    np.testing.assert_array_equal(one.grad_w[0], two.grad_w[0])


@pytest.mark.parametrize("alias, canonical", _alias_pairs(names.ACTIVATION_ALIASES))
def test_every_activation_alias_gives_the_canonical_activations_numbers(alias, canonical):
    s = np.linspace(-3, 3, 13)
    np.testing.assert_array_equal(backprop.activate(s, alias), backprop.activate(s, canonical))
    a = backprop.activate(s, canonical)
    np.testing.assert_array_equal(
        backprop.derivative(a, s, alias), backprop.derivative(a, s, canonical)
    )


def test_an_unknown_name_is_one_sentence_listing_the_projects_names():
    with pytest.raises(ValueError, match="unknown loss 'hinge'; choose one of mse, mse_mean"):
        backprop.gradients([[[1.0]]], [[0.0]], ["linear"], [[1.0]], [[1.0]], "hinge")
    with pytest.raises(ValueError, match="unknown activation 'mish'"):
        backprop.activate(np.zeros(2), "mish")
    with pytest.raises(ValueError, match="unknown loss 'hinge'"):
        cross_check(seed_network(), [[1.0, 1.0]], [[1.0]], loss="hinge")


@pytest.mark.parametrize("alias", ["ce", "cross_entropy", "CE"])
def test_cross_check_and_explain_read_the_same_names(alias):
    net = MLP(2, [3, 3], activation="tanh", output_activation="linear", seed=1)
    report = cross_check(net, [[0.1, 0.2], [0.3, -0.4]], [2, 0], loss=alias)
    assert report.passed and report.loss == "cross_entropy"
    numbers = explain(net, [0.1, 0.2], [2], loss=alias).numbers
    assert numbers["L"] == pytest.approx(
        backprop.gradients(
            [la.weight.data for la in net.layers],
            [la.bias.data for la in net.layers],
            net.activations,
            [[0.1, 0.2]],
            [2],
            "cross_entropy",
        ).loss,
        rel=1e-15,
    )


# -- the training table's mean loss ------------------------------------------------------


def _seed_rows():
    """The sheet's four rows, min-max normalized by hand to [0, 1]."""
    x = [[1.0, 1.0], [25 / 45, 18 / 31], [40 / 45, 0.0], [0.0, 28 / 31]]
    z = [(91 - 68) / 23, (82 - 68) / 23, (80 - 68) / 23, 0.0]
    return x, z


def _seed_output(x0: float, x1: float) -> float:
    hidden = [(-0.5, -1.0), (-0.5, 0.5), (1.0, 0.0)]
    a = [math_sigmoid(w0 * x0 + w1 * x1 + 0.5) for w0, w1 in hidden]
    return math_sigmoid(0.5 * a[0] - 1.0 * a[1] + 0.0 * a[2] + 0.5)


@pytest.mark.parametrize("loss", ["mse", "mse_mean"])
def test_training_table_mean_loss_is_the_loss_averaged_once(loss):
    x, z = _seed_rows()
    errors = [(_seed_output(*xi) - zi) ** 2 for xi, zi in zip(x, z, strict=True)]
    # mse is the sheet's ½ Σ, summed over the rows, so its mean is ½ Σ / n;
    # mse_mean is already Σ / n and must not be divided again
    expected = 0.5 * sum(errors) / 4 if loss == "mse" else sum(errors) / 4
    rows = training_table(seed_network(), np.array(x), np.array(z), epochs=1, loss=loss)
    assert rows[0]["epoch"] == 0
    assert rows[0]["loss"] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("output", ["sigmoid", "tanh", "relu"])
@pytest.mark.parametrize("loss", ["bce_with_logits", "cross_entropy"])
def test_logit_losses_on_a_nonlinear_output_chain_through_its_derivative(loss, output):
    # the loss takes the network's outputs y = f(s) as its logits: δ = f'(s) ⊙ ∂L/∂y
    rng = np.random.default_rng(5)
    net = MLP(2, [4, 3], activation="tanh", output_activation=output, seed=rng)
    x = rng.normal(size=(4, 2))
    z = rng.integers(0, 3, 4) if loss == "cross_entropy" else rng.integers(0, 2, (4, 3)) * 1.0
    report = cross_check(net, x, z, loss=loss, finite_differences=True)
    assert report.passed, report.summary()

"""Initialisation: each scheme's variance against its formula, within stated sampling error.

For n independent draws the sample variance s² of a zero-mean distribution has standard
error √((E x⁴ − σ⁴)/n): √(2/n)·σ² for a normal, √(0.8/n)·σ² for a uniform (E x⁴ = 9σ⁴/5).
Every check allows 5 standard errors, so a correct scheme fails about once in 3 million
runs, and a wrong gain (a factor 2 in the variance) can never pass.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_mlp import init
from tinygrad_mlp.nn import MLP, Linear

FAN_OUT, FAN_IN = 300, 500
N = FAN_OUT * FAN_IN


def _check_variance(sample: np.ndarray, expected: float, normal: bool) -> None:
    rel_se = math.sqrt((2.0 if normal else 0.8) / sample.size)
    assert abs(sample.mean()) < 5 * math.sqrt(expected / sample.size)
    ratio = sample.var() / expected
    assert abs(ratio - 1) < 5 * rel_se, f"variance {sample.var():.6g}, expected {expected:.6g}"


def test_kaiming_and_xavier_variances_follow_torchs_formulas():
    torch = pytest.importorskip("torch")
    gain = torch.nn.init.calculate_gain("relu")  # √2, torch's kaiming default
    kaiming = Linear(FAN_IN, FAN_OUT, init="kaiming", seed=0)
    _check_variance(kaiming.weight.data, gain**2 / FAN_IN, normal=True)
    xavier = Linear(FAN_IN, FAN_OUT, init="xavier", seed=0)
    _check_variance(xavier.weight.data, 2.0 / (FAN_IN + FAN_OUT), normal=False)
    assert np.abs(xavier.weight.data).max() <= math.sqrt(6 / (FAN_IN + FAN_OUT))
    assert not kaiming.bias.data.any() and not xavier.bias.data.any()
    # torch's own functions on a tensor of the same shape land on the same variances
    t = torch.empty(FAN_OUT, FAN_IN, dtype=torch.float64)
    torch.manual_seed(0)
    _check_variance(torch.nn.init.kaiming_normal_(t).numpy(), gain**2 / FAN_IN, normal=True)
    expected = 2.0 / (FAN_IN + FAN_OUT)
    _check_variance(torch.nn.init.xavier_uniform_(t).numpy(), expected, normal=False)


@pytest.mark.parametrize(
    ("fill", "expected", "normal"),
    [
        (init.kaiming_uniform_, 2.0 / FAN_IN, False),
        (init.xavier_normal_, 2.0 / (FAN_IN + FAN_OUT), True),
        (lambda a, seed: init.uniform_(a, seed=seed), 1.0 / 3.0, False),
    ],
)
def test_init_functions_for_custom_modules(fill, expected, normal):
    a = fill(np.zeros((FAN_OUT, FAN_IN)), seed=1)
    _check_variance(a, expected, normal)


def test_torch_default_bounds_weight_and_bias_by_one_over_root_fan_in():
    layer = Linear(FAN_IN, FAN_OUT, seed=2)  # init="torch" is Linear's default
    bound = 1 / math.sqrt(FAN_IN)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    _check_variance(layer.weight.data, bound**2 / 3, normal=False)


def test_mlp_default_is_the_sheets_uniform_draw_for_draw():
    net = MLP(2, [3, 1], seed=7)
    rng = np.random.default_rng(7)
    expected = [rng.uniform(-1, 1, (3, 2)), rng.uniform(-1, 1, 3)]
    expected += [rng.uniform(-1, 1, (1, 3)), rng.uniform(-1, 1, 1)]
    for p, e in zip(net.parameters(), expected, strict=True):
        np.testing.assert_array_equal(p.data, e)


@pytest.mark.parametrize("scheme", init.INITS)
def test_seeded_runs_are_reproducible_and_seeds_differ(scheme):
    a = MLP(4, [6, 2], init=scheme, seed=3)
    b = MLP(4, [6, 2], init=scheme, seed=3)
    c = MLP(4, [6, 2], init=scheme, seed=4)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)


def test_unknown_scheme_and_bad_shapes_are_one_sentence():
    with pytest.raises(ValueError, match="unknown init 'he'; choose one of uniform, torch"):
        Linear(2, 2, init="he")
    with pytest.raises(ValueError, match=r"need a weight of 2 or more dimensions, got \(3,\)"):
        init.kaiming_normal_(np.zeros(3))
    with pytest.raises(TypeError, match="fill a Tensor or numpy array, got list"):
        init.uniform_([1.0, 2.0])

"""The cross-check cannot pass on a non-finite value, and names the parameter and the road."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.crosscheck import cross_check, parameter_names
from tinygrad_mlp.crosscheck import report as crosscheck  # the module the roads are read from
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network

ROAD_FUNCTIONS = {
    "scalar": "scalar_road",
    "tensor": "tensor_road",
    "delta": "delta_road",
    "finite differences": "finite_difference_road",
}
SEED_NAMES = [n for group in parameter_names(seed_network()) for n in group]
TARGET = "wh[0][1][0]"  # a hidden weight of the seed network, in the sheet's notation


def poison(monkeypatch, road: str, index: int, value: float, loss_value: float | None = None):
    """Replace one road's function by one that returns a bad number for one parameter."""
    attribute = ROAD_FUNCTIONS[road]
    original = getattr(crosscheck, attribute)

    def poisoned(*args, **kwargs):
        grads, loss = original(*args, **kwargs)
        grads = np.array(grads, dtype=np.float64)
        grads[index] = value
        return grads, (loss if loss_value is None else loss_value)

    monkeypatch.setattr(crosscheck, attribute, poisoned)


def strict_json(text: str):
    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_the_seed_example_passes_on_every_road():
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]], finite_differences=True)
    assert report.passed, report.table()
    assert set(report.roads) == set(ROAD_FUNCTIONS)
    assert report.problems() == []
    assert all(math.isfinite(v) for v in report.losses.values())


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "+inf", "-inf"])
@pytest.mark.parametrize("road", list(ROAD_FUNCTIONS))
def test_a_poisoned_road_fails_naming_the_parameter_and_the_road(monkeypatch, road, value):
    index = SEED_NAMES.index(TARGET)
    poison(monkeypatch, road, index, value)
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]], finite_differences=True)
    assert not report.passed
    assert report.failures() == [TARGET]
    kind = "nan" if math.isnan(value) else ("+inf" if value > 0 else "-inf")
    assert crosscheck.Problem(TARGET, road, kind) in report.problems()
    assert f"{TARGET} on the {road} road: {kind}" in report.summary()
    assert "FAIL" in report.summary()
    row = next(line for line in report.table().splitlines() if line.startswith(TARGET))
    assert f"{kind} on {road}" in row
    data = strict_json(json.dumps(report.to_dict()))
    assert data["passed"] is False
    assert {"name": TARGET, "road": road, "kind": kind} in [
        {k: p[k] for k in ("name", "road", "kind")} for p in data["problems"]
    ]


def test_every_road_nan_at_once_still_fails(monkeypatch):
    # The original bug: NaN compared with NaN is never "greater than the limit".
    for road in ROAD_FUNCTIONS:
        poison(monkeypatch, road, 0, math.nan)
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]], finite_differences=True)
    assert not report.passed
    assert {p.road for p in report.problems() if p.name == SEED_NAMES[0]} == set(ROAD_FUNCTIONS)
    assert math.isnan(report.max_abs) and math.isnan(report.max_rel)


def test_the_same_infinity_on_every_road_fails(monkeypatch):
    for road in ("scalar", "tensor", "delta"):
        poison(monkeypatch, road, 3, math.inf)
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    assert report.failures() == [SEED_NAMES[3]]


@pytest.mark.parametrize("road", ["scalar", "tensor", "delta"])
def test_a_non_finite_loss_fails_as_L(monkeypatch, road):
    poison(monkeypatch, road, 0, 0.0, loss_value=math.inf)
    # the poisoned gradient 0.0 differs too; the loss is named on its own
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    assert crosscheck.Problem("L", road, "+inf") in report.problems()


def test_a_finite_difference_beyond_the_tolerance_is_named_as_such(monkeypatch):
    index = SEED_NAMES.index("bo[0]")
    poison(monkeypatch, "tensor", index, 123.0)
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    [problem] = report.problems()
    assert (problem.name, problem.road, problem.kind) == ("bo[0]", "tensor", "differs")
    assert "123 differs from δ" in str(problem)


@pytest.mark.parametrize("road", ["scalar", "tensor", "delta"])
def test_check_command_exits_1_on_a_poisoned_road(monkeypatch, capsys, road):
    poison(monkeypatch, road, SEED_NAMES.index(TARGET), math.nan)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert f"{TARGET} on the {road} road: nan" in out
    assert main(["check", "--json"]) == 1
    data = strict_json(capsys.readouterr().out)
    assert data["passed"] is False and data["failures"] == [TARGET]


def test_saturated_sigmoid_with_bce_gives_the_true_gradient_on_every_road():
    # s = 50: σ(s) rounds to 1.0 in float64, so ln(1 − y) is −inf. The true gradient is
    # finite: ∂L/∂s = σ(s) − z (z = 0), so ∂L/∂w = σ(50)·x and ∂L/∂b = σ(50); and the
    # true loss is softplus(50). bce of a sigmoid output is the fused pair on every
    # road, so every road gives these numbers and the check passes.
    net = MLP.from_weights([[[50.0, 0.0]]], [[0.0]], activation="sigmoid")
    report = cross_check(net, [[1.0, 0.5]], [[0.0]], loss="bce")
    p = 1.0 / (1.0 + math.exp(-50.0))
    expected = np.array([p * 1.0, p * 0.5, p])
    assert report.passed, report.summary()
    assert set(report.roads) == {"scalar", "tensor", "delta"}
    for road, values in report.roads.items():
        np.testing.assert_allclose(values, expected, rtol=1e-12, atol=0, err_msg=road)
    assert set(report.losses) == {"scalar", "tensor", "delta"}
    for road, value in report.losses.items():
        assert value == pytest.approx(50.0 + math.log1p(math.exp(-50.0)), rel=1e-12), road


def test_a_long_table_shows_its_failing_rows_first_within_max_rows(monkeypatch):
    index = SEED_NAMES.index("bo[0]")  # the last row
    poison(monkeypatch, "tensor", index, math.nan)
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    lines = report.table(max_rows=4).splitlines()
    rows = [line.split()[0] for line in lines[2:] if line.startswith(("wh", "bh", "wo", "bo"))]
    assert rows == ["wh[0][0][0]", "wh[0][0][1]", "wh[0][1][0]", "bo[0]"]
    assert "... 9 more parameters, all passing" in report.table(max_rows=4)
    # all 13 rows and no "more" line: 9 rows more, 1 line less
    assert len(report.table().splitlines()) == len(lines) + 9 - 1

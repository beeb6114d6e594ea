"""The witness one order up: Hessians by double autodiff against differences of the δ road."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.crosscheck import delta_fd_hessian_road, hessian_check, parameter_names
from tinygrad_mlp.crosscheck import hessian as crosscheck  # the module the roads are read from
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network

torch = pytest.importorskip("torch")

ACT = {"sigmoid": torch.sigmoid, "tanh": torch.tanh, "relu": torch.relu, "linear": lambda t: t}


def torch_loss(out, z, loss):
    if loss == "mse":
        return 0.5 * ((out - z) ** 2).sum()
    if loss == "mse_mean":
        return ((out - z) ** 2).mean()
    if loss == "bce":
        return torch.nn.functional.binary_cross_entropy(out, z)
    if loss == "bce_with_logits":
        return torch.nn.functional.binary_cross_entropy_with_logits(out, z)
    return torch.nn.functional.cross_entropy(out, z.long())


def torch_hessian(net: MLP, x, z, loss) -> np.ndarray:
    """torch.autograd.functional.hessian of the same network's loss, in float64."""
    shapes = [(la.weight.data.shape, la.bias.data.shape) for la in net.layers]
    theta = np.concatenate(
        [np.concatenate([la.weight.data.ravel(), la.bias.data.ravel()]) for la in net.layers]
    )
    xt, zt = torch.tensor(np.atleast_2d(x)), torch.tensor(np.asarray(z, dtype=np.float64))

    def f(th):
        a, k = xt, 0
        for (ws, bs), act in zip(shapes, net.activations, strict=True):
            w = th[k : k + ws[0] * ws[1]].reshape(ws)
            k += ws[0] * ws[1]
            b = th[k : k + bs[0]]
            k += bs[0]
            a = ACT[act](a @ w.T + b)
        return torch_loss(a, zt, loss)

    return torch.autograd.functional.hessian(f, torch.tensor(theta)).numpy()


CASES = {
    "mse": ("sigmoid", None),
    "mse_mean": ("tanh", "linear"),
    "bce": ("tanh", "sigmoid"),
    "bce_with_logits": ("sigmoid", "linear"),
    "cross_entropy": ("tanh", "linear"),
}


def problem(loss: str, seed: int = 0):
    act, out = CASES[loss]
    rng = np.random.default_rng(seed)
    net = MLP(2, [3, 3], activation=act, output_activation=out, seed=rng)
    x = rng.uniform(-1, 1, (3, 2))
    if loss == "cross_entropy":
        z = rng.integers(0, 3, 3)
    elif loss.startswith("bce"):
        z = rng.integers(0, 2, (3, 3)).astype(float)
    else:
        z = rng.uniform(-1, 1, (3, 3))
    return net, x, z


@pytest.mark.parametrize("loss", list(CASES))
def test_differences_of_the_delta_road_match_torchs_hessian(loss):
    net, x, z = problem(loss)
    zz = z.reshape(-1) if loss == "cross_entropy" else z
    ours = delta_fd_hessian_road(net, x, zz, loss)
    reference = torch_hessian(net, x, z, loss)
    assert ours.shape == reference.shape == (21, 21)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-9 * (1 + np.abs(reference).max()))


def test_differences_of_the_delta_road_on_the_seed_example_match_torch():
    net = seed_network()
    ours = delta_fd_hessian_road(net, np.array([[1.0, 1.0]]), np.array([[1.0]]), "mse")
    reference = torch_hessian(net, [[1.0, 1.0]], [[1.0]], "mse")
    np.testing.assert_allclose(ours, reference, rtol=0, atol=1e-11)
    # the second derivative of ½(y − z)² with respect to the output bias, by hand:
    # ∂L/∂bo = f'(s)(y − z); ∂²L/∂bo² = f''(s)(y − z) + f'(s)², f'' = f'(1 − 2y)
    y = 1.0 / (1.0 + math.exp(-0.0120113795))
    fp = y * (1 - y)
    assert ours[-1, -1] == pytest.approx(fp * (1 - 2 * y) * (y - 1) + fp * fp, rel=1e-7)


# -- the check: double autodiff on both engines against the δ road's differences ----------

SEED_NAMES = [n for group in parameter_names(seed_network()) for n in group]
HESSIAN_ROADS = {
    "scalar": "scalar_hessian_road",
    "tensor": "tensor_hessian_road",
    "delta fd": "delta_fd_hessian_road",
}


def test_hessian_check_passes_on_the_seed_example_and_matches_torch():
    report = hessian_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    assert report.passed, report.summary()
    assert set(report.roads) == set(HESSIAN_ROADS)
    assert len(report.names) == 13 * 13 and report.names[1] == "(wh[0][0][0], wh[0][0][1])"
    reference = torch_hessian(seed_network(), [[1.0, 1.0]], [[1.0]], "mse")
    for road in ("scalar", "tensor"):
        np.testing.assert_allclose(report.matrix(road), reference, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("loss", list(CASES))
def test_hessian_check_passes_for_every_loss_and_matches_torch(loss):
    net, x, z = problem(loss, seed=1)
    report = hessian_check(net, x, z, loss=loss)
    assert report.passed, report.summary()
    reference = torch_hessian(net, x, z, loss)
    scale = 1.0 + np.abs(reference)
    for road in ("scalar", "tensor"):
        assert np.max(np.abs(report.matrix(road) - reference) / scale) < 1e-10, road


def poison(monkeypatch, road: str, index: int, value: float) -> None:
    attribute = HESSIAN_ROADS[road]
    original = getattr(crosscheck, attribute)

    def poisoned(*args, **kwargs):
        matrix = np.ascontiguousarray(original(*args, **kwargs), dtype=np.float64)
        matrix.reshape(-1)[index] = value
        return matrix

    monkeypatch.setattr(crosscheck, attribute, poisoned)


PAIR = "(wh[0][1][0], wo[0][2])"
PAIR_INDEX = SEED_NAMES.index("wh[0][1][0]") * 13 + SEED_NAMES.index("wo[0][2]")


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "+inf", "-inf"])
@pytest.mark.parametrize("road", list(HESSIAN_ROADS))
def test_a_poisoned_hessian_road_fails_naming_the_pair_and_the_road(monkeypatch, road, value):
    poison(monkeypatch, road, PAIR_INDEX, value)
    report = hessian_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    assert not report.passed
    assert report.failures() == [PAIR]
    kind = "nan" if math.isnan(value) else ("+inf" if value > 0 else "-inf")
    assert crosscheck.Problem(PAIR, road, kind) in report.problems()
    assert f"{PAIR} on the {road} road: {kind}" in report.summary()


def test_a_wrong_second_derivative_fails_against_the_differences(monkeypatch):
    original = crosscheck.tensor_hessian_road
    monkeypatch.setattr(
        crosscheck, "tensor_hessian_road", lambda *a: original(*a) * (1 + 1e-4 * np.eye(13))
    )
    report = hessian_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    failing = report.failures()
    # the diagonal entries that are not zero are off by 1e-4 of themselves
    assert failing and all(n.split(", ")[0][1:] == n.split(", ")[1][:-1] for n in failing)
    assert {p.road for p in report.problems()} == {"tensor", "scalar"}  # scalar vs tensor too


def test_engines_apart_by_more_than_their_tolerance_fail_though_both_near_the_differences(
    monkeypatch,
):
    original = crosscheck.scalar_hessian_road

    def nudged(*args):
        matrix = np.ascontiguousarray(original(*args))
        matrix.reshape(-1)[PAIR_INDEX] += 1e-8  # within 1e-7 of the differences
        return matrix

    monkeypatch.setattr(crosscheck, "scalar_hessian_road", nudged)
    report = hessian_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    [problem] = report.problems()
    assert (problem.name, problem.road, problem.kind) == (PAIR, "scalar", "differs")
    assert "differs from tensor" in str(problem)


def test_check_command_hessian_passes_on_the_seed_and_fails_on_a_poisoned_road(monkeypatch, capsys):
    assert main(["check", "--hessian"]) == 0
    out = capsys.readouterr().out
    assert "Hessian check" in out and "169 pairs" in out and out.rstrip().endswith("PASS")
    poison(monkeypatch, "tensor", PAIR_INDEX, math.nan)
    assert main(["check", "--hessian"]) == 1
    assert f"{PAIR} on the tensor road: nan" in capsys.readouterr().out
    assert main(["check", "--hessian", "--json"]) == 1

    def refuse(constant):
        raise AssertionError(f"{constant} is not JSON")

    data = json.loads(capsys.readouterr().out, parse_constant=refuse)
    assert data["passed"] is True  # the gradient check itself is clean
    assert data["hessian"]["passed"] is False and data["hessian"]["failures"] == [PAIR]


def test_a_network_too_large_for_the_hessian_check_is_one_sentence_before_any_work(
    monkeypatch,
):
    monkeypatch.setattr(crosscheck, "HESSIAN_PARAMETER_LIMIT", 12)

    def never(*args):
        raise AssertionError("a road ran")

    for attribute in HESSIAN_ROADS.values():
        monkeypatch.setattr(crosscheck, attribute, never)
    with pytest.raises(ValueError, match="this network has 13 \\(limit 12\\)"):
        hessian_check(seed_network(), [[1.0, 1.0]], [[1.0]])

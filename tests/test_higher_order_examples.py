"""The higher-order examples run with --quick, and each one's claim holds."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.seed import DATASET, seed_network

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load(name: str) -> dict:
    """The example's functions, without running its ``__main__`` block.

    As ``python examples/x.py`` does, the examples' folder is first on ``sys.path``
    while the script loads (for their shared ``_common``).
    """
    sys.path.insert(0, str(EXAMPLES))
    try:
        return runpy.run_path(str(EXAMPLES / f"{name}.py"), run_name=f"example_{name}")
    finally:
        sys.path.remove(str(EXAMPLES))


@pytest.mark.parametrize("name", ["newton", "hvp_mlp", "gradient_penalty"])
def test_example_runs_quick_and_exits_0(name, capsys):
    assert load(name)["main"](["--quick"]) == 0
    assert capsys.readouterr().out.strip()


def test_newton_lands_on_the_minimum_in_one_step_and_descent_follows_the_sheet(capsys):
    example = load("newton")
    result = example["run"](quick=True)
    np.testing.assert_array_equal(result["hessian"], [[2.0, 0.0], [0.0, 2.0]])
    step, x, y, f = result["newton"][1]
    assert (step, x, y, f) == (1, 0.0, 0.0, 0.0)
    # the sheet: x_new = x_old (1 − 2η) = 0.8 x_old from (3, 4): 2.4, 3.2, ...
    for k, x, y, f in result["descent"]:
        assert x == pytest.approx(3 * 0.8**k, rel=1e-12)
        assert y == pytest.approx(4 * 0.8**k, rel=1e-12)
        assert f == pytest.approx(25 * 0.64**k, rel=1e-12)
    assert result["descent"][1][1:3] == pytest.approx((2.4, 3.2), rel=1e-15)
    example["main"](["--quick"])
    assert "One Newton step lands on (0, 0), where f = 0" in capsys.readouterr().out


def test_hessian_vector_product_matches_the_witness_and_torch():
    torch = pytest.importorskip("torch")
    example = load("hvp_mlp")
    result = example["run"](quick=True, seed=0)
    assert result["max_rel_error"] < 1e-10
    # torch: H v of the same loss on the same network, v drawn as the example draws it
    net = seed_network()
    x = torch.tensor(MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2]))
    z = torch.tensor(MinMaxScaler((0, 1)).fit_transform(DATASET[:, 2:]))
    rng = np.random.default_rng(0)
    v = [rng.normal(size=p.data.shape) for p in net.parameters()]
    params = [torch.tensor(p.data.copy()) for p in net.parameters()]

    def loss(w1, b1, w2, b2):
        out = torch.sigmoid(torch.sigmoid(x @ w1.T + b1) @ w2.T + b2)
        return 0.5 * ((out - z) ** 2).sum()

    _, reference = torch.autograd.functional.hvp(
        loss, tuple(params), tuple(torch.tensor(a) for a in v)
    )
    expected = np.concatenate([r.numpy().ravel() for r in reference])
    np.testing.assert_allclose(result["hvp"], expected, rtol=1e-10, atol=1e-13)


def test_gradient_penalty_step_matches_its_witness_and_torch():
    torch = pytest.importorskip("torch")
    result = load("gradient_penalty")["run"](quick=True)
    assert result["max_rel_error"] < 1e-9
    totals = [total for _, total, _, _ in result["history"]]
    assert totals[-1] < totals[0]  # the steps lower the penalized objective
    w1, b1, w2, b2 = (torch.tensor(p, requires_grad=True) for p in result["initial_parameters"])
    x = torch.tensor(result["x"], requires_grad=True)
    z = torch.tensor(result["z"])
    out = torch.tanh(x @ w1.T + b1) @ w2.T + b2
    (grad_x,) = torch.autograd.grad(out.sum(), x, create_graph=True)
    objective = ((out - z) ** 2).mean() + result["lam"] * (grad_x**2).sum() / len(x)
    expected = torch.autograd.grad(objective, (w1, b1, w2, b2))
    for ours, theirs in zip(result["first_gradient"], expected, strict=True):
        np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-14)

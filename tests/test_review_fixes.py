"""Regression tests for bugs found in review (each failed before its fix)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value
from tinygrad_mlp.nn import MLP


def _grad_numbers(g):
    return np.asarray(getattr(g, "data", g), dtype=np.float64)


def test_plain_backward_after_create_graph_accumulates_on_tensor():
    # d/dw sum(w^3) = 3w^2 = [3, 12]; d/dw sum(w^2) = 2w = [2, 4]; torch sums: [5, 16]
    w = Tensor([1.0, 2.0], requires_grad=True)
    (w * w * w).sum().backward(create_graph=True)
    (w * w).sum().backward()
    np.testing.assert_allclose(_grad_numbers(w.grad), [5.0, 16.0])


def test_plain_backward_after_create_graph_updates_every_leaf():
    # two leaves: the sweep must not stop after the first one it visits
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a * a * b).sum().backward(create_graph=True)  # a: 2ab = [6, 16]; b: a^2 = [1, 4]
    (a * b).sum().backward()  # a: b = [3, 4]; b: a = [1, 2]
    np.testing.assert_allclose(_grad_numbers(a.grad), [9.0, 20.0])
    np.testing.assert_allclose(_grad_numbers(b.grad), [2.0, 6.0])


def test_plain_backward_after_create_graph_on_value():
    a = Value(2.0)
    (a * a * a).backward(create_graph=True)  # 3a^2 = 12
    (a * a).backward()  # 2a = 4
    assert float(getattr(a.grad, "data", a.grad)) == 16.0


def test_plain_backward_after_create_graph_through_parameter_views():
    net = MLP(2, [1], activation="linear", seed=0)
    views = [q for n in net.layers[0].neurons for q in n.parameters()]
    xs = [Value(0.3), Value(0.4)]
    out = net(xs)[0]
    (out * out).backward(create_graph=True)
    once = [float(getattr(q.grad, "data", q.grad)) for q in views]
    out = net(xs)[0]
    (out * out).backward()
    twice = [float(getattr(q.grad, "data", q.grad)) for q in views]
    np.testing.assert_allclose(twice, 2 * np.array(once), rtol=1e-12)


def test_plain_backward_after_create_graph_on_tensor_mlp_matches_torch():
    torch = pytest.importorskip("torch")
    net = MLP(2, [3, 1], activation="tanh", seed=0)
    x = np.array([[0.3, -0.4], [0.1, 0.2]])
    (net(Tensor(x)) ** 2).sum().backward(create_graph=True)
    net(Tensor(x)).sum().backward()
    tparams = [
        torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in net.parameters()
    ]

    def forward(tx):
        h = tx
        for k in range(0, len(tparams), 2):
            h = torch.tanh(h @ tparams[k].T + tparams[k + 1])  # every layer, output too
        return h

    tx = torch.tensor(x)
    (forward(tx) ** 2).sum().backward(create_graph=True)
    forward(tx).sum().backward()
    for p, t in zip(net.parameters(), tparams, strict=True):
        np.testing.assert_allclose(_grad_numbers(p.grad), t.grad.detach().numpy(), rtol=1e-12)


# -- the cross-checks ---------------------------------------------------------------------

from tinygrad_mlp.crosscheck import cross_check, hessian_check  # noqa: E402
from tinygrad_mlp.crosscheck import hessian as crosscheck  # noqa: E402
from tinygrad_mlp.nn import Linear, Sequential, Tanh  # noqa: E402


def _sequential() -> Sequential:
    return Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 1, seed=1))


def test_hessian_check_takes_a_sequential_as_cross_check_does():
    x, z = [[0.3, -0.2]], [[0.2]]
    assert cross_check(_sequential(), x, z).passed
    report = hessian_check(_sequential(), x, z)
    assert report.passed
    torch = pytest.importorskip("torch")
    seq = _sequential()
    params = [torch.tensor(p.data, dtype=torch.float64) for p in seq.parameters()]
    shapes = [p.shape for p in params]

    def loss(*flat):
        w0, b0, w1, b1 = (f.reshape(s) for f, s in zip(flat, shapes, strict=True))
        y = torch.tanh(torch.tensor(x, dtype=torch.float64) @ w0.T + b0) @ w1.T + b1
        return 0.5 * ((y - torch.tensor(z, dtype=torch.float64)) ** 2).sum()

    blocks = torch.autograd.functional.hessian(loss, tuple(p.reshape(-1) for p in params))
    full = torch.cat([torch.cat(row, dim=1) for row in blocks], dim=0).numpy()
    np.testing.assert_allclose(report.matrix("tensor"), full, rtol=1e-10, atol=1e-12)


def _relu_net(offset: float) -> MLP:
    """A ReLU hidden layer whose first unit's weighted sum is ``offset`` on the sample below."""
    w0 = [[0.2, 0.3], [0.4, -0.1]]
    b0 = [-0.01 + offset, 0.0]  # s_0 = 0.2·0.5 + 0.3·(−0.3) − 0.01 + offset = offset
    return MLP.from_weights([w0, [[0.7, -0.5]]], [b0, [0.1]], activation=["relu", "linear"])


RELU_X, RELU_Z = np.array([[0.5, -0.3]]), np.array([[1.0]])


def test_hessian_check_on_relu_names_pairs_at_a_kink_instead_of_failing():
    net = _relu_net(2e-4)  # within the five-point stencil (2 · 5e-4) of the kink
    report = hessian_check(net, RELU_X, RELU_Z)
    assert report.passed, report.table()
    kinked = [report.names[k] for k in np.flatnonzero(report.kinks)]
    # moving wh[0][0][*] or bh[0][0] moves s_0 across 0; the other unit and the output not
    assert kinked and all(
        name.endswith(("wh[0][0][0])", "wh[0][0][1])", "bh[0][0])")) for name in kinked
    )
    assert "at a kink" in report.table()
    assert any("at a kink" in note for note in report.notes)
    # the kinked pairs still agree between the two engines, and with torch
    torch = pytest.importorskip("torch")
    params = [torch.tensor(p.data, dtype=torch.float64) for p in net.parameters()]
    shapes = [p.shape for p in params]

    def loss(*flat):
        w0, b0, w1, b1 = (f.reshape(s) for f, s in zip(flat, shapes, strict=True))
        y = torch.relu(torch.tensor(RELU_X) @ w0.T + b0) @ w1.T + b1
        return 0.5 * ((y - torch.tensor(RELU_Z)) ** 2).sum()

    blocks = torch.autograd.functional.hessian(loss, tuple(p.reshape(-1) for p in params))
    full = torch.cat([torch.cat(row, dim=1) for row in blocks], dim=0).numpy()
    np.testing.assert_allclose(report.matrix("tensor"), full, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(report.matrix("scalar"), full, rtol=1e-10, atol=1e-12)


def test_hessian_check_on_relu_still_fails_a_wrong_pair_away_from_the_kink(monkeypatch):
    real = crosscheck.tensor_hessian_road
    net = _relu_net(2e-4)
    report = hessian_check(net, RELU_X, RELU_Z)
    away = int(np.flatnonzero(~report.kinks)[-1])

    def wrong(*args):
        h = real(*args).copy()
        h.reshape(-1)[away] += 1e-3
        return h

    monkeypatch.setattr(crosscheck, "tensor_hessian_road", wrong)
    bad = hessian_check(net, RELU_X, RELU_Z)
    assert not bad.passed
    assert report.names[away] in bad.failures()


def test_hessian_check_on_relu_far_from_a_kink_flags_nothing():
    report = hessian_check(_relu_net(0.05), RELU_X, RELU_Z)
    assert report.passed and not report.kinks.any()


def test_cross_check_finite_differences_on_relu_at_a_kink_are_not_compared():
    report = cross_check(_relu_net(2e-6), RELU_X, RELU_Z, finite_differences=True)
    assert report.passed, report.table()
    kinked = [report.names[k] for k in np.flatnonzero(report.kinks)]
    assert kinked == ["wh[0][0][0]", "wh[0][0][1]", "bh[0][0]"]
    # the engines are still held against δ there
    assert report.roads["tensor"][2] == pytest.approx(report.roads["delta"][2], abs=1e-12)


@pytest.mark.parametrize("check", [cross_check, hessian_check])
@pytest.mark.parametrize("last", ["tanh", "relu", "linear"])
def test_bce_on_an_output_that_is_not_a_probability_is_refused(check, last):
    net = MLP(3, [4, 2], activation="tanh", output_activation=last, seed=2)
    x = np.random.default_rng(0).normal(size=(4, 3))
    with pytest.raises(ValueError, match=f"'bce' takes probabilities.*'{last}'.*bce_with_logits"):
        check(net, x, np.full((4, 2), 0.5), loss="bce")


def test_bce_on_a_sigmoid_output_is_still_checked():
    net = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=2)
    x = np.random.default_rng(0).normal(size=(4, 3))
    assert cross_check(net, x, np.full((4, 2), 0.5), loss="bce").passed


@pytest.mark.parametrize("check", [cross_check, hessian_check])
def test_a_float32_network_is_checked_on_a_float64_copy(check):
    net = MLP(2, [8, 1], activation="tanh", seed=0, dtype=np.float32)
    report = check(net, [[0.3, 0.7]], [[1.0]])
    assert report.passed, report.table()
    assert any("float64 copy" in note and "float32" in note for note in report.notes)
    assert "float64 copy" in report.table()
    assert net.layers[0].weight.dtype == np.float32  # the user's network is untouched


def test_a_float64_network_has_no_copy_note():
    report = cross_check(MLP(2, [3, 1], seed=0), [[0.3, 0.7]], [[1.0]])
    assert not any("copy" in note for note in report.notes)


@pytest.mark.parametrize("check", [cross_check, hessian_check])
def test_wrong_target_count_is_one_sentence_naming_the_shapes(check):
    with pytest.raises(ValueError, match=r"targets of shape \(3,\).*2 samples of 1 outputs"):
        check(MLP(2, [3, 1], seed=0), [[1, 1], [0, 0]], [1.0, 2.0, 3.0])


@pytest.mark.parametrize("check", [cross_check, hessian_check])
def test_an_empty_batch_is_one_sentence(check):
    with pytest.raises(ValueError, match="x has no samples"):
        check(MLP(2, [3, 1], seed=0), np.zeros((0, 2)), np.zeros((0, 1)))


def test_wrong_label_count_for_cross_entropy_is_one_sentence():
    with pytest.raises(ValueError, match="3 class labels .* for 2 samples"):
        cross_check(MLP(2, [3, 3], seed=0), [[1, 1], [0, 0]], [0, 1, 2], loss="cross_entropy")


def test_check_command_hessian_on_relu_near_a_kink_exits_0_and_says_so(monkeypatch, capsys):
    from types import SimpleNamespace

    from tinygrad_mlp.cli import main
    from tinygrad_mlp.commands import check

    problem = SimpleNamespace(
        net=_relu_net(2e-4), x=RELU_X, z=RELU_Z, loss="mse", title="a ReLU unit near 0"
    )
    monkeypatch.setattr(check, "load_problem", lambda args: problem)
    assert main(["check", "--hessian", "--finite-differences"]) == 0
    out = capsys.readouterr().out
    assert "at a kink (not compared with delta fd)" in out
    assert out.rstrip().endswith("PASS (27 at a kink, not compared with delta fd)")
    assert main(["check", "--hessian", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hessian"]["passed"] and len(data["hessian"]["at_kink"]) == 27

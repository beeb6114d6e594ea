"""Value against PyTorch float64: forward values and every leaf gradient."""

from __future__ import annotations

import pytest

from tinygrad_mlp import Value

torch = pytest.importorskip("torch")


def sanity_check(lib):
    x = lib(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return [x], y


def more_ops(lib):
    a, b = lib(-4.0), lib(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    return [a, b], g


def neuron_ops(lib):
    x1, x2, w1, w2, b = lib(2.0), lib(0.0), lib(-3.0), lib(1.0), lib(6.8813735870195432)
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh() + n.sigmoid() * (n * 0.5).exp() - (n * n + 1).log()
    return [x1, x2, w1, w2, b], o


def powers(lib):
    a, b = lib(1.7), lib(-0.6)
    c = a**b + 2.0**a - b**2 / a
    return [a, b], c


@pytest.mark.parametrize("build", [sanity_check, more_ops, neuron_ops, powers])
def test_expression_matches_torch_forward_and_gradients(build):
    def torch_scalar(v):
        return torch.tensor(v, dtype=torch.float64, requires_grad=True)

    ours_in, ours_out = build(Value)
    ours_out.backward()
    theirs_in, theirs_out = build(torch_scalar)
    theirs_out.backward()
    assert ours_out.data == pytest.approx(theirs_out.item(), rel=1e-12, abs=1e-12)
    for k, (mine, ref) in enumerate(zip(ours_in, theirs_in, strict=True)):
        assert mine.grad == pytest.approx(ref.grad.item(), rel=1e-10, abs=1e-10), f"input {k}"

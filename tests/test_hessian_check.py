"""The witness one order up: Hessians by double autodiff against differences of the δ road."""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_mlp.crosscheck import delta_fd_hessian_road
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

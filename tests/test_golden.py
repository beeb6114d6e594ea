"""The cheat sheet's worked example: golden numbers derived from the math.

Every expected value below is computed here from closed forms (math.exp), not
taken from a run of the engine.
"""

import math

import numpy as np
import pytest

from tinygrad_mlp.autograd import walk
from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.losses import mse
from tinygrad_mlp.seed import DATASET, seed_network


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s))


S_H = [-1.0, 0.5, 1.5]
A_H = [sigmoid(s) for s in S_H]
S_O = 0.5 * A_H[0] - 1.0 * A_H[1] + 0.0 * A_H[2] + 0.5
Y = sigmoid(S_O)
WO = [0.5, -1.0, 0.0]


def test_closed_forms_match_design_table():
    # The DESIGN table, to the digits it prints: guards the closed forms themselves.
    assert [round(a, 9) for a in A_H] == [0.268941421, 0.622459331, 0.817574476]
    assert round(S_O, 10) == 0.0120113795
    assert round(Y, 9) == 0.503002809


def run_seed(z: float):
    net = seed_network()
    x = [float(v) for v in MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2])[0]]
    y = net(x)
    loss = mse(y, [z])
    loss.backward()
    return net, {v.label: v for v in walk(loss) if v.label}, loss


@pytest.mark.parametrize("z", [91.0, 1.0])
def test_seed_forward_and_error_signals(z):
    net, nodes, loss = run_seed(z)
    assert [nodes[f"sh[0][{j}]"].data for j in range(3)] == pytest.approx(S_H, abs=1e-12)
    assert [nodes[f"ah[0][{j}]"].data for j in range(3)] == pytest.approx(A_H, abs=1e-12)
    assert nodes["so[0]"].data == pytest.approx(S_O, abs=1e-12)
    assert nodes["yo[0]"].data == pytest.approx(Y, abs=1e-12)
    assert loss.data == pytest.approx(0.5 * (Y - z) ** 2, rel=1e-12)
    delta_o = Y * (1 - Y) * (Y - z)
    delta_h = [a * (1 - a) * w * delta_o for a, w in zip(A_H, WO, strict=True)]
    assert nodes["so[0]"].grad == pytest.approx(delta_o, abs=1e-9)
    assert [nodes[f"sh[0][{j}]"].grad for j in range(3)] == pytest.approx(delta_h, abs=1e-9)
    # the gradients land on the network's parameter tensors
    assert net.layers[1].weight.grad[0].tolist() == pytest.approx(
        [delta_o * a for a in A_H], abs=1e-9
    )
    assert net.layers[0].bias.grad.tolist() == pytest.approx(delta_h, abs=1e-9)


def test_seed_error_signals_match_design_digits():
    _, nodes91, _ = run_seed(91.0)
    _, nodes1, _ = run_seed(1.0)
    assert nodes91["so[0]"].grad == pytest.approx(-22.6234333, abs=1e-7)
    assert [nodes91[f"sh[0][{j}]"].grad for j in range(3)] == pytest.approx(
        [-2.22401848, 5.31659081, 0.0], abs=1e-8
    )
    assert nodes1["so[0]"].grad == pytest.approx(-0.124244816, abs=1e-9)
    assert [nodes1[f"sh[0][{j}]"].grad for j in range(3)] == pytest.approx(
        [-0.0122140068, 0.0291979931, 0.0], abs=1e-10
    )


def test_seed_normalization_both_ranges():
    inputs = DATASET[:, :2]
    zero_one = MinMaxScaler((0, 1)).fit_transform(inputs)
    minus_one = MinMaxScaler((-1, 1)).fit_transform(inputs)
    expected01 = [[1, 1], [25 / 45, 18 / 31], [40 / 45, 0], [0, 28 / 31]]
    np.testing.assert_allclose(zero_one, expected01, rtol=0, atol=1e-12)
    np.testing.assert_allclose(minus_one, 2 * np.array(expected01) - 1, rtol=0, atol=1e-12)
    assert minus_one[1, 0] == pytest.approx(+0.1111, abs=1e-4)  # the sheet's -0.1111 is wrong

"""The activation modules of Sequential: one per activation, named and computing as torch's."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import GELU, MLP, Linear, Sequential, as_mlp

torch = pytest.importorskip("torch")

#: torch's module for each activation, written out here (not read from the bridge).
TORCH_MODULES = {
    "sigmoid": lambda: torch.nn.Sigmoid(),
    "tanh": lambda: torch.nn.Tanh(),
    "relu": lambda: torch.nn.ReLU(),
    "leaky_relu": lambda: torch.nn.LeakyReLU(),
    "elu": lambda: torch.nn.ELU(),
    "celu": lambda: torch.nn.CELU(),
    "gelu": lambda: torch.nn.GELU(),
    "gelu_tanh": lambda: torch.nn.GELU(approximate="tanh"),
    "silu": lambda: torch.nn.SiLU(),
    "softplus": lambda: torch.nn.Softplus(),
    "softsign": lambda: torch.nn.Softsign(),
    "hardtanh": lambda: torch.nn.Hardtanh(),
    "hardsigmoid": lambda: torch.nn.Hardsigmoid(),
}


@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "linear"])
def test_to_sequential_and_as_mlp_carry_every_activation(activation):
    net = MLP(3, [5, 2], activation=activation, seed=4)
    seq = net.to_sequential()
    module = seq[1]
    assert type(module).__name__ == type(TORCH_MODULES[activation]()).__name__
    x = np.random.default_rng(1).normal(scale=12.0, size=(32, 3))
    expected = net(x).data
    np.testing.assert_array_equal(seq(x).data, expected)
    back = as_mlp(seq)
    assert back.activations == net.activations
    np.testing.assert_array_equal(back(x).data, expected)
    # the module alone against torch's, on both sides of every corner and threshold
    s = np.linspace(-30.0, 30.0, 241)
    ref = TORCH_MODULES[activation]()(torch.from_numpy(s)).numpy()
    np.testing.assert_allclose(module(Tensor(s)).data, ref, rtol=1e-12, atol=1e-12)


def test_gelu_takes_torchs_two_forms_and_refuses_others():
    assert GELU().activation == "gelu" and GELU("tanh").activation == "gelu_tanh"
    assert "approximate='tanh'" in repr(GELU("tanh"))
    with pytest.raises(ValueError, match="approximate must be 'none' or 'tanh'"):
        GELU("erf")


def test_a_hand_built_sequential_of_new_modules_reads_as_an_mlp():
    from tinygrad_mlp.nn import Hardsigmoid, SiLU

    seq = Sequential(Linear(2, 3, seed=0), SiLU(), Linear(3, 1, seed=1), Hardsigmoid())
    assert as_mlp(seq).activations == ["silu", "hardsigmoid"]

"""``to_torch`` / ``from_torch`` (once ``MLP`` methods, now only the bridge's functions)."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.nn import MLP
from tinygrad_mlp.torch_bridge import from_torch, to_torch

torch = pytest.importorskip("torch")


def test_functions_round_trip_and_compute_what_the_network_computes():
    net = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    seq = to_torch(net)
    x = np.random.default_rng(0).normal(size=(5, 3))
    ours = net(x).data
    theirs = seq(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-15)
    back = from_torch(seq)
    assert back.activations == net.activations
    for a, b in zip(back.parameters(), net.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


def test_from_torch_refuses_a_module_that_is_not_an_mlp_in_one_sentence():
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError, match="Conv1d"):
        from_torch(seq)


def test_nn_knows_no_torch_the_conversions_are_functions():
    assert not hasattr(MLP, "to_torch") and not hasattr(MLP, "from_torch")

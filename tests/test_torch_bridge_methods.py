"""``MLP.to_torch`` / ``MLP.from_torch``: the methods are the bridge's functions."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.nn import MLP

torch = pytest.importorskip("torch")


def test_mlp_methods_round_trip_and_compute_what_the_network_computes():
    net = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    seq = net.to_torch()
    x = np.random.default_rng(0).normal(size=(5, 3))
    ours = net(x).data
    theirs = seq(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(theirs, ours, rtol=1e-12, atol=1e-15)
    back = MLP.from_torch(seq)
    assert back.activations == net.activations
    for a, b in zip(back.parameters(), net.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)


def test_from_torch_refuses_a_module_that_is_not_an_mlp_in_one_sentence():
    seq = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Conv1d(1, 1, 1))
    with pytest.raises(ValueError, match="Conv1d"):
        MLP.from_torch(seq)

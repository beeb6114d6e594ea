"""Optimisers against torch.optim on the same quadratic, step by step."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.optim import SGD, Adam
from tinygrad_mlp.tensor import Tensor

torch = pytest.importorskip("torch")


def _run_both(make_ours, make_theirs, steps: int = 10):
    w0 = np.array([1.0, -2.0, 0.5])
    target = np.array([0.3, 0.1, -0.7])
    ours = Tensor(w0.copy(), requires_grad=True)
    theirs = torch.tensor(w0.copy(), requires_grad=True)
    opt, topt = make_ours([ours]), make_theirs([theirs])
    for _ in range(steps):
        opt.zero_grad()
        (((ours - target) ** 2) * 0.5).sum().backward()
        opt.step()
        topt.zero_grad()
        (((theirs - torch.tensor(target)) ** 2) * 0.5).sum().backward()
        topt.step()
    return ours.data, theirs.detach().numpy()


@pytest.mark.parametrize("momentum, weight_decay", [(0.0, 0.0), (0.9, 0.0), (0.9, 0.01)])
def test_sgd_matches_torch_after_ten_steps(momentum, weight_decay):
    ours, theirs = _run_both(
        lambda p: SGD(p, lr=0.1, momentum=momentum, weight_decay=weight_decay),
        lambda p: torch.optim.SGD(p, lr=0.1, momentum=momentum, weight_decay=weight_decay),
    )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_adam_matches_torch_after_ten_steps():
    ours, theirs = _run_both(
        lambda p: Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.01),
        lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.99), eps=1e-8, weight_decay=0.01),
    )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-12)


def test_sgd_rejects_negative_momentum():
    with pytest.raises(ValueError):
        SGD([Tensor(np.zeros(2), requires_grad=True)], lr=0.1, momentum=-0.5)

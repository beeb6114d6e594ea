"""Optimizers, learning-rate schedules and gradient clipping, as ``torch.optim``'s.

- :mod:`~tinygrad_mlp.optim.optimizer`: ``SGD``, ``Adam``, ``AdamW`` (parameter groups,
  every torch option, state dicts in torch's layout);
- :mod:`~tinygrad_mlp.optim.lr_scheduler`: the epoch schedules, stepped in torch's
  chainable form so that several on one optimizer, or a rate changed by hand, compose;
- :mod:`~tinygrad_mlp.optim.clip`: ``clip_grad_norm_`` and ``clip_grad_value_``
  (torch's ``torch.nn.utils`` functions).

Each is checked against torch in float64 by ``tests/test_optim_conformance.py``.
"""

from tinygrad_mlp.optim.clip import clip_grad_norm_, clip_grad_value_
from tinygrad_mlp.optim.lr_scheduler import (
    ChainedScheduler,
    ConstantLR,
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    LRScheduler,
    MultiplicativeLR,
    MultiStepLR,
    PolynomialLR,
    ReduceLROnPlateau,
    SequentialLR,
    StepLR,
)
from tinygrad_mlp.optim.optimizer import SGD, Adam, AdamW, Optimizer

__all__ = [
    "SGD",
    "Adam",
    "AdamW",
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "MultiplicativeLR",
    "Optimizer",
    "PolynomialLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "StepLR",
    "clip_grad_norm_",
    "clip_grad_value_",
]

"""Loss functions, for ``Value`` lists and ``Tensor`` batches alike.

Conventions (say which one you mean; they differ by constant factors):

- ``mse``: the cheat sheet's L = ½ Σ (y − z)², **summed** over outputs and over
  the samples of a batch, so that dL/dy = y − z with no stray factor 2.
- ``mse_mean``: PyTorch's ``MSELoss()``: mean of (y − z)² over every element.
- ``bce`` (probabilities) and ``bce_with_logits`` (raw scores, the stable one):
  mean over elements of −[z ln y + (1 − z) ln(1 − y)].
- ``cross_entropy``: softmax cross-entropy of logits against integer labels,
  mean over the batch, computed by a shifted log-sum-exp (``log_softmax``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp.tensor import Tensor, half_squared_error
from tinygrad_mlp.value import Value

__all__ = ["bce", "bce_with_logits", "cross_entropy", "mse", "mse_mean"]

LOSSES = ("mse", "mse_mean", "bce", "bce_with_logits", "cross_entropy")


def _targets_like(y: Tensor, z: Any) -> Tensor:
    if isinstance(z, Tensor) and z.shape == y.shape and z.dtype == y.dtype:
        return z
    data = z.data if isinstance(z, Tensor) else np.asarray(z, dtype=y.dtype)
    if data.shape != y.shape:
        if data.size != y.size:
            raise ValueError(f"targets of shape {data.shape} for predictions of shape {y.shape}")
        data = data.reshape(y.shape)
    return Tensor(data.astype(y.dtype, copy=False), label="z")


def mse(y: Any, z: Any) -> Any:
    """½ Σ (y − z)², the cheat sheet's loss (summed, not averaged).

    Args:
        y: predictions: a list of ``Value`` (one sample) or a ``Tensor``.
        z: targets of the same length or shape (numbers, arrays or Values).

    Returns:
        A ``Value`` for list input, a one-element ``Tensor`` for tensor input.

    >>> from tinygrad_mlp import Value
    >>> mse([Value(0.5)], [1.0]).data
    0.125
    """
    if isinstance(y, Tensor):
        return half_squared_error(y, _targets_like(y, z))
    if isinstance(y, Value):
        y = [y]
    if not isinstance(z, Sequence):
        z = [z]
    if len(y) != len(z):
        raise ValueError(f"{len(z)} targets for {len(y)} outputs")
    total = None
    for k, (yi, zi) in enumerate(zip(y, z, strict=True)):
        # NOTE: y − z is y + (−z); a number's −z is a named leaf so drawings show it.
        minus_z = -zi if isinstance(zi, Value) else Value(-zi, label=f"-z[{k}]")
        term = (yi + minus_z) ** 2
        total = term if total is None else total + term
    return total * Value(0.5, label="½")


def mse_mean(y: Tensor, z: Any) -> Tensor:
    """mean((y − z)²) over every element, as PyTorch's ``nn.MSELoss()``."""
    diff = y - _targets_like(y, z)
    return (diff * diff).mean()


def bce(y: Tensor, z: Any, eps: float = 1e-12) -> Tensor:
    """Binary cross-entropy of probabilities ``y`` in (0, 1): mean −[z ln y + (1−z) ln(1−y)].

    ``y`` is clipped to [eps, 1 − eps] inside the logarithms, so a saturated
    sigmoid gives a large finite loss rather than inf. Prefer ``bce_with_logits``.
    """
    z = _targets_like(y, z)
    low = max(eps, float(np.finfo(y.dtype).eps))
    y_safe = y.clip(low, 1.0 - low)
    return -(z * y_safe.log() + (1.0 - z) * (1.0 - y_safe).log()).mean()


def bce_with_logits(s: Tensor, z: Any) -> Tensor:
    """Binary cross-entropy of raw scores ``s`` (the sigmoid folded in), mean over elements.

    Uses max(s, 0) − s·z + ln(1 + e^−|s|), which is finite for any s; its gradient
    is (sigmoid(s) − z) / n.
    """
    z = _targets_like(s, z)
    return (s.relu() - s * z + ((-s.abs()).exp() + 1.0).log()).mean()


def cross_entropy(logits: Tensor, labels: Any) -> Tensor:
    """Softmax cross-entropy of ``logits`` (n, classes) against integer ``labels`` (n,).

    mean over the batch of −log softmax(logits)[label], via a shifted
    log-sum-exp, so any logits give a finite loss.
    """
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy takes logits of shape (n, classes), got {logits.shape}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"{labels.shape} labels for logits of shape {logits.shape}")
    if not np.issubdtype(labels.dtype, np.integer):
        if not np.all(labels == np.round(labels)):
            raise ValueError("cross_entropy labels must be whole class numbers")
        labels = labels.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
        raise ValueError(f"labels must lie in 0..{logits.shape[1] - 1}")
    picked = logits.log_softmax(axis=1)[np.arange(labels.size), labels]
    return -picked.mean()

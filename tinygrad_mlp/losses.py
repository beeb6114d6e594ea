"""Loss functions, for ``Value`` lists and ``Tensor`` batches alike.

``mse`` follows the cheat sheet: L = ½ Σ (y − z)², summed over outputs (and over
the samples of a batch), so that dL/dy = y − z with no stray factor 2.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = ["mse"]


def mse(y: Any, z: Any) -> Any:
    """½ Σ (y − z)², the cheat sheet's loss.

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
        if not isinstance(z, Tensor):
            z = Tensor(z, dtype=y.dtype)
        if z.shape != y.shape:
            if z.size != y.size:
                raise ValueError(f"targets of shape {z.shape} for predictions of shape {y.shape}")
            z = Tensor(z.data.reshape(y.shape))
        diff = y - z
        return (diff * diff).sum() * 0.5
    if isinstance(y, Value):
        y = [y]
    if not isinstance(z, Sequence):
        z = [z]
    if len(y) != len(z):
        raise ValueError(f"{len(z)} targets for {len(y)} outputs")
    total = None
    for yi, zi in zip(y, z, strict=True):
        term = (yi - zi) ** 2
        total = term if total is None else total + term
    return total * 0.5

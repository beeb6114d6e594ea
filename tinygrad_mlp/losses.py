"""Loss functions, for ``Value`` sequences and ``Tensor`` batches alike.

Conventions (say which one you mean; they differ by constant factors):

- ``mse``: the cheat sheet's L = ½ Σ (y − z)², **summed** over outputs and over
  the samples of a batch, so that dL/dy = y − z with no stray factor 2.
- ``mse_mean``: PyTorch's ``MSELoss()``: mean of (y − z)² over every element.
- ``bce`` (probabilities) and ``bce_with_logits`` (raw scores, the stable one):
  mean over elements of −[z ln y + (1 − z) ln(1 − y)], each one fused op with
  torch's gradient (see :class:`~tinygrad_mlp.tensor.BCE`).
- ``cross_entropy``: softmax cross-entropy of logits against integer labels,
  mean over the batch, computed by a shifted log-sum-exp (``log_softmax``).

Every function takes either a ``Tensor`` of predictions or, on the scalar engine,
a list, tuple or 1-D numpy object array of ``Value`` (one sample). Targets must
have the predictions' shape, or one that broadcasts to it without enlarging it
(a single number for every output, a row for every sample). Anything else —
(2, 3) predictions against (3, 2) targets, say — is a ValueError naming both
shapes: torch would broadcast (n, 1) against (n,) to (n, n) with only a warning,
which is nearly always a bug. A mean over no elements is nan, as in numpy and
torch; a sum over none is 0.

The names (and their aliases) come from :mod:`tinygrad_mlp.names`;
:func:`loss_function` maps a name to its function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_mlp import names
from tinygrad_mlp import tensor as tensor_ops
from tinygrad_mlp import value as value_ops
from tinygrad_mlp.tensor import Tensor, half_squared_error
from tinygrad_mlp.value import Value

__all__ = ["bce", "bce_with_logits", "cross_entropy", "loss_function", "mse", "mse_mean"]

LOSSES = names.LOSSES


# --------------------------------------------------------------------------- targets


def _targets_like(y: Tensor, z: Any) -> Tensor:
    """Targets as a Tensor of the predictions' shape (broadcast only toward it)."""
    if isinstance(z, Tensor):
        target = z
    else:
        data = z.data if isinstance(z, Tensor) else np.asarray(z)
        if data.dtype == object:
            raise TypeError("targets must be numbers or arrays, not Values, for Tensor predictions")
        target = Tensor(data.astype(y.dtype, copy=False), label="z")
    if target.shape != y.shape:
        try:
            fits = np.broadcast_shapes(y.shape, target.shape) == y.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"targets of shape {target.shape} do not match predictions of shape {y.shape}"
            )
        target = target.broadcast_to(y.shape)
    return target


def _values(y: Any) -> list:
    """Scalar-engine predictions as a list of Values (a list, tuple or 1-D object array)."""
    if isinstance(y, Value):
        return [y]
    if isinstance(y, np.ndarray) and y.ndim != 1:
        raise ValueError(f"predictions must be 1-D (one sample), got shape {y.shape}")
    ys = list(y)
    for k, v in enumerate(ys):
        if not isinstance(v, Value):
            raise TypeError(f"prediction {k} is a {type(v).__name__}, not a Value")
    return ys


def _pairs(y: Any, z: Any) -> tuple[list, list]:
    """Predictions and targets (numbers or Values), one target per prediction."""
    ys = _values(y)
    if isinstance(z, (Value, int, float, np.number)):
        return ys, [z] * len(ys)
    if isinstance(z, Tensor):
        z = z.data
    if isinstance(z, np.ndarray) and z.dtype != object:
        if z.ndim == 0:
            return ys, [float(z)] * len(ys)
        if z.shape != (len(ys),):
            raise ValueError(
                f"targets of shape {z.shape} do not match predictions of shape ({len(ys)},)"
            )
        return ys, [float(t) for t in z]
    zs = list(z)
    if len(zs) != len(ys):
        raise ValueError(
            f"targets of shape ({len(zs)},) do not match predictions of shape ({len(ys)},)"
        )
    return ys, [t if isinstance(t, Value) else float(t) for t in zs]


def _total(terms: list) -> Value:
    total = Value(0.0) if not terms else terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def _mean(terms: list) -> Value:
    if not terms:
        return Value(math.nan)
    return _total(terms) * (1.0 / len(terms))


# --------------------------------------------------------------------------- losses


def mse(y: Any, z: Any) -> Any:
    """½ Σ (y − z)², the cheat sheet's loss (summed, not averaged).

    Args:
        y: predictions: a sequence of ``Value`` (one sample) or a ``Tensor``.
        z: targets of the same length or shape (numbers, arrays or Values).

    Returns:
        A ``Value`` for scalar-engine input, a 0-d ``Tensor`` for tensor input.

    >>> from tinygrad_mlp import Value
    >>> mse([Value(0.5)], [1.0]).data
    0.125
    """
    if isinstance(y, Tensor):
        return half_squared_error(y, _targets_like(y, z))
    ys, zs = _pairs(y, z)
    terms = []
    for k, (yi, zi) in enumerate(zip(ys, zs, strict=True)):
        # NOTE: y − z is y + (−z); a number's −z is a named leaf so drawings show it.
        minus_z = -zi if isinstance(zi, Value) else Value(-zi, label=f"-z[{k}]")
        terms.append((yi + minus_z) ** 2)
    return _total(terms) * Value(0.5, label="½")


def mse_mean(y: Any, z: Any) -> Any:
    """mean((y − z)²) over every element, as PyTorch's ``nn.MSELoss()``.

    >>> mse_mean(Tensor([1.0, 3.0]), [0.0, 0.0]).item()
    5.0
    """
    if isinstance(y, Tensor):
        diff = y - _targets_like(y, z)
        return (diff * diff).mean()
    ys, zs = _pairs(y, z)
    return _mean([(yi - zi) ** 2 for yi, zi in zip(ys, zs, strict=True)])


def bce(y: Any, z: Any) -> Any:
    """Binary cross-entropy of probabilities ``y``: mean −[z ln y + (1−z) ln(1−y)].

    As torch's ``binary_cross_entropy``: the logs are bounded below by −100 and
    the gradient's denominator y(1 − y) by 1e-12, so a saturated wrong prediction
    gets a large gradient, not 0. Prefer ``bce_with_logits``.

    >>> round(bce(Tensor([0.5]), [1.0]).item(), 6)
    0.693147
    """
    if isinstance(y, Tensor):
        return y._apply(tensor_ops.BCE(), y, _targets_like(y, z)).mean()
    ys, zs = _pairs(y, z)
    return _mean([ys[0]._apply(value_ops.BCE, yi, zi) for yi, zi in zip(ys, zs, strict=True)])


def bce_with_logits(s: Any, z: Any) -> Any:
    """Binary cross-entropy of raw scores ``s`` (the sigmoid folded in), mean over elements.

    One fused op per element, finite for any s, whose gradient is exactly
    (σ(s) − z) / n — at s = 0 too.

    >>> s = Tensor([0.0], requires_grad=True)
    >>> bce_with_logits(s, [1.0]).backward()
    >>> s.grad.tolist()
    [-0.5]
    """
    if isinstance(s, Tensor):
        return s._apply(tensor_ops.BCEWithLogits(), s, _targets_like(s, z)).mean()
    ss, zs = _pairs(s, z)
    return _mean(
        [ss[0]._apply(value_ops.BCEWithLogits, si, zi) for si, zi in zip(ss, zs, strict=True)]
    )


def cross_entropy(logits: Any, labels: Any) -> Any:
    """Softmax cross-entropy of ``logits`` (n, classes) against integer ``labels`` (n,).

    mean over the batch of −log softmax(logits)[label], via a shifted
    log-sum-exp, so any logits give a finite loss. On the scalar engine, logits
    are one sample's sequence of Values and ``labels`` one class number (or a
    sequence of such samples and a sequence of labels).

    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1]).item(), 6)
    0.693147
    """
    if not isinstance(logits, Tensor):
        return _scalar_cross_entropy(logits, labels)
    labels = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy takes logits of shape (n, classes), got {logits.shape}")
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels of shape {labels.shape} for logits of shape {logits.shape}")
    labels = _class_numbers(labels, logits.shape[1])
    picked = logits.log_softmax(axis=1)[np.arange(labels.size), labels]
    return -picked.mean()


def _class_numbers(labels: np.ndarray, classes: int) -> np.ndarray:
    if not np.issubdtype(labels.dtype, np.integer):
        if labels.dtype == object or not np.all(labels == np.round(labels)):
            raise ValueError("cross_entropy labels must be whole class numbers")
        labels = labels.astype(np.intp)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}")
    return labels


def _scalar_cross_entropy(logits: Any, labels: Any) -> Value:
    rows = list(logits)
    if rows and not isinstance(rows[0], Value):  # a batch: one sequence per sample
        labels = _class_numbers(np.asarray(labels).reshape(-1), len(rows[0]))
        if len(labels) != len(rows):
            raise ValueError(f"{len(labels)} labels for {len(rows)} samples")
        return _mean([_scalar_cross_entropy(r, int(k)) for r, k in zip(rows, labels, strict=True)])
    row = _values(rows)
    label = int(_class_numbers(np.asarray([labels]).reshape(-1), len(row))[0])
    # NOTE: the shift is a constant: the gradient does not depend on it.
    shift = max(v.data for v in row)
    total = _total([(v - shift).exp() for v in row])
    return total.log() + shift - row[label]


#: the loss functions by canonical name (see :mod:`tinygrad_mlp.names`)
LOSS_FUNCTIONS: dict[str, Callable[..., Any]] = {
    "mse": mse,
    "mse_mean": mse_mean,
    "bce": bce,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
}


def loss_function(name: str) -> Callable[..., Any]:
    """The loss function called ``name`` or one of its aliases (``ce``, ``bce_logits``).

    >>> loss_function("ce") is cross_entropy
    True
    """
    return LOSS_FUNCTIONS[names.loss_name(name)]

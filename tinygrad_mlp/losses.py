"""Loss functions, for ``Value`` sequences and ``Tensor`` batches alike.

Conventions (say which one you mean; they differ by constant factors):

- ``mse``: the cheat sheet's L = ½ Σ (y − z)², **summed** over outputs and over
  the samples of a batch, so that dL/dy = y − z with no stray factor 2.
- ``mse_mean``: PyTorch's ``MSELoss()``: mean of (y − z)² over every element.
- ``bce`` (probabilities) and ``bce_with_logits`` (raw scores, the stable one):
  mean over elements of −[z ln y + (1 − z) ln(1 − y)], each one fused op with
  torch's gradient (see :class:`~tinygrad_mlp.tensor.BCE`). ``bce`` of the
  output of the engine's sigmoid is the fused pair: it is computed by
  ``bce_with_logits`` on the sigmoid's input (see :func:`bce`).
- ``cross_entropy``: softmax cross-entropy of logits against class indices or
  class probabilities, computed by a shifted log-sum-exp (``log_softmax``), with
  torch's signature (``weight``, ``ignore_index``, ``reduction``,
  ``label_smoothing``). It is the project's only one: ``functional`` and
  ``ops_extra`` hand out this same function.
- torch's other losses under its names and arguments: :func:`nll_loss`,
  :func:`l1_loss`, :func:`huber_loss`, :func:`smooth_l1_loss` (Tensors only).

Every loss of the cheat sheet's vocabulary (:data:`~tinygrad_mlp.names.LOSSES`) takes
either a ``Tensor`` of predictions or, on the scalar engine, a list, tuple or 1-D
numpy object array of ``Value`` (one sample). Their targets (cross_entropy's aside) must
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

__all__ = [
    "REDUCTIONS",
    "bce",
    "bce_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "loss_function",
    "mse",
    "mse_mean",
    "nll_loss",
    "smooth_l1_loss",
]

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

    **A sigmoid output is fused with the loss.** When ``y`` was made by the
    engine's sigmoid op from scores s (on a Tensor, ``y._fn`` is the tensor
    ``Sigmoid``; on the scalar engine, element by element, ``yi._fn`` is the scalar
    ``Sigmoid``), the loss is ``bce_with_logits(s, z)`` instead: the same function,
    L = −[z ln σ(s) + (1 − z) ln(1 − σ(s))] = softplus(s) − z s, written in s so that
    it stays exact where σ(s) rounds to 0 or 1, with dL/ds = (σ(s) − z) / n. The
    loss node's parent is then s, not y (y takes no gradient from it). Composed,
    σ'(s) · (y − z) / (y(1 − y)) is 0 · ∞ at saturation: at s = 50, σ(s) is 1.0 in
    float64 and the clamped form gives loss 100 and gradient 0, where the truth
    is softplus(50) ≈ 50 and σ(50) − z. Keras's ``from_logits`` does the same when
    it meets a sigmoid. Away from saturation the two forms agree to rounding
    (about 1e-15), and higher-order gradients follow ``bce_with_logits``'s rule.
    The sigmoid is seen only through the graph: under ``no_grad``, or for an
    output that does not require a gradient, ``y`` has no op and the clamped
    form below is used.

    **Otherwise** (probabilities from anywhere else), as torch's
    ``binary_cross_entropy``: the logs are bounded below by −100 and the gradient's
    denominator y(1 − y) by 1e-12, so a saturated wrong prediction gets a large
    gradient, not 0. Prefer ``bce_with_logits``.

    Args:
        y: probabilities: a sequence of ``Value`` (one sample) or a ``Tensor``.
        z: targets in [0, 1] of the same length or shape.

    Returns:
        A ``Value`` for scalar-engine input, a 0-d ``Tensor`` for tensor input.

    >>> round(bce(Tensor([0.5]), [1.0]).item(), 6)
    0.693147
    >>> s = Tensor([50.0], requires_grad=True)
    >>> loss = bce(s.sigmoid(), [0.0])  # fused: softplus(50), not the clamp's 100
    >>> loss.backward()
    >>> round(loss.item(), 6), s.grad.tolist()
    (50.0, [1.0])
    """
    if isinstance(y, Tensor):
        if isinstance(y._fn, tensor_ops.Sigmoid):
            s = y._prev[0]
            return s._apply(tensor_ops.BCEWithLogits(), s, _targets_like(y, z)).mean()
        return y._apply(tensor_ops.BCE(), y, _targets_like(y, z)).mean()
    ys, zs = _pairs(y, z)
    return _mean([_scalar_bce(yi, zi) for yi, zi in zip(ys, zs, strict=True)])


def _scalar_bce(y: Value, z: Any) -> Value:
    """One element of :func:`bce`: fused with a sigmoid that made ``y``, else clamped."""
    if y._fn is value_ops.Sigmoid:
        s = y._prev[0]
        return s._apply(value_ops.BCEWithLogits, s, z)
    return y._apply(value_ops.BCE, y, z)


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


def cross_entropy(
    input: Any,  # noqa: A002 - torch's name
    target: Any,
    weight: Any = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Any:
    """Softmax cross-entropy of logits, with torch's signature and numbers.

    The one cross-entropy of the project: ``functional.cross_entropy`` and
    ``ops_extra.cross_entropy`` are this same function.

    With class-index targets (n,), the loss of sample i is
    ℓᵢ = −w[tᵢ] log softmax(xᵢ)[tᵢ], computed by a shifted log-sum-exp
    (``log_softmax``), so any logits give a finite loss. A target equal to
    ``ignore_index`` adds nothing, and ``mean`` divides by Σ w[tᵢ] over the
    samples kept (their count without ``weight``), as torch does.
    ``label_smoothing`` ε mixes each target with the uniform distribution:
    ℓᵢ = (1 − ε) ℓᵢ + (ε / C) Σ_c −w[c] log softmax(xᵢ)[c].

    With class-probability targets (n, C) (a float array), ℓᵢ = −Σ_c w[c] p'ᵢc
    log softmax(xᵢ)[c] with p' = (1 − ε) p + ε / C, and ``mean`` divides by n.

    Args:
        input: logits, a ``Tensor`` (n, C); or, on the scalar engine, one sample's
            sequence of ``Value`` (then ``target`` is one class number) or a
            sequence of such samples (then ``target`` is one class per sample).
        target: class indices (n,) or class probabilities (n, C).
        weight: a weight per class (C,), or None for all ones.
        ignore_index: a class-index target that is skipped.
        reduction: ``"mean"``, ``"sum"`` or ``"none"`` (one loss per sample).
        label_smoothing: ε in [0, 1].

    Returns:
        A 0-d ``Tensor`` (a ``Value`` on the scalar engine), or one loss per sample
        for ``reduction="none"``.

    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1]).item(), 6)
    0.693147
    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1], label_smoothing=0.2).item(), 6)
    0.693147
    """
    if not isinstance(input, Tensor):
        return _scalar_cross_entropy(
            input, target, weight, ignore_index, reduction, label_smoothing
        )
    if input.ndim != 2:
        raise ValueError(f"cross_entropy takes logits of shape (n, classes), got {input.shape}")
    n, classes = input.shape
    w = _class_weights(weight, classes, reduction, label_smoothing, input.dtype)
    data = np.asarray(target.data if isinstance(target, Tensor) else target)
    if data.ndim == 2 and data.dtype.kind == "f":
        if data.shape != input.shape:
            raise ValueError(f"probability targets of shape {data.shape} for {input.shape}")
        probs = target if isinstance(target, Tensor) else Tensor(data.astype(input.dtype))
        if label_smoothing:
            probs = probs * (1.0 - label_smoothing) + label_smoothing / classes
        if w is not None:
            probs = probs * w
        return _reduce(-(input.log_softmax(axis=1) * probs).sum(axis=1), reduction)
    labels, valid = _class_labels(data, n, classes, ignore_index)
    logp = input.log_softmax(axis=1)
    if w is None and not label_smoothing and reduction == "mean" and valid is None:
        # NOTE: the training step's path: one fused log_softmax, one gather, one mean.
        return -logp[np.arange(n), labels].mean()
    if valid is None:
        valid = np.ones(n, dtype=bool)
    picked = np.where(valid, labels, 0)
    nll = -logp[np.arange(n), picked]
    if w is not None:
        nll = nll * w[picked]
    if label_smoothing:
        smooth = -(logp.sum(axis=1) if w is None else (logp * w).sum(axis=1))
        nll = nll * (1.0 - label_smoothing) + smooth * (label_smoothing / classes)
    kept = np.where(valid, 1.0 if w is None else w[picked], 0.0).sum()
    return _reduce(nll.masked_fill(~valid, 0.0), reduction, float(kept))


def _class_weights(
    weight: Any, classes: int, reduction: str, label_smoothing: float, dtype: Any
) -> np.ndarray | None:
    """Check cross_entropy's options; the class weights as an array (None: all ones)."""
    if isinstance(weight, str):
        raise ValueError(
            f"weight must be one number per class, not {weight!r} (as in torch, the third "
            "argument is weight: pass reduction=... by name)"
        )
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], not {label_smoothing}")
    if weight is None:
        return None
    w = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=dtype)
    if w.shape != (classes,):
        raise ValueError(f"weight of shape {w.shape} for {classes} classes")
    return w


def _class_labels(
    data: np.ndarray, n: int, classes: int, ignore_index: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """Whole class numbers (n,) in 0..classes − 1, or ``ignore_index``; else one ValueError.

    Returns the labels and the mask of samples kept (None when every sample is kept).
    """
    if data.shape != (n,):
        raise ValueError(f"{data.size} class labels of shape {data.shape} for {n} samples")
    if data.dtype.kind not in "iu":
        if data.dtype.kind not in "fb" or not np.all(data == np.round(data)):
            raise ValueError("cross_entropy labels must be whole class numbers")
        data = data.astype(np.intp)
    # NOTE: two reductions decide the common case: every label a class, and ignore_index
    # (−100 by default) none of them.
    outside = not 0 <= ignore_index < classes
    if not data.size or (outside and 0 <= data.min() and data.max() < classes):
        return data, None
    valid = data != ignore_index
    if np.any(valid & ((data < 0) | (data >= classes))):
        raise ValueError(f"class labels must lie in 0..{classes - 1} (or be ignore_index)")
    return data, valid


#: The reductions every loss of this module with a ``reduction`` argument takes.
REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss: Any, reduction: str, weight_sum: float | None = None) -> Any:
    """One loss per sample reduced as torch does (``mean`` over ``weight_sum`` if given)."""
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    if reduction == "mean":
        if weight_sum is None:
            return loss.mean()
        with np.errstate(invalid="ignore", divide="ignore"):  # every sample ignored: nan
            return loss.sum() / weight_sum
    raise ValueError(f"reduction must be 'mean', 'sum' or 'none', not {reduction!r}")


def _scalar_cross_entropy(
    logits: Any, target: Any, weight: Any, ignore_index: int, reduction: str, eps: float
) -> Any:
    """:func:`cross_entropy` on the scalar engine: one sample, or a sequence of samples."""
    rows = list(logits)
    batch = bool(rows) and not isinstance(rows[0], Value)
    rows = [_values(r) for r in rows] if batch else [_values(rows)]
    classes = len(rows[0]) if rows else 0
    w = _class_weights(weight, classes, reduction, eps, np.float64)
    data = np.asarray(target.data if isinstance(target, Tensor) else target)
    if data.ndim == 2 or (not batch and data.size > 1):
        raise ValueError("cross_entropy on Values takes class numbers; probabilities need a Tensor")
    labels, _ = _class_labels(data.reshape(-1), len(rows), classes, ignore_index)
    losses, kept = [], 0.0
    for row, label in zip(rows, labels.tolist(), strict=True):
        if label == ignore_index:
            losses.append(Value(0.0))
            continue
        # NOTE: the shift is a constant: the gradient does not depend on it.
        shift = max(v.data for v in row)
        log_total = _total([(v - shift).exp() for v in row]).log() + shift
        loss = log_total - row[label]
        if w is not None:
            loss = loss * float(w[label])
        if eps:
            terms = [
                log_total - v if w is None else (log_total - v) * float(w[c])
                for c, v in enumerate(row)
            ]
            loss = loss * (1.0 - eps) + _total(terms) * (eps / classes)
        losses.append(loss)
        kept += 1.0 if w is None else float(w[label])
    if reduction == "none":
        return losses if batch else losses[0]
    if reduction == "sum" or (kept == 1.0 and not batch):
        return _total(losses)
    return _total(losses) * (1.0 / kept) if kept else Value(math.nan)


# --------------------------------------------------------------------------- torch's other losses


def nll_loss(
    log_probs: Tensor, target: Any, reduction: str = "mean", ignore_index: int = -100
) -> Tensor:
    """−log_probs[i, target_i], averaged over the samples not ignored (as torch).

    ``log_probs`` is (n, classes); a target equal to ``ignore_index`` adds nothing.
    """
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss takes (n, classes) log-probabilities, not {log_probs.shape}")
    n, classes = log_probs.shape
    data = np.asarray(target.data if isinstance(target, Tensor) else target)
    labels, valid = _class_labels(data, n, classes, ignore_index)
    if valid is None:
        valid = np.ones(n, dtype=bool)
    picked = -log_probs[np.arange(n), np.where(valid, labels, 0)]
    loss = picked.masked_fill(~valid, 0.0)
    return _reduce(loss, reduction, float(valid.sum()))


def l1_loss(y: Tensor, z: Any, reduction: str = "mean") -> Tensor:
    """|y − z| (mean by default);  d/dy = sign(y − z) (0 at equality)."""
    return _reduce((y - z).abs(), reduction)


def huber_loss(y: Tensor, z: Any, reduction: str = "mean", delta: float = 1.0) -> Tensor:
    """½d² for |d| < δ, δ(|d| − ½δ) beyond, d = y − z;  d/dy = clamp(d, −δ, δ)."""
    if isinstance(z, Tensor) and z.dtype != y.dtype:  # NOTE: torch keeps the input's dtype
        z = z.astype(y.dtype)
    d = y - z
    a = d.abs()
    quadratic = d * d * 0.5
    linear = (a - 0.5 * delta) * delta
    return _reduce(quadratic.where(a.data < delta, linear), reduction)


def smooth_l1_loss(y: Tensor, z: Any, reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """½d²/β for |d| < β, |d| − ½β beyond (huber_loss / β);  d/dy = clamp(d/β, −1, 1)."""
    if beta == 0:
        return l1_loss(y, z, reduction)
    d = y - z
    a = d.abs()
    return _reduce((d * d * (0.5 / beta)).where(a.data < beta, a - 0.5 * beta), reduction)


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

"""Gradient clipping as ``torch.nn.utils.clip_grad_norm_`` and ``clip_grad_value_``.

Both change the gradients in place (the arrays in ``.grad``, or the data of a gradient
node left by ``backward(create_graph=True)``) and take the parameters as a list, a
generator or a single Tensor, skipping those without a gradient.
"""

from __future__ import annotations

import math
import types
import warnings
from collections.abc import Iterable

import numpy as np

from tinygrad_mlp import autograd
from tinygrad_mlp.tensor import Tensor


def _parameters(parameters: Iterable[Tensor] | Tensor) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        return [parameters]
    generator = isinstance(parameters, types.GeneratorType)
    parameters = list(parameters)
    if generator and not parameters:
        warnings.warn(
            "`parameters` is an empty generator, no gradient clipping will occur.", stacklevel=3
        )
    return parameters


def _grad_array(p: Tensor) -> np.ndarray | None:
    """The array holding p's gradient (a gradient node's own data), or None."""
    grad = p.grad
    return grad.data if isinstance(grad, Tensor) else grad


def _vector_norm(x: np.ndarray, p: float) -> float:
    """torch.linalg.vector_norm: ‖x‖_p; p = 0 counts nonzeros, ±inf the largest/smallest |x|."""
    a = np.abs(np.asarray(x, dtype=np.float64).reshape(-1))
    if p == 0:
        return float(np.count_nonzero(a))
    if math.isinf(p):
        if not a.size:
            return 0.0
        return float(np.max(a) if p > 0 else np.min(a))
    if p == 1:
        return float(np.sum(a))
    if p == 2:
        return float(np.sqrt(np.dot(a, a)))
    with np.errstate(divide="ignore", over="ignore"):
        return float(np.sum(a**p) ** (1.0 / p))


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the gradients' own norms, as torch
    computes it (``inf`` the largest magnitude, ``0`` the count of nonzeros, which
    over the gradients' norms counts the gradients that have one). Every gradient is
    multiplied by min(1, max_norm / (total + 1e-6)): a NaN or infinite total makes the
    gradients NaN or zero, as torch's do, unless ``error_if_nonfinite`` raises first.

    Args:
        parameters: Tensors (a list, a generator, or one); those without ``.grad`` skip.
        max_norm: the largest joint norm left.
        norm_type: p of the p-norm (``float('inf')`` for the max norm).
        error_if_nonfinite: raise a RuntimeError (torch's sentence) on a NaN or
            infinite total instead of clipping with it.
        foreach: torch's implementation switch; accepted, the arithmetic is the same.

    Returns:
        The total norm before clipping, as a 0-d Tensor (``.item()`` for a float).

    >>> p = Tensor([0.0, 0.0], requires_grad=True)
    >>> p.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm_((q for q in [p]), max_norm=1.0).item()  # a generator is fine
    5.0
    >>> np.round(p.grad, 6).tolist()
    [0.6, 0.8]
    """
    params = _parameters(parameters)
    # NOTE: a captured step (tinygrad_mlp.compile) replays this call
    autograd.report("call", clip_grad_norm_, params, max_norm, norm_type, error_if_nonfinite)
    norm_type, max_norm = float(norm_type), float(max_norm)
    grads = [g for g in (_grad_array(p) for p in params) if g is not None]
    if not grads:
        return Tensor(0.0)
    norms = [_vector_norm(g, norm_type) for g in grads]
    total = _vector_norm(np.array(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is "
            "non-finite, so it cannot be clipped. To disable this error and scale the "
            "gradients by the non-finite norm anyway, set `error_if_nonfinite=False`"
        )
    # NOTE: min(1, nan) must stay nan, as torch.clamp's: a NaN norm makes every gradient NaN
    coef = max_norm / (total + 1e-6)
    coef = coef if math.isnan(coef) else min(coef, 1.0)
    if coef == 1.0:  # NOTE: torch multiplies by 1.0 too; skipping it changes no number
        return Tensor(total)
    with np.errstate(invalid="ignore"):  # 0 · inf is nan, silently, as in torch
        for g in grads:
            g *= coef
    return Tensor(total)


def clip_grad_value_(
    parameters: Iterable[Tensor] | Tensor, clip_value: float, foreach: bool | None = None
) -> None:
    """Clamp every gradient entry into [−clip_value, clip_value], in place, as torch's.

    NaN entries stay NaN; a negative ``clip_value`` sets every entry to it (torch's
    clamp, max applied after min).

    >>> p = Tensor([0.0, 0.0, 0.0], requires_grad=True)
    >>> p.grad = np.array([-3.0, 0.5, 2.0])
    >>> clip_grad_value_([p], 1.0)
    >>> p.grad.tolist()
    [-1.0, 0.5, 1.0]
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    clip_value = float(clip_value)
    for p in parameters:
        g = _grad_array(p)
        if g is not None:
            np.maximum(g, -clip_value, out=g)
            np.minimum(g, clip_value, out=g)

"""Reductions and scans of the tensor engine: sum, max, prod, cumsum, cumprod.

Each rule's ``backward`` sits under its ``forward`` and serves every order (see
:mod:`tinygrad_mlp.ops.arithmetic`). ``min``, ``mean``, ``var``, ``std`` and
``logsumexp`` are composed from these by ``Tensor``'s methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp.ops._array import (
    NUMBERS,
    TensorOp,
    broadcast_to,
    cumprod,
    cumsum,
    keep_shape,
    masked_fill,
    num,
    reverse,
)
from tinygrad_mlp.ops.shape import Concatenate

__all__: list[str] = []  # the rules are reached through Tensor's methods


class Sum(TensorOp):
    """y = Σ a over ``axis``;  dy/da = 1, the gradient spread back over the summed axes."""

    __slots__ = ("axis", "keepdims")
    symbol = "sum"

    def __init__(self, axis, keepdims: bool) -> None:
        super().__init__()
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a):
        return np.asarray(a.sum(axis=self.axis, keepdims=self.keepdims))

    def backward(self, grad_out, out, a):
        if not self.keepdims:
            grad_out = grad_out.reshape(keep_shape(a.shape, self.axis))
        return (broadcast_to(grad_out, a.shape),)


class Max(TensorOp):
    """y = max a over ``axis``;  dy/da = 1 at the maximum, shared equally between ties.

    As ``torch.amax``: a tie of k elements gives each 1/k (a nan maximum gives nan).
    """

    __slots__ = ("axis", "keepdims")
    symbol = "max"

    def __init__(self, axis, keepdims: bool) -> None:
        super().__init__()
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a):
        return np.asarray(a.max(axis=self.axis, keepdims=self.keepdims))

    def backward(self, grad_out, out, a):
        keep = keep_shape(a.shape, self.axis)
        x = num(a)
        mask = x == num(out).reshape(keep)
        count = mask.sum(axis=self.axis, keepdims=True).astype(x.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad_out.reshape(keep) / count * mask,)


class Prod(TensorOp):
    """y = Π a along ``axis`` (or all);  dy/da_i = Π_{j≠i} a_j.

    The product of the others is taken as (product before i) × (product after i),
    so zeros need no division: exact at one zero and at several, as torch.
    """

    __slots__ = ("axis", "keepdims")
    symbol = "prod"

    def __init__(self, axis: int | None, keepdims: bool) -> None:
        super().__init__()
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a):
        return np.asarray(np.prod(a, axis=self.axis, keepdims=self.keepdims))

    def backward(self, grad_out, out, a):
        keep = keep_shape(a.shape, self.axis)
        flat = a.reshape((-1,)) if self.axis is None else a
        axis = 0 if self.axis is None else self.axis
        before = _exclusive_cumprod(flat, axis)
        after = reverse(_exclusive_cumprod(reverse(flat, axis), axis), axis)
        others = (before * after).reshape(a.shape)
        return (grad_out.reshape(keep) * others,)


def _exclusive_cumprod(x: Any, axis: int) -> Any:
    """Products of the elements before each one along ``axis`` (1 for the first)."""
    axis = axis % x.ndim
    n = x.shape[axis]
    ones = np.ones(x.shape[:axis] + (1,) + x.shape[axis + 1 :], dtype=num(x).dtype)
    if n <= 1:
        return ones if n == 1 else num(x)
    head = x[(slice(None),) * axis + (slice(0, n - 1),)]
    running = cumprod(head, axis)
    if isinstance(running, NUMBERS):
        return np.concatenate([ones, running], axis=axis)
    return running._node(Concatenate(axis), running._constant(ones), running)


class Cumsum(TensorOp):
    """y_i = Σ_{j<=i} a_j along ``axis``;  dL/da_i = Σ_{j>=i} g_j (a reversed cumsum)."""

    __slots__ = ("axis",)
    symbol = "cumsum"

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, a):
        return np.cumsum(a, axis=self.axis)

    def backward(self, grad_out, out, a):
        return (reverse(cumsum(reverse(grad_out, self.axis), self.axis), self.axis),)


class Cumprod(TensorOp):
    """y_i = Π_{j<=i} a_j along ``axis``;  dL/da_i = Σ_{j>=i} g_j Π_{k<=j, k≠i} a_k.

    Without zeros that is (Σ_{j>=i} g_j y_j) / a_i, a reversed cumsum. With a zero
    along a row the products are taken without dividing: (product before i) times
    Σ_{j>=i} g_j Π_{i<k<=j} a_k, from an n × n table per row (exact, as torch).
    """

    __slots__ = ("axis",)
    symbol = "cumprod"

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, a):
        return np.cumprod(a, axis=self.axis)

    def backward(self, grad_out, out, a):
        axis = self.axis
        if not (num(a) == 0).any():
            total = reverse(cumsum(reverse(grad_out * out, axis), axis), axis)
            return (total / a,)
        x, g = a.swapaxes(axis, -1), grad_out.swapaxes(axis, -1)
        n = x.shape[-1]
        upto = np.tril(np.ones((n, n), dtype=bool))  # [i, k]: k <= i
        rows = masked_fill(
            broadcast_to(x.reshape(x.shape[:-1] + (1, n)), x.shape + (n,)), upto, 1.0
        )
        after = cumprod(rows, -1)  # [i, j] = Π_{i<k<=j} a_k (1 for j <= i)
        weighted = masked_fill(g.reshape(g.shape[:-1] + (1, n)) * after, ~upto.T, 0.0)
        total = _exclusive_cumprod(x, -1) * weighted.sum(-1)
        return (total.swapaxes(axis, -1),)

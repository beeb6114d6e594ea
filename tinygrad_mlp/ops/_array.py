"""The base of the tensor engine's op classes, and the few functions its rules need.

Each takes numbers (numpy arrays and scalars: the fast first-order path) or
``Tensor`` nodes (``create_graph=True``): on numbers it computes, on a node it
calls the node's method, which builds the graph of the gradient. They tell the two
apart by the numbers' types, so this module needs no import of ``Tensor``. Masks
(where a relu is off, which element is the max) are read from the numbers
(:func:`num`) and are constants of the rule, as in torch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp.autograd import Op
from tinygrad_mlp.elementwise import FUNCTIONS, NUMBER_TYPES, num

__all__ = [
    "NUMBERS",
    "TensorOp",
    "broadcast_to",
    "cumprod",
    "cumsum",
    "exp",
    "keep_shape",
    "log",
    "masked_fill",
    "num",
    "reverse",
    "sigmoid",
    "wrap_axes",
    "wrap_axis",
    "zeros_like",
]

#: the types of plain numbers; anything else a rule receives is a node
NUMBERS = NUMBER_TYPES

_SIGMOID = FUNCTIONS["sigmoid"].forward


class TensorOp(Op):
    """An op instance made per node; ``needs`` says which inputs want a gradient, and
    ``versions`` (from :class:`~tinygrad_mlp.autograd.Op`) the version counters seen.
    """

    __slots__ = ()

    def __init__(self) -> None:
        self.needs: tuple[bool, ...] = ()


def exp(x: Any) -> Any:
    """e**x."""
    return np.exp(x) if isinstance(x, NUMBERS) else x.exp()


def log(x: Any) -> Any:
    """ln x (-inf at 0 and nan below, without numpy's warnings)."""
    if not isinstance(x, NUMBERS):
        return x.log()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def sigmoid(x: Any) -> Any:
    """1 / (1 + e**-x), the ``sigmoid`` row's forward on numbers."""
    return _SIGMOID(x) if isinstance(x, NUMBERS) else x.sigmoid()


def broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    """``x`` broadcast to ``shape``."""
    return np.broadcast_to(x, shape) if isinstance(x, NUMBERS) else x.broadcast_to(shape)


def masked_fill(x: Any, mask: np.ndarray, value: float) -> Any:
    """``value`` where ``mask`` holds, ``x`` elsewhere (torch's ``masked_fill``)."""
    if isinstance(x, NUMBERS):
        return np.where(mask, value, x)
    return x.masked_fill(mask, value)


def zeros_like(x: Any) -> Any:
    """Zeros of ``x``'s shape and dtype (a constant node for a node)."""
    if isinstance(x, NUMBERS):
        return np.zeros_like(x)
    return x._constant(np.zeros_like(x.data))


def reverse(x: Any, axis: int) -> Any:
    """``x`` reversed along ``axis`` (a slice, so an op on nodes)."""
    return x[(slice(None),) * (axis % x.ndim) + (slice(None, None, -1),)]


def cumsum(x: Any, axis: int) -> Any:
    """Running sums along ``axis``."""
    return np.cumsum(x, axis=axis) if isinstance(x, NUMBERS) else x.cumsum(axis)


def cumprod(x: Any, axis: int) -> Any:
    """Running products along ``axis``."""
    return np.cumprod(x, axis=axis) if isinstance(x, NUMBERS) else x.cumprod(axis)


def keep_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced ``axis`` (None: all) kept as 1s."""
    if axis is None:
        return (1,) * len(shape)
    axes = {ax % len(shape) for ax in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def wrap_axis(axis: Any, ndim: int) -> int:
    """``axis`` checked and counted from 0, as torch's dims (0-d tensors take 0 and −1).

    >>> wrap_axis(-1, 3)
    2
    """
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"an axis must be an int, not {axis!r}")
    n = max(ndim, 1)
    if not -n <= axis < n:
        raise IndexError(
            f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {axis})"
        )
    return int(axis) % n


def wrap_axes(axis: Any, ndim: int) -> Any:
    """An axis or a tuple of axes of a reduction, checked (None stays None: every axis).

    A repeated axis is a ValueError. For a 0-d tensor the valid axes 0 and −1
    name no axis of the data, so the result is None (a reduction over everything).
    """
    if axis is None:
        return None
    axes = tuple(axis) if isinstance(axis, (tuple, list)) else (axis,)
    wrapped = tuple(wrap_axis(a, ndim) for a in axes)
    if len(set(wrapped)) != len(wrapped):
        raise ValueError(f"axis {wrapped[0]} appears more than once in {axis!r}")
    if ndim == 0:
        return None
    return wrapped if isinstance(axis, (tuple, list)) else wrapped[0]

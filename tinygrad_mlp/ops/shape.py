"""Shape rules of the tensor engine: views, casts, indexing, joins, padding, tiling.

Each rule's ``backward`` sits under its ``forward`` and serves every order (see
:mod:`tinygrad_mlp.ops.arithmetic`). ``squeeze``, ``flatten``, ``expand``,
``flip``, ``diagonal``, ``tril`` and the like are composed from these by
``Tensor``'s methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp.autograd import unbroadcast
from tinygrad_mlp.ops._array import NUMBERS, TensorOp, broadcast_to

__all__: list[str] = []  # the rules are reached through Tensor's methods


class Reshape(TensorOp):
    """y = a viewed with another shape;  the gradient is reshaped back."""

    __slots__ = ("shape",)
    symbol = "reshape"

    def __init__(self, shape) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, a):
        return a.reshape(self.shape)

    def backward(self, grad_out, out, a):
        return (grad_out.reshape(a.shape),)


class Transpose(TensorOp):
    """y = a with axes permuted (a permutation of 0..n-1);  the gradient is permuted back."""

    __slots__ = ("axes",)
    symbol = "T"

    def __init__(self, axes: tuple[int, ...]) -> None:
        super().__init__()
        self.axes = axes

    def forward(self, a):
        return np.transpose(a, self.axes)

    def backward(self, grad_out, out, a):
        inverse = tuple(int(i) for i in np.argsort(self.axes))
        if isinstance(grad_out, NUMBERS):
            return (np.transpose(grad_out, inverse),)
        return (grad_out.permute(inverse),)


class BroadcastTo(TensorOp):
    """y = a broadcast to ``shape``;  the core sums the gradient back (unbroadcast)."""

    __slots__ = ("shape",)
    symbol = "broadcast"

    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, a):
        return np.broadcast_to(a, self.shape)

    def backward(self, grad_out, out, a):
        return (grad_out,)


class SumTo(TensorOp):
    """y = a summed down to ``shape`` (unbroadcast as an op);  dy/da: g broadcast back."""

    __slots__ = ("shape", "op")
    symbol = "sum_to"

    def __init__(self, shape: tuple[int, ...], op: Any = None) -> None:
        super().__init__()
        self.shape, self.op = shape, op

    def forward(self, a):
        return unbroadcast(a, self.shape, self.op)

    def backward(self, grad_out, out, a):
        return (broadcast_to(grad_out, a.shape),)


class Cast(TensorOp):
    """y = a in another dtype;  the core casts the gradient back to a's dtype."""

    __slots__ = ("dtype",)
    symbol = "cast"

    def __init__(self, dtype: Any) -> None:
        super().__init__()
        self.dtype = np.dtype(dtype)

    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, grad_out, out, a):
        return (grad_out,)


class Index(TensorOp):
    """y = a[index];  the gradient is scattered back, repeated indices accumulating."""

    __slots__ = ("index",)
    symbol = "[]"

    def __init__(self, index) -> None:
        super().__init__()
        self.index = index

    def forward(self, a):
        return np.asarray(a[self.index])

    def backward(self, grad_out, out, a):
        return (scatter(grad_out, self.index, a.shape),)


class IndexAdd(TensorOp):
    """y = zeros(shape) with a added at ``index``;  dy/da = g[index] (Index's backward as an op)."""

    __slots__ = ("index", "shape", "repeats")
    symbol = "index_add"

    def __init__(self, index, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.index, self.shape = index, shape
        parts = index if isinstance(index, tuple) else (index,)
        # NOTE: integer arrays may repeat an index and need np.add.at; slices, integers
        # and boolean masks name each element once, and plain assignment is faster.
        self.repeats = any(
            isinstance(p, list) or (isinstance(p, np.ndarray) and p.dtype.kind in "iu")
            for p in parts
        )

    def forward(self, a):
        grad = np.zeros(self.shape, dtype=a.dtype)
        if self.repeats:
            np.add.at(grad, self.index, a)
        else:
            grad[self.index] = a
        return grad

    def backward(self, grad_out, out, a):
        return (grad_out[self.index],)


def scatter(x: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """A zero array of ``shape`` with ``x`` added at ``index`` (repeats accumulate)."""
    fn = IndexAdd(index, shape)
    return fn.forward(x) if isinstance(x, NUMBERS) else x._node(fn, x)


class Concatenate(TensorOp):
    """y = [a0, a1, ...] joined along ``axis``;  each input gets its slice of the gradient."""

    __slots__ = ("axis",)
    symbol = "concat"

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, *arrays):
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, grad_out, out, *inputs):
        axis = self.axis % grad_out.ndim
        grads, start = [], 0
        for x in inputs:
            stop = start + x.shape[axis]
            grads.append(grad_out[(slice(None),) * axis + (slice(start, stop),)])
            start = stop
        return tuple(grads)


class Pad(TensorOp):
    """y = a with ``widths`` constant entries added on each side;  dL/da = g[inner]."""

    __slots__ = ("widths", "value")
    symbol = "pad"

    def __init__(self, widths: tuple, value: float) -> None:
        super().__init__()
        self.widths, self.value = widths, value

    def forward(self, a):
        return np.pad(a, self.widths, constant_values=self.value)

    def backward(self, grad_out, out, a):
        inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(self.widths, a.shape, strict=True))
        return (grad_out[inner],)


class Roll(TensorOp):
    """y = a shifted cyclically by ``shifts`` along ``axes``;  dL/da = g rolled back."""

    __slots__ = ("shifts", "axes")
    symbol = "roll"

    def __init__(self, shifts: Any, axes: Any) -> None:
        super().__init__()
        self.shifts, self.axes = shifts, axes

    def forward(self, a):
        return np.roll(a, self.shifts, self.axes)

    def backward(self, grad_out, out, a):
        back = tuple(-s for s in self.shifts) if self.axes is not None else -self.shifts
        if isinstance(grad_out, NUMBERS):
            return (np.roll(grad_out, back, self.axes),)
        return (grad_out._node(Roll(back, self.axes), grad_out),)


class Tile(TensorOp):
    """y = a repeated ``reps`` times along each axis (torch's ``repeat``);  dL/da = Σ copies."""

    __slots__ = ("reps",)
    symbol = "repeat"

    def __init__(self, reps: tuple[int, ...]) -> None:
        super().__init__()
        self.reps = reps

    def forward(self, a):
        return np.tile(a, self.reps)

    def backward(self, grad_out, out, a):
        split = tuple(n for r, s in zip(self.reps, a.shape, strict=True) for n in (r, s))
        axes = tuple(range(0, 2 * len(self.reps), 2))
        return (grad_out.reshape(split).sum(axes),)

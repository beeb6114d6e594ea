"""``Tensor``: a numpy array node of the autodiff graph.

A layer is one matmul, one add and one activation, so the graph stays small and
numpy does the work. Ops never think about broadcasting: the core
(:func:`tinygrad_mlp.autograd.unbroadcast`) sums each gradient back to its
parent's shape, once, for every edge, and casts it to the parent's dtype.

Every op is a small class: ``forward`` computes the array, ``backward`` right
under it returns one gradient per input (``None`` for an input that needs none).
Each rule is written once, with operators and methods that arrays and Tensors
share (``.sum``, ``.reshape``, ``.swapaxes``, ``@``) and the helpers ``_exp``,
``_log``, ``_sigmoid``, ``_broadcast_to``, ``_masked_fill``, ``_scatter`` that
dispatch on their argument: on arrays (the fast first-order path) they compute,
on Tensors (``create_graph=True``) they build the graph of the gradient.
Masks (where a relu is off, which element is the max) are read from the
numbers (``_num``) and are constants of the rule, as in torch.

dtypes follow torch: a Python number takes the tensor's dtype, two tensors of
different float dtypes give the wider one unless one of them is 0-d (then the
other's), a float beats bool and integer data, and a gradient has its input's
dtype.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import autograd, elementwise
from tinygrad_mlp.autograd import Op, unbroadcast

__all__ = ["Tensor", "concatenate", "half_squared_error", "linear"]

_FLOATS = (np.float64, np.float32)


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype not in _FLOATS and arr.dtype != np.bool_:
        arr = arr.astype(np.float64)
    return arr


def _result_dtype(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """torch's promotion for two tensors of different dtypes."""
    float_a, float_b = a.dtype.kind == "f", b.dtype.kind == "f"
    if float_a != float_b:  # a float beats bool and integers
        return a.dtype if float_a else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):  # a 0-d tensor does not widen one with dimensions
        return b.dtype if a.ndim == 0 else a.dtype
    return np.promote_types(a.dtype, b.dtype)


# --------------------------------------------------------------------------- dispatch
# The few functions a backward rule needs beyond operators and shared methods.


def _num(x: Any) -> Any:
    """The numbers of ``x`` (its data for a Tensor): masks are computed on them."""
    return x.data if isinstance(x, Tensor) else x


def _exp(x: Any) -> Any:
    return x.exp() if isinstance(x, Tensor) else np.exp(x)


def _log(x: Any) -> Any:
    if isinstance(x, Tensor):
        return x.log()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.log(x)


def _sigmoid(x: Any) -> Any:
    return x.sigmoid() if isinstance(x, Tensor) else _sigmoid_array(x)


def _broadcast_to(x: Any, shape: tuple[int, ...]) -> Any:
    return x.broadcast_to(shape) if isinstance(x, Tensor) else np.broadcast_to(x, shape)


def _masked_fill(x: Any, mask: np.ndarray, value: float) -> Any:
    """``value`` where ``mask`` holds, ``x`` elsewhere (torch's ``masked_fill``)."""
    if isinstance(x, Tensor):
        return x._node(MaskedFill(mask, value), x)
    return np.where(mask, value, x)


def _zeros_like(x: Any) -> Any:
    return Tensor(np.zeros_like(x.data)) if isinstance(x, Tensor) else np.zeros_like(x)


def _scatter(x: Any, index: Any, shape: tuple[int, ...]) -> Any:
    """A zero array of ``shape`` with ``x`` added at ``index`` (repeats accumulate)."""
    fn = IndexAdd(index, shape)
    return x._node(fn, x) if isinstance(x, Tensor) else fn.forward(x)


def _sigmoid_array(a: np.ndarray) -> np.ndarray:
    """1 / (1 + e**-a): exact to a few ulps (relative) wherever the result is a normal float.

    NOTE: for a < -709, e**-a overflows to inf and the result is 0 where the true
    value is below 1e-308; numpy's overflow warning is silenced for that case.
    Computed in place: one array, which matters more than the arithmetic.
    """
    with np.errstate(over="ignore"):
        out = np.exp(np.negative(a))
    if type(out) is not np.ndarray:  # a 0-d input gives a numpy scalar
        return 1.0 / (1.0 + out)
    out += 1.0
    return np.reciprocal(out, out=out)


def _power(a: np.ndarray, p: float) -> np.ndarray:
    """a ** p for a number p; as torch, ±0.5 powers are sqrt(a) and 1 / sqrt(a).

    (So (-inf) ** 0.5 is nan and (-0) ** -0.5 is -inf, where IEEE pow gives inf.)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        if p == 0.5:
            return np.sqrt(a)
        if p == -0.5:
            return 1 / np.sqrt(a)
        return a**p


def _keep_shape(shape: tuple[int, ...], axis: Any) -> tuple[int, ...]:
    """``shape`` with the reduced ``axis`` (None: all) kept as 1s."""
    if axis is None:
        return (1,) * len(shape)
    axes = {ax % len(shape) for ax in ((axis,) if isinstance(axis, int) else axis)}
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


# --------------------------------------------------------------------------- ops


class TensorOp(Op):
    """An op instance made per node; ``needs`` says which inputs want a gradient."""

    __slots__ = ()

    def __init__(self) -> None:
        self.needs: tuple[bool, ...] = ()


class Add(TensorOp):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    __slots__ = ()
    symbol = "+"

    def forward(self, a, b):
        return a + b

    def backward(self, grad_out, out, a, b):
        return grad_out, grad_out


class Sub(TensorOp):
    """y = a - b;  dy/da = 1, dy/db = -1. (Fused: it saves a negate node per loss.)"""

    __slots__ = ()
    symbol = "-"

    def forward(self, a, b):
        return a - b

    def backward(self, grad_out, out, a, b):
        return grad_out, (-grad_out if self.needs[1] else None)


class Mul(TensorOp):
    """y = a * b;  dy/da = b, dy/db = a."""

    __slots__ = ()
    symbol = "*"

    def forward(self, a, b):
        return a * b

    def backward(self, grad_out, out, a, b):
        return (
            grad_out * b if self.needs[0] else None,
            grad_out * a if self.needs[1] else None,
        )


class Div(TensorOp):
    """y = a / b;  dy/da = 1 / b, dy/db = -a / b**2 = -y / b."""

    __slots__ = ()
    symbol = "/"

    def forward(self, a, b):
        return a / b

    def backward(self, grad_out, out, a, b):
        grad_a = grad_out / b
        return grad_a if self.needs[0] else None, (-grad_a * out if self.needs[1] else None)


class PowConst(TensorOp):
    """y = a ** p for a fixed number p;  dy/da = p * a**(p-1) (0 for p = 0, as torch)."""

    __slots__ = ("p",)

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return f"**{self.p}"

    def forward(self, a):
        return _power(a, self.p)

    def backward(self, grad_out, out, a):
        p = self.p
        if p == 2:
            return (grad_out * 2 * a,)
        if p == 0:  # NOTE: torch masks p * a**-1 (nan at 0) to 0
            return (_zeros_like(grad_out),)
        return (grad_out * p * (a ** (p - 1) if isinstance(a, Tensor) else _power(a, p - 1)),)


class Pow(TensorOp):
    """y = a ** b, both tensors;  dy/da = b * a**(b-1), dy/db = y * ln(a).

    NOTE: as torch, dy/da is 0 where b = 0, and dy/db is 0 where a = 0 and b >= 0
    (where y ln a would be 0 * -inf); ln of a negative base is nan, so dy/db is
    nan there while y itself is real for an integer b: (-2)**2 = 4.
    """

    __slots__ = ()
    symbol = "**"

    def forward(self, a, b):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(a, b)

    def backward(self, grad_out, out, a, b):
        num_a, num_b = _num(a), _num(b)
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[0]:
                grad_a = _masked_fill(grad_out * b * a ** (b - 1), num_b == 0, 0.0)
            if self.needs[1]:
                zero = (num_a == 0) & (num_b >= 0)
                grad_b = _masked_fill(grad_out * out * _log(a), zero, 0.0)
        return grad_a, grad_b


class Neg(TensorOp):
    """y = -a;  dy/da = -1."""

    __slots__ = ()
    symbol = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad_out, out, a):
        return (-grad_out,)


class Exp(TensorOp):
    """y = e**a;  dy/da = y, taken from the saved output."""

    __slots__ = ()
    symbol = "exp"

    def forward(self, a):
        with np.errstate(over="ignore"):
            return np.exp(a)

    def backward(self, grad_out, out, a):
        return (grad_out * out,)


class Log(TensorOp):
    """y = ln(a);  dy/da = 1 / a (±inf at ±0, as torch)."""

    __slots__ = ()
    symbol = "log"

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    def backward(self, grad_out, out, a):
        with np.errstate(divide="ignore"):
            return (grad_out / a,)


class Tanh(TensorOp):
    """y = tanh(a);  dy/da = 1 - y**2, taken from the saved output."""

    __slots__ = ()
    symbol = "tanh"

    def forward(self, a):
        return np.tanh(a)

    def backward(self, grad_out, out, a):
        return (grad_out * (1 - out * out),)


class Sigmoid(TensorOp):
    """y = 1 / (1 + e**-a);  dy/da = y * (1 - y), taken from the saved output.

    Computed as 1 / (1 + e**-a), which is exact to a few ulps relative for every
    output that is a normal float (sigmoid(-700) ≈ 1e-304 included); the
    (1 + tanh(a/2)) / 2 form cancels for negative a (all digits lost at -40).
    """

    __slots__ = ()
    symbol = "sigmoid"

    def forward(self, a):
        return _sigmoid_array(a)

    def backward(self, grad_out, out, a):
        return (grad_out * out * (1 - out),)


class Relu(TensorOp):
    """y = max(0, a);  dy/da = 0 where a <= 0, else 1 (relu'(0) = 0; nan passes, as torch)."""

    __slots__ = ()
    symbol = "ReLU"

    def forward(self, a):
        return np.maximum(a, 0)  # NOTE: propagates nan, as torch

    def backward(self, grad_out, out, a):
        return (_masked_fill(grad_out, _num(a) <= 0, 0.0),)


class Abs(TensorOp):
    """y = |a|;  dy/da = sign(a) (0 at a = 0 and at nan, as torch's sgn)."""

    __slots__ = ()
    symbol = "abs"

    def forward(self, a):
        return np.abs(a)

    def backward(self, grad_out, out, a):
        num = _num(a)
        return (grad_out * ((num > 0).astype(num.dtype) - (num < 0)),)


class Clip(TensorOp):
    """y = min(max(a, low), high);  dy/da = 1 where low <= a <= high, else 0 (torch.clamp)."""

    __slots__ = ("low", "high")
    symbol = "clip"

    def __init__(self, low: float, high: float) -> None:
        super().__init__()
        self.low, self.high = low, high

    def forward(self, a):
        return np.clip(a, self.low, self.high)

    def backward(self, grad_out, out, a):
        num = _num(a)
        return (_masked_fill(grad_out, ~((num >= self.low) & (num <= self.high)), 0.0),)


class MaskedFill(TensorOp):
    """y = value where mask, else a;  dy/da = 0 where mask, else 1 (mask is a constant)."""

    __slots__ = ("mask", "value")
    symbol = "masked_fill"

    def __init__(self, mask: np.ndarray, value: float) -> None:
        super().__init__()
        self.mask, self.value = mask, value

    def forward(self, a):
        return np.where(self.mask, self.value, a).astype(a.dtype, copy=False)

    def backward(self, grad_out, out, a):
        return (_masked_fill(grad_out, self.mask, 0.0),)


class MatMul(TensorOp):
    """y = a @ b;  dL/da = g @ bᵀ, dL/db = aᵀ @ g (1-D operands as numpy treats them)."""

    __slots__ = ()
    symbol = "@"

    def forward(self, a, b):
        return a @ b

    def backward(self, grad_out, out, a, b):
        g = grad_out
        need_a, need_b = self.needs
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (g * b if need_a else None, g * a if need_b else None)
        if a.ndim == 1:  # (k,) @ (..., k, n) -> (..., n); the core sums the batch axes
            k, n = b.shape[-2], b.shape[-1]
            column = g.reshape(g.shape + (1,))
            grad_a = (b @ column).reshape(g.shape[:-1] + (k,)) if need_a else None
            grad_b = a.reshape((k, 1)) * g.reshape(g.shape[:-1] + (1, n)) if need_b else None
            return grad_a, grad_b
        if b.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
            k = b.shape[0]
            column = g.reshape(g.shape + (1,))
            grad_a = column * b if need_a else None
            grad_b = (a.swapaxes(-1, -2) @ column).reshape(g.shape[:-1] + (k,)) if need_b else None
            return grad_a, grad_b
        grad_a = g @ b.swapaxes(-1, -2) if need_a else None
        grad_b = a.swapaxes(-1, -2) @ g if need_b else None
        return grad_a, grad_b


class MatMulT(TensorOp):
    """y = a @ bᵀ (``b`` is a (out, in) weight);  dL/da = g @ b, dL/db = gᵀ @ a.

    The product of a layer, ``x Wᵀ``, as one node. Computing dL/dW directly as
    gᵀ @ a gives it W's own memory layout; going through a transpose node would
    leave a transposed (Fortran-ordered) gradient that makes every later
    elementwise update on it strided and about twice as slow.
    """

    __slots__ = ()
    symbol = "@ᵀ"

    def forward(self, a, b):
        return a @ b.T

    def backward(self, grad_out, out, a, b):
        g = grad_out
        grad_a = g @ b if self.needs[0] else None
        if not self.needs[1]:
            return grad_a, None
        if a.ndim == 2:
            return grad_a, g.T @ a
        if a.ndim == 1:  # the outer product g aᵀ
            return grad_a, g.reshape((g.shape[0], 1)) * a
        rows = g.reshape((-1, g.shape[-1]))  # batched: sum over every leading axis
        return grad_a, rows.T @ a.reshape((-1, a.shape[-1]))


class HalfSquaredError(TensorOp):
    """L = ½ Σ (y − z)², the cheat sheet's loss;  dL/dy = y − z, dL/dz = −(y − z).

    Fused (rather than composed from −, *, sum and *) so that the loss is one
    node that reads as the sheet writes it, and a training step of a small
    network spends four fewer Python-level nodes on it.
    """

    __slots__ = ()
    symbol = "½Σ(y−z)²"

    def forward(self, y, z):
        diff = y - z
        return 0.5 * np.vdot(diff, diff).astype(y.dtype)

    def backward(self, grad_out, out, y, z):
        diff = (y - z) * grad_out
        return diff if self.needs[0] else None, (-diff if self.needs[1] else None)


#: torch's bound on y(1 − y) in the gradient of binary cross-entropy, and on its logs
BCE_EPS, BCE_LOG_FLOOR = elementwise.BCE_EPS, elementwise.BCE_LOG_FLOOR  # torch's bounds


class BCE(TensorOp):
    """L = −[z ln y + (1 − z) ln(1 − y)] elementwise, of probabilities y and targets z.

    dL/dy = (y − z) / max(y (1 − y), 1e-12);  dL/dz = ln(1 − y) − ln(y).

    As torch's ``binary_cross_entropy``: each log is bounded below by −100, and
    the denominator of dL/dy (not the input) by 1e-12, so a saturated wrong
    prediction still gets a large gradient.
    """

    __slots__ = ()
    symbol = "bce"

    def forward(self, y, z):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_y = np.maximum(np.log(y), BCE_LOG_FLOOR)
            log_1my = np.maximum(np.log1p(-y), BCE_LOG_FLOOR)
        return -(z * log_y + (1 - z) * log_1my)

    def backward(self, grad_out, out, y, z):
        grad_y = grad_z = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[0]:
                grad_y = grad_out * (y - z) / (y * (1 - y)).clip(BCE_EPS, math.inf)
            if self.needs[1]:
                grad_z = grad_out * (_log(1 - y) - _log(y))
        return grad_y, grad_z


class BCEWithLogits(TensorOp):
    """L = (1 − z) s + ln(1 + e^−s) elementwise, of raw scores s and targets z.

    dL/ds = σ(s) − z;  dL/dz = −s.

    Fused (rather than composed from relu, abs and log) because the composition
    has the kinks of relu and abs at s = 0, where it loses half of the gradient.
    Evaluated as (1 − z) s + max(−s, 0) + ln(1 + e^−|s|), finite for any finite s.
    """

    __slots__ = ()
    symbol = "bce_logits"

    def forward(self, s, z):
        return (1 - z) * s + np.maximum(-s, 0) + np.log1p(np.exp(-np.abs(s)))

    def backward(self, grad_out, out, s, z):
        return (
            grad_out * (_sigmoid(s) - z) if self.needs[0] else None,
            grad_out * -s if self.needs[1] else None,
        )


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
            grad_out = grad_out.reshape(_keep_shape(a.shape, self.axis))
        return (_broadcast_to(grad_out, a.shape),)


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
        keep = _keep_shape(a.shape, self.axis)
        num = _num(a)
        mask = num == _num(out).reshape(keep)
        count = mask.sum(axis=self.axis, keepdims=True).astype(num.dtype)
        with np.errstate(divide="ignore", invalid="ignore"):
            return (grad_out.reshape(keep) / count * mask,)


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
        return (grad_out.transpose(inverse),)


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
        return (_broadcast_to(grad_out, a.shape),)


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
        return (_scatter(grad_out, self.index, a.shape),)


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


class LogSoftmax(TensorOp):
    """y = a - logsumexp(a);  dL/da = g - softmax(a) * Σ g, with softmax = e**y.

    Fused and shifted by the maximum so that it stays finite for any input.
    """

    __slots__ = ("axis",)
    symbol = "log_softmax"

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, a):
        shifted = a - a.max(axis=self.axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, grad_out, out, a):
        return (grad_out - _exp(out) * grad_out.sum(axis=self.axis, keepdims=True),)


# --------------------------------------------------------------------------- ops: the wider set
# Element-wise functions from one table (tinygrad_mlp.elementwise), selection,
# scans and shape ops. Each backward rule is written once, as above.


class Elementwise(TensorOp):
    """y = f(a) for a function of :data:`tinygrad_mlp.elementwise.FUNCTIONS`;  dy/da = f'(a).

    The row gives the forward on arrays and f'(a) as a rule on arrays or Tensors.
    """

    __slots__ = ("fn", "params")

    def __init__(self, name: str, params: tuple = ()) -> None:
        super().__init__()
        self.fn, self.params = elementwise.FUNCTIONS[name], params

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return self.fn.name

    def forward(self, a):
        with np.errstate(all="ignore"):
            return np.asarray(self.fn.forward(a, *self.params), dtype=a.dtype)

    def backward(self, grad_out, out, a):
        with np.errstate(all="ignore"):
            d = self.fn.derivative(a, out, *self.params)
            return (_zeros_like(grad_out) if d is None else grad_out * d,)


class Where(TensorOp):
    """y = x where cond, else z (cond a constant);  dy/dx = cond, dy/dz = not cond."""

    __slots__ = ("cond",)
    symbol = "where"

    def __init__(self, cond: np.ndarray) -> None:
        super().__init__()
        self.cond = cond

    def forward(self, x, z):
        return np.where(self.cond, x, z)

    def backward(self, grad_out, out, x, z):
        shape = np.broadcast_shapes(self.cond.shape, grad_out.shape)
        g = _broadcast_to(grad_out, shape)
        return (
            _masked_fill(g, ~self.cond, 0.0) if self.needs[0] else None,
            _masked_fill(g, self.cond, 0.0) if self.needs[1] else None,
        )


class Extremum(TensorOp):
    """y = max(a, b) (or min);  the gradient goes to the larger (smaller), halved at ties.

    As torch's ``maximum``/``minimum``: a nan in either input makes y nan and
    passes the whole gradient to both inputs.
    """

    __slots__ = ("larger",)

    def __init__(self, larger: bool) -> None:
        super().__init__()
        self.larger = larger

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return "maximum" if self.larger else "minimum"

    def forward(self, a, b):
        return np.maximum(a, b) if self.larger else np.minimum(a, b)

    def backward(self, grad_out, out, a, b):
        num_a, num_b = _num(a), _num(b)
        tie = num_a == num_b
        loses_a = num_a < num_b if self.larger else num_a > num_b
        loses_b = num_a > num_b if self.larger else num_a < num_b
        dtype = _num(grad_out).dtype
        half = np.where(tie, 0.5, 1.0).astype(dtype)
        return (
            _masked_fill(grad_out * half, loses_a, 0.0) if self.needs[0] else None,
            _masked_fill(grad_out * half, loses_b, 0.0) if self.needs[1] else None,
        )


class ClampTensor(TensorOp):
    """y = min(max(a, low), high) with tensor bounds (torch.clamp).

    dy/da = 1 where low <= a <= high; dy/dlow = 1 where a < low; dy/dhigh = 1
    where a > high (and high wins when low > high, as torch).
    """

    __slots__ = ()
    symbol = "clamp"

    def forward(self, a, low, high):
        return np.minimum(np.maximum(a, low), high)

    def backward(self, grad_out, out, a, low, high):
        x, lo, hi = _num(a), _num(low), _num(high)
        shape = grad_out.shape
        inside = (x >= lo) & (x <= hi)
        below = (x < lo) & (lo <= hi)
        above = (x > hi) | (lo > hi)
        g = grad_out
        return (
            _masked_fill(g, ~np.broadcast_to(inside, shape), 0.0) if self.needs[0] else None,
            _masked_fill(g, ~np.broadcast_to(below, shape), 0.0) if self.needs[1] else None,
            _masked_fill(g, ~np.broadcast_to(above, shape), 0.0) if self.needs[2] else None,
        )


def _reverse(x: Any, axis: int) -> Any:
    """``x`` reversed along ``axis`` (a slice, so an op on Tensors)."""
    return x[(slice(None),) * (axis % x.ndim) + (slice(None, None, -1),)]


def _cumsum(x: Any, axis: int) -> Any:
    return x.cumsum(axis) if isinstance(x, Tensor) else np.cumsum(x, axis=axis)


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
        return (_reverse(_cumsum(_reverse(grad_out, self.axis), self.axis), self.axis),)


def _exclusive_cumprod(x: Any, axis: int) -> Any:
    """Products of the elements before each one along ``axis`` (1 for the first)."""
    axis = axis % x.ndim
    n = x.shape[axis]
    ones = np.ones(x.shape[:axis] + (1,) + x.shape[axis + 1 :], dtype=_num(x).dtype)
    if n <= 1:
        return ones if n == 1 else _num(x)
    head = x[(slice(None),) * axis + (slice(0, n - 1),)]
    running = head.cumprod(axis) if isinstance(head, Tensor) else np.cumprod(head, axis=axis)
    if isinstance(running, Tensor):
        return concatenate([Tensor(ones), running], axis)
    return np.concatenate([ones, running], axis=axis)


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
        keep = _keep_shape(a.shape, self.axis)
        flat = a.reshape((-1,)) if self.axis is None else a
        axis = 0 if self.axis is None else self.axis
        before = _exclusive_cumprod(flat, axis)
        after = _reverse(_exclusive_cumprod(_reverse(flat, axis), axis), axis)
        others = (before * after).reshape(a.shape)
        return (grad_out.reshape(keep) * others,)


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
        if isinstance(grad_out, Tensor):
            return (grad_out._node(Roll(back, self.axes), grad_out),)
        return (np.roll(grad_out, back, self.axes),)


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
        if not (_num(a) == 0).any():
            total = _reverse(_cumsum(_reverse(grad_out * out, axis), axis), axis)
            return (total / a,)
        x, g = a.swapaxes(axis, -1), grad_out.swapaxes(axis, -1)
        n = x.shape[-1]
        upto = np.tril(np.ones((n, n), dtype=bool))  # [i, k]: k <= i
        rows = _masked_fill(
            _broadcast_to(x.reshape(x.shape[:-1] + (1, n)), x.shape + (n,)), upto, 1.0
        )
        after = _cumprod(rows, -1)  # [i, j] = Π_{i<k<=j} a_k (1 for j <= i)
        weighted = _masked_fill(g.reshape(g.shape[:-1] + (1, n)) * after, ~upto.T, 0.0)
        total = _exclusive_cumprod(x, -1) * weighted.sum(-1)
        return (total.swapaxes(axis, -1),)


def _cumprod(x: Any, axis: int) -> Any:
    return x.cumprod(axis) if isinstance(x, Tensor) else np.cumprod(x, axis=axis)


# --------------------------------------------------------------------------- Tensor


class Tensor(elementwise.ElementwiseMethods):
    """An n-dimensional array that remembers how it was computed.

    Args:
        data: anything ``numpy.asarray`` takes; integers become float64, booleans
            stay boolean (masks).
        requires_grad: whether ``backward()`` should fill ``.grad`` for it.
        dtype: ``numpy.float64`` (default) or ``numpy.float32``.
        label: a name shown in graph drawings.

    >>> w = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    >>> x = Tensor([1.0, -1.0])
    >>> (w @ x).sum().backward()
    >>> w.grad.tolist()
    [[1.0, -1.0], [1.0, -1.0]]
    """

    # NOTE: `module` as on Value: set only by the nn module that made this node its output.
    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_fn", "module", "__weakref__")
    # NOTE: `==` stays identity (nodes are dict keys in the backward sweep).
    __array_priority__ = 100.0  # ndarray <op> Tensor defers to Tensor's reflected op

    def __init__(
        self, data: Any, requires_grad: bool = False, dtype: Any = None, label: str = ""
    ) -> None:
        self.data = _as_array(data, dtype)
        self.grad: Any = None
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(f"only float tensors can require grad, not {self.data.dtype}")
        self.requires_grad = requires_grad
        self.label = label
        self._prev: tuple = ()
        self._fn = None

    @staticmethod
    def _constant(data: Any) -> Tensor:
        """A tensor holding ``data`` that needs no gradient (used by the core)."""
        return Tensor(data)

    # -- properties ---------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        """The shape of ``data``, e.g. ``(n, inputs)`` for a batch."""
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        """The dtype of ``data`` (float64 unless made otherwise)."""
        return self.data.dtype

    @property
    def ndim(self) -> int:
        """The number of axes of ``data``."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements of ``data``."""
        return self.data.size

    @property
    def _op(self) -> str:
        return "" if self._fn is None else self._fn.symbol

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, precision=4, separator=", ", prefix="Tensor(")
        grad = ", requires_grad=True" if self.requires_grad else ""
        return f"Tensor({body}{grad})"

    def tolist(self) -> list | float:
        """The data as (nested) Python lists."""
        return self.data.tolist()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        # NOTE: numpy would otherwise wrap the Tensor in an object array, or
        # compute on its data outside the graph without a word.
        if self.requires_grad:
            raise TypeError(
                "a Tensor that requires grad cannot become a numpy array without leaving "
                "the graph; use .detach().numpy() for its values"
            )
        return (
            np.array(self.data, dtype=dtype, copy=True)
            if copy
            else (self.data if dtype is None else self.data.astype(dtype))
        )

    def numpy(self) -> np.ndarray:
        """The data as a numpy array (shared, not copied)."""
        return self.data

    def item(self) -> float:
        """The value of a one-element tensor as a Python float."""
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, not shape {self.shape}")
        return self.data.item()

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory, as in PyTorch)."""
        return Tensor(self.data)

    def zero_grad(self) -> None:
        """Forget the gradient (set it to None, as PyTorch's default)."""
        self.grad = None

    # -- building nodes -------------------------------------------------------------

    def _node(self, fn: TensorOp, *parents: Tensor) -> Tensor:
        # NOTE: the hot path of the engine: unrolled for one and two parents.
        if len(parents) == 2:
            a, b = parents
            a_data, b_data = a.data, b.data
            data = fn.forward(a_data, b_data)
            if a_data.dtype is not b_data.dtype and a_data.dtype != b_data.dtype:
                data = np.asarray(data).astype(_result_dtype(a_data, b_data), copy=False)
            needs = (a.requires_grad, b.requires_grad)
        elif len(parents) == 1:
            data = fn.forward(parents[0].data)
            needs = (parents[0].requires_grad,)
        else:
            data = fn.forward(*[p.data for p in parents])
            needs = tuple(p.requires_grad for p in parents)
        out = Tensor.__new__(Tensor)
        # NOTE: numpy returns a scalar, not an array, for 0-d arithmetic.
        out.data = data if type(data) is np.ndarray else np.asarray(data)
        out.grad = None
        out.label = ""
        mode = autograd._MODE
        if mode is None:
            mode = autograd.mode()
        if mode and True in needs:
            fn.needs = needs
            out.requires_grad, out._prev, out._fn = True, parents, fn
            if mode is not True:
                mode.on_forward(out)
        else:
            out.requires_grad, out._prev, out._fn = False, (), None
        return out

    def _apply(self, fn: Op, *inputs: Any) -> Tensor:
        """A node of op ``fn`` on ``inputs`` (arrays and numbers lifted to constants)."""
        return self._node(fn, *[self._lift(x) for x in inputs])

    def _lift(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other
        if isinstance(other, np.ndarray) and other.dtype.kind == "f":
            return Tensor(other)  # NOTE: a float array keeps its dtype, as a tensor would
        # NOTE: a Python number (or an int/bool array) takes this tensor's dtype, as in
        # torch: float32 stays float32.
        return Tensor(np.asarray(other, dtype=self.data.dtype))

    def __add__(self, other) -> Tensor:
        return self._node(Add(), self, self._lift(other))

    def __radd__(self, other) -> Tensor:
        return self._node(Add(), self._lift(other), self)

    def __sub__(self, other) -> Tensor:
        return self._node(Sub(), self, self._lift(other))

    def __rsub__(self, other) -> Tensor:
        return self._node(Sub(), self._lift(other), self)

    def __mul__(self, other) -> Tensor:
        return self._node(Mul(), self, self._lift(other))

    def __rmul__(self, other) -> Tensor:
        return self._node(Mul(), self._lift(other), self)

    def __truediv__(self, other) -> Tensor:
        return self._node(Div(), self, self._lift(other))

    def __rtruediv__(self, other) -> Tensor:
        return self._node(Div(), self._lift(other), self)

    def __neg__(self) -> Tensor:
        return self._node(Neg(), self)

    def __pow__(self, other) -> Tensor:
        if isinstance(other, (int, float, np.integer, np.floating)) and not isinstance(other, bool):
            return self._node(
                PowConst(other.item() if isinstance(other, np.generic) else other), self
            )
        if isinstance(other, (Tensor, np.ndarray)):
            return self._node(Pow(), self, self._lift(other))
        raise TypeError(f"Tensor ** {type(other).__name__} is not supported")

    def __rpow__(self, other) -> Tensor:
        return self._node(Pow(), self._lift(other), self)

    def __matmul__(self, other) -> Tensor:
        return self._node(MatMul(), self, self._lift(other))

    def __rmatmul__(self, other) -> Tensor:
        return self._node(MatMul(), self._lift(other), self)

    # -- comparisons: boolean tensors outside the graph (masks), as torch's ---------

    def __lt__(self, other) -> Tensor:
        return Tensor(self.data < _num(other))

    def __le__(self, other) -> Tensor:
        return Tensor(self.data <= _num(other))

    def __gt__(self, other) -> Tensor:
        return Tensor(self.data > _num(other))

    def __ge__(self, other) -> Tensor:
        return Tensor(self.data >= _num(other))

    def __getitem__(self, index) -> Tensor:
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(_as_index(p) for p in parts)
        _refuse_split_advanced_index(parts)
        index = parts if isinstance(index, tuple) else parts[0]
        return self._node(Index(index), self)

    def exp(self) -> Tensor:
        """e^a element-wise; da: e^a, taken from the output.

        >>> Tensor([0.0, 1.0]).exp().data.round(4).tolist()
        [1.0, 2.7183]
        """
        return self._node(Exp(), self)

    def log(self) -> Tensor:
        """ln a element-wise (−inf at 0, nan below, as numpy); da: 1 / a."""
        return self._node(Log(), self)

    def tanh(self) -> Tensor:
        """tanh a element-wise; da: 1 − y², taken from the output y."""
        return self._node(Tanh(), self)

    def sigmoid(self) -> Tensor:
        """σ(a) = 1 / (1 + e^−a) element-wise, accurate over all of float64; da: y(1 − y).

        >>> Tensor([0.0]).sigmoid().data.tolist()
        [0.5]
        """
        return self._node(Sigmoid(), self)

    def relu(self) -> Tensor:
        """max(0, a) element-wise; da: 1 where a > 0, else 0 (0 at a = 0, as torch)."""
        return self._node(Relu(), self)

    def abs(self) -> Tensor:
        """|a| element-wise; da: sign(a) (0 at a = 0, as torch)."""
        return self._node(Abs(), self)

    def clip(self, low: float, high: float) -> Tensor:
        """Values limited to [low, high]; no gradient flows where a value was clipped."""
        return self._node(Clip(low, high), self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None); the gradient is the upstream one broadcast back.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data.tolist()
        [4.0, 6.0]
        """
        return self._node(Sum(axis, keepdims), self)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum divided by the number of elements summed (nan for none, as numpy and torch)."""
        count = (
            self.data.size
            if axis is None
            else math.prod(self.shape[i] for i in np.atleast_1d(axis))
        )
        return self.sum(axis, keepdims) * (1.0 / count if count else math.nan)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis``; the gradient is split evenly between ties (torch.amax).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).max(axis=1).data.tolist()
        [5.0, 7.0]
        """
        return self._node(Max(axis, keepdims), self)

    def reshape(self, *shape) -> Tensor:
        """The same elements in ``shape`` (a tuple or separate ints; one −1 is inferred).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2).shape
        (2, 2)
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._node(Reshape(shape), self)

    def transpose(self, *axes) -> Tensor:
        """Axes permuted (reversed when none are given); negative axes count from the end."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        n = self.ndim
        if not axes:
            axes = tuple(range(n - 1, -1, -1))
        if len(axes) != n or any(not -n <= ax < n for ax in axes):
            raise ValueError(f"axes {axes} are not a permutation of the {n} axes of {self.shape}")
        axes = tuple(ax % n for ax in axes)
        if len(set(axes)) != n:
            raise ValueError(f"axes {axes} repeat an axis of a tensor of shape {self.shape}")
        return self._node(Transpose(axes), self)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Two axes exchanged (as ``numpy.swapaxes``)."""
        axes = list(range(self.ndim))
        axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
        return self.transpose(axes)

    @property
    def T(self) -> Tensor:
        """The axes reversed (the transpose of a matrix)."""
        return self.transpose()

    def broadcast_to(self, shape: tuple[int, ...]) -> Tensor:
        """The tensor broadcast to ``shape`` (a read-only view, as ``numpy.broadcast_to``)."""
        shape = tuple(shape)
        if np.broadcast_shapes(self.shape, shape) != shape:
            raise ValueError(f"a tensor of shape {self.shape} cannot broadcast to {shape}")
        return self if shape == self.shape else self._node(BroadcastTo(shape), self)

    def sum_to_size(self, shape: tuple[int, ...], op: Any = None) -> Tensor:
        """Summed down to ``shape``, undoing broadcasting (torch's ``sum_to_size``)."""
        shape = tuple(shape)
        return self if shape == self.shape else self._node(SumTo(shape, op), self)

    def astype(self, dtype: Any) -> Tensor:
        """The same numbers in another float dtype (the gradient is cast back)."""
        if np.dtype(dtype).kind != "f":  # integers and booleans leave the graph, as in torch
            return self.cast(dtype)
        return self if np.dtype(dtype) == self.dtype else self._node(Cast(dtype), self)

    def log_softmax(self, axis: int = -1) -> Tensor:
        """log softmax over ``axis``, by a shifted log-sum-exp (no overflow); rows sum to 1 in exp.

        >>> Tensor([[0.0, 0.0]]).log_softmax().exp().data.tolist()
        [[0.5, 0.5]]
        """
        return self._node(LogSoftmax(axis), self)

    def softmax(self, axis: int = -1) -> Tensor:
        """e^a / Σ e^a over ``axis`` (exp of :meth:`log_softmax`, so it never overflows)."""
        return self.log_softmax(axis).exp()

    # -- the wider set: element-wise functions and activations -------------------------

    def _elementwise(self, name: str, *params: Any) -> Tensor:
        return self._node(Elementwise(name, params), self)

    def lerp(self, end: Any, weight: Any) -> Tensor:
        """a + w (end − a); gradients 1 − w, w and end − a."""
        return self + (self._lift(end) - self) * weight

    # -- comparisons and selection (results are constants, as in torch) --------------

    def eq(self, other: Any) -> Tensor:
        """Element-wise a == b as a boolean tensor (``==`` itself stays identity)."""
        return Tensor(self.data == _num(other))

    def ne(self, other: Any) -> Tensor:
        """Element-wise a != b as a boolean tensor."""
        return Tensor(self.data != _num(other))

    def lt(self, other: Any) -> Tensor:
        """a < b element-wise, a boolean tensor with no gradient (as ``<``)."""
        return self < other

    def le(self, other: Any) -> Tensor:
        """a ≤ b element-wise, a boolean tensor with no gradient (as ``<=``)."""
        return self <= other

    def gt(self, other: Any) -> Tensor:
        """a > b element-wise, a boolean tensor with no gradient (as ``>``)."""
        return self > other

    def ge(self, other: Any) -> Tensor:
        """a ≥ b element-wise, a boolean tensor with no gradient (as ``>=``)."""
        return self >= other

    def isnan(self) -> Tensor:
        """True where a is nan; a boolean tensor with no gradient."""
        return Tensor(np.isnan(self.data))

    def isinf(self) -> Tensor:
        """True where a is +inf or −inf; a boolean tensor with no gradient."""
        return Tensor(np.isinf(self.data))

    def isfinite(self) -> Tensor:
        """True where a is neither nan nor ±inf; a boolean tensor with no gradient."""
        return Tensor(np.isfinite(self.data))

    def logical_not(self) -> Tensor:
        """Boolean negation (non-zero → False, zero → True); no gradient."""
        return Tensor(np.logical_not(self.data))

    def any(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Whether any element is nonzero (boolean, no gradient)."""
        return Tensor(np.any(self.data, axis=axis, keepdims=keepdims))

    def all(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Whether every element is nonzero (boolean, no gradient)."""
        return Tensor(np.all(self.data, axis=axis, keepdims=keepdims))

    def masked_fill(self, mask: Any, value: float) -> Tensor:
        """``value`` where ``mask`` holds, a elsewhere; no gradient flows to filled places."""
        mask = np.asarray(_num(mask), dtype=bool)
        return self._node(MaskedFill(mask, value), self)

    def where(self, condition: Any, other: Any) -> Tensor:
        """a where ``condition`` holds, ``other`` elsewhere (torch's ``Tensor.where``)."""
        cond = np.asarray(_num(condition), dtype=bool)
        return self._node(Where(cond), self, self._lift(other))

    def maximum(self, other: Any) -> Tensor:
        """Element-wise max; the gradient goes to the larger input, halved at ties."""
        return self._node(Extremum(True), self, self._lift(other))

    def minimum(self, other: Any) -> Tensor:
        """Element-wise min; the gradient goes to the smaller input, halved at ties."""
        return self._node(Extremum(False), self, self._lift(other))

    def clamp(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """a limited to [min, max]; bounds may be numbers, Tensors or None (as torch)."""
        if min is None and max is None:
            raise ValueError("clamp() needs at least one of min and max")
        low = self._lift(-math.inf if min is None else min)
        high = self._lift(math.inf if max is None else max)
        return self._node(ClampTensor(), self, low, high)

    # -- reductions -------------------------------------------------------------------

    def min(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Smallest element (ties share the gradient equally, as torch's ``amin``)."""
        return -((-self).max(axis, keepdims))

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the first largest element (int64, no gradient; nan counts as largest)."""
        return Tensor(np.argmax(self.data, axis=axis, keepdims=keepdims), dtype=np.int64)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the first smallest element (int64, no gradient)."""
        return Tensor(np.argmin(self.data, axis=axis, keepdims=keepdims), dtype=np.int64)

    def prod(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Product of the elements (over one axis or all); exact gradient at zeros."""
        if axis is not None and not isinstance(axis, int):
            raise TypeError(f"prod() takes one axis (an int) or None, not {axis!r}")
        return self._node(Prod(axis, keepdims), self)

    def var(
        self, axis: int | tuple[int, ...] | None = None, correction: float = 1, keepdims=False
    ) -> Tensor:
        """Σ (a − mean)² / (N − correction) (torch's default correction is 1)."""
        count = self.size if axis is None else math.prod(self.shape[i] for i in np.atleast_1d(axis))
        centred = self - self.mean(axis, keepdims=True)
        dof = count - correction
        return (centred * centred).sum(axis, keepdims) * (1.0 / dof if dof > 0 else math.inf)

    def std(
        self, axis: int | tuple[int, ...] | None = None, correction: float = 1, keepdims=False
    ) -> Tensor:
        """√var (see :meth:`var`); the gradient is 0 where the spread is 0, as torch's."""
        var = self.var(axis, correction, keepdims)
        # NOTE: a constant where var = 0, so the inf of √'s rule at 0 is masked to 0
        return var.masked_fill(var.data == 0, 0.0).sqrt()

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims=False) -> Tensor:
        """ln Σ e^a, shifted by the (constant) maximum; gradient softmax(a)."""
        with np.errstate(invalid="ignore"):
            shift = np.max(self.data, axis=axis, keepdims=True)
        shift = np.where(np.isinf(shift), 0.0, shift).astype(self.dtype)
        total = (self - shift).exp().sum(axis, keepdims=True).log() + shift
        if keepdims:
            return total
        n = self.ndim
        axes = range(n) if axis is None else {a % n for a in np.atleast_1d(axis)}
        return total.reshape(tuple(size for i, size in enumerate(self.shape) if i not in axes))

    def cumsum(self, axis: int) -> Tensor:
        """Running sums along ``axis``; gradient the reversed running sums."""
        return self._node(Cumsum(axis), self)

    def cumprod(self, axis: int) -> Tensor:
        """Running products along ``axis`` (see :class:`Cumprod` for zeros)."""
        return self._node(Cumprod(axis), self)

    # -- shape ------------------------------------------------------------------------

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """Size-1 axes removed (only those in ``axis`` when given, as torch: others stay)."""
        if axis is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            axes = {a % max(self.ndim, 1) for a in np.atleast_1d(axis)}
            shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, axis: int) -> Tensor:
        """A size-1 axis inserted at ``axis`` (negative counts from the new end)."""
        axis = axis % (self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Axes start..end merged into one (torch's ``flatten``)."""
        if self.ndim == 0:
            return self.reshape((1,))
        start, end = start_axis % self.ndim, end_axis % self.ndim
        merged = math.prod(self.shape[start : end + 1])
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def unflatten(self, axis: int, sizes: Sequence[int]) -> Tensor:
        """Axis ``axis`` split into ``sizes`` (one may be −1)."""
        axis = axis % self.ndim
        sizes = tuple(sizes)
        if -1 in sizes:
            known = math.prod(n for n in sizes if n != -1)
            sizes = tuple(self.shape[axis] // known if n == -1 else n for n in sizes)
        if math.prod(sizes) != self.shape[axis]:
            raise ValueError(f"sizes {sizes} do not multiply to axis {axis} of {self.shape}")
        return self.reshape(self.shape[:axis] + sizes + self.shape[axis + 1 :])

    def expand(self, *sizes: int) -> Tensor:
        """Broadcast to ``sizes`` (−1 keeps an axis), as torch's ``expand``."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        lead = len(sizes) - self.ndim
        shape = tuple(
            self.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes)
        )
        return self.broadcast_to(shape)

    def permute(self, *axes: int) -> Tensor:
        """Axes reordered as torch's ``permute`` (same as :meth:`transpose` with axes)."""
        return self.transpose(*axes)

    def flip(self, axis: int | Sequence[int]) -> Tensor:
        """Reversed along each axis in ``axis``."""
        out = self
        for a in np.atleast_1d(axis):
            out = _reverse(out, int(a))
        return out

    def roll(self, shifts: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Tensor:
        """Shifted cyclically (flattened first when ``axis`` is None, as torch)."""
        if axis is None:
            return self._node(Roll(int(shifts), None), self)
        shifts = tuple(int(s) for s in np.atleast_1d(shifts))
        axes = tuple(int(a) for a in np.atleast_1d(axis))
        if len(shifts) != len(axes):
            raise ValueError(f"roll() got {len(shifts)} shifts for {len(axes)} axes")
        return self._node(Roll(shifts, axes), self)

    def repeat(self, *sizes: int) -> Tensor:
        """Tiled ``sizes`` times along each axis (torch's ``repeat``, numpy's ``tile``)."""
        if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
            sizes = tuple(sizes[0])
        if len(sizes) < self.ndim:
            raise ValueError(f"repeat() needs at least {self.ndim} sizes, got {len(sizes)}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        return x._node(Tile(tuple(sizes)), x)

    def tril(self, diagonal: int = 0) -> Tensor:
        """The lower triangle of the last two axes (others 0); gradient likewise masked."""
        keep = np.tril(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return self.masked_fill(~keep, 0.0)

    def triu(self, diagonal: int = 0) -> Tensor:
        """The upper triangle of the last two axes (others 0); gradient likewise masked."""
        keep = np.triu(np.ones(self.shape[-2:], dtype=bool), diagonal)
        return self.masked_fill(~keep, 0.0)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
        """The diagonal of axes ``axis1``, ``axis2``, as a new last axis (as torch)."""
        n = self.ndim
        axis1, axis2 = axis1 % n, axis2 % n
        rest = [i for i in range(n) if i not in (axis1, axis2)]
        moved = self.transpose(rest + [axis1, axis2])
        rows, cols = moved.shape[-2:]
        start_r, start_c = max(-offset, 0), max(offset, 0)
        length = max(min(rows - start_r, cols - start_c), 0)
        r = np.arange(length) + start_r
        c = np.arange(length) + start_c
        return moved[(Ellipsis, r, c)]

    def pad(self, widths: Sequence[int], value: float = 0.0) -> Tensor:
        """Constant padding, torch style: (left, right) of the last axis first, then the next."""
        widths = tuple(int(w) for w in widths)
        if len(widths) % 2 or len(widths) > 2 * self.ndim or any(w < 0 for w in widths):
            raise ValueError(f"pad widths {widths} do not fit a tensor of shape {self.shape}")
        pairs = [(0, 0)] * self.ndim
        for k in range(len(widths) // 2):
            pairs[self.ndim - 1 - k] = (widths[2 * k], widths[2 * k + 1])
        return self._node(Pad(tuple(pairs), value), self)

    def cast(self, dtype: Any) -> Tensor:
        """The same numbers in ``dtype`` (integer and boolean results leave the graph)."""
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            return Tensor(self.data.astype(dtype), dtype=dtype)
        return self.astype(dtype)

    # -- autodiff -----------------------------------------------------------------

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Fill ``.grad`` of every tensor with ``requires_grad`` this one depends on.

        Args:
            grad: d(something)/d(self), shaped like self. May be left out only
                when self holds a single element (then it is 1).
            create_graph: make every gradient a Tensor with its own graph, so it
                can be differentiated again (as torch's ``create_graph``).

        >>> x = Tensor([1.0, 2.0], requires_grad=True)
        >>> (x**3).sum().backward(create_graph=True)
        >>> x.grad.tolist()
        [3.0, 12.0]
        >>> g = x.grad
        >>> x.grad = None
        >>> g.sum().backward()
        >>> x.grad.tolist()
        [6.0, 12.0]
        """
        if not self.requires_grad:
            raise ValueError("backward() on a tensor that does not require grad and has no graph")
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    "backward() without a gradient needs a one-element tensor, "
                    f"not shape {self.shape}"
                )
            grad = np.ones_like(self.data)
        else:
            if isinstance(grad, Tensor) and create_graph:
                grad = grad.astype(self.data.dtype)
            else:
                grad = _as_array(grad, self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"gradient of shape {grad.shape} for a tensor of shape {self.shape}"
                )
        autograd.backward(self, grad, create_graph)


def _refuse_split_advanced_index(parts: tuple) -> None:
    """Refuse an integer and an index array separated by a slice (numpy and torch differ).

    numpy counts an integer as an advanced index and moves the broadcast
    dimensions to the front when advanced indices are not adjacent: for x of shape
    (2, 3, 4), ``x[0, :, [0, 1]]`` is (2, 3) in numpy and (3, 2) in torch, which
    takes the integer first. Rather than silently pick one, this is an error.
    """
    kinds = []
    for k, p in enumerate(parts):
        if isinstance(p, (bool, np.bool_)):
            continue
        if isinstance(p, (int, np.integer)):
            kinds.append((k, "int"))
        elif isinstance(p, list) or (isinstance(p, np.ndarray) and p.ndim > 0):
            kinds.append((k, "array"))
    found = {kind for _, kind in kinds}
    if found == {"int", "array"}:
        where = [k for k, _ in kinds]
        if max(where) - min(where) + 1 != len(where):
            raise IndexError(
                "an index that mixes integers and index arrays separated by a slice is "
                "arranged differently by numpy and torch; index in two steps, "
                "e.g. x[0][:, [0, 1]]"
            )


def _as_index(part: Any) -> Any:
    """One part of an index: a Tensor becomes its array (booleans stay a mask)."""
    if isinstance(part, Tensor):
        part = part.data
    if isinstance(part, np.ndarray) and part.dtype.kind == "f":
        if not np.all(part == np.round(part)):
            raise IndexError("a float tensor used as an index must hold whole numbers")
        part = part.astype(np.intp)
    return part


def half_squared_error(y: Tensor, z: Tensor) -> Tensor:
    """½ Σ (y − z)² as one node (see :class:`HalfSquaredError`); shapes must match."""
    if y.shape != z.shape:
        raise ValueError(f"targets of shape {z.shape} for predictions of shape {y.shape}")
    return y._node(HalfSquaredError(), y, z)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, as PyTorch's ``F.linear``: weight (out, in), bias (out,), x (..., in).

    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).tolist()
    [[1.0, 2.0, 3.0]]
    """
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"input of shape {x.shape} for a weight of shape {weight.shape}")
    out = x._node(MatMulT(), x, weight)
    return out if bias is None else out + bias


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (as ``numpy.concatenate``)."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    return tensors[0]._node(Concatenate(axis), *tensors)

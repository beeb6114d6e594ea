"""Element-wise rules of the tensor engine: arithmetic, the core functions, selection.

Every op is a small class: ``forward`` computes the array, ``backward`` right
under it returns one gradient per input (``None`` for an input that needs none),
and the class docstring gives the math. Each rule is written once, with operators
and methods that arrays and Tensors share and the helpers of
:mod:`tinygrad_mlp.ops._array`: the same rule gives first derivatives on arrays
and, on Tensors (``create_graph=True``), a graph that can be differentiated again.

``Exp``, ``Log``, ``Tanh``, ``Sigmoid`` and ``Relu`` are fast twins of rows of
:data:`tinygrad_mlp.elementwise.FUNCTIONS` (one class, no table dispatch, on the
hot path); every other element-wise function is :class:`Elementwise` on its row.
Python numbers never reach a rule: the front-end lifts them to arrays of the
tensor's dtype, and the core sums each gradient back to its input's shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp import elementwise
from tinygrad_mlp.ops._array import (
    NUMBERS,
    TensorOp,
    broadcast_to,
    log,
    masked_fill,
    num,
    zeros_like,
)

__all__ = ["check_integer_division"]  # the rules are reached through Tensor's methods

_SIGMOID = elementwise.FUNCTIONS["sigmoid"].forward


# --------------------------------------------------------------------------- arithmetic


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
            return (zeros_like(grad_out),)
        power = _power(a, p - 1) if isinstance(a, NUMBERS) else a ** (p - 1)
        return (grad_out * p * power,)


class Pow(TensorOp):
    """y = a ** b, both tensors;  dy/da = b * a**(b-1), dy/db = y * ln(a).

    NOTE: as torch, dy/da is 0 where b = 0, and dy/db is 0 where a = 0 and b >= 0
    (where y ln a would be 0 * -inf); ln of a negative base is nan, so dy/db is
    nan there while y itself is real for an integer b: (-2)**2 = 4.
    """

    __slots__ = ()
    symbol = "**"

    def forward(self, a, b):
        if a.dtype == np.bool_:
            raise TypeError("** of two booleans is not supported (as in torch)")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.power(a, b)

    def backward(self, grad_out, out, a, b):
        num_a, num_b = num(a), num(b)
        grad_a = grad_b = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[0]:
                grad_a = masked_fill(grad_out * b * a ** (b - 1), num_b == 0, 0.0)
            if self.needs[1]:
                zero = (num_a == 0) & (num_b >= 0)
                grad_b = masked_fill(grad_out * out * log(a), zero, 0.0)
        return grad_a, grad_b


class Neg(TensorOp):
    """y = -a;  dy/da = -1."""

    __slots__ = ()
    symbol = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad_out, out, a):
        return (-grad_out,)


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


# --------------------------------------------------------------------------- core functions
# Fast twins of table rows: each NOTE names the row it copies (tests hold them equal).


class Exp(TensorOp):
    """y = e**a;  dy/da = y, taken from the saved output.

    NOTE: a fast twin of row ``exp`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`
    (the same numbers; tests/test_ops_package.py holds the two equal).
    """

    __slots__ = ()
    symbol = "exp"

    def forward(self, a):
        with np.errstate(over="ignore"):
            return np.exp(a)

    def backward(self, grad_out, out, a):
        return (grad_out * out,)


class Log(TensorOp):
    """y = ln(a);  dy/da = 1 / a (±inf at ±0, as torch).

    NOTE: a fast twin of row ``log`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`
    (g / a where the row gives g · (1 / a): equal to rounding).
    """

    __slots__ = ()
    symbol = "log"

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    def backward(self, grad_out, out, a):
        with np.errstate(divide="ignore"):
            return (grad_out / a,)


#: From this size on, a rule writes its temporaries into one array (see :func:`_large`).
LARGE_BYTES = 64 * 1024


def _large(out: Any, grad_out: Any) -> bool:
    """Whether a unary rule on ``out`` should reuse its temporaries' memory with ``out=``.

    True for arrays of at least :data:`LARGE_BYTES` of the same shape and dtype. A
    large temporary is handed back to the system when freed and faulted in again
    when the next one is made, which can cost more than the arithmetic; below that
    size, numpy's keyword handling for ``out=`` costs more than the allocation saves.
    (Callers test the first condition themselves, the cheap one that fails most.)
    """
    return (
        type(out) is np.ndarray
        and out.nbytes >= LARGE_BYTES
        and type(grad_out) is np.ndarray
        and grad_out.dtype == out.dtype
        and grad_out.shape == out.shape
    )


class Tanh(TensorOp):
    """y = tanh(a);  dy/da = 1 - y**2, taken from the saved output.

    NOTE: a fast twin of row ``tanh`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`.
    """

    __slots__ = ()
    symbol = "tanh"

    def forward(self, a):
        return np.tanh(a)

    def backward(self, grad_out, out, a):
        if type(out) is np.ndarray and out.nbytes >= LARGE_BYTES and _large(out, grad_out):
            # NOTE: grad_out * (1 - out * out), the same three operations, the last two
            # written into the first one's array (see _large)
            slope = np.multiply(out, out)
            np.subtract(1, slope, out=slope)
            return (np.multiply(grad_out, slope, out=slope),)
        return (grad_out * (1 - out * out),)


class Sigmoid(TensorOp):
    """y = 1 / (1 + e**-a);  dy/da = y * (1 - y), taken from the saved output.

    Computed as 1 / (1 + e**-a), which is exact to a few ulps relative for every
    output that is a normal float (sigmoid(-700) ≈ 1e-304 included).

    NOTE: a fast twin of row ``sigmoid`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`,
    whose forward it calls.
    """

    __slots__ = ()
    symbol = "sigmoid"

    def forward(self, a):
        return _SIGMOID(a)

    def backward(self, grad_out, out, a):
        if type(out) is np.ndarray and out.nbytes >= LARGE_BYTES and _large(out, grad_out):
            # NOTE: grad_out * out * (1 - out), the same three operations, the last one
            # written into the first one's array (see _large)
            gy = np.multiply(grad_out, out)
            return (np.multiply(gy, np.subtract(1, out), out=gy),)
        return (grad_out * out * (1 - out),)


class Relu(TensorOp):
    """y = max(0, a);  dy/da = 0 where a <= 0, else 1 (relu'(0) = 0; nan passes, as torch).

    NOTE: a fast twin of row ``relu`` of :data:`tinygrad_mlp.elementwise.FUNCTIONS`;
    it masks the gradient (torch's threshold_backward) where the row multiplies it
    by 0 or 1, which differs only for an infinite upstream gradient.
    """

    __slots__ = ()
    symbol = "ReLU"

    def forward(self, a):
        return np.maximum(a, 0)  # NOTE: propagates nan, as torch

    def backward(self, grad_out, out, a):
        if type(grad_out) is np.ndarray and type(a) is np.ndarray:
            return (_relu_mask(grad_out, a),)
        return (masked_fill(grad_out, num(a) <= 0, 0.0),)


#: integer types of the floats' widths, to mask a float's bits (see :func:`_relu_mask`)
BITS = {8: np.int64, 4: np.int32, 2: np.int16}


def _relu_mask(grad: np.ndarray, a: np.ndarray) -> np.ndarray:
    """``masked_fill(grad, a <= 0, 0.0)`` for arrays: grad where a > 0 (or nan), +0 elsewhere.

    NOTE: the same numbers bit for bit, computed as grad's bits AND a mask of all ones
    (kept) or all zeros (+0.0): numpy's ``where`` branches per element and, on a mask
    of random signs (a relu layer's), is five or six times slower than this. An
    infinite or nan gradient is kept or zeroed as ``where`` does (a product with the
    0/1 mask would give nan for inf · 0, and −0.0 for a negative gradient).
    """
    bits = BITS.get(grad.dtype.itemsize) if grad.dtype.kind == "f" else None
    if bits is None or grad.shape != a.shape or not grad.ndim:
        return masked_fill(grad, a <= 0, 0.0)
    # (a <= 0) - 1 is 0 where a <= 0 and -1 (every bit set) where a > 0 or a is nan
    mask = np.subtract(np.less_equal(a, 0), 1, dtype=bits)
    return np.bitwise_and(grad.view(bits), mask, out=mask).view(grad.dtype)


# --------------------------------------------------------------------------- the table


class Elementwise(TensorOp):
    """y = f(a) for a function of :data:`tinygrad_mlp.elementwise.FUNCTIONS`;  dy/da = f'(a).

    The row gives the forward on arrays and f'(a) as a rule on arrays or Tensors;
    ``Tensor.sin``, ``Tensor.gelu``, ``Tensor.abs`` and the others build this op.
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
            return (zeros_like(grad_out) if d is None else grad_out * d,)


# --------------------------------------------------------------------------- selection
# Masks are constants of the rule, read from the numbers.


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
        x = num(a)
        return (masked_fill(grad_out, ~((x >= self.low) & (x <= self.high)), 0.0),)


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
        return (masked_fill(grad_out, self.mask, 0.0),)


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
        g = broadcast_to(grad_out, shape)
        return (
            masked_fill(g, ~self.cond, 0.0) if self.needs[0] else None,
            masked_fill(g, self.cond, 0.0) if self.needs[1] else None,
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
        num_a, num_b = num(a), num(b)
        tie = num_a == num_b
        loses_a = num_a < num_b if self.larger else num_a > num_b
        loses_b = num_a > num_b if self.larger else num_a < num_b
        dtype = num(grad_out).dtype
        half = np.where(tie, 0.5, 1.0).astype(dtype)
        return (
            masked_fill(grad_out * half, loses_a, 0.0) if self.needs[0] else None,
            masked_fill(grad_out * half, loses_b, 0.0) if self.needs[1] else None,
        )


class ClampTensor(TensorOp):
    """y = min(max(a, low), high) with tensor bounds (torch.clamp).

    dy/da = 1 where low <= a <= high; dy/dlow = 1 where a < low < high; dy/dhigh = 1
    where a > high or low > high (high wins when low > high; where low = high only an
    a outside sends a gradient to high, above it; as torch).
    """

    __slots__ = ()
    symbol = "clamp"

    def forward(self, a, low, high):
        return np.minimum(np.maximum(a, low), high)

    def backward(self, grad_out, out, a, low, high):
        x, lo, hi = num(a), num(low), num(high)
        shape = grad_out.shape
        inside = (x >= lo) & (x <= hi)
        below = (x < lo) & (lo < hi)
        above = (x > hi) | (lo > hi)
        g = grad_out
        return (
            masked_fill(g, ~np.broadcast_to(inside, shape), 0.0) if self.needs[0] else None,
            masked_fill(g, ~np.broadcast_to(below, shape), 0.0) if self.needs[1] else None,
            masked_fill(g, ~np.broadcast_to(above, shape), 0.0) if self.needs[2] else None,
        )


class Remainder(TensorOp):
    """y = a − ⌊a / b⌋ b (the sign of b, as Python's and torch's ``%``);
    dy/da = 1, dy/db = −⌊a / b⌋ (as torch)."""

    __slots__ = ()
    symbol = "%"

    def forward(self, a, b):
        check_integer_division(a, b, "%")
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.remainder(a, b)

    def backward(self, grad_out, out, a, b):
        grad_b = None
        if self.needs[1]:
            with np.errstate(divide="ignore", invalid="ignore"):
                grad_b = -grad_out * np.floor_divide(num(a), num(b))
        return grad_out if self.needs[0] else None, grad_b


def check_integer_division(a: np.ndarray, b: np.ndarray, symbol: str) -> None:
    """Refuse ``//`` and ``%`` of booleans, and of integers by zero (torch refuses both).

    ``a`` and ``b`` are already cast to their result type.
    """
    if a.dtype == np.bool_:
        raise TypeError(f"{symbol} of two booleans is not supported (as in torch)")
    if a.dtype.kind in "iu" and not np.all(b):
        raise ZeroDivisionError(f"integer {symbol} by zero (as in torch)")

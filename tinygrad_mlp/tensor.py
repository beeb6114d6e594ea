"""``Tensor``: a numpy array node of the autodiff graph.

A layer is one matmul, one add and one activation, so the graph stays small and
numpy does the work. Ops never think about broadcasting: the core
(:func:`tinygrad_mlp.autograd.unbroadcast`) sums each gradient back to its
parent's shape, once, for every edge.

Every op is a small class: ``forward`` computes the array, ``backward`` right
under it returns one gradient per input (``None`` for an input that needs none).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import autograd
from tinygrad_mlp.autograd import Op

__all__ = ["Tensor", "concatenate", "half_squared_error", "linear"]

_FLOATS = (np.float64, np.float32)


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype not in _FLOATS:
        arr = arr.astype(np.float64)
    return arr


# --------------------------------------------------------------------------- ops


class TensorOp(Op):
    """An op instance made per node; ``needs`` says which inputs want a gradient."""

    __slots__ = ("needs",)

    def __init__(self) -> None:
        self.needs: tuple[bool, ...] = ()


class Add(TensorOp):
    """y = a + b;  dy/da = 1, dy/db = 1."""

    symbol = "+"

    def forward(self, a, b):
        return a + b

    def backward(self, grad_out, out, a, b):
        return grad_out, grad_out


class Sub(TensorOp):
    """y = a - b;  dy/da = 1, dy/db = -1. (Fused: it saves a negate node per loss.)"""

    symbol = "-"

    def forward(self, a, b):
        return a - b

    def backward(self, grad_out, out, a, b):
        return grad_out, (-grad_out if self.needs[1] else None)


class Mul(TensorOp):
    """y = a * b;  dy/da = b, dy/db = a."""

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

    symbol = "/"

    def forward(self, a, b):
        return a / b

    def backward(self, grad_out, out, a, b):
        grad_a = grad_out / b
        return grad_a if self.needs[0] else None, (-grad_a * out if self.needs[1] else None)


class PowConst(TensorOp):
    """y = a ** p for a fixed number p;  dy/da = p * a**(p-1)."""

    __slots__ = ("p",)

    def __init__(self, p: float) -> None:
        super().__init__()
        self.p = p

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return f"**{self.p}"

    def forward(self, a):
        return a**self.p

    def backward(self, grad_out, out, a):
        if self.p == 2:
            return (grad_out * 2 * a,)
        return (grad_out * self.p * a ** (self.p - 1),)


class Neg(TensorOp):
    """y = -a;  dy/da = -1."""

    symbol = "neg"

    def forward(self, a):
        return -a

    def backward(self, grad_out, out, a):
        return (-grad_out,)


class Exp(TensorOp):
    """y = e**a;  dy/da = y, taken from the saved output."""

    symbol = "exp"

    def forward(self, a):
        with np.errstate(over="ignore"):
            return np.exp(a)

    def backward(self, grad_out, out, a):
        return (grad_out * out,)


class Log(TensorOp):
    """y = ln(a);  dy/da = 1 / a."""

    symbol = "log"

    def forward(self, a):
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(a)

    def backward(self, grad_out, out, a):
        with np.errstate(divide="ignore"):
            return (grad_out / a,)


class Tanh(TensorOp):
    """y = tanh(a);  dy/da = 1 - y**2, taken from the saved output."""

    symbol = "tanh"

    def forward(self, a):
        return np.tanh(a)

    def backward(self, grad_out, out, a):
        return (grad_out * (1 - out * out),)


class Sigmoid(TensorOp):
    """y = 1 / (1 + e**-a);  dy/da = y * (1 - y), taken from the saved output.

    Computed as (1 + tanh(a/2)) / 2, which equals the sigmoid and cannot overflow.
    """

    symbol = "sigmoid"

    def forward(self, a):
        out = np.tanh(a * 0.5)
        out += 1
        out *= 0.5
        return out

    def backward(self, grad_out, out, a):
        return (grad_out * out * (1 - out),)


class Relu(TensorOp):
    """y = max(0, a);  dy/da = 1 where a > 0, else 0 (relu'(0) = 0, as in PyTorch)."""

    symbol = "ReLU"

    def forward(self, a):
        return np.maximum(a, 0)

    def backward(self, grad_out, out, a):
        return (grad_out * (a > 0),)


class Abs(TensorOp):
    """y = |a|;  dy/da = sign(a) (0 at a = 0, as in PyTorch)."""

    symbol = "abs"

    def forward(self, a):
        return np.abs(a)

    def backward(self, grad_out, out, a):
        return (grad_out * np.sign(a),)


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
        return (grad_out * ((a >= self.low) & (a <= self.high)),)


class MatMul(TensorOp):
    """y = a @ b;  dL/da = g @ bᵀ, dL/db = aᵀ @ g (1-D operands as numpy treats them)."""

    symbol = "@"

    def forward(self, a, b):
        return a @ b

    def backward(self, grad_out, out, a, b):
        g = grad_out
        if a.ndim == 1 and b.ndim == 1:  # dot product
            return (g * b if self.needs[0] else None, g * a if self.needs[1] else None)
        if a.ndim == 1:  # (k,) @ (..., k, n) -> (..., n)
            grad_a = (b @ g[..., None])[..., 0] if self.needs[0] else None
            grad_b = a[:, None] * g[..., None, :] if self.needs[1] else None
            return grad_a, grad_b
        if b.ndim == 1:  # (..., m, k) @ (k,) -> (..., m)
            grad_a = g[..., :, None] * b if self.needs[0] else None
            grad_b = (np.swapaxes(a, -1, -2) @ g[..., None])[..., 0] if self.needs[1] else None
            return grad_a, grad_b
        grad_a = g @ np.swapaxes(b, -1, -2) if self.needs[0] else None
        grad_b = np.swapaxes(a, -1, -2) @ g if self.needs[1] else None
        return grad_a, grad_b


class MatMulT(TensorOp):
    """y = a @ bᵀ (``b`` is a (out, in) weight);  dL/da = g @ b, dL/db = gᵀ @ a.

    The product of a layer, ``x Wᵀ``, as one node. Computing dL/dW directly as
    gᵀ @ a gives it W's own memory layout; going through a transpose node would
    leave a transposed (Fortran-ordered) gradient that makes every later
    elementwise update on it strided and about twice as slow.
    """

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
        if a.ndim == 1:
            return grad_a, np.outer(g, a)
        g2, a2 = g.reshape(-1, g.shape[-1]), a.reshape(-1, a.shape[-1])  # batched: sum over all
        return grad_a, g2.T @ a2


class HalfSquaredError(TensorOp):
    """L = ½ Σ (y − z)², the cheat sheet's loss;  dL/dy = y − z, dL/dz = −(y − z).

    Fused (rather than composed from −, *, sum and *) so that the loss is one
    node that reads as the sheet writes it, and a training step of a small
    network spends four fewer Python-level nodes on it.
    """

    symbol = "½Σ(y−z)²"

    def forward(self, y, z):
        diff = y - z
        return 0.5 * np.vdot(diff, diff).astype(y.dtype)

    def backward(self, grad_out, out, y, z):
        diff = (y - z) * grad_out
        return diff if self.needs[0] else None, (-diff if self.needs[1] else None)


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
        if self.axis is not None and not self.keepdims:
            grad_out = np.expand_dims(grad_out, self.axis)
        return (np.broadcast_to(grad_out, a.shape),)


class Max(TensorOp):
    """y = max a over ``axis``;  dy/da = 1 at the maximum (shared equally between ties)."""

    __slots__ = ("axis", "keepdims")
    symbol = "max"

    def __init__(self, axis, keepdims: bool) -> None:
        super().__init__()
        self.axis, self.keepdims = axis, keepdims

    def forward(self, a):
        return np.asarray(a.max(axis=self.axis, keepdims=self.keepdims))

    def backward(self, grad_out, out, a):
        if self.axis is not None and not self.keepdims:
            grad_out = np.expand_dims(grad_out, self.axis)
            out = np.expand_dims(out, self.axis)
        mask = a == out
        return (mask * (grad_out / mask.sum(axis=self.axis, keepdims=True)),)


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
    """y = a with axes permuted;  the gradient is permuted back."""

    __slots__ = ("axes",)
    symbol = "T"

    def __init__(self, axes) -> None:
        super().__init__()
        self.axes = axes

    def forward(self, a):
        return np.transpose(a, self.axes)

    def backward(self, grad_out, out, a):
        inverse = None if self.axes is None else tuple(np.argsort(self.axes))
        return (np.transpose(grad_out, inverse),)


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
        grad = np.zeros_like(a)
        np.add.at(grad, self.index, grad_out)
        return (grad,)


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
        bounds = np.cumsum([x.shape[self.axis] for x in inputs])[:-1]
        return tuple(np.split(grad_out, bounds, axis=self.axis))


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
        return (grad_out - np.exp(out) * grad_out.sum(axis=self.axis, keepdims=True),)


# --------------------------------------------------------------------------- Tensor


class Tensor:
    """An n-dimensional array that remembers how it was computed.

    Args:
        data: anything ``numpy.asarray`` takes; integers become float64.
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
        self.grad: np.ndarray | None = None
        self.requires_grad = requires_grad
        self.label = label
        self._prev: tuple = ()
        self._fn = None

    # -- properties ---------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
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
            data = fn.forward(a.data, b.data)
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
        if autograd._GRAD_ENABLED and True in needs:
            fn.needs = needs
            out.requires_grad, out._prev, out._fn = True, parents, fn
            recorder = autograd._RECORDING.recorder
            if recorder is not None:
                recorder.on_forward(out)
        else:
            out.requires_grad, out._prev, out._fn = False, (), None
        return out

    def _lift(self, other: Any) -> Tensor:
        if isinstance(other, Tensor):
            return other
        # NOTE: a Python number keeps this tensor's dtype (float32 stays float32).
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
        if isinstance(other, Tensor):
            # a ** b = exp(b * ln a) for a tensor exponent (a > 0).
            return (other * self.log()).exp()
        if not isinstance(other, (int, float)):
            raise TypeError(f"Tensor ** {type(other).__name__} is not supported")
        return self._node(PowConst(other), self)

    def __rpow__(self, other) -> Tensor:
        return self._lift(other) ** self

    def __matmul__(self, other) -> Tensor:
        return self._node(MatMul(), self, self._lift(other))

    def __rmatmul__(self, other) -> Tensor:
        return self._node(MatMul(), self._lift(other), self)

    def __getitem__(self, index) -> Tensor:
        if isinstance(index, Tensor):
            index = index.data.astype(np.intp)
        return self._node(Index(index), self)

    def exp(self) -> Tensor:
        return self._node(Exp(), self)

    def log(self) -> Tensor:
        return self._node(Log(), self)

    def tanh(self) -> Tensor:
        return self._node(Tanh(), self)

    def sigmoid(self) -> Tensor:
        return self._node(Sigmoid(), self)

    def relu(self) -> Tensor:
        return self._node(Relu(), self)

    def abs(self) -> Tensor:
        return self._node(Abs(), self)

    def clip(self, low: float, high: float) -> Tensor:
        """Values limited to [low, high]; no gradient flows where a value was clipped."""
        return self._node(Clip(low, high), self)

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        return self._node(Sum(axis, keepdims), self)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum divided by the number of elements summed."""
        count = (
            self.data.size
            if axis is None
            else np.prod([self.shape[i] for i in np.atleast_1d(axis)])
        )
        return self.sum(axis, keepdims) * (1.0 / count)

    def max(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        return self._node(Max(axis, keepdims), self)

    def reshape(self, *shape) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._node(Reshape(shape), self)

    def transpose(self, *axes) -> Tensor:
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return self._node(Transpose(axes or None), self)

    @property
    def T(self) -> Tensor:
        return self.transpose()

    def log_softmax(self, axis: int = -1) -> Tensor:
        return self._node(LogSoftmax(axis), self)

    def softmax(self, axis: int = -1) -> Tensor:
        return self.log_softmax(axis).exp()

    # -- autodiff -----------------------------------------------------------------

    def backward(self, grad: Any = None) -> None:
        """Fill ``.grad`` of every tensor with ``requires_grad`` this one depends on.

        Args:
            grad: d(something)/d(self), shaped like self. May be left out only
                when self holds a single element (then it is 1).
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
            grad = _as_array(grad, self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(
                    f"gradient of shape {grad.shape} for a tensor of shape {self.shape}"
                )
        autograd.backward(self, grad)


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

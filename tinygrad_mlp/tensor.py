"""``Tensor``: a numpy array node of the autodiff graph, and its creation helpers.

A layer is one matmul, one add and one activation, so the graph stays small and
numpy does the work. Ops never think about broadcasting: the core
(:func:`tinygrad_mlp.autograd.unbroadcast`) sums each gradient back to its
parent's shape, once, for every edge, and casts it to the parent's dtype.

This module is the front-end: each method picks an op and builds a node. The
rules (each ``backward`` right under its ``forward``, serving every order) live in
:mod:`tinygrad_mlp.ops` by family: :mod:`~tinygrad_mlp.ops.arithmetic`
(element-wise and selection), :mod:`~tinygrad_mlp.ops.reductions`,
:mod:`~tinygrad_mlp.ops.shape` and :mod:`~tinygrad_mlp.ops.fused`; the
element-wise functions are rows of :data:`tinygrad_mlp.elementwise.FUNCTIONS`.
The module is long because ``Tensor`` is torch's tensor API, one method per name,
each a few lines that pick a rule; splitting the class would split that API.

dtypes follow torch's promotion (:func:`result_type`), float64 being the default
float: a Python number takes the tensor's dtype unless it is of a higher category
(bool < integer < float), two tensors give the wider dtype unless one of them is
0-d and of no higher category (then the other's), integer true division gives
float64, and a gradient has its input's dtype. In-place operators (``+=``,
``add_``, ...) change a tensor's own array and bump its version counter, which a
backward checks (see :meth:`Tensor._in_place`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import autograd, elementwise
from tinygrad_mlp.autograd import Op
from tinygrad_mlp.ops._array import TensorOp, reverse, wrap_axes, wrap_axis
from tinygrad_mlp.ops.arithmetic import (
    Add,
    ClampTensor,
    Clip,
    Div,
    Elementwise,
    Exp,
    Extremum,
    Log,
    MaskedFill,
    MatMul,
    Mul,
    Neg,
    Pow,
    PowConst,
    Relu,
    Remainder,
    Sigmoid,
    Sub,
    Tanh,
    Where,
    check_integer_division,
)
from tinygrad_mlp.ops.fused import (  # noqa: F401  (BCE, BCEWithLogits: named here by losses)
    BCE,
    BCEWithLogits,
    HalfSquaredError,
    LogSoftmax,
    MatMulT,
)
from tinygrad_mlp.ops.reductions import Cumprod, Cumsum, Max, Prod, Sum
from tinygrad_mlp.ops.shape import (
    BroadcastTo,
    Cast,
    Concatenate,
    Index,
    Pad,
    Reshape,
    Roll,
    SumTo,
    Tile,
    Transpose,
)

__all__ = ["Tensor", "concatenate", "half_squared_error", "linear"]

_FLOATS = (np.float64, np.float32)
_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))  # the same, as dtypes


def _as_array(data: Any, dtype: Any = None) -> np.ndarray:
    if type(data) is np.ndarray and (dtype is None or data.dtype is dtype):
        if data.dtype in _FLOAT_DTYPES:  # NOTE: the common case: np.asarray(data) is data
            return data
    if isinstance(data, Tensor):
        data = data.data
    arr = np.asarray(data, dtype=dtype)
    if dtype is None and arr.dtype not in _FLOATS and arr.dtype != np.bool_:
        arr = arr.astype(np.float64)
    return arr


# NOTE: torch's categories: a dtype of a higher category wins whatever its width.
_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}
_DEFAULT = {"b": np.dtype(np.bool_), "i": np.dtype(np.int64), "f": np.dtype(np.float64)}


def promote_types(a: Any, b: Any) -> np.dtype:
    """torch's ``promote_types``: the higher category wins, then the wider dtype.

    Unlike numpy, an integer never widens a float: int64 with float32 is float32.

    >>> promote_types(np.int64, np.float32), promote_types(np.bool_, np.int32)
    (dtype('float32'), dtype('int32'))
    """
    a, b = np.dtype(a), np.dtype(b)
    if a == b:
        return a
    rank_a, rank_b = _CATEGORY[a.kind], _CATEGORY[b.kind]
    if rank_a != rank_b:
        return a if rank_a > rank_b else b
    return np.promote_types(a, b)


def result_type(a: np.ndarray, b: np.ndarray) -> np.dtype:
    """torch's result type of two tensors' data (Python numbers arrive as 0-d arrays).

    A 0-d tensor decides the dtype only when its category (bool < integer < float)
    is higher than that of a tensor with dimensions; otherwise the dimensioned one
    decides. Two of the same kind promote (:func:`promote_types`).
    """
    if (a.ndim == 0) != (b.ndim == 0):
        dim, zero = (b, a) if a.ndim == 0 else (a, b)
        if _CATEGORY[zero.dtype.kind] > _CATEGORY[dim.dtype.kind]:
            return promote_types(zero.dtype, dim.dtype)
        return dim.dtype
    return promote_types(a.dtype, b.dtype)


def _promoted(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``a`` and ``b`` cast to their torch result type (unchanged when they agree)."""
    if a.dtype == b.dtype:
        return a, b
    dtype = result_type(a, b)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False)


def _scalar_kind(x: Any) -> str | None:
    """'b', 'i' or 'f' for a Python or numpy number, None for anything else."""
    if isinstance(x, (bool, np.bool_)):
        return "b"
    if isinstance(x, (int, np.integer)):
        return "i"
    if isinstance(x, (float, np.floating)):
        return "f"
    return None


def _num(x: Any) -> Any:
    """The numbers of ``x`` (its data for a Tensor): comparisons and masks read them."""
    return x.data if isinstance(x, Tensor) else x


# --------------------------------------------------------------------------- Tensor


# NOTE: below this size a freed gradient costs the allocator nothing worth saving, and
# the spare's checks would cost a small network's step more than they win.
_SPARE_BYTES = 64 * 1024


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
    __slots__ = (
        "data",
        "grad",
        "requires_grad",
        "label",
        "_prev",
        "_fn",
        "_version",
        "module",
        "_spare",
        "__weakref__",
    )
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
        self._version = 0  # NOTE: torch's version counter: bumped by every in-place change
        self._spare = None  # NOTE: the gradient array zero_grad() set aside (see there)

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

    # -- Python's protocols, as torch's ------------------------------------------------

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        # NOTE: each row is an index node, so gradients flow back through iteration
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            which = "no values" if self.data.size == 0 else "more than one value"
            raise ValueError(f"Boolean value of Tensor with {which} is ambiguous")
        return bool(self.data.item())

    def __float__(self) -> float:
        return float(self._one_element("float"))

    def __int__(self) -> int:
        return int(self._one_element("int"))

    def __index__(self) -> int:
        if self.data.size != 1 or self.data.dtype.kind not in "biu":
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.data.item())

    def _one_element(self, to: str) -> Any:
        if self.data.size != 1:
            raise ValueError(
                f"{to}() needs a tensor with one element, not {self.data.size} (shape {self.shape})"
            )
        return self.data.item()

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
        """Forget the gradient (set it to None, as PyTorch's default).

        An array of 64 KiB or more is kept aside: the next ``backward()`` writes this
        tensor's new gradient into it if nothing else refers to it by then (so a large
        network's step reuses its memory); an array saved before is never written.

        >>> t = Tensor(np.ones(10_000), requires_grad=True)
        >>> (t * t).sum().backward()
        >>> saved = t.grad
        >>> t.zero_grad()
        >>> t.grad is None
        True
        >>> (t * 3).sum().backward()
        >>> float(saved[0]), float(t.grad[0])
        (2.0, 3.0)
        """
        g = self.grad
        if type(g) is np.ndarray and g.nbytes >= _SPARE_BYTES:
            self._spare = g
        self.grad = None

    # -- in-place changes, as torch's ------------------------------------------------

    def _in_place(self, compute: Any, *operands: Any, cast: bool = False) -> Tensor:
        """Write ``compute(self)`` into this tensor's array, as torch's in-place ops do.

        Under ``no_grad`` anything may change. Outside it a leaf that requires grad
        is refused; any other tensor becomes the output of the op (torch records it in
        the graph), computed from a copy of its old values. Every change bumps
        ``_version``, and a backward through an op that saved the old values refuses.
        The result must fit: its shape is this tensor's and its dtype casts to this
        one within its category (an int tensor cannot take floats), unless ``cast``.
        """
        grad_mode = autograd.is_grad_enabled()
        if grad_mode and self.requires_grad and self._fn is None:
            raise RuntimeError(
                "a leaf Variable that requires grad is being used in an in-place operation; "
                "wrap the update in no_grad(), as an optimizer step is"
            )
        record = grad_mode and (
            self.requires_grad or any(getattr(x, "requires_grad", False) for x in operands)
        )
        source = self
        if record:  # NOTE: the op reads the old values, so they are kept in a copy
            source = Tensor.__new__(Tensor)
            source.data, source.grad, source.label = self.data.copy(), None, self.label
            source.requires_grad, source._prev, source._fn = (
                self.requires_grad,
                self._prev,
                self._fn,
            )
            source._version = self._version
        result = compute(source)
        if result.shape != self.shape:
            raise ValueError(
                f"an in-place result of shape {result.shape} does not fit a tensor of "
                f"shape {self.shape}"
            )
        kind, target = result.dtype.kind, self.data.dtype.kind
        if not cast and _CATEGORY[kind] > _CATEGORY[target]:
            raise TypeError(
                f"the result type {result.dtype} can't be cast to this tensor's dtype "
                f"{self.dtype} in place (as in torch)"
            )
        if self.data.flags.writeable:
            np.copyto(self.data, result.data, casting="unsafe")
        else:  # NOTE: a broadcast or read-only array gets an array of its own
            self.data = result.data.astype(self.data.dtype)
        self._version += 1
        autograd.changed_in_place()
        if record and result._fn is not None:
            if result.dtype != self.dtype:
                result = result.astype(self.dtype)
            self.requires_grad, self._prev, self._fn = True, result._prev, result._fn
            self._fn.versions = (self._version, *[p._version for p in self._prev])
        return self

    def add_(self, other: Any, alpha: Any = 1) -> Tensor:
        """self += alpha · other, in place (torch's ``add_``); returns self.

        >>> from tinygrad_mlp import no_grad
        >>> w = Tensor([1.0, 2.0], requires_grad=True)
        >>> with no_grad():
        ...     _ = w.add_(Tensor([1.0, 1.0]), alpha=-0.5)
        >>> w.tolist()
        [0.5, 1.5]
        """
        return self._in_place(lambda t: t + _scaled(t, other, alpha), other)

    def sub_(self, other: Any, alpha: Any = 1) -> Tensor:
        """self −= alpha · other, in place (torch's ``sub_``); returns self."""
        _refuse_bool_subtraction(self, other)
        return self._in_place(lambda t: t - _scaled(t, other, alpha), other)

    def mul_(self, other: Any) -> Tensor:
        """self ×= other, in place (torch's ``mul_``); returns self."""
        return self._in_place(lambda t: t * other, other)

    def div_(self, other: Any, rounding_mode: str | None = None) -> Tensor:
        """self ÷= other, in place (torch's ``div_``; ``rounding_mode`` None or "floor")."""
        if rounding_mode not in (None, "floor"):
            raise ValueError(f"div_() takes rounding_mode None or 'floor', not {rounding_mode!r}")
        if rounding_mode == "floor":
            return self._in_place(lambda t: t // other, other)
        return self._in_place(lambda t: t / other, other)

    def __iadd__(self, other: Any) -> Tensor:
        return self.add_(other)

    def __isub__(self, other: Any) -> Tensor:
        return self.sub_(other)

    def __imul__(self, other: Any) -> Tensor:
        return self.mul_(other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self.div_(other)

    def zero_(self) -> Tensor:
        """Every element set to 0, in place (torch's ``zero_``); returns self."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Tensor:
        """Every element set to ``value`` (a number or a one-element tensor), in place."""
        if isinstance(value, Tensor):
            value = value.item()
        everywhere = np.ones(self.shape, dtype=bool)
        return self._in_place(lambda t: t.masked_fill(everywhere, value), cast=True)

    def copy_(self, src: Any) -> Tensor:
        """``src`` (broadcast to this shape, cast to this dtype) copied in, in place.

        As torch's ``copy_``, any dtype casts; the gradient flows to ``src``.
        """
        source = self._lift(src)

        def copied(t: Tensor) -> Tensor:
            out = source.broadcast_to(t.shape)
            return out.astype(t.dtype) if out.dtype != t.dtype else out.reshape(t.shape)

        return self._in_place(copied, source, cast=True)

    def clamp_(self, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
        """:meth:`clamp` in place (torch's ``clamp_``); returns self."""
        return self._in_place(lambda t: t.clamp(min, max), min, max)

    # -- building nodes -------------------------------------------------------------

    def _node(self, fn: TensorOp, *parents: Tensor) -> Tensor:
        """The node of op ``fn`` on ``parents`` (the graph's one way to make a node)."""
        if len(parents) == 2:
            return _binary(fn, parents[0], parents[1])
        if len(parents) == 1:
            return _unary(fn, parents[0])
        return _link(_result(fn.forward(*[p.data for p in parents])), fn, parents)

    def _apply(self, fn: Op, *inputs: Any) -> Tensor:
        """A node of op ``fn`` on ``inputs`` (arrays and numbers lifted to constants)."""
        return self._node(fn, *[self._lift(x) for x in inputs])

    def _lift(self, other: Any) -> Tensor:
        """``other`` as a tensor for a binary op with this one (torch's wrapped numbers).

        A Python number takes this tensor's dtype unless it is of a higher category
        (a float with an integer or boolean tensor, an int with a boolean one): then
        it is a 0-d tensor of the default dtype of its kind (float64, int64), which
        the result type follows. An array is a tensor of its own dtype.
        """
        if isinstance(other, Tensor):
            return other
        dtype = self.data.dtype
        if type(other) is float and dtype.kind == "f":  # NOTE: the hot path
            return Tensor(np.asarray(other, dtype=dtype))
        if isinstance(other, np.ndarray):
            return Tensor(other, dtype=other.dtype)
        kind = _scalar_kind(other)
        if kind is not None and _CATEGORY[kind] > _CATEGORY[dtype.kind]:
            dtype = _DEFAULT[kind]
        return Tensor(np.asarray(other, dtype=dtype), dtype=dtype)

    def __add__(self, other) -> Tensor:
        return _binary(Add(), self, self._lift(other))

    def __radd__(self, other) -> Tensor:
        return self._node(Add(), self._lift(other), self)

    def __sub__(self, other) -> Tensor:
        if type(other) is not float or self.data.dtype.kind == "b":
            _refuse_bool_subtraction(self, other)
        return _binary(Sub(), self, self._lift(other))

    def __rsub__(self, other) -> Tensor:
        if type(other) is not float or self.data.dtype.kind == "b":
            _refuse_bool_subtraction(self, other)
        return self._node(Sub(), self._lift(other), self)

    def __mul__(self, other) -> Tensor:
        return _binary(Mul(), self, self._lift(other))

    def __rmul__(self, other) -> Tensor:
        return self._node(Mul(), self._lift(other), self)

    def __truediv__(self, other) -> Tensor:
        return self._node(Div(), self, self._lift(other))

    def __rtruediv__(self, other) -> Tensor:
        return self._node(Div(), self._lift(other), self)

    def __neg__(self) -> Tensor:
        return self._node(Neg(), self)

    def __pow__(self, other) -> Tensor:
        if self.data.dtype == np.bool_ and other is True:  # NOTE: torch's pow(x, 1) is a copy
            return Tensor(self.data.copy(), dtype=np.bool_)
        # NOTE: an integer or boolean base goes through Pow, whose operands promote as torch's
        if self.data.dtype.kind == "f" and _scalar_kind(other) in ("i", "f"):
            return self._node(
                PowConst(other.item() if isinstance(other, np.generic) else other), self
            )
        if isinstance(other, (Tensor, np.ndarray)) or _scalar_kind(other) is not None:
            return self._node(Pow(), self, self._lift(other))
        raise TypeError(f"Tensor ** {type(other).__name__} is not supported")

    def __rpow__(self, other) -> Tensor:
        return self._node(Pow(), self._lift(other), self)

    def __matmul__(self, other) -> Tensor:
        return self._node(MatMul(), self, self._lift(other))

    def __rmatmul__(self, other) -> Tensor:
        return self._node(MatMul(), self._lift(other), self)

    def __floordiv__(self, other) -> Tensor:
        """⌊a / b⌋ element-wise, in the promoted dtype; no gradient (torch has none)."""
        return self._constant_op(np.floor_divide, self, self._lift(other))

    def __rfloordiv__(self, other) -> Tensor:
        return self._constant_op(np.floor_divide, self._lift(other), self)

    def __mod__(self, other) -> Tensor:
        return self._node(Remainder(), self, self._lift(other))

    def __rmod__(self, other) -> Tensor:
        return self._node(Remainder(), self._lift(other), self)

    # -- comparisons: boolean tensors outside the graph (masks), as torch's ---------

    @staticmethod
    def _constant_op(ufunc: Any, a: Tensor, b: Tensor) -> Tensor:
        """``ufunc`` on the two tensors' data cast to their result type; no graph."""
        x, y = _promoted(a.data, b.data)
        if ufunc is np.floor_divide:
            check_integer_division(x, y, "//")
        with np.errstate(divide="ignore", invalid="ignore"):
            out = np.asarray(ufunc(x, y))
        return Tensor(out, dtype=out.dtype)

    def __lt__(self, other) -> Tensor:
        return self._constant_op(np.less, self, self._lift(other))

    def __le__(self, other) -> Tensor:
        return self._constant_op(np.less_equal, self, self._lift(other))

    def __gt__(self, other) -> Tensor:
        return self._constant_op(np.greater, self, self._lift(other))

    def __ge__(self, other) -> Tensor:
        return self._constant_op(np.greater_equal, self, self._lift(other))

    def __getitem__(self, index) -> Tensor:
        parts = index if isinstance(index, tuple) else (index,)
        parts = tuple(_as_index(p) for p in parts)
        if _split_advanced_index(parts):
            # NOTE: torch applies the integers first, then the index arrays (numpy would
            # count the integers as index arrays and move the broadcast axes to the front)
            first = _flat(tuple(_skip_array(p) for p in parts))
            second = tuple(_keep_array(p) for p in parts if not _is_int(p))
            return self[first][second]
        index = parts if isinstance(index, tuple) else parts[0]
        return self._node(Index(index), self)

    # -- the core functions: fast twins of rows of the element-wise table ------------

    @elementwise.from_row("exp", twin="tinygrad_mlp.ops.arithmetic.Exp")
    def exp(self) -> Tensor:
        """
        >>> Tensor([0.0, 1.0]).exp().data.round(4).tolist()
        [1.0, 2.7183]
        """
        return _unary(Exp(), self)

    @elementwise.from_row("log", twin="tinygrad_mlp.ops.arithmetic.Log")
    def log(self) -> Tensor:
        return _unary(Log(), self)

    @elementwise.from_row("tanh", twin="tinygrad_mlp.ops.arithmetic.Tanh")
    def tanh(self) -> Tensor:
        return _unary(Tanh(), self)

    @elementwise.from_row("sigmoid", twin="tinygrad_mlp.ops.arithmetic.Sigmoid")
    def sigmoid(self) -> Tensor:
        """
        >>> Tensor([0.0]).sigmoid().data.tolist()
        [0.5]
        """
        return _unary(Sigmoid(), self)

    @elementwise.from_row("relu", twin="tinygrad_mlp.ops.arithmetic.Relu")
    def relu(self) -> Tensor:
        return _unary(Relu(), self)

    def clip(self, low: float, high: float) -> Tensor:
        """Values limited to [low, high]; no gradient flows where a value was clipped."""
        return self._node(Clip(low, high), self)

    def _count(self, axis: Any) -> int:
        """How many elements a reduction over ``axis`` (already checked) takes each time."""
        if axis is None:
            return self.data.size
        return math.prod(self.shape[i] for i in np.atleast_1d(axis).tolist())

    def sum(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None); the gradient is the upstream one broadcast back.

        >>> Tensor([[1.0, 2.0], [3.0, 4.0]]).sum(axis=0).data.tolist()
        [4.0, 6.0]
        """
        return self._node(Sum(wrap_axes(axis, self.ndim), keepdims), self)

    def mean(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Sum divided by the number of elements summed (nan for none, as numpy and torch).

        An integer or boolean tensor gives its float mean, as numpy (torch refuses).
        """
        axis = wrap_axes(axis, self.ndim)
        count = self._count(axis)
        return self.sum(axis, keepdims) * (1.0 / count if count else math.nan)

    def max(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Largest element over ``axis``; the gradient is split evenly between ties (torch.amax).

        >>> Tensor([[1.0, 5.0], [7.0, 2.0]]).max(axis=1).data.tolist()
        [5.0, 7.0]
        """
        return self._node(Max(wrap_axes(axis, self.ndim), keepdims), self)

    def reshape(self, *shape) -> Tensor:
        """The same elements in ``shape`` (a tuple or separate ints; one −1 is inferred).

        >>> Tensor([1.0, 2.0, 3.0, 4.0]).reshape(2, 2).shape
        (2, 2)
        """
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return self._node(Reshape(shape), self)

    def transpose(self, *axes: int) -> Tensor:
        """torch's ``transpose``: ``transpose(a, b)`` swaps axes a and b.

        With no axes every axis is reversed (as :attr:`T` and numpy's ``transpose()``).
        numpy's ``transpose(axes)``, a permutation of every axis, is :meth:`permute`.

        >>> Tensor([[1.0, 2.0, 3.0]]).transpose(0, 1).shape
        (3, 1)
        """
        n = self.ndim
        if not axes:
            return self.permute(tuple(range(n - 1, -1, -1)))
        if len(axes) != 2 or any(isinstance(a, (tuple, list)) for a in axes):
            raise TypeError(
                f"transpose() takes two axes to swap (as torch), not {axes!r}; "
                "permute() takes an order of every axis"
            )
        a, b = wrap_axis(axes[0], n), wrap_axis(axes[1], n)
        order = list(range(n))
        if n:
            order[a], order[b] = order[b], order[a]
        return self._node(Transpose(tuple(order)), self)

    def permute(self, *axes: int) -> Tensor:
        """Axes reordered: axis k of the result is axis ``axes[k]`` (torch's ``permute``,
        numpy's ``transpose(axes)``); a tuple or separate ints, negative from the end.

        >>> Tensor(np.zeros((2, 3, 4))).permute(2, 0, 1).shape
        (4, 2, 3)
        """
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        n = self.ndim
        if len(axes) != n:
            raise ValueError(
                f"permute() needs {n} axes for a tensor of shape {self.shape}, not {len(axes)}"
            )
        order = tuple(wrap_axis(ax, n) for ax in axes)
        if len(set(order)) != len(order):
            raise ValueError(f"axes {axes} repeat an axis of a tensor of shape {self.shape}")
        return self._node(Transpose(order), self)

    def swapaxes(self, axis1: int, axis2: int) -> Tensor:
        """Two axes exchanged (as ``numpy.swapaxes``; the same as :meth:`transpose`)."""
        return self.transpose(axis1, axis2)

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
        axis = wrap_axis(axis, self.ndim)
        if self.ndim == 0:
            return self.reshape((1,)).log_softmax(0).reshape(())
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
        return self._constant_op(np.equal, self, self._lift(other))

    def ne(self, other: Any) -> Tensor:
        """Element-wise a != b as a boolean tensor."""
        return self._constant_op(np.not_equal, self, self._lift(other))

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
        axis = wrap_axes(axis, self.ndim)
        return Tensor(np.any(self.data, axis=axis, keepdims=keepdims))

    def all(self, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Tensor:
        """Whether every element is nonzero (boolean, no gradient)."""
        axis = wrap_axes(axis, self.ndim)
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
        axis = None if axis is None else wrap_axes(int(axis), self.ndim)
        return Tensor(np.argmax(self.data, axis=axis, keepdims=keepdims), dtype=np.int64)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Index of the first smallest element (int64, no gradient)."""
        axis = None if axis is None else wrap_axes(int(axis), self.ndim)
        return Tensor(np.argmin(self.data, axis=axis, keepdims=keepdims), dtype=np.int64)

    def prod(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Product of the elements (over one axis or all); exact gradient at zeros."""
        if axis is not None and not isinstance(axis, int):
            raise TypeError(f"prod() takes one axis (an int) or None, not {axis!r}")
        return self._node(Prod(wrap_axes(axis, self.ndim), keepdims), self)

    def var(
        self, axis: int | tuple[int, ...] | None = None, correction: float = 1, keepdims=False
    ) -> Tensor:
        """Σ (a − mean)² / (N − correction) (torch's default correction is 1)."""
        axis = wrap_axes(axis, self.ndim)
        count = self._count(axis)
        centred = self - self.mean(axis, keepdims=True)
        dof = count - correction
        return (centred * centred).sum(axis, keepdims) * (1.0 / dof if dof > 0 else math.inf)

    def std(
        self, axis: int | tuple[int, ...] | None = None, correction: float = 1, keepdims=False
    ) -> Tensor:
        """√var (see :meth:`var`); the gradient is 0 where the spread is 0, as torch's."""
        var = self.var(wrap_axes(axis, self.ndim), correction, keepdims)
        # NOTE: a constant where var = 0, so the inf of √'s rule at 0 is masked to 0
        return var.masked_fill(var.data == 0, 0.0).sqrt()

    def logsumexp(self, axis: int | tuple[int, ...] | None = None, keepdims=False) -> Tensor:
        """ln Σ e^a, shifted by the (constant) maximum; gradient softmax(a).

        Over an empty axis it is −inf (the log of an empty sum), as torch's.
        """
        axis = wrap_axes(axis, self.ndim)
        with np.errstate(invalid="ignore"):
            # NOTE: `initial` gives an empty axis a maximum of −inf, shifted by 0 below
            shift = np.max(self.data, axis=axis, keepdims=True, initial=-np.inf)
        shift = np.where(np.isinf(shift), 0.0, shift).astype(self.dtype)
        total = (self - shift).exp().sum(axis, keepdims=True).log() + shift
        if keepdims:
            return total
        n = self.ndim
        axes = range(n) if axis is None else set(np.atleast_1d(axis).tolist())
        return total.reshape(tuple(size for i, size in enumerate(self.shape) if i not in axes))

    def cumsum(self, axis: int) -> Tensor:
        """Running sums along ``axis``; gradient the reversed running sums (0-d stays 0-d)."""
        axis = wrap_axis(axis, self.ndim)
        if self.ndim == 0:
            return self.reshape((1,)).cumsum(0).reshape(())
        return self._node(Cumsum(axis), self)

    def cumprod(self, axis: int) -> Tensor:
        """Running products along ``axis`` (see :class:`Cumprod` for zeros; 0-d stays 0-d)."""
        axis = wrap_axis(axis, self.ndim)
        if self.ndim == 0:
            return self.reshape((1,)).cumprod(0).reshape(())
        return self._node(Cumprod(axis), self)

    # -- shape ------------------------------------------------------------------------

    def squeeze(self, axis: int | tuple[int, ...] | None = None) -> Tensor:
        """Size-1 axes removed (only those in ``axis`` when given, as torch: others stay)."""
        if axis is None:
            shape = tuple(n for n in self.shape if n != 1)
        else:
            axes = wrap_axes(tuple(np.atleast_1d(axis).tolist()), self.ndim) or ()
            shape = tuple(n for i, n in enumerate(self.shape) if not (i in axes and n == 1))
        return self.reshape(shape)

    def unsqueeze(self, axis: int) -> Tensor:
        """A size-1 axis inserted at ``axis`` (negative counts from the new end)."""
        axis = wrap_axis(axis, self.ndim + 1)
        return self.reshape(self.shape[:axis] + (1,) + self.shape[axis:])

    def flatten(self, start_axis: int = 0, end_axis: int = -1) -> Tensor:
        """Axes start..end merged into one (torch's ``flatten``)."""
        start, end = wrap_axis(start_axis, self.ndim), wrap_axis(end_axis, self.ndim)
        if start > end:
            raise ValueError(f"flatten() has start axis {start_axis} after end axis {end_axis}")
        if self.ndim == 0:
            return self.reshape((1,))
        merged = math.prod(self.shape[start : end + 1])
        return self.reshape(self.shape[:start] + (merged,) + self.shape[end + 1 :])

    def unflatten(self, axis: int, sizes: Sequence[int]) -> Tensor:
        """Axis ``axis`` split into ``sizes`` (one may be −1)."""
        axis = wrap_axis(axis, self.ndim)
        if self.ndim == 0:
            raise ValueError("unflatten() needs a tensor with at least one axis")
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

    def flip(self, axis: int | Sequence[int]) -> Tensor:
        """Reversed along each axis in ``axis`` (an axis named twice is an error, as torch)."""
        axes = wrap_axes(tuple(np.atleast_1d(axis).tolist()), self.ndim)
        if not axes:  # NOTE: a 0-d tensor or no axis: a new tensor all the same, as torch's
            return self.reshape(self.shape)
        out = self
        for a in axes:
            out = reverse(out, a)
        return out

    def roll(self, shifts: int | Sequence[int], axis: int | Sequence[int] | None = None) -> Tensor:
        """Shifted cyclically (flattened first when ``axis`` is None, as torch)."""
        if axis is None:
            shift = np.atleast_1d(shifts).tolist()
            if len(shift) != 1:
                raise ValueError(f"roll() without an axis takes one shift, not {shifts!r}")
            return self._node(Roll(int(shift[0]), None), self)
        shifts = tuple(int(s) for s in np.atleast_1d(shifts))
        if self.ndim == 0:  # NOTE: torch's words for an axis of a 0-d tensor here
            raise IndexError(
                f"Dimension specified as {np.atleast_1d(axis)[0]} but tensor has no dimensions"
            )
        axes = tuple(wrap_axis(a, self.ndim) for a in np.atleast_1d(axis).tolist())
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
        axis1, axis2 = wrap_axis(axis1, n), wrap_axis(axis2, n)
        if n < 2:
            raise ValueError(f"diagonal() needs two axes, not a tensor of shape {self.shape}")
        if axis1 == axis2:
            raise ValueError(f"diagonal() needs two different axes, not {axis1} twice")
        rest = [i for i in range(n) if i not in (axis1, axis2)]
        moved = self.permute(rest + [axis1, axis2])
        rows, cols = moved.shape[-2:]
        start_r, start_c = max(-offset, 0), max(offset, 0)
        length = max(min(rows - start_r, cols - start_c), 0)
        r = np.arange(length) + start_r
        c = np.arange(length) + start_c
        return moved[(Ellipsis, r, c)]

    def pad(self, widths: Sequence[int], value: float = 0.0) -> Tensor:
        """Constant padding, torch style: (left, right) of the last axis first, then the next.

        A negative width crops that many elements, as torch's.

        >>> Tensor([1.0, 2.0, 3.0]).pad((1, -2)).tolist()
        [0.0, 1.0]
        """
        widths = tuple(int(w) for w in widths)
        if len(widths) % 2 or len(widths) > 2 * self.ndim:
            raise ValueError(f"pad widths {widths} do not fit a tensor of shape {self.shape}")
        pairs = [(0, 0)] * self.ndim
        for k in range(len(widths) // 2):
            pairs[self.ndim - 1 - k] = (widths[2 * k], widths[2 * k + 1])
        for (lo, hi), n in zip(pairs, self.shape, strict=True):
            if n + lo + hi < 0:
                raise ValueError(f"pad widths {widths} crop more than the shape {self.shape} holds")
        out = self
        if any(lo < 0 or hi < 0 for lo, hi in pairs):
            sizes = zip(pairs, self.shape, strict=True)
            crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for (lo, hi), n in sizes)
            out = self[crop]
        grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pairs)
        if not any(lo or hi for lo, hi in grow):
            return out if out is not self else self.reshape(self.shape)
        return out._node(Pad(grow, value), out)

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
            shape, dtype = self.data.shape, self.data.dtype
            # NOTE: np.ones_like(self.data); a 0-d one is made the quicker way
            grad = np.ones(shape, dtype) if shape else np.array(1, dtype)
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


# --------------------------------------------------------------------------- nodes
# NOTE: the hot path of the engine. _binary and _unary are Tensor._node for two and one
# parents, written out (every op of a training step goes through one of them); _result
# and _link are its two halves for any number of parents, and the rare cases of those.

_new = Tensor.__new__


def _result(data: Any) -> Tensor:
    """A tensor of an op's result, not yet linked into the graph."""
    out = _new(Tensor)
    # NOTE: numpy returns a scalar, not an array, for 0-d arithmetic.
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._version = 0
    return out


def _link(out: Tensor, fn: TensorOp, parents: tuple) -> Tensor:
    """``out`` made a node of ``fn`` on ``parents`` if the mode and the parents want a
    graph (telling a recorder, keeping versions), a constant otherwise."""
    needs = tuple(p.requires_grad for p in parents)
    mode = autograd._MODE
    if mode is None:
        mode = autograd.mode()
    if mode and True in needs:
        fn.needs = needs
        out.requires_grad, out._prev, out._fn = True, parents, fn
        if autograd._CHANGED_IN_PLACE:  # NOTE: until a first in-place op, all are 0
            fn.versions = (0, *[p._version for p in parents])
        if mode is not True:
            mode.on_forward(out)
    else:
        out.requires_grad, out._prev, out._fn = False, (), None
    return out


def _binary(fn: TensorOp, a: Tensor, b: Tensor) -> Tensor:
    """``a._node(fn, a, b)``: the node of a two-input op (see _result and _link)."""
    a_data, b_data = a.data, b.data
    if a_data.dtype is not b_data.dtype and a_data.dtype != b_data.dtype:
        # NOTE: as torch, both are cast to the result type, then computed
        dtype = result_type(a_data, b_data)
        a_data, b_data = a_data.astype(dtype, copy=False), b_data.astype(dtype, copy=False)
    data = fn.forward(a_data, b_data)
    out = _new(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._version = 0
    need_a, need_b = a.requires_grad, b.requires_grad
    if (need_a or need_b) and autograd._MODE is True and not autograd._CHANGED_IN_PLACE:
        fn.needs = (need_a, need_b)
        out.requires_grad = True
        out._prev = (a, b)
        out._fn = fn
        return out
    return _link(out, fn, (a, b))


def _unary(fn: TensorOp, a: Tensor) -> Tensor:
    """``a._node(fn, a)``: the node of a one-input op (see _result and _link)."""
    data = fn.forward(a.data)
    out = _new(Tensor)
    out.data = data if type(data) is np.ndarray else np.asarray(data)
    out.grad = None
    out.label = ""
    out._version = 0
    if a.requires_grad and autograd._MODE is True and not autograd._CHANGED_IN_PLACE:
        fn.needs = (True,)
        out.requires_grad = True
        out._prev = (a,)
        out._fn = fn
        return out
    return _link(out, fn, (a,))


def _scaled(t: Tensor, other: Any, alpha: Any) -> Any:
    """alpha · other for ``add_``/``sub_``, in other's dtype as torch's (alpha is no operand)."""
    if alpha == 1:
        return other
    lifted = t._lift(other)
    dtype = result_type(t.data, lifted.data)
    if dtype.kind != "f" and _scalar_kind(alpha) == "f":
        raise TypeError("for integer or boolean tensors alpha must not be a float (as in torch)")
    if lifted.dtype != dtype:
        lifted = lifted.cast(dtype)
    scaled = lifted * alpha
    return scaled if scaled.dtype == dtype else scaled.cast(dtype)


def _refuse_bool_subtraction(a: Tensor, b: Any) -> None:
    """Refuse ``-`` with a boolean operand, as torch does (``~`` inverts a mask)."""
    if (
        a.data.dtype == np.bool_
        or _scalar_kind(b) == "b"
        or (isinstance(b, (Tensor, np.ndarray)) and np.dtype(b.dtype) == np.bool_)
    ):
        raise TypeError(
            "subtraction with a boolean tensor or bool is not supported (as in torch); "
            "use ~ or logical_not() to invert a mask"
        )


def _is_int(p: Any) -> bool:
    return isinstance(p, (int, np.integer)) and not isinstance(p, (bool, np.bool_))


def _is_array(p: Any) -> bool:
    return isinstance(p, list) or (isinstance(p, np.ndarray) and p.ndim > 0)


def _split_advanced_index(parts: tuple) -> bool:
    """Whether an integer and an index array are separated by a slice (numpy and torch differ).

    numpy counts an integer as an advanced index and moves the broadcast
    dimensions to the front when advanced indices are not adjacent: for x of shape
    (2, 3, 4), ``x[0, :, [0, 1]]`` is (2, 3) in numpy and (3, 2) in torch, which
    takes the integer first. Such an index is applied in two steps, as torch's.
    """
    where = [k for k, p in enumerate(parts) if _is_int(p) or _is_array(p)]
    if not any(_is_int(parts[k]) for k in where) or not any(_is_array(parts[k]) for k in where):
        return False
    return max(where) - min(where) + 1 != len(where)


def _skip_array(p: Any) -> Any:
    """Step one of a split index: index arrays keep their axes whole."""
    if not _is_array(p):
        return p
    mask = np.asarray(p)
    return (slice(None),) * mask.ndim if mask.dtype == np.bool_ else slice(None)


def _keep_array(p: Any) -> Any:
    """Step two of a split index: slices and new axes are done, index arrays remain."""
    if _is_array(p) or p is Ellipsis:
        return p
    return slice(None)


def _flat(parts: tuple) -> tuple:
    """``parts`` with the tuples that :func:`_skip_array` made spliced in."""
    out: list = []
    for p in parts:
        out.extend(p if isinstance(p, tuple) else (p,))
    return tuple(out)


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
    return _binary(HalfSquaredError(), y, z)


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x Wᵀ + b, as PyTorch's ``F.linear``: weight (out, in), bias (out,), x (..., in).

    >>> linear(Tensor([[1.0, 2.0]]), Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])).tolist()
    [[1.0, 2.0, 3.0]]
    """
    if x.shape[-1] != weight.shape[-1]:
        raise ValueError(f"input of shape {x.shape} for a weight of shape {weight.shape}")
    return _linear(x, weight, bias)


def _linear(x: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
    """:func:`linear` once its caller has checked the shapes: the x Wᵀ node, then + b
    (the node ``out + bias`` makes, without the operator's dispatch)."""
    out = _binary(MatMulT(), x, weight)
    return out if bias is None else _binary(Add(), out, bias)


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis (as ``numpy.concatenate``)."""
    tensors = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("concatenate() needs at least one tensor")
    if any(t.ndim == 0 for t in tensors):
        raise ValueError("a 0-d tensor cannot be concatenated; stack() joins them")
    axis = wrap_axis(axis, tensors[0].ndim)
    return tensors[0]._node(Concatenate(axis), *tensors)

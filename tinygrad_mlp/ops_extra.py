"""The wider set of ops as functions, constructors, and the losses built on them.

Every element-wise function and activation of :class:`~tinygrad_mlp.Tensor` is
here as a function of a ``Tensor`` or a ``Value`` (``sin(x)``, ``gelu(x,
approximate="tanh")``), with torch's names and defaults; so are selection
(:func:`where`, :func:`maximum`, :func:`clamp`), joining (:func:`stack`),
constructors (:func:`zeros`, :func:`arange`, :func:`randn`, ...) and :func:`one_hot`.
torch's losses (``nll_loss``, ``cross_entropy``, ``huber_loss``, ``smooth_l1_loss``,
``l1_loss``) live in :mod:`tinygrad_mlp.losses` and are re-exported here, the same
function objects, for the code that found them here.

:mod:`tinygrad_mlp.functional` offers everything in ``__all__`` under the same names.

Each op's math, derivative and singular points are listed in ``docs/ops.md``.

>>> x = Tensor([-1.0, 0.0, 2.0], requires_grad=True)
>>> leaky_relu(x, 0.1).sum().backward()
>>> x.grad.tolist()
[0.1, 0.1, 1.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp.losses import cross_entropy, huber_loss, l1_loss, nll_loss, smooth_l1_loss
from tinygrad_mlp.ops._array import wrap_axis
from tinygrad_mlp.tensor import Tensor, concatenate
from tinygrad_mlp.value import Value

__all__ = [
    "ACTIVATION_FUNCTIONS",
    "acos",
    "acosh",
    "arange",
    "asin",
    "asinh",
    "atan",
    "atanh",
    "celu",
    "clamp",
    "cos",
    "cosh",
    "cross_entropy",
    "elu",
    "exp2",
    "eye",
    "full",
    "full_like",
    "gelu",
    "hardsigmoid",
    "hardtanh",
    "huber_loss",
    "l1_loss",
    "leaky_relu",
    "lerp",
    "linspace",
    "log2",
    "logsumexp",
    "maximum",
    "minimum",
    "nll_loss",
    "one_hot",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randn",
    "randn_like",
    "rsqrt",
    "silu",
    "sin",
    "sinh",
    "smooth_l1_loss",
    "softplus",
    "softsign",
    "sqrt",
    "stack",
    "tan",
    "where",
    "zeros",
    "zeros_like",
]

Node = Any  # a Tensor or a Value


# --------------------------------------------------------------------------- element-wise


def sqrt(x: Node) -> Node:
    """√x;  d/dx = 1 / (2√x) (inf at 0, nan below)."""
    return x.sqrt()


def rsqrt(x: Node) -> Node:
    """1/√x;  d/dx = −x^(−3/2) / 2."""
    return x.rsqrt()


def sin(x: Node) -> Node:
    """sin x;  d/dx = cos x."""
    return x.sin()


def cos(x: Node) -> Node:
    """cos x;  d/dx = −sin x."""
    return x.cos()


def tan(x: Node) -> Node:
    """tan x;  d/dx = 1 + tan² x."""
    return x.tan()


def sinh(x: Node) -> Node:
    """sinh x;  d/dx = cosh x."""
    return x.sinh()


def cosh(x: Node) -> Node:
    """cosh x;  d/dx = sinh x."""
    return x.cosh()


def asin(x: Node) -> Node:
    """asin x;  d/dx = 1/√(1 − x²)."""
    return x.asin()


def acos(x: Node) -> Node:
    """acos x;  d/dx = −1/√(1 − x²)."""
    return x.acos()


def atan(x: Node) -> Node:
    """atan x;  d/dx = 1/(1 + x²)."""
    return x.atan()


def asinh(x: Node) -> Node:
    """asinh x;  d/dx = 1/√(x² + 1)."""
    return x.asinh()


def acosh(x: Node) -> Node:
    """acosh x;  d/dx = 1/√(x² − 1)."""
    return x.acosh()


def atanh(x: Node) -> Node:
    """atanh x;  d/dx = 1/(1 − x²)."""
    return x.atanh()


def log2(x: Node) -> Node:
    """log₂ x;  d/dx = 1/(x ln 2)."""
    return x.log2()


def exp2(x: Node) -> Node:
    """2^x;  d/dx = 2^x ln 2."""
    return x.exp2()


def lerp(start: Tensor, end: Any, weight: Any) -> Tensor:
    """start + weight (end − start);  gradients 1 − w, w and end − start.

    >>> lerp(Tensor([0.0]), Tensor([10.0]), 0.25).tolist()
    [2.5]
    """
    return start.lerp(end, weight)


# --------------------------------------------------------------------------- activations


def leaky_relu(x: Node, negative_slope: float = 0.01) -> Node:
    """x (x > 0), slope·x (else);  d/dx = 1 or slope (slope at 0, as torch)."""
    return x.leaky_relu(negative_slope)


def elu(x: Node, alpha: float = 1.0) -> Node:
    """x (x > 0), α(eˣ − 1) (else);  d/dx = 1 or α eˣ."""
    return x.elu(alpha)


def celu(x: Node, alpha: float = 1.0) -> Node:
    """x (x > 0), α(e^(x/α) − 1) (else);  d/dx = 1 or e^(x/α)."""
    return x.celu(alpha)


def gelu(x: Node, approximate: str = "none") -> Node:
    """x Φ(x) (``approximate="tanh"``: ½x(1 + tanh(√(2/π)(x + 0.044715x³))))."""
    return x.gelu(approximate)


def silu(x: Node) -> Node:
    """x σ(x);  d/dx = σ(x)(1 + x(1 − σ(x)))."""
    return x.silu()


def softplus(x: Node, beta: float = 1.0, threshold: float = 20.0) -> Node:
    """ln(1 + e^(βx))/β (x where βx > threshold);  d/dx = σ(βx) (1 there)."""
    return x.softplus(beta, threshold)


def softsign(x: Node) -> Node:
    """x / (1 + |x|);  d/dx = 1/(1 + |x|)²."""
    return x.softsign()


def hardtanh(x: Node, min_val: float = -1.0, max_val: float = 1.0) -> Node:
    """x clipped to [min, max];  d/dx = 1 strictly inside, 0 elsewhere."""
    return x.hardtanh(min_val, max_val)


def hardsigmoid(x: Node) -> Node:
    """min(max(x + 3, 0), 6)/6;  d/dx = 1/6 on (−3, 3), else 0."""
    return x.hardsigmoid()


#: the activations above by name (for code that picks one from a string)
ACTIVATION_FUNCTIONS = {
    "leaky_relu": leaky_relu,
    "elu": elu,
    "celu": celu,
    "gelu": gelu,
    "gelu_tanh": lambda x: gelu(x, "tanh"),
    "silu": silu,
    "softplus": softplus,
    "softsign": softsign,
    "hardtanh": hardtanh,
    "hardsigmoid": hardsigmoid,
}


# --------------------------------------------------------------------------- selection


def _tensor(x: Any, like: Tensor | None = None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return like._lift(x) if like is not None else Tensor(x)


def where(condition: Any, x: Any, y: Any) -> Tensor:
    """x where ``condition`` holds, y elsewhere;  gradients masked by the condition.

    >>> where(Tensor([True, False]), Tensor([1.0, 2.0]), 0.0).tolist()
    [1.0, 0.0]
    """
    x = _tensor(x, y if isinstance(y, Tensor) else None)
    return x.where(condition, y)


def maximum(a: Any, b: Any) -> Tensor:
    """Element-wise max (nan wins);  the gradient goes to the larger, halved at ties.

    >>> maximum(Value(2.0), 3.0).data
    3.0
    """
    if isinstance(a, Value):
        return a.maximum(b)
    if isinstance(b, Value):
        return Value(a).maximum(b)
    return _tensor(a, b if isinstance(b, Tensor) else None).maximum(b)


def minimum(a: Any, b: Any) -> Tensor:
    """Element-wise min (nan wins);  the gradient goes to the smaller, halved at ties."""
    if isinstance(a, Value):
        return a.minimum(b)
    if isinstance(b, Value):
        return Value(a).minimum(b)
    return _tensor(a, b if isinstance(b, Tensor) else None).minimum(b)


def clamp(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """x limited to [min, max] (numbers or Tensors);  see :meth:`Tensor.clamp`."""
    return x.clamp(min, max)


def logsumexp(x: Tensor, axis: Any = None, keepdims: bool = False) -> Tensor:
    """ln Σ eˣ over ``axis``, computed shifted;  gradient softmax(x)."""
    return x.logsumexp(axis, keepdims)


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Tensors of one shape joined along a new axis (torch's ``stack``).

    >>> stack([Tensor([1.0, 2.0]), Tensor([3.0, 4.0])], axis=1).tolist()
    [[1.0, 3.0], [2.0, 4.0]]
    """
    tensors = [_tensor(t) for t in tensors]
    if not tensors:
        raise ValueError("stack() needs at least one tensor")
    shape = tensors[0].shape
    for k, t in enumerate(tensors):
        if t.shape != shape:
            raise ValueError(f"stack(): tensor {k} has shape {t.shape}, tensor 0 has {shape}")
    axis = wrap_axis(axis, len(shape) + 1)
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis)


# --------------------------------------------------------------------------- constructors


def _shape(size: tuple) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    return tuple(int(n) for n in size)


def zeros(*size: int, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of zeros.

    >>> zeros(2, 3).shape
    (2, 3)
    """
    return Tensor(np.zeros(_shape(size), dtype=dtype), requires_grad, dtype=dtype)


def ones(*size: int, dtype: Any = np.float64, requires_grad: bool = False) -> Tensor:
    """A tensor of ones."""
    return Tensor(np.ones(_shape(size), dtype=dtype), requires_grad, dtype=dtype)


def full(size: Sequence[int], fill_value: Any, dtype: Any = None, requires_grad=False) -> Tensor:
    """A tensor of ``fill_value`` (float64 for a float, int64 for an int, bool for a bool)."""
    if dtype is None:
        dtype = (
            np.bool_
            if isinstance(fill_value, bool)
            else np.int64
            if isinstance(fill_value, int)
            else np.float64
        )
    return Tensor(np.full(tuple(size), fill_value, dtype=dtype), requires_grad, dtype=dtype)


def zeros_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    """Zeros of ``x``'s shape and dtype."""
    return Tensor(np.zeros_like(x.data), requires_grad, dtype=x.dtype)


def ones_like(x: Tensor, requires_grad: bool = False) -> Tensor:
    """Ones of ``x``'s shape and dtype."""
    return Tensor(np.ones_like(x.data), requires_grad, dtype=x.dtype)


def full_like(x: Tensor, fill_value: float, requires_grad: bool = False) -> Tensor:
    """``fill_value`` in ``x``'s shape and dtype."""
    return Tensor(np.full_like(x.data, fill_value), requires_grad, dtype=x.dtype)


def arange(start: float, end: float | None = None, step: float = 1, dtype: Any = None) -> Tensor:
    """start, start + step, ... below end (int64 when all are ints, as torch).

    >>> arange(3).tolist(), arange(3).dtype
    ([0, 1, 2], dtype('int64'))
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = np.int64 if ints else np.float64
    return Tensor(np.arange(start, end, step, dtype=dtype), dtype=dtype)


def linspace(start: float, end: float, steps: int, dtype: Any = np.float64) -> Tensor:
    """``steps`` evenly spaced numbers from start to end, both included."""
    return Tensor(np.linspace(start, end, int(steps), dtype=dtype), dtype=dtype)


def eye(n: int, m: int | None = None, dtype: Any = np.float64) -> Tensor:
    """The n × m identity (ones on the diagonal)."""
    return Tensor(np.eye(n, m, dtype=dtype), dtype=dtype)


def _rng(generator: Any) -> np.random.Generator:
    """A numpy Generator from a Generator, a seed or None (fresh entropy)."""
    if isinstance(generator, np.random.Generator):
        return generator
    if generator is None or isinstance(generator, (int, np.integer)):
        return np.random.default_rng(generator)
    raise TypeError(f"generator must be a numpy Generator or an int seed, not {generator!r}")


def rand(*size: int, generator: Any = None, dtype: Any = np.float64, requires_grad=False) -> Tensor:
    """Uniform numbers in [0, 1); ``generator`` a numpy Generator or an int seed.

    >>> bool((rand(3, generator=0).numpy() == rand(3, generator=0).numpy()).all())
    True
    """
    data = _rng(generator).random(_shape(size)).astype(dtype)
    return Tensor(data, requires_grad, dtype=dtype)


def randn(
    *size: int, generator: Any = None, dtype: Any = np.float64, requires_grad=False
) -> Tensor:
    """Standard normal numbers; ``generator`` a numpy Generator or an int seed."""
    data = _rng(generator).standard_normal(_shape(size)).astype(dtype)
    return Tensor(data, requires_grad, dtype=dtype)


def rand_like(x: Tensor, generator: Any = None) -> Tensor:
    """:func:`rand` of ``x``'s shape and dtype."""
    return rand(x.shape, generator=generator, dtype=x.dtype)


def randn_like(x: Tensor, generator: Any = None) -> Tensor:
    """:func:`randn` of ``x``'s shape and dtype."""
    return randn(x.shape, generator=generator, dtype=x.dtype)


# --------------------------------------------------------------------------- labels


def one_hot(labels: Any, num_classes: int = -1) -> Tensor:
    """Integer labels as rows of 0/1 (int64), as torch's ``one_hot``.

    >>> one_hot(Tensor([0, 2], dtype=np.int64)).tolist()
    [[1, 0, 0], [0, 0, 1]]
    """
    data = np.asarray(labels.data if isinstance(labels, Tensor) else labels)
    if data.dtype.kind not in "iu":
        raise TypeError(f"one_hot needs integer labels, not {data.dtype}")
    if num_classes < 0:
        num_classes = int(data.max()) + 1 if data.size else 0
    if data.size and (data.min() < 0 or data.max() >= num_classes):
        raise ValueError(f"one_hot labels must lie in 0..{num_classes - 1}")
    return Tensor(np.eye(num_classes, dtype=np.int64)[data], dtype=np.int64)

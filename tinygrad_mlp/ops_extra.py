"""The wider set of ops as functions, constructors, and the losses built on them.

Every element-wise function and activation of :class:`~tinygrad_mlp.Tensor` is
here as a function of a ``Tensor`` or a ``Value`` (``sin(x)``, ``gelu(x,
approximate="tanh")``), with torch's names and defaults; so are selection
(:func:`where`, :func:`maximum`, :func:`clamp`), joining (:func:`stack`),
constructors (:func:`zeros`, :func:`arange`, :func:`randn`, ...) and the losses
:func:`nll_loss`, :func:`cross_entropy` (class indices or probabilities,
``label_smoothing``, ``ignore_index``), :func:`one_hot`, :func:`huber_loss`,
:func:`smooth_l1_loss` and :func:`l1_loss`.

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
    return concatenate([t.unsqueeze(axis) for t in tensors], axis=axis % (len(shape) + 1))


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


# --------------------------------------------------------------------------- losses


def _reduce(loss: Tensor, reduction: str, weight_sum: Tensor | float | None = None) -> Tensor:
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


def _labels(target: Any, n: int, classes: int, ignore_index: int) -> np.ndarray:
    labels = np.asarray(target.data if isinstance(target, Tensor) else target)
    if labels.shape != (n,):
        raise ValueError(f"class labels of shape {labels.shape} for {n} samples")
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind != "f" or not np.all(labels == np.round(labels)):
            raise ValueError("class labels must be whole numbers")
        labels = labels.astype(np.int64)
    valid = labels != ignore_index
    if np.any(valid & ((labels < 0) | (labels >= classes))):
        raise ValueError(f"class labels must lie in 0..{classes - 1} (or be ignore_index)")
    return labels


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


def nll_loss(
    log_probs: Tensor, target: Any, reduction: str = "mean", ignore_index: int = -100
) -> Tensor:
    """−log_probs[i, target_i], averaged over the samples not ignored (as torch).

    ``log_probs`` is (n, classes); a target equal to ``ignore_index`` adds nothing.
    """
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss takes (n, classes) log-probabilities, not {log_probs.shape}")
    n, classes = log_probs.shape
    labels = _labels(target, n, classes, ignore_index)
    valid = labels != ignore_index
    picked = -log_probs[np.arange(n), np.where(valid, labels, 0)]
    loss = picked.masked_fill(~valid, 0.0)
    return _reduce(loss, reduction, float(valid.sum()))


def cross_entropy(
    logits: Tensor,
    target: Any,
    reduction: str = "mean",
    ignore_index: int = -100,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Softmax cross-entropy as torch's: class-index or class-probability targets.

    With index targets (n,), ``ignore_index`` skips samples and the mean is over
    the rest; with probability targets (n, classes) (a float array), the loss is
    −Σ_c p_c log softmax(logits)_c. ``label_smoothing`` ε mixes each target with
    the uniform distribution: (1 − ε) target + ε / classes.

    >>> round(cross_entropy(Tensor([[0.0, 0.0]]), [1], label_smoothing=0.2).item(), 6)
    0.693147
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy takes (n, classes) logits, not {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], not {label_smoothing}")
    n, classes = logits.shape
    logp = logits.log_softmax(axis=1)
    data = np.asarray(target.data if isinstance(target, Tensor) else target)
    if data.ndim == 2:  # class probabilities
        if data.shape != logits.shape:
            raise ValueError(f"probability targets of shape {data.shape} for {logits.shape}")
        probs = target if isinstance(target, Tensor) else Tensor(data.astype(logits.dtype))
        if label_smoothing:
            probs = probs * (1.0 - label_smoothing) + label_smoothing / classes
        return _reduce(-(logp * probs).sum(axis=1), reduction)
    labels = _labels(data, n, classes, ignore_index)
    valid = labels != ignore_index
    nll = -logp[np.arange(n), np.where(valid, labels, 0)]
    if label_smoothing:
        smooth = -logp.sum(axis=1) * (1.0 / classes)
        nll = nll * (1.0 - label_smoothing) + smooth * label_smoothing
    loss = nll.masked_fill(~valid, 0.0)
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

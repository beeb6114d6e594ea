"""Weight initialisation, as ``torch.nn.init``: fill a parameter in place from a seeded generator.

For a weight of shape (fan_out, fan_in) (``nn.Linear``'s layout):

============================  =====================================  ===================
function                      distribution                           variance
============================  =====================================  ===================
``uniform_(t, -1, 1)``        U[−1, 1] (the cheat sheet's choice)    1/3
``torch_linear_(w, fan_in)``  U(±1/√fan_in) (``nn.Linear``'s)        1/(3·fan_in)
``kaiming_normal_``           N(0, 2/fan_in) (He et al., 2015)       2/fan_in
``kaiming_uniform_``          U(±√(6/fan_in))                        2/fan_in
``xavier_uniform_``           U(±√(6/(fan_in+fan_out))) (Glorot)     2/(fan_in+fan_out)
``xavier_normal_``            N(0, 2/(fan_in+fan_out))               2/(fan_in+fan_out)
============================  =====================================  ===================

The gains are torch's defaults: ``kaiming_*`` with ``nonlinearity="relu"`` (gain √2,
``mode="fan_in"``), ``xavier_*`` with gain 1. Every function takes ``seed``, an int or a
``numpy.random.Generator`` (pass one generator to draw several tensors in turn), and
returns the tensor it filled. Library code never touches numpy's global random state.

``INITS`` names the schemes ``Linear(init=...)`` and ``MLP(init=...)`` take; see
:func:`linear_parameters`.

>>> import numpy as np
>>> w = kaiming_normal_(np.zeros((2, 3)), seed=0)
>>> w.shape
(2, 3)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = [
    "INITS",
    "fans",
    "kaiming_normal_",
    "kaiming_uniform_",
    "linear_parameters",
    "normal_",
    "torch_linear_",
    "uniform_",
    "xavier_normal_",
    "xavier_uniform_",
    "zeros_",
]

#: Schemes for ``init=``: "uniform" U[−1, 1] (weights and biases, the cheat sheet's);
#: "torch" U(±1/√fan_in) (weights and biases, PyTorch's ``nn.Linear``); "kaiming"
#: N(0, 2/fan_in) weights and zero biases; "xavier" U(±√(6/(fan_in+fan_out))) weights and
#: zero biases.
INITS: tuple[str, ...] = ("uniform", "torch", "kaiming", "xavier")


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _array(t: Any) -> np.ndarray:
    """The array to fill: a Tensor's ``.data`` or the ndarray itself."""
    data = t if isinstance(t, np.ndarray) else getattr(t, "data", None)
    if not isinstance(data, np.ndarray):
        raise TypeError(f"init functions fill a Tensor or numpy array, got {type(t).__name__}")
    return data


def fans(shape: tuple[int, ...]) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight shaped (out, in, *kernel), as torch computes them.

    >>> fans((3, 2))
    (2, 3)
    """
    if len(shape) < 2:
        raise ValueError(f"fan in and fan out need a weight of 2 or more dimensions, got {shape}")
    field = math.prod(shape[2:])
    return shape[1] * field, shape[0] * field


def uniform_(t: Any, low: float = -1.0, high: float = 1.0, seed=None) -> Any:
    """Fill with U[low, high] (variance (high − low)²/12)."""
    a = _array(t)
    a[...] = _rng(seed).uniform(low, high, a.shape)
    return t


def normal_(t: Any, mean: float = 0.0, std: float = 1.0, seed=None) -> Any:
    """Fill with N(mean, std²)."""
    a = _array(t)
    a[...] = _rng(seed).normal(mean, std, a.shape)
    return t


def zeros_(t: Any) -> Any:
    """Fill with 0."""
    _array(t)[...] = 0.0
    return t


def torch_linear_(t: Any, fan_in: int, seed=None) -> Any:
    """Fill with U(±1/√fan_in), PyTorch's ``nn.Linear`` default for weight and bias."""
    bound = 1.0 / math.sqrt(fan_in)
    return uniform_(t, -bound, bound, seed)


def kaiming_normal_(t: Any, seed=None) -> Any:
    """He init: N(0, 2/fan_in), for ReLU layers (torch's ``kaiming_normal_`` default)."""
    fan_in, _ = fans(_array(t).shape)
    return normal_(t, 0.0, math.sqrt(2.0 / fan_in), seed)


def kaiming_uniform_(t: Any, seed=None) -> Any:
    """He init, uniform: U(±√(6/fan_in)), variance 2/fan_in."""
    fan_in, _ = fans(_array(t).shape)
    bound = math.sqrt(6.0 / fan_in)
    return uniform_(t, -bound, bound, seed)


def xavier_uniform_(t: Any, seed=None) -> Any:
    """Glorot init: U(±√(6/(fan_in+fan_out))), variance 2/(fan_in+fan_out)."""
    fan_in, fan_out = fans(_array(t).shape)
    bound = math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(t, -bound, bound, seed)


def xavier_normal_(t: Any, seed=None) -> Any:
    """Glorot init, normal: N(0, 2/(fan_in+fan_out))."""
    fan_in, fan_out = fans(_array(t).shape)
    return normal_(t, 0.0, math.sqrt(2.0 / (fan_in + fan_out)), seed)


def linear_parameters(
    init: str, nin: int, nout: int, bias: bool = True, seed=None
) -> tuple[np.ndarray, np.ndarray | None]:
    """A fresh (nout, nin) weight and (nout,) bias for scheme ``init`` (one of :data:`INITS`).

    The weight is drawn first, then the bias, from the same generator, so a seeded
    ``MLP`` draws layer 0's weight, layer 0's bias, layer 1's weight, ... in turn.

    >>> w, b = linear_parameters("kaiming", 3, 2, seed=0)
    >>> w.shape, b.tolist()
    ((2, 3), [0.0, 0.0])
    """
    if init not in INITS:
        raise ValueError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    rng = _rng(seed)
    weight = np.empty((nout, nin))
    b = np.zeros(nout) if bias else None
    if init == "uniform":
        uniform_(weight, -1.0, 1.0, rng)
        if b is not None:
            uniform_(b, -1.0, 1.0, rng)
    elif init == "torch":
        torch_linear_(weight, nin, rng)
        if b is not None:
            torch_linear_(b, nin, rng)
    elif init == "kaiming":
        kaiming_normal_(weight, rng)
    else:
        xavier_uniform_(weight, rng)
    return weight, b

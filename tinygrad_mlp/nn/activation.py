"""The element-wise activation modules, one per name of the vocabulary.

:data:`ACTIVATION_MODULES` maps each name of :data:`tinygrad_mlp.names.ACTIVATIONS` to
the module that applies it; an activation added to the vocabulary and forgotten here
fails at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn.module import Module
from tinygrad_mlp.nn.vectors import _activate

__all__ = [
    "ACTIVATION_MODULES",
    "CELU",
    "ELU",
    "GELU",
    "Hardsigmoid",
    "Hardtanh",
    "Identity",
    "LeakyReLU",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softplus",
    "Softsign",
    "Tanh",
    "activation_module",
]


class _Activation(Module):
    """An element-wise activation, on a Tensor, a Value or a vector of Values."""

    activation = "linear"

    def forward(self, x: Any) -> Any:
        return _activate(x, self.activation)


class Sigmoid(_Activation):
    """σ(s) = 1 / (1 + e^−s), element by element.

    >>> Sigmoid()([0.0])[0].data
    0.5
    """

    activation = "sigmoid"


class Tanh(_Activation):
    """tanh(s), element by element."""

    activation = "tanh"


class ReLU(_Activation):
    """max(0, s), element by element (relu'(0) = 0, as torch)."""

    activation = "relu"


class Identity(_Activation):
    """The input, unchanged (the sheet's "linear" activation)."""

    activation = "linear"


class LeakyReLU(_Activation):
    """s (s > 0), 0.01·s (else), element by element (torch's default slope)."""

    activation = "leaky_relu"


class ELU(_Activation):
    """s (s > 0), e^s − 1 (else), element by element (α = 1)."""

    activation = "elu"


class CELU(_Activation):
    """s (s > 0), α(e^(s/α) − 1) (else) with α = 1, element by element."""

    activation = "celu"


class GELU(_Activation):
    """s Φ(s) with Φ the normal distribution function; ``approximate="tanh"`` uses
    ½s(1 + tanh(√(2/π)(s + 0.044715 s³))), as torch.

    Args:
        approximate: ``"none"`` (the erf form, activation ``gelu``) or ``"tanh"``
            (activation ``gelu_tanh``).

    >>> GELU("tanh").activation
    'gelu_tanh'
    """

    def __init__(self, approximate: str = "none") -> None:
        forms = {"none": "gelu", "tanh": "gelu_tanh"}
        if approximate not in forms:
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.activation = forms[approximate]

    def extra_repr(self) -> str:
        """``approximate=...`` for ``repr``, as torch's GELU shows it."""
        return f"approximate={self.approximate!r}"


class SiLU(_Activation):
    """s σ(s) (swish), element by element."""

    activation = "silu"


class Softplus(_Activation):
    """ln(1 + e^s) (s when s > 20), element by element (β = 1, threshold 20)."""

    activation = "softplus"


class Softsign(_Activation):
    """s / (1 + |s|), element by element."""

    activation = "softsign"


class Hardtanh(_Activation):
    """min(max(s, −1), 1), element by element."""

    activation = "hardtanh"


class Hardsigmoid(_Activation):
    """min(max(s + 3, 0), 6) / 6, element by element."""

    activation = "hardsigmoid"


#: The module that applies each activation of the vocabulary (an MLP's ``linear``
#: layer gets none in a Sequential; ``Identity`` is its module elsewhere).
ACTIVATION_MODULES: dict[str, Callable[[], _Activation]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "linear": Identity,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "celu": CELU,
    "gelu": GELU,
    "gelu_tanh": lambda: GELU("tanh"),
    "silu": SiLU,
    "softplus": Softplus,
    "softsign": Softsign,
    "hardtanh": Hardtanh,
    "hardsigmoid": Hardsigmoid,
}
_missing = sorted(set(ACTIVATIONS) - set(ACTIVATION_MODULES))
if _missing:  # NOTE: not an assert: it must fail under python -O too
    raise ImportError(f"activations {_missing} have no module in tinygrad_mlp.nn.activation")
#: The module classes of the table (an MLP-shaped Sequential holds only these).
ACTIVATION_TYPES = frozenset(type(make()) for make in ACTIVATION_MODULES.values())


def activation_module(name: str) -> _Activation:
    """A new module applying activation ``name`` (canonical), or one ValueError saying why.

    >>> activation_module("gelu_tanh")
    GELU(approximate='tanh')
    """
    make = ACTIVATION_MODULES.get(name)
    if make is None:
        raise ValueError(
            f"activation {name!r} has no module in tinygrad_mlp.nn; add one to "
            "ACTIVATION_MODULES in tinygrad_mlp/nn/activation.py"
        )
    return make()

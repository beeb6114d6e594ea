"""The one vocabulary of activation and loss names.

Every part of the project that takes such a name (the engines' losses, the δ
witness, training, model files, the command line) reads it here, so a name added
in one place cannot be missing in another. This module imports nothing of the
project and no numpy: the δ witness may read it and stay independent.

>>> activation_name("identity")
'linear'
>>> loss_name("ce")
'cross_entropy'
"""

from __future__ import annotations

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "LOSSES",
    "LOSS_ALIASES",
    "activation_name",
    "loss_name",
]

#: Canonical activation names, in the order help texts list them.
ACTIVATIONS: tuple[str, ...] = (
    "sigmoid",
    "tanh",
    "relu",
    "linear",
    # torch's defaults: leaky_relu slope 0.01, elu/celu alpha 1, softplus beta 1 and
    # threshold 20, hardtanh [-1, 1]; gelu is the exact (erf) form, gelu_tanh torch's
    # approximate="tanh"
    "leaky_relu",
    "elu",
    "celu",
    "gelu",
    "gelu_tanh",
    "silu",
    "softplus",
    "softsign",
    "hardtanh",
    "hardsigmoid",
)

#: Other spellings people use, mapped to the canonical name.
ACTIVATION_ALIASES: dict[str, str] = {
    "identity": "linear",
    "none": "linear",
    "logistic": "sigmoid",
    "swish": "silu",
}

#: Canonical loss names: ``mse`` is the sheet's ½-sum, ``mse_mean`` torch's MSELoss,
#: ``bce`` takes probabilities, ``bce_with_logits`` raw scores, ``cross_entropy`` logits
#: against class indices.
LOSSES: tuple[str, ...] = ("mse", "mse_mean", "bce", "bce_with_logits", "cross_entropy")

LOSS_ALIASES: dict[str, str] = {
    "bce_logits": "bce_with_logits",
    "ce": "cross_entropy",
}


def _canonical(name: object, names: tuple[str, ...], aliases: dict[str, str], what: str) -> str:
    if isinstance(name, str):
        key = name.strip().lower()
        if key in names:
            return key
        if key in aliases:
            return aliases[key]
    choices = ", ".join(names)
    raise ValueError(f"unknown {what} {name!r}; choose one of {choices}")


def activation_name(name: object) -> str:
    """The canonical name of an activation, or one ValueError naming the choices."""
    return _canonical(name, ACTIVATIONS, ACTIVATION_ALIASES, "activation")


def loss_name(name: object) -> str:
    """The canonical name of a loss, or one ValueError naming the choices."""
    return _canonical(name, LOSSES, LOSS_ALIASES, "loss")

"""The one vocabulary of activation and loss names, with the facts of each.

Every part of the project that takes such a name (the engines' losses, the δ
witness, explain, playback, training, model files, the command line, ONNX and the
torch bridge) reads it here, so a name added in one place cannot be missing in
another: each per-name table elsewhere derives from this registry or asserts at
import that it covers it (:func:`require_cover`). This module imports nothing of
the project and no numpy: the δ witness may read it and stay independent.

One record per name: :class:`Activation` (aliases, kinks, output range, the sheet's
derivative as a template, torch's and ONNX's names) and :class:`Loss` (what the word
means on a model and in a model file).

>>> activation_name("identity")
'linear'
>>> loss_name("ce")
'cross_entropy'
>>> ACTIVATION_FACTS["sigmoid"].derivative_text()
'a(1 - a)'
>>> ACTIVATION_FACTS["relu"].derivative_text(s="sh[0][1]")
'[sh[0][1] > 0]'
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_ALIASES",
    "ACTIVATION_FACTS",
    "LOSSES",
    "LOSS_ALIASES",
    "LOSS_FACTS",
    "MODEL_LOSSES",
    "MODEL_TRAINS",
    "Activation",
    "Loss",
    "activation_facts",
    "activation_name",
    "loss_facts",
    "loss_name",
    "require_cover",
]

_INF = math.inf


@dataclass(frozen=True)
class Activation:
    """The facts of one activation f, as every part of the project should read them.

    Attributes:
        name: the canonical name.
        aliases: other spellings that mean it.
        kinks: the points s where f' or f'' jumps (finite differences straddling one
            are not a witness there).
        low, high: the range of f (``-inf``/``inf`` where unbounded; for gelu and silu
            the minimum, rounded down).
        derivative: f'(s) as the sheet writes it, a template with ``{a}`` (the output
            f(s)) and ``{s}`` (the weighted sum), plain text.
        derivative_tex: the same in LaTeX.
        torch_module: the ``torch.nn`` module computing f, with ``torch_kwargs``.
        torch_functional: the ``torch.nn.functional`` (or ``torch``) function, with
            ``torch_kwargs``; None where there is none (linear).
        torch_kwargs: torch's parameters that make f ours (torch's defaults), as pairs.
        onnx_op: the single ONNX operator computing f, or None where f is exported as a
            composition (or, for linear, as no node).
    """

    name: str
    derivative: str
    derivative_tex: str
    torch_module: str
    torch_functional: str | None
    onnx_op: str | None
    low: float = -_INF
    high: float = _INF
    kinks: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()
    torch_kwargs: tuple[tuple[str, object], ...] = ()

    def derivative_text(self, a: str = "a", s: str = "s", tex: bool = False) -> str:
        """f'(s) as the sheet writes it, with the output named ``a`` and the sum ``s``.

        >>> ACTIVATION_FACTS["tanh"].derivative_text(a="yo[0]")
        '1 - yo[0]²'
        >>> ACTIVATION_FACTS["tanh"].derivative_text(tex=True)
        '1 - a^2'
        """
        return (self.derivative_tex if tex else self.derivative).format(a=a, s=s)


@dataclass(frozen=True)
class Loss:
    """The facts of one loss word.

    Attributes:
        name: the canonical name.
        takes: what the loss reads of a model's output: ``"outputs"``, ``"probabilities"``,
            ``"logits"`` or ``"class indices"`` (of logits).
        on_model: what the word means on a network (which outputs it reads, what is fused).
        in_file: what the word means as a model file's ``loss``; None where a file cannot
            carry it.
        file_word: the word a model file writes for it (``ce`` for cross_entropy), or None.
        trains: for a word a model file carries, the loss training computes on the
            network's last-layer outputs (``bce`` trains ``bce_with_logits`` of the logits,
            the sigmoid folded in); None for the others.
        aliases: other spellings that mean it.
        torch_module: torch's loss module computing it (with ``torch_kwargs``), or None
            where torch has none (the sheet's ½-sum).
    """

    name: str
    takes: str
    on_model: str
    in_file: str | None = None
    file_word: str | None = None
    trains: str | None = None
    aliases: tuple[str, ...] = ()
    torch_module: str | None = None
    torch_kwargs: tuple[tuple[str, object], ...] = ()


# NOTE: torch's defaults throughout: leaky_relu slope 0.01, elu/celu α = 1, softplus β = 1
# and threshold 20, hardtanh [-1, 1]; gelu is the exact (erf) form, gelu_tanh torch's
# approximate="tanh". Φ and φ are the normal cdf and density, [·] is 1 where true.
_ACTIVATION_RECORDS: tuple[Activation, ...] = (
    Activation(
        "sigmoid", "{a}(1 - {a})", "{a}(1 - {a})", "Sigmoid", "torch.sigmoid", "Sigmoid",
        low=0.0, high=1.0, aliases=("logistic",),
    ),
    Activation(
        "tanh", "1 - {a}²", "1 - {a}^2", "Tanh", "torch.tanh", "Tanh", low=-1.0, high=1.0
    ),
    Activation(
        "relu", "[{s} > 0]", "[{s} > 0]", "ReLU", "torch.nn.functional.relu", "Relu",
        low=0.0, kinks=(0.0,),
    ),
    Activation("linear", "1", "1", "Identity", None, None, aliases=("identity", "none")),
    Activation(
        "leaky_relu", "[{s} > 0] + 0.01·[{s} ≤ 0]", r"[{s} > 0] + 0.01\,[{s} \le 0]",
        "LeakyReLU", "torch.nn.functional.leaky_relu", "LeakyRelu",
        kinks=(0.0,), torch_kwargs=(("negative_slope", 0.01),),
    ),
    Activation(
        "elu", "[{s} > 0] + e^{s}·[{s} ≤ 0]", r"[{s} > 0] + e^{{{s}}}\,[{s} \le 0]",
        "ELU", "torch.nn.functional.elu", "Elu", low=-1.0, kinks=(0.0,),
        torch_kwargs=(("alpha", 1.0),),
    ),
    Activation(
        "celu", "[{s} > 0] + e^{s}·[{s} ≤ 0]", r"[{s} > 0] + e^{{{s}}}\,[{s} \le 0]",
        "CELU", "torch.nn.functional.celu", "Celu", low=-1.0, kinks=(0.0,),
        torch_kwargs=(("alpha", 1.0),),
    ),
    Activation(
        "gelu", "Φ({s}) + {s}·φ({s})", r"\Phi({s}) + {s}\,\varphi({s})",
        "GELU", "torch.nn.functional.gelu", "Gelu", low=-0.17,
        torch_kwargs=(("approximate", "none"),),
    ),
    Activation(
        "gelu_tanh",
        "½(1 + t) + ½{s}(1 - t²)·k(1 + 0.134145{s}²), t = tanh(k({s} + 0.044715{s}³)), k = √(2/π)",
        r"\tfrac12(1 + t) + \tfrac12 {s}(1 - t^2)\,k(1 + 0.134145\,{s}^2),"
        r"\ t = \tanh(k({s} + 0.044715\,{s}^3)),\ k = \sqrt{{2/\pi}}",
        "GELU", "torch.nn.functional.gelu", None, low=-0.17,
        torch_kwargs=(("approximate", "tanh"),),
    ),
    Activation(
        "silu", "σ({s})(1 + {s}(1 - σ({s})))", r"\sigma({s})(1 + {s}(1 - \sigma({s})))",
        "SiLU", "torch.nn.functional.silu", None, low=-0.28, aliases=("swish",),
    ),
    Activation(
        "softplus", "σ({s}) (1 past {s} = 20)", r"\sigma({s})\ (1 \text{{ past }} {s} = 20)",
        "Softplus", "torch.nn.functional.softplus", None, low=0.0,
        torch_kwargs=(("beta", 1.0), ("threshold", 20.0)),
    ),
    Activation(
        "softsign", "1/(1 + |{s}|)²", r"\frac{{1}}{{(1 + |{s}|)^2}}",
        "Softsign", "torch.nn.functional.softsign", "Softsign", low=-1.0, high=1.0,
    ),
    Activation(
        "hardtanh", "[-1 < {s} < 1]", "[-1 < {s} < 1]",
        "Hardtanh", "torch.nn.functional.hardtanh", None, low=-1.0, high=1.0,
        kinks=(-1.0, 1.0), torch_kwargs=(("min_val", -1.0), ("max_val", 1.0)),
    ),
    Activation(
        "hardsigmoid", "[-3 < {s} < 3]/6", r"\tfrac16\,[-3 < {s} < 3]",
        "Hardsigmoid", "torch.nn.functional.hardsigmoid", "HardSigmoid", low=0.0, high=1.0,
        kinks=(-3.0, 3.0),
    ),
)  # fmt: skip

_LOSS_RECORDS: tuple[Loss, ...] = (
    Loss(
        "mse",
        "outputs",
        "the sheet's ½ Σ (y − z)² over every output and sample, on the outputs y",
        in_file="a regression model: the outputs are the values, in data units after "
        "undoing the normalization",
        file_word="mse",
        trains="mse",
        torch_module="MSELoss",
        torch_kwargs=(("reduction", "sum"),),  # NOTE: torch's sum is twice the sheet's ½-sum
    ),
    Loss(
        "mse_mean",
        "outputs",
        "torch's MSELoss: the mean of (y − z)² over every element",
        torch_module="MSELoss",
    ),
    Loss(
        "bce",
        "probabilities",
        "binary cross-entropy of probabilities y, the mean over every element; on a "
        "network whose output is a sigmoid it is computed fused from the logits s "
        "(bce_with_logits of s: the same value and gradient, finite where σ(s) rounds to "
        "0 or 1)",
        in_file="a model of 0/1 columns whose last layer gives logits s and whose "
        "probabilities are σ(s): training computes bce_with_logits of s, the same value "
        "and gradient as bce of σ(s)",
        file_word="bce",
        trains="bce_with_logits",
        torch_module="BCELoss",
    ),
    Loss(
        "bce_with_logits",
        "logits",
        "binary cross-entropy of the logits y (the sigmoid folded in), the mean over every element",
        aliases=("bce_logits",),
        torch_module="BCEWithLogitsLoss",
    ),
    Loss(
        "cross_entropy",
        "class indices",
        "softmax cross-entropy of the logits y against integer class indices, the mean "
        "over the samples",
        in_file="a classifier: the last layer gives one logit per class, its probabilities "
        "are their softmax",
        file_word="ce",
        trains="cross_entropy",
        aliases=("ce",),
        torch_module="CrossEntropyLoss",
    ),
)

#: Every activation's record, by canonical name, in the order help texts list them.
ACTIVATION_FACTS: dict[str, Activation] = {a.name: a for a in _ACTIVATION_RECORDS}
#: Every loss's record, by canonical name.
LOSS_FACTS: dict[str, Loss] = {x.name: x for x in _LOSS_RECORDS}

#: Canonical activation names, in the order help texts list them.
ACTIVATIONS: tuple[str, ...] = tuple(ACTIVATION_FACTS)

#: Other spellings people use, mapped to the canonical name.
ACTIVATION_ALIASES: dict[str, str] = {
    alias: a.name for a in _ACTIVATION_RECORDS for alias in a.aliases
}

#: Canonical loss names: ``mse`` is the sheet's ½-sum, ``mse_mean`` torch's MSELoss,
#: ``bce`` takes probabilities, ``bce_with_logits`` raw scores, ``cross_entropy`` logits
#: against class indices.
LOSSES: tuple[str, ...] = tuple(LOSS_FACTS)

LOSS_ALIASES: dict[str, str] = {alias: x.name for x in _LOSS_RECORDS for alias in x.aliases}

#: The loss words a model file (and training) uses: ``("mse", "bce", "ce")``.
MODEL_LOSSES: tuple[str, ...] = tuple(x.file_word for x in _LOSS_RECORDS if x.file_word)

#: What each model-loss word trains on the network's last-layer outputs (one meaning per word).
MODEL_TRAINS: dict[str, str] = {
    x.file_word: x.trains for x in _LOSS_RECORDS if x.file_word and x.trains
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


def activation_facts(name: object) -> Activation:
    """The record of activation ``name`` (or an alias).

    >>> activation_facts("swish").torch_module
    'SiLU'
    """
    return ACTIVATION_FACTS[activation_name(name)]


def loss_facts(name: object) -> Loss:
    """The record of loss ``name`` (or an alias).

    >>> loss_facts("ce").file_word
    'ce'
    """
    return LOSS_FACTS[loss_name(name)]


def require_cover(table: Iterable[str], vocabulary: Iterable[str], what: str) -> None:
    """Fail at import when a per-name ``table`` misses a name of the ``vocabulary``.

    Args:
        table: the names a table knows (a dict's keys, say).
        vocabulary: the names it must know (``ACTIVATIONS`` or ``LOSSES``).
        what: the table, for the message (``"backprop's derivatives"``).

    >>> require_cover({"a": 1}, ("a", "b"), "a table")
    Traceback (most recent call last):
    ...
    AssertionError: a table misses 'b' of the vocabulary in tinygrad_mlp.names
    """
    missing = [n for n in vocabulary if n not in set(table)]
    if missing:
        listed = ", ".join(repr(n) for n in missing)
        raise AssertionError(f"{what} misses {listed} of the vocabulary in tinygrad_mlp.names")

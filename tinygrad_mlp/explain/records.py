"""The records of a trace: what was computed, one record per step the sheet writes.

A record holds the numbers; how it reads is :mod:`tinygrad_mlp.explain.render`'s.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from tinygrad_mlp.explain.formulas import g
from tinygrad_mlp.explain.render import formatter

__all__ = [
    "Activation",
    "Delta",
    "Gradient",
    "Inputs",
    "Loss",
    "Record",
    "Step",
    "Trace",
    "WeightedSum",
]

# -- records: what was computed ----------------------------------------------------------

FORWARD = "Forward pass"
LOSS = "Loss"
BACKWARD = "Backward pass: error signals"
GRADIENTS = "Gradients"


@dataclass(frozen=True)
class Inputs:
    """The sample's inputs x[i], as the network sees them, and the columns they come from."""

    values: tuple[float, ...]
    names: tuple[str, ...] | None = None
    section: ClassVar[str] = FORWARD


@dataclass(frozen=True)
class WeightedSum:
    """s = Σ_i a_i w_i + b for one node: ``name`` is e.g. ``sh[0][1]`` or ``so[0]``."""

    name: str
    inputs: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    value: float
    section: ClassVar[str] = FORWARD


@dataclass(frozen=True)
class Activation:
    """a = f(s) for one node: ``name`` is e.g. ``ah[0][1]`` or ``yo[0]``."""

    name: str
    function: str
    s: float
    value: float
    section: ClassVar[str] = FORWARD


@dataclass(frozen=True)
class Loss:
    """L for the sample: ``loss`` is its canonical name, ``y`` the outputs, ``z`` the targets."""

    loss: str
    y: tuple[float, ...]
    z: tuple[float, ...]
    value: float
    section: ClassVar[str] = LOSS


@dataclass(frozen=True)
class Delta:
    """One error signal δ and the numbers of its formula.

    ``rule`` says which formula: ``"mse"`` (the sheet's f'(s)(y − z)), ``"mse_mean"``
    (f'(s)·2(y − z)/N), ``"bce"`` (f'(s)(y − z)/(y(1 − y))/N), ``"logistic"``
    ((σ(s) − z)/N: a sigmoid folded into bce, or bce_with_logits on a linear output),
    ``"softmax"`` ((softmax(s) − z)/N), ``"logistic_chain"`` and ``"softmax_chain"``
    (f'(s)·(p − z)/N: a logit loss on the outputs of another activation, p = σ(y) or
    softmax(y)) for an output node, ``"hidden"`` (f'(s) Σ_k w[k][j] δ[k]) for a hidden one.
    """

    name: str
    rule: str
    activation: str
    fprime: float
    value: float
    y: float | None = None
    z: float | None = None
    p: float | None = None
    count: int = 1
    node: int = 0
    next_name: str = ""
    next_weights: tuple[float, ...] = ()
    next_deltas: tuple[float, ...] = ()
    section: ClassVar[str] = BACKWARD


@dataclass(frozen=True)
class Gradient:
    """∂L/∂θ = δ · a (a weight) or δ (a bias, ``input_name`` None)."""

    parameter: str
    delta_name: str
    delta: float
    input_name: str | None
    input: float | None
    value: float
    section: ClassVar[str] = GRADIENTS


@dataclass(frozen=True)
class Step:
    """θ ← θ − η ∂L/∂θ for one parameter."""

    parameter: str
    old: float
    eta: float
    grad: float
    new: float

    @property
    def section(self) -> str:
        """The heading of the step's section; it names the learning rate η.

        >>> Step("wo[0][0]", old=1.0, eta=0.5, grad=0.2, new=0.9).section
        'Gradient descent step, η = 0.5'
        """
        return f"Gradient descent step, η = {g(self.eta)}"


Record = Inputs | WeightedSum | Activation | Loss | Delta | Gradient | Step


@dataclass
class Trace:
    """The records of one trace, in order, and the numbers they hold by name."""

    records: list[Record] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)

    def add(self, record: Record) -> None:
        """Append ``record`` and file its value under its name in :attr:`numbers`.

        Names are ``sh[0][1]``, ``δo[0]`` and the like, ``L`` for the loss, ``∂L/∂w`` for a
        gradient and ``new w`` for a stepped weight; inputs add no number.

        >>> t = Trace()
        >>> t.add(Step("wo[0][0]", old=1.0, eta=0.5, grad=0.2, new=0.9))
        >>> t.numbers
        {'new wo[0][0]': 0.9}
        """
        self.records.append(record)
        key = _number_key(record)
        if key is not None:
            self.numbers[key[0]] = float(key[1])

    def render(self, fmt: str = "text") -> str:
        """The trace written by the formatter ``fmt`` ("text" or "markdown")."""
        return formatter(fmt).trace(self)

    def to_dicts(self) -> list[dict[str, Any]]:
        """Plain data, one dict per record, with its ``kind`` and ``section``."""
        return [
            {"kind": type(r).__name__, "section": r.section, **_plain(asdict(r))}
            for r in self.records
        ]


def _plain(data: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in data.items()}


def _number_key(record: Record) -> tuple[str, float] | None:
    if isinstance(record, (WeightedSum, Activation, Delta)):
        return record.name, record.value
    if isinstance(record, Loss):
        return "L", record.value
    if isinstance(record, Gradient):
        return f"∂L/∂{record.parameter}", record.value
    if isinstance(record, Step):
        return f"new {record.parameter}", record.new
    return None

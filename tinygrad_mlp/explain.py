"""A step-by-step numeric trace of one forward and backward pass, as the sheet writes it.

:func:`explain` makes *records*, one per step the sheet writes: the inputs, every
weighted sum with its terms, each activation, the loss, each error signal δ with the
numbers of its formula, each gradient and each weight after one gradient-descent
step. The numbers come from :mod:`tinygrad_mlp.backprop` (the δ formulas), which the
cross-check holds against both autodiff engines.

Two formatters write the records: :class:`TextFormatter` (plain text, the default)
and :class:`MarkdownFormatter` (Markdown with LaTeX math, to paste into notes). A
record says what was computed; a formatter says how it reads, once per kind of record.

>>> from tinygrad_mlp.seed import seed_network
>>> trace = explain(seed_network(), [1.0, 1.0], [1.0])
>>> round([r for r in trace.records if isinstance(r, Delta)][0].value, 9)
-0.124244816
>>> print(trace.render().splitlines()[3])
  sh[0][0] = (1·-0.5) + (1·-1) + 0.5 = -1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.names import activation_name, loss_name
from tinygrad_mlp.nn import MLP, as_mlp

__all__ = [
    "Activation",
    "Delta",
    "Gradient",
    "Inputs",
    "Loss",
    "MarkdownFormatter",
    "Step",
    "TextFormatter",
    "Trace",
    "WeightedSum",
    "explain",
    "formatter",
    "g",
    "training_table",
]

#: f'(s) of each activation as the sheet writes it: (text, LaTeX).
DERIVATIVES = {
    "sigmoid": ("a(1 - a)", r"a(1 - a)"),
    "tanh": ("1 - a²", r"1 - a^2"),
    "relu": ("[s > 0]", r"[s > 0]"),
    "linear": ("1", "1"),
}


def g(v: float) -> str:
    """A number to 9 significant digits, with no "-0"."""
    return f"{float(v) + 0.0:.9g}"


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


# -- formatters: how records read --------------------------------------------------------


def _tex(name: str) -> str:
    """``wh[0][1][2]`` as LaTeX: ``wh_{[0][1][2]}``; δ as ``\\delta``."""
    base, _, rest = name.partition("[")
    base = base.replace("δ", r"\delta ")
    return f"{base}_{{[{rest}}}" if rest else base


class TextFormatter:
    """Plain text: a heading underlined with dashes per section, one indented line per record."""

    def trace(self, trace: Trace) -> str:
        """The whole trace: a heading wherever the section changes, then one item per record.

        Returns:
            The text, ending in one newline.
        """
        out: list[str] = []
        section = None
        for record in trace.records:
            if record.section != section:
                section = record.section
                out.extend(([""] if out else []) + self.heading(section))
            out.append(self.item(self.record(record)))
        return "\n".join(out).strip() + "\n"

    def heading(self, title: str) -> list[str]:
        """A section heading as lines: the title underlined with dashes.

        >>> TextFormatter().heading("Loss")
        ['Loss', '----']
        """
        return [title, "-" * len(title)]

    def item(self, text: str) -> str:
        """One record's line, indented two spaces."""
        return f"  {text}"

    def note(self, text: str) -> str:
        """A remark set apart from the records (a warning, a caveat), marked with ``!``."""
        return f"  ! {text}"

    def table(self, headers: list[str], rows: list[list[str]]) -> str:
        """A right-aligned, space-separated table, indented two spaces.

        Args:
            headers: the column titles.
            rows: the cells as strings, each row as long as ``headers``.

        >>> print(TextFormatter().table(["epoch", "L"], [["1", "0.25"], ["10", "0.1"]]))
          epoch     L
              1  0.25
             10   0.1
        """
        widths = [max(len(c) for c in col) for col in zip(headers, *rows, strict=True)]
        lines = ["  " + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
        lines += [
            "  " + "  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in rows
        ]
        return "\n".join(lines)

    def record(self, r: Record) -> str:
        """One record as one line."""
        return getattr(self, f"_{type(r).__name__.lower()}")(r)

    def _inputs(self, r: Inputs) -> str:
        text = "inputs: " + ", ".join(f"x[{i}] = {g(v)}" for i, v in enumerate(r.values))
        if r.names:
            text += "\n  (" + ", ".join(f"x[{i}] is {n}" for i, n in enumerate(r.names)) + ")"
        return text

    def _weightedsum(self, r: WeightedSum) -> str:
        terms = " + ".join(f"({g(a)}·{g(w)})" for a, w in zip(r.inputs, r.weights, strict=True))
        return f"{r.name} = {terms} + {g(r.bias)} = {g(r.value)}"

    def _activation(self, r: Activation) -> str:
        return f"{r.name} = {r.function}({g(r.s)}) = {g(r.value)}"

    def _loss(self, r: Loss) -> str:
        if r.loss == "mse":
            parts = " + ".join(f"({g(y)} - {g(z)})²" for y, z in zip(r.y, r.z, strict=True))
            return f"L = ½ Σ (yo - z)² = ½ [{parts}] = {g(r.value)}"
        return f"L ({r.loss}) = {g(r.value)}"

    def _delta(self, r: Delta) -> str:
        deriv = DERIVATIVES[r.activation][0]
        head = f"{r.name} = "
        if r.rule == "mse":
            return (
                head + f"f'(s)(yo - z) = {deriv}·(yo - z) = "
                f"{g(r.fprime)}·({g(r.y)} - {g(r.z)}) = {g(r.value)}"
            )
        if r.rule == "mse_mean":
            return (
                head + f"f'(s)·2(yo - z)/N = {deriv}·2(yo - z)/N = "
                f"{g(r.fprime)}·2·({g(r.y)} - {g(r.z)})/{r.count} = {g(r.value)}"
            )
        if r.rule == "bce":
            return (
                head + f"f'(s)·(yo - z)/(yo(1 - yo))/N = {g(r.fprime)}·({g(r.y)} - {g(r.z)})"
                f"/({g(r.y)}·(1 - {g(r.y)}))/{r.count} = {g(r.value)}"
            )
        if r.rule in ("logistic", "softmax"):
            p = "σ(s)" if r.rule == "logistic" else "softmax(s)"
            return head + f"({p} - z)/N = ({g(r.p)} - {g(r.z)})/{r.count} = {g(r.value)}"
        if r.rule in ("logistic_chain", "softmax_chain"):
            p = "σ(yo)" if r.rule == "logistic_chain" else "softmax(yo)"
            return (
                head + f"f'(s)·({p} - z)/N = {deriv}·({p} - z)/N = "
                f"{g(r.fprime)}·({g(r.p)} - {g(r.z)})/{r.count} = {g(r.value)}"
            )
        terms = " + ".join(
            f"({g(w)}·{g(d)})" for w, d in zip(r.next_weights, r.next_deltas, strict=True)
        )
        return (
            head + f"f'(s)·Σ_k w[k][{r.node}]·{r.next_name}[k] = {deriv}·Σ = "
            f"{g(r.fprime)}·[{terms}] = {g(r.value)}"
        )

    def _gradient(self, r: Gradient) -> str:
        if r.input_name is None:
            return f"∂L/∂{r.parameter} = {r.delta_name} = {g(r.value)}"
        return (
            f"∂L/∂{r.parameter} = {r.delta_name}·{r.input_name} = "
            f"{g(r.delta)}·{g(r.input)} = {g(r.value)}"
        )

    def _step(self, r: Step) -> str:
        return f"{r.parameter} ← {g(r.old)} - {g(r.eta)}·{g(r.grad)} = {g(r.new)}"


class MarkdownFormatter(TextFormatter):
    """Markdown: a ``##`` heading per section, one ``- $LaTeX$`` item per record."""

    def heading(self, title: str) -> list[str]:
        """A ``##`` heading and the blank line Markdown wants after it."""
        return [f"## {title}", ""]

    def item(self, latex: str) -> str:
        """Each line of a record's LaTeX as a list item in inline math, ``- $...$``."""
        return "\n".join(f"- ${line}$" for line in latex.split("\n"))

    def note(self, text: str) -> str:
        """A remark as a plain list item (no math)."""
        return f"- {text}"

    def table(self, headers: list[str], rows: list[list[str]]) -> str:
        """A Markdown pipe table: header row, ``---`` rule, one row per entry of ``rows``.

        >>> print(MarkdownFormatter().table(["epoch", "L"], [["1", "0.25"]]))
        | epoch | L |
        |---|---|
        | 1 | 0.25 |
        """
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        return "\n".join(lines + ["| " + " | ".join(r) + " |" for r in rows])

    def _inputs(self, r: Inputs) -> str:
        text = ", ".join(f"x_{{[{i}]}} = {g(v)}" for i, v in enumerate(r.values))
        if r.names:
            names = ", ".join(f"x[{i}] is {n}" for i, n in enumerate(r.names))
            text += "\n" + r"\text{" + names + "}"
        return text

    def _weightedsum(self, r: WeightedSum) -> str:
        terms = " + ".join(
            f"({g(a)} \\cdot {g(w)})" for a, w in zip(r.inputs, r.weights, strict=True)
        )
        return f"{_tex(r.name)} = {terms} + {g(r.bias)} = {g(r.value)}"

    def _activation(self, r: Activation) -> str:
        return f"{_tex(r.name)} = \\mathrm{{{r.function}}}({g(r.s)}) = {g(r.value)}"

    def _loss(self, r: Loss) -> str:
        if r.loss == "mse":
            parts = " + ".join(f"({g(y)} - {g(z)})^2" for y, z in zip(r.y, r.z, strict=True))
            return f"L = \\tfrac12 \\sum (y_o - z)^2 = \\tfrac12 [{parts}] = {g(r.value)}"
        name = r.loss.replace("_", r"\_")
        return f"L_{{\\mathrm{{{name}}}}} = {g(r.value)}"

    def _delta(self, r: Delta) -> str:
        deriv = DERIVATIVES[r.activation][1]
        head = f"{_tex(r.name)} = "
        if r.rule == "mse":
            return (
                head + f"f'(s)(y_o - z) = {deriv}\\,(y_o - z) = "
                f"{g(r.fprime)} \\cdot ({g(r.y)} - {g(r.z)}) = {g(r.value)}"
            )
        if r.rule == "mse_mean":
            return (
                head + f"f'(s)\\,\\tfrac{{2(y_o - z)}}{{N}} = "
                f"{g(r.fprime)} \\cdot \\tfrac{{2({g(r.y)} - {g(r.z)})}}{{{r.count}}} "
                f"= {g(r.value)}"
            )
        if r.rule == "bce":
            return (
                head + f"f'(s)\\,\\frac{{y_o - z}}{{y_o(1 - y_o) N}} = {g(r.fprime)} \\cdot "
                f"\\frac{{{g(r.y)} - {g(r.z)}}}{{{g(r.y)}(1 - {g(r.y)}) \\cdot {r.count}}} "
                f"= {g(r.value)}"
            )
        if r.rule in ("logistic", "softmax"):
            p = r"\sigma(s)" if r.rule == "logistic" else r"\mathrm{softmax}(s)"
            return (
                head + f"\\frac{{{p} - z}}{{N}} = \\frac{{{g(r.p)} - {g(r.z)}}}{{{r.count}}} "
                f"= {g(r.value)}"
            )
        if r.rule in ("logistic_chain", "softmax_chain"):
            p = r"\sigma(y_o)" if r.rule == "logistic_chain" else r"\mathrm{softmax}(y_o)"
            return (
                head + f"f'(s)\\,\\frac{{{p} - z}}{{N}} = {g(r.fprime)} \\cdot "
                f"\\frac{{{g(r.p)} - {g(r.z)}}}{{{r.count}}} = {g(r.value)}"
            )
        terms = " + ".join(
            f"({g(w)} \\cdot {g(d)})" for w, d in zip(r.next_weights, r.next_deltas, strict=True)
        )
        return (
            head + f"f'(s) \\sum_k w_{{[k][{r.node}]}}\\,{_tex(r.next_name)}_{{[k]}} = "
            f"{g(r.fprime)} \\cdot [{terms}] = {g(r.value)}"
        )

    def _gradient(self, r: Gradient) -> str:
        if r.input_name is None:
            return f"\\partial L/\\partial {_tex(r.parameter)} = {g(r.value)}"
        return (
            f"\\partial L/\\partial {_tex(r.parameter)} = "
            f"{g(r.delta)} \\cdot {g(r.input)} = {g(r.value)}"
        )

    def _step(self, r: Step) -> str:
        return (
            f"{_tex(r.parameter)} \\leftarrow {g(r.old)} - {g(r.eta)} \\cdot {g(r.grad)} "
            f"= {g(r.new)}"
        )


FORMATTERS: dict[str, type[TextFormatter]] = {
    "text": TextFormatter,
    "markdown": MarkdownFormatter,
}


def formatter(fmt: str) -> TextFormatter:
    """The formatter named ``fmt``: "text" or "markdown"."""
    if fmt not in FORMATTERS:
        raise ValueError(f"unknown format {fmt!r}; choose text or markdown")
    return FORMATTERS[fmt]()


# -- the trace ---------------------------------------------------------------------------


def _layer_names(l: int, layers: int) -> tuple[str, str, str, str, str]:  # noqa: E741
    """(weight, bias, sum, activation, delta) names of layer l in the sheet's notation."""
    if l == layers - 1:
        return "wo", "bo", "so", "yo", "δo"
    return f"wh[{l}]", f"bh[{l}]", f"sh[{l}]", f"ah[{l}]", f"δh[{l}]"


def _output_rule(loss: str, activation: str) -> str:
    if loss == "bce" and activation == "sigmoid":
        return "logistic"  # the fused pair
    if loss in ("bce_with_logits", "cross_entropy"):
        rule = "logistic" if loss == "bce_with_logits" else "softmax"
        return rule if activation == "linear" else f"{rule}_chain"
    return loss  # mse, mse_mean, bce on another output


def explain(
    net: MLP,
    x: Sequence[float],
    z: Sequence[float],
    eta: float = 0.1,
    loss: str = "mse",
    input_names: Sequence[str] | None = None,
) -> Trace:
    """Trace one sample through ``net``: forward, loss, δ's, gradients, one SGD step.

    Args:
        net: the network (not changed).
        x: one sample's inputs (already normalized, as the network sees them).
        z: its targets (as the network sees them: normalized, or a class index for
            cross_entropy).
        eta: the learning rate η of the step shown at the end.
        loss: "mse" (the sheet's ½-sum) or another loss name of :mod:`tinygrad_mlp.names`.
        input_names: the data's column names for x[0], x[1], ... (shown once).

    Returns:
        A :class:`Trace`: its ``records`` in order, ``numbers`` by name, ``render(fmt)``.
    """
    loss = loss_name(loss)
    net = as_mlp(net)
    weights = [layer.weight.data.copy() for layer in net.layers]
    biases = [layer.bias.data.copy() for layer in net.layers]
    acts = [activation_name(name) for name in net.activations]
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    if loss == "cross_entropy":
        z_arr = np.asarray(z).reshape(-1)
        z_rows = np.zeros((1, weights[-1].shape[0]))  # the class index, one-hot
        z_rows[0, int(z_arr[0])] = 1.0
    else:
        z_arr = np.asarray(z, dtype=np.float64).reshape(1, -1)
        z_rows = z_arr
    bp = backprop.gradients(weights, biases, acts, x, z_arr, loss)
    trace = Trace()
    layers = len(weights)
    trace.add(Inputs(tuple(map(float, x[0])), tuple(input_names) if input_names else None))
    for l in range(layers):  # noqa: E741
        _, _, s_name, a_name, _ = _layer_names(l, layers)
        prev = tuple(map(float, bp.a[l][0]))
        for j in range(weights[l].shape[0]):
            s = float(bp.s[l][0, j])
            trace.add(
                WeightedSum(
                    f"{s_name}[{j}]", prev, tuple(map(float, weights[l][j])), float(biases[l][j]), s
                )
            )
            trace.add(Activation(f"{a_name}[{j}]", acts[l], s, float(bp.a[l + 1][0, j])))
    y = bp.a[-1][0]
    trace.add(Loss(loss, tuple(map(float, y)), tuple(map(float, z_rows[0])), bp.loss))
    # backward, output layer first
    rule = _output_rule(loss, acts[-1])
    # p: the probabilities the δ formula subtracts z from (σ or softmax of the logits,
    # which are s for the fused sigmoid + bce and the outputs y for a logit loss)
    logits = bp.s[-1] if loss == "bce" else bp.a[-1]
    with np.errstate(all="ignore"):
        probabilities = (
            backprop.activate(logits, "sigmoid")
            if rule.startswith("logistic")
            else np.exp(logits - np.logaddexp.reduce(logits, axis=1, keepdims=True))
        )
    for l in range(layers - 1, -1, -1):  # noqa: E741
        d_name = _layer_names(l, layers)[4]
        fprime = backprop.derivative(bp.a[l + 1], bp.s[l], acts[l])[0]
        for j in range(weights[l].shape[0]):
            common = dict(
                name=f"{d_name}[{j}]",
                activation=acts[l],
                fprime=float(fprime[j]),
                value=float(bp.delta[l][0, j]),
                node=j,
            )
            if l == layers - 1:
                record = Delta(
                    rule=rule,
                    y=float(y[j]),
                    z=float(z_rows[0, j]),
                    p=float(probabilities[0, j]) if rule.startswith(("logi", "soft")) else None,
                    count=1 if rule.startswith("softmax") else y.size,
                    **common,
                )
            else:
                record = Delta(
                    rule="hidden",
                    next_name=_layer_names(l + 1, layers)[4],
                    next_weights=tuple(map(float, weights[l + 1][:, j])),
                    next_deltas=tuple(map(float, bp.delta[l + 1][0])),
                    **common,
                )
            trace.add(record)
    for l in range(layers):  # noqa: E741
        w_name, b_name, _, _, d_name = _layer_names(l, layers)
        prev_name = "x" if l == 0 else _layer_names(l - 1, layers)[3]
        for j in range(weights[l].shape[0]):
            delta = float(bp.delta[l][0, j])
            for i in range(weights[l].shape[1]):
                trace.add(
                    Gradient(
                        f"{w_name}[{j}][{i}]",
                        f"{d_name}[{j}]",
                        delta,
                        f"{prev_name}[{i}]",
                        float(bp.a[l][0, i]),
                        float(bp.grad_w[l][j, i]),
                    )
                )
            trace.add(
                Gradient(
                    f"{b_name}[{j}]", f"{d_name}[{j}]", delta, None, None, float(bp.grad_b[l][j])
                )
            )
    new_w, new_b = backprop.sgd_step(weights, biases, bp.grad_w, bp.grad_b, eta)
    for l in range(layers):  # noqa: E741
        w_name, b_name, *_ = _layer_names(l, layers)
        for j in range(weights[l].shape[0]):
            for i in range(weights[l].shape[1]):
                trace.add(
                    Step(
                        f"{w_name}[{j}][{i}]",
                        float(weights[l][j, i]),
                        float(eta),
                        float(bp.grad_w[l][j, i]),
                        float(new_w[l][j, i]),
                    )
                )
            trace.add(
                Step(
                    f"{b_name}[{j}]",
                    float(biases[l][j]),
                    float(eta),
                    float(bp.grad_b[l][j]),
                    float(new_b[l][j]),
                )
            )
    return trace


def training_table(
    net: MLP,
    x: np.ndarray,
    z: np.ndarray,
    eta: float = 0.1,
    epochs: int = 1000,
    report: Sequence[int] = (1, 2, 3, 4, 5, 10, 20, 50, 100, 200, 500, 1000),
    loss: str = "mse",
) -> list[dict]:
    """Per-sample gradient descent over the rows of x, in order, with the δ formulas.

    Returns one row per reported epoch: the epoch, the mean loss over the data
    set after that epoch, and the output layer's weights and bias — the sheet's
    unfinished "adjust the weights" table, finished.
    """
    loss = loss_name(loss)
    net = as_mlp(net)
    weights = [layer.weight.data.copy() for layer in net.layers]
    biases = [layer.bias.data.copy() for layer in net.layers]
    acts = net.activations
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64).reshape(len(x), -1)
    # NOTE: only the sheet's mse is a sum over the samples; every other loss is
    # already a mean over the batch and must not be divided by n again.
    per_sample = len(x) if loss == "mse" else 1

    def mean_loss() -> float:
        return backprop.gradients(weights, biases, acts, x, z, loss).loss / per_sample

    rows = [
        {"epoch": 0, "loss": mean_loss(), "wo": weights[-1][0].tolist(), "bo": float(biases[-1][0])}
    ]
    wanted = set(report)
    for epoch in range(1, epochs + 1):
        for xi, zi in zip(x, z, strict=True):
            bp = backprop.gradients(weights, biases, acts, xi[None, :], zi[None, :], loss)
            weights, biases = backprop.sgd_step(weights, biases, bp.grad_w, bp.grad_b, eta)
        if epoch in wanted or epoch == epochs:
            rows.append(
                {
                    "epoch": epoch,
                    "loss": mean_loss(),
                    "wo": weights[-1][0].tolist(),
                    "bo": float(biases[-1][0]),
                }
            )
    return rows

"""The δ formulas written once: templates that the text and LaTeX formatters and the
playback captions fill in.

Each formula is a chain of equalities, ``name = symbolic = with f' written out =
numbers = value``, kept as a :class:`Formula` of format strings in two notations,
plain text and LaTeX. Which output formula applies is :func:`output_rule` of the loss
and the output activation; f'(s) itself is the registry's template
(:attr:`tinygrad_mlp.names.Activation.derivative`).

>>> DELTA["mse"].render("text", name="δo[0]", deriv="a(1 - a)", fprime="0.25", y="0.5",
...                     z="1", value="-0.125")
"δo[0] = f'(s)(yo - z) = a(1 - a)·(yo - z) = 0.25·(0.5 - 1) = -0.125"
>>> DELTA["mse"].symbolic("text")
"f'(s)(yo - z)"
"""

from __future__ import annotations

from dataclasses import dataclass

from tinygrad_mlp.names import ACTIVATION_FACTS, activation_name, loss_name

__all__ = [
    "CHAIN",
    "DELTA",
    "GRADIENT",
    "STEP",
    "Formula",
    "derivative",
    "g",
    "output_rule",
    "step",
]


def g(v: float) -> str:
    """A number to 9 significant digits, with no "-0"."""
    return f"{float(v) + 0.0:.9g}"


@dataclass(frozen=True)
class Formula:
    """One formula as its chain of equalities, each part a format string, per notation.

    ``text`` and ``tex`` are the parts (joined with `` = ``); a part that is None in one
    notation is left out of it (LaTeX shows f' once, in numbers, not spelled out twice).
    """

    text: tuple[str | None, ...]
    tex: tuple[str | None, ...]

    def parts(self, notation: str) -> tuple[str | None, ...]:
        """The parts of ``notation``: "text" or "tex"."""
        if notation not in ("text", "tex"):
            raise ValueError(f"unknown notation {notation!r}; choose text or tex")
        return self.text if notation == "text" else self.tex

    def symbolic(self, notation: str = "text") -> str:
        """The formula with no numbers in it: the part after the name."""
        return self.parts(notation)[1] or ""

    def render(self, notation: str, **fields: str) -> str:
        """The chain of equalities with ``fields`` filled in (``name``, ``value``, ...)."""
        return " = ".join(p.format(**fields) for p in self.parts(notation) if p is not None)


#: The output layer's δ per rule (see :func:`output_rule`) and the hidden layers' δ.
#: Fields: name, deriv (f' as the registry writes it), fprime, y, z, p (σ or softmax
#: of the logits), count (N), value; hidden: node, next (the next layer's δ), terms.
DELTA: dict[str, Formula] = {
    "mse": Formula(
        ("{name}", "f'(s)(yo - z)", "{deriv}·(yo - z)", "{fprime}·({y} - {z})", "{value}"),
        (
            "{name}",
            "f'(s)(y_o - z)",
            r"{deriv}\,(y_o - z)",
            r"{fprime} \cdot ({y} - {z})",
            "{value}",
        ),
    ),
    "mse_mean": Formula(
        (
            "{name}",
            "f'(s)·2(yo - z)/N",
            "{deriv}·2(yo - z)/N",
            "{fprime}·2·({y} - {z})/{count}",
            "{value}",
        ),
        (
            "{name}",
            r"f'(s)\,\tfrac{{2(y_o - z)}}{{N}}",
            None,
            r"{fprime} \cdot \tfrac{{2({y} - {z})}}{{{count}}}",
            "{value}",
        ),
    ),
    "bce": Formula(
        (
            "{name}",
            "f'(s)·(yo - z)/(yo(1 - yo))/N",
            None,
            "{fprime}·({y} - {z})/({y}·(1 - {y}))/{count}",
            "{value}",
        ),
        (
            "{name}",
            r"f'(s)\,\frac{{y_o - z}}{{y_o(1 - y_o) N}}",
            None,
            r"{fprime} \cdot \frac{{{y} - {z}}}{{{y}(1 - {y}) \cdot {count}}}",
            "{value}",
        ),
    ),
    **{
        rule: Formula(
            ("{name}", f"({p} - z)/N", None, "({p} - {z})/{count}", "{value}"),
            (
                "{name}",
                rf"\frac{{{{{tex} - z}}}}{{{{N}}}}",
                None,
                r"\frac{{{p} - {z}}}{{{count}}}",
                "{value}",
            ),
        )  # fmt: skip
        for rule, p, tex in (
            ("logistic", "σ(s)", r"\sigma(s)"),
            ("softmax", "softmax(s)", r"\mathrm{{softmax}}(s)"),
        )
    },
    **{
        rule: Formula(
            (
                "{name}",
                f"f'(s)·({p} - z)/N",
                f"{{deriv}}·({p} - z)/N",
                "{fprime}·({p} - {z})/{count}",
                "{value}",
            ),
            (
                "{name}",
                rf"f'(s)\,\frac{{{{{tex} - z}}}}{{{{N}}}}",
                None,
                r"{fprime} \cdot \frac{{{p} - {z}}}{{{count}}}",
                "{value}",
            ),
        )  # fmt: skip
        for rule, p, tex in (
            ("logistic_chain", "σ(yo)", r"\sigma(y_o)"),
            ("softmax_chain", "softmax(yo)", r"\mathrm{{softmax}}(y_o)"),
        )
    },
    "hidden": Formula(
        (
            "{name}",
            "f'(s)·Σ_k w[k][{node}]·{next}[k]",
            "{deriv}·Σ",
            "{fprime}·[{terms}]",
            "{value}",
        ),
        (
            "{name}",
            r"f'(s) \sum_k w_{{[k][{node}]}}\,{next}_{{[k]}}",
            None,
            r"{fprime} \cdot [{terms}]",
            "{value}",
        ),
    ),
}

#: ∂L/∂θ: a weight's δ·a (``"weight"``) and a bias's δ (``"bias"``).
GRADIENT: dict[str, Formula] = {
    "weight": Formula(
        ("∂L/∂{parameter}", "{delta_name}·{input_name}", "{delta}·{input}", "{value}"),
        (r"\partial L/\partial {parameter}", None, r"{delta} \cdot {input}", "{value}"),
    ),
    "bias": Formula(
        ("∂L/∂{parameter}", "{delta_name}", "{value}"),
        (r"\partial L/\partial {parameter}", None, "{value}"),
    ),
}

#: θ ← θ − η ∂L/∂θ.
STEP = Formula(
    ("{parameter} ← {old} - {eta}·{grad}", "{new}"),
    (r"{parameter} \leftarrow {old} - {eta} \cdot {grad}", "{new}"),
)


def _chain(text: str, tex: str) -> Formula:
    return Formula(("{name}", text), ("{name}", tex))


#: One step of the chain rule per kind of op, as the grader of :mod:`tinygrad_mlp.grade`
#: writes it: the gradient an input receives from its consumer's gradient ``{g}``. Fields:
#: ``g``; ``a`` and ``b`` (the op's inputs), ``other`` (the input that is not this one),
#: ``out`` (the op's output), ``deriv`` (f' as the registry writes it, see
#: :func:`derivative`), ``op`` (an op's symbol). The output layer's δ of a softmax with
#: cross-entropy is ``DELTA["softmax"]``, the same template ``explain`` shows.
CHAIN: dict[str, Formula] = {
    "add": _chain("{g}", "{g}"),
    "add_batch": _chain("Σ_batch {g}", r"\textstyle\sum_{{\text{{batch}}}} {g}"),
    "neg": _chain("-{g}", "-{g}"),
    "mul": _chain("{g} ⊙ {other}", r"{g} \odot {other}"),
    "div_a": _chain("{g} / {b}", r"{g} \oslash {b}"),
    "div_b": _chain("-{g} ⊙ {a} / {b}²", r"-{g} \odot {a} \oslash {b}^2"),
    "matmul_a": _chain("{g} @ {b}ᵀ", r"{g}\,{b}^\top"),
    "matmul_b": _chain("{a}ᵀ @ {g}", r"{a}^\top {g}"),
    "matmul_t_a": _chain("{g} @ {b}", r"{g}\,{b}"),
    "matmul_t_b": _chain("{g}ᵀ @ {a}", r"{g}^\top {a}"),
    "activation": _chain("{g} ⊙ ({deriv})", r"{g} \odot ({deriv})"),
    "exp": _chain("{g} ⊙ {out}", r"{g} \odot {out}"),
    "log": _chain("{g} / {a}", r"{g} \oslash {a}"),
    "sum": _chain("{g} broadcast to the shape of {a}", r"\mathrm{{broadcast}}({g})"),
    "transpose": _chain("{g}ᵀ", r"{g}^\top"),
    "reshape": _chain("{g} reshaped as {a}", r"\mathrm{{reshape}}({g})"),
    "log_softmax": _chain(
        "{g} - softmax({a}) ⊙ Σ {g}", r"{g} - \mathrm{{softmax}}({a}) \odot \textstyle\sum {g}"
    ),
    "half_squared_error": _chain("{g}·({a} - z)", r"{g}\,({a} - z)"),
    "other": _chain("the rule of '{op}' applied to {g}", r"\mathrm{{{op}}}^\top({g})"),
}


def step(kind: str, notation: str = "text", **fields: str) -> str:
    r"""The right-hand side of one chain rule step of :data:`CHAIN`, filled in.

    >>> step("matmul_a", g="dlogits", b="W2")
    'dlogits @ W2ᵀ'
    >>> print(step("activation", "tex", g="dh", deriv=derivative("tanh", "tex", a="h")))
    dh \odot (1 - h^2)
    """
    return CHAIN[kind].parts(notation)[1].format(**fields)


def output_rule(loss: str, activation: str) -> str:
    """Which δ formula the output layer takes, for a loss and an output activation.

    >>> output_rule("bce", "sigmoid"), output_rule("ce", "tanh"), output_rule("mse", "gelu")
    ('logistic', 'softmax_chain', 'mse')
    """
    loss, activation = loss_name(loss), activation_name(activation)
    if loss == "bce" and activation == "sigmoid":
        return "logistic"  # the fused pair
    if loss in ("bce_with_logits", "cross_entropy"):
        rule = "logistic" if loss == "bce_with_logits" else "softmax"
        return rule if activation == "linear" else f"{rule}_chain"
    return loss  # mse, mse_mean, bce on another output


def derivative(activation: str, notation: str = "text", a: str = "a", s: str = "s") -> str:
    """f'(s) of ``activation`` as the sheet writes it (the registry's template, filled in).

    >>> derivative("gelu"), derivative("sigmoid", "tex")
    ('Φ(s) + s·φ(s)', 'a(1 - a)')
    """
    facts = ACTIVATION_FACTS.get(activation_name(activation))
    if facts is None:  # a name of the vocabulary whose record is missing
        raise ValueError(f"the registry has no facts for the activation {activation!r}")
    return facts.derivative_text(a=a, s=s, tex=notation == "tex")

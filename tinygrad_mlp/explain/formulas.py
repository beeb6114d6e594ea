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
    "DELTA",
    "GRADIENT",
    "STEP",
    "Formula",
    "derivative",
    "g",
    "output_rule",
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

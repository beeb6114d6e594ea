"""How a trace's records read: plain text and Markdown with LaTeX.

The formulas come from :mod:`tinygrad_mlp.explain.formulas` (one template per δ rule,
gradient and step), f'(s) from the registry :mod:`tinygrad_mlp.names`; a formatter
only fills them in, once per kind of record.
"""

from __future__ import annotations

from typing import Any

from tinygrad_mlp.explain.formulas import DELTA, GRADIENT, STEP, derivative, g

# NOTE: the records (tinygrad_mlp.explain.records) import this module to render
# themselves, so their types are named here in words, not imported: no circle.
Activation = Delta = Gradient = Inputs = Loss = Record = Step = Trace = WeightedSum = Any

__all__ = ["FORMATTERS", "MarkdownFormatter", "TextFormatter", "formatter"]


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

    notation = "text"

    def _name(self, name: str) -> str:
        return name

    def _terms(self, r: Delta) -> str:
        return " + ".join(
            f"({g(w)}·{g(d)})" for w, d in zip(r.next_weights, r.next_deltas, strict=True)
        )

    def _delta(self, r: Delta) -> str:
        fields = {
            "name": self._name(r.name),
            "deriv": derivative(r.activation, self.notation),
            "fprime": g(r.fprime),
            "value": g(r.value),
            "count": r.count,
        }
        if r.rule == "hidden":
            fields.update(node=r.node, next=self._name(r.next_name), terms=self._terms(r))
        else:
            fields.update(y=g(r.y), z=g(r.z), p=None if r.p is None else g(r.p))
        return DELTA[r.rule].render(self.notation, **fields)

    def _gradient(self, r: Gradient) -> str:
        formula = GRADIENT["bias" if r.input_name is None else "weight"]
        return formula.render(
            self.notation,
            parameter=self._name(r.parameter),
            delta_name=r.delta_name,
            input_name=r.input_name,
            delta=g(r.delta),
            input=None if r.input is None else g(r.input),
            value=g(r.value),
        )

    def _step(self, r: Step) -> str:
        return STEP.render(
            self.notation,
            parameter=self._name(r.parameter),
            old=g(r.old),
            eta=g(r.eta),
            grad=g(r.grad),
            new=g(r.new),
        )


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

    notation = "tex"

    def _name(self, name: str) -> str:
        return _tex(name)

    def _terms(self, r: Delta) -> str:
        return " + ".join(
            f"({g(w)} \\cdot {g(d)})" for w, d in zip(r.next_weights, r.next_deltas, strict=True)
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

"""A step-by-step numeric trace of one forward and backward pass, as the sheet writes it.

Every weighted sum is written out term by term with the network's own numbers,
then each activation, the loss, each error signal δ with its formula, each
gradient and each weight after one gradient-descent step. The numbers come from
:mod:`tinygrad_mlp.backprop` (the δ formulas), which the cross-check holds
against both autodiff engines.

Plain text by default; ``fmt="markdown"`` writes Markdown with LaTeX math to
paste into notes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.nn import MLP, as_mlp

__all__ = ["Trace", "explain", "training_table"]

DERIVATIVES = {
    "sigmoid": ("a(1 - a)", r"a(1 - a)"),
    "tanh": ("1 - a²", r"1 - a^2"),
    "relu": ("[s > 0]", r"[s > 0]"),
    "linear": ("1", "1"),
}


def g(v: float) -> str:
    """A number to 9 significant digits, with no "-0"."""
    return f"{float(v) + 0.0:.9g}"


@dataclass
class Trace:
    """The lines of a trace, each a (section, text, latex) triple, plus the numbers."""

    lines: list[tuple[str, str, str]] = field(default_factory=list)
    numbers: dict[str, float] = field(default_factory=dict)

    def add(self, section: str, text: str, latex: str | None = None) -> None:
        self.lines.append((section, text, latex if latex is not None else text))

    def render(self, fmt: str = "text") -> str:
        if fmt not in ("text", "markdown"):
            raise ValueError(f"unknown format {fmt!r}; choose text or markdown")
        out: list[str] = []
        section = None
        for sec, text, latex in self.lines:
            if sec != section:
                section = sec
                if out:
                    out.append("")
                if fmt == "markdown":
                    out.extend([f"## {sec}", ""])
                else:
                    out.extend([sec, "-" * len(sec)])
            if fmt == "markdown":
                out.append(
                    f"- ${latex}$" if not latex.startswith("!") else f"- **{latex[1:].strip()}**"
                )
            else:
                out.append(f"  {text}")
        return "\n".join(out).strip() + "\n"


def _layer_names(l: int, layers: int) -> tuple[str, str, str, str, str]:  # noqa: E741
    """(weight, bias, sum, activation, delta) names of layer l in the sheet's notation."""
    if l == layers - 1:
        return "wo", "bo", "so", "yo", "δo"
    return f"wh[{l}]", f"bh[{l}]", f"sh[{l}]", f"ah[{l}]", f"δh[{l}]"


def _tex(name: str) -> str:
    base, _, rest = name.partition("[")
    base = base.replace("δ", r"\delta ")
    return f"{base}_{{[{rest}}}" if rest else base


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
        z: its targets (as the network sees them: normalized, or a class index for ce).
        eta: the learning rate η of the step shown at the end.
        loss: "mse" (the sheet's ½-sum) or another of backprop.LOSSES.
    """
    net = as_mlp(net)
    weights = [layer.weight.data.copy() for layer in net.layers]
    biases = [layer.bias.data.copy() for layer in net.layers]
    acts = net.activations
    x = np.asarray(x, dtype=np.float64).reshape(1, -1)
    z_arr = np.asarray(z, dtype=np.float64).reshape(1, -1) if loss != "ce" else np.asarray(z)
    bp = backprop.gradients(weights, biases, acts, x, z_arr, loss)
    trace = Trace()
    layers = len(weights)
    names = input_names or [f"x[{i}]" for i in range(x.shape[1])]
    trace.add(
        "Forward pass",
        "inputs: " + ", ".join(f"x[{i}] = {g(v)}" for i, v in enumerate(x[0])),
        ", ".join(f"x_{{[{i}]}} = {g(v)}" for i, v in enumerate(x[0])),
    )
    if input_names:
        trace.add(
            "Forward pass",
            "(" + ", ".join(f"x[{i}] is {n}" for i, n in enumerate(names)) + ")",
            r"\text{" + ", ".join(f"x[{i}] is {n}" for i, n in enumerate(names)) + "}",
        )
    for l in range(layers):  # noqa: E741
        w_name, b_name, s_name, a_name, _ = _layer_names(l, layers)
        prev = bp.a[l][0]
        for j in range(weights[l].shape[0]):
            terms = " + ".join(f"({g(prev[i])}·{g(weights[l][j, i])})" for i in range(len(prev)))
            tex_terms = " + ".join(
                f"({g(prev[i])} \\cdot {g(weights[l][j, i])})" for i in range(len(prev))
            )
            s = bp.s[l][0, j]
            trace.add(
                "Forward pass",
                f"{s_name}[{j}] = {terms} + {g(biases[l][j])} = {g(s)}",
                f"{_tex(f'{s_name}[{j}]')} = {tex_terms} + {g(biases[l][j])} = {g(s)}",
            )
            a = bp.a[l + 1][0, j]
            trace.add(
                "Forward pass",
                f"{a_name}[{j}] = {acts[l]}({g(s)}) = {g(a)}",
                f"{_tex(f'{a_name}[{j}]')} = \\mathrm{{{acts[l]}}}({g(s)}) = {g(a)}",
            )
            trace.numbers[f"{s_name}[{j}]"] = float(s)
            trace.numbers[f"{a_name}[{j}]"] = float(a)
    y = bp.a[-1][0]
    if loss == "mse":
        parts = " + ".join(f"({g(y[k])} - {g(z_arr[0, k])})²" for k in range(len(y)))
        tex = " + ".join(f"({g(y[k])} - {g(z_arr[0, k])})^2" for k in range(len(y)))
        trace.add(
            "Loss",
            f"L = ½ Σ (yo - z)² = ½ [{parts}] = {g(bp.loss)}",
            f"L = \\tfrac12 \\sum (y_o - z)^2 = \\tfrac12 [{tex}] = {g(bp.loss)}",
        )
    else:
        trace.add("Loss", f"L ({loss}) = {g(bp.loss)}", f"L_{{\\mathrm{{{loss}}}}} = {g(bp.loss)}")
    trace.numbers["L"] = bp.loss
    # backward, output layer first
    for l in range(layers - 1, -1, -1):  # noqa: E741
        w_name, b_name, s_name, a_name, d_name = _layer_names(l, layers)
        deriv, deriv_tex = DERIVATIVES[acts[l]]
        for j in range(weights[l].shape[0]):
            a = bp.a[l + 1][0, j]
            d = bp.delta[l][0, j]
            fprime = backprop.derivative(bp.a[l + 1], bp.s[l], acts[l])[0, j]
            if l == layers - 1 and loss == "mse":
                text = (
                    f"{d_name}[{j}] = f'(s)(yo - z) = {deriv}·(yo - z) = "
                    f"{g(fprime)}·({g(a)} - {g(z_arr[0, j])}) = {g(d)}"
                )
                tex = (
                    f"{_tex(f'{d_name}[{j}]')} = f'(s)(y_o - z) = {deriv_tex}\\,(y_o - z) = "
                    f"{g(fprime)} \\cdot ({g(a)} - {g(z_arr[0, j])}) = {g(d)}"
                )
            elif l == layers - 1:
                text = f"{d_name}[{j}] = f'(s)·∂L/∂y = {g(d)}"
                tex = f"{_tex(f'{d_name}[{j}]')} = f'(s)\\,\\partial L/\\partial y = {g(d)}"
            else:
                _, _, _, _, next_d = _layer_names(l + 1, layers)
                nxt_w = weights[l + 1][:, j]
                nxt_d = bp.delta[l + 1][0]
                terms = " + ".join(f"({g(nxt_w[k])}·{g(nxt_d[k])})" for k in range(len(nxt_d)))
                tex_terms = " + ".join(
                    f"({g(nxt_w[k])} \\cdot {g(nxt_d[k])})" for k in range(len(nxt_d))
                )
                text = (
                    f"{d_name}[{j}] = f'(s)·Σ_k w[k][{j}]·{next_d}[k] = {deriv}·Σ = "
                    f"{g(fprime)}·[{terms}] = {g(d)}"
                )
                tex = (
                    f"{_tex(f'{d_name}[{j}]')} = "
                    f"f'(s) \\sum_k w_{{[k][{j}]}}\\,{_tex(next_d)}_{{[k]}} = "
                    f"{g(fprime)} \\cdot [{tex_terms}] = {g(d)}"
                )
            trace.add("Backward pass: error signals", text, tex)
            trace.numbers[f"{d_name}[{j}]"] = float(d)
    for l in range(layers):  # noqa: E741
        w_name, b_name, _, _, d_name = _layer_names(l, layers)
        prev_name = "x" if l == 0 else _layer_names(l - 1, layers)[3]
        for j in range(weights[l].shape[0]):
            for i in range(weights[l].shape[1]):
                grad = bp.grad_w[l][j, i]
                trace.add(
                    "Gradients",
                    f"∂L/∂{w_name}[{j}][{i}] = {d_name}[{j}]·{prev_name}[{i}] = "
                    f"{g(bp.delta[l][0, j])}·{g(bp.a[l][0, i])} = {g(grad)}",
                    f"\\partial L/\\partial {_tex(f'{w_name}[{j}][{i}]')} = "
                    f"{g(bp.delta[l][0, j])} \\cdot {g(bp.a[l][0, i])} = {g(grad)}",
                )
            trace.add(
                "Gradients",
                f"∂L/∂{b_name}[{j}] = {d_name}[{j}] = {g(bp.grad_b[l][j])}",
                f"\\partial L/\\partial {_tex(f'{b_name}[{j}]')} = {g(bp.grad_b[l][j])}",
            )
    new_w, new_b = backprop.sgd_step(weights, biases, bp.grad_w, bp.grad_b, eta)
    section = f"Gradient descent step, η = {g(eta)}"
    for l in range(layers):  # noqa: E741
        w_name, b_name, *_ = _layer_names(l, layers)
        for j in range(weights[l].shape[0]):
            for i in range(weights[l].shape[1]):
                _step_line(
                    trace,
                    section,
                    f"{w_name}[{j}][{i}]",
                    weights[l][j, i],
                    eta,
                    bp.grad_w[l][j, i],
                    new_w[l][j, i],
                )
            _step_line(
                trace, section, f"{b_name}[{j}]", biases[l][j], eta, bp.grad_b[l][j], new_b[l][j]
            )
    return trace


def _step_line(trace: Trace, section: str, name: str, old, eta, grad, new) -> None:
    """θ ← θ − η ∂L/∂θ with the numbers."""
    trace.add(
        section,
        f"{name} ← {g(old)} - {g(eta)}·{g(grad)} = {g(new)}",
        f"{_tex(name)} \\leftarrow {g(old)} - {g(eta)} \\cdot {g(grad)} = {g(new)}",
    )
    trace.numbers[f"new {name}"] = float(new)


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
    net = as_mlp(net)
    weights = [layer.weight.data.copy() for layer in net.layers]
    biases = [layer.bias.data.copy() for layer in net.layers]
    acts = net.activations
    x = np.asarray(x, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64).reshape(len(x), -1)

    def mean_loss() -> float:
        return backprop.gradients(weights, biases, acts, x, z, loss).loss / len(x)

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

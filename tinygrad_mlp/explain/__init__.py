"""A step-by-step numeric trace of one forward and backward pass, as the sheet writes it.

:func:`explain` makes *records*, one per step the sheet writes: the inputs, every
weighted sum with its terms, each activation, the loss, each error signal δ with the
numbers of its formula, each gradient and each weight after one gradient-descent
step. The numbers come from :mod:`tinygrad_mlp.backprop` (the δ formulas), which the
cross-check holds against both autodiff engines.

Two formatters write the records: :class:`TextFormatter` (plain text, the default)
and :class:`MarkdownFormatter` (Markdown with LaTeX math, to paste into notes). A
record says what was computed; a formatter says how it reads, once per kind of record.
The package: ``records`` (what was computed), ``formulas`` (each δ, gradient and step
formula written once, as templates), ``render`` (the two formatters filling them in).

>>> from tinygrad_mlp.seed import seed_network
>>> trace = explain(seed_network(), [1.0, 1.0], [1.0])
>>> round([r for r in trace.records if isinstance(r, Delta)][0].value, 9)
-0.124244816
>>> print(trace.render().splitlines()[3])
  sh[0][0] = (1·-0.5) + (1·-1) + 0.5 = -1
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from tinygrad_mlp import backprop, labels
from tinygrad_mlp.explain.formulas import derivative, g, output_rule
from tinygrad_mlp.explain.records import (
    Activation,
    Delta,
    Gradient,
    Inputs,
    Loss,
    Record,
    Step,
    Trace,
    WeightedSum,
)
from tinygrad_mlp.explain.render import FORMATTERS, MarkdownFormatter, TextFormatter, formatter
from tinygrad_mlp.names import activation_name, loss_name
from tinygrad_mlp.nn import MLP, as_mlp

__all__ = [
    "FORMATTERS",
    "Activation",
    "Delta",
    "Gradient",
    "Inputs",
    "Loss",
    "MarkdownFormatter",
    "Record",
    "Step",
    "TextFormatter",
    "Trace",
    "WeightedSum",
    "explain",
    "formatter",
    "g",
    "training_table",
]


# -- the trace ---------------------------------------------------------------------------


def _layer_names(l: int, layers: int) -> tuple[str, str, str, str, str]:  # noqa: E741
    """(weight, bias, sum, activation, delta) names of layer l in the sheet's notation."""
    n = labels.layer_names(l, layers)
    return n.weight, n.bias, n.sum, n.output, n.delta


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
    for name in acts:
        derivative(name)  # the sheet's f'(s) of each: one ValueError for a name without it
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
    rule = output_rule(loss, acts[-1])
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
        for j in range(weights[l].shape[0]):
            delta = float(bp.delta[l][0, j])
            for i in range(weights[l].shape[1]):
                trace.add(
                    Gradient(
                        f"{w_name}[{j}][{i}]",
                        f"{d_name}[{j}]",
                        delta,
                        labels.input_name(i, l, layers),
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

"""The gradient cross-check: scalar autodiff, tensor autodiff and the δ formulas.

For one network, inputs and targets, the gradient of the loss with respect to
every parameter is computed three independent ways — the ``Value`` engine (one
node per multiply and add), the ``Tensor`` engine (one node per layer op) and
:mod:`tinygrad_mlp.backprop` (the cheat sheet's δ formulas in plain numpy) —
and, on request, a fourth: central finite differences of the loss. The report
lists every parameter in the sheet's notation with each road's value and their
differences.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy, mse, mse_mean
from tinygrad_mlp.nn import MLP, as_mlp
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = [
    "GradientReport",
    "cross_check",
    "parameter_names",
    "scalar_loss",
    "step_sweep",
    "tensor_loss",
]

#: Above this many scalar nodes (about 2 per weight per sample) the Value road is skipped.
SCALAR_NODE_LIMIT = 400_000


def parameter_names(net: MLP) -> list[list[str]]:
    """Names of every parameter element, in ``net.parameters()`` order, flattened per tensor."""
    names = []
    for l, layer in enumerate(net.layers):  # noqa: E741 -- the sheet's layer index
        last = l == len(net.layers) - 1
        w, b = ("wo", "bo") if last else (f"wh[{l}]", f"bh[{l}]")
        names.append([f"{w}[{j}][{i}]" for j in range(layer.nout) for i in range(layer.nin)])
        names.append([f"{b}[{j}]" for j in range(layer.nout)])
    return names


@dataclass
class GradientReport:
    """Per-parameter gradients of each road and how far they are apart."""

    names: list[str]
    roads: dict[str, np.ndarray]
    loss: str
    tolerance: float
    notes: list[str] = field(default_factory=list)
    sweep: list[tuple[float, float]] | None = None

    @property
    def reference(self) -> np.ndarray:
        return self.roads["delta"]

    def differences(self) -> dict[str, np.ndarray]:
        """|road − δ road| for every other road."""
        return {k: np.abs(v - self.reference) for k, v in self.roads.items() if k != "delta"}

    @property
    def max_abs(self) -> float:
        diffs = self.differences()
        return max((float(d.max()) for d in diffs.values()), default=0.0)

    @property
    def max_rel(self) -> float:
        scale = np.maximum(np.abs(self.reference), 1e-300)
        diffs = self.differences()
        return max(
            (float((d / scale)[d > 0].max(initial=0.0)) for d in diffs.values()), default=0.0
        )

    def failures(self) -> list[str]:
        """Names of parameters where some road is off by more than the tolerance."""
        diffs = self.differences()
        bad = np.zeros(len(self.names), dtype=bool)
        for road, d in diffs.items():
            limit = self.tolerance * (1.0 + np.abs(self.reference))
            if road == "finite differences":
                limit = np.maximum(limit, 1e-6 * (1.0 + np.abs(self.reference)))
            bad |= d > limit
        return [n for n, b in zip(self.names, bad, strict=True) if b]

    @property
    def passed(self) -> bool:
        return not self.failures()

    def summary(self) -> str:
        roads = ", ".join(self.roads)
        verdict = "PASS" if self.passed else f"FAIL ({len(self.failures())} parameters)"
        return (
            f"{len(self.names)} parameters, roads: {roads}; max abs diff {self.max_abs:.3g}, "
            f"max rel diff {self.max_rel:.3g}; tolerance {self.tolerance:g}: {verdict}"
        )

    def table(self) -> str:
        """An aligned text table, one parameter per row, and the summary line."""
        roads = list(self.roads)
        headers = ["parameter", *roads, "max |diff|", ""]
        diffs = self.differences()
        failing = set(self.failures())
        rows = []
        for k, name in enumerate(self.names):
            worst = max((float(d[k]) for d in diffs.values()), default=0.0)
            cells = [name, *(f"{self.roads[r][k]: .12g}" for r in roads), f"{worst:.2e}"]
            rows.append([*cells, "<-- differs" if name in failing else ""])
        widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths[:-1]))
        for row in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        lines.extend(self.notes)
        if self.sweep:
            lines.append("finite-difference step sweep (max |fd - delta| against h):")
            lines.extend(f"  h = {h:.0e}   error {err:.3e}" for h, err in self.sweep)
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, floats, strings) for JSON."""
        diffs = self.differences()
        return {
            "loss": self.loss,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "max_abs_diff": self.max_abs,
            "max_rel_diff": self.max_rel,
            "failures": self.failures(),
            "notes": self.notes,
            "sweep": [{"h": h, "max_error": e} for h, e in self.sweep] if self.sweep else None,
            "parameters": [
                {
                    "name": name,
                    **{road: float(v[k]) for road, v in self.roads.items()},
                    **{f"abs_diff_{road}": float(d[k]) for road, d in diffs.items()},
                }
                for k, name in enumerate(self.names)
            ],
        }


def _flat_grads(net: MLP) -> np.ndarray:
    return np.concatenate(
        [
            (p.grad if p.grad is not None else np.zeros_like(p.data)).reshape(-1)
            for p in net.parameters()
        ]
    )


def scalar_loss(outputs: list[Value], target: np.ndarray, loss: str, count: int) -> Value:
    """One sample's share of the batch loss, built from Values."""
    if loss == "mse":
        return mse(outputs, [float(t) for t in target])
    if loss == "mse_mean":
        total = sum(((y - float(t)) ** 2 for y, t in zip(outputs, target, strict=True)), Value(0.0))
        return total * (1.0 / (count * len(outputs)))
    if loss == "bce":
        terms = [
            -(float(t) * y.log() + (1.0 - float(t)) * (1.0 - y).log())
            for y, t in zip(outputs, target, strict=True)
        ]
        return sum(terms, Value(0.0)) * (1.0 / (count * len(outputs)))
    if loss == "bce_logits":
        terms = []
        for s, t in zip(outputs, target, strict=True):
            # max(s, 0) − s z + ln(1 + e^−|s|), with the branch taken on the value of s
            if s.data >= 0:
                terms.append(s - s * float(t) + ((-s).exp() + 1.0).log())
            else:
                terms.append(-(s * float(t)) + (s.exp() + 1.0).log())
        return sum(terms, Value(0.0)) * (1.0 / (count * len(outputs)))
    if loss == "ce":
        shift = max(s.data for s in outputs)  # a constant: the gradient does not depend on it
        lse = sum(((s - shift).exp() for s in outputs), Value(0.0)).log() + shift
        return (lse - outputs[int(target)]) * (1.0 / count)
    raise ValueError(f"unknown loss {loss!r}")


def tensor_loss(out: Tensor, z: np.ndarray, loss: str) -> Tensor:
    """The batch loss ``loss`` (a name of backprop.LOSSES) built from Tensors."""
    if loss == "mse":
        return mse(out, z)
    if loss == "mse_mean":
        return mse_mean(out, z)
    if loss == "bce":
        return bce(out, z)
    if loss == "bce_logits":
        return bce_with_logits(out, z)
    return cross_entropy(out, z)


def _weights(net: MLP) -> tuple[list[np.ndarray], list[np.ndarray]]:
    return [la.weight.data.copy() for la in net.layers], [la.bias.data.copy() for la in net.layers]


def step_sweep(
    net: MLP, x: np.ndarray, z: np.ndarray, loss: str, reference: np.ndarray, steps=None
) -> list[tuple[float, float]]:
    """Max |central difference − reference| over all parameters, for each step h.

    Truncation error shrinks like h² as h falls; round-off error grows like
    ε/h. The best h sits between (about 1e-5 in float64): float32's ε of 1e-7
    puts its best error near 1e-3, which is why float32 gradient checks fail.
    """
    steps = steps if steps is not None else [10.0**-k for k in range(1, 13)]
    return [
        (h, float(np.abs(_finite_differences(net, x, z, loss, h) - reference).max())) for h in steps
    ]


def _finite_differences(net: MLP, x: np.ndarray, z: np.ndarray, loss: str, h: float) -> np.ndarray:
    weights, biases = _weights(net)
    acts = net.activations
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]
    grads = []
    for p in params:
        for idx in np.ndindex(p.shape):
            old = p[idx]
            p[idx] = old + h
            plus = backprop.gradients(weights, biases, acts, x, z, loss).loss
            p[idx] = old - h
            minus = backprop.gradients(weights, biases, acts, x, z, loss).loss
            p[idx] = old
            grads.append((plus - minus) / (2 * h))
    return np.array(grads)


def cross_check(
    net: MLP,
    x: Any,
    z: Any,
    loss: str = "mse",
    tolerance: float = 1e-10,
    scalar: bool | None = None,
    finite_differences: bool = False,
    sweep: bool = False,
) -> GradientReport:
    """Compute every parameter's gradient by each road and compare.

    Args:
        net: the network (its current weights are used; its ``.grad`` is overwritten).
        x: inputs, (n, inputs) or one sample (inputs,).
        z: targets (n, outputs), or (n,) integer labels for ``loss="ce"``.
        loss: one of :data:`tinygrad_mlp.backprop.LOSSES`.
        tolerance: pass if every |road − δ road| <= tolerance · (1 + |δ road|)
            (finite differences: at least 1e-6 relative, their own error floor).
        scalar: run the Value road; None runs it when the graph is small enough.
        finite_differences: add central differences (h = 1e-5) as a fourth witness.
        sweep: also report the finite-difference error for h = 1e-1 ... 1e-12.
    """
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    net = as_mlp(net)
    z = np.asarray(z, dtype=np.float64)
    if loss == "ce":
        z = z.reshape(-1)
    else:
        z = z.reshape(len(x), -1)
    if loss not in backprop.LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {', '.join(backprop.LOSSES)}")
    names = [n for group in parameter_names(net) for n in group]
    roads: dict[str, np.ndarray] = {}
    notes = []
    weights, biases = _weights(net)
    bp = backprop.gradients(weights, biases, net.activations, x, z, loss)
    nodes = 2 * sum(p.data.size for p in net.parameters()) * len(x)
    if scalar is None:
        scalar = nodes <= SCALAR_NODE_LIMIT
        if not scalar:
            notes.append(
                f"scalar road skipped: about {nodes} Value nodes (limit {SCALAR_NODE_LIMIT})"
            )
    if scalar:
        net.zero_grad()
        for xi, zi in zip(x, z, strict=True):
            scalar_loss(net([float(v) for v in xi]), zi, loss, len(x)).backward()
        roads["scalar"] = _flat_grads(net)
    net.zero_grad()
    tensor_loss(net(x), z, loss).backward()
    roads["tensor"] = _flat_grads(net)
    net.zero_grad()
    roads["delta"] = np.concatenate(
        [g.reshape(-1) for pair in zip(bp.grad_w, bp.grad_b, strict=True) for g in pair]
    )
    if finite_differences:
        roads["finite differences"] = _finite_differences(net, x, z, loss, 1e-5)
    report = GradientReport(names, roads, loss, tolerance, notes)
    if sweep:
        report.sweep = step_sweep(net, x, z, loss, roads["delta"])
    return report

"""The gradient cross-check and its report: the roads side by side, parameter by parameter.

A NaN or an infinity on any road fails, named by parameter and road; the roads must
agree within the tolerance.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.crosscheck.person import diagnose_road, run_road
from tinygrad_mlp.crosscheck.roads import (
    FD_STEP,
    SCALAR_NODE_LIMIT,
    delta_road,
    finite_difference_road,
    kink_mask,
    parameter_names,
    scalar_road,
    step_sweep,
    tensor_road,
)
from tinygrad_mlp.names import loss_name
from tinygrad_mlp.nn import MLP, as_mlp

__all__ = ["GradientReport", "Problem", "cross_check"]


def _number_class(v: float) -> str:
    """ "nan", "+inf" or "-inf" for a non-finite number."""
    if np.isnan(v):
        return "nan"
    return "+inf" if v > 0 else "-inf"


@dataclass(frozen=True)
class Problem:
    """One reason the check fails: a parameter (or ``"L"``, the loss), a road, what is wrong."""

    name: str
    road: str
    #: "nan", "+inf", "-inf" (a non-finite value on this road) or "differs".
    kind: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.name} on the {self.road} road: {self.detail or self.kind}"


@dataclass
class GradientReport:
    """Per-parameter gradients of each road and how far they are apart.

    The check passes only when every number of every road is finite and every road
    is within ``tolerance · (1 + |δ road|)`` of the δ road: a NaN or an infinity on
    any road is a failure, named by parameter and road, never a silent pass.
    """

    names: list[str]
    roads: dict[str, np.ndarray]
    loss: str
    tolerance: float
    notes: list[str] = field(default_factory=list)
    sweep: list[tuple[float, float]] | None = None
    #: The loss L as each road computed it (roads that compute one).
    losses: dict[str, float] = field(default_factory=dict)
    #: Rows whose finite differences straddle a kink of the activation (ReLU at 0, ...):
    #: they are not compared with the finite-difference road (see :func:`kink_mask`).
    kinks: np.ndarray | None = None
    #: For each person's road that fails: the grader's word on its first wrong parameter
    #: (the one nearest the output), with the correct chain rule step.
    road_diagnosis: dict[str, str] = field(default_factory=dict)

    #: The road the others are held against, and what a row of the report is.
    REFERENCE: ClassVar[str] = "delta"
    LABEL: ClassVar[str] = "δ"
    UNIT: ClassVar[str] = "parameter"
    FD_ROAD: ClassVar[str] = "finite differences"

    def _at_kink(self, road: str) -> np.ndarray | None:
        """The rows not compared on ``road`` because its differences straddle a kink."""
        if self.kinks is None or self.FD_ROAD not in (road, self.REFERENCE):
            return None
        return self.kinks

    @property
    def reference(self) -> np.ndarray:
        """The road the others are held against (``REFERENCE``), shape ``(len(names),)``."""
        return self.roads[self.REFERENCE]

    def differences(self) -> dict[str, np.ndarray]:
        """|road − reference road| for every other road (NaN where either is not finite)."""
        ref = self.REFERENCE
        with np.errstate(invalid="ignore"):  # inf − inf: NaN, as it should be here
            return {k: np.abs(v - self.reference) for k, v in self.roads.items() if k != ref}

    @property
    def max_abs(self) -> float:
        """The largest |road − δ road|; NaN if any road has a non-finite value."""
        return _worst(list(self.differences().values()))

    @property
    def max_rel(self) -> float:
        """The largest |road − δ road| / |δ road|; NaN if any road has a non-finite value."""
        scale = np.maximum(np.abs(self.reference), 1e-300)
        with np.errstate(invalid="ignore"):  # inf / inf: NaN, as it should be here
            ratios = [np.where(d == 0, 0.0, d / scale) for d in self.differences().values()]
        return _worst(ratios)

    @property
    def max_scaled(self) -> float:
        """The largest |road − reference| / (1 + |reference|): what the tolerance bounds."""
        scale = 1.0 + np.abs(self.reference)
        with np.errstate(invalid="ignore"):
            return _worst([d / scale for d in self.differences().values()])

    def _tolerance_text(self) -> str:
        return f"tolerance {self.tolerance:g}"

    def _limit(self, road: str, reference: np.ndarray | float) -> np.ndarray | float:
        limit = self.tolerance * (1.0 + np.abs(reference))
        if road == "finite differences":  # their own error floor, about 1e-10 at h = 1e-5
            limit = np.maximum(limit, 1e-6 * (1.0 + np.abs(reference)))
        return limit

    def problems(self) -> list[Problem]:
        """Every reason to fail, parameter by parameter, the loss last.

        A non-finite value is named on the road that has it; a finite value that is
        off from a finite δ road by more than the tolerance is named as a difference.
        """
        found: list[Problem] = []
        ref = self.reference
        finite = {road: np.isfinite(v) for road, v in self.roads.items()}
        differs = {}
        for road, values in self.roads.items():
            if road != self.REFERENCE:
                with np.errstate(invalid="ignore"):
                    apart = np.abs(values - ref) > self._limit(road, ref)
                differs[road] = apart & finite[road] & finite[self.REFERENCE]
                kinked = self._at_kink(road)
                if kinked is not None:
                    differs[road] &= ~kinked
        flagged = np.zeros(len(self.names), dtype=bool)
        for mask in [*(~ok for ok in finite.values()), *differs.values()]:
            flagged |= mask
        for k in np.flatnonzero(flagged):  # vectorized above; only the failing pairs here
            name = self.names[k]
            for road, ok in finite.items():
                if not ok[k]:
                    found.append(Problem(name, road, _number_class(self.roads[road][k])))
            for road, apart in differs.items():
                if apart[k]:
                    detail = f"{self.roads[road][k]:.12g} differs from {self.LABEL} {ref[k]:.12g}"
                    found.append(Problem(name, road, "differs", detail))
        ref_loss = self.losses.get(self.REFERENCE)
        for road, value in self.losses.items():
            if not np.isfinite(value):
                found.append(Problem("L", road, _number_class(value)))
            elif road != self.REFERENCE and ref_loss is not None and np.isfinite(ref_loss):
                if abs(value - ref_loss) > self.tolerance * (1.0 + abs(ref_loss)):
                    detail = f"{value:.12g} differs from {self.LABEL} {ref_loss:.12g}"
                    found.append(Problem("L", road, "differs", detail))
        return found

    def failures(self) -> list[str]:
        """Names of the parameters (and ``"L"``) with any problem, in report order."""
        return list(dict.fromkeys(p.name for p in self.problems()))

    @property
    def passed(self) -> bool:
        """True when :meth:`problems` is empty: every road finite and within tolerance.

        >>> ok = GradientReport(["w"], {"delta": np.array([2.0]), "tensor": np.array([2.0])},
        ...                     loss="mse", tolerance=1e-9)
        >>> ok.passed
        True
        >>> bad = GradientReport(["w"], {"delta": np.array([2.0]), "tensor": np.array([np.nan])},
        ...                      loss="mse", tolerance=1e-9)
        >>> bad.passed, bad.failures()
        (False, ['w'])
        """
        return not self.problems()

    def summary(self) -> str:
        """One line: rows and roads compared, the largest differences, the tolerance, PASS or FAIL.

        A failing report names its first three problems and counts the rest.
        """
        roads = ", ".join(self.roads)
        problems = self.problems()
        if problems:
            named = "; ".join(str(p) for p in problems[:3])
            more = f"; and {len(problems) - 3} more" if len(problems) > 3 else ""
            verdict = f"FAIL ({len(self.failures())} failing): {named}{more}"
        else:
            verdict = "PASS"
        if self.kinks is not None and self.FD_ROAD in self.roads and self.kinks.any():
            verdict += f" ({int(self.kinks.sum())} at a kink, not compared with {self.FD_ROAD})"
        return (
            f"{len(self.names)} {self.UNIT}s, roads: {roads}; max abs diff {self.max_abs:.3g}, "
            f"max diff/(1+|{self.REFERENCE}|) {self.max_scaled:.3g}; "
            f"{self._tolerance_text()}: {verdict}"
        )

    def table(self, max_rows: int | None = None) -> str:
        """An aligned text table, one row per parameter (or pair), and the summary line.

        With ``max_rows``, a longer report shows its failing rows and then the first
        rows up to that many, and says how many it left out.
        """
        roads = list(self.roads)
        headers = [self.UNIT, *roads, "max |diff|", ""]
        diffs = self.differences()
        marks: dict[str, list[str]] = {}
        differing: dict[str, list[str]] = {}
        for p in self.problems():
            if p.kind == "differs":
                differing.setdefault(p.name, []).append(p.road)
            else:
                marks.setdefault(p.name, []).append(f"{p.kind} on {p.road}")
        for name, which in differing.items():
            against = f"against {self.REFERENCE}"
            marks.setdefault(name, []).append(f"differs ({', '.join(which)} {against})")
        kinked = set()
        if self.kinks is not None and self.FD_ROAD in self.roads:
            kinked = {self.names[k] for k in np.flatnonzero(self.kinks)}
            for name in kinked:
                marks.setdefault(name, []).append(f"at a kink (not compared with {self.FD_ROAD})")
        shown = range(len(self.names))
        left_out = 0
        if max_rows is not None and len(self.names) > max_rows:
            failing = [k for k, name in enumerate(self.names) if name in marks]
            rest = [k for k in range(len(self.names)) if self.names[k] not in marks]
            shown = sorted(failing + rest[: max(0, max_rows - len(failing))])
            left_out = len(self.names) - len(shown)
        rows = []
        for k in shown:
            name = self.names[k]
            worst = max((float(d[k]) for d in diffs.values()), default=0.0)
            cells = [name, *(f"{self.roads[r][k]: .12g}" for r in roads), f"{worst:.2e}"]
            mark = f"<-- {', '.join(marks[name])}" if name in marks else ""
            rows.append([*cells, mark])
        widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows, strict=True)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths[:-1]))
        for row in rows:
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if left_out:
            lines.append(f"... {left_out} more {self.UNIT}s, all passing (--json lists every one)")
        if self.losses:
            lines.append("loss L: " + ", ".join(f"{r} {v:.12g}" for r, v in self.losses.items()))
        lines.extend(self.notes)
        if self.sweep:
            lines.append("finite-difference step sweep (max |fd - delta| against h):")
            lines.extend(f"  h = {h:.0e}   error {err:.3e}" for h, err in self.sweep)
        lines.append(self.summary())
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data (lists, numbers, strings) for JSON; a non-finite number is a string."""
        diffs = self.differences()
        return {
            "loss": self.loss,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "max_abs_diff": _json_number(self.max_abs),
            "max_rel_diff": _json_number(self.max_rel),
            "max_scaled_diff": _json_number(self.max_scaled),
            "failures": self.failures(),
            "at_kink": [self.names[k] for k in np.flatnonzero(self.kinks)]
            if self.kinks is not None and self.FD_ROAD in self.roads
            else [],
            "problems": [
                {"name": p.name, "road": p.road, "kind": p.kind, "detail": str(p)}
                for p in self.problems()
            ],
            "losses": {road: _json_number(v) for road, v in self.losses.items()},
            "notes": self.notes,
            "sweep": [{"h": h, "max_error": _json_number(e)} for h, e in self.sweep]
            if self.sweep
            else None,
            "parameters": [
                {
                    "name": name,
                    **{road: _json_number(v[k]) for road, v in self.roads.items()},
                    **{f"abs_diff_{road}": _json_number(d[k]) for road, d in diffs.items()},
                }
                for k, name in enumerate(self.names)
            ],
        }


def _worst(arrays: list[np.ndarray]) -> float:
    """The largest entry of all arrays, NaN if any entry is NaN, 0 if there are none."""
    values = np.concatenate([np.ravel(a) for a in arrays]) if arrays else np.zeros(0)
    with np.errstate(invalid="ignore"):
        return float(np.max(values, initial=0.0))


def _json_number(v: float) -> float | str:
    """A float, or "nan" / "+inf" / "-inf": JSON has no non-finite numbers."""
    v = float(v)
    return v if np.isfinite(v) else _number_class(v)


def _prepare(net: Any, x: Any, z: Any, loss: str) -> tuple[MLP, np.ndarray, np.ndarray, list[str]]:
    """The network as a float64 MLP, x as (n, inputs) and z as the loss wants, checked.

    Refuses, in one sentence each: an empty batch, a target count that does not fit
    the samples and outputs, and ``bce`` (which takes probabilities) on a network
    whose output is not a sigmoid. A network that is not float64 is checked on a
    float64 copy (its numbers are exact there), and a note says so.
    """
    net = as_mlp(net)
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    z = np.asarray(z, dtype=np.float64)
    if x.ndim != 2 or x.shape[0] == 0:
        raise ValueError(f"x has no samples (shape {x.shape}); give at least one row")
    if x.shape[1] != net.nin:
        raise ValueError(f"x has {x.shape[1]} inputs per sample; the network takes {net.nin}")
    outputs = net.layers[-1].nout
    if loss == "cross_entropy":
        if z.size != len(x):
            raise ValueError(f"{z.size} class labels (shape {z.shape}) for {len(x)} samples")
        z = z.reshape(-1)
    else:
        if z.size != len(x) * outputs:
            raise ValueError(
                f"targets of shape {z.shape} ({z.size} numbers) do not fit {len(x)} samples "
                f"of {outputs} outputs"
            )
        z = z.reshape(len(x), outputs)
    backprop.require_formulas(net.activations)  # before any road runs the network
    last = net.activations[-1]
    if loss == "bce" and last != "sigmoid":
        raise ValueError(
            f"loss 'bce' takes probabilities but the output layer is {last!r}; "
            "use a 'sigmoid' output or the loss 'bce_with_logits'"
        )
    notes = []
    dtypes = {np.dtype(p.data.dtype) for p in net.parameters()}
    if dtypes != {np.dtype(np.float64)}:
        names = ", ".join(sorted(str(d) for d in dtypes))
        notes.append(f"checked on a float64 copy of the network (its parameters are {names})")
        weights = [np.asarray(layer.weight.data, dtype=np.float64) for layer in net.layers]
        biases = [np.asarray(layer.bias.data, dtype=np.float64) for layer in net.layers]
        net = MLP.from_weights(weights, biases, activation=net.activations)
    return net, x, z, notes


def cross_check(
    net: MLP,
    x: Any,
    z: Any,
    loss: str = "mse",
    tolerance: float = 1e-10,
    scalar: bool | None = None,
    finite_differences: bool = False,
    sweep: bool = False,
    roads: dict[str, Any] | None = None,
) -> GradientReport:
    """Compute every parameter's gradient by each road and compare.

    A NaN or an infinity on any road (gradient or loss) fails the check, naming the
    parameter and the road.

    Args:
        net: the network (its current weights are used; its ``.grad`` is reset to zero).
        x: inputs, (n, inputs) or one sample (inputs,).
        z: targets (n, outputs), or (n,) integer labels for ``loss="cross_entropy"``.
        loss: a loss name of :mod:`tinygrad_mlp.names` (canonical or alias).
        tolerance: pass if every |road − δ road| <= tolerance · (1 + |δ road|)
            (finite differences: at least 1e-6 relative, their own error floor).
        scalar: run the Value road; None runs it when the graph is small enough.
        finite_differences: add central differences (h = 1e-5) as a fourth witness.
        sweep: also report the finite-difference error for h = 1e-1 ... 1e-12.
        roads: a person's own roads, name → ``fn(net, x, y)`` returning a dict from
            parameter name (``layers.0.weight`` or the sheet's ``wh[0]``) to gradient
            (see :mod:`tinygrad_mlp.crosscheck.person`); a failing one gets the grader's
            diagnosis in ``road_diagnosis`` and the notes. A function that raises, or
            returns the wrong keys or shapes, is a ValueError of one sentence.

    Returns:
        A :class:`GradientReport`: ``passed``, ``problems()``, ``table()``, ``to_dict()``.

    >>> from tinygrad_mlp.seed import seed_network
    >>> cross_check(seed_network(), [[1.0, 1.0]], [[1.0]]).passed
    True
    """
    loss = loss_name(loss)
    net, x, z, notes = _prepare(net, x, z, loss)
    names = [n for group in parameter_names(net) for n in group]
    persons = dict(roads or {})
    roads: dict[str, np.ndarray] = {}
    losses: dict[str, float] = {}
    nodes = 2 * sum(p.data.size for p in net.parameters()) * len(x)
    if scalar is None:
        scalar = nodes <= SCALAR_NODE_LIMIT
        if not scalar:
            notes.append(
                f"scalar road skipped: about {nodes} Value nodes (limit {SCALAR_NODE_LIMIT})"
            )
    runs = [("scalar", scalar_road)] if scalar else []
    runs += [("tensor", tensor_road), ("delta", delta_road)]
    if finite_differences:
        runs.append(("finite differences", finite_difference_road))
    # NOTE: the roads are looked up here, at call time, so a test can poison any one of them.
    for road, run in runs:
        grads, value = run(net, x, z, loss)
        roads[road] = np.asarray(grads, dtype=np.float64).reshape(-1)
        if value is not None:
            losses[road] = float(value)
    people = {}
    for road, fn in persons.items():
        if road in roads:
            raise ValueError(f"a person's road cannot be named {road!r}, a road of the check")
        people[road] = run_road(fn, net, x, z, loss, road)
        roads[road] = np.concatenate([g.reshape(-1) for g in people[road]])
    kinks = None
    if finite_differences:
        kinks = kink_mask(net, x, FD_STEP, (-1, 1))
        if kinks.any():
            notes.append(
                f"{int(kinks.sum())} parameters at a kink of an activation: their finite "
                "differences straddle it, so they are not compared with that road"
            )
    report = GradientReport(names, roads, loss, tolerance, notes, losses=losses, kinks=kinks)
    if sweep:
        report.sweep = step_sweep(net, x, z, loss, roads["delta"])
    failing = {p.road for p in report.problems()}
    for road, grads in people.items():
        if road in failing:
            report.road_diagnosis[road] = _diagnosis(net, x, z, loss, grads)
            report.notes.append(f"your road {road!r}: {report.road_diagnosis[road]}")
    return report


def _diagnosis(net: MLP, x: np.ndarray, z: np.ndarray, loss: str, grads: list) -> str:
    """The grader's sentence on the wrong parameter nearest the output, and its step."""
    graded = diagnose_road(net, x, z, loss, grads)
    wrong = graded.wrong_here()
    if not wrong:
        return "its gradients differ from the δ road's within the grader's tolerance"
    row = wrong[0]
    return f"{row.name} is the first wrong parameter: {row.diagnosis} The chain rule: {row.step}"

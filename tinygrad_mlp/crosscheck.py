"""The gradient cross-check: scalar autodiff, tensor autodiff and the δ formulas.

For one network, inputs and targets, the gradient of the loss with respect to
every parameter is computed three independent ways — the ``Value`` engine (one
node per multiply and add), the ``Tensor`` engine (one node per layer op) and
:mod:`tinygrad_mlp.backprop` (the cheat sheet's δ formulas in plain numpy) —
and, on request, a fourth: central finite differences of the loss. The report
lists every parameter in the sheet's notation with each road's value and their
differences.

The check cannot pass on a non-finite value: a NaN or an infinity on any road,
in any gradient or in the loss, is a failure named by parameter and road. Each
road is one function (``scalar_road``, ``tensor_road``, ``delta_road``,
``finite_difference_road``) returning the flattened gradient and the loss.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.losses import loss_function
from tinygrad_mlp.names import loss_name
from tinygrad_mlp.nn import MLP, as_mlp
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = [
    "GradientReport",
    "Problem",
    "HessianReport",
    "cross_check",
    "delta_fd_hessian_road",
    "delta_road",
    "finite_difference_road",
    "hessian_check",
    "parameter_names",
    "scalar_loss",
    "scalar_hessian_road",
    "scalar_road",
    "step_sweep",
    "tensor_loss",
    "tensor_hessian_road",
    "tensor_road",
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


def _numbers(grad: Any, like: np.ndarray) -> np.ndarray:
    """A gradient's numbers, whether ``.grad`` holds None, an array or a node."""
    if grad is None:
        return np.zeros_like(like)
    return np.asarray(getattr(grad, "data", grad), dtype=np.float64)


def _flat_grads(net: MLP) -> np.ndarray:
    return np.concatenate([_numbers(p.grad, p.data).reshape(-1) for p in net.parameters()])


def scalar_loss(outputs: list[Value], target: np.ndarray, loss: str, count: int) -> Value:
    """One sample's share of the batch loss, on the ``Value`` engine.

    The loss itself is :mod:`tinygrad_mlp.losses`' (one table for both engines): the sum
    convention of ``mse`` needs nothing more; every other loss is a mean over the
    batch, so one sample of ``count`` carries 1/count of it.
    """
    loss = loss_name(loss)
    function = loss_function(loss)
    if loss == "cross_entropy":
        value = function(outputs, int(np.asarray(target).reshape(-1)[0]))
    else:
        value = function(outputs, [float(t) for t in np.asarray(target).reshape(-1)])
    return value if loss == "mse" else value * (1.0 / count)


def tensor_loss(out: Tensor, z: np.ndarray, loss: str) -> Tensor:
    """The batch loss ``loss`` (a name of :mod:`tinygrad_mlp.names`) on the ``Tensor`` engine."""
    return loss_function(loss)(out, z)


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
        (h, float(np.abs(finite_difference_road(net, x, z, loss, h)[0] - reference).max()))
        for h in steps
    ]


# -- the roads: each returns (every parameter's gradient, flattened; the loss or None) --------


def scalar_road(net: MLP, x: np.ndarray, z: np.ndarray, loss: str) -> tuple[np.ndarray, float]:
    """The ``Value`` engine: one graph per sample, the samples' gradients summed."""
    net.zero_grad()
    total = 0.0
    for xi, zi in zip(x, z, strict=True):
        sample_loss = scalar_loss(net([float(v) for v in xi]), zi, loss, len(x))
        sample_loss.backward()
        total += sample_loss.data
    grads = _flat_grads(net)
    net.zero_grad()
    return grads, total


def tensor_road(net: MLP, x: np.ndarray, z: np.ndarray, loss: str) -> tuple[np.ndarray, float]:
    """The ``Tensor`` engine: one graph for the whole batch."""
    net.zero_grad()
    batch_loss = tensor_loss(net(x), z, loss)
    batch_loss.backward()
    grads = _flat_grads(net)
    net.zero_grad()
    return grads, float(batch_loss.item())


def delta_road(net: MLP, x: np.ndarray, z: np.ndarray, loss: str) -> tuple[np.ndarray, float]:
    """The δ formulas of :mod:`tinygrad_mlp.backprop`, on copies of the weights."""
    weights, biases = _weights(net)
    bp = backprop.gradients(weights, biases, net.activations, x, z, loss)
    pairs = zip(bp.grad_w, bp.grad_b, strict=True)
    return np.concatenate([g.reshape(-1) for pair in pairs for g in pair]), bp.loss


#: The step of the first-order finite-difference road.
FD_STEP = 1e-5

#: The step of the Hessian check's five-point differences (scaled by max(1, |θ|)).
HESSIAN_FD_STEP = 5e-4


def finite_difference_road(
    net: MLP, x: np.ndarray, z: np.ndarray, loss: str, h: float = FD_STEP
) -> tuple[np.ndarray, None]:
    """Central differences (L(θ + h) − L(θ − h)) / 2h of the δ road's loss, one parameter at
    a time."""
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
    return np.array(grads), None


#: Where each activation has a kink (a jump in f' or f''), so finite differences of the
#: loss or of its gradient that straddle one are not a witness there.
KINKS: dict[str, tuple[float, ...]] = {
    "relu": (0.0,),
    "leaky_relu": (0.0,),
    "elu": (0.0,),
    "celu": (0.0,),
    "hardtanh": (-1.0, 1.0),
    "hardsigmoid": (-3.0, 3.0),
}


def kink_mask(net: MLP, x: np.ndarray, h: float, offsets: tuple[int, ...]) -> np.ndarray:
    """Which parameters' finite differences straddle a kink of an activation.

    Parameter k is moved to θ_k + m·h_k for each m in ``offsets`` (h_k = h·max(1, |θ_k|),
    as the finite-difference roads do); it is flagged when some sample's weighted sum s
    of a kinked layer lies on different sides of a kink (or on it) at two of those
    points, θ_k itself included. Here the output's s = relu(1e-7) + b₁ sits 1e-7 from
    the kink, as does the hidden s = b₀: moving either bias by 1e-5 crosses it.

    Args:
        net: the network (not modified; its weights are copied).
        x: inputs, (n, inputs).
        h: the finite-difference step.
        offsets: the multiples of the step the difference formula evaluates.

    Returns:
        A boolean array, one entry per parameter in ``net.parameters()`` order.

    >>> net = MLP.from_weights([[[1.0]], [[1.0]]], [[1e-7], [0.0]], activation="relu")
    >>> kink_mask(net, np.array([[0.0]]), 1e-5, (-1, 1)).tolist()
    [False, True, False, True]
    """
    acts = net.activations
    kinked = [k for k, name in enumerate(acts) if name in KINKS]
    weights, biases = _weights(net)
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]
    if not kinked:
        return np.zeros(sum(p.size for p in params), dtype=bool)

    def sides() -> list[np.ndarray]:
        s, _ = backprop.forward(weights, biases, acts, x)
        return [np.sign(s[k][..., None] - np.array(KINKS[acts[k]])) for k in kinked]

    base = sides()
    mask = []
    for p in params:
        for idx in np.ndindex(p.shape):
            old = float(p[idx])
            step = h * max(1.0, abs(old))
            crossed = False
            for m in offsets:
                p[idx] = old + m * step
                crossed = crossed or any(
                    (moved != b).any() for moved, b in zip(sides(), base, strict=True)
                )
            p[idx] = old
            mask.append(crossed)
    return np.array(mask, dtype=bool)


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

    Returns:
        A :class:`GradientReport`: ``passed``, ``problems()``, ``table()``, ``to_dict()``.

    >>> from tinygrad_mlp.seed import seed_network
    >>> cross_check(seed_network(), [[1.0, 1.0]], [[1.0]]).passed
    True
    """
    loss = loss_name(loss)
    net, x, z, notes = _prepare(net, x, z, loss)
    names = [n for group in parameter_names(net) for n in group]
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
    return report


# -- one order up: the Hessian ------------------------------------------------------------


@dataclass
class HessianReport(GradientReport):
    """Every second derivative ∂²L/∂θ_a∂θ_b by each road, pair by pair.

    Roads: double autodiff on the ``Value`` engine (``scalar``) and on the ``Tensor``
    engine (``tensor``), held against ``delta fd``: five-point central differences of
    the δ road's gradient, an independent witness one order up. The same rule as the
    gradient check: any NaN or infinity fails, named by pair and road. The autodiff
    roads must agree with each other within ``tolerance · (1 + |value|)`` and with the
    finite differences within ``fd_tolerance · (1 + |value|)`` (their own error, about
    1e-11 on small networks, sets that floor).
    """

    fd_tolerance: float = 1e-7

    REFERENCE: ClassVar[str] = "delta fd"
    LABEL: ClassVar[str] = "δ fd"
    UNIT: ClassVar[str] = "pair"
    FD_ROAD: ClassVar[str] = "delta fd"

    def _tolerance_text(self) -> str:
        fd = max(self.tolerance, self.fd_tolerance)
        return f"tolerance {self.tolerance:g} between engines, {fd:g} against {self.REFERENCE}"

    def _limit(self, road: str, reference: np.ndarray | float) -> np.ndarray | float:
        return max(self.tolerance, self.fd_tolerance) * (1.0 + np.abs(reference))

    def problems(self) -> list[Problem]:
        """The gradient check's problems for every pair, plus ``scalar`` against ``tensor``.

        Each autodiff road is held against ``delta fd`` within the larger of the two
        tolerances, and the two autodiff roads against each other within ``tolerance``.
        """
        found = super().problems()
        if "scalar" in self.roads and "tensor" in self.roads:
            scalar, tensor = self.roads["scalar"], self.roads["tensor"]
            with np.errstate(invalid="ignore"):
                apart = np.abs(scalar - tensor) > self.tolerance * (1.0 + np.abs(tensor))
            for k in np.flatnonzero(apart):  # NaN compares False: named above already
                detail = f"{scalar[k]:.12g} differs from tensor {tensor[k]:.12g}"
                found.append(Problem(self.names[k], "scalar", "differs", detail))
        return found

    def matrix(self, road: str) -> np.ndarray:
        """One road's Hessian as a (parameters × parameters) matrix."""
        size = int(round(len(self.names) ** 0.5))
        return self.roads[road].reshape(size, size)

    def to_dict(self) -> dict[str, Any]:
        """:meth:`GradientReport.to_dict` (one entry per pair) plus ``fd_tolerance``."""
        data = super().to_dict()
        data["fd_tolerance"] = self.fd_tolerance
        return data


def _scalar_parameters(net: MLP) -> list[Value]:
    """The scalar engine's parameter leaves, in ``net.parameters()`` order, flattened."""
    leaves: list[Value] = []
    for layer in net.layers:
        leaves += [w for neuron in layer.neurons for w in neuron.w]
        leaves += [neuron.b for neuron in layer.neurons]
    return leaves


def scalar_hessian_road(net: MLP, x: np.ndarray, z: np.ndarray, loss: str) -> np.ndarray:
    """Double autodiff on the ``Value`` engine: ∇L as Values, then ∇ of each of them."""
    from tinygrad_mlp import grad

    leaves = _scalar_parameters(net)
    total = None
    for xi, zi in zip(x, z, strict=True):
        sample_loss = scalar_loss(net([float(v) for v in xi]), zi, loss, len(x))
        total = sample_loss if total is None else total + sample_loss
    first = grad(total, leaves, create_graph=True)
    rows = []
    for g in first:
        second = grad(g, leaves, allow_unused=True) if _is_node(g) else [None] * len(leaves)
        rows.append([0.0 if d is None else float(getattr(d, "data", d)) for d in second])
    return np.array(rows, dtype=np.float64)


def tensor_hessian_road(net: MLP, x: np.ndarray, z: np.ndarray, loss: str) -> np.ndarray:
    """Double autodiff on the ``Tensor`` engine: ∇L as Tensors, then ∇ of each element."""
    from tinygrad_mlp import grad

    params = net.parameters()
    first = grad(tensor_loss(net(x), z, loss), params, create_graph=True)
    rows = []
    for g, p in zip(first, params, strict=True):
        for idx in np.ndindex(p.data.shape):
            element = g[idx]
            second = grad(element, params, allow_unused=True)
            rows.append(
                np.concatenate(
                    [_numbers(d, q.data).reshape(-1) for d, q in zip(second, params, strict=True)]
                )
            )
    return np.array(rows, dtype=np.float64)


def _is_node(g: Any) -> bool:
    return isinstance(g, (Value, Tensor))


def delta_fd_hessian_road(
    net: MLP, x: np.ndarray, z: np.ndarray, loss: str, h: float = HESSIAN_FD_STEP
) -> np.ndarray:
    """Five-point central differences of the δ road's gradient g, one parameter at a time.

    Column k is (g(θ − 2h_k) − 8 g(θ − h_k) + 8 g(θ + h_k) − g(θ + 2h_k)) / 12h_k with
    h_k = h · max(1, |θ_k|): error O(h⁴) + O(ε/h), about 1e-11 on small networks.
    """
    weights, biases = _weights(net)
    acts = net.activations
    params = [p for pair in zip(weights, biases, strict=True) for p in pair]

    def gradient() -> np.ndarray:
        bp = backprop.gradients(weights, biases, acts, x, z, loss)
        pairs = zip(bp.grad_w, bp.grad_b, strict=True)
        return np.concatenate([g.reshape(-1) for pair in pairs for g in pair])

    columns = []
    for p in params:
        for idx in np.ndindex(p.shape):
            old = float(p[idx])
            step = h * max(1.0, abs(old))
            samples = {}
            for m in (-2, -1, 1, 2):
                p[idx] = old + m * step
                samples[m] = gradient()
            p[idx] = old
            columns.append(
                (samples[-2] - 8.0 * samples[-1] + 8.0 * samples[1] - samples[2]) / (12.0 * step)
            )
    return np.ascontiguousarray(np.array(columns, dtype=np.float64).T)


#: The Hessian check refuses networks with more parameters (P² pairs, P + 1 sweeps a road).
HESSIAN_PARAMETER_LIMIT = 1500

#: Above this many scalar sweeps × nodes the Value road of the Hessian check is skipped.
SCALAR_HESSIAN_LIMIT = 2_000_000


def hessian_check(
    net: MLP,
    x: Any,
    z: Any,
    loss: str = "mse",
    tolerance: float = 1e-10,
    fd_tolerance: float = 1e-7,
    scalar: bool | None = None,
) -> HessianReport:
    """The Hessian of the loss with respect to every pair of parameters, by each road.

    Double autodiff (``backward`` of a gradient built with ``create_graph=True``) on
    both engines, against five-point central differences of the δ road's gradient.

    Args:
        net: the network (its current weights are used; its ``.grad`` is not touched).
        x: inputs, (n, inputs) or one sample (inputs,).
        z: targets (n, outputs), or (n,) integer labels for ``loss="cross_entropy"``.
        loss: a loss name of :mod:`tinygrad_mlp.names` (canonical or alias).
        tolerance: the autodiff roads agree within tolerance · (1 + |value|).
        fd_tolerance: each autodiff road is within fd_tolerance · (1 + |value|) of the
            finite differences.
        scalar: run the Value road; None runs it when the graphs are small enough.

    Returns:
        A :class:`HessianReport`, rows named ``(θ_a, θ_b)`` in the sheet's notation.
    """
    loss = loss_name(loss)
    net, x, z, notes = _prepare(net, x, z, loss)
    flat = [n for group in parameter_names(net) for n in group]
    if len(flat) > HESSIAN_PARAMETER_LIMIT:
        raise ValueError(
            f"the Hessian check compares every pair of parameters; this network has "
            f"{len(flat)} (limit {HESSIAN_PARAMETER_LIMIT}), so use a smaller one"
        )
    names = [f"({a}, {b})" for a in flat for b in flat]
    count = len(flat)
    work = (count + 1) * 2 * count * len(x)
    if scalar is None:
        scalar = work <= SCALAR_HESSIAN_LIMIT
        if not scalar:
            notes.append(f"scalar road skipped: about {work} node visits ({SCALAR_HESSIAN_LIMIT})")
    runs = [("scalar", scalar_hessian_road)] if scalar else []
    runs += [("tensor", tensor_hessian_road), ("delta fd", delta_fd_hessian_road)]
    roads: dict[str, np.ndarray] = {}
    # NOTE: looked up at call time, so a test can poison any one road.
    for road, run in runs:
        roads[road] = np.asarray(run(net, x, z, loss), dtype=np.float64).reshape(-1)
    # NOTE: column b of the δ fd road moves θ_b; where that straddles a kink, every pair
    # (θ_a, θ_b) is a difference across it, not a second derivative.
    columns = kink_mask(net, x, HESSIAN_FD_STEP, (-2, -1, 1, 2))
    kinks = np.broadcast_to(columns, (count, count)).reshape(-1).copy()
    if kinks.any():
        notes.append(
            f"{int(kinks.sum())} pairs at a kink of an activation: the finite differences "
            "straddle it, so they are not compared with that road"
        )
    return HessianReport(
        names, roads, loss, tolerance, notes, fd_tolerance=fd_tolerance, kinks=kinks
    )

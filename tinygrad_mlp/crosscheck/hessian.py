"""One order up: the Hessian check, double autodiff on both engines against differences
of the δ road's gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from tinygrad_mlp import backprop
from tinygrad_mlp.crosscheck.report import GradientReport, Problem, _prepare
from tinygrad_mlp.crosscheck.roads import (
    HESSIAN_FD_STEP,
    _numbers,
    _weights,
    kink_mask,
    parameter_names,
    scalar_loss,
    tensor_loss,
)
from tinygrad_mlp.names import loss_name
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = [
    "HessianReport",
    "Problem",
    "delta_fd_hessian_road",
    "hessian_check",
    "scalar_hessian_road",
    "tensor_hessian_road",
]

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

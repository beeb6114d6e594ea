"""The roads of the cross-check: each computes the loss's gradient its own way.

``scalar_road`` (the ``Value`` engine), ``tensor_road`` (the ``Tensor`` engine),
``delta_road`` (:mod:`tinygrad_mlp.backprop`, the sheet's δ formulas) and
``finite_difference_road``, each returning the flattened gradient and the loss; the
kinks of the activations, where differences are no witness; the parameters' names.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp import backprop, labels
from tinygrad_mlp.losses import loss_function
from tinygrad_mlp.names import ACTIVATION_FACTS, loss_name
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = [
    "FD_STEP",
    "HESSIAN_FD_STEP",
    "KINKS",
    "SCALAR_NODE_LIMIT",
    "delta_road",
    "finite_difference_road",
    "kink_mask",
    "parameter_names",
    "scalar_loss",
    "scalar_road",
    "step_sweep",
    "tensor_loss",
    "tensor_road",
]

#: Above this many scalar nodes (about 2 per weight per sample) the Value road is skipped.
SCALAR_NODE_LIMIT = 400_000


def parameter_names(net: MLP) -> list[list[str]]:
    """Names of every parameter element, in ``net.parameters()`` order, flattened per tensor."""
    names = []
    for l, layer in enumerate(net.layers):  # noqa: E741 -- the sheet's layer index
        layers = len(net.layers)
        names.append(
            [labels.weight(l, layers, j, i) for j in range(layer.nout) for i in range(layer.nin)]
        )
        names.append([labels.bias(l, layers, j) for j in range(layer.nout)])
    return names


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
#: loss or of its gradient that straddle one are not a witness there: the registry's.
KINKS: dict[str, tuple[float, ...]] = {
    name: facts.kinks for name, facts in ACTIVATION_FACTS.items() if facts.kinks
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

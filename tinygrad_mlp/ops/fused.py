"""Fused rules of the tensor engine: a layer's product, log-softmax and the losses.

Each is one node where a composition would be several, for speed, for a graph
that reads as the cheat sheet writes it, or for numbers a composition would lose
(see each docstring). Each rule's ``backward`` sits under its ``forward`` and
serves every order (see :mod:`tinygrad_mlp.ops.arithmetic`).
"""

from __future__ import annotations

import math

import numpy as np

from tinygrad_mlp.elementwise import BCE_EPS, BCE_LOG_FLOOR
from tinygrad_mlp.ops._array import NUMBERS, TensorOp, exp, log, sigmoid

__all__: list[str] = []  # the rules are reached through Tensor's methods and functions


class MatMulT(TensorOp):
    """y = a @ bᵀ (``b`` is a (out, in) weight);  dL/da = g @ b, dL/db = gᵀ @ a.

    The product of a layer, ``x Wᵀ``, as one node. Computing dL/dW directly as
    gᵀ @ a gives it W's own memory layout; going through a transpose node would
    leave a transposed (Fortran-ordered) gradient that makes every later
    elementwise update on it strided and about twice as slow.
    """

    __slots__ = ()
    symbol = "@ᵀ"

    def forward(self, a, b):
        return a @ b.T

    def backward(self, grad_out, out, a, b, grad_b=None):
        """The rule; on arrays, with ``grad_b`` (b's shape and dtype) given, dL/db is
        written into it: the same product, into the weight gradient's old memory."""
        g = grad_out
        grad_a = g @ b if self.needs[0] else None
        if not self.needs[1]:
            return grad_a, None
        if a.ndim == 2:
            if grad_b is not None and g.dtype == a.dtype == grad_b.dtype:
                return grad_a, np.matmul(g.T, a, out=grad_b)
            return grad_a, g.T @ a
        if a.ndim == 1:  # the outer product g aᵀ
            return grad_a, g.reshape((g.shape[0], 1)) * a
        rows = g.reshape((-1, g.shape[-1]))  # batched: sum over every leading axis
        return grad_a, rows.T @ a.reshape((-1, a.shape[-1]))

    # NOTE: the core's name for a rule that takes a buffer (see Op.backward_into); one
    # method, so that the common call, without a buffer, makes no second call
    backward_into = backward


class LogSoftmax(TensorOp):
    """y = a - logsumexp(a);  dL/da = g - softmax(a) * Σ g, with softmax = e**y.

    Fused and shifted by the maximum so that it stays finite for any input.
    """

    __slots__ = ("axis",)
    symbol = "log_softmax"

    def __init__(self, axis: int) -> None:
        super().__init__()
        self.axis = axis

    def forward(self, a):
        if a.size == 0:  # NOTE: an empty axis gives an empty result, as torch's
            return a.copy()
        shifted = a - a.max(axis=self.axis, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, grad_out, out, a):
        return (grad_out - exp(out) * grad_out.sum(axis=self.axis, keepdims=True),)


class HalfSquaredError(TensorOp):
    """L = ½ Σ (y − z)², the cheat sheet's loss;  dL/dy = y − z, dL/dz = −(y − z).

    Fused (rather than composed from −, *, sum and *) so that the loss is one
    node that reads as the sheet writes it, and a training step of a small
    network spends four fewer Python-level nodes on it.
    """

    __slots__ = ()
    symbol = "½Σ(y−z)²"

    def forward(self, y, z):
        diff = y - z
        return 0.5 * np.vdot(diff, diff).astype(y.dtype)

    def backward(self, grad_out, out, y, z):
        diff = (y - z) * grad_out
        return diff if self.needs[0] else None, (-diff if self.needs[1] else None)


class BCE(TensorOp):
    """L = −[z ln y + (1 − z) ln(1 − y)] elementwise, of probabilities y and targets z.

    dL/dy = (y − z) / max(y (1 − y), 1e-12);  dL/dz = ln(1 − y) − ln(y).

    As torch's ``binary_cross_entropy``: each log is bounded below by −100, and
    the denominator of dL/dy (not the input) by 1e-12, so a saturated wrong
    prediction still gets a large gradient.
    """

    __slots__ = ()
    symbol = "bce"

    def forward(self, y, z):
        with np.errstate(divide="ignore", invalid="ignore"):
            log_y = np.maximum(np.log(y), BCE_LOG_FLOOR)
            log_1my = np.maximum(np.log1p(-y), BCE_LOG_FLOOR)
        return -(z * log_y + (1 - z) * log_1my)

    def backward(self, grad_out, out, y, z):
        grad_y = grad_z = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[0]:
                if isinstance(y, NUMBERS) and isinstance(z, NUMBERS):
                    grad_y = grad_out * BCEGrad.forward(None, y, z)
                else:  # NOTE: a node, so that the next order is torch's (see BCEGrad)
                    y, z = (
                        x if not isinstance(x, NUMBERS) else grad_out._constant(x) for x in (y, z)
                    )
                    grad_y = grad_out * y._node(BCEGrad(), y, z)
            if self.needs[1]:
                grad_z = grad_out * (log(1 - y) - log(y))
        return grad_y, grad_z


class BCEGrad(TensorOp):
    """d = (y − z) / max(y (1 − y), 1e-12), BCE's dL/dy as an op of its own;
    dd/dy = (y² − 2yz + z) / ((y + ε)² (1 − y + ε)²), dd/dz = −1 / max(y (1 − y), ε).

    dd/dy is torch's double backward of ``binary_cross_entropy`` (ε = 1e-12 in both
    factors, everywhere), so second and third derivatives agree with torch's also
    where y (1 − y) < ε, where the clamped formula would give 1/ε.
    """

    __slots__ = ()
    symbol = "bce'"

    def forward(self, y, z):
        with np.errstate(divide="ignore", invalid="ignore"):
            return (y - z) / (y * (1 - y)).clip(BCE_EPS, math.inf)

    def backward(self, grad_out, out, y, z):
        grad_y = grad_z = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs[0]:
                grad_y = (
                    grad_out
                    * (y * y - 2 * y * z + z)
                    / ((y + BCE_EPS) ** 2 * (1 - y + BCE_EPS) ** 2)
                )
            if self.needs[1]:
                grad_z = -grad_out / (y * (1 - y)).clip(BCE_EPS, math.inf)
        return grad_y, grad_z


class BCEWithLogits(TensorOp):
    """L = (1 − z) s + ln(1 + e^−s) elementwise, of raw scores s and targets z.

    dL/ds = σ(s) − z;  dL/dz = −s.

    Fused (rather than composed from relu, abs and log) because the composition
    has the kinks of relu and abs at s = 0, where it loses half of the gradient.
    Evaluated as (1 − z) s + max(−s, 0) + ln(1 + e^−|s|), finite for any finite s.
    """

    __slots__ = ()
    symbol = "bce_logits"

    def forward(self, s, z):
        return (1 - z) * s + np.maximum(-s, 0) + np.log1p(np.exp(-np.abs(s)))

    def backward(self, grad_out, out, s, z):
        return (
            grad_out * (sigmoid(s) - z) if self.needs[0] else None,
            grad_out * -s if self.needs[1] else None,
        )

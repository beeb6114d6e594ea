"""Backpropagation by hand: the cheat sheet's δ formulas in plain numpy.

This module is the independent witness of the project. It imports numpy and the
project's vocabulary of names (:mod:`tinygrad_mlp.names`), nothing of ``Value``,
``Tensor`` or the losses (a test reads its imports to make sure), so when its
gradients agree with the two autodiff engines, three roads that share no code
give one answer.

Notation, as in the sheet, for layer l with weights W_l (nodes × inputs), bias b_l
and activation f_l; a_0 = x is the input and y = a_L the output:

    s_l = W_l a_{l-1} + b_l          (the weighted sum; sheet: s = Σ x_i w_i + b)
    a_l = f_l(s_l)                   (the activation;   sheet: a = f(s), y = f(s))
    δ_L = f_L'(s_L) ⊙ ∂L/∂y          (output error signal; ½-sum mse: f'(s)(y − z);
                                      sigmoid output with bce: (σ(s) − z) / N)
    δ_l = f_l'(s_l) ⊙ (W_{l+1}ᵀ δ_{l+1})   (hidden error signal: the sum over every
                                      node of the next layer, which the sheet's
                                      δ_h = f'(s)·w·δ writes for a single one)
    ∂L/∂W_l = δ_l a_{l-1}ᵀ,  ∂L/∂b_l = δ_l      (summed over the samples of a batch)
    W_l ← W_l − η ∂L/∂W_l                        (gradient descent)

Arrays hold one sample per row: x is (n, inputs), s_l and a_l are (n, nodes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tinygrad_mlp.names import ACTIVATIONS, LOSSES, activation_name, loss_name, require_cover

__all__ = [
    "ACTIVATIONS",
    "LOSSES",
    "Backprop",
    "activate",
    "backward",
    "derivative",
    "forward",
    "gradients",
    "loss_value",
    "output_delta",
    "require_formulas",
    "sgd_step",
    "sigmoid",
]

# NOTE: the names (and their aliases) come from tinygrad_mlp.names, the project's one
# vocabulary; the formulas below are this module's own. Losses, in those names:
# mse: ½ Σ (y − z)² over every output and sample (the sheet's loss); mse_mean: mean of
# (y − z)²; bce: binary cross-entropy of probabilities y; bce_with_logits: binary
# cross-entropy of logits s (sigmoid folded in); cross_entropy: softmax cross-entropy of
# logits against integer labels. The last three average over the batch (bce and
# bce_with_logits over every element).


def sigmoid(s: np.ndarray) -> np.ndarray:
    """σ(s) = 1 / (1 + e^−s), to a few ulps for every float64 s.

    For s ≥ 0 as written; for s < 0 as e^s / (1 + e^s), the same function, whose
    exponential cannot overflow and whose result keeps its relative precision down
    to σ(−745) ≈ 5e-324 (``1 − σ(|s|)`` would round to 0 from s ≈ −37).

    >>> float(sigmoid(np.float64(-40.0)))  # 1 / (1 + e^40)
    4.248354255291589e-18
    """
    s = np.asarray(s, dtype=np.float64)
    e = np.exp(-np.abs(s))  # in (0, 1]: never overflows
    return np.where(s >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


# -- the wider activations, each f(s) and f'(s) written here from its math (torch's
# defaults): leaky_relu slope 0.01; elu and celu α = 1 (so celu = elu); softplus β = 1
# with threshold 20; hardtanh [−1, 1]; Φ and φ the normal cdf and density.
_erf = np.vectorize(math.erf, otypes=[float])


def _phi_cdf(s: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + _erf(s / math.sqrt(2.0)))


def _phi_pdf(s: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * s * s) / math.sqrt(2.0 * math.pi)


def _logistic(s: np.ndarray) -> np.ndarray:
    return 0.5 * (np.tanh(0.5 * s) + 1.0)


_K = math.sqrt(2.0 / math.pi)  # gelu_tanh: u = K (s + 0.044715 s³)


def _gelu_tanh_prime(s: np.ndarray) -> np.ndarray:
    t = np.tanh(_K * (s + 0.044715 * s**3))
    return 0.5 * (1.0 + t) + 0.5 * s * (1.0 - t * t) * _K * (1.0 + 3 * 0.044715 * s * s)


_MORE = {
    "leaky_relu": (lambda s: np.where(s > 0, s, 0.01 * s), lambda s: np.where(s > 0, 1.0, 0.01)),
    "elu": (
        lambda s: np.where(s > 0, s, np.expm1(np.minimum(s, 0.0))),
        lambda s: np.where(s > 0, 1.0, np.exp(np.minimum(s, 0.0))),
    ),
    "celu": (
        lambda s: np.where(s > 0, s, np.expm1(np.minimum(s, 0.0))),
        lambda s: np.where(s > 0, 1.0, np.exp(np.minimum(s, 0.0))),
    ),
    "gelu": (lambda s: s * _phi_cdf(s), lambda s: _phi_cdf(s) + s * _phi_pdf(s)),
    "gelu_tanh": (
        lambda s: 0.5 * s * (1.0 + np.tanh(_K * (s + 0.044715 * s**3))),
        _gelu_tanh_prime,
    ),
    "silu": (lambda s: s * _logistic(s), lambda s: _logistic(s) * (1.0 + s * (1.0 - _logistic(s)))),
    "softplus": (
        lambda s: np.where(s > 20, s, np.log1p(np.exp(np.minimum(s, 20.0)))),
        lambda s: np.where(s > 20, 1.0, _logistic(s)),
    ),
    "softsign": (lambda s: s / (1.0 + np.abs(s)), lambda s: 1.0 / (1.0 + np.abs(s)) ** 2),
    "hardtanh": (lambda s: np.clip(s, -1.0, 1.0), lambda s: ((s > -1) & (s < 1)) * 1.0),
    # NOTE: torch (and so both engines) scale hardsigmoid's gradient by 1/6 rounded to
    # float32; the witness does the same so that its 1e-10 comparison is about the rest
    "hardsigmoid": (
        lambda s: np.clip(s / 6.0 + 0.5, 0.0, 1.0),
        lambda s: ((s > -3) & (s < 3)) * float(np.float32(1.0 / 6.0)),
    ),
}


def _linear(s: np.ndarray) -> np.ndarray:
    return np.array(s, dtype=np.float64)


#: f(s) and f'(a, s) of every activation of the vocabulary: sigmoid's σ'(s) = a(1 − a)
#: with 1 − a taken as σ(−s) (the same number, exact where 1 − a rounds to 0); tanh's
#: 1 − a²; relu's 1 where s > 0 (0 at s = 0, as PyTorch); linear's 1.
_FORMULAS = {
    "sigmoid": (sigmoid, lambda a, s: a * sigmoid(-s)),
    "tanh": (np.tanh, lambda a, s: 1.0 - a * a),
    "relu": (lambda s: np.maximum(s, 0.0), lambda a, s: (s > 0).astype(np.float64)),
    "linear": (_linear, lambda a, s: np.ones_like(s, dtype=np.float64)),
    **{name: (f, lambda a, s, fp=fp: fp(s)) for name, (f, fp) in _MORE.items()},
}
require_cover(_FORMULAS, ACTIVATIONS, "the δ witness's formulas (backprop._FORMULAS)")


def _formulas(name: str) -> tuple:
    name = activation_name(name)
    if name not in _FORMULAS:
        raise ValueError(f"the δ witness has no formula for the activation {name!r}")
    return _FORMULAS[name]


def require_formulas(activations: Sequence[str]) -> None:
    """Refuse, in one ValueError naming it, an activation the witness has no formula for.

    >>> require_formulas(["sigmoid", "gelu"])
    """
    for name in activations:
        _formulas(name)


def activate(s: np.ndarray, name: str) -> np.ndarray:
    """a = f(s) for the activation ``name`` (or one of its aliases)."""
    f = _formulas(name)[0]
    with np.errstate(over="ignore", invalid="ignore"):
        return f(s)


def derivative(a: np.ndarray, s: np.ndarray, name: str) -> np.ndarray:
    """f'(s), written from the output a where the sheet does.

    sigmoid: σ'(s) = a(1 − a), with 1 − a taken as σ(−s) (the same number, exact where
    1 − a rounds to 0);  tanh: tanh'(s) = 1 − a²;  relu: 1 where s > 0 (0 at s = 0,
    as PyTorch);  linear: 1.
    """
    fprime = _formulas(name)[1]
    with np.errstate(over="ignore", invalid="ignore"):
        return fprime(a, s)


def forward(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    x: np.ndarray,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """The forward pass: (s, a) with s[l] the weighted sums of layer l and a[0] = x."""
    a = [np.atleast_2d(np.asarray(x, dtype=np.float64))]
    s = []
    for w, b, name in zip(weights, biases, activations, strict=True):
        s.append(a[-1] @ np.asarray(w).T + np.asarray(b))
        a.append(activate(s[-1], name))
    return s, a


def _one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    z = np.zeros((labels.size, classes))
    z[np.arange(labels.size), labels.astype(np.intp).reshape(-1)] = 1.0
    return z


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _softplus(s: np.ndarray) -> np.ndarray:
    """ln(1 + e^s) = max(s, 0) + ln(1 + e^−|s|), finite for every finite s."""
    return np.maximum(s, 0.0) + np.log1p(np.exp(-np.abs(s)))


def _fused(activation: str | None, loss: str) -> bool:
    """A sigmoid output with bce: the pair is taken as one, on the logits s."""
    return loss == "bce" and activation is not None and activation_name(activation) == "sigmoid"


def loss_value(
    y: np.ndarray, s: np.ndarray, z: np.ndarray, loss: str, activation: str | None = None
) -> float:
    """L for outputs y (= f(s)) and targets z, in the convention of ``loss``.

    ``bce_with_logits`` and ``cross_entropy`` take the outputs y as their logits. With
    a sigmoid output and ``bce`` (say so with ``activation``), L is computed from the
    sums s: −[z ln σ(s) + (1 − z) ln(1 − σ(s))] = (1 − z) softplus(s) + z softplus(−s)
    (= softplus(s) − z s), finite and accurate where σ(s) rounds to 0 or 1.
    """
    loss = loss_name(loss)
    if loss == "mse":
        return float(0.5 * ((y - z) ** 2).sum())
    if loss == "mse_mean":
        return float(((y - z) ** 2).mean())
    if loss == "bce_with_logits" or _fused(activation, loss):
        logits = y if loss == "bce_with_logits" else s
        return float(((1.0 - z) * _softplus(logits) + z * _softplus(-logits)).mean())
    if loss == "bce":
        return float(-(z * np.log(y) + (1 - z) * np.log(1 - y)).mean())
    shifted = y - y.max(axis=1, keepdims=True)  # cross_entropy, on the logits y
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return float(-(log_p * _one_hot(z, y.shape[1])).sum() / y.shape[0])


def _sigmoid_minus(logits: np.ndarray, z: np.ndarray) -> np.ndarray:
    """σ(t) − z, taken as (1 − z) σ(t) − z σ(−t): the same number without the
    cancellation of σ(t) − 1 where σ(t) rounds to 1 (z = 1, t = 37: −8.5e-17, not 0)."""
    return (1.0 - z) * sigmoid(logits) - z * sigmoid(-logits)


def output_delta(
    y: np.ndarray, s: np.ndarray, z: np.ndarray, activation: str, loss: str
) -> np.ndarray:
    """δ_L = f'(s_L) ⊙ ∂L/∂y, the output layer's error signal."""
    loss = loss_name(loss)
    if loss == "mse":
        return derivative(y, s, activation) * (y - z)  # the sheet's δ_o = f'(s)(y − z)
    if loss == "mse_mean":
        return derivative(y, s, activation) * 2.0 * (y - z) / y.size
    if _fused(activation, loss):
        # NOTE: σ'(s) · (y − z) / (y(1 − y)) = σ(s) − z: the sigmoid's derivative cancels
        # the loss's denominator, so δ_L is written without either, finite at saturation.
        return _sigmoid_minus(s, z) / s.size
    if loss == "bce":
        return derivative(y, s, activation) * (y - z) / (y * (1.0 - y)) / y.size
    if loss == "bce_with_logits":
        # ∂L/∂y = (σ(y) − z) / N for logits y; with a linear output, δ_L = σ(s) − z.
        return derivative(y, s, activation) * _sigmoid_minus(y, z) / y.size
    # NOTE: for softmax cross-entropy on logits y, ∂L/∂y = softmax(y) − z (z one-hot):
    # the "y − z" of the sheet with the softmax probabilities in place of y.
    grad_y = (_softmax(y) - _one_hot(z, y.shape[1])) / y.shape[0]
    return derivative(y, s, activation) * grad_y


@dataclass
class Backprop:
    """Everything one forward and backward pass computes.

    ``s[l]``, ``a[l + 1]``: weighted sums and activations of layer l (``a[0]`` = x);
    ``delta[l]``: error signals of layer l; ``grad_w[l]``, ``grad_b[l]``: gradients
    of the loss (summed over the batch); ``loss``: L.
    """

    s: list[np.ndarray]
    a: list[np.ndarray]
    delta: list[np.ndarray]
    grad_w: list[np.ndarray]
    grad_b: list[np.ndarray]
    loss: float


def backward(
    weights: Sequence[np.ndarray],
    s: list[np.ndarray],
    a: list[np.ndarray],
    activations: Sequence[str],
    z: np.ndarray,
    loss: str = "mse",
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The backward pass: (delta, grad_w, grad_b), layer by layer, output layer last."""
    layers = len(weights)
    delta: list[np.ndarray] = [np.empty(0)] * layers
    delta[-1] = output_delta(a[-1], s[-1], z, activations[-1], loss)
    for l in range(layers - 2, -1, -1):  # noqa: E741 -- the sheet's layer index
        delta_next = delta[l + 1] @ np.asarray(weights[l + 1])  # Σ_j w_j δ_j for every node
        delta[l] = derivative(a[l + 1], s[l], activations[l]) * delta_next
    grad_w = [delta[k].T @ a[k] for k in range(layers)]  # δ_l a_{l-1}ᵀ, summed over samples
    grad_b = [delta[k].sum(axis=0) for k in range(layers)]  # δ_l, summed over samples
    return delta, grad_w, grad_b


def gradients(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    activations: Sequence[str],
    x: np.ndarray,
    z: np.ndarray,
    loss: str = "mse",
) -> Backprop:
    """Forward pass, loss and backward pass for inputs x (n, inputs) and targets z.

    ``z`` is (n, outputs) for the mse and bce losses and (n,) integer labels for
    cross_entropy. ``activations`` and ``loss`` are names of :mod:`tinygrad_mlp.names`
    (aliases welcome).

    >>> bp = gradients([[[-0.5, -1.0], [-0.5, 0.5], [1.0, 0.0]], [[0.5, -1.0, 0.0]]],
    ...                [[0.5, 0.5, 0.5], [0.5]], ["sigmoid", "sigmoid"], [[1.0, 1.0]], [[1.0]])
    >>> round(float(bp.delta[1][0, 0]), 9)
    -0.124244816
    """
    loss = loss_name(loss)
    activations = [activation_name(name) for name in activations]
    # NOTE: IEEE arithmetic, quietly: a log of 0 is -inf and 0/0 is nan, which the
    # cross-check then reports by parameter; numpy's warnings would only repeat it.
    with np.errstate(all="ignore"):
        s, a = forward(weights, biases, activations, x)
        z = np.asarray(z, dtype=np.float64)
        if loss != "cross_entropy":
            z = z.reshape(a[-1].shape)
        else:
            z = z.reshape(-1)
        delta, grad_w, grad_b = backward(weights, s, a, activations, z, loss)
        value = loss_value(a[-1], s[-1], z, loss, activations[-1])
    return Backprop(s, a, delta, grad_w, grad_b, value)


def sgd_step(
    weights: Sequence[np.ndarray],
    biases: Sequence[np.ndarray],
    grad_w: Sequence[np.ndarray],
    grad_b: Sequence[np.ndarray],
    eta: float,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """New weights and biases after one gradient-descent step: θ − η ∇L(θ)."""
    new_w = [np.asarray(w) - eta * g for w, g in zip(weights, grad_w, strict=True)]
    new_b = [np.asarray(b) - eta * g for b, g in zip(biases, grad_b, strict=True)]
    return new_w, new_b

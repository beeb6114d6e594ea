"""Optimizers that update parameter tensors in place, building no graph.

The update rules and argument names follow ``torch.optim``, so the same
hyper-parameters give the same trajectory (tests check this to 1e-10).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from tinygrad_mlp.tensor import Tensor

__all__ = ["SGD", "Adam", "Optimizer"]


class Optimizer:
    """Holds a list of parameters; ``zero_grad()`` forgets their gradients."""

    def __init__(self, parameters: Iterable[Tensor], lr: float) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("optimizer got an empty parameter list")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None (PyTorch's default)."""
        for p in self.parameters:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError

    @staticmethod
    def _gradient(p: Tensor, weight_decay: float) -> np.ndarray | None:
        """∂L/∂p plus the L2 term λp (None if p got no gradient)."""
        grad = p.grad
        if isinstance(grad, Tensor):  # NOTE: a gradient that is a node (create_graph=True)
            grad = grad.data
        if grad is None or not weight_decay:
            return grad
        return grad + weight_decay * p.data


class SGD(Optimizer):
    """Gradient descent, the cheat sheet's θ ← θ − η ∇L(θ), with PyTorch's extras.

    With ``weight_decay`` λ the gradient is g + λθ; with ``momentum`` μ a velocity
    v ← μ v + g (v = g on the first step) replaces g, and ``nesterov`` uses g + μ v.
    Parameters without a gradient (not reached by the last backward) are left alone.

    Args:
        parameters: the tensors to update (``net.parameters()``).
        lr: the learning rate η.
        momentum: μ, 0 for plain SGD.
        weight_decay: λ, an L2 penalty.
        nesterov: Nesterov momentum.
    """

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(parameters, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("momentum and weight_decay must not be negative")
        if nesterov and momentum == 0:
            raise ValueError("nesterov momentum needs momentum > 0")
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov
        self.velocity: list[np.ndarray | None] = [None] * len(self.parameters)

    def step(self) -> None:
        for k, p in enumerate(self.parameters):
            g = self._gradient(p, self.weight_decay)
            if g is None:
                continue
            if self.momentum:
                v = self.velocity[k]
                if v is None:
                    v = self.velocity[k] = np.array(g, dtype=p.data.dtype)
                else:
                    v *= self.momentum
                    v += g
                g = g + self.momentum * v if self.nesterov else v
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's bias correction and L2 ``weight_decay``.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
    θ ← θ − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
    """

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        beta1, beta2 = betas
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.betas, self.eps, self.weight_decay = (beta1, beta2), eps, weight_decay
        self.m = [np.zeros_like(p.data) for p in self.parameters]
        self.v = [np.zeros_like(p.data) for p in self.parameters]
        self.steps = [0] * len(self.parameters)

    def step(self) -> None:
        beta1, beta2 = self.betas
        for k, p in enumerate(self.parameters):
            g = self._gradient(p, self.weight_decay)
            if g is None:
                continue
            self.steps[k] += 1
            t = self.steps[k]
            m, v = self.m[k], self.v[k]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1**t)
            denom = np.sqrt(v / (1 - beta2**t)) + self.eps
            p.data -= self.lr * m_hat / denom

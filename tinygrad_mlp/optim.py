"""Optimizers that update parameter tensors in place, building no graph."""

from __future__ import annotations

from collections.abc import Iterable

from tinygrad_mlp.tensor import Tensor

__all__ = ["SGD", "Optimizer"]


class Optimizer:
    """Holds a list of parameters; ``zero_grad()`` forgets their gradients."""

    def __init__(self, parameters: Iterable[Tensor], lr: float) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("optimizer got an empty parameter list")
        if lr <= 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        for p in self.parameters:
            p.grad = None

    def step(self) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    """Plain gradient descent, the cheat sheet's θ ← θ − η ∇L(θ).

    Parameters without a gradient (not reached by the last backward) are left alone.
    """

    def step(self) -> None:
        for p in self.parameters:
            if p.grad is not None:
                p.data -= self.lr * p.grad

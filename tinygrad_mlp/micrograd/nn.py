"""micrograd's ``nn``: ``Module``, ``Neuron``, ``Layer``, ``MLP``, exactly.

Weights come from Python's global ``random.uniform(-1, 1)``, drawn in micrograd's
order (layer by layer, neuron by neuron, input by input), and biases start at the
int 0, so ``random.seed(1337)`` followed by ``MLP(2, [16, 16, 1])`` holds micrograd's
numbers. Hidden layers are ReLU, the last layer linear; ``parameters()`` is one flat
list of ``Value``; a layer of one neuron returns that neuron's ``Value`` bare, not a
list (the one place micrograd's size-dependent return lives, ``Layer.__call__``).

For networks with this project's API (activations by name, tensors, named
parameters) use :mod:`tinygrad_mlp.nn`.

>>> import random
>>> random.seed(1337)
>>> model = MLP(2, [3, 1])
>>> model
MLP of [Layer of [ReLUNeuron(2), ReLUNeuron(2), ReLUNeuron(2)], Layer of [LinearNeuron(3)]]
>>> len(model.parameters())
13
>>> model([1.0, -1.0])  # doctest: +ELLIPSIS
Value(data=..., grad=0)
"""

from __future__ import annotations

import random
from typing import Any

from tinygrad_mlp.micrograd.engine import Value

__all__ = ["Layer", "MLP", "Module", "Neuron"]


class Module:
    """Base class: ``parameters()`` and ``zero_grad()``."""

    def zero_grad(self) -> None:
        """Set every parameter's grad to the int 0, as micrograd does."""
        for p in self.parameters():
            p.grad = 0

    def parameters(self) -> list[Value]:
        """Every trainable ``Value``, in a flat list."""
        return []


class Neuron(Module):
    """relu(w · x + b), or w · x + b when ``nonlin`` is False.

    Args:
        nin: number of inputs; weights are ``random.uniform(-1, 1)`` each.
        nonlin: apply ReLU to the sum.
    """

    def __init__(self, nin: int, nonlin: bool = True) -> None:
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0)
        self.nonlin = nonlin

    def __call__(self, x: list[Any]) -> Value:
        # NOTE: b + w0*x0 + w1*x1 + ..., left to right: micrograd's sum(..., self.b).
        act = self.b
        for wi, xi in zip(self.w, x, strict=False):  # NOTE: truncates, as micrograd
            act = act + wi * xi
        return act.relu() if self.nonlin else act

    def parameters(self) -> list[Value]:
        """The neuron's weights ``w[0..nin-1]`` then its bias ``b``: nin + 1 Values."""
        return self.w + [self.b]

    def __repr__(self) -> str:
        return f"{'ReLU' if self.nonlin else 'Linear'}Neuron({len(self.w)})"


class Layer(Module):
    """``nout`` neurons on the same inputs; keyword arguments go to each ``Neuron``."""

    def __init__(self, nin: int, nout: int, **kwargs: Any) -> None:
        self.neurons = [Neuron(nin, **kwargs) for _ in range(nout)]

    def __call__(self, x: list[Any]) -> Value | list[Value]:
        out = [n(x) for n in self.neurons]
        # NOTE: micrograd's size-dependent return: one neuron gives a bare Value.
        return out[0] if len(out) == 1 else out

    def parameters(self) -> list[Value]:
        """Every neuron's parameters, neuron by neuron: nout · (nin + 1) Values."""
        return [p for n in self.neurons for p in n.parameters()]

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers of sizes ``nouts`` on ``nin`` inputs: ReLU hidden layers, a linear last one."""

    def __init__(self, nin: int, nouts: list[int]) -> None:
        sz = [nin] + nouts
        self.layers = [
            Layer(sz[i], sz[i + 1], nonlin=i != len(nouts) - 1) for i in range(len(nouts))
        ]

    def __call__(self, x: list[Any]) -> Value | list[Value]:
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self) -> list[Value]:
        """Every layer's parameters, first layer first, as micrograd lists them.

        >>> len(MLP(2, [3, 1]).parameters())  # 3 · (2 + 1) + 1 · (3 + 1)
        13
        """
        return [p for layer in self.layers for p in layer.parameters()]

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"

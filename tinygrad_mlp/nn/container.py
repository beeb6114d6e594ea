"""``Sequential``, as PyTorch's, and the reading of an MLP-shaped one.

A ``Sequential`` of ``Linear`` layers, each followed by at most one activation, is
MLP-shaped: :func:`mlp_layers` reads it as (Linear, activation name) per layer, and such
a chain built on its own is labelled with the cheat sheet's names.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tinygrad_mlp.nn.activation import ACTIVATION_TYPES, _Activation
from tinygrad_mlp.nn.linear import Layer, Linear, _label_sheet
from tinygrad_mlp.nn.module import Module
from tinygrad_mlp.tensor import Tensor

__all__ = ["Sequential"]


class Sequential(Module):
    """Modules applied in turn; their parameters are named ``0.weight``, ``2.bias``... as torch.

    Built on its own from ``Linear`` layers and activations, its scalar graph uses the cheat
    sheet's labels; inside another module, dotted paths.

    >>> import numpy as np
    >>> from tinygrad_mlp.nn import Sigmoid, Tanh
    >>> net = Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 1, seed=1), Sigmoid())
    >>> net(np.zeros((5, 2))).shape
    (5, 1)
    >>> net[0].neurons[2].w[1].label
    'wh[0][2][1]'
    """

    def __init__(self, *modules: Module) -> None:
        for k, m in enumerate(modules):
            if not isinstance(m, Module):
                raise TypeError(f"Sequential takes modules; item {k} is a {type(m).__name__}")
        self.items = list(modules)
        self.label_parameters("")

    def _entries(self) -> Iterator[tuple[str, Module | Tensor]]:
        for k, m in enumerate(self.items):
            yield str(k), m

    def label_parameters(self, prefix: str = "") -> None:
        """Label parameters: the sheet's notation for an MLP-shaped chain, else dotted paths."""
        if not prefix:
            try:
                _mlp_layers(self)
            except (TypeError, ValueError):
                pass
            else:
                _label_sheet([m for m in self.items if isinstance(m, Linear)])
                return
        super().label_parameters(prefix)

    def __getitem__(self, k: int) -> Module:
        return self.items[k]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Module]:
        return iter(self.items)

    def forward(self, x: Any) -> Any:
        """Apply the modules in order; a vector of Values or an (n, features) batch goes in."""
        for module in self.items:
            x = module(x)
        return x



def _mlp_layers(module: Module) -> list[tuple[Linear, str]]:
    """(Linear, activation name) per layer of an MLP-shaped Sequential, else one error."""
    if not isinstance(module, Sequential):
        raise TypeError(
            f"{type(module).__name__} is not MLP-shaped: these tools take an MLP or a "
            "Sequential of Linear layers and element-wise activations"
        )
    layers: list[tuple[Linear, str]] = []
    pending: Linear | None = None
    for k, m in enumerate(module):
        if isinstance(m, Layer):
            if pending is not None:
                layers.append((pending, "linear"))
            layers.append((m, m.activation))
            pending = None
        elif type(m) is Linear:
            if pending is not None:
                layers.append((pending, "linear"))
            pending = m
        elif isinstance(m, _Activation) and type(m) in ACTIVATION_TYPES:
            if pending is None:
                raise TypeError(
                    f"module {k} ({type(m).__name__}) does not follow a Linear layer; an MLP "
                    "applies at most one activation after each Linear"
                )
            layers.append((pending, m.activation))
            pending = None
        else:
            raise TypeError(
                f"module {k} ({type(m).__name__}) is not supported: an MLP-shaped network "
                "holds only Linear layers and the activation modules of tinygrad_mlp.nn"
            )
    if pending is not None:
        layers.append((pending, "linear"))
    if not layers:
        raise ValueError("an empty Sequential is not a network")
    for k, (layer, _) in enumerate(layers):
        if layer.bias is None:
            raise ValueError(f"Linear layer {k} has no bias; an MLP's layers need bias=True")
        if k and layer.nin != layers[k - 1][0].nout:
            raise ValueError(
                f"Linear layer {k} takes {layer.nin} inputs but layer {k - 1} gives "
                f"{layers[k - 1][0].nout}"
            )
    return layers


"""The cheat sheet's network: ``MLP``, a chain of ``Layer`` s, and :func:`as_mlp`.

Its leaves carry the sheet's labels (``wh[0][2][1]``, ``bh[0][2]``, ``wo[0][1]``,
``bo[0]``) and so do its nodes (``sh[0][2]``, ``ah[0][2]``, ``so[0]``, ``yo[0]``).
Carrying it to PyTorch or ONNX, or writing it to a file, is done by functions outside
``nn`` (:mod:`tinygrad_mlp.torch_bridge`, :mod:`tinygrad_mlp.onnx`, :mod:`tinygrad_mlp.io`),
as ``torch.onnx.export(model)`` is a function.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import labels
from tinygrad_mlp.nn.activation import activation_module
from tinygrad_mlp.nn.container import Sequential, _mlp_layers
from tinygrad_mlp.nn.linear import Layer, Linear, _label_sheet, _rng
from tinygrad_mlp.nn.module import Module
from tinygrad_mlp.nn.vectors import _is_scalar_input, vector

__all__ = ["MLP", "as_mlp"]


class MLP(Module):
    """A multi-layer perceptron: ``Layer`` after ``Layer`` (a ``Linear`` and its activation).

    Args:
        nin: number of inputs.
        nouts: nodes per layer, the output layer last (``[3, 1]`` is the sheet's 2-3-1).
        activation: applied to every layer, the output layer included (as in the
            cheat sheet); or a list with one name per layer.
        output_activation: overrides the output layer's activation if given.
        seed: int or ``numpy.random.Generator``.
        dtype: ``numpy.float64`` (default) or ``numpy.float32``.
        init: "uniform" (the sheet's U[−1, 1], the default, so the sheet and the seed
            system's files reproduce), "torch", "kaiming" or "xavier".

    Calling the network on a list (or 1-D object array) of numbers runs the scalar engine
    and returns a 1-D object array of ``Value`` (one per output; index it, or pass it to a
    loss, as the list it used to be); on an array or ``Tensor`` of shape (n, nin) it runs the
    tensor engine and returns a ``Tensor`` (n, nout).

    >>> net = MLP.from_weights(
    ...     weights=[[[-0.5, -1.0], [-0.5, 0.5], [1.0, 0.0]], [[0.5, -1.0, 0.0]]],
    ...     biases=[[0.5, 0.5, 0.5], [0.5]],
    ... )
    >>> round(net([1.0, 1.0])[0].data, 9)
    0.503002809
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str | None = None,
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
        init: str = "uniform",
    ) -> None:
        nouts = list(nouts)
        if not nouts:
            raise ValueError("an MLP needs at least one layer (nouts is empty)")
        if isinstance(activation, str):
            activations = [activation] * len(nouts)
        else:
            activations = list(activation)
            if len(activations) != len(nouts):
                raise ValueError(f"{len(activations)} activations given for {len(nouts)} layers")
        if output_activation is not None:
            activations[-1] = output_activation
        rng = _rng(seed)
        sizes = [nin, *nouts]
        layers = []
        for l in range(len(nouts)):  # noqa: E741 -- l is the sheet's layer index
            heads = labels.layer_names(l, len(nouts))
            names = (heads.weight, heads.bias)
            layers.append(
                Layer(sizes[l], sizes[l + 1], activations[l], rng, names, dtype=dtype, init=init)
            )
        # NOTE: set directly: the layers carry the sheet's labels, not dotted paths.
        object.__setattr__(self, "layers", layers)

    def label_parameters(self, prefix: str = "") -> None:
        """An MLP keeps the sheet's labels (wh[l], bh[l], wo, bo) wherever it sits."""
        _label_sheet(self.layers)

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[Any],
        biases: Sequence[Any],
        activation: str | Sequence[str] = "sigmoid",
        output_activation: str | None = None,
    ) -> MLP:
        """Build a network with given weights: ``weights[l][j][i]``, ``biases[l][j]``."""
        shapes = [np.shape(w) for w in weights]
        if not shapes or any(len(s) != 2 for s in shapes):
            raise ValueError(
                f"weights must be one (nodes x inputs) matrix per layer, got shapes {shapes}"
            )
        net = cls(shapes[0][1], [s[0] for s in shapes], activation, output_activation, seed=0)
        net.set_weights(weights, biases)
        return net

    @classmethod
    def from_layers(cls, layers: Sequence[Layer]) -> MLP:
        """An MLP made of the given layers (their tensors shared), labelled as the sheet."""
        net = cls.__new__(cls)
        object.__setattr__(net, "layers", list(layers))
        _label_sheet(net.layers, tensors=False)
        return net

    def set_weights(self, weights: Sequence[Any], biases: Sequence[Any]) -> None:
        """Overwrite every weight and bias; shapes must match the layers exactly."""
        if len(weights) != len(self.layers) or len(biases) != len(self.layers):
            raise ValueError(
                f"network has {len(self.layers)} layers; got {len(weights)} weight and "
                f"{len(biases)} bias arrays"
            )
        for l, (layer, w, b) in enumerate(zip(self.layers, weights, biases, strict=True)):  # noqa: E741
            w = np.asarray(w, dtype=layer.weight.dtype)
            b = np.asarray(b, dtype=layer.bias.dtype)
            if w.shape != layer.weight.shape:
                raise ValueError(f"layer {l} weight should be {layer.weight.shape}, got {w.shape}")
            if b.shape != layer.bias.shape:
                raise ValueError(f"layer {l} bias should be {layer.bias.shape}, got {b.shape}")
            layer.weight.data[...] = w
            layer.bias.data[...] = b

    @property
    def nin(self) -> int:
        """Inputs the network takes."""
        return self.layers[0].nin

    @property
    def sizes(self) -> list[int]:
        """Nodes per layer, inputs first: [2, 3, 1] for the sheet's network."""
        return [self.nin, *(layer.nout for layer in self.layers)]

    @property
    def activations(self) -> list[str]:
        """The activation name of each layer, the output layer last."""
        return [layer.activation for layer in self.layers]

    def to_sequential(self) -> Sequential:
        """The same network as ``Sequential(Linear, activation, ...)``, sharing the tensors."""
        items: list[Module] = []
        for layer in self.layers:
            items.append(Linear.sharing(layer.weight, layer.bias))
            if layer.activation != "linear":
                items.append(activation_module(layer.activation))
        return Sequential(*items)

    def forward(self, x: Any) -> Any:
        """A vector of numbers or Values → a vector of Values (one node per + and *); an
        array (n, nin) → a Tensor (n, nouts[-1]), one matmul, add and activation per layer."""
        if _is_scalar_input(x):
            if len(x) != self.nin:
                raise ValueError(f"network takes {self.nin} inputs, got {len(x)}")
            x = vector(x)
        for layer in self.layers:
            x = layer(x)
        return x

    def extra_repr(self) -> str:
        """The sizes and activations, for ``repr``."""
        sizes = "-".join(str(n) for n in self.sizes)
        return f"{sizes}, activations={self.activations}"



def as_mlp(module: Module) -> MLP:
    """The ``MLP`` a network is: itself, or a Sequential of Linear and activations.

    The MLP shares the Sequential's tensors, so gradients and updates land on both.
    Anything else is refused with one sentence naming the first unsupported module.

    >>> from tinygrad_mlp.nn import ReLU, Sigmoid
    >>> seq = Sequential(Linear(2, 3, seed=0), ReLU(), Linear(3, 1, seed=1), Sigmoid())
    >>> net = as_mlp(seq)
    >>> net.activations, net.layers[0].weight is seq[0].weight
    (['relu', 'sigmoid'], True)
    """
    if isinstance(module, MLP):
        return module
    layers = _mlp_layers(module)
    net = MLP.from_layers(
        [Layer.sharing(linear.weight, linear.bias, activation) for linear, activation in layers]
    )
    return net

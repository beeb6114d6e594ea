"""Modules: ``Neuron``, ``Layer`` and ``MLP``, runnable on either engine.

A layer keeps its parameters as two tensors, ``weight`` (nodes × inputs, as
PyTorch's ``nn.Linear``) and ``bias`` (nodes,). The same layer runs

- on the **scalar engine** when called with a list of numbers or ``Value``\\ s: one
  ``Value`` node per multiply and add, leaves labelled in the cheat sheet's
  notation (``x[0]``, ``wh[0][2][1]``, ``bh[0][2]``, ``wo[0][1]``, ``bo[0]``);
- on the **tensor engine** when called with an array or ``Tensor`` of shape
  (n, inputs): one matmul, one add, one activation.

Either way the gradients land in ``weight.grad`` and ``bias.grad``, so an
optimizer does not care which engine ran. On the scalar road this works
because each weight's leaf ``Value`` is a *view* of one element of the tensor
(:class:`ParameterValue`): reading it reads the tensor, and the backward sweep's
write to its ``.grad`` goes into the tensor's gradient array.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import names
from tinygrad_mlp.tensor import Tensor, linear
from tinygrad_mlp.value import Value

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "Layer",
    "Module",
    "Neuron",
    "ParameterValue",
]

ACTIVATIONS = names.ACTIVATIONS  # the one vocabulary (tinygrad_mlp.names)


def check_activation(name: str) -> str:
    """Return ``name`` if it is a known activation, else raise one clear ValueError."""
    if name not in ACTIVATIONS:
        raise ValueError(f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}")
    return name


def _activate(s: Any, name: str) -> Any:
    """Apply activation ``name`` to a Value or Tensor (linear adds no node)."""
    return s if name == "linear" else getattr(s, name)()


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class ParameterValue(Value):
    """A ``Value`` leaf that is one element of a parameter ``Tensor``.

    ``.data`` reads and writes ``tensor.data[index]``; ``.grad`` reads and writes
    ``tensor.grad[index]`` (0 while the tensor has no gradient yet), so whatever
    the scalar engine computes for this leaf lands on the tensor.
    """

    __slots__ = ("tensor", "index")

    def __init__(self, tensor: Tensor, index: tuple[int, ...], label: str = "") -> None:
        self.tensor = tensor
        self.index = index
        self.label = label
        self._prev = ()
        self._fn = None

    @property  # type: ignore[override]
    def data(self) -> float:
        return self.tensor.data.item(self.index)

    @data.setter
    def data(self, value: float) -> None:
        self.tensor.data[self.index] = value

    @property  # type: ignore[override]
    def grad(self) -> float:
        grad = self.tensor.grad
        return 0.0 if grad is None else grad.item(self.index)

    @grad.setter
    def grad(self, value: float) -> None:
        if self.tensor.grad is None:
            self.tensor.grad = np.zeros_like(self.tensor.data)
        self.tensor.grad[self.index] = value


class Module:
    """Base class: ``parameters()`` and ``zero_grad()``, as in PyTorch and micrograd."""

    def parameters(self) -> list:
        return []

    def zero_grad(self) -> None:
        """Forget every parameter's gradient."""
        for p in self.parameters():
            p.zero_grad()

    def __call__(self, x: Any) -> Any:
        return self.forward(x)

    def forward(self, x: Any) -> Any:
        raise NotImplementedError


class Neuron(Module):
    """One node: ``s = Σ_i x[i]·w[i] + b``, then ``a = f(s)``.

    A neuron of a layer is a view of row ``j`` of the layer's weight tensor;
    ``Neuron(nin)`` on its own makes a one-row layer of its own.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.w[0].data = 2.0; n.w[1].data = -1.0; n.b.data = 0.5
    >>> n([1.0, 3.0]).data
    -0.5
    """

    def __init__(
        self,
        nin: int,
        activation: str = "sigmoid",
        seed: int | np.random.Generator | None = None,
        *,
        _layer: Layer | None = None,
        _index: int = 0,
    ) -> None:
        if _layer is None:
            _layer = Layer(nin, 1, activation=activation, seed=seed)
        self.layer = _layer
        self.index = _index
        j = _index
        weight_name, bias_name = _layer.names
        self.w = [
            ParameterValue(_layer.weight, (j, i), f"{weight_name}[{j}][{i}]") for i in range(nin)
        ]
        self.b = ParameterValue(_layer.bias, (j,), f"{bias_name}[{j}]")

    @property
    def activation(self) -> str:
        return self.layer.activation

    def parameters(self) -> list[Value]:
        """This node's weights then its bias, as ``Value`` views (micrograd's order)."""
        return [*self.w, self.b]

    def zero_grad(self) -> None:
        self.layer.zero_grad()

    def forward(self, x: Sequence[Any]) -> Value:
        """Weighted sum then activation, on the scalar engine, one node per + and *."""
        if len(x) != len(self.w):
            raise ValueError(f"neuron takes {len(self.w)} inputs, got {len(x)}")
        w = self.w
        s = x[0] * w[0] if isinstance(x[0], Value) else w[0] * x[0]
        for i in range(1, len(w)):
            s = s + (x[i] * w[i] if isinstance(x[i], Value) else w[i] * x[i])
        s = s + self.b
        out_name, sum_name = self.layer.node_names
        s.label = f"{sum_name}[{self.index}]"
        a = _activate(s, self.activation)
        if a is not s:
            a.label = f"{out_name}[{self.index}]"
        return a

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """A fully connected layer: ``a = f(x Wᵀ + b)``.

    Args:
        nin: inputs per node.
        nout: nodes.
        activation: "sigmoid", "tanh", "relu" or "linear".
        seed: an int or ``numpy.random.Generator`` for the uniform [-1, 1] init.
        names: the cheat-sheet names of the weight and bias (``("wh[0]", "bh[0]")``
            for hidden layer 0, ``("wo", "bo")`` for the output layer).

    Attributes:
        weight: ``Tensor`` (nout, nin); ``weight.data[j, i]`` is the sheet's ``w[j][i]``.
        bias: ``Tensor`` (nout,).
        neurons: ``Neuron`` views, one per row.
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "sigmoid",
        seed: int | np.random.Generator | None = None,
        names: tuple[str, str] = ("w", "b"),
        dtype: Any = np.float64,
    ) -> None:
        if nin < 1 or nout < 1:
            raise ValueError(f"a layer needs at least one input and one node, got {nin}x{nout}")
        self.activation = check_activation(activation)
        self.names = names
        rng = _rng(seed)
        weight_label, bias_label = names
        self.weight = Tensor(
            rng.uniform(-1.0, 1.0, (nout, nin)), requires_grad=True, dtype=dtype, label=weight_label
        )
        self.bias = Tensor(
            rng.uniform(-1.0, 1.0, nout), requires_grad=True, dtype=dtype, label=bias_label
        )
        self.neurons = [Neuron(nin, _layer=self, _index=j) for j in range(nout)]

    @property
    def node_names(self) -> tuple[str, str]:
        """Names of this layer's outputs and weighted sums: ("ah[0]", "sh[0]") or ("yo", "so")."""
        weight_name = self.names[0]
        if weight_name.startswith("wh"):
            return "ah" + weight_name[2:], "sh" + weight_name[2:]
        if weight_name.startswith("wo"):
            return "yo", "so"
        return "a", "s"

    @property
    def nin(self) -> int:
        return self.weight.shape[1]

    @property
    def nout(self) -> int:
        return self.weight.shape[0]

    def parameters(self) -> list[Tensor]:
        return [self.weight, self.bias]

    def forward(self, x: Any) -> Any:
        """A list of numbers or Values → list of Values; an array (n, nin) → Tensor (n, nout)."""
        if isinstance(x, (list, tuple)):
            return [n(x) for n in self.neurons]
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=self.weight.dtype)
        if x.shape[-1] != self.nin:
            raise ValueError(f"layer takes {self.nin} inputs per sample, got shape {x.shape}")
        return _activate(linear(x, self.weight, self.bias), self.activation)

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r})"


class MLP(Module):
    """A multi-layer perceptron.

    Args:
        nin: number of inputs.
        nouts: nodes per layer, the output layer last (``[3, 1]`` is the sheet's 2-3-1).
        activation: applied to every layer, the output layer included (as in the
            cheat sheet); or a list with one name per layer.
        output_activation: overrides the output layer's activation if given.
        seed: int or ``numpy.random.Generator`` for the uniform [-1, 1] init.
        dtype: ``numpy.float64`` (default) or ``numpy.float32``.

    Calling the network on a list of numbers runs the scalar engine and returns
    a list of ``Value`` (one per output); on an array or ``Tensor`` of shape
    (n, nin) it runs the tensor engine and returns a ``Tensor`` (n, nout).

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
        self.layers = []
        for l in range(len(nouts)):  # noqa: E741 -- l is the sheet's layer index
            last = l == len(nouts) - 1
            names = ("wo", "bo") if last else (f"wh[{l}]", f"bh[{l}]")
            self.layers.append(
                Layer(sizes[l], sizes[l + 1], activations[l], seed=rng, names=names, dtype=dtype)
            )

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
        return self.layers[0].nin

    @property
    def sizes(self) -> list[int]:
        """Nodes per layer, inputs first: [2, 3, 1] for the sheet's network."""
        return [self.nin, *(layer.nout for layer in self.layers)]

    @property
    def activations(self) -> list[str]:
        return [layer.activation for layer in self.layers]

    def parameters(self) -> list[Tensor]:
        """``[layers[0].weight, layers[0].bias, layers[1].weight, ...]``."""
        return [p for layer in self.layers for p in layer.parameters()]

    def forward(self, x: Any) -> Any:
        if isinstance(x, (list, tuple)):
            if len(x) != self.nin:
                raise ValueError(f"network takes {self.nin} inputs, got {len(x)}")
            if any(isinstance(v, (list, tuple, np.ndarray, Tensor)) for v in x):
                raise TypeError(
                    "a list runs the scalar engine on one sample of numbers; "
                    "pass a batch as an array of shape (n, inputs)"
                )
            x = [v if isinstance(v, Value) else Value(v, f"x[{i}]") for i, v in enumerate(x)]
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        sizes = "-".join(str(n) for n in self.sizes)
        return f"MLP({sizes}, activations={self.activations})"

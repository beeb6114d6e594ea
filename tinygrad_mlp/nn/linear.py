"""``Linear`` (as PyTorch's), its rows as the sheet's ``Neuron`` views, and ``Layer``.

A ``Linear`` is one matmul and one add on the tensor engine, one ``Value`` per multiply
and add on the scalar engine, where each row of its weight is a :class:`Neuron` (a view
of that row, whose leaves are :class:`~tinygrad_mlp.nn.views.ParameterValue`).
A :class:`Layer` is a ``Linear`` with its activation, the layer of the sheet's ``MLP``.
The three live together because a ``Linear``'s rows are ``Neuron`` s and a ``Neuron`` on
its own is a one-row ``Layer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import autograd, labels
from tinygrad_mlp import init as _init
from tinygrad_mlp.names import activation_name
from tinygrad_mlp.nn.module import Module
from tinygrad_mlp.nn.vectors import _inputs, _is_scalar_input, _method, _tag
from tinygrad_mlp.nn.views import ParameterValue
from tinygrad_mlp.tensor import Tensor, _linear
from tinygrad_mlp.value import UNARY_OPS, Value, weighted_sum_nodes

__all__ = ["Layer", "Linear", "Neuron"]


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


class Neuron(Module):
    """One node: ``s = Σ_i x[i]·w[i] + b``, then ``a = f(s)``.

    A neuron of a layer is a view of row ``j`` of the layer's weight tensor;
    ``Neuron(nin)`` on its own makes a one-row layer of its own.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.w[0].data = 2.0; n.w[1].data = -1.0; n.b.data = 0.5
    >>> n([1.0, 3.0]).data
    -0.5
    """

    _not_children = ("layer",)

    def __init__(
        self,
        nin: int,
        activation: str = "sigmoid",
        seed: int | np.random.Generator | None = None,
        *,
        _layer: Linear | None = None,
        _index: int = 0,
    ) -> None:
        if _layer is None:
            _layer = Layer(nin, 1, activation=activation, seed=seed)
        self.layer = _layer
        self.index = _index
        j = _index
        self.w = [ParameterValue(_layer, "weight", (j, i)) for i in range(nin)]
        self.b = ParameterValue(_layer, "bias", (j,)) if _layer.bias is not None else None

    @property
    def activation(self) -> str:
        """The activation name of the layer this neuron belongs to."""
        return getattr(self.layer, "activation", "linear")

    def parameters(self) -> list[Value]:  # type: ignore[override]
        """This node's weights then its bias, as ``Value`` views (micrograd's order)."""
        return [*self.w, self.b] if self.b is not None else list(self.w)

    def zero_grad(self) -> None:
        """Zero this node's row of the weight gradient and its bias gradient, nothing else."""
        for p in self.parameters():
            p.zero_grad()

    def weighted_sum(self, x: Sequence[Any], name: str | None = None) -> Value:
        """s = x[0]·w[0] + x[1]·w[1] + ... + b, one node per * and +, labelled ``name[j]``."""
        w = self.w
        if len(x) != len(w):
            raise ValueError(f"neuron takes {len(w)} inputs, got {len(x)}")
        if autograd._MODE is True:
            s = self._weighted_sum_nodes(x)
        else:
            s = x[0] * w[0] if isinstance(x[0], Value) else w[0] * x[0]
            for i in range(1, len(w)):
                s = s + (x[i] * w[i] if isinstance(x[i], Value) else w[i] * x[i])
            if self.b is not None:
                s = s + self.b
        s.label = f"{self.layer.node_names[1] if name is None else name}[{self.index}]"
        return s

    def _weighted_sum_nodes(
        self, x: list, row: list | None = None, bias: float | None = None
    ) -> Value:
        """The nodes ``x[i] * w[i]`` and ``+`` would build, from the weight row read once.

        NOTE: the scalar engine's hot path. The same nodes, parents in the same order
        and the same numbers as the operators give (a number input becomes a constant
        leaf on the right of its weight, as ``w * 2.0`` makes it), without a property
        read per weight and an operator dispatch per node. ``row`` and ``bias``: the
        weights' and the bias's numbers when the caller read the whole tensors already.
        """
        w = self.w
        if row is None:
            row = w[0].tensor.data[self.index].tolist()
        return weighted_sum_nodes(x, w, row, self.b, bias)

    def forward(self, x: Sequence[Any]) -> Value:
        """Weighted sum then activation, on the scalar engine, one node per + and *."""
        out_name, sum_name = self.layer.node_names
        return self._activated(self.weighted_sum(_inputs(x), sum_name), self.activation, out_name)

    def _activated(self, s: Value, activation: str, out_name: str) -> Value:
        """f(s), labelled ``out_name[j]`` and tagged as this neuron's output."""
        if activation == "linear":
            return _tag(s, self)
        try:
            a = getattr(s, activation)()
        except AttributeError:
            _method(s, activation)  # one sentence when the engines lack the activation
            raise
        a.label = f"{out_name}[{self.index}]"
        return _tag(a, self)

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Linear(Module):
    """A fully connected layer ``y = x Wᵀ + b``, as PyTorch's ``nn.Linear``.

    Args:
        nin: inputs per sample.
        nout: outputs.
        bias: learn an additive bias.
        init: "torch" (the default, U(±1/√nin) for weight and bias), "uniform" (the
            sheet's U[−1, 1]), "kaiming" or "xavier" (zero bias); see :mod:`tinygrad_mlp.init`.
        seed: int or ``numpy.random.Generator``.
        dtype: ``numpy.float64`` (default) or ``numpy.float32``.

    Attributes:
        weight: ``Tensor`` (nout, nin); ``weight.data[j, i]`` is the sheet's ``w[j][i]``.
        bias: ``Tensor`` (nout,) or None.
        neurons: ``Neuron`` views, one per row (the scalar engine's leaves).

    >>> fc = Linear(2, 3, seed=0)
    >>> fc(np.ones((4, 2))).shape
    (4, 3)
    >>> len(fc([1.0, 2.0]))
    3
    """

    _not_children = ("_neurons", "_values", "_node_names", "_node_labels")

    def __init__(
        self,
        nin: int,
        nout: int,
        bias: bool = True,
        init: str = "torch",
        seed: int | np.random.Generator | None = None,
        dtype: Any = np.float64,
    ) -> None:
        if nin < 1 or nout < 1:
            raise ValueError(f"a layer needs at least one input and one node, got {nin}x{nout}")
        self.labels: dict[str, str] = {"weight": "weight", "bias": "bias"}
        weight, b = _init.linear_parameters(init, nin, nout, bias, _rng(seed))
        self.weight = Tensor(weight, requires_grad=True, dtype=dtype, label="weight")
        self.bias = Tensor(b, requires_grad=True, dtype=dtype, label="bias") if bias else None

    def _label_own(self, name: str, tensor: Tensor, path: str | None = None) -> None:
        if path is not None:
            self.labels[name] = path
        tensor.label = self.labels.get(name, name)

    def _parameter_replaced(self, name: str, tensor: Tensor) -> None:
        super()._parameter_replaced(name, tensor)
        cache = self.__dict__.get("_neurons")
        if cache is None:
            return
        for neuron in cache[1]:
            for view in neuron.parameters():
                if view.name == name:
                    view.tensor = tensor

    @classmethod
    def sharing(cls, weight: Tensor, bias: Tensor | None) -> Linear:
        """A Linear whose parameters are the given tensors (shared, not copied)."""
        layer = cls.__new__(cls)
        object.__setattr__(
            layer, "labels", {"weight": weight.label, "bias": getattr(bias, "label", "")}
        )
        layer.weight = weight
        layer.bias = bias
        return layer

    @property
    def names(self) -> tuple[str, str]:
        """The weight's and bias's labels (the sheet's ``("wh[0]", "bh[0]")`` in an MLP)."""
        return self.labels["weight"], self.labels["bias"]

    @property
    def node_names(self) -> tuple[str, str]:
        """Names of the outputs and weighted sums: ("ah[0]", "sh[0]"), ("yo", "so"), ("a", "s")."""
        weight_name = self.labels["weight"]
        # NOTE: read per sample on the scalar engine; kept for the weight's current label
        cache = self.__dict__.get("_node_names")
        if cache is not None and cache[0] == weight_name:
            return cache[1]
        sheet = labels.sibling(weight_name, "a")
        if sheet:
            names = sheet, labels.sibling(weight_name, "s")
        else:
            path = ""
            if weight_name.endswith("weight"):
                path = weight_name[: -len("weight")].rstrip(".")
            names = (f"{path}.a", f"{path}.s") if path else ("a", "s")
        object.__setattr__(self, "_node_names", (weight_name, names))
        return names

    @property
    def nin(self) -> int:
        """Inputs per sample (the weight's second axis)."""
        return self.weight.shape[1]

    @property
    def nout(self) -> int:
        """Outputs per sample (the weight's first axis)."""
        return self.weight.shape[0]

    @property
    def neurons(self) -> list[Neuron]:
        """One ``Neuron`` view per row of the current weight (rebuilt if its shape changed)."""
        key = (self.weight.shape, self.bias is not None)
        cache = self.__dict__.get("_neurons")
        if cache is None or cache[0] != key:
            cache = (key, [Neuron(self.nin, _layer=self, _index=j) for j in range(self.nout)])
            object.__setattr__(self, "_neurons", cache)
        return cache[1]

    def _scalar(self, x: Any) -> np.ndarray:
        x = _inputs(x)
        if len(x) != self.nin:
            raise ValueError(f"{type(self).__name__} takes {self.nin} inputs, got {len(x)}")
        sum_name = self.node_names[1]
        out = np.empty(self.nout, dtype=object)
        for j, neuron in enumerate(self.neurons):
            out[j] = _tag(neuron.weighted_sum(x, sum_name), neuron)
        return out

    def _tensor(self, x: Any) -> Tensor:
        weight = self.weight
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=weight.data.dtype, label="x")
        shape = x.data.shape
        if not shape or shape[-1] != weight.data.shape[1]:
            raise ValueError(
                f"{type(self).__name__} takes {self.nin} inputs per sample, got shape {x.shape}"
            )
        return _linear(x, weight, self.bias)  # NOTE: linear(), whose check is the one above

    def forward(self, x: Any) -> Any:
        """A vector of numbers or Values → a vector of Values; (n, nin) → Tensor (n, nout)."""
        if _is_scalar_input(x):
            return self._scalar(x)
        return _tag(self._tensor(x), self)

    def extra_repr(self) -> str:
        """``nin, nout, bias=...`` for ``repr``."""
        return f"{self.nin}, {self.nout}, bias={self.bias is not None}"


_VALUE = {Value}


class Layer(Linear):
    """A fully connected layer with its activation: ``a = f(x Wᵀ + b)`` (an MLP's layer).

    Args:
        nin: inputs per node.
        nout: nodes.
        activation: a name of :data:`tinygrad_mlp.names.ACTIVATIONS` (or an alias).
        seed: an int or ``numpy.random.Generator``.
        names: the cheat-sheet names of the weight and bias (``("wh[0]", "bh[0]")``
            for hidden layer 0, ``("wo", "bo")`` for the output layer).
        dtype: ``numpy.float64`` or ``numpy.float32``.
        init: "uniform" (the sheet's U[−1, 1], the default), "torch", "kaiming", "xavier".
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "sigmoid",
        seed: int | np.random.Generator | None = None,
        names: tuple[str, str] = ("w", "b"),
        dtype: Any = np.float64,
        init: str = "uniform",
    ) -> None:
        self.activation = activation_name(activation)
        super().__init__(nin, nout, bias=True, init=init, seed=seed, dtype=dtype)
        self.labels.update(weight=names[0], bias=names[1])
        self.weight.label, self.bias.label = names

    @classmethod
    def sharing(  # type: ignore[override]
        cls, weight: Tensor, bias: Tensor | None, activation: str = "linear"
    ) -> Layer:
        """A Layer whose weight and bias are the given tensors (shared, not copied)."""
        layer = super().sharing(weight, bias)
        layer.activation = activation_name(activation)
        return layer

    def _scalar(self, x: Any) -> np.ndarray:
        x = _inputs(x)
        if len(x) != self.nin:
            raise ValueError(f"layer takes {self.nin} inputs, got {len(x)}")
        out_name, sum_name = self.node_names
        activation = self.activation
        out = np.empty(self.nout, dtype=object)
        neurons = self.neurons
        if autograd._MODE is True:
            # NOTE: the scalar engine's hot path: Neuron.weighted_sum and
            # Neuron._activated for every row, with the weight read once per sample,
            # the labels made once per layer, and f(s) made as `s.relu()` makes it.
            rows = neurons[0].w[0].tensor.data.tolist()
            b = neurons[0].b
            biases = [None] * len(rows) if b is None else b.tensor.data.tolist()
            sums, outs = self._labels(sum_name, out_name)
            fn = UNARY_OPS.get(activation)
            nodes = set(map(type, x)) == _VALUE  # every input a node: one check per layer
            for j, neuron in enumerate(neurons):
                s = weighted_sum_nodes(x, neuron.w, rows[j], neuron.b, biases[j], nodes)
                s.label = sums[j]
                if activation == "linear":
                    a = s  # NOTE: as Neuron._activated: the sum is the output
                elif fn is not None:
                    a = Value(fn.forward(s.data), outs[j], (s,), fn)
                else:
                    a = getattr(s, activation, None)
                    if a is None:
                        _method(s, activation)  # one sentence when the engines lack it
                    a = a()
                    a.label = outs[j]
                a.module = neuron
                out[j] = a
            return out
        for j, neuron in enumerate(neurons):
            out[j] = neuron._activated(neuron.weighted_sum(x, sum_name), activation, out_name)
        return out

    def _labels(self, sum_name: str, out_name: str) -> tuple[list[str], list[str]]:
        """``sh[0][j]`` and ``ah[0][j]`` for every node j, made once per names and width."""
        key = (sum_name, out_name, self.nout)
        cache = self.__dict__.get("_node_labels")
        if cache is None or cache[0] != key:
            sums = [f"{sum_name}[{j}]" for j in range(self.nout)]
            cache = (key, (sums, [f"{out_name}[{j}]" for j in range(self.nout)]))
            object.__setattr__(self, "_node_labels", cache)
        return cache[1]

    def forward(self, x: Any) -> Any:
        """A vector of numbers or Values → a vector of Values; (n, nin) → Tensor (n, nout)."""
        if type(x) is not Tensor and _is_scalar_input(x):
            return self._scalar(x)
        # NOTE: _tag(_activate(s, activation), self) for a Tensor s, written out: the
        # activation's method on s, its output tagged with this layer
        out = self._tensor(x)
        activation = self.activation
        if activation != "linear":
            method = getattr(out, activation, None)
            if method is None:
                _method(out, activation)  # one sentence when the engines lack it
            out = method()
        out.module = self
        return out

    def extra_repr(self) -> str:
        """``nin, nout, activation=...`` for ``repr``."""
        return f"{self.nin}, {self.nout}, activation={self.activation!r}"


def _label_sheet(linears: list[Linear], tensors: bool = True) -> None:
    """Label a chain of linear layers as the sheet does: wh[l], bh[l] ... wo, bo.

    ``tensors=False`` names the scalar leaves only, leaving the tensors' own labels alone
    (for an MLP that shares another network's tensors).
    """
    for l, layer in enumerate(linears):  # noqa: E741 -- the sheet's layer index
        heads = labels.layer_names(l, len(linears))
        names = (heads.weight, heads.bias)
        layer.labels.update(weight=names[0], bias=names[1])
        if not tensors:
            continue
        layer.weight.label = names[0]
        if layer.bias is not None:
            layer.bias.label = names[1]

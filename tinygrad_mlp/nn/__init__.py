"""Modules that compose, runnable on either engine, shaped like ``torch.nn``.

One file per family: :mod:`~tinygrad_mlp.nn.module` (``Module``: registration, walking,
state, modes), :mod:`~tinygrad_mlp.nn.views` (``ParameterValue``),
:mod:`~tinygrad_mlp.nn.vectors` (one sample on the scalar engine),
:mod:`~tinygrad_mlp.nn.linear` (``Linear``, its ``Neuron`` rows, the sheet's ``Layer``),
:mod:`~tinygrad_mlp.nn.activation` (one module per activation of the vocabulary),
:mod:`~tinygrad_mlp.nn.container` (``Sequential``) and :mod:`~tinygrad_mlp.nn.mlp` (the
cheat sheet's ``MLP`` and ``as_mlp``). Nothing here reads or writes files or knows torch:
:func:`save_state` and :func:`load_state` are shown here, where torch users look for
``torch.save``, but live in :mod:`tinygrad_mlp.files`, the bottom of the house;
:func:`tinygrad_mlp.torch_bridge.to_torch` carries a network to PyTorch.

**Registration, as PyTorch's.** A ``Module`` finds its parameters and sub-modules from
its attributes: a leaf ``Tensor`` with ``requires_grad=True`` assigned as an attribute is
a parameter (and stays one when it is replaced by another tensor, or frozen with
``requires_grad = False``); a ``Module`` is a child; lists, tuples and dicts are looked
into (modules, and tensors that require grad). Names are torch's dotted paths
(``layers.0.weight``), and ``state_dict()`` / ``load_state_dict()`` use them.

**Two engines, chosen by the input.** A module's ``forward`` written with the engines'
operations runs on either:

- on the **tensor engine** when given an array or ``Tensor`` of shape (n, inputs): a
  ``Linear`` is one matmul and one add;
- on the **scalar engine** when given a list, tuple or 1-D numpy object array of numbers
  or ``Value``\\ s: one ``Value`` per multiply and add. What layers take and return on this
  engine is a **1-D numpy object array of** ``Value``, so it behaves as a vector: ``h + g``
  adds element by element (never concatenates), activations apply element by element,
  ``W @ h`` works, ``h[j]`` and ``len(h)`` work, and the losses take it.

Either way the gradients land in ``weight.grad`` and ``bias.grad``, so an optimizer does
not care which engine ran. On the scalar road a weight's leaf is a *view*
(:class:`ParameterValue`) of one element of the module's **current** tensor: replacing
``layer.weight = Tensor(...)`` hands the views the new tensor, so both engines stay on
the same numbers. ``Module.parameter_values(name)`` gives such views of a parameter of a
module of one's own.

Leaves are labelled from the parameters' names: the cheat sheet's notation for ``MLP``
(``x[0]``, ``wh[0][2][1]``, ``bh[0][2]``, ``sh[0][2]``, ``ah[0][2]``, ``wo[0][1]``,
``bo[0]``, ``so[0]``, ``yo[0]``) and for a ``Sequential`` of ``Linear`` and activations
built on its own, dotted paths otherwise (``fc1.weight[2][1]``).
"""

from tinygrad_mlp.files import load_state, save_state
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn.activation import (
    CELU,
    ELU,
    GELU,
    Hardsigmoid,
    Hardtanh,
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softplus,
    Softsign,
    Tanh,
)
from tinygrad_mlp.nn.container import Sequential
from tinygrad_mlp.nn.linear import Layer, Linear, Neuron
from tinygrad_mlp.nn.mlp import MLP, as_mlp
from tinygrad_mlp.nn.module import IncompatibleKeys, Module
from tinygrad_mlp.nn.vectors import vector
from tinygrad_mlp.nn.views import ParameterValue

__all__ = [
    "ACTIVATIONS",
    "CELU",
    "ELU",
    "GELU",
    "MLP",
    "Hardsigmoid",
    "Hardtanh",
    "Identity",
    "IncompatibleKeys",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Module",
    "Neuron",
    "ParameterValue",
    "ReLU",
    "Sequential",
    "SiLU",
    "Sigmoid",
    "Softplus",
    "Softsign",
    "Tanh",
    "as_mlp",
    "load_state",
    "save_state",
    "vector",
]

"""One sample on the scalar engine: a vector of ``Value``, and activations applied to it.

What layers take and return on the scalar engine is a 1-D numpy object array of
``Value`` (:func:`vector`), so it behaves as a vector: ``h + g`` adds element by
element, activations apply element by element, ``W @ h`` works. A module tags each
node it computes with itself (``node.module``), which the drawings use to group a
neuron's or a layer's nodes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tinygrad_mlp import labels
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = ["vector"]


def _is_scalar_input(x: Any) -> bool:
    """A list, tuple or object array runs the scalar engine; arrays and Tensors the tensor one."""
    return isinstance(x, (list, tuple)) or (isinstance(x, np.ndarray) and x.dtype == object)


def vector(x: Sequence[Any]) -> np.ndarray:
    """One sample for the scalar engine: a 1-D object array of ``Value``.

    Numbers become leaves labelled ``x[i]``; ``Value``\\ s are kept as they are.

    >>> v = vector([1.0, 2.0])
    >>> (v + v)[1].data, v[0].label
    (4.0, 'x[0]')
    """
    if isinstance(x, np.ndarray) and x.ndim != 1:
        raise TypeError(f"the scalar engine takes one sample (a 1-D vector), got shape {x.shape}")
    out = np.empty(len(x), dtype=object)
    for i, v in enumerate(x):
        if isinstance(v, Value):
            out[i] = v
        elif isinstance(v, (list, tuple, np.ndarray, Tensor)):
            raise TypeError(
                "a list runs the scalar engine on one sample of numbers; "
                "pass a batch as an array of shape (n, inputs)"
            )
        else:
            out[i] = Value(float(v), labels.input_name(i))
    return out


def _inputs(x: Any) -> list:
    """A layer's scalar input as a list (fast to index): a vector's elements as they are,
    numbers of a list or tuple as labelled leaves."""
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise TypeError(f"the scalar engine takes one sample (a 1-D vector), got {x.shape}")
        return x.tolist()
    return vector(x).tolist()


def _tag(node: Any, module: Any) -> Any:
    """Mark ``node`` as the output of ``module`` (``node.module``), which drawings use to
    group a neuron's or a layer's nodes; returns the node."""
    if module is not None:
        try:
            node.module = module
        except AttributeError:  # NOTE: a node class without the ``module`` slot
            pass
    return node


def _method(x: Any, name: str) -> Any:
    """The engine's method for activation ``name``, or one ValueError saying it has none."""
    method = getattr(x, name, None)
    if method is None:
        raise ValueError(
            f"activation {name!r} has no function on the engines; add a row for it to "
            "tinygrad_mlp.elementwise.FUNCTIONS"
        )
    return method


def _activate(x: Any, name: str) -> Any:
    """Activation ``name`` of a Tensor, a Value or a vector of Values (element by element).

    An element-wise activation belongs to the module that computed its input: its output
    is tagged with the same ``module``, and labelled from its input's sheet label.
    """
    if name == "linear":
        return x
    if isinstance(x, np.ndarray) and x.dtype == object:
        out = np.empty(x.shape, dtype=object)
        for k, v in enumerate(x.flat):
            try:
                a = getattr(v, name)()
            except AttributeError:
                _method(v, name)  # one sentence when the engines lack the activation
                raise
            if isinstance(v, Value):
                if v.label:
                    a.label = labels.activated(v.label)
                _tag(a, getattr(v, "module", None))
            out.flat[k] = a
        return out
    if isinstance(x, (Tensor, Value)):
        return _tag(_method(x, name)(), getattr(x, "module", None))
    if _is_scalar_input(x):
        return _activate(vector(x), name)
    return getattr(Tensor(x), name)()


"""Parameter views: a ``Value`` leaf that is one element of a module's parameter tensor.

On the scalar road a weight's leaf is a view (:class:`ParameterValue`) of one element
of the module's **current** tensor: replacing ``layer.weight = Tensor(...)`` hands the
views the new tensor, so both engines stay on the same numbers, and gradients from
either engine land in the same ``weight.grad``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = ["ParameterValue"]


def _grad_numbers(t: Tensor, label: str) -> np.ndarray | float:
    """What ``t.grad`` holds as numbers: an array of t's shape, or one number for all."""
    g = t.grad
    if isinstance(g, Tensor):  # a gradient that is a node (create_graph): its numbers
        g = g.data
    arr = np.asarray(g)
    if arr.shape == t.data.shape:
        return arr
    if arr.ndim == 0 and np.issubdtype(arr.dtype, np.number):
        return float(arr)
    raise ValueError(
        f"{label or 'the parameter'}.grad has shape {arr.shape} but the parameter has shape "
        f"{t.data.shape}; assign None, a number or an array of shape {t.data.shape}"
    )


def _writable_grad(t: Tensor, label: str) -> np.ndarray:
    """``t.grad`` as an array of t's shape that t owns, made so if needed.

    None becomes zeros; a number ``c`` (micrograd's ``p.grad = 0.0``) stands for ``c``
    everywhere, as the tensor sweep's ``old + g`` reads it; a node's numbers are copied.
    """
    g = t.grad
    if g is None:
        g = t.grad = np.zeros_like(t.data)
        return g
    numbers = _grad_numbers(t, label)
    if isinstance(numbers, float):
        g = t.grad = np.full_like(t.data, numbers)
    elif numbers is not g or not numbers.flags.writeable:
        g = t.grad = np.array(numbers, dtype=t.data.dtype)
    return g


_UNCHECKED = object()  # never a gradient array, so a view starts by checking


class ParameterValue(Value):
    """A ``Value`` leaf that is one element of a module's parameter ``Tensor``.

    ``.data`` reads and writes ``tensor.data[index]``; ``.grad`` reads and writes
    ``tensor.grad[index]`` (0 while the tensor has none). ``tensor`` is the module's
    *current* parameter: a ``Linear`` hands its views the new tensor when
    ``layer.weight = Tensor(...)`` replaces it, so both engines stay on the same numbers.

    The gradient setter takes a number or a ``Value``. A ``Value`` (a gradient that is a
    node, from ``backward(create_graph=True)``) is kept on this view and its number written
    into ``tensor.grad``; reading ``.grad`` returns that node for as long as the tensor's
    gradient array still holds its number, and a plain float once anything else (another
    write, ``zero_grad()``) has replaced it. A number assigned to the whole tensor's
    ``.grad`` (``p.grad = 0.0``) stands for that number everywhere; an array of the wrong
    shape there is refused with one sentence.
    """

    # NOTE: ``owner``, not ``module``: on a node, ``module`` tags a module's *output*.
    __slots__ = ("owner", "name", "index", "tensor", "_checked", "_grad_node")

    def __init__(self, module: Any, name: str, index: tuple[int, ...]) -> None:
        self.owner = module
        self.name = name
        self.index = index
        self.tensor: Tensor = getattr(module, name)
        self._prev = ()
        self._fn = None
        # NOTE: the last gradient array found to be t's shape and writable, so the hot
        # loop checks an identity, not a shape, on every read and write.
        self._checked: Any = _UNCHECKED
        self._grad_node: tuple[Value, np.ndarray] | None = None

    @property  # type: ignore[override]
    def label(self) -> str:
        """The sheet's name of this element, e.g. ``wh[0][2][1]`` (read-only)."""
        labels = self.owner.__dict__.get("labels")
        if labels is not None and self.name in labels:
            base = labels[self.name]
        else:
            base = self.tensor.label or self.name
        return base + "".join(f"[{k}]" for k in self.index)

    @label.setter
    def label(self, value: str) -> None:
        raise AttributeError("a parameter view's label comes from its module's parameter names")

    @property  # type: ignore[override]
    def data(self) -> float:
        """The element's number, read from (and written to) the module's current tensor."""
        return self.tensor.data.item(self.index)

    @data.setter
    def data(self, value: float) -> None:
        self.tensor.data[self.index] = value

    def _check(self, t: Tensor) -> np.ndarray | float:
        """t's gradient as numbers, remembering an array that needs no further checks."""
        numbers = _grad_numbers(t, self.label)
        g = t.grad
        if numbers is g and numbers.flags.writeable:
            self._checked = g
        return numbers

    @property  # type: ignore[override]
    def grad(self) -> Any:
        """The element's gradient: a float, or the node a ``create_graph`` sweep left here."""
        g = self.tensor.grad
        if g is self._checked and self._grad_node is None:  # NOTE: the hot path
            return g.item(self.index)
        if g is None:
            return 0.0
        if g is not self._checked:
            numbers = self._check(self.tensor)
            if numbers is not g:
                return numbers if isinstance(numbers, float) else numbers.item(self.index)
        value = g.item(self.index)
        node = self._grad_node
        if node is not None and node[1] is g and node[0].data == value:
            return node[0]
        return value

    @grad.setter
    def grad(self, value: Any) -> None:
        g = self.tensor.grad
        if g is not self._checked:
            g = self._checked = _writable_grad(self.tensor, self.label)
        if type(value) is float:
            g[self.index] = value
            if self._grad_node is not None:
                self._grad_node = None
        elif isinstance(value, Value):
            g[self.index] = value.data
            self._grad_node = (value, g)
        elif isinstance(value, (int, np.number)) and not isinstance(value, bool):
            g[self.index] = value
            self._grad_node = None
        else:
            raise TypeError(
                f"the gradient of {self.label} is one number or a Value, not {type(value).__name__}"
            )

    def __repr__(self) -> str:
        grad = self.grad
        grad = grad.data if isinstance(grad, Value) else grad
        return f"Value({self.label}, data={self.data:.6g}, grad={grad:.6g})"

    def _hold(self) -> list | None:
        """``[data, grad]`` for the scalar sweep to sum into, or None to go edge by edge.

        Only a float64 tensor with a plain-number gradient is held: there, one final
        write equals the writes of every edge (a float32 gradient rounds at each one).
        """
        if self.tensor.data.dtype != np.float64:
            return None
        g = self.grad
        if type(g) is not float:
            return None
        return [self.data, g]

    def zero_grad(self) -> None:
        """Zero this element's gradient only (nothing to do while the tensor has none)."""
        t = self.tensor
        self._grad_node = None
        if t.grad is not None:
            _writable_grad(t, self.label)[self.index] = 0.0

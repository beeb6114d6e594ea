"""Modules that compose, runnable on either engine: ``Module``, ``Linear``, activations,
``Sequential``, and the cheat sheet's ``Neuron``, ``Layer`` and ``MLP``.

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

from __future__ import annotations

import io as _io
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from tinygrad_mlp import init as _init
from tinygrad_mlp.names import ACTIVATIONS, activation_name
from tinygrad_mlp.tensor import Tensor, linear
from tinygrad_mlp.value import Value

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

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def check_activation(name: str) -> str:
    """The canonical name of activation ``name``, else one clear ValueError."""
    return activation_name(name)


def _rng(seed: int | np.random.Generator | None) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


# --------------------------------------------------------------------------- vectors


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
            out[i] = Value(float(v), f"x[{i}]")
    return out


def _inputs(x: Any) -> list:
    """A layer's scalar input as a list (fast to index): a vector's elements as they are,
    numbers of a list or tuple as labelled leaves."""
    if isinstance(x, np.ndarray):
        if x.ndim != 1:
            raise TypeError(f"the scalar engine takes one sample (a 1-D vector), got {x.shape}")
        return x.tolist()
    return vector(x).tolist()


def _activated_label(label: str) -> str:
    """The label of f(s) from the label of s: sh[l][j] → ah[l][j], so[j] → yo[j], s[j] → a[j]."""
    head, sep, tail = label.partition("[")
    if not sep:
        return ""
    mapped = {"sh": "ah", "so": "yo", "s": "a"}.get(head)
    if mapped is None:
        if not head.endswith(".s"):
            return ""
        mapped = head[:-1] + "a"
    return mapped + sep + tail


def _tag(node: Any, module: Any) -> Any:
    """Mark ``node`` as the output of ``module`` (``node.module``), which drawings use to
    group a neuron's or a layer's nodes; returns the node."""
    if module is not None:
        try:
            node.module = module
        except AttributeError:  # NOTE: a node class without the ``module`` slot
            pass
    return node


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
            a = getattr(v, name)()
            if isinstance(v, Value):
                if v.label:
                    a.label = _activated_label(v.label)
                _tag(a, getattr(v, "module", None))
            out.flat[k] = a
        return out
    if isinstance(x, (Tensor, Value)):
        return _tag(getattr(x, name)(), getattr(x, "module", None))
    if _is_scalar_input(x):
        return _activate(vector(x), name)
    return getattr(Tensor(x), name)()


# --------------------------------------------------------------------------- views


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

    def __init__(self, module: Module, name: str, index: tuple[int, ...]) -> None:
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

    def zero_grad(self) -> None:
        """Zero this element's gradient only (nothing to do while the tensor has none)."""
        t = self.tensor
        self._grad_node = None
        if t.grad is not None:
            _writable_grad(t, self.label)[self.index] = 0.0


# --------------------------------------------------------------------------- Module


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` could not match, as torch reports it."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _container_items(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    """(dotted name, Module or Tensor) inside nested lists, tuples and dicts."""
    if isinstance(value, Module):
        yield prefix, value
    elif isinstance(value, Tensor):
        if value.requires_grad and value._fn is None:
            yield prefix, value
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from _container_items(f"{prefix}.{i}", item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _container_items(f"{prefix}.{key}", item)


class Module:
    """Base class of networks and layers, as PyTorch's ``nn.Module``.

    Subclasses assign parameters (``Tensor(..., requires_grad=True)``) and sub-modules as
    attributes and write ``forward``; calling the module calls ``forward``.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.scale = Tensor([2.0], requires_grad=True)
    ...         self.inner = Linear(1, 1, seed=0)
    ...     def forward(self, x):
    ...         return self.inner(x) * self.scale
    >>> [name for name, _ in Affine().named_parameters()]
    ['scale', 'inner.weight', 'inner.bias']
    """

    #: Attributes that refer to modules without being sub-modules (a neuron's layer).
    _not_children: tuple[str, ...] = ("_values",)
    #: Set by train() / eval() on every module; a class default until then.
    training: bool = True

    # -- registration ---------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        registered = self.__dict__.get("_parameter_names")
        if isinstance(value, Tensor):
            if value._fn is not None and registered and name in registered:
                raise TypeError(
                    f"cannot assign a computed Tensor as parameter {name!r} of "
                    f"{type(self).__name__}; assign a leaf tensor (Tensor(..., "
                    "requires_grad=True) or .detach())"
                )
            if value.requires_grad and value._fn is None:
                if registered is None:
                    registered = set()
                    object.__setattr__(self, "_parameter_names", registered)
                registered.add(name)
        elif registered and name in registered and value is not None:
            raise TypeError(
                f"cannot assign {type(value).__name__} as parameter {name!r} of "
                f"{type(self).__name__}; assign a Tensor (requires_grad=True) or None"
            )
        object.__setattr__(self, name, value)
        if name in self._not_children or name == "labels":
            return
        if isinstance(value, Tensor) and registered and name in registered:
            self._label_own(name, value)
            self._parameter_replaced(name, value)
        elif isinstance(value, (Module, list, tuple, dict)):
            for path, item in _container_items(name, value):
                if isinstance(item, Module):
                    item.label_parameters(path)
                else:
                    item.label = path

    def _label_own(self, name: str, tensor: Tensor, path: str | None = None) -> None:
        tensor.label = name if path is None else path

    def _parameter_replaced(self, name: str, tensor: Tensor) -> None:
        """Called when parameter ``name`` is set to ``tensor``: its views follow."""
        views = self.__dict__.get("_values", {}).pop(name, None)
        if views is not None and views.shape == tensor.shape:
            for view in views.flat:
                view.tensor = tensor
            self._values[name] = views

    def parameter_values(self, name: str) -> np.ndarray:
        """Parameter ``name`` as an object array of ``Value`` views, for the scalar engine.

        Each element reads and writes one element of the tensor (and of its gradient), so
        a ``forward`` can use a parameter of its own on either engine; the same views come
        back on every call while the tensor keeps its shape.

        >>> class Scale(Module):
        ...     def __init__(self):
        ...         self.s = Tensor([2.0, 3.0], requires_grad=True)
        ...     def forward(self, x):
        ...         return x * (self.s if isinstance(x, Tensor) else self.parameter_values("s"))
        >>> m = Scale()
        >>> y = m(vector([1.0, 1.0]))
        >>> y[1].backward(); m.s.grad.tolist()
        [0.0, 1.0]
        """
        tensor = getattr(self, name)
        if name not in self.__dict__.get("_parameter_names", ()):
            raise ValueError(f"{name!r} is not a parameter of {type(self).__name__}")
        cache = self.__dict__.get("_values")
        if cache is None:
            cache = {}
            object.__setattr__(self, "_values", cache)
        views = cache.get(name)
        if views is None or views.shape != tensor.shape:
            views = np.empty(tensor.shape, dtype=object)
            for index in np.ndindex(tensor.shape):
                views[index] = ParameterValue(self, name, index)
            cache[name] = views
        return views

    def label_parameters(self, prefix: str = "") -> None:
        """Label every parameter with its dotted path under ``prefix`` (leaves, drawings)."""
        for name, item in self._entries():
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(item, Module):
                item.label_parameters(path)
            else:
                self._label_own(name, item, path)

    # -- walking --------------------------------------------------------------------

    def _entries(self) -> Iterator[tuple[str, Module | Tensor]]:
        """(name, item) in torch's order: own parameters, then sub-modules and the
        parameters held in lists, tuples and dicts, in attribute order."""
        registered = self.__dict__.get("_parameter_names", ())
        for name, value in self.__dict__.items():
            if name in registered and isinstance(value, Tensor):
                yield name, value
        for name, value in self.__dict__.items():
            if name in self._not_children or name in registered:
                continue
            if isinstance(value, (Module, list, tuple, dict)):
                yield from _container_items(name, value)

    def _named_children(self) -> Iterator[tuple[str, Module]]:
        for name, item in self._entries():
            if isinstance(item, Module):
                yield name, item

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """Immediate sub-modules with their names (those in containers as ``name.i``)."""
        seen: set[int] = set()
        for name, module in self._named_children():
            if id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """Immediate sub-modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and every sub-module, depth first, each once, with dotted names."""
        seen = {id(self)}
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            yield name, module
            kids = []
            for child_name, child in module._named_children():
                if id(child) not in seen:
                    seen.add(id(child))
                    kids.append((f"{name}.{child_name}" if name else child_name, child))
            stack.extend(reversed(kids))

    def modules(self) -> Iterator[Module]:
        """This module and every sub-module, depth first."""
        for _, module in self.named_modules():
            yield module

    def _named_parameters(self, remove_duplicate: bool) -> Iterator[tuple[str, Tensor]]:
        seen: set[int] = set()
        active: set[int] = set()

        def visit(module: Module, prefix: str) -> Iterator[tuple[str, Tensor]]:
            # NOTE: recursion over the module tree (a few levels), not over a graph.
            if id(module) in active or (remove_duplicate and id(module) in seen):
                return
            seen.add(id(module))
            active.add(id(module))
            for name, item in module._entries():
                path = f"{prefix}.{name}" if prefix else name
                if isinstance(item, Module):
                    yield from visit(item, path)
                elif not (remove_duplicate and id(item) in seen):
                    seen.add(id(item))
                    yield path, item
            active.discard(id(module))

        return visit(self, "")

    def named_parameters(self) -> Iterator[tuple[str, Tensor]]:
        """(dotted name, tensor) for every parameter, each tensor once, as torch orders them.

        >>> [name for name, _ in Sequential(Linear(2, 3), Tanh(), Linear(3, 1)).named_parameters()]
        ['0.weight', '0.bias', '2.weight', '2.bias']
        """
        return self._named_parameters(remove_duplicate=True)

    def parameters(self) -> list[Tensor]:
        """Every parameter tensor, each once, in ``named_parameters()`` order."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget every parameter's gradient (set it to None, torch's default)."""
        for p in self.parameters():
            p.zero_grad()

    # -- modes and dtypes -------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set ``training`` on this module and every sub-module; returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> Module:
        """``train(False)``."""
        return self.train(False)

    def to(self, dtype: Any) -> Module:
        """Cast every parameter (and its gradient) to ``dtype`` in place; returns self.

        The tensors stay the same objects, so optimizers and views keep working.
        """
        dtype = np.dtype(dtype)
        if dtype not in _FLOAT_DTYPES:
            raise ValueError(f"parameters can be float64 or float32, not {dtype}")
        for p in self.parameters():
            p.data = p.data.astype(dtype)
            if isinstance(p.grad, np.ndarray):
                p.grad = p.grad.astype(dtype)
        return self

    # -- state ------------------------------------------------------------------------

    def state_dict(self) -> dict[str, np.ndarray]:
        """Every parameter's values by dotted name: copies, so a saved state does not move.

        NOTE: torch's state_dict shares memory with the parameters; ours copies, so
        ``best = net.state_dict()`` keeps the best epoch without a deepcopy.

        >>> {k: v.shape for k, v in Linear(2, 3, seed=0).state_dict().items()}
        {'weight': (3, 2), 'bias': (3,)}
        """
        return {name: p.data.copy() for name, p in self._named_parameters(False)}

    def load_state_dict(self, state: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy ``state``'s arrays into the parameters with the same names, as torch does.

        Values are cast to each parameter's dtype and written in place. A shape mismatch is
        always an error; with ``strict`` (the default) so are missing and unexpected keys,
        and nothing is written unless everything matches.

        Args:
            state: a mapping of dotted names to arrays (``state_dict()``, an ``.npz``).
            strict: refuse missing and unexpected keys.

        Returns:
            ``IncompatibleKeys(missing_keys, unexpected_keys)``.

        >>> net = Linear(2, 1, seed=0)
        >>> net.load_state_dict({"weight": [[1.0, 2.0]], "extra": [0.0]}, strict=False)
        IncompatibleKeys(missing_keys=['bias'], unexpected_keys=['extra'])
        >>> net.weight.data.tolist()
        [[1.0, 2.0]]
        """
        if not hasattr(state, "keys"):
            raise TypeError(f"a state is a mapping of names to arrays, not {type(state).__name__}")
        own = list(self._named_parameters(False))
        names = {name for name, _ in own}
        missing = [name for name, _ in own if name not in state]
        unexpected = [key for key in state.keys() if key not in names]
        updates = []
        for name, p in own:
            if name not in state:
                continue
            value = state[name]
            try:
                array = np.asarray(
                    getattr(value, "data", value) if isinstance(value, Tensor) else value
                )
                array = array.astype(p.data.dtype)
            except (TypeError, ValueError):
                raise TypeError(
                    f"state entry {name!r} is not numbers ({type(value).__name__})"
                ) from None
            if array.shape != p.data.shape:
                raise ValueError(
                    f"state entry {name!r} has shape {array.shape} but the parameter has "
                    f"shape {p.data.shape}"
                )
            updates.append((p, array))
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise ValueError(
                f"state does not match {type(self).__name__}: {' and '.join(parts)} "
                "(load_state_dict(strict=False) loads the rest)"
            )
        for p, array in updates:
            p.data[...] = array
        return IncompatibleKeys(missing, unexpected)

    # -- calling and printing ---------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; subclasses define it (``__call__`` runs it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def extra_repr(self) -> str:
        """Extra text for this module's line in ``repr`` (torch's hook of the same name)."""
        """The text inside this module's parentheses (its settings)."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        children = list(self.named_children())
        if not children:
            return head + ")"
        lines = [head]
        for name, module in children:
            text = repr(module).replace("\n", "\n  ")
            lines.append(f"  ({name}): {text}")
        return "\n".join(lines) + "\n)"


# --------------------------------------------------------------------------- state files


def _flat_state(state: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, leaf) of a nested state: dicts, and lists or tuples of dicts, are walked."""
    items = state.items() if isinstance(state, dict) else enumerate(state)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        nested = isinstance(value, dict) or (
            isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value)
        )
        if nested:
            yield from _flat_state(value, path)
        elif value is not None:
            yield path, value


def save_state(state: dict[str, Any], path: str | Path) -> Path:
    """Write a state to an ``.npz`` file, atomically (no half-written file).

    A module's state (name → array) is written as it is; a nested one, such as an
    optimizer's ``state_dict()``, with dotted keys (``state.0.exp_avg``,
    ``param_groups.0.lr``), which the optimizer's ``load_state_dict`` reads back.

    >>> import tempfile, os
    >>> net = Linear(2, 1, seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_state(net.state_dict(), os.path.join(d, "net.npz"))
    ...     sorted(load_state(p))
    ['bias', 'weight']
    """
    from tinygrad_mlp.io import atomic_write_bytes  # NOTE: io imports nn, so not at the top

    arrays = {}
    for key, value in _flat_state(state):
        array = np.asarray(value.data if isinstance(value, Tensor) else value)
        if array.dtype == object:
            raise TypeError(f"state entry {key!r} is not an array of numbers")
        arrays[str(key)] = array
    buffer = _io.BytesIO()
    np.savez(buffer, **arrays)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def load_state(path: str | Path) -> dict[str, np.ndarray]:
    """Read a state written by :func:`save_state` (numbers only: no pickle is ever loaded)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path}: not a state file written by save_state ({error})") from None


# --------------------------------------------------------------------------- building blocks


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
        s = x[0] * w[0] if isinstance(x[0], Value) else w[0] * x[0]
        for i in range(1, len(w)):
            s = s + (x[i] * w[i] if isinstance(x[i], Value) else w[i] * x[i])
        if self.b is not None:
            s = s + self.b
        s.label = f"{self.layer.node_names[1] if name is None else name}[{self.index}]"
        return s

    def forward(self, x: Sequence[Any]) -> Value:
        """Weighted sum then activation, on the scalar engine, one node per + and *."""
        out_name, sum_name = self.layer.node_names
        return self._activated(self.weighted_sum(_inputs(x), sum_name), self.activation, out_name)

    def _activated(self, s: Value, activation: str, out_name: str) -> Value:
        """f(s), labelled ``out_name[j]`` and tagged as this neuron's output."""
        if activation == "linear":
            return _tag(s, self)
        a = getattr(s, activation)()
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

    _not_children = ("_neurons", "_values")

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
        if weight_name.startswith("wh["):
            return "ah" + weight_name[2:], "sh" + weight_name[2:]
        if weight_name == "wo":
            return "yo", "so"
        path = weight_name[: -len("weight")].rstrip(".") if weight_name.endswith("weight") else ""
        return (f"{path}.a", f"{path}.s") if path else ("a", "s")

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
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=self.weight.dtype, label="x")
        if x.ndim == 0 or x.shape[-1] != self.nin:
            raise ValueError(
                f"{type(self).__name__} takes {self.nin} inputs per sample, got shape {x.shape}"
            )
        return linear(x, self.weight, self.bias)

    def forward(self, x: Any) -> Any:
        """A vector of numbers or Values → a vector of Values; (n, nin) → Tensor (n, nout)."""
        if _is_scalar_input(x):
            return self._scalar(x)
        return _tag(self._tensor(x), self)

    def extra_repr(self) -> str:
        """``nin, nout, bias=...`` for ``repr``."""
        return f"{self.nin}, {self.nout}, bias={self.bias is not None}"


class _Activation(Module):
    """An element-wise activation, on a Tensor, a Value or a vector of Values."""

    activation = "linear"

    def forward(self, x: Any) -> Any:
        return _activate(x, self.activation)


class Sigmoid(_Activation):
    """σ(s) = 1 / (1 + e^−s), element by element.

    >>> Sigmoid()([0.0])[0].data
    0.5
    """

    activation = "sigmoid"


class Tanh(_Activation):
    """tanh(s), element by element."""

    activation = "tanh"


class ReLU(_Activation):
    """max(0, s), element by element (relu'(0) = 0, as torch)."""

    activation = "relu"


class Identity(_Activation):
    """The input, unchanged (the sheet's "linear" activation)."""

    activation = "linear"


class LeakyReLU(_Activation):
    """s (s > 0), 0.01·s (else), element by element (torch's default slope)."""

    activation = "leaky_relu"


class ELU(_Activation):
    """s (s > 0), e^s − 1 (else), element by element (α = 1)."""

    activation = "elu"


class CELU(_Activation):
    """s (s > 0), α(e^(s/α) − 1) (else) with α = 1, element by element."""

    activation = "celu"


class GELU(_Activation):
    """s Φ(s) with Φ the normal distribution function; ``approximate="tanh"`` uses
    ½s(1 + tanh(√(2/π)(s + 0.044715 s³))), as torch.

    Args:
        approximate: ``"none"`` (the erf form, activation ``gelu``) or ``"tanh"``
            (activation ``gelu_tanh``).

    >>> GELU("tanh").activation
    'gelu_tanh'
    """

    def __init__(self, approximate: str = "none") -> None:
        forms = {"none": "gelu", "tanh": "gelu_tanh"}
        if approximate not in forms:
            raise ValueError(f"GELU approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate
        self.activation = forms[approximate]

    def extra_repr(self) -> str:
        """``approximate=...`` for ``repr``, as torch's GELU shows it."""
        return f"approximate={self.approximate!r}"


class SiLU(_Activation):
    """s σ(s) (swish), element by element."""

    activation = "silu"


class Softplus(_Activation):
    """ln(1 + e^s) (s when s > 20), element by element (β = 1, threshold 20)."""

    activation = "softplus"


class Softsign(_Activation):
    """s / (1 + |s|), element by element."""

    activation = "softsign"


class Hardtanh(_Activation):
    """min(max(s, −1), 1), element by element."""

    activation = "hardtanh"


class Hardsigmoid(_Activation):
    """min(max(s + 3, 0), 6) / 6, element by element."""

    activation = "hardsigmoid"


#: The module that applies each activation (``linear`` layers get none in a Sequential).
_ACTIVATION_MODULES: dict[str, Callable[[], _Activation]] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "linear": Identity,
    "leaky_relu": LeakyReLU,
    "elu": ELU,
    "celu": CELU,
    "gelu": GELU,
    "gelu_tanh": lambda: GELU("tanh"),
    "silu": SiLU,
    "softplus": Softplus,
    "softsign": Softsign,
    "hardtanh": Hardtanh,
    "hardsigmoid": Hardsigmoid,
}
_ACTIVATION_TYPES = (
    Sigmoid,
    Tanh,
    ReLU,
    Identity,
    LeakyReLU,
    ELU,
    CELU,
    GELU,
    SiLU,
    Softplus,
    Softsign,
    Hardtanh,
    Hardsigmoid,
)
assert set(_ACTIVATION_MODULES) == set(ACTIVATIONS), "an activation has no module"


class Sequential(Module):
    """Modules applied in turn; their parameters are named ``0.weight``, ``2.bias``... as torch.

    Built on its own from ``Linear`` layers and activations, its scalar graph uses the cheat
    sheet's labels; inside another module, dotted paths.

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


def _label_sheet(linears: list[Linear], tensors: bool = True) -> None:
    """Label a chain of linear layers as the sheet does: wh[l], bh[l] ... wo, bo.

    ``tensors=False`` names the scalar leaves only, leaving the tensors' own labels alone
    (for an MLP that shares another network's tensors).
    """
    for l, layer in enumerate(linears):  # noqa: E741 -- the sheet's layer index
        last = l == len(linears) - 1
        names = ("wo", "bo") if last else (f"wh[{l}]", f"bh[{l}]")
        layer.labels.update(weight=names[0], bias=names[1])
        if not tensors:
            continue
        layer.weight.label = names[0]
        if layer.bias is not None:
            layer.bias.label = names[1]


# --------------------------------------------------------------------------- the sheet's network


class Layer(Linear):
    """A fully connected layer with its activation: ``a = f(x Wᵀ + b)`` (an MLP's layer).

    Args:
        nin: inputs per node.
        nout: nodes.
        activation: "sigmoid", "tanh", "relu" or "linear".
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
        self.activation = check_activation(activation)
        super().__init__(nin, nout, bias=True, init=init, seed=seed, dtype=dtype)
        self.labels.update(weight=names[0], bias=names[1])
        self.weight.label, self.bias.label = names

    @classmethod
    def sharing(  # type: ignore[override]
        cls, weight: Tensor, bias: Tensor | None, activation: str = "linear"
    ) -> Layer:
        """A Layer whose weight and bias are the given tensors (shared, not copied)."""
        layer = super().sharing(weight, bias)
        layer.activation = check_activation(activation)
        return layer

    def _scalar(self, x: Any) -> np.ndarray:
        x = _inputs(x)
        if len(x) != self.nin:
            raise ValueError(f"layer takes {self.nin} inputs, got {len(x)}")
        out_name, sum_name = self.node_names
        activation = self.activation
        out = np.empty(self.nout, dtype=object)
        for j, neuron in enumerate(self.neurons):
            out[j] = neuron._activated(neuron.weighted_sum(x, sum_name), activation, out_name)
        return out

    def forward(self, x: Any) -> Any:
        """A vector of numbers or Values → a vector of Values; (n, nin) → Tensor (n, nout)."""
        if _is_scalar_input(x):
            return self._scalar(x)
        return _tag(_activate(self._tensor(x), self.activation), self)

    def extra_repr(self) -> str:
        """``nin, nout, activation=...`` for ``repr``."""
        return f"{self.nin}, {self.nout}, activation={self.activation!r}"


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
            last = l == len(nouts) - 1
            names = ("wo", "bo") if last else (f"wh[{l}]", f"bh[{l}]")
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
                items.append(_ACTIVATION_MODULES[layer.activation]())
        return Sequential(*items)

    def to_torch(self) -> Any:
        """The same network as a ``torch.nn.Sequential`` (a copy; needs the torch extra).

        See :func:`tinygrad_mlp.torch_bridge.to_torch`.
        """
        from tinygrad_mlp.torch_bridge import to_torch

        return to_torch(self)

    @classmethod
    def from_torch(cls, module: Any) -> MLP:
        """An MLP read from an MLP-shaped ``torch.nn.Sequential`` (needs the torch extra).

        Anything that is not Linear layers and activation modules with our parameters is
        refused with one sentence; see :func:`tinygrad_mlp.torch_bridge.from_torch`.
        """
        from tinygrad_mlp.torch_bridge import from_torch

        return from_torch(module)

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


# --------------------------------------------------------------------------- MLP-shaped modules


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
        elif isinstance(m, _Activation) and type(m) in _ACTIVATION_TYPES:
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
                "holds only Linear, Sigmoid, Tanh, ReLU and Identity"
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


def as_mlp(module: Module) -> MLP:
    """The ``MLP`` a network is: itself, or a Sequential of Linear and activations.

    The MLP shares the Sequential's tensors, so gradients and updates land on both.
    Anything else is refused with one sentence naming the first unsupported module.

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

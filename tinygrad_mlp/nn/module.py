"""``Module``, as PyTorch's ``nn.Module``: registration, walking, state, modes, printing.

A ``Module`` finds its parameters and sub-modules from its attributes: a leaf ``Tensor``
with ``requires_grad=True`` assigned as an attribute is a parameter (and stays one when
it is replaced by another tensor, or frozen with ``requires_grad = False``); a ``Module``
is a child; lists, tuples and dicts are looked into (modules, and tensors that require
grad). Names are torch's dotted paths (``layers.0.weight``), and ``state_dict()`` /
``load_state_dict()`` use them. Writing a state to a file is not a module's business:
see :func:`tinygrad_mlp.io.save_state`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

import numpy as np

from tinygrad_mlp.nn.views import ParameterValue
from tinygrad_mlp.tensor import Tensor

__all__ = ["IncompatibleKeys", "Module", "RemovableHandle"]

_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


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


class RemovableHandle:
    """What :meth:`Module.register_forward_hook` returns: ``remove()`` takes the hook away."""

    def __init__(self, hooks: dict[Any, Any]) -> None:
        self.hooks = hooks

    def remove(self) -> None:
        """Unregister the hook (again: nothing)."""
        self.hooks.pop(self, None)


class Module:
    """Base class of networks and layers, as PyTorch's ``nn.Module``.

    Subclasses assign parameters (``Tensor(..., requires_grad=True)``) and sub-modules as
    attributes and write ``forward``; calling the module calls ``forward``.

    >>> from tinygrad_mlp.nn import Linear
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

        >>> from tinygrad_mlp.nn import vector
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

        >>> from tinygrad_mlp.nn import Linear, Sequential, Tanh
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

        >>> from tinygrad_mlp.nn import Linear
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

        >>> from tinygrad_mlp.nn import Linear
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

    #: Forward hooks, set by :meth:`register_forward_hook` (a class default until then).
    _forward_hooks: dict[RemovableHandle, Callable[..., Any]] | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if self._forward_hooks:  # NOTE: one attribute read when no hook is registered
            for hook in tuple(self._forward_hooks.values()):
                result = hook(self, args, out)
                if result is not None:
                    out = result
        return out

    def register_forward_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Call ``hook(module, args, output)`` after every forward, as torch's hook of this name.

        A hook that returns something other than None replaces the output.

        Returns:
            A handle whose ``remove()`` unregisters the hook.

        >>> from tinygrad_mlp.nn import Linear
        >>> layer, seen = Linear(2, 1, seed=0), []
        >>> handle = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape))
        >>> _ = layer(np.ones((3, 2)))
        >>> handle.remove()
        >>> _ = layer(np.ones((3, 2)))
        >>> seen
        [(3, 1)]
        """
        hooks = self.__dict__.get("_forward_hooks")
        if hooks is None:
            hooks = {}
            object.__setattr__(self, "_forward_hooks", hooks)
        handle = RemovableHandle(hooks)
        hooks[handle] = hook
        return handle

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """The computation of this module; subclasses define it (``__call__`` runs it)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def extra_repr(self) -> str:
        """Extra text for this module's line in ``repr`` (torch's hook of the same name)."""
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


"""A recorded scalar (``Value``) step as one generated function of straight-line float code.

Each interior node becomes a local variable (``v12 = v3 * p0_5``), each gradient
another (``g12``), and the backward sweep is written out in the order the core's
scalar sweep (:func:`tinygrad_mlp.autograd._backward_scalars`) runs it: every
interior node starts at 0.0, contributions are added in the same order, leaves
add onto the gradient they had. ``+``, ``*`` and relu are written inline (the
same Python float operations as their rules); every other op calls its own
``forward``/``backward``, so the numbers are eager's exactly.

NOTE: this module builds Python source text, which
:func:`tinygrad_mlp.compiled.source.function_from_source` compiles. The text is
generated from our own op classes and the node numbering of a recording, never
from user input: user numbers enter only as ``repr`` of floats (which
round-trips exactly) or through the function's arguments.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from tinygrad_mlp.autograd import toposort
from tinygrad_mlp.compiled.capture import Unsupported, optimizers_of
from tinygrad_mlp.compiled.source import function_from_source
from tinygrad_mlp.ops import scalar as ops

__all__ = ["FloatProgram"]

#: scalar ops written inline: forward and per-parent backward templates
_INLINE = {
    ops.Add: ("{a} + {b}", ("{g}", "{g}")),
    ops.Mul: ("{a} * {b}", ("{g} * {b}", "{g} * {a}")),
    ops.Relu: ("(0.0 if {a} <= 0 else {a})", ("(0.0 if {a} <= 0 else {g})",)),
}


def _view_of(leaf: Any) -> bool:
    """An element view of a parameter tensor (``nn``'s ParameterValue), by its protocol."""
    return hasattr(leaf, "tensor") and hasattr(leaf, "index")


class FloatProgram:
    """Straight-line float code for one captured scalar step (see the module docstring)."""

    def __init__(self, events: list[tuple]) -> None:
        self.lines: list[str] = []
        self.names: dict[int, str] = {}  # id(node or leaf) -> variable
        self.space: dict[str, Any] = {"np": np, "math": math}
        self.tensors: list[Any] = []  # parameter tensors whose element views are leaves
        self.leaves: list[Any] = []  # other Value leaves (read .data, write .grad)
        self.calls: list[Any] = []
        self.numbers: list[tuple[str, float]] = []  # (variable, capture value) of nodes
        self.exported: list[str] = []
        self.env: list[Any] = []
        self._fresh: dict[int, str] = {}  # leaves read since the last call
        self._tensor_index: dict[int, int] = {}
        self._keep: list[Any] = []
        self._function: Any = None
        for event in events:
            if event[0] == "node":
                self._forward(event[1])
            elif event[0] == "sweep":
                self._backward(event[1], event[2])
            else:
                self._call(event[1], event[2])
        self._keep = []

    # -- names ------------------------------------------------------------------------

    def _tensor(self, tensor: Any) -> int:
        k = self._tensor_index.get(id(tensor))
        if k is None:
            if tensor.data.dtype != np.float64:
                raise Unsupported("a scalar step's parameters must be float64 tensors")
            k = self._tensor_index[id(tensor)] = len(self.tensors)
            self.tensors.append(tensor)
        return k

    def _read(self, node: Any) -> str:
        """The variable of a node, or of a leaf (read where first used since the last call)."""
        name = self.names.get(id(node))
        if name is not None and (node._fn is not None or id(node) in self._fresh):
            return name
        self._keep.append(node)
        if _view_of(node):
            k = self._tensor(node.tensor)
            flat = int(np.ravel_multi_index(node.index, node.tensor.data.shape))
            name = f"p{k}_{flat}"
            if -1 - k not in self._fresh:
                self.lines.append(f"t{k} = T[{k}].data.ravel().tolist()")
                self._fresh[-1 - k] = f"t{k}"
            self.lines.append(f"{name} = t{k}[{flat}]")
        else:
            k = len(self.leaves)
            self.leaves.append(node)
            name = f"l{k}"
            self.lines.append(f"{name} = L[{k}].data")
        self.names[id(node)] = name
        self._fresh[id(node)] = name
        return name

    def _fn(self, fn: Any, which: str) -> str:
        key = f"{which}{len(self.space)}"
        self.space[key] = getattr(fn, which)
        return key

    # -- forward ----------------------------------------------------------------------

    def _forward(self, node: Any) -> None:
        fn = node._fn
        args = [self._read(p) for p in node._prev]
        name = f"v{len(self.numbers)}"
        self.names[id(node)] = name
        self._keep.append(node)
        self.numbers.append((name, node.data))
        inline = _INLINE.get(fn) if isinstance(fn, type) else None
        if inline is not None and len(args) == len(inline[1]):
            keys = dict(zip("ab", args, strict=False))
            self.lines.append(f"{name} = {inline[0].format(**keys)}")
        else:
            self.lines.append(f"{name} = {self._fn(fn, 'forward')}({', '.join(args)})")

    # -- backward ---------------------------------------------------------------------

    def _backward(self, root: Any, seed: Any) -> None:
        order = toposort(root)
        if not order:
            raise Unsupported("the step calls backward() on a leaf")
        grads: dict[int, str] = {}
        started: set[int] = set()
        for node in order:
            grads[id(node)] = "g" + self.names[id(node)][1:]
        leaf_grads: dict[int, str] = {}
        lines = self.lines

        def target(parent: Any) -> str:
            if parent._fn is not None:
                return grads[id(parent)]
            name = leaf_grads.get(id(parent))
            if name is None:
                var = self._read(parent)
                name = leaf_grads[id(parent)] = "h" + var
                self._keep.append(parent)
                if _view_of(parent):
                    k = self._tensor(parent.tensor)
                    flat = var.split("_")[1]
                    if f"q{k}" not in self._started_tensors:
                        lines.append(f"q{k} = _grad_list(T[{k}])")
                        self._started_tensors.add(f"q{k}")
                    lines.append(f"{name} = q{k}[{flat}]")
                else:
                    lines.append(f"{name} = L[{var[1:]}].grad")
            return name

        self._started_tensors: set[str] = set()
        self.space["_grad_list"] = _grad_list
        root_grad = grads[id(order[-1])]
        lines.append(f"{root_grad} = {float(seed)!r}")
        exact_alias = float(seed) != 0.0 or math.copysign(1.0, float(seed)) > 0
        started.add(id(order[-1]))
        for node in reversed(order):
            g = grads[id(node)]
            if id(node) not in started:
                lines.append(f"{g} = 0.0")
            prev = node._prev
            args = [self.names[id(p)] if p._fn is not None else self._read(p) for p in prev]
            fn = node._fn
            inline = _INLINE.get(fn) if isinstance(fn, type) else None
            keys = {"g": g, "a": args[0], "b": args[-1]}
            if inline is not None and len(args) == len(inline[1]):
                parts = [template.format(**keys) for template in inline[1]]
            else:
                call = self._fn(fn, "backward")
                lines.append(f"_c = {call}({g}, {self.names[id(node)]}, {', '.join(args)})")
                parts = [f"_c[{j}]" for j in range(len(prev))]
            # NOTE: inline contributions are added as they are computed; the core
            # computes both first, which is the same since neither reads a gradient sum.
            aliased = False
            for parent, part in zip(prev, parts, strict=True):
                t = target(parent)
                if parent._fn is not None and id(parent) not in started:
                    started.add(id(parent))
                    if part == g and exact_alias and not aliased:
                        aliased = True  # NOTE: one holder of a name at a time
                        # NOTE: 0.0 + g is g unless g is -0.0, and an interior gradient
                        # never is (each starts as 0.0 + c, and x + y is -0.0 only when
                        # both are): the parent's gradient is g's variable, no statement.
                        grads[id(parent)] = g
                        continue
                    if exact_alias and part == f"(0.0 if {keys['a']} <= 0 else {g})":
                        # NOTE: relu's contribution is g or +0.0, so 0.0 + it is itself
                        lines.append(f"{t} = {part}")
                        continue
                    lines.append(f"{t} = 0.0 + {part}")
                else:
                    lines.append(f"{t} += {part}")
        # Leaves' gradients written back: per tensor one array, others per leaf.
        for name in leaf_grads.values():
            var = name[1:]
            if var.startswith("p"):
                k, flat = var[1:].split("_")
                lines.append(f"q{k}[{flat}] = {name}")
            else:
                lines.append(f"L[{var[1:]}].grad = {name}")
        for q in sorted(self._started_tensors):
            k = int(q[1:])
            lines.append(f"T[{k}].grad = np.array({q}).reshape(T[{k}].data.shape)")

    # -- calls ------------------------------------------------------------------------

    def _call(self, fn: Any, args: tuple) -> None:
        k = len(self.calls)
        self.calls.append((fn, args))
        self.lines.append(f"C[{k}][0](*C[{k}][1])")
        self._fresh = {}  # NOTE: an update changes parameters: read them again after it

    # -- running ----------------------------------------------------------------------

    def _build(self) -> None:
        body = "\n    ".join(self.lines) or "pass"
        ret = ", ".join(self.exported)
        source = f"def replay(T, L, C):\n    {body}\n    return ({ret}{',' if ret else ''})\n"
        self._function = function_from_source(
            source, "replay", self.space, "tinygrad_mlp captured scalar step"
        )
        self.lines = []

    def ready(self) -> bool:
        """A replay may always run (its values are new Python floats at every call)."""
        return True

    def run(self, args: tuple) -> None:
        """Run the generated function; the exported node values land in ``env``."""
        if self._function is None:
            self._build()
        self.env = list(self._function(self.tensors, self.leaves, self.calls))

    def slot(self, node: Any) -> int | None:
        """Export ``node``'s variable; its value is ``env[slot]`` after a run."""
        name = self.names.get(id(node))
        if name is None or not name.startswith("v"):
            return None
        self.exported.append(name)
        return len(self.exported) - 1

    def find_number(self, number: float) -> int | None:
        """Export the last node whose capture value is ``number``."""
        for name, value in reversed(self.numbers):
            if value == number or (value != value and number != number):
                self.exported.append(name)
                return len(self.exported) - 1
        return None

    def number(self, slot: int) -> float:
        """The exported value ``slot`` of the last run."""
        return self.env[slot]

    def touched_tensors(self) -> list:
        """Parameter tensors the step reads or updates."""
        out = {id(t): t for t in self.tensors}
        for opt in self.optimizers():
            for p in opt.parameters:
                out[id(p)] = p
        return list(out.values())

    def touched_values(self) -> list:
        """Value leaves whose gradient the step writes."""
        return list(self.leaves)

    def optimizers(self) -> list:
        """The optimizers whose ``zero_grad``/``step`` the step calls."""
        return optimizers_of(self.calls)


def _grad_list(tensor: Any) -> list:
    """A parameter tensor's gradient as a flat list of floats (zeros while it has none)."""
    g = tensor.grad
    if g is None:
        return [0.0] * tensor.data.size
    if isinstance(g, np.ndarray) and g.shape == tensor.data.shape:
        return g.ravel().tolist()
    numbers = np.asarray(getattr(g, "data", g), dtype=float)
    return np.broadcast_to(numbers, tensor.data.shape).ravel().tolist()

"""A recorded tensor step as a flat list of instructions over preallocated buffers.

:class:`ArrayProgram` takes a :class:`~tinygrad_mlp.compiled.capture.Recorder`'s events
and turns them into zero-argument functions run in a loop. Every array of the step
has a numbered slot in one list, ``env``; an instruction reads its inputs from
``env`` and writes its result into a buffer it owns (numpy ``out=``), so a replay
allocates almost nothing and touches no node, no topological sort and no dictionary.

The backward part is planned at capture exactly as the core's first-order sweep
(:func:`tinygrad_mlp.autograd._backward_arrays`) runs it: the same order, the same
rule per node, the same unbroadcast, contributions summed in the same order, and
leaves given their gradient as the core gives it. So the replay repeats eager's
operations one for one, and its numbers are eager's to the last bit.

Ops the MLP path uses most have kernels written out with ``out=`` (each the same
numpy operations, in the same order, as its rule); every other op calls its own
rule, which allocates as eager does but is otherwise the same work.

A replay runs the instructions as one generated function of straight-line code
(:func:`_straight`): each written-out kernel gives its numpy calls as source text
(``kernel.source``), with its buffers bound to names, and any other instruction is
called; no Python function call stands between two numpy calls of the hot path.

The module is long because the plan and its kernels are one idea: each kernel is the
replay's copy of one rule of the core's sweep, chosen where the plan simulates that
sweep, and the two are only right together (one test holds them to eager, bit for bit).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_mlp.autograd import toposort, unbroadcast
from tinygrad_mlp.compiled.capture import bound_argument, optimizers_of
from tinygrad_mlp.compiled.source import function_from_source
from tinygrad_mlp.compiled.updates import adam_step, sgd_step
from tinygrad_mlp.ops import arithmetic, fused
from tinygrad_mlp.ops import shape as shape_ops
from tinygrad_mlp.optim import SGD, Adam, Optimizer
from tinygrad_mlp.tensor import Tensor

__all__ = ["ArrayProgram"]


class ArrayProgram:
    """The instructions of one captured tensor step (see the module docstring).

    Args:
        events: the recorder's stream of one eager run.
        args: that run's arguments (to tell inputs from constants).
    """

    def __init__(self, events: list[tuple], args: tuple) -> None:
        self.env: list[Any] = []
        self.code: list[Callable[[], None]] = []
        self.inputs: list[tuple[int, int, bool]] = []  # (slot, argument, is a Tensor)
        self.leaves: list[tuple[int, Any]] = []  # (slot, leaf object), refreshed per call
        self._slot: dict[int, int] = {}  # capture-time only: id(node or leaf) -> slot
        self._keep: list[Any] = []  # nodes of the capture, alive while planning
        self._sums: dict[int, list[int]] = {}
        self.owned: list[tuple[Any, np.ndarray]] = []  # (leaf, its gradient buffer)
        self.guarded: list[tuple[Any, np.ndarray]] = []  # owned, not cleared before use
        self._cleared: set[int] = set()  # leaves a zero_grad(set_to_none) has cleared
        self.calls: list[tuple[Any, tuple]] = []
        self.args: tuple = ()
        self.numbers: list[tuple[int, float]] = []  # (slot, capture value) of 1-element nodes
        self._function: Callable[[list, tuple], None] | None = None  # generated once
        self._check: Callable[[], bool] = lambda: True  # see ready()
        self._counted = False  # whether the references the program holds are counted
        for event in events:
            if event[0] == "node":
                self._forward(event[1], args)
            elif event[0] == "sweep":
                self._backward(event[1], event[2], args)
            else:
                self._call(event[1], event[2])
        self._keep = []  # NOTE: _slot's ids stay valid for the results' lookup only

    # -- slots ------------------------------------------------------------------------

    def _new(self, value: Any) -> int:
        self.env.append(value)
        return len(self.env) - 1

    def _of(self, node: Any, args: tuple) -> int:
        """The slot of a node or leaf (a leaf gets one at first use)."""
        slot = self._slot.get(id(node))
        if slot is not None:
            return slot
        slot = self._new(node.data)
        self._slot[id(node)] = slot
        self._keep.append(node)
        k = bound_argument(node, args)
        if k is not None:
            self.inputs.append((slot, k, isinstance(args[k], Tensor)))
        else:
            self.leaves.append((slot, node))
        return slot

    # -- forward ----------------------------------------------------------------------

    def _forward(self, node: Any, args: tuple) -> None:
        fn = node._fn
        ins = [self._of(p, args) for p in node._prev]
        data = node.data
        out = self._new(np.empty_like(data))
        self._slot[id(node)] = out
        self._keep.append(node)
        if data.size == 1:
            self.numbers.append((out, data.item()))
        kernel = _forward_kernel(fn, [p.data for p in node._prev], data)
        env = self.env
        if isinstance(fn, shape_ops.Index):
            self._bind_index(fn, args)
        if kernel is not None:
            self.code.append(kernel(env, ins, env[out]))
            return
        dtype = data.dtype

        def generic(fn=fn, ins=ins, out=out, dtype=dtype) -> None:
            value = fn.forward(*[env[i] for i in ins])
            if type(value) is not np.ndarray:
                value = np.asarray(value)
            if value.dtype != dtype:  # NOTE: as Tensor._node: the promoted dtype, after
                value = value.astype(dtype, copy=False)
            env[out] = value

        self.code.append(generic)

    def _bind_index(self, fn: Any, args: tuple) -> None:
        """Index arrays equal to an integer argument (class labels) are read from it per call.

        NOTE: ``cross_entropy`` picks ``logp[arange(n), labels]`` with labels made from
        the call's targets; baked in, the replay would pick the first batch's classes.
        The match is by value at capture; the second call's comparison with eager
        catches a coincidence.
        """
        parts = fn.index if isinstance(fn.index, tuple) else (fn.index,)
        binds = []
        used: set[int] = set()
        # NOTE: from the last part back, and each argument once: in (arange(n), labels)
        # a batch of one label 0 equals arange(1) too, and only the labels are the call's.
        for j in reversed(range(len(parts))):
            part = parts[j]
            if not (isinstance(part, np.ndarray) and part.dtype.kind in "iu"):
                continue
            for k, arg in enumerate(args):
                arg = arg.data if isinstance(arg, Tensor) else arg
                if (
                    k not in used
                    and isinstance(arg, np.ndarray)
                    and arg.shape == part.shape
                    and arg.dtype.kind in "iuf"
                    and np.array_equal(arg, part)
                ):
                    binds.append((j, k, part.dtype))
                    used.add(k)
                    break
        if not binds:
            return
        single = not isinstance(fn.index, tuple)

        def rebind(fn=fn, binds=binds, single=single) -> None:
            parts = [fn.index] if single else list(fn.index)
            for j, k, dtype in binds:
                arg = self.args[k]
                arg = arg.data if isinstance(arg, Tensor) else arg
                parts[j] = np.asarray(arg, dtype=dtype)
            fn.index = parts[0] if single else tuple(parts)

        self.code.append(rebind)

    # -- backward ---------------------------------------------------------------------

    def _backward(self, root: Any, seed: Any, args: tuple) -> None:
        """Plan the core's first-order sweep from ``root``, one instruction per step."""
        order = toposort(root)
        env = self.env
        seed = np.array(seed)
        if not order:  # backward on a leaf: add the seed into it
            self._of(root, args)
            self._leaf_grad(root, [self._new(seed)])
            return
        # Simulate the sweep once on the capture's numbers to learn, per node, which
        # parents get a contribution and of what shape and dtype, and per parent the
        # contributions in arrival order.
        grads: dict[int, Any] = {id(order[-1]): seed}
        grad_slot: dict[int, int] = {id(order[-1]): self._new(seed)}
        arrivals: dict[int, tuple[Any, list]] = {}  # id(parent) -> (parent, [(slot, array)])
        plan: list[tuple] = []
        for node in reversed(order):
            g = grads.pop(id(node), None)
            if g is None:
                continue
            prev = node._prev
            in_grads = node._fn.backward(g, node.data, *[p.data for p in prev])
            slots = []
            for parent, pg in zip(prev, in_grads, strict=True):
                if pg is None or not parent.requires_grad:
                    slots.append(None)
                    continue
                pg = np.asarray(pg)
                raw = fit = self._new(np.empty(pg.shape, pg.dtype))
                fitted = pg
                if pg.shape != parent.data.shape:
                    fitted = unbroadcast(pg, parent.data.shape, node._fn)
                    fit = self._new(np.empty(fitted.shape, fitted.dtype))
                slots.append((raw, fit, raw != fit))
                arrivals.setdefault(id(parent), (parent, []))[1].append((fit, fitted))
                if parent._fn is not None:
                    old = grads.get(id(parent))
                    grads[id(parent)] = fitted if old is None else old + fitted
            plan.append((node, slots))
        self._side_by_side(arrivals)
        # Interior sums: one contribution is used as it is (the core passes it on); more
        # are added in arrival order into a buffer of their own, as the core adds them.
        for node, _ in plan:
            got = arrivals.get(id(node), (None, []))[1]
            if node is order[-1] or not got:
                continue
            if len(got) == 1:
                grad_slot[id(node)] = got[0][0]
            else:
                total = got[0][1]
                for _, more in got[1:]:
                    total = total + more
                grad_slot[id(node)] = self._new(np.empty(total.shape, total.dtype))
                self._sums[id(node)] = [s for s, _ in got]
        # NOTE: backward()'s seed of 1, which no instruction writes: a product with it
        # changes no bit, and the loss's rule leaves it out
        seed_is_one = seed.ndim == 0 and seed.dtype.kind == "f" and bool(seed == 1)
        for node, slots in plan:
            g = grad_slot[id(node)]
            unit = seed_is_one and node is order[-1]
            if id(node) in self._sums:
                self.code.append(_add_all(env, g, self._sums[id(node)]))
            prev = node._prev
            ins = [self._of(p, args) for p in prev]
            out = self._slot[id(node)]
            self.code.append(
                _backward_kernel(node, env, g, out, ins, slots, unit)
                or _generic_backward(node._fn, env, g, out, ins, slots)
            )
            for parent, entry in zip(prev, slots, strict=True):
                if entry is not None and entry[2]:
                    self.code.append(_unbroadcast(env, entry[0], entry[1], parent.data.shape, node))
        for parent, got in arrivals.values():
            if parent._fn is None:
                self._leaf_grad(parent, [s for s, _ in got])

    def _side_by_side(self, arrivals: dict) -> None:
        """Leaves' gradient buffers laid side by side in one array per dtype.

        NOTE: a leaf with one contribution of its own shape and dtype gets that buffer as
        its ``.grad`` (see :meth:`_leaf_grad`). With those buffers views of one array, in
        the order of the optimizers' parameters, plain SGD and Adam run their operations
        once over all of them instead of once per tensor (see
        :mod:`tinygrad_mlp.compiled.updates`); the numbers are the same, element by
        element.
        """
        env = self.env
        rank: dict[int, int] = {}
        for owner in optimizers_of(self.calls):
            for p in owner.parameters:
                rank.setdefault(id(p), len(rank))
        singles = [
            (leaf, got[0][0])
            for leaf, got in arrivals.values()
            if leaf._fn is None
            and len(got) == 1
            and env[got[0][0]].dtype == leaf.data.dtype
            and env[got[0][0]].shape == leaf.data.shape
        ]
        singles.sort(key=lambda pair: rank.get(id(pair[0]), len(rank)))  # NOTE: stable
        kinds: dict[Any, list[int]] = {}
        for _, slot in singles:
            kinds.setdefault(env[slot].dtype, []).append(slot)
        for dtype, slots in kinds.items():
            if len(slots) < 2:
                continue
            whole = np.empty(sum(env[s].size for s in slots), dtype)
            at = 0
            for s in slots:
                size = env[s].size
                env[s] = whole[at : at + size].reshape(env[s].shape)
                at += size

    def _leaf_grad(self, leaf: Any, slots: list[int]) -> None:
        """A leaf's gradient as the core gives it: an array of its own, or the old plus g.

        NOTE: the core adds into a leaf as each contribution arrives and this plan
        after the sweep; nothing reads a leaf's gradient in between, and both compute
        old + g1 + g2 in that order. A single contribution that a kernel wrote into a
        buffer of ours becomes the leaf's gradient without a copy.
        """
        env = self.env
        dtype = leaf.data.dtype
        single = len(slots) == 1 and env[slots[0]].dtype == dtype
        own = env[slots[0]] if single else np.empty(leaf.data.shape, dtype)
        self.owned.append((leaf, own))
        if id(leaf) not in self._cleared:
            self.guarded.append((leaf, own))

        if single:
            (slot,) = slots

            def accumulate_one(leaf=leaf, slot=slot, own=own) -> None:
                if leaf.grad is None and env[slot] is own:  # NOTE: the common case
                    leaf.grad = own
                else:
                    accumulate()

        def accumulate(leaf=leaf, slots=slots, own=own, dtype=dtype) -> None:
            for s in slots:
                g = env[s]
                old = leaf.grad
                if old is None:
                    if g is not own:
                        np.copyto(own, g, casting="unsafe")  # NOTE: as g.astype(dtype)
                    leaf.grad = own
                    continue
                if g.dtype != dtype:
                    g = g.astype(dtype)
                if type(old) is np.ndarray:
                    total = old + g
                    leaf.grad = total if type(total) is np.ndarray else np.asarray(total)
                else:
                    leaf.grad = old + g

        if single:
            _src(
                accumulate_one,
                f"if $leaf.grad is None and env[{slots[0]}] is $own:",
                "    $leaf.grad = $own",
                "else:",
                "    $accumulate()",
                leaf=leaf,
                own=own,
                accumulate=accumulate,
            )
        self.code.append(accumulate_one if single else accumulate)

    # -- calls ------------------------------------------------------------------------

    def _call(self, fn: Any, args: tuple) -> None:
        self.calls.append((fn, args))
        owner = getattr(fn, "__self__", None)
        if isinstance(owner, Optimizer) and fn.__name__ == "zero_grad" and (args or (True,))[0]:
            # NOTE: an optimizer's zero_grad(set_to_none=True) leaves its parameters'
            # .grad None before their backward: the replay need not copy their buffers
            # first (a buffer the user kept from an earlier call is ready()'s concern)
            self._cleared.update(id(p) for p in owner.parameters)
        if type(owner) is SGD and fn.__name__ == "step":
            self.code.append(sgd_step(owner, self.owned))
            return
        if type(owner) is Adam and fn.__name__ == "step":
            self.code.append(adam_step(owner, self.owned))
            return

        def call(fn=fn, args=args) -> None:
            fn(*args)

        self.code.append(call)

    # -- running ----------------------------------------------------------------------

    def run(self, args: tuple) -> None:
        """Replay the step on ``args`` (bound by position, as at capture); the caller
        asks :meth:`ready` first."""
        self.args = args
        self._function(self.env, args)

    def ready(self) -> bool:
        """Whether a replay may run now: no gradient buffer of the replay is held by
        anyone else, and the optimizers' groups hold the parameters they held.

        NOTE: a replay writes each leaf's gradient into the buffer it gave the leaf the
        call before. After ``zero_grad()`` eager makes a new array and leaves the old
        one to whoever kept it (``g = p.grad``, a view of it, a list of them); the
        replay would overwrite it. So a buffer referred to from outside (its reference
        count above the program's own, counted once after the program was made) sends
        the call to eager. So does a parameter added to or taken from a group whose
        ``zero_grad`` the step calls: the replay would not clear its gradient.
        """
        if self._function is None:
            self._build()
            return True  # NOTE: no buffer of the replay has been handed out yet
        if not self._counted:
            # NOTE: counted at the call after the first replay: a replay leaves some slots
            # of env referring to other arrays than at capture, the same way every time
            self._count()
            self._counted = True
        return self._check()

    def _build(self) -> None:
        """Generate the replay and its readiness check (see :meth:`ready`)."""
        self._function = _straight([self._prologue(), *self.code])
        lines: list[str] = []
        names: dict[str, Any] = {"GETREFCOUNT": sys.getrefcount}
        counted: list[str] = []
        bases: dict[int, np.ndarray] = {}
        for j, (leaf, own) in enumerate(self.owned):
            names[f"leaf{j}"], names[f"own{j}"] = leaf, own
            spare = (
                f"leaf{j}._spare"
                if getattr(leaf, "_spare", False) is None  # NOTE: a Tensor's slot, set
                else f"getattr(leaf{j}, '_spare', None)"
            )
            counted.append(f"GETREFCOUNT(own{j}) - (leaf{j}.grad is own{j}) - ({spare} is own{j})")
            if own.base is not None:
                bases[id(own.base)] = own.base
        for j, base in enumerate(bases.values()):
            names[f"base{j}"] = base
            counted.append(f"GETREFCOUNT(base{j})")
        for k, opt in enumerate(optimizers_of(self.calls)):
            names[f"opt{k}"] = opt
            lines.append(f"if len(opt{k}.param_groups) != {len(opt.param_groups)}: return False")
            for g, group in enumerate(opt.param_groups):
                names[f"params{k}_{g}"] = params = group["params"]
                lines.append(
                    f"if opt{k}.param_groups[{g}]['params'] is not params{k}_{g}"
                    f" or len(params{k}_{g}) != {len(params)}: return False"
                )
        # NOTE: counts() and check() evaluate the same expressions in the same namespace,
        # so the references they count are the same; E0, E1... are set once counted
        same = " and ".join(f"{c} == E{j}" for j, c in enumerate(counted)) or "True"
        text = (
            "def counts():\n    return [" + ", ".join(counted) + "]\n"
            "def check():\n" + "".join(f"    {line}\n" for line in lines) + f"    return {same}\n"
        )
        self._check = function_from_source(text, "check", names, "captured step's check")

    def _count(self) -> None:
        """Count the references the program itself holds to its gradient buffers."""
        space = self._check.__globals__
        for j, count in enumerate(space["counts"]()):
            space[f"E{j}"] = count

    def _prologue(self) -> Callable[[], None]:
        """The replay's first lines: the call's arguments and the leaves' arrays into their
        slots, and a gradient the user still holds copied before it is written again.

        NOTE: a leaf's gradient buffer is reused; one the user still holds from the last
        call (a step without zero_grad) is copied first. Leaves that a
        zero_grad(set_to_none=True) clears first need no copy.
        """
        lines: list[str] = []
        names: dict[str, Any] = {}
        for slot, k, is_tensor in self.inputs:
            lines.append(f"env[{slot}] = args[{k}]" + (".data" if is_tensor else ""))
        for j, (slot, leaf) in enumerate(self.leaves):
            names[f"leaf{j}"] = leaf
            lines.append(f"env[{slot}] = $leaf{j}.data")
        for j, (leaf, own) in enumerate(self.guarded):
            names[f"held{j}"], names[f"own{j}"] = leaf, own
            lines += [f"if $held{j}.grad is $own{j}:", f"    $held{j}.grad = $own{j}.copy()"]

        def prologue() -> None:  # NOTE: all source; _straight never calls it
            raise AssertionError("the prologue runs as source only")

        return _src(prologue, *lines, **names)

    def slot(self, node: Any) -> int | None:
        """The slot that holds ``node``'s value after a replay (None: not in the step)."""
        return self._slot.get(id(node)) if node._fn is not None else None

    def find_number(self, number: float) -> int | None:
        """The slot of the last one-element node whose capture value is ``number``."""
        for slot, value in reversed(self.numbers):
            if value == number or (value != value and number != number):
                return slot
        return None

    def number(self, slot: int) -> float:
        """The value in one-element ``slot`` as a Python float (as ``.item()``)."""
        return self.env[slot].item()

    def touched_tensors(self) -> list:
        """Tensors the step may change: parameters in the graph and the optimizers'."""
        out = {id(leaf): leaf for _, leaf in self.leaves if leaf.requires_grad}
        for leaf, _ in self.owned:
            out[id(leaf)] = leaf
        for fn, args in self.calls:
            owner = getattr(fn, "__self__", None)
            for p in getattr(owner, "parameters", ()) if owner is not None else ():
                out[id(p)] = p
            for arg in args:
                if isinstance(arg, list):
                    out.update((id(p), p) for p in arg if isinstance(p, Tensor))
        return list(out.values())

    def touched_values(self) -> list:
        """Value leaves (none on the tensor engine)."""
        return []

    def optimizers(self) -> list:
        """The optimizers whose ``zero_grad``/``step`` the step calls."""
        return optimizers_of(self.calls)


# --------------------------------------------------------------------------- straight code

#: Names every generated replay may use, besides ``env`` and its instructions' own.
_SPACE = {
    "np": np,
    "MATMUL": np.matmul,
    "ADD": np.add,
    "SUB": np.subtract,
    "MUL": np.multiply,
    "TANH": np.tanh,
    "EXP": np.exp,
    "NEGATIVE": np.negative,
    "RECIPROCAL": np.reciprocal,
    "MAXIMUM": np.maximum,
    "LESS_EQUAL": np.less_equal,
    "BITWISE_AND": np.bitwise_and,
    "COPYTO": np.copyto,
    "VDOT": np.vdot,
    "REDUCE": np.add.reduce,
}
_NAME = re.compile(r"\$(\w+)")


def _src(kernel: Callable[[], None], *lines: str, **names: Any) -> Callable[[], None]:
    """``kernel`` with the same work as source lines (``kernel.source``) for
    :func:`_straight`: ``env[i]`` reads slot i, ``$name`` the object ``names[name]``."""
    kernel.source = (lines, names)  # type: ignore[attr-defined]
    return kernel


def _straight(code: list[Callable[[], None]]) -> Callable[[list, tuple], None]:
    """One function ``replay(env, args)`` running ``code`` in order: each instruction's
    source lines where it has them (``args``: the call's arguments), a call of the
    instruction where it does not."""
    space: dict[str, Any] = dict(_SPACE)
    body: list[str] = []
    for i, instruction in enumerate(code):
        source = getattr(instruction, "source", None)
        if source is None:
            space[f"_k{i}"] = instruction
            body.append(f"_k{i}()")
            continue
        lines, names = source
        for name, obj in names.items():
            space[f"_{i}_{name}"] = obj
        body.extend(_NAME.sub(lambda m, i=i: f"_{i}_{m.group(1)}", line) for line in lines)
    text = "def replay(env, args):\n" + "".join(f"    {line}\n" for line in body or ["pass"])
    return function_from_source(text, "replay", space, "tinygrad_mlp captured tensor step")


# --------------------------------------------------------------------------- kernels


def _same(*arrays: np.ndarray) -> bool:
    dtype = arrays[0].dtype
    return all(type(a) is np.ndarray and a.dtype == dtype for a in arrays)


def _forward_kernel(fn: Any, ins: list, out: np.ndarray):
    """A maker of an ``out=`` kernel for ``fn``'s forward, or None (then its rule runs)."""
    kind = type(fn)
    if not _same(out, *ins):
        return None
    if kind is fused.MatMulT and ins[0].ndim == 2 and ins[1].ndim == 2:

        def make(env, i, buf):
            a, b = i

            def k():
                np.matmul(env[a], env[b].T, buf)

            return _src(k, f"MATMUL(env[{a}], env[{b}].T, $buf)", buf=buf)

        return make
    if kind in (
        arithmetic.Add,
        arithmetic.Mul,
        arithmetic.Sub,
    ) and out.shape == np.broadcast_shapes(ins[0].shape, ins[1].shape):
        ufunc = {arithmetic.Add: np.add, arithmetic.Mul: np.multiply, arithmetic.Sub: np.subtract}[
            kind
        ]

        def make(env, i, buf):
            a, b = i

            def k():
                ufunc(env[a], env[b], buf)

            return _src(k, f"$ufunc(env[{a}], env[{b}], $buf)", ufunc=ufunc, buf=buf)

        return make
    if kind is arithmetic.Tanh:

        def make(env, i, buf):
            (a,) = i

            def k():
                np.tanh(env[a], buf)

            return _src(k, f"TANH(env[{a}], $buf)", buf=buf)

        return make
    if kind is arithmetic.Relu:

        def make(env, i, buf):
            (a,) = i

            def k():
                np.maximum(env[a], 0, out=buf)

            return _src(k, f"MAXIMUM(env[{a}], 0, out=$buf)", buf=buf)

        return make
    if kind is arithmetic.Sigmoid and out.ndim > 0:

        def make(env, i, buf):
            (a,) = i

            def k():  # NOTE: elementwise._sigmoid's operations, in its order
                np.negative(env[a], buf)
                with np.errstate(over="ignore"):
                    np.exp(buf, buf)
                np.add(buf, 1.0, buf)
                np.reciprocal(buf, buf)

            # NOTE: e**-a may overflow (to inf, giving 0): silenced, as eager's sigmoid does
            lines = (f"NEGATIVE(env[{a}], $buf)", "with np.errstate(over='ignore'):")
            lines += ("    EXP($buf, $buf)", "ADD($buf, 1.0, $buf)", "RECIPROCAL($buf, $buf)")
            return _src(k, *lines, buf=buf)

        return make
    if kind is fused.HalfSquaredError:

        def make(env, i, buf):
            y, z = i
            diff = np.empty_like(ins[0])
            dtype = out.dtype

            def k():
                np.subtract(env[y], env[z], diff)
                buf[()] = 0.5 * np.vdot(diff, diff).astype(dtype)

            return _src(
                k,
                f"SUB(env[{y}], env[{z}], $diff)",
                "$buf[()] = 0.5 * VDOT($diff, $diff).astype($dtype)",
                diff=diff,
                buf=buf,
                dtype=dtype,
            )

        return make
    return None


def _add_all(env, acc, slots):
    """Several contributions summed in arrival order into the buffer ``acc``."""
    first, second, rest = slots[0], slots[1], slots[2:]
    buf = env[acc]

    def k() -> None:
        np.add(env[first], env[second], buf)
        for s in rest:
            np.add(buf, env[s], buf)

    return k


def _generic_backward(fn, env, g, out, ins, slots):
    """The op's own rule on the replay's arrays; contributions go to their slots."""
    raws = [None if s is None else s[0] for s in slots]

    def k() -> None:
        in_grads = fn.backward(env[g], env[out], *[env[i] for i in ins])
        for raw, pg in zip(raws, in_grads, strict=True):
            if raw is not None:
                env[raw] = pg if type(pg) is np.ndarray else np.asarray(pg)

    return k


def _backward_kernel(node, env, g, out, ins, slots, unit=False):
    """An ``out=`` kernel for the node's rule, or None (then the rule itself runs);
    ``unit``: the gradient in slot ``g`` is backward()'s seed of 1, a constant."""
    fn = node._fn
    kind = type(fn)
    datas = [p.data for p in node._prev]
    raws = [None if s is None else s[0] for s in slots]
    bufs = [None if r is None else env[r] for r in raws]
    if not _same(node.data, *datas, *[b for b in bufs if b is not None]):
        return None
    if kind is fused.MatMulT and datas[0].ndim == 2:
        a, b = ins
        ga, gb = bufs

        def k() -> None:
            grad = env[g]
            if ga is not None:
                np.matmul(grad, env[b], ga)
            if gb is not None:
                np.matmul(grad.T, env[a], gb)

        lines = [f"MATMUL(env[{g}], env[{b}], $ga)"] if ga is not None else []
        lines += [f"MATMUL(env[{g}].T, env[{a}], $gb)"] if gb is not None else []
        return _src(k, *lines, ga=ga, gb=gb)
    if kind is arithmetic.Add and env[g].shape == node.data.shape:
        # NOTE: the rule passes grad_out itself to both parents: alias, copy nothing.
        def k() -> None:
            grad = env[g]
            for raw in raws:
                if raw is not None:
                    env[raw] = grad

        return _src(k, *[f"env[{raw}] = env[{g}]" for raw in raws if raw is not None])
    if kind is arithmetic.Tanh:
        (gb,) = bufs
        tmp = np.empty_like(node.data)

        def k() -> None:  # grad_out * (1 - out * out)
            np.multiply(env[out], env[out], tmp)
            np.subtract(1, tmp, tmp)
            np.multiply(env[g], tmp, gb)

        lines = (f"MUL(env[{out}], env[{out}], $tmp)", "SUB(1, $tmp, $tmp)")
        return _src(k, *lines, f"MUL(env[{g}], $tmp, $gb)", tmp=tmp, gb=gb)
    if kind is arithmetic.Sigmoid:
        (gb,) = bufs
        tmp = np.empty_like(node.data)

        def k() -> None:  # grad_out * out * (1 - out)
            y = env[out]
            np.multiply(env[g], y, gb)
            np.subtract(1, y, tmp)
            np.multiply(gb, tmp, gb)

        lines = (f"MUL(env[{g}], env[{out}], $gb)", f"SUB(1, env[{out}], $tmp)")
        return _src(k, *lines, "MUL($gb, $tmp, $gb)", tmp=tmp, gb=gb)
    if kind is arithmetic.Relu:
        (gb,) = bufs
        (a,) = ins
        mask = np.empty(node.data.shape, bool)
        bits = arithmetic.BITS.get(gb.dtype.itemsize) if gb.dtype.kind == "f" else None
        if bits is not None and gb.ndim and env[g].shape == gb.shape:
            # NOTE: eager's _relu_mask into buffers: grad's bits AND all ones where a > 0
            # (or nan), all zeros elsewhere; the same numbers as the masked copy below
            ones = np.empty(node.data.shape, bits)
            gb_bits = gb.view(bits)

            def k_bits() -> None:
                np.less_equal(env[a], 0, mask)
                np.subtract(mask, 1, ones, dtype=bits)
                np.bitwise_and(env[g].view(bits), ones, gb_bits)

            return _src(
                k_bits,
                f"LESS_EQUAL(env[{a}], 0, $mask)",
                "SUB($mask, 1, $ones, dtype=$bits)",
                f"BITWISE_AND(env[{g}].view($bits), $ones, $gb_bits)",
                mask=mask,
                ones=ones,
                bits=bits,
                gb_bits=gb_bits,
            )

        def k() -> None:  # masked_fill(grad_out, a <= 0, 0.0)
            np.less_equal(env[a], 0, mask)
            np.copyto(gb, env[g])
            np.copyto(gb, 0.0, where=mask)

        lines = (f"LESS_EQUAL(env[{a}], 0, $mask)", f"COPYTO($gb, env[{g}])")
        return _src(k, *lines, "COPYTO($gb, 0.0, where=$mask)", mask=mask, gb=gb)
    if kind is fused.HalfSquaredError and bufs[1] is None:
        (gb, _) = bufs
        y, z = ins

        def k() -> None:  # (y - z) * grad_out
            np.subtract(env[y], env[z], gb)
            np.multiply(gb, env[g], gb)

        if unit:
            return _src(k, f"SUB(env[{y}], env[{z}], $gb)", gb=gb)  # NOTE: (y - z) · 1
        lines = (f"SUB(env[{y}], env[{z}], $gb)", f"MUL($gb, env[{g}], $gb)")
        return _src(k, *lines, gb=gb)
    return None


def _unbroadcast(env, raw, fit, shape, node):
    """The core's unbroadcast of one contribution (the bias case as ``sum(axis=0)``)."""
    buf = env[fit]
    fn = node._fn
    bias = len(env[raw].shape) == len(shape) + 1 and env[raw].shape[1:] == shape
    if bias and buf.dtype == env[raw].dtype:

        def k() -> None:
            np.add.reduce(env[raw], 0, None, buf)

        return _src(k, f"REDUCE(env[{raw}], 0, None, $buf)", buf=buf)

    def k_generic() -> None:
        env[fit] = unbroadcast(env[raw], shape, fn)

    return k_generic

"""``compile(step)``: run a training step once, then replay what it did.

The first call of the compiled step runs it eagerly while recording (see
:mod:`tinygrad_mlp.compiled.capture`): every node built, each ``backward()`` sweep,
and each optimizer ``zero_grad``/``step``. The recording becomes a program: flat
numpy instructions over reused buffers for the tensor engine
(:mod:`~tinygrad_mlp.compiled.arrays`), straight-line float code for the scalar
engine (:mod:`~tinygrad_mlp.compiled.floats`). Later calls run the program.

Guards (docs/compile.md says more):

- **Signature.** Programs are cached by the arguments' kinds, shapes, dtypes and
  layouts (and the values of plain Python arguments); a new signature captures again.
- **A graph that depends on the data.** The second call with a signature runs the
  program *and* the step eagerly from the same state and compares every number (the
  results, each parameter and its gradient). Then every ``check_every``-th call runs
  eagerly and compares the graph it builds with the program's. A difference means the
  step's graph depends on its data (Python control flow on values, constants computed
  from data, work outside the graph): the step runs eagerly from then on, with one
  warning (or a ``RuntimeError`` with ``strict=True``).
- **What a replay cannot redo** (``create_graph``, ``grad()``, a return value that is
  not made of the step's nodes) makes the step run eagerly, with one warning.
- **A call that must build its graph** (under ``no_grad()``, inside ``detect_anomaly()``
  or another recording, which watch every node) runs eagerly, silently, and leaves the
  captured programs as they were.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_mlp import autograd
from tinygrad_mlp.compiled.arrays import ArrayProgram
from tinygrad_mlp.compiled.capture import Recorder, Unsupported, structure
from tinygrad_mlp.compiled.floats import FloatProgram
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

__all__ = ["Compiled", "CompileWarning", "compile"]

#: the default: every this many calls a replayed step runs eagerly and is compared
CHECK_EVERY = 100
#: programs kept per step (signatures beyond this evict the oldest)
CACHE_SIZE = 8


class CompileWarning(RuntimeWarning):
    """A compiled step runs eagerly instead of replaying (the message says why)."""


def compile(  # noqa: A001 -- the issue's name; it shadows the builtin in this namespace only
    fn: Callable[..., Any] | None = None, *, check_every: int = CHECK_EVERY, strict: bool = False
) -> Any:
    """Capture ``fn`` (a training step) on its first call and replay it on later calls.

    Usable as ``step = compile(step)`` or as a decorator (``@compile`` or
    ``@compile(check_every=10)``). The result takes ``fn``'s arguments and returns what
    ``fn`` returns: a returned Tensor comes back as a Tensor with the same numbers (cut
    from any graph), a returned float as the same float.

    Args:
        fn: the step. Its Tensor and ndarray arguments are its inputs, bound by
            position; parameters and optimizer state are read and written in place.
        check_every: every this many calls, run eagerly and compare the graph
            (0: never after the second call's full comparison).
        strict: raise ``RuntimeError`` where the step would fall back to eager.

    Returns:
        A :class:`Compiled` callable.

    >>> import numpy as np
    >>> from tinygrad_mlp import Tensor
    >>> from tinygrad_mlp.optim import SGD
    >>> w = Tensor([[0.5, -0.5]], requires_grad=True)
    >>> opt = SGD([w], lr=0.1)
    >>> @compile
    ... def step(x):
    ...     opt.zero_grad()
    ...     loss = (x @ w.T).tanh().sum()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> x = np.array([[1.0, 2.0]])
    >>> [round(step(x).item(), 6) for _ in range(3)]
    [-0.462117, -0.712982, -0.814095]
    """
    if fn is None:
        return lambda f: Compiled(f, check_every=check_every, strict=strict)
    return Compiled(fn, check_every=check_every, strict=strict)


class _Entry:
    """One signature's state: its program, how it returns, and its call count."""

    __slots__ = ("program", "results", "calls", "verified", "eager", "key")

    def __init__(self) -> None:
        self.program: Any = None
        self.results: Any = None
        self.calls = 0
        self.verified = False
        self.eager = False
        self.key: Any = None


class Compiled:
    """A step that captures on its first call and replays after (see :func:`compile`).

    ``stats`` counts ``captures``, ``replays`` and ``eager`` calls.
    """

    def __init__(self, fn: Callable[..., Any], check_every: int = CHECK_EVERY, strict=False):
        if not callable(fn):
            raise TypeError(f"compile() needs a function, not {type(fn).__name__}")
        if check_every < 0:
            raise ValueError(f"check_every must be 0 or more, got {check_every}")
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.check_every = check_every
        self.strict = strict
        self.cache: dict[Any, _Entry] = {}
        self.stats = {"captures": 0, "replays": 0, "eager": 0}

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Run the step: capture, verify, replay or eager, as this signature's state says."""
        if autograd._MODE is not True and autograd.mode() is not True:
            # NOTE: no_grad, detect_anomaly or a recording: the step's own nodes, eagerly
            return self._eager(args, kwargs)
        key = _signature(args, kwargs)
        if key is None:
            return self._eager(args, kwargs, "an argument is neither an array nor hashable")
        if key is _NEEDS_GRAD:
            # NOTE: a replay would write the gradient onto the first call's tensor
            return self._eager(
                args, kwargs, "an argument requires grad (its gradient belongs to each call)"
            )
        entry = self.cache.get(key)
        if entry is None:
            if len(self.cache) >= CACHE_SIZE:
                self.cache.pop(next(iter(self.cache)))
            entry = self.cache[key] = _Entry()
        entry.calls += 1
        if entry.eager:
            return self._eager(args, kwargs)
        if entry.program is None:
            return self._capture(entry, args, kwargs)
        if not entry.verified:
            return self._verify(entry, args, kwargs)
        if self.check_every and entry.calls % self.check_every == 0:
            return self._recheck(entry, args, kwargs)
        if not entry.program.ready():
            # NOTE: a buffer of the replay is held elsewhere (see ArrayProgram.ready)
            return self._eager(args, kwargs)
        self.stats["replays"] += 1
        return self._replay(entry, args, kwargs)

    # -- the four ways to run ---------------------------------------------------------

    def _record(self, args: tuple, kwargs: dict) -> tuple[Recorder, Any]:
        recorder = Recorder()
        with autograd.recording(recorder):
            result = self.fn(*args, **kwargs)
        return recorder, result

    def _capture(self, entry: _Entry, args: tuple, kwargs: dict) -> Any:
        self.stats["captures"] += 1
        recorder, result = self._record(args, kwargs)
        flat = args + tuple(kwargs.values())
        reason = recorder.refusals[0] if recorder.refusals else None
        if reason is None:
            try:
                entry.program = _program(recorder.events, flat)
                entry.results = _rebuilder(_results(entry.program, result), entry.program)
            except Unsupported as error:
                reason = str(error)
        if reason is not None:
            entry.program = None
            self._give_up(entry, reason)
        else:
            entry.key = structure(recorder.events, flat)
        return result

    def _verify(self, entry: _Entry, args: tuple, kwargs: dict) -> Any:
        """Replay and run eagerly from the same state; adopt the program if all agree."""
        if not entry.program.ready():
            return self._eager(args, kwargs)
        state = _State(entry.program)
        before = state.save()
        try:
            replayed = self._replay(entry, args, kwargs)
        except Exception as error:  # NOTE: a replay that cannot run is not the step: eager
            state.restore(before)
            self._give_up(entry, f"its replay failed on the second call ({error})")
            return self._eager(args, kwargs)
        after_replay = state.save()
        state.restore(before)
        recorder, result = self._record(args, kwargs)
        after_eager = state.save()
        same_graph = structure(recorder.events, args + tuple(kwargs.values())) == entry.key
        after_replay = state.kept(after_replay, recorder.events)
        after_eager = state.kept(after_eager, recorder.events)
        if same_graph and _equal(replayed, result) and _equal(after_replay, after_eager):
            entry.verified = True
            self.stats["replays"] += 1
        else:
            what = "graph" if not same_graph else "numbers"
            self._give_up(
                entry,
                f"the step's {what} changed between its first two calls, so it depends on "
                "the data (Python control flow on values, constants made from data, or "
                "work outside the graph)",
            )
        return result

    def _recheck(self, entry: _Entry, args: tuple, kwargs: dict) -> Any:
        recorder, result = self._record(args, kwargs)
        self.stats["eager"] += 1
        if structure(recorder.events, args + tuple(kwargs.values())) != entry.key:
            self._give_up(
                entry,
                f"the step's graph or a constant it makes at call {entry.calls} differs from "
                "the captured one, so it depends on values that change (Python control flow "
                "on values, or a constant made from a Python variable)",
            )
        return result

    def _replay(self, entry: _Entry, args: tuple, kwargs: dict) -> Any:
        flat = args + tuple(kwargs.values())
        program = entry.program
        program.run(flat)
        return entry.results()

    def _eager(self, args: tuple, kwargs: dict, reason: str | None = None) -> Any:
        """The step run eagerly, counted; with ``reason``, the one warning that says why."""
        self.stats["eager"] += 1
        if reason is not None:
            self._warn(reason)
        return self.fn(*args, **kwargs)

    def _give_up(self, entry: _Entry, reason: str) -> None:
        entry.eager, entry.program = True, None
        self._warn(reason)

    def _warn(self, reason: str) -> None:
        name = getattr(self.fn, "__name__", "the step")
        if self.strict:
            raise RuntimeError(f"compile({name}) cannot replay: {reason}.")
        warnings.warn(f"compile({name}) runs eagerly: {reason}.", CompileWarning, stacklevel=3)


# --------------------------------------------------------------------------- helpers


#: What :func:`_signature` gives for a call with a Tensor argument that requires grad.
_NEEDS_GRAD = object()


def _signature(args: tuple, kwargs: dict) -> Any:
    """The cache key: per argument its kind, shape, dtype and layout, or its value
    (None for an argument that is neither an array nor hashable, or _NEEDS_GRAD)."""
    key: list[Any] = list(kwargs)
    for arg in args + tuple(kwargs.values()) if kwargs else args:
        if isinstance(arg, Tensor):
            if arg.requires_grad:
                return _NEEDS_GRAD
            arg = arg.data
            key.append("T")
        if isinstance(arg, np.ndarray):
            key.append((arg.shape, arg.dtype.str, arg.strides, arg.flags.c_contiguous))
            continue
        try:
            hash(arg)
        except TypeError:
            return None
        key.append(("=", type(arg).__name__, arg))
    return tuple(key)


def _program(events: list[tuple], args: tuple) -> Any:
    """The program for a recording: arrays or floats, by the nodes' data."""
    nodes = [e[1] for e in events if e[0] == "node"]
    sweeps = [e for e in events if e[0] == "sweep"]
    if not nodes and not sweeps:
        raise Unsupported("the step builds no graph")
    first = nodes[0] if nodes else sweeps[0][1]
    if isinstance(first, Value):
        return FloatProgram(events)
    if not isinstance(first, Tensor):
        raise Unsupported(f"the step's nodes are {type(first).__name__}s")
    return ArrayProgram(events, args)


def _results(program: Any, result: Any) -> Any:
    """How to rebuild the return value after a replay: a template of slots and constants."""
    if result is None or isinstance(result, (str, bool, int)) and not isinstance(result, float):
        return ("const", result)
    if isinstance(result, (Tensor, Value)):
        slot = program.slot(result)
        if slot is None:
            if result._fn is None:  # a leaf (a parameter, an input): the same object
                return ("const", result)
            raise Unsupported("the step returns a node that the replay does not compute")
        return ("tensor" if isinstance(result, Tensor) else "value", slot)
    if isinstance(result, float):
        slot = program.find_number(result)
        if slot is None:
            raise Unsupported(
                "the step returns a float that is not the value of one of its one-element nodes"
            )
        return ("float", slot)
    if isinstance(result, (tuple, list)):
        return (type(result), [_results(program, r) for r in result])
    raise Unsupported(f"the step returns a {type(result).__name__}")


def _rebuilder(template: Any, program: Any) -> Callable[[], Any]:
    """A function that makes the return value after a replay from its template.

    NOTE: made once per capture, so a replay walks no template: a Tensor result is a
    copy of its buffer (the next replay writes that buffer again).
    """
    kind, what = template
    if kind == "const":
        return lambda: what
    if kind == "tensor":
        env, array = program.env, np.array
        return lambda: Tensor(array(env[what]))
    if kind == "float":
        return lambda: program.number(what)
    if kind == "value":
        return lambda: Value(program.number(what))
    parts = [_rebuilder(t, program) for t in what]
    if kind is tuple:
        return lambda: tuple([part() for part in parts])
    return lambda: kind([part() for part in parts])


def _equal(a: Any, b: Any) -> bool:
    """The same numbers, bit for bit (nan equal to nan), in the same structure."""
    if isinstance(a, (Tensor, Value)) and isinstance(b, (Tensor, Value)):
        a, b = a.data, b.data
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k]) for k in a)
    if isinstance(a, (np.ndarray, np.generic, float)) or isinstance(b, (np.ndarray, np.generic)):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()
    return a is b or a == b


def _options(opt: Any) -> list[dict[str, Any]]:
    """Each parameter group's options (not its parameters), the objects themselves."""
    return [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]


class _State:
    """What a step may change: its parameters (data and grad) and optimizers' state."""

    def __init__(self, program: Any) -> None:
        self.tensors = program.touched_tensors()
        self.values = program.touched_values()
        self.optimizers = program.optimizers()

    def save(self) -> Any:
        """Copies of everything the step may change."""

        def grab(g: Any) -> Any:
            return np.array(g) if isinstance(g, np.ndarray) else g

        # NOTE: each optimizer's state as state_dict() copies it, and its groups' options
        # as they are (load_state_dict turns a numpy lr into a float; restore puts the
        # very objects back, so an eager step after a check computes as before it)
        return (
            [(t.data.copy(), grab(t.grad)) for t in self.tensors],
            [(v.data, v.grad) for v in self.values],
            [(opt.state_dict(), _options(opt)) for opt in self.optimizers],
        )

    def restore(self, saved: Any) -> None:
        """Put back what :meth:`save` copied (parameters in place, optimizers' state)."""
        tensors, values, optimizers = saved
        for t, (data, grad) in zip(self.tensors, tensors, strict=True):
            t.data[...] = data
            t.grad = np.array(grad) if isinstance(grad, np.ndarray) else grad
        for v, (data, grad) in zip(self.values, values, strict=True):
            v.data, v.grad = data, grad
        for opt, (state, options) in zip(self.optimizers, optimizers, strict=True):
            opt.load_state_dict(state)
            for group, saved in zip(opt.param_groups, options, strict=True):
                group.update(saved)

    def kept(self, saved: Any, events: list[tuple]) -> Any:
        """``saved`` without the Value leaves that the run of ``events`` did not use.

        NOTE: a leaf the step makes afresh on every call is a constant of the capture:
        the replay writes its gradient, eager leaves the old object alone. Only leaves
        that live across calls (a user's own parameters) are compared.
        """
        used = {id(p) for e in events if e[0] == "node" for p in e[1]._prev}
        tensors, values, optimizers = saved
        values = [pair for v, pair in zip(self.values, values, strict=True) if id(v) in used]
        return tensors, values, optimizers

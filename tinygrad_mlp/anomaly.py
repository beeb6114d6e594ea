"""Where a NaN or an infinity is born: :func:`detect_anomaly` and :class:`AnomalyError`.

Inside ``with detect_anomaly():`` every node either engine builds is checked as it is
made, and every backward sweep checks each gradient an op's rule returns. The first
node whose value is NaN or ±inf although its inputs were finite stops the forward pass;
the first op whose backward rule turns finite numbers (its upstream gradient, its
output and its inputs) into a NaN or ±inf gradient is named when that gradient reaches
a leaf (a parameter or an input), so a non-finite number the graph masks on purpose
(``Tensor.std`` masks the infinite slope of √ at 0) is not reported. Either way one
:class:`AnomalyError` names the op, the direction, the numbers that went in and the
line of your code that created the node.

It works through the graph core's recording hook (:func:`tinygrad_mlp.autograd.recording`):
the engines report each node to the active recorder, and their hot paths read one
module flag to learn that none is active. So outside the context nothing is recorded
and nothing is slower; the line of each node is looked up (by walking out of the
package's own stack frames) only inside it.

Only nodes of a graph are checked: operations on tensors that need no gradient, or
under ``no_grad()``, build no node and are not seen; so is an optimizer's update
(plain arrays), whose overflow shows at the next forward pass that uses the weights.
"""

from __future__ import annotations

import contextlib
import linecache
import math
import os
import sys
import weakref
from collections.abc import Iterator
from typing import Any

import numpy as np

from tinygrad_mlp import autograd

__all__ = ["AnomalyError", "detect_anomaly", "op_name"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SWEEP = autograd._sweep.__code__
#: The engines' own files: a node is always made in one, so they are not worth naming.
_ENGINE_FILES = ("autograd.py", "anomaly.py", "value.py", "tensor.py", "elementwise.py")


class AnomalyError(FloatingPointError):
    """The first NaN or ±inf born from finite numbers, inside :func:`detect_anomaly`.

    Attributes:
        op: the op's name (``"log"``, ``"div"``, ``"pow"``, ``"matmul"``, ``"sqrt"``...).
        symbol: the op's symbol as a graph drawing shows it (``"log"``, ``"/"``, ``"**2"``).
        phase: ``"forward"`` (the node's value) or ``"backward"`` (a gradient its rule made).
        location: ``"file.py:LINE"`` of your code that created the node (``""`` if unknown).
        filename, lineno: the same place, the file's full path and the line number.
        node: the node; ``draw_graph(err)`` draws its graph with the path from the
            inputs to it highlighted (:func:`tinygrad_mlp.viz.draw_graph`).
        inputs: one short description per input (shape, min, max, non-finite count).
    """

    def __init__(
        self,
        message: str,
        *,
        op: str,
        symbol: str,
        phase: str,
        node: Any,
        where: tuple[str, int, str],
        inputs: list[str],
    ) -> None:
        super().__init__(message)
        self.op, self.symbol, self.phase, self.node, self.inputs = op, symbol, phase, node, inputs
        self.filename, self.lineno, self.via = where
        self.location = f"{os.path.basename(self.filename)}:{self.lineno}" if self.lineno else ""


def op_name(fn: Any) -> str:
    """The plain name of an op: its element-wise row's name, else its class name in lower case.

    ``PowConst`` (a power with a number exponent) is ``"pow"``, as ``Pow`` is.

    >>> from tinygrad_mlp.ops.arithmetic import Div
    >>> op_name(Div()), op_name(None)
    ('div', '')
    """
    if fn is None:
        return ""
    row = getattr(fn, "fn", None)
    if row is not None and isinstance(getattr(row, "name", None), str):
        return row.name
    name = (fn if isinstance(fn, type) else type(fn)).__name__.lower()
    return "pow" if name == "powconst" else name


# --------------------------------------------------------------------------- numbers


def _finite(x: Any) -> bool:
    if type(x) is float:
        return math.isfinite(x)
    if hasattr(x, "_fn"):  # a node (gradients are nodes under create_graph)
        x = x.data
    if x is None:
        return True
    try:
        return bool(np.isfinite(x).all())
    except TypeError:  # an object or a string array: not numbers to judge
        return True


def _number(v: float) -> str:
    return f"{v:.6g}"


def describe(x: Any) -> str:
    """A short account of a number or an array: shape, min, max and non-finite count.

    >>> describe(np.array([0.0, 2.0, np.inf, 1.0, np.nan]))
    'shape (5,), min 0, max 2, 2 non-finite (inf, nan)'
    >>> describe(np.array([0.0, 2.0]))
    'shape (2,): [0, 2]'
    >>> describe(0.5)
    '0.5'
    """
    if hasattr(x, "_fn"):
        x = x.data
    if x is None:
        return "none"
    if isinstance(x, (float, int, np.generic)) or np.ndim(x) == 0:
        return _number(float(x))
    a = np.asarray(x, dtype=np.float64)
    finite = np.isfinite(a)
    bad = int(a.size - finite.sum())
    if a.size <= 4:
        head = "[" + ", ".join(_number(v) for v in a.reshape(-1)) + "]"
        return f"shape {a.shape}: {head}"
    parts = [f"shape {a.shape}"]
    if finite.any():
        parts += [f"min {_number(a[finite].min())}", f"max {_number(a[finite].max())}"]
    if bad:
        kinds = sorted({"nan" if np.isnan(v) else "inf" if v > 0 else "-inf" for v in a[~finite]})
        parts.append(f"{bad} non-finite ({', '.join(kinds)})")
    else:
        parts.append("0 non-finite")
    return ", ".join(parts)


def _first_bad(x: Any) -> tuple[tuple[int, ...] | None, float]:
    """The index and value of the first non-finite entry (index None for a float)."""
    if hasattr(x, "_fn"):
        x = x.data
    if np.ndim(x) == 0:
        return None, float(x)
    a = np.asarray(x)
    k = int(np.flatnonzero(~np.isfinite(a))[0])
    index = tuple(int(i) for i in np.unravel_index(k, a.shape))
    return index, float(a[index])


def _at(x: Any, index: tuple[int, ...] | None, shape: tuple) -> str | None:
    """``x``'s value at ``index`` of the output, when it broadcasts to the output's shape
    (an element-wise op)."""
    data = x.data if hasattr(x, "_fn") else x
    if index is None:
        return None
    try:
        value = np.broadcast_to(np.asarray(data), shape)[index]
    except ValueError:  # not element-wise (a matmul, a reduction)
        return None
    return _number(float(value))


# --------------------------------------------------------------------------- frames


def _where(frame: Any) -> tuple[tuple[str, int, str], bool]:
    """(file, line, package frame it came through) of the user code running ``frame``,
    and whether a backward sweep is under way."""
    in_sweep = False
    via = ""
    user: Any = None
    while frame is not None:
        code = frame.f_code
        if code is _SWEEP:
            in_sweep = True
        name = code.co_filename
        if name.startswith(_PACKAGE):
            if user is None:  # NOTE: the outermost package frame: where the user called in
                short = name[len(_PACKAGE) :].replace(os.sep, "/")
                via = (
                    ""
                    if short in _ENGINE_FILES or short.startswith("ops/")
                    else (f"tinygrad_mlp/{short}:{frame.f_lineno}")
                )
        elif user is None and not name.startswith("<frozen"):
            user = frame
        # NOTE: the walk goes on to the outermost frame: a user's own Op.backward
        # runs inside a sweep, whose frame is further out.
        frame = frame.f_back
    if user is None:
        return ("", 0, via), in_sweep
    return (user.f_code.co_filename, user.f_lineno, via), in_sweep


def _source(filename: str, lineno: int) -> str:
    return linecache.getline(filename, lineno).strip() if lineno else ""


# --------------------------------------------------------------------------- the detector


class _Detector:
    """The recorder :func:`detect_anomaly` installs (see :func:`autograd.recording`)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.places: Any = weakref.WeakKeyDictionary()
        self.plain: dict[int, tuple[str, int, str]] = {}  # nodes without weak references
        #: node -> the birth of the non-finite gradient it received (backward)
        self.origin: dict[Any, tuple] = {}

    # -- forward ---------------------------------------------------------------------

    def on_forward(self, node: Any) -> None:
        place, in_sweep = _where(sys._getframe(1))
        try:
            self.places[node] = place
        except TypeError:
            self.plain[id(node)] = place
        if not in_sweep and not _finite(node.data):
            parents = node._prev
            if all(_finite(p.data) for p in parents):
                raise self._forward_error(node, place)
        if self.inner is not None:
            self.inner.on_forward(node)

    def _place(self, node: Any) -> tuple[str, int, str] | None:
        try:
            found = self.places.get(node)
        except TypeError:
            found = None
        return found if found is not None else self.plain.get(id(node))

    def _forward_error(self, node: Any, place: tuple[str, int, str]) -> AnomalyError:
        fn = node._fn
        name, symbol = op_name(fn), str(getattr(fn, "symbol", "?"))
        index, value = _first_bad(node.data)
        shape = np.shape(node.data)
        kind = "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
        inputs = [describe(p.data) for p in node._prev]
        lines = [
            f"{name} ({symbol}) made {kind} in the forward pass from finite inputs",
            _line(place),
        ]
        at = "" if index is None else f" (first at index {index})"
        lines.append(f"  output: {describe(node.data)}{at}")
        for k, (parent, text) in enumerate(zip(node._prev, inputs, strict=True)):
            there = _at(parent, index, shape)
            extra = f"; at that index {there}" if there is not None else ""
            lines.append(f"  input {k}: {text}{extra}")
        note = _note(name, symbol)
        if note:
            lines.append(f"  {note}")
        lines.append("  draw_graph(err) draws the path from the inputs to this node")
        return AnomalyError(
            "\n".join(lines),
            op=name,
            symbol=symbol,
            phase="forward",
            node=node,
            where=place,
            inputs=inputs,
        )

    # -- backward --------------------------------------------------------------------

    def on_backward(self, node: Any, grad_out: Any, parent_grads: tuple) -> None:
        prev = node._prev
        if _finite(grad_out):
            birth = None
            for k, (parent, g) in enumerate(zip(prev, parent_grads, strict=True)):
                if g is None or _finite(g):
                    continue
                if birth is None:
                    if not (_finite(node.data) and all(_finite(p.data) for p in prev)):
                        break  # a non-finite value from the forward pass, not born here
                    birth = (node, grad_out, parent_grads, k)
                self._carry(parent, birth)
        else:
            birth = self.origin.get(node)
            if birth is not None:
                for parent, g in zip(prev, parent_grads, strict=True):
                    if g is not None and not _finite(g):
                        self._carry(parent, birth)
        if self.inner is not None:
            self.inner.on_backward(node, grad_out, parent_grads)

    def _carry(self, parent: Any, birth: tuple) -> None:
        """Pass a non-finite gradient's birth on; at a leaf it is the error."""
        if parent._fn is None:
            raise self._backward_error(*birth)
        self.origin.setdefault(parent, birth)

    def _backward_error(
        self, node: Any, grad_out: Any, parent_grads: tuple, k: int
    ) -> AnomalyError:
        fn = node._fn
        name, symbol = op_name(fn), str(getattr(fn, "symbol", "?"))
        g = parent_grads[k]
        index, value = _first_bad(g)
        kind = "nan" if math.isnan(value) else "inf" if value > 0 else "-inf"
        place = self._place(node)
        created = place is not None
        if place is None:
            place, _ = _where(sys._getframe(1))
        inputs = [describe(p.data) for p in node._prev]
        lines = [
            f"the backward rule of {name} ({symbol}) made {kind} in the gradient of its "
            f"input {k} from finite numbers",
            _line(place)
            if created
            else _line(place, "node created before detect_anomaly; backward called at"),
        ]
        shape = np.shape(g.data if hasattr(g, "_fn") else g)
        at = "" if index is None else f" (first at index {index})"
        lines.append(f"  gradient of input {k}: {describe(g)}{at}")
        lines.append(f"  upstream gradient: {describe(grad_out)}")
        lines.append(f"  output: {describe(node.data)}")
        for j, (parent, text) in enumerate(zip(node._prev, inputs, strict=True)):
            there = _at(parent, index, shape) if j == k else None
            extra = f"; at that index {there}" if there is not None else ""
            lines.append(f"  input {j}: {text}{extra}")
        lines.append("  draw_graph(err) draws the path from the inputs to this node")
        return AnomalyError(
            "\n".join(lines),
            op=name,
            symbol=symbol,
            phase="backward",
            node=node,
            where=place,
            inputs=inputs,
        )


def _line(place: tuple[str, int, str], words: str = "created at") -> str:
    filename, lineno, via = place
    if not lineno:
        return f"  {words} {via or 'an unknown place'}"
    text = f"  {words} {os.path.basename(filename)}:{lineno}"
    source = _source(filename, lineno)
    if source:
        text += f":  {source}"
    if via:
        text += f"\n  (through {via})"
    return text


def _note(name: str, symbol: str) -> str:
    if name == "pow" and symbol in ("**-1", "**-1.0"):
        return "a / b is a * b**-1 on the Value engine: this is the division's 1 / b"
    return ""


@contextlib.contextmanager
def detect_anomaly() -> Iterator[None]:
    """Stop at the first NaN or ±inf born from finite numbers, forward or backward.

    Inside the block, on both engines, at first order and under ``create_graph``,
    every node is checked as it is built, and every gradient a backward rule returns
    is checked in the sweep; the first non-finite number whose inputs were finite
    raises :class:`AnomalyError` with the op, the phase, the inputs and the line of
    your code that created the node. Outside the block nothing is checked and
    nothing costs more. The block is per thread (as ``no_grad``) and nests inside
    :func:`tinygrad_mlp.autograd.recording` (the playback recorder still sees
    every node).

    >>> from tinygrad_mlp import Tensor, detect_anomaly
    >>> p = Tensor([0.5, 0.0], requires_grad=True)
    >>> try:
    ...     with detect_anomaly():
    ...         loss = -p.log().sum()
    ... except FloatingPointError as err:
    ...     print(err.op, err.phase)
    log forward
    """
    inner = autograd._STATE.recorder  # NOTE: a playback recorder keeps seeing every node
    with autograd.recording(_Detector(inner)):
        yield

"""Grade a person's hand-derived gradients node by node, and name the first wrong step.

Name the nodes of a forward pass (``h = (x @ W1 + b1).tanh().named("h")``), write their
gradients by hand, and :func:`grade` compares each with autodiff's. A wrong gradient is
told apart as *wrong here* (not what the chain rule gives from the person's own
gradients of the nodes after it) or *inherited* (right given those, wrong because one
of them is), and each wrong step gets one sentence saying how it is wrong and the
correct step, written from the op types.

The package: :mod:`.graph` (named groups, the steerable sweep), :mod:`.diagnose` (the
usual mistakes), :mod:`.steps` (the chain rule step as text and LaTeX).

NOTE: the function :func:`grade` is what ``tinygrad_mlp.grade`` names once the package is
imported; import the submodules with ``from tinygrad_mlp.grade.graph import ...``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tinygrad_mlp.autograd import grad as autograd_grad
from tinygrad_mlp.grade.diagnose import diagnose, near
from tinygrad_mlp.grade.graph import Graph, Group, raw_of, sweep
from tinygrad_mlp.grade.steps import chain_step

__all__ = ["STATUSES", "TOLERANCES", "GradeReport", "Row", "grade"]

#: The statuses a row can have, in the order of the table's legend.
STATUSES = ("exact", "close", "wrong here", "inherited", "missing")

#: (exact, close) per float type: a gradient is *exact* when it differs from autodiff's
#: by at most the first times the largest |value| of the two arrays (a few roundings of
#: another summation order), *close* within the second.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float64": (1e-12, 1e-7),
    "float32": (2e-5, 2e-3),
}


@dataclass
class Row:
    """One named node's grade: ``name``, ``shape``, ``status``, ``diagnosis`` and more."""

    name: str
    shape: tuple
    status: str
    #: max |yours − autodiff's| (NaN where the shapes differ or a value is not finite)
    max_diff: float = float("nan")
    #: one sentence for a step that is wrong here, else None
    diagnosis: str | None = None
    #: the correct chain rule step, ``dh = dlogits @ W2ᵀ``, in text and LaTeX
    step: str | None = None
    step_tex: str | None = None
    #: for an inherited row, the given gradients after it that are wrong
    cause: list[str] = field(default_factory=list)
    #: autodiff's gradient, and the chain rule's from your own downstream gradients
    autodiff: np.ndarray | None = None
    expected: np.ndarray | None = None


@dataclass
class GradeReport:
    """The rows of :func:`grade` in forward order; ``str(report)`` is the table."""

    rows: list[Row]
    dtype: str
    tolerance: tuple[float, float]

    def __getitem__(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(f"no row named {name!r}; rows: {', '.join(r.name for r in self.rows)}")

    @property
    def passed(self) -> bool:
        """True when every gradient given is exact or close."""
        return all(r.status in ("exact", "close", "missing") for r in self.rows) and any(
            r.status != "missing" for r in self.rows
        )

    def wrong_here(self) -> list[Row]:
        """The rows wrong at their own step, the one nearest the loss first."""
        return [r for r in reversed(self.rows) if r.status == "wrong here"]

    def table(self) -> str:
        """The table: name, shape, status, largest difference; then each wrong step."""
        header = ["name", "shape", "status", "max |yours - autodiff|"]
        cells = [
            [
                r.name,
                "×".join(map(str, r.shape)) or "scalar",
                r.status,
                "" if r.status == "missing" else f"{r.max_diff:.3g}",
            ]
            for r in self.rows
        ]
        widths = [max(len(c[k]) for c in [header, *cells]) for k in range(4)]
        lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
        lines.append("  ".join("-" * w for w in widths))
        for c in cells:
            lines.append("  ".join(x.ljust(w) for x, w in zip(c, widths, strict=True)).rstrip())
        for r in self.wrong_here():
            lines.append("")
            lines.append(f"{r.name}: {r.diagnosis}")
            lines.append(f"  the chain rule: {r.step}")
            lines.append(f"  LaTeX: {r.step_tex}")
        inherited = [r for r in self.rows if r.status == "inherited"]
        if inherited:
            lines.append("")
            for r in inherited:
                lines.append(
                    f"{r.name}: right given your {', '.join('d' + c for c in r.cause)}, "
                    "wrong because that is."
                )
        exact, close = self.tolerance
        lines.append("")
        lines.append(
            f"exact: within {exact:g} of the largest |gradient|; close: within {close:g} "
            f"({self.dtype}); wrong here: not what the chain rule gives from your own "
            "gradients of the nodes after it; inherited: right given those, wrong because "
            "one of them is."
        )
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.table()


def _dtype_of(groups: list[Group], arrays: dict) -> str:
    kinds = {str(g.dtype()) for g in groups}
    kinds |= {str(np.asarray(a).dtype) for a in arrays.values() if a is not None}
    return "float32" if "float32" in kinds or "float16" in kinds else "float64"


def grade(loss: Any, grads: dict[str, Any], tolerance: tuple[float, float] | None = None):
    """Grade hand-derived gradients of named nodes against autodiff's, step by step.

    Args:
        loss: the loss, a one-element ``Tensor`` or a ``Value``, whose graph holds the
            named nodes (``.named("h")``, or labels such as the sheet's ``wh[0]``).
        grads: name → your ∂L/∂(that node), an array of the node's shape (on the scalar
            engine, of the shape of the indices under that name: ``h[0]``, ``h[1]``...).
            ``None`` counts as missing.
        tolerance: (exact, close) relative tolerances; default :data:`TOLERANCES` for the
            float type of the graph and of your arrays.

    Returns:
        A :class:`GradeReport`; ``.rows`` in forward order, each with ``.name``,
        ``.status`` (one of :data:`STATUSES`) and ``.diagnosis``; ``str(report)`` is the
        table. No ``.grad`` is touched.

    >>> import numpy as np
    >>> from tinygrad_mlp import Tensor
    >>> x = Tensor(np.array([[1.0, 2.0]]))
    >>> W = Tensor(np.array([[0.5], [-1.0]]), requires_grad=True).named("W")
    >>> h = (x @ W).tanh().named("h")
    >>> loss = h.sum()
    >>> dh = np.ones((1, 1))
    >>> dW = x.data.T @ (dh * (1 - h.data**2))
    >>> [(r.name, r.status) for r in grade(loss, {"h": dh, "W": dW}).rows]
    [('W', 'exact'), ('h', 'exact')]
    >>> print(grade(loss, {"h": dh, "W": x.data.T @ dh})["W"].diagnosis)
    tanh's derivative is left out: dh is passed to s without multiplying by f'(s).
    """
    if not isinstance(grads, dict):
        raise TypeError(f"grads is a dict from node name to gradient, not {type(grads).__name__}")
    graph = Graph.of(loss)
    groups: dict[str, Group] = {}
    for name in grads:
        if not isinstance(name, str):
            raise TypeError(f"gradient names are strings, not {name!r}")
        group = graph.group(name)
        if group is None:
            known = ", ".join(graph.labelled_names()) or "none"
            raise ValueError(f"no node named {name!r} in the loss's graph (named nodes: {known})")
        if not all(n.requires_grad for n in group.nodes):
            raise ValueError(f"the node {name!r} does not require grad, so it has no gradient")
        groups[name] = group
    for name in graph.labelled_names():
        if name not in groups:
            group = graph.group(name)
            if group is not None:
                groups[name] = group
    given = {n: a for n, a in grads.items() if a is not None}
    dtype = _dtype_of(list(groups.values()), given)
    exact_tol, close_tol = tolerance or TOLERANCES[dtype]

    # autodiff's gradients, with tinygrad_mlp.grad: no .grad touched
    nodes = [n for g in groups.values() for n in g.nodes]
    true_list = autograd_grad(loss, nodes, allow_unused=True)
    truth = dict(zip(nodes, true_list, strict=True))

    # the person's arrays, and the overrides that let the sweep use them
    person: dict[str, np.ndarray] = {}
    overrides: dict = {}
    for name, array in given.items():
        group = groups[name]
        try:
            p = np.asarray(array, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise TypeError(f"the gradient of {name!r} is not an array of numbers") from error
        if p.shape != tuple(group.shape) and p.size == int(np.prod(group.shape)) and p.ndim == 0:
            p = p.reshape(group.shape)
        person[name] = p
        if p.shape == tuple(group.shape) and np.isfinite(p).all():
            overrides.update(group.split(p))
    capture = {n for g in groups.values() for n in g.nodes}
    computed, raw = sweep(graph, overrides, capture=capture)
    autodiff = {name: g.assemble(truth) for name, g in groups.items()}
    expected = {name: g.assemble(computed) for name, g in groups.items()}
    floor = 1e-8 * max((float(np.abs(a).max(initial=0.0)) for a in autodiff.values()), default=0)
    floor = max(floor, np.finfo(np.float64).tiny)

    rows: dict[str, Row] = {}
    for name, group in groups.items():
        row = Row(name, tuple(group.shape), "missing")
        row.autodiff, row.expected = autodiff[name], expected[name]
        rows[name] = row
        if name not in person:
            continue
        p, t, e = person[name], autodiff[name], expected[name]
        if p.shape == t.shape:
            with np.errstate(invalid="ignore"):
                row.max_diff = float(np.abs(p - t).max(initial=0.0))
        if near(p, t, exact_tol, floor):
            row.status = "exact"
        elif near(p, t, close_tol, floor):
            row.status = "close"
        elif near(p, e, close_tol, floor):
            row.status = "inherited"
        else:
            row.status = "wrong here"
    stops = set(overrides)
    for name, row in rows.items():
        if row.status == "inherited":
            row.cause = _wrong_after(graph, groups[name], groups, rows)
        if row.status != "wrong here":
            continue
        group = groups[name]
        p = person[name]
        if not np.isfinite(p).all():
            row.diagnosis = f"d{name} has a NaN or an infinity in it."
        else:
            node_raw = raw_of(group, raw, groups, graph)
            others = {n: expected[n] for n in person if n != name}
            row.diagnosis = diagnose(
                graph, group, p, expected[name], node_raw, overrides, groups, others,
                close_tol, floor,
            )  # fmt: skip
        node, name_here = group.nodes[0], name
        if group.index is not None:  # one element stands for the rest: the first
            k = group.index.index(min(group.index))
            node, name_here = group.nodes[k], group.nodes[k].label
        row.step = f"d{name_here} = {chain_step(graph, node, stops, 'text')}"
        tex_name = name_here.replace("_", r"\_")
        row.step_tex = rf"d\mathrm{{{tex_name}}} = {chain_step(graph, node, stops, 'tex')}"
    order = sorted(groups, key=lambda n: groups[n].first)
    return GradeReport([rows[n] for n in order], dtype, (exact_tol, close_tol))


def _wrong_after(graph: Graph, group: Group, groups: dict, rows: dict) -> list[str]:
    """The names of given, wrong groups reachable after ``group``."""
    member = {n: name for name, g in groups.items() for n in g.nodes}
    seen, todo, found = set(group.nodes), list(group.nodes), []
    while todo:
        n = todo.pop()
        for c, _ in graph.consumers.get(n, []):
            if c in seen:
                continue
            seen.add(c)
            name = member.get(c)
            if name is not None and rows[name].status in ("wrong here", "inherited"):
                if name not in found:
                    found.append(name)
                continue
            todo.append(c)
    return found

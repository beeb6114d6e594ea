"""The op rules' package, the element-wise table and what is rendered from it.

- The fast twins (``Exp``, ``Log``, ``Tanh``, ``Sigmoid``, ``Relu`` of both engines)
  equal their rows of the element-wise table: forward, first and second derivative,
  at ordinary and singular points.
- Each engine method of a core function names, in its docstring, the class that
  computes it, and that class is the op its nodes carry.
- The element-wise methods' docstrings and the tables of docs/ops.md are the rows'
  math as the table renders it.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value, grad
from tinygrad_mlp.elementwise import FUNCTIONS, ElementwiseMethods, markdown_table, row_doc

ROOT = Path(__file__).resolve().parents[1]

TWINS = ("exp", "log", "tanh", "sigmoid", "relu")

ORDINARY = [-3.2, -0.7, 0.3, 1.9]
#: zeros, infinities, nan, and |a| where exp overflows or sigmoid underflows
SINGULAR = [0.0, -0.0, np.inf, -np.inf, np.nan, 30.0, -30.0, 700.0, -700.0, 720.0, -720.0]
POINTS = ORDINARY + SINGULAR + [1e-300, 1e300, -1e300]

#: below the smallest normal float64 two numbers count as equal: there the row's
#: sigmoid rounds to 0 where the scalar twin keeps a subnormal (see its NOTE)
TINY = np.finfo(np.float64).tiny
ULPS = 4


def assert_same_numbers(twin, row, what):
    """Same nan places, same infinities, and equal to a few ulps elsewhere."""
    twin, row = np.asarray(twin, dtype=np.float64), np.asarray(row, dtype=np.float64)
    assert np.array_equal(np.isnan(twin), np.isnan(row)), (what, twin, row)
    inf = np.isinf(twin) | np.isinf(row)
    assert np.array_equal(twin[inf], row[inf]), (what, twin, row)
    finite = ~(np.isnan(twin) | inf)
    gap = np.abs(twin[finite] - row[finite])
    bound = ULPS * np.spacing(np.maximum(np.abs(twin[finite]), np.abs(row[finite]))) + TINY
    assert np.all(gap <= bound), (what, twin, row)


def _derivatives(y_of, x, make_scalar):
    """y, dy/dx and d²y/dx² of the element-wise ``y_of`` at ``x`` (a node)."""
    with np.errstate(all="ignore"):  # the singular points overflow and divide by 0
        y = y_of(x)
        (d1,) = grad(make_scalar(y), x, create_graph=True)
        second = grad(make_scalar(d1), x, allow_unused=True)[0] if d1.requires_grad else None
    return y.data, d1.data, (np.zeros_like(y.data) if second is None else second)


def _tensor_numbers(name, use_row):
    x = Tensor(np.array(POINTS), requires_grad=True)

    def y_of(t):
        return t._elementwise(name) if use_row else getattr(t, name)()

    return _derivatives(y_of, x, lambda t: t.sum())


def _value_numbers(name, use_row):
    columns = []
    for p in POINTS:
        x = Value(p)

        def y_of(v):
            return v._elementwise(name) if use_row else getattr(v, name)()

        columns.append(_derivatives(y_of, x, lambda v: v))
    return [np.array([c[k] for c in columns], dtype=np.float64) for k in range(3)]


@pytest.mark.parametrize("engine", ["tensor", "value"])
@pytest.mark.parametrize("name", TWINS)
def test_each_fast_twin_equals_its_row_of_the_table(engine, name):
    numbers = _tensor_numbers if engine == "tensor" else _value_numbers
    twin, row = numbers(name, use_row=False), numbers(name, use_row=True)
    for order, (a, b) in enumerate(zip(twin, row, strict=True)):
        assert_same_numbers(a, b, f"{engine} {name}, derivative of order {order}")


def test_the_comparison_tells_a_twin_from_another_row():
    # the check above would catch a twin that copied the wrong row
    twin = _tensor_numbers("relu", use_row=False)
    other = _tensor_numbers("sigmoid", use_row=True)
    with pytest.raises(AssertionError):
        assert_same_numbers(twin[0], other[0], "relu against sigmoid")


def _named_class(doc):
    path = re.search(r":class:`([\w.]+)`", doc).group(1)
    module, _, name = path.rpartition(".")
    return getattr(__import__(module, fromlist=[name]), name)


@pytest.mark.parametrize("name", TWINS)
def test_a_core_method_names_the_rule_its_nodes_carry(name):
    t = getattr(Tensor([0.5], requires_grad=True), name)()
    v = getattr(Value(0.5), name)()
    assert type(t._fn) is _named_class(getattr(Tensor, name).__doc__)
    assert v._fn is _named_class(getattr(Value, name).__doc__)
    for engine in (Tensor, Value):
        assert getattr(engine, name).__doc__.startswith(FUNCTIONS[name].math)
        assert f"row ``{name}``" in getattr(engine, name).__doc__


def test_every_row_is_a_method_of_both_engines_documented_from_its_math():
    for name, row in FUNCTIONS.items():
        for engine in (Tensor, Value):
            method = getattr(engine, name)
            assert method.__doc__.startswith(row.math), (engine.__name__, name)
        if name not in TWINS:
            assert getattr(ElementwiseMethods, name).__doc__.startswith(row_doc(row))


def test_a_row_method_builds_the_row_on_both_engines():
    for name in ("sin", "abs", "gelu_tanh"):
        assert getattr(Tensor([0.5], requires_grad=True), name)()._fn.fn is FUNCTIONS[name]
        assert getattr(Value(0.5), name)()._fn.fn is FUNCTIONS[name]


@pytest.mark.parametrize("kind", ["function", "activation"])
def test_docs_ops_tables_are_the_table_rendered(kind):
    text = (ROOT / "docs" / "ops.md").read_text()
    found = re.search(rf"<!-- table: {kind} -->\n(.*?)\n<!-- /table -->", text, re.S)
    assert found, f"docs/ops.md has no <!-- table: {kind} --> block"
    assert found.group(1) == markdown_table(kind), (
        "docs/ops.md differs from the element-wise table; run python scripts/render_ops_doc.py"
    )

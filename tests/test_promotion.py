"""Type promotion as torch's: every pair of operand kinds through every binary operator.

The operands are tensors with dimensions and 0-d tensors of bool, int32, int64, float32
and float64, and Python bools, ints and floats. For each pair and each operator (+ − ×
÷ // % ** and their reflected forms, the comparisons, maximum/minimum and where) the
result's dtype and values are torch's, with torch's default dtype set to float64 (this
project's default float). Where torch refuses a pair (bool − bool, an integer to a
negative power), ours refuses too.
"""

from __future__ import annotations

import itertools
import operator

import numpy as np
import pytest

from tinygrad_mlp import Tensor
from tinygrad_mlp.ops_extra import arange, maximum, minimum, one_hot, where

torch = pytest.importorskip("torch")

# NOTE: a float divided by a False is inf, with numpy's warning
pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

DTYPES = ("bool", "int32", "int64", "float32", "float64")
VALUES = {"bool": [True, False, True], "int": [1, 2, 3], "float": [0.5, -1.25, 3.0]}
ZERO_D = {"bool": True, "int": 2, "float": 1.5}


def _kind(dtype: str) -> str:
    return "bool" if dtype == "bool" else "int" if dtype.startswith("int") else "float"


# An operand: (name, maker of ours, maker of torch's).
OPERANDS = []
for _dt in DTYPES:
    _vals = VALUES[_kind(_dt)]
    OPERANDS.append(
        (
            f"{_dt}[3]",
            lambda dt=_dt, v=_vals: Tensor(np.array(v, dtype=dt), dtype=dt),
            lambda dt=_dt, v=_vals: torch.tensor(v, dtype=getattr(torch, dt)),
        )
    )
    _val = ZERO_D[_kind(_dt)]
    OPERANDS.append(
        (
            f"{_dt}[]",
            lambda dt=_dt, v=_val: Tensor(np.array(v, dtype=dt), dtype=dt),
            lambda dt=_dt, v=_val: torch.tensor(v, dtype=getattr(torch, dt)),
        )
    )
for _name, _val in (("True", True), ("2", 2), ("1.5", 1.5)):
    OPERANDS.append((_name, lambda v=_val: v, lambda v=_val: v))

OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}

PAIRS = [
    (a, b)
    for a, b in itertools.product(OPERANDS, repeat=2)
    if not (isinstance(a[1](), (bool, int, float)) and isinstance(b[1](), (bool, int, float)))
]


@pytest.fixture(autouse=True)
def _torch_default_float64():
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(old)


def _outcome(fn, *args):
    """('ok', dtype name, values) or ('error',)."""
    try:
        out = fn(*args)
    except (RuntimeError, TypeError, ValueError, ZeroDivisionError, NotImplementedError):
        return ("error",)
    if isinstance(out, torch.Tensor):
        return ("ok", str(out.dtype).removeprefix("torch."), out.numpy())
    return ("ok", str(out.dtype), out.data)


def _check(ours, theirs, what):
    assert ours[0] == theirs[0], f"{what}: ours {ours[0]}, torch {theirs[0]}"
    if ours[0] == "error":
        return
    assert ours[1] == theirs[1], f"{what}: dtype {ours[1]}, torch {theirs[1]}"
    assert ours[2].shape == theirs[2].shape, f"{what}: shape {ours[2].shape}"
    np.testing.assert_allclose(
        ours[2].astype(np.float64),
        theirs[2].astype(np.float64),
        rtol=1e-6 if "float32" in ours[1] else 1e-14,
        err_msg=what,
    )


@pytest.mark.parametrize("symbol", list(OPERATORS))
def test_binary_operator_dtypes_and_values_match_torch(symbol):
    fn = OPERATORS[symbol]
    for (name_a, ours_a, torch_a), (name_b, ours_b, torch_b) in PAIRS:
        what = f"{name_a} {symbol} {name_b}"
        _check(_outcome(fn, ours_a(), ours_b()), _outcome(fn, torch_a(), torch_b()), what)


@pytest.mark.parametrize("name", ["eq", "ne"])
def test_equality_methods_match_torch(name):
    for (name_a, ours_a, torch_a), (name_b, ours_b, torch_b) in PAIRS:
        a = ours_a()
        if not isinstance(a, Tensor):
            continue
        what = f"{name_a}.{name}({name_b})"
        ours = _outcome(lambda x, y: getattr(x, name)(y), a, ours_b())
        theirs = _outcome(lambda x, y: getattr(x, name)(y), torch_a(), torch_b())
        _check(ours, theirs, what)


@pytest.mark.parametrize(
    ("ours_fn", "torch_fn"), [(maximum, torch.maximum), (minimum, torch.minimum)]
)
def test_maximum_and_minimum_of_tensor_pairs_match_torch(ours_fn, torch_fn):
    for (name_a, ours_a, torch_a), (name_b, ours_b, torch_b) in PAIRS:
        a, b = ours_a(), ours_b()
        if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
            continue  # NOTE: torch.maximum takes tensors only
        what = f"{ours_fn.__name__}({name_a}, {name_b})"
        _check(_outcome(ours_fn, a, b), _outcome(torch_fn, torch_a(), torch_b()), what)


def test_where_promotes_its_two_branches_as_torch():
    cond = [True, False, True]
    for (name_a, ours_a, torch_a), (name_b, ours_b, torch_b) in PAIRS:
        what = f"where(c, {name_a}, {name_b})"
        ours = _outcome(lambda x, y: where(Tensor(cond), x, y), ours_a(), ours_b())
        theirs = _outcome(lambda x, y: torch.where(torch.tensor(cond), x, y), torch_a(), torch_b())
        _check(ours, theirs, what)


# --------------------------------------------------------------------------- the reported cases


def test_an_integer_range_times_a_float_is_float():
    out = arange(3) * 2.5
    assert out.dtype == np.float64
    assert out.tolist() == [0.0, 2.5, 5.0]


def test_the_mean_of_an_integer_range_is_its_float_mean():
    # NOTE: torch refuses the mean of an integer tensor; numpy and we give 1.5.
    assert arange(4).mean().item() == 1.5


def test_a_mask_times_a_float_is_float():
    mask = Tensor([True, False])
    assert (mask * 0.5).tolist() == [0.5, 0.0]


def test_integer_true_division_gives_floats():
    a = Tensor(np.array([1, 2, 3], dtype=np.int32), dtype=np.int32)
    b = Tensor(np.array([2, 2, 2], dtype=np.int64), dtype=np.int64)
    out = a / b
    assert out.dtype == np.float64
    assert out.tolist() == [0.5, 1.0, 1.5]


def test_label_smoothing_with_one_hot_rows():
    y = one_hot(Tensor(np.array([0, 2]), dtype=np.int64), 3)
    smoothed = y * 0.9 + 0.1 / 3
    expected = torch.nn.functional.one_hot(torch.tensor([0, 2]), 3) * 0.9 + 0.1 / 3
    np.testing.assert_allclose(smoothed.data, expected.numpy(), rtol=1e-15)


def test_an_integer_tensor_times_a_float32_tensor_is_float32():
    a = Tensor(np.array([1, 2], dtype=np.int64), dtype=np.int64)
    b = Tensor(np.array([0.5, 0.25], dtype=np.float32))
    assert (a * b).dtype == np.float32
    assert (b * a).dtype == np.float32

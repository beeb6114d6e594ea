"""The grader's contracts: named nodes, the report's rows and table, bad input, float32."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_mlp
from tinygrad_mlp import Tensor, Value, grade
from tinygrad_mlp.grade import STATUSES, TOLERANCES


def test_named_returns_the_node_itself_on_both_engines():
    t = Tensor([1.0, 2.0], requires_grad=True)
    v = Value(3.0)
    assert t.named("h") is t and t.label == "h"
    assert v.named("s") is v and v.label == "s"
    with pytest.raises(TypeError):
        t.named("")


def _net(dtype=np.float64):
    rng = np.random.default_rng(3)
    x = Tensor(rng.normal(size=(4, 3)), dtype=dtype)
    W = Tensor(rng.normal(size=(3, 2)), requires_grad=True, dtype=dtype).named("W")
    b = Tensor(rng.normal(size=2), requires_grad=True, dtype=dtype).named("b")
    s = (x @ W + b).named("s")
    h = s.sigmoid().named("h")
    loss = (h * h).sum()
    return x.data, W, b, s, h, loss


def _right(x, h):
    dh = 2 * h.data
    ds = dh * h.data * (1 - h.data)
    return {"h": dh, "s": ds, "W": x.T @ ds, "b": ds.sum(0)}


def test_rows_are_in_forward_order_with_the_contracts_fields():
    x, W, b, s, h, loss = _net()
    report = grade(loss, _right(x, h))
    assert [r.name for r in report.rows] == ["W", "b", "s", "h"]
    for row in report.rows:
        assert row.status in STATUSES and row.status == "exact"
        assert row.diagnosis is None
    table = str(report)
    assert table.splitlines()[0].split()[:3] == ["name", "shape", "status"]
    assert "W       3×2" in table or "3×2" in table


def test_grade_leaves_grad_untouched():
    x, W, b, s, h, loss = _net()
    grade(loss, _right(x, h))
    assert W.grad is None and b.grad is None


def test_an_unsupplied_name_is_missing_and_a_wrong_step_has_a_latex_step():
    x, W, b, s, h, loss = _net()
    grads = _right(x, h)
    grads["s"] = grads["h"] * s.data * (1 - s.data)
    grads["W"] = x.T @ grads["s"]
    del grads["b"]
    report = grade(loss, grads)
    assert report["b"].status == "missing"
    assert report["s"].status == "wrong here"
    assert "s(1 - s) where h(1 - h) belongs" in report["s"].diagnosis
    assert report["W"].status == "inherited" and report["W"].cause == ["s"]
    assert report["s"].step == "ds = dh ⊙ (h(1 - h))"
    assert report["s"].step_tex.startswith(r"d\mathrm{s} = ")
    assert not report.passed


def test_a_mistake_the_grader_does_not_know_says_where_the_largest_difference_is():
    x, W, b, s, h, loss = _net()
    grads = _right(x, h)
    grads["W"] = grads["W"].copy()
    grads["W"][2, 1] += 0.5
    row = grade(loss, grads)["W"]
    assert row.status == "wrong here"
    assert "the largest by 0.5 at [2, 1]" in row.diagnosis


def test_float32_graph_and_arrays_are_graded_with_the_float32_tolerance():
    x, W, b, s, h, loss = _net(np.float32)
    grads = {k: v.astype(np.float32) for k, v in _right(x.astype(np.float64), h).items()}
    report = grade(loss, grads)
    assert report.dtype == "float32" and report.tolerance == TOLERANCES["float32"]
    assert {r.status for r in report.rows} <= {"exact", "close"}
    grads["W"] = grads["W"] * 2
    assert grade(loss, grads)["W"].status == "wrong here"


@pytest.mark.parametrize(
    ("grads", "error", "phrase"),
    [
        ({"nope": 1.0}, ValueError, "no node named 'nope'"),
        ([1.0], TypeError, "a dict"),
        ({3: 1.0}, TypeError, "strings"),
    ],
)
def test_bad_input_is_one_sentence(grads, error, phrase):
    *_, loss = _net()
    with pytest.raises(error, match=phrase):
        grade(loss, grads)


def test_a_loss_of_many_elements_is_refused():
    x, W, b, s, h, loss = _net()
    with pytest.raises(ValueError, match="one-element loss"):
        grade(h, {"W": np.zeros((3, 2))})


def test_a_wrong_shape_is_wrong_here_with_a_sentence():
    x, W, b, s, h, loss = _net()
    grads = _right(x, h)
    grads["W"] = grads["W"].T
    row = grade(loss, grads)["W"]
    assert row.status == "wrong here" and "transposed" in row.diagnosis


def test_the_package_name_is_the_function():
    assert callable(tinygrad_mlp.grade)

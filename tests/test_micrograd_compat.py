"""Code written for micrograd's Value runs unchanged on ours and gives the same numbers."""

from __future__ import annotations

import pytest

from tinygrad_mlp import Value

micrograd_engine = pytest.importorskip("micrograd.engine")


def readme_example(Value):  # noqa: N803 -- the class under test, as micrograd names it
    a = Value(-4.0)
    b = Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    return g.data, a.grad, b.grad


def training_loop(Value):  # noqa: N803
    w = [Value(0.3), Value(-0.2)]
    b = Value(0.1)
    xs, ys = [[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5]], [1.0, -1.0, 0.0]
    losses = []
    for _ in range(5):
        preds = [(w[0] * x[0] + w[1] * x[1] + b).relu() for x in xs]
        loss = sum(((p - y) ** 2 for p, y in zip(preds, ys, strict=True)), Value(0.0))
        for p in [*w, b]:
            p.grad = 0
        loss.backward()
        for p in [*w, b]:
            p.data += -0.05 * p.grad
        losses.append(loss.data)
    return losses, [p.data for p in [*w, b]]


def test_readme_example_known_numbers():
    g, a_grad, b_grad = readme_example(Value)
    assert round(g, 4) == 24.7041
    assert round(a_grad, 4) == 138.8338
    assert round(b_grad, 4) == 645.5773


def test_readme_example_same_as_micrograd():
    assert readme_example(Value) == pytest.approx(readme_example(micrograd_engine.Value), rel=1e-15)


def test_training_loop_same_as_micrograd():
    ours = training_loop(Value)
    theirs = training_loop(micrograd_engine.Value)
    assert ours[0] == pytest.approx(theirs[0], rel=1e-12)
    assert ours[1] == pytest.approx(theirs[1], rel=1e-12)


def test_drawing_code_reads_prev_and_op_strings():
    # micrograd's draw_dot walks `_prev` and prints `_op` as a string.
    a = Value(2.0)
    out = (a * 3).relu()
    assert isinstance(out._op, str) and out._op == "ReLU"
    (child,) = out._prev
    assert child._op == "*" and a in child._prev

"""detect_anomaly: each way a NaN or an infinity is born, on both engines, named by op,
direction and the line of the test that made it; and nothing at all outside the block."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp import AnomalyError, Tensor, Value, autograd, detect_anomaly, grad

SOURCE = Path(__file__).read_text(encoding="utf-8").splitlines()


def line_of(marker: str) -> str:
    """'test_anomaly.py:LINE' of the one line of this file ending in ``# marker``."""
    hits = [k + 1 for k, text in enumerate(SOURCE) if text.rstrip().endswith(f"# {marker}")]
    assert len(hits) == 1, f"marker {marker!r} found {len(hits)} times"
    return f"test_anomaly.py:{hits[0]}"


def caught(run) -> AnomalyError:
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        run()
    return info.value


def test_anomaly_error_is_a_floating_point_error():
    assert issubclass(AnomalyError, FloatingPointError)


# --------------------------------------------------------------------------- log of 0


def bce_by_hand_tensor():
    # sigmoid(40) rounds to exactly 1.0 in float64, so 1 - p is 0 and its log -inf
    w = Tensor([[20.0, 20.0]], requires_grad=True)
    x, z = np.array([[1.0, 1.0], [0.1, 0.0]]), np.array([[0.0], [1.0]])
    p = (Tensor(x) @ w.T).sigmoid()
    loss = -(z * p.log() + (1 - z) * (1 - p).log()).mean()  # log-tensor
    loss.backward()


def bce_by_hand_value():
    w = [Value(20.0), Value(20.0)]
    p = (w[0] * 1.0 + w[1] * 1.0).sigmoid()
    z = 0.0
    loss = -(z * p.log() + (1 - z) * (1 - p).log())  # log-value
    loss.backward()


@pytest.mark.parametrize(
    "run, marker", [(bce_by_hand_tensor, "log-tensor"), (bce_by_hand_value, "log-value")]
)
def test_log_of_zero_in_a_hand_written_loss_is_named_log_forward(run, marker):
    err = caught(run)
    assert (err.op, err.phase, err.location) == ("log", "forward", line_of(marker))
    assert "-inf" in str(err) and "log" in str(err)
    assert err.node._fn is not None and math.isinf(np.asarray(err.node.data).min())


# --------------------------------------------------------------------------- 0 / 0


def layer_norm_tensor():
    # the second sample's hidden units are all relu-zero: its spread is 0, so 0 / 0
    w = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True)
    h = (Tensor([[1.0, 2.0], [-1.0, -2.0]]) @ w.T).relu()
    centred = h - h.mean(axis=1, keepdims=True)
    normed = centred / h.std(axis=1, keepdims=True)  # div-tensor
    normed.sum().backward()


def layer_norm_value():
    w = [Value(1.0), Value(0.5), Value(2.0)]
    h = [(wi * -1.0).relu() for wi in w]
    mean = sum(h) / 3
    std = (sum((hi - mean) ** 2 for hi in h) / 3) ** 0.5
    normed = [(hi - mean) / std for hi in h]  # div-value
    sum(normed).backward()


def test_zero_over_zero_in_a_normalisation_is_named_div_on_the_tensor_engine():
    err = caught(layer_norm_tensor)
    assert (err.op, err.phase, err.location) == ("div", "forward", line_of("div-tensor"))
    assert err.symbol == "/" and "nan" in str(err)
    # the message shows the numbers at the first NaN: 0 over 0
    assert "at that index 0" in str(err)


def test_zero_over_zero_on_the_value_engine_is_the_divisions_reciprocal():
    # NOTE: Value divides as a * b**-1 (as micrograd), so 1 / 0 is the first non-finite
    err = caught(layer_norm_value)
    assert (err.op, err.phase, err.location) == ("pow", "forward", line_of("div-value"))
    assert err.symbol == "**-1" and "division" in str(err)


# --------------------------------------------------------------------------- exp overflow


def softmax_tensor():
    w = Tensor([[300.0, 500.0], [10.0, 20.0]], requires_grad=True)
    logits = Tensor([[1.0, 2.0]]) @ w.T
    e = logits.exp()  # exp-tensor
    probs = e / e.sum(axis=1, keepdims=True)
    probs[0, 0].log().backward()


def softmax_value():
    logits = [Value(300.0) * 1.0 + Value(500.0) * 2.0, Value(10.0) * 1.0]
    e = [s.exp() for s in logits]  # exp-value
    probs = [ei / sum(e) for ei in e]
    probs[0].log().backward()


@pytest.mark.parametrize(
    "run, marker", [(softmax_tensor, "exp-tensor"), (softmax_value, "exp-value")]
)
def test_exp_overflow_in_a_hand_written_softmax_is_named_exp_forward(run, marker):
    err = caught(run)
    assert (err.op, err.phase, err.location) == ("exp", "forward", line_of(marker))
    assert "inf" in str(err) and "1300" in str(err)  # the input that overflowed


# --------------------------------------------------------------------------- sqrt at 0


def distance_tensor():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([1.0, 2.0], requires_grad=True)
    d = a - b
    dist = (d * d).sum().sqrt()  # sqrt-tensor
    dist.backward()


def distance_value():
    a, b = [Value(1.0), Value(2.0)], [Value(1.0), Value(2.0)]
    dist = sum((ai - bi) ** 2 for ai, bi in zip(a, b, strict=True)).sqrt()  # sqrt-value
    dist.backward()


@pytest.mark.parametrize(
    "run, marker", [(distance_tensor, "sqrt-tensor"), (distance_value, "sqrt-value")]
)
@pytest.mark.parametrize("create_graph", [False, True])
def test_sqrt_at_zero_is_named_sqrt_backward(run, marker, create_graph, monkeypatch):
    if create_graph:  # the same sweep, with every rule building nodes
        original = autograd.backward
        monkeypatch.setattr(
            autograd, "backward", lambda root, seed, create_graph=False: original(root, seed, True)
        )
    err = caught(run)
    assert (err.op, err.phase, err.location) == ("sqrt", "backward", line_of(marker))
    assert "gradient of its input 0" in str(err) and "inf" in str(err)


def test_a_masked_infinite_slope_is_not_reported():
    # Tensor.std masks √'s infinite slope where the spread is 0: no NaN reaches a leaf
    h = Tensor([[1.0, 2.0], [1.0, 3.0]], requires_grad=True)
    with detect_anomaly():
        (h / (h.std(axis=0) + 1e-3)).sum().backward()
    assert np.isfinite(h.grad).all()


# --------------------------------------------------------------------------- second order


def second_order_tensor():
    x = Tensor([0.0, 1.0], requires_grad=True)
    (g,) = grad((x**1.5).sum(), x, create_graph=True)  # pow-2nd-tensor
    g.sum().backward()


def second_order_value():
    x = Value(0.0)
    (g,) = grad(x**1.5, x, create_graph=True)  # pow-2nd-value
    g.backward()


@pytest.mark.parametrize(
    "run, marker", [(second_order_tensor, "pow-2nd-tensor"), (second_order_value, "pow-2nd-value")]
)
def test_a_second_derivative_born_infinite_names_the_node_the_first_sweep_made(run, marker):
    # d/dx x**1.5 = 1.5 x**0.5 is 0 at 0; its derivative 0.75 x**-0.5 is inf there
    err = caught(run)
    assert (err.op, err.phase, err.location) == ("pow", "backward", line_of(marker))


# --------------------------------------------------------------------------- a learning rate


def first_overflow_step(lr: float, w: float, b: float, x: float, z: float) -> int:
    """The step whose squared error overflows, by plain float64 arithmetic."""
    with np.errstate(over="ignore"):
        w, b = np.float64(w), np.float64(b)
        for step in range(1, 10_000):
            e = w * x + b - z
            if not np.isfinite(e * e):
                return step
            w, b = w - lr * 2 * e * x, b - lr * 2 * e
    raise AssertionError("no overflow")


def sgd_tensor(lr, steps_seen):
    w, b = Tensor([0.1], requires_grad=True), Tensor([0.0], requires_grad=True)
    for step in range(1, 10_000):
        steps_seen.append(step)
        w.grad = b.grad = None
        loss = ((w * 1.0 + b - 0.5) ** 2).sum()  # lr-tensor
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad


def sgd_value(lr, steps_seen):
    w, b = Value(0.1), Value(0.0)
    for step in range(1, 10_000):
        steps_seen.append(step)
        w.grad = b.grad = 0.0
        loss = (w * 1.0 + b - 0.5) ** 2  # lr-value
        loss.backward()
        w.data -= lr * w.grad
        b.data -= lr * b.grad


@pytest.mark.parametrize("run, marker", [(sgd_tensor, "lr-tensor"), (sgd_value, "lr-value")])
def test_a_learning_rate_that_blows_the_weights_up_stops_at_the_step_it_overflows(run, marker):
    lr = 10.0  # each step multiplies the error by 1 - 2·lr·(x² + 1) = -39
    expected = first_overflow_step(lr, 0.1, 0.0, 1.0, 0.5)
    steps: list[int] = []
    with np.errstate(over="ignore"):
        err = caught(lambda: run(lr, steps))
    assert (err.op, err.phase, err.location) == ("pow", "forward", line_of(marker))
    assert steps[-1] == expected > 50


# --------------------------------------------------------------------------- outside the block


def test_outside_the_block_non_finite_values_pass_silently_as_ieee_says():
    for run in (bce_by_hand_tensor, layer_norm_tensor, distance_tensor, distance_value):
        with np.errstate(all="ignore"):
            run()  # no exception: IEEE numbers, as numpy and torch
    assert autograd._MODE is True and autograd._STATE.recorder is None


def test_the_block_restores_the_fast_path_after_an_error():
    with pytest.raises(AnomalyError), detect_anomaly():
        Tensor([0.0], requires_grad=True).log()
    assert autograd._MODE is True and autograd._STATE.recorder is None


def test_a_recorder_outside_the_block_still_sees_every_node():
    class Seen:
        def __init__(self):
            self.forward, self.backward = [], []

        def on_forward(self, node):
            self.forward.append(node._op)

        def on_backward(self, node, grad_out, parent_grads):
            self.backward.append(node._op)

    seen = Seen()
    with autograd.recording(seen), detect_anomaly():
        y = Value(2.0) * 3.0
        y.backward()
    assert seen.forward == ["*"] and seen.backward == ["*"]


def test_draw_graph_of_the_error_frames_the_culprit_and_the_path_to_it():
    pytest.importorskip("graphviz")
    from tinygrad_mlp.viz import draw_graph
    from tinygrad_mlp.viz.graph import BOLD, CULPRIT

    err = caught(layer_norm_tensor)
    source = draw_graph(err).source
    assert CULPRIT in source and BOLD in source
    assert source == draw_graph(err.node, culprit=err.node).source
    # a backward culprit, drawn inside a larger graph: only its ancestors are bold
    a = Value(0.0, label="a")
    b = Value(3.0, label="b")
    root = a.sqrt() * 2.0 + b
    with pytest.raises(AnomalyError) as info, detect_anomaly():
        root2 = a.sqrt() * 2.0 + b
        root2.backward()
    source = draw_graph(root2, culprit=info.value.node).source
    assert f'fillcolor="{CULPRIT}"' in source
    del root

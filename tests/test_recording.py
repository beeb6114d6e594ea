"""The recording hook: every interior node built, every node a backward sweep processes."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value, no_grad
from tinygrad_mlp.autograd import recording, toposort


class Recorder:
    def __init__(self):
        self.forward: list = []
        self.backward: list = []

    def on_forward(self, node):
        self.forward.append(node)

    def on_backward(self, node, grad_out, parent_grads):
        self.backward.append((node, grad_out, parent_grads))


def _scalar_graph():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = c + a
    e = d.tanh()
    return (a, b), [c, d, e]


def _tensor_graph():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    b = Tensor(np.array([0.5, -0.5]), requires_grad=True)
    h = x + b  # b is broadcast: its contribution is unbroadcast before it is reported
    y = h.sigmoid()
    s = y.sum()
    return (x, b), [h, y, s]


@pytest.mark.parametrize("build", [_scalar_graph, _tensor_graph], ids=["scalar", "tensor"])
def test_forward_hook_sees_each_interior_node_in_creation_order(build):
    rec = Recorder()
    with recording(rec):
        leaves, nodes = build()
    assert rec.forward == nodes
    assert all(n not in rec.forward for n in leaves)


@pytest.mark.parametrize("build", [_scalar_graph, _tensor_graph], ids=["scalar", "tensor"])
def test_backward_hook_reports_total_gradient_and_unbroadcast_parent_grads(build):
    rec = Recorder()
    with recording(rec):
        leaves, nodes = build()
        nodes[-1].backward()
    processed = [r[0] for r in rec.backward]
    assert processed == list(reversed(toposort(nodes[-1])))
    for node, grad_out, parent_grads in rec.backward:
        assert len(parent_grads) == len(node._prev)
        np.testing.assert_array_equal(np.asarray(node.grad), np.asarray(grad_out))
        for parent, g in zip(node._prev, parent_grads, strict=True):
            assert np.shape(g) == np.shape(parent.data)
    # the leaves got the same gradients a sweep without recording gives
    recorded = [np.array(leaf.grad, copy=True) for leaf in leaves]
    leaves2, nodes2 = build()
    nodes2[-1].backward()
    for got, leaf in zip(recorded, leaves2, strict=True):
        np.testing.assert_allclose(got, leaf.grad, rtol=1e-15)


def test_no_nodes_are_reported_under_no_grad_and_the_previous_recorder_returns():
    outer, inner = Recorder(), Recorder()
    with recording(outer):
        a = Value(1.0)
        with no_grad():
            a * 2
        with recording(inner):
            b = a * 3
        c = a * 4
    assert outer.forward == [c] and inner.forward == [b]
    d = a * 5  # recording is over
    assert d not in outer.forward


def test_recording_is_per_thread():
    rec = Recorder()
    started, done = threading.Event(), threading.Event()

    def worker():
        with recording(rec):
            started.set()
            done.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    started.wait(5)
    Value(1.0) * 2  # another thread records; this one does not report
    Tensor([1.0], requires_grad=True) * 2
    done.set()
    thread.join()
    assert rec.forward == []


def test_parent_grads_hold_none_where_a_parent_needs_no_gradient():
    rec = Recorder()
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0])
    with recording(rec):
        (w * x).sum().backward()
    mul = [r for r in rec.backward if r[0]._op == "*"][0]
    assert mul[2][1] is None and mul[2][0].tolist() == [3.0, 4.0]

"""tinygrad_mlp.micrograd.engine: micrograd 0.1.0's Value, bug for bug, on our core.

Every number here comes from micrograd 0.1.0 run in the same test, from torch in
float64, or from the math written out in the test.
"""

from __future__ import annotations

import math
import sys

import pytest

from tinygrad_mlp import autograd
from tinygrad_mlp.micrograd import draw_dot, trace
from tinygrad_mlp.micrograd.engine import Value

micrograd_engine = pytest.importorskip("micrograd.engine")
MicroValue = micrograd_engine.Value


# --------------------------------------------------------------------------- micrograd's tests


def sanity_expression(x):
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    return h + q + q * x


def more_ops_expression(a, b):
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
    return g


def test_sanity_check_against_torch():
    torch = pytest.importorskip("torch")
    x = Value(-4.0)
    y = sanity_expression(x)
    y.backward()
    xt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    yt = sanity_expression(xt)
    yt.backward()
    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_more_ops_against_torch():
    torch = pytest.importorskip("torch")
    a, b = Value(-4.0), Value(2.0)
    g = more_ops_expression(a, b)
    g.backward()
    at = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    bt = torch.tensor([2.0], dtype=torch.float64, requires_grad=True)
    gt = more_ops_expression(at, bt)
    gt.backward()
    assert g.data == pytest.approx(gt.item(), rel=1e-12)
    assert a.grad == pytest.approx(at.grad.item(), rel=1e-12)
    assert b.grad == pytest.approx(bt.grad.item(), rel=1e-12)
    # micrograd's README numbers, to 4 decimals
    assert (round(g.data, 4), round(a.grad, 4), round(b.grad, 4)) == (24.7041, 138.8338, 645.5773)


def test_more_ops_same_as_micrograd():
    ours = Value(-4.0), Value(2.0)
    theirs = MicroValue(-4.0), MicroValue(2.0)
    g, h = more_ops_expression(*ours), more_ops_expression(*theirs)
    g.backward()
    h.backward()
    assert g.data == h.data  # the forward pass is the same float operations
    # NOTE: gradients summed from several consumers may differ in the last bit: the
    # order of the sum follows the topological order, which in micrograd depends on
    # set iteration (object addresses), so micrograd differs from run to run too.
    assert (ours[0].grad, ours[1].grad) == pytest.approx(
        (theirs[0].grad, theirs[1].grad), rel=1e-15
    )


# --------------------------------------------------------------------------- micrograd's semantics


def test_repr_and_python_number_types_follow_micrograd():
    for make in (Value, MicroValue):
        assert repr(make(2)) == "Value(data=2, grad=0)"
    a, m = Value(2) * 3, MicroValue(2) * 3
    assert repr(a) == repr(m) == "Value(data=6, grad=0)"
    assert type(a.data) is int
    r, rm = Value(-1.5).relu(), MicroValue(-1.5).relu()
    assert r.data == rm.data == 0 and type(r.data) is type(rm.data) is int
    a.backward()
    m.backward()
    assert repr(a) == repr(m) == "Value(data=6, grad=1)"


def test_interior_nodes_accumulate_across_backward_calls_as_in_micrograd():
    # micrograd's known wart: a = 2, c = (a*a)*3 backpropagated twice gives a.grad = 36.
    for make in (Value, MicroValue):
        a = make(2.0)
        sq = a * a
        c = sq * 3
        c.backward()
        assert (a.grad, sq.grad, c.grad) == (12.0, 3, 1)
        c.backward()
        # second sweep: sq.grad 3 -> 6 and a gets 2*a*6 = 24 on top of 12
        assert (a.grad, sq.grad, c.grad) == (36.0, 6, 1)


def test_lecture_a_plus_a_and_shared_nodes():
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    assert a.grad == 2
    a, b = Value(-2.0, label="a"), Value(3.0, label="b")
    d = a * b
    e = a + b
    f = d * e
    f.backward()
    # f = ab(a + b): df/da = b(a + b) + ab = -3, df/db = a(a + b) + ab = -8
    assert (a.grad, b.grad, d.grad, e.grad) == (-3.0, -8.0, 1.0, -6.0)


def test_prev_is_a_set_and_op_a_string_as_in_micrograd():
    a, b = Value(2.0), Value(3.0)
    ma, mb = MicroValue(2.0), MicroValue(3.0)
    for ours, theirs in (
        (a * a, ma * ma),
        (a + b, ma + mb),
        (a**2, ma**2),
        (a.relu(), ma.relu()),
        (a / b, ma / mb),
    ):
        assert type(ours._prev) is set
        assert len(ours._prev) == len(theirs._prev)
        assert sorted(v.data for v in ours._prev) == sorted(v.data for v in theirs._prev)
        assert ours._op == theirs._op
    assert a._prev == set() and a._op == ""
    assert (a * a)._prev == {a}
    assert Value(1.0, (a, b), "k")._prev == {a, b}


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda V: V(0.0) ** -1, ZeroDivisionError),
        (lambda V: V(2.0) ** V(3.0), AssertionError),
        (lambda V: 2 ** V(3.0), TypeError),
        (lambda V: V(1.0) / 0, ZeroDivisionError),
    ],
)
def test_raises_where_micrograd_raises(build, error):
    with pytest.raises(error):
        build(MicroValue)
    with pytest.raises(error):
        build(Value)


def test_lecture_ops_raise_where_python_floats_raise():
    with pytest.raises(OverflowError):
        Value(1000.0).exp()
    with pytest.raises(OverflowError):
        Value(400.0).tanh()  # the lecture's formula goes through exp(2x)
    assert Value(-400.0).tanh().data == -1.0


def test_constructor_takes_the_lectures_arguments():
    a = Value(2.0, label="a")
    c = Value(5.0, (a,), "custom", label="c")
    assert (c.data, c._op, c.label, c._prev) == (5.0, "custom", "c", {a})
    assert a.label == "a" and a.grad == 0
    assert c._backward() is None  # micrograd's default step does nothing


# --------------------------------------------------------------------------- the lecture


def lecture_neuron(Value):  # noqa: N803 -- the class under test, as the lecture names it
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    return dict(x1=x1, x2=x2, w1=w1, w2=w2, b=b, x1w1=x1w1, x2w2=x2w2, x1w1x2w2=x1w1x2w2, n=n)


def lecture_tanh(x: float) -> float:
    return (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)


def expected_neuron_grads() -> dict[str, float]:
    n = 2.0 * -3.0 + 0.0 * 1.0 + 6.8813735870195432
    dn = 1 - lecture_tanh(n) ** 2  # do/dn = 1 - o**2
    return dict(n=dn, b=dn, x1w1=dn, x2w2=dn, x1=-3.0 * dn, w1=2.0 * dn, x2=1.0 * dn, w2=0.0)


def test_lecture_manual_backward_node_by_node():
    v = lecture_neuron(Value)
    o = v["n"].tanh()
    o.label = "o"
    assert o.data == 0.7071067811865476  # the lecture's printed value
    o.grad = 1.0
    o._backward()
    v["n"]._backward()
    v["b"]._backward()  # a leaf: nothing to do
    v["x1w1x2w2"]._backward()
    v["x2w2"]._backward()
    v["x1w1"]._backward()
    expected = expected_neuron_grads()
    assert expected["n"] == 0.4999999999999999  # the lecture's 1 - o.data**2
    assert {k: v[k].grad for k in expected} == expected


def test_lecture_reverse_topological_loop_and_backward_agree():
    v = lecture_neuron(Value)
    o = v["n"].tanh()
    topo, visited = [], set()

    def build_topo(node):
        if node not in visited:
            visited.add(node)
            for child in node._prev:
                build_topo(child)
            topo.append(node)

    build_topo(o)
    assert len(topo) == 10  # the lecture's list: 5 leaves, 4 interior values, o
    o.grad = 1.0
    for node in reversed(topo):
        node._backward()
    by_hand = {k: v[k].grad for k in expected_neuron_grads()}
    w = lecture_neuron(Value)
    w["n"].tanh().backward()
    assert {k: w[k].grad for k in by_hand} == by_hand == expected_neuron_grads()


def test_lecture_tanh_through_exp_matches_tanh():
    v = lecture_neuron(Value)
    e = (2 * v["n"]).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == pytest.approx(0.7071067811865476, rel=1e-15)
    for k, g in expected_neuron_grads().items():
        assert v[k].grad == pytest.approx(g, rel=1e-12, abs=1e-15), k


def test_hand_written_op_and_assigned_backward_run_in_backward():
    # the lecture's style of writing an op: a node from the constructor and a closure
    def cube(self):
        out = Value(self.data**3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data**2 * out.grad

        out._backward = _backward
        return out

    def cube_micrograd(self):
        out = MicroValue(self.data**3, (self,), "cube")

        def _backward():
            self.grad += 3 * self.data**2 * out.grad

        out._backward = _backward
        return out

    x, mx = Value(1.5), MicroValue(1.5)
    y = cube(x * 2) + x
    my = cube_micrograd(mx * 2) + mx
    y.backward()
    my.backward()
    # y = (2x)**3 + x: dy/dx = 24 x**2 + 1 = 55
    assert x.grad == mx.grad == 55.0
    assert y._op == "+" and {n._op for n in y._prev} == {"cube", ""}


def test_assigned_backward_replaces_an_ops_rule():
    x = Value(3.0)
    y = x * 2
    calls = []

    def halved():
        calls.append(1)
        x.grad += 0.5 * y.grad

    y._backward = halved
    assert y._backward is halved
    (y + 0).backward()
    assert calls == [1] and x.grad == 0.5


def test_subclass_adding_an_op_works():
    class Sigmoid(Value):
        def sigmoid(self):
            s = 1 / (1 + math.exp(-self.data))
            out = Sigmoid(s, (self,), "sigmoid")

            def _backward():
                self.grad += s * (1 - s) * out.grad

            out._backward = _backward
            return out

    a = Sigmoid(0.0)
    (a.sigmoid() * 4).backward()
    assert a.grad == 1.0  # 4 * s(0) * (1 - s(0))


def test_ten_thousand_deep_chain_backpropagates():
    x = Value(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    expected = 1.0
    for _ in range(10_000):
        expected *= 1.0001
    assert x.grad == expected
    assert sys.getrecursionlimit() < 10_000 * 2  # so the chain is deeper than recursion allows


def test_micrograd_itself_fails_on_the_deep_chain():
    # the reason for the iterative order: micrograd's recursive build_topo overflows
    x = MicroValue(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    with pytest.raises(RecursionError):
        y.backward()


def test_core_toposort_lists_interior_nodes_parents_first():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d.relu()
    order = autograd.toposort(e)
    assert order == [c, d, e]


# --------------------------------------------------------------------------- drawing


def expected_dot_graph(root):
    """Node names and edges of micrograd's trace_graph drawing, from the graph itself."""
    nodes, edges = set(), set()
    for v in autograd.walk(root):
        uid = str(id(v))
        nodes.add(uid)
        if v._op:
            nodes.add(uid + v._op)
            edges.add((uid + v._op, uid))
        for child in v._prev:
            edges.add((str(id(child)), uid + v._op))
    return nodes, edges


def parse_dot(dot):
    nodes, edges = set(), set()
    for line in dot.body:
        line = line.strip()
        if "->" in line:
            left, right = line.split(" -> ")
            edges.add((left.strip('"'), right.split(" [")[0].strip().strip('"')))
        else:
            nodes.add(line.split(" [")[0].strip('"'))
    return nodes, edges


def test_draw_dot_has_micrograds_nodes_and_edges():
    x = Value(1.0)
    y = (x * 2 + 1).relu()
    y.backward()
    dot = draw_dot(y)
    assert parse_dot(dot) == expected_dot_graph(y)
    assert dot.format == "svg" and dot.graph_attr["rankdir"] == "LR"
    labels = sorted(line for line in dot.body if "record" in line)
    assert len(labels) == 6  # x, 2, x*2, 1, x*2 + 1, y
    assert draw_dot(y, format="png", rankdir="TB").graph_attr["rankdir"] == "TB"


def test_draw_dot_records_match_micrograd_graph_and_lecture_labels():
    v = lecture_neuron(Value)
    o = v["n"].tanh()
    o.label = "o"
    o.backward()
    dot = draw_dot(o)
    nodes, edges = parse_dot(dot)
    assert (nodes, edges) == expected_dot_graph(o)
    assert len([n for n in nodes if n.isdigit()]) == 10 and len(edges) == 14
    body = "\n".join(dot.body)
    assert "{ o | data 0.7071 | grad 1.0000 }" in body
    assert "{ x1 | data 2.0000 | grad -1.5000 }" in body
    # the same expression in micrograd draws the same records (unlabelled values)
    x = Value(1.0)
    mx = MicroValue(1.0)
    ours, theirs = trace((x * 2 + 1).relu() * x)[0], trace((mx * 2 + 1).relu() * mx)[0]
    assert sorted((n.data, n._op) for n in ours) == sorted((n.data, n._op) for n in theirs)


def test_draw_dot_rejects_an_unknown_rankdir():
    with pytest.raises(ValueError, match="rankdir"):
        draw_dot(Value(1.0), rankdir="RL")


def test_project_draw_graph_accepts_these_values():
    from tinygrad_mlp.viz import draw_graph

    v = lecture_neuron(Value)
    o = v["n"].tanh()
    o.label = "o"
    o.backward()
    dot = draw_graph(o, edge_derivatives=True)
    source = dot.source
    assert source.count("shape=plain") == 10  # one box per value
    assert "<b>o</b></td><td>data 0.7071</td><td>grad 1</td>" in source
    assert '[label="∂=0.5"]' in source  # tanh's local derivative 1 - o**2
    # a hand-written op has no rule to read a derivative from; it is drawn without one
    a = Value(2.0)
    c = Value(4.0, (a,), "dbl")
    assert draw_graph(c, edge_derivatives=True).source.count("->") == 2

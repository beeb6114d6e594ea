"""Value: each op's forward and gradient, and the graph semantics users rely on."""

from __future__ import annotations

import math
import warnings

import pytest
from hypothesis import given

from tests.strategies import away_from, floats, positive
from tinygrad_mlp import Value, no_grad

# (name, our op on Values, the same function on floats, strategies for the arguments)
UNARY = [
    ("neg", lambda a: -a, lambda a: -a, floats()),
    ("exp", lambda a: a.exp(), math.exp, floats()),
    ("log", lambda a: a.log(), math.log, positive),
    ("tanh", lambda a: a.tanh(), math.tanh, floats()),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: 1 / (1 + math.exp(-a)), floats()),
    ("relu", lambda a: a.relu(), lambda a: max(a, 0.0), away_from(0.0)),
    ("square", lambda a: a**2, lambda a: a**2, floats()),
    ("cube", lambda a: a**3, lambda a: a**3, floats()),
    ("inverse", lambda a: a**-1, lambda a: 1 / a, away_from(0.0, 0.2)),
    ("sqrt", lambda a: a**0.5, math.sqrt, positive),
    ("radd", lambda a: 2.5 + a, lambda a: 2.5 + a, floats()),
    ("rsub", lambda a: 2.5 - a, lambda a: 2.5 - a, floats()),
    ("rmul", lambda a: 2.5 * a, lambda a: 2.5 * a, floats()),
    ("rtruediv", lambda a: 2.5 / a, lambda a: 2.5 / a, away_from(0.0, 0.2)),
    ("rpow", lambda a: 2.5**a, lambda a: 2.5**a, floats()),
]
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, floats(), floats()),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, floats(), floats()),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, floats(), floats()),
    ("div", lambda a, b: a / b, lambda a, b: a / b, floats(), away_from(0.0, 0.2)),
    ("pow", lambda a, b: a**b, lambda a, b: a**b, positive, floats()),
]


def central_difference(f, args, k, h=1e-6):
    plus, minus = list(args), list(args)
    plus[k] += h
    minus[k] -= h
    return (f(*plus) - f(*minus)) / (2 * h)


def check_against_finite_differences(op, reference, args):
    values = [Value(a) for a in args]
    out = op(*values)
    assert out.data == pytest.approx(reference(*args), rel=1e-12, abs=1e-12)
    out.backward()
    for k, v in enumerate(values):
        expected = central_difference(reference, args, k)
        assert v.grad == pytest.approx(expected, rel=1e-5, abs=1e-6), f"d/d arg{k}"


@pytest.mark.parametrize("name, op, reference, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_op_grad_matches_finite_difference(name, op, reference, domain):
    @given(domain)
    def check(a):
        check_against_finite_differences(op, reference, [a])

    check()


@pytest.mark.parametrize("name, op, reference, da, db", BINARY, ids=[b[0] for b in BINARY])
def test_binary_op_grad_matches_finite_difference(name, op, reference, da, db):
    @given(da, db)
    def check(a, b):
        check_against_finite_differences(op, reference, [a, b])

    check()


def test_same_node_twice_gets_both_paths():
    a = Value(3.0)
    (a + a).backward()
    assert a.grad == 2.0
    b = Value(3.0)
    (b * b).backward()
    assert b.grad == 6.0


def test_two_backward_calls_sum_on_leaves_without_stale_interior_grads():
    # micrograd gives 36 here: its interior node keeps the first pass's grad.
    a = Value(2.0)
    c = (a * a) * 3
    c.backward()
    assert a.grad == 12.0
    c.backward()
    assert a.grad == 24.0
    a.zero_grad()
    c.backward()
    assert a.grad == 12.0


def test_interior_node_holds_this_pass_gradient():
    a = Value(2.0)
    b = a * a
    c = b * 3
    c.backward()
    c.backward()
    assert b.grad == 3.0


def test_unused_leaf_keeps_zero_grad():
    a, b = Value(1.0), Value(5.0)
    (a * 2).backward()
    assert b.grad == 0.0


def test_relu_derivative_at_zero_is_zero():
    a = Value(0.0)
    a.relu().backward()
    assert a.grad == 0.0


def test_log_of_zero_is_minus_inf():
    assert Value(0.0).log().data == -math.inf
    assert math.isnan(Value(-1.0).log().data)


def test_exp_overflow_gives_inf():
    assert Value(1000.0).exp().data == math.inf


def test_sigmoid_saturates_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert Value(-1000.0).sigmoid().data == 0.0
        assert Value(1000.0).sigmoid().data == 1.0


def test_value_exponent_gradient_at_negative_base_is_nan_as_torch():
    a, b = Value(-2.0), Value(2.0)
    (a**b).backward()
    assert a.grad == pytest.approx(-4.0)
    assert math.isnan(b.grad)


def test_no_grad_builds_no_graph():
    a = Value(2.0)
    with no_grad():
        b = (a * 3).tanh()
    assert b._prev == () and b._fn is None
    c = a * 3
    assert c._prev == (a, c._prev[1])


def test_no_grad_restores_state_after_exception():
    a = Value(2.0)
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert (a * 3)._prev != ()


def test_repr_shows_label_data_and_grad():
    assert repr(Value(1.5, label="w")) == "Value(w, data=1.5, grad=0)"
    assert repr(Value(2.0)) == "Value(data=2, grad=0)"


def test_op_symbols_read_like_micrograd():
    a = Value(2.0)
    assert (a + 1)._op == "+" and (a * 2)._op == "*" and (a**2)._op == "**2"
    assert a.relu()._op == "ReLU" and a._op == ""


def test_unsupported_exponent_type_is_a_type_error():
    with pytest.raises(TypeError, match="not supported"):
        Value(2.0) ** "x"

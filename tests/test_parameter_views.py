"""The scalar engine's parameter views: they follow the layer's current tensor, touch only
their own elements, and take gradients as torch or micrograd users assign them."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP, Layer, Linear

X = [0.3, -0.7]
Z = [0.25]


def _scalar_grads(net: MLP) -> list[np.ndarray]:
    net.zero_grad()
    mse(net(X), Z).backward()
    return [p.grad.copy() for p in net.parameters()]


def _tensor_grads(net: MLP) -> list[np.ndarray]:
    net.zero_grad()
    mse(net(np.array([X])), np.array([Z])).backward()
    return [p.grad.copy() for p in net.parameters()]


def test_replacing_a_weight_tensor_keeps_both_engines_on_the_new_numbers():
    net = MLP(2, [3, 1], activation="tanh", seed=0)
    new = np.arange(6.0).reshape(3, 2) / 10
    net.layers[0].weight = Tensor(new, requires_grad=True)
    scalar = np.array([v.data for v in net(X)])
    tensor = net(np.array([X])).data[0]
    np.testing.assert_allclose(scalar, tensor, rtol=0, atol=1e-15)
    assert net.layers[0].neurons[2].w[1].data == new[2, 1]
    assert net.parameters()[0] is net.layers[0].weight
    for a, b in zip(_scalar_grads(net), _tensor_grads(net), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-14)


def test_views_keep_the_sheet_labels_after_the_tensor_is_replaced():
    net = MLP(2, [3, 1], seed=0)
    net.layers[0].weight = Tensor(np.zeros((3, 2)), requires_grad=True)
    assert net.layers[0].neurons[2].w[1].label == "wh[0][2][1]"
    assert net.layers[0].weight.label == "wh[0]"


def test_a_weight_of_another_shape_gets_new_neurons():
    layer = Layer(2, 3, seed=0)
    before = layer.neurons
    assert layer.neurons is before  # views keep their identity while the shape holds
    layer.weight = Tensor(np.ones((4, 2)), requires_grad=True)
    layer.bias = Tensor(np.zeros(4), requires_grad=True)
    assert len(layer.neurons) == 4 and layer.neurons is not before
    assert len(layer([1.0, 1.0])) == 4


def test_a_neurons_zero_grad_touches_its_own_row_only():
    net = MLP(2, [3, 1], seed=1)
    mse(net(X), Z).backward()
    layer = net.layers[0]
    weight_before, bias_before = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.neurons[1].zero_grad()
    assert np.all(layer.weight.grad[1] == 0) and layer.bias.grad[1] == 0
    np.testing.assert_array_equal(layer.weight.grad[[0, 2]], weight_before[[0, 2]])
    np.testing.assert_array_equal(layer.bias.grad[[0, 2]], bias_before[[0, 2]])
    assert np.any(weight_before[[0, 2]] != 0)


def test_micrograd_habit_grad_equals_zero_on_tensors_then_scalar_backward():
    net = MLP(2, [3, 1], seed=2)
    expected = _scalar_grads(net)
    for p in net.parameters():
        p.grad = 0.0
    mse(net(X), Z).backward()
    for a, p in zip(expected, net.parameters(), strict=True):
        assert isinstance(p.grad, np.ndarray) and p.grad.shape == p.shape
        np.testing.assert_array_equal(a, p.grad)


def test_micrograd_habit_on_the_views_themselves():
    net = MLP(2, [3, 1], seed=2)
    expected = _scalar_grads(net)
    for neuron in (n for layer in net.layers for n in layer.neurons):
        for v in neuron.parameters():
            v.grad = 0.0
    mse(net(X), Z).backward()
    for a, p in zip(expected, net.parameters(), strict=True):
        np.testing.assert_array_equal(a, p.grad)


def test_a_gradient_of_the_wrong_shape_is_one_sentence_naming_the_parameter():
    net = MLP(2, [3, 1], seed=0)
    net.layers[0].weight.grad = np.zeros((2, 3))
    with pytest.raises(ValueError, match=r"wh\[0\]\[\d\]\[\d\]\.grad has shape \(2, 3\) but"):
        mse(net(X), Z).backward()


def test_view_gradient_takes_a_number_or_a_value_and_refuses_other_things():
    layer = Linear(2, 2, seed=0)
    view = layer.neurons[1].w[0]
    view.grad = 3
    assert layer.weight.grad[1, 0] == 3.0 and view.grad == 3.0
    with pytest.raises(TypeError, match="is one number or a Value"):
        view.grad = np.ones(2)


def test_a_gradient_that_is_a_node_is_kept_and_its_number_reaches_the_tensor():
    layer = Linear(2, 2, seed=0)
    view = layer.neurons[0].w[1]
    a = Value(2.0)
    view.grad = view.grad + a * 3.0  # the create_graph sweep: leaf.grad = old + g
    assert isinstance(view.grad, Value) and view.grad.data == 6.0
    assert layer.weight.grad[0, 1] == 6.0
    view.grad.backward()  # the node is differentiable: d(6)/da = 3
    assert a.grad == 3.0
    layer.zero_grad()
    assert view.grad == 0.0 and not isinstance(view.grad, Value)


def test_a_stale_node_is_not_returned_after_another_write():
    layer = Linear(1, 1, seed=0)
    view = layer.neurons[0].w[0]
    view.grad = Value(1.5)
    layer.weight.grad[0, 0] = 4.0
    assert view.grad == 4.0 and not isinstance(view.grad, Value)


def test_assigning_a_non_tensor_to_a_parameter_is_refused():
    layer = Linear(2, 1, seed=0)
    with pytest.raises(TypeError, match="cannot assign ndarray as parameter 'weight' of Linear"):
        layer.weight = np.zeros((1, 2))
    computed = layer.weight * 2
    with pytest.raises(TypeError, match="cannot assign a computed Tensor as parameter 'weight'"):
        layer.weight = computed
    layer.bias = None  # allowed, as torch
    assert [name for name, _ in layer.named_parameters()] == ["weight"]


def test_parameter_values_of_a_module_of_ones_own_follow_the_current_tensor():
    from tinygrad_mlp.nn import Module

    class Gain(Module):
        def __init__(self):
            self.g = Tensor([1.0, 2.0], requires_grad=True)
            self.note = Tensor([0.0])

    m = Gain()
    views = m.parameter_values("g")
    assert m.parameter_values("g") is views and views[1].label == "g[1]"
    m.g = Tensor([5.0, 6.0], requires_grad=True)
    assert views[1].data == 6.0 and m.parameter_values("g") is views
    (views[0] * 2.0).backward()
    assert m.g.grad.tolist() == [2.0, 0.0]
    with pytest.raises(ValueError, match="'note' is not a parameter of Gain"):
        m.parameter_values("note")

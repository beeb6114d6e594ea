"""The eager tensor step's fast paths give the numbers of the formulas they shortcut.

Each fast path (relu's bit mask, tanh's and sigmoid's reused temporaries, SGD's kept
buffer, the node builders, a layer's forward) is checked against the plain numpy
expression of its rule, bit for bit, on the inputs where a shortcut could differ:
signed zeros, infinities, nan, float32, arrays large enough to take the fast path.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tinygrad_mlp import Tensor, grad, no_grad
from tinygrad_mlp.nn import MLP, Layer
from tinygrad_mlp.ops.arithmetic import LARGE_BYTES, Relu, Sigmoid, Tanh
from tinygrad_mlp.optim import SGD
from tinygrad_mlp.tensor import half_squared_error

FLOATS = [np.float64, np.float32, np.float16]


def bits(a: np.ndarray) -> bytes:
    """The array's bytes in C order: equal bits, signed zeros and nan payloads included."""
    return np.ascontiguousarray(a).tobytes()


def relu_gradient_by_definition(g: np.ndarray, a: np.ndarray) -> np.ndarray:
    """torch's threshold_backward element by element: g where a > 0 (or a is nan), +0 else."""
    out = np.empty_like(g)
    for k in np.ndindex(g.shape):
        out[k] = 0.0 if a[k] <= 0 else g[k]
    return out


@pytest.mark.parametrize("dtype", FLOATS)
def test_relu_gradient_is_the_masked_gradient_bit_for_bit(dtype):
    a = np.array([-1.0, -0.0, 0.0, 2.0, np.nan, 3.0, -np.inf, np.inf], dtype=dtype)
    g = np.array([np.inf, -np.inf, np.nan, -1.0, -2.0, -0.0, -3.0, np.nan], dtype=dtype)
    (got,) = Relu().backward(g, np.maximum(a, 0), a)
    want = relu_gradient_by_definition(g, a)
    assert got.dtype == dtype and bits(got) == bits(want)
    # a negative gradient where the mask is off gives +0, not the −0 of g · 0
    assert not np.signbit(got[0]) and not np.signbit(got[1])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relu_gradient_of_strided_and_large_arrays_through_the_graph(dtype):
    rng = np.random.default_rng(3)
    a = rng.normal(size=(300, 200)).astype(dtype)
    g = rng.normal(size=(200, 300)).astype(dtype).T  # a transposed (strided) gradient
    t = Tensor(a, requires_grad=True)
    t.relu().backward(g)
    assert t.grad.dtype == dtype
    assert bits(t.grad) == bits(relu_gradient_by_definition(g, a))


def test_relu_gradient_of_a_0d_tensor():
    t = Tensor(-1.5, requires_grad=True)
    t.relu().backward()
    assert t.grad.shape == () and t.grad.item() == 0.0 and not np.signbit(t.grad)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("rows", [4, 200])  # below and above LARGE_BYTES
def test_tanh_and_sigmoid_gradients_are_their_formulas_bit_for_bit(dtype, rows):
    rng = np.random.default_rng(rows)
    a = rng.normal(scale=3, size=(rows, 100)).astype(dtype)
    g = rng.normal(size=(rows, 100)).astype(dtype)
    assert (a.nbytes >= LARGE_BYTES) == (rows == 200)
    y = np.tanh(a)
    (got,) = Tanh().backward(g, y, a)
    assert got.dtype == dtype and bits(got) == bits(g * (1 - y * y))
    s = 1 / (1 + np.exp(-a.astype(np.float64))).astype(dtype)
    (got,) = Sigmoid().backward(g, s, a)
    assert got.dtype == dtype and bits(got) == bits(g * s * (1 - s))


def test_large_rules_never_write_into_their_inputs():
    rng = np.random.default_rng(0)
    y, g = np.tanh(rng.normal(size=(200, 100))), rng.normal(size=(200, 100))
    y0, g0 = y.copy(), g.copy()
    for op in (Tanh(), Sigmoid()):
        (out,) = op.backward(g, y, y)
        assert out is not g and out is not y
    assert bits(y) == bits(y0) and bits(g) == bits(g0)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("lr", [0.01, np.float64(0.01)])
def test_sgd_step_is_p_minus_lr_g_for_large_parameters(dtype, lr):
    rng = np.random.default_rng(1)
    shape = (150, 120)  # 2 parameters of one shape (one kept buffer), above 64 KiB
    ps = [Tensor(rng.normal(size=shape).astype(dtype), requires_grad=True) for _ in range(2)]
    opt = SGD(ps, lr=lr)
    for _ in range(3):
        before = [p.data.copy() for p in ps]
        for p in ps:
            p.grad = rng.normal(size=shape).astype(dtype)
        opt.step()
        for p, p0 in zip(ps, before, strict=True):
            want = p0.copy()
            want -= lr * p.grad  # numpy's own in-place update, its dtype rules included
            assert p.data.dtype == dtype and bits(p.data) == bits(want)
    assert opt.state_dict()["state"] == {}


def test_sgd_step_of_a_large_strided_gradient():
    rng = np.random.default_rng(2)
    p = Tensor(rng.normal(size=(200, 150)), requires_grad=True)
    p0 = p.data.copy()
    p.grad = np.asfortranarray(rng.normal(size=(200, 150)))
    SGD([p], lr=0.5).step()
    assert bits(p.data) == bits(p0 - 0.5 * p.grad)


def test_a_float_array_becomes_a_tensor_without_a_copy_and_others_are_converted():
    a32 = np.ones(3, dtype=np.float32)
    assert Tensor(a32).data is a32 and Tensor(a32, dtype=a32.dtype).data is a32
    assert Tensor(a32, dtype=np.float64).data.dtype == np.float64
    ints = np.arange(3)
    assert Tensor(ints).data.dtype == np.float64
    assert Tensor(np.array([True])).data.dtype == np.bool_


def test_nodes_of_one_and_two_parents_in_every_mode():
    x = Tensor([1.0, -2.0], requires_grad=True)
    c = Tensor([3.0, 4.0])
    for node in (x + c, x * c, x - c, x.tanh(), x.relu(), x.exp()):
        assert node.requires_grad and node._fn is not None and node.grad is None
        assert node.label == "" and node._version == 0 and x in node._prev
    for node in (c + c, c.tanh()):
        assert not node.requires_grad and node._fn is None and node._prev == ()
    with no_grad():
        for node in (x + c, x.tanh()):
            assert not node.requires_grad and node._fn is None and node._prev == ()
    y = x * c
    assert y._fn.needs == (True, False)
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_a_0d_backward_seed_is_one_of_the_outputs_dtype():
    for dtype in (np.float64, np.float32):
        x = Tensor(np.array([2.0], dtype=dtype), requires_grad=True)
        loss = (x * x).sum()
        loss.backward()
        assert loss.grad.shape == () and loss.grad.dtype == dtype and loss.grad.item() == 1.0
        assert x.grad.tolist() == [4.0]
        y = x * x  # one element of shape (1,): the seed takes that shape
        y.backward()
        assert y.grad.shape == (1,) and y.grad.tolist() == [1.0]


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu", "linear"])
def test_a_layers_tensor_forward_is_one_matmul_one_add_one_activation(activation):
    layer = Layer(3, 2, activation=activation, seed=0)
    x = np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -0.5]])
    out = layer(x)
    assert out.module is layer
    s = x @ layer.weight.data.T + layer.bias.data
    want = {
        "tanh": np.tanh(s),
        "sigmoid": 1 / (1 + np.exp(-s)),
        "relu": np.maximum(s, 0),
        "linear": s,
    }[activation]
    assert np.allclose(out.data, want, rtol=1e-15, atol=0)
    node, ops = out, []
    while node._fn is not None:
        ops.append(node._op)
        node = node._prev[0]
    assert ops == ([] if activation == "linear" else [out._op]) + ["+", "@ᵀ"]
    with pytest.raises(ValueError, match="takes 3 inputs per sample"):
        layer(np.ones((2, 4)))


def test_a_layer_without_the_activations_method_says_so():
    layer = Layer(2, 1, activation="relu", seed=0)
    layer.activation = "no_such_function"
    with pytest.raises(ValueError, match="has no function on the engines"):
        layer(np.ones((1, 2)))


def test_an_mlp_step_matches_the_hand_written_step():
    """Forward, ½-sum mse, backward and SGD against numpy written out (tanh network)."""
    rng = np.random.default_rng(7)
    x, z = rng.uniform(-1, 1, (32, 2)), rng.uniform(0, 1, (32, 1))
    net = MLP(2, [16, 16, 1], activation="tanh", seed=0)
    ws = [layer.weight.data.copy() for layer in net.layers]
    bs = [layer.bias.data.copy() for layer in net.layers]
    opt = SGD(net.parameters(), lr=0.01)
    opt.zero_grad()
    y = net(x)
    loss = ((y - Tensor(z)) ** 2).sum() * 0.5
    loss.backward()
    opt.step()
    acts = [x]
    for w, b in zip(ws, bs, strict=True):
        acts.append(np.tanh(acts[-1] @ w.T + b))
    assert math.isclose(loss.item(), 0.5 * np.sum((acts[-1] - z) ** 2), rel_tol=1e-14)
    grad = acts[-1] - z
    for k in reversed(range(3)):
        delta = grad * (1 - acts[k + 1] ** 2)
        grad_w, grad_b = delta.T @ acts[k], delta.sum(axis=0)
        grad = delta @ ws[k]
        assert np.allclose(net.layers[k].weight.data, ws[k] - 0.01 * grad_w, rtol=1e-13, atol=0)
        assert np.allclose(net.layers[k].bias.data, bs[k] - 0.01 * grad_b, rtol=1e-13, atol=0)


def test_half_squared_error_gradients_on_a_seed_a_second_sweep_and_a_graph():
    y = Tensor([1.0, 2.0, -3.0], requires_grad=True)
    z = Tensor([0.5, 0.0, -3.5], requires_grad=True)
    loss = half_squared_error(y, z)
    assert loss.item() == 0.5 * (0.25 + 4.0 + 0.25)
    loss.backward()
    assert y.grad.tolist() == [0.5, 2.0, 0.5] and z.grad.tolist() == [-0.5, -2.0, -0.5]
    y.grad *= 10  # the leaf owns its gradient: the next sweep's y - z is not touched
    loss.backward(np.array(2.0))
    assert y.grad.tolist() == [6.0, 24.0, 6.0] and z.grad.tolist() == [-1.5, -6.0, -1.5]
    (g,) = grad(half_squared_error(y, z) * 3.0, y, create_graph=True)
    assert g.tolist() == [1.5, 6.0, 1.5] and g.requires_grad

"""The scalar and the tensor engine give the same gradients on the same network."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import activations, layer_sizes, seeds
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP


@settings(max_examples=40)
@given(nin=st.integers(1, 4), sizes=layer_sizes, act=activations, out_act=activations, seed=seeds)
def test_scalar_and_tensor_gradients_agree(nin, sizes, act, out_act, seed):
    rng = np.random.default_rng(seed)
    net = MLP(nin, sizes, activation=act, output_activation=out_act, seed=rng)
    x = rng.uniform(-1, 1, nin)
    z = rng.uniform(-1, 1, sizes[-1])
    scalar_loss = mse(net([float(v) for v in x]), [float(v) for v in z])
    scalar_loss.backward()
    scalar = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    tensor_loss = mse(net(x[None, :]), z[None, :])
    tensor_loss.backward()
    assert abs(scalar_loss.data - tensor_loss.item()) <= 1e-12
    for a, p in zip(scalar, net.parameters(), strict=True):
        np.testing.assert_allclose(a, p.grad, rtol=0, atol=1e-12)


def test_engines_agree_at_every_singular_point_of_the_shared_ops():
    import math

    from tests.tensor_ops import SCALAR, grid, same_class
    from tinygrad_mlp import Tensor, Value

    for op in SCALAR:
        if not op.singular:
            continue
        arrays = grid(op)
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        with np.errstate(all="ignore"):
            out = op.ours(*leaves)
            out.backward(np.ones(out.shape))
        values, grads = [], [[] for _ in arrays]
        for point in zip(*arrays, strict=True):
            scalars = [Value(float(x)) for x in point]
            y = op.scalar(*scalars)
            y.backward()
            values.append(y.data)
            for k, s in enumerate(scalars):
                grads[k].append(s.grad)
        assert all(isinstance(v, float) for v in values), op.name
        same_class(np.array(values), out.data, 1e-12, 1e-15, f"{op.name} forward")
        for k, t in enumerate(leaves):
            same_class(np.array(grads[k]), t.grad, 1e-12, 1e-15, f"{op.name} d/d input {k}")
        assert not any(math.isnan(v) for v in values) or np.isnan(out.data).any()

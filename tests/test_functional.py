"""Higher-order API: create_graph, grad(), custom ops, functional helpers, MLP Hessians.

References: torch.autograd.functional (float64) and central differences of our
own first-order gradient. Tolerances: rtol 1e-10, atol 1e-12 against torch
(atol 1e-10 for bce, whose second derivative torch bounds with its own eps);
rtol 1e-5, atol 1e-7 against central differences (h = 1e-6).
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Op, Tensor, Value, grad
from tinygrad_mlp import functional as Fn
from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy, mse, mse_mean
from tinygrad_mlp.tensor import linear

torch = pytest.importorskip("torch")
TF = torch.nn.functional

ACTIVATIONS = ["sigmoid", "tanh", "relu", "linear"]
LOSSES = ["mse", "mse_mean", "bce", "bce_with_logits", "cross_entropy"]


def _act(x, name):
    return x if name == "linear" else getattr(x, name)()


def _data(loss, rng, classes=3):
    x = rng.uniform(-1, 1, (4, 2))
    if loss == "cross_entropy":
        return x, np.array([0, 2, 1, 2])
    z = rng.uniform(0, 1, (4, 1)) if loss != "bce_with_logits" else (rng.uniform(size=(4, 1)) > 0.5)
    return x, z.astype(np.float64)


def _outputs(loss):
    return 3 if loss == "cross_entropy" else 1


def ours_loss(act, loss, x, z):
    def f(w1, b1, w2, b2):
        h = _act(linear(Tensor(x), w1, b1), act)
        s = linear(h, w2, b2)
        if loss == "mse":
            return mse(s, z)
        if loss == "mse_mean":
            return mse_mean(s, z)
        if loss == "bce":
            return bce(s.sigmoid(), z)
        if loss == "bce_with_logits":
            return bce_with_logits(s, z)
        return cross_entropy(s, z)

    return f


def torch_loss(act, loss, x, z):
    def f(w1, b1, w2, b2):
        h = TF.linear(torch.tensor(x), w1, b1)
        h = h if act == "linear" else getattr(torch, act)(h)
        s = TF.linear(h, w2, b2)
        if loss == "mse":
            return 0.5 * ((s - torch.tensor(z)) ** 2).sum()
        if loss == "mse_mean":
            return TF.mse_loss(s, torch.tensor(z))
        if loss == "bce":
            return TF.binary_cross_entropy(s.sigmoid(), torch.tensor(z))
        if loss == "bce_with_logits":
            return TF.binary_cross_entropy_with_logits(s, torch.tensor(z))
        return TF.cross_entropy(s, torch.tensor(z))

    return f


def _params(rng, outputs):
    return [
        rng.uniform(-1, 1, (3, 2)),
        rng.uniform(-1, 1, 3),
        rng.uniform(-1, 1, (outputs, 3)),
        rng.uniform(-1, 1, outputs),
    ]


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("act", ACTIVATIONS)
def test_mlp_loss_hessian_matches_torch_functional_hessian(act, loss):
    rng = np.random.default_rng(ACTIVATIONS.index(act) * 10 + LOSSES.index(loss))
    x, z = _data(loss, rng)
    params = _params(rng, _outputs(loss))
    ours = Fn.hessian(ours_loss(act, loss, x, z), tuple(Tensor(p) for p in params))
    theirs = torch.autograd.functional.hessian(
        torch_loss(act, loss, x, z), tuple(torch.tensor(p) for p in params)
    )
    for i in range(4):
        for j in range(4):
            np.testing.assert_allclose(
                ours[i][j].data,
                theirs[i][j].numpy(),
                rtol=1e-10,
                atol=1e-10 if loss == "bce" else 1e-12,  # NOTE: torch's bce eps, see higher-order
                err_msg=f"block ({i}, {j})",
            )


@pytest.mark.parametrize("act", ["sigmoid", "tanh"])
def test_mlp_loss_hessian_matches_central_differences_of_the_gradient(act):
    rng = np.random.default_rng(1)
    x, z = _data("mse", rng)
    params = _params(rng, 1)
    f = ours_loss(act, "mse", x, z)
    flat = np.concatenate([p.ravel() for p in params])
    sizes = [p.size for p in params]

    def gradient(v):
        parts = np.split(v, np.cumsum(sizes)[:-1])
        leaves = [
            Tensor(p.reshape(q.shape), requires_grad=True)
            for p, q in zip(parts, params, strict=True)
        ]
        f(*leaves).backward()
        return np.concatenate([t.grad.ravel() for t in leaves])

    h = 1e-6
    expected = np.stack(
        [(gradient(flat + h * e) - gradient(flat - h * e)) / (2 * h) for e in np.eye(flat.size)]
    )
    ours = Fn.hessian(lambda *ps: f(*ps), tuple(Tensor(p) for p in params))
    full = np.block(
        [[ours[i][j].data.reshape(sizes[i], sizes[j]) for j in range(4)] for i in range(4)]
    )
    np.testing.assert_allclose(full, expected, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu"])
def test_scalar_engine_mlp_hessian_matches_torch(act):
    rng = np.random.default_rng(5)
    x, z = [0.3, -0.8], 0.6
    w = rng.uniform(-1, 1, 9).tolist()  # 2x2 hidden weights, 2 biases, 2 output weights, 1 bias

    def net(lib, ps):
        h = []
        for j in range(2):
            s = ps[2 * j] * x[0] + ps[2 * j + 1] * x[1] + ps[4 + j]
            h.append(s if act == "linear" else getattr(s, act)())
        y = (h[0] * ps[6] + h[1] * ps[7] + ps[8]).sigmoid()
        return (y - z) ** 2 * 0.5

    leaves = [Value(v) for v in w]
    loss = net(Value, leaves)
    grads = grad(loss, leaves, create_graph=True)
    ours = np.array(
        [[0.0 if g is None else g for g in grad(gi, leaves, allow_unused=True)] for gi in grads]
    )
    theirs = torch.autograd.functional.hessian(
        lambda t: net(torch, list(t)), torch.tensor(w, dtype=torch.float64)
    )
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_hvp_vjp_jvp_jacobian_match_torch():
    rng = np.random.default_rng(2)
    a, v = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))

    def ours_f(x):
        return (x.tanh() * x).sum(axis=1)

    def torch_f(x):
        return (x.tanh() * x).sum(dim=1)

    def ours_scalar(x):
        return (x.tanh() * x * x).sum()

    def torch_scalar(x):
        return (x.tanh() * x * x).sum()

    out, hv = Fn.hvp(ours_scalar, Tensor(a), Tensor(v))
    t_out, t_hv = torch.autograd.functional.hvp(torch_scalar, torch.tensor(a), torch.tensor(v))
    np.testing.assert_allclose(out.item(), t_out.item(), rtol=1e-14)
    np.testing.assert_allclose(hv.data, t_hv.numpy(), rtol=1e-10, atol=1e-12)
    u = rng.normal(size=3)
    _, g = Fn.vjp(ours_f, Tensor(a), Tensor(u))
    _, t_g = torch.autograd.functional.vjp(torch_f, torch.tensor(a), torch.tensor(u))
    np.testing.assert_allclose(g.data, t_g.numpy(), rtol=1e-12)
    _, jv = Fn.jvp(ours_f, Tensor(a), Tensor(v))
    _, t_jv = torch.autograd.functional.jvp(torch_f, torch.tensor(a), torch.tensor(v))
    np.testing.assert_allclose(jv.data, t_jv.numpy(), rtol=1e-12)
    jac = Fn.jacobian(ours_f, Tensor(a))
    t_jac = torch.autograd.functional.jacobian(torch_f, torch.tensor(a))
    np.testing.assert_allclose(jac.data, t_jac.numpy(), rtol=1e-12)


def test_gradient_penalty_step_equals_torch():
    rng = np.random.default_rng(9)
    x0, w0, b0 = rng.normal(size=(5, 3)), rng.normal(size=(2, 3)), rng.normal(size=2)
    lr = 0.1

    w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)
    x = Tensor(x0, requires_grad=True)
    out = linear(x, w, b).tanh().sum()
    (gx,) = grad(out, x, create_graph=True)
    penalty = (gx * gx).sum()  # ‖∇ₓ f‖², differentiated with respect to the weights
    (out + penalty).backward()
    new_w = w.data - lr * w.grad

    tw, tb = (torch.tensor(v.copy(), requires_grad=True) for v in (w0, b0))
    tx = torch.tensor(x0, requires_grad=True)
    t_out = TF.linear(tx, tw, tb).tanh().sum()
    (t_gx,) = torch.autograd.grad(t_out, tx, create_graph=True)
    (t_out + (t_gx * t_gx).sum()).backward()
    np.testing.assert_allclose(new_w, tw.detach().numpy() - lr * tw.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad, tb.grad.numpy(), rtol=1e-10)


def test_grad_leaves_every_grad_untouched_and_allow_unused_as_torch():
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    unused = Tensor([5.0], requires_grad=True)
    a.grad = np.array([7.0, 7.0])
    y = (a * b).sum()
    ga, gb = grad(y, [a, b])
    assert ga.tolist() == [3.0, 4.0] and gb.tolist() == [1.0, 2.0]
    assert a.grad.tolist() == [7.0, 7.0] and b.grad is None and y.grad is None
    with pytest.raises(ValueError, match="input 1 was not used"):
        grad(y, [a, unused])
    assert grad(y, [a, unused], allow_unused=True)[1] is None
    v = Value(2.0)
    assert grad(v * v, v) == (4.0,) and v.grad == 0.0


def test_create_graph_backward_accumulates_nodes_and_differentiates_to_any_order():
    x = Value(0.5)
    y = x**4
    y.backward(create_graph=True)
    g1 = x.grad
    assert isinstance(g1, Value) and g1.data == pytest.approx(4 * 0.5**3)
    x.grad = 0.0
    g1.backward(create_graph=True)
    g2 = x.grad
    assert g2.data == pytest.approx(12 * 0.25)
    x.grad = 0.0
    g2.backward()
    assert x.grad == pytest.approx(24 * 0.5)
    t = Tensor([0.5, -1.0], requires_grad=True)
    (t**3).sum().backward(create_graph=True)
    (t**3).sum().backward(create_graph=True)  # leaves accumulate, as torch
    assert isinstance(t.grad, Tensor) and t.grad.tolist() == [1.5, 6.0]


class Cube(Op):
    """y = a³;  dy/da = 3a² (a user's op: one forward, one backward)."""

    __slots__ = ()
    symbol = "cube"

    def forward(self, a):
        return a**3

    def backward(self, grad_out, out, a):
        return (grad_out * 3 * a**2,)


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_custom_op_works_at_first_second_and_third_order(engine):
    x = Tensor([0.7], requires_grad=True) if engine == "tensor" else Value(0.7)
    y = Cube.apply(x)
    (g1,) = grad(y.sum() if engine == "tensor" else y, x, create_graph=True)
    (g2,) = grad(g1.sum() if engine == "tensor" else g1, x, create_graph=True)
    (g3,) = grad(g2.sum() if engine == "tensor" else g2, x)
    number = (
        (lambda n: float(np.asarray(n.data).ravel()[0]))
        if engine == "tensor"
        else (lambda n: n.data)
    )
    assert number(y) == pytest.approx(0.343)
    assert number(g1) == pytest.approx(3 * 0.49) and number(g2) == pytest.approx(6 * 0.7)
    assert float(np.asarray(g3).ravel()[0]) == pytest.approx(6.0)
    assert Fn.gradcheck(lambda t: Cube.apply(t), Tensor([0.3, -1.2]))
    assert Fn.gradgradcheck(lambda t: Cube.apply(t), Tensor([0.3, -1.2]))


class WrongCube(Cube):
    """A deliberately wrong rule (2a² instead of 3a²): gradcheck must catch it."""

    __slots__ = ()

    def backward(self, grad_out, out, a):
        return (grad_out * 2 * a**2,)


def test_gradcheck_reports_a_wrong_rule_readably():
    with pytest.raises(Fn.GradcheckError, match=r"input 0 element 0.*autodiff 0\.18.*0\.27"):
        Fn.gradcheck(lambda t: WrongCube.apply(t), Tensor([0.3]))
    assert Fn.gradcheck(lambda t: WrongCube.apply(t), Tensor([0.3]), raise_exception=False) is False


def test_star_import_of_functional_gives_every_public_name():
    # NOTE: __all__ must hold names; a function object there breaks `import *`.
    import tinygrad_mlp.functional as functional

    assert all(isinstance(name, str) for name in functional.__all__)
    namespace: dict = {}
    exec("from tinygrad_mlp.functional import *", namespace)  # noqa: S102 -- the import under test
    assert {"hvp", "jacobian", "sqrt", "where", "stack"} <= set(namespace)


def test_hvp_seeded_at_the_gradient_equals_the_composed_g_dot_v_sweep():
    # The reference: ∇(Σ g·v) with g = ∇f built as a graph, the two sweeps composed by hand.
    rng = np.random.default_rng(3)
    sizes = [7, 5, 4, 3]
    arrays = []
    for a, b in zip(sizes[:-1], sizes[1:], strict=True):
        arrays += [rng.uniform(-1, 1, (b, a)), rng.uniform(-1, 1, b)]
    x, z = rng.uniform(-1, 1, (6, 7)), rng.uniform(0, 1, (6, 3))
    vs = [rng.normal(size=a.shape) for a in arrays]

    def f(*ps):
        h = Tensor(x)
        for k in range(0, len(ps), 2):
            h = linear(h, ps[k], ps[k + 1]).tanh()
        return mse(h, z)

    leaves = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    gs = grad(f(*leaves), leaves, create_graph=True)
    total = sum(((g * v).sum() for g, v in zip(gs, vs, strict=True)), Tensor(0.0))
    expected = grad(total, leaves)
    _, got = Fn.hvp(f, tuple(Tensor(a) for a in arrays), tuple(vs))
    for e, g in zip(expected, got, strict=True):
        np.testing.assert_allclose(g.data, e, rtol=1e-12, atol=1e-15)

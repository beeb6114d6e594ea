"""The wider set of ops beyond the op table: results without gradients (comparisons,
masks, indices, constructors, one-hot), integer and boolean dtypes, errors, and the
functions on the scalar engine. Gradients are in the op table (tests/tensor_ops_extra.py).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from tests.tensor_ops import SPECIAL, same_class
from tests.tensor_ops_extra import HARDSIGMOID_POINTS
from tinygrad_mlp import Tensor, Value, ops_extra

torch = pytest.importorskip("torch")

GRID_A, GRID_B = (np.array(g).ravel() for g in np.meshgrid(SPECIAL, SPECIAL, indexing="ij"))


@pytest.mark.parametrize("name", ["lt", "le", "gt", "ge", "eq", "ne"])
def test_comparisons_match_torch_and_carry_no_gradient(name):
    a = Tensor(GRID_A.copy(), requires_grad=True)
    out = getattr(a, name)(Tensor(GRID_B))
    ref = getattr(torch.tensor(GRID_A), name)(torch.tensor(GRID_B)).numpy()
    assert out.dtype == np.bool_ and not out.requires_grad
    np.testing.assert_array_equal(out.data, ref)
    number = getattr(a, name)(0.5)
    np.testing.assert_array_equal(number.data, getattr(torch.tensor(GRID_A), name)(0.5).numpy())


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite", "logical_not"])
def test_masks_match_torch(name):
    x = np.array(SPECIAL)
    out = getattr(Tensor(x), name)()
    assert out.dtype == np.bool_
    np.testing.assert_array_equal(out.data, getattr(torch, name)(torch.tensor(x)).numpy())


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_any_all_argmax_argmin_match_torch(axis):
    x = np.array([[0.0, 2.0, 2.0, -1.0], [3.0, 0.0, -5.0, -5.0], [0.0, 0.0, 0.0, 0.0]])
    t = torch.tensor(x)
    kw = {} if axis is None else {"dim": axis}
    for name in ("argmax", "argmin"):
        out = getattr(Tensor(x), name)(axis)
        assert out.dtype == np.int64
        np.testing.assert_array_equal(out.data, getattr(t, name)(**kw).numpy())
    for name in ("any", "all"):
        out = getattr(Tensor(x), name)(axis)
        np.testing.assert_array_equal(out.data, getattr(t, name)(**kw).numpy())


def test_argmax_treats_nan_as_largest_as_torch():
    x = np.array([1.0, math.nan, 3.0])
    assert Tensor(x).argmax().item() == torch.tensor(x).argmax().item() == 1


def test_integer_and_boolean_tensors_keep_their_dtype_and_leave_the_graph():
    x = Tensor([1.7, -2.2, 0.0], requires_grad=True)
    ints = x.astype(np.int64)
    assert ints.dtype == np.int64 and not ints.requires_grad
    assert ints.tolist() == torch.tensor([1.7, -2.2, 0.0]).to(torch.int64).tolist()
    flags = x.cast(bool)
    assert flags.dtype == np.bool_ and flags.tolist() == [True, True, False]
    labels = Tensor([0, 2, 1], dtype=np.int64)
    assert labels.dtype == np.int64
    with pytest.raises(TypeError, match="only float tensors"):
        Tensor([1, 2], requires_grad=True, dtype=np.int64)


def test_where_with_a_boolean_tensor_condition_and_a_number():
    x = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    out = ops_extra.where(x > 0, x, 0.0)
    (out * Tensor([1.0, 2.0, 3.0])).sum().backward()
    ref_x = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    ref = torch.where(ref_x > 0, ref_x, 0.0)
    (ref * torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(x.grad, ref_x.grad.numpy())


def test_constructors_match_torch():
    assert ops_extra.zeros(2, 3).tolist() == torch.zeros(2, 3).tolist()
    assert ops_extra.ones((2,)).tolist() == torch.ones(2).tolist()
    assert ops_extra.full((2, 2), 7).dtype == np.int64
    assert ops_extra.full((2, 2), 7.5).tolist() == torch.full((2, 2), 7.5).tolist()
    assert ops_extra.arange(5).tolist() == torch.arange(5).tolist()
    assert ops_extra.arange(5).dtype == np.int64
    np.testing.assert_allclose(
        ops_extra.arange(0.5, 2.0, 0.25).data, torch.arange(0.5, 2.0, 0.25).double().numpy()
    )
    np.testing.assert_allclose(
        ops_extra.linspace(-1, 1, 7).data,
        torch.linspace(-1, 1, 7, dtype=torch.float64).numpy(),
        rtol=1e-15,
        atol=1e-16,
    )
    assert ops_extra.eye(3, 4).tolist() == torch.eye(3, 4).tolist()
    x = Tensor(np.ones((2, 3), dtype=np.float32))
    for like in (ops_extra.zeros_like, ops_extra.ones_like, ops_extra.rand_like):
        out = like(x)
        assert out.shape == (2, 3) and out.dtype == np.float32
    assert ops_extra.full_like(x, 2.0).tolist() == [[2.0] * 3] * 2


def test_random_constructors_are_seeded_and_distributed():
    a = ops_extra.randn(1000, generator=3)
    b = ops_extra.randn(1000, generator=np.random.default_rng(3))
    np.testing.assert_array_equal(a.data, b.data)
    assert abs(a.data.mean()) < 0.15 and abs(a.data.std() - 1) < 0.1
    u = ops_extra.rand(1000, generator=4)
    assert u.data.min() >= 0 and u.data.max() < 1 and abs(u.data.mean() - 0.5) < 0.05
    assert not np.array_equal(ops_extra.rand(5, generator=1).data, u.data[:5])
    assert ops_extra.randn(2, 2, requires_grad=True, generator=0).requires_grad
    with pytest.raises(TypeError, match="generator"):
        ops_extra.rand(2, generator="seed")


def test_one_hot_matches_torch():
    labels = np.array([0, 3, 1, 1])
    ours = ops_extra.one_hot(Tensor(labels, dtype=np.int64))
    ref = torch.nn.functional.one_hot(torch.tensor(labels))
    assert ours.dtype == np.int64
    np.testing.assert_array_equal(ours.data, ref.numpy())
    np.testing.assert_array_equal(
        ops_extra.one_hot(labels, 6).data, torch.nn.functional.one_hot(torch.tensor(labels), 6)
    )
    with pytest.raises(ValueError, match="0..2"):
        ops_extra.one_hot(labels, 3)
    with pytest.raises(TypeError, match="integer"):
        ops_extra.one_hot(np.array([0.5]))


def test_cross_entropy_at_extreme_logits_matches_torch():
    logits = np.array([[1000.0, -1000.0, 0.0], [0.0, 0.0, 0.0], [-1000.0, -1000.0, 5.0]])
    labels = np.array([1, -100, 0])
    x = Tensor(logits, requires_grad=True)
    ops_extra.cross_entropy(x, labels, label_smoothing=0.3).backward()
    ref_x = torch.tensor(logits, requires_grad=True)
    ref = torch.nn.functional.cross_entropy(ref_x, torch.tensor(labels), label_smoothing=0.3)
    ref.backward()
    same_class(
        ops_extra.cross_entropy(Tensor(logits), labels, label_smoothing=0.3).data,
        ref.detach().numpy(),
        1e-12,
        1e-12,
        "loss",
    )
    same_class(x.grad, ref_x.grad.numpy(), 1e-12, 1e-15, "gradient")


def test_every_sample_ignored_gives_nan_as_torch():
    out = ops_extra.nll_loss(Tensor(np.zeros((2, 3))), [-100, -100])
    ref = torch.nn.functional.nll_loss(torch.zeros(2, 3), torch.tensor([-100, -100]))
    assert math.isnan(out.item()) and math.isnan(ref.item())


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: ops_extra.cross_entropy(Tensor(np.zeros((2, 3))), [0, 3]), "0..2"),
        (lambda: ops_extra.cross_entropy(Tensor(np.zeros((2, 3))), [0]), "shape"),
        (lambda: ops_extra.cross_entropy(Tensor(np.zeros(3)), [0]), "logits"),
        (lambda: ops_extra.cross_entropy(Tensor(np.zeros((2, 3))), [0, 1], "avg"), "reduction"),
        (
            lambda: ops_extra.cross_entropy(Tensor(np.zeros((1, 2))), [0], label_smoothing=2),
            "label_smoothing",
        ),
        (lambda: ops_extra.stack([Tensor([1.0]), Tensor([1.0, 2.0])]), "tensor 1"),
        (lambda: Tensor(np.zeros((2, 2))).pad((1,)), "pad widths"),
        (lambda: Tensor([1.0]).gelu("fast"), "approximate"),
        (lambda: Tensor(np.zeros((2, 2))).prod((0, 1)), "one axis"),
        (lambda: Tensor(np.zeros((2, 3))).unflatten(1, (2, 2)), "sizes"),
        (lambda: Tensor([1.0]).clamp(), "clamp"),
    ],
)
def test_bad_arguments_get_one_clear_sentence(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


@pytest.mark.parametrize(
    "name", ["sin", "cos", "tan", "sqrt", "asinh", "log2", "exp2", "gelu", "silu", "softsign"]
)
def test_functions_take_values_and_tensors_alike(name):
    fn = getattr(ops_extra, name)
    x = 0.37
    v = Value(x)
    out = fn(v)
    out.backward()
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    ref = getattr(torch.nn.functional, name, None) or getattr(torch, name)
    r = ref(t)
    r.backward()
    assert out.data == pytest.approx(r.item(), rel=1e-12)
    assert v.grad == pytest.approx(t.grad.item(), rel=1e-12)
    assert fn(Tensor([x])).data[0] == pytest.approx(r.item(), rel=1e-12)


def test_hardsigmoid_on_the_scalar_engine_at_its_singular_points_matches_torch():
    got, grads = [], []
    for x in HARDSIGMOID_POINTS:
        v = Value(x)
        out = v.hardsigmoid()
        out.backward()
        got.append(out.data)
        grads.append(v.grad)
    t = torch.tensor(HARDSIGMOID_POINTS, dtype=torch.float64, requires_grad=True)
    ref = torch.nn.functional.hardsigmoid(t)
    ref.sum().backward()
    same_class(np.array(got), ref.detach().numpy(), 1e-12, 1e-15, "hardsigmoid")
    same_class(np.array(grads), t.grad.numpy(), 1e-12, 1e-15, "hardsigmoid'")


def test_second_derivative_of_hardsigmoid_is_zero():
    from tinygrad_mlp import grad
    from tinygrad_mlp.elementwise import HARDSIGMOID_SLOPE

    x = Tensor([-4.0, -1.0, 0.5, 2.9, 3.5], requires_grad=True)
    (g,) = grad(x.hardsigmoid().sum(), [x], create_graph=True)
    np.testing.assert_array_equal(g.data, [0.0] + [HARDSIGMOID_SLOPE] * 3 + [0.0])
    assert HARDSIGMOID_SLOPE == float(np.float32(1 / 6)) != 1 / 6
    if g.requires_grad:
        (h,) = grad(g.sum(), [x], allow_unused=True)
        assert h is None or not np.any(h)


NEW_ACTIVATIONS = [
    "leaky_relu",
    "elu",
    "celu",
    "gelu",
    "gelu_tanh",
    "silu",
    "softplus",
    "softsign",
    "hardtanh",
    "hardsigmoid",
]


@pytest.mark.parametrize("act", NEW_ACTIVATIONS)
@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_new_activations_pass_the_three_road_cross_check(act, loss):
    from tinygrad_mlp.crosscheck import cross_check
    from tinygrad_mlp.nn import MLP

    rng = np.random.default_rng(NEW_ACTIVATIONS.index(act))
    net = MLP(3, [4, 3], activation=act, output_activation="linear" if loss == "ce" else act)
    for p in net.parameters():
        p.data[...] = rng.uniform(-1.5, 1.5, p.data.shape)
    x = rng.uniform(-2, 2, (5, 3))
    z = rng.integers(0, 3, 5) if loss == "ce" else rng.uniform(-1, 1, (5, 3))
    report = cross_check(net, x, z, loss, scalar=True, finite_differences=True)
    assert report.passed, report.text() if hasattr(report, "text") else str(report)
    assert set(report.roads) == {"scalar", "tensor", "delta", "finite differences"}


@pytest.mark.parametrize("act", NEW_ACTIVATIONS)
def test_delta_witness_formulas_match_torch(act):
    from tinygrad_mlp import backprop

    s = np.linspace(-4, 4, 81)
    t = torch.tensor(s, requires_grad=True)
    name, kwargs = ("gelu", {"approximate": "tanh"}) if act == "gelu_tanh" else (act, {})
    out = getattr(torch.nn.functional, name)(t, **kwargs)
    out.sum().backward()
    a = backprop.activate(s, act)
    np.testing.assert_allclose(a, out.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(backprop.derivative(a, s, act), t.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize("act", ["gelu", "leaky_relu", "silu", "hardtanh"])
def test_new_activations_train_save_and_predict_from_the_cli(tmp_path, capsys, act):
    import json

    from tinygrad_mlp.cli import main
    from tinygrad_mlp.io import load_model
    from tinygrad_mlp.training import predict

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1]
    path = tmp_path / "d.csv"
    path.write_text("a,b,y\n" + "\n".join(f"{r[0]},{r[1]},{t}" for r, t in zip(x, y, strict=True)))
    model_path = tmp_path / "m.json"
    argv = ["train", "--data", str(path), "--hidden", "5", "--activation", act]
    argv += ["--output-activation", "linear", "--epochs", "30", "--lr", "0.05"]
    argv += ["--seed", "1", "--model", str(model_path), "--json"]
    capsys.readouterr()
    assert main(argv) == 0
    history = json.loads(capsys.readouterr().out)["loss_history"]
    assert history[-1] < history[0]
    model = load_model(model_path)
    assert model.net.activations == [act, "linear"]
    assert main(["predict", "--model", str(model_path), "--data", str(path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    column = result["columns"].index("predicted_y")  # the file keeps a, b, y beside it
    rows = np.array(result["rows"])
    np.testing.assert_allclose(rows[:, column], predict(model, x)[:, 0], rtol=0, atol=1e-12)


def test_cli_refuses_an_unknown_activation(capsys):
    from tinygrad_mlp.cli import main

    with pytest.raises(SystemExit) as exc:
        main(["train", "--data", "x.csv", "--activation", "swishy"])
    assert exc.value.code != 0
    assert "swishy" in capsys.readouterr().err


def test_docs_list_every_element_wise_function_and_activation():
    from pathlib import Path

    from tinygrad_mlp.elementwise import FUNCTIONS
    from tinygrad_mlp.names import ACTIVATIONS

    text = (Path(__file__).parent.parent / "docs" / "ops.md").read_text()
    missing = [n for n in [*FUNCTIONS, *ACTIVATIONS] if f"`{n}" not in text and n != "linear"]
    missing += [
        n
        for n in ("prod", "var", "logsumexp", "cumsum", "cumprod", "stack", "pad", "roll")
        if f"`{n}" not in text
    ]
    assert not missing, f"docs/ops.md does not list {missing}"


@pytest.mark.parametrize(
    "data", [[0.0, 1.0, 2.0], [3.0, 0.0, 2.0, 0.0], [[1.5, 0.0, 2.0], [0.5, -1.0, 0.0]]]
)
def test_cumprod_second_derivative_at_zeros_matches_torch(data):
    from tinygrad_mlp import grad

    w = np.random.default_rng(0).uniform(0.5, 1.5, np.shape(data))
    x = Tensor(data, requires_grad=True)
    (g,) = grad((x.cumprod(0) * Tensor(w)).sum(), [x], create_graph=True)
    (h,) = grad((g * Tensor(w)).sum(), [x])
    t = torch.tensor(data, dtype=torch.float64, requires_grad=True)
    (tg,) = torch.autograd.grad((t.cumprod(0) * torch.tensor(w)).sum(), [t], create_graph=True)
    (th,) = torch.autograd.grad((tg * torch.tensor(w)).sum(), [t])
    np.testing.assert_allclose(g.data, tg.detach().numpy(), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(h, th.numpy(), rtol=1e-12, atol=1e-15)


def test_an_integer_and_an_index_array_split_by_a_slice_index_as_torch():
    data = np.arange(24.0).reshape(2, 3, 4)
    for index in ((0, slice(None), [0, 1]), ([0, 1], slice(None), 2)):
        x = Tensor(data, requires_grad=True)
        w = np.arange(1.0, 1.0 + x[index].size).reshape(x[index].shape)
        (x[index] * Tensor(w)).sum().backward()
        t = torch.tensor(data, requires_grad=True)
        t_index = tuple(torch.tensor(p) if isinstance(p, list) else p for p in index)
        (t[t_index] * torch.tensor(w)).sum().backward()
        np.testing.assert_array_equal(x[index].data, t[t_index].detach().numpy())
        np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize(
    "index",
    [
        (0, [0, 2]),
        ([1, 0], [0, 2]),
        (slice(None), [0, 2], 1),
        (0, slice(None), 1),
        (Ellipsis, [0, 3]),
        ([0, 1], slice(None), [0, 3]),
    ],
    ids=str,
)
def test_indexing_that_numpy_and_torch_agree_on_matches_torch(index):
    data = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(data, requires_grad=True)
    out = x[index]
    out.sum().backward()
    t = torch.tensor(data, requires_grad=True)
    ref = t[index]
    ref.sum().backward()
    np.testing.assert_array_equal(out.data, ref.detach().numpy())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


@pytest.mark.parametrize("act", NEW_ACTIVATIONS)
def test_hessian_of_a_small_network_with_each_new_activation_matches_torch(act):
    from tinygrad_mlp.functional import hessian

    rng = np.random.default_rng(5)
    w1, w2, x0 = rng.uniform(-1, 1, (4, 3)), rng.uniform(-1, 1, (2, 4)), rng.uniform(-1, 1, 3)
    torch_name, kwargs = ("gelu", {"approximate": "tanh"}) if act == "gelu_tanh" else (act, {})
    torch_act = getattr(torch.nn.functional, torch_name)
    rtol = 1e-10
    if act == "hardsigmoid":
        # NOTE: torch has no double backward for hardsigmoid; its composed form has the
        # same second derivative (0) and an exact 1/6 slope where the op's is float32's
        # (four factors of the slope in the Hessian: 4 × 3e-8 relative)
        torch_act, rtol = (lambda s: (s + 3.0).clamp(0.0, 6.0) / 6.0), 2e-7

    def ours(x):
        h = getattr(Tensor(w1) @ x, act)()
        return (getattr(Tensor(w2) @ h, act)() ** 2).sum()

    def theirs(x):
        h = torch_act(torch.tensor(w1) @ x, **kwargs)
        return (torch_act(torch.tensor(w2) @ h, **kwargs) ** 2).sum()

    got = hessian(ours, Tensor(x0))
    ref = torch.autograd.functional.hessian(theirs, torch.tensor(x0))
    got = got.data if isinstance(got, Tensor) else np.asarray(got)
    np.testing.assert_allclose(got, ref.numpy(), rtol=rtol, atol=1e-12)

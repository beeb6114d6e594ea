"""compile(step): a captured step replays eager's numbers, bit for bit, and its guards hold.

The reference is always the same step run eagerly on a twin (same seed, same data):
the replay must give the same bytes. Guards: a new shape captures again, a graph that
depends on the data is found and run eagerly with one warning.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tinygrad_mlp
from tests.tensor_ops import OPS, inputs_for, spellings
from tinygrad_mlp import Tensor
from tinygrad_mlp.compiled import CompileWarning, compile
from tinygrad_mlp.losses import bce_with_logits, cross_entropy, mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD, Adam, clip_grad_norm_


def same_bytes(a, b, what: str) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype, f"{what}: {a.shape}/{a.dtype} {b.shape}"
    assert a.tobytes() == b.tobytes(), f"{what}: eager {a.ravel()[:4]}, replay {b.ravel()[:4]}"


@pytest.fixture(autouse=True)
def _loud():
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        yield


def test_compile_is_exported_under_the_issue_name():
    assert tinygrad_mlp.compile is compile


# --------------------------------------------------------------------------- op table


def _row_cases():
    for op in OPS:
        shapes = [s for _, s in spellings(op) if all(0 not in shape for shape in s)]
        yield pytest.param(op, shapes[-1] if shapes else spellings(op)[0][1], id=op.name)


@pytest.mark.parametrize("op, shapes", list(_row_cases()))
def test_replay_gives_eager_gradients_on_every_op_table_row(op, shapes):
    rng = np.random.default_rng(0)
    arrays = inputs_for(op, shapes, rng)

    def twin():
        xs = [Tensor(a.copy(), requires_grad=True) for a in arrays]
        opt = SGD(xs, lr=0.1)

        def step():
            opt.zero_grad()
            loss = op.ours(*xs).sum()
            loss.backward()
            return loss

        return xs, step

    (xe, eager), (xc, captured) = twin(), twin()
    captured = compile(captured)
    for call in range(3):
        le, lc = eager(), captured()
        same_bytes(le.data, lc.data, f"{op.name} loss, call {call}")
        for k, (a, b) in enumerate(zip(xe, xc, strict=True)):
            same_bytes(a.grad, b.grad, f"{op.name} grad {k}, call {call}")
    assert captured.stats["replays"] == 2, captured.stats


# --------------------------------------------------------------------------- optimizers

OPTIMIZERS = [
    ("sgd", SGD, {}),
    ("momentum", SGD, {"momentum": 0.9}),
    ("nesterov", SGD, {"momentum": 0.9, "nesterov": True}),
    ("weight-decay", SGD, {"momentum": 0.5, "weight_decay": 0.01}),
    ("adam", Adam, {}),
    ("adam-decay", Adam, {"weight_decay": 0.01}),
]


def _mlp_step(dtype, make_opt, loss_name="mse", activation="tanh", sizes=(2, 16, 16, 1)):
    net = MLP(sizes[0], list(sizes[1:]), activation=activation, seed=0, dtype=dtype)
    opt = make_opt(net.parameters())
    loss_fn = {"mse": mse, "bce_with_logits": bce_with_logits, "cross_entropy": cross_entropy}

    def step(x, z):
        opt.zero_grad()
        loss = loss_fn[loss_name](net(x), z)
        loss.backward()
        opt.step()
        return loss

    return net, step


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name, cls, options", OPTIMIZERS, ids=[o[0] for o in OPTIMIZERS])
def test_replay_equals_eager_over_20_steps_of_every_optimizer(name, cls, options, dtype):
    def make(params):
        return cls(params, lr=0.01, **options)

    (ne, eager), (nc, captured) = _mlp_step(dtype, make), _mlp_step(dtype, make)
    captured = compile(captured)
    rng = np.random.default_rng(1)
    for call in range(20):
        x = rng.uniform(-1, 1, (32, 2)).astype(dtype)
        z = rng.uniform(0, 1, (32, 1)).astype(dtype)
        same_bytes(eager(x, z).data, captured(x, z).data, f"loss {call}")
    for k, (p, q) in enumerate(zip(ne.parameters(), nc.parameters(), strict=True)):
        same_bytes(p.data, q.data, f"parameter {k}")
        same_bytes(p.grad, q.grad, f"gradient {k}")
    assert captured.stats == {"captures": 1, "replays": 19, "eager": 0}


@pytest.mark.parametrize("loss_name", ["mse", "bce_with_logits", "cross_entropy"])
def test_replay_equals_eager_on_mlp_training_with_each_loss(loss_name):
    sizes = (4, 8, 3)

    def make(params):
        return SGD(params, lr=0.05, momentum=0.9)

    (ne, eager) = _mlp_step(np.float64, make, loss_name, "relu", sizes)
    (nc, captured) = _mlp_step(np.float64, make, loss_name, "relu", sizes)
    captured = compile(captured)
    rng = np.random.default_rng(2)
    for call in range(8):
        x = rng.normal(size=(16, 4))
        if loss_name == "cross_entropy":
            z = rng.integers(0, 3, 16)  # new labels every batch
        else:
            z = rng.uniform(0, 1, (16, 3))
        same_bytes(eager(x, z).data, captured(x, z).data, f"{loss_name} loss {call}")
    for p, q in zip(ne.parameters(), nc.parameters(), strict=True):
        same_bytes(p.data, q.data, loss_name)
    assert captured.stats["replays"] == 7


def test_clip_grad_norm_inside_the_step_is_replayed():
    def make():
        net = MLP(2, [8, 1], seed=0)
        opt = SGD(net.parameters(), lr=0.5)

        def step(x, z):
            opt.zero_grad()
            loss = mse(net(x), z)
            loss.backward()
            clip_grad_norm_(net.parameters(), 0.1)
            opt.step()
            return loss.item()

        return net, step

    (ne, eager), (nc, captured) = make(), make()
    captured = compile(captured)
    rng = np.random.default_rng(3)
    for _ in range(5):
        x, z = rng.normal(size=(8, 2)), rng.normal(size=(8, 1))
        le, lc = eager(x, z), captured(x, z)
        assert type(lc) is float and le == lc
    for p, q in zip(ne.parameters(), nc.parameters(), strict=True):
        same_bytes(p.data, q.data, "clipped")


# --------------------------------------------------------------------------- guards


def test_a_new_input_shape_captures_again_and_stays_exact():
    def make(params):
        return SGD(params, lr=0.1)

    (_, eager), (_, captured) = _mlp_step(np.float64, make), _mlp_step(np.float64, make)
    captured = compile(captured)
    rng = np.random.default_rng(4)
    for n in (8, 8, 8, 5, 5, 5, 8):
        x, z = rng.normal(size=(n, 2)), rng.normal(size=(n, 1))
        same_bytes(eager(x, z).data, captured(x, z).data, f"batch {n}")
    assert captured.stats["captures"] == 2
    x32 = rng.normal(size=(8, 3)).astype(np.float32)  # a new dtype: captured again
    same_bytes(eager(x32[:, :2], x32[:, 2:]).data, captured(x32[:, :2], x32[:, 2:]).data, "f32")
    assert captured.stats["captures"] == 3


def _branching():
    w = Tensor([[0.5, -0.25]], requires_grad=True)
    opt = SGD([w], lr=0.1)

    def step(x):
        opt.zero_grad()
        y = x @ w.T
        if x.sum() > 0:  # Python control flow on the data: the graph changes with it
            y = y * 2.0
        loss = y.tanh().sum()
        loss.backward()
        opt.step()
        return loss

    return w, step


NEGATIVE, POSITIVE = np.array([[-1.0, -2.0]]), np.array([[1.0, 2.0]])


def test_a_data_dependent_branch_is_found_on_the_second_call():
    w, step = _branching()
    we, eager = _branching()
    captured = compile(step)
    captured(NEGATIVE)
    with pytest.warns(CompileWarning, match="depends on the data"):
        captured(POSITIVE)
    captured(POSITIVE)
    for x in (NEGATIVE, POSITIVE, POSITIVE):
        eager(x)
    same_bytes(w.data, we.data, "after the fall back to eager")
    assert captured.stats["replays"] == 0


def test_a_branch_that_changes_later_is_found_by_the_periodic_check():
    w, step = _branching()
    captured = compile(step, check_every=5)
    for _ in range(9):
        captured(NEGATIVE)
    with pytest.warns(CompileWarning, match="call 10 differs"):
        captured(POSITIVE)  # call 10 runs eagerly and compares its graph
    assert captured.stats == {"captures": 1, "replays": 7, "eager": 2}


def test_strict_refuses_in_one_sentence():
    w, step = _branching()
    captured = compile(step, strict=True)
    captured(NEGATIVE)
    with pytest.raises(RuntimeError, match=r"^compile\(step\) cannot replay: .*\.$"):
        captured(POSITIVE)


def test_a_step_that_differentiates_twice_runs_eagerly_with_one_warning():
    x = Tensor([1.5], requires_grad=True)

    def step():
        x.grad = None
        (x**3).sum().backward(create_graph=True)
        return x.grad.sum()

    captured = compile(step)
    with pytest.warns(CompileWarning, match="create_graph"):
        captured()
    assert captured().item() == 3 * 1.5**2  # eager from now on, without a warning
    assert captured.stats == {"captures": 1, "replays": 0, "eager": 1}


def test_compile_refuses_what_is_not_a_function():
    with pytest.raises(TypeError, match="needs a function"):
        compile(3)


# --------------------------------------------------------------------------- scalar engine


def _scalar_step(points: int = 12):
    rng = np.random.default_rng(0)
    xs = rng.uniform(-1, 1, (points, 2)).tolist()
    ys = [1.0 if a * b > 0 else -1.0 for a, b in xs]
    net = MLP(2, [6, 6, 1], activation="relu", output_activation="linear", seed=0)
    opt = SGD(net.parameters(), lr=0.05, momentum=0.5)

    def step():
        out = [net(x)[0] for x in xs]
        loss = sum((o - y) ** 2 for o, y in zip(out, ys, strict=True)) * (1.0 / points)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return net, step


def test_a_scalar_step_replays_as_float_code_with_eager_numbers():
    (ne, eager), (nc, captured) = _scalar_step(), _scalar_step()
    captured = compile(captured)
    for call in range(6):
        le, lc = eager(), captured()
        assert le.data.hex() == lc.data.hex(), call
    for p, q in zip(ne.parameters(), nc.parameters(), strict=True):
        same_bytes(p.data, q.data, "scalar parameter")
        same_bytes(p.grad, q.grad, "scalar gradient")
    assert captured.stats["replays"] == 5


def test_a_scalar_step_with_tanh_sigmoid_and_powers_is_exact():
    def make():
        net = MLP(2, [5, 1], activation="tanh", output_activation="sigmoid", seed=1)
        opt = Adam(net.parameters(), lr=0.05)
        xs = [[0.5, -1.0], [1.5, 0.25], [-0.5, 0.75]]

        def step():
            opt.zero_grad()
            loss = sum((net(x)[0] - 0.5) ** 3 + net(x)[0].exp() for x in xs)
            loss.backward()
            opt.step()
            return loss.data

        return net, step

    (ne, eager), (nc, captured) = make(), make()
    captured = compile(captured)
    for _ in range(4):
        assert eager().hex() == captured().hex()
    for p, q in zip(ne.parameters(), nc.parameters(), strict=True):
        same_bytes(p.data, q.data, "scalar tanh net")
    assert captured.stats["replays"] == 3


def test_gradients_zeroed_by_hand_outside_an_optimizer_are_found():
    from tinygrad_mlp import Value

    a = Value(0.3)

    def step():
        a.grad = 0.0  # not an optimizer call: a replay would not redo it
        y = (a * 1.5).tanh()
        y.backward()
        return y

    captured = compile(step)
    captured()
    with pytest.warns(CompileWarning, match="changed between its first two calls"):
        captured()
    assert a.grad == 1.5 * (1 - np.tanh(0.45) ** 2)


# --------------------------------------------------------------------------- training


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_fit_gives_the_same_weights_with_and_without_capture(loss):
    from tinygrad_mlp.data import Dataset
    from tinygrad_mlp.training.config import TrainConfig
    from tinygrad_mlp.training.fit import fit, new_model

    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (150, 3))
    y = x @ [[1.0], [2.0], [-1.0]] if loss == "mse" else ((x[:, :1] > 0) + (x[:, 1:2] > 0.3))
    weights = []
    for captured in (False, True):
        config = TrainConfig(
            hidden=[8], epochs=4, seed=0, batch_size=32, loss=loss, compile=captured
        )
        data = Dataset(x, np.asarray(y, dtype=float), ["a", "b", "c"], ["y"])
        model = new_model(data, config)
        fit(model, data, config)
        weights.append([p.data.copy() for p in model.net.parameters()])
    for a, b in zip(*weights, strict=True):
        np.testing.assert_allclose(b, a, rtol=1e-15, atol=0)
        same_bytes(a, b, "fit")


def test_a_constant_made_from_a_changed_python_variable_is_found_by_the_periodic_check():
    """A loss weight read inside the step is a constant of the program; the periodic
    check compares constants' values, so a change is caught at the next check."""
    w = Tensor([[0.5, -0.5]], requires_grad=True)
    opt = SGD([w], lr=0.1)
    weight = {"beta": 0.0}

    def step(x):
        opt.zero_grad()
        loss = (x @ w.T).tanh().sum() + weight["beta"] * (w * w).sum()
        loss.backward()
        opt.step()
        return loss

    compiled = compile(step, check_every=3)
    x = np.array([[1.0, 2.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for call in range(12):
            if call == 4:
                weight["beta"] = 1.0
            compiled(x)
    assert any("constant" in str(w.message) for w in caught), [str(w.message) for w in caught]
    assert compiled.stats["eager"] >= 6  # eager from the check that found it on


def test_an_argument_that_requires_grad_runs_eagerly_saying_why():
    w = Tensor([[0.5, -0.5]], requires_grad=True)

    def step(x):
        loss = (x @ w.T).tanh().sum()
        loss.backward()
        return loss

    compiled = compile(step)
    grads = []
    with pytest.warns(CompileWarning, match="requires grad"):
        for value in (1.0, 2.0, 3.0):
            x = Tensor([[value, 2.0]], requires_grad=True)
            compiled(x)
            grads.append(x.grad.copy())
    for value, g in zip((1.0, 2.0, 3.0), grads, strict=True):
        s = 0.5 * value - 1.0
        assert np.allclose(g, (1 - np.tanh(s) ** 2) * np.array([[0.5, -0.5]]), rtol=1e-12)


def _count_replays(monkeypatch):
    from tinygrad_mlp.compiled import Compiled

    calls = {"n": 0}
    original = Compiled.__call__

    def counted(self, *args, **kwargs):
        calls["n"] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Compiled, "__call__", counted)
    return calls


def test_the_cli_train_and_the_estimators_use_the_captured_step(tmp_path, monkeypatch):
    from tinygrad_mlp.cli import main
    from tinygrad_mlp.sklearn import MLPRegressor

    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (60, 2))
    y = x[:, 0] * x[:, 1]
    rows = "\n".join(f"{a},{b},{c}" for (a, b), c in zip(x, y, strict=True))
    (tmp_path / "d.csv").write_text("x1,x2,y\n" + rows + "\n")
    calls = _count_replays(monkeypatch)
    args = ["train", "--data", str(tmp_path / "d.csv"), "--epochs", "3", "--quiet"]
    assert main([*args, "--model", str(tmp_path / "m.json")]) == 0
    assert calls["n"] > 0
    calls["n"] = 0
    assert main([*args, "--health", "--model", str(tmp_path / "h.json")]) == 0
    assert calls["n"] > 0  # the monitor is fed by the captured step
    calls["n"] = 0
    MLPRegressor(hidden_layer_sizes=(4,), max_iter=3, monitor_health=False).fit(x, y)
    assert calls["n"] > 0
    calls["n"] = 0
    assert MLPRegressor(hidden_layer_sizes=(4,), max_iter=3).fit(x, y).health_ is not None
    assert calls["n"] > 0


def test_cross_entropy_on_batches_of_one_replays_the_calls_labels():
    """A batch of one label 0 equals arange(1): only the labels may be read per call."""
    net = MLP(2, [3, 3], activation="tanh", output_activation="linear", seed=0)
    twin = MLP(2, [3, 3], activation="tanh", output_activation="linear", seed=0)
    x = np.array([[0.1, 0.2], [0.3, -0.4], [-0.5, 0.6], [0.7, 0.1]])
    labels = [np.array([0]), np.array([2]), np.array([1]), np.array([0])]

    def stepper(model):
        opt = SGD(model.parameters(), lr=0.1)

        def step(xb, zb):
            opt.zero_grad()
            loss = cross_entropy(model(xb), zb)
            loss.backward()
            opt.step()
            return loss

        return step

    compiled, eager = compile(stepper(net)), stepper(twin)
    for k in range(8):
        xb, zb = x[k % 4 : k % 4 + 1], labels[k % 4]
        assert compiled(xb, zb).item() == eager(xb, zb).item()
    for a, b in zip(net.parameters(), twin.parameters(), strict=True):
        assert np.array_equal(a.data, b.data)
    assert compiled.stats["replays"] >= 5  # replayed, not given up


@pytest.mark.parametrize("zeroing", ["to None", "to zeros", "outside, every other call"])
def test_gradients_that_live_across_calls_are_not_overwritten(zeroing):
    """A gradient buffer is reused only where the step's own zero_grad(set_to_none=True)
    cleared it; zeros in place, or a step that accumulates onto the gradient a replay
    left (zeroed outside the step now and then), keep eager's numbers."""

    def stepper(net):
        opt = SGD(net.parameters(), lr=0.1, momentum=0.5)

        def step(x):
            if zeroing == "to None":
                opt.zero_grad()
            elif zeroing == "to zeros":
                opt.zero_grad(set_to_none=False)
            loss = net(x).sum()  # NOTE: the layer's kernels write into reused buffers
            loss.backward()
            opt.step()
            return loss

        return step, opt

    net, twin = (MLP(3, [2, 1], activation="tanh", seed=0) for _ in range(2))
    (compiled, opt), (eager, twin_opt) = stepper(net), stepper(twin)
    compiled = compile(compiled)
    rng = np.random.default_rng(0)
    for k in range(8):
        if zeroing.startswith("outside") and k % 2:
            opt.zero_grad()
            twin_opt.zero_grad()
        x = rng.uniform(-1, 1, (4, 3))
        same_bytes(eager(x).data, compiled(x).data, "loss")
        for p, q in zip(net.parameters(), twin.parameters(), strict=True):
            same_bytes(q.grad, p.grad, "grad")
            same_bytes(q.data, p.data, "weights")
    assert compiled.stats["replays"] == 7


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_relus_replayed_rule_masks_bits_as_eager_does(dtype):
    """The replay's relu rule keeps the gradient where a > 0 or a is nan, and +0 elsewhere:
    an infinite or nan gradient, a signed zero and a negative gradient, as eager."""
    a = np.array([[-1.0, -0.0, 0.0, 2.0, np.nan, 3.0, 1e-3, -5.0]], dtype=dtype)
    c = np.array([[np.inf, -np.inf, np.nan, -2.0, 5.0, -0.0, np.nan, -np.inf]], dtype=dtype)

    def twin():
        x = Tensor(a.copy(), requires_grad=True)
        opt = SGD([x], lr=0.1)  # NOTE: for its zero_grad, which a replay repeats

        def step():
            opt.zero_grad()
            x.relu().backward(c)  # NOTE: c is the gradient that reaches relu's rule

        return step, x

    (eager, x_eager), (captured, x_captured) = twin(), twin()
    captured = compile(captured)
    with np.errstate(invalid="ignore"):
        for call in range(3):
            eager()
            captured()
            same_bytes(x_eager.grad, x_captured.grad, f"relu gradient, call {call}")
    want = np.where(~(a <= 0), c, np.zeros_like(c))
    same_bytes(want, x_captured.grad, "relu gradient against where")
    assert captured.stats["replays"] >= 2
    (entry,) = captured.cache.values()
    kernels = [k.__name__ for k in entry.program.code]
    assert "k_bits" in kernels  # the bit mask, not the masked copy, computed these


# --------------------------------------------------------------------------- replay's layout


def _twin_nets(dtype, make_opt, seed=None, activation="tanh", sizes=(5, 4, 1)):
    """An eager and a captured training step on twin networks (same seed):
    ``((net, opt, step), (net, opt, compiled step))``. ``make_opt(params)`` gives one
    optimizer or a list of them; ``seed`` is backward()'s gradient (None: 1)."""

    def build():
        net = MLP(2, list(sizes), activation=activation, seed=0, dtype=dtype)
        made = make_opt(net.parameters())
        opts = made if isinstance(made, list) else [made]

        def step(x, z):
            for opt in opts:
                opt.zero_grad()
            loss = mse(net(x), z)
            loss.backward() if seed is None else loss.backward(np.asarray(seed, dtype=dtype))
            for opt in opts:
                opt.step()
            return loss

        return net, made, step

    (ne, oe, eager), (nc, oc, captured) = build(), build()
    return (ne, oe, eager), (nc, oc, compile(captured))


def _batches(dtype, calls, seed=9):
    rng = np.random.default_rng(seed)
    for _ in range(calls):
        yield rng.uniform(-1, 1, (16, 2)).astype(dtype), rng.uniform(0, 1, (16, 1)).astype(dtype)


def _train_twins(twins, calls, dtype=np.float64, between=None, seed=9):
    """Train both twins on the same batches; every loss, and at the end every parameter
    and gradient, must be the same bytes. ``between(call, opt, opt)`` runs after a call."""
    (ne, oe, eager), (nc, oc, captured) = twins
    for call, (x, z) in enumerate(_batches(dtype, calls, seed)):
        same_bytes(eager(x, z).data, captured(x, z).data, f"loss {call}")
        if between is not None:
            between(call, oe, oc)
    for k, (p, q) in enumerate(zip(ne.parameters(), nc.parameters(), strict=True)):
        same_bytes(p.data, q.data, f"parameter {k}")
        same_bytes(p.grad, q.grad, f"gradient {k}")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "arrangement",
    ["one SGD", "parameters reversed", "two SGDs", "SGD and Adam", "two groups"],
)
def test_gradients_laid_side_by_side_give_eager_updates_for_any_optimizer_layout(
    dtype, arrangement
):
    """The replay keeps the leaves' gradients in one array (in the optimizers' order) and
    scales them in one call where one plain SGD owns them all in that order; any other
    layout updates tensor by tensor. Every layout gives eager's numbers."""

    def optimizers(params):
        weights, biases = params[0::2], params[1::2]
        if arrangement == "one SGD":
            return SGD(params, lr=0.1)
        if arrangement == "parameters reversed":
            return SGD(params[::-1], lr=0.1)
        if arrangement == "two SGDs":
            return [SGD(weights, lr=0.1), SGD(biases, lr=0.05)]
        if arrangement == "SGD and Adam":
            return [SGD(weights, lr=0.1), Adam(biases, lr=0.01)]
        return SGD([{"params": weights}, {"params": biases, "lr": 0.01}], lr=0.1)

    twins = _twin_nets(dtype, optimizers)
    _train_twins(twins, 6, dtype, seed=5)
    (_, _, _), (net, _, captured) = twins
    assert captured.stats["replays"] == 5, captured.stats
    grads = [p.grad for p in net.parameters()]
    shared = {id(g.base) for g in grads if g.base is not None}
    assert len(shared) == 1  # the replay's gradients are views of one array


def test_a_seed_other_than_one_is_multiplied_in():
    """The loss's replayed rule leaves out the product with backward()'s seed only when
    the seed is 1: a seed of 2 doubles every gradient, as eager."""
    nets = []
    for seed in (2.0, None):
        twins = _twin_nets(np.float64, lambda ps: SGD(ps, lr=0.1), seed=seed)
        _train_twins(twins, 6, seed=5)
        assert twins[1][2].stats["replays"] == 5
        nets.append(twins[1][0])
    doubled, once = nets
    assert not np.array_equal(doubled.parameters()[0].data, once.parameters()[0].data)


def test_a_sigmoid_that_saturates_replays_quietly_with_eager_numbers():
    """e**-a overflows for a < -709: eager's sigmoid silences it and gives 0; so does
    the replay, even with warnings as errors."""

    def sgd(params):
        return SGD(params, lr=0.1)

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        twins = _twin_nets(np.float64, sgd, activation="sigmoid", sizes=(3, 1))
        _train_twins(twins, 6, seed=5)
        assert twins[1][2].stats["replays"] == 5
        big, zeros = np.full((8, 2), -2000.0), np.zeros((8, 1))
        (_, _, eager), (_, _, captured) = _twin_nets(
            np.float64, sgd, activation="sigmoid", sizes=(3, 1)
        )
        for _ in range(3):
            same_bytes(eager(big, zeros).data, captured(big, zeros).data, "loss")


# --------------------------------------------------------------------------- updates at once


def _same_state(oe, oc, keys) -> None:
    se, sc = oe.state_dict(), oc.state_dict()
    for k in se["state"]:
        for key in keys:
            same_bytes(se["state"][k][key], sc["state"][k][key], f"state {k} {key}")


_ADAM_STATE = ("step", "exp_avg", "exp_avg_sq")


def _adam(**options):
    return lambda params: Adam(params, lr=0.01, **options)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_adam_replays_at_once_over_all_tensors_with_eager_numbers(dtype):
    twins = _twin_nets(dtype, _adam())
    _train_twins(twins, 12, dtype, seed=7)
    (_, oe, _), (nc, oc, captured) = twins
    _same_state(oe, oc, _ADAM_STATE)
    (entry,) = captured.cache.values()
    assert "adam_step.<locals>.step" in [k.__qualname__ for k in entry.program.code]
    moments = {oc.state[p]["exp_avg"].base is not None for p in nc.parameters()}
    assert moments == {True}  # the state entries are views of the replay's arrays


@pytest.mark.parametrize(
    "options", [{"amsgrad": True}, {"maximize": True}, {"weight_decay": 0.1}, {"betas": (0.3, 0.9)}]
)
def test_adam_options_the_joint_update_does_not_take_run_adams_own_step(options):
    twins = _twin_nets(np.float64, _adam(**options))
    _train_twins(twins, 8, seed=7)
    _same_state(twins[0][1], twins[1][1], _ADAM_STATE)


def test_adam_state_loaded_midway_and_a_changed_rate_are_followed():
    """A state loaded into both optimizers (new arrays) is adopted by the replay, and a
    learning rate changed between calls is read at every call."""
    donor = _twin_nets(np.float64, _adam())
    _train_twins(donor, 3, seed=7)
    saved = donor[0][1].state_dict()

    def between(call, oe, oc):
        if call == 4:
            oe.load_state_dict(saved)
            oc.load_state_dict(saved)
        if call == 6:
            oe.param_groups[0]["lr"] = oc.param_groups[0]["lr"] = 0.002

    twins = _twin_nets(np.float64, _adam())
    _train_twins(twins, 10, between=between, seed=7)
    _same_state(twins[0][1], twins[1][1], _ADAM_STATE)


def test_adam_with_unequal_step_counts_runs_its_own_step():
    def between(call, oe, oc):
        if call == 2:
            for opt in (oe, oc):
                first = opt.param_groups[0]["params"][0]
                opt.state[first]["step"] += 5.0

    twins = _twin_nets(np.float64, _adam())
    _train_twins(twins, 6, between=between, seed=7)
    _same_state(twins[0][1], twins[1][1], _ADAM_STATE)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "options",
    [{"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"momentum": 0.5, "dampening": 0.3}],
    ids=["momentum", "nesterov", "dampening"],
)
def test_momentum_replays_at_once_with_eager_numbers(dtype, options):
    """Momentum SGD's buffers are adopted into one array laid out as the gradients, and
    its operations run once over every tensor: eager's numbers, state loaded midway too."""
    saved = {}

    def between(call, oe, oc):
        nonlocal saved
        if call == 3:
            saved = oe.state_dict()
        if call == 6:
            oe.load_state_dict(saved)
            oc.load_state_dict(saved)

    twins = _twin_nets(dtype, lambda params: SGD(params, lr=0.05, **options))
    _train_twins(twins, 10, dtype, between=between, seed=8)
    (ne, oe, _), (nc, oc, _) = twins
    _same_state(oe, oc, ("momentum_buffer",))
    assert {oc.state[q]["momentum_buffer"].base is not None for q in nc.parameters()} == {True}


# --------------------------------------------------------------------------- what a replay owns


@pytest.mark.parametrize(
    "make_opt",
    [
        lambda ps: SGD(ps, lr=np.float64(0.05)),
        lambda ps: SGD(ps, lr=0.05, momentum=np.float64(0.9)),
        lambda ps: Adam(ps, lr=np.float64(0.01)),
        lambda ps: Adam(ps, lr=0.01, eps=np.float64(1e-8)),
    ],
    ids=["sgd lr", "momentum", "adam lr", "adam eps"],
)
def test_numpy_numbers_as_settings_keep_eager_numbers_in_float32(make_opt):
    """A numpy float64 setting makes eager's float32 update compute in float64 and round
    once; the replay runs the optimizer's own step then, and the check between the first
    two calls puts the setting objects back as they were."""
    twins = _twin_nets(np.float32, make_opt)
    _train_twins(twins, 8, np.float32)
    (_, oe, _), (_, oc, captured) = twins
    assert captured.stats["replays"] == 7
    assert type(oc.param_groups[0]["lr"]) is type(oe.param_groups[0]["lr"])


def _same_kept(kept: list, copies: list, eager_kept: list, call: int) -> None:
    for k, (g, c) in enumerate(zip(kept, copies, strict=True)):
        same_bytes(c, g, f"kept gradient {k}, call {call}")
        same_bytes(eager_kept[k], g, f"kept gradient {k} against eager's")


@pytest.mark.parametrize("hold", ["the arrays", "views of them", "one, then let go"])
def test_gradients_kept_from_an_earlier_call_are_never_written(hold):
    """torch's zero_grad() sets .grad to None and backward() makes new arrays, so
    gradients kept from an earlier step stay as they were; a replay would write its
    buffers again, so while one is held the call runs eagerly."""
    twins = _twin_nets(np.float64, lambda ps: SGD(ps, lr=0.1))
    (ne, _, eager), (nc, _, captured) = twins
    kept_e, kept_c, copies = [], [], []
    for call, (x, z) in enumerate(_batches(np.float64, 10)):
        same_bytes(eager(x, z).data, captured(x, z).data, f"loss {call}")
        if call == 4:
            if hold == "views of them":
                kept_e = [p.grad[:1] for p in ne.parameters()]
                kept_c = [p.grad[:1] for p in nc.parameters()]
            else:
                kept_e = [p.grad for p in ne.parameters()]
                kept_c = [p.grad for p in nc.parameters()]
            copies = [np.array(g) for g in kept_c]
        if call == 6 and hold == "one, then let go":
            kept_c = kept_e = []
            copies = []
        _same_kept(kept_c, copies, kept_e, call)  # NOTE: no loop variable outlives it
    for k, (p, q) in enumerate(zip(ne.parameters(), nc.parameters(), strict=True)):
        same_bytes(p.data, q.data, f"parameter {k}")
    if hold == "one, then let go":
        assert captured.stats["replays"] >= 5  # replays again once nothing is held
    else:
        assert captured.stats["eager"] >= 5


def test_a_parameter_taken_from_the_optimizer_after_capture_gets_eager_gradients():
    """A replay would not clear the gradient of a parameter its zero_grad() no longer
    covers; such a call runs eagerly, and the gradient adds up as eager's does."""

    def between(call, oe, oc):
        if call == 3:  # NOTE: so the fifth call is the first without the parameter
            oe.param_groups[0]["params"].pop()
            oc.param_groups[0]["params"].pop()

    _train_twins(_twin_nets(np.float64, lambda ps: SGD(ps, lr=0.1)), 8, between=between)

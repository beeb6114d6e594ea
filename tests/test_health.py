"""health.Monitor: known pathologies get their sentence, healthy runs get none, and every
figure equals the same figure computed here with numpy on the same weights."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_mlp import Value, no_grad
from tinygrad_mlp.health import PERSIST, THRESHOLDS, Monitor
from tinygrad_mlp.losses import mse_mean
from tinygrad_mlp.nn import MLP, Linear, ReLU, Sequential, Tanh
from tinygrad_mlp.optim import SGD


def regression(n: int = 64, low: float = -1.0, high: float = 1.0):
    rng = np.random.default_rng(0)
    x = rng.uniform(low, high, (n, 2))
    u = (x - x.mean(axis=0)) / x.std(axis=0)
    return x, u[:, :1] * u[:, 1:] + 0.5 * u[:, :1]


def train(act: str, lr: float, x, z, bias: float | None = None, epochs: int = 40) -> Monitor:
    """Full-batch SGD (one step an epoch), recorded every step."""
    init = "kaiming" if act == "relu" else "xavier"
    net = MLP(2, [16 if act != "sigmoid" else 8, 1], act, "linear", seed=0, init=init)
    if bias is not None:
        net.layers[0].bias.data[...] = bias
    optimizer, monitor = SGD(net.parameters(), lr=lr), Monitor(net)
    with np.errstate(all="ignore"):
        for epoch in range(1, epochs + 1):
            optimizer.zero_grad()
            mse_mean(net(x), z).backward()
            monitor.record(epoch, epoch=epoch)
            optimizer.step()
    return monitor


def only(findings: list[str], words: str) -> list[str]:
    return [f for f in findings if words in f]


# --------------------------------------------------------------------------- pathologies


def test_sigmoid_inputs_in_the_hundreds_are_diagnosed_as_saturation():
    x, z = regression(low=100.0, high=900.0)
    findings = train("sigmoid", 0.05, x, z).findings
    (sentence,) = only(findings, "saturated")
    assert sentence.startswith("layer 1: ") and "sigmoid units saturated since epoch 1" in sentence
    assert "scale the inputs" in sentence


def test_the_same_sigmoid_net_on_scaled_inputs_is_healthy():
    x, z = regression(low=100.0, high=900.0)
    assert train("sigmoid", 0.05, (x - x.mean(axis=0)) / x.std(axis=0), z).findings == []


def test_a_large_negative_bias_init_is_diagnosed_as_dead_relu_units():
    x, z = regression()
    findings = train("relu", 0.1, x, z, bias=-5.0).findings
    assert findings[0] == (
        "layer 1: 100 % of relu units dead (0 on every sample) since epoch 1: start the "
        "biases at 0, lower the learning rate or use leaky_relu"
    )


def test_the_same_relu_net_with_zero_biases_is_healthy():
    x, z = regression()
    assert train("relu", 0.1, x, z, bias=0.0).findings == []


def test_a_learning_rate_100_times_too_high_is_diagnosed_as_exploding_updates():
    x, z = regression()
    findings = only(train("tanh", 10.0, x, z).findings, "lower the learning rate")
    assert findings and findings[0].startswith("layer 1: each step changes the weights by 10^")
    assert "since epoch 1 (guide: about 10^-3)" in findings[0]


def test_a_learning_rate_of_1e_6_is_diagnosed_as_vanishing_updates():
    x, z = regression()
    findings = train("tanh", 1e-6, x, z).findings
    assert len(only(findings, "raise the learning rate")) == 2  # both layers
    assert findings[0].startswith("layer 1: each step changes the weights by only 10^-6.")


def test_a_healthy_tanh_run_gets_no_finding():
    x, z = regression()
    monitor = train("tanh", 0.1, x, z)
    assert monitor.findings == []
    assert "findings: none" in monitor.summary()


def test_a_finding_needs_persist_rows_in_a_row():
    x, z = regression()
    monitor = train("tanh", 1e-6, x, z, epochs=PERSIST)
    assert monitor.findings == []  # the last row's update is not measured yet
    monitor = train("tanh", 1e-6, x, z, epochs=PERSIST + 1)
    assert len(monitor.findings) == 2


# --------------------------------------------------------------------------- the figures


def numpy_figures(w1, b1, w2, b2, x, z, act):
    """One step's figures by hand: forward, the mse gradient, the shares."""
    s = x @ w1.T + b1
    a = np.tanh(s) if act == "tanh" else np.maximum(s, 0.0)
    y = a @ w2.T + b2
    dy = 2 * (y - z) / y.size
    g2 = dy.T @ a
    da = dy @ w2
    ds = da * (1 - a**2) if act == "tanh" else da * (s > 0)
    g1 = ds.T @ x
    return {
        "grads": (g1, g2),
        "layer 1": {
            "mean": a.mean(),
            "std": a.std(),
            "saturated": (np.abs(a) > 0.97).mean() if act == "tanh" else None,
            "dead": (a == 0).all(axis=0).mean() if act == "relu" else None,
        },
        "layer 2": {"mean": y.mean(), "std": y.std(), "saturated": None, "dead": None},
    }


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_every_figure_equals_numpy_on_the_same_weights(act):
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2.0, (50, 3))
    z = rng.normal(0, 1.0, (50, 1))
    net = MLP(3, [6, 1], act, "linear", seed=1, init="xavier")
    net.layers[0].bias.data[:3] = -4.0  # some dead relu units, some saturated tanh
    lr = 0.05
    optimizer, monitor = SGD(net.parameters(), lr=lr), Monitor(net)
    expected = []
    for step in (1, 2, 3):
        w1, b1 = net.layers[0].weight.data.copy(), net.layers[0].bias.data.copy()
        w2, b2 = net.layers[1].weight.data.copy(), net.layers[1].bias.data.copy()
        expected.append(numpy_figures(w1, b1, w2, b2, x, z, act))
        expected[-1]["weights"] = (w1, w2)
        optimizer.zero_grad()
        mse_mean(net(x), z).backward()
        monitor.record(step)
        optimizer.step()
    monitor.after_step()
    layers = monitor.history["layers"]
    for row, figures in enumerate(expected):
        for k, layer in enumerate(layers):
            g, w = figures["grads"][k], figures["weights"][k]
            assert layer["grad_norm"][row] == pytest.approx(np.linalg.norm(g), rel=1e-10)
            assert layer["weight_norm"][row] == pytest.approx(np.linalg.norm(w), rel=1e-12)
            # SGD: ΔW = −lr ∇W, so ‖ΔW‖ / ‖W‖ = lr ‖∇W‖ / ‖W‖
            ratio = np.log10(lr * np.linalg.norm(g) / np.linalg.norm(w))
            assert layer["update_ratio"][row] == pytest.approx(ratio, abs=1e-9)
            for name, value in figures[layer["name"]].items():
                if value is None:
                    assert layer[name][row] is None, name
                else:
                    assert layer[name][row] == pytest.approx(value, rel=1e-10, abs=1e-12), name
    assert any(v > 0 for v in layers[0]["saturated" if act == "tanh" else "dead"])


def test_every_n_steps_a_row_covers_every_sample_since_the_last():
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (40, 2))
    net = MLP(2, [5, 1], "relu", "linear", seed=0)
    monitor = Monitor(net, every=4)
    for step in range(1, 9):
        batch = x[(step - 1) % 4 * 10 : (step - 1) % 4 * 10 + 10]
        net.zero_grad()
        mse_mean(net(batch), np.zeros((10, 1))).backward()
        monitor.record(step)
    assert monitor.history["step"] == [4, 8]
    a = np.maximum(x @ net.layers[0].weight.data.T + net.layers[0].bias.data, 0)
    assert monitor.history["layers"][0]["mean"][1] == pytest.approx(a.mean(), rel=1e-12)
    assert monitor.history["layers"][0]["dead"][1] == pytest.approx((a == 0).all(axis=0).mean())


def test_forwards_under_no_grad_are_not_counted():
    net = MLP(2, [3, 1], "tanh", seed=0)
    monitor = Monitor(net)
    with no_grad():
        net(np.full((4, 2), 100.0))
    net(np.zeros((4, 2))).sum().backward()
    monitor.record(1)
    assert monitor.history["layers"][0]["saturated"] == [0.0]


def test_a_sequential_and_the_scalar_engine_are_watched_too():
    seq = Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 2, seed=1), ReLU(), Linear(2, 1))
    monitor = Monitor(seq)
    out = seq([Value(100.0), Value(-100.0)])  # one sample on the scalar engine
    out[0].backward()
    monitor.record(1)
    layers = monitor.history["layers"]
    assert [layer["activation"] for layer in layers] == ["tanh", "relu", "linear"]
    assert layers[0]["saturated"] == [1.0] and layers[0]["grad_norm"][0] is not None


def test_the_history_is_plain_json():
    x, z = regression()
    monitor = train("tanh", 10.0, x, z, epochs=60)  # diverges: non-finite figures are None
    text = json.dumps(monitor.history, allow_nan=False)
    assert json.loads(text)["thresholds"] == THRESHOLDS
    assert any("not finite" in f or "lower" in f for f in monitor.findings)


def test_bad_arguments_are_one_sentence():
    with pytest.raises(TypeError, match="Monitor watches an MLP"):
        Monitor(object())
    with pytest.raises(ValueError, match="every must be a positive"):
        Monitor(MLP(2, [1], seed=0), every=0)


def test_close_removes_the_hooks():
    net = MLP(2, [3, 1], "tanh", seed=0)
    monitor = Monitor(net)
    monitor.close()
    net(np.ones((2, 2))).sum().backward()
    monitor.record(1)
    assert monitor.history["layers"][0]["mean"] == [None]


def test_the_plot_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    x, z = regression()
    monitor = train("relu", 0.1, x, z, bias=-5.0, epochs=8)
    path = tmp_path / "health.png"
    monitor.plot(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --------------------------------------------------------------------------- wiring


@pytest.fixture
def hundreds_csv(tmp_path):
    """Inputs in the hundreds, a target of their shape."""
    rng = np.random.default_rng(0)
    x = rng.uniform(100, 900, (80, 2))
    y = np.sin(x[:, 0] / 200) + x[:, 1] / 900
    path = tmp_path / "hundreds.csv"
    rows = "\n".join(f"{a:.3f},{b:.3f},{c:.5f}" for (a, b), c in zip(x, y, strict=True))
    path.write_text("a,b,y\n" + rows + "\n")
    return path


def train_argv(tmp_path, csv, *extra):
    return [
        "train", "--data", str(csv), "--model", str(tmp_path / "m.json"), "--hidden", "8",
        "--activation", "sigmoid", "--epochs", "30", "--optimizer", "sgd", "--lr", "0.05",
        "--batch-size", "16", "--patience", "0", *extra,
    ]  # fmt: skip


def test_train_health_prints_findings_and_a_summary(tmp_path, hundreds_csv, capsys):
    from tinygrad_mlp.cli import main

    # NOTE: --normalize none leaves the inputs in the hundreds: the sigmoid layer saturates
    assert main(train_argv(tmp_path, hundreds_csv, "--normalize", "none", "--health")) == 0
    captured = capsys.readouterr()
    assert "epoch 3 health: L1 |g|" in captured.err
    assert "finding: layer 1: " in captured.err and "sigmoid units saturated" in captured.err
    assert "health at the last epoch:" in captured.out and "findings:\n  layer 1:" in captured.out
    assert main(train_argv(tmp_path, hundreds_csv, "--health")) == 0  # standardized: healthy
    assert "findings: none" in capsys.readouterr().out


def test_train_health_json_and_plot(tmp_path, hundreds_csv, capsys):
    pytest.importorskip("matplotlib")
    from tinygrad_mlp.cli import main

    plot = tmp_path / "health.png"
    argv = train_argv(tmp_path, hundreds_csv, "--health-plot", str(plot), "--json")
    assert main(argv) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["health"]["step"][:2] == [5, 10]  # 80 rows in batches of 16: 5 steps
    assert summary["health"]["epoch"][:2] == [1, 2]
    assert summary["health_plot"] == str(plot) and plot.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "extra, words",
    [
        (["--check-every", "0"], "--check-every must be at least 1 epoch, got 0"),
        (["--health-plot", "x.unknown"], "--health-plot x.unknown: cannot write"),
    ],
)
def test_bad_health_flags_stop_before_training(tmp_path, hundreds_csv, capsys, extra, words):
    from tinygrad_mlp.cli import main

    assert main(train_argv(tmp_path, hundreds_csv, *extra)) == 2
    assert words in capsys.readouterr().err
    assert not (tmp_path / "m.json").exists()


def test_check_every_stops_at_the_epoch_a_rule_goes_wrong(tmp_path, hundreds_csv, capsys):
    from tinygrad_mlp.cli import main
    from tinygrad_mlp.ops import arithmetic

    right = arithmetic.Sigmoid.backward

    def wrong(self, grad_out, out, a):  # σ' written as σ (1 + σ): a plausible slip
        return (grad_out * out * (1.0 + out),)

    def on_epoch(epoch, loss):
        if epoch == 2:  # the tensor engine's rule changes after the second epoch
            arithmetic.Sigmoid.backward = wrong

    import tinygrad_mlp.commands.train_watch as train_command

    original = train_command.Watch.on_epoch

    def watched(self, epoch, loss):
        original(self, epoch, loss)
        on_epoch(epoch, loss)

    try:
        train_command.Watch.on_epoch = watched
        status = main(train_argv(tmp_path, hundreds_csv, "--check-every", "1"))
    finally:
        train_command.Watch.on_epoch = original
        arithmetic.Sigmoid.backward = right
    err = capsys.readouterr().err
    assert status == 1
    assert "the gradient roads disagree at epoch 3" in err and "was not saved" in err
    assert "wh[0][0][0]" in err  # the report names the parameters
    assert not (tmp_path / "m.json").exists()
    # and with the rule left alone, the same run checks every epoch and passes
    assert main(train_argv(tmp_path, hundreds_csv, "--check-every", "1")) == 0


def test_estimators_have_health_after_fit():
    pytest.importorskip("sklearn")
    import pickle

    from tinygrad_mlp.sklearn import MLPRegressor

    x, z = regression()
    est = MLPRegressor(hidden_layer_sizes=(6,), max_iter=12, random_state=0).fit(x, z[:, 0])
    health = est.health_
    assert len(health["epoch"]) == est.n_iter_ and health["findings"] == []
    assert all(r is not None for r in health["layers"][0]["update_ratio"])
    json.dumps(health, allow_nan=False)
    assert pickle.loads(pickle.dumps(est)).health_ == health

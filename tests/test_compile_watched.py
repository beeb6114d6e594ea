"""A watched training loop through the captured step: the same history to the last bit.

fit with a health Monitor (the CLI's --health, the estimators' default), with sample
weights, and the studio's session all train through ``tinygrad_mlp.compile``. The
reference is the eager loop with the monitor's own forward hooks counting each
forward as it happens (``compile=False``, the monitor fed through ``on_step`` and
``on_epoch`` as the loop was written before the capture could feed it): losses,
weights, every health figure and every finding must be the same bytes, and the step
must really have been replayed.
"""

from __future__ import annotations

import contextlib
import json
import warnings

import numpy as np
import pytest

from tinygrad_mlp import Tensor, detect_anomaly, no_grad
from tinygrad_mlp.compiled import Compiled, CompileWarning, compile
from tinygrad_mlp.data import Dataset
from tinygrad_mlp.health import Monitor
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.optim import SGD
from tinygrad_mlp.training import TrainConfig, fit, new_model
from tinygrad_mlp.training import step as step_module


@pytest.fixture
def replays(monkeypatch):
    """Counts of the captured steps' captures and replays, over every Compiled."""
    counts = {"captures": 0, "replays": 0}
    capture, replay = Compiled._capture, Compiled._replay

    def counted_capture(self, *args):
        counts["captures"] += 1
        return capture(self, *args)

    def counted_replay(self, *args):
        counts["replays"] += 1
        return replay(self, *args)

    monkeypatch.setattr(Compiled, "_capture", counted_capture)
    monkeypatch.setattr(Compiled, "_replay", counted_replay)
    return counts


@pytest.fixture
def eager_only(monkeypatch):
    """A switch: after ``eager_only()`` training runs as it did before the capture could
    be watched: never captured, and the monitor's hooks counting each forward as it
    happens (nothing collected, nothing handed over)."""

    @contextlib.contextmanager
    def not_collecting(monitor):
        yield []

    def switch() -> None:
        monkeypatch.setattr(step_module, "compile_step", lambda fn: fn)
        monkeypatch.setattr(Monitor, "collecting", not_collecting)

    return switch


def table(loss: str, rows: int = 150, seed: int = 1) -> Dataset:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1, 1, (rows, 3))
    if loss == "mse":
        y = x @ [[1.0], [2.0], [-1.0]]
    elif loss == "ce":
        y = ((x[:, :1] > 0) + (x[:, 1:2] > 0.3)).astype(float)
    else:
        y = (x[:, :1] > 0).astype(float)
    return Dataset(x, y, ["a", "b", "c"], ["y"])


def run(config: TrainConfig, data: Dataset, *, hooked: bool, weights=None) -> tuple:
    """fit with a monitor: through fit's ``monitor`` (captured), or through the old
    hooks on_step/on_epoch with the monitor's forward hooks counting (``hooked``)."""
    model = new_model(data, config, sample_weight=weights)
    monitor = Monitor(model.net)
    if hooked:
        history = fit(
            model,
            data,
            config,
            on_epoch=lambda epoch, loss: monitor.after_step(),
            on_step=lambda step, epoch, last: monitor.record(step, epoch, row=last),
            sample_weight=weights,
        )
    else:
        history = fit(model, data, config, sample_weight=weights, monitor=monitor)
    monitor.close()
    return (
        history.loss,
        history.val_loss,
        history.best_epoch,
        json.dumps(monitor.history),  # NOTE: repr of every float: equal text, equal bits
        [p.data.tobytes() for p in model.net.parameters()],
    )


CASES = [
    ("mse", "tanh", "sgd", None),
    ("mse", "relu", "adam", 0.5),
    ("ce", "tanh", "adam", None),
    ("ce", "sigmoid", "momentum", 0.1),
    ("bce", "relu", "sgd", None),
]


@pytest.mark.parametrize("loss, act, optimizer, clip", CASES)
def test_fit_with_a_monitor_replays_and_equals_the_eager_hooked_loop(
    loss, act, optimizer, clip, replays
):
    data = table(loss)
    base = dict(hidden=[8, 6], epochs=6, seed=0, batch_size=32, loss=loss, activation=act)
    base.update(optimizer=optimizer, clip_grad=clip, patience=0, lr=0.05)
    eager = run(TrainConfig(**base, compile=False), data, hooked=True)
    assert replays == {"captures": 0, "replays": 0}
    captured = run(TrainConfig(**base), data, hooked=False)
    # NOTE: 135 training rows in batches of 32: four full batches and a short one,
    # two signatures, each captured once and replayed from then on
    assert replays["captures"] == 2 and replays["replays"] >= 6 * 5 - 2
    assert captured == eager
    assert json.loads(captured[3])["step"] == [5 * k for k in range(1, 7)]


def test_a_sick_run_gives_the_same_findings_captured(replays):
    """Sigmoid inputs in the hundreds saturate: the findings come out word for word."""
    rng = np.random.default_rng(0)
    x = rng.uniform(100, 900, (80, 2))
    data = Dataset(x, np.sin(x[:, :1] / 200), ["a", "b"], ["y"])
    base = dict(hidden=[8], activation="sigmoid", epochs=12, batch_size=16, patience=0)
    base.update(optimizer="sgd", lr=0.05, normalize="none", seed=0)
    eager = run(TrainConfig(**base, compile=False), data, hooked=True)
    captured = run(TrainConfig(**base), data, hooked=False)
    assert captured == eager and replays["replays"] > 0
    findings = json.loads(captured[3])["findings"]
    assert findings and "sigmoid units saturated" in findings[0]


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_sample_weights_are_an_input_of_the_captured_step(loss, replays):
    """Weights change every batch without a new capture; a batch whose weights are all 0
    (the first, unshuffled) is a graph of its own, captured too."""
    data = table(loss)
    weights = np.random.default_rng(2).uniform(0, 3, len(data))
    weights[:32] = 0.0
    base = dict(hidden=[6], epochs=5, seed=0, batch_size=32, loss=loss, patience=0)
    base.update(shuffle=False, val_split=0.0)
    eager = run(TrainConfig(**base, compile=False), data, hooked=True, weights=weights)
    captured = run(TrainConfig(**base), data, hooked=False, weights=weights)
    assert captured == eager
    # zero weights, weighted full batches, the short last batch: three signatures
    assert replays["captures"] == 3 and replays["replays"] >= 5 * 5 - 3
    plain = run(TrainConfig(**base), data, hooked=False)
    assert plain[0] != captured[0]  # the weights did change the run


def test_a_hook_that_is_not_the_monitors_keeps_the_step_eager(replays):
    """A replay runs no forward hook: a foreign one would see the first calls only."""
    data = table("mse")
    config = TrainConfig(hidden=[5], epochs=3, seed=0, batch_size=32, patience=0)
    model = new_model(data, config)
    seen = []
    model.net.layers[0].register_forward_hook(lambda m, a, out: seen.append(out.shape))
    fit(model, data, config)
    assert replays["captures"] == 0 and seen.count((32, 5)) == 3 * 4  # every full batch


# --------------------------------------------------------------------------- CLI


def csv_file(tmp_path, loss: str = "mse"):
    data = table(loss, rows=90)
    rows = "\n".join(
        ",".join(repr(float(v)) for v in (*x, y))
        for x, y in zip(data.inputs, data.targets[:, 0], strict=True)
    )
    path = tmp_path / "d.csv"
    path.write_text("a,b,c,y\n" + rows + "\n")
    return path


@pytest.mark.parametrize("loss", ["mse", "ce"])
def test_train_health_captured_equals_eager(tmp_path, capsys, loss, replays, eager_only):
    from tinygrad_mlp.cli import main

    csv = csv_file(tmp_path, loss)
    common = ["--data", str(csv), "--hidden", "8,6", "--epochs", "8", "--batch-size", "16"]
    common += ["--loss", loss, "--health", "--json", "--lr", "0.01"]

    def train(name: str) -> tuple:
        path = tmp_path / name
        assert main(["train", *common, "--model", str(path)]) == 0
        summary = json.loads(capsys.readouterr().out)
        for key in ("model", "seconds"):
            summary.pop(key)
        return json.dumps(summary), path.read_bytes()

    captured = train("captured.json")
    assert replays["replays"] > 0
    eager_only()
    count = replays["replays"]
    eager = train("eager.json")
    assert replays["replays"] == count  # really eager
    assert captured == eager
    assert json.loads(captured[0])["health"]["layers"][0]["grad_norm"]


# --------------------------------------------------------------------------- estimators


def test_the_estimators_default_trains_captured_with_the_same_health(replays, eager_only):
    pytest.importorskip("sklearn")
    from tinygrad_mlp.sklearn import MLPClassifier, MLPRegressor

    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, (120, 2))
    y = x[:, 0] * x[:, 1]
    labels = (x[:, 0] > x[:, 1]).astype(int) + (x[:, 0] > 0.5)
    weights = rng.uniform(0, 2, len(x))

    def fitted(make, target, w=None):
        est = make(hidden_layer_sizes=(7, 5), max_iter=10, random_state=0).fit(x, target, w)
        assert est.health_ is not None
        return (
            json.dumps(est.health_),
            est.loss_curve_,
            est.validation_loss_curve_,
            [c.tobytes() for c in est.coefs_ + est.intercepts_],
        )

    cases = [
        (MLPRegressor, y, None),
        (MLPClassifier, labels, None),
        (MLPClassifier, labels, weights),
    ]
    captured = [fitted(*case) for case in cases]
    assert replays["replays"] >= 3 * 9  # one batch an epoch: capture, then replays
    eager_only()
    count = replays["replays"]
    eager = [fitted(*case) for case in cases]
    assert replays["replays"] == count
    for a, b in zip(captured, eager, strict=True):
        assert a == b


# --------------------------------------------------------------------------- studio


def test_the_studio_worker_trains_captured_with_the_same_panel(replays, eager_only):
    """The worker's pattern: steps, and a recorded step before each update it sends."""
    from tinygrad_mlp.studio import Session, default_config, make_dataset
    from tinygrad_mlp.studio.worker import Worker

    data = make_dataset("moons", size=90, noise=0.2, seed=1)

    def played(health: bool) -> tuple:
        sent: list[str] = []
        session = Session(data, default_config(data, hidden=[8, 8], batch_size=7), health)
        worker = Worker(session, sent.append)
        for k in range(60):
            worker._step(record=health and k % 7 == 6)
            if k % 7 == 6:
                worker._publish()
        monitor = session.monitor
        return (
            sent,
            None if monitor is None else json.dumps(monitor.history),
            [w.tobytes() for w in session.weights()],
        )

    captured = [played(True), played(False)]
    assert replays["replays"] > 2 * 50
    eager_only()
    count = replays["replays"]
    eager = [played(True), played(False)]
    assert replays["replays"] == count
    assert captured == eager
    assert json.loads(captured[0][0][-1])["health"]["available"]


def test_the_studios_sample_table_and_graph_are_not_counted_as_training():
    pytest.importorskip("graphviz")
    from tinygrad_mlp.studio import Session, make_dataset

    data = make_dataset("xor", size=40)
    histories = []
    for look in (False, True):
        session = Session(data, health=True)
        for k in range(9):
            session.step(record=k % 3 == 2)
            if look:
                session.sample(k % 5)
                session.graph(k % 5)
        histories.append(json.dumps(session.monitor.history))
    assert histories[0] == histories[1]


# --------------------------------------------------------------------------- guards


def test_a_watched_step_whose_graph_depends_on_the_data_falls_back_with_the_same_figures():
    """The monitor's outputs come back from the eager run when the capture gives up."""

    def watched(net, opt, monitor):
        def step(x, z):
            opt.zero_grad()
            with monitor.collecting() as outputs:
                out = net(x)
            if float(x.sum()) > 0:  # NOTE: Python control flow on the data
                out = out * 2.0
            loss = mse(out, z)
            loss.backward()
            return loss, outputs

        return step

    rng = np.random.default_rng(0)
    signs = [1, -1, 1, 1, -1, 1]  # NOTE: the first two calls take different branches
    batches = [(s * rng.uniform(0, 1, (8, 2)), rng.uniform(0, 1, (8, 1))) for s in signs]
    runs = []
    for captured in (False, True):
        net = MLP(2, [4, 1], activation="tanh", seed=0)
        opt, monitor = SGD(net.parameters(), lr=0.1), Monitor(net)
        step = watched(net, opt, monitor)
        step = compile(step) if captured else step
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for k, (x, z) in enumerate(batches, start=1):
                _, outputs = step(x, z)
                monitor.observe(outputs)
                monitor.record(k)
                opt.step()
        if captured:
            assert any(issubclass(w.category, CompileWarning) for w in caught)
        runs.append((json.dumps(monitor.history), [p.data.tobytes() for p in net.parameters()]))
    assert runs[0] == runs[1]


def test_anomaly_detection_and_no_grad_see_the_step_run_eagerly():
    p = Tensor([0.5, 2.0], requires_grad=True)
    opt = SGD([p], lr=0.1)

    @compile
    def step(x):
        opt.zero_grad()
        loss = (p.log() * x).sum()
        loss.backward()
        opt.step()
        return loss

    @compile
    def value(x):
        return (p * x).sum()

    x = np.array([1.0, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", CompileWarning)
        with no_grad():
            assert value(x).requires_grad is False  # eager, silently: nothing to capture
        for _ in range(3):
            value(x)
            step(x)  # captured, checked, replayed
    assert value.stats == {"captures": 1, "replays": 2, "eager": 1}  # no_grad left no mark
    assert step.stats == {"captures": 1, "replays": 2, "eager": 0}
    p.data[0] = -1.0
    with detect_anomaly(), pytest.raises(FloatingPointError, match="log"):
        step(x)

"""Defaults for a person with a CSV file: Adam on minibatches, a validation split, early
stopping that keeps the best epoch, learning-rate schedules and gradient clipping as torch."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.io import load_model
from tinygrad_mlp.optim import (
    SGD,
    Adam,
    CosineAnnealingLR,
    ExponentialLR,
    StepLR,
    clip_grad_norm_,
)
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.training import (
    TrainConfig,
    fit,
    network_inputs,
    new_model,
    split_rows,
    targets_for_training,
)


def write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


@pytest.fixture
def noisy_csv(tmp_path):
    rng = np.random.default_rng(5)
    x = rng.uniform(-1, 1, (120, 3))
    y = x[:, 0] - 2 * x[:, 1] * x[:, 2] + 0.3 * rng.normal(size=120)
    return write_csv(tmp_path / "noisy.csv", ["a", "b", "c", "y"], np.c_[x, y].tolist())


def test_defaults_are_adam_minibatches_validation_and_early_stopping():
    config = TrainConfig()
    assert config.optimizer == "adam" and config.lr == 1e-3 and config.batch_size == 200
    assert config.val_split == 0.1 and config.patience == 50 and config.tol == 1e-6
    assert (TrainConfig(loss="ce").patience, TrainConfig(loss="ce").tol) == (10, 1e-4)
    assert config.loss == "mse" and config.final_activation == "linear"
    assert config.normalize == "standard"


def test_early_stopping_keeps_the_best_epochs_weights(noisy_csv):
    data = load_csv(noisy_csv)
    config = TrainConfig(hidden=[32], lr=0.05, batch_size=8, epochs=300, patience=5, seed=2)
    model = new_model(data, config)
    history = fit(model, data, config)
    assert history.stopped_early and len(history.loss) < 300
    best = int(np.argmin(history.val_loss)) + 1
    assert history.best_epoch == best < len(history.loss)
    # the saved weights are the best epoch's: their validation loss is the minimum
    _, val = split_rows(len(data), config)  # regression: a plain shuffled split
    x = network_inputs(model, data.inputs)[val]
    z = targets_for_training(model, data)[val]
    span = model.output_scaler.unit
    out = model.net(x).data
    val_loss = 0.5 * np.mean(((out - z) * span) ** 2)
    assert val_loss == pytest.approx(min(history.val_loss), rel=1e-10)


def test_validation_rows_are_held_out_of_training(noisy_csv, tmp_path, capsys):
    capsys.readouterr()
    argv = ["train", "--data", str(noisy_csv), "--model", str(tmp_path / "m.json"), "--json"]
    assert main([*argv, "--epochs", "3"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["train_rows"] == 108 and summary["val_rows"] == 12
    assert len(summary["val_loss_history"]) == 3
    train, val = split_rows(120, TrainConfig())
    assert len(set(train) & set(val)) == 0 and len(train) + len(val) == 120


def test_classes_are_split_in_proportion():
    labels = np.array([0] * 50 + [1] * 30 + [2] * 20)
    train, val = split_rows(100, TrainConfig(val_split=0.2), labels)
    assert np.bincount(labels[val]).tolist() == [10, 6, 4]
    assert sorted([*train, *val]) == list(range(100))


def test_patience_zero_runs_every_epoch(noisy_csv, tmp_path, capsys):
    capsys.readouterr()
    argv = ["train", "--data", str(noisy_csv), "--model", str(tmp_path / "m.json"), "--json"]
    assert main([*argv, "--epochs", "7", "--patience", "0", "--lr", "1"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["epochs"] == 7 and summary["best_epoch"] == 7


def test_scheduler_flag_changes_the_learning_rate_as_stepLR(noisy_csv):
    data = load_csv(noisy_csv)
    base = dict(hidden=[4], optimizer="sgd", lr=0.1, epochs=4, patience=0, val_split=0.0)
    plain = fit(new_model(data, TrainConfig(**base)), data, TrainConfig(**base))
    config = TrainConfig(**base, scheduler="step", step_size=1, gamma=0.0001)
    stepped = fit(new_model(data, config), data, config)
    assert stepped.loss[0] == plain.loss[0]
    # after epoch 1 the rate is 1e-5: the loss barely moves, unlike the plain run
    assert abs(stepped.loss[3] - stepped.loss[1]) < 1e-3 * abs(plain.loss[3] - plain.loss[1])


# ---------------------------------------------------------------- torch parity


def torch_sequence(make, epochs):
    torch = pytest.importorskip("torch")
    p = torch.nn.Parameter(torch.zeros(1, dtype=torch.float64))
    opt = torch.optim.SGD([p], lr=0.3)
    sched = make(torch.optim.lr_scheduler, opt)
    lrs = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    return lrs


def our_sequence(make, epochs):
    opt = SGD([Tensor([0.0], requires_grad=True)], lr=0.3)
    sched = make(opt)
    lrs = []
    for _ in range(epochs):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
        assert opt.lr == lrs[-1]
    return lrs


@pytest.mark.parametrize(
    "ours, theirs",
    [
        (lambda o: StepLR(o, step_size=3, gamma=0.5), lambda m, o: m.StepLR(o, 3, gamma=0.5)),
        (lambda o: ExponentialLR(o, gamma=0.9), lambda m, o: m.ExponentialLR(o, gamma=0.9)),
        (
            lambda o: CosineAnnealingLR(o, T_max=10, eta_min=0.01),
            lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.01),
        ),
    ],
    ids=["StepLR", "ExponentialLR", "CosineAnnealingLR"],
)
def test_schedulers_match_torch(ours, theirs):
    expected = torch_sequence(theirs, 25)  # past T_max, where the cosine turns back up
    np.testing.assert_allclose(our_sequence(ours, 25), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, 3.0])
@pytest.mark.parametrize("max_norm", [0.5, 100.0])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=4)]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad = g.copy()
        q.grad = torch.tensor(g)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_clip_grad_norm_refuses_a_nonfinite_norm_when_asked():
    p = Tensor([0.0], requires_grad=True)
    p.grad = np.array([np.inf])
    with pytest.raises(RuntimeError, match="total norm"):
        clip_grad_norm_([p], 1.0, error_if_nonfinite=True)


def test_clip_grad_flag_bounds_every_step(noisy_csv, tmp_path, capsys):
    capsys.readouterr()
    argv = ["train", "--data", str(noisy_csv), "--model", str(tmp_path / "m.json"), "--json"]
    assert main([*argv, "--epochs", "2", "--clip-grad", "0.01"]) == 0
    assert load_model(tmp_path / "m.json").settings["clip_grad"] == 0.01
    assert main([*argv, "--clip-grad", "-1"]) == 2


def test_adam_is_the_optimizer_the_defaults_build(noisy_csv):
    from tinygrad_mlp.training.fit import optimizer_for

    model = new_model(load_csv(noisy_csv), TrainConfig())
    assert isinstance(optimizer_for(model.net, TrainConfig()), Adam)


def test_standard_scaling_is_the_default_and_survives_the_model_file(noisy_csv, tmp_path, capsys):
    model_path = tmp_path / "m.json"
    assert main(["train", "--data", str(noisy_csv), "--model", str(model_path), "--quiet"]) == 0
    model = load_model(model_path)
    data = load_csv(noisy_csv)
    # stored as the min-max map of [mean - sd, mean + sd] onto [-1, 1]
    scaler = model.input_scaler
    assert scaler.feature_range == (-1.0, 1.0)
    np.testing.assert_allclose((scaler.min_ + scaler.max_) / 2, data.inputs.mean(axis=0))
    np.testing.assert_allclose((scaler.max_ - scaler.min_) / 2, data.inputs.std(axis=0))
    scaled = model.input_scaler.transform(data.inputs)
    np.testing.assert_allclose(scaled.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(scaled.std(axis=0), 1.0, rtol=1e-12)
    capsys.readouterr()
    assert main(["info", "--model", str(model_path)]) == 0
    assert "input scaler: standard (x - mean) / sd" in capsys.readouterr().out
    sig = tmp_path / "sig.json"
    argv = ["train", "--data", str(noisy_csv), "--model", str(sig), "--quiet", "--epochs", "1"]
    assert main([*argv, "--activation", "sigmoid", "--output-activation", "sigmoid"]) == 0
    argv = ["export-seed", "--model", str(sig), "--weights", str(tmp_path / "w.json")]
    assert main([*argv, "--minmax", str(tmp_path / "mm.json")]) == 2
    assert "inputs to [-1.0, 1.0] and outputs to [0.0, 1.0]" in capsys.readouterr().err


def test_seed_preset_goes_with_every_loss(tmp_path, capsys):
    rows = [[a / 10, (a * 7 % 10) / 10, ["x", "y"][a % 2]] for a in range(20)]
    data = write_csv(tmp_path / "c.csv", ["p", "q", "label"], rows)
    bits = write_csv(
        tmp_path / "b.csv", ["p", "q", "bit"], [[*r[:2], a % 2] for a, r in enumerate(rows)]
    )
    base = ["--preset", "seed", "--epochs", "2", "--quiet"]
    ce = ["train", "--data", str(data), *base, "--loss", "ce", "--model", str(tmp_path / "c.json")]
    assert main(ce) == 0, capsys.readouterr().err
    bce = [
        "train",
        "--data",
        str(bits),
        *base,
        "--loss",
        "bce",
        "--model",
        str(tmp_path / "b.json"),
    ]
    assert main(bce) == 0, capsys.readouterr().err
    config = tmp_path / "t.toml"
    config.write_text('preset = "seed"\nloss = "ce"\ntarget = "label"\nepochs = 2\n')
    argv = ["train", "--config", str(config), "--data", str(data), "--quiet"]
    assert main([*argv, "--model", str(tmp_path / "t.json")]) == 0, capsys.readouterr().err
    assert load_model(tmp_path / "t.json").settings["optimizer"] == "sgd"


@pytest.mark.parametrize("flags", [[], ["--hidden", "6", "--activation", "tanh"]])
def test_defaults_fit_a_small_table(tmp_path, capsys, flags):
    # 64 rows: a tenth held out would be 6 rows, whose loss is noise; early stopping on it
    # stopped after 11 epochs at epoch 1's weights. Default flags must fit a smooth surface.
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, (64, 2))
    y = 10 * np.sin(x[:, 0]) + 5 * x[:, 1] ** 2
    data = write_csv(tmp_path / "small.csv", ["a", "b", "y"], np.c_[x, y].tolist())
    model_path = tmp_path / "m.json"
    capsys.readouterr()
    assert main(["train", "--data", str(data), "--model", str(model_path), *flags, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["epochs"] > 100 and summary["val_rows"] == 0 and summary["train_rows"] == 64
    from tinygrad_mlp.training import predict

    error = predict(load_model(model_path), x)[:, 0] - y
    constant = np.mean((y - y.mean()) ** 2)  # the best constant predictor's squared error
    assert np.mean(error**2) < 0.2 * constant

"""train / test / predict / info through the CLI, against the Python API and by hand."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.data import MinMaxScaler, load_csv
from tinygrad_mlp.io import SavedModel, load_model, save_model
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import BIASES, DATASET, WEIGHTS
from tinygrad_mlp.training import TrainConfig, evaluate, fit, new_model, predict


def write_csv(path, header, rows):
    path.write_text(
        ",".join(header) + "\n" + "\n".join(", ".join(map(str, r)) for r in rows) + "\n"
    )
    return path


@pytest.fixture
def regression_csv(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, (60, 2))
    y = np.sin(x[:, 0]) + 0.5 * x[:, 1] ** 2
    return write_csv(tmp_path / "reg.csv", ["a", "b", "y"], np.c_[x, y].tolist())


@pytest.fixture
def classes_csv(tmp_path):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, (90, 2))
    label = np.where(x[:, 0] > 0.3, "red", np.where(x[:, 1] > 0, "green", "blue"))
    rows = [[f"{a:.4f}", f"{b:.4f}", c] for (a, b), c in zip(x, label, strict=True)]
    return write_csv(tmp_path / "cls.csv", ["x0", "x1", "colour"], rows)


def run_json(capsys, argv):
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_regression_cli_matches_python_api(tmp_path, regression_csv, capsys):
    model_path = tmp_path / "m.json"
    argv = [
        "train",
        "--data",
        str(regression_csv),
        "--hidden",
        "6",
        "--activation",
        "tanh",
        "--epochs",
        "40",
        "--lr",
        "0.05",
        "--batch-size",
        "8",
        "--seed",
        "3",
        "--model",
        str(model_path),
    ]
    summary = run_json(capsys, argv)
    config = TrainConfig(hidden=[6], activation="tanh", epochs=40, lr=0.05, batch_size=8, seed=3)
    data = load_csv(regression_csv)
    model = new_model(data, config)
    history = fit(model, data, config).loss
    assert summary["loss_history"] == pytest.approx(history, rel=1e-12)
    assert history[-1] < history[0] / 2
    tested = run_json(capsys, ["test", "--model", str(model_path), "--data", str(regression_csv)])
    expected = evaluate(model, data)
    assert tested["loss"] == pytest.approx(expected["loss"], rel=1e-12)
    assert tested["rmse"]["y"] == pytest.approx(expected["rmse"]["y"], rel=1e-12)
    predicted = run_json(
        capsys, ["predict", "--model", str(model_path), "--data", str(regression_csv)]
    )
    assert predicted["columns"] == ["a", "b", "y", "predicted_y"]
    np.testing.assert_allclose(
        np.array(predicted["rows"])[:, 3], predict(model, data.inputs)[:, 0], rtol=0, atol=1e-12
    )


def test_classification_cli_reports_accuracy_and_confusion(tmp_path, classes_csv, capsys):
    model_path = tmp_path / "c.json"
    run_json(
        capsys,
        [
            "train",
            "--data",
            str(classes_csv),
            "--loss",
            "ce",
            "--hidden",
            "8",
            "--activation",
            "tanh",
            "--optimizer",
            "adam",
            "--lr",
            "0.05",
            "--batch-size",
            "16",
            "--epochs",
            "150",
            "--model",
            str(model_path),
        ],
    )
    model = load_model(model_path)
    assert model.classes == ["blue", "green", "red"] and model.net.sizes[-1] == 3
    result = run_json(capsys, ["test", "--model", str(model_path), "--data", str(classes_csv)])
    matrix = np.array(result["confusion"])
    assert matrix.sum() == 90 and result["accuracy"] == pytest.approx(np.trace(matrix) / 90)
    assert result["accuracy"] > 0.8
    out = tmp_path / "p.csv"
    assert (
        main(
            [
                "predict",
                "--model",
                str(model_path),
                "--data",
                str(classes_csv),
                "--output",
                str(out),
            ]
        )
        == 0
    )
    labels = [line.split(",")[3] for line in out.read_text().splitlines()[1:]]
    truth = load_csv(classes_csv, numeric_targets=False).targets[:, 0].tolist()
    assert np.mean([a == b for a, b in zip(labels, truth, strict=True)]) == pytest.approx(
        result["accuracy"]
    )


def test_save_load_predict_identical(tmp_path, regression_csv):
    data = load_csv(regression_csv)
    config = TrainConfig(hidden=[4, 3], epochs=3, batch_size=5)
    model = new_model(data, config)
    fit(model, data, config)
    save_model(tmp_path / "m.json", model)
    again = load_model(tmp_path / "m.json")
    np.testing.assert_allclose(
        predict(again, data.inputs), predict(model, data.inputs), rtol=0, atol=1e-12
    )
    assert again.input_names == ["a", "b"] and again.settings["hidden"] == [4, 3]


def test_per_sample_sgd_one_epoch_equals_the_delta_formulas_by_hand(tmp_path, capsys):
    csv_path = write_csv(tmp_path / "sheet.csv", ["I0", "I1", "Z0"], DATASET.tolist())
    init = tmp_path / "init.json"
    save_model(
        init,
        SavedModel(
            MLP.from_weights(WEIGHTS, BIASES),
            MinMaxScaler((0, 1)).fit(DATASET[:, :2]),
            MinMaxScaler((0, 1)).fit(DATASET[:, 2:]),
        ),
    )
    model_path = tmp_path / "m.json"
    assert (
        main(
            [
                "train",
                "--data",
                str(csv_path),
                "--hidden",
                "3",
                "--epochs",
                "1",
                "--lr",
                "0.1",
                "--batch-size",
                "1",
                "--no-shuffle",
                "--optimizer",
                "sgd",
                "--val-split",
                "0",
                "--patience",
                "0",
                "--init",
                str(init),
                "--model",
                str(model_path),
                "--quiet",
            ]
        )
        == 0
    )
    # By hand: normalize inputs and targets to [0, 1], then per-sample SGD, rows in order.
    x = (DATASET[:, :2] - DATASET[:, :2].min(0)) / (DATASET[:, :2].max(0) - DATASET[:, :2].min(0))
    z = (DATASET[:, 2] - 68.0) / (91.0 - 68.0)
    wh, bh = np.array(WEIGHTS[0]), np.array(BIASES[0])
    wo, bo = np.array(WEIGHTS[1][0]), BIASES[1][0]
    for xi, zi in zip(x, z, strict=True):
        a = 1 / (1 + np.exp(-(wh @ xi + bh)))
        y = 1 / (1 + np.exp(-(wo @ a + bo)))
        delta_o = y * (1 - y) * (y - zi)
        delta_h = a * (1 - a) * wo * delta_o
        wo, bo = wo - 0.1 * delta_o * a, bo - 0.1 * delta_o
        wh, bh = wh - 0.1 * np.outer(delta_h, xi), bh - 0.1 * delta_h
    trained = load_model(model_path).net
    np.testing.assert_allclose(trained.layers[0].weight.data, wh, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trained.layers[0].bias.data, bh, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trained.layers[1].weight.data[0], wo, rtol=0, atol=1e-12)
    np.testing.assert_allclose(trained.layers[1].bias.data[0], bo, rtol=0, atol=1e-12)


def test_toml_config_supplies_options_and_flags_override(tmp_path, regression_csv, capsys):
    config = tmp_path / "c.toml"
    config.write_text(
        f'data = "{regression_csv}"\nhidden = [5, 2]\nepochs = 2\nlr = 0.01\n'
        f'model = "{tmp_path / "m.json"}"\n'
    )
    summary = run_json(capsys, ["train", "--config", str(config), "--epochs", "4"])
    assert summary["epochs"] == 4 and summary["network"] == "2-5-2-1"
    assert load_model(tmp_path / "m.json").settings["lr"] == 0.01


def test_info_lays_out_the_network_as_the_sheet(tmp_path, capsys):
    path = tmp_path / "m.json"
    save_model(path, SavedModel(MLP.from_weights(WEIGHTS, BIASES)))
    assert main(["info", "--model", str(path)]) == 0
    out = capsys.readouterr().out
    assert "HIDDEN LAYER 0" in out and "OUTPUT LAYER" in out
    assert "hiddenWeight {-0.5 -1}" in out and "outputWeight {0.5 -1 0}" in out


def test_plot_writes_an_image(tmp_path, regression_csv):
    pytest.importorskip("matplotlib")
    plot = tmp_path / "loss.png"
    assert (
        main(
            [
                "train",
                "--data",
                str(regression_csv),
                "--epochs",
                "3",
                "--model",
                str(tmp_path / "m.json"),
                "--plot",
                str(plot),
                "--quiet",
            ]
        )
        == 0
    )
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

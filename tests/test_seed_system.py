"""The seed system's own files load exactly as its Go package writes them."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.io import (
    load_model,
    model_from_seed_files,
    read_seed_minmax,
    read_seed_weights,
    write_seed_minmax,
    write_seed_weights,
)
from tinygrad_mlp.training import predict

SEED = Path(__file__).parent / "data" / "seed-system"


def independent_forward(weights_file: Path, minmax_file: Path, row: list[float]) -> float:
    """The seed system's forward pass in plain Python loops, from its raw JSON."""
    w = json.loads(weights_file.read_text())
    mm = json.loads(minmax_file.read_text())
    sig = lambda s: 1 / (1 + math.exp(-s))  # noqa: E731
    a = [
        (v - lo) / (hi - lo) for v, lo, hi in zip(row, mm["minInput"], mm["maxInput"], strict=True)
    ]
    for layer, biases in zip(w["hiddenWeights"], w["hiddenBias"], strict=True):
        a = [
            sig(sum(wi * ai for wi, ai in zip(node, a, strict=True)) + b)
            for node, b in zip(layer, biases, strict=True)
        ]
    y = sig(
        sum(wi * ai for wi, ai in zip(w["outputWeights"][0], a, strict=True)) + w["outputBias"][0]
    )
    return y * (mm["maxOutput"][0] - mm["minOutput"][0]) + mm["minOutput"][0]


def import_seed(model: Path) -> None:
    argv = [
        "import-seed",
        "--weights",
        str(SEED / "trained-weights-biases.json"),
        "--minmax",
        str(SEED / "minmax.json"),
        "--model",
        str(model),
    ]
    assert main(argv) == 0


def test_seed_csv_with_spaces_after_commas_loads_as_is():
    data = load_csv(SEED / "testing-dataset.csv")
    assert data.input_names == ["i0", "i1"] and data.target_names == ["z0"]
    assert data.inputs[0].tolist() == [70.0, 98.0] and data.targets[0].tolist() == [87.0]


def test_imported_seed_network_predicts_as_an_independent_forward_pass():
    model = model_from_seed_files(SEED / "trained-weights-biases.json", SEED / "minmax.json")
    assert model.net.sizes == [2, 15, 15, 1]
    data = load_csv(SEED / "testing-dataset.csv")
    ours = predict(model, data.inputs)[:, 0]
    expected = [
        independent_forward(SEED / "trained-weights-biases.json", SEED / "minmax.json", row)
        for row in data.inputs.tolist()
    ]
    np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)


def test_import_test_predict_through_the_cli(tmp_path, capsys):
    model = tmp_path / "seed.json"
    import_seed(model)
    out_csv = tmp_path / "pred.csv"
    assert (
        main(
            [
                "predict",
                "--model",
                str(model),
                "--data",
                str(SEED / "testing-dataset.csv"),
                "--output",
                str(out_csv),
            ]
        )
        == 0
    )
    rows = [line.split(",") for line in out_csv.read_text().splitlines()]
    assert rows[0] == ["i0", "i1", "z0", "predicted_z0"]
    expected = independent_forward(
        SEED / "trained-weights-biases.json", SEED / "minmax.json", [70.0, 98.0]
    )
    assert float(rows[1][3]) == pytest.approx(expected, abs=1e-12)
    capsys.readouterr()
    assert (
        main(["test", "--model", str(model), "--data", str(SEED / "testing-dataset.csv"), "--json"])
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    data = load_csv(SEED / "testing-dataset.csv")
    preds = np.array(
        [
            independent_forward(SEED / "trained-weights-biases.json", SEED / "minmax.json", r)
            for r in data.inputs.tolist()
        ]
    )
    errors = preds - data.targets[:, 0]
    assert result["rmse"]["z0"] == pytest.approx(np.sqrt((errors**2).mean()), abs=1e-10)
    assert result["loss"] == pytest.approx(0.5 * (errors**2).mean(), abs=1e-10)


def test_seed_files_round_trip(tmp_path):
    model = model_from_seed_files(SEED / "trained-weights-biases.json", SEED / "minmax.json")
    write_seed_weights(tmp_path / "w.json", model.net)
    write_seed_minmax(tmp_path / "m.json", model.input_scaler, model.output_scaler)
    w0, b0 = read_seed_weights(SEED / "trained-weights-biases.json")
    w1, b1 = read_seed_weights(tmp_path / "w.json")
    for a, b in zip(w0 + b0, w1 + b1, strict=True):
        np.testing.assert_array_equal(a, b)
    assert json.loads((tmp_path / "m.json").read_text()) == json.loads(
        (SEED / "minmax.json").read_text()
    )
    for a, b in zip(
        read_seed_minmax(tmp_path / "m.json"), read_seed_minmax(SEED / "minmax.json"), strict=True
    ):
        np.testing.assert_array_equal(a, b)


def test_hand_written_seed_pair_in_its_exact_layout(tmp_path):
    (tmp_path / "w.json").write_text(
        '{\n  "hiddenWeights": [\n    [\n      [-0.5, -1.0],\n'
        "      [-0.5, 0.5],\n      [1.0, 0.0]\n"
        '    ]\n  ],\n  "hiddenBias": [\n    [0.5, 0.5, 0.5]\n  ],\n'
        '  "outputWeights": [\n    [0.5, -1.0, 0.0]\n  ],\n  "outputBias": [\n    0.5\n  ]\n}\n'
    )
    (tmp_path / "m.json").write_text(
        '{\n  "minInput": [\n    25,\n    67\n  ],\n  "maxInput": [\n    70,\n    98\n  ],\n'
        '  "minOutput": [\n    68\n  ],\n  "maxOutput": [\n    91\n  ]\n}'
    )
    model = model_from_seed_files(tmp_path / "w.json", tmp_path / "m.json")
    y = 1 / (1 + math.exp(-(0.5 / (1 + math.exp(1)) - 1 / (1 + math.exp(-0.5)) + 0.5)))
    assert predict(model, np.array([[70.0, 98.0]]))[0, 0] == pytest.approx(68 + 23 * y, abs=1e-12)


def test_export_seed_writes_files_the_import_reads_back(tmp_path):
    model = tmp_path / "seed.json"
    import_seed(model)
    assert (
        main(
            [
                "export-seed",
                "--model",
                str(model),
                "--weights",
                str(tmp_path / "w.json"),
                "--minmax",
                str(tmp_path / "m.json"),
            ]
        )
        == 0
    )
    again = model_from_seed_files(tmp_path / "w.json", tmp_path / "m.json")
    first = load_model(model)
    for a, b in zip(first.net.parameters(), again.net.parameters(), strict=True):
        np.testing.assert_array_equal(a.data, b.data)

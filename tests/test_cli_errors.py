"""Bad input through the CLI: one sentence naming the file, line or column; exit 2; no litter."""

from __future__ import annotations

import os

import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.io import SavedModel, save_model
from tinygrad_mlp.nn import MLP

GOOD = "a, b, y\n1, 2, 3\n2, 3, 5\n4, 1, 2\n"


def train(tmp_path, text, *extra):
    data = tmp_path / "d.csv"
    if text is not None:
        data.write_text(text)
    return main(
        [
            "train",
            "--data",
            str(data),
            "--epochs",
            "2",
            "--model",
            str(tmp_path / "m.json"),
            "--quiet",
            *extra,
        ]
    )


CASES = [
    ("missing file", None, (), "d.csv: no such file"),
    ("empty file", "", (), "d.csv: the file is empty"),
    ("no header", "1, 2, 3\n4, 5, 6\n", (), "line 1 holds numbers"),
    ("ragged row", "a, b, y\n1, 2, 3\n4, 5\n", (), "line 3 has 2 cells, but the header has 3"),
    ("non-numeric", "a, b, y\n1, 2, 3\n4, x, 6\n", (), "line 3, column 'b': 'x' is not a number"),
    ("nan", "a, b, y\n1, nan, 3\n4, 5, 6\n", (), "line 2, column 'b': nan is not a finite number"),
    ("inf", "a, b, y\n1, 2, inf\n4, 5, 6\n", (), "column 'y': inf is not a finite number"),
    ("batch size", GOOD, ("--batch-size", "0"), "--batch-size must be at least 1, got 0"),
    ("epochs", GOOD, ("--epochs", "0"), "--epochs must be at least 1, got 0"),
    ("no target column", GOOD, ("--target", "zz"), "no column 'zz' (columns: a, b, y)"),
    ("header only", "a, b, y\n", (), "has a header but no data rows"),
]


@pytest.mark.parametrize("name, text, extra, message", CASES, ids=[c[0] for c in CASES])
def test_bad_training_input_is_one_clear_sentence(tmp_path, capsys, name, text, extra, message):
    assert train(tmp_path, text, *extra) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "m.json").exists()
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


def test_constant_column_warns_and_maps_to_the_middle(tmp_path, capsys):
    assert train(tmp_path, "a, b, y\n1, 7, 3\n2, 7, 5\n4, 7, 2\n") == 0
    assert "b is constant (7); it is mapped to 0" in capsys.readouterr().err
    argv = ("--normalize", "zero-to-one")
    assert train(tmp_path, "a, b, y\n1, 7, 3\n2, 7, 5\n4, 7, 2\n", *argv) == 0
    assert "b is constant (7); it is mapped to the middle of the range" in capsys.readouterr().err


def test_model_of_another_shape_is_rejected_by_name(tmp_path, capsys):
    model = tmp_path / "m3.json"
    save_model(model, SavedModel(MLP(3, [2, 1], seed=0)))
    (tmp_path / "d.csv").write_text(GOOD)
    assert main(["test", "--model", str(model), "--data", str(tmp_path / "d.csv")]) == 2
    assert "no column 'z0' (columns: a, b, y)" in capsys.readouterr().err


def test_init_model_of_another_shape_is_rejected(tmp_path, capsys):
    init = tmp_path / "init.json"
    save_model(init, SavedModel(MLP(2, [5, 1], seed=0)))
    assert train(tmp_path, GOOD, "--init", str(init), "--hidden", "3") == 2
    assert "the model has hidden 2-5-1, but --hidden asks for 2-3-1" in capsys.readouterr().err


def test_malformed_model_file_names_the_field(tmp_path, capsys):
    path = tmp_path / "m.json"
    save_model(path, SavedModel(MLP(2, [3, 1], seed=0)))
    path.write_text(path.read_text().replace('"sizes": [\n  2,', '"sizes": [\n  4,'))
    (tmp_path / "d.csv").write_text(GOOD)
    assert main(["info", "--model", str(path)]) == 2
    assert "weights[0] has shape (3, 2), expected (3, 4)" in capsys.readouterr().err


def test_divergence_stops_writes_nothing_and_says_lower_lr(tmp_path, capsys):
    rows = "\n".join(f"{k}, {k * 1e3}, {k * 1e6}" for k in range(20))
    code = train(
        tmp_path,
        "a, b, y\n" + rows + "\n",
        "--activation",
        "relu",
        "--output-activation",
        "linear",
        "--normalize",
        "none",
        "--optimizer",
        "sgd",
        "--batch-size",
        "1",
        "--patience",
        "0",
        "--lr",
        "10",
        "--epochs",
        "50",
    )
    assert code == 1
    err = capsys.readouterr().err
    assert "training diverged at epoch" in err and "lower --lr" in err
    assert not (tmp_path / "m.json").exists()


def test_predict_output_is_not_left_half_written_on_error(tmp_path, capsys):
    path = tmp_path / "m.json"
    save_model(path, SavedModel(MLP(2, [3, 1], seed=0), input_names=["a", "b"]))
    (tmp_path / "in.csv").write_text("a, b\n1, 2\n3, x\n")
    out = tmp_path / "out.csv"
    assert (
        main(
            [
                "predict",
                "--model",
                str(path),
                "--data",
                str(tmp_path / "in.csv"),
                "--output",
                str(out),
            ]
        )
        == 2
    )
    assert not out.exists()

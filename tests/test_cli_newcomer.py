"""The command line as a newcomer meets it: every command speaks JSON, closed pipes end
quietly, flags are checked before training, losses say their units, errors give hints."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp import cli
from tinygrad_mlp.cli import build_parser, main
from tinygrad_mlp.commands import train as train_command
from tinygrad_mlp.data import MinMaxScaler, load_csv
from tinygrad_mlp.io import SavedModel, load_model, save_model
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import DATASET
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.training import predict_proba

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "tests" / "data" / "seed-system"


def write_csv(path, header, rows):
    path.write_text(",".join(header) + "\n" + "\n".join(",".join(map(str, r)) for r in rows) + "\n")
    return path


@pytest.fixture
def files(tmp_path):
    """A regression file, a ce file with class names, a 0/1 file, and a trained model of each."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (40, 2))
    reg = write_csv(tmp_path / "reg.csv", ["a", "b", "y"], np.c_[x, x @ [2.0, -1.0]].tolist())
    names = np.where(x[:, 0] > 0.5, "big", "small")
    ce = write_csv(
        tmp_path / "ce.csv",
        ["a", "b", "size"],
        [[p, q, c] for (p, q), c in zip(x, names, strict=True)],
    )
    bce = write_csv(
        tmp_path / "bce.csv", ["a", "b", "big"], np.c_[x, x[:, 0] > 0.5].astype(float).tolist()
    )
    out = {"reg": reg, "ce": ce, "bce": bce}
    for name, loss in (("reg", "mse"), ("ce", "ce"), ("bce", "bce")):
        model = tmp_path / f"{name}.json"
        code = main(
            ["train", "--data", str(out[name]), "--loss", loss, "--hidden", "4"]
            + ["--epochs", "5", "--model", str(model), "--quiet"]
        )
        assert code == 0, f"training the {name} fixture failed"
        out[f"{name}_model"] = model
    return out


def run_json(capsys, argv):
    capsys.readouterr()
    assert main([*argv, "--json"]) == 0, f"{argv} failed: {capsys.readouterr().err}"
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- 1. --json everywhere


def command_lines(files, tmp_path):
    return {
        "demo": ["demo"],
        "train": ["train", "--data", str(files["reg"]), "--epochs", "2"]
        + ["--model", str(tmp_path / "t.json")],
        "test": ["test", "--model", str(files["ce_model"]), "--data", str(files["ce"])],
        "predict": ["predict", "--model", str(files["reg_model"]), "--data", str(files["reg"])],
        "info": ["info", "--model", str(files["reg_model"])],
        "import-seed": ["import-seed", "--weights", str(SEED / "trained-weights-biases.json")]
        + ["--minmax", str(SEED / "minmax.json"), "--model", str(tmp_path / "s.json")],
        "export-seed": ["export-seed", "--model", str(files["reg_model"])]
        + ["--weights", str(tmp_path / "w.json"), "--minmax", str(tmp_path / "m.json")],
        "check": ["check"],
        "explain": ["explain", "--epochs", "2"],
    }


def test_every_command_prints_json_with_json(files, tmp_path, capsys):
    # export-seed needs a seed-style model: sigmoid everywhere, both scalers
    reg_seed = tmp_path / "seed-style.json"
    assert (
        main(
            ["train", "--data", str(files["reg"]), "--preset", "seed", "--epochs", "1"]
            + ["--model", str(reg_seed), "--quiet"]
        )
        == 0
    )
    lines = command_lines(files, tmp_path)
    lines["export-seed"][2] = str(reg_seed)
    for name, argv in lines.items():
        result = run_json(capsys, argv)
        assert isinstance(result, dict) and result, f"{name} --json printed {result!r}"


def test_every_subcommand_parser_has_a_json_flag():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    assert len(sub.choices) >= 13  # every command registered, later ones included
    missing = [n for n, p in sub.choices.items() if "--json" not in p._option_string_actions]
    assert not missing, f"commands without --json: {missing}"


def test_the_cli_guide_shows_every_command_and_current_defaults():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    guide = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text()
    missing = [name for name in sub.choices if f"tinygrad-mlp {name} " not in guide]
    assert not missing, f"docs/cli.md never shows: {missing}"
    for flag in ("--hessian", "--network", "--json"):
        assert flag in guide, flag
    # the scalers train writes are the --normalize default's, named as such
    train_help = " ".join(sub.choices["train"].format_help().split())
    assert "min-max scalers" not in train_help and "standardized by default" in train_help


def test_demo_json_holds_the_golden_numbers(capsys):
    result = run_json(capsys, ["demo"])
    # δ_o for z = 1: (y − z)·y(1 − y) with y = σ(0.0120113795), from DESIGN's golden table
    assert result["targets"]["1"]["delta_o"][0] == pytest.approx(-0.124244816, abs=1e-9)
    assert result["files"] == []


# ---------------------------------------------------------------- 2. closed pipe


class ClosedPipe(io.StringIO):
    def write(self, text):
        raise BrokenPipeError(32, "Broken pipe")

    def flush(self):
        raise BrokenPipeError(32, "Broken pipe")


@pytest.mark.parametrize(
    "argv",
    [["demo"], ["check"], ["explain", "--epochs", "2"], ["info", "--json"], ["predict"]],
    ids=["demo", "check", "explain", "info-json", "predict"],
)
def test_closed_pipe_ends_quietly(files, monkeypatch, capsys, argv):
    if argv[0] == "info":
        argv = [*argv, "--model", str(files["reg_model"])]
    if argv[0] == "predict":
        argv = [*argv, "--model", str(files["reg_model"]), "--data", str(files["reg"])]
    capsys.readouterr()
    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 1 and err == "", f"{argv}: status {code}, stderr {err!r}"


def test_demo_into_a_closed_pipe_says_nothing():
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte, as with `| head -0`
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "tinygrad_mlp", "demo"],
        stdout=write,
        stderr=subprocess.PIPE,
        env=env,
        timeout=120,
    )
    os.close(write)
    assert proc.stderr.decode() == "" and proc.returncode == 1, proc.stderr.decode()


# ---------------------------------------------------------------- 3, 4. flags checked first


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("training started before the flags were checked")

    monkeypatch.setattr(train_command, "fit", refuse)


@pytest.mark.parametrize(
    "extra, message",
    [
        (["--plot", "nowhere/loss.png"], "--plot nowhere/loss.png: the folder nowhere does not"),
        (["--plot", "loss.xyz"], "cannot write a 'xyz' image; use one of"),
        (["--model", "."], "--model .: is a folder; give a file name to write"),
        (["--model", "nowhere/m.json"], "the folder nowhere does not exist"),
    ],
    ids=["plot-folder", "plot-extension", "model-folder", "model-missing-folder"],
)
def test_bad_output_flags_fail_before_training(
    files, tmp_path, monkeypatch, capsys, no_training, extra, message
):
    monkeypatch.chdir(tmp_path)
    argv = ["train", "--data", str(files["reg"]), "--model", "m2.json", "--quiet", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err
    assert not (tmp_path / "m2.json").exists()


def test_init_is_checked_before_training(files, tmp_path, capsys, no_training):
    tanh = tmp_path / "tanh.json"
    save_model(tanh, SavedModel(MLP(2, [4, 1], activation="tanh", seed=0)))
    argv = ["train", "--data", str(files["reg"]), "--model", str(tmp_path / "x.json")]
    assert main([*argv, "--init", str(tanh), "--activation", "sigmoid"]) == 2
    assert "the model has activation tanh, but --activation asks for sigmoid" in (
        capsys.readouterr().err
    )


def test_a_folder_as_data_says_it_is_a_folder(tmp_path, capsys):
    assert main(["train", "--data", str(tmp_path), "--model", str(tmp_path / "m.json")]) == 2
    assert f"{tmp_path}: is a folder, not a file" in capsys.readouterr().err


# ---------------------------------------------------------------- 5. one scale for losses


def test_train_and_test_report_the_loss_on_one_scale(tmp_path, capsys):
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 1, (30, 2))
    data = write_csv(tmp_path / "d.csv", ["a", "b", "y"], np.c_[x, 100 + 50 * x[:, 0]].tolist())
    base = ["train", "--data", str(data), "--preset", "seed", "--batch-size", "30"]
    one = run_json(capsys, [*base, "--epochs", "1", "--model", str(tmp_path / "one.json")])
    two = run_json(capsys, [*base, "--epochs", "2", "--model", str(tmp_path / "two.json")])
    tested = run_json(capsys, ["test", "--model", str(tmp_path / "one.json"), "--data", str(data)])
    # full batch, rows in order: epoch 2's loss is the loss of the weights after epoch 1
    assert two["loss_history"][1] == pytest.approx(tested["loss"], rel=1e-10)
    assert one["loss_units"] == tested["loss_units"] and "data's units" in tested["loss_units"]
    # by hand, in data units: ½ (y − z)² per sample with y mapped back to data units
    model = load_model(tmp_path / "one.json")
    table = load_csv(data)
    with_scale = model.output_scaler.inverse_transform(
        model.net(model.input_scaler.transform(table.inputs)).data
    )
    assert tested["loss"] == pytest.approx(0.5 * np.mean((with_scale - table.targets) ** 2))
    capsys.readouterr()
    assert main(["test", "--model", str(tmp_path / "one.json"), "--data", str(data)]) == 0
    assert "in the data's units" in capsys.readouterr().out


# ---------------------------------------------------------------- 6. bce confusion


def test_bce_with_two_columns_gives_a_matrix_per_column(tmp_path, capsys):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 1, (30, 2))
    rows = np.c_[x, x[:, 0] > 0.5, x[:, 1] > 0.3].astype(float).tolist()
    data = write_csv(tmp_path / "two.csv", ["a", "b", "p", "q"], rows)
    model = tmp_path / "two.json"
    argv = ["train", "--data", str(data), "--outputs", "2", "--loss", "bce", "--epochs", "3"]
    assert main([*argv, "--model", str(model), "--quiet"]) == 0
    result = run_json(capsys, ["test", "--model", str(model), "--data", str(data)])
    assert set(result["confusion"]) == {"p", "q"}
    truth = np.array(rows)[:, 2:]
    for k, name in enumerate(["p", "q"]):
        matrix = np.array(result["confusion"][name])
        assert matrix.sum() == 30 and matrix[1].sum() == truth[:, k].sum()


def test_test_with_bce_prints_a_confusion_matrix(files, capsys):
    result = run_json(
        capsys, ["test", "--model", str(files["bce_model"]), "--data", str(files["bce"])]
    )
    matrix = np.array(result["confusion"])
    assert matrix.shape == (2, 2) and matrix.sum() == 40
    assert result["accuracy"] == pytest.approx(np.trace(matrix) / 40)
    assert main(["test", "--model", str(files["bce_model"]), "--data", str(files["bce"])]) == 0
    assert "confusion matrix of big" in capsys.readouterr().out


# ---------------------------------------------------------------- 8. defaults in --help


def test_help_shows_every_default():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    text = " ".join(sub.choices["train"].format_help().split())
    for flag, default in [
        ("--activation", "relu"),
        ("--loss", "mse"),
        ("--optimizer", "adam"),
        ("--normalize", "standard"),
        ("--batch-size", "200"),
        ("--val-split", "0.1"),
        ("--patience", "50 for mse, 10 for bce and ce"),
    ]:
        after = text.split(flag, 2)[-1]
        assert f"(default: {default})" in after.split(" --")[0], f"{flag}: {after[:200]}"
    assert "default: linear for mse" in text
    seed_help = " ".join(sub.choices["import-seed"].format_help().split())
    assert "(default: sigmoid)" in seed_help and "(default: zero-to-one)" in seed_help


# ---------------------------------------------------------------- 10. hints, one wording


def test_class_names_without_loss_ce_hint_at_it(files, tmp_path, capsys):
    assert main(["train", "--data", str(files["ce"]), "--model", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "line 2, column 'size'" in err and "needs --loss ce" in err


def test_semicolon_file_gets_a_hint(tmp_path, capsys):
    data = tmp_path / "semi.csv"
    data.write_text("a;b;y\n1;2;3\n4;5;6\n")
    assert main(["train", "--data", str(data), "--model", str(tmp_path / "x.json")]) == 2
    err = capsys.readouterr().err
    assert "separate its columns with ';'" in err and err.count("\n") == 1


def test_unknown_class_and_bad_binary_target_name_file_line_and_column(files, tmp_path, capsys):
    unknown = tmp_path / "u.csv"
    unknown.write_text("a,b,size\n0.1,0.2,big\n0.3,0.4,huge\n")
    assert main(["test", "--model", str(files["ce_model"]), "--data", str(unknown)]) == 2
    assert "u.csv: line 3, column 'size': class 'huge' is not one" in capsys.readouterr().err
    half = tmp_path / "h.csv"
    half.write_text("a,b,big\n0.1,0.2,1\n\n0.3,0.4,0.5\n")
    assert main(["test", "--model", str(files["bce_model"]), "--data", str(half)]) == 2
    assert "h.csv: line 4, column 'big': 0.5 is not 0 or 1" in capsys.readouterr().err


# ---------------------------------------------------------------- 11. predict


def test_predict_keeps_every_input_column_and_names_new_ones_plainly(files, tmp_path, capsys):
    data = tmp_path / "new.csv"
    data.write_text("id,b,a,note\n7,0.2,0.1,first\n8,0.4,0.3,second\n")
    result = run_json(capsys, ["predict", "--model", str(files["reg_model"]), "--data", str(data)])
    assert result["columns"] == ["id", "b", "a", "note", "predicted_y"]
    assert [r[:4] for r in result["rows"]] == [[7.0, 0.2, 0.1, "first"], [8.0, 0.4, 0.3, "second"]]


def test_predict_proba_gives_class_probabilities(files, capsys):
    result = run_json(
        capsys,
        ["predict", "--model", str(files["ce_model"]), "--data", str(files["ce"]), "--proba"],
    )
    assert result["columns"][-3:] == ["predicted_size", "probability_big", "probability_small"]
    probs = np.array([r[-2:] for r in result["rows"]], dtype=float)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    labels = [r[-3] for r in result["rows"]]
    assert labels == [["big", "small"][k] for k in probs.argmax(axis=1)]
    assert (
        main(
            ["predict", "--model", str(files["reg_model"]), "--data", str(files["reg"]), "--proba"]
        )
        == 2
    )
    assert "--proba needs a classifier" in capsys.readouterr().err


# ---------------------------------------------------------------- 12. sigmoid + bce fused


def test_bce_with_sigmoid_output_is_the_fused_pair(files, tmp_path, capsys):
    args = [
        "train",
        "--data",
        str(files["bce"]),
        "--loss",
        "bce",
        "--hidden",
        "4",
        "--epochs",
        "20",
    ]
    fused = run_json(
        capsys, [*args, "--output-activation", "sigmoid", "--model", str(tmp_path / "f.json")]
    )
    plain = run_json(capsys, [*args, "--model", str(tmp_path / "p.json")])
    assert fused["loss_history"] == plain["loss_history"]
    model = load_model(tmp_path / "f.json")
    assert (
        model.net.activations[-1] == "linear" and model.settings["output_activation"] == "sigmoid"
    )
    x = np.array([[0.9, 0.1], [0.1, 0.9]])
    s = model.net(model.input_scaler.transform(x)).data
    np.testing.assert_allclose(predict_proba(model, x), 1 / (1 + np.exp(-s)), rtol=1e-12)


def test_bce_refuses_an_output_activation_it_cannot_fuse(files, tmp_path, capsys):
    argv = ["train", "--data", str(files["bce"]), "--loss", "bce", "--output-activation", "tanh"]
    assert main([*argv, "--model", str(tmp_path / "x.json")]) == 2
    assert "--output-activation tanh cannot go with it" in capsys.readouterr().err


# ---------------------------------------------------------------- 13. linear regression output


def test_regression_predicts_beyond_the_training_range_and_says_so(tmp_path, capsys):
    x = np.linspace(0, 1, 50)
    data = write_csv(tmp_path / "line.csv", ["x", "y"], np.c_[x, 100 + 160 * x].tolist())
    model = tmp_path / "line.json"
    argv = ["train", "--data", str(data), "--model", str(model), "--hidden", "8"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "output layer: linear; predictions are not capped at the training range" in out
    new = write_csv(tmp_path / "new.csv", ["x"], [[1.5]])
    result = run_json(capsys, ["predict", "--model", str(model), "--data", str(new)])
    assert result["rows"][0][-1] > 265, "a linear output must go past the training maximum 260"


# ---------------------------------------------------------------- 16. no litter


def test_demo_writes_no_file_unless_asked(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    assert os.listdir(tmp_path) == []
    assert main(["demo", "--graph", "g.dot"]) == 0
    assert "g.dot" in os.listdir(tmp_path)


def test_benchmark_results_are_ignored_and_untracked():
    ignore = (ROOT / ".gitignore").read_text().splitlines()
    assert "benchmarks/results/" in ignore
    tracked = subprocess.run(
        ["git", "ls-files", "benchmarks/results"], cwd=ROOT, capture_output=True, text=True
    )
    if tracked.returncode == 0:  # a git checkout (not an unpacked archive)
        assert tracked.stdout == ""


# ---------------------------------------------------------------- issue 10: trust


def test_warm_start_checks_loss_and_keeps_the_models_scalers(files, tmp_path, capsys):
    argv = ["train", "--data", str(files["reg"]), "--model", str(tmp_path / "x.json")]
    assert main([*argv, "--init", str(files["ce_model"]), "--loss", "mse"]) == 2
    assert "the model has loss ce, but --loss asks for mse" in capsys.readouterr().err
    start = tmp_path / "start.json"
    scaler_in = MinMaxScaler((0, 1)).fit([[-5.0, -5.0], [5.0, 5.0]])
    scaler_out = MinMaxScaler((0, 1)).fit([[-10.0], [10.0]])
    save_model(start, SavedModel(MLP(2, [4, 1], "tanh", "linear", seed=1), scaler_in, scaler_out))
    assert main([*argv, "--init", str(start), "--epochs", "1", "--quiet"]) == 0
    trained = load_model(tmp_path / "x.json")
    assert trained.input_scaler.min_.tolist() == [-5.0, -5.0]
    assert trained.output_scaler.max_.tolist() == [10.0]
    assert trained.net.activations == ["tanh", "linear"]


def test_cli_error_class_is_gone():
    assert not hasattr(cli, "CLIError")


def test_a_type_error_in_our_code_is_a_bug_not_bad_input(monkeypatch, capsys):
    from tinygrad_mlp.commands import info

    def broken(args):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")

    monkeypatch.setattr(info, "run", broken)
    with pytest.raises(TypeError):
        main(["info", "--model", "m.json"])


def test_probabilities_come_from_the_engines_sigmoid(files, monkeypatch):
    calls = []
    original = Tensor.sigmoid

    def counted(self):
        calls.append(self.shape)
        return original(self)

    monkeypatch.setattr(Tensor, "sigmoid", counted)
    model = load_model(files["bce_model"])
    predict_proba(model, np.array([[0.1, 0.2]]))
    assert calls == [(1, 1)]


def test_seed_preset_is_the_cheat_sheets_setting(tmp_path, capsys):
    data = write_csv(tmp_path / "sheet.csv", ["I0", "I1", "Z0"], DATASET.tolist())
    summary = run_json(
        capsys,
        ["train", "--data", str(data), "--preset", "seed", "--epochs", "3"]
        + ["--model", str(tmp_path / "s.json")],
    )
    model = load_model(tmp_path / "s.json")
    assert summary["network"] == "2-3-1" and model.net.activations == ["sigmoid", "sigmoid"]
    assert model.settings["optimizer"] == "sgd" and model.settings["batch_size"] == 1
    assert model.input_scaler.feature_range == (0.0, 1.0)
    assert summary["val_rows"] == 0 and summary["epochs"] == 3

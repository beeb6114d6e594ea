"""The command line as a newcomer meets it, second round: progress that knows early
stopping, Ctrl-C that keeps the best epoch, the task checked against the target, a
blow-up that writes nothing, regression defaults that converge, playback that says how
big it will be, condensed graphs that keep their ops, and the smaller promises."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.commands import common
from tinygrad_mlp.commands import train as train_command
from tinygrad_mlp.data import Dataset, load_csv
from tinygrad_mlp.io import SavedModel, load_model, save_model
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.training import History, TrainConfig, fit, new_model, predict

ROOT = Path(__file__).resolve().parent.parent


def write_csv(path, header, rows):
    lines = [",".join(header)] + [",".join(map(str, r)) for r in rows]
    path.write_text("\n".join(lines) + "\n")
    return path


def sine_table(rows: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (rows, 2))
    return X, np.sin(3 * X[:, 0]) + X[:, 1] ** 2


@pytest.fixture
def sine_csv(tmp_path):
    X, y = sine_table(300)
    return write_csv(tmp_path / "sine.csv", ["a", "b", "y"], np.c_[X, y].tolist())


# --------------------------------------------------------------------------- progress


def test_progress_ends_where_early_stopping_would_and_shows_best_and_patience():
    pytest.importorskip("tqdm")
    history = History(patience=10)
    progress = train_command.Progress(3000, quiet=False, history=history)
    history.best_epoch, history.waited = 22, 3
    progress.update(25, 0.5)
    assert progress.bar.total == 25 + 10 - 3  # not 3000: the run early stopping expects
    shown = progress.status(25, 0.5)
    assert shown["best"] == "epoch 22" and shown["patience"] == "7/10"
    progress.close()


def test_training_fills_the_history_the_progress_reads(sine_csv):
    seen = []
    history = History()
    data = load_csv(sine_csv)
    config = TrainConfig(hidden=[8], epochs=40, patience=5, seed=0)
    fit(
        new_model(data, config),
        data,
        config,
        on_epoch=lambda e, loss: seen.append((e, history.best_epoch, history.waited)),
        history=history,
    )
    assert seen[0] == (1, 1, 0)  # the first epoch is the best so far when it is shown
    assert all(best <= epoch and waited == epoch - best for epoch, best, waited in seen)


def test_a_large_csv_is_announced_before_it_is_read(sine_csv, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(common, "ANNOUNCE_BYTES", 1000)
    code = main(["train", "--data", str(sine_csv), "--model", str(tmp_path / "m.json")]
                + ["--hidden", "4", "--epochs", "2"])  # fmt: skip
    assert code == 0
    err = capsys.readouterr().err
    assert re.search(rf"reading {re.escape(str(sine_csv))} \(\d+ kB\)\.\.\.", err), err


# --------------------------------------------------------------------------- Ctrl-C


def test_ctrl_c_saves_the_best_epoch_atomically_and_exits_130(sine_csv, tmp_path, monkeypatch):
    model = tmp_path / "m.json"
    calls = []

    def interrupt(self, epoch, loss):
        calls.append(self.history.best_epoch)
        if epoch == 6:
            raise KeyboardInterrupt

    monkeypatch.setattr(train_command.Progress, "update", interrupt)
    out = subprocess_free_main(["train", "--data", str(sine_csv), "--model", str(model),
                                "--hidden", "8", "--lr", "0.01", "--seed", "1"])  # fmt: skip
    code, err = out
    assert code == 130
    assert "interrupted after 6 epochs" in err and str(model) in err and len(err.splitlines()) == 1
    saved = load_model(model)
    # the weights are those of the best epoch so far: the same run stopped there
    best = calls[-1]
    data = load_csv(sine_csv)
    config = TrainConfig(hidden=[8], lr=0.01, seed=1, epochs=best, patience=0)
    again = new_model(data, config)
    fit(again, data, config)
    for ours, theirs in zip(saved.net.parameters(), again.net.parameters(), strict=True):
        np.testing.assert_allclose(ours.data, theirs.data, rtol=1e-12, atol=1e-12)


def subprocess_free_main(argv):
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = main(argv)
    return code, err.getvalue()


def test_sigint_to_a_training_process_keeps_the_model(tmp_path):
    X, y = sine_table(4000)
    data = write_csv(tmp_path / "big.csv", ["a", "b", "y"], np.c_[X, y].tolist())
    model = tmp_path / "m.json"
    script = (
        "import sys, signal, os\n"
        "from tinygrad_mlp.commands import train\n"
        "update = train.Progress.update\n"
        "def hook(self, epoch, loss):\n"
        "    update(self, epoch, loss)\n"
        "    if epoch == 3: os.kill(os.getpid(), signal.SIGINT)\n"
        "train.Progress.update = hook\n"
        "from tinygrad_mlp.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, "train", "--data", str(data), "--model", str(model)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert result.returncode == 130, result.stderr
    assert "saved epoch" in result.stderr and model.exists()
    assert load_model(model).net.sizes == [2, 100, 1]


# --------------------------------------------------------------------------- task vs target


def test_integer_class_codes_under_the_default_loss_are_refused_with_the_flags(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 2))
    labels = np.digitize(x[:, 0], [-0.5, 0.5])  # 0, 1, 2
    data = write_csv(tmp_path / "c.csv", ["a", "b", "y"], np.c_[x, labels].tolist())
    code = main(["train", "--data", str(data), "--model", str(tmp_path / "m.json")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert "3 integer values 0, 1, 2" in err and "--loss ce" in err and "--loss mse" in err
    assert not (tmp_path / "m.json").exists()
    argv = ["train", "--data", str(data), "--model", str(tmp_path / "m.json"), "--epochs", "2"]
    assert main([*argv, "--loss", "mse"]) == 0  # said on purpose: regression
    assert main([*argv, "--loss", "ce"]) == 0


def test_ce_on_a_continuous_target_is_refused_before_training(sine_csv, tmp_path, capsys):
    code = main(["train", "--data", str(sine_csv), "--model", str(tmp_path / "m.json"),
                 "--loss", "ce"])  # fmt: skip
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err) < 300, err
    assert "300 different numbers" in err and "--loss mse" in err


# --------------------------------------------------------------------------- divergence


def test_a_blown_up_run_stops_writes_nothing_and_names_lr(sine_csv, tmp_path, capsys):
    model = tmp_path / "m.json"
    code = main(["train", "--data", str(sine_csv), "--model", str(model), "--lr", "1000"])
    err = capsys.readouterr().err
    assert code != 0 and "diverged" in err and "--lr" in err
    assert not model.exists()


# --------------------------------------------------------------------------- defaults


def test_default_regression_comes_within_twice_a_converged_sklearn_mlp():
    sklearn = pytest.importorskip("sklearn.neural_network")
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y = sine_table(1000)
    Xtr, ytr, Xte, yte = X[:750], y[:750], X[750:], y[750:]
    data = Dataset(Xtr, ytr[:, None], ["a", "b"], ["y"])
    config = TrainConfig()
    model = new_model(data, config)
    fit(model, data, config)
    ours = np.sqrt(np.mean((predict(model, Xte)[:, 0] - yte) ** 2))
    converged = make_pipeline(
        StandardScaler(),
        sklearn.MLPRegressor(
            hidden_layer_sizes=(100,), max_iter=5000, tol=1e-7, n_iter_no_change=50,
            random_state=0,
        ),
    ).fit(Xtr, ytr)  # fmt: skip
    reference = np.sqrt(np.mean((converged.predict(Xte) - yte) ** 2))
    assert ours < 2 * reference, (ours, reference)


# --------------------------------------------------------------------------- playback


def test_playback_of_a_large_network_says_so_and_collapses_to_layers(tmp_path, capsys):
    names = [f"x{k}" for k in range(16)]
    model = tmp_path / "m.json"
    targets = [f"y{k}" for k in range(4)]
    save_model(model, SavedModel(MLP(16, [50, 4], seed=0), input_names=names,
                                 target_names=targets))  # fmt: skip
    data = write_csv(tmp_path / "d.csv", names + targets, [[0.5] * 16 + [1] * 4])
    page = tmp_path / "p.html"
    assert main(["playback", "--model", str(model), "--data", str(data), "-o", str(page)]) == 0
    err = capsys.readouterr().err
    assert "one box per layer" in err and "--max-nodes" in err, err
    assert page.stat().st_size < 5_000_000


# --------------------------------------------------------------------------- graphs


def test_a_condensed_graph_keeps_the_op_of_each_value():
    from tinygrad_mlp import Value
    from tinygrad_mlp.losses import cross_entropy
    from tinygrad_mlp.viz import draw_graph

    net = MLP(8, [16, 3], seed=0)
    loss = cross_entropy(net([Value(0.1 * k) for k in range(8)]), 1)
    loss.backward()
    source = draw_graph(loss).source  # well over 400 values: condensed
    assert "box_" in source
    for op in ("exp", "log"):
        assert re.search(rf"<i>= {op}\b", source), op


# --------------------------------------------------------------------------- smaller


def test_the_readme_demo_command_writes_the_graph(tmp_path, monkeypatch, capsys):
    readme = (ROOT / "README.md").read_text()
    line = re.search(r"tinygrad-mlp demo[^\n`]*", readme).group(0)
    monkeypatch.chdir(tmp_path)
    assert main(shlex.split(line)[1:]) == 0
    assert "graph" in readme.split(line)[0][-400:]
    assert list(tmp_path.glob("*.dot")), "the README's demo command wrote no graph"


def test_trainconfig_epochs_documented_as_the_code_has_them():
    page = (ROOT / "docs" / "training-api.md").read_text()
    row = re.search(r"^\| `epochs` \| (\d+) \|", page, re.M)
    assert row and int(row.group(1)) == TrainConfig().epochs


def test_getting_started_installs_what_it_runs():
    import tomllib

    page = (ROOT / "docs" / "getting-started.md").read_text()
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"
    ]
    if "jupyter lab" in page:
        named = re.findall(r'pip install -e "\.\[([\w,]+)\]"', page)
        wanted = {e for group in named for e in group.split(",")}
        assert any(
            any(dep.startswith("jupyterlab") for dep in extras.get(e, [])) for e in wanted
        ), "the page runs jupyter lab, but no extra it installs brings JupyterLab"


def test_a_run_that_used_every_epoch_did_not_stop_early(sine_csv):
    data = load_csv(sine_csv)
    config = TrainConfig(hidden=[16], lr=0.05, batch_size=8, epochs=300, patience=3, seed=2)
    history = fit(new_model(data, config), data, config)
    assert history.stopped_early
    exact = TrainConfig(hidden=[16], lr=0.05, batch_size=8, epochs=len(history.loss),
                        patience=3, seed=2)  # fmt: skip
    again = fit(new_model(data, exact), data, exact)
    assert len(again.loss) == exact.epochs and not again.stopped_early


def test_overflowing_inputs_are_refused_in_one_sentence(sine_csv, tmp_path, capsys):
    model = tmp_path / "m.json"
    assert main(["train", "--data", str(sine_csv), "--model", str(model), "--epochs", "2",
                 "--hidden", "4", "--quiet"]) == 0  # fmt: skip
    capsys.readouterr()
    new = write_csv(tmp_path / "new.csv", ["a", "b"], [[0.5, 0.5], [1e308, 0.0]])
    code = main(["predict", "--model", str(model), "--data", str(new)])
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert code == 2 and len(err.splitlines()) == 1, err
    assert "row 2" in err and "'a'" in err and "Warning" not in err
    assert "nan" not in captured.out


def test_predict_output_may_not_overwrite_its_data(sine_csv, tmp_path, capsys):
    model = tmp_path / "m.json"
    assert main(["train", "--data", str(sine_csv), "--model", str(model), "--epochs", "2",
                 "--hidden", "4", "--quiet"]) == 0  # fmt: skip
    before = sine_csv.read_text()
    code = main(["predict", "--model", str(model), "--data", str(sine_csv),
                 "--output", str(sine_csv)])  # fmt: skip
    assert code == 2 and "would overwrite --data" in capsys.readouterr().err
    assert sine_csv.read_text() == before


@pytest.mark.parametrize(
    "script",
    sorted(p.name for p in (ROOT / "examples").glob("*.py") if not p.name.startswith("_")),
)
def test_every_example_takes_quick(script):
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / script), "--help"],
        capture_output=True, text=True, timeout=120, cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "MPLBACKEND": "Agg"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--quick" in result.stdout, f"{script} does not take --quick"

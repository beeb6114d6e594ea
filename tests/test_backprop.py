"""The δ formulas: an independent witness, and the three roads agree."""

from __future__ import annotations

import ast
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.strategies import activations, seeds
from tinygrad_mlp import backprop
from tinygrad_mlp.cli import main
from tinygrad_mlp.crosscheck import cross_check, parameter_names
from tinygrad_mlp.explain import explain
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network

BACKPROP = Path(backprop.__file__)


def test_backprop_imports_numpy_the_standard_library_and_the_names_only():
    tree = ast.parse(BACKPROP.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
    project = {name for name in imported if name.split(".")[0] == "tinygrad_mlp"}
    # the project's vocabulary of names, and nothing else of the project
    assert project == {"tinygrad_mlp.names"}, project
    others = {name.split(".")[0] for name in imported - project}
    assert others <= {"__future__", "collections", "dataclasses", "math", "numpy"}, others


LOSS_OUTPUT = {
    "mse": None,
    "mse_mean": None,
    "bce": "sigmoid",
    "bce_with_logits": "linear",
    "bce_logits": "linear",  # an alias: the same loss under another name
    "cross_entropy": "linear",
    "ce": "linear",
}


@settings(max_examples=60)
@given(
    depth=st.integers(1, 4),
    width=st.integers(1, 8),
    act=activations,
    loss=st.sampled_from(sorted(LOSS_OUTPUT)),
    seed=seeds,
    n=st.integers(1, 3),
)
def test_three_roads_agree_on_random_networks(depth, width, act, loss, seed, n):
    rng = np.random.default_rng(seed)
    nin, nout = int(rng.integers(1, 4)), int(rng.integers(2, 4))
    out_act = LOSS_OUTPUT[loss] or act
    net = MLP(
        nin, [width] * (depth - 1) + [nout], activation=act, output_activation=out_act, seed=rng
    )
    # NOTE: inputs off relu's kink at 0 would need care; random floats hit it with probability 0.
    x = rng.uniform(-1, 1, (n, nin))
    if loss in ("ce", "cross_entropy"):
        z = rng.integers(0, nout, n)
    elif loss.startswith("bce"):
        z = rng.integers(0, 2, (n, nout)).astype(float)
    else:
        z = rng.uniform(-1, 1, (n, nout))
    report = cross_check(net, x, z, loss=loss, tolerance=1e-10)
    assert set(report.roads) == {"scalar", "tensor", "delta"}
    assert report.passed, report.table()


def test_check_catches_a_dropped_derivative_on_the_right_parameters(monkeypatch):
    # A test double of the hidden-layer formula without f'(s): only hidden parameters differ.
    original = backprop.derivative

    def wrong(a, s, name):
        if a.shape[1] == 3:  # the seed network's hidden layer has 3 nodes
            return np.ones_like(a)
        return original(a, s, name)

    monkeypatch.setattr(backprop, "derivative", wrong)
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]])
    assert not report.passed
    failing = report.failures()
    assert failing and all(name.startswith(("wh[0]", "bh[0]")) for name in failing)
    assert "wh[0][0][0]" in failing and "FAIL" in report.summary()
    assert "<-- differs" in report.table()


def test_report_names_every_parameter_in_the_sheet_notation():
    names = [n for group in parameter_names(seed_network()) for n in group]
    hidden = [f"wh[0][{j}][{i}]" for j in range(3) for i in range(2)]
    assert names == [
        *hidden,
        "bh[0][0]",
        "bh[0][1]",
        "bh[0][2]",
        "wo[0][0]",
        "wo[0][1]",
        "wo[0][2]",
        "bo[0]",
    ]


def test_report_converts_to_json_data():
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]], finite_differences=True)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["passed"] is True and len(data["parameters"]) == 13
    first = data["parameters"][0]
    assert first["name"] == "wh[0][0][0]"
    assert {"scalar", "tensor", "delta", "finite differences"} <= set(first)


def test_step_sweep_shows_truncation_then_round_off():
    report = cross_check(seed_network(), [[1.0, 1.0]], [[1.0]], sweep=True)
    errors = dict(report.sweep)
    assert errors[1e-1] > errors[1e-3] > errors[1e-5]  # truncation error falls like h²
    assert errors[1e-12] > errors[1e-8] > errors[1e-5]  # round-off error rises like ε/h
    assert errors[1e-1] / errors[1e-3] == pytest.approx(1e4, rel=0.1)


def sigmoid(s):
    return 1 / (1 + math.exp(-s))


def test_explain_trace_holds_the_golden_numbers():
    text = explain(seed_network(), [1.0, 1.0], [1.0]).render()
    a = [sigmoid(-1.0), sigmoid(0.5), sigmoid(1.5)]
    s_o = 0.5 * a[0] - a[1] + 0.5
    y = sigmoid(s_o)
    delta_o = y * (1 - y) * (y - 1.0)
    for value in [*a, s_o, y, delta_o, a[0] * (1 - a[0]) * 0.5 * delta_o]:
        assert f"{value:.9g}" in text
    assert "sh[0][0] = (1·-0.5) + (1·-1) + 0.5 = -1" in text
    assert f"bo[0] ← 0.5 - 0.1·{delta_o:.9g} = {0.5 - 0.1 * delta_o:.9g}" in text


def test_explain_command_flags_errata_and_finishes_the_table(capsys):
    assert main(["explain", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "-22.6234333" in out and "0.249990983" in out and "+0.1111" in out
    assert "finished" in out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(("0 ", "3 "))]
    assert [r[0] for r in rows][-2:] == ["0", "3"]
    assert float(rows[-1][1]) < float(rows[-2][1])  # the loss falls


def test_explain_markdown_and_json(capsys):
    assert main(["explain", "--format", "markdown", "--epochs", "1"]) == 0
    assert "## Forward pass" in capsys.readouterr().out
    assert main(["explain", "--json", "--epochs", "2"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["numbers"]["yo[0]"] == pytest.approx(
        sigmoid(0.5 * sigmoid(-1) - sigmoid(0.5) + 0.5)
    )
    assert [row["epoch"] for row in data["training"]] == [0, 1, 2]


def test_check_command_passes_on_the_seed_and_on_a_saved_model(tmp_path, capsys):
    assert main(["check"]) == 0
    assert "PASS" in capsys.readouterr().out
    data = tmp_path / "d.csv"
    data.write_text("a, b, c\n1, 2, x\n2, 1, y\n3, 3, x\n0, 1, z\n")
    model = tmp_path / "m.json"
    assert (
        main(
            [
                "train",
                "--data",
                str(data),
                "--loss",
                "ce",
                "--epochs",
                "2",
                "--model",
                str(model),
                "--quiet",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["check", "--model", str(model), "--data", str(data), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["passed"] and report["loss"] == "cross_entropy" and report["samples"] == 4
    assert main(["explain", "--model", str(model), "--data", str(data), "--row", "2"]) == 0
    assert "δo[2]" in capsys.readouterr().out


def test_check_command_exits_1_when_the_check_fails(monkeypatch, capsys):
    monkeypatch.setattr(backprop, "derivative", lambda a, s, name: np.ones_like(a))
    assert main(["check"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_row_outside_the_data_is_one_clear_error(capsys):
    assert main(["explain", "--row", "9"]) == 2
    err = capsys.readouterr().err
    assert "--row 9 is outside the seed data set, which has data rows 1 to 4" in err

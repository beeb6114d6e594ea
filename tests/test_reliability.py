"""Reliability: huge graphs, extreme inputs, PyTorch's graph semantics, hostile files."""

from __future__ import annotations

import ast
import json
import math
import os
import re
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value, no_grad
from tinygrad_mlp import io as model_io
from tinygrad_mlp.cli import main
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.io import SavedModel, load_model, save_model
from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.viz import draw_graph

ROOT = Path(__file__).resolve().parents[1]

# --------------------------------------------------------------------------- size


def test_million_consumers_of_one_node_backpropagate():
    limit = sys.getrecursionlimit()
    x = Value(2.0)
    total = Value(0.0)
    for _ in range(500_000):  # 500,000 products of x and 500,000 adds: a million nodes
        total = total + x * 3.0
    total.backward()
    assert x.grad == 1_500_000.0
    assert sys.getrecursionlimit() == limit


def test_drawing_a_deep_chain_does_not_recurse():
    limit = sys.getrecursionlimit()
    y = Value(1.0)
    for _ in range(50_000):
        y = y.tanh()
    y.backward()
    source = draw_graph(y, max_nodes=100).source
    assert "more values" in source and sys.getrecursionlimit() == limit


# --------------------------------------------------------------------------- numerics

EXTREMES = np.array([-1e4, -1000.0, -50.0, 0.0, 50.0, 1000.0, 1e4])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_activations_and_losses_stay_finite_and_silent_at_large_inputs(dtype):
    # NOTE: underflow to 0 is the right answer (e^-1e4), and numpy ignores it by default.
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        x = Tensor(EXTREMES.astype(dtype), requires_grad=True)
        for out in (
            x.sigmoid(),
            x.tanh(),
            x.reshape(1, -1).softmax(axis=1),
            x.reshape(1, -1).log_softmax(axis=1),
        ):
            assert out.dtype == dtype and np.all(np.isfinite(out.data))
        assert x.sigmoid().data[0] == 0.0 and x.sigmoid().data[-1] == 1.0
        logits = Tensor(EXTREMES.reshape(-1, 1).astype(dtype), requires_grad=True)
        targets = (EXTREMES.reshape(-1, 1) > 0).astype(dtype)
        loss = bce_with_logits(logits, 1.0 - targets) + bce(logits.sigmoid(), targets)
        loss = loss + cross_entropy(Tensor(np.c_[EXTREMES, -EXTREMES].astype(dtype)), [0] * 7)
        loss.backward()
        assert np.isfinite(loss.item()) and np.all(np.isfinite(logits.grad))


def test_scalar_sigmoid_tanh_exp_at_extremes():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for v in EXTREMES:
            a = Value(float(v))
            for out in (a.sigmoid(), a.tanh()):
                out.backward()
                assert math.isfinite(out.data) and math.isfinite(a.grad)
        assert Value(1e4).exp().data == math.inf  # as float('inf'), no OverflowError
        assert Value(-1e4).exp().data == 0.0


def test_log_of_zero_and_division_by_zero_follow_numpy():
    with np.errstate(divide="ignore", invalid="ignore"):
        assert Tensor([0.0]).log().data[0] == np.log(0.0)
        assert np.isposinf((Tensor([1.0]) / Tensor([0.0])).data[0])
        assert np.isnan((Tensor([0.0]) / Tensor([0.0])).data[0])
    assert Value(0.0).log().data == -math.inf


# --------------------------------------------------------------------------- semantics

torch = pytest.importorskip("torch")


def test_semantics_match_torch_accumulation_reuse_and_double_backward():
    ours = Tensor([1.5, -0.5], requires_grad=True)
    theirs = torch.tensor([1.5, -0.5], dtype=torch.float64, requires_grad=True)
    for x, backward in (
        (ours, lambda o: o.backward()),
        (theirs, lambda o: o.backward(retain_graph=True)),
    ):
        y = (x * x + x.exp() * x).sum()  # x used on several paths
        backward(y)
        backward(y)  # a second backward on the same graph adds again
    np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), rtol=1e-13)
    ours.zero_grad()
    (ours * 2).sum().backward()
    assert ours.grad.tolist() == [2.0, 2.0]


def test_no_grad_and_detach_match_torch():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        y = x * 3
    assert not y.requires_grad
    z = (x.detach() * x).sum()
    z.backward()
    assert x.grad.tolist() == [1.0, 2.0]  # the detached factor is a constant, as in torch
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    (t.detach() * t).sum().backward()
    assert t.grad.tolist() == x.grad.tolist()


def test_changing_data_between_forward_and_backward_uses_the_new_data():
    # Documented in docs/reliability.md: backward reads inputs' .data when it runs;
    # PyTorch raises an error for such an in-place change instead.
    w = Tensor([2.0], requires_grad=True)
    x = Tensor([3.0], requires_grad=True)
    y = (w * x).sum()
    w.data[...] = 10.0
    y.backward()
    assert x.grad.tolist() == [10.0]


# --------------------------------------------------------------------------- hostile files


def test_the_package_never_uses_pickle():
    for path in (ROOT / "tinygrad_mlp").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            assert not any(n.split(".")[0] in ("pickle", "marshal", "shelve") for n in names), path
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("eval", "exec"):
                # NOTE: the one documented place: captured steps run code generated from
                # the op table (never from user text)
                if (
                    path == ROOT / "tinygrad_mlp" / "compiled" / "source.py"
                    and node.func.id == "exec"
                ):
                    continue
                raise AssertionError(f"{path} calls {node.func.id}")


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON (line 1"),
        (
            '{"format": "tinygrad-mlp-model", "version": 1, "sizes": [2, 1], "activations": '
            '["sigmoid"], "weights": [[[NaN, 1]]], "biases": [[0]]}',
            "NaN is not allowed",
        ),
        (
            '{"format": "tinygrad-mlp-model", "version": 1, "sizes": [2, 1], "activations": '
            '["sigmoid"], "weights": [[["__import__", 1]]], "biases": [[0]]}',
            "weights[0] must hold numbers only",
        ),
        ("[1, 2, 3]", "not a tinygrad-mlp model file"),
    ],
)
def test_malformed_model_files_are_rejected_clearly(tmp_path, text, message):
    path = tmp_path / "m.json"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_model(path)


def test_oversized_files_are_refused_before_reading(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    save_model(path, SavedModel(MLP(2, [3, 1], seed=0)))
    monkeypatch.setattr(model_io, "MAX_JSON_BYTES", 100)
    with pytest.raises(ValueError, match="larger than the 100 byte limit"):
        load_model(path)
    import tinygrad_mlp.data as data_module

    csv = tmp_path / "d.csv"
    csv.write_text("a,b\n" + "1,2\n" * 100)
    monkeypatch.setattr(data_module, "MAX_CSV_BYTES", 50)
    with pytest.raises(ValueError, match="larger than the 50 byte limit"):
        load_csv(csv)


def test_binary_garbage_as_csv_is_one_sentence(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_bytes(b"\xff\xfe\x00\x81garbage")
    assert main(["train", "--data", str(path), "--model", str(tmp_path / "m.json")]) == 2
    assert "not a text CSV file" in capsys.readouterr().err


def test_interrupted_save_keeps_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "m.json"
    save_model(path, SavedModel(MLP(2, [3, 1], seed=0)))
    before = path.read_text()

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        save_model(path, SavedModel(MLP(2, [3, 1], seed=1)))
    assert path.read_text() == before
    assert os.listdir(tmp_path) == ["m.json"]


def test_killed_save_never_leaves_a_half_written_model(tmp_path):
    path = tmp_path / "m.json"
    script = (
        "import sys\n"
        "from tinygrad_mlp.io import SavedModel, save_model\n"
        "from tinygrad_mlp.nn import MLP\n"
        "net = MLP(200, [300, 200, 10], seed=0)\n"
        "print('ready', flush=True)\n"
        "while True:\n"
        f"    save_model({str(path)!r}, SavedModel(net))\n"
    )
    for delay in (0.05, 0.2, 0.4):
        proc = subprocess.Popen(
            [sys.executable, "-c", script],
            stdout=subprocess.PIPE,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()
        if path.exists():
            json.loads(path.read_text())  # complete, never truncated
            assert load_model(path).net.sizes == [200, 300, 200, 10]


def test_saved_files_get_ordinary_permissions(tmp_path):
    path = tmp_path / "m.json"
    save_model(path, SavedModel(MLP(2, [3, 1], seed=0)))
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask

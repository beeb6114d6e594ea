"""Two-process DistributedDataParallel continuation equals full-batch training here.

The road: ``tinygrad-mlp train`` → ``export --format torch`` → two processes of
``examples/continue_in_pytorch.py ddp`` (gloo, loopback, started as torchrun
starts them) → ``import``. With the mean loss over equal shards, DDP's averaged
gradient is the full batch's, so N steps there must land where N full-batch SGD
steps of our own engine land.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.io import load_model
from tinygrad_mlp.training import TrainConfig, fit, load_data_for

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.reference

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "continue_in_pytorch.py"
STEPS, LR, PROCESSES = 25, 0.5, 2


def _example():
    spec = importlib.util.spec_from_file_location("continue_in_pytorch", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ddp(before_pt: Path, data: Path, after_pt: Path) -> None:
    """Start the example's DDP stage in PROCESSES processes, as torchrun would, and wait."""
    port = str(_free_port())
    procs = []
    for rank in range(PROCESSES):
        env = {
            **os.environ,
            "RANK": str(rank),
            "LOCAL_RANK": str(rank),
            "WORLD_SIZE": str(PROCESSES),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": port,
            "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        }
        if sys.platform.startswith("linux"):
            env["GLOO_SOCKET_IFNAME"] = "lo"  # NOTE: gloo's own traffic stays on loopback too
        argv = [sys.executable, str(EXAMPLE), "ddp", "--model", str(before_pt), "--data",
                str(data), "--steps", str(STEPS), "--lr", str(LR), "-o", str(after_pt)]  # fmt: skip
        procs.append(
            subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
    results = []
    try:
        for proc in procs:
            out, err = proc.communicate(timeout=180)
            results.append((proc.returncode, out.decode(), err.decode()))
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
    for rank, (code, out, err) in enumerate(results):
        assert code == 0, f"rank {rank} exited {code}:\n{out}\n{err}"


def test_two_process_ddp_equals_full_batch_training_here(tmp_path):
    data = tmp_path / "data.csv"
    _example().make_table(data, rows=16, seed=3)
    before, before_pt = tmp_path / "before.json", tmp_path / "before.pt"
    after, after_pt = tmp_path / "after.json", tmp_path / "after.pt"
    assert main(["train", "--data", str(data), "--model", str(before), "--hidden", "4",
                 "--activation", "tanh", "--epochs", "3", "--quiet"]) == 0  # fmt: skip
    assert main(["export", "--model", str(before), "--format", "torch", "-o", str(before_pt)]) == 0

    _ddp(before_pt, data, after_pt)
    assert main(["import", "--format", "torch", str(after_pt), "--model", str(after)]) == 0

    # The same STEPS here: full-batch SGD (one batch of every row, in file order).
    reference = load_model(before)
    rows = load_data_for(reference, str(data))
    fit(reference, rows, TrainConfig(epochs=STEPS, lr=LR, batch_size=len(rows), shuffle=False))
    continued = load_model(after)
    moved = 0.0
    for ours, theirs, start in zip(
        reference.net.parameters(),
        continued.net.parameters(),
        load_model(before).net.parameters(),
        strict=True,
    ):
        np.testing.assert_allclose(theirs.data, ours.data, rtol=0, atol=1e-10)
        moved = max(moved, float(np.abs(ours.data - start.data).max()))
    assert moved > 1e-4, "the steps must move the weights, or the comparison proves nothing"
    record = continued.settings["continued_in_pytorch"]
    assert record == {"processes": PROCESSES, "steps": STEPS, "lr": LR, "backend": "gloo"}
    assert continued.input_scaler is not None and np.array_equal(
        continued.input_scaler.min_, reference.input_scaler.min_
    )
    # What comes back is a model like any other: the three gradient roads agree on it.
    assert main(["check", "--model", str(after), "--data", str(data)]) == 0


def test_sum_loss_would_not_equal_full_batch_training():
    """Why the mean: with the sheet's ½-sum per shard, DDP's average halves the step."""
    rng = np.random.default_rng(0)
    w = torch.tensor(rng.normal(size=(1, 3)), requires_grad=True)
    x, z = torch.tensor(rng.normal(size=(8, 3))), torch.tensor(rng.normal(size=(8, 1)))

    def grad(loss_of, rows):
        w.grad = None
        loss_of((x[rows] @ w.T - z[rows]) ** 2).backward()
        return w.grad.clone()

    halves = (slice(0, 4), slice(4, 8))
    for loss_of, factor in (
        (lambda e: 0.5 * e.sum(dim=1).mean(), 1.0),
        (lambda e: 0.5 * e.sum(), 0.5),
    ):
        averaged = sum(grad(loss_of, rows) for rows in halves) / len(halves)
        full = grad(loss_of, slice(0, 8))
        torch.testing.assert_close(averaged, factor * full, rtol=1e-12, atol=1e-14)

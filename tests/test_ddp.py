"""Two-process DistributedDataParallel continuation equals full-batch training here.

The road, as ``examples/continue_in_pytorch.py`` walks it: ``tinygrad-mlp train``
→ ``export --format torch`` → two processes started by
``torch.multiprocessing.spawn`` (gloo, loopback) → ``import`` → ``check``,
``explain``, ``graph``. With the mean loss over equal shards, DDP's averaged
gradient is the full batch's, so N steps there must land where N full-batch SGD
steps of our own engine land.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp.interchange import scaler_record
from tinygrad_mlp.io import load_model
from tinygrad_mlp.training import TrainConfig, fit, load_data_for

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.reference

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "continue_in_pytorch.py"
STEPS, LR, PROCESSES = 25, 0.5, 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_process_ddp_equals_full_batch_training_here(tmp_path):
    env = {
        **os.environ,
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    options = {"--processes": PROCESSES, "--epochs-here": 3, "--steps": STEPS, "--lr": LR}
    argv = [sys.executable, str(EXAMPLE), "--workdir", str(tmp_path)]
    argv += [str(part) for pair in options.items() for part in pair]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=300)
    # Exit 0 also says `check` found the three gradient roads in agreement on the result.
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "DDP after 25 steps" in done.stdout
    assert any(tmp_path.glob("after.*v*")), "graph wrote no picture"  # after.svg or after.dot

    # The same STEPS here: full-batch SGD (one batch of every row, in file order).
    reference = load_model(tmp_path / "before.json")
    rows = load_data_for(reference, str(tmp_path / "data.csv"))
    assert len(rows) % PROCESSES == 0
    plain_sgd = TrainConfig(
        epochs=STEPS,
        lr=LR,
        batch_size=len(rows),
        shuffle=False,
        optimizer="sgd",
        val_split=0.0,
        patience=0,
    )
    fit(reference, rows, plain_sgd)
    continued = load_model(tmp_path / "after.json")
    start = load_model(tmp_path / "before.json")
    moved = 0.0
    for ours, theirs, first in zip(
        reference.net.parameters(),
        continued.net.parameters(),
        start.net.parameters(),
        strict=True,
    ):
        np.testing.assert_allclose(theirs.data, ours.data, rtol=0, atol=1e-10)
        moved = max(moved, float(np.abs(ours.data - first.data).max()))
    assert moved > 1e-4, "the steps must move the weights, or the comparison proves nothing"
    record = continued.settings["continued_in_pytorch"]
    assert record == {"processes": PROCESSES, "steps": STEPS, "lr": LR, "backend": "gloo"}
    for name in ("input_scaler", "output_scaler"):  # whatever kind train fitted, kept exactly
        kept, fitted = getattr(continued, name), getattr(start, name)
        assert type(kept) is type(fitted), name
        assert scaler_record(kept) == scaler_record(fitted), name


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
    mean, half_sum = (lambda e: 0.5 * e.sum(dim=1).mean()), (lambda e: 0.5 * e.sum())
    for loss_of, factor in ((mean, 1.0), (half_sum, 0.5)):
        averaged = sum(grad(loss_of, rows) for rows in halves) / len(halves)
        full = grad(loss_of, slice(0, 8))
        torch.testing.assert_close(averaged, factor * full, rtol=1e-12, atol=1e-14)

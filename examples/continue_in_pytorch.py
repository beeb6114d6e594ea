"""Train here, continue in PyTorch across processes, come back and look inside.

The walk-through (run it as it is; everything lands in a temporary folder unless
``--workdir`` names one):

1. make a small regression table and train a network on it with
   ``tinygrad-mlp train`` (its defaults: standard scaling, Adam on minibatches,
   a validation split, early stopping);
2. export the model as a torch file (``tinygrad-mlp export --format torch``);
3. continue training with ``torch.nn.parallel.DistributedDataParallel``: two
   processes on this machine (gloo backend, loopback), each holding its own
   equal shard of the rows, each step one plain SGD step on a full pass over
   its shard (the scalers train fitted stay as they are);
4. import the result back (``tinygrad-mlp import --format torch``);
5. cross-check, explain and draw the continued network with ``check``,
   ``explain`` and ``graph``.

Every step keeps the numbers: the loss is the mean over a shard's samples, and
the shards are equal, so DDP's averaging of the shards' gradients is exactly the
gradient of the whole table. The continued weights equal those of full-batch
training here, to rounding.

Step 3 alone runs under ``torchrun``, on one machine or many (see
docs/beyond-one-machine.md)::

    torchrun --nnodes 2 --nproc-per-node 1 --node-rank 0 \\
        --master-addr 10.0.0.1 --master-port 29500 \\
        examples/continue_in_pytorch.py ddp --model before.pt --data data.csv \\
        --steps 200 --lr 0.5 -o after.pt

Usage::

    python examples/continue_in_pytorch.py [--workdir DIR] [--processes 2]
        [--epochs-here 300] [--steps 200] [--lr 0.5] [--quick]

``--quick`` is a shorter walk: 30 epochs here, 20 DDP steps, step 5 skipped.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from tinygrad_mlp.torch_bridge import from_torch, load_torch, save_torch, to_torch
from tinygrad_mlp.training import load_data_for, network_inputs, targets_for_training


def make_table(path: Path, rows: int = 64, seed: int = 0) -> None:
    """A smooth function of two inputs, in data units (not normalized), as CSV."""
    rng = np.random.default_rng(seed)
    temperature = rng.uniform(10.0, 40.0, rows)
    humidity = rng.uniform(20.0, 90.0, rows)
    comfort = 100 - 0.08 * (temperature - 22) ** 2 - 0.3 * np.abs(humidity - 45)
    lines = ["temperature,humidity,comfort"]
    lines += [
        f"{t:.6f},{h:.6f},{c:.6f}" for t, h, c in zip(temperature, humidity, comfort, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n")


def shard_loss(loss: str, y: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """The training loss of tinygrad_mlp, as a mean over this shard's samples.

    mse: mean over samples of ½ Σ (y − z)² (the sheet's loss per sample); bce:
    binary cross-entropy of logits; ce: softmax cross-entropy; both means.
    """
    if loss == "ce":
        return F.cross_entropy(y, z)
    if loss == "bce":
        return F.binary_cross_entropy_with_logits(y, z)
    return 0.5 * ((y - z) ** 2).sum(dim=1).mean()


def ddp_train(
    rank: int, world_size: int, model_path: str, data_path: str, steps: int, lr: float, out: str
) -> None:
    """One process of the DDP run: its shard, ``steps`` SGD steps, rank 0 saves the result."""
    torch.set_num_threads(1)  # NOTE: one core per process; more would only contend
    dist.init_process_group("gloo", rank=rank, world_size=world_size)
    try:
        model = load_torch(model_path)
        data = load_data_for(model, data_path)
        x = network_inputs(model, data.inputs)
        z = targets_for_training(model, data)
        n = len(x)
        if n % world_size:
            raise ValueError(
                f"{data_path}: {n} rows do not split into {world_size} equal shards; equal "
                "shards are what makes DDP's averaged gradient the full-batch gradient"
            )
        rows = slice(rank * n // world_size, (rank + 1) * n // world_size)
        net = DistributedDataParallel(to_torch(model.net))
        dtype = next(net.parameters()).dtype
        x_shard = torch.from_numpy(np.ascontiguousarray(x[rows])).to(dtype)
        z_shard = torch.from_numpy(np.ascontiguousarray(z[rows]))
        z_shard = z_shard.long() if model.loss == "ce" else z_shard.to(dtype)
        optimizer = torch.optim.SGD(net.parameters(), lr=lr)
        for step in range(steps + 1):
            optimizer.zero_grad()
            loss = shard_loss(model.loss, net(x_shard), z_shard)
            if step == steps:  # the last pass only measures
                break
            loss.backward()  # DDP averages the gradients of all shards here
            optimizer.step()
            if step == 0:
                report(rank, "start", loss)
        report(rank, f"after {steps} steps", loss)
        if rank == 0:
            model.net = from_torch(net)
            model.settings = {
                **model.settings,
                "continued_in_pytorch": {
                    "processes": world_size,
                    "steps": steps,
                    "lr": lr,
                    "backend": "gloo",
                },
            }
            save_torch(model, out)
        dist.barrier()  # nobody leaves before the file is written
    finally:
        dist.destroy_process_group()


def report(rank: int, when: str, loss: torch.Tensor) -> None:
    """Print the loss of the whole table (the mean of the equal shards' means) on rank 0."""
    total = loss.detach().clone()
    dist.all_reduce(total)
    if rank == 0:
        print(f"  DDP {when}: loss {total.item() / dist.get_world_size():.6g}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(processes: int, *args: object) -> None:
    """Start ``processes`` local workers on the loopback interface and wait for them."""
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    if sys.platform.startswith("linux"):
        os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")  # NOTE: all traffic on loopback
    torch.multiprocessing.spawn(ddp_train, args=(processes, *args), nprocs=processes, join=True)


def walk(args: argparse.Namespace) -> int:
    from tinygrad_mlp.cli import main as cli

    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="continue-in-pytorch-"))
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "data.csv"
    before, before_pt = workdir / "before.json", workdir / "before.pt"
    after, after_pt = workdir / "after.json", workdir / "after.pt"
    make_table(data)

    def run(*argv: str) -> int:
        print(f"$ tinygrad-mlp {' '.join(argv)}", flush=True)
        status = cli(list(argv))
        if status not in (0, 1):  # check exits 1 when a gradient disagrees: shown, then reported
            raise SystemExit(status)
        return status

    print(f"1. train here ({workdir})")
    # NOTE: train's own defaults (standard scaling, Adam on minibatches, a validation
    # split, early stopping); step 3 continues with plain full-batch SGD on every row.
    run("train", "--data", str(data), "--model", str(before), "--hidden", "6",
        "--activation", "tanh", "--epochs", str(args.epochs_here), "--batch-size", "8",
        "--lr", "0.05", "--quiet")  # fmt: skip
    print("2. export to a torch file")
    run("export", "--model", str(before), "--format", "torch", "-o", str(before_pt))
    print(f"3. continue in PyTorch: DistributedDataParallel, {args.processes} processes (gloo)")
    sys.stdout.flush()  # NOTE: before the workers print
    spawn(args.processes, str(before_pt), str(data), args.steps, args.lr, str(after_pt))
    print("4. import the result")
    run("import", "--format", "torch", str(after_pt), "--model", str(after))
    if args.no_inspect:
        return 0
    print("5. look inside: check, explain, graph")
    disagree = run("check", "--model", str(after), "--data", str(data))
    run("explain", "--model", str(after), "--data", str(data), "--row", "1")
    picture = workdir / ("after.svg" if shutil.which("dot") else "after.dot")
    run("graph", "--model", str(after), "--data", str(data), "--network", "-o", str(picture))
    return disagree


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "stage",
        nargs="?",
        default="walk",
        choices=["walk", "ddp"],
        help="walk: the whole walk-through (default); ddp: one DDP process, as torchrun starts it",
    )
    parser.add_argument("--workdir", help="walk: folder for the files (default: a new temp one)")
    parser.add_argument("--processes", type=int, default=2, help="walk: local processes (2)")
    parser.add_argument("--epochs-here", type=int, default=300, help="walk: epochs before (300)")
    parser.add_argument("--no-inspect", action="store_true", help="walk: skip step 5")
    parser.add_argument(
        "--quick", action="store_true", help="walk: 30 epochs here, 20 DDP steps, no step 5"
    )
    parser.add_argument("--steps", type=int, default=200, help="DDP steps, full shards (200)")
    parser.add_argument("--lr", type=float, default=0.5, help="DDP learning rate (0.5)")
    parser.add_argument("--model", help="ddp: the torch file to continue from")
    parser.add_argument("--data", help="ddp: the CSV file (every process reads its shard)")
    parser.add_argument("-o", "--output", help="ddp: the torch file rank 0 writes")
    args = parser.parse_args(argv)
    if args.quick:
        args.epochs_here, args.steps, args.no_inspect = 30, 20, True
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.stage == "walk":
        return walk(args)
    if not (args.model and args.data and args.output):
        raise SystemExit("ddp needs --model, --data and -o (run it under torchrun)")
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    ddp_train(rank, world_size, args.model, args.data, args.steps, args.lr, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What ``check``, ``explain`` and ``graph`` run on: the seed example or a saved model and CSV."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import numpy as np

from tinygrad_mlp.data import MinMaxScaler
from tinygrad_mlp.io import load_model
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import DATASET, HEADER, seed_network
from tinygrad_mlp.training import (
    MODEL_LOSSES,
    load_data_for,
    network_inputs,
    targets_for_training,
)


@dataclass
class Problem:
    """A network with inputs and targets as it sees them (normalized), and a title."""

    net: MLP
    x: np.ndarray
    z: np.ndarray
    loss: str
    title: str
    input_names: list[str]
    is_seed: bool = False


def add_arguments(parser: argparse.ArgumentParser, rows: bool) -> None:
    """The ``--model``/``--data`` (and, with ``rows``, ``--row``) flags of check and explain."""
    parser.add_argument("--model", help="a saved model (default: the cheat sheet's example)")
    parser.add_argument("--data", help="CSV file with the model's columns (with --model)")
    if rows:
        parser.add_argument("--row", type=int, help="use only this data row (1 = first)")
    else:
        parser.add_argument("--row", type=int, default=1, help="the data row to use (1 = first)")


def load_problem(args: argparse.Namespace, all_rows: bool = False) -> Problem:
    """The seed example (all four rows, inputs and targets in [0, 1]) or a model and CSV.

    ``args.row`` picks one row, unless ``all_rows``.
    """
    row = None if all_rows else args.row
    if args.model is None:
        if args.data is not None:
            raise ValueError("--data goes with --model")
        inputs = MinMaxScaler((0, 1)).fit_transform(DATASET[:, :2])
        targets = MinMaxScaler((0, 1)).fit_transform(DATASET[:, 2:])
        x, z = inputs, targets
        if row is not None:
            x, z = _pick(x, z, row, "the seed data set")
        return Problem(
            seed_network(),
            x,
            z,
            "mse",
            "the cheat sheet's 2-3-1 example",
            list(HEADER[:2]),
            is_seed=True,
        )
    if args.data is None:
        raise ValueError("--model needs --data, a CSV file with the model's columns")
    model = load_model(args.model)
    data = load_data_for(model, args.data)
    x = network_inputs(model, data.inputs)
    z = targets_for_training(model, data)
    if row is not None:
        x, z = _pick(x, z, row, args.data)
    return Problem(
        model.net,
        x,
        z,
        MODEL_LOSSES[model.loss],
        f"{args.model} on {args.data}",
        list(model.input_names),
    )


def _pick(x: np.ndarray, z: np.ndarray, row: int, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not 1 <= row <= len(x):
        raise ValueError(f"--row {row} is outside {where}, which has data rows 1 to {len(x)}")
    return x[row - 1 : row], z[row - 1 : row]

"""The cheat sheet's worked example: its data set, its initial weights, its errata.

The sheet trains a 2-3-1 network, sigmoid in every layer, on four rows of
(I0, I1) → Z0. Everything the project shows about that example starts here.
"""

from __future__ import annotations

import numpy as np

from tinygrad_mlp.nn import MLP

__all__ = [
    "BIASES",
    "DATASET",
    "ERRATA",
    "HEADER",
    "WEIGHTS",
    "seed_network",
]

#: The data set of the sheet's normalization section: inputs I0, I1 and target Z0.
HEADER = ("I0", "I1", "Z0")
DATASET = np.array(
    [
        [70.0, 98.0, 91.0],
        [50.0, 85.0, 82.0],
        [65.0, 67.0, 80.0],
        [25.0, 95.0, 68.0],
    ]
)

#: Initial weights ``WEIGHTS[l][j][i]`` (layer, node, input) and ``BIASES[l][j]``.
WEIGHTS = [
    [[-0.5, -1.0], [-0.5, 0.5], [1.0, 0.0]],  # hidden layer 0: wh[0][j][i]
    [[0.5, -1.0, 0.0]],  # output layer: wo[0][i]
]
BIASES = [[0.5, 0.5, 0.5], [0.5]]

#: Where the sheet's numbers or notation are wrong, and what is right.
ERRATA = {
    "y(1-y)": "the sheet computes y(1 - y) = 0.5030 * 0.4970 as 0.2494; it is 0.24999",
    "delta_o": "so the sheet's delta_o = -22.56 should be -22.62 (with its own z = 91)",
    "minus_one_50": "the sheet maps 50 to -0.1111 in [-1, 1]; (50-25)/(70-25)*2-1 = +0.1111",
    "target": (
        "the sheet trains a sigmoid output toward z = 91, which a sigmoid (range 0..1) "
        "can never reach: normalize the target too and map predictions back"
    ),
    "yo": "the sheet names two outputs yo[0], yo[1] for a one-node output layer: only yo[0] exists",
    "delta_h": (
        "the sheet's delta_h = f'(s) * w * delta is written for one next-layer node; "
        "in general it is f'(s) * sum_j w_j * delta_j over every node of the next layer"
    ),
}


def seed_network() -> MLP:
    """The sheet's 2-3-1 sigmoid network with its initial weights and biases."""
    return MLP.from_weights(WEIGHTS, BIASES, activation="sigmoid")

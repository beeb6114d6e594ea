"""The seed system's own files: import its trained network, predict, export it back.

    python examples/seed_system_files.py [--out DIR] [--quick]

The cheat sheet's author trained a 2-15-15-1 sigmoid network with his Go MLP
package and saved ``trained-weights-biases.json`` and ``minmax.json``; the
project keeps those files in ``tests/data/seed-system``. This script

1. imports them as a model (:func:`tinygrad_mlp.io.model_from_seed_files`),
2. predicts the rows of his ``testing-dataset.csv`` in data units and checks
   each prediction against the Go package's forward pass retyped in plain
   Python from the raw JSON (normalize, Σ w·a + b, sigmoid per layer,
   denormalize),
3. exports the network back to the seed system's two files and re-imports
   them, and saves it as this project's model file,
4. draws the network.

The command line does the same: ``tinygrad-mlp import-seed --weights ...
--minmax ... --model model.json``, ``tinygrad-mlp predict``, ``tinygrad-mlp
export-seed``.

Claims: every prediction equals the plain-Python forward pass to 1e-9 (in the
target's units), and the exported files give the same predictions bit for bit.
--quick runs the same checks without rendering the PNG.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
from _common import claim, options

from tinygrad_mlp.data import load_csv
from tinygrad_mlp.io import (
    load_model,
    model_from_seed_files,
    save_model,
    write_seed_minmax,
    write_seed_weights,
)
from tinygrad_mlp.training import evaluate, predict
from tinygrad_mlp.viz import draw_network
from tinygrad_mlp.viz.render import save

SEED = Path(__file__).resolve().parent.parent / "tests" / "data" / "seed-system"


def go_forward(weights: dict, minmax: dict, row: list[float]) -> float:
    """The seed system's forward pass, loop for loop, on its raw JSON records."""
    lows, highs = minmax["minInput"], minmax["maxInput"]
    a = [(v - lo) / (hi - lo) for v, lo, hi in zip(row, lows, highs, strict=True)]
    layers = list(zip(weights["hiddenWeights"], weights["hiddenBias"], strict=True))
    layers.append((weights["outputWeights"], weights["outputBias"]))
    for nodes, biases in layers:
        a = [
            1 / (1 + math.exp(-(sum(w * v for w, v in zip(node, a, strict=True)) + b)))
            for node, b in zip(nodes, biases, strict=True)
        ]
    lo, hi = minmax["minOutput"][0], minmax["maxOutput"][0]
    return a[0] * (hi - lo) + lo


def main() -> None:
    args = options("seed_system_files", __doc__)
    weights_file, minmax_file = SEED / "trained-weights-biases.json", SEED / "minmax.json"
    model = model_from_seed_files(weights_file, minmax_file)
    print("imported: " + repr(model.net).splitlines()[0].rstrip("("))
    print(
        f"  {sum(p.data.size for p in model.net.parameters())} parameters, "
        f"inputs scaled from {model.input_scaler.min_} .. {model.input_scaler.max_}"
    )

    data = load_csv(SEED / "testing-dataset.csv")
    y = predict(model, data.inputs)
    raw_w, raw_mm = json.loads(weights_file.read_text()), json.loads(minmax_file.read_text())
    by_hand = np.array([[go_forward(raw_w, raw_mm, list(row))] for row in data.inputs])
    print(f"\n{'i0':>5}{'i1':>5}{'z0':>6}{'predicted':>12}{'plain Python':>14}")
    for row, target, ours, theirs in zip(data.inputs, data.targets, y, by_hand, strict=True):
        print(f"{row[0]:5g}{row[1]:5g}{target[0]:6g}{ours[0]:12.4f}{theirs[0]:14.4f}")
    gap = float(np.abs(y - by_hand).max())
    print(f"largest difference from the plain-Python forward pass: {gap:.1e}")
    report = evaluate(model, data)
    print(
        f"test loss ({report['loss_units']}): {report['loss']:.4f}; "
        f"RMSE {report['rmse']['z0']:.4f}, MAE {report['mae']['z0']:.4f}"
    )

    write_seed_weights(args.out / "trained-weights-biases.json", model.net)
    write_seed_minmax(args.out / "minmax.json", model.input_scaler, model.output_scaler)
    again = model_from_seed_files(
        args.out / "trained-weights-biases.json", args.out / "minmax.json"
    )
    same = bool(np.array_equal(predict(again, data.inputs), y))
    save_model(args.out / "model.json", model)
    reloaded = bool(np.array_equal(predict(load_model(args.out / "model.json"), data.inputs), y))
    print(f"\nexported to {args.out}: trained-weights-biases.json, minmax.json, model.json")
    print(f"  re-imported seed files predict the same: {same}; model.json the same: {reloaded}")

    diagram = draw_network(
        model.net,
        weights="colour",
        input_names=data.input_names,
        output_names=data.target_names,
        title="the seed system's 2-15-15-1",
    )
    written = [save(diagram, args.out / "seed_system_network.dot")]
    if not args.quick:
        written.append(save(diagram, args.out / "seed_system_network.png"))
    print("picture: " + ", ".join(str(p) for p in written))

    claim(gap < 1e-9, "predictions equal the seed system's forward pass (1e-9)")
    claim(same and reloaded, "the exported files predict exactly the same")


if __name__ == "__main__":
    main()

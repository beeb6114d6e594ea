"""``tinygrad-mlp info``: a saved network laid out as the cheat sheet lays it out."""

from __future__ import annotations

import argparse

from tinygrad_mlp.commands import summary
from tinygrad_mlp.commands.common import HelpFormatter, emit_json
from tinygrad_mlp.data import StandardScaler
from tinygrad_mlp.io import load_model


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``info``: a saved network's layers, weights and scalers."""
    p = subparsers.add_parser(
        "info",
        formatter_class=HelpFormatter,
        help=summary("info"),
        description="Print a saved model as the cheat sheet lays a network out.",
    )
    p.add_argument("--model", required=True, help="model JSON")
    p.add_argument("--json", action="store_true", help="print the model as JSON")
    p.set_defaults(run=run)


def _numbers(values) -> str:
    return "{" + " ".join(f"{v:.6g}" for v in values) + "}"


def _scaler(scaler) -> dict | None:
    if scaler is None:
        return None
    if isinstance(scaler, StandardScaler):
        return {"kind": "standard", "mean": scaler.mean_, "scale": scaler.scale_}
    return {"range": list(scaler.feature_range), "min": scaler.min_, "max": scaler.max_}


FOLDED = {"bce": "logits; the sigmoid is folded into bce", "ce": "logits; softmax in ce"}


def run(args: argparse.Namespace) -> int:
    """Print the model in the sheet's notation (or as JSON); exit status 0."""
    model = load_model(args.model)
    net = model.net
    if args.json:
        emit_json(
            {
                "sizes": net.sizes,
                "activations": net.activations,
                "loss": model.loss,
                "inputs": model.input_names,
                "targets": model.target_names,
                "classes": model.classes,
                "weights": [layer.weight.data for layer in net.layers],
                "biases": [layer.bias.data for layer in net.layers],
                "input_scaler": _scaler(model.input_scaler),
                "output_scaler": _scaler(model.output_scaler),
                "settings": model.settings,
            }
        )
        return 0
    print(f"{args.model}: {'-'.join(map(str, net.sizes))} network, loss {model.loss}")
    print(f"INPUT LAYER  {', '.join(f'x[{k}] = {n}' for k, n in enumerate(model.input_names))}")
    for l, layer in enumerate(net.layers):  # noqa: E741 -- the sheet's layer index
        last = l == len(net.layers) - 1
        title = "OUTPUT LAYER" if last else f"HIDDEN LAYER {l}"
        kind = FOLDED.get(model.loss, layer.activation) if last else layer.activation
        print(f"{title}  ({layer.nout} nodes, {kind})")
        for j in range(layer.nout):
            kind = "output" if last else "hidden"
            print(f"  NODE {j}")
            print(f"    {kind}Weight {_numbers(layer.weight.data[j])}")
            print(f"    {kind}Bias {{{layer.bias.data[j]:.6g}}}")
    outputs = model.classes if model.loss == "ce" else model.target_names
    print(f"OUTPUTS  {', '.join(f'yo[{k}] = {n}' for k, n in enumerate(outputs))}")
    for name, scaler, columns in (
        ("input scaler", model.input_scaler, model.input_names),
        ("output scaler", model.output_scaler, model.target_names),
    ):
        if scaler is None:
            print(f"{name}: none")
            continue
        standard = isinstance(scaler, StandardScaler) or (
            model.settings.get("normalize") == "standard" and scaler.feature_range == (-1, 1)
        )
        if standard:
            print(f"{name}: standard (x - mean) / sd")
            mean, sd = (scaler.max_ + scaler.min_) / 2, (scaler.max_ - scaler.min_) / 2
            for column, m, d in zip(columns, mean, sd, strict=True):
                print(f"  {column}: mean {m:g}, sd {d:g}")
            continue
        low, high = scaler.feature_range
        print(f"{name}: min-max to [{low:g}, {high:g}]")
        for column, lo, hi in zip(columns, scaler.min_, scaler.max_, strict=True):
            print(f"  {column}: min {lo:g}, max {hi:g}")
    return 0

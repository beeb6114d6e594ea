"""One model record: a file one road accepts (JSON model, ONNX, torch), every road accepts.

The three roads read the same fields (loss, column names, classes, scalers, settings);
each variant below is written into each kind of file and read back, and the roads must
agree: all refuse it, or all give back the same model.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tinygrad_mlp.data import MinMaxScaler, StandardScaler
from tinygrad_mlp.interchange import describe
from tinygrad_mlp.io import SavedModel, load_model, model_to_dict
from tinygrad_mlp.nn import MLP

onnx = pytest.importorskip("onnx")
torch = pytest.importorskip("torch")

from tinygrad_mlp import onnx as onnx_file  # noqa: E402
from tinygrad_mlp.torch_bridge import load_torch, save_torch  # noqa: E402


def _model(loss: str) -> SavedModel:
    net = MLP(2, [3, 2], activation="tanh", output_activation="linear", seed=0)
    inputs = MinMaxScaler((0.0, 1.0)).fit([[0.0, 10.0], [4.0, 30.0]])
    if loss == "ce":
        return SavedModel(net, input_scaler=inputs, loss="ce", classes=["a", "b"],
                          target_names=["label"])  # fmt: skip
    outputs = StandardScaler().fit([[1.0, 2.0], [3.0, 8.0]])
    return SavedModel(net, input_scaler=inputs, output_scaler=outputs, loss=loss)


def _json_road(model, changes, path):
    record = model_to_dict(model)
    record.update(changes)
    path.write_text(json.dumps(record))
    return load_model(path)


def _onnx_road(model, changes, path):
    onnx_file.export(model, path)
    proto = onnx.load(str(path))
    entry = next(p for p in proto.metadata_props if p.key == "tinygrad_mlp")
    record = json.loads(entry.value)
    record.update(changes)
    entry.value = json.dumps(record)
    onnx.save(proto, str(path))
    return onnx_file.load_model(path)


def _torch_road(model, changes, path):
    save_torch(model, path)
    record = torch.load(path, weights_only=True)
    record.update(changes)
    torch.save(record, path)
    return load_torch(path)


ROADS = {"json": _json_road, "onnx": _onnx_road, "torch": _torch_road}

VARIANTS = {
    # the kind a min-max scaler may carry (a standard one must): one road used to refuse it
    "minmax kind written out": (
        "mse",
        {"input_scaler": {"kind": "minmax", "range": [0.0, 1.0], "min": [0.0, 10.0],
                          "max": [4.0, 30.0]}},
    ),
    # numbers written as text: one road used to read them
    "numbers as text": (
        "mse",
        {"input_scaler": {"range": [0.0, 1.0], "min": ["0", "10"], "max": [4.0, 30.0]}},
    ),
    "true as a number": (
        "mse",
        {"input_scaler": {"range": [0.0, 1.0], "min": [True, 10.0], "max": [4.0, 30.0]}},
    ),
    # class labels that are not text: one road turned them into text
    "classes as numbers": ("ce", {"classes": [0, 1]}),
    # class labels on a model without classes: one road kept them, the others dropped them
    "classes on an mse model": ("mse", {"classes": ["a", "b"]}),
    "whole numbers in a range": (
        "mse",
        {"input_scaler": {"range": [0, 1], "min": [0, 10], "max": [4, 30]}},
    ),
    "an unknown loss": ("mse", {"loss": "hinge"}),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_record_accepted_by_one_road_is_accepted_by_all(tmp_path, variant):
    loss, changes = VARIANTS[variant]
    model = _model(loss)
    outcomes = {}
    for road, read in ROADS.items():
        try:
            back = read(model, changes, tmp_path / f"m.{road}")
        except ValueError as error:
            outcomes[road] = ("refused", str(error).count("\n"))
        else:
            outcomes[road] = ("read", json.dumps(describe(back), sort_keys=True))
    kinds = {road: outcome[0] for road, outcome in outcomes.items()}
    assert len(set(kinds.values())) == 1, f"{variant}: the roads disagree: {kinds}"
    assert len({outcome[1] for outcome in outcomes.values()}) == 1, f"{variant}: {outcomes}"
    if kinds["json"] == "refused":
        assert outcomes["json"][1] == 0, "a refusal is one sentence"


def test_a_record_read_back_is_the_model_that_left(tmp_path):
    for loss in ("mse", "bce", "ce"):
        model = _model(loss)
        for road, read in ROADS.items():
            back = read(model, {}, tmp_path / f"m.{road}")
            assert describe(back) == describe(model), (loss, road)
            for a, b in zip(back.net.parameters(), model.net.parameters(), strict=True):
                assert np.array_equal(a.data, b.data)

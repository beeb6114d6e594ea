"""The registry of names: every consumer covers every activation, or refuses one it lacks.

Two defects came from tables that knew fewer activations than the vocabulary: explain
ended in a KeyError on gelu, and playback captioned gelu's δ as different from
autodiff's. These tests run both over every activation, then add a dummy activation
to the registry and ask each consumer to handle it or refuse it in one sentence.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

# NOTE: every consumer is imported before the dummy joins the vocabulary: a table that
# misses a name fails at import (tests/test_nn_package.py); here each must refuse at use.
from tinygrad_mlp import backprop, labels, names
from tinygrad_mlp import onnx as onnx_file
from tinygrad_mlp.cli import main
from tinygrad_mlp.crosscheck import cross_check, tensor_loss
from tinygrad_mlp.data import load_csv
from tinygrad_mlp.explain import explain
from tinygrad_mlp.io import SavedModel, save_model
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.nn.activation import activation_module
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.torch_bridge import to_torch
from tinygrad_mlp.training import TrainConfig, fit, new_model
from tinygrad_mlp.viz.playback import playback_network

X = [0.7, -0.4]
Z = [0.3]


def network(activation: str) -> MLP:
    """2-3-1 with ``activation`` on both layers, sums away from every kink."""
    net = MLP(2, [3, 1], activation=activation, seed=3)
    return net


def autodiff_deltas(net: MLP) -> list[np.ndarray]:
    """δ of each layer by the tensor engine: for one sample, ∂L/∂b of the layer."""
    for p in net.parameters():
        p.grad = None
    out = net(Tensor(np.array([X])))
    tensor_loss(out, np.array([Z]), "mse").backward()
    return [np.asarray(layer.bias.grad, dtype=np.float64) for layer in net.layers]


def printed_deltas(text: str) -> dict[str, float]:
    """The δ's a rendered trace prints: the number after its last "=" on each δ line."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("δ"):
            out[line.split(" = ")[0]] = float(line.rsplit("= ", 1)[1])
    return out


@pytest.mark.parametrize("activation", names.ACTIVATIONS)
def test_explain_prints_every_activation_and_its_deltas_equal_the_witness_and_autodiff(
    activation,
):
    net = network(activation)
    trace = explain(net, X, Z)
    text = trace.render("text")
    markdown = trace.render("markdown")
    fprime = names.ACTIVATION_FACTS[activation].derivative_text()
    assert f"f'(s)(yo - z) = {fprime}·(yo - z)" in text
    assert "\\delta o_{[0]}" in markdown
    weights = [layer.weight.data for layer in net.layers]
    biases = [layer.bias.data for layer in net.layers]
    bp = backprop.gradients(weights, biases, net.activations, [X], [Z])
    auto = autodiff_deltas(net)
    shown = printed_deltas(text)
    assert len(shown) == 4
    for l, layer in enumerate(net.layers):  # noqa: E741
        for j in range(layer.nout):
            value = shown[labels.delta(l, len(net.layers), j)]
            assert value == pytest.approx(bp.delta[l][0, j], rel=1e-8, abs=1e-12)
            assert value == pytest.approx(auto[l][j], rel=1e-8, abs=1e-12)


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("activation", names.ACTIVATIONS)
def test_playback_captions_every_activations_delta_as_the_same(activation, engine):
    pb = playback_network(network(activation), X, Z, engine=engine)
    lines = [line for f in pb.frames for line in f.caption.splitlines()]
    checks = [line for line in lines if line.startswith("backprop.py (the δ formula)")]
    assert checks and not any("DIFFERENT" in line for line in checks)
    assert len(checks) == (4 if engine == "scalar" else 2)  # each neuron, or each layer
    assert all("✓ the same" in line for line in checks)


def test_every_table_of_the_registry_covers_the_vocabulary():
    assert set(names.ACTIVATION_FACTS) == set(names.ACTIVATIONS)
    assert set(names.LOSS_FACTS) == set(names.LOSSES)
    for alias, name in {**names.ACTIVATION_ALIASES, **names.LOSS_ALIASES}.items():
        assert name in names.ACTIVATIONS + names.LOSSES, alias
    assert names.MODEL_LOSSES == ("mse", "bce", "ce")
    for facts in names.ACTIVATION_FACTS.values():
        assert facts.low < facts.high
        facts.derivative_text(a="a", s="s")
        facts.derivative_text(a="a", s="s", tex=True)


def test_a_table_missing_a_name_fails_on_import():
    with pytest.raises(AssertionError, match="misses 'gelu'"):
        names.require_cover({"sigmoid"}, ("sigmoid", "gelu"), "a table")


def test_labels_build_and_parse_the_sheets_names():
    assert labels.weight(0, 2, 2, 1) == "wh[0][2][1]" and labels.weight(1, 2, 0, 2) == "wo[0][2]"
    assert labels.bias(0, 2, 1) == "bh[0][1]" and labels.delta(1, 2, 0) == "δo[0]"
    for text in ("x[1]", "wh[0][2][1]", "bh[1][0]", "wo[0][1]", "bo[0]", "δh[0][2]", "yo[0]"):
        assert labels.parse(text) is not None, text
    assert labels.parse("wh[0]x") is None and labels.parse("loss") is None


# -- a dummy activation in the registry: each consumer handles it or refuses it ------------

DUMMY = dataclasses.replace(names.ACTIVATION_FACTS["tanh"], name="dummy", aliases=())


@pytest.fixture
def dummy(monkeypatch):
    """The vocabulary with one more activation, ``dummy``, and its facts."""
    monkeypatch.setitem(names.ACTIVATION_FACTS, "dummy", DUMMY)
    monkeypatch.setattr(names, "ACTIVATIONS", (*names.ACTIVATIONS, "dummy"))
    return "dummy"


def dummy_network() -> MLP:
    """A network whose hidden layer says ``dummy`` (as a model file would)."""
    net = network("tanh")
    object.__setattr__(net.layers[0], "activation", "dummy")
    return net


def _explain(tmp_path):
    return explain(dummy_network(), X, Z).render()


def _explain_markdown(tmp_path):
    return explain(dummy_network(), X, Z).render("markdown")


def _playback(tmp_path):
    return playback_network(dummy_network(), X, Z, engine="tensor")


def _witness(tmp_path):
    net = dummy_network()
    weights = [layer.weight.data for layer in net.layers]
    biases = [layer.bias.data for layer in net.layers]
    return backprop.gradients(weights, biases, net.activations, [X], [Z])


def _cross_check(tmp_path):
    return cross_check(dummy_network(), [X], [Z])


def _cli(command: str):
    def run(tmp_path):
        path = tmp_path / "m.json"
        save_model(path, SavedModel(network("tanh")))
        data = json.loads(path.read_text())
        data["activations"][0] = "dummy"
        path.write_text(json.dumps(data))
        (tmp_path / "d.csv").write_text("i0, i1, z0\n0.7, -0.4, 0.3\n")
        code = main([command, "--model", str(path), "--data", str(tmp_path / "d.csv")])
        if code != 0:
            raise SystemExit(code)

    return run


def _onnx(tmp_path):
    pytest.importorskip("onnx")
    return onnx_file.export(dummy_network(), tmp_path / "m.onnx")


def _torch_bridge(tmp_path):
    pytest.importorskip("torch")
    return to_torch(dummy_network())


def _modules(tmp_path):
    return MLP(2, [3, 1], activation="dummy", seed=0)


def _sequential(tmp_path):
    return activation_module("dummy")


def _training(tmp_path):
    (tmp_path / "d.csv").write_text("i0,i1,z0\n0.7,-0.4,0.3\n0.1,0.2,0.5\n")
    data = load_csv(tmp_path / "d.csv")
    config = TrainConfig(activation="dummy", epochs=1)
    return fit(new_model(data, config), data, config)


def _cli_train(tmp_path):
    (tmp_path / "d.csv").write_text("i0,i1,z0\n0.7,-0.4,0.3\n0.1,0.2,0.5\n")
    code = main(
        ["train", "--data", str(tmp_path / "d.csv"), "--activation", "dummy",
         "--epochs", "1", "--model", str(tmp_path / "m.json")]
    )  # fmt: skip
    if code != 0:
        raise SystemExit(code)


#: (consumer, call): every table keyed by activation name, through its public door.
CONSUMERS = [
    ("explain text", _explain),
    ("explain markdown", _explain_markdown),
    ("playback captions", _playback),
    ("δ witness formulas", _witness),
    ("cross-check", _cross_check),
    ("cli explain", _cli("explain")),
    ("cli check", _cli("check")),
    ("onnx export", _onnx),
    ("torch bridge", _torch_bridge),
    ("nn MLP", _modules),
    ("nn activation module", _sequential),
    ("training", _training),
    ("cli train", _cli_train),
]


@pytest.mark.parametrize("consumer, call", CONSUMERS, ids=[c[0] for c in CONSUMERS])
def test_a_new_activation_is_handled_or_refused_in_one_sentence(
    dummy, tmp_path, capsys, consumer, call
):
    try:
        call(tmp_path)
    except ValueError as error:
        message = str(error)
        assert "dummy" in message and "\n" not in message, message
    except SystemExit as code:  # the CLI: exit 2, one line on stderr, no traceback
        err = capsys.readouterr().err
        assert code.code == 2 and "dummy" in err and "Traceback" not in err, err
        if err.startswith("usage:"):  # argparse's refusal of a choice: usage, then one line
            err = err.strip().splitlines()[-1] + "\n"
        assert err.count("\n") == 1 and "dummy" in err, err

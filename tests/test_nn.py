"""Neuron, Layer and MLP: structure, labels, parameters, both engines."""

from __future__ import annotations

import runpy
from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp import Value
from tinygrad_mlp.autograd import walk
from tinygrad_mlp.cli import main
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP, Layer, Neuron

ROOT = Path(__file__).resolve().parents[1]


def test_parameters_are_weight_then_bias_layer_by_layer():
    net = MLP(2, [3, 4, 1], seed=0)
    params = net.parameters()
    assert [p.shape for p in params] == [(3, 2), (3,), (4, 3), (4,), (1, 4), (1,)]
    assert params[0] is net.layers[0].weight and params[1] is net.layers[0].bias


def test_seeded_init_is_uniform_in_unit_interval_and_reproducible():
    a, b, c = MLP(3, [50, 2], seed=7), MLP(3, [50, 2], seed=7), MLP(3, [50, 2], seed=8)
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.data, pb.data)
        assert pa.data.min() >= -1.0 and pa.data.max() <= 1.0
    assert not np.array_equal(a.parameters()[0].data, c.parameters()[0].data)


def test_activation_applies_to_every_layer_unless_output_named():
    assert MLP(2, [3, 1], activation="tanh").activations == ["tanh", "tanh"]
    assert MLP(2, [3, 1], "tanh", output_activation="linear").activations == ["tanh", "linear"]
    assert MLP(2, [3, 2, 1], ["relu", "tanh", "sigmoid"]).activations == [
        "relu",
        "tanh",
        "sigmoid",
    ]


def test_bad_arguments_raise_one_clear_error():
    with pytest.raises(ValueError, match="unknown activation 'softplusplus'"):
        MLP(2, [3, 1], activation="softplusplus")
    with pytest.raises(ValueError, match="2 activations given for 3 layers"):
        MLP(2, [3, 3, 1], activation=["tanh", "tanh"])
    net = MLP(2, [3, 1])
    with pytest.raises(ValueError, match=r"layer 0 weight should be \(3, 2\), got \(2, 3\)"):
        net.set_weights([np.zeros((2, 3)), np.zeros((1, 3))], [np.zeros(3), np.zeros(1)])
    with pytest.raises(ValueError, match="network takes 2 inputs, got 3"):
        net([1.0, 2.0, 3.0])


def test_scalar_graph_labels_use_the_sheet_notation():
    net = MLP(2, [3, 2, 1], seed=1)
    out = net([0.5, -0.5])
    labels = {v.label for v in walk(out[0]) if v.label}
    expected = {"x[0]", "x[1]", "wh[0][2][1]", "bh[0][2]", "sh[0][0]", "ah[0][2]"}
    expected |= {"wh[1][1][2]", "bh[1][0]", "wo[0][1]", "bo[0]", "so[0]", "yo[0]"}
    assert expected <= labels
    assert net.layers[0].neurons[2].w[1].label == "wh[0][2][1]"


def test_neuron_weights_are_views_of_the_layer_tensor():
    layer = Layer(2, 3, seed=0)
    layer.neurons[1].w[0].data = 0.25
    assert layer.weight.data[1, 0] == 0.25
    layer.weight.data[2, 1] = -0.5
    assert layer.neurons[2].w[1].data == -0.5


def test_standalone_neuron_computes_weighted_sum_then_activation():
    n = Neuron(3, activation="tanh", seed=0)
    x = [0.1, -0.2, 0.3]
    w = [v.data for v in n.w]
    expected = np.tanh(sum(a * b for a, b in zip(x, w, strict=True)) + n.b.data)
    assert n(x).data == pytest.approx(expected, abs=1e-15)
    assert len(n.parameters()) == 4 and isinstance(n.parameters()[0], Value)


def test_scalar_gradients_land_on_parameter_tensors_and_zero_grad_clears():
    net = MLP(2, [2, 1], activation="linear")
    net.set_weights([[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0]]], [[0.0, 0.0], [0.0]])
    loss = mse(net([1.0, 1.0]), [0.0])  # y = 5*3 + 6*7 = 57, dL/dy = 57
    loss.backward()
    np.testing.assert_allclose(net.layers[1].weight.grad, [[57 * 3, 57 * 7]])
    np.testing.assert_allclose(net.layers[0].weight.grad, [[57 * 5] * 2, [57 * 6] * 2])
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_scalar_and_tensor_engines_agree_on_one_sample():
    net = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=3)
    x, z = [0.3, -0.7, 1.1], [0.2, 0.9]
    mse(net(x), z).backward()
    scalar = [p.grad.copy() for p in net.parameters()]
    net.zero_grad()
    mse(net(np.array([x])), np.array([z])).backward()
    for a, b in zip(scalar, net.parameters(), strict=True):
        np.testing.assert_allclose(a, b.grad, rtol=0, atol=1e-12)


def test_demo_command_prints_the_golden_numbers(tmp_path, capsys):
    assert main(["demo", "--graph", str(tmp_path / "g.dot")]) == 0
    out = capsys.readouterr().out
    for number in ["0.503002809", "-22.623433299", "-0.124244816", "5.316590808"]:
        assert number in out
    assert (tmp_path / "g.dot").read_text().startswith("digraph")


def test_worked_example_script_runs_and_prints_golden_numbers(capsys, monkeypatch, tmp_path):
    monkeypatch.setattr("sys.argv", ["seed_worked_example.py", "--quick", "--out", str(tmp_path)])
    monkeypatch.syspath_prepend(str(ROOT / "examples"))  # as `python examples/x.py` has it
    runpy.run_path(str(ROOT / "examples" / "seed_worked_example.py"), run_name="__main__")
    out = capsys.readouterr().out
    for number in ["0.268941421", "0.012011379", "-2.224018479", "0.029197993", "+0.1111"]:
        assert number in out


def test_digits_example_learns(capsys, monkeypatch, tmp_path):
    pytest.importorskip("sklearn")
    monkeypatch.setattr("sys.argv", ["train_digits.py", "--quick", "--out", str(tmp_path)])
    monkeypatch.syspath_prepend(str(ROOT / "examples"))  # as `python examples/x.py` has it
    runpy.run_path(str(ROOT / "examples" / "train_digits.py"), run_name="__main__")
    last = [line for line in capsys.readouterr().out.splitlines() if "accuracy" in line][-1]
    assert float(last.rsplit(" ", 1)[1]) > 0.85


def test_nested_list_is_a_clear_error_not_a_silent_batch():
    net = MLP(2, [3, 1], seed=0)
    with pytest.raises(TypeError, match="pass a batch as an array of shape"):
        net([[1.0, 2.0], [3.0, 4.0]])
    assert net(np.array([[1.0, 2.0], [3.0, 4.0]])).shape == (2, 1)


def test_scalar_output_is_a_vector_that_indexes_and_feeds_losses_as_the_list_did():
    net = MLP(2, [3, 2], seed=0)
    out = net([0.5, -0.5])
    assert isinstance(out, np.ndarray) and out.dtype == object and out.shape == (2,)
    assert all(isinstance(v, Value) for v in out) and out[1] is list(out)[1]
    assert mse(out, [0.1, 0.2]).data == mse(list(out), [0.1, 0.2]).data
    doubled = out + out  # element-wise, where a list would concatenate
    assert [v.data for v in doubled] == [2 * v.data for v in out]
    again = net(np.array([Value(0.5), Value(-0.5)], dtype=object))  # another module's output
    assert [v.data for v in again] == [v.data for v in out]

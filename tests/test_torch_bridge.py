"""to_torch / from_torch and torch files: the same numbers in PyTorch, and back exactly."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tinygrad_mlp import Tensor
from tinygrad_mlp.cli import main
from tinygrad_mlp.data import MinMaxScaler, StandardScaler
from tinygrad_mlp.io import SavedModel, load_model, save_model
from tinygrad_mlp.losses import bce, bce_with_logits, cross_entropy, mse, mse_mean
from tinygrad_mlp.names import ACTIVATIONS, LOSSES
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.torch_bridge import from_torch, load_torch, save_torch, to_torch

torch = pytest.importorskip("torch")
F = torch.nn.functional
pytestmark = pytest.mark.reference

#: (inputs, layer sizes) of the networks every comparison runs on.
SHAPES = [(2, [3, 1]), (3, [5, 4, 2]), (1, [2]), (4, [6, 3])]
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}

OURS = {
    "mse": mse,
    "mse_mean": mse_mean,
    "bce": bce,
    "bce_with_logits": bce_with_logits,
    "cross_entropy": cross_entropy,
}
TORCH = {
    "mse": lambda y, z: 0.5 * ((y - z) ** 2).sum(),
    "mse_mean": F.mse_loss,
    "bce": F.binary_cross_entropy,
    "bce_with_logits": F.binary_cross_entropy_with_logits,
    "cross_entropy": F.cross_entropy,
}


def test_every_loss_has_a_torch_twin():
    assert set(OURS) == set(TORCH) == set(LOSSES)


def _targets(loss, rng, n, nout, dtype):
    if loss == "cross_entropy":
        return rng.integers(0, nout, n)
    if loss in ("bce", "bce_with_logits"):
        return rng.uniform(0, 1, (n, nout)).round().astype(dtype)
    return rng.uniform(-1, 1, (n, nout)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_to_torch_forward_and_gradients_equal_ours(activation, loss, dtype):
    rng = np.random.default_rng(7)
    tol = TOLERANCE[dtype]
    for nin, nouts in SHAPES:
        # NOTE: bce takes probabilities, so its output layer is a sigmoid whatever the hidden one.
        output = "sigmoid" if loss == "bce" else None
        net = MLP(nin, nouts, activation=activation, output_activation=output, seed=3, dtype=dtype)
        seq = to_torch(net)
        x = rng.uniform(-1.5, 1.5, (7, nin)).astype(dtype)
        z = _targets(loss, rng, 7, nouts[-1], dtype)

        xt = Tensor(x, requires_grad=True, dtype=dtype)
        y = net(xt)
        ours = OURS[loss](y, z)
        ours.backward()

        x_torch = torch.tensor(x, requires_grad=True)
        y_torch = seq(x_torch)
        theirs = TORCH[loss](y_torch, torch.from_numpy(np.asarray(z)))
        theirs.backward()

        where = f"{activation}/{loss}/{np.dtype(dtype).name} {nin}-{nouts}"
        assert y_torch.dtype == {np.float64: torch.float64, np.float32: torch.float32}[dtype]
        np.testing.assert_allclose(
            y.data, y_torch.detach().numpy(), rtol=tol, atol=tol, err_msg=where
        )
        np.testing.assert_allclose(ours.item(), theirs.item(), rtol=tol, atol=tol, err_msg=where)
        np.testing.assert_allclose(xt.grad, x_torch.grad.numpy(), rtol=tol, atol=tol, err_msg=where)
        for l, layer in enumerate(net.layers):  # noqa: E741
            for name in ("weight", "bias"):
                np.testing.assert_allclose(
                    getattr(layer, name).grad,
                    getattr(seq[2 * l], name).grad.numpy(),
                    rtol=tol,
                    atol=tol,
                    err_msg=f"{where} layer {l} {name}",
                )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_from_torch_of_to_torch_round_trips_exactly(dtype):
    for k, (nin, nouts) in enumerate(SHAPES):
        activations = [ACTIVATIONS[(k + j) % len(ACTIVATIONS)] for j in range(len(nouts))]
        net = MLP(nin, nouts, activation=activations, seed=k, dtype=dtype)
        back = from_torch(to_torch(net))
        assert back.sizes == net.sizes
        assert back.activations == net.activations
        for ours, theirs in zip(net.parameters(), back.parameters(), strict=True):
            assert theirs.data.dtype == np.dtype(dtype)
            assert np.array_equal(ours.data, theirs.data)


def test_to_torch_layout_and_independent_copy():
    net = MLP(2, [3, 1], activation="relu", output_activation="linear", seed=0)
    seq = to_torch(net)
    assert [type(m).__name__ for m in seq] == ["Linear", "ReLU", "Linear", "Identity"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    before = net.layers[0].weight.data.copy()
    with torch.no_grad():
        seq[0].weight.add_(1.0)
    assert np.array_equal(net.layers[0].weight.data, before)


def test_from_torch_reads_a_hand_written_sequential():
    torch.manual_seed(0)
    seq = torch.nn.Sequential(
        torch.nn.Linear(3, 4, dtype=torch.float64),
        torch.nn.Tanh(),
        torch.nn.Sequential(torch.nn.Linear(4, 2, dtype=torch.float64)),
    )
    net = from_torch(seq)
    assert net.sizes == [3, 4, 2] and net.activations == ["tanh", "linear"]
    x = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_allclose(net(x).data, seq(torch.from_numpy(x)).detach().numpy(), rtol=1e-14)


def _one_sentence(error):
    text = str(error.value)
    assert "\n" not in text and text.count(". ") == 0, text
    return text


@pytest.mark.parametrize(
    ("modules", "named"),
    [
        (lambda: [torch.nn.Linear(2, 3), torch.nn.Conv1d(1, 1, 1)], "module 1 (Conv1d)"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.Softmax(dim=1)], "module 1 (Softmax)"),
        (lambda: [torch.nn.Linear(2, 3, bias=False)], "module 0 (Linear)"),
        (lambda: [torch.nn.Sigmoid(), torch.nn.Linear(2, 3)], "module 0 (Sigmoid)"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Tanh()], "module 2 (Tanh)"),
        (lambda: [torch.nn.Linear(2, 3), torch.nn.Linear(4, 1)], "module 1 (Linear)"),
    ],
)
def test_from_torch_names_the_first_unsupported_module(modules, named):
    with pytest.raises(ValueError) as error:
        from_torch(torch.nn.Sequential(*modules()))
    assert named in _one_sentence(error)


def test_from_torch_refuses_a_module_that_is_not_sequential():
    with pytest.raises(TypeError) as error:
        from_torch(torch.nn.Linear(2, 3))
    assert "Sequential" in _one_sentence(error)


# --------------------------------------------------------------------------- torch files


#: Every kind of scaler a model file can hold, fitted on columns of very different scales.
SCALERS = {
    "standard": lambda: StandardScaler(),
    "zero-to-one": lambda: MinMaxScaler((0, 1)),
    "minus-one-to-one": lambda: MinMaxScaler((-1, 1)),
    "none": lambda: None,
}


def _fitted(kind, columns, rng):
    scaler = SCALERS[kind]()
    data = rng.normal(size=(20, columns)) * [10.0**k for k in range(columns)] + 3
    return None if scaler is None else scaler.fit(data)


def _saved_model(dtype=np.float64, scalers=("minus-one-to-one", "zero-to-one")):
    net = MLP(3, [4, 2], activation="tanh", output_activation="sigmoid", seed=5, dtype=dtype)
    rng = np.random.default_rng(1)
    return SavedModel(
        net,
        _fitted(scalers[0], 3, rng),
        _fitted(scalers[1], 2, rng),
        "mse",
        ["a", "b", "c"],
        ["y", "w"],
        None,
        {"epochs": 3, "lr": 0.25, "hidden": [4], "optimizer": "sgd", "note": None},
    )


def _same_scaler(s, t):
    """Same class, and every attribute equal bit for bit (whatever the kind holds)."""
    assert type(s) is type(t)
    if s is None:
        return
    assert vars(s).keys() == vars(t).keys()
    for key, value in vars(s).items():
        other = vars(t)[key]
        if isinstance(value, np.ndarray):
            assert value.dtype == other.dtype and np.array_equal(value, other), key
        else:
            assert value == other, key


def _same_model(a, b):
    assert a.net.sizes == b.net.sizes and a.net.activations == b.net.activations
    for p, q in zip(a.net.parameters(), b.net.parameters(), strict=True):
        assert p.data.dtype == q.data.dtype and np.array_equal(p.data, q.data)
    _same_scaler(a.input_scaler, b.input_scaler)
    _same_scaler(a.output_scaler, b.output_scaler)
    for name in ("loss", "input_names", "target_names", "classes", "settings"):
        assert getattr(a, name) == getattr(b, name), name


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_torch_file_round_trips_exactly_and_loads_with_weights_only(tmp_path, dtype):
    model = _saved_model(dtype)
    path = tmp_path / "m.pt"
    save_torch(model, path)
    raw = torch.load(path, weights_only=True)
    assert raw["activations"] == ["tanh", "sigmoid"]
    expected = torch.float64 if dtype is np.float64 else torch.float32
    assert raw["state_dict"]["2.weight"].dtype == expected
    _same_model(model, load_torch(path))


@pytest.mark.parametrize("output_kind", list(SCALERS))
@pytest.mark.parametrize("input_kind", list(SCALERS))
def test_every_scaler_kind_round_trips_exactly_through_a_torch_file(
    tmp_path, input_kind, output_kind
):
    model = _saved_model(scalers=(input_kind, output_kind))
    save_torch(model, tmp_path / "m.pt")
    raw = torch.load(tmp_path / "m.pt", weights_only=True)
    if input_kind == "standard":
        assert raw["input_scaler"]["kind"] == "standard"
        assert raw["input_scaler"]["mean"].dtype == torch.float64
        assert np.array_equal(raw["input_scaler"]["scale"].numpy(), model.input_scaler.scale_)
    back = load_torch(tmp_path / "m.pt")
    _same_model(model, back)
    x = np.random.default_rng(4).normal(size=(5, 3)) * [1.0, 10.0, 100.0]
    if model.input_scaler is not None:
        assert np.array_equal(back.input_scaler.transform(x), model.input_scaler.transform(x))
    # And through our model file, the third place a scaler lives: the same record.
    save_model(tmp_path / "a.json", model)
    save_model(tmp_path / "b.json", back)
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


def test_a_scaler_kind_we_do_not_know_is_one_sentence(tmp_path):
    path = tmp_path / "m.pt"
    save_torch(_saved_model(scalers=("standard", "standard")), path)
    record = torch.load(path, weights_only=True)
    record["output_scaler"]["kind"] = "quantile"
    torch.save(record, path)
    with pytest.raises(ValueError) as error:
        load_torch(path)
    text = _one_sentence(error)
    assert "'quantile'" in text and "output_scaler" in text and str(path) in text


def test_a_standard_scaler_with_a_missing_or_bad_field_is_named(tmp_path):
    path = tmp_path / "m.pt"
    save_torch(_saved_model(scalers=("standard", "none")), path)
    record = torch.load(path, weights_only=True)
    del record["input_scaler"]["scale"]
    torch.save(record, path)
    with pytest.raises(ValueError) as error:
        load_torch(path)
    assert "input_scaler" in _one_sentence(error) and "scale" in str(error.value)
    # NOTE: a zero scale is a constant column (mapped to 0); a negative one is nonsense.
    record["input_scaler"]["scale"] = torch.tensor([1.0, -1.0, 2.0], dtype=torch.float64)
    torch.save(record, path)
    with pytest.raises(ValueError) as error:
        load_torch(path)
    assert "input_scaler.scale must not hold negative numbers" in _one_sentence(error)


def test_saving_a_scaler_of_a_foreign_class_is_one_sentence(tmp_path):
    class QuantileScaler:  # a scaler this program does not know how to write
        pass

    model = _saved_model()
    model.output_scaler = QuantileScaler()
    with pytest.raises(TypeError) as error:
        save_torch(model, tmp_path / "m.pt")
    assert "QuantileScaler" in _one_sentence(error)
    assert not (tmp_path / "m.pt").exists()


def test_torch_file_of_a_classifier_keeps_its_classes(tmp_path):
    net = MLP(2, [3, 3], activation="relu", output_activation="linear", seed=2)
    model = SavedModel(net, None, None, "ce", ["x", "y"], ["colour"], ["blue", "green", "red"])
    save_torch(model, tmp_path / "c.pt")
    _same_model(model, load_torch(tmp_path / "c.pt"))


def test_truncated_torch_file_is_one_sentence(tmp_path):
    path = tmp_path / "m.pt"
    save_torch(_saved_model(), path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError) as error:
        load_torch(path)
    assert str(path) in _one_sentence(error)


class _Payload:
    def __reduce__(self):
        return (print, ("this code must never run",))


def test_torch_file_holding_code_is_refused(tmp_path, capsys):
    path = tmp_path / "evil.pt"
    buffer = io.BytesIO()
    torch.save({"format": "tinygrad-mlp-torch", "payload": _Payload()}, buffer)
    path.write_bytes(buffer.getvalue())
    with pytest.raises(ValueError) as error:
        load_torch(path)
    assert "weights_only" in _one_sentence(error)
    assert "never run" not in capsys.readouterr().out


def test_torch_file_missing_a_layer_names_the_key(tmp_path):
    path = tmp_path / "m.pt"
    save_torch(_saved_model(), path)
    record = torch.load(path, weights_only=True)
    del record["state_dict"]["2.bias"]
    torch.save(record, path)
    with pytest.raises(ValueError) as error:
        load_torch(path)
    assert "'2.bias'" in _one_sentence(error)


@pytest.mark.parametrize("scalers", [("standard", "standard"), ("standard", "zero-to-one")])
def test_cli_export_import_torch_round_trips(tmp_path, capsys, scalers):
    model = _saved_model(scalers=scalers)
    save_model(tmp_path / "m.json", model)
    assert main(["export", "--model", str(tmp_path / "m.json"), "--format", "torch",
                 "-o", str(tmp_path / "m.pt")]) == 0  # fmt: skip
    assert main(["import", "--format", "torch", str(tmp_path / "m.pt"),
                 "--model", str(tmp_path / "back.json")]) == 0  # fmt: skip
    _same_model(load_model(tmp_path / "m.json"), load_model(tmp_path / "back.json"))
    assert main(["import", str(tmp_path / "m.json"), "--model", str(tmp_path / "x.json")]) == 2
    assert "give --format" in capsys.readouterr().err


#: Each new activation written by hand with torch's defaults, and the function it computes
#: in torch.nn.functional (an independent reference for our numbers).
HAND_WRITTEN = [
    (lambda: torch.nn.LeakyReLU(), "leaky_relu", lambda x: F.leaky_relu(x, 0.01)),
    (lambda: torch.nn.ELU(), "elu", lambda x: F.elu(x, 1.0)),
    (lambda: torch.nn.CELU(), "celu", lambda x: F.celu(x, 1.0)),
    (lambda: torch.nn.GELU(), "gelu", lambda x: F.gelu(x)),
    (
        lambda: torch.nn.GELU(approximate="tanh"),
        "gelu_tanh",
        lambda x: F.gelu(x, approximate="tanh"),
    ),
    (lambda: torch.nn.SiLU(), "silu", F.silu),
    (lambda: torch.nn.Softplus(), "softplus", F.softplus),
    (lambda: torch.nn.Softsign(), "softsign", F.softsign),
    (lambda: torch.nn.Hardtanh(), "hardtanh", F.hardtanh),
    (lambda: torch.nn.Hardsigmoid(), "hardsigmoid", F.hardsigmoid),
]


@pytest.mark.parametrize(("module", "name", "function"), HAND_WRITTEN)
def test_from_torch_reads_each_activation_with_torchs_defaults(module, name, function):
    torch.manual_seed(1)
    linear = torch.nn.Linear(3, 2, dtype=torch.float64)
    net = from_torch(torch.nn.Sequential(linear, module()))
    assert net.activations == [name]
    # wide enough to reach softplus's threshold, hardtanh's and hardsigmoid's corners
    x = np.random.default_rng(2).normal(scale=15.0, size=(64, 3))
    expected = function(linear(torch.from_numpy(x))).detach().numpy()
    np.testing.assert_allclose(net(x).data, expected, rtol=1e-12, atol=1e-12)
    assert type(to_torch(net)[1]) is type(module())


@pytest.mark.parametrize(
    ("module", "named"),
    [
        (lambda: torch.nn.LeakyReLU(0.2), "negative_slope=0.2"),
        (lambda: torch.nn.ELU(alpha=0.5), "alpha=0.5"),
        (lambda: torch.nn.CELU(alpha=2.0), "alpha=2.0"),
        (lambda: torch.nn.Softplus(beta=2.0), "beta=2.0"),
        (lambda: torch.nn.Softplus(threshold=5.0), "threshold=5.0"),
        (lambda: torch.nn.Hardtanh(-2.0, 2.0), "min_val=-2.0"),
    ],
)
def test_from_torch_refuses_an_activation_with_other_parameters(module, named):
    with pytest.raises(ValueError) as error:
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), module()))
    text = _one_sentence(error)
    assert "module 1" in text and named in text


def test_relu6_a_hardtanh_subclass_is_refused():
    with pytest.raises(ValueError) as error:
        from_torch(torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU6()))
    assert "module 1 (ReLU6)" in _one_sentence(error)

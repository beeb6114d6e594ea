"""ONNX: onnxruntime computes what we compute, raw inputs through the scalers included."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.data import Dataset, MinMaxScaler, StandardScaler, load_csv
from tinygrad_mlp.io import load_model, save_model
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.onnx import DEFAULT_OPSET, export, load
from tinygrad_mlp.onnx import load_model as load_onnx_model
from tinygrad_mlp.training import TrainConfig, fit, network_inputs, new_model, predict

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

SHAPES = [(2, [3, 1]), (3, [5, 4, 2]), (1, [2]), (4, [6, 3])]
#: Every --normalize, so every kind of scaler a model file can hold (and none).
NORMALIZE = ["standard", "zero-to-one", "minus-one-to-one", "none"]
#: The scaler classes each --normalize fits (None: no scaler).
KIND = {
    "standard": StandardScaler,
    "zero-to-one": MinMaxScaler,
    "minus-one-to-one": MinMaxScaler,
    "none": type(None),
}
TOLERANCE = {np.float64: 1e-12, np.float32: 1e-6}


def run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (name,) = [i.name for i in session.get_inputs()]
    (out,) = session.run(None, {name: x})
    return out


def run_reference(path, x):
    """The file run by onnx's reference evaluator, its Erf in float64 (math.erf): onnxruntime
    has no float64 Erf kernel, and the reference's own Erf rounds to float32."""
    import math

    from onnx.reference import ReferenceEvaluator
    from onnx.reference.op_run import OpRun

    class Erf(OpRun):
        def _run(self, a):
            return (np.vectorize(math.erf, otypes=[a.dtype])(a),)

    (out,) = ReferenceEvaluator(str(path), new_ops=[Erf]).run(None, {"input": x})
    return out


def test_the_package_module_imports_the_real_onnx():
    from tinygrad_mlp import onnx as ours

    assert ours.require_onnx() is onnx
    assert hasattr(ours.require_onnx(), "checker")


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_outputs_equal_ours(tmp_path, activation, dtype):
    rng = np.random.default_rng(3)
    for k, (nin, nouts) in enumerate(SHAPES):
        net = MLP(nin, nouts, activation=activation, seed=k, dtype=dtype)
        path = tmp_path / f"net{k}.onnx"
        f64_erf = activation == "gelu" and dtype == np.float64
        export(net, path, for_onnxruntime=not f64_erf)  # onnxruntime has no float64 Erf
        for batch in (1, 9):  # the batch axis is dynamic
            # wide enough to pass softplus's threshold and the hard activations' corners
            x = rng.uniform(-30, 30, (batch, nin)).astype(dtype)
            out = (run_reference if f64_erf else run)(path, x)
            assert out.dtype == np.dtype(dtype) and out.shape == (batch, nouts[-1])
            tol = TOLERANCE[dtype]
            np.testing.assert_allclose(out, net(x).data, rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_export_then_load_round_trips_exactly(tmp_path, dtype):
    for k, (nin, nouts) in enumerate(SHAPES):
        activations = [ACTIVATIONS[(k + j) % len(ACTIVATIONS)] for j in range(len(nouts))]
        net = MLP(nin, nouts, activation=activations, seed=k, dtype=dtype)
        export(net, tmp_path / "n.onnx", opset=13 + k)
        back = load(tmp_path / "n.onnx")
        assert back.sizes == net.sizes and back.activations == net.activations
        for p, q in zip(net.parameters(), back.parameters(), strict=True):
            assert q.data.dtype == np.dtype(dtype) and np.array_equal(p.data, q.data)


def test_exported_file_passes_the_checker_with_a_dynamic_batch_axis(tmp_path):
    export(MLP(3, [4, 2], seed=0), tmp_path / "n.onnx")
    proto = onnx.load(str(tmp_path / "n.onnx"))
    onnx.checker.check_model(proto, full_check=True)
    dims = proto.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "batch" and dims[1].dim_value == 3
    sigmoid = ["Neg", "Exp", "Add", "Div"]  # 1 / (1 + e^−x): onnxruntime's Sigmoid is coarser
    assert [n.op_type for n in proto.graph.node] == [
        "Gemm",
        *sigmoid,
        "Gemm",
        *sigmoid,
        "Identity",
    ]


# --------------------------------------------------------------------------- trained models


def _trained(
    loss,
    normalize="zero-to-one",
    activation="tanh",
    constant_column=False,
    seed=0,
    output_activation=None,
):
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 5, (48, 3)) * np.array([1.0, 10.0, 0.1])
    if constant_column:
        x[:, 2] = 7.25
    if loss == "mse":
        targets = np.c_[np.sin(x[:, 0]) + x[:, 1] / 10, 40 + 3 * x[:, 0]]
        names = ["y", "w"]
    elif loss == "bce":
        targets = np.c_[x[:, 0] > 1, x[:, 1] > 5].astype(float)
        names = ["p", "q"]
    else:
        targets = np.where(x[:, 0] > 2, "red", np.where(x[:, 1] > 0, "green", "blue"))[:, None]
        names = ["colour"]
    data = Dataset(x, targets, ["a", "b", "c"], names, "memory")
    config = TrainConfig(
        hidden=[5],
        activation=activation,
        output_activation=output_activation,
        loss=loss,
        epochs=4,
        normalize=normalize,
        seed=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the constant column's warning
        model = new_model(data, config)
    fit(model, data, config)
    return model, x


@pytest.mark.parametrize(
    ("normalize", "activation", "constant"),
    [
        ("standard", "tanh", False),
        ("standard", "relu", True),
        ("zero-to-one", "sigmoid", False),
        ("minus-one-to-one", "tanh", True),
        ("none", "tanh", False),
        ("zero-to-one", "relu", True),
    ],
)
def test_regression_file_takes_raw_inputs_and_gives_data_units(
    tmp_path, normalize, activation, constant
):
    model, x = _trained("mse", normalize, activation, constant)
    assert isinstance(model.input_scaler, KIND[normalize])
    assert isinstance(model.output_scaler, KIND[normalize])
    export(model, tmp_path / "m.onnx")
    raw = np.vstack([x, x * 1.5 - 2])  # inputs outside the training range too
    out = run(tmp_path / "m.onnx", raw)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, predict(model, raw), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("normalize", "output_activation", "output_range"),
    [("standard", "sigmoid", (0.0, 1.0)), ("standard", "tanh", (-1.0, 1.0))],
)
def test_a_standard_input_scaler_with_a_min_max_output_scaler(
    tmp_path, normalize, output_activation, output_range
):
    # A bounded output needs min-max targets, whatever scales the inputs.
    model, x = _trained("mse", normalize, output_activation=output_activation)
    assert isinstance(model.input_scaler, StandardScaler)
    assert isinstance(model.output_scaler, MinMaxScaler)
    assert model.output_scaler.feature_range == output_range
    export(model, tmp_path / "m.onnx")
    raw = np.vstack([x, x * 2 + 3])
    np.testing.assert_allclose(run(tmp_path / "m.onnx", raw), predict(model, raw), rtol=1e-12)
    back = load_onnx_model(tmp_path / "m.onnx")
    assert type(back.input_scaler) is StandardScaler and type(back.output_scaler) is MinMaxScaler
    assert np.array_equal(back.input_scaler.scale_, model.input_scaler.scale_)
    assert np.array_equal(back.output_scaler.min_, model.output_scaler.min_)


def test_standard_scalers_are_the_nodes_of_their_formulas(tmp_path):
    model, x = _trained("mse", "standard")
    export(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    ops = [n.op_type for n in proto.graph.node]
    assert ops == ["Sub", "Div", "Gemm", "Tanh", "Gemm", "Mul", "Add"]
    values = {t.name: onnx.numpy_helper.to_array(t) for t in proto.graph.initializer}
    s_in, s_out = model.input_scaler, model.output_scaler
    assert values["input_scaler.mean"].dtype == np.float64
    assert np.array_equal(values["input_scaler.mean"], s_in.mean_)
    assert np.array_equal(values["input_scaler.scale"], s_in.scale_)
    assert np.array_equal(values["output_scaler.scale"], s_out.scale_)
    assert np.array_equal(values["output_scaler.mean"], s_out.mean_)
    # The formulas by hand, in numpy, from the fitted mean and standard deviation.
    mean, sd = x.mean(axis=0), x.std(axis=0)
    hidden = np.tanh(
        ((x - mean) / sd) @ model.net.layers[0].weight.data.T + model.net.layers[0].bias.data
    )
    y = hidden @ model.net.layers[1].weight.data.T + model.net.layers[1].bias.data
    expected = y * s_out.scale_ + s_out.mean_
    np.testing.assert_allclose(run(tmp_path / "m.onnx", x), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("normalize", NORMALIZE)
def test_binary_classifier_file_gives_probabilities(tmp_path, normalize):
    model, x = _trained("bce", normalize)
    export(model, tmp_path / "b.onnx")
    out = run(tmp_path / "b.onnx", x)
    np.testing.assert_allclose(out, predict(model, x), rtol=1e-12, atol=1e-15)
    assert np.all((out > 0) & (out < 1))


@pytest.mark.parametrize("normalize", NORMALIZE)
def test_multiclass_file_gives_class_probabilities(tmp_path, normalize):
    model, x = _trained("ce", normalize)
    export(model, tmp_path / "c.onnx")
    probabilities = run(tmp_path / "c.onnx", x)
    logits = model.net(network_inputs(model, x)).data
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(probabilities, e / e.sum(axis=1, keepdims=True), rtol=1e-12)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-14)
    labels = np.array(model.classes)[probabilities.argmax(axis=1)]
    assert labels.tolist() == predict(model, x)[:, 0].tolist()


@pytest.mark.parametrize("normalize", ["minus-one-to-one", "standard"])
def test_float32_network_with_scalers_matches_predict(tmp_path, normalize):
    model, x = _trained("mse", normalize)
    weights = [layer.weight.data for layer in model.net.layers]
    biases = [layer.bias.data for layer in model.net.layers]
    model.net = MLP(3, [5, 2], activation=model.net.activations, seed=0, dtype=np.float32)
    model.net.set_weights(weights, biases)
    export(model, tmp_path / "m32.onnx")
    np.testing.assert_allclose(run(tmp_path / "m32.onnx", x), predict(model, x), rtol=1e-6)
    back = load_onnx_model(tmp_path / "m32.onnx")
    assert back.net.layers[0].weight.data.dtype == np.float32
    save_model(tmp_path / "a.json", model)
    save_model(tmp_path / "b.json", back)
    assert (tmp_path / "a.json").read_text() == (tmp_path / "b.json").read_text()


@pytest.mark.parametrize("normalize", NORMALIZE)
@pytest.mark.parametrize("loss", ["mse", "bce", "ce"])
def test_trained_model_round_trips_exactly(tmp_path, loss, normalize):
    model, _ = _trained(loss, normalize, constant_column=True)
    assert isinstance(model.input_scaler, KIND[normalize])
    export(model, tmp_path / "m.onnx")
    back = load_onnx_model(tmp_path / "m.onnx")
    save_model(tmp_path / "a.json", model)
    save_model(tmp_path / "b.json", back)
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads(
        (tmp_path / "b.json").read_text()
    )


@pytest.mark.parametrize("normalize", [None, *NORMALIZE])  # None: train's default
def test_cli_train_export_import_and_onnxruntime_equal_predict(tmp_path, capsys, normalize):
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 100, (30, 2)).tolist()
    rows = "\n".join(f"{a!r},{b!r},{a * 0.3 + b * 0.1!r}" for a, b in x)
    (tmp_path / "d.csv").write_text("I0,I1,Z0\n" + rows + "\n")
    m, f, back = (str(tmp_path / n) for n in ("m.json", "m.onnx", "back.json"))
    args = ["train", "--data", str(tmp_path / "d.csv"), "--model", m, "--epochs", "5", "--quiet"]
    if normalize is not None:
        args += ["--normalize", normalize]
    assert main(args) == 0
    if normalize is not None:
        assert isinstance(load_model(m).input_scaler, KIND[normalize])
    assert main(["export", "--model", m, "--format", "onnx", "-o", f]) == 0
    assert main(["import", "--format", "onnx", f, "--model", back]) == 0
    assert json.loads((tmp_path / "m.json").read_text()) == json.loads(
        (tmp_path / "back.json").read_text()
    )
    data = load_csv(tmp_path / "d.csv", outputs=1)
    expected = predict(load_model(m), data.inputs)
    np.testing.assert_allclose(run(f, data.inputs), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("kind", ["onnx", "torch"])
def test_cli_export_and_import_json_print_the_written_path(tmp_path, capsys, kind):
    if kind == "torch":
        pytest.importorskip("torch")
    m, back = tmp_path / "m.json", tmp_path / "back.json"
    f = tmp_path / ("m.onnx" if kind == "onnx" else "m.pt")
    save_model(m, _trained("mse", "standard")[0])
    capsys.readouterr()
    assert main(["export", "--model", str(m), "--format", kind, "-o", str(f), "--json"]) == 0
    written = json.loads(capsys.readouterr().out)
    assert written["path"] == str(f) and written["format"] == kind
    assert written["bytes"] == f.stat().st_size > 0
    assert main(["import", "--format", kind, str(f), "--model", str(back), "--json"]) == 0
    read = json.loads(capsys.readouterr().out)
    assert read["path"] == str(back) and back.exists()
    assert read["sizes"] == [3, 5, 2] and read["activations"] == ["tanh", "linear"]


# --------------------------------------------------------------------------- refusals


def _one_sentence(error):
    text = str(error.value)
    assert "\n" not in text and ". " not in text, text
    return text


def _save(tmp_path, nodes, initializers, nin=2, nout=2, name="foreign.onnx"):
    helper = onnx.helper
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", onnx.TensorProto.DOUBLE, ["n", nin])],
        [helper.make_tensor_value_info("y", onnx.TensorProto.DOUBLE, ["n", nout])],
        initializer=[onnx.numpy_helper.from_array(v, k) for k, v in initializers.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    path = tmp_path / name
    onnx.save(model, str(path))
    return path


def test_a_foreign_matmul_add_graph_loads(tmp_path):
    rng = np.random.default_rng(0)
    w1, b1, w2, b2 = (
        rng.normal(size=(2, 4)),
        rng.normal(size=4),
        rng.normal(size=(4, 2)),
        rng.normal(size=(1, 2)),
    )
    make = onnx.helper.make_node
    nodes = [
        make("MatMul", ["x", "W1"], ["s1"]),
        make("Add", ["B1", "s1"], ["t1"]),  # bias first: Add is commutative
        make("Relu", ["t1"], ["a1"]),
        make("Gemm", ["a1", "W2", "B2"], ["y"]),  # transB = 0: W2 is inputs x nodes
    ]
    path = _save(tmp_path, nodes, {"W1": w1, "B1": b1, "W2": w2, "B2": b2})
    net = load(path)
    assert net.sizes == [2, 4, 2] and net.activations == ["relu", "linear"]
    x = rng.normal(size=(5, 2))
    np.testing.assert_allclose(net(x).data, run(path, x), rtol=1e-12)


def test_a_sequential_exported_by_torch_loads_exactly(tmp_path):
    torch = pytest.importorskip("torch")
    from tinygrad_mlp.torch_bridge import from_torch

    torch.manual_seed(0)
    seq = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2), torch.nn.Sigmoid()
    ).double()
    path = tmp_path / "torch.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter announces its retirement
        torch.onnx.export(
            seq, (torch.zeros(1, 3, dtype=torch.float64),), str(path), dynamo=False,
            input_names=["x"], dynamic_axes={"x": {0: "n"}},
        )  # fmt: skip
    net, expected = load(path), from_torch(seq)
    assert net.activations == ["tanh", "sigmoid"]
    for p, q in zip(net.parameters(), expected.parameters(), strict=True):
        assert np.array_equal(p.data, q.data)


def test_external_data_is_refused(tmp_path):
    path = tmp_path / "ext.onnx"
    proto = onnx.load_from_string(_bytes_of(MLP(2, [3, 1], seed=0), tmp_path))
    onnx.save_model(proto, str(path), save_as_external_data=True, size_threshold=0)
    with pytest.raises(ValueError) as error:
        load(path)
    assert "external data" in _one_sentence(error)


def _bytes_of(net, tmp_path):
    export(net, tmp_path / "plain.onnx")
    return (tmp_path / "plain.onnx").read_bytes()


def test_a_graph_that_is_not_an_mlp_names_its_node(tmp_path):
    make = onnx.helper.make_node
    nodes = [
        make("Gemm", ["x", "W", "B"], ["s"], transB=1, name="dense"),
        make("Softplus", ["s"], ["y"], name="smooth"),
    ]
    path = _save(tmp_path, nodes, {"W": np.ones((2, 2)), "B": np.zeros(2)})
    with pytest.raises(ValueError) as error:
        load(path)
    text = _one_sentence(error)
    assert "node 1 (Softplus 'smooth')" in text and str(path) in text


def test_a_branching_graph_is_refused(tmp_path):
    make = onnx.helper.make_node
    nodes = [
        make("Gemm", ["x", "W", "B"], ["s"], transB=1),
        make("Sigmoid", ["s"], ["a"]),
        make("Add", ["a", "s"], ["y"]),  # a residual connection
    ]
    path = _save(tmp_path, nodes, {"W": np.ones((2, 2)), "B": np.zeros(2)})
    with pytest.raises(ValueError) as error:
        load(path)
    assert "one chain" in _one_sentence(error)


def test_a_truncated_file_is_one_sentence(tmp_path):
    path = tmp_path / "t.onnx"
    export(MLP(3, [8, 2], seed=0), path)
    data = path.read_bytes()
    for cut in (len(data) // 2, len(data) - 7, 11):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError) as error:
            load(path)
        assert str(path) in _one_sentence(error)


@pytest.mark.parametrize(
    ("normalize", "tensor"),
    [
        ("zero-to-one", "input_scaler.min"),
        ("minus-one-to-one", "output_scaler.span"),
        ("standard", "input_scaler.mean"),
        ("standard", "input_scaler.scale"),
        ("standard", "output_scaler.scale"),
        ("standard", "output_scaler.mean"),
    ],
)
def test_tampered_scaler_numbers_are_refused(tmp_path, normalize, tensor):
    model, _ = _trained("mse", normalize)
    export(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    (target,) = [t for t in proto.graph.initializer if t.name == tensor]
    values = onnx.numpy_helper.to_array(target) + 1.0
    target.CopyFrom(onnx.numpy_helper.from_array(values, target.name))
    onnx.save(proto, str(tmp_path / "m.onnx"))
    with pytest.raises(ValueError) as error:
        load_onnx_model(tmp_path / "m.onnx")
    assert "differ from the file's metadata" in _one_sentence(error)


def test_a_scaler_kind_we_do_not_know_is_one_sentence(tmp_path):
    model, _ = _trained("mse", "standard")
    export(model, tmp_path / "m.onnx")
    proto = onnx.load(str(tmp_path / "m.onnx"))
    (entry,) = [p for p in proto.metadata_props if p.key == "tinygrad_mlp"]
    record = json.loads(entry.value)
    record["input_scaler"]["kind"] = "robust"
    entry.value = json.dumps(record)
    onnx.save(proto, str(tmp_path / "m.onnx"))
    with pytest.raises(ValueError) as error:
        load_onnx_model(tmp_path / "m.onnx")
    text = _one_sentence(error)
    assert "'robust'" in text and "input_scaler" in text and str(tmp_path / "m.onnx") in text


def test_exporting_a_scaler_of_a_foreign_class_is_one_sentence(tmp_path):
    class RobustScaler:  # a scaler this program does not know how to write
        def transform(self, x):
            return x

    model, _ = _trained("mse", "standard")
    model.input_scaler = RobustScaler()
    with pytest.raises(TypeError) as error:
        export(model, tmp_path / "m.onnx")
    assert "RobustScaler" in _one_sentence(error)
    assert not (tmp_path / "m.onnx").exists()


def test_bad_opset_and_missing_file_are_one_sentence(tmp_path, capsys):
    with pytest.raises(ValueError) as error:
        export(MLP(2, [1], seed=0), tmp_path / "n.onnx", opset=11)
    assert "at least 13" in _one_sentence(error)
    assert not (tmp_path / "n.onnx").exists()
    assert (
        main(["import", str(tmp_path / "nothing.onnx"), "--model", str(tmp_path / "m.json")]) == 2
    )
    err = capsys.readouterr().err
    assert "no such file" in err and err.count("\n") == 1


def test_cli_without_the_onnx_extra_says_what_to_install(tmp_path, capsys, monkeypatch):
    from tinygrad_mlp import onnx as onnx_file

    def missing():
        raise ImportError("this needs the onnx package: pip install 'tinygrad-mlp[onnx]'")

    monkeypatch.setattr(onnx_file, "require_onnx", missing)
    out = tmp_path / "m.onnx"
    save_model(tmp_path / "m.json", _trained("mse")[0])
    assert main(["export", "--model", str(tmp_path / "m.json"), "--format", "onnx",
                 "-o", str(out)]) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "tinygrad-mlp[onnx]" in err and err.count("\n") == 1
    assert not out.exists()


def test_cli_import_of_a_truncated_file_is_one_line(tmp_path, capsys):
    path = tmp_path / "t.onnx"
    export(MLP(2, [3, 1], seed=0), path)
    path.write_bytes(path.read_bytes()[:40])
    assert main(["import", str(path), "--model", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and err.count("\n") == 1
    assert not (tmp_path / "m.json").exists()


def test_a_constant_column_under_standard_scaling_maps_to_zero_as_predict_does(tmp_path):
    # NOTE: a constant input column has sd 0; StandardScaler maps it to 0, so must the graph.
    from tinygrad_mlp.io import SavedModel

    ort = pytest.importorskip("onnxruntime")
    net = MLP(3, [4, 1], activation="tanh", output_activation="linear", seed=0)
    with pytest.warns(UserWarning, match="constant"):
        scaler = StandardScaler().fit([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [2.0, 5.0, 9.0]])
    model = SavedModel(net, input_scaler=scaler)
    export(model, tmp_path / "c.onnx")
    raw = np.array([[0.5, 5.0, 3.0], [7.0, 6.0, -1.0]])
    session = ort.InferenceSession(str(tmp_path / "c.onnx"))
    (served,) = session.run(None, {session.get_inputs()[0].name: raw})
    expected = net(scaler.transform(raw)).data
    assert np.all(np.isfinite(served))
    np.testing.assert_allclose(served, expected, rtol=1e-12, atol=1e-12)


# --------------------------------------------------------------------------- every activation


@pytest.mark.parametrize("opset", [DEFAULT_OPSET, 20])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", [a for a in ACTIVATIONS if a != "linear"])
def test_every_activation_round_trips_at_every_form(tmp_path, activation, dtype, opset):
    net = MLP(3, [4, 4, 2], activation=[activation, "tanh", activation], seed=5, dtype=dtype)
    f64_erf = activation == "gelu" and dtype == np.float64  # onnxruntime has no float64 Erf
    export(net, tmp_path / "n.onnx", opset=opset, for_onnxruntime=not f64_erf)
    back = load(tmp_path / "n.onnx")
    assert back.activations == net.activations
    for p, q in zip(net.parameters(), back.parameters(), strict=True):
        assert q.data.dtype == np.dtype(dtype) and np.array_equal(p.data, q.data)


def test_gelu_at_opset_20_is_the_gelu_operator_and_equals_ours(tmp_path):
    net = MLP(2, [3, 1], activation="gelu", seed=0, dtype=np.float32)
    export(net, tmp_path / "g.onnx", opset=20)
    ops = [n.op_type for n in onnx.load(str(tmp_path / "g.onnx")).graph.node]
    assert ops.count("Gelu") == 2 and "Erf" not in ops
    x = np.random.default_rng(0).uniform(-4, 4, (16, 2)).astype(np.float32)
    np.testing.assert_allclose(run(tmp_path / "g.onnx", x), net(x).data, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("node", "constants"),
    [
        (lambda m: m("LeakyRelu", ["s"], ["y"], alpha=0.2, name="leaky"), {}),
        (lambda m: m("Elu", ["s"], ["y"], alpha=0.5, name="leaky"), {}),
        (lambda m: m("PRelu", ["s", "k"], ["y"], name="leaky"), {"k": np.array(0.25)}),
        (
            lambda m: m("Clip", ["s", "lo", "hi"], ["y"], name="leaky"),
            {"lo": np.array(-2.0), "hi": np.array(2.0)},
        ),
    ],
)
def test_an_activation_with_other_parameters_is_refused(tmp_path, node, constants):
    make = onnx.helper.make_node
    nodes = [make("Gemm", ["x", "W", "B"], ["s"], transB=1), node(make)]
    path = _save(tmp_path, nodes, {"W": np.ones((2, 2)), "B": np.zeros(2), **constants})
    with pytest.raises(ValueError) as error:
        load(path)
    assert "node 1" in _one_sentence(error) and "'leaky'" in str(error.value)


def test_the_float64_compositions_use_typed_constants_not_float_attributes(tmp_path):
    # an ONNX float attribute is float32: 0.01 as one would change a float64 network's numbers
    net = MLP(2, [3, 1], activation=["leaky_relu", "hardsigmoid"], seed=0)
    export(net, tmp_path / "n.onnx")
    proto = onnx.load(str(tmp_path / "n.onnx"))
    assert not [n.op_type for n in proto.graph.node if n.attribute and n.op_type != "Gemm"]
    slope = next(t for t in proto.graph.initializer if t.name.endswith("slope"))
    assert onnx.numpy_helper.to_array(slope) == 0.01 and slope.data_type == onnx.TensorProto.DOUBLE

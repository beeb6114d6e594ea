"""ONNX files onnxruntime runs, in float64 and float32, for every activation.

Each exported activation is run by onnxruntime and compared with our network; a
float64 form onnxruntime has no kernel for is refused at export in one sentence.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.nn import MLP

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

from tinygrad_mlp.onnx import export, forms, load  # noqa: E402 -- after the skip

TOLERANCE = {np.float64: 1e-12, np.float32: 1e-5}
POINTS = np.array([-40.0, -20.0, -1e-3, 0.0, 1e-3, 0.5, 3.0, 20.0, 40.0])


def _run(path, x):
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (out,) = session.run(None, {"input": x})
    return out


def _unit(activation, dtype):
    """One input, one output, weight 1 and bias 0: the file computes the activation alone."""
    net = MLP(1, [1], activation=activation, seed=0, dtype=dtype)
    net.layers[0].weight.data[...] = 1
    net.layers[0].bias.data[...] = 0
    return net


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_softplus_is_exported_in_a_stable_form(tmp_path, dtype):
    net = _unit("softplus", dtype)
    export(net, tmp_path / "s.onnx")
    x = np.array([[-40.0], [-20.0], [0.0], [20.0], [40.0]], dtype=dtype)
    out, ours = _run(tmp_path / "s.onnx", x), net(x).data
    assert out[0, 0] > 0  # ln(1 + e^−40) ≈ 4.2e-18, not 0
    rtol = 1e-15 if dtype == np.float64 else 1e-6
    np.testing.assert_allclose(out, ours, rtol=rtol, atol=0)
    np.testing.assert_allclose(ours[:, 0], np.logaddexp(0, x[:, 0].astype(float)), rtol=rtol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_onnxruntime_runs_every_activation_and_equals_ours(tmp_path, activation, dtype):
    path = tmp_path / "a.onnx"
    if activation in forms.NO_FLOAT64_ONNXRUNTIME and dtype == np.float64:
        with pytest.raises(ValueError) as error:
            export(_unit(activation, dtype), path)
        message = str(error.value)
        assert "onnxruntime" in message and "\n" not in message and ". " not in message
        assert not path.exists()
        export(_unit(activation, dtype), path, for_onnxruntime=False)  # for other runtimes
        assert path.exists()
        return
    net = _unit(activation, dtype)
    export(net, path)
    x = POINTS.reshape(-1, 1).astype(dtype)
    tol = TOLERANCE[dtype]
    np.testing.assert_allclose(_run(path, x), net(x).data, rtol=tol, atol=tol * 1e-3)
    wide = MLP(3, [5, 2], activation=activation, seed=1, dtype=dtype)
    export(wide, path)
    x = np.random.default_rng(0).uniform(-30, 30, (7, 3)).astype(dtype)
    np.testing.assert_allclose(_run(path, x), wide(x).data, rtol=tol, atol=tol)


@pytest.mark.parametrize("opset", range(13, 22))
def test_a_float64_leaky_relu_runs_at_every_opset(tmp_path, opset):
    if opset > onnx.defs.onnx_opset_version():
        pytest.skip("this onnx package does not know the opset")
    net = _unit("leaky_relu", np.float64)
    export(net, tmp_path / "l.onnx", opset=opset)
    x = POINTS.reshape(-1, 1)
    np.testing.assert_allclose(_run(tmp_path / "l.onnx", x), net(x).data, rtol=1e-15, atol=0)


@pytest.mark.parametrize("activation", sorted(forms.LEGACY_FORMS))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_files_in_the_earlier_forms_still_load(tmp_path, monkeypatch, activation, dtype):
    net = MLP(2, [3, 1], activation=activation, seed=0, dtype=dtype)
    monkeypatch.setitem(forms.ONNX_FORMS, activation, forms.LEGACY_FORMS[activation])
    export(net, tmp_path / "old.onnx", opset=17)
    monkeypatch.undo()
    back = load(tmp_path / "old.onnx")
    assert back.activations == net.activations
    x = np.array([[0.5, -1.0]], dtype=dtype)
    np.testing.assert_array_equal(back(x).data, net(x).data)

"""The scalers' constant columns: rounding error is no spread (scikit-learn's rule)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from tinygrad_mlp.data import Dataset, MinMaxScaler, StandardScaler
from tinygrad_mlp.training import TrainConfig, fit, new_model, predict


def _fit_quietly(scaler, data, names=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        scaler.fit(data, names)
    return [str(w.message) for w in caught]


def test_a_constant_point_one_column_is_constant_for_the_standard_scaler():
    data = np.column_stack([np.full(100, 0.1), np.linspace(0, 1, 100)])
    assert data[:, 0].std() > 0  # rounding error: about 3e-17
    scaler = StandardScaler()
    messages = _fit_quietly(scaler, data, ["ratio", "x"])
    assert messages == ["ratio is constant (0.1); it is mapped to 0"]
    assert scaler.scale_[0] == 0.0
    out = scaler.transform([[0.1000001, 0.5], [0.1, 0.5]])
    np.testing.assert_allclose(out[:, 0], [0.0, 0.0])


def test_the_constant_test_is_scikit_learns():
    sk = pytest.importorskip("sklearn.preprocessing._data")
    rng = np.random.default_rng(0)
    columns = [
        np.full(100, 0.1),
        np.full(1000, 1e6) + rng.normal(size=1000) * 1e-12,  # noise far below the ulps
        np.full(50, 3.0),
        rng.normal(size=100) * 1e-20,  # tiny numbers that do vary
        np.full(100, 0.1) + rng.normal(size=100) * 1e-9,  # a real spread around 0.1
        np.linspace(-1, 1, 30),
    ]
    for column in columns:
        scaler = StandardScaler()
        _fit_quietly(scaler, column)
        expected = sk._is_constant_feature(column.var(), column.mean(), len(column))
        assert (scaler.scale_[0] == 0.0) == bool(expected), column[:3]


def test_a_min_max_range_of_rounding_error_is_constant():
    data = np.array([[0.1, 1.0], [0.1 + 2**-56, 2.0], [0.1, 3.0]])
    assert data[:, 0].max() > data[:, 0].min()
    scaler = MinMaxScaler((-1, 1))
    messages = _fit_quietly(scaler, data, ["ratio", "x"])
    assert messages == ["ratio is constant (0.1); it is mapped to the middle of the range"]
    np.testing.assert_allclose(scaler.transform([[0.1000001, 2.0]]), [[0.0, 0.0]])
    tiny = np.array([[1e-20], [3e-20]])  # tiny numbers that differ are not constant
    assert _fit_quietly(MinMaxScaler(), tiny) == []
    np.testing.assert_allclose(MinMaxScaler().fit(tiny).transform([[2e-20]]), [[0.5]])


def test_a_regressor_with_a_constant_point_one_column_predicts_sanely():
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=100)
    inputs = np.column_stack([x, np.full(100, 0.1)])
    targets = (2 * x + 1).reshape(-1, 1)
    data = Dataset(inputs, targets, ["x", "ratio"], ["y"])
    config = TrainConfig(hidden=[8], epochs=300, lr=0.01, seed=0)
    with pytest.warns(UserWarning, match="ratio is constant"):
        model = new_model(data, config)
    fit(model, data, config)
    later = predict(model, np.array([[0.5, 0.1000001], [0.5, 0.1]]))
    assert np.all(np.isfinite(later))
    assert abs(later[0, 0] - later[1, 0]) < 1e-9  # the column carries no information
    assert abs(later[0, 0] - 2.0) < 0.3  # 2 · 0.5 + 1

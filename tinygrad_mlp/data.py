"""Data preparation: min-max normalization (the cheat sheet's step 2)."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

__all__ = ["MinMaxScaler"]

RANGES = {"zero-to-one": (0.0, 1.0), "minus-one-to-one": (-1.0, 1.0)}


class MinMaxScaler:
    """Map each column linearly from [min, max] of the fitted data onto a range.

    ``(x - min) / (max - min)`` for [0, 1]; that times 2, minus 1, for [-1, 1]
    (the cheat sheet's two formulas). A constant column (min = max) maps to the
    middle of the range, with a warning naming it.

    Args:
        feature_range: ``(0, 1)``, ``(-1, 1)``, or the names ``"zero-to-one"`` /
            ``"minus-one-to-one"``.

    >>> s = MinMaxScaler((0, 1)).fit([[70.0], [50.0], [25.0]])
    >>> s.transform([[65.0]]).round(4).tolist()
    [[0.8889]]
    >>> s.inverse_transform(s.transform([[65.0]])).tolist()
    [[65.0]]
    """

    def __init__(self, feature_range: tuple[float, float] | str = (0.0, 1.0)) -> None:
        if isinstance(feature_range, str):
            if feature_range not in RANGES:
                raise ValueError(
                    f"unknown normalization {feature_range!r}; choose one of {', '.join(RANGES)}"
                )
            feature_range = RANGES[feature_range]
        low, high = (float(v) for v in feature_range)
        if not low < high:
            raise ValueError(f"feature range must have low < high, got {feature_range}")
        self.feature_range = (low, high)
        self.min_: np.ndarray | None = None
        self.max_: np.ndarray | None = None

    @classmethod
    def from_min_max(
        cls, data_min: Any, data_max: Any, feature_range: tuple[float, float] | str = (0.0, 1.0)
    ) -> MinMaxScaler:
        """A scaler with given per-column minima and maxima (as a saved min-max file holds)."""
        scaler = cls(feature_range)
        scaler.min_ = np.asarray(data_min, dtype=np.float64).reshape(-1)
        scaler.max_ = np.asarray(data_max, dtype=np.float64).reshape(-1)
        if scaler.min_.shape != scaler.max_.shape:
            raise ValueError(f"{scaler.min_.size} minima but {scaler.max_.size} maxima")
        return scaler

    def fit(self, data: Any, names: list[str] | None = None) -> MinMaxScaler:
        """Remember each column's min and max; ``names`` only label the warning."""
        data = self._as_2d(data)
        self.min_, self.max_ = data.min(axis=0), data.max(axis=0)
        for k in np.flatnonzero(self.min_ == self.max_):
            name = names[k] if names else f"column {k}"
            warnings.warn(
                f"{name} is constant ({self.min_[k]:g}); it is mapped to the middle of the range",
                stacklevel=2,
            )
        return self

    def _check_fitted(self, data: np.ndarray) -> None:
        if self.min_ is None or self.max_ is None:
            raise ValueError("scaler is not fitted: call fit() first")
        if data.shape[1] != self.min_.size:
            raise ValueError(f"scaler was fitted on {self.min_.size} columns, got {data.shape[1]}")

    @staticmethod
    def _as_2d(data: Any) -> np.ndarray:
        data = np.asarray(data, dtype=np.float64)
        return data.reshape(-1, 1) if data.ndim == 1 else data

    def transform(self, data: Any) -> np.ndarray:
        """Data units → the feature range."""
        data = self._as_2d(data)
        self._check_fitted(data)
        low, high = self.feature_range
        span = self.max_ - self.min_
        safe = np.where(span == 0, 1.0, span)
        unit = np.where(span == 0, 0.5, (data - self.min_) / safe)
        return unit * (high - low) + low

    def inverse_transform(self, data: Any) -> np.ndarray:
        """The feature range → data units."""
        data = self._as_2d(data)
        self._check_fitted(data)
        low, high = self.feature_range
        return (data - low) / (high - low) * (self.max_ - self.min_) + self.min_

    def fit_transform(self, data: Any, names: list[str] | None = None) -> np.ndarray:
        return self.fit(data, names).transform(data)

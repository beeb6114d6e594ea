"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

from hypothesis import strategies as st


def floats(low: float = -3.0, high: float = 3.0) -> st.SearchStrategy[float]:
    """Bounded finite floats."""
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


def away_from(point: float, gap: float = 1e-2, low: float = -3.0, high: float = 3.0):
    """Floats in [low, high] at least ``gap`` away from ``point`` (a kink or a pole)."""
    return floats(low, high).filter(lambda v: abs(v - point) > gap)


positive = floats(0.05, 5.0)
seeds = st.integers(0, 2**32 - 1)
layer_sizes = st.lists(st.integers(1, 5), min_size=1, max_size=3)
activations = st.sampled_from(["sigmoid", "tanh", "relu", "linear"])

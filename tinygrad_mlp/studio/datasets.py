"""The studio's built-in data: five 2-D classification sets and a 1-D regression curve.

Each is drawn from a seeded generator, so the same name, size, noise and seed give the
same points. Classification sets come as a :class:`~tinygrad_mlp.data.Dataset` with
inputs ``x1, x2`` and a numeric ``class`` column (0 and 1; blobs has 0, 1 and 2); the
curve has input ``x`` and target ``y``.
"""

from __future__ import annotations

import numpy as np

from tinygrad_mlp.data import Dataset

__all__ = ["BUILTIN", "CLASSIFICATION", "MAX_POINTS", "MIN_POINTS", "make_dataset"]

#: The built-in sets, in the order the page lists them.
BUILTIN: tuple[str, ...] = ("xor", "circles", "moons", "spiral", "blobs", "curve")
#: The sets whose target is a class.
CLASSIFICATION: tuple[str, ...] = ("xor", "circles", "moons", "spiral", "blobs")
MIN_POINTS, MAX_POINTS = 10, 2000


def _xor(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = rng.uniform(-1.0, 1.0, (n, 2))
    x += np.sign(x) * 0.05  # NOTE: a small gap at the axes, where the class flips
    return x, (x[:, 0] * x[:, 1] > 0).astype(float)


def _circles(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    inner = np.arange(n) < n // 2
    radius = np.where(inner, rng.uniform(0.0, 0.5, n), rng.uniform(0.7, 1.0, n))
    angle = rng.uniform(0.0, 2 * np.pi, n)
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)]), inner.astype(float)


def _moons(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    upper = np.arange(n) < n // 2
    t = rng.uniform(0.0, np.pi, n)
    x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
    y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
    return np.column_stack([(x - 0.5) / 1.5, (y - 0.25) / 1.5]), (~upper).astype(float)


def _spiral(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    arm = (np.arange(n) % 2).astype(float)
    r = rng.uniform(0.05, 1.0, n)
    angle = 1.75 * 2 * np.pi * r + np.pi * arm
    return np.column_stack([r * np.cos(angle), r * np.sin(angle)]), arm


def _blobs(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    label = np.arange(n) % 3
    centres = np.array([[-0.6, -0.4], [0.6, -0.4], [0.0, 0.6]])
    return centres[label] + rng.normal(0.0, 0.18, (n, 2)), label.astype(float)


def _curve(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x = np.sort(rng.uniform(-1.0, 1.0, n))
    return x[:, None], np.sin(3.0 * x) * 0.8


_MAKERS = {
    "xor": _xor,
    "circles": _circles,
    "moons": _moons,
    "spiral": _spiral,
    "blobs": _blobs,
    "curve": _curve,
}


def make_dataset(name: str, size: int = 200, noise: float = 0.1, seed: int = 0) -> Dataset:
    """A built-in data set of ``size`` points, jittered by Gaussian ``noise``.

    Args:
        name: one of :data:`BUILTIN`.
        size: how many points, from :data:`MIN_POINTS` to :data:`MAX_POINTS`.
        noise: the standard deviation of the jitter (on the positions of a
            classification set, on the targets of the curve), from 0 to 1.
        seed: the generator's seed.

    >>> data = make_dataset("xor", size=40, seed=1)
    >>> data.inputs.shape, data.target_names, sorted(set(data.targets[:, 0].tolist()))
    ((40, 2), ['class'], [0.0, 1.0])
    >>> make_dataset("curve", size=20).input_names
    ['x']
    """
    if name not in _MAKERS:
        raise ValueError(f"no built-in data set {name!r}; choose one of {', '.join(BUILTIN)}")
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be a whole number, got {size!r}")
    if not MIN_POINTS <= size <= MAX_POINTS:
        raise ValueError(f"size must be from {MIN_POINTS} to {MAX_POINTS} points, got {size}")
    if not 0.0 <= float(noise) <= 1.0:
        raise ValueError(f"noise must be from 0 to 1, got {noise}")
    rng = np.random.default_rng(seed)
    x, y = _MAKERS[name](size, rng)
    jitter = rng.normal(0.0, float(noise), y.shape if name == "curve" else x.shape)
    if name == "curve":
        return Dataset(x, (y + jitter)[:, None], ["x"], ["y"], name)
    return Dataset(x + 0.3 * jitter, y[:, None], ["x1", "x2"], ["class"], name)

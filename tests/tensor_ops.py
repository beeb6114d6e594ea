"""One explicit op table for the tensor engine: forward, finite differences and torch.

Each entry: (name, number of inputs, our function, the torch function, domain),
where the domain is "any", "positive" or "nonzero" and keeps inputs off poles
and kinks.
"""

from __future__ import annotations

import numpy as np

from tinygrad_mlp.tensor import concatenate

OPS = [
    ("add", 2, lambda a, b: a + b, lambda a, b: a + b, "any"),
    ("sub", 2, lambda a, b: a - b, lambda a, b: a - b, "any"),
    ("mul", 2, lambda a, b: a * b, lambda a, b: a * b, "any"),
    ("div", 2, lambda a, b: a / b, lambda a, b: a / b, "nonzero"),
    ("radd", 1, lambda a: 1.5 + a, lambda a: 1.5 + a, "any"),
    ("rsub", 1, lambda a: 1.5 - a, lambda a: 1.5 - a, "any"),
    ("rdiv", 1, lambda a: 1.5 / a, lambda a: 1.5 / a, "nonzero"),
    ("neg", 1, lambda a: -a, lambda a: -a, "any"),
    ("square", 1, lambda a: a**2, lambda a: a**2, "any"),
    ("cube", 1, lambda a: a**3, lambda a: a**3, "any"),
    ("sqrt", 1, lambda a: a**0.5, lambda a: a**0.5, "positive"),
    ("tensor_pow", 2, lambda a, b: a**b, lambda a, b: a**b, "positive"),
    ("exp", 1, lambda a: a.exp(), lambda a: a.exp(), "any"),
    ("log", 1, lambda a: a.log(), lambda a: a.log(), "positive"),
    ("tanh", 1, lambda a: a.tanh(), lambda a: a.tanh(), "any"),
    ("sigmoid", 1, lambda a: a.sigmoid(), lambda a: a.sigmoid(), "any"),
    ("relu", 1, lambda a: a.relu(), lambda a: a.relu(), "nonzero"),
    ("abs", 1, lambda a: a.abs(), lambda a: a.abs(), "nonzero"),
    ("sum", 1, lambda a: a.sum(), lambda a: a.sum(), "any"),
    ("sum_axis0", 1, lambda a: a.sum(0), lambda a: a.sum(0), "any"),
    (
        "sum_keepdims",
        1,
        lambda a: a.sum(-1, keepdims=True),
        lambda a: a.sum(-1, keepdim=True),
        "any",
    ),
    ("mean_axis", 1, lambda a: a.mean(-1), lambda a: a.mean(-1), "any"),
    ("max_axis", 1, lambda a: a.max(-1), lambda a: a.amax(-1), "any"),
    ("reshape", 1, lambda a: a.reshape(-1), lambda a: a.reshape(-1), "any"),
    ("transpose", 1, lambda a: a.T, lambda a: a.permute(*reversed(range(a.dim()))), "any"),
    ("index", 1, lambda a: a[..., [0, 0, -1]], lambda a: a[..., [0, 0, -1]], "any"),
    ("slice", 1, lambda a: a[..., 1:], lambda a: a[..., 1:], "any"),
    ("log_softmax", 1, lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1), "any"),
    ("softmax", 1, lambda a: a.softmax(-1), lambda a: a.softmax(-1), "any"),
    (
        "concatenate",
        2,
        lambda a, b: concatenate([a, b], axis=0),
        lambda a, b: __import__("torch").cat([a, b], 0),
        "any",
    ),
]


def sample(domain: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Inputs for an op in its domain, at least 0.1 from 0 where 0 is a pole or kink."""
    x = np.array(rng.uniform(-2.0, 2.0, shape))  # an array even for shape ()
    if domain == "positive":
        x = np.abs(x) + 0.1
    elif domain == "nonzero":
        x = np.where(x >= 0, x + 0.1, x - 0.1)
    return np.array(x, dtype=np.float64)

"""A corpus of hand-written backward passes, each with one classic mistake seeded.

Every case is one small network's forward pass with named nodes, on either engine,
and a backward pass written in numpy as a learner would, where ``mistake`` (a name of
:data:`MISTAKES`) swaps one line for its classic wrong twin. The expected diagnosis is
where the grader should find the mistake and a phrase its sentence must hold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tinygrad_mlp import Tensor, Value
from tinygrad_mlp.losses import cross_entropy


@dataclass(frozen=True)
class Net:
    """The numbers of a two- or three-layer MLP and its batch."""

    x: np.ndarray
    y: np.ndarray  # class labels
    W: tuple  # (in, out) weights, so s = a @ W + b
    b: tuple
    act: str


def make_net(seed=0, n=5, sizes=(3, 4, 4), act="tanh") -> Net:
    rng = np.random.default_rng(seed)
    W = tuple(rng.normal(0, 0.8, (i, o)) for i, o in zip(sizes[:-1], sizes[1:], strict=True))
    b = tuple(rng.normal(0, 0.3, o) for o in sizes[1:])
    x = rng.normal(0, 1, (n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    return Net(x, y, W, b, act)


def _act(name, s):
    return {
        "tanh": np.tanh,
        "sigmoid": lambda v: 1 / (1 + np.exp(-v)),
        "relu": lambda v: np.maximum(v, 0),
    }[name](s)


# --------------------------------------------------------------------------- forward


def forward_tensor(net: Net, dtype=np.float64):
    """The loss on the Tensor engine with every intermediate named."""
    a = Tensor(net.x, dtype=dtype)
    L = len(net.W)
    for l in range(L):  # noqa: E741
        W = Tensor(net.W[l], requires_grad=True, dtype=dtype).named(f"W{l + 1}")
        b = Tensor(net.b[l], requires_grad=True, dtype=dtype).named(f"b{l + 1}")
        s = a @ W + b
        if l == L - 1:
            a = s.named("logits")
        else:
            s = s.named(f"z{l + 1}")
            a = getattr(s, net.act)().named(f"h{l + 1}")
    return cross_entropy(a, net.y)


def forward_value(net: Net):
    """The same loss on the Value engine, every element named ``name[i][j]``."""
    L = len(net.W)
    Ws = [
        [
            [Value(float(v), label=f"W{l + 1}[{i}][{j}]") for j, v in enumerate(row)]
            for i, row in enumerate(net.W[l])
        ]
        for l in range(L)  # noqa: E741 -- the layer index
    ]
    bs = [
        [Value(float(v), label=f"b{k + 1}[{j}]") for j, v in enumerate(net.b[k])] for k in range(L)
    ]
    total = Value(0.0)
    n = len(net.x)
    for k, row in enumerate(net.x):
        a = [Value(float(v)) for v in row]
        for l in range(L):  # noqa: E741
            out = []
            for j in range(len(bs[l])):
                s = bs[l][j]
                for i, ai in enumerate(a):
                    s = ai * Ws[l][i][j] + s
                if l == L - 1:
                    out.append(s.named(f"logits[{k}][{j}]"))
                else:
                    s.named(f"z{l + 1}[{k}][{j}]")
                    out.append(getattr(s, net.act)().named(f"h{l + 1}[{k}][{j}]"))
            a = out
        total = total + cross_entropy(a, int(net.y[k])) * (1.0 / n)
    return total


# --------------------------------------------------------------------------- backward


def backward(net: Net, mistake: str | None = None) -> dict:
    """A learner's backward pass in numpy, with at most one seeded mistake."""
    n = len(net.x)
    L = len(net.W)
    hs, zs = [net.x], []
    for l in range(L):  # noqa: E741
        z = hs[-1] @ net.W[l] + net.b[l]
        zs.append(z)
        hs.append(z if l == L - 1 else _act(net.act, z))
    logits = zs[-1]
    e = np.exp(logits - logits.max(1, keepdims=True))
    soft = e / e.sum(1, keepdims=True)
    onehot = np.eye(logits.shape[1])[net.y]
    grads = {}
    d = (soft - onehot) / n
    if mistake == "no one-hot":
        d = soft / n
    if mistake == "mean forgotten":
        d = soft - onehot
    grads["logits"] = d
    for l in reversed(range(L)):  # noqa: E741
        a_in = hs[l]
        dW = a_in.T @ d
        db = d.sum(0)
        if l == L - 1:
            if mistake == "dW transposed":
                dW = d.T @ a_in
            if mistake == "bias sum forgotten":
                db = d
            if mistake == "bias summed over wrong axis":
                db = d.sum(1)
            if mistake == "wrong layer input":
                dW = hs[l - 1].T @ d if hs[l - 1].shape == a_in.shape else hs[l].T @ d
        if l == 0:
            if mistake == "factor two":
                dW = 2 * dW
            if mistake == "bias mean":
                db = d.mean(0)
            if mistake == "wrong sign":
                dW = -dW
        grads[f"W{l + 1}"], grads[f"b{l + 1}"] = dW, db
        if l == 0:
            break
        W = net.W[l]
        dh = d @ W.T
        if mistake == "weight not transposed" and l == L - 1:
            dh = d @ W
        grads[f"h{l}"] = dh
        z, h = zs[l - 1], hs[l]
        if net.act == "tanh":
            d = dh * (1 - h**2)
            if mistake == "tanh at input" and l == L - 1:
                d = dh * (1 - z**2)
            if mistake == "tanh at output" and l == L - 1:
                d = dh * (1 - np.tanh(h) ** 2)
            if mistake == "wrong layer activation" and l == L - 1:
                d = dh * (1 - hs[l - 1] ** 2)
        elif net.act == "sigmoid":
            d = dh * h * (1 - h)
            if mistake == "sigmoid at input" and l == L - 1:
                d = dh * z * (1 - z)
        else:
            d = dh * (z > 0)
            if mistake == "relu mask from gradient" and l == L - 1:
                d = dh * (dh > 0)
            if mistake == "relu mask from logits" and l == L - 1:
                d = dh * (logits > 0)
        if mistake == "derivative forgotten" and l == L - 1:
            d = dh
        grads[f"z{l}"] = d
    return grads


#: mistake → (network options, the node it is at, a phrase its diagnosis holds)
MISTAKES: dict[str, tuple[dict, str, str]] = {
    "no one-hot": ({}, "logits", "without subtracting the one-hot"),
    "mean forgotten": ({}, "logits", "5 times (the batch size n = 5)"),
    "dW transposed": ({"sizes": (3, 4, 2)}, "W2", "transposed"),
    "bias sum forgotten": ({}, "b2", "forgets to sum over the batch"),
    "bias summed over wrong axis": ({}, "b2", "over axis 1"),
    "factor two": ({}, "W1", "twice"),
    "bias mean": ({}, "b1", "1/5 times"),
    "wrong sign": ({}, "W1", "wrong sign"),
    "weight not transposed": ({}, "h1", "W2 is used where its transpose W2ᵀ belongs"),
    "tanh at input": ({}, "z1", "1 - z1² where 1 - h1² belongs"),
    "tanh at output": ({}, "z1", "evaluated at its output h1"),
    "derivative forgotten": ({}, "z1", "derivative is left out"),
    "sigmoid at input": ({"act": "sigmoid"}, "z1", "z1(1 - z1) where h1(1 - h1) belongs"),
    "relu mask from gradient": ({"act": "relu"}, "z1", "mask is taken from the upstream"),
    "relu mask from logits": ({"act": "relu"}, "z1", "mask is taken from logits"),
    "wrong layer activation": ({"sizes": (3, 4, 4, 4)}, "z2", "uses h1 where h2 belongs"),
    "wrong layer input": ({"sizes": (3, 4, 4, 4)}, "W3", "h1 is used where h2 belongs"),
}

"""A person's δ formulas for the sheet's MLP, written outside the project with numpy only.

``backward(net, x, y, loss="mse")`` returns each layer's gradients under the sheet's
names. The environment variable ``MY_BACKPROP_MISTAKE`` (set by a test) seeds one
classic error.
"""

import os

import numpy as np

MISTAKE = os.environ.get("MY_BACKPROP_MISTAKE")


def _f(name, s):
    if name == "sigmoid":
        return 1 / (1 + np.exp(-s))
    if name == "tanh":
        return np.tanh(s)
    if name == "relu":
        return np.maximum(s, 0)
    if name == "linear":
        return s
    raise NotImplementedError(name)


def _fprime(name, s, a):
    if name == "sigmoid":
        return s * (1 - s) if MISTAKE == "sigmoid at input" else a * (1 - a)
    if name == "tanh":
        return 1 - s**2 if MISTAKE == "tanh at input" else 1 - a**2
    if name == "relu":
        return (s > 0) * 1.0
    if name == "linear":
        return np.ones_like(s)
    raise NotImplementedError(name)


def backward(net, x, y, loss="mse"):
    layers = net.layers
    L = len(layers)
    acts = [layer.activation for layer in layers]
    Ws = [layer.weight.data for layer in layers]
    bs = [layer.bias.data for layer in layers]
    a, s_all, a_all = x, [], [x]
    for W, b, f in zip(Ws, bs, acts, strict=True):
        s = a @ W.T + b
        a = _f(f, s)
        s_all.append(s)
        a_all.append(a)
    n = len(x)
    out = a_all[-1]
    if loss == "mse":  # the sheet's L = ½ Σ (y - z)², summed over the batch
        d_out = out - y
    elif loss == "mse_mean":
        d_out = 2 * (out - y) / y.size
    elif loss == "cross_entropy":
        e = np.exp(out - out.max(1, keepdims=True))
        p = e / e.sum(1, keepdims=True)
        d_out = (p - np.eye(out.shape[1])[y.astype(int)]) / n
    elif loss == "bce_with_logits":
        d_out = (1 / (1 + np.exp(-out)) - y) / y.size
    else:
        raise NotImplementedError(loss)
    if MISTAKE == "sign":
        d_out = -d_out
    delta = d_out * _fprime(acts[-1], s_all[-1], a_all[-1])
    grads = {}
    for l in reversed(range(L)):  # noqa: E741 -- the sheet's layer index
        name_w = "wo" if l == L - 1 else f"wh[{l}]"
        name_b = "bo" if l == L - 1 else f"bh[{l}]"
        grads[name_w] = delta.T @ a_all[l]
        grads[name_b] = delta.sum(0)
        if MISTAKE == "bias mean" and l == L - 1:
            grads[name_b] = delta.mean(0)
        if l:
            delta = (delta @ Ws[l]) * _fprime(acts[l - 1], s_all[l - 1], a_all[l])
    return grads

"""Random expression DAGs for fuzzing both engines.

A program is a list of steps; each step applies one op to earlier results
(picked at random, so subexpressions are shared and reused). The same program
runs on our ``Value`` or ``Tensor``, on plain numbers (for finite differences)
and on torch tensors, so every engine is held to the same mathematics.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

# name -> arity. Unary ops are applied to inputs kept in their domain by construction.
UNARY = ["neg", "tanh", "sigmoid", "exp_soft", "log_soft", "square", "relu_shift"]
BINARY = ["add", "sub", "mul", "div_soft"]
#: tensor programs also reduce with keepdims over a negative axis (the shape still broadcasts)
REDUCE = ["sum_keep", "mean_keep", "max_keep"]
#: values that singular-point programs draw their inputs from
SINGULAR_VALUES = [0.0, -0.0, 1.0, -1.0, 2.5, 40.0, -800.0, math.inf, -math.inf, math.nan]


def apply(op: str, args: list, lib: str):
    """Apply ``op`` in library ``lib`` ("ours", "float", "numpy", "torch")."""
    a = args[0]
    b = args[1] if len(args) > 1 else None
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div_soft":  # a / (1 + b²): no pole
        return a / (b * b + 1.0)
    if op == "neg":
        return -a
    if op == "square":
        return a * a
    if op == "tanh":
        return math.tanh(a) if lib == "float" else (np.tanh(a) if lib == "numpy" else a.tanh())
    if op == "sigmoid":
        if lib == "float":
            return 1 / (1 + math.exp(-a))
        if lib == "numpy":
            return 1 / (1 + np.exp(-a))
        return a.sigmoid()
    if op == "exp_soft":  # exp(tanh(a)): bounded
        t = apply("tanh", [a], lib)
        return math.exp(t) if lib == "float" else (np.exp(t) if lib == "numpy" else t.exp())
    if op == "log_soft":  # log(1 + a²): defined everywhere
        t = a * a + 1.0
        return math.log(t) if lib == "float" else (np.log(t) if lib == "numpy" else t.log())
    if op == "relu_shift":  # relu(a) + 0.5 a: a kink only at 0, which random floats miss
        r = max(a, 0.0) if lib == "float" else (np.maximum(a, 0) if lib == "numpy" else a.relu())
        return r + a * 0.5
    if op in REDUCE:
        if a.ndim == 0:  # NOTE: numpy has no axis -1 on a 0-d array (torch does)
            return a
        how = op.removesuffix("_keep")
        if lib == "torch":
            return a.amax(-1, keepdim=True) if how == "max" else getattr(a, how)(-1, keepdim=True)
        if lib == "numpy":
            return getattr(np, "amax" if how == "max" else how)(a, axis=-1, keepdims=True)
        return getattr(a, how)(-1, keepdims=True)
    raise ValueError(op)


@st.composite
def programs(draw, inputs: int = 3, max_steps: int = 8, reduce: bool = False):
    steps = []
    for k in range(draw(st.integers(1, max_steps))):
        available = inputs + k
        if draw(st.booleans()):
            op = draw(st.sampled_from(BINARY))
            args = [draw(st.integers(0, available - 1)) for _ in range(2)]
        else:
            op = draw(st.sampled_from(UNARY + REDUCE if reduce else UNARY))
            args = [draw(st.integers(0, available - 1))]
        steps.append((op, args))
    return steps


def run(program, values: list, lib: str):
    """All intermediate results; the last is the program's output."""
    results = list(values)
    for op, args in program:
        results.append(apply(op, [results[i] for i in args], lib))
    return results


def near_kink(program, values: list, lib: str = "float", gap: float = 1e-3) -> bool:
    """True if some relu's input lies within ``gap`` of its kink at 0 (finite differences fail)."""
    results = list(values)
    for op, args in program:
        inputs = [results[i] for i in args]
        if op == "relu_shift" and np.any(np.abs(inputs[0]) < gap):
            return True
        results.append(apply(op, inputs, lib))
    return False


def input_values():
    return st.lists(
        st.floats(-2, 2, allow_nan=False).filter(lambda v: abs(v) > 1e-3), min_size=3, max_size=3
    )


def tensor_shapes():
    return mutually_broadcastable_shapes(num_shapes=3, max_dims=2, max_side=3)

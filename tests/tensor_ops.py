"""One explicit op table: forward, finite differences and torch, on both engines.

Each row is an :class:`OpSpec`: the op on our Tensors, the same op in torch, the
domain that keeps random inputs off poles and kinks, the input shapes to try
(every spelling the op has: negative and permuted axes, keepdims, 0-d, empty and
size-1 dimensions), the op on ``Value`` where the scalar engine has it, and the
op's singular points (a grid of values per input: 0, ±0, negative bases, ±inf,
nan, ties). Tests derive from it the spellings below (non-contiguous inputs,
float32 and float32/float64 mixes), and the higher-order tests add their
derivative orders to the same rows (``orders``).

Adding an op: one row here.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from tinygrad_mlp import tensor as T
from tinygrad_mlp import value as V
from tinygrad_mlp.tensor import concatenate

INF, NAN = math.inf, math.nan
#: values every elementwise op is tried at
SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 50.0, -50.0, 800.0, -800.0, INF, -INF, NAN)


class OpSpec(NamedTuple):
    name: str
    arity: int
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    domain: str = "any"
    #: one tuple of input shapes per spelling; elementwise rows get the standard set
    shapes: tuple = ()
    #: the op on Values (elementwise rows that the scalar engine has)
    scalar: Callable[..., Any] | None = None
    #: singular points: per input, the values whose grid is tried
    singular: tuple = ()
    #: derivative orders checked against torch (the higher-order tests read it)
    orders: int = 3


def _torch():
    import torch

    return torch


def _bce_ours(y, z):
    return y._apply(T.BCE(), y, z)


def _bce_scalar(y, z):
    return y._apply(V.BCE, y, z)


def _bcel_ours(s, z):
    return s._apply(T.BCEWithLogits(), s, z)


def _bcel_scalar(s, z):
    return s._apply(V.BCEWithLogits, s, z)


UNARY_SHAPES = (((),), ((0,),), ((1,),), ((3, 4),), ((2, 1, 3),))
BINARY_SHAPES = (
    ((3, 4), (3, 4)),
    ((), (3,)),
    ((3, 4), (4,)),
    ((2, 1, 3), (4, 3)),
    ((0, 3), (3,)),
    ((1,), (1,)),
    ((3, 4), ()),
)
LOSS_SHAPES = (((3, 4), (3, 4)), ((), ()), ((0,), (0,)), ((1,), (1,)))
POWERS = (0, 1, 2, 3, 0.5, -1, -0.5, 1 / 3)

OPS: list[OpSpec] = [
    # -- elementwise, on both engines
    OpSpec(
        "add",
        2,
        lambda a, b: a + b,
        lambda a, b: a + b,
        scalar=lambda a, b: a + b,
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "sub",
        2,
        lambda a, b: a - b,
        lambda a, b: a - b,
        scalar=lambda a, b: a - b,
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "mul",
        2,
        lambda a, b: a * b,
        lambda a, b: a * b,
        scalar=lambda a, b: a * b,
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "div",
        2,
        lambda a, b: a / b,
        lambda a, b: a / b,
        "nonzero",
        scalar=lambda a, b: a / b,
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "radd",
        1,
        lambda a: 1.5 + a,
        lambda a: 1.5 + a,
        scalar=lambda a: 1.5 + a,
        singular=(SPECIAL,),
    ),
    OpSpec(
        "rsub",
        1,
        lambda a: 1.5 - a,
        lambda a: 1.5 - a,
        scalar=lambda a: 1.5 - a,
        singular=(SPECIAL,),
    ),
    OpSpec(
        "rdiv",
        1,
        lambda a: 1.5 / a,
        lambda a: 1.5 / a,
        "nonzero",
        scalar=lambda a: 1.5 / a,
        singular=(SPECIAL,),
    ),
    OpSpec("neg", 1, lambda a: -a, lambda a: -a, scalar=lambda a: -a, singular=(SPECIAL,)),
    *[
        OpSpec(
            f"pow_{p:.3g}",
            1,
            (lambda a, p=p: a**p),
            (lambda a, p=p: a**p),
            "positive" if p != int(p) else "any",
            scalar=(lambda a, p=p: a**p),
            singular=(SPECIAL,),
        )
        for p in POWERS
    ],
    OpSpec(
        "tensor_pow",
        2,
        lambda a, b: a**b,
        lambda a, b: a**b,
        "positive",
        scalar=lambda a, b: a**b,
        singular=(
            (-2.0, -1.0, -0.0, 0.0, 0.5, 2.0, INF, NAN),
            (-1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 3.0, NAN),
        ),
    ),
    OpSpec(
        "exp",
        1,
        lambda a: a.exp(),
        lambda a: a.exp(),
        scalar=lambda a: a.exp(),
        singular=(SPECIAL,),
    ),
    OpSpec(
        "log",
        1,
        lambda a: a.log(),
        lambda a: a.log(),
        "positive",
        scalar=lambda a: a.log(),
        singular=(SPECIAL,),
    ),
    OpSpec(
        "tanh",
        1,
        lambda a: a.tanh(),
        lambda a: a.tanh(),
        scalar=lambda a: a.tanh(),
        singular=(SPECIAL,),
    ),
    OpSpec(
        "sigmoid",
        1,
        lambda a: a.sigmoid(),
        lambda a: a.sigmoid(),
        scalar=lambda a: a.sigmoid(),
        singular=(SPECIAL,),
    ),
    OpSpec(
        "relu",
        1,
        lambda a: a.relu(),
        lambda a: a.relu(),
        "nonzero",
        scalar=lambda a: a.relu(),
        singular=(SPECIAL,),
    ),
    OpSpec(
        "bce",
        2,
        _bce_ours,
        lambda y, z: _torch().nn.functional.binary_cross_entropy(y, z, reduction="none"),
        "probability",
        shapes=LOSS_SHAPES,
        scalar=_bce_scalar,
        singular=((0.0, 1e-20, 1e-13, 0.3, 0.5, 1.0 - 1e-16, 1.0), (0.0, 0.3, 1.0)),
    ),
    OpSpec(
        "bce_with_logits",
        2,
        _bcel_ours,
        lambda s, z: _torch().nn.functional.binary_cross_entropy_with_logits(
            s, z, reduction="none"
        ),
        "logit",
        shapes=LOSS_SHAPES,
        scalar=_bcel_scalar,
        singular=((0.0, -0.0, 1.0, -1.0, 50.0, -50.0, 800.0, -800.0), (0.0, 0.5, 1.0)),
    ),
    # -- elementwise, tensor engine only
    OpSpec("abs", 1, lambda a: a.abs(), lambda a: a.abs(), "nonzero", singular=(SPECIAL,)),
    OpSpec(
        "clip",
        1,
        lambda a: a.clip(-1.0, 0.5),
        lambda a: a.clamp(-1.0, 0.5),
        "unclipped",
        singular=((-1.0, 0.5, -1.5, 0.7, 0.0, INF, -INF, NAN),),
    ),
    # -- reductions: every axis spelling
    OpSpec(
        "sum",
        1,
        lambda a: a.sum(),
        lambda a: a.sum(),
        shapes=(((3, 4),), ((),), ((0, 3),), ((1,),)),
    ),
    OpSpec(
        "sum_axis0",
        1,
        lambda a: a.sum(0),
        lambda a: a.sum(0),
        shapes=(((3, 4),), ((0, 3),), ((1, 5),)),
    ),
    OpSpec(
        "sum_axis_neg",
        1,
        lambda a: a.sum(-1),
        lambda a: a.sum(-1),
        shapes=(((3, 4),), ((2, 3, 4),), ((3, 0),)),
    ),
    OpSpec(
        "sum_axes",
        1,
        lambda a: a.sum((0, -1)),
        lambda a: a.sum((0, -1)),
        shapes=(((2, 3, 4),), ((1, 3, 1),)),
    ),
    OpSpec(
        "sum_keepdims",
        1,
        lambda a: a.sum(-1, keepdims=True),
        lambda a: a.sum(-1, keepdim=True),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "sum_all_keepdims",
        1,
        lambda a: a.sum(None, keepdims=True),
        lambda a: a.sum(dim=(0, 1), keepdim=True),
        shapes=(((3, 4),),),
    ),
    OpSpec("mean", 1, lambda a: a.mean(), lambda a: a.mean(), shapes=(((3, 4),), ((),), ((1,),))),
    OpSpec(
        "mean_axis", 1, lambda a: a.mean(-1), lambda a: a.mean(-1), shapes=(((3, 4),), ((2, 3, 4),))
    ),
    OpSpec(
        "mean_keepdims",
        1,
        lambda a: a.mean((0, 2), keepdims=True),
        lambda a: a.mean((0, 2), keepdim=True),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "max_axis",
        1,
        lambda a: a.max(-1),
        lambda a: a.amax(-1),
        shapes=(((2, 5),), ((2, 3, 4),), ((1,),)),
        singular=((1.0, 1.0, 3.0, 3.0, -INF, INF, NAN),),
    ),
    OpSpec("max_all", 1, lambda a: a.max(), lambda a: a.amax(), shapes=(((2, 5),), ((),))),
    OpSpec(
        "max_keepdims",
        1,
        lambda a: a.max(0, keepdims=True),
        lambda a: a.amax(0, keepdim=True),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "max_axes", 1, lambda a: a.max((0, -1)), lambda a: a.amax((0, -1)), shapes=(((2, 3, 4),),)
    ),
    # -- shape ops
    OpSpec(
        "reshape",
        1,
        lambda a: a.reshape(-1),
        lambda a: a.reshape(-1),
        shapes=(((3, 4),), ((),), ((0, 2),)),
    ),
    OpSpec(
        "reshape_3d",
        1,
        lambda a: a.reshape(2, -1, 2),
        lambda a: a.reshape(2, -1, 2),
        shapes=(((3, 4),),),
    ),
    OpSpec(
        "transpose",
        1,
        lambda a: a.T,
        lambda a: a.permute(*reversed(range(a.dim()))),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "permute_neg_axes",
        1,
        lambda a: a.permute(0, -1, 1),
        lambda a: a.permute(0, -1, 1),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "permute_tuple",
        1,
        lambda a: a.permute((2, 0, 1)),
        lambda a: a.permute(2, 0, 1),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "transpose_two_axes",
        1,
        lambda a: a.transpose(0, -1),
        lambda a: a.transpose(0, -1),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "swapaxes",
        1,
        lambda a: a.swapaxes(0, -1),
        lambda a: a.transpose(0, -1),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "index",
        1,
        lambda a: a[..., [0, 0, -1]],
        lambda a: a[..., [0, 0, -1]],
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "index_bool_mask",
        1,
        lambda a: a[T.Tensor(np.array([True, False, True]))],
        lambda a: a[_torch().tensor([True, False, True])],
        shapes=(((3, 4),), ((3,),)),
    ),
    OpSpec(
        "slice", 1, lambda a: a[..., 1:], lambda a: a[..., 1:], shapes=(((3, 4),), ((2, 3, 4),))
    ),
    OpSpec("slice_step", 1, lambda a: a[::-2, 1], lambda a: a.flip(0)[::2, 1], shapes=(((5, 4),),)),
    OpSpec(
        "concatenate",
        2,
        lambda a, b: concatenate([a, b], axis=-1),
        lambda a, b: _torch().cat([a, b], -1),
        shapes=(((3, 4), (3, 2)), ((3, 0), (3, 2))),
    ),
    OpSpec(
        "broadcast_to",
        1,
        lambda a: a.broadcast_to((2, 3, 4)),
        lambda a: a.broadcast_to((2, 3, 4)),
        shapes=(((3, 1),), ((4,),), ((),)),
    ),
    # -- matrix products and softmax
    OpSpec(
        "matmul",
        2,
        lambda a, b: a @ b,
        lambda a, b: a @ b,
        shapes=(
            ((3,), (3,)),
            ((2, 3), (3,)),
            ((3,), (3, 4)),
            ((2, 3), (3, 4)),
            ((5, 2, 3), (5, 3, 4)),
            ((3,), (5, 3, 4)),
            ((5, 2, 3), (3,)),
            ((0, 3), (3, 2)),
        ),
    ),
    OpSpec(
        "linear",
        2,
        lambda x, w: T.linear(x, w),
        lambda x, w: _torch().nn.functional.linear(x, w),
        shapes=(((5, 3), (4, 3)), ((3,), (4, 3)), ((2, 5, 3), (4, 3)), ((0, 3), (4, 3))),
    ),
    OpSpec(
        "log_softmax",
        1,
        lambda a: a.log_softmax(-1),
        lambda a: a.log_softmax(-1),
        shapes=(((3, 4),), ((2, 3, 4),), ((1,),)),
        singular=((1000.0, -1000.0, 0.0, 0.0),),
    ),
    OpSpec(
        "log_softmax_axis0",
        1,
        lambda a: a.log_softmax(0),
        lambda a: a.log_softmax(0),
        shapes=(((3, 4),),),
    ),
    OpSpec("softmax", 1, lambda a: a.softmax(-1), lambda a: a.softmax(-1), shapes=(((3, 4),),)),
    OpSpec(
        "half_squared_error",
        2,
        lambda y, z: T.half_squared_error(y, z),
        lambda y, z: 0.5 * ((y - z) ** 2).sum(),
        shapes=(((3, 4), (3, 4)), ((0, 2), (0, 2))),
    ),
]

# The wider set of ops (its own module, so each group keeps its rows together).
from tests.tensor_ops_extra import DOMAINS as EXTRA_DOMAINS  # noqa: E402
from tests.tensor_ops_extra import EXTRA_OPS  # noqa: E402

OPS.extend(EXTRA_OPS)

ELEMENTWISE = [op for op in OPS if not op.shapes]
SCALAR = [op for op in OPS if op.scalar is not None]


def spellings(op: OpSpec) -> list[tuple[str, tuple]]:
    """(id, input shapes) for every spelling of ``op``'s inputs."""
    if op.shapes:
        return [("x".join(map(str, s)), s) for s in op.shapes]
    table = UNARY_SHAPES if op.arity == 1 else BINARY_SHAPES
    return [("x".join(map(str, s)), s) for s in table]


def sample(domain: str, shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Inputs for an op in its domain, at least 0.1 from its poles and kinks."""
    x = np.array(rng.uniform(-2.0, 2.0, shape))  # an array even for shape ()
    if domain == "positive":
        x = np.abs(x) + 0.1
    elif domain == "nonzero":
        x = np.where(x >= 0, x + 0.1, x - 0.1)
    elif domain == "probability":
        x = rng.uniform(0.05, 0.95, shape)
    elif domain == "logit":
        x = rng.uniform(-3.0, 3.0, shape)
    elif domain in EXTRA_DOMAINS:
        x = EXTRA_DOMAINS[domain](x)
    elif domain == "unclipped":  # off the clip bounds -1 and 0.5
        x = np.where(np.abs(x + 1.0) < 0.1, x - 0.2, x)
        x = np.where(np.abs(x - 0.5) < 0.1, x + 0.2, x)
    return np.array(x, dtype=np.float64)


def inputs_for(op: OpSpec, shapes: tuple, rng: np.random.Generator) -> list[np.ndarray]:
    """Random inputs of ``shapes``; the second input of a loss is a target in [0, 1]."""
    arrays = [sample(op.domain, s, rng) for s in shapes]
    if op.name in ("bce", "bce_with_logits"):
        arrays[1] = np.array(rng.uniform(0.0, 1.0, shapes[1]))
    return arrays


def grid(op: OpSpec) -> list[np.ndarray]:
    """The op's singular points as 1-D arrays, one per input, every combination once."""
    if op.arity == 1:
        return [np.array(op.singular[0], dtype=np.float64)]
    a, b = np.meshgrid(np.array(op.singular[0]), np.array(op.singular[1]), indexing="ij")
    return [a.ravel().copy(), b.ravel().copy()]


def same_class(ours: np.ndarray, theirs: np.ndarray, rtol: float, atol: float, what: str) -> None:
    """Equal within tolerance where finite; nan, +inf and -inf in the same places."""
    ours, theirs = np.asarray(ours, dtype=np.float64), np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape}, torch {theirs.shape}"
    for name, test in (("nan", np.isnan), ("+inf", np.isposinf), ("-inf", np.isneginf)):
        bad = test(ours) != test(theirs)
        assert not bad.any(), (
            f"{what}: {name} differs at {np.argwhere(bad).tolist()[:5]}: ours "
            f"{ours[bad][:5]}, torch {theirs[bad][:5]}"
        )
    finite = np.isfinite(ours)
    np.testing.assert_allclose(ours[finite], theirs[finite], rtol=rtol, atol=atol, err_msg=what)


def basic() -> list[tuple]:
    """The (name, arity, ours, theirs, domain) view of the table."""
    return [tuple(op[:5]) for op in OPS]

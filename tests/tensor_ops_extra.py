"""The op table's rows for the wider set of ops (appended to ``tests.tensor_ops.OPS``).

Element-wise functions and activations on both engines, selection, reductions,
scans and shape ops; each row is tested exactly as the core rows are (forward,
gradient and higher orders against torch float64, float32, strided inputs,
central differences and singular points).

Import the table through ``tests.tensor_ops`` (which appends these rows); importing
this module first is a circular import.
"""

from __future__ import annotations

import math

import numpy as np

from tests.tensor_ops import INF, NAN, SPECIAL, OpSpec
from tinygrad_mlp import ops_extra


def _torch():
    import torch

    return torch


def _tf():
    return _torch().nn.functional


#: extra sampling domains: each maps uniform draws in [-2, 2] into the op's smooth region
DOMAINS = {
    "unit": lambda x: x * 0.45,  # inside (-1, 1), off the poles of asin/acos/atanh
    "above_one": lambda x: np.abs(x) + 1.1,  # acosh
    "tan": lambda x: x * 0.65,  # off tan's poles at ±π/2
    "off_half_integers": lambda x: np.floor(x) + 0.1 + 0.8 * (x - np.floor(x)),  # round/floor
    "hardtanh": lambda x: np.where(np.abs(np.abs(x) - 1.0) < 0.1, x * 1.3, x),
    "nonzero_kink": lambda x: np.where(x >= 0, x + 0.1, x - 0.1),
}

HARDSIGMOID_POINTS = (*SPECIAL, 3.0, -3.0, 2.9)
TRIG_SPECIAL = (0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -2.5, 50.0, -50.0, INF, -INF, NAN)


def _unary(name, ours, theirs, domain="any", scalar=True, singular=SPECIAL):
    return OpSpec(
        name,
        1,
        ours,
        theirs,
        domain,
        scalar=ours if scalar else None,
        singular=(singular,),
    )


def _method(name, *args, **kwargs):
    return lambda a: getattr(a, name)(*args, **kwargs)


EXTRA_OPS: list[OpSpec] = [
    # -- element-wise functions, both engines
    _unary("sqrt", _method("sqrt"), _method("sqrt"), "positive"),
    _unary("rsqrt", _method("rsqrt"), _method("rsqrt"), "positive"),
    _unary("sin", _method("sin"), _method("sin"), singular=TRIG_SPECIAL),
    _unary("cos", _method("cos"), _method("cos"), singular=TRIG_SPECIAL),
    _unary("tan", _method("tan"), _method("tan"), "tan", singular=TRIG_SPECIAL),
    _unary("sinh", _method("sinh"), _method("sinh")),
    _unary("cosh", _method("cosh"), _method("cosh")),
    _unary("asin", _method("asin"), _method("asin"), "unit", singular=TRIG_SPECIAL),
    _unary("acos", _method("acos"), _method("acos"), "unit", singular=TRIG_SPECIAL),
    _unary("atan", _method("atan"), _method("atan")),
    _unary("asinh", _method("asinh"), _method("asinh")),
    _unary("acosh", _method("acosh"), _method("acosh"), "above_one", singular=TRIG_SPECIAL),
    _unary("atanh", _method("atanh"), _method("atanh"), "unit", singular=TRIG_SPECIAL),
    _unary("log2", _method("log2"), _method("log2"), "positive"),
    _unary("exp2", _method("exp2"), _method("exp2")),
    _unary("erf", _method("erf"), _method("erf")),
    _unary("abs_both_engines", _method("abs"), _method("abs"), "nonzero"),
    _unary("sign", _method("sign"), _method("sign")),
    _unary("floor", _method("floor"), _method("floor"), "off_half_integers"),
    _unary("ceil", _method("ceil"), _method("ceil"), "off_half_integers"),
    _unary("round", _method("round"), _method("round"), "off_half_integers"),
    _unary("trunc", _method("trunc"), _method("trunc"), "off_half_integers"),
    # -- activations, both engines
    _unary("leaky_relu", _method("leaky_relu"), lambda a: _tf().leaky_relu(a), "nonzero"),
    _unary(
        "leaky_relu_0.2",
        _method("leaky_relu", 0.2),
        lambda a: _tf().leaky_relu(a, 0.2),
        "nonzero",
    ),
    _unary("elu", _method("elu"), lambda a: _tf().elu(a), "nonzero"),
    _unary("elu_alpha2", _method("elu", 2.0), lambda a: _tf().elu(a, 2.0), "nonzero"),
    _unary("celu", _method("celu"), lambda a: _tf().celu(a), "nonzero"),
    _unary("celu_alpha0.5", _method("celu", 0.5), lambda a: _tf().celu(a, 0.5), "nonzero"),
    _unary("gelu", _method("gelu"), lambda a: _tf().gelu(a)),
    _unary(
        "gelu_tanh",
        _method("gelu", approximate="tanh"),
        lambda a: _tf().gelu(a, approximate="tanh"),
    ),
    _unary("silu", _method("silu"), lambda a: _tf().silu(a)),
    _unary("softplus", _method("softplus"), lambda a: _tf().softplus(a)),
    _unary(
        "softplus_beta2",
        _method("softplus", 2.0, 3.0),
        lambda a: _tf().softplus(a, 2.0, 3.0),
        singular=(*SPECIAL, 1.5, 1.6),
    ),
    _unary("softsign", _method("softsign"), lambda a: _tf().softsign(a), "nonzero"),
    _unary(
        "hardtanh",
        _method("hardtanh"),
        lambda a: _tf().hardtanh(a),
        "hardtanh",
        singular=(*SPECIAL, 0.9, -1.1),
    ),
    # NOTE: torch has no derivative of hardsigmoid's backward (ours is 0: piecewise
    # linear), so its rows stop at order 1 and the scalar row has no singular grid
    # (the singular second-order test runs order 2 on every scalar row with one);
    # tests/test_ops_extra.py checks the scalar engine at those points.
    OpSpec(
        "hardsigmoid",
        1,
        _method("hardsigmoid"),
        lambda a: _tf().hardsigmoid(a),
        singular=(HARDSIGMOID_POINTS,),
        orders=1,
    ),
    OpSpec(
        "hardsigmoid_scalar",
        1,
        _method("hardsigmoid"),
        lambda a: _tf().hardsigmoid(a),
        scalar=_method("hardsigmoid"),
        orders=1,
    ),
    # -- selection, tensor engine
    OpSpec(
        "lerp",
        2,
        lambda a, b: a.lerp(b, 0.3),
        # NOTE: torch.lerp refuses mixed dtypes; its formula for weights below ½ then
        lambda a, b: _torch().lerp(a, b, 0.3) if a.dtype == b.dtype else a + 0.3 * (b - a),
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "lerp_tensor_weight",
        3,
        lambda a, b, w: a.lerp(b, w),
        lambda a, b, w: _torch().lerp(a, b, w),
        shapes=(((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), ())),
    ),
    OpSpec(
        "maximum",
        2,
        lambda a, b: a.maximum(b),
        lambda a, b: _torch().maximum(a, b),
        scalar=lambda a, b: a.maximum(b),
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "minimum",
        2,
        lambda a, b: a.minimum(b),
        lambda a, b: _torch().minimum(a, b),
        scalar=lambda a, b: a.minimum(b),
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "where",
        2,
        lambda a, b: a.where(a > 0, b),
        lambda a, b: _torch().where(a > 0, a, b),
        singular=(SPECIAL, SPECIAL),
    ),
    OpSpec(
        "where_function",
        2,
        lambda a, b: ops_extra.where(b < 0.5, a, b),
        lambda a, b: _torch().where(b < 0.5, a, b),
    ),
    _unary(
        "masked_fill",
        lambda a: a.masked_fill(a > 0.5, 2.0),
        lambda a: a.masked_fill(a > 0.5, 2.0),
        scalar=False,
    ),
    OpSpec(
        "clamp_tensor_bounds",
        3,
        lambda a, lo, hi: a.clamp(lo - 1.0, hi + 1.0),
        lambda a, lo, hi: a.clamp(lo - 1.0, hi + 1.0),
        shapes=(((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), ()), ((2, 1, 3), (3,), (1, 3))),
        # NOTE: torch's own backward fails when a bound broadcasts the input to a larger shape
    ),
    OpSpec(
        "clamp_min_only",
        2,
        lambda a, lo: a.clamp(min=lo),
        lambda a, lo: a.clamp(min=lo),
        shapes=(((3, 4), (3, 4)), ((3, 4), (4,))),
    ),
    # -- reductions and scans
    OpSpec(
        "min_axis",
        1,
        lambda a: a.min(-1),
        lambda a: a.amin(-1),
        shapes=(((2, 5),), ((2, 3, 4),), ((1,),)),
        singular=((1.0, 1.0, -3.0, -3.0, -INF, INF, NAN),),
    ),
    OpSpec("min_all", 1, lambda a: a.min(), lambda a: a.amin(), shapes=(((2, 5),), ((),))),
    OpSpec(
        "prod_all",
        1,
        lambda a: a.prod(),
        lambda a: a.prod(),
        shapes=(((3, 4),), ((),), ((1,),), ((0,),)),
        singular=((2.0, 0.0, 3.0, -1.5, 0.5),),
    ),
    OpSpec(
        "prod_axis",
        1,
        lambda a: a.prod(-1),
        lambda a: a.prod(-1),
        shapes=(((3, 4),), ((2, 3, 4),), ((3, 1),)),
        singular=((2.0, 0.0, 3.0, 0.0, 0.5),),
    ),
    OpSpec(
        "prod_keepdims",
        1,
        lambda a: a.prod(0, keepdims=True),
        lambda a: a.prod(0, keepdim=True),
        shapes=(((3, 4),),),
    ),
    OpSpec(
        "var",
        1,
        lambda a: a.var(),
        lambda a: a.var(),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "var_axis_correction0",
        1,
        lambda a: a.var(-1, correction=0),
        lambda a: a.var(-1, correction=0),
        shapes=(((3, 4),), ((2, 3, 4),), ((3, 1),)),
    ),
    OpSpec(
        "var_axes_keepdims",
        1,
        lambda a: a.var((0, 2), keepdims=True),
        lambda a: a.var((0, 2), keepdim=True),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "std",
        1,
        lambda a: a.std(),
        lambda a: a.std(),
        shapes=(((3, 4),), ((5,),)),
        singular=((2.0, 2.0, 2.0, 2.0),),
    ),
    OpSpec(
        "std_axis",
        1,
        lambda a: a.std(0, correction=0),
        lambda a: a.std(0, correction=0),
        shapes=(((3, 4),),),
    ),
    OpSpec(
        "logsumexp",
        1,
        lambda a: a.logsumexp(-1),
        lambda a: a.logsumexp(-1),
        shapes=(((3, 4),), ((2, 3, 4),), ((1,),)),
        singular=((1000.0, -1000.0, 0.0, 0.0, -INF),),
    ),
    OpSpec(
        "logsumexp_all",
        1,
        lambda a: a.logsumexp(),
        lambda a: a.logsumexp((0, 1)),
        shapes=(((3, 4),),),
    ),
    OpSpec(
        "logsumexp_keepdims",
        1,
        lambda a: a.logsumexp((0, -1), keepdims=True),
        lambda a: a.logsumexp((0, -1), keepdim=True),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "cumsum",
        1,
        lambda a: a.cumsum(-1),
        lambda a: a.cumsum(-1),
        shapes=(((3, 4),), ((5,),), ((2, 3, 4),), ((3, 0),)),
    ),
    OpSpec("cumsum_axis0", 1, lambda a: a.cumsum(0), lambda a: a.cumsum(0), shapes=(((3, 4),),)),
    OpSpec(
        "cumprod",
        1,
        lambda a: a.cumprod(-1),
        lambda a: a.cumprod(-1),
        "nonzero",
        shapes=(((3, 4),), ((5,),), ((2, 3, 4),)),
        singular=((2.0, 0.0, 3.0, 0.0, 0.5, -1.5),),
    ),
    # -- shape
    OpSpec(
        "squeeze",
        1,
        lambda a: a.squeeze(),
        lambda a: a.squeeze(),
        shapes=(((3, 1, 4),), ((1,),), ((1, 1),)),
    ),
    OpSpec(
        "squeeze_axis",
        1,
        lambda a: a.squeeze(-2),
        lambda a: a.squeeze(-2),
        shapes=(((3, 1, 4),), ((3, 4),)),
    ),
    OpSpec(
        "unsqueeze",
        1,
        lambda a: a.unsqueeze(-1),
        lambda a: a.unsqueeze(-1),
        shapes=(((3, 4),), ((),), ((0,),)),
    ),
    OpSpec(
        "flatten",
        1,
        lambda a: a.flatten(1),
        lambda a: a.flatten(1),
        shapes=(((2, 3, 4),), ((3, 4),)),
    ),
    OpSpec(
        "unflatten",
        1,
        lambda a: a.unflatten(-1, (2, -1)),
        lambda a: a.unflatten(-1, (2, -1)),
        shapes=(((3, 4),), ((2, 3, 6),)),
    ),
    OpSpec(
        "expand",
        1,
        lambda a: a.expand(2, -1, 4),
        lambda a: a.expand(2, -1, 4),
        shapes=(((3, 1),), ((3, 4),)),
    ),
    OpSpec(
        "permute",
        1,
        lambda a: a.permute(2, 0, -2),
        lambda a: a.permute(2, 0, -2),
        shapes=(((2, 3, 4),),),
    ),
    OpSpec(
        "flip",
        1,
        lambda a: a.flip((0, -1)),
        lambda a: a.flip((0, -1)),
        shapes=(((3, 4),), ((2, 3, 4),), ((0, 2),)),
    ),
    OpSpec(
        "stack",
        2,
        lambda a, b: ops_extra.stack([a, b], axis=1),
        lambda a, b: _torch().stack([a, b], 1),
        shapes=(((3, 4), (3, 4)), ((3,), (3,)), ((0, 2), (0, 2))),
    ),
    OpSpec(
        "stack_last",
        2,
        lambda a, b: ops_extra.stack([a, b], axis=-1),
        lambda a, b: _torch().stack([a, b], -1),
        shapes=(((3, 4), (3, 4)), ((), ())),
    ),
    OpSpec(
        "pad",
        1,
        lambda a: a.pad((1, 2, 0, 3), value=0.5),
        lambda a: _tf().pad(a, (1, 2, 0, 3), value=0.5),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "pad_last",
        1,
        lambda a: a.pad((2, 0)),
        lambda a: _tf().pad(a, (2, 0)),
        shapes=(((3, 4),), ((5,),), ((0,),)),
    ),
    OpSpec(
        "roll",
        1,
        lambda a: a.roll((1, -2), (0, -1)),
        lambda a: a.roll((1, -2), (0, -1)),
        shapes=(((3, 4),), ((2, 3, 4),)),
    ),
    OpSpec(
        "roll_flat",
        1,
        lambda a: a.roll(5),
        lambda a: a.roll(5),
        shapes=(((3, 4),), ((7,),)),
    ),
    OpSpec(
        "repeat",
        1,
        lambda a: a.repeat(2, 1, 3),
        lambda a: a.repeat(2, 1, 3),
        shapes=(((3, 4),), ((2, 3, 4),), ((4,),)),
    ),
    OpSpec(
        "tril",
        1,
        lambda a: a.tril(),
        lambda a: a.tril(),
        shapes=(((4, 4),), ((3, 5),), ((2, 3, 4),)),
    ),
    OpSpec(
        "triu_offset",
        1,
        lambda a: a.triu(1),
        lambda a: a.triu(1),
        shapes=(((4, 4),), ((5, 3),)),
    ),
    OpSpec(
        "tril_negative_offset",
        1,
        lambda a: a.tril(-1),
        lambda a: a.tril(-1),
        shapes=(((4, 4),),),
    ),
    OpSpec(
        "diagonal",
        1,
        lambda a: a.diagonal(),
        lambda a: a.diagonal(),
        shapes=(((4, 4),), ((3, 5),), ((2, 3, 4),)),
    ),
    OpSpec(
        "diagonal_offset_axes",
        1,
        lambda a: a.diagonal(-1, 0, -1),
        lambda a: a.diagonal(-1, 0, -1),
        shapes=(((4, 3, 5),), ((3, 3),)),
    ),
]


LABELS = np.array([2, 0, -100, 1])  # one ignored sample (torch's default ignore_index)
PLAIN_LABELS = np.array([2, 0, 1, 1])


def _labels_torch(labels):
    return _torch().tensor(labels)


EXTRA_OPS += [
    # -- losses (their kinks, at y = z and |y - z| = delta, are off the random draws)
    OpSpec(
        "nll_loss",
        1,
        lambda a: ops_extra.nll_loss(a, LABELS),
        lambda a: _tf().nll_loss(a, _labels_torch(LABELS)),
        shapes=(((4, 3),),),
    ),
    OpSpec(
        "nll_loss_sum",
        1,
        lambda a: ops_extra.nll_loss(a, PLAIN_LABELS, reduction="sum"),
        lambda a: _tf().nll_loss(a, _labels_torch(PLAIN_LABELS), reduction="sum"),
        shapes=(((4, 3),),),
    ),
    OpSpec(
        "cross_entropy_ignore_index",
        1,
        lambda a: ops_extra.cross_entropy(a, LABELS),
        lambda a: _tf().cross_entropy(a, _labels_torch(LABELS)),
        shapes=(((4, 3),),),
    ),
    OpSpec(
        "cross_entropy_label_smoothing",
        1,
        lambda a: ops_extra.cross_entropy(a, LABELS, label_smoothing=0.2),
        lambda a: _tf().cross_entropy(a, _labels_torch(LABELS), label_smoothing=0.2),
        shapes=(((4, 3),),),
    ),
    OpSpec(
        "cross_entropy_none",
        1,
        lambda a: ops_extra.cross_entropy(a, PLAIN_LABELS, reduction="none"),
        lambda a: _tf().cross_entropy(a, _labels_torch(PLAIN_LABELS), reduction="none"),
        shapes=(((4, 3),),),
    ),
    OpSpec(
        "cross_entropy_probabilities",
        2,
        lambda a, p: ops_extra.cross_entropy(a, p),
        lambda a, p: _tf().cross_entropy(a, p),
        shapes=(((4, 3), (4, 3)), ((1, 5), (1, 5))),
    ),
    OpSpec(
        "cross_entropy_probabilities_smoothing",
        2,
        lambda a, p: ops_extra.cross_entropy(a, p, label_smoothing=0.1, reduction="sum"),
        lambda a, p: _tf().cross_entropy(a, p, label_smoothing=0.1, reduction="sum"),
        shapes=(((4, 3), (4, 3)),),
    ),
    OpSpec(
        "l1_loss",
        2,
        lambda y, z: ops_extra.l1_loss(y, z),
        lambda y, z: _tf().l1_loss(y, z),
        shapes=(((3, 4), (3, 4)), ((5,), (5,))),
    ),
    OpSpec(
        "l1_loss_none",
        2,
        lambda y, z: ops_extra.l1_loss(y, z, reduction="none"),
        lambda y, z: _tf().l1_loss(y, z, reduction="none"),
        shapes=(((3, 4), (3, 4)),),
    ),
    OpSpec(
        "huber_loss",
        2,
        lambda y, z: ops_extra.huber_loss(y, z, delta=0.7),
        # NOTE: torch's huber_loss keeps the input's dtype and its backward fails on a
        # float64 target for a float32 input; ours casts the target, so torch gets it cast
        lambda y, z: _tf().huber_loss(y, z.to(y.dtype), delta=0.7),
        shapes=(((3, 4), (3, 4)), ((5,), (5,))),
    ),
    OpSpec(
        "smooth_l1_loss",
        2,
        lambda y, z: ops_extra.smooth_l1_loss(y, z, reduction="sum", beta=0.5),
        lambda y, z: _tf().smooth_l1_loss(y, z, reduction="sum", beta=0.5),
        shapes=(((3, 4), (3, 4)), ((5,), (5,))),
    ),
]

_ = math  # the module's constants read as the core table's

"""Axis checks against torch: every op that takes an axis, every axis, shapes from 0-d up.

An axis outside [−n, n − 1] (for a 0-d tensor [−1, 0], as torch allows) is torch's
IndexError "Dimension out of range"; an axis inside gives torch's shape and values.
"""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor
from tinygrad_mlp.ops_extra import logsumexp, stack
from tinygrad_mlp.tensor import concatenate

torch = pytest.importorskip("torch")

# (name, ours(x, axis), torch's(t, axis))
OPS = [
    ("sum", lambda x, a: x.sum(a), lambda t, a: t.sum(a)),
    ("sum_tuple", lambda x, a: x.sum((a,)), lambda t, a: t.sum((a,))),
    ("mean", lambda x, a: x.mean(a), lambda t, a: t.mean(a)),
    ("max", lambda x, a: x.max(a), lambda t, a: t.amax(a)),
    ("min", lambda x, a: x.min(a), lambda t, a: t.amin(a)),
    ("argmax", lambda x, a: x.argmax(a), lambda t, a: t.argmax(a)),
    ("argmin", lambda x, a: x.argmin(a), lambda t, a: t.argmin(a)),
    ("prod", lambda x, a: x.prod(a), lambda t, a: t.prod(a)),
    ("cumsum", lambda x, a: x.cumsum(a), lambda t, a: t.cumsum(a)),
    ("cumprod", lambda x, a: x.cumprod(a), lambda t, a: t.cumprod(a)),
    ("squeeze", lambda x, a: x.squeeze(a), lambda t, a: t.squeeze(a)),
    ("unsqueeze", lambda x, a: x.unsqueeze(a), lambda t, a: t.unsqueeze(a)),
    ("flatten_start", lambda x, a: x.flatten(a), lambda t, a: t.flatten(a)),
    ("flatten_end", lambda x, a: x.flatten(0, a), lambda t, a: t.flatten(0, a)),
    (
        "unflatten",
        lambda x, a: x.unflatten(a, (-1,)),
        lambda t, a: t.unflatten(a, (-1,)),
    ),
    ("diagonal", lambda x, a: x.diagonal(0, a, -1), lambda t, a: t.diagonal(0, a, -1)),
    ("stack", lambda x, a: stack([x, x], a), lambda t, a: torch.stack([t, t], a)),
    ("concatenate", lambda x, a: concatenate([x, x], a), lambda t, a: torch.cat([t, t], a)),
    ("flip", lambda x, a: x.flip([a]), lambda t, a: t.flip([a])),
    ("roll", lambda x, a: x.roll(1, a), lambda t, a: t.roll(1, a)),
    ("softmax", lambda x, a: x.softmax(a), lambda t, a: t.softmax(a)),
    ("log_softmax", lambda x, a: x.log_softmax(a), lambda t, a: t.log_softmax(a)),
    ("logsumexp", lambda x, a: logsumexp(x, a), lambda t, a: t.logsumexp(a)),
    ("var", lambda x, a: x.var(a), lambda t, a: t.var(a)),
    ("std", lambda x, a: x.std(a), lambda t, a: t.std(a)),
    ("transpose", lambda x, a: x.transpose(a, 0), lambda t, a: t.transpose(a, 0)),
    ("swapaxes", lambda x, a: x.swapaxes(0, a), lambda t, a: t.swapaxes(0, a)),
    ("any", lambda x, a: x.any(a), lambda t, a: t.any(a)),
    ("all", lambda x, a: x.all(a), lambda t, a: t.all(a)),
]
SHAPES = [(), (3,), (2, 3), (2, 1, 3)]
AXES = [-5, -4, -3, -2, -1, 0, 1, 2, 3, 5]


def _outcome(fn, x, axis):
    try:
        out = fn(x, axis)
    except IndexError as e:
        return ("IndexError", str(e))
    except (RuntimeError, ValueError, TypeError):
        return ("error",)
    data = out.detach().numpy() if isinstance(out, torch.Tensor) else out.data
    return ("ok", np.asarray(data))


@pytest.mark.parametrize(("name", "ours", "theirs"), OPS, ids=[op[0] for op in OPS])
@pytest.mark.filterwarnings("ignore")
def test_every_axis_of_every_shape_is_checked_as_torch(name, ours, theirs):
    for shape in SHAPES:
        data = np.arange(1.0, 1.0 + np.prod(shape, dtype=int)).reshape(shape) / 4
        for axis in AXES:
            what = f"{name} of shape {shape} over axis {axis}"
            mine = _outcome(ours, Tensor(data), axis)
            ref = _outcome(theirs, torch.tensor(data), axis)
            assert mine[0] == ref[0], f"{what}: ours {mine}, torch {ref}"
            if ref[0] == "IndexError":
                assert mine[1] == ref[1], what
            elif ref[0] == "ok":
                assert mine[1].shape == ref[1].shape, f"{what}: {mine[1].shape}"
                np.testing.assert_allclose(
                    mine[1].astype(float), ref[1].astype(float), rtol=1e-12, err_msg=what
                )


def test_the_message_names_the_range():
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 5"):
        Tensor(np.ones((3, 1))).sum(5)


def test_unsqueeze_out_of_range_no_longer_wraps():
    with pytest.raises(IndexError, match="Dimension out of range"):
        Tensor(np.ones((3, 1))).unsqueeze(5)


@pytest.mark.parametrize("axes", [[0, 0], [1, -1]])
def test_flip_refuses_an_axis_named_twice(axes):
    with pytest.raises(RuntimeError):
        torch.ones(2, 2).flip(axes)
    with pytest.raises(ValueError, match="more than once"):
        Tensor(np.ones((2, 2))).flip(axes)


@pytest.mark.parametrize("axes", [(0, 2), (0, 0), (0,), (-3, 1)])
def test_permute_checks_its_axes_as_torch(axes):
    data = np.ones((2, 3))
    with pytest.raises((RuntimeError, IndexError)) as theirs:
        torch.tensor(data).permute(*axes)
    with pytest.raises((ValueError, IndexError)) as mine:
        Tensor(data).permute(*axes)
    assert (theirs.type is IndexError) == (mine.type is IndexError)

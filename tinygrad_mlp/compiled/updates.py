"""Optimizer updates in a captured tensor step, over gradients that lie side by side.

:class:`~tinygrad_mlp.compiled.arrays.ArrayProgram` lays the leaves' gradient buffers
side by side in one array, in the optimizers' parameter order. An optimizer's update
is element by element, so over that one array it can run its numpy operations once for
every tensor instead of once per tensor: the same operations in the same order, the
same number for every element. Each update here checks, at every call, that the step
is still the one it was made for (the optimizer's settings, the gradients and the
parameters' arrays) and otherwise runs the optimizer's own ``step``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_mlp.optim import SGD, Adam, Optimizer

__all__ = ["adam_step", "sgd_step"]


class _Layout:
    """An optimizer's parameters, each with the gradient buffer the replay gives it, and
    the one array those buffers tile in order (``whole``, or None)."""

    def __init__(self, opt: Optimizer, owned: list) -> None:
        buffers = {id(leaf): own for leaf, own in owned}
        self.params = list(opt.parameters)
        # NOTE: (parameter, its array, its buffer) as captured: the update's picture
        self.plan = [(p, p.data, buffers.get(id(p))) for p in self.params]
        self.whole = _tiled([own for _, _, own in self.plan])

    def ours(self) -> bool:
        """Whether every gradient is still the replay's buffer and every parameter still
        has its array (else the optimizer's own step decides)."""
        for p, data, own in self.plan:
            if p.grad is not own or own is None or p.data is not data:
                return False
        return True

    def like(self) -> tuple[np.ndarray, list[np.ndarray]]:
        """A new array laid out as ``whole``, and its view for each parameter."""
        array = np.empty_like(self.whole)
        views, at = [], 0
        for _, _, own in self.plan:
            views.append(array[at : at + own.size].reshape(own.shape))
            at += own.size
        return array, views


def _one_group(opt: Optimizer) -> dict[str, Any] | None:
    """The optimizer's group if it has one (the updates here take one), else None."""
    groups = opt.param_groups
    return groups[0] if len(groups) == 1 else None


def sgd_step(opt: SGD, owned: list) -> Callable[[], None]:
    """``opt.step()``; SGD on gradients in our buffers, over all of them at once.

    NOTE: ``p.data -= lr * g`` is numpy's multiply then in-place subtract; here the
    product goes to a reused buffer, one for all the gradients when they lie side by
    side. With momentum (and the gradients side by side) the momentum buffers are
    adopted into one array of the same layout (the state entries become views holding
    the same numbers) and SGD's own operations run once over every tensor. Anything
    else (weight decay, maximize, several groups, a gradient or a state that is not
    ours) runs the optimizer's own step.
    """
    layout = _Layout(opt, owned)
    whole = layout.whole
    if whole is not None:
        # NOTE: the gradients are one array (see ArrayProgram._side_by_side): every
        # lr * g in one call, into an array of the same layout
        scaled, temps = layout.like()
    else:
        temps = [None if own is None else np.empty_like(own) for _, _, own in layout.plan]
    updates = [(data, tmp) for (_, data, _), tmp in zip(layout.plan, temps, strict=True)]
    made: list = []  # NOTE: momentum's arrays, made at its first use

    def step() -> None:
        group = _one_group(opt)
        if group is None or group["weight_decay"] or group["maximize"]:
            opt.step()
            return
        momentum, lr, dampening = group["momentum"], group["lr"], group["dampening"]
        if (momentum and whole is None) or not numbers(lr, momentum, dampening):
            opt.step()  # NOTE: a numpy number may compute at a wider dtype (see numbers)
            return
        if not layout.ours():
            opt.step()  # NOTE: not the capture's picture: the optimizer decides
            return
        if not momentum:
            if whole is not None:
                np.multiply(lr, whole, scaled)
            else:
                for (_, _, own), (_, update) in zip(layout.plan, updates, strict=True):
                    np.multiply(lr, own, update)
            for data, update in updates:
                np.subtract(data, update, data)
            return
        if not made:
            momentum_all, views = layout.like()
            momentum_all[...] = 0
            made.extend((momentum_all, np.empty_like(whole)))
            made.append(_adopter(opt, layout.params, {"momentum_buffer": views}))
        momentum_all, tmp, adopted = made
        if not adopted():
            opt.step()
            return
        # NOTE: SGD.step's operations, in its order: b ← μb + (1 − τ)g, then g ← g + μb
        # (Nesterov) or g ← b, then θ ← θ − ηg
        np.multiply(momentum_all, momentum, momentum_all)
        if dampening:
            np.multiply(1 - dampening, whole, tmp)
            np.add(momentum_all, tmp, momentum_all)
        else:
            np.add(momentum_all, whole, momentum_all)
        if group["nesterov"]:
            np.multiply(momentum, momentum_all, tmp)
            np.add(whole, tmp, tmp)
            np.multiply(lr, tmp, scaled)
        else:
            np.multiply(lr, momentum_all, scaled)
        for data, update in updates:
            np.subtract(data, update, data)

    return step


def numbers(*values: Any) -> bool:
    """Whether every value is a Python float or int, which numpy computes at the dtype of
    the array it meets (a numpy float64 would widen a float32 product: eager's step
    rounds once where a product written into a float32 buffer would round twice)."""
    return _NUMBER.issuperset(map(type, values))


_NUMBER = {float, int}


def _adopter(opt: Any, params: list, views: dict[str, list[np.ndarray]]) -> Callable[[], bool]:
    """A function that says whether each parameter's state entries are ``views`` (per
    key, one view per parameter), making them so first where they are not, with the
    numbers copied in.

    NOTE: an entry of another shape or dtype, or a parameter without one, is left alone
    and the answer is False: the update runs the optimizer's own step (which may make
    the entry, to be adopted at the next call).
    """
    pairs = [
        (key, p, view) for key, per in views.items() for p, view in zip(params, per, strict=True)
    ]

    def adopted() -> bool:
        state = opt.state
        for key, p, view in pairs:
            entry = state.get(p)
            if entry is None or entry.get(key) is not view:
                return adopt()
        return True

    def adopt() -> bool:
        entries = [opt.state.get(p) for _, p, _ in pairs]
        for (key, _, view), entry in zip(pairs, entries, strict=True):
            old = entry.get(key) if entry else None
            if not isinstance(old, np.ndarray) or old.shape != view.shape:
                return False
            if old.dtype != view.dtype:
                return False
        for (key, _, view), entry in zip(pairs, entries, strict=True):
            if entry[key] is not view:
                np.copyto(view, entry[key])
                entry[key] = view
        return True

    return adopted


def adam_step(opt: Adam, owned: list) -> Callable[[], None]:
    """``opt.step()``; plain Adam on gradients that lie side by side, over all at once.

    NOTE: Adam's update is element by element: with every parameter at the same step
    count (one ``lr``, betas, eps), each of its numpy operations gives the same number
    for an element whether it runs per tensor or once over all the gradients in one
    array. So with the gradients side by side (see ArrayProgram._side_by_side) and the
    moments adopted into two arrays of the same layout (the optimizer's state entries
    become views of them, holding the same numbers), the update is Adam's own
    operations, in its order, once: 12 numpy calls and one subtraction per tensor,
    instead of 13 per tensor. Anything else (weight decay, amsgrad, maximize, several
    groups, a gradient or a state that is not ours, unequal step counts) runs the
    optimizer's step.
    """
    layout = _Layout(opt, owned)
    whole = layout.whole
    if whole is None:

        def call() -> None:
            opt.step()

        return call
    (m_all, ms), (v_all, vs) = layout.like(), layout.like()
    m_all[...] = 0
    v_all[...] = 0
    tmp, (scaled, updates) = np.empty_like(whole), layout.like()
    params = layout.params
    pairs = [(p.data, u) for p, u in zip(params, updates, strict=True)]
    adopted = _adopter(opt, params, {"exp_avg": ms, "exp_avg_sq": vs})

    def step() -> None:
        group = _one_group(opt)
        if group is None:
            opt.step()
            return
        beta1, beta2 = group["betas"]
        w = 1 - beta1
        if group["weight_decay"] or group["amsgrad"] or group["maximize"] or not w < 0.5:
            opt.step()
            return
        if not layout.ours() or not adopted():
            opt.step()  # NOTE: not the capture's picture: the optimizer decides
            return
        state = opt.state
        counts = {state[p].get("step") for p in params}
        lr, eps = group["lr"], group["eps"]
        if len(counts) != 1 or not numbers(lr, beta1, beta2, eps, *counts):
            # NOTE: unequal step counts (per tensor, as the optimizer does), or a numpy
            # number that may compute at a wider dtype than the arrays (see numbers)
            opt.step()
            return
        for p in params:
            state[p]["step"] += 1
        t = state[params[0]]["step"]
        # NOTE: Adam.step's operations, in its order (torch's lerp for w < 1/2)
        np.subtract(whole, m_all, tmp)
        np.multiply(w, tmp, tmp)
        np.add(m_all, tmp, m_all)
        np.multiply(v_all, beta2, v_all)
        np.multiply(1 - beta2, whole, tmp)
        np.multiply(tmp, whole, tmp)
        np.add(v_all, tmp, v_all)
        step_size = lr / (1 - beta1**t)
        root_correction = (1 - beta2**t) ** 0.5
        np.sqrt(v_all, tmp)
        np.divide(tmp, root_correction, tmp)
        np.add(tmp, eps, tmp)
        np.divide(m_all, tmp, scaled)
        np.multiply(step_size, scaled, scaled)
        for data, update in pairs:
            np.subtract(data, update, data)

    return step


def _tiled(views: list) -> np.ndarray | None:
    """The one array that ``views`` tile exactly, in order, or None."""
    if not views or any(v is None for v in views):
        return None
    whole = views[0].base
    if whole is None or whole.ndim != 1 or any(v.base is not whole for v in views):
        return None
    at = start = whole.__array_interface__["data"][0]
    for v in views:
        if v.__array_interface__["data"][0] != at or not v.flags.c_contiguous:
            return None
        at += v.nbytes
    return whole if at == start + whole.nbytes else None

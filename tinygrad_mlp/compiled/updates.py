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

from tinygrad_mlp.optim import SGD, Adam

__all__ = ["adam_step", "offsets", "sgd_step", "tiled"]


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
    buffers = {id(leaf): own for leaf, own in owned}
    params = list(opt.parameters)
    plan = [(p, p.data, buffers.get(id(p))) for p in params]
    whole = tiled([own for _, _, own in plan])
    made: list = []  # NOTE: momentum's arrays, made at its first use
    if whole is not None:
        # NOTE: the gradients are one array (see ArrayProgram._side_by_side): every
        # lr * g in one call, into an array of the same layout
        scaled = np.empty_like(whole)
        spans = offsets(plan)
        temps = [scaled[a : a + own.size].reshape(own.shape) for a, own in spans]
    else:
        temps = [None if own is None else np.empty_like(own) for _, _, own in plan]
    plain = [(p, data, own, tmp) for (p, data, own), tmp in zip(plan, temps, strict=True)]
    updates = [(data, tmp) for _, data, _, tmp in plain]

    def step() -> None:
        groups = opt.param_groups
        if len(groups) != 1:
            opt.step()
            return
        group = groups[0]
        momentum, lr = group["momentum"], group["lr"]
        if group["weight_decay"] or group["maximize"] or (momentum and whole is None):
            opt.step()
            return
        if (
            type(lr) not in _NUMBER
            or type(momentum) not in _NUMBER
            or type(group["dampening"]) not in _NUMBER
        ):
            opt.step()  # NOTE: a numpy number may compute at a wider dtype (see numbers)
            return
        for p, data, own, _ in plain:
            if p.grad is not own or own is None or p.data is not data:
                opt.step()  # NOTE: not the capture's picture: the optimizer decides
                return
        if not momentum:
            if whole is not None:
                np.multiply(lr, whole, scaled)
                for data, update in updates:
                    np.subtract(data, update, data)
                return
            for _, data, own, update in plain:
                np.multiply(lr, own, update)
                np.subtract(data, update, data)
            return
        if not made:
            momentum_all = np.zeros_like(whole)
            views = [momentum_all[a : a + own.size].reshape(own.shape) for a, own in spans]
            made.extend((momentum_all, np.empty_like(whole), views))
            made.append(_adopter(opt, params, {"momentum_buffer": views}))
        momentum_all, tmp, buffers_of, adopt = made
        state = opt.state
        for p, view in zip(params, buffers_of, strict=True):
            entry = state.get(p)
            if entry is None or entry.get("momentum_buffer") is not view:
                if not adopt():
                    opt.step()
                    return
                break
        # NOTE: SGD.step's operations, in its order: b ← μb + (1 − τ)g, then g ← g + μb
        # (Nesterov) or g ← b, then θ ← θ − ηg
        dampening = group["dampening"]
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
    return all(type(v) in _NUMBER for v in values)


_NUMBER = {float, int}


def _adopter(opt: Any, params: list, views: dict[str, list[np.ndarray]]) -> Callable[[], bool]:
    """A function that makes each parameter's state entries ``views`` (per key, one view
    per parameter), copying the numbers in, and says whether every entry fitted.

    NOTE: an entry of another shape or dtype, or a parameter without one, is left alone
    and the update runs the optimizer's own step (which may make it, to be adopted at
    the next call).
    """

    def adopt() -> bool:
        states = [opt.state.get(p) for p in params]
        for key, per_param in views.items():
            for entry, view in zip(states, per_param, strict=True):
                old = entry.get(key) if entry else None
                if not isinstance(old, np.ndarray) or old.shape != view.shape:
                    return False
                if old.dtype != view.dtype:
                    return False
        for key, per_param in views.items():
            for entry, view in zip(states, per_param, strict=True):
                if entry[key] is not view:
                    np.copyto(view, entry[key])
                    entry[key] = view
        return True

    return adopt


def adam_step(opt: Adam, owned: list) -> Callable[[], None]:
    """``opt.step()``; plain Adam on gradients that lie side by side, over all at once.

    NOTE: Adam's update is element by element: with every parameter at the same step
    count (one ``lr``, betas, eps), each of its numpy operations gives the same number
    for an element whether it runs per tensor or once over all the gradients in one
    array. So with the gradients side by side (see ArrayProgram._side_by_side) and the
    moments adopted into two arrays of the same layout (the optimizer's state entries
    become views of them, holding the same numbers), the update is Adam's own
    operations, in its order, once: 12 numpy calls and one subtraction per tensor,
    instead of 13 per tensor. Anything else (weight decay, amsgrad, maximize, several groups, a
    gradient or a state that is not ours, unequal step counts) runs the optimizer's step.
    """
    buffers = {id(leaf): own for leaf, own in owned}
    params = list(opt.parameters)
    owns = [buffers.get(id(p)) for p in params]
    whole = tiled(owns)
    if whole is None:

        def call() -> None:
            opt.step()

        return call
    plan = [(p, p.data, own) for p, own in zip(params, owns, strict=True)]
    spans = offsets(plan)
    m_all, v_all = np.zeros_like(whole), np.zeros_like(whole)
    tmp, scaled = np.empty_like(whole), np.empty_like(whole)

    def views(array: np.ndarray) -> list[np.ndarray]:
        return [array[a : a + own.size].reshape(own.shape) for a, own in spans]

    ms, vs, updates = views(m_all), views(v_all), views(scaled)
    mine = list(zip(params, ms, vs, strict=True))
    checks = [(p, p.data, own) for p, own in zip(params, owns, strict=True)]
    pairs = [(p.data, u) for p, u in zip(params, updates, strict=True)]

    adopt = _adopter(opt, params, {"exp_avg": ms, "exp_avg_sq": vs})

    def step() -> None:
        groups = opt.param_groups
        if len(groups) != 1:
            opt.step()
            return
        group = groups[0]
        beta1, beta2 = group["betas"]
        w = 1 - beta1
        if group["weight_decay"] or group["amsgrad"] or group["maximize"] or not w < 0.5:
            opt.step()
            return
        for p, data, own in checks:
            if p.grad is not own or p.data is not data:
                opt.step()  # NOTE: not the capture's picture: the optimizer decides
                return
        state = opt.state
        t = None
        for p, m, v in mine:
            st = state.get(p)
            if st is None or st.get("exp_avg") is not m or st.get("exp_avg_sq") is not v:
                if not adopt():
                    opt.step()
                    return
                st = state[p]
            count = st.get("step")
            if count is None or (t is not None and count != t):
                opt.step()  # NOTE: unequal step counts: per tensor, as the optimizer does
                return
            t = count
        lr, eps = group["lr"], group["eps"]
        if not numbers(lr, beta1, beta2, eps, t):
            opt.step()  # NOTE: a numpy number may compute at a wider dtype than the arrays
            return
        for p, _, _ in mine:
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


def offsets(plan: list) -> list[tuple[int, np.ndarray]]:
    """(element offset, buffer) of each parameter's gradient buffer, in order."""
    out, at = [], 0
    for _, _, own in plan:
        out.append((at, own))
        at += own.size
    return out


def tiled(views: list) -> np.ndarray | None:
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

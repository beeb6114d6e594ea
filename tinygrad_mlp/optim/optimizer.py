"""Optimizers as ``torch.optim``'s: parameter groups, the same options, the same state.

An optimizer holds ``param_groups`` (a list of dicts: ``"params"`` and the
hyper-parameters, per group) and ``state`` (a dict from each parameter to its running
buffers), as torch's does; ``state_dict()`` writes both in torch's layout, and
``load_state_dict`` takes back ours or torch's (tensors converted with
``numpy.asarray``). The update rules are torch's single-tensor ones, written in the same
order, so the same settings give the same trajectory (tests check 10 steps of every
combination of options against torch in float64, to 1e-12).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_mlp import autograd
from tinygrad_mlp.tensor import Tensor

#: Below this size an update's temporary costs the allocator nothing worth a kept buffer.
_SCRATCH_BYTES = 64 * 1024

#: Group keys every optimizer tolerates in a saved state besides its own options:
#: torch writes ``initial_lr`` (a scheduler's) and ``param_names``.
_SHARED_KEYS = ("params", "initial_lr", "param_names")


def _nested_state(flat: Any) -> dict[str, Any]:
    """{"state.0.exp_avg": a, "param_groups.0.lr": x} → torch.optim's nested layout."""
    out: dict[Any, Any] = {}
    for key, value in flat.items():
        parts = str(key).split(".")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(int(part) if part.isdigit() else part, {})
        node[parts[-1]] = value
    groups = out.get("param_groups")
    if isinstance(groups, dict):
        out["param_groups"] = [groups[k] for k in sorted(groups)]
    return out


def _plain(key: str, value: Any) -> Any:
    """A setting read back from a file (0-d arrays, arrays of betas) as Python values."""
    if isinstance(value, np.ndarray) or type(value).__module__ == "torch":
        array = np.asarray(value)
        if key in ("params", "param_names"):
            return array.tolist()
        if key == "betas":
            return tuple(float(b) for b in array.reshape(-1))
        return array.item() if array.ndim == 0 else array.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _real(name: str, value: Any) -> float:
    """``value`` as a float, or a TypeError naming the option (NaN is refused too)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number, got nan")
    return float(value)


class Optimizer:
    """The base of every optimizer: parameter groups, per-parameter state, and their files.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups: ``"params"``
            and any options that differ from ``defaults`` for that group).
        defaults: each option's value for groups that do not give their own.
    """

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or of parameter-group dicts, "
                "not one Tensor (pass [tensor])"
            )
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- options ----------------------------------------------------------------------

    def _check(self, group: dict[str, Any]) -> None:
        """Refuse a group's options as torch's constructor does (one sentence each)."""
        lr = _real("lr", group["lr"])
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr} (it must be at least 0)")

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own options (the rest from ``defaults``).

        >>> from tinygrad_mlp.nn import Linear
        >>> net = Linear(2, 1, seed=0)
        >>> opt = SGD([net.weight], lr=0.1)
        >>> opt.add_param_group({"params": [net.bias], "lr": 0.01})
        >>> [g["lr"] for g in opt.param_groups]
        [0.1, 0.01]
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"a parameter group must be a dict, got {type(param_group).__name__}")
        group = dict(param_group)
        params = group.get("params")
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError("parameters must come in an ordered collection (a list), not a set")
        params = list(params or [])
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"an optimizer updates Tensors; one parameter is a {type(p).__name__}"
                )
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        self._check(group)
        self.param_groups.append(group)

    @property
    def lr(self) -> float:
        """The first group's learning rate; setting it sets every group's (one-group shorthand)."""
        return self.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value: float) -> None:
        for group in self.param_groups:
            group["lr"] = value

    def _parameters(self) -> list[Tensor]:
        return [p for group in self.param_groups for p in group["params"]]

    @property
    def parameters(self) -> list[Tensor]:
        """Every group's parameters, in order (a list; the optimizer's own view of them)."""
        return self._parameters()

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget every parameter's gradient: None (torch's default), or zeros in place."""
        if autograd._MODE is not True:  # NOTE: some thread records: a captured step replays it
            autograd.report("call", self.zero_grad, set_to_none)
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.zero_grad()  # NOTE: None, with the array kept for the next backward
                elif isinstance(p.grad, Tensor):  # a node left by backward(create_graph=True)
                    p.grad = np.zeros_like(p.grad.data)
                else:
                    p.grad[...] = 0

    def step(self) -> None:
        """Update every parameter in place from its ``.grad``; subclasses give the rule.

        Call after ``loss.backward()``; parameters whose ``.grad`` is None are skipped.
        """
        raise NotImplementedError

    def _scratch(self, like: np.ndarray) -> np.ndarray:
        """An array of ``like``'s shape and dtype for an update's temporary, one per shape
        and dtype, kept for reuse (not state: never saved)."""
        buffers = self.__dict__.setdefault("_buffers", {})
        key = (like.shape, like.dtype)
        if key not in buffers:
            buffers[key] = np.empty_like(like, order="C")
        return buffers[key]

    @staticmethod
    def _grad(p: Tensor, maximize: bool) -> np.ndarray | None:
        """∂L/∂p as an array (−∂L/∂p to maximize), or None if p got no gradient."""
        grad = p.grad
        if isinstance(grad, Tensor):  # NOTE: a gradient that is a node (create_graph=True)
            grad = grad.data
        if grad is None:
            return None
        return -grad if maximize else grad

    # -- state, as torch.optim: {"state": {k: {...}}, "param_groups": [{..., "params"}]} --

    #: The per-parameter state entries this optimizer keeps (checked on load).
    state_keys: tuple[str, ...] = ()

    def state_dict(self) -> dict[str, Any]:
        """Options and running state (copies), in torch.optim's layout.

        ``{"state": {k: {...}}, "param_groups": [{options, "params": [k, ...]}]}``, k
        numbering the parameters across the groups in order; ``load_state_dict`` takes
        it back, or torch's own, to resume or continue elsewhere.

        >>> from tinygrad_mlp.nn import Linear
        >>> opt = Adam(Linear(2, 1, seed=0).parameters(), lr=0.01)
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0, 1]
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p in self._parameters():
            entry = self.state.get(p)
            if entry:
                state[index[id(p)]] = {
                    k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in entry.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore options and running state from :meth:`state_dict` (ours or torch's).

        Everything is checked before anything changes: as many groups, each with as
        many parameters, as this optimizer's; options this optimizer takes (a state
        written by another optimizer is refused, AdamW's into Adam too); each state
        array of its parameter's shape (cast to its dtype).
        """
        if "param_groups" not in state_dict:  # as read back from an .npz: dotted keys
            state_dict = _nested_state(state_dict)
        try:
            saved_groups, saved_state = state_dict["param_groups"], state_dict.get("state", {})
        except (KeyError, TypeError, AttributeError):
            raise ValueError("an optimizer state has 'state' and 'param_groups' entries") from None
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"optimizer state has {len(saved_groups)} parameter groups; this optimizer "
                f"has {len(self.param_groups)}"
            )
        name = type(self).__name__
        groups, by_id = [], {}
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            saved = {k: _plain(k, v) for k, v in dict(saved).items()}
            ids = list(saved.get("params", []))
            if len(ids) != len(group["params"]):
                raise ValueError(
                    f"optimizer state holds {len(ids)} parameters; this optimizer has "
                    f"{len(group['params'])}"
                )
            foreign = sorted(set(saved) - set(self.defaults) - set(_SHARED_KEYS))
            if foreign:
                raise ValueError(
                    f"optimizer state has settings {name} does not take "
                    f"({', '.join(foreign)}); it was written by another optimizer"
                )
            self._check_kind(saved)
            new = {**self.defaults, **saved, "params": group["params"]}
            self._check(new)
            groups.append(new)
            by_id.update(zip(ids, group["params"], strict=True))
        position = {id(p): k for k, p in enumerate(self._parameters())}
        entries: dict[Tensor, dict[str, Any]] = {}
        for pid, entry in saved_state.items():
            if pid not in by_id:
                raise ValueError(f"optimizer state has an entry for unknown parameter {pid!r}")
            p = by_id[pid]
            k = position[id(p)]
            checked = {}
            for key, value in entry.items():
                if key not in self.state_keys:
                    raise ValueError(
                        f"optimizer state {key!r} of parameter {k} is not one {name} keeps; "
                        "it was written by another optimizer"
                    )
                array = np.asarray(value, dtype=np.float64)
                if key == "step":
                    checked[key] = float(array)
                    continue
                if array.shape != p.data.shape:
                    raise ValueError(
                        f"optimizer state {key!r} of parameter {k} has shape {array.shape}, "
                        f"the parameter {p.data.shape}"
                    )
                checked[key] = array.astype(p.data.dtype)
            entries[p] = checked
        self.param_groups = groups
        self.state = entries

    def _check_kind(self, saved: dict[str, Any]) -> None:
        """Refuse a state whose settings mean another algorithm (Adam's, AdamW's)."""


class SGD(Optimizer):
    """Gradient descent, the cheat sheet's θ ← θ − η ∇L(θ), with torch's options.

    With ``weight_decay`` λ the gradient is g + λθ; with ``momentum`` μ a buffer
    b ← μb + (1 − τ)g (b = g on the first step, τ the ``dampening``) replaces g, and
    ``nesterov`` uses g + μb; ``maximize`` ascends. Parameters without a gradient (not
    reached by the last backward) are left alone.

    Args:
        params: the tensors to update (``net.parameters()``), or parameter groups.
        lr: the learning rate η (torch's default 0.001; 0 is allowed).
        momentum: μ, 0 for plain SGD.
        dampening: τ, how much of each new gradient the buffer leaves out.
        weight_decay: λ, an L2 penalty.
        nesterov: Nesterov momentum (needs μ > 0 and τ = 0).
        maximize: ascend the objective instead of descending.
        foreach, differentiable, fused: torch's implementation switches; accepted for
            torch's signature, with the same arithmetic whatever they say.
    """

    state_keys = ("momentum_buffer",)

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        self._check(defaults)
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        momentum = _real("momentum", group["momentum"])
        if momentum < 0:
            raise ValueError(f"Invalid momentum value: {momentum} (it must be at least 0)")
        weight_decay = _real("weight_decay", group["weight_decay"])
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (it must be at least 0)")
        dampening = _real("dampening", group["dampening"])
        if group["nesterov"] and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    def step(self) -> None:
        """One update of every parameter with a gradient, as ``torch.optim.SGD`` does it.

        g ← ±∇L(θ) + λθ;  with μ > 0: b ← μb + (1 − τ)g (b = g on the first step), then
        g ← g + μb (Nesterov) or g ← b;  finally θ ← θ − ηg.

        >>> p = Tensor([1.0], requires_grad=True)
        >>> opt = SGD([p], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     p.grad = np.array([1.0])
        ...     opt.step()
        >>> np.round(p.data, 12).tolist()  # 1 − 0.1·1 − 0.1·(0.9·1 + 1)
        [0.71]
        """
        if autograd._MODE is not True:  # NOTE: some thread records: a captured step replays it
            autograd.report("call", self.step)
        for group in self.param_groups:
            lr, momentum, dampening = group["lr"], group["momentum"], group["dampening"]
            weight_decay, nesterov = group["weight_decay"], group["nesterov"]
            maximize = group["maximize"]
            for p in group["params"]:
                g = p.grad
                if g is None:
                    continue
                if maximize or type(g) is not np.ndarray:
                    g = self._grad(p, maximize)
                if weight_decay:
                    g = g + weight_decay * p.data
                if momentum:
                    state = self.state.setdefault(p, {})
                    buf = state.get("momentum_buffer")
                    if buf is None:
                        buf = state["momentum_buffer"] = np.array(g, dtype=p.data.dtype)
                    else:
                        buf *= momentum
                        buf += (1 - dampening) * g if dampening else g
                    g = g + momentum * buf if nesterov else buf
                data = p.data
                if (
                    g.nbytes >= _SCRATCH_BYTES
                    and type(lr) is float
                    and g.shape == data.shape
                    and g.dtype == data.dtype
                ):
                    # NOTE: data -= lr * g, the same two operations, with lr * g written
                    # into an array this optimizer keeps rather than a temporary freed
                    # every step (a large network's step would page it back in)
                    np.subtract(data, np.multiply(g, lr, out=self._scratch(g)), out=data)
                else:
                    data -= lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba) as ``torch.optim.Adam``: bias correction, amsgrad, weight decay.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
    θ ← θ − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).

    Args:
        params: the tensors to update, or parameter groups.
        lr: η (0 is allowed).
        betas: (β₁, β₂), each in [0, 1).
        eps: ε, added to the denominator.
        weight_decay: λ: an L2 term λθ added to the gradient, or with
            ``decoupled_weight_decay`` θ ← (1 − ηλ)θ before the update (AdamW).
        amsgrad: divide by the running maximum of v (Reddi et al.).
        maximize: ascend the objective instead of descending.
        decoupled_weight_decay: torch's switch that makes this AdamW.
        foreach, capturable, differentiable, fused: torch's implementation switches;
            accepted for torch's signature, with the same arithmetic whatever they say.
    """

    state_keys = ("step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        self._check(defaults)
        defaults["betas"] = tuple(float(b) for b in betas)
        super().__init__(params, defaults)

    def _check(self, group: dict[str, Any]) -> None:
        super()._check(group)
        eps = _real("eps", group["eps"])
        if eps < 0:
            raise ValueError(f"Invalid epsilon value: {eps} (it must be at least 0)")
        betas = group["betas"]
        if isinstance(betas, (str, bytes)) or not isinstance(betas, Iterable) or len(betas) != 2:
            raise TypeError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        for i, beta in enumerate(betas):
            beta = _real(f"betas[{i}]", beta)
            if not 0 <= beta < 1:
                raise ValueError(
                    f"Invalid beta parameter at index {i}: {beta} (it must lie in [0, 1))"
                )
        weight_decay = _real("weight_decay", group["weight_decay"])
        if weight_decay < 0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay} (it must be at least 0)")

    def _check_kind(self, saved: dict[str, Any]) -> None:
        ours = bool(self.defaults["decoupled_weight_decay"])
        theirs = saved.get("decoupled_weight_decay")
        if theirs is not None and bool(theirs) != ours:
            kind = "AdamW" if theirs else "Adam"
            raise ValueError(
                f"this optimizer state is {kind}'s (decoupled_weight_decay={bool(theirs)}) and "
                f"this optimizer is {'AdamW' if ours else 'Adam'}: load it into {kind}"
            )

    def step(self) -> None:
        """One Adam update of every parameter with a gradient, as ``torch.optim.Adam``.

        With t the parameter's own step count (from 1) and g ← ±∇L(θ) (+ λθ unless
        decoupled, where θ ← (1 − ηλ)θ first): m ← m + (1−β₁)(g − m) (torch's lerp);
        v ← β₂v + (1−β₂)g²;  v̂ = max of v so far with ``amsgrad``, else v;
        θ ← θ − (η / (1−β₁ᵗ)) · m / (√v̂ / √(1−β₂ᵗ) + ε). The bias correction makes the
        first step move each entry by about η·sign(g).

        >>> p = Tensor([1.0, 1.0], requires_grad=True)
        >>> opt = Adam([p], lr=0.1)
        >>> p.grad = np.array([4.0, -0.5])
        >>> opt.step()
        >>> np.round(p.data, 6).tolist()
        [0.9, 1.1]
        """
        autograd.report("call", self.step)  # NOTE: a captured step replays it
        for group in self.param_groups:
            lr, eps, weight_decay = group["lr"], group["eps"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                g = self._grad(p, group["maximize"])
                if g is None:
                    continue
                state = self.state.setdefault(p, {})
                if not state:
                    state["step"] = 0.0
                    state["exp_avg"] = np.zeros_like(p.data)
                    state["exp_avg_sq"] = np.zeros_like(p.data)
                    if group["amsgrad"]:
                        state["max_exp_avg_sq"] = np.zeros_like(p.data)
                state["step"] += 1
                t = state["step"]
                if weight_decay:
                    if group["decoupled_weight_decay"]:
                        p.data *= 1 - lr * weight_decay
                    else:
                        g = g + weight_decay * p.data
                m, v = state["exp_avg"], state["exp_avg_sq"]
                # NOTE: torch's lerp: m + w(g − m) for w < ½, else g − (g − m)(1 − w)
                w = 1 - beta1
                if w < 0.5:
                    m += w * (g - m)
                else:
                    m[...] = g - (g - m) * (1 - w)
                v *= beta2
                v += (1 - beta2) * g * g
                step_size = lr / (1 - beta1**t)
                root_correction = (1 - beta2**t) ** 0.5
                if group["amsgrad"]:
                    np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
                    denom = np.sqrt(state["max_exp_avg_sq"]) / root_correction + eps
                else:
                    denom = np.sqrt(v) / root_correction + eps
                p.data -= step_size * (m / denom)


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter) as ``torch.optim.AdamW``: Adam with decoupled weight decay.

    θ ← (1 − ηλ)θ, then Adam's step on the plain gradient. torch's default λ is 0.01.
    Its state says ``decoupled_weight_decay: True``, so it loads into AdamW and not
    into Adam.

    >>> p = Tensor([1.0], requires_grad=True)
    >>> opt = AdamW([p], lr=0.1)
    >>> p.grad = np.array([0.0])
    >>> opt.step()
    >>> round(float(p.data[0]), 12)  # only the decay: 1 − 0.1 · 0.01
    0.999
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )

"""Optimizers that update parameter tensors in place, building no graph.

The update rules and argument names follow ``torch.optim``, so the same
hyper-parameters give the same trajectory (tests check this to 1e-10).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tinygrad_mlp import autograd
from tinygrad_mlp.tensor import Tensor

__all__ = [
    "SGD",
    "Adam",
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "Optimizer",
    "StepLR",
    "clip_grad_norm_",
]


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


class Optimizer:
    """Holds a list of parameters; ``zero_grad()`` forgets their gradients."""

    def __init__(self, parameters: Iterable[Tensor], lr: float) -> None:
        self.parameters = list(parameters)
        if not self.parameters:
            raise ValueError("optimizer got an empty parameter list")
        if not lr > 0:
            raise ValueError(f"learning rate must be positive, got {lr}")
        self.lr = lr

    def zero_grad(self) -> None:
        """Set every parameter's gradient to None (PyTorch's default)."""
        autograd.report("call", self.zero_grad)  # NOTE: a captured step replays this call
        for p in self.parameters:
            p.grad = None

    def step(self) -> None:
        """Update every parameter in place from its ``.grad``; subclasses give the rule.

        Call after ``loss.backward()``; parameters whose ``.grad`` is None are skipped.
        """
        raise NotImplementedError

    # -- state, as torch.optim: {"state": {k: {...}}, "param_groups": [{..., "params"}]} --

    def _group(self) -> dict[str, Any]:
        """This optimizer's hyper-parameters, as torch names them."""
        return {"lr": self.lr}

    def _set_group(self, group: dict[str, Any]) -> None:
        self.lr = float(group["lr"])

    def _state(self, k: int) -> dict[str, Any]:
        """Parameter k's running state (empty before its first step)."""
        return {}

    def _set_state(self, k: int, entry: dict[str, Any]) -> None:
        pass

    def state_dict(self) -> dict[str, Any]:
        """Hyper-parameters and running state (copies), in torch.optim's layout.

        ``{"state": {k: {...}}, "param_groups": [{hyper-parameters, "params": [0, 1, ...]}]}``,
        k indexing the parameter list; ``load_state_dict`` takes it back, or torch's own
        (tensors converted with ``numpy.asarray``), to resume or continue elsewhere.

        >>> from tinygrad_mlp.nn import Linear
        >>> opt = Adam(Linear(2, 1, seed=0).parameters(), lr=0.01)
        >>> opt.state_dict()["param_groups"][0]["params"]
        [0, 1]
        """
        state = {}
        for k in range(len(self.parameters)):
            entry = self._state(k)
            if entry:
                state[k] = entry
        group = {**self._group(), "params": list(range(len(self.parameters)))}
        return {"state": state, "param_groups": [group]}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and running state from :meth:`state_dict`.

        Everything is checked before anything is changed: one parameter group with as
        many parameters as this optimizer's, each state array of its parameter's shape
        (cast to its dtype).
        """
        if "param_groups" not in state_dict:  # as read back from an .npz: dotted keys
            state_dict = _nested_state(state_dict)
        try:
            groups, states = state_dict["param_groups"], state_dict.get("state", {})
        except (KeyError, TypeError, AttributeError):
            raise ValueError("an optimizer state has 'state' and 'param_groups' entries") from None
        if len(groups) != 1:
            raise ValueError(f"optimizer state has {len(groups)} parameter groups; expected 1")
        group = dict(groups[0])
        ids = list(group.get("params", []))
        if len(ids) != len(self.parameters):
            raise ValueError(
                f"optimizer state holds {len(ids)} parameters; this optimizer has "
                f"{len(self.parameters)}"
            )
        position = {pid: k for k, pid in enumerate(ids)}
        entries: dict[int, dict[str, Any]] = {}
        for pid, entry in states.items():
            if pid not in position:
                raise ValueError(f"optimizer state has an entry for unknown parameter {pid!r}")
            k = position[pid]
            p = self.parameters[k]
            checked = {}
            for key, value in entry.items():
                array = np.asarray(value, dtype=np.float64)
                if key != "step" and array.shape != p.data.shape:
                    raise ValueError(
                        f"optimizer state {key!r} of parameter {k} has shape {array.shape}, "
                        f"the parameter {p.data.shape}"
                    )
                checked[key] = array.astype(p.data.dtype) if key != "step" else array
            entries[k] = checked
        self._check_group(group)
        self._set_group(group)
        for k in range(len(self.parameters)):
            self._set_state(k, entries.get(k, {}))

    def _check_group(self, group: dict[str, Any]) -> None:
        """Refuse settings this optimizer does not implement (torch's extras)."""

    @staticmethod
    def _gradient(p: Tensor, weight_decay: float) -> np.ndarray | None:
        """∂L/∂p plus the L2 term λp (None if p got no gradient)."""
        grad = p.grad
        if isinstance(grad, Tensor):  # NOTE: a gradient that is a node (create_graph=True)
            grad = grad.data
        if grad is None or not weight_decay:
            return grad
        return grad + weight_decay * p.data


class SGD(Optimizer):
    """Gradient descent, the cheat sheet's θ ← θ − η ∇L(θ), with PyTorch's extras.

    With ``weight_decay`` λ the gradient is g + λθ; with ``momentum`` μ a velocity
    v ← μ v + g (v = g on the first step) replaces g, and ``nesterov`` uses g + μ v.
    Parameters without a gradient (not reached by the last backward) are left alone.

    Args:
        parameters: the tensors to update (``net.parameters()``).
        lr: the learning rate η.
        momentum: μ, 0 for plain SGD.
        weight_decay: λ, an L2 penalty.
        nesterov: Nesterov momentum.
    """

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        super().__init__(parameters, lr)
        if momentum < 0 or weight_decay < 0:
            raise ValueError("momentum and weight_decay must not be negative")
        if nesterov and momentum == 0:
            raise ValueError("nesterov momentum needs momentum > 0")
        self.momentum, self.weight_decay, self.nesterov = momentum, weight_decay, nesterov
        self.velocity: list[np.ndarray | None] = [None] * len(self.parameters)

    def _group(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "momentum": self.momentum,
            "dampening": 0.0,
            "weight_decay": self.weight_decay,
            "nesterov": self.nesterov,
        }

    def _check_group(self, group: dict[str, Any]) -> None:
        if group.get("dampening", 0) or group.get("maximize", False):
            raise ValueError("this SGD has no dampening or maximize; the state uses them")

    def _set_group(self, group: dict[str, Any]) -> None:
        self.lr = float(group["lr"])
        self.momentum = float(group.get("momentum", 0.0))
        self.weight_decay = float(group.get("weight_decay", 0.0))
        self.nesterov = bool(group.get("nesterov", False))

    def _state(self, k: int) -> dict[str, Any]:
        v = self.velocity[k]
        return {} if v is None else {"momentum_buffer": v.copy()}

    def _set_state(self, k: int, entry: dict[str, Any]) -> None:
        v = entry.get("momentum_buffer")
        self.velocity[k] = None if v is None else np.array(v)

    def step(self) -> None:
        """One update of every parameter with a gradient, as ``torch.optim.SGD`` does it.

        g ← ∇L(θ) + λθ;  with μ > 0: b ← μb + g (b = g on the first step), then
        g ← g + μb (Nesterov) or g ← b;  finally θ ← θ − ηg. No dampening.

        >>> p = Tensor([1.0], requires_grad=True)
        >>> opt = SGD([p], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     p.grad = np.array([1.0])
        ...     opt.step()
        >>> np.round(p.data, 12).tolist()  # 1 − 0.1·1 − 0.1·(0.9·1 + 1)
        [0.71]
        """
        autograd.report("call", self.step)
        for k, p in enumerate(self.parameters):
            g = self._gradient(p, self.weight_decay)
            if g is None:
                continue
            if self.momentum:
                v = self.velocity[k]
                if v is None:
                    v = self.velocity[k] = np.array(g, dtype=p.data.dtype)
                else:
                    v *= self.momentum
                    v += g
                g = g + self.momentum * v if self.nesterov else v
            p.data -= self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba), with PyTorch's bias correction and L2 ``weight_decay``.

    m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;
    θ ← θ − η · (m / (1−β₁ᵗ)) / (√(v / (1−β₂ᵗ)) + ε).
    """

    def __init__(
        self,
        parameters: Iterable[Tensor],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(parameters, lr)
        beta1, beta2 = betas
        if not (0 <= beta1 < 1 and 0 <= beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.betas, self.eps, self.weight_decay = (beta1, beta2), eps, weight_decay
        self.m = [np.zeros_like(p.data) for p in self.parameters]
        self.v = [np.zeros_like(p.data) for p in self.parameters]
        self.steps = [0] * len(self.parameters)

    def _group(self) -> dict[str, Any]:
        return {
            "lr": self.lr,
            "betas": self.betas,
            "eps": self.eps,
            "weight_decay": self.weight_decay,
            "amsgrad": False,
        }

    def _check_group(self, group: dict[str, Any]) -> None:
        if group.get("amsgrad", False) or group.get("maximize", False):
            raise ValueError("this Adam has no amsgrad or maximize; the state uses them")

    def _set_group(self, group: dict[str, Any]) -> None:
        self.lr = float(group["lr"])
        beta1, beta2 = (float(b) for b in group["betas"])
        self.betas = (beta1, beta2)
        self.eps = float(group["eps"])
        self.weight_decay = float(group.get("weight_decay", 0.0))

    def _state(self, k: int) -> dict[str, Any]:
        if not self.steps[k]:
            return {}
        return {
            "step": float(self.steps[k]),
            "exp_avg": self.m[k].copy(),
            "exp_avg_sq": self.v[k].copy(),
        }

    def _set_state(self, k: int, entry: dict[str, Any]) -> None:
        p = self.parameters[k]
        if not entry:
            self.steps[k] = 0
            self.m[k], self.v[k] = np.zeros_like(p.data), np.zeros_like(p.data)
            return
        self.steps[k] = int(entry["step"])
        self.m[k], self.v[k] = np.array(entry["exp_avg"]), np.array(entry["exp_avg_sq"])

    def step(self) -> None:
        """One Adam update of every parameter with a gradient, as ``torch.optim.Adam``.

        With t the parameter's own step count (from 1) and g ← ∇L(θ) + λθ:
        m ← β₁m + (1−β₁)g;  v ← β₂v + (1−β₂)g²;  m̂ = m / (1−β₁ᵗ);  v̂ = v / (1−β₂ᵗ);
        θ ← θ − η m̂ / (√v̂ + ε). The bias correction makes the first step move each
        entry by about η·sign(g).

        >>> p = Tensor([1.0, 1.0], requires_grad=True)
        >>> opt = Adam([p], lr=0.1)
        >>> p.grad = np.array([4.0, -0.5])
        >>> opt.step()
        >>> np.round(p.data, 6).tolist()
        [0.9, 1.1]
        """
        autograd.report("call", self.step)
        beta1, beta2 = self.betas
        for k, p in enumerate(self.parameters):
            g = self._gradient(p, self.weight_decay)
            if g is None:
                continue
            self.steps[k] += 1
            t = self.steps[k]
            m, v = self.m[k], self.v[k]
            m *= beta1
            m += (1 - beta1) * g
            v *= beta2
            v += (1 - beta2) * g * g
            m_hat = m / (1 - beta1**t)
            denom = np.sqrt(v / (1 - beta2**t)) + self.eps
            p.data -= self.lr * m_hat / denom


# --------------------------------------------------------------------------- schedules


class LRScheduler:
    """Sets ``optimizer.lr`` from the epoch count, as ``torch.optim.lr_scheduler`` does.

    Call ``step()`` once per epoch, after the epoch's ``optimizer.step()`` calls.
    ``last_epoch`` counts those calls; ``get_last_lr()`` is ``[lr]`` (torch's list
    of one learning rate per parameter group, here one group).
    """

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        self._last_lr = [optimizer.lr]

    def lr_at(self, epoch: int) -> float:
        """The learning rate for epoch ``epoch`` (0 is the optimizer's initial rate η₀).

        A closed form of the epoch count, so a schedule can be resumed at any epoch.
        """
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)
        self._last_lr = [self.optimizer.lr]

    def get_last_lr(self) -> list[float]:
        """The learning rate set by the last ``step()``, as torch's one-entry list ``[lr]``."""
        return list(self._last_lr)


class StepLR(LRScheduler):
    """η_t = η₀ · γ^⌊t / step_size⌋: the rate drops by γ every ``step_size`` epochs.

    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> [(sched.step(), opt.lr)[1] for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, epoch: int) -> float:
        """η₀ · γ^⌊epoch / step_size⌋."""
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """η_t = η₀ · γ^t.

    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, epoch: int) -> float:
        """η₀ · γ^epoch."""
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η₀ − η_min) · (1 + cos(π t / T_max)) / 2 (SGDR without restarts).

    Past ``T_max`` the cosine goes on (back up to η₀ at 2·T_max), as torch's does.

    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> [round((sched.step(), opt.lr)[1], 12) for _ in range(2)]
    [0.5, 0.0]
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:  # noqa: N803 -- torch's name
        if T_max < 1:
            raise ValueError(f"T_max must be at least 1, got {T_max}")
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, epoch: int) -> float:
        """η_min + (η₀ − η_min) · (1 + cos(π · epoch / T_max)) / 2."""
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine


def clip_grad_norm_(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
) -> Tensor:
    """Scale the gradients in place so that their joint norm is at most ``max_norm``.

    The total norm is ‖(‖g₁‖, ‖g₂‖, ...)‖ (the p-norm of all gradient entries, p =
    ``norm_type``, ``inf`` for the largest magnitude); if it exceeds ``max_norm``
    every gradient is multiplied by max_norm / (total + 1e-6), as
    ``torch.nn.utils.clip_grad_norm_`` does. Parameters without a gradient are
    skipped.

    Returns:
        The total norm before clipping, as a 0-d Tensor (``.item()`` for a float).

    >>> p = Tensor([0.0, 0.0], requires_grad=True)
    >>> p.grad = np.array([3.0, 4.0])
    >>> clip_grad_norm_([p], max_norm=1.0).item()
    5.0
    >>> np.round(p.grad, 6).tolist()
    [0.6, 0.8]
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    parameters = list(parameters)
    autograd.report("call", clip_grad_norm_, parameters, max_norm, norm_type, error_if_nonfinite)
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return Tensor(0.0)
    norm_type = float(norm_type)
    if math.isinf(norm_type):
        total = max(float(np.max(np.abs(g))) if np.size(g) else 0.0 for g in grads)
    else:
        total = float(np.sum([np.sum(np.abs(g) ** norm_type) for g in grads]) ** (1.0 / norm_type))
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is {total}; "
            "pass error_if_nonfinite=False to clip anyway"
        )
    coef = max_norm / (total + 1e-6)
    if coef < 1.0:
        for p in parameters:
            if p.grad is not None:
                p.grad = p.grad * coef
    return Tensor(total)

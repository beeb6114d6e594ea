"""Learning-rate schedules as ``torch.optim.lr_scheduler``'s, in torch's chainable form.

Each ``step()`` reads every parameter group's *current* ``lr`` and updates it (StepLR
multiplies it by γ at each ``step_size``), so two schedulers on one optimizer, or a rate
changed by hand between steps, compose exactly as in torch. Constructing a scheduler
takes its first step (epoch 0), as torch's does: ``LinearLR`` and ``ConstantLR`` scale
the rate at once, the others leave it. ``get_last_lr()``, ``last_epoch`` and
``state_dict()`` / ``load_state_dict()`` are torch's (a torch scheduler's state loads).

The module is long because it is torch's scheduler family, one small class per
schedule on one chainable base, each needing its own ``state_dict``.
"""

from __future__ import annotations

import math
import types
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tinygrad_mlp.optim.optimizer import Optimizer

#: Entries of a torch scheduler's state that only drive torch's warnings.
_TORCH_ONLY = ("_get_lr_called_within_step", "verbose", "_opt_called")


def _group_lrs(optimizer: Optimizer) -> list[float]:
    return [group["lr"] for group in optimizer.param_groups]


class LRScheduler:
    """The base of the epoch schedulers: ``step()`` once per epoch, after the optimizer's.

    Args:
        optimizer: the optimizer whose groups' ``lr`` this sets.
        last_epoch: −1 to start; a later epoch only to resume, when every group holds
            the ``initial_lr`` a first scheduler wrote into it.
    """

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(
                        f"param_groups[{i}] has no 'initial_lr' to resume a scheduler at "
                        f"last_epoch={last_epoch}: load the optimizer's state first, or "
                        "start at last_epoch=-1"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self) -> None:
        """Take epoch 0's step, in the initial mode some rules read (torch's)."""
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self) -> list[float]:
        """The next learning rate of each group, from its current one (the chainable form)."""
        raise NotImplementedError

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group.

        >>> from tinygrad_mlp.optim import SGD
        >>> from tinygrad_mlp.tensor import Tensor
        >>> sched = StepLR(SGD([Tensor([1.0], requires_grad=True)], lr=1.0), step_size=1)
        >>> sched.step(); sched.get_last_lr()
        [0.1]
        """
        return list(self._last_lr)

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch and set every group's learning rate.

        Args:
            epoch: torch's deprecated jump to an epoch: the closed form where the
                schedule has one (with torch's warning); leave it out.
        """
        self._step_count += 1
        if epoch is not None:
            warnings.warn(
                "the epoch argument of scheduler.step() is deprecated (as in torch): "
                "call step() without it",
                UserWarning,
                stacklevel=2,
            )
        self._update_lr(epoch)

    def _update_lr(self, epoch: int | None = None) -> None:
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_get_closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = _group_lrs(self.optimizer)

    def state_dict(self) -> dict[str, Any]:
        """Everything but the optimizer, as torch's (``last_epoch``, ``base_lrs``, ...)."""
        return {key: _copy(value) for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict` (ours or a torch scheduler's of the same kind).

        An entry this scheduler does not have is refused, in one sentence, before
        anything changes.
        """
        known = set(vars(self)) - {"optimizer"}
        unknown = sorted(set(state_dict) - known - set(_TORCH_ONLY))
        if unknown:
            raise ValueError(
                f"scheduler state has entries {type(self).__name__} does not keep "
                f"({', '.join(unknown)}); it was written by another scheduler"
            )
        for key, value in state_dict.items():
            if key in known:
                setattr(self, key, _copy(value))


def _copy(value: Any) -> Any:
    if isinstance(value, list):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return type(value)({k: _copy(v) for k, v in value.items()})
    return value


class _LambdaState:
    """torch's state for the lambda schedules: a callable object's ``__dict__``, not a function."""

    lr_lambdas: list[Callable[[int], float]]

    def _lambdas(self, optimizer: Optimizer, lr_lambda: Any) -> list[Callable[[int], float]]:
        n = len(optimizer.param_groups)
        if not isinstance(lr_lambda, (list, tuple)):
            lambdas = [lr_lambda] * n
        elif len(lr_lambda) != n:
            raise ValueError(f"expected {n} lr_lambdas (one per group), got {len(lr_lambda)}")
        else:
            lambdas = list(lr_lambda)
        for fn in lambdas:
            if not callable(fn):
                raise TypeError(f"lr_lambda must be a function, got {type(fn).__name__}")
        return lambdas

    def state_dict(self) -> dict[str, Any]:
        """The state, with each lambda as None (a function) or its object's ``__dict__``."""
        state = {k: _copy(v) for k, v in vars(self).items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [
            None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
            for fn in self.lr_lambdas
        ]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`; callable objects get their ``__dict__`` back."""
        state = dict(state_dict)
        lambdas = state.pop("lr_lambdas", [None] * len(self.lr_lambdas))
        LRScheduler.load_state_dict(self, state)  # type: ignore[arg-type]
        for fn, saved in zip(self.lr_lambdas, lambdas, strict=True):
            if saved is not None:
                fn.__dict__.update(saved)


class LambdaLR(_LambdaState, LRScheduler):
    """η_t = η₀ · λ(t), λ a function of the epoch (one per group, or one for all).

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = LambdaLR(opt, lambda t: 1 / (t + 1))
    >>> sched.step(); opt.lr
    0.5
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        self.lr_lambdas = self._lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """η₀ · λ(t) for each group (a closed form: a rate set by hand is overwritten)."""
        return [
            base * fn(self.last_epoch)
            for fn, base in zip(self.lr_lambdas, self.base_lrs, strict=True)
        ]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """η_t = η_{t−1} · λ(t): each step multiplies the current rate by λ(epoch).

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = MultiplicativeLR(opt, lambda t: 0.5)
    >>> sched.step(); sched.step(); opt.lr
    0.25
    """

    def __init__(self, optimizer: Optimizer, lr_lambda: Any, last_epoch: int = -1) -> None:
        self.lr_lambdas = self._lambdas(optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rate times λ(t) (unchanged at epoch 0)."""
        if self._is_initial:
            return _group_lrs(self.optimizer)
        return [
            group["lr"] * fn(self.last_epoch)
            for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups, strict=True)
        ]


class StepLR(LRScheduler):
    """η_t = η₀ · γ^⌊t / step_size⌋: the rate drops by γ every ``step_size`` epochs.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = StepLR(opt, step_size=2, gamma=0.5)
    >>> [(sched.step(), opt.lr)[1] for _ in range(4)]
    [1.0, 0.5, 0.5, 0.25]
    """

    def __init__(
        self, optimizer: Optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1
    ) -> None:
        # NOTE: torch takes step_size 0 and fails later with ZeroDivisionError
        if step_size < 1:
            raise ValueError(f"step_size must be at least 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rate, times γ when the epoch is a multiple of ``step_size``."""
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return _group_lrs(self.optimizer)
        return [lr * self.gamma for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """η_t = η₀ · γ^(milestones passed): the rate drops by γ at each milestone epoch.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = MultiStepLR(opt, milestones=[1, 3], gamma=0.5)
    >>> [(sched.step(), opt.lr)[1] for _ in range(4)]
    [0.5, 0.5, 0.25, 0.25]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: Iterable[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
    ) -> None:
        self.milestones = Counter(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rate, times γ^(count) at a milestone (a repeated one counts twice)."""
        if self.last_epoch not in self.milestones:
            return _group_lrs(self.optimizer)
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        milestones = sorted(self.milestones.elements())
        return [
            base * self.gamma ** bisect_right(milestones, self.last_epoch) for base in self.base_lrs
        ]


class ConstantLR(LRScheduler):
    """η_t = η₀ · factor for t < ``total_iters``, then η₀.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ConstantLR(opt, factor=0.5, total_iters=2)
    >>> [opt.lr] + [(sched.step(), opt.lr)[1] for _ in range(2)]
    [0.5, 0.5, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        factor: float = 1.0 / 3,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if factor > 1.0 or factor < 0:
            raise ValueError(f"ConstantLR's factor must lie in [0, 1], got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """Times ``factor`` at epoch 0, divided by it at ``total_iters``, else unchanged."""
        if self.last_epoch == 0:
            return [lr * self.factor for lr in _group_lrs(self.optimizer)]
        if self.last_epoch != self.total_iters:
            return _group_lrs(self.optimizer)
        return [lr * (1.0 / self.factor) for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        done = self.last_epoch >= self.total_iters
        return [base * (self.factor + done * (1 - self.factor)) for base in self.base_lrs]


class LinearLR(LRScheduler):
    """η_t goes linearly from η₀ · start_factor to η₀ · end_factor over ``total_iters``.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = LinearLR(opt, start_factor=0.5, total_iters=2)
    >>> [opt.lr] + [(sched.step(), opt.lr)[1] for _ in range(3)]
    [0.5, 0.75, 1.0, 1.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        start_factor: float = 1.0 / 3,
        end_factor: float = 1.0,
        total_iters: int = 5,
        last_epoch: int = -1,
    ) -> None:
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError(f"LinearLR's start_factor must lie in (0, 1], got {start_factor}")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError(f"LinearLR's end_factor must lie in [0, 1], got {end_factor}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rate times the ratio of this epoch's factor to the last one's."""
        if self.last_epoch == 0:
            return [lr * self.start_factor for lr in _group_lrs(self.optimizer)]
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_lrs(self.optimizer)
        slope = self.end_factor - self.start_factor
        ratio = 1.0 + slope / (self.total_iters * self.start_factor + (self.last_epoch - 1) * slope)
        return [lr * ratio for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        done = min(self.total_iters, self.last_epoch) / self.total_iters
        return [
            base * (self.start_factor + (self.end_factor - self.start_factor) * done)
            for base in self.base_lrs
        ]


class ExponentialLR(LRScheduler):
    """η_t = η₀ · γ^t.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ExponentialLR(opt, gamma=0.5)
    >>> sched.step(); sched.get_last_lr()
    [0.5]
    """

    def __init__(self, optimizer: Optimizer, gamma: float, last_epoch: int = -1) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rate times γ (unchanged at epoch 0)."""
        if self._is_initial:
            return _group_lrs(self.optimizer)
        return [lr * self.gamma for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class PolynomialLR(LRScheduler):
    """η_t = η₀ · (1 − min(t, total_iters) / total_iters)^power.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = PolynomialLR(opt, total_iters=2)
    >>> [(sched.step(), opt.lr)[1] for _ in range(3)]
    [0.5, 0.0, 0.0]
    """

    def __init__(
        self, optimizer: Optimizer, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1
    ) -> None:
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The current rate times this epoch's decay over the last one's."""
        if self._is_initial or self.last_epoch > self.total_iters:
            return _group_lrs(self.optimizer)
        t, n = self.last_epoch, self.total_iters
        decay = ((1.0 - t / n) / (1.0 - (t - 1) / n)) ** self.power
        return [lr * decay for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        left = 1.0 - min(self.total_iters, self.last_epoch) / self.total_iters
        return [base * left**self.power for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """η_t = η_min + (η₀ − η_min) · (1 + cos(π t / T_max)) / 2 (SGDR without restarts).

    Stepped in torch's recursive form, from the current rate; past ``T_max`` the cosine
    goes on (back up to η₀ at 2·T_max), as torch's does.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = CosineAnnealingLR(opt, T_max=2)
    >>> [round((sched.step(), opt.lr)[1], 12) for _ in range(2)]
    [0.5, 0.0]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,  # noqa: N803 -- torch's name
        eta_min: float = 0.0,
        last_epoch: int = -1,
    ) -> None:
        if T_max < 1:
            raise ValueError(f"T_max must be at least 1, got {T_max}")
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        """The next rate of the cosine from the current one (torch's recursion)."""
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return _group_lrs(self.optimizer)
        if self._step_count == 1 and t > 0:  # resumed at a later epoch: the closed form
            return [
                low + (base - low) * (1 + math.cos(t * math.pi / T)) / 2 for base in self.base_lrs
            ]
        if (t - 1 - T) % (2 * T) == 0:  # the turn at the bottom
            return [
                lr + (base - low) * (1 - math.cos(math.pi / T)) / 2
                for base, lr in zip(self.base_lrs, _group_lrs(self.optimizer), strict=True)
            ]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - low) + low for lr in _group_lrs(self.optimizer)]

    def _get_closed_form_lr(self) -> list[float]:
        t, T, low = self.last_epoch, self.T_max, self.eta_min
        return [low + (base - low) * (1 + math.cos(math.pi * t / T)) / 2 for base in self.base_lrs]


def _check_members(kind: str, optimizer: Optimizer, schedulers: Sequence[Any]) -> None:
    if len(schedulers) < 1:
        raise ValueError(f"{kind} needs at least one scheduler, got none")
    for i, scheduler in enumerate(schedulers):
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(
                f"{kind} cannot hold ReduceLROnPlateau (index {i}): its step() needs the metric"
            )
        if getattr(scheduler, "optimizer", None) is not optimizer:
            raise ValueError(
                f"{kind} needs every scheduler on the same optimizer; the one at index {i} "
                "has another"
            )


class _Composite:
    """State of a scheduler made of schedulers: its own entries and each member's."""

    _schedulers: list[Any]

    def state_dict(self) -> dict[str, Any]:
        """Own entries, and ``_schedulers``: each member's ``state_dict()`` (torch's layout)."""
        state = {
            k: _copy(v) for k, v in vars(self).items() if k not in ("optimizer", "_schedulers")
        }
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Continue from :meth:`state_dict`, each member from its own entry."""
        state = dict(state_dict)
        members = state.pop("_schedulers")
        if len(members) != len(self._schedulers):
            raise ValueError(
                f"scheduler state holds {len(members)} schedulers; this one has "
                f"{len(self._schedulers)}"
            )
        for key, value in state.items():
            if key not in _TORCH_ONLY:
                setattr(self, key, _copy(value))
        for scheduler, saved in zip(self._schedulers, members, strict=True):
            scheduler.load_state_dict(saved)

    def get_last_lr(self) -> list[float]:
        """The learning rates the last ``step()`` set, one per parameter group."""
        return list(self._last_lr)


class ChainedScheduler(_Composite):
    """Steps every scheduler in turn at each ``step()``: their effects multiply.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ChainedScheduler([ExponentialLR(opt, 0.5), StepLR(opt, 2, gamma=0.1)])
    >>> [round((sched.step(), opt.lr)[1], 12) for _ in range(2)]
    [0.5, 0.025]
    """

    def __init__(
        self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None
    ) -> None:
        optimizer = optimizer or (schedulers[0].optimizer if schedulers else None)
        _check_members("ChainedScheduler", optimizer, schedulers)  # type: ignore[arg-type]
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = _group_lrs(optimizer)  # type: ignore[arg-type]

    def step(self) -> None:
        """Step each scheduler, in order."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = _group_lrs(self.optimizer)  # type: ignore[arg-type]


class SequentialLR(_Composite):
    """One scheduler after another: the k-th takes over at ``milestones[k − 1]``.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> warm = ConstantLR(opt, factor=0.1, total_iters=2)
    >>> sched = SequentialLR(opt, [warm, ExponentialLR(opt, 0.5)], milestones=[2])
    >>> [opt.lr] + [round((sched.step(), opt.lr)[1], 12) for _ in range(3)]
    [0.1, 0.1, 1.0, 0.5]
    """

    def __init__(
        self,
        optimizer: Optimizer,
        schedulers: list[LRScheduler],
        milestones: list[int],
        last_epoch: int = -1,
    ) -> None:
        _check_members("SequentialLR", optimizer, schedulers)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(
                f"SequentialLR needs one milestone fewer than schedulers, got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones"
            )
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # NOTE: as torch: undo the members' construction steps, then start the first
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for scheduler in self._schedulers:
            scheduler.last_epoch -= 1
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self) -> None:
        """Step the scheduler whose turn it is (restarted at its epoch 0 on its milestone)."""
        self.last_epoch += 1
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()


class ReduceLROnPlateau(LRScheduler):
    """Divides the rate by 1/``factor`` when a watched metric stops improving.

    ``step(metric)`` once per epoch: after more than ``patience`` epochs without an
    improvement (by ``threshold``, relative or absolute), every group's rate becomes
    max(lr · factor, min_lr), then ``cooldown`` epochs pass before counting again.

    >>> from tinygrad_mlp.optim import SGD
    >>> from tinygrad_mlp.tensor import Tensor
    >>> opt = SGD([Tensor([1.0], requires_grad=True)], lr=1.0)
    >>> sched = ReduceLROnPlateau(opt, patience=1, factor=0.5)
    >>> for loss in [3.0, 3.0, 3.0]:
    ...     sched.step(loss)
    >>> opt.lr
    0.5
    """

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: list[float] | float = 0,
        eps: float = 1e-8,
    ) -> None:
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau's factor must be below 1, got {factor}")
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        if mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"threshold_mode must be 'rel' or 'abs', got {threshold_mode!r}")
        self.factor = factor
        self.optimizer = optimizer
        n = len(optimizer.param_groups)
        if isinstance(min_lr, (list, tuple)):
            if len(min_lr) != n:
                raise ValueError(f"expected {n} min_lrs (one per group), got {len(min_lr)}")
            self.default_min_lr, self.min_lrs = None, list(min_lr)
        else:
            self.default_min_lr, self.min_lrs = min_lr, [min_lr] * n
        self.patience, self.cooldown, self.eps = patience, cooldown, eps
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.mode_worse = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0
        self._last_lr = _group_lrs(optimizer)
        self.best, self.cooldown_counter, self.num_bad_epochs = self.mode_worse, 0, 0

    def _is_better(self, a: float, best: float) -> bool:
        relative = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < best * (1.0 - self.threshold) if relative else a < best - self.threshold
        return a > best * (1.0 + self.threshold) if relative else a > best + self.threshold

    def step(self, metrics: float, epoch: int | None = None) -> None:  # type: ignore[override]
        """Count this epoch's ``metrics`` (a loss, or a score in mode 'max')."""
        current = float(metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, low in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, low)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = _group_lrs(self.optimizer)

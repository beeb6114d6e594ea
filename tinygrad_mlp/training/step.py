"""One minibatch's update as :func:`~tinygrad_mlp.training.fit.fit` and the studio run it,
captured by :func:`tinygrad_mlp.compile` wherever the graph is static.

A :class:`TrainStep` takes one of two shapes:

- **whole** (nothing looks in between): ``zero_grad``, the forward, the loss,
  ``backward``, ``clip_grad_norm_`` and the optimizer's update, all one captured step;
- **watched** (a health :class:`~tinygrad_mlp.health.Monitor`, or a hook that runs
  after ``backward`` and before the update): ``zero_grad``, the forward, the loss and
  ``backward`` are captured; the step also returns the layers' outputs the monitor's
  hooks collected (:meth:`~tinygrad_mlp.health.Monitor.collecting`), which a replay
  returns from its buffers. Outside the capture the monitor counts them, the hook runs
  (it sees each gradient as ``backward`` left it and the weights before the update), and
  then the clip and the optimizer's update run as eager code.

Either way the numbers are eager's to the last bit: a replay repeats eager's
operations one for one, and the monitor is handed the same arrays in the same order.
Sample weights enter the captured step as an argument (each sample's share of the
batch's weight, computed outside the graph), so they change from batch to batch
without a new capture; a batch whose weights are all 0 has a loss of the constant 0,
a graph of its own.

The step runs eagerly throughout when ``config.compile`` is off, or when a module of
the network has a forward hook that is not the monitor's (a replay runs no hook: the
hook would see the first calls only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from tinygrad_mlp.compiled import compile as compile_step
from tinygrad_mlp.losses import loss_function
from tinygrad_mlp.optim import Optimizer, clip_grad_norm_
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.training.config import MODEL_LOSSES, TrainConfig

__all__ = ["TrainStep", "batch_loss", "foreign_hooks", "shared_loss", "weight_shares"]


def batch_loss(model: Any, out: Tensor, z: np.ndarray, weight: np.ndarray | None = None) -> Tensor:
    """The loss of one batch as training minimizes it: the loss of
    :data:`~tinygrad_mlp.training.config.MODEL_LOSSES` that the model's word trains
    (``mse`` as a mean over the batch's samples, in normalized units).

    With ``weight`` (one number per sample) the mean is weighted, Σ wᵢ ℓᵢ / Σ wᵢ, as
    scikit-learn's MLPs weight samples (``mse`` and ``ce`` models).
    """
    if weight is not None:
        return shared_loss(model, out, z, weight_shares(weight))
    loss = loss_function(MODEL_LOSSES[model.loss])(out, z)
    return loss * (1.0 / len(z)) if model.loss == "mse" else loss


def weight_shares(weight: np.ndarray) -> np.ndarray | float:
    """Each sample's share of its batch's weight, wᵢ / Σ w (0.0 if the weights are all 0)."""
    w = np.asarray(weight, dtype=np.float64)
    total = float(w.sum())
    return w / total if total > 0 else 0.0


def shared_loss(model: Any, out: Tensor, z: np.ndarray, share: np.ndarray | float) -> Tensor:
    """Σ shareᵢ ℓᵢ: the weighted mean of the samples' losses, given the shares
    (:func:`weight_shares`); a share of 0.0 is a batch that teaches nothing."""
    if isinstance(share, float):
        return (out * 0.0).sum()  # NOTE: a batch of zero weights teaches nothing
    if model.loss == "mse":
        diff = out - Tensor(np.asarray(z, dtype=np.float64))
        per_sample = (diff * diff).sum(axis=1) * 0.5
    elif model.loss == "ce":
        per_sample = loss_function(MODEL_LOSSES["ce"])(out, z, reduction="none")
    else:
        raise ValueError(f"sample weights need loss mse or ce, not {model.loss}")
    return (per_sample * Tensor(share)).sum()


def foreign_hooks(net: Any, monitor: Any = None) -> bool:
    """Whether a module of ``net`` has a forward hook other than ``monitor``'s."""
    ours = set(monitor.handles) if monitor is not None else set()
    for module in net.modules():
        hooks = getattr(module, "_forward_hooks", None) or {}
        if any(handle not in ours for handle in hooks):
            return True
    return False


class TrainStep:
    """One minibatch's update: ``loss, out = step(xb, zb, weight, before_update)``.

    Args:
        model: the :class:`~tinygrad_mlp.io.SavedModel` to train (its ``net`` and loss).
        optimizer: the optimizer over the network's parameters.
        config: the settings (``compile``, ``clip_grad``).
        monitor: a :class:`~tinygrad_mlp.health.Monitor` on the network, fed every step.
        watched: take the watched shape even without a monitor (a hook runs between
            ``backward`` and the update).

    ``stats`` (the captured step's counts of captures, replays and eager calls) is
    None when the step is not captured.
    """

    def __init__(
        self,
        model: Any,
        optimizer: Optimizer,
        config: TrainConfig,
        monitor: Any = None,
        watched: bool = False,
    ) -> None:
        self.model, self.optimizer, self.config, self.monitor = model, optimizer, config, monitor
        self.net, self.params = model.net, model.net.parameters()
        self.watched = watched or monitor is not None
        raw = self._gradients if self.watched else self._whole
        captured = config.compile and not foreign_hooks(self.net, monitor)
        self.run: Callable[..., Any] = compile_step(raw) if captured else raw
        self.stats = getattr(self.run, "stats", None)

    def _loss(self, out: Tensor, zb: np.ndarray, share: Any) -> Tensor:
        if share is None:
            return batch_loss(self.model, out, zb)
        return shared_loss(self.model, out, zb, share)

    def _whole(self, xb: np.ndarray, zb: np.ndarray, share: Any) -> tuple[Tensor, Tensor]:
        self.optimizer.zero_grad()
        out = self.net(xb)
        loss = self._loss(out, zb, share)
        loss.backward()
        if self.config.clip_grad is not None:
            clip_grad_norm_(self.params, self.config.clip_grad)
        self.optimizer.step()
        return loss, out

    def _gradients(self, xb: np.ndarray, zb: np.ndarray, share: Any) -> tuple:
        self.optimizer.zero_grad()
        if self.monitor is not None:
            with self.monitor.collecting() as outputs:
                out = self.net(xb)
        else:
            out, outputs = self.net(xb), []
        loss = self._loss(out, zb, share)
        loss.backward()
        return loss, out, outputs

    def __call__(
        self,
        xb: np.ndarray,
        zb: np.ndarray,
        weight: np.ndarray | None = None,
        before_update: Callable[[], None] | None = None,
    ) -> tuple[Tensor, Tensor]:
        """Train on one batch; ``before_update()`` runs after ``backward``, before the
        update (a watched step only). Returns the batch's loss and the network's output."""
        share = None if weight is None else weight_shares(weight)
        if not self.watched:
            return self.run(xb, zb, share)
        loss, out, outputs = self.run(xb, zb, share)
        if self.monitor is not None:
            self.monitor.observe(outputs)
        if before_update is not None:
            before_update()
        if self.config.clip_grad is not None:
            clip_grad_norm_(self.params, self.config.clip_grad)
        self.optimizer.step()
        return loss, out

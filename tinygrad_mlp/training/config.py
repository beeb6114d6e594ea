"""Every training setting in one dataclass, its checks, the presets, and warm starts.

Errors speak the library's words: the setting's field name (``lr``,
``batch_size``), never a command-line flag. Each is a :class:`ConfigError`
whose ``fields`` name the settings, so a front-end can word them its own way:
the command line says ``--lr`` and ``--batch-size`` (see
:meth:`ConfigError.worded`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

from tinygrad_mlp import names
from tinygrad_mlp.data import StandardScaler
from tinygrad_mlp.names import ACTIVATIONS

__all__ = [
    "BOUNDED",
    "EARLY_STOPPING",
    "LOSSES",
    "MODEL_LOSSES",
    "NORMALIZE",
    "OPTIMIZERS",
    "PRESETS",
    "SCHEDULERS",
    "ConfigError",
    "TrainConfig",
    "config_fields",
    "loss_units",
    "warm_start",
]

#: What each loss word of a model (``TrainConfig.loss``, a model file's ``loss``) trains,
#: read from the registry: ``mse`` the sheet's ½-sum of the outputs; ``bce`` binary
#: cross-entropy with the output's sigmoid folded in, so it is ``bce_with_logits`` of the
#: outputs; ``ce`` softmax ``cross_entropy`` of the outputs.
MODEL_LOSSES: dict[str, str] = dict(names.MODEL_TRAINS)

#: The loss words a model accepts, in the order help texts list them.
LOSSES: tuple[str, ...] = names.MODEL_LOSSES

#: Output activations whose range bounds the (scaled) targets of an ``mse`` model.
BOUNDED = {"sigmoid": (0.0, 1.0), "tanh": (-1.0, 1.0)}
OPTIMIZERS = ("adam", "sgd", "momentum")
NORMALIZE = ("standard", "zero-to-one", "minus-one-to-one", "none")
SCHEDULERS = ("none", "step", "exponential", "cosine")

#: The early-stopping defaults (``patience``, ``tol``) of each loss word, used where a
#: :class:`TrainConfig` leaves them as None. NOTE: a smooth regression keeps improving by
#: small steps long after a classifier's accuracy has settled; with the classifiers' 10
#: epochs and 1e-4 it stopped at several times the RMSE the same network reaches when
#: trained to convergence (benchmarks/bench_cli.py measures both).
EARLY_STOPPING: dict[str, tuple[int, float]] = {
    "mse": (50, 1e-6),
    "bce": (10, 1e-4),
    "ce": (10, 1e-4),
}


class ConfigError(ValueError):
    """A setting out of range, worded with the settings' field names.

    ``template`` holds a ``{name}`` slot for each setting in ``fields``, and
    ``{value}``-style slots for the numbers, filled from ``values``;
    :meth:`worded` fills the setting slots with a front-end's own words.

    >>> error = ConfigError("{lr} must be positive, got {value}", ["lr"], value=0)
    >>> str(error)
    'lr must be positive, got 0'
    >>> error.worded(lambda name: "--" + name.replace("_", "-"))
    '--lr must be positive, got 0'
    """

    def __init__(self, template: str, fields: list[str], **values: Any) -> None:
        self.template, self.fields, self.values = template, list(fields), values
        super().__init__(self.worded(str))

    def worded(self, word: Callable[[str], str]) -> str:
        """The message with each setting named by ``word(field_name)``."""
        return self.template.format(**self.values, **{f: word(f) for f in self.fields})


@dataclass
class TrainConfig:
    """Every training setting. The defaults are for a person with a CSV file.

    ``epochs`` is an upper bound when early stopping is on (``patience`` > 0):
    training stops once the validation loss (the training loss when
    ``val_split`` is 0 or holds out too few rows, see
    :func:`~tinygrad_mlp.training.fit.split_rows`) has not improved by ``tol``
    times its first-epoch value for ``patience`` epochs, and the weights of the
    best epoch are kept. ``patience`` and ``tol`` left as None take the loss's
    defaults from :data:`EARLY_STOPPING` (50 epochs and 1e-6 for ``mse``, 10 and 1e-4
    for ``bce`` and ``ce``).

    >>> TrainConfig().epochs, TrainConfig().patience, TrainConfig(loss="ce").patience
    (3000, 50, 10)
    """

    hidden: list[int] = field(default_factory=lambda: [100])
    activation: str = "relu"
    output_activation: str | None = None
    loss: str = "mse"
    epochs: int = 3000
    lr: float = 1e-3
    batch_size: int = 200
    optimizer: str = "adam"
    momentum: float = 0.9
    weight_decay: float = 0.0
    normalize: str = "standard"
    seed: int = 0
    shuffle: bool = True
    val_split: float = 0.1
    patience: int | None = None
    tol: float | None = None
    scheduler: str = "none"
    step_size: int = 100
    gamma: float = 0.5
    clip_grad: float | None = None
    compile: bool = True

    def __post_init__(self) -> None:
        patience, tol = EARLY_STOPPING.get(self.loss, EARLY_STOPPING["ce"])
        if self.patience is None:
            self.patience = patience
        if self.tol is None:
            self.tol = tol

    def check(self) -> None:
        """Raise :class:`ConfigError` naming the first setting that is out of range.

        >>> TrainConfig(lr=0).check()
        Traceback (most recent call last):
        ...
        tinygrad_mlp.training.config.ConfigError: lr must be positive, got 0
        """
        if self.epochs < 1:
            raise ConfigError("{epochs} must be at least 1, got {v}", ["epochs"], v=self.epochs)
        if self.batch_size < 1:
            raise ConfigError(
                "{batch_size} must be at least 1, got {v}", ["batch_size"], v=self.batch_size
            )
        if not self.lr > 0:
            raise ConfigError("{lr} must be positive, got {v}", ["lr"], v=self.lr)
        if not self.hidden or any(not isinstance(n, int) or n < 1 for n in self.hidden):
            raise ConfigError(
                "{hidden} needs positive layer sizes, got {v}", ["hidden"], v=self.hidden
            )
        for name, choices in (
            ("loss", LOSSES),
            ("optimizer", OPTIMIZERS),
            ("normalize", NORMALIZE),
            ("scheduler", SCHEDULERS),
            ("activation", ACTIVATIONS),
        ):
            value = getattr(self, name)
            if value not in choices:
                raise ConfigError(
                    f"{{{name}}} must be one of {{choices}}, got {{v!r}}",
                    [name],
                    choices=", ".join(choices),
                    v=value,
                )
        if self.output_activation not in (None, *ACTIVATIONS):
            raise ConfigError(
                "{output_activation} must be one of {choices}, got {v!r}",
                ["output_activation"],
                choices=", ".join(ACTIVATIONS),
                v=self.output_activation,
            )
        if not 0 <= self.val_split < 1:
            raise ConfigError(
                "{val_split} must lie in [0, 1), got {v}", ["val_split"], v=self.val_split
            )
        if self.patience < 0:
            raise ConfigError(
                "{patience} must not be negative, got {v}", ["patience"], v=self.patience
            )
        if self.weight_decay < 0:
            raise ConfigError(
                "{weight_decay} must not be negative, got {v}",
                ["weight_decay"],
                v=self.weight_decay,
            )
        if self.clip_grad is not None and not self.clip_grad > 0:
            raise ConfigError(
                "{clip_grad} must be positive, got {v}", ["clip_grad"], v=self.clip_grad
            )
        if self.step_size < 1 or not self.gamma > 0:
            raise ConfigError(
                "{step_size} must be at least 1 and {gamma} positive", ["step_size", "gamma"]
            )
        if self.loss == "bce" and self.output_activation not in (None, "linear", "sigmoid"):
            raise ConfigError(
                "with {loss} bce the output is a sigmoid folded into the loss (trained on "
                "logits, the stable form); {output_activation} {v} cannot go with it",
                ["loss", "output_activation"],
                v=self.output_activation,
            )
        if self.loss == "ce" and self.output_activation not in (None, "linear"):
            raise ConfigError(
                "with {loss} ce the output layer gives logits and softmax is folded into the "
                "loss; {output_activation} {v} cannot go with it",
                ["loss", "output_activation"],
                v=self.output_activation,
            )

    @property
    def final_activation(self) -> str:
        """The output layer's activation in the saved network (logits for bce and ce)."""
        if MODEL_LOSSES[self.loss] != "mse":
            return "linear"
        return self.output_activation or "linear"


#: Named starting points; ``seed`` is the cheat sheet's own setting.
PRESETS: dict[str, dict[str, Any]] = {
    "default": {},
    "seed": {
        "hidden": [3],
        "activation": "sigmoid",
        "output_activation": "sigmoid",
        "epochs": 1000,
        "lr": 0.1,
        "batch_size": 1,
        "optimizer": "sgd",
        "normalize": "zero-to-one",
        "shuffle": False,
        "val_split": 0.0,
        "patience": 0,
    },
}


def config_fields() -> set[str]:
    """The names of :class:`TrainConfig`'s settings."""
    return {f.name for f in fields(TrainConfig)}


def loss_units(loss: str) -> str:
    """Words for the scale a reported loss is in (the same in train, test and the JSON).

    >>> loss_units("mse")
    "½ Σ (y − z)² per sample, in the data's units"
    """
    if loss == "mse":
        return "½ Σ (y − z)² per sample, in the data's units"
    if loss == "bce":
        return "binary cross-entropy in nats per output, mean over samples"
    return "cross-entropy in nats per sample"


def _normalize_name(scaler: Any) -> str:
    """The ``normalize`` setting a fitted scaler stands for."""
    if scaler is None:
        return "none"
    if isinstance(scaler, StandardScaler):
        return "standard"
    return {(0.0, 1.0): "zero-to-one", (-1.0, 1.0): "minus-one-to-one"}.get(
        tuple(scaler.feature_range), str(scaler.feature_range)
    )


def warm_start(start: Any, given: dict[str, Any], source: str) -> TrainConfig:
    """The settings to continue training ``start`` with: the model's own, except ``given``.

    ``start`` is a :class:`~tinygrad_mlp.io.SavedModel`; ``given`` holds the
    settings the user named. Those that define the model (hidden sizes,
    activations, loss, normalization) must agree with the model, else one
    :class:`ConfigError` names both; the model's scalers are kept, not refitted.
    """
    net = start.net
    hidden_acts = net.activations[:-1]
    own: dict[str, Any] = {
        "hidden": net.sizes[1:-1],
        "activation": hidden_acts[0] if hidden_acts else net.activations[-1],
        "loss": start.loss,
        "normalize": start.settings.get("normalize") or _normalize_name(start.input_scaler),
    }
    if start.loss == "mse":
        own["output_activation"] = net.activations[-1]
    if len(set(hidden_acts)) > 1:
        raise ValueError(
            f"{source}: its hidden layers mix activations ({', '.join(hidden_acts)}); "
            "training cannot continue such a network"
        )

    def shown(key: str, value: Any) -> str:
        if key == "hidden":
            return "-".join(map(str, [net.sizes[0], *value, net.sizes[-1]]))
        return str(value)

    for key, mine in own.items():
        wanted = given.get(key)
        if wanted is not None and wanted != mine:
            raise ConfigError(
                f"{{source}}: the model has {key.replace('_', ' ')} {{mine}}, but {{{key}}} "
                "asks for {wanted}",
                [key],
                source=source,
                mine=shown(key, mine),
                wanted=shown(key, wanted),
            )
    settings = {k: v for k, v in start.settings.items() if k in config_fields()}
    settings.update({k: v for k, v in given.items() if k in config_fields() and v is not None})
    settings.update(own)
    if settings.get("loss") != "mse":
        settings["output_activation"] = given.get("output_activation")
    return TrainConfig(**settings)

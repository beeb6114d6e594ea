"""Training, evaluating and predicting on tables: the seed system's workflow as an API.

The command line (``tinygrad-mlp train/test/predict``) and the scikit-learn
estimators (:mod:`tinygrad_mlp.sklearn`) are thin layers over these functions,
so a Python user gets exactly their numbers.

Losses, as the data they train on:

- ``mse``: regression. The loss of one sample is the cheat sheet's ½ Σ (y − z)²;
  a batch's loss is the mean of that over its samples, so the learning rate
  means the same for every batch size. The output layer is linear unless asked
  otherwise; targets are scaled as the inputs are (``normalize``: standard,
  the default, is mean 0 and sd 1; min-max onto [0, 1] or [-1, 1]), except
  that a sigmoid output takes [0, 1] and a tanh output [-1, 1]; predictions are
  mapped back to data units. Reported losses are always in data units, so
  ``train`` and ``test`` speak of the same number.
- ``bce``: one or more 0/1 columns. The output layer gives logits s and the
  loss is ``bce_with_logits`` (the sigmoid folded in: the stable pair);
  predictions are probabilities σ(s). ``output_activation="sigmoid"`` names
  this same pair.
- ``ce``: one column of class labels; one output node (a logit) per class and
  softmax cross-entropy; predictions are labels.

Defaults serve a person with a CSV file: standardized columns, minibatches of
200 rows, Adam with η = 0.001, a tenth of the rows held out for validation, and
early stopping that keeps the weights of the best epoch. ``PRESETS["seed"]`` is the cheat
sheet's own setting: sigmoid everywhere, per-sample SGD, min-max [0, 1].

The package has four parts, each importable on its own:
:mod:`~tinygrad_mlp.training.config` (:class:`TrainConfig`, its checks in the
settings' own names, the presets), :mod:`~tinygrad_mlp.training.fit`
(:func:`new_model`, :func:`fit`, :func:`evaluate`),
:mod:`~tinygrad_mlp.training.step` (one minibatch's update, captured by
:func:`tinygrad_mlp.compile`, a health monitor fed from it) and
:mod:`~tinygrad_mlp.training.predict` (:func:`predict`, :func:`predict_proba`, and a
model's view of a table). Every name but the step's is also here.
"""

from __future__ import annotations

from tinygrad_mlp.training.config import (
    BOUNDED,
    EARLY_STOPPING,
    LOSSES,
    MODEL_LOSSES,
    NORMALIZE,
    OPTIMIZERS,
    PRESETS,
    SCHEDULERS,
    ConfigError,
    TrainConfig,
    config_fields,
    loss_units,
    warm_start,
)
from tinygrad_mlp.training.fit import (
    BLOWUP,
    MIN_VAL_ROWS,
    Diverged,
    History,
    batch_loss,
    check_task,
    evaluate,
    fit,
    new_model,
    split_rows,
)
from tinygrad_mlp.training.predict import (
    load_data_for,
    network_inputs,
    predict,
    predict_proba,
    targets_for_training,
)

__all__ = [
    "BLOWUP",
    "BOUNDED",
    "EARLY_STOPPING",
    "LOSSES",
    "MIN_VAL_ROWS",
    "MODEL_LOSSES",
    "NORMALIZE",
    "OPTIMIZERS",
    "PRESETS",
    "SCHEDULERS",
    "ConfigError",
    "Diverged",
    "History",
    "TrainConfig",
    "batch_loss",
    "check_task",
    "config_fields",
    "evaluate",
    "fit",
    "load_data_for",
    "loss_units",
    "network_inputs",
    "new_model",
    "predict",
    "predict_proba",
    "split_rows",
    "targets_for_training",
    "warm_start",
]

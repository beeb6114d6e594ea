"""scikit-learn estimators: :class:`MLPClassifier` and :class:`MLPRegressor`.

They have the estimator API people already use (``fit``, ``predict``,
``predict_proba``, ``score``, ``get_params``/``set_params``, ``random_state``,
``loss_curve_``, ``n_iter_``) and work in ``Pipeline``, ``cross_val_score`` and
``GridSearchCV``. Parameter names follow scikit-learn's own MLPs where they mean
the same thing. Training runs through :func:`tinygrad_mlp.training.fit`, the code
``tinygrad-mlp train`` runs, so the same settings give the same model both ways.

Differences from scikit-learn's MLPs, on purpose: inputs (and regression
targets) are standardized inside the model (``normalize``), as the command
line does, so no ``StandardScaler`` is needed in front; ``early_stopping`` is
on by default, holding out ``validation_fraction`` of the rows (when that
comes to 10 rows or more; otherwise it watches the training loss, as
scikit-learn's default does) and keeping the best epoch's weights;
``max_iter`` is 3000; the L2 penalty is ``weight_decay`` (added to the gradient as λθ, as torch's
optimizers do) rather than ``alpha``.

Needs scikit-learn (``pip install 'tinygrad-mlp[sklearn]'``).

>>> import numpy as np
>>> X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]] * 10)
>>> y = np.array(["no", "yes", "yes", "yes"] * 10)
>>> clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05, random_state=0)
>>> clf.fit(X, y).predict([[0.0, 0.0], [1.0, 1.0]]).tolist()
['no', 'yes']
>>> clf.n_iter_ == len(clf.loss_curve_)
True
"""

from __future__ import annotations

import warnings
from dataclasses import replace
from typing import Any

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.utils import check_random_state
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data
except ImportError as error:  # pragma: no cover - the optional extra is missing
    raise ImportError(
        "tinygrad_mlp.sklearn needs scikit-learn: pip install 'tinygrad-mlp[sklearn]'"
    ) from error

from tinygrad_mlp.compiled import CompileWarning
from tinygrad_mlp.data import Dataset, minibatches
from tinygrad_mlp.health import Monitor
from tinygrad_mlp.io import SavedModel, model_from_dict, model_to_dict
from tinygrad_mlp.names import activation_name
from tinygrad_mlp.training import (
    ConfigError,
    TrainConfig,
    fit,
    network_inputs,
    new_model,
    predict,
    predict_proba,
    targets_for_training,
)
from tinygrad_mlp.training.fit import optimizer_for
from tinygrad_mlp.training.step import TrainStep

__all__ = ["MLPClassifier", "MLPRegressor"]


def _weights(sample_weight: Any, n: int) -> np.ndarray | None:
    """``sample_weight`` as (n,) floats via scikit-learn's own check (None stays None)."""
    if sample_weight is None:
        return None
    from sklearn.utils.validation import _check_sample_weight

    return _check_sample_weight(sample_weight, np.empty((n, 1)), dtype=np.float64)


#: The estimators' parameter for each :class:`~tinygrad_mlp.training.TrainConfig`
#: field of another name, so that an error names the parameter the user set.
PARAMETERS = {
    "hidden": "hidden_layer_sizes",
    "epochs": "max_iter",
    "lr": "learning_rate_init",
    "optimizer": "solver",
    "val_split": "validation_fraction",
    "patience": "n_iter_no_change",
    "scheduler": "lr_scheduler",
}


class _BaseMLP(BaseEstimator):
    """Parameters shared by both estimators (see the module docstring)."""

    _loss = "mse"

    def __init__(
        self,
        hidden_layer_sizes: tuple[int, ...] = (100,),
        activation: str = "relu",
        solver: str = "adam",
        learning_rate_init: float = 1e-3,
        batch_size: int | str = "auto",
        max_iter: int = 3000,
        shuffle: bool = True,
        random_state: Any = None,
        momentum: float = 0.9,
        weight_decay: float = 0.0,
        early_stopping: bool = True,
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 10,
        tol: float = 1e-4,
        normalize: str = "standard",
        lr_scheduler: str = "none",
        clip_grad: float | None = None,
        monitor_health: bool = True,
    ) -> None:
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.learning_rate_init = learning_rate_init
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.normalize = normalize
        self.lr_scheduler = lr_scheduler
        self.clip_grad = clip_grad
        #: Keep ``health_`` (the monitor is fed by the captured step, with the same
        #: figures as eager); False leaves ``health_`` None and skips the monitor's work.
        self.monitor_health = monitor_health

    def train_config(self) -> TrainConfig:
        """The :class:`~tinygrad_mlp.training.TrainConfig` these parameters stand for."""
        hidden = self.hidden_layer_sizes
        hidden = [int(hidden)] if np.isscalar(hidden) else [int(n) for n in hidden]
        if isinstance(self.random_state, (int, np.integer)):
            seed = int(self.random_state)
        else:
            seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        batch = 200 if self.batch_size == "auto" else self.batch_size
        config = TrainConfig(
            hidden=hidden,
            activation=activation_name(self.activation),
            loss=self._loss,
            epochs=self.max_iter,
            lr=self.learning_rate_init,
            batch_size=batch,
            optimizer=self.solver,
            momentum=self.momentum,
            weight_decay=self.weight_decay,
            normalize=self.normalize,
            seed=seed,
            shuffle=self.shuffle,
            val_split=self.validation_fraction if self.early_stopping else 0.0,
            patience=self.n_iter_no_change,
            tol=self.tol,
            scheduler=self.lr_scheduler,
            clip_grad=self.clip_grad,
        )
        try:
            config.check()
        except ConfigError as error:
            raise ValueError(error.worded(lambda name: PARAMETERS.get(name, name))) from None
        return config

    def _names(self, n: int) -> list[str]:
        names = getattr(self, "feature_names_in_", None)
        return [str(v) for v in names] if names is not None else [f"x{k}" for k in range(n)]

    def _new_model(self, config, data: Dataset, sample_weight) -> SavedModel:
        with warnings.catch_warnings():
            # NOTE: a constant feature is fine here (it maps to the middle of the range);
            # the command line names it, an estimator in a grid search should not.
            warnings.simplefilter("ignore", UserWarning)
            return new_model(data, config, sample_weight=sample_weight)

    def _fit(
        self,
        X: np.ndarray,
        targets: np.ndarray,
        target_names: list[str],
        sample_weight: Any = None,
    ) -> None:
        config = self.train_config()
        data = Dataset(X, targets, self._names(X.shape[1]), target_names, "the training data")
        weights = _weights(sample_weight, len(X))
        model = self._new_model(config, data, weights)
        if not self.monitor_health:
            history = fit(model, data, config, sample_weight=weights)
            self.health_ = None
        else:
            monitor = Monitor(model.net)
            history = fit(model, data, config, sample_weight=weights, monitor=monitor)
            monitor.close()
            #: The network's health by epoch (tinygrad_mlp.health.Monitor.history): plain data.
            self.health_ = monitor.history
        self.model_: SavedModel = model
        self.loss_curve_ = list(history.loss)
        self.validation_loss_curve_ = list(history.val_loss)
        self.best_epoch_ = history.best_epoch
        self.n_iter_ = len(history.loss)
        self._optimizer_ = self._step_ = None
        self._attributes()

    def _attributes(self) -> None:
        layers = self.model_.net.layers
        self.coefs_ = [layer.weight.data.T.copy() for layer in layers]
        self.intercepts_ = [layer.bias.data.copy() for layer in layers]

    def _partial_fit(
        self,
        X: np.ndarray,
        targets: np.ndarray,
        target_names: list[str],
        sample_weight: Any,
        every_label: np.ndarray | None = None,
    ) -> None:
        """One pass over ``X`` in minibatches, the optimizer's state kept between calls.

        The first call builds the model (its scalers fitted on this first chunk, as
        scikit-learn's first ``partial_fit`` fixes its classes); no rows are held out
        and nothing stops early: the caller's loop decides how many passes.
        """
        config = self.train_config()
        data = Dataset(X, targets, self._names(X.shape[1]), target_names, "the training data")
        weights = _weights(sample_weight, len(X))
        first = not hasattr(self, "model_")
        if first:
            # NOTE: a classifier's network has an output for every class given, seen in
            # this chunk or not: new_model reads the classes from the targets it is shown.
            shown = data
            if every_label is not None:
                shown = Dataset(X, every_label[:, None], data.input_names, target_names)
            self.model_ = self._new_model(config, shown, weights)
            self.loss_curve_, self.validation_loss_curve_ = [], []
            self.n_iter_, self.best_epoch_ = 0, 0
        if getattr(self, "_optimizer_", None) is None:
            # NOTE: after fit (or unpickling) the optimizer starts afresh, as a new Adam.
            self._optimizer_ = optimizer_for(self.model_.net, config)
            self._rng_ = np.random.default_rng([config.seed, self.n_iter_])
            self._step_ = None
        model = self.model_
        step = getattr(self, "_step_", None)
        if step is None or replace(config, seed=step.config.seed) != step.config:
            # NOTE: fit's minibatch update (clipping included), captured as fit's is; kept
            # between calls so that later calls replay what the first one captured (the
            # seed, drawn afresh per call without a random_state, orders no step)
            step = self._step_ = TrainStep(model, self._optimizer_, config)
        x = network_inputs(model, data.inputs)
        z = targets_for_training(model, data)
        total, seen = 0.0, 0.0
        with np.errstate(over="ignore", invalid="ignore"), warnings.catch_warnings():
            # NOTE: a step the capture cannot replay runs eagerly with the same numbers
            warnings.simplefilter("ignore", CompileWarning)
            for idx in minibatches(len(x), config.batch_size, self._rng_, shuffle=config.shuffle):
                w = None if weights is None else weights[idx]
                loss, _ = step(x[idx], z[idx], w)
                share = len(idx) if w is None else float(w.sum())
                total, seen = total + loss.item() * share, seen + share
        self.loss_curve_.append(total / max(seen, 1e-300))
        self.n_iter_ += 1
        self.best_epoch_ = self.n_iter_
        self._attributes()

    # NOTE: pickled as the model file's plain data (numbers and names), so that a
    # pickle holds no engine objects and loads into any later version of them.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_optimizer_", None)  # NOTE: holds the live parameters; rebuilt on demand
        state.pop("_rng_", None)
        state.pop("_step_", None)  # NOTE: the captured step holds the live network too
        if "model_" in state:
            state["model_"] = model_to_dict(state["model_"])
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        if isinstance(state.get("model_"), dict):
            state = {**state, "model_": model_from_dict(state["model_"], "a pickled estimator")}
        self.__dict__.update(state)

    def _inputs(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return validate_data(self, X, reset=False, dtype=np.float64)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier: softmax cross-entropy over the classes.

    Attributes (after ``fit``): ``classes_``, ``loss_curve_`` (mean training
    loss per epoch, nats), ``validation_loss_curve_``, ``best_epoch_`` (the epoch
    whose weights are kept), ``n_iter_`` (epochs run), ``coefs_``/``intercepts_``
    (as scikit-learn lays them out), ``model_`` (the
    :class:`~tinygrad_mlp.io.SavedModel`, for ``save_model`` and the CLI), ``health_``
    (per-layer figures by epoch and findings: :attr:`tinygrad_mlp.health.Monitor.history`;
    None with ``monitor_health=False``).
    """

    _loss = "ce"

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPClassifier:
        """Train on ``X`` (n, features) and class labels ``y`` (n,); return self.

        ``sample_weight`` (n,) weights each row's loss as scikit-learn's MLPs do (a
        batch's loss is Σ wᵢ ℓᵢ / Σ wᵢ): an integer weight counts as repeating the row.
        """
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, index = np.unique(y, return_inverse=True)
        labels = np.array([str(k) for k in index], dtype=object)[:, None]
        self._fit(X, labels, ["y"], sample_weight)
        return self

    def partial_fit(
        self, X: Any, y: Any, sample_weight: Any = None, classes: Any = None
    ) -> MLPClassifier:
        """One pass over ``X``, ``y`` (scikit-learn's ``partial_fit``); return self.

        The first call needs ``classes`` (every class of the whole data, as
        ``np.unique(y_all)``); later calls may omit it. Each call is one epoch of
        minibatches with no rows held out, the optimizer's state kept between calls,
        so an out-of-core loop (or Dask-ML's ``Incremental``) trains chunk by chunk.

        >>> import numpy as np
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0]] * 10)
        >>> y = np.array([0, 0, 1, 1] * 10)
        >>> clf = MLPClassifier(hidden_layer_sizes=(8,), learning_rate_init=0.05,
        ...                     random_state=0)
        >>> for _ in range(40):
        ...     clf = clf.partial_fit(X[:20], y[:20], classes=[0, 1]).partial_fit(X[20:], y[20:])
        >>> clf.predict([[0.0], [3.0]]).tolist(), clf.n_iter_
        ([0, 1], 80)
        """
        first = not hasattr(self, "model_")
        X, y = validate_data(self, X, y, dtype=np.float64, reset=first)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if first:
            if classes is None:
                raise ValueError("the first call to partial_fit needs classes=")
            self.classes_ = np.unique(np.asarray(classes))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(
                f"classes={list(classes)} differs from the classes of the first call "
                f"({list(self.classes_)})"
            )
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels not in classes: {unknown[:5].tolist()}")
        index = np.searchsorted(self.classes_, y)
        labels = np.array([str(k) for k in index], dtype=object)[:, None]
        every = np.array([str(k) for k in range(len(self.classes_))], dtype=object)
        self._partial_fit(X, labels, ["y"], sample_weight, every if first else None)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, classes), columns in ``classes_`` order."""
        X = self._inputs(X)
        return predict_proba(self.model_, X)

    def predict_log_proba(self, X: Any) -> np.ndarray:
        """Natural log of :meth:`predict_proba`, (n, classes); ``-inf`` where a probability is 0."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X: Any) -> np.ndarray:
        """The most probable class of each row."""
        probs = self.predict_proba(X)
        return self.classes_[probs.argmax(axis=1)]


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor: the cheat sheet's ½ Σ (y − z)², linear output.

    Attributes as :class:`MLPClassifier` (``loss_curve_`` in the targets' units).
    """

    _loss = "mse"

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    def fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """Train on ``X`` (n, features) and targets ``y`` (n,) or (n, outputs); return self.

        ``sample_weight`` (n,) weights each row's loss as scikit-learn's MLPs do (a
        batch's loss is Σ wᵢ ℓᵢ / Σ wᵢ): an integer weight counts as repeating the row.
        """
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        self._y_1d = y.ndim == 1
        targets = y.reshape(len(y), -1)
        self._fit(X, targets, [f"y{k}" for k in range(targets.shape[1])], sample_weight)
        return self

    def partial_fit(self, X: Any, y: Any, sample_weight: Any = None) -> MLPRegressor:
        """One pass over ``X``, ``y`` (scikit-learn's ``partial_fit``); return self.

        The first call fits the scalers on its rows and builds the network; each call
        is one epoch of minibatches, no rows held out, the optimizer's state kept.
        """
        first = not hasattr(self, "model_")
        X, y = validate_data(
            self, X, y, dtype=np.float64, multi_output=True, y_numeric=True, reset=first
        )
        if first:
            self._y_1d = y.ndim == 1
        targets = y.reshape(len(y), -1)
        self._partial_fit(X, targets, [f"y{k}" for k in range(targets.shape[1])], sample_weight)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, (n,) if fitted on a 1-D ``y``, else (n, outputs)."""
        X = self._inputs(X)
        out = predict(self.model_, X)
        return out[:, 0] if self._y_1d else out

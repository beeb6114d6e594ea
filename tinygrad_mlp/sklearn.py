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

from tinygrad_mlp.data import Dataset
from tinygrad_mlp.health import Monitor
from tinygrad_mlp.io import SavedModel, model_from_dict, model_to_dict
from tinygrad_mlp.names import activation_name
from tinygrad_mlp.training import (
    ConfigError,
    TrainConfig,
    fit,
    new_model,
    predict,
    predict_proba,
)

__all__ = ["MLPClassifier", "MLPRegressor"]

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

    def _fit(self, X: np.ndarray, targets: np.ndarray, target_names: list[str]) -> None:
        config = self.train_config()
        data = Dataset(X, targets, self._names(X.shape[1]), target_names, "the training data")
        with warnings.catch_warnings():
            # NOTE: a constant feature is fine here (it maps to the middle of the range);
            # the command line names it, an estimator in a grid search should not.
            warnings.simplefilter("ignore", UserWarning)
            model = new_model(data, config)
        monitor = Monitor(model.net)
        history = fit(
            model,
            data,
            config,
            on_epoch=lambda epoch, loss: monitor.after_step(),
            on_step=lambda step, epoch, last: monitor.record(step, epoch, row=last),
        )
        monitor.close()
        #: The network's health by epoch (tinygrad_mlp.health.Monitor.history): plain data.
        self.health_ = monitor.history
        self.model_: SavedModel = model
        self.loss_curve_ = list(history.loss)
        self.validation_loss_curve_ = list(history.val_loss)
        self.best_epoch_ = history.best_epoch
        self.n_iter_ = len(history.loss)
        self.coefs_ = [layer.weight.data.T.copy() for layer in model.net.layers]
        self.intercepts_ = [layer.bias.data.copy() for layer in model.net.layers]

    # NOTE: pickled as the model file's plain data (numbers and names), so that a
    # pickle holds no engine objects and loads into any later version of them.
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
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
    (per-layer figures by epoch and findings: :attr:`tinygrad_mlp.health.Monitor.history`).
    """

    _loss = "ce"

    def fit(self, X: Any, y: Any) -> MLPClassifier:
        """Train on ``X`` (n, features) and class labels ``y`` (n,); return self."""
        X, y = validate_data(self, X, y, dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        self.classes_, index = np.unique(y, return_inverse=True)
        labels = np.array([str(k) for k in index], dtype=object)[:, None]
        self._fit(X, labels, ["y"])
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

    def fit(self, X: Any, y: Any) -> MLPRegressor:
        """Train on ``X`` (n, features) and targets ``y`` (n,) or (n, outputs); return self."""
        X, y = validate_data(self, X, y, dtype=np.float64, multi_output=True, y_numeric=True)
        self._y_1d = y.ndim == 1
        targets = y.reshape(len(y), -1)
        self._fit(X, targets, [f"y{k}" for k in range(targets.shape[1])])
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Predicted targets, (n,) if fitted on a 1-D ``y``, else (n, outputs)."""
        X = self._inputs(X)
        out = predict(self.model_, X)
        return out[:, 0] if self._y_1d else out

"""The estimators' ``sample_weight`` and ``partial_fit``, as scikit-learn's MLPs have them,
and the grid search the coming-from-scikit-learn page shows."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("sklearn")

from tinygrad_mlp.sklearn import MLPClassifier, MLPRegressor  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def full_batch(kind, **extra):
    """One batch holding every row, no held-out rows, a fixed number of epochs: then
    weights and repeated rows give the same gradients, step for step."""
    return kind(
        hidden_layer_sizes=(6,),
        batch_size=1000,
        early_stopping=False,
        n_iter_no_change=0,
        max_iter=30,
        learning_rate_init=0.01,
        random_state=0,
        **extra,
    )


@pytest.fixture
def table():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(30, 3))
    y = X[:, 0] - 2 * X[:, 1] * X[:, 2]
    w = rng.integers(0, 4, size=30)
    return X, y, w


def test_regressor_integer_weights_equal_repeated_rows(table):
    X, y, w = table
    weighted = full_batch(MLPRegressor).fit(X, y, sample_weight=w)
    repeated = full_batch(MLPRegressor).fit(np.repeat(X, w, axis=0), np.repeat(y, w))
    ours = weighted.coefs_ + weighted.intercepts_
    for a, b in zip(ours, repeated.coefs_ + repeated.intercepts_, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=1e-9)


def test_classifier_integer_weights_equal_repeated_rows(table):
    X, y, w = table
    labels = np.where(y > 0, "up", "down")
    weighted = full_batch(MLPClassifier).fit(X, labels, sample_weight=w)
    repeated = full_batch(MLPClassifier).fit(np.repeat(X, w, axis=0), np.repeat(labels, w))
    np.testing.assert_allclose(weighted.predict_proba(X), repeated.predict_proba(X), rtol=1e-9)


def test_weights_change_the_fit_and_bad_weights_are_refused(table):
    X, y, _ = table
    plain = full_batch(MLPRegressor).fit(X, y)
    heavy = full_batch(MLPRegressor).fit(X, y, sample_weight=np.r_[np.full(15, 10.0), np.ones(15)])
    assert not np.allclose(plain.predict(X), heavy.predict(X))
    with pytest.raises(ValueError, match="sample_weight"):
        full_batch(MLPRegressor).fit(X, y, sample_weight=np.ones(5))


def test_classifier_partial_fit_needs_classes_first_and_learns_out_of_core():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 2))
    y = np.where(X[:, 0] + X[:, 1] > 0, "b", "a")
    clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    with pytest.raises(ValueError, match="classes"):
        MLPClassifier().partial_fit(X[:10], y[:10])
    # the first chunk holds one class only: the network still gets both outputs
    first = np.argsort(y)[:50]
    clf.partial_fit(X[first], y[first], classes=["a", "b"])
    assert clf.model_.net.sizes[-1] == 2 and list(clf.classes_) == ["a", "b"]
    for _ in range(15):
        for chunk in np.array_split(np.arange(400), 4):  # an out-of-core loop
            clf.partial_fit(X[chunk], y[chunk])
    assert clf.n_iter_ == 1 + 15 * 4 == len(clf.loss_curve_)
    assert clf.score(X, y) > 0.95
    with pytest.raises(ValueError, match="not in classes"):
        clf.partial_fit(X[:3], np.array(["a", "c", "b"]))


def test_regressor_partial_fit_is_one_pass_per_call():
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = X[:, 0] ** 2 + X[:, 1]
    reg = MLPRegressor(hidden_layer_sizes=(20,), learning_rate_init=0.01, random_state=0)
    reg.partial_fit(X, y)
    once = reg.loss_curve_[-1]
    for _ in range(60):
        reg.partial_fit(X, y)
    assert reg.n_iter_ == 61 and reg.loss_curve_[-1] < once / 5
    assert reg.predict(X).shape == (300,)


def test_partial_fit_after_pickling_goes_on():
    import pickle

    X = np.linspace(-1, 1, 40)[:, None]
    y = 2 * X[:, 0]
    reg = MLPRegressor(hidden_layer_sizes=(4,), random_state=0).partial_fit(X, y)
    again = pickle.loads(pickle.dumps(reg)).partial_fit(X, y)
    assert again.n_iter_ == 2


def grid_search_example() -> str:
    page = (ROOT / "docs" / "coming-from-sklearn.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    found = [b for b in blocks if "GridSearchCV" in b and "n_jobs=2" in b]
    assert found, "coming-from-sklearn.md shows no GridSearchCV(n_jobs=2) example"
    return found[0]


def test_the_pages_grid_search_with_two_jobs_runs():
    namespace: dict = {}
    exec(compile(grid_search_example(), "coming-from-sklearn.md", "exec"), namespace)  # noqa: S102
    search = namespace["search"]
    assert search.n_jobs == 2 and hasattr(search, "best_params_")
    assert len(search.cv_results_["params"]) >= 2


def _eager_config(monkeypatch):
    """Make every estimator's config run its steps eagerly (``compile=False``)."""
    from tinygrad_mlp.sklearn import _BaseMLP

    own = _BaseMLP.train_config

    def eager(self):
        config = own(self)
        config.compile = False
        return config

    monkeypatch.setattr(_BaseMLP, "train_config", eager)


@pytest.mark.parametrize("kind", ["regressor", "classifier"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_is_captured_and_gives_eager_numbers_to_the_bit(
    kind, weighted, solver, table, monkeypatch
):
    X, y, w = table
    labels = np.where(y > 0, "up", "down")

    def train():
        est = (MLPRegressor if kind == "regressor" else MLPClassifier)(
            hidden_layer_sizes=(5,),
            batch_size=8,  # 30 rows: batches of 8, 8, 8 and 6, two shapes to capture
            solver=solver,
            learning_rate_init=0.05,
            clip_grad=0.5,
            random_state=0,
        )
        for k in range(3):
            part = slice(0, 30) if k != 1 else slice(0, 20)
            extra = {"classes": ["down", "up"]} if kind == "classifier" and k == 0 else {}
            target = y[part] if kind == "regressor" else labels[part]
            est.partial_fit(X[part], target, sample_weight=w[part] if weighted else None, **extra)
        return est

    captured = train()
    stats = captured._step_.stats
    assert stats is not None and stats["replays"] > 0
    with monkeypatch.context() as patch:
        _eager_config(patch)
        eager = train()
    assert eager._step_.stats is None
    for a, b in zip(captured.coefs_ + captured.intercepts_, eager.coefs_ + eager.intercepts_,
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    assert captured.loss_curve_ == eager.loss_curve_


@pytest.mark.parametrize("clip", [None, 1e-3])
def test_partial_fit_takes_fits_step_clipping_included(clip, table):
    """One pass of partial_fit on unshuffled rows is one epoch of fit, clip_grad and all."""
    X, y, _ = table

    def make():
        return MLPRegressor(
            hidden_layer_sizes=(5,),
            batch_size=8,
            shuffle=False,
            early_stopping=False,
            n_iter_no_change=0,
            max_iter=1,
            solver="sgd",
            learning_rate_init=0.5,
            clip_grad=clip,
            random_state=0,
        )

    fitted = make().fit(X, y)
    partial = make().partial_fit(X, y)
    for a, b in zip(fitted.coefs_ + fitted.intercepts_, partial.coefs_ + partial.intercepts_,
                    strict=True):  # fmt: skip
        np.testing.assert_array_equal(a, b)
    if clip is not None:
        unclipped = MLPRegressor(**{**make().get_params(), "clip_grad": None}).partial_fit(X, y)
        assert not np.array_equal(unclipped.coefs_[0], partial.coefs_[0])


@pytest.mark.parametrize("random_state", [None, np.random.RandomState(0)])
def test_partial_fit_keeps_one_captured_step_without_a_fixed_seed(random_state, table):
    """A config without a fixed random_state draws a new seed per call; the captured step,
    which no seed orders, is still captured once per batch shape and then replayed."""
    X, y, _ = table
    reg = MLPRegressor(hidden_layer_sizes=(4,), batch_size=8, random_state=random_state)
    reg.partial_fit(X, y)
    step = reg._step_
    for _ in range(4):
        reg.partial_fit(X, y)
    assert reg._step_ is step
    assert step.stats["captures"] == 2  # batches of 8 rows and the last one of 6
    assert step.stats["replays"] >= 4 * 4 - 2
    reg.fit(X, y)
    assert reg._step_ is None  # fit's own step; the next partial_fit makes a new one

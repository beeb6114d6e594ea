"""The grader on a corpus of classic backprop mistakes, on both engines, and on a fuzz.

Each case of :mod:`tests.grade_corpus` seeds one mistake into a hand-written backward
pass; the grader must mark that node (and only it) wrong here, with the right
sentence, and every node whose gradient the mistake spoils *inherited*. The correct
passes are all exact. The fuzz grades the δ witness's gradients (computed without the
engines) on random networks of the vocabulary's activations: the grader must never
call a right step wrong.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.grade_corpus import MISTAKES, backward, forward_tensor, forward_value, make_net
from tinygrad_mlp import Tensor, backprop
from tinygrad_mlp.grade import TOLERANCES, grade
from tinygrad_mlp.grade.diagnose import near
from tinygrad_mlp.losses import loss_function
from tinygrad_mlp.names import ACTIVATIONS

ENGINES = {"tensor": forward_tensor, "value": forward_value}


def test_the_corpus_holds_fifteen_mistakes_or_more():
    assert len(MISTAKES) >= 15


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize(
    "options", sorted({tuple(sorted(o.items())) for o, _, _ in MISTAKES.values()})
)
def test_a_correct_derivation_is_exact_everywhere(engine, options):
    net = make_net(**dict(options))
    report = grade(ENGINES[engine](net), backward(net))
    assert [(r.name, r.status) for r in report.rows if r.status != "exact"] == []
    assert report.passed


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_mistake_is_named_at_its_node_and_later_nodes_inherit_it(engine, mistake):
    options, node, phrase = MISTAKES[mistake]
    net = make_net(**options)
    grads = backward(net, mistake)
    report = grade(ENGINES[engine](net), grads)
    wrong = [r.name for r in report.rows if r.status == "wrong here"]
    assert wrong == [node], str(report)
    assert phrase in report[node].diagnosis, report[node].diagnosis
    assert report[node].step.startswith("d")
    close = TOLERANCES["float64"][1]
    for row in report.rows:
        if row.name == node:
            continue
        spoiled = not near(np.asarray(grads[row.name]), row.autodiff, close)
        assert row.status == ("inherited" if spoiled else "exact"), (row.name, str(report))
        if spoiled:
            assert row.diagnosis is None and row.cause, row.name
    assert str(report).count("wrong here") == 1 + 1  # the row and the legend


def _named_forward(weights, biases, acts, x, z, loss, dtype=np.float64):
    """The sheet's MLP on the Tensor engine, each layer's s and a named."""
    a = Tensor(x, dtype=dtype)
    L = len(weights)
    for l in range(L):  # noqa: E741
        W = Tensor(weights[l], requires_grad=True, dtype=dtype).named(f"W{l}")
        b = Tensor(biases[l], requires_grad=True, dtype=dtype).named(f"b{l}")
        s = (a @ W.T + b).named(f"s{l}")
        a = s if acts[l] == "linear" else getattr(s, acts[l])()
        a = a.named(f"a{l}") if l < L - 1 and acts[l] != "linear" else a
    return loss_function(loss)(a, z)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_fuzz_the_grader_never_calls_a_right_step_wrong(dtype):
    rng = np.random.default_rng(25)
    cases = 300 if dtype == np.float64 else 100
    statuses = {}
    for case in range(cases):
        layers = int(rng.integers(1, 4))
        sizes = [int(v) for v in rng.integers(1, 6, layers + 1)]
        acts = [str(rng.choice(ACTIVATIONS)) for _ in range(layers)]
        loss = str(rng.choice(["mse", "mse_mean", "cross_entropy"]))
        if loss == "cross_entropy":
            acts[-1] = "linear"
            sizes[-1] = max(sizes[-1], 2)
        n = int(rng.integers(1, 7))
        weights = [rng.normal(0, 1, (o, i)) for i, o in zip(sizes[:-1], sizes[1:], strict=True)]
        biases = [rng.normal(0, 0.5, o) for o in sizes[1:]]
        x = rng.normal(0, 1, (n, sizes[0]))
        z = (
            rng.integers(0, sizes[-1], n)
            if loss == "cross_entropy"
            else rng.normal(0, 1, (n, sizes[-1]))
        )
        bp = backprop.gradients(weights, biases, acts, x, z, loss)
        grads = {}
        for l in range(layers):  # noqa: E741
            grads[f"W{l}"], grads[f"b{l}"], grads[f"s{l}"] = bp.grad_w[l], bp.grad_b[l], bp.delta[l]
        keep = [k for k in grads if rng.random() < 0.7]
        loss_node = _named_forward(weights, biases, acts, x, z, loss, dtype)
        given = {k: np.asarray(grads[k], dtype=dtype) for k in keep}
        report = grade(loss_node, given)
        for row in report.rows:
            statuses[row.status] = statuses.get(row.status, 0) + 1
            assert row.status in ("exact", "close", "missing"), (case, acts, loss, str(report))
    assert statuses.get("exact", 0) > 0

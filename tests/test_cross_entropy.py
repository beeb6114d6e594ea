"""One cross_entropy, torch's: the same function under every name, and torch's numbers."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import functional, losses, ops_extra
from tinygrad_mlp.tensor import Tensor
from tinygrad_mlp.value import Value

torch = pytest.importorskip("torch")
F = torch.nn.functional

RNG = np.random.default_rng(21)
LOGITS = RNG.normal(0.0, 2.0, (6, 4))
LABELS = np.array([0, 3, 1, -100, 2, 3])
WEIGHT = np.array([0.5, 2.0, 1.0, 3.0])


def test_every_name_is_the_one_function():
    assert functional.cross_entropy is losses.cross_entropy
    assert ops_extra.cross_entropy is losses.cross_entropy
    assert losses.loss_function("ce") is losses.cross_entropy


def ours_and_torch(target, **options):
    x = Tensor(LOGITS, requires_grad=True)
    loss = functional.cross_entropy(x, target, **options)
    loss.sum().backward()
    tx = torch.tensor(LOGITS, requires_grad=True)
    theirs = F.cross_entropy(tx, torch.tensor(target), **options)
    theirs.sum().backward()
    return (loss.data, x.grad), (theirs.detach().numpy(), tx.grad.numpy())


def test_label_smoothing_through_functional_matches_torch():
    (loss, grad), (ref, ref_grad) = ours_and_torch(LABELS.clip(0), label_smoothing=0.1)
    np.testing.assert_allclose(loss, ref, rtol=1e-12)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
@pytest.mark.parametrize("weighted", [False, True])
def test_index_targets_with_weight_ignore_index_and_reduction_match_torch(
    reduction, smoothing, weighted
):
    options = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        options["weight"] = torch.tensor(WEIGHT)
    (loss, grad), (ref, ref_grad) = ours_and_torch(LABELS, **options)
    np.testing.assert_allclose(loss, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_probability_targets_with_weight_and_smoothing_match_torch(reduction, weighted):
    probs = RNG.dirichlet(np.ones(4), 6)
    options = {"reduction": reduction, "label_smoothing": 0.2}
    if weighted:
        options["weight"] = torch.tensor(WEIGHT)
    (loss, grad), (ref, ref_grad) = ours_and_torch(probs, **options)
    np.testing.assert_allclose(loss, ref, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_the_scalar_engine_gives_torchs_numbers_too(reduction):
    rows = [[Value(v) for v in row] for row in LOGITS]
    loss = losses.cross_entropy(
        rows, LABELS, weight=WEIGHT, reduction=reduction, label_smoothing=0.3
    )
    loss.backward()
    tx = torch.tensor(LOGITS, requires_grad=True)
    ref = F.cross_entropy(
        tx,
        torch.tensor(LABELS),
        weight=torch.tensor(WEIGHT),
        reduction=reduction,
        label_smoothing=0.3,
    )
    ref.backward()
    np.testing.assert_allclose(loss.data, ref.item(), rtol=1e-12)
    grads = np.array([[v.grad for v in row] for row in rows])
    np.testing.assert_allclose(grads, tx.grad.numpy(), rtol=1e-10, atol=1e-15)


def test_one_sample_on_the_scalar_engine_matches_torchs_unbatched_form():
    row = [Value(v) for v in LOGITS[1]]
    loss = losses.cross_entropy(row, 3, label_smoothing=0.1)
    ref = F.cross_entropy(torch.tensor(LOGITS[1]), torch.tensor(3), label_smoothing=0.1)
    np.testing.assert_allclose(loss.data, ref.item(), rtol=1e-12)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"weight": [1.0, 2.0]}, "weight of shape"),
        ({"reduction": "avg"}, "reduction"),
        ({"label_smoothing": -0.1}, "label_smoothing"),
    ],
)
def test_bad_options_are_one_sentence(options, message):
    with pytest.raises(ValueError, match=message):
        functional.cross_entropy(Tensor(LOGITS), LABELS, **options)

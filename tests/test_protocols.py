"""Python's protocols on Tensor as torch's: truth, numbers, indices, len, iteration, transpose."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor

torch = pytest.importorskip("torch")


def _both(fn, data, dtype=np.float64):
    """fn on our tensor and torch's: ('ok', value) or ('error', type)."""
    out = []
    for t in (
        Tensor(np.array(data, dtype=dtype), dtype=dtype),
        torch.tensor(np.array(data, dtype=dtype)),
    ):
        try:
            out.append(("ok", fn(t)))
        except (RuntimeError, ValueError, TypeError) as e:
            out.append(("error", type(e) is TypeError))
    return out


@pytest.mark.parametrize("data", [0.0, 0.5, [0.0], [2.0], [[1.0]], [], [1.0, 2.0]], ids=str)
def test_truth_of_a_tensor_is_torch_s(data):
    ours, theirs = _both(bool, data)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1]


def test_a_truth_of_many_values_is_called_ambiguous():
    with pytest.raises(ValueError, match="more than one value is ambiguous"):
        bool(Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="no values is ambiguous"):
        bool(Tensor(np.zeros(0)))


def test_a_comparison_of_a_one_element_tensor_is_its_truth():
    assert not (Tensor([0.5]) < 0.01)
    assert Tensor([0.001]) < 0.01


def test_if_loss_below_best_works_on_0d_tensors():
    best, improved = Tensor(1.0), []
    for value in (0.9, 1.2, 0.3):
        loss = Tensor(value)
        if loss < best:
            best = loss
            improved.append(value)
    assert improved == [0.9, 0.3]


@pytest.mark.parametrize("convert", [float, int], ids=["float", "int"])
@pytest.mark.parametrize("data", [2.75, -2.75, [3.5], [[1.0]], [1.0, 2.0]], ids=str)
def test_float_and_int_of_a_tensor_are_torch_s(convert, data):
    ours, theirs = _both(convert, data)
    assert ours[0] == theirs[0]
    if ours[0] == "ok":
        assert ours[1] == theirs[1] and type(ours[1]) is type(theirs[1])


@pytest.mark.parametrize(
    ("data", "dtype"),
    [(3, np.int64), ([2], np.int32), (True, np.bool_), (3.0, np.float64), ([1, 2], np.int64)],
    ids=str,
)
def test_index_takes_one_integer_element_only(data, dtype):
    ours, theirs = _both(lambda t: [10, 20, 30, 40][t], data, dtype)
    assert ours == theirs


def test_a_tensor_serves_as_a_range_bound():
    n = Tensor(np.array(3), dtype=np.int64)
    assert list(range(n)) == [0, 1, 2]


def test_len_of_a_0d_tensor_is_a_type_error_as_torch():
    with pytest.raises(TypeError, match="len\\(\\) of a 0-d tensor"):
        len(Tensor(1.0))
    assert len(Tensor(np.zeros((3, 2)))) == 3


def test_iteration_gives_rows_and_passes_gradients():
    data = np.arange(6.0).reshape(3, 2)
    x = Tensor(data, requires_grad=True)
    rows = list(x)
    assert [r.tolist() for r in rows] == data.tolist()
    sum(row * float(k + 1) for k, row in enumerate(rows)).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    sum(row * float(k + 1) for k, row in enumerate(t)).sum().backward()
    np.testing.assert_array_equal(x.grad, t.grad.numpy())
    with pytest.raises(TypeError, match="iteration over a 0-d tensor"):
        iter(Tensor(1.0))


@pytest.mark.parametrize(
    ("shape", "axes"), [((2, 3), (0, 1)), ((2, 3), (1, -2)), ((2, 3, 4), (0, 2)), ((2, 3), (1, 1))]
)
def test_transpose_with_two_axes_swaps_them_as_torch(shape, axes):
    data = np.arange(float(np.prod(shape))).reshape(shape)
    w = np.random.default_rng(0).normal(size=torch.tensor(data).transpose(*axes).shape)
    x = Tensor(data, requires_grad=True)
    (x.transpose(*axes) * Tensor(w)).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    (t.transpose(*axes) * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(x.transpose(*axes).data, t.transpose(*axes).detach().numpy())
    np.testing.assert_array_equal(x.grad, t.grad.numpy())


def test_transpose_of_a_matrix_with_its_two_axes_is_not_the_identity():
    x = Tensor([[1.0, 2.0, 3.0]])
    assert x.transpose(0, 1).tolist() == [[1.0], [2.0], [3.0]]


def test_no_argument_transpose_and_t_reverse_the_axes():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.transpose().shape == x.T.shape == (4, 3, 2)


def test_the_numpy_permutation_form_is_permute():
    x = Tensor(np.zeros((2, 3, 4)))
    assert x.permute(2, 0, 1).shape == x.permute((2, 0, 1)).shape == (4, 2, 3)
    with pytest.raises(TypeError, match="permute"):
        x.transpose((2, 0, 1))
    with pytest.raises(TypeError, match="permute"):
        x.transpose(2, 0, 1)

"""In-place operators as torch's: the data changes, the version counter guards backward."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Op, Tensor, Value, no_grad

torch = pytest.importorskip("torch")


def test_the_manual_sgd_loop_updates_the_parameters_as_torch():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 1))
    w0, b0 = rng.normal(size=(3, 1)), np.zeros(1)
    w, b = Tensor(w0.copy(), requires_grad=True), Tensor(b0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    tb = torch.tensor(b0.copy(), requires_grad=True)
    arrays = (w.data, b.data)
    lr = 0.1
    for _ in range(3):
        (((Tensor(x) @ w + b) - Tensor(y)) ** 2).mean().backward()
        with no_grad():
            w -= lr * w.grad
            b -= lr * b.grad
        w.grad = b.grad = None
        (((torch.tensor(x) @ tw + tb) - torch.tensor(y)) ** 2).mean().backward()
        with torch.no_grad():
            tw -= lr * tw.grad
            tb -= lr * tb.grad
        tw.grad = tb.grad = None
    np.testing.assert_allclose(w.data, tw.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(b.data, tb.detach().numpy(), rtol=1e-14)
    assert (w.data, b.data) == arrays  # the same arrays, changed in place
    assert w._version == tw._version == 3


IN_PLACE = [
    ("iadd", lambda t, o: t.__iadd__(o)),
    ("isub", lambda t, o: t.__isub__(o)),
    ("imul", lambda t, o: t.__imul__(o)),
    ("itruediv", lambda t, o: t.__itruediv__(o)),
    ("add_alpha", lambda t, o: t.add_(o, alpha=2)),
    ("sub_alpha", lambda t, o: t.sub_(o, alpha=0.5)),
    ("mul_", lambda t, o: t.mul_(o)),
    ("div_", lambda t, o: t.div_(o)),
    ("div_floor", lambda t, o: t.div_(o, rounding_mode="floor")),
    ("zero_", lambda t, o: t.zero_()),
    ("fill_", lambda t, o: t.fill_(2.5)),
    ("copy_", lambda t, o: t.copy_(o)),
    ("clamp_", lambda t, o: t.clamp_(-0.5, 0.5)),
]
DTYPES = ["float64", "float32", "int64", "int32", "bool"]


def _make(dtype, values, lib):
    arr = np.array(values).astype(dtype)
    return Tensor(arr, dtype=dtype) if lib == "ours" else torch.tensor(arr)


@pytest.mark.parametrize(("name", "op"), IN_PLACE, ids=[n for n, _ in IN_PLACE])
def test_in_place_ops_change_the_data_as_torch_for_every_dtype_pair(name, op):
    for self_dtype in DTYPES:
        for other in [*DTYPES, 3, 1.5, True]:
            if isinstance(other, str):
                args = {lib: _make(other, [1.5, -2.0, 2.0], lib) for lib in ("ours", "torch")}
            else:
                args = {"ours": other, "torch": other}
            what = f"{self_dtype} {name} {other}"
            results = {}
            for lib in ("ours", "torch"):
                t = _make(self_dtype, [0.25, 3.0, -1.5], lib)
                try:
                    with torch.no_grad(), no_grad():
                        out = op(t, args[lib])
                except (RuntimeError, TypeError, ValueError, ZeroDivisionError):
                    results[lib] = ("error",)
                    continue
                assert out is t, what
                data = t.data if lib == "ours" else t.numpy()
                results[lib] = ("ok", str(data.dtype), data.astype(float))
            assert results["ours"][:2] == results["torch"][:2], f"{what}: {results}"
            if results["ours"][0] == "ok":
                np.testing.assert_allclose(
                    results["ours"][2], results["torch"][2], rtol=1e-6, err_msg=what
                )


def test_an_in_place_op_keeps_the_array_and_bumps_the_version():
    t = Tensor([1.0, 2.0])
    arr = t.data
    t += 1
    t.mul_(2).sub_(1)
    assert t.data is arr and t.tolist() == [3.0, 5.0] and t._version == 3


def test_a_leaf_that_requires_grad_is_refused_outside_no_grad():
    w = Tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w += 1
    with pytest.raises(RuntimeError):
        torch.ones(1, requires_grad=True).add_(1)


def test_a_result_that_does_not_fit_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        Tensor([1.0, 2.0]).add_(Tensor(np.ones((2, 2))))
    with pytest.raises(TypeError, match="can't be cast"):
        Tensor(np.arange(3), dtype=np.int64).div_(2)


@pytest.mark.parametrize(
    "case",
    ["a saved input", "a saved output", "a saved sigmoid"],
)
def test_a_saved_tensor_changed_in_place_makes_backward_raise_as_torch(case):
    def run(lib_tensor, lib_no_grad):
        x = lib_tensor([1.0, 2.0], requires_grad=True)
        w = lib_tensor([3.0, 4.0], requires_grad=True)
        if case == "a saved input":
            y, changed = x * w, x
        elif case == "a saved output":
            changed = x.exp()
            y = changed * w
        else:
            changed = x.sigmoid()
            y = changed + w
        with lib_no_grad():
            changed += 1
        y.sum().backward()

    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        run(Tensor, no_grad)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        run(lambda v, requires_grad: torch.tensor(v, requires_grad=requires_grad), torch.no_grad)


def test_the_error_names_the_op():
    x = Tensor([1.0], requires_grad=True)
    y = x.exp()
    with no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match=r"the output of Exp \('exp'\)"):
        y.sum().backward()


def test_an_in_place_op_on_a_non_leaf_is_recorded_as_torch():
    w0 = np.array([1.0, -2.0, 0.5])
    w = Tensor(w0, requires_grad=True)
    y = w * 2
    y += w
    y *= w
    y.sub_(w, alpha=3).div_(w + 4).clamp_(-1.0, 2.0)
    y.sum().backward()
    tw = torch.tensor(w0, requires_grad=True)
    ty = tw * 2
    ty += tw
    ty *= tw
    ty.sub_(tw, alpha=3).div_(tw + 4).clamp_(-1.0, 2.0)
    ty.sum().backward()
    np.testing.assert_allclose(y.data, ty.detach().numpy(), rtol=1e-15)
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-15)


def test_a_loss_summed_with_plus_equals_backpropagates_as_torch():
    w = Tensor([1.0, 2.0], requires_grad=True)
    tw = torch.tensor([1.0, 2.0], requires_grad=True)
    loss, tloss = Tensor(0.0), torch.tensor(0.0)
    for k in range(3):
        loss += (w * w * k).sum()
        tloss += (tw * tw * k).sum()
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(w.grad, tw.grad.numpy(), rtol=1e-15)


def test_a_consumer_built_before_a_recorded_change_refuses_rather_than_guess():
    # NOTE: torch keeps the old node for z and gets it right; our graph holds the tensor
    # itself, so a backward through z would meet the new op: it refuses instead.
    w = Tensor([1.0, 2.0], requires_grad=True)
    y = w * 2
    z = y + 1
    y += w
    with pytest.raises(RuntimeError, match="changed by an in-place operation"):
        z.sum().backward()


def test_no_in_place_op_means_no_check_and_the_usual_gradient():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]


def test_value_in_place_under_no_grad_changes_the_value():
    p = Value(2.0)
    same = p
    p.backward()
    with no_grad():
        p -= 0.5 * p.grad
        p *= 2
    assert same is p and p.data == 3.0


def test_value_plus_equals_in_a_graph_rebinds_as_python_does():
    a = Value(1.0)
    old = a
    a += 2.0
    assert a is not old and old.data == 1.0 and a.data == 3.0
    a.backward()
    assert old.grad == 1.0


class _Twice(Op):
    """A user's op with empty __slots__, as the Op docstring shows."""

    __slots__ = ()
    symbol = "twice"

    def forward(self, a):
        return a * 2.0

    def backward(self, grad_out, out, a):
        return (grad_out * 2.0,)


def test_a_users_op_with_empty_slots_works_after_an_in_place_change_anywhere():
    with no_grad():
        Tensor([1.0]).add_(1.0)  # from here on every node records versions
    x = Tensor([3.0], requires_grad=True)
    _Twice.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0]

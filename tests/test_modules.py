"""Modules that compose: registration as torch's, both engines, torch parity, MLP-shaped tools."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value
from tinygrad_mlp.autograd import walk
from tinygrad_mlp.crosscheck import cross_check
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import (
    MLP,
    Identity,
    Layer,
    Linear,
    Module,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
    as_mlp,
)
from tinygrad_mlp.optim import SGD


class Branchy(Module):
    """Two branches of one hidden vector, joined by a product, plus a residual connection."""

    def __init__(self, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.inp = Linear(3, 4, seed=rng)
        self.branches = [Linear(4, 4, seed=rng), Linear(4, 4, seed=rng)]
        self.head = {"out": Linear(4, 2, seed=rng)}
        self.scale = Tensor(rng.uniform(0.5, 1.5, 4), requires_grad=True)
        self.act = Tanh()

    def forward(self, x):
        h = self.act(self.inp(x))
        a = ReLU()(self.branches[0](h))
        b = Sigmoid()(self.branches[1](h))
        joined = a * b + h  # element-wise join, then the residual
        # a parameter of one's own: the tensor on the tensor engine, its views on the scalar one
        scale = self.scale if isinstance(joined, Tensor) else self.parameter_values("scale")
        return self.head["out"](joined * scale)


def _torch_branchy(net: Branchy):
    torch = pytest.importorskip("torch")

    class TorchBranchy(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.tensor(net.scale.data))
            self.inp = torch.nn.Linear(3, 4, dtype=torch.float64)
            self.branches = torch.nn.ModuleList(
                [torch.nn.Linear(4, 4, dtype=torch.float64) for _ in range(2)]
            )
            self.head = torch.nn.ModuleDict({"out": torch.nn.Linear(4, 2, dtype=torch.float64)})

        def forward(self, x):
            h = torch.tanh(self.inp(x))
            joined = torch.relu(self.branches[0](h)) * torch.sigmoid(self.branches[1](h)) + h
            return self.head["out"](joined * self.scale)

    twin = TorchBranchy()
    with torch.no_grad():
        for name, p in twin.named_parameters():
            p.copy_(torch.tensor(dict(net.named_parameters())[name].data))
    return torch, twin


def test_a_hand_written_module_finds_every_parameter_with_torchs_names():
    net = Branchy()
    names = [name for name, _ in net.named_parameters()]
    assert names == [
        "scale",
        "inp.weight",
        "inp.bias",
        "branches.0.weight",
        "branches.0.bias",
        "branches.1.weight",
        "branches.1.bias",
        "head.out.weight",
        "head.out.bias",
    ]
    torch, twin = _torch_branchy(net)
    assert names == [name for name, _ in twin.named_parameters()]
    assert list(net.state_dict()) == list(twin.state_dict())
    assert len(net.parameters()) == 9
    kinds = [type(m).__name__ for m in net.children()]
    assert kinds == ["Linear", "Linear", "Linear", "Linear", "Tanh"]
    assert len(list(net.modules())) == 6


def test_hand_written_module_matches_torch_forward_and_gradients_on_both_engines():
    net = Branchy(seed=3)
    torch, twin = _torch_branchy(net)
    rng = np.random.default_rng(4)
    x, z = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    tx = torch.tensor(x)
    ty = twin(tx)
    (0.5 * ((ty - torch.tensor(z)) ** 2).sum()).backward()
    reference = {name: p.grad.numpy() for name, p in twin.named_parameters()}

    out = net(x)
    np.testing.assert_allclose(out.data, ty.detach().numpy(), rtol=0, atol=1e-12)
    mse(out, z).backward()
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, reference[name], rtol=0, atol=1e-12, err_msg=name)

    net.zero_grad()
    for xi, zi in zip(x, z, strict=True):
        y = net(list(xi))
        assert isinstance(y, np.ndarray) and y.dtype == object and y.shape == (2,)
        mse(y, list(zi)).backward()
    for name, p in net.named_parameters():
        np.testing.assert_allclose(p.grad, reference[name], rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_hand_written_module_trains_on_either_engine(engine):
    net = Branchy(seed=5)
    rng = np.random.default_rng(6)
    x, z = rng.normal(size=(8, 3)), rng.uniform(-0.5, 0.5, (8, 2))
    opt = SGD(net.parameters(), lr=0.02)

    def loss_value():
        if engine == "tensor":
            return mse(net(x), z)
        total = Value(0.0)
        for xi, zi in zip(x, z, strict=True):
            total = total + mse(net(list(xi)), list(zi))
        return total

    first = loss_value()
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = loss_value()
        loss.backward()
        opt.step()
        losses.append(float(loss.data))
    assert losses[-1] < 0.5 * float(first.data)


def test_registration_looks_into_lists_tuples_and_dicts_and_keeps_frozen_parameters():
    class Net(Module):
        def __init__(self):
            self.pair = (Linear(2, 2, seed=0), Linear(2, 1, seed=1))
            self.extra = [Tensor(np.ones(2), requires_grad=True), Tensor(np.ones(2))]
            self.w = Tensor(np.zeros(3), requires_grad=True)
            self.constant = Tensor(np.ones(3))  # no grad: an attribute, not a parameter

    net = Net()
    assert [n for n, _ in net.named_parameters()] == [
        "w",
        "pair.0.weight",
        "pair.0.bias",
        "pair.1.weight",
        "pair.1.bias",
        "extra.0",
    ]
    net.w.requires_grad = False  # frozen, as a torch Parameter with requires_grad=False
    net.w = Tensor(np.ones(3))  # replacing a registered parameter keeps it registered
    assert "w" in net.state_dict()
    shared = Net()
    shared.pair = (net.pair[0], net.pair[0])  # one layer used twice: listed once
    assert [n for n, _ in shared.named_parameters()][1:3] == ["pair.0.weight", "pair.0.bias"]
    assert len(shared.parameters()) == 4 and len(shared.state_dict()) == 6


def test_zero_grad_to_train_eval_and_repr():
    net = Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 1, seed=1))
    mse(net(np.ones((2, 2))), np.zeros((2, 1))).backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    weight = net[0].weight
    assert net.to(np.float32) is net and weight.dtype == np.float32 and net[0].weight is weight
    assert net(np.ones((1, 2))).dtype == np.float32
    with pytest.raises(ValueError, match="float64 or float32, not int64"):
        net.to(np.int64)
    assert net.eval() is net and not any(m.training for m in net.modules())
    assert all(m.training for m in net.train().modules())
    assert repr(net) == (
        "Sequential(\n  (0): Linear(2, 3, bias=True)\n  (1): Tanh()\n"
        "  (2): Linear(3, 1, bias=True)\n)"
    )


def test_scalar_vectors_add_element_wise_and_support_matmul():
    fc = Linear(2, 3, seed=0)
    h, g = fc([1.0, 2.0]), fc([0.5, -1.0])
    s = h + g
    assert s.shape == (3,) and all(isinstance(v, Value) for v in s)
    assert [v.data for v in s] == [a.data + b.data for a, b in zip(h, g, strict=True)]
    w = np.array([[Value(1.0), Value(2.0), Value(3.0)]], dtype=object)
    (y,) = w @ h
    assert y.data == pytest.approx(sum(k * v.data for k, v in zip([1, 2, 3], h, strict=True)))
    relu = ReLU()(s)
    assert [v.data for v in relu] == [max(v.data, 0.0) for v in s]


def _same_weights(seed=0):
    rng = np.random.default_rng(seed)
    seq = Sequential(Linear(3, 4, seed=rng), ReLU(), Linear(4, 2, seed=rng), Sigmoid())
    mlp = MLP.from_weights(
        [seq[0].weight.data, seq[2].weight.data],
        [seq[0].bias.data, seq[2].bias.data],
        activation=["relu", "sigmoid"],
    )
    return seq, mlp


def test_sequential_equals_mlp_with_the_same_weights_on_both_engines():
    seq, mlp = _same_weights()
    rng = np.random.default_rng(1)
    x, z = rng.normal(size=(4, 3)), rng.uniform(size=(4, 2))
    for net in (seq, mlp):
        mse(net(x), z).backward()
    for a, b in zip(seq.parameters(), mlp.parameters(), strict=True):
        np.testing.assert_array_equal(a.grad, b.grad)
    np.testing.assert_array_equal(seq(x).data, mlp(x).data)
    seq.zero_grad(), mlp.zero_grad()
    for net in (seq, mlp):
        mse(net(list(x[0])), list(z[0])).backward()
    for a, b in zip(seq.parameters(), mlp.parameters(), strict=True):
        np.testing.assert_array_equal(a.grad, b.grad)
    labels = {v.label for v in walk(mse(seq(list(x[0])), list(z[0]))) if v.label}
    expected = {"x[0]", "wh[0][3][2]", "bh[0][1]", "sh[0][0]", "ah[0][0]", "wo[1][3]", "yo[1]"}
    assert expected <= labels


def test_sequential_goes_through_the_cross_check_as_the_mlp_does():
    seq, mlp = _same_weights(2)
    rng = np.random.default_rng(3)
    x, z = rng.normal(size=(3, 3)), rng.uniform(size=(3, 2))
    a, b = cross_check(seq, x, z), cross_check(mlp, x, z)
    assert a.passed and a.names == b.names and a.names[0] == "wh[0][0][0]"
    for road in b.roads:
        np.testing.assert_array_equal(a.roads[road], b.roads[road])


def test_as_mlp_shares_the_tensors_and_refuses_other_modules_naming_them():
    seq = Sequential(Linear(2, 3, seed=0), Tanh(), Linear(3, 3, seed=1), Linear(3, 1, seed=2))
    net = as_mlp(seq)
    assert net.activations == ["tanh", "linear", "linear"] and net.sizes == [2, 3, 3, 1]
    assert net.parameters()[4] is seq[3].weight
    assert as_mlp(net) is net
    assert as_mlp(Sequential(Layer(2, 2, "relu"), Linear(2, 1), Identity())).activations == [
        "relu",
        "linear",
    ]
    with pytest.raises(TypeError, match=r"module 2 \(Sigmoid\) does not follow a Linear layer"):
        as_mlp(Sequential(Linear(2, 2), Tanh(), Sigmoid()))
    with pytest.raises(TypeError, match=r"module 1 \(Branchy\) is not supported"):
        as_mlp(Sequential(Linear(2, 3), Branchy()))
    with pytest.raises(TypeError, match="Branchy is not MLP-shaped"):
        as_mlp(Branchy())
    with pytest.raises(ValueError, match="Linear layer 0 has no bias"):
        as_mlp(Sequential(Linear(2, 1, bias=False)))
    with pytest.raises(ValueError, match="Linear layer 1 takes 4 inputs but layer 0 gives 3"):
        as_mlp(Sequential(Linear(2, 3), Linear(4, 1)))


def test_leaves_are_dotted_paths_inside_a_module_of_ones_own():
    net = Branchy()
    assert net.inp.neurons[1].w[2].label == "inp.weight[1][2]"
    assert net.branches[1].weight.label == "branches.1.weight"
    y = net([0.1, 0.2, 0.3])
    labels = {v.label for v in walk(y[0]) if v.label}
    assert {"x[0]", "head.out.weight[0][3]", "inp.s[2]", "inp.a[2]", "head.out.bias[0]"} <= labels


def test_mlp_keeps_its_public_names_and_is_made_of_linear_layers():
    net = MLP(2, [3, 1], seed=0)
    assert all(isinstance(layer, Linear) for layer in net.layers)
    assert [n for n, _ in net.named_parameters()] == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    out = net([1.0, 1.0])
    assert len(out) == 1 and out[0].label == "yo[0]"
    seq = net.to_sequential()
    np.testing.assert_array_equal(seq(np.ones((1, 2))).data, net(np.ones((1, 2))).data)
    assert seq[0].weight is net.layers[0].weight


def test_state_of_a_torch_sequential_loads_into_ours():
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    twin = torch.nn.Sequential(
        torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2), torch.nn.Sigmoid()
    ).double()
    ours = Sequential(Linear(3, 5), Tanh(), Linear(5, 2), Sigmoid())
    ours.load_state_dict({k: v.numpy() for k, v in twin.state_dict().items()})
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_allclose(ours(x).data, twin(torch.tensor(x)).detach().numpy(), atol=1e-15)


def test_the_build_a_network_page_runs(tmp_path, monkeypatch, capsys):
    import re
    from pathlib import Path

    page = Path(__file__).resolve().parents[1] / "docs" / "build-a-network.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(), re.S)
    refusal = blocks.pop()  # the last block shows an error
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile("\n".join(blocks), str(page), "exec"), namespace)  # noqa: S102 -- our own docs
    out = capsys.readouterr().out
    assert "'paths.0.weight'" in out and ": PASS" in out and "yo[0] = sigmoid(" in out
    assert namespace["loss"].item() < 0.05  # XOR learnt on the tensor engine
    with pytest.raises(TypeError, match="TwoPaths is not MLP-shaped"):
        exec(refusal, namespace)  # noqa: S102


def test_entry_points_take_an_mlp_shaped_sequential_and_refuse_other_modules(tmp_path):
    from tinygrad_mlp.explain import explain, training_table
    from tinygrad_mlp.io import SavedModel, load_model, save_model, write_seed_weights
    from tinygrad_mlp.viz import draw_network

    seq, mlp = _same_weights(4)
    x, z = [0.1, 0.2, 0.3], [0.5, 0.5]
    assert draw_network(seq).source == draw_network(mlp).source
    assert explain(seq, x, z).render() == explain(mlp, x, z).render()
    assert training_table(seq, [x], [z], epochs=2) == training_table(mlp, [x], [z], epochs=2)
    save_model(tmp_path / "model.json", SavedModel(net=seq))
    loaded = load_model(tmp_path / "model.json").net
    np.testing.assert_array_equal(loaded(np.ones((1, 3))).data, seq(np.ones((1, 3))).data)
    write_seed_weights(tmp_path / "weights.json", seq)
    refusals = [
        lambda net: cross_check(net, [x], [z]),
        lambda net: explain(net, x, z),
        lambda net: training_table(net, [x], [z]),
        draw_network,
        lambda net: SavedModel(net=net),
        lambda net: write_seed_weights(tmp_path / "w.json", net),
    ]
    for entry in refusals:
        with pytest.raises(TypeError, match="Branchy is not MLP-shaped"):
            entry(Branchy())

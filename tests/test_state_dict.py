"""state_dict / load_state_dict for modules and optimizers, .npz files, resuming exactly."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.io import load_state, save_state
from tinygrad_mlp.losses import mse
from tinygrad_mlp.nn import MLP, Linear, Module, Sequential, Tanh
from tinygrad_mlp.optim import SGD, Adam, AdamW

RNG = np.random.default_rng(0)
X, Z = RNG.normal(size=(16, 3)), RNG.uniform(size=(16, 2))


def _net(seed=0):
    return Sequential(Linear(3, 5, seed=seed), Tanh(), Linear(5, 2, seed=seed + 1))


def test_state_dict_round_trips_exactly_through_memory_and_npz(tmp_path):
    a, b = _net(0), _net(1)
    state = a.state_dict()
    assert list(state) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    before = [p.data for p in b.parameters()]
    assert b.load_state_dict(state) == ([], [])
    for p, q, kept in zip(a.parameters(), b.parameters(), before, strict=True):
        np.testing.assert_array_equal(p.data, q.data)
        assert q.data is kept  # loaded in place: optimizers and views keep their tensors
    path = save_state(a.state_dict(), tmp_path / "net.npz")
    c = _net(2)
    c.load_state_dict(load_state(path))
    np.testing.assert_array_equal(c(X).data, a(X).data)


def test_a_state_is_a_copy_so_keeping_the_best_epoch_needs_no_deepcopy():
    net = _net()
    best = net.state_dict()
    net[0].weight.data += 1.0
    assert not np.array_equal(best["0.weight"], net[0].weight.data)


def test_wrong_shape_is_one_sentence_naming_the_key_even_when_not_strict():
    net, state = _net(), _net().state_dict()
    state["2.weight"] = np.zeros((2, 4))
    kept = net[0].weight.data.copy()
    for strict in (True, False):
        with pytest.raises(ValueError, match=r"'2.weight' has shape \(2, 4\) but the parameter"):
            net.load_state_dict(state, strict=strict)
    np.testing.assert_array_equal(net[0].weight.data, kept)  # nothing half-loaded


def test_missing_and_unexpected_keys_are_refused_or_reported_as_torch_does():
    torch = pytest.importorskip("torch")
    net = _net()
    state = net.state_dict()
    del state["0.bias"]
    state["3.weight"] = np.zeros(1)
    with pytest.raises(ValueError, match=r"missing keys \['0.bias'\] and unexpected keys"):
        net.load_state_dict(state)
    result = net.load_state_dict(state, strict=False)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    expected = twin.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert result.missing_keys == expected.missing_keys == ["0.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["3.weight"]


def test_values_are_cast_to_the_parameters_dtype():
    net = _net().to(np.float32)
    net.load_state_dict({k: v.astype(np.float64) for k, v in _net(5).state_dict().items()})
    assert all(p.dtype == np.float32 for p in net.parameters())
    with pytest.raises(TypeError, match="state entry '0.weight' is not numbers"):
        net.load_state_dict({**net.state_dict(), "0.weight": "abc"})


def test_state_files_refuse_pickles_and_name_a_bad_file(tmp_path):
    bad = tmp_path / "objects.npz"
    np.savez(bad, w=np.array([{"a": 1}], dtype=object))
    with pytest.raises(ValueError, match="objects.npz: not a state file"):
        load_state(bad)
    (tmp_path / "junk.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="junk.npz: not a state file"):
        load_state(tmp_path / "junk.npz")
    with pytest.raises(ValueError, match="nothing.npz: no such file"):
        load_state(tmp_path / "nothing.npz")


def test_mlp_state_has_torch_style_keys_and_loads_into_a_fresh_mlp():
    a, b = MLP(2, [3, 1], seed=0), MLP(2, [3, 1], seed=1)
    assert list(a.state_dict()) == [
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
    ]
    b.load_state_dict(a.state_dict())
    assert b([0.5, 0.5])[0].data == a([0.5, 0.5])[0].data


class Tied(Module):
    def __init__(self):
        self.fc = Linear(2, 2, seed=0)
        self.again = self.fc


def test_a_shared_layer_is_one_parameter_but_two_state_keys_as_in_torch():
    net = Tied()
    assert [n for n, _ in net.named_parameters()] == ["fc.weight", "fc.bias"]
    assert list(net.state_dict()) == ["fc.weight", "fc.bias", "again.weight", "again.bias"]


# --------------------------------------------------------------------------- optimizers


def _train(net, opt, steps):
    for _ in range(steps):
        opt.zero_grad()
        mse(net(X), Z).backward()
        opt.step()


@pytest.mark.parametrize(
    "make",
    [
        lambda ps: SGD(ps, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        lambda ps: Adam(ps, lr=0.01, betas=(0.8, 0.99), weight_decay=1e-3),
    ],
    ids=["sgd-momentum", "adam"],
)
def test_save_load_continue_equals_uninterrupted_training_exactly(make):
    straight = _net(3)
    _train(straight, make(straight.parameters()), 10)

    first = _net(3)
    opt = make(first.parameters())
    _train(first, opt, 4)
    model_state, opt_state = first.state_dict(), opt.state_dict()
    _train(first, opt, 2)  # moves on; the saved states must not move with it

    resumed = _net(9)
    resumed.load_state_dict(model_state)
    opt2 = make(resumed.parameters())
    opt2.load_state_dict(opt_state)
    _train(resumed, opt2, 6)
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)


def test_adam_continues_from_torchs_state_as_torch_does():
    torch = pytest.importorskip("torch")
    ours = _net(4)
    twin = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2))
    twin = twin.double()
    twin.load_state_dict({k: torch.tensor(v) for k, v in ours.state_dict().items()})
    topt = torch.optim.Adam(twin.parameters(), lr=0.01, betas=(0.85, 0.995))
    tx, tz = torch.tensor(X), torch.tensor(Z)

    def torch_steps(n):
        for _ in range(n):
            topt.zero_grad()
            (0.5 * ((twin(tx) - tz) ** 2).sum()).backward()
            topt.step()

    torch_steps(5)
    ours.load_state_dict({k: v.detach().numpy() for k, v in twin.state_dict().items()})
    opt = Adam(ours.parameters(), lr=1.0)
    torch_state = topt.state_dict()
    opt.load_state_dict(
        {
            "state": {
                k: {name: np.asarray(t) for name, t in entry.items()}
                for k, entry in torch_state["state"].items()
            },
            "param_groups": torch_state["param_groups"],
        }
    )
    assert opt.lr == 0.01 and opt.param_groups[0]["betas"] == (0.85, 0.995)
    assert [opt.state[p]["step"] for p in ours.parameters()] == [5, 5, 5, 5]
    torch_steps(5)
    _train(ours, opt, 5)
    for p, (_, q) in zip(ours.parameters(), twin.named_parameters(), strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=0, atol=1e-12)
    ours_state = opt.state_dict()
    assert ours_state["param_groups"][0]["params"] == [0, 1, 2, 3]
    np.testing.assert_allclose(
        ours_state["state"][0]["exp_avg"], topt.state_dict()["state"][0]["exp_avg"], atol=1e-12
    )


def test_optimizer_state_of_another_shape_is_refused_before_anything_changes():
    net = _net()
    opt = SGD(net.parameters(), lr=0.1, momentum=0.5)
    _train(net, opt, 1)
    state = opt.state_dict()
    state["state"][2]["momentum_buffer"] = np.zeros((3, 3))
    state["param_groups"][0]["lr"] = 5.0
    with pytest.raises(ValueError, match=r"'momentum_buffer' of parameter 2 has shape \(3, 3\)"):
        opt.load_state_dict(state)
    assert opt.lr == 0.1
    with pytest.raises(ValueError, match="holds 4 parameters; this optimizer has 2"):
        SGD(net[0].parameters(), lr=0.1).load_state_dict(opt.state_dict())
    adamw = AdamW(net.parameters()).state_dict()
    with pytest.raises(ValueError, match="AdamW's .* load it into AdamW"):
        Adam(net.parameters()).load_state_dict(adamw)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_optimizer_state_resumes_exactly_from_an_npz_file(tmp_path, kind):
    def make(ps):
        if kind == "sgd":
            return SGD(ps, lr=0.05, momentum=0.9, nesterov=True)
        return Adam(ps, lr=0.01, betas=(0.8, 0.99))

    straight = _net(6)
    _train(straight, make(straight.parameters()), 7)
    first = _net(6)
    opt = make(first.parameters())
    _train(first, opt, 3)
    save_state(first.state_dict(), tmp_path / "model.npz")
    save_state(opt.state_dict(), tmp_path / "optimizer.npz")
    resumed = _net(1)
    resumed.load_state_dict(load_state(tmp_path / "model.npz"))
    opt2 = make(resumed.parameters())
    opt2.lr = 123.0  # the file's hyper-parameters win
    opt2.load_state_dict(load_state(tmp_path / "optimizer.npz"))
    _train(resumed, opt2, 4)
    for p, q in zip(straight.parameters(), resumed.parameters(), strict=True):
        np.testing.assert_array_equal(p.data, q.data)

"""The non-op surface against torch: optimizers, schedules and gradient clipping.

One table per family, run in float64 beside torch: every optimizer with every
combination of its options (10 steps on the same parameters and gradients, then the
state dicts); every option's bad values; every scheduler alone, in pairs on one
optimizer, beside a rate changed by hand, and resumed from its state; clipping over a
list, a generator or one tensor, with NaN and infinite gradients, every norm type and
``error_if_nonfinite``.
"""

from __future__ import annotations

import itertools
import math
import warnings

import numpy as np
import pytest

from tinygrad_mlp import optim
from tinygrad_mlp.tensor import Tensor

torch = pytest.importorskip("torch")

pytestmark = pytest.mark.reference

SHAPES = [(3, 2), (4,)]
STEPS = 10


def _gradients(steps: int = STEPS) -> list[list[np.ndarray | None]]:
    """A fixed sequence of gradients; the vector gets none at step 3 (it must be skipped)."""
    rng = np.random.default_rng(7)
    out = []
    for t in range(steps):
        grads = [rng.normal(size=s) * (1 + t) for s in SHAPES]
        if t == 3:
            grads[1] = None
        out.append(grads)
    return out


def _start() -> list[np.ndarray]:
    rng = np.random.default_rng(3)
    return [rng.normal(size=s) for s in SHAPES]


# ---------------------------------------------------------------- optimizer table


def _combos(options: dict[str, list]) -> list[dict]:
    keys = list(options)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*options.values())]


def _sgd_cases():
    for kw in _combos(
        {
            "lr": [0.1, 0.0],
            "momentum": [0.0, 0.9],
            "dampening": [0.0, 0.3],
            "weight_decay": [0.0, 0.05],
            "nesterov": [False, True],
            "maximize": [False, True],
        }
    ):
        if kw["nesterov"] and (kw["momentum"] == 0 or kw["dampening"] != 0):
            continue
        if kw["lr"] == 0 and (kw["dampening"] or kw["weight_decay"]):
            continue  # lr=0 once per shape of state is enough
        yield "SGD", kw


def _adam_cases(name: str):
    for kw in _combos(
        {
            "betas": [(0.9, 0.999), (0.3, 0.8)],  # 1 − β₁ on both sides of torch's lerp switch
            "weight_decay": [0.0, 0.05],
            "amsgrad": [False, True],
            "maximize": [False, True],
        }
    ):
        yield name, {"lr": 0.05, "eps": 1e-6, **kw}
    yield name, {}  # torch's defaults (AdamW's weight_decay 0.01)
    yield name, {"lr": 0.0}
    if name == "Adam":
        yield name, {"lr": 0.05, "weight_decay": 0.05, "decoupled_weight_decay": True}


CASES = [*_sgd_cases(), *_adam_cases("Adam"), *_adam_cases("AdamW")]


def _run(name: str, kw: dict):
    start, grads = _start(), _gradients()
    ours = [Tensor(w.copy(), requires_grad=True) for w in start]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in start]
    opt = getattr(optim, name)(ours, **kw)
    topt = getattr(torch.optim, name)(theirs, **kw)
    for step in grads:
        for p, q, g in zip(ours, theirs, step, strict=True):
            p.grad = None if g is None else g.copy()
            q.grad = None if g is None else torch.tensor(g)
        opt.step()
        topt.step()
        for p, q in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)
    return opt, topt


def _assert_states_equal(ours: dict, theirs: dict) -> None:
    assert len(ours["param_groups"]) == len(theirs["param_groups"])
    for a, b in zip(ours["param_groups"], theirs["param_groups"], strict=True):
        assert set(a) == set(b), f"group keys differ: {set(a) ^ set(b)}"
        for key in a:
            want = tuple(b[key]) if key == "betas" else b[key]
            assert a[key] == want, f"group {key}: ours {a[key]!r}, torch {want!r}"
    assert set(ours["state"]) == set(theirs["state"])
    for k, entry in theirs["state"].items():
        assert set(ours["state"][k]) == set(entry), f"state keys of {k}"
        for key, value in entry.items():
            np.testing.assert_allclose(
                np.asarray(ours["state"][k][key]), value.numpy(), rtol=1e-12, atol=1e-14
            )


@pytest.mark.parametrize("name, kw", CASES, ids=[f"{n}-{kw}" for n, kw in CASES])
def test_optimizer_steps_and_state_match_torch(name, kw):
    opt, topt = _run(name, kw)
    _assert_states_equal(opt.state_dict(), topt.state_dict())


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_parameter_groups_with_their_own_options_match_torch(name):
    start, grads = _start(), _gradients()
    ours = [Tensor(w.copy(), requires_grad=True) for w in start]
    theirs = [torch.tensor(w.copy(), requires_grad=True) for w in start]
    extra = {"momentum": 0.5} if name == "SGD" else {"betas": (0.5, 0.9)}
    opt = getattr(optim, name)([{"params": [ours[0]]}, {"params": [ours[1]], **extra}], lr=0.1)
    topt = getattr(torch.optim, name)(
        [{"params": [theirs[0]]}, {"params": [theirs[1]], **extra}], lr=0.1
    )
    for step in grads:
        for p, q, g in zip(ours, theirs, step, strict=True):
            p.grad, q.grad = (None, None) if g is None else (g.copy(), torch.tensor(g))
        opt.step()
        topt.step()
    for p, q in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)
    _assert_states_equal(opt.state_dict(), topt.state_dict())


def test_a_torch_state_loads_and_continues_as_torch():
    for name, kw in [("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2}),
                     ("Adam", {"lr": 0.05, "amsgrad": True}),
                     ("AdamW", {"lr": 0.05, "weight_decay": 0.1})]:  # fmt: skip
        _, topt = _run(name, kw)
        theirs = [p for g in topt.param_groups for p in g["params"]]
        ours = [Tensor(q.detach().numpy().copy(), requires_grad=True) for q in theirs]
        opt = getattr(optim, name)(ours)
        opt.load_state_dict(topt.state_dict())
        _assert_states_equal(opt.state_dict(), topt.state_dict())
        for step in _gradients(4):
            for p, q, g in zip(ours, theirs, step, strict=True):
                p.grad, q.grad = (None, None) if g is None else (g.copy(), torch.tensor(g))
            opt.step()
            topt.step()
        for p, q in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-14)


def test_an_adamw_state_loads_into_adamw_and_is_refused_by_adam():
    opt, _ = _run("AdamW", {"lr": 0.05})
    params = [Tensor(np.zeros(s), requires_grad=True) for s in SHAPES]
    again = optim.AdamW(params)
    again.load_state_dict(opt.state_dict())
    assert again.param_groups[0]["decoupled_weight_decay"] is True
    adam = optim.Adam([Tensor(np.zeros(s), requires_grad=True) for s in SHAPES], lr=0.3)
    with pytest.raises(
        ValueError, match=r"^this optimizer state is AdamW's .* load it into AdamW$"
    ):
        adam.load_state_dict(opt.state_dict())
    assert adam.lr == 0.3 and not adam.state  # nothing changed
    with pytest.raises(ValueError, match="Adam's .* load it into Adam$"):
        again.load_state_dict(optim.Adam(params).state_dict())
    with pytest.raises(ValueError, match="written by another optimizer"):
        optim.SGD(params).load_state_dict(opt.state_dict())


def test_an_optimizer_state_survives_an_npz_file(tmp_path):
    from tinygrad_mlp.files import load_state, save_state

    for name, kw in [("SGD", {"momentum": 0.9, "nesterov": True}), ("AdamW", {"amsgrad": True})]:
        opt, _ = _run(name, kw)
        params = [Tensor(np.zeros(s), requires_grad=True) for s in SHAPES]
        again = getattr(optim, name)(params)
        again.load_state_dict(load_state(save_state(opt.state_dict(), tmp_path / "o.npz")))
        a, b = again.state_dict(), opt.state_dict()
        assert a["param_groups"] == b["param_groups"]
        for k in b["state"]:
            for key in b["state"][k]:
                np.testing.assert_array_equal(a["state"][k][key], b["state"][k][key])


# ---------------------------------------------------------------- bad options


BAD = [
    ("SGD", {"lr": -0.1}),
    ("SGD", {"momentum": -0.5}),
    ("SGD", {"weight_decay": -1e-3}),
    ("SGD", {"nesterov": True}),
    ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}),
    *[
        (name, kw)
        for name in ("Adam", "AdamW")
        for kw in (
            {"lr": -1e-3},
            {"eps": -1e-8},
            {"betas": (1.0, 0.999)},
            {"betas": (-0.1, 0.999)},
            {"betas": (0.9, 1.0)},
            {"betas": (0.9, -0.5)},
            {"weight_decay": -0.01},
        )
    ],
]


@pytest.mark.parametrize("name, kw", BAD, ids=[f"{n}-{kw}" for n, kw in BAD])
def test_bad_options_are_refused_in_one_sentence_as_torch_refuses_them(name, kw):
    with pytest.raises(ValueError):
        getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], **kw)
    with pytest.raises(ValueError) as error:
        getattr(optim, name)([Tensor(np.zeros(2), requires_grad=True)], **kw)
    message = str(error.value)
    assert "\n" not in message and message.count(". ") == 0, message
    # a group's own bad value is refused too (torch checks only the defaults)
    with pytest.raises(ValueError):
        getattr(optim, name)([{"params": [Tensor(np.zeros(2), requires_grad=True)], **kw}])


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_lr_zero_is_accepted_as_torch_accepts_it(name):
    getattr(torch.optim, name)([torch.zeros(2, requires_grad=True)], lr=0.0)
    opt = getattr(optim, name)([Tensor(np.zeros(2), requires_grad=True)], lr=0.0)
    assert opt.lr == 0.0


def test_options_that_are_not_numbers_are_refused_with_a_type_error():
    p = [Tensor(np.zeros(2), requires_grad=True)]
    with pytest.raises(TypeError, match="lr must be a real number"):
        optim.SGD(p, lr="0.1")
    with pytest.raises(TypeError, match="betas must be a pair"):
        optim.Adam(p, betas=0.9)
    with pytest.raises(ValueError, match="lr must be a number, got nan"):
        optim.Adam(p, lr=float("nan"))
    with pytest.raises(TypeError, match="not one Tensor"):
        optim.SGD(p[0])


# ---------------------------------------------------------------- schedulers


def _table(m):
    """(name, make) for every epoch scheduler, over module m (ours or torch's)."""
    return {
        "StepLR": lambda o: m.StepLR(o, step_size=4, gamma=0.5),
        "MultiStepLR": lambda o: m.MultiStepLR(o, milestones=[3, 8, 8, 20], gamma=0.7),
        "ExponentialLR": lambda o: m.ExponentialLR(o, gamma=0.9),
        "CosineAnnealingLR": lambda o: m.CosineAnnealingLR(o, T_max=9, eta_min=0.01),
        "LambdaLR": lambda o: m.LambdaLR(o, lambda t: 1 / (1 + 0.3 * t)),
        "MultiplicativeLR": lambda o: m.MultiplicativeLR(o, lambda t: 0.97),
        "LinearLR": lambda o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=6),
        "ConstantLR": lambda o: m.ConstantLR(o, factor=0.4, total_iters=5),
        "PolynomialLR": lambda o: m.PolynomialLR(o, total_iters=12, power=1.7),
    }


SCHEDULERS = list(_table(torch.optim.lr_scheduler))


def _rates(module, opt_module, makers, epochs=30, manual=None, tensor=None):
    """The lr after each epoch (and at construction) with schedulers made by ``makers``."""
    p = tensor if tensor is not None else torch.zeros(1, requires_grad=True)
    opt = opt_module.SGD([p], lr=0.3)
    table = _table(module)
    scheds = [table[name](opt) for name in makers]
    lrs = [opt.param_groups[0]["lr"]]
    last = []
    for epoch in range(1, epochs + 1):
        opt.step()
        for s in scheds:
            s.step()
        if manual is not None and epoch == manual:
            for group in opt.param_groups:
                group["lr"] = group["lr"] * 3.0
        lrs.append(opt.param_groups[0]["lr"])
        last.append([s.get_last_lr() for s in scheds])
    return lrs, last, [s.last_epoch for s in scheds]


def _both(makers, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = _rates(torch.optim.lr_scheduler, torch.optim, makers, **kw)
    ours = _rates(optim, optim, makers, tensor=Tensor([0.0], requires_grad=True), **kw)
    return ours, theirs


def _assert_rates(ours, theirs):
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(np.array(ours[1], dtype=float), np.array(theirs[1], dtype=float),
                               rtol=1e-12, atol=1e-15)  # fmt: skip
    assert ours[2] == theirs[2]


@pytest.mark.parametrize("name", SCHEDULERS)
def test_each_scheduler_alone_gives_torchs_rates(name):
    _assert_rates(*_both([name]))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_a_rate_changed_by_hand_at_epoch_7_composes_as_in_torch(name):
    _assert_rates(*_both([name], manual=7))


PAIRS = list(itertools.combinations(SCHEDULERS, 2))


@pytest.mark.parametrize("pair", PAIRS, ids=["+".join(p) for p in PAIRS])
def test_two_schedulers_on_one_optimizer_compose_as_in_torch(pair):
    _assert_rates(*_both(list(pair), manual=7))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_a_scheduler_resumed_from_its_state_continues_torchs_sequence(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected, _, _ = _rates(torch.optim.lr_scheduler, torch.optim, [name])
        # torch's own checkpoint at epoch 12, loaded into ours
        q = torch.zeros(1, requires_grad=True)
        topt = torch.optim.SGD([q], lr=0.3)
        tsched = _table(torch.optim.lr_scheduler)[name](topt)
        for _ in range(12):
            topt.step()
            tsched.step()
    for source in ("ours", "torch"):
        p = Tensor([0.0], requires_grad=True)
        opt = optim.SGD([p], lr=0.3)
        sched = _table(optim)[name](opt)
        if source == "ours":
            for _ in range(12):
                opt.step()
                sched.step()
            opt_state, sched_state = opt.state_dict(), sched.state_dict()
        else:
            opt_state, sched_state = topt.state_dict(), tsched.state_dict()
        # the torch recipe: build both afresh, then load the optimizer's state, then the
        # scheduler's
        p2 = Tensor([0.0], requires_grad=True)
        opt2 = optim.SGD([p2], lr=0.3)
        sched2 = _table(optim)[name](opt2)
        opt2.load_state_dict(opt_state)
        sched2.load_state_dict(sched_state)
        assert sched2.last_epoch == 12
        rates = [opt2.lr]
        for _ in range(18):
            opt2.step()
            sched2.step()
            rates.append(sched2.get_last_lr()[0])
        np.testing.assert_allclose(rates, expected[12:], rtol=1e-12, atol=1e-15, err_msg=source)


def test_scheduler_state_dict_has_torchs_entries():
    for name in SCHEDULERS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = _table(torch.optim.lr_scheduler)[name](
                torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.3)
            ).state_dict()
        ours = _table(optim)[name](optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.3))
        missing = set(theirs) - set(ours.state_dict()) - {"_get_lr_called_within_step"}
        assert not missing, f"{name}: {missing}"


def test_a_state_of_another_scheduler_is_refused():
    opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.3)
    state = optim.StepLR(opt, step_size=3).state_dict()
    with pytest.raises(ValueError, match="written by another scheduler"):
        optim.ExponentialLR(opt, gamma=0.5).load_state_dict(state)


def _composite(m, kind):
    opt_mod = optim if m is optim else torch.optim
    p = Tensor([0.0], requires_grad=True) if m is optim else torch.zeros(1, requires_grad=True)
    opt = opt_mod.SGD([p], lr=0.3)
    if kind == "chained":
        sched = m.ChainedScheduler([m.ExponentialLR(opt, 0.9), m.StepLR(opt, 4, gamma=0.5)])
    else:
        members = [m.LinearLR(opt, 0.1, total_iters=4), m.CosineAnnealingLR(opt, T_max=10),
                   m.ExponentialLR(opt, gamma=0.8)]  # fmt: skip
        sched = m.SequentialLR(opt, members, milestones=[5, 16])
    return opt, sched


@pytest.mark.parametrize("kind", ["chained", "sequential"])
def test_chained_and_sequential_schedulers_give_torchs_rates_and_resume(kind):
    def run(m, epochs, resume_at=None):
        opt, sched = _composite(m, kind)
        lrs = [opt.param_groups[0]["lr"]]
        for epoch in range(1, epochs + 1):
            opt.step()
            sched.step()
            lrs.append(sched.get_last_lr()[0])
            if resume_at == epoch:
                state = (opt.state_dict(), sched.state_dict())
                opt, sched = _composite(m, kind)
                opt.load_state_dict(state[0])
                sched.load_state_dict(state[1])
        return lrs

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = run(torch.optim.lr_scheduler, 30)
    np.testing.assert_allclose(run(optim, 30), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(run(optim, 30, resume_at=11), expected, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"mode": "max", "patience": 2, "factor": 0.5},
        {"patience": 1, "cooldown": 2, "threshold_mode": "abs", "threshold": 0.05},
        {"patience": 0, "min_lr": 0.05, "factor": 0.5},
    ],
)
def test_reduce_on_plateau_gives_torchs_rates(kw):
    metrics = [1.0, 0.9, 0.9, 0.89, 0.95, 0.9, 0.7, 0.7, 0.71, 0.72, 0.73, 0.6] * 3
    rates = []
    for m, opt_mod, p in [
        (torch.optim.lr_scheduler, torch.optim, torch.zeros(1, requires_grad=True)),
        (optim, optim, Tensor([0.0], requires_grad=True)),
    ]:
        opt = opt_mod.SGD([p], lr=0.3)
        sched = m.ReduceLROnPlateau(opt, **kw)
        seq = []
        for x in metrics:
            sched.step(x)
            seq.append(sched.get_last_lr()[0])
        rates.append(seq)
    np.testing.assert_allclose(rates[1], rates[0], rtol=1e-12)


def test_the_cli_scheduler_words_still_build_schedulers():
    from tinygrad_mlp.training import TrainConfig
    from tinygrad_mlp.training.fit import _scheduler

    opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.3)
    for word, kind in [("step", optim.StepLR), ("exponential", optim.ExponentialLR),
                       ("cosine", optim.CosineAnnealingLR)]:  # fmt: skip
        assert isinstance(_scheduler(opt, TrainConfig(scheduler=word, epochs=10)), kind)


# ---------------------------------------------------------------- clipping


def _clip_grads(kind: str) -> list[np.ndarray | None]:
    rng = np.random.default_rng(11)
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5) * 0.1, None, np.zeros(2)]
    if kind == "nan":
        grads[1][2] = np.nan
    elif kind == "inf":
        grads[0][1, 1] = np.inf
    elif kind == "tiny":
        grads = [g * 1e-3 if g is not None else None for g in grads]
    return grads


def _containers(params):
    return {
        "list": lambda: list(params),
        "generator": lambda: (p for p in params),
        "tensor": lambda: params[0],
    }


NORM_TYPES = [0.5, 1.0, 2.0, 3.0, math.inf, -math.inf, 0.0]
CLIP_CASES = list(
    itertools.product(["finite", "nan", "inf", "tiny"], NORM_TYPES, ["list", "generator", "tensor"])
)


def _clip_both(kind, container, call_ours, call_theirs):
    grads = _clip_grads(kind)
    ours = [
        Tensor(np.zeros(np.shape(g) if g is not None else 1), requires_grad=True) for g in grads
    ]
    theirs = [torch.zeros(o.data.shape, dtype=torch.float64, requires_grad=True) for o in ours]
    for p, q, g in zip(ours, theirs, grads, strict=True):
        p.grad = None if g is None else g.copy()
        q.grad = None if g is None else torch.tensor(g)
    outcome = []
    for params, call in [(ours, call_ours), (theirs, call_theirs)]:
        try:
            outcome.append(("value", call(_containers(params)[container]())))
        except RuntimeError as error:
            outcome.append(("error", str(error)))
    for p, q in zip(ours, theirs, strict=True):
        if q.grad is None:
            assert p.grad is None
        else:
            np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12, atol=1e-15)
    return outcome


@pytest.mark.parametrize("error_if_nonfinite", [False, True])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
@pytest.mark.parametrize("kind, norm_type, container", CLIP_CASES)
def test_clip_grad_norm_matches_torch(kind, norm_type, container, max_norm, error_if_nonfinite):
    kw = {"norm_type": norm_type, "error_if_nonfinite": error_if_nonfinite}
    ours, theirs = _clip_both(
        kind,
        container,
        lambda ps: optim.clip_grad_norm_(ps, max_norm, **kw),
        lambda ps: torch.nn.utils.clip_grad_norm_(ps, max_norm, **kw),
    )
    assert ours[0] == theirs[0], (ours, theirs)
    if ours[0] == "error":
        assert ours[1] == theirs[1]
    else:
        np.testing.assert_allclose(ours[1].item(), theirs[1].item(), rtol=1e-12, equal_nan=True)


@pytest.mark.parametrize("clip_value", [0.3, 2.0, -0.5])
@pytest.mark.parametrize("kind", ["finite", "nan", "inf"])
@pytest.mark.parametrize("container", ["list", "generator", "tensor"])
def test_clip_grad_value_matches_torch(kind, container, clip_value):
    ours, theirs = _clip_both(
        kind,
        container,
        lambda ps: optim.clip_grad_value_(ps, clip_value),
        lambda ps: torch.nn.utils.clip_grad_value_(ps, clip_value),
    )
    assert ours == theirs == ("value", None)


def test_clip_grad_norm_of_an_empty_generator_warns_as_torch():
    with pytest.warns(UserWarning, match="empty generator"):
        torch.nn.utils.clip_grad_norm_((p for p in []), 1.0)
    with pytest.warns(UserWarning, match="empty generator"):
        assert optim.clip_grad_norm_((p for p in []), 1.0).item() == 0.0


@pytest.mark.parametrize("clip", ["norm", "value"])
def test_clipping_gradients_left_by_create_graph_matches_torch(clip):
    w0 = np.array([1.5, -2.0, 3.0])
    ours = Tensor(w0.copy(), requires_grad=True)
    theirs = torch.tensor(w0.copy(), requires_grad=True)
    (ours**3).sum().backward(create_graph=True)
    (theirs**3).sum().backward(create_graph=True)
    assert isinstance(ours.grad, Tensor)
    if clip == "norm":
        total = optim.clip_grad_norm_([ours], 1.0)
        expected = torch.nn.utils.clip_grad_norm_([theirs], 1.0)
        assert total.item() == pytest.approx(expected.item(), rel=1e-12)
    else:
        optim.clip_grad_value_([ours], 5.0)
        torch.nn.utils.clip_grad_value_([theirs], 5.0)
    np.testing.assert_allclose(ours.grad.data, theirs.grad.detach().numpy(), rtol=1e-12)
    # the optimizer then steps with the clipped values
    opt, topt = optim.SGD([ours], lr=0.1), torch.optim.SGD([theirs], lr=0.1)
    opt.step()
    topt.step()
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=1e-12)


# ---------------------------------------------------------------- the reported cases


def _torch_lrs(make, manual_at=None, epochs=12):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.3)
    scheds = make(torch.optim.lr_scheduler, opt)
    lrs = []
    for epoch in range(1, epochs + 1):
        opt.step()
        for s in scheds:
            s.step()
        if epoch == manual_at:
            opt.param_groups[0]["lr"] = 0.05
        lrs.append(opt.param_groups[0]["lr"])
    return lrs


def _our_lrs(make, manual_at=None, epochs=12):
    opt = optim.SGD([Tensor([0.0], requires_grad=True)], lr=0.3)
    scheds = make(optim, opt)
    lrs = []
    for epoch in range(1, epochs + 1):
        opt.step()
        for s in scheds:
            s.step()
        if epoch == manual_at:
            opt.lr = 0.05
        lrs.append(opt.lr)
    return lrs


def test_a_rate_set_by_hand_is_where_the_schedule_continues_from():
    def make(m, o):
        return [m.StepLR(o, step_size=3, gamma=0.5)]

    np.testing.assert_allclose(_our_lrs(make, 4), _torch_lrs(make, 4), rtol=1e-12)


def test_two_schedulers_on_one_optimizer_multiply():
    def make(m, o):
        return [m.ExponentialLR(o, gamma=0.9), m.StepLR(o, step_size=3, gamma=0.5)]

    np.testing.assert_allclose(_our_lrs(make), _torch_lrs(make), rtol=1e-12)


def test_torchs_adamw_state_is_refused_by_adam_in_one_sentence():
    q = torch.zeros(2, requires_grad=True)
    topt = torch.optim.AdamW([q], lr=0.01)
    q.grad = torch.ones(2)
    topt.step()
    state = topt.state_dict()
    state = {
        "state": {k: {n: np.asarray(t) for n, t in e.items()} for k, e in state["state"].items()},
        "param_groups": state["param_groups"],
    }
    with pytest.raises(ValueError, match=r"AdamW's .* load it into AdamW$"):
        optim.Adam([Tensor(np.zeros(2), requires_grad=True)]).load_state_dict(state)


def test_clip_grad_norm_clips_the_gradients_a_generator_yields():
    p = Tensor(np.zeros(2), requires_grad=True)
    p.grad = np.array([3.0, 4.0])
    assert optim.clip_grad_norm_((q for q in [p]), 1.0).item() == 5.0
    np.testing.assert_allclose(p.grad, [0.6, 0.8], rtol=1e-6)


def test_a_nan_norm_makes_every_gradient_nan_as_torch():
    p, q = Tensor(np.zeros(2), requires_grad=True), Tensor(np.zeros(2), requires_grad=True)
    p.grad, q.grad = np.array([np.nan, 1.0]), np.array([1.0, 2.0])
    assert math.isnan(optim.clip_grad_norm_([p, q], 1.0).item())
    assert np.isnan(q.grad).all()


def test_norm_type_zero_counts_as_torch_without_dividing_by_zero():
    p = Tensor(np.zeros(3), requires_grad=True)
    p.grad = np.array([0.0, 2.0, -1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        total = optim.clip_grad_norm_([p], 10.0, norm_type=0)
    t = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    t.grad = torch.tensor([0.0, 2.0, -1.0], dtype=torch.float64)
    assert total.item() == torch.nn.utils.clip_grad_norm_([t], 10.0, norm_type=0).item()

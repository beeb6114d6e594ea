"""tinygrad_mlp.micrograd.nn and whole micrograd programs, side by side with micrograd 0.1.0.

The demo notebook's flow (moons, MLP(2, [16, 16, 1]), max-margin loss + L2, SGD
with a decaying rate, seeds 1337) and the lecture's tanh MLP are written here in
their spirit, with only the import lines pointing at one package or the other.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import random

import numpy as np
import pytest

from tinygrad_mlp.micrograd import nn
from tinygrad_mlp.micrograd.engine import Value

micrograd_nn = pytest.importorskip("micrograd.nn")


def packages():
    """(engine, nn) modules of ours and of micrograd 0.1.0."""
    ours = importlib.import_module("tinygrad_mlp.micrograd.engine"), nn
    theirs = importlib.import_module("micrograd.engine"), micrograd_nn
    return ours, theirs


# --------------------------------------------------------------------------- nn


def test_seeded_mlp_has_micrograds_weights_reprs_and_parameters():
    random.seed(1337)
    ours = nn.MLP(2, [16, 16, 1])
    random.seed(1337)
    theirs = micrograd_nn.MLP(2, [16, 16, 1])
    assert repr(ours) == repr(theirs)
    assert repr(ours.layers[0]).startswith("Layer of [ReLUNeuron(2), ReLUNeuron(2)")
    assert repr(ours.layers[-1]) == "Layer of [LinearNeuron(16)]"
    p, q = ours.parameters(), theirs.parameters()
    assert len(p) == len(q) == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert all(type(v) is Value for v in p)
    assert [v.data for v in p] == [v.data for v in q]
    assert [type(v.data) for v in p] == [type(v.data) for v in q]  # biases are the int 0


def test_forward_single_output_is_bare_and_matches_micrograd():
    random.seed(7)
    ours = nn.MLP(3, [4, 4, 1])
    random.seed(7)
    theirs = micrograd_nn.MLP(3, [4, 4, 1])
    x = [2.0, 3.0, -1.0]
    out, ref = ours(x), theirs(x)
    assert isinstance(out, Value)
    assert out.data == ref.data
    layer_out = ours.layers[0](x)
    assert isinstance(layer_out, list) and len(layer_out) == 4
    assert nn.Neuron(2, nonlin=False)([1.0, 2.0])._op == "+"


def test_zero_grad_resets_to_int_zero():
    random.seed(0)
    model = nn.MLP(2, [3, 1])
    model([1.0, -2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 and type(p.grad) is int for p in model.parameters())
    assert nn.Module().parameters() == []


def test_package_import_forms_of_micrograd_work():
    from tinygrad_mlp.micrograd import nn as nn_module
    from tinygrad_mlp.micrograd.nn import MLP, Layer, Module, Neuron

    assert nn_module.MLP is MLP and issubclass(Layer, Module) and issubclass(Neuron, Module)


def test_trace_graph_neuron_draws_the_same_graph_as_micrograd():
    # trace_graph.ipynb's second cell: a seeded 2D neuron, backward, draw
    from micrograd.engine import Value as MicroValue

    from tinygrad_mlp.micrograd import draw_dot, trace

    random.seed(1337)
    n = nn.Neuron(2)
    y = n([Value(1.0), Value(-2.0)])
    y.backward()
    random.seed(1337)
    m = micrograd_nn.Neuron(2)
    ym = m([MicroValue(1.0), MicroValue(-2.0)])
    ym.backward()
    ours, theirs = trace(y), trace(ym)
    assert len(ours[0]) == len(theirs[0]) and len(ours[1]) == len(theirs[1])

    def records(nodes):
        return sorted((v.data, v.grad, v._op) for v in nodes)

    assert records(ours[0]) == records(theirs[0])
    dot = draw_dot(y)
    assert sum("record" in line for line in dot.body) == len(theirs[0])
    assert sum("->" in line for line in dot.body) == len(theirs[1]) + sum(
        1 for v in theirs[0] if v._op
    )


# --------------------------------------------------------------------------- demo.ipynb


@contextlib.contextmanager
def collect_each_step():
    """micrograd's closures form reference cycles; collect them once a step, not mid-step.

    Only the speed of the reference run changes; its numbers do not.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield gc.collect
    finally:
        if enabled:
            gc.enable()


def demo_run(engine, nn_module, steps: int) -> list[tuple[float, float]]:
    """The demo notebook's training loop; returns (loss, accuracy) per step."""
    from sklearn.datasets import make_moons

    Value, MLP = engine.Value, nn_module.MLP  # noqa: N806 -- the notebook's names
    np.random.seed(1337)
    random.seed(1337)
    X, y = make_moons(n_samples=100, noise=0.1)
    y = y * 2 - 1
    model = MLP(2, [16, 16, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (s.data > 0) for yi, s in zip(y, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    history = []
    with collect_each_step() as collect:
        for k in range(steps):
            total_loss, acc = loss()
            model.zero_grad()
            total_loss.backward()
            learning_rate = 1.0 - 0.9 * k / 100
            for p in model.parameters():
                p.data -= learning_rate * p.grad
            history.append((float(total_loss.data), float(acc)))
            del total_loss
            collect()
    return history


def test_demo_first_ten_steps_match_micrograd():
    pytest.importorskip("sklearn")
    (ours_engine, ours_nn), (their_engine, their_nn) = packages()
    ours = demo_run(ours_engine, ours_nn, 10)
    theirs = demo_run(their_engine, their_nn, 10)
    losses, ref_losses = [h[0] for h in ours], [h[0] for h in theirs]
    assert losses == pytest.approx(ref_losses, rel=1e-9)
    assert [h[1] for h in ours] == [h[1] for h in theirs]
    # the run learns: the notebook's loss falls from about 0.9 and accuracy rises
    assert losses[-1] < losses[0] and ours[-1][1] > ours[0][1]


# --------------------------------------------------------------------------- the lecture's MLP


class LectureNeuron:
    def __init__(self, nin):
        self.w = [Value(random.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(random.uniform(-1, 1))

    def __call__(self, x):
        act = sum((wi * xi for wi, xi in zip(self.w, x, strict=True)), self.b)
        return act.tanh()

    def parameters(self):
        return self.w + [self.b]


class LectureLayer:
    def __init__(self, nin, nout):
        self.neurons = [LectureNeuron(nin) for _ in range(nout)]

    def __call__(self, x):
        outs = [n(x) for n in self.neurons]
        return outs[0] if len(outs) == 1 else outs

    def parameters(self):
        return [p for n in self.neurons for p in n.parameters()]


class LectureMLP:
    def __init__(self, nin, nouts):
        sz = [nin] + nouts
        self.layers = [LectureLayer(sz[i], sz[i + 1]) for i in range(len(nouts))]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def parameters(self):
        return [p for layer in self.layers for p in layer.parameters()]


XS = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
YS = [1.0, -1.0, -1.0, 1.0]


def test_lecture_mlp_training_matches_torch():
    torch = pytest.importorskip("torch")
    random.seed(42)
    n = LectureMLP(3, [4, 4, 1])
    start = [p.data for p in n.parameters()]
    losses = []
    for _ in range(10):
        ypred = [n(x) for x in XS]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(YS, ypred, strict=True))
        for p in n.parameters():
            p.grad = 0.0
        loss.backward()
        for p in n.parameters():
            p.data += -0.1 * p.grad
        losses.append(loss.data)

    # the same network in torch float64, from the same starting weights
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in start]
    shapes = [(4, 3), (4, 4), (1, 4)]
    ref_losses = []
    for _ in range(10):
        total = torch.zeros((), dtype=torch.float64)
        for x, ygt in zip(XS, YS, strict=True):
            a = list(torch.tensor(x, dtype=torch.float64))
            k = 0
            for nout, nin in shapes:
                outs = []
                for _ in range(nout):
                    w, b = params[k : k + nin], params[k + nin]
                    k += nin + 1
                    act = b
                    for wi, xi in zip(w, a, strict=True):
                        act = act + wi * xi
                    outs.append(torch.tanh(act))
                a = outs
            total = total + (a[0] - ygt) ** 2
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p += -0.1 * p.grad
        ref_losses.append(total.item())
    assert losses == pytest.approx(ref_losses, rel=1e-10)
    assert [p.data for p in n.parameters()] == pytest.approx(
        [p.item() for p in params], rel=1e-9, abs=1e-12
    )
    assert losses[-1] < 0.1 * losses[0]

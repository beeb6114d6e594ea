"""Backprop playback: the recording hook, frame order, numbers, captions, escaping, CLI."""

from __future__ import annotations

import csv
import html.parser
import re
import shutil
import sys
import threading
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from tinygrad_mlp import Tensor, Value, autograd, backprop
from tinygrad_mlp.autograd import recording
from tinygrad_mlp.cli import main
from tinygrad_mlp.crosscheck import scalar_loss
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import BIASES, WEIGHTS, seed_network
from tinygrad_mlp.viz import playback
from tinygrad_mlp.viz.playback import Recorder, playback_network

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot program is not installed")
PAYLOAD = "<img src=x onerror=alert(1)>"
TABLE = "<<table><tr><td>T</td></tr></table>>"

# DESIGN.md's golden numbers for the sheet's example with z = 1.
DELTA_O = -0.124244816
DELTA_H = [-0.0122140068, 0.0291979931, 0.0]


def seed_playback(engine="scalar", **kwargs):
    return playback_network(seed_network(), [[1.0, 1.0]], [[1.0]], engine=engine, **kwargs)


# --------------------------------------------------------------------------- the hook


def test_recording_reports_each_new_node_in_creation_order_on_both_engines():
    for make in (Value, lambda v: Tensor([v, 2 * v], requires_grad=True)):
        rec = Recorder()
        a, b = make(2.0), make(-3.0)
        with recording(rec):
            c = a * b
            d = c + a
            e = d.tanh()
        assert rec.forward == [c, d, e]


def test_recording_reports_the_sweep_with_consistent_gradients_on_both_engines():
    for make in (Value, lambda v: Tensor([[v, -v]], requires_grad=True)):
        a, b = make(0.7), make(-1.3)
        rec = Recorder()
        with recording(rec):
            c = a * b
            d = c * a + b  # a feeds two consumers, b two
            out = d.sigmoid() if isinstance(a, Value) else d.sigmoid().sum()
            out.backward()
        swept = [n for n, _, _ in rec.backward]
        assert sorted(map(id, swept)) == sorted(map(id, rec.forward))  # each node once
        position = {id(n): k for k, n in enumerate(swept)}
        for node in swept:  # a node is swept after every consumer of it
            for parent in node._prev:
                if parent._fn is not None:
                    assert position[id(parent)] > position[id(node)]
        received: dict[int, object] = {}
        for node, grad_out, parent_grads in rec.backward:
            np.testing.assert_allclose(grad_out, node.grad, rtol=1e-15)
            for parent, g in zip(node._prev, parent_grads, strict=True):
                assert np.shape(g) == np.shape(parent.data)  # after unbroadcasting
                received[id(parent)] = received.get(id(parent), 0) + g
        for leaf in (a, b):
            np.testing.assert_allclose(received[id(leaf)], leaf.grad, rtol=1e-15)


def test_recording_restores_the_previous_recorder_and_stays_in_its_thread():
    outer, inner, other = Recorder(), Recorder(), Recorder()
    a = Value(1.0)
    with recording(outer):
        x = a + 1
        with recording(inner):
            y = a * 2
        z = a * 3
        seen_elsewhere = []
        thread = threading.Thread(target=lambda: seen_elsewhere.append(a * 4))
        thread.start()
        thread.join()
        with autograd.no_grad():
            a * 5  # no graph, no report
    with recording(other):
        pass
    a * 6
    assert outer.forward == [x, z]
    assert inner.forward == [y]
    assert other.forward == []  # and `a * 6`, made after every block, reached no one


# --------------------------------------------------------------------------- frames


def test_frames_follow_the_recorded_forward_order_then_the_core_sweep():
    net = seed_network()
    rec = Recorder()
    with recording(rec):
        loss = sum(((y - 1.0) ** 2 for y in net([Value(1.0, "x[0]"), Value(1.0, "x[1]")])), 0.0)
    created = list(rec.forward)
    pb = playback(loss, rec)
    kinds = [f.kind for f in pb.frames]
    assert kinds[0] == "start" and kinds[-1] == "end"
    forward = [f.node for f in pb.frames if f.kind == "forward"]
    backward = [f.node for f in pb.frames if f.kind == "backward"]
    assert forward == [n for n in created if n in set(forward)]
    assert kinds == ["start"] + ["forward"] * len(forward) + ["backward"] * len(backward) + ["end"]
    # the backward frames are exactly what the driver reported, in its order
    assert backward == [n for n, _, _ in rec.backward]
    # and the forward frames are every interior node of the loss's graph
    assert {id(n) for n in forward} == {id(n) for n in autograd.walk(loss) if n._fn is not None}


def test_a_small_expression_plays_in_the_order_it_was_written():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    nodes = []

    def build():
        nodes.append(a * b)
        nodes.append(nodes[-1] + a)
        nodes.append(nodes[-1].tanh())
        return nodes[-1]

    pb = playback(build)
    assert [f.node for f in pb.frames if f.kind == "forward"] == nodes
    assert [f.node for f in pb.frames if f.kind == "backward"] == nodes[::-1]


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
def test_the_last_frame_shows_every_gradient_the_engine_computed(engine):
    net = seed_network()
    pb = playback_network(net, [[1.0, 1.0]], [[1.0]], engine=engine)
    known, grads = pb.state(-1)
    assert known == {id(n) for n in pb.order}
    for node in pb.order:
        if node.grad is None:  # a tensor that needs no gradient (the inputs, the targets)
            assert id(node) not in grads
            continue
        np.testing.assert_allclose(grads[id(node)], node.grad, rtol=0, atol=0)
    # and the network's parameters hold this one pass's gradient (the δ witness's)
    bp = backprop.gradients(WEIGHTS, BIASES, ["sigmoid"] * 2, [[1.0, 1.0]], [[1.0]])
    want = [bp.grad_w[0], bp.grad_b[0], bp.grad_w[1], bp.grad_b[1]]
    for param, expected in zip(net.parameters(), want, strict=True):
        np.testing.assert_allclose(param.grad, expected, rtol=1e-12, atol=1e-15)


def test_values_appear_when_computed_and_gradients_when_passed_back():
    pb = seed_playback()
    interior = [n for n in pb.order if n._fn is not None]
    known, grads = pb.state(0)
    assert not any(id(n) in known for n in interior) and grads == {}
    forward = [k for k, f in enumerate(pb.frames) if f.kind == "forward"]
    for k in forward:
        known, _ = pb.state(k)
        done = {id(f.node) for f in pb.frames[1 : k + 1]}
        assert {id(n) for n in interior if id(n) in known} == done
    first_backward = forward[-1] + 1
    _, grads = pb.state(first_backward)
    root = pb.frames[first_backward].node
    assert root is pb.root and grads[id(root)] == 1.0


def test_delta_captions_equal_the_hand_derived_formulas():
    pb = seed_playback()
    found = {}
    for frame in pb.frames:
        for line in frame.caption.splitlines():
            m = re.match(r"backprop\.py \(the δ formula\): (δ\S+) = (\S+); autodiff: (\S+) ✓", line)
            if m:
                found[m.group(1)] = (float(m.group(2).replace("−", "-")), m.group(3))
    assert set(found) == {"δo[0]", "δh[0][0]", "δh[0][1]", "δh[0][2]"}
    bp = backprop.gradients(WEIGHTS, BIASES, ["sigmoid"] * 2, [[1.0, 1.0]], [[1.0]])
    assert found["δo[0]"][0] == pytest.approx(DELTA_O, abs=1e-9)
    assert found["δo[0]"][0] == pytest.approx(bp.delta[1][0, 0], rel=1e-8)
    for j, golden in enumerate(DELTA_H):
        assert found[f"δh[0][{j}]"][0] == pytest.approx(golden, abs=1e-9)
        assert found[f"δh[0][{j}]"][0] == pytest.approx(bp.delta[0][0, j], rel=1e-8, abs=1e-15)
    # the δ line sits on the frame where the pre-activation passes its gradient on
    for frame in pb.frames:
        if frame.deltas:
            assert frame.kind == "backward" and frame.node.label.startswith("s")
            ((name, autodiff, witness),) = frame.deltas
            assert autodiff == pytest.approx(witness, rel=1e-12, abs=1e-15)


def test_tensor_engine_checks_each_layer_delta_against_the_witness():
    x = np.array([[1.0, 1.0], [0.5556, 0.5806], [0.8889, 0.0]])
    z = np.array([[1.0], [0.6087], [0.5217]])
    pb = playback_network(seed_network(), x, z, engine="tensor")
    checks = [d for f in pb.frames for d in f.deltas]
    assert [name for name, _, _ in checks] == ["so", "sh[0]"]
    bp = backprop.gradients(WEIGHTS, BIASES, ["sigmoid"] * 2, x, z)
    np.testing.assert_allclose(checks[0][1], bp.delta[1], rtol=1e-12)
    np.testing.assert_allclose(checks[1][1], bp.delta[0], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("engine", ["scalar", "tensor"])
@pytest.mark.parametrize("loss", ["ce", "bce_logits", "mse_mean"])
def test_every_loss_plays_back_with_deltas_equal_to_the_witness(engine, loss):
    rng = np.random.default_rng(5)
    net = MLP(3, [4, 3], activation="tanh", output_activation="linear", seed=4)
    x = rng.uniform(-1, 1, (1, 3))
    z = np.array([2]) if loss == "ce" else rng.uniform(0, 1, (1, 3))
    pb = playback_network(net, x, z, engine=engine, loss=loss)
    checks = [d for f in pb.frames for d in f.deltas]
    assert len(checks) == (7 if engine == "scalar" else 2)
    bp = backprop.gradients(
        [la.weight.data for la in net.layers],
        [la.bias.data for la in net.layers],
        net.activations,
        x,
        z,
        loss,
    )
    assert pb.frames[-1].caption.count("error signals δ") == 1
    for name, autodiff, witness in checks:
        layer = 1 if name.startswith("so") else 0
        expected = bp.delta[layer] if engine == "tensor" else bp.delta[layer][0, int(name[-2])]
        np.testing.assert_allclose(witness, expected, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(autodiff, witness, rtol=1e-9, atol=1e-14)


def test_captions_write_the_rule_with_its_numbers():
    text = "\n".join(f.caption for f in seed_playback().frames)
    # a_h[0][1] = σ(0.5) = 0.6225 and the sheet's gradient into it, from the golden numbers
    assert "ah[0][1] = σ(sh[0][1]) = σ(0.5) = 0.6225" in text
    assert "∂L/∂ah[0][1] = wo[0][1]·δo[0] = −1·−0.1242 = 0.1242" in text
    assert "δo[0] = yo[0](1 − yo[0])·∂L/∂yo[0] = 0.25·−0.497 = −0.1242" in text
    # x[0] feeds three products: its gradient is a running sum
    assert "∂L/∂x[0] += " in text and "(so far" in text


def test_collapsed_playback_merges_each_neurons_steps_in_recorded_order():
    net = MLP(12, [10, 3], seed=1)
    rng = np.random.default_rng(2)
    x, z = rng.uniform(-1, 1, (1, 12)), rng.uniform(0, 1, (1, 3))
    pb = playback_network(net, x, z, max_nodes=60)
    assert pb.collapsed
    forward = [n for f in pb.frames if f.kind == "forward" for n in f.nodes]
    backward = [n for f in pb.frames if f.kind == "backward" for n in f.nodes]
    interior = [n for n in pb.order if n._fn is not None]
    assert len(forward) == len(backward) == len(interior)
    assert {id(n) for n in forward} == {id(n) for n in interior}
    for k, node in enumerate(forward):  # each node after its parents
        assert all(p._fn is None or forward.index(p) < k for p in node._prev)
    frames = [f for f in pb.frames if f.kind in ("forward", "backward")]
    assert len(frames) < len(interior)  # merged: about one frame per neuron and pass
    assert sum(len(d) for f in pb.frames for d in [f.deltas]) == 13  # every neuron's δ
    bp = backprop.gradients(
        [la.weight.data for la in net.layers],
        [la.bias.data for la in net.layers],
        net.activations,
        x,
        z,
    )
    for name, autodiff, witness in (d for f in pb.frames for d in f.deltas):
        layer = 1 if name.startswith("so") else 0
        j = int(re.findall(r"\[(\d+)\]$", name)[0])
        assert witness == pytest.approx(bp.delta[layer][0, j], rel=1e-12, abs=1e-15)
        assert autodiff == pytest.approx(witness, rel=1e-9, abs=1e-14)


def test_grouping_and_delta_captions_come_from_the_modules_not_the_labels():
    net = MLP(3, [4, 2], seed=5)
    x, z = np.array([[0.3, -0.7, 0.9]]), np.array([[0.2, 0.8]])
    # sheet-style labels that name the wrong neurons and layers, and a sum named like a weight
    wrong = ["so[1]", "wh[0][3][2]", "sh[0][0]", "yo[0]", "ah[0][3]", "bo[1]", "sh[0][2]"]

    def build(mislabel):
        def graph():
            loss = scalar_loss(net(list(x[0])), z[0], "mse", 1)
            if mislabel:
                interior = [n for n in autograd.walk(loss) if n._fn is not None]
                for k, node in enumerate(interior):
                    node.label = wrong[k % len(wrong)]
            return loss

        return graph

    def deltas(pb):
        pattern = r"backprop\.py \(the δ formula\): (δ\S+) = (\S+); autodiff: (\S+) ✓"
        return [m.groups() for f in pb.frames for m in re.finditer(pattern, f.caption)]

    for max_nodes in (1000, 40):  # every value drawn in its neuron's cluster; neurons as boxes
        pbs = [playback(build(m), net=net, x=x, z=z, max_nodes=max_nodes) for m in (0, 1)]
        net.zero_grad()
        honest, misled = pbs
        assert [n.label for n in misled.order] != [n.label for n in honest.order]
        assert honest.collapsed == (max_nodes == 40) == misled.collapsed
        units = [[pb.units[id(n)] for n in pb.order] for pb in pbs]
        assert units[0] == units[1]
        titles = [[t for t in pb.unit_titles if t.startswith(("neuron", "hidden", "output"))]
                  for pb in pbs]  # fmt: skip
        assert titles[0] == titles[1]
        assert honest.owners == misled.owners
        found = deltas(honest)
        want = sorted(["δo[0]", "δo[1]", *(f"δh[0][{j}]" for j in range(4))])
        assert sorted(name for name, _, _ in found) == want
        assert deltas(misled) == found
    # the neurons' boxes are the network's: titles from each neuron's layer and index
    neurons = {"neuron yo[0]", "neuron yo[1]", *(f"neuron ah[0][{j}]" for j in range(4))}
    assert set(titles[0]) == neurons


def test_a_wide_layer_collapses_to_layers_and_frames_are_joined_in_order():
    net = MLP(6, [40, 2], seed=3)
    rng = np.random.default_rng(3)
    x, z = rng.uniform(-1, 1, (1, 6)), rng.uniform(0, 1, (1, 2))
    rec = Recorder()
    with recording(rec):
        inputs = [Value(float(v), f"x[{i}]") for i, v in enumerate(x[0])]
        loss = scalar_loss(net(inputs), z[0], "mse", 1)
    created = list(rec.forward)
    pb = playback(loss, rec, max_nodes=30, max_frames=12)
    assert {"hidden layer 0", "output layer"} <= set(pb.unit_titles)
    assert len(pb.unit_titles) < 30
    forward = [f for f in pb.frames if f.kind == "forward"]
    backward = [f for f in pb.frames if f.kind == "backward"]
    assert len(forward) <= 6 and len(backward) <= 6
    # joined, never reordered: the frames concatenate to the recorded sequences
    assert [n for f in forward for n in f.nodes] == created
    assert [n for f in backward for n in f.nodes] == [n for n, _, _ in rec.backward]
    known, grads = pb.state(-1)
    for node in pb.order:
        np.testing.assert_allclose(grads[id(node)], node.grad, rtol=0, atol=0)


def test_playback_refuses_a_graph_it_did_not_see_being_built():
    a = Value(2.0)
    loss = a * a
    with pytest.raises(ValueError, match="not recorded"):
        playback(loss)
    with pytest.raises(ValueError, match="not recorded"):
        playback(loss, Recorder())
    with pytest.raises(TypeError, match="Value or Tensor"):
        playback(lambda: 3.0)
    with pytest.raises(ValueError, match="one sample"):
        playback_network(seed_network(), [[1.0, 1.0], [0.0, 1.0]], [[1.0], [0.0]])
    with pytest.raises(ValueError, match="engine"):
        playback_network(seed_network(), [[1.0, 1.0]], [[1.0]], engine="gpu")


# --------------------------------------------------------------------------- pictures


@needs_dot
def test_every_frame_has_the_same_layout():
    pb = seed_playback()
    sizes, boxes = set(), []
    for k in (0, 10, 30, len(pb.frames) - 1):
        root = ET.fromstring(pb.svg(k))
        sizes.add((root.get("width"), root.get("height"), root.get("viewBox")))
        ns = {"s": "http://www.w3.org/2000/svg"}
        boxes.append(
            {
                g.find("s:title", ns).text: (
                    g.find("s:text", ns).get("x"),
                    g.find("s:text", ns).get("y"),
                )
                for g in root.iter("{http://www.w3.org/2000/svg}g")
                if g.get("class", "").split()[:1] == ["node"]
            }
        )
    assert len(sizes) == 1
    assert len(boxes[0]) > 40 and all(b == boxes[0] for b in boxes[1:])


@needs_dot
def test_the_page_is_self_contained_with_one_frame_per_step(tmp_path):
    pb = seed_playback(title="seed")
    path = pb.save_html(tmp_path / "seed.html")
    page = path.read_text()
    assert page.count('<div class="frame"') == len(pb.frames) == 52
    assert 'id="caption"' in page and "window.playback" in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<?xml" not in page and "<!DOCTYPE svg" not in page


class _Elements(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


@needs_dot
def test_names_from_files_stay_text_in_dot_svg_and_html(tmp_path):
    names = [PAYLOAD, TABLE]
    pb = playback_network(
        seed_network(),
        [[1.0, 1.0]],
        [[1.0]],
        input_names=names,
        target_names=['"><script>alert(2)</script>'],
        title=PAYLOAD,
    )
    source = pb.dot(3).source
    assert "label=<" not in source  # never a Graphviz HTML-like label
    svg = pb.svg(3)
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert f"“{PAYLOAD}”" in texts and f"“{TABLE}”" in texts
    assert not any(el.tag.endswith(("img", "table", "script")) for el in root.iter())
    for page in (pb.to_html(), labelled_playback().to_html()):
        parser = _Elements()
        parser.feed(page)
        assert "img" not in parser.tags and "table" not in parser.tags
        assert parser.tags.count("script") == 1
        assert not any(name.startswith("on") for name, _ in parser.attrs)
        text = "".join(parser.text)
        assert PAYLOAD in text and TABLE in text


def labelled_playback():
    """Labels are users' text too: here they reach the captions."""
    a, b = Value(1.0, label=PAYLOAD), Value(2.0, label=TABLE)
    return playback(lambda: (a * b).tanh())


def test_captions_keep_labels_as_written():
    captions = "\n".join(f.caption for f in labelled_playback().frames)
    assert f"({PAYLOAD})·({TABLE}) = 1·2 = 2" in captions


@needs_dot
def test_a_label_that_looks_like_graphviz_html_is_drawn_as_its_characters():
    for text in (TABLE, "back\\slash \\n \\N \\G", PAYLOAD, "x &amp; y"):
        pb = playback(lambda text=text: Value(2.0, label=text) * Value(3.0, label="b"))
        root = ET.fromstring(pb.svg(0))
        shown = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
        assert text in shown


@needs_dot
def test_png_frames_and_gif_carry_the_captions(tmp_path):
    image = pytest.importorskip("PIL.Image")
    pb = playback(lambda: (Value(0.5, label="a") * Value(-2.0, label="b")).sigmoid())
    paths = pb.save_frames(tmp_path / "frames", "png")
    assert [p.name for p in paths] == [f"frame-{k:03d}.png" for k in range(1, len(pb) + 1)]
    first, second = (np.asarray(image.open(p).convert("L")) for p in paths[:2])
    assert first.shape == second.shape
    assert (first != second).any()  # a highlight and a caption moved
    gif = pb.save_gif(tmp_path / "a.gif")
    with image.open(gif) as animation:
        assert animation.n_frames == len(pb)


@needs_dot
def test_frames_of_an_earlier_longer_run_are_removed_and_other_files_kept(tmp_path):
    folder = tmp_path / "frames"
    long = playback(lambda: (Value(0.5, label="a") * Value(-2.0, label="b")).sigmoid().tanh())
    short = playback(lambda: Value(0.5, label="a") * Value(-2.0, label="b"))
    assert len(long) > len(short)
    long.save_frames(folder)
    mine = ["notes.txt", "frame-1.svg", "frame-old.svg", "frame-0001.svg.bak", "cover.png"]
    for name in mine:
        (folder / name).write_text("mine")
    (folder / "frame-9999.png").write_bytes(b"an earlier png run")
    paths = short.save_frames(folder)
    frames = sorted(p.name for p in folder.iterdir() if p.name not in mine)
    assert (
        frames
        == [p.name for p in paths]
        == [f"frame-{k:03d}.svg" for k in range(1, len(short) + 1)]
    )
    assert all((folder / name).read_text() == "mine" for name in mine)
    assert all(b"<svg" in p.read_bytes() for p in paths)


# --------------------------------------------------------------------------- CLI


def write_csv(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@needs_dot
def test_cli_plays_back_the_seed_example_on_both_engines(tmp_path, capsys):
    out = tmp_path / "seed.html"
    assert main(["playback", "-o", str(out)]) == 0
    page = out.read_text()
    assert page.count('<div class="frame"') == 52
    assert "δo[0] = −0.124244816; autodiff: −0.124244816 ✓" in page
    frames = tmp_path / "frames"
    assert main(["playback", "-o", str(out), "--engine", "tensor", "--frames", str(frames)]) == 0
    count = out.read_text().count('<div class="frame"')
    assert count == 16 and len(list(frames.glob("frame-*.svg"))) == count
    image = pytest.importorskip("PIL.Image")
    gif = tmp_path / "seed.gif"
    argv = ["playback", "-o", str(out), "--engine", "tensor", "--gif", str(gif)]
    assert main([*argv, "--frames", str(tmp_path / "png"), "--frame-format", "png"]) == 0
    with image.open(gif) as animation:
        assert animation.n_frames == count
    assert len(list((tmp_path / "png").glob("frame-*.png"))) == count


@needs_dot
def test_cli_plays_back_a_saved_model_on_a_chosen_row(tmp_path, capsys):
    rng = np.random.default_rng(0)
    rows = np.c_[rng.uniform(0, 1, (20, 2)), rng.uniform(0, 1, 20)].round(4).tolist()
    data = write_csv(tmp_path / "d.csv", ["alpha", "beta", "gamma"], rows)
    model = tmp_path / "m.json"
    argv = ["train", "--data", str(data), "--model", str(model), "--hidden", "2", "--epochs", "3"]
    assert main([*argv, "--quiet"]) == 0
    out = tmp_path / "row.html"
    assert (
        main(["playback", "--model", str(model), "--data", str(data), "--row", "7", "-o", str(out)])
        == 0
    )
    page = out.read_text()
    assert "x[0] = “alpha”" in page and "“gamma”" in page
    assert "row 7" in page


def test_cli_bad_arguments_are_one_sentence_and_write_nothing(tmp_path, capsys):
    cases = [
        (["-o", str(tmp_path / "x.txt")], "name it .html"),
        (["-o", str(tmp_path / "no" / "x.html")], "does not exist"),
        (["-o", str(tmp_path / "x.html"), "--gif", str(tmp_path / "x.png")], ".gif"),
        (["-o", str(tmp_path / "x.html"), "--row", "9"], "--row 9 is outside"),
        (["-o", str(tmp_path / "x.html"), "--max-nodes", "0"], "at least 1"),
    ]
    for argv, message in cases:
        capsys.readouterr()
        assert main(["playback", *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_the_module_stays_importable_as_a_module():
    module = sys.modules["tinygrad_mlp.viz.playback"]
    assert module.playback is playback and module.Recorder is Recorder

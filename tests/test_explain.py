"""explain: records of every step, and the two formatters that write them."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.explain import (
    Activation,
    Delta,
    Gradient,
    Inputs,
    Loss,
    MarkdownFormatter,
    Step,
    TextFormatter,
    WeightedSum,
    explain,
    formatter,
)
from tinygrad_mlp.nn import MLP
from tinygrad_mlp.seed import seed_network


def sigmoid(s: float) -> float:
    return 1.0 / (1.0 + math.exp(-s)) if s >= 0 else math.exp(s) / (1.0 + math.exp(s))


# the seed example by hand: x = (1, 1), z = 1
A_H = [sigmoid(-1.0), sigmoid(0.5), sigmoid(1.5)]
S_O = 0.5 * A_H[0] - 1.0 * A_H[1] + 0.5
Y = sigmoid(S_O)
DELTA_O = Y * (1 - Y) * (Y - 1.0)
DELTA_H = [a * (1 - a) * w * DELTA_O for a, w in zip(A_H, [0.5, -1.0, 0.0], strict=True)]


@pytest.fixture
def seed_trace():
    return explain(seed_network(), [1.0, 1.0], [1.0], eta=0.1, input_names=["I0", "I1"])


def test_seed_trace_is_a_sequence_of_records_one_per_step(seed_trace):
    kinds = Counter(type(r).__name__ for r in seed_trace.records)
    # 4 nodes; 9 + 4 parameters
    assert kinds == {
        "Inputs": 1,
        "WeightedSum": 4,
        "Activation": 4,
        "Loss": 1,
        "Delta": 4,
        "Gradient": 13,
        "Step": 13,
    }
    sections = list(dict.fromkeys(r.section for r in seed_trace.records))
    assert sections == [
        "Forward pass",
        "Loss",
        "Backward pass: error signals",
        "Gradients",
        "Gradient descent step, η = 0.1",
    ]


def test_seed_records_hold_the_numbers_of_each_formula(seed_trace):
    records = {getattr(r, "name", getattr(r, "parameter", None)): r for r in seed_trace.records}
    assert records["sh[0][0]"] == WeightedSum("sh[0][0]", (1.0, 1.0), (-0.5, -1.0), 0.5, -1.0)
    so = records["so[0]"]
    assert so.inputs == pytest.approx(A_H, rel=1e-15) and so.value == pytest.approx(S_O)
    assert records["yo[0]"].function == "sigmoid" and records["yo[0]"].value == pytest.approx(Y)
    out = records["δo[0]"]
    assert (out.rule, out.activation, out.z) == ("mse", "sigmoid", 1.0)
    assert out.fprime == pytest.approx(Y * (1 - Y), rel=1e-14)
    assert out.value == pytest.approx(DELTA_O, rel=1e-14)
    hidden = records["δh[0][1]"]
    assert hidden.rule == "hidden" and hidden.next_name == "δo" and hidden.node == 1
    assert hidden.next_weights == (-1.0,) and hidden.next_deltas == pytest.approx([DELTA_O])
    assert hidden.value == pytest.approx(DELTA_H[1], rel=1e-14)
    gradients = {r.parameter: r for r in seed_trace.records if isinstance(r, Gradient)}
    assert gradients["wo[0][1]"].value == pytest.approx(DELTA_O * A_H[1], rel=1e-14)
    assert gradients["wo[0][1]"].input_name == "ah[0][1]"
    assert gradients["bh[0][0]"].input_name is None
    steps = {r.parameter: r for r in seed_trace.records if isinstance(r, Step)}
    assert steps["bo[0]"].new == pytest.approx(0.5 - 0.1 * DELTA_O, rel=1e-15)
    loss = next(r for r in seed_trace.records if isinstance(r, Loss))
    assert loss.value == pytest.approx(0.5 * (Y - 1.0) ** 2, rel=1e-14)
    assert seed_trace.numbers["∂L/∂wo[0][1]"] == gradients["wo[0][1]"].value


def test_records_become_plain_data():
    trace = explain(seed_network(), [1.0, 1.0], [1.0])
    data = json.loads(json.dumps(trace.to_dicts()))
    assert data[0] == {"kind": "Inputs", "section": "Forward pass", "values": [1.0, 1.0],
                       "names": None}  # fmt: skip
    assert data[-1]["kind"] == "Step" and data[-1]["parameter"] == "bo[0]"
    assert data[-1]["section"] == "Gradient descent step, η = 0.1"


# -- the formatters, one record at a time ------------------------------------------------

CASES = [
    (
        Inputs((1.0, 0.5), ("I0", "I1")),
        "inputs: x[0] = 1, x[1] = 0.5\n  (x[0] is I0, x[1] is I1)",
        "x_{[0]} = 1, x_{[1]} = 0.5\n\\text{x[0] is I0, x[1] is I1}",
    ),
    (
        WeightedSum("sh[0][0]", (1.0, 1.0), (-0.5, -1.0), 0.5, -1.0),
        "sh[0][0] = (1·-0.5) + (1·-1) + 0.5 = -1",
        "sh_{[0][0]} = (1 \\cdot -0.5) + (1 \\cdot -1) + 0.5 = -1",
    ),
    (
        Activation("ah[0][2]", "tanh", 0.5, 0.25),
        "ah[0][2] = tanh(0.5) = 0.25",
        "ah_{[0][2]} = \\mathrm{tanh}(0.5) = 0.25",
    ),
    (
        Loss("mse", (0.5,), (1.0,), 0.125),
        "L = ½ Σ (yo - z)² = ½ [(0.5 - 1)²] = 0.125",
        "L = \\tfrac12 \\sum (y_o - z)^2 = \\tfrac12 [(0.5 - 1)^2] = 0.125",
    ),
    (
        Loss("cross_entropy", (0.1, 0.2), (0.0, 1.0), 0.75),
        "L (cross_entropy) = 0.75",
        "L_{\\mathrm{cross\\_entropy}} = 0.75",
    ),
    (
        Delta("δo[0]", "mse", "sigmoid", 0.25, -0.125, y=0.5, z=1.0),
        "δo[0] = f'(s)(yo - z) = a(1 - a)·(yo - z) = 0.25·(0.5 - 1) = -0.125",
        "\\delta o_{[0]} = f'(s)(y_o - z) = a(1 - a)\\,(y_o - z) = 0.25 \\cdot (0.5 - 1) = -0.125",
    ),
    (
        Delta("δo[1]", "logistic", "sigmoid", 0.25, 0.375, y=0.75, z=0.0, p=0.75, count=2),
        "δo[1] = (σ(s) - z)/N = (0.75 - 0)/2 = 0.375",
        "\\delta o_{[1]} = \\frac{\\sigma(s) - z}{N} = \\frac{0.75 - 0}{2} = 0.375",
    ),
    (
        Delta("δo[0]", "softmax", "linear", 1.0, -0.75, y=2.0, z=1.0, p=0.25),
        "δo[0] = (softmax(s) - z)/N = (0.25 - 1)/1 = -0.75",
        "\\delta o_{[0]} = \\frac{\\mathrm{softmax}(s) - z}{N} = \\frac{0.25 - 1}{1} = -0.75",
    ),
    (
        Delta("δo[1]", "logistic_chain", "tanh", 0.5, 0.125, y=0.2, z=0.0, p=0.5, count=2),
        "δo[1] = f'(s)·(σ(yo) - z)/N = 1 - a²·(σ(yo) - z)/N = 0.5·(0.5 - 0)/2 = 0.125",
        "\\delta o_{[1]} = f'(s)\\,\\frac{\\sigma(y_o) - z}{N} = 0.5 \\cdot "
        "\\frac{0.5 - 0}{2} = 0.125",
    ),
    (
        Delta("δo[0]", "softmax_chain", "sigmoid", 0.25, -0.1875, y=0.6, z=1.0, p=0.25),
        "δo[0] = f'(s)·(softmax(yo) - z)/N = a(1 - a)·(softmax(yo) - z)/N = 0.25·(0.25 - 1)/1 "
        "= -0.1875",
        "\\delta o_{[0]} = f'(s)\\,\\frac{\\mathrm{softmax}(y_o) - z}{N} = 0.25 \\cdot "
        "\\frac{0.25 - 1}{1} = -0.1875",
    ),
    (
        Delta("δo[0]", "mse_mean", "linear", 1.0, -0.5, y=0.5, z=1.0, count=2),
        "δo[0] = f'(s)·2(yo - z)/N = 1·2(yo - z)/N = 1·2·(0.5 - 1)/2 = -0.5",
        "\\delta o_{[0]} = f'(s)\\,\\tfrac{2(y_o - z)}{N} = 1 \\cdot \\tfrac{2(0.5 - 1)}{2} = -0.5",
    ),
    (
        Delta("δo[0]", "bce", "linear", 1.0, -4.0, y=0.25, z=1.0, count=1),
        "δo[0] = f'(s)·(yo - z)/(yo(1 - yo))/N = 1·(0.25 - 1)/(0.25·(1 - 0.25))/1 = -4",
        "\\delta o_{[0]} = f'(s)\\,\\frac{y_o - z}{y_o(1 - y_o) N} = 1 \\cdot "
        "\\frac{0.25 - 1}{0.25(1 - 0.25) \\cdot 1} = -4",
    ),
    (
        Delta(
            "δh[0][1]",
            "hidden",
            "tanh",
            0.75,
            0.3,
            node=1,
            next_name="δo",
            next_weights=(2.0, -1.0),
            next_deltas=(0.5, 0.6),
        ),  # fmt: skip
        "δh[0][1] = f'(s)·Σ_k w[k][1]·δo[k] = 1 - a²·Σ = 0.75·[(2·0.5) + (-1·0.6)] = 0.3",
        "\\delta h_{[0][1]} = f'(s) \\sum_k w_{[k][1]}\\,\\delta o_{[k]} = "
        "0.75 \\cdot [(2 \\cdot 0.5) + (-1 \\cdot 0.6)] = 0.3",
    ),
    (
        Gradient("wo[0][2]", "δo[0]", -0.5, "ah[0][2]", 0.25, -0.125),
        "∂L/∂wo[0][2] = δo[0]·ah[0][2] = -0.5·0.25 = -0.125",
        "\\partial L/\\partial wo_{[0][2]} = -0.5 \\cdot 0.25 = -0.125",
    ),
    (
        Gradient("bo[0]", "δo[0]", -0.5, None, None, -0.5),
        "∂L/∂bo[0] = δo[0] = -0.5",
        "\\partial L/\\partial bo_{[0]} = -0.5",
    ),
    (
        Step("bh[0][1]", 0.5, 0.1, 2.0, 0.3),
        "bh[0][1] ← 0.5 - 0.1·2 = 0.3",
        "bh_{[0][1]} \\leftarrow 0.5 - 0.1 \\cdot 2 = 0.3",
    ),
]


@pytest.mark.parametrize("record, text, latex", CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_each_record_reads_the_same_in_both_formats(record, text, latex):
    assert TextFormatter().record(record) == text
    assert MarkdownFormatter().record(record) == latex


def test_text_formatter_writes_sections_with_underlined_headings(seed_trace):
    text = seed_trace.render("text")
    assert text == formatter("text").trace(seed_trace)
    lines = text.splitlines()
    assert lines[:3] == ["Forward pass", "------------", "  inputs: x[0] = 1, x[1] = 1"]
    assert "Gradient descent step, η = 0.1" in lines
    assert f"  δo[0] = f'(s)(yo - z) = a(1 - a)·(yo - z) = {Y * (1 - Y):.9g}·" in text
    items = [line for line in lines if line.startswith("  ")]
    assert len(items) == len(seed_trace.records) + 1  # the input names take a line of their own


def test_markdown_formatter_writes_one_latex_item_per_line(seed_trace):
    md = seed_trace.render("markdown")
    lines = md.splitlines()
    assert lines[:3] == ["## Forward pass", "", "- $x_{[0]} = 1, x_{[1]} = 1$"]
    items = [line for line in lines if line.startswith("- ")]
    assert len(items) == len(seed_trace.records) + 1
    for item in items:
        assert item.startswith("- $") and item.endswith("$"), item
        assert item.count("{") == item.count("}"), item
    assert "\\delta o_{[0]} = f'(s)(y_o - z)" in md


def test_an_unknown_format_is_one_sentence():
    with pytest.raises(ValueError, match="unknown format 'html'; choose text or markdown"):
        formatter("html")


def test_sigmoid_output_with_bce_is_explained_with_the_fused_delta_at_saturation():
    net = MLP.from_weights([[[50.0, 0.0]]], [[0.0]])
    trace = explain(net, [1.0, 0.5], [0.0], loss="bce")
    delta = next(r for r in trace.records if isinstance(r, Delta))
    assert delta.rule == "logistic" and delta.p == 1.0 and delta.count == 1
    assert delta.value == pytest.approx(1.0, rel=1e-15)
    assert all(math.isfinite(v) for v in trace.numbers.values())
    assert trace.numbers["L"] == pytest.approx(50.0, rel=1e-15)
    assert "δo[0] = (σ(s) - z)/N = (1 - 0)/1 = 1" in trace.render()


def test_explain_command_json_carries_the_records(capsys):
    assert main(["explain", "--json", "--epochs", "1"]) == 0
    data = json.loads(capsys.readouterr().out)
    kinds = [r["kind"] for r in data["records"]]
    assert kinds.count("Delta") == 4 and kinds[0] == "Inputs"
    delta_o = next(r for r in data["records"] if r.get("name") == "δo[0]")
    assert delta_o["value"] == pytest.approx(DELTA_O, rel=1e-14)
    assert data["numbers"]["δo[0]"] == delta_o["value"]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_explain_command_writes_the_errata_and_table_through_the_formatter(capsys, fmt):
    assert main(["explain", "--format", fmt, "--epochs", "2"]) == 0
    out = capsys.readouterr().out
    out_formatter = formatter(fmt)
    assert "\n".join(out_formatter.heading("Where the cheat sheet differs")) in out
    assert out_formatter.note("the sheet names two outputs yo[0], yo[1]")[:20] in out
    table_row = [line for line in out.splitlines() if "0.062637319" in line]
    assert len(table_row) == 1  # epoch 0's mean loss, ½ Σ (y − z)² / 4 over the four rows
    if fmt == "markdown":
        assert table_row[0].startswith("| 0 | 0.062637319 |")
    else:
        assert table_row[0].split()[:2] == ["0", "0.062637319"]


def test_epoch_zero_mean_loss_of_the_table_is_the_hand_computed_one():
    # the number the previous test looks for, from the sheet's four rows by hand
    x = [[1.0, 1.0], [25 / 45, 18 / 31], [40 / 45, 0.0], [0.0, 28 / 31]]
    z = [1.0, 14 / 23, 12 / 23, 0.0]
    total = 0.0
    for (x0, x1), zi in zip(x, z, strict=True):
        a = [sigmoid(-0.5 * x0 - x1 + 0.5), sigmoid(-0.5 * x0 + 0.5 * x1 + 0.5), sigmoid(x0 + 0.5)]
        total += 0.5 * (sigmoid(0.5 * a[0] - a[1] + 0.5) - zi) ** 2
    assert f"{total / 4:.9f}" == "0.062637319"


@pytest.mark.parametrize("loss, output, rule", [
    ("bce", "sigmoid", "logistic"),
    ("bce_with_logits", "linear", "logistic"),
    ("bce_with_logits", "tanh", "logistic_chain"),
    ("cross_entropy", "linear", "softmax"),
    ("cross_entropy", "sigmoid", "softmax_chain"),
    ("mse_mean", "tanh", "mse_mean"),
])  # fmt: skip
def test_output_delta_record_matches_the_witness_for_every_loss_and_output(loss, output, rule):
    net = MLP(2, [3, 2], activation="tanh", output_activation=output, seed=4)
    z = [1] if loss == "cross_entropy" else [1.0, 0.0]
    trace = explain(net, [0.2, -0.4], z, loss=loss)
    deltas = [r for r in trace.records if isinstance(r, Delta) and r.name.startswith("δo")]
    assert {r.rule for r in deltas} == {rule}
    for r in deltas:
        # the record's own numbers give its value back
        if rule in ("logistic", "softmax"):
            assert (r.p - r.z) / r.count == pytest.approx(r.value, rel=1e-12)
        elif rule.endswith("_chain"):
            assert r.fprime * (r.p - r.z) / r.count == pytest.approx(r.value, rel=1e-12)
        else:
            assert r.fprime * 2 * (r.y - r.z) / r.count == pytest.approx(r.value, rel=1e-12)

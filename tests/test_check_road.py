"""A person's δ's as a road: ``cross_check(roads=...)`` and ``tinygrad-mlp check --road``.

The correct implementation in tests/data/my_backprop.py is written outside the project
(numpy only); each seeded mistake fails with the grader's diagnosis; bad files get one
sentence and a non-zero exit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.crosscheck import cross_check
from tinygrad_mlp.seed import seed_network

ROAD = Path(__file__).resolve().parent / "data" / "my_backprop.py"
SPEC = f"{ROAD}:backward"

#: seeded mistake → a phrase of the diagnosis
MISTAKES = {
    "sign": "wrong sign",
    "tanh at input": "1 - sh[1]² where 1 - ah[1]² belongs",
    "sigmoid at input": "so(1 - so) where yo(1 - yo) belongs",
    "bias mean": "off by a constant factor",
}


def test_a_correct_road_written_outside_passes(capsys, monkeypatch):
    monkeypatch.delenv("MY_BACKPROP_MISTAKE", raising=False)
    assert main(["check", "--road", SPEC]) == 0
    out = capsys.readouterr().out
    assert "the cheat sheet's 2-3-1 example: PASS" in out
    assert out.count(": PASS") >= 5, out


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_seeded_mistake_fails_with_the_graders_diagnosis(mistake, capsys, monkeypatch):
    monkeypatch.setenv("MY_BACKPROP_MISTAKE", mistake)
    assert main(["check", "--road", SPEC]) == 1
    out = capsys.readouterr().out
    assert "FAIL" in out and "first wrong parameter" in out
    assert MISTAKES[mistake] in out, out
    assert "The chain rule: d" in out


def _write(tmp_path, body):
    path = tmp_path / "road.py"
    path.write_text(body)
    return f"{path}:backward"


BAD = {
    "missing file": (None, "no such file"),
    "no function": ("def forward(net, x, y):\n    return {}\n", "defines no function"),
    "syntax error": ("def backward(net, x, y:\n", "does not import"),
    "raises": ("def backward(net, x, y):\n    return 1 / 0\n", "raised ZeroDivisionError"),
    "not a dict": ("def backward(net, x, y):\n    return [1]\n", "not a dict"),
    "wrong key": (
        "def backward(net, x, y):\n    return {'w1': 0}\n",
        "'w1', which is not a parameter name",
    ),
    "missing key": (
        "import numpy as np\ndef backward(net, x, y):\n    return {'wo': np.zeros((1, 3))}\n",
        "no gradient for wh[0] (layers.0.weight)",
    ),
    "wrong shape": (
        "import numpy as np\ndef backward(net, x, y):\n"
        "    return {n: np.zeros((1, 1)) for n, p in net.named_parameters()}\n",
        "returned shape (1, 1) for wh[0]",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_a_bad_road_file_gets_one_sentence(case, tmp_path, capsys):
    body, phrase = BAD[case]
    spec = f"{tmp_path / 'absent.py'}:backward" if body is None else _write(tmp_path, body)
    assert main(["check", "--road", spec]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and phrase in lines[0], captured.err


def test_cross_check_takes_a_persons_road_under_either_names():
    net = seed_network()
    x, z = np.array([[1.0, 1.0]]), np.array([[1.0]])
    from tinygrad_mlp.crosscheck.roads import delta_road

    flat, _ = delta_road(net, x, z, "mse")
    sizes = [p.data.size for p in net.parameters()]
    parts = np.split(flat, np.cumsum(sizes)[:-1])

    def dotted(net, x, y):
        return {
            n: g.reshape(p.data.shape)
            for (n, p), g in zip(net.named_parameters(), parts, strict=True)
        }

    def sheet(net, x, y):
        names = ["wh[0]", "bh[0]", "wo", "bo"]
        return {
            s: g.reshape(p.data.shape)
            for s, p, g in zip(names, net.parameters(), parts, strict=True)
        }

    def wrong(net, x, y):
        out = sheet(net, x, y)
        out["wo"] = 2 * out["wo"]
        return out

    report = cross_check(net, x, z, roads={"dotted": dotted, "sheet": sheet})
    assert report.passed and {"dotted", "sheet"} <= set(report.roads)
    report = cross_check(net, x, z, roads={"mine": wrong})
    assert not report.passed
    assert "wo is the first wrong parameter" in report.road_diagnosis["mine"]
    assert "twice" in report.road_diagnosis["mine"]


def test_a_road_that_checks_nothing_fails(tmp_path, capsys):
    lazy = tmp_path / "lazy.py"
    lazy.write_text("def backward(net, x, y):\n    raise NotImplementedError\n")
    code = main(["check", "--road", f"{lazy}:backward"])
    out = capsys.readouterr().out
    assert code == 1 and "FAIL: no case was checked" in out, out

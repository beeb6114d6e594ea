"""``predict`` copies the lines of a plain table as they stand: the same file, byte for byte,
as parsing every cell and quoting it back, and the cell-by-cell road for anything else."""

from __future__ import annotations

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.commands import predict as predict_command
from tinygrad_mlp.data import read_table


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """A regression model and a 3-class classifier whose labels need quoting."""
    root = tmp_path_factory.mktemp("models")
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (40, 2))
    reg = root / "reg.csv"
    reg.write_text(
        "a,b,y\n" + "".join(f"{p:.5f},{q:.5f},{p - q:.5f}\n" for p, q in x), encoding="utf-8"
    )
    labels = ["yes, surely", 'say "no"', "maybe"]
    cls = root / "cls.csv"
    cls.write_text(
        "a,b,kind\n"
        + "".join(
            f'{p:.5f},{q:.5f},"{labels[int(p > 0) + int(q > 0)].replace(chr(34), chr(34) * 2)}"\n'
            for p, q in x
        ),
        encoding="utf-8",
    )
    out = {}
    for name, path, extra in (
        ("reg", reg, []),
        ("cls", cls, ["--loss", "ce"]),
    ):
        model = root / f"{name}.json"
        argv = ["train", "--data", str(path), "--model", str(model), "--epochs", "3", "--quiet"]
        assert main([*argv, *extra]) == 0
        out[name] = model
    return out


def predicted(path, model, tmp_path, *extra, plain=True, monkeypatch=None):
    """The bytes ``predict`` writes, by the plain road if it takes it, or forced cell by cell."""
    target = tmp_path / ("plain.csv" if plain else "cells.csv")
    if not plain:
        monkeypatch.setattr(predict_command, "plain_table", lambda path: None)
    argv = ["predict", "--model", str(model), "--data", str(path), "--output", str(target)]
    assert main([*argv, *extra]) == 0
    if not plain:
        monkeypatch.undo()
    return target.read_bytes()


PLAIN = [
    "a,b,note\n0.5,-0.25,x\n1e-3,2,yy\n",
    "a,b\n0.5,-0.25\n\n1,2\n\n\n",  # blank lines are skipped
    "a,b,c\n0.5,-0.25,\n,,\n1,2,3",  # a line of empty cells is skipped; no final line break
    "\ufeffa,b\n0.5,-0.25\n1,2\n",  # a byte-order mark, as Excel writes
    "b,a,a2\n0.5,-0.25,7\n1,2,8\n",  # columns in another order, one the model does not use
]

NOT_PLAIN = [
    "a, b\n0.5, -0.25\n1,2\n",  # spaces after commas: the cells are stripped
    "a,b\r\n0.5,-0.25\r\n1,2\r\n",  # Windows line ends
    'a,b,note\n0.5,-0.25,"x,y"\n1,2,z\n',  # a quoted comma
    "a,b,note\n0.5,-0.25,café\n1,2,z\n",  # not ASCII
    "a,b,note\n0.5,-0.25,\tx\n1,2,z\n",  # a tab
]


@pytest.mark.parametrize("text", PLAIN)
@pytest.mark.parametrize("kind", ["reg", "cls"])
def test_the_plain_road_writes_what_the_cells_road_writes(
    text, kind, models, tmp_path, monkeypatch
):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    assert predict_command.plain_table(path) is not None
    extra = ["--proba"] if kind == "cls" else []
    fast = predicted(path, models[kind], tmp_path, *extra)
    slow = predicted(path, models[kind], tmp_path, *extra, plain=False, monkeypatch=monkeypatch)
    assert fast == slow


@pytest.mark.parametrize("text", PLAIN)
def test_plain_table_reads_what_read_table_reads(text, tmp_path):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    header, lines = predict_command.plain_table(path)
    want_header, rows = read_table(path)
    assert header == want_header
    assert [line.split(",") for line in lines] == [cells for _, cells in rows]


@pytest.mark.parametrize("text", NOT_PLAIN)
def test_any_other_file_goes_cell_by_cell(text, models, tmp_path, monkeypatch):
    path = tmp_path / "in.csv"
    path.write_text(text, encoding="utf-8")
    assert predict_command.plain_table(path) is None
    fast = predicted(path, models["reg"], tmp_path)
    slow = predicted(path, models["reg"], tmp_path, plain=False, monkeypatch=monkeypatch)
    assert fast == slow
    header, rows = read_table(path)
    lines = fast.decode("utf-8").splitlines()
    assert lines[0].startswith(",".join(header))
    assert len(lines) == len(rows) + 1


def test_a_ragged_line_is_named_as_before(models, tmp_path, capsys):
    path = tmp_path / "in.csv"
    path.write_text("a,b,c\n0.5,-0.25,1\n1,2\n", encoding="utf-8")
    # the inputs a and b are all there; the sentence about line 3 comes from read_table
    code = main(["predict", "--model", str(models["reg"]), "--data", str(path)])
    assert code != 0
    assert "line 3 has 2 cells, but the header has 3" in capsys.readouterr().err


def test_a_label_with_a_line_break_is_written_cell_by_cell(monkeypatch):
    lines = ["1,2", "3,4"]
    assert predict_command._plain_text(["a", "b", "p"], lines, [("x",), ("y",)]) == (
        "a,b,p\n1,2,x\n3,4,y\n"
    )
    assert predict_command._plain_text(["a", "b", "p"], lines, [("x\ny",), ("z",)]) is None


def test_a_cell_past_the_csv_modules_limit_is_refused_as_before(models, tmp_path, capsys):
    """A cell the model does not read, longer than csv.field_size_limit(): the plain road
    steps aside and read_table refuses the file as it always did."""
    path = tmp_path / "in.csv"
    path.write_text(f"a,b,note\n0.5,0.25,{'x' * 200_000}\n1,2,z\n", encoding="utf-8")
    assert predict_command.plain_table(path) is None
    code = main(["predict", "--model", str(models["reg"]), "--data", str(path)])
    assert code != 0
    assert "field larger than field limit" in capsys.readouterr().err

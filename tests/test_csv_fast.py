"""CSV loading: the C-parser fast path gives the cell-by-cell reading's result exactly,
and every failure still ends in the one-sentence message with its line and column;
encodings, tabs and open quotes are named with the line and the remedy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import tinygrad_mlp.data as data_module
from tinygrad_mlp.cli import main
from tinygrad_mlp.data import load_csv

SEED = Path(__file__).parent / "data" / "seed-system" / "training-dataset.csv"

READERS = ["bytes", "numpy", "pandas"]


@pytest.fixture(params=READERS)
def reader(request, monkeypatch):
    """Force one fast road: the byte road first (as load_csv runs), or numpy's loadtxt
    alone, or pandas alone (skipped when not installed)."""
    if request.param == "bytes":
        return request.param
    monkeypatch.setattr(data_module, "_read_bytes", lambda *args: None)
    if request.param == "pandas":
        pytest.importorskip("pandas")
        monkeypatch.setattr(data_module, "PANDAS_FROM_BYTES", 0)
    else:
        monkeypatch.setattr(data_module, "PANDAS_FROM_BYTES", 1 << 62)
        monkeypatch.delitem(__import__("sys").modules, "pandas", raising=False)
    return request.param


def slow(path, **options):
    """The cell-by-cell reading alone (the reference the fast path must equal)."""
    header, rows = data_module.read_table(path, options.pop("encoding", "utf-8"))
    inputs, targets = data_module._columns(
        path, header, options.get("outputs", 1), options.get("targets"), options.get("inputs")
    )
    numeric = options.get("numeric_targets", True)
    x = data_module._numbers(path, rows, header, inputs)
    y = (
        data_module._numbers(path, rows, header, targets)
        if numeric
        else np.array([[row[k] for k in targets] for _, row in rows], dtype=object)
    )
    return x, y, [line for line, _ in rows]


def fast_only(monkeypatch):
    """Make the slow path raise, so a test shows the fast path read the file."""

    def refuse(*args, **kwargs):
        raise AssertionError("the slow path ran")

    monkeypatch.setattr(data_module, "read_table", refuse)


FILES = {
    "seed layout, spaces after commas": SEED.read_text(),
    "exponents, signs, integers": "a,b,y\n1e-3,-2.5E+2,3\n+.5,7.,-0\n123456789012345678,1,2\n",
    "crlf line ends": "a,b,y\r\n1,2,3\r\n4,5,6\r\n",
    "no newline at the end": "a,b,y\n1,2,3\n4,5,6",
    "quoted numbers": 'a,b,y\n"1.5",2,3\n4,"5",6\n',
    "utf-8 byte-order mark": "\ufeffa,b,y\n1,2,3\n4,5,6\n",
    "17 digits": "a,y\n0.10000000000000001,2.2250738585072014e-308\n1.7976931348623157e308,1\n",
}


@pytest.mark.parametrize("text", FILES.values(), ids=list(FILES))
def test_fast_path_reads_numbers_exactly_as_float_does(tmp_path, monkeypatch, reader, text):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    x_ref, y_ref, lines = slow(path)
    fast_only(monkeypatch)
    got = load_csv(path)
    assert got.inputs.dtype == np.float64 and got.inputs.flags.c_contiguous
    assert np.array_equal(got.inputs, x_ref) and np.array_equal(got.targets, y_ref)
    assert list(got.lines) == lines
    assert got.input_names + got.target_names == [
        c.strip() for c in text.split("\n")[0].lstrip("\ufeff").split(",")
    ]


def test_fast_path_keeps_class_labels_and_named_columns(tmp_path, monkeypatch, reader):
    path = tmp_path / "d.csv"
    path.write_text("size, colour, weight\n1.5, red , 3\n2, blue, 4\n7, 10, 5\n")
    x_ref, y_ref, _ = slow(path, targets=["colour"], numeric_targets=False)
    fast_only(monkeypatch)
    got = load_csv(path, targets=["colour"], numeric_targets=False)
    assert got.targets.dtype == object and got.targets.tolist() == y_ref.tolist()
    assert got.targets.tolist() == [["red"], ["blue"], ["10"]]
    assert np.array_equal(got.inputs, x_ref) and got.input_names == ["size", "weight"]
    monkeypatch.undo()
    picked = load_csv(path, targets=["weight"], inputs=["size"])
    assert picked.inputs.tolist() == [[1.5], [2.0], [7.0]]
    assert picked.targets.tolist() == [[3.0], [4.0], [5.0]]


BAD = [
    ("a, b, y\n1, 2, 3\n4, x, 6\n", "line 3, column 'b': 'x' is not a number"),
    ("a, b, y\n1, nan, 3\n4, 5, 6\n", "line 2, column 'b': nan is not a finite number"),
    ("a, b, y\n1, 2, 3\n4, 5, 1e999\n", "line 3, column 'y': 1e999 is not a finite number"),
    ("a, b, y\n1, True, 3\n4, 5, 6\n", "line 2, column 'b': 'True' is not a number"),
    ("a, b, y\n1, , 3\n4, 5, 6\n", "line 2, column 'b': '' is not a number"),
    ("a, b, y\n1, NA, 3\n4, 5, 6\n", "line 2, column 'b': 'NA' is not a number"),
    ("a, b, y\n1, 2, 3\n4, 5\n", "line 3 has 2 cells, but the header has 3"),
    ("a, b, y\n1, 2, 3\n4, 5, 6, 7\n", "line 3 has 4 cells, but the header has 3"),
    ("a, b, y\n1, 2, 3\n\n4, 5, x\n", "line 4, column 'y': 'x' is not a number"),
]


@pytest.mark.parametrize("text, message", BAD)
def test_fast_path_failure_gives_the_line_and_column(tmp_path, reader, text, message):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(ValueError) as caught:
        load_csv(path)
    assert message in str(caught.value)


def test_blank_lines_keep_the_file_line_of_each_row(tmp_path, reader):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,2\n\n3,4\n")
    got = load_csv(path)
    assert got.inputs.tolist() == [[1.0], [3.0]] and list(got.lines) == [2, 4]


def test_short_row_among_class_labels_is_ragged_not_an_empty_label(tmp_path, reader):
    path = tmp_path / "d.csv"
    path.write_text("a, b, label\n1, 2, cat\n3, 4\n")
    with pytest.raises(ValueError, match="line 3 has 2 cells, but the header has 3"):
        load_csv(path, numeric_targets=False)


def test_large_table_through_the_fast_path_equals_the_slow_path(tmp_path, monkeypatch, reader):
    rng = np.random.default_rng(0)
    table = rng.standard_normal((2000, 5)) * 10.0 ** rng.integers(-20, 20, (2000, 5))
    path = tmp_path / "big.csv"
    np.savetxt(path, table, delimiter=",", header="a,b,c,d,y", comments="", fmt="%.17g")
    x_ref, y_ref, _ = slow(path)
    fast_only(monkeypatch)
    got = load_csv(path)
    assert np.array_equal(got.inputs, table[:, :4]) and np.array_equal(got.inputs, x_ref)
    assert np.array_equal(got.targets, y_ref)


# ------------------------------------------------------------ encodings, separators, quotes


def test_latin1_file_names_the_line_the_byte_and_the_remedy(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("city,x,y\nParis,1,2\nOrléans,3,4\n".encode("latin-1"))
    with pytest.raises(ValueError) as caught:
        load_csv(path, targets=["y"], inputs=["x"])
    message = str(caught.value)
    assert "line 3" in message and "0xe9" in message and "UTF-8" in message
    assert "save the file as UTF-8" in message and "latin-1" in message
    assert "\n" not in message


def test_encoding_parameter_reads_a_latin1_file(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("pays,x,y\nQuébec,1,2\nNîmes,3,4\n".encode("latin-1"))
    got = load_csv(
        path, targets=["pays"], inputs=["x", "y"], numeric_targets=False, encoding="latin-1"
    )
    assert got.targets.tolist() == [["Québec"], ["Nîmes"]]


def test_utf16_file_is_named_as_utf16(tmp_path):
    path = tmp_path / "d.csv"
    path.write_bytes("a,b,y\n1,2,3\n".encode("utf-16"))
    with pytest.raises(ValueError, match="UTF-16.*save it as UTF-8.*'utf-16'"):
        load_csv(path)
    assert load_csv(path, encoding="utf-16").inputs.tolist() == [[1.0, 2.0]]


def test_unknown_encoding_is_one_sentence(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,2\n")
    with pytest.raises(ValueError, match="unknown encoding 'klingon'"):
        load_csv(path, encoding="klingon")


def test_tab_separated_file_gets_the_separator_hint(tmp_path, capsys):
    path = tmp_path / "tabs.csv"
    path.write_text("a\tb\ty\n1\t2\t3\n4\t5\t6\n")
    assert main(["train", "--data", str(path), "--model", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert "separate its columns with tabs" in err and err.count("\n") == 1


def test_unterminated_quote_is_blamed_on_the_line_where_it_opens(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('a,b,y\n1,2,3\n4,"5,6\n7,8,9\n10,11,12\n')
    with pytest.raises(ValueError) as caught:
        load_csv(path)
    message = str(caught.value)
    assert "line 3 opens a quote" in message and "line 5" in message


def test_latin1_through_the_cli_is_one_line_with_exit_2(tmp_path, capsys):
    path = tmp_path / "d.csv"
    path.write_bytes("a,b,y\n1,2,3\n4,5,6\n7,8,9\n\xe9,1,2\n".encode("latin-1"))
    assert main(["train", "--data", str(path), "--model", str(tmp_path / "m.json")]) == 2
    err = capsys.readouterr().err
    assert "line 5" in err and "0xe9" in err and err.count("\n") == 1

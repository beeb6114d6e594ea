"""The byte road of load_csv: numpy's integer arithmetic on the file's bytes gives every
cell's float() to the last bit, hands the cells it cannot settle to float() itself, and
steps aside (to loadtxt or pandas, then to the cell-by-cell reading) for any file that is
not a plain table of numbers."""

from __future__ import annotations

import numpy as np
import pytest

import tinygrad_mlp.data as data_module
from tinygrad_mlp.data import load_csv


def byte_road_only(monkeypatch):
    """Make every other road raise, so that a test shows the byte road read the file."""

    def refuse(*args, **kwargs):
        raise AssertionError("a road after the byte road ran")

    for name in ("read_table", "_read_numpy", "_read_pandas"):
        monkeypatch.setattr(data_module, name, refuse)


def bits(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).view(np.int64)


def random_cells(rng: np.random.Generator, count: int) -> list[str]:
    """Decimal cells of 1 to 15 digits, a dot anywhere or nowhere, any sign, zeros leading."""
    cells = []
    for _ in range(count):
        digits = "".join(map(str, rng.integers(0, 10, rng.integers(1, 13))))
        if rng.random() < 0.2:
            digits = "0" * int(rng.integers(1, 4)) + digits
        dot = int(rng.integers(-1, len(digits) + 1))
        body = digits if dot < 0 else digits[:dot] + "." + digits[dot:]
        cells.append(str(rng.choice(["", "", "-", "+"])) + body)
    return cells


HARD = [
    "1e-320",  # subnormal
    "4.9406564584124654e-324",
    "2.2250738585072014e-308",
    "0.10000000000000001",  # 17 digits
    "1.7976931348623157e308",
    "123456789012345678",
    "1.5E+2",
    "-2.5e-3",
    "1_000",  # float() reads underscores; so must we
    "\t2",
]

EASY = [
    "0.1",
    "0.2",
    "0.3",
    "+.5",
    "7.",
    "-0",
    "+0",
    "-0.0",
    "-.0",
    "0",
    "12.5",
    "-7",
    "9007199254740991",
    "999999999999999.",
    ".000000000000001",
    "3.000",
    "9007199254740993",
    "9999999999999999",
    "-1234567890123457",
]  # NOTE: rounded, 16 digits


def test_every_cell_is_read_as_float_reads_it(tmp_path, monkeypatch):
    rng = np.random.default_rng(23)
    cells = random_cells(rng, 12_000) + EASY * 8
    cells += HARD  # NOTE: a few cells for float() itself, well under the give-up share
    rng.shuffle(cells)
    cells += ["0"] * (-len(cells) % 4)
    rows = [cells[i : i + 4] for i in range(0, len(cells), 4)]
    path = tmp_path / "d.csv"
    path.write_text("a,b,c,y\n" + "".join(",".join(r) + "\n" for r in rows))
    expected = np.array([[float(c) for c in r] for r in rows])
    byte_road_only(monkeypatch)
    for chunk in (data_module._CHUNK, 4096, 97):  # NOTE: chunk edges anywhere in the file
        monkeypatch.setattr(data_module, "_CHUNK", chunk)
        got = load_csv(path)
        assert np.array_equal(bits(got.inputs), bits(expected[:, :3]))
        assert np.array_equal(bits(got.targets), bits(expected[:, 3:]))
        assert list(got.lines) == list(range(2, len(rows) + 2))


def test_minus_zero_keeps_its_sign(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n-0,-0.0\n0,+0\n-.0,1\n")
    byte_road_only(monkeypatch)
    got = load_csv(path)
    assert np.signbit(got.inputs[:, 0]).tolist() == [True, False, True]
    assert np.signbit(got.targets[:, 0]).tolist() == [True, False, False]


def test_spaces_crlf_and_a_missing_last_newline(tmp_path, monkeypatch):
    text = "a, b, y\r\n  1.5,  -2 , 3\r\n4,+5,  6.25  \r\n-7.,  .5,8"
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode())
    byte_road_only(monkeypatch)
    got = load_csv(path)
    assert got.inputs.tolist() == [[1.5, -2.0], [4.0, 5.0], [-7.0, 0.5]]
    assert got.targets.tolist() == [[3.0], [6.25], [8.0]]
    assert got.input_names == ["a", "b"]


def test_crlf_rows_in_one_chunk_and_lf_rows_in_another(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_bytes(b"a,y\n" + b"1,2\r\n" * 50 + b"3,4\n" * 50)
    monkeypatch.setattr(data_module, "_CHUNK", 100)
    got = load_csv(path)
    assert got.inputs[:, 0].tolist() == [1.0] * 50 + [3.0] * 50


def test_labels_and_unused_text_columns(tmp_path, monkeypatch):
    path = tmp_path / "d.csv"
    path.write_text(
        "city, size, colour, weight\nParis, 1.5, red , 3\nLyon, 2, blue, -4\nNice, 7, 10, 5\n"
    )
    byte_road_only(monkeypatch)
    got = load_csv(path, targets=["colour"], inputs=["size", "weight"], numeric_targets=False)
    assert got.inputs.tolist() == [[1.5, 3.0], [2.0, -4.0], [7.0, 5.0]]
    assert got.targets.dtype == object and got.targets.tolist() == [["red"], ["blue"], ["10"]]


STEPS_ASIDE = {
    "a quote": 'a,y\n"1",2\n3,4\n',
    "a lone carriage return": "a,y\n1,2\r3,4\n",
    "a byte beyond ASCII": "a,y\n1,2\n3,4\xa0\n",
    "a short row": "a,b,y\n1,2,3\n4,5\n",
    "a long row": "a,b,y\n1,2,3\n4,5,6,7\n",
    "a blank line": "a,y\n1,2\n\n3,4\n",
    "a cell that is no number": "a,y\n1,x\n3,4\n",
    "mostly cells for float()": "a,y\n" + "1e-5,2.5E3\n" * 40,
}


@pytest.mark.parametrize("text", STEPS_ASIDE.values(), ids=list(STEPS_ASIDE))
def test_the_byte_road_steps_aside(tmp_path, text):
    path = tmp_path / "d.csv"
    path.write_bytes(text.encode("utf-8"))
    header = data_module._fast_header(path, "utf-8")
    columns = list(range(len(header)))
    assert data_module._read_bytes(path, len(header), [columns], []) is None


def test_what_the_byte_road_steps_aside_from_is_still_read(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n" + "1e-5,2.5E3\n" * 40)
    got = load_csv(path)
    assert got.inputs[:, 0].tolist() == [1e-5] * 40 and got.targets[0, 0] == 2500.0


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,y\n1,nan\n3,4\n", "line 2, column 'y': nan is not a finite number"),
        ("a,y\n1,2\n-inf,4\n", "line 3, column 'a': -inf is not a finite number"),
        ("a,y\n1,2\n3,1e999\n", "line 3, column 'y': 1e999 is not a finite number"),
        ("a,y\n1,2\n3,-\n", "line 3, column 'y': '-' is not a number"),
        ("a,y\n1,2\n3,.\n", "line 3, column 'y': '.' is not a number"),
        ("a,y\n1,2\n3,1.2.3\n", "line 3, column 'y': '1.2.3' is not a number"),
        ("a,y\n1,2\n3,4-\n", "line 3, column 'y': '4-' is not a number"),
        ("a,y\n1,2\n3,1 2\n", "line 3, column 'y': '1 2' is not a number"),
        ("a,y\n1,2\n3,1/2\n", "line 3, column 'y': '1/2' is not a number"),
    ],
)
def test_a_bad_cell_still_gets_its_line_and_column(tmp_path, text, message):
    path = tmp_path / "d.csv"
    path.write_text(text)
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        load_csv(path)


@pytest.mark.parametrize(
    "encoding, plain",
    [("utf-8", True), ("latin-1", True), ("cp1252", True), ("utf-16", False), ("utf-7", False)],
)
def test_only_ascii_compatible_encodings_take_the_byte_road(encoding, plain):
    assert data_module._ascii_compatible(encoding) is plain

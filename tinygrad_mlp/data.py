"""Data preparation: CSV files, min-max normalization (the cheat sheet's step 2), batches.

The module is long because reading a CSV is one idea with roads that must give the same
table: a byte road (numpy's arithmetic on the file's bytes, at pandas' speed) for the plain
file of numbers, C parsers (numpy's loadtxt, or pandas) for what it steps aside from, and a
cell-by-cell reader that finds the line and column of whatever the fast roads cannot
settle; the scalers sit beside them because they are fitted on what was read.
"""

from __future__ import annotations

import codecs
import csv
import importlib.util
import sys
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "Dataset",
    "MinMaxScaler",
    "StandardScaler",
    "load_csv",
    "make_scaler",
    "minibatches",
    "read_table",
]

RANGES = {"zero-to-one": (0.0, 1.0), "minus-one-to-one": (-1.0, 1.0)}


class MinMaxScaler:
    """Map each column linearly from [min, max] of the fitted data onto a range.

    ``(x - min) / (max - min)`` for [0, 1]; that times 2, minus 1, for [-1, 1]
    (the cheat sheet's two formulas). A constant column (min = max) maps to the
    middle of the range, with a warning naming it.

    Args:
        feature_range: ``(0, 1)``, ``(-1, 1)``, or the names ``"zero-to-one"`` /
            ``"minus-one-to-one"``.

    >>> s = MinMaxScaler((0, 1)).fit([[70.0], [50.0], [25.0]])
    >>> s.transform([[65.0]]).round(4).tolist()
    [[0.8889]]
    >>> s.inverse_transform(s.transform([[65.0]])).tolist()
    [[65.0]]
    """

    def __init__(self, feature_range: tuple[float, float] | str = (0.0, 1.0)) -> None:
        if isinstance(feature_range, str):
            if feature_range not in RANGES:
                raise ValueError(
                    f"unknown normalization {feature_range!r}; choose one of {', '.join(RANGES)}"
                )
            feature_range = RANGES[feature_range]
        low, high = (float(v) for v in feature_range)
        if not low < high:
            raise ValueError(f"feature range must have low < high, got {feature_range}")
        self.feature_range = (low, high)
        self.min_: np.ndarray | None = None
        self.max_: np.ndarray | None = None

    @classmethod
    def from_min_max(
        cls, data_min: Any, data_max: Any, feature_range: tuple[float, float] | str = (0.0, 1.0)
    ) -> MinMaxScaler:
        """A scaler with given per-column minima and maxima (as a saved min-max file holds)."""
        scaler = cls(feature_range)
        scaler.min_ = np.asarray(data_min, dtype=np.float64).reshape(-1)
        scaler.max_ = np.asarray(data_max, dtype=np.float64).reshape(-1)
        if scaler.min_.shape != scaler.max_.shape:
            raise ValueError(f"{scaler.min_.size} minima but {scaler.max_.size} maxima")
        return scaler

    def fit(self, data: Any, names: list[str] | None = None) -> MinMaxScaler:
        """Remember each column's min and max; ``names`` only label the warning.

        A column whose range is rounding error (at most 10 ulps of its magnitude) is
        constant: its max is set to its min, so a later value maps to the middle of the
        range instead of being divided by ~1e-17.

        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     s = MinMaxScaler().fit([[0.1, 1.0], [0.1 + 1e-17, 2.0]], ["ratio", "x"])
        >>> s.transform([[0.1000001, 1.5]]).tolist(), str(caught[0].message)[:18]
        ([[0.5, 0.5]], 'ratio is constant ')
        """
        data = self._as_2d(data)
        low, high = data.min(axis=0), data.max(axis=0)
        # NOTE: scikit-learn's _handle_zeros_in_scale (sklearn/preprocessing/_data.py) takes
        # a range below 10·eps as zero; here 10·eps *relative* to the column's magnitude, so
        # that a column around 1e6 whose values differ in the last bits is constant too, and
        # a genuinely varying column of tiny numbers (1e-20 apart) is not.
        eps = np.finfo(np.float64).eps
        magnitude = np.maximum(np.abs(low), np.abs(high))
        constant = (high - low) <= 10 * eps * magnitude
        high = np.where(constant, low, high)
        self.min_, self.max_ = low, high
        for k in np.flatnonzero(constant):
            name = names[k] if names else f"column {k}"
            warnings.warn(
                f"{name} is constant ({self.min_[k]:g}); it is mapped to the middle of the range",
                stacklevel=2,
            )
        return self

    def _check_fitted(self, data: np.ndarray) -> None:
        if self.min_ is None or self.max_ is None:
            raise ValueError("scaler is not fitted: call fit() first")
        if data.shape[1] != self.min_.size:
            raise ValueError(f"scaler was fitted on {self.min_.size} columns, got {data.shape[1]}")

    @staticmethod
    def _as_2d(data: Any) -> np.ndarray:
        data = np.asarray(data, dtype=np.float64)
        return data.reshape(-1, 1) if data.ndim == 1 else data

    def transform(self, data: Any) -> np.ndarray:
        """Data units → the feature range."""
        data = self._as_2d(data)
        self._check_fitted(data)
        low, high = self.feature_range
        span = self.max_ - self.min_
        safe = np.where(span == 0, 1.0, span)
        unit = np.where(span == 0, 0.5, (data - self.min_) / safe)
        return unit * (high - low) + low

    def inverse_transform(self, data: Any) -> np.ndarray:
        """The feature range → data units."""
        data = self._as_2d(data)
        self._check_fitted(data)
        low, high = self.feature_range
        return (data - low) / (high - low) * (self.max_ - self.min_) + self.min_

    def fit_transform(self, data: Any, names: list[str] | None = None) -> np.ndarray:
        """``fit(data)`` then ``transform(data)``: the scaled data, shape (n, columns)."""
        return self.fit(data, names).transform(data)

    @property
    def unit(self) -> np.ndarray:
        """Data units per scaled unit, per column."""
        low, high = self.feature_range
        return (self.max_ - self.min_) / (high - low)


class StandardScaler(MinMaxScaler):
    """Map each column to mean 0 and standard deviation 1: ``(x - mean) / sd``.

    The usual choice for neural networks trained by gradient descent (inputs
    centred at 0 on one scale). It is the min-max map of [mean − sd, mean + sd]
    onto [−1, 1], and is kept as one (``min_``, ``max_``, ``feature_range``), so
    everything that reads a min-max scaler (model files, ONNX and torch export)
    reads this one too. A constant column (sd = 0) maps to 0, with a warning
    naming it.

    >>> s = StandardScaler().fit([[1.0], [3.0]])
    >>> s.mean_.tolist(), s.scale_.tolist()
    ([2.0], [1.0])
    >>> s.transform([[1.0], [3.0], [5.0]]).tolist()
    [[-1.0], [1.0], [3.0]]
    >>> s.inverse_transform([[3.0]]).tolist()
    [[5.0]]
    """

    def __init__(self) -> None:
        super().__init__((-1.0, 1.0))
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None

    @classmethod
    def from_mean_scale(cls, mean: Any, scale: Any) -> StandardScaler:
        """A scaler with given per-column means and standard deviations (0: constant)."""
        scaler = cls()
        mean = np.asarray(mean, dtype=np.float64).reshape(-1)
        sd = np.asarray(scale, dtype=np.float64).reshape(-1)
        if mean.shape != sd.shape:
            raise ValueError(f"{mean.size} means but {sd.size} scales")
        if np.any(sd < 0):
            raise ValueError("a standard scaler's scales must not be negative")
        scaler._set(mean, sd)
        return scaler

    def _set(self, mean: np.ndarray, sd: np.ndarray) -> None:
        self.mean_, self.scale_ = mean, sd
        self.min_, self.max_ = mean - sd, mean + sd

    def fit(self, data: Any, names: list[str] | None = None) -> StandardScaler:
        """Remember each column's mean and standard deviation; ``names`` label warnings.

        A column whose spread is below the rounding error of computing it is constant
        (sd 0, mapped to 0): a column of 0.1s has a computed sd of about 1e-17, and
        dividing a later 0.1000001 by it would give 1e10.

        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     s = StandardScaler().fit([[0.1, 1.0]] * 100 + [[0.1, 3.0]] * 100, ["ratio", "x"])
        >>> s.scale_.tolist(), s.transform([[0.1000001, 2.0]]).tolist()
        ([0.0, 1.0], [[0.0, 0.0]])
        >>> str(caught[0].message)[:18]
        'ratio is constant '
        """
        data = self._as_2d(data)
        mean, var = data.mean(axis=0), data.var(axis=0)
        # NOTE: scikit-learn's _is_constant_feature (sklearn/preprocessing/_data.py, used by
        # StandardScaler.partial_fit): a column is constant when
        # var <= n·eps·var + (n·mean·eps)², the error bound of the two-pass variance
        # (Chan, Golub & LeVeque); eps is float64's machine epsilon.
        n, eps = len(data), np.finfo(np.float64).eps
        constant = var <= n * eps * var + (n * mean * eps) ** 2
        sd = np.where(constant, 0.0, np.sqrt(var))
        for k in np.flatnonzero(constant):
            name = names[k] if names else f"column {k}"
            warnings.warn(f"{name} is constant ({mean[k]:g}); it is mapped to 0", stacklevel=2)
        self._set(mean, sd)
        return self


def make_scaler(normalize: str) -> MinMaxScaler | StandardScaler:
    """The scaler a ``--normalize`` name stands for (not ``none``)."""
    if normalize == "standard":
        return StandardScaler()
    return MinMaxScaler(normalize)


# --------------------------------------------------------------------------- CSV files

#: Files larger than this are refused before reading (a guard against hostile input).
MAX_CSV_BYTES = 512 * 1024 * 1024

#: When the byte road steps aside: from this size on, pandas' C parser (when installed)
#: repays its import (about 0.35 s); below it, or without pandas, numpy's ``np.loadtxt``.
PANDAS_FROM_BYTES = 16 * 1024 * 1024


@dataclass
class Dataset:
    """A table read from CSV: inputs (n, nin) floats and targets (n, nout).

    ``targets`` holds floats for regression and binary labels, and the raw label
    strings for classification (``numeric_targets=False``); it is ``None`` when
    the file has no target columns (a file to predict on). ``lines[r]`` is the
    file line of row ``r``, for messages (a ``range`` when no blank line interrupts).
    """

    inputs: np.ndarray
    targets: np.ndarray | None
    input_names: list[str]
    target_names: list[str]
    path: str = ""
    lines: Sequence[int] | None = None

    def __len__(self) -> int:
        return len(self.inputs)


def checked_file(path: str | Path, limit: int) -> Path:
    """``path`` as a Path, if it names a file of at most ``limit`` bytes; else ValueError."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path}: is a folder, not a file")
    if not path.is_file():
        raise ValueError(f"{path}: no such file")
    size = path.stat().st_size
    if size > limit:
        raise ValueError(f"{path}: {size} bytes is larger than the {limit} byte limit")
    return path


def _codec(encoding: str) -> str:
    # NOTE: a UTF-8 byte-order mark (Excel writes one) is skipped, as if absent.
    return "utf-8-sig" if codecs.lookup(encoding).name == "utf-8" else encoding


def _not_text(path: Path, encoding: str) -> str:
    """The one sentence for a file that does not decode: its line, byte and remedy."""
    raw = path.read_bytes()
    try:
        raw.decode(_codec(encoding))
    except UnicodeDecodeError as error:
        start = error.start
    else:  # pragma: no cover - the caller saw it fail
        start = 0
    name = codecs.lookup(encoding).name.upper()
    line = raw.count(b"\n", 0, start) + 1
    if raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) or b"\x00" in raw[:4096]:
        return (
            f"{path}: not a text CSV file in {name}: it looks like UTF-16 (zero bytes or "
            "a UTF-16 byte-order mark); save it as UTF-8, or read it with encoding 'utf-16'"
        )
    return (
        f"{path}: not a text CSV file in {name}: line {line} has byte 0x{raw[start]:02x}, "
        f"which is not {name}; save the file as UTF-8, or read it with its encoding "
        "(such as 'latin-1' or 'cp1252')"
    )


def check_header(path: Path | str, header: list[str]) -> None:
    """One sentence for a header that is not a row of distinct column names."""
    if len(header) == 1:
        for sep, name, pandas in ((";", "';'", "sep=';'"), ("\t", "tabs", r"sep='\t'")):
            if sep in header[0]:
                raise ValueError(
                    f"{path}: line 1 is one column {header[0]!r}; the file seems to separate "
                    f"its columns with {name}: save it with commas (or read it with pandas' "
                    f"{pandas} and write it back with to_csv)"
                )
    if all(_is_number(c) for c in header):
        raise ValueError(f"{path}: line 1 holds numbers; the first line must name the columns")
    if len(set(header)) != len(header) or any(not c for c in header):
        raise ValueError(f"{path}: line 1: column names must be distinct and not empty")


def read_table(
    path: str | Path, encoding: str = "utf-8"
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """Header and rows (with the line each starts on) of a CSV file, cells stripped.

    Raises ValueError with one sentence naming the file and line for a missing,
    empty, oversized, undecodable, header-less or ragged file, and for a quote
    left open (blamed on the line where it opens).
    """
    path = checked_file(path, MAX_CSV_BYTES)
    lines = []
    start = 1
    try:
        with path.open(newline="", encoding=_codec(encoding)) as handle:
            reader = csv.reader(handle, skipinitialspace=True)
            for row in reader:
                if any(c.strip() for c in row):
                    lines.append((start, reader.line_num, row))
                start = reader.line_num + 1
    except UnicodeDecodeError:
        raise ValueError(_not_text(path, encoding)) from None
    except csv.Error as error:
        raise ValueError(f"{path}: line {start} is not a valid CSV line ({error})") from None
    if not lines:
        raise ValueError(f"{path}: the file is empty")
    header = [c.strip() for c in lines[0][2]]
    check_header(path, header)
    rows = []
    for line, end, row in lines[1:]:
        row = [c.strip() for c in row]
        if len(row) != len(header):
            if end > line and any("\n" in c or "\r" in c for c in row):
                # NOTE: the csv reader reports where a record ends; a quote left open
                # swallows the lines after it, so the line to blame is where it began.
                raise ValueError(
                    f"{path}: line {line} opens a quote that is not closed on that line "
                    f"(it runs on to line {end}); close the quote or remove it"
                )
            raise ValueError(
                f"{path}: line {line} has {len(row)} cells, but the header has {len(header)}"
            )
        rows.append((line, row))
    if not rows:
        raise ValueError(f"{path}: the file has a header but no data rows")
    return header, rows


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _numbers(path, rows, header, columns, hint: str = "") -> np.ndarray:
    out = np.empty((len(rows), len(columns)))
    for r, (line, row) in enumerate(rows):
        for c, k in enumerate(columns):
            try:
                value = float(row[k])
            except ValueError:
                raise ValueError(
                    f"{path}: line {line}, column {header[k]!r}: {row[k]!r} is not a number{hint}"
                ) from None
            if not np.isfinite(value):
                raise ValueError(
                    f"{path}: line {line}, column {header[k]!r}: {row[k]} is not a finite number"
                )
            out[r, c] = value
    return out


def _columns(
    path, header: list[str], outputs: int | None, targets, inputs
) -> tuple[list[int], list[int]]:
    """(input columns, target columns) by index; ValueError naming a missing column."""
    index = {name: k for k, name in enumerate(header)}
    if targets:
        missing = [t for t in targets if t not in index]
        if missing:
            raise ValueError(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})")
        target_cols = [index[t] for t in targets]
    else:
        outputs = outputs or 0
        if outputs < 0 or outputs >= len(header):
            raise ValueError(
                f"{path}: cannot take {outputs} target columns from {len(header)} columns"
            )
        target_cols = list(range(len(header) - outputs, len(header)))
    if inputs is not None:
        missing = [name for name in inputs if name not in index]
        if missing:
            raise ValueError(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})")
        input_cols = [index[name] for name in inputs]
    else:
        input_cols = [k for k in range(len(header)) if k not in target_cols]
    if not input_cols:
        raise ValueError(f"{path}: no input columns are left once the targets are taken")
    return input_cols, target_cols


# NOTE: the fast path. The byte road, else a C parser, reads the numbers; any doubt (a cell
# it cannot read, a non-finite value, a blank line, a quote, a ragged row, a bad byte)
# returns None and the slow path above reads the file again, cell by cell, to give the same
# result or the one-sentence message with its line and column. The fast path raises nothing.


def _fast_header(path: Path, encoding: str) -> list[str] | None:
    """Line 1's column names, when line 1 is a plain header (no quote, no blank)."""
    try:
        with path.open(newline="", encoding=_codec(encoding)) as handle:
            first = handle.readline()
    except (UnicodeDecodeError, OSError):
        return None
    if '"' in first or not first.strip():
        return None
    cells = next(csv.reader([first.rstrip("\r\n")], skipinitialspace=True))
    header = [c.strip() for c in cells]
    try:
        check_header(path, header)
    except ValueError:
        return None
    return header


def _line_count(path: Path) -> int:
    """Number of lines (a last line without its newline counts), in 1 MB chunks."""
    count, last = 0, b"\n"
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (last != b"\n")


# NOTE: the byte road, the first fast road: numpy alone, at about pandas' speed. The file is
# read once as bytes; separators are found with one comparison per byte, and each cell is
# turned into a number by integer arithmetic on the 8 or 16 bytes that end it, all cells of a
# chunk at once ("SIMD within a register", as simdjson and fast_float parse 8 digits with
# three multiplications). A cell of at most 15 digits with one optional dot and sign gives an
# exact integer M < 2**53 and q digits after the dot; M / 10**q is then one correctly rounded
# division of two exact doubles, which is float()'s answer to the last bit (Clinger's fast
# path). Any other cell (an exponent, more digits, a letter) is read by float() itself; when
# such cells are many, or the file is not plain (a quote, a lone \r, a ragged row, a byte
# that is not ASCII), the road returns None and the next road reads the file.

_U64 = np.uint64


def _bytes_of(byte: int) -> np.uint64:
    return _U64(int.from_bytes(bytes([byte]) * 8, "little"))


_X30, _X76, _X62, _XE0, _X80, _X01 = (_bytes_of(b) for b in (0x30, 0x76, 0x62, 0xE0, 0x80, 1))
#: Multiplied by a dot's marker (0x01 at byte k), the top byte is the digits after it.
_AFTER1, _AFTER0 = _U64(0x0706050403020100), _U64(0x0F0E0D0C0B0A0908)


def _top_bytes(k: int) -> int:
    return 0 if k <= 0 else ((1 << (8 * k)) - 1) << (8 * (8 - k))


#: Which bytes of the word ending a cell (word 1) and of the word before it (word 0) belong
#: to a cell of L characters (the cell is right-aligned: its last byte is the top byte).
_KEEP1 = np.array([_top_bytes(min(n, 8)) for n in range(17)], dtype=np.uint64)
_KEEP0 = np.array([_top_bytes(min(max(n - 8, 0), 8)) for n in range(17)], dtype=np.uint64)
#: 10**q for a dot with q digits after it; 10**16 (more than any cell) when there is no dot.
_MODULUS = np.array([10**k for k in range(17)] + [10**16] * 16, dtype=np.uint64)
#: Divisors 10**k, then -10**k for a minus sign (so that "-0" gives -0.0, as float() does).
_DIVISOR = np.concatenate([10.0 ** np.arange(18), -(10.0 ** np.arange(18))])
#: Bytes per chunk: a chunk's arrays stay in the processor's cache and under glibc's
#: mmap threshold (128 KiB), so that they are not handed back and faulted in again.
_CHUNK = 100_000
#: A chunk with more cells for float() than 16 and this share goes to the next road.
_HARD_SHARE = 1 / 16


def _digits_of(word: np.ndarray) -> np.ndarray:
    """Eight digit values (0-9, first in the lowest byte) as one integer, per word."""
    word = word * _U64(10) + (word >> _U64(8))
    word &= _U64(0x00FF00FF00FF00FF)
    word *= _U64(6553601)
    word >>= _U64(16)
    word &= _U64(0x0000FFFF0000FFFF)
    word *= _U64(42949672960001)
    word >>= _U64(32)
    return word


def _marks(word: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(non-zero where a byte is neither a digit nor a dot, 0x01 at each dot), per word.

    ``word`` holds each byte XOR 0x30: digits are 0-9, a dot is 0x1E.
    """
    dots = word + _X62
    dots &= _X80  # NOTE: bytes >= 0x1E, exact for bytes below 0x20 (checked next)
    bad = word + _X76
    bad &= _X80  # bytes >= 0x0A
    bad ^= dots
    bad |= word & _XE0
    dots >>= _U64(7)
    bad |= word & dots  # NOTE: 0x1F ('/') passes the first tests; a dot's low bit is 0
    return bad, dots


def _cell_values(lengths, minus, words) -> tuple[np.ndarray, np.ndarray]:
    """(values, ok) of cells whose ``lengths`` characters (signs gone) end ``words``.

    ``words`` is [the 8 bytes ending each cell] or [the 8 before those, those 8];
    ``minus`` is 1 where a cell had a minus sign. ``ok`` is False where a cell is not
    digits with at most one dot, or is longer than its words.
    """
    two = len(words) == 2
    v1 = words[-1] ^ _X30
    v1 &= _KEEP1[lengths]
    bad, dots = _marks(v1)
    after = dots * _AFTER1
    if two:
        v0 = words[0] ^ _X30
        v0 &= _KEEP0[lengths]
        bad0, dots0 = _marks(v0)
        bad |= bad0
        after += dots0 * _AFTER0
        v1 ^= dots * _U64(0x1E)  # NOTE: a dot becomes a 0 digit
        v0 ^= dots0 * _U64(0x1E)
        count = dots + dots0
    else:
        count = dots.copy()
    count *= _X01
    count >>= _U64(56)  # dots in the cell
    after >>= _U64(56)  # q, the digits after the dot
    np.minimum(after, _U64(15), out=after)
    ok = bad == 0
    ok &= count <= 1
    ok &= lengths > count
    divisor = after.astype(np.intp)
    divisor += minus * 18
    if two:
        # NOTE: with the dot read as a 0, number = A·10^(q+1) + B for digits A before it and
        # B after; the cell's integer is M = A·10^q + B = (number + 9·(number mod 10^q)) / 10.
        # With a dot, M has at most 15 digits (exact); without one, M < 10**16 is rounded
        # once, correctly, by the conversion to float64, then divided by 10**0.
        number = _digits_of(v0)
        number *= _U64(100_000_000)
        number += _digits_of(v1)
        which = np.minimum(count, _U64(1))
        which ^= _U64(1)
        which <<= _U64(4)
        which += after
        rest = number % _MODULUS[which]
        rest *= _U64(9)
        number += rest
        number //= _U64(10)
    else:
        # NOTE: the dot at byte k is dropped: bytes 0..k-1 move up one, a 0 comes in at 0.
        below = dots << _U64(8)
        below -= count  # bytes 0..k with a dot, none without
        moved = v1 << _U64(8)
        moved &= below
        v1 &= ~below
        v1 |= moved
        number = _digits_of(v1)
    values = number.astype(np.float64)
    values /= _DIVISOR[divisor]
    return values, ok


def _newline_after(text: np.ndarray, at: int) -> int:
    """The index of the first newline at or after ``at`` (there is one: the last byte)."""
    while not len(found := np.flatnonzero(text[at : at + 4096] == 0x0A)):
        at += 4096
    return at + int(found[0])


def _read_bytes(path: Path, ncols: int, groups: list[list[int]], labels: list[int]):
    """(one float64 array per column group, {label column: strings}) through the byte road.

    None when the file is not a plain table of numbers (see the NOTE above).
    """
    size = path.stat().st_size
    text = np.zeros(size + 18, dtype=np.uint8)  # NOTE: 16 bytes before the file, 2 after
    with path.open("rb") as handle:
        if size == 0 or handle.readinto(memoryview(text)[16 : 16 + size]) != size:
            return None
    hi = 16 + size
    ended = text[hi - 1] == 0x0A
    if not ended:
        text[hi] = 0x0A
        hi += 1
    lo = _newline_after(text, 16) + 1
    if not ended and lo < hi and text[lo - 2] == 0x0D:  # NOTE: the last line ends as line 1
        text[hi - 1 : hi + 1] = (0x0D, 0x0A)
        hi += 1
    if lo >= hi or np.count_nonzero(text[16:lo] == 0x0D) != (text[lo - 2] == 0x0D):
        return None  # NOTE: a lone \r ends a line for the csv module
    rows = sum(
        np.count_nonzero(text[at : min(at + _CHUNK, hi)] == 0x0A) for at in range(lo, hi, _CHUNK)
    )
    # NOTE: word i holds bytes i..i+7, unaligned, read little-endian.
    words = np.ndarray((len(text) - 7,), dtype="<u8", buffer=text, strides=(1,))
    wanted = sorted({k for group in groups for k in group})
    wanted_mask = np.zeros(ncols, dtype=bool)
    wanted_mask[wanted] = True
    picks = [slice(g[0], g[-1] + 1) if g == list(range(g[0], g[-1] + 1)) else g for g in groups]
    out = [np.empty((rows, len(group))) for group in groups]
    texts: dict[int, list[str]] = {k: [] for k in labels}
    row = 0
    start_byte = lo
    while start_byte < hi:
        stop = _newline_after(text, min(start_byte + _CHUNK, hi - 1)) + 1
        chunk = text[start_byte - 1 : stop]  # NOTE: from the newline before the chunk
        if chunk.max() >= 0x80 or (chunk == 0x22).any() or (chunk == 0).any():
            return None  # NOTE: an ASCII body reads alike in every ASCII-compatible encoding
        seps = np.flatnonzero((chunk == 0x2C) | (chunk == 0x0A))
        seps += start_byte - 1
        cells = len(seps) - 1
        newline = text[seps[1:]] == 0x0A
        n = cells // ncols
        if cells != n * ncols or not newline[ncols - 1 :: ncols].all():
            return None
        if np.count_nonzero(newline) != n:
            return None  # a row with too few or too many cells
        first = seps[:-1] + 1
        last = seps[1:].copy()
        returns = np.count_nonzero(chunk == 0x0D)
        if returns:  # NOTE: then every row of the chunk must end with \r\n
            if returns != n or not (text[last[ncols - 1 :: ncols] - 1] == 0x0D).all():
                return None
            last[ncols - 1 :: ncols] -= 1
        starts, ends = first.copy(), last.copy()
        if (chunk == 0x20).any():  # NOTE: cells are stripped; a space inside one stays bad
            while (edge := (text[starts] == 0x20) & (starts < ends)).any():
                starts += edge
            while (edge := (text[ends - 1] == 0x20) & (starts < ends)).any():
                ends -= edge
        lead = text[starts]
        minus = (lead == 0x2D).view(np.uint8)
        starts += minus
        starts += lead == 0x2B
        lengths = ends - starts
        last_words = words[ends - 8]
        values, ok = _cell_values(np.minimum(lengths, 8), minus, [last_words])
        long = np.flatnonzero(lengths > 8)
        if len(long):
            ends_long = ends[long]
            lengths_long = lengths[long]
            got, good = _cell_values(
                np.minimum(lengths_long, 16),
                minus[long],
                [words[ends_long - 16], last_words[long]],
            )
            good &= lengths_long <= 16
            values[long] = got
            ok[long] = good
        hard = np.flatnonzero(~ok)
        hard = hard[wanted_mask[hard % ncols]]
        if len(hard) > 16 + _HARD_SHARE * cells:
            return None
        for i in hard.tolist():
            try:
                values[i] = float(text[first[i] : last[i]].tobytes())
            except ValueError:
                return None
        table = values.reshape(n, ncols)
        for pick, array in zip(picks, out, strict=True):
            array[row : row + n] = table[:, pick]
        for k in labels:
            texts[k] += [
                text[a:b].tobytes().decode("ascii").strip()
                for a, b in zip(first[k::ncols].tolist(), last[k::ncols].tolist(), strict=True)
            ]
        row += n
        start_byte = stop
    return out, texts


def _stripped(column: np.ndarray) -> np.ndarray:
    """Label cells as the slow path keeps them: stripped strings in an object array."""
    return np.char.strip(np.asarray(column, dtype=str)).astype(object)


def _read_pandas(path: Path, ncols: int, labels: list[int], encoding: str):
    """(numbers as one float64 array over every column, {label column: strings}) or None."""
    import pandas as pd  # NOTE: optional (the ``fast-csv`` extra); imported only for big files

    frame = pd.read_csv(
        path,
        header=None,
        skiprows=1,
        names=list(range(ncols)),
        index_col=False,
        skipinitialspace=True,
        skip_blank_lines=False,
        na_filter=False,  # NOTE: "NA", "" stay text, so they take the slow path
        dtype={k: str for k in labels},
        encoding=_codec(encoding),
        engine="c",
    )
    numeric = [k for k in range(ncols) if k not in labels]
    if any(frame.dtypes[k].kind not in "fiu" for k in numeric):
        return None  # NOTE: text, or booleans ("True" is 1.0 to pandas, not to float())
    texts = {k: _stripped(frame[k].to_numpy(dtype=object, na_value="")) for k in labels}
    if labels:
        frame = frame.drop(columns=labels)
    numbers = frame.to_numpy(dtype=np.float64)
    del frame
    return numeric, numbers, texts


def _read_numpy(path: Path, ncols: int, labels: list[int], encoding: str):
    """As ``_read_pandas``, through numpy's C reader (numpy >= 1.23).

    Every column is read, so that the reader checks each row's length; a label
    column goes through a converter that numbers its distinct strings.
    """
    seen: dict[str, int] = {}

    def label(cell: str) -> float:
        return float(seen.setdefault(cell.strip(), len(seen)))

    numbers = np.loadtxt(
        path,
        dtype=np.float64,
        delimiter=",",
        skiprows=1,
        comments=None,
        quotechar='"',
        encoding=_codec(encoding),
        ndmin=2,
        converters=dict.fromkeys(labels, label) or None,
    )
    names = np.array(list(seen) or [""], dtype=object)
    texts = {k: names[numbers[:, k].astype(np.intp)] for k in labels}
    numeric = [k for k in range(ncols) if k not in labels]
    if labels:
        numbers = numbers[:, numeric]
    return numeric, numbers, texts


def _ascii_compatible(encoding: str) -> bool:
    """Whether ``encoding`` writes every ASCII character as its one ASCII byte."""
    sample = "".join(map(chr, range(128)))
    try:
        return sample.encode(encoding) == sample.encode("ascii")
    except (LookupError, UnicodeError):
        return False


def _load_bytes(file: Path, path: str, header, input_cols, target_cols, labels):
    """``load_csv``'s result through the byte road, or None."""
    numeric = [] if labels or not target_cols else [target_cols]
    got = _read_bytes(file, len(header), [input_cols, *numeric], labels)
    if got is None:
        return None
    arrays, texts = got
    n = len(arrays[0])
    if n == 0 or not all(np.isfinite(a).all() for a in arrays):
        return None
    y = arrays[1] if numeric else None
    if labels:
        y = np.empty((n, len(labels)), dtype=object)
        for c, k in enumerate(labels):
            if "" in texts[k]:
                return None  # NOTE: an empty label: the slow path reads it, as before
            y[:, c] = texts[k]
    names = [header[k] for k in input_cols], [header[k] for k in target_cols]
    return Dataset(arrays[0], y, *names, path, range(2, n + 2))


def _fast_load(path, outputs, targets, inputs, numeric_targets, encoding) -> Dataset | None:
    """``load_csv``'s result through a C parser, or None when only the slow path can say."""
    file = Path(path)
    if not file.is_file() or file.stat().st_size > MAX_CSV_BYTES:
        return None
    header = _fast_header(file, encoding)
    if header is None:
        return None
    try:
        input_cols, target_cols = _columns(path, header, outputs, targets, inputs)
    except ValueError:
        return None
    labels = [] if numeric_targets else list(target_cols)
    if any(k in input_cols for k in labels):
        return None
    if _ascii_compatible(encoding):
        fast = _load_bytes(file, str(path), header, input_cols, target_cols, labels)
        if fast is not None:
            return fast
    reader = _read_numpy
    if file.stat().st_size >= PANDAS_FROM_BYTES or "pandas" in sys.modules:
        if importlib.util.find_spec("pandas") is not None:
            reader = _read_pandas
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            got = reader(file, len(header), labels, encoding)
    except (ValueError, TypeError, UnicodeDecodeError, OverflowError, Warning):
        return None  # NOTE: pandas' ParserError and EmptyDataError are ValueErrors
    if got is None:
        return None
    numeric, numbers, texts = got
    n = len(numbers)
    if n == 0 or numbers.shape[1] != len(numeric) or not np.isfinite(numbers).all():
        return None
    if any(np.any(column == "") for column in texts.values()):
        return None  # NOTE: an empty label or a short row: the slow path tells which
    if _line_count(file) != n + 1:
        return None  # blank lines, a quoted newline, or lone \r: line numbers need the slow path
    place = {k: c for c, k in enumerate(numeric)}

    def take(columns: list[int]) -> np.ndarray:
        # NOTE: one copy, C-ordered; the parser's array is dropped as soon as x and y exist.
        where = [place[k] for k in columns]
        if where == list(range(where[0], where[0] + len(where))):
            return np.ascontiguousarray(numbers[:, where[0] : where[0] + len(where)])
        return np.ascontiguousarray(numbers[:, where])

    x = take(input_cols)
    y: np.ndarray | None = None
    if target_cols:
        if numeric_targets:
            y = take(target_cols)
        else:
            y = np.empty((n, len(target_cols)), dtype=object)
            for c, k in enumerate(target_cols):
                y[:, c] = texts[k]
    return Dataset(
        x,
        y,
        [header[k] for k in input_cols],
        [header[k] for k in target_cols],
        str(path),
        range(2, n + 2),
    )


def load_csv(
    path: str | Path,
    outputs: int | None = 1,
    targets: list[str] | None = None,
    inputs: list[str] | None = None,
    numeric_targets: bool = True,
    encoding: str = "utf-8",
) -> Dataset:
    """Read a CSV with a header row: input columns, then target columns.

    A plain file of numbers (ASCII, no quotes) is read by the byte road: numpy's
    integer arithmetic on the file's bytes, each cell equal to ``float()`` of it to the
    last bit, at about pandas' speed, with numpy alone. Any other file goes to a C
    parser (pandas' when it is installed and the file is large, else numpy's
    ``loadtxt``); when that cannot read a cell, the file is read again cell by cell,
    which either reads it or names the line and column at fault.

    Args:
        path: the file.
        outputs: the last ``outputs`` columns are targets (0: none).
        targets: target columns by name instead (overrides ``outputs``).
        inputs: input columns by name (default: every column that is not a target).
        numeric_targets: False keeps targets as label strings (classification).
        encoding: the file's text encoding (a UTF-8 byte-order mark is skipped).

    >>> import tempfile, os
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = os.path.join(d, "t.csv")
    ...     _ = open(p, "w").write("i0,  i1,  z0\\n70,  98,  91\\n50,  85,  82\\n")
    ...     data = load_csv(p)
    >>> data.input_names, data.target_names, data.inputs.tolist(), data.targets.tolist()
    (['i0', 'i1'], ['z0'], [[70.0, 98.0], [50.0, 85.0]], [[91.0], [82.0]])
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f"unknown encoding {encoding!r} (such as 'utf-8' or 'latin-1')") from None
    fast = _fast_load(path, outputs, targets, inputs, numeric_targets, encoding)
    if fast is not None:
        return fast
    header, rows = read_table(path, encoding)
    input_cols, target_cols = _columns(path, header, outputs, targets, inputs)
    x = _numbers(path, rows, header, input_cols)
    y: np.ndarray | None = None
    if target_cols:
        if numeric_targets:
            hint = " (a target column of class names needs --loss ce)"
            y = _numbers(path, rows, header, target_cols, hint)
        else:
            y = np.array([[row[k] for k in target_cols] for _, row in rows], dtype=object)
    return Dataset(
        x,
        y,
        [header[k] for k in input_cols],
        [header[k] for k in target_cols],
        str(path),
        [line for line, _ in rows],
    )


def minibatches(
    n: int, batch_size: int, rng: np.random.Generator | int | None = None, shuffle: bool = True
) -> Iterator[np.ndarray]:
    """Index arrays covering ``range(n)`` in batches, shuffled by a seedable generator.

    >>> [b.tolist() for b in minibatches(5, 2, shuffle=False)]
    [[0, 1], [2, 3], [4]]
    """
    if batch_size < 1:
        raise ValueError(f"batch size must be at least 1, got {batch_size}")
    order = np.arange(n)
    if shuffle:
        generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        generator.shuffle(order)
    for start in range(0, n, batch_size):
        yield order[start : start + batch_size]

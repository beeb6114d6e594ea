"""Data preparation: CSV files, min-max normalization (the cheat sheet's step 2), batches.

The module is long because reading a CSV is one idea with two roads that must give the
same table: a C-speed parser for the common file, and a cell-by-cell reader that finds
the line and column of whatever the fast road cannot settle; the scalers sit beside
them because they are fitted on what was read.
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

#: From this size on, pandas' C parser (when installed) repays its import (about 0.35 s);
#: below it, or without pandas, numpy's C reader (``np.loadtxt``) reads the numbers.
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


def _check_header(path: Path | str, header: list[str]) -> None:
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
    _check_header(path, header)
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


# NOTE: the fast path. A C parser reads the numbers; any doubt (a cell it cannot read,
# a non-finite value, a blank line, a quote, a ragged row, a bad byte) returns None and
# the slow path above reads the file again, cell by cell, to give the same result or
# the one-sentence message with its line and column. The fast path raises nothing.


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
        _check_header(path, header)
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

    The numbers are read by a C parser (pandas' when it is installed and the file is
    large, else numpy's ``loadtxt``); when it cannot read a cell, the file is read
    again cell by cell, which either reads it or names the line and column at fault.

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

"""Writing files so that a reader never sees half of one: the bottom of the house.

Every file the project writes (model files, state files, ONNX and torch files,
pictures, the playback page) goes through :func:`atomic_write_bytes`: the bytes go
to a temporary file in the target's folder, are flushed to disk (``fsync``), and the
temporary file is renamed over the target. An interrupted save leaves the old file
or none, never a part, and no temporary file behind. State files (``.npz``, numbers
only, never pickle) are written here too, so that a module's ``state_dict()`` can be
saved without the network code knowing about files. This module imports nothing of the project.
"""

from __future__ import annotations

import io
import os
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_write_bytes",
    "atomic_write_text",
    "check_writable",
    "load_state",
    "save_state",
]


def check_writable(path: str | Path, what: str = "") -> Path:
    """``path`` as a Path if a file can be written there, else one ValueError saying why.

    Checked before any long work, so that a typo fails at once: the path must
    not be a folder, and its folder must exist.
    """
    path = Path(path)
    label = f"{what} " if what else ""
    if path.is_dir():
        raise ValueError(f"{label}{path}: is a folder; give a file name to write")
    folder = path.parent
    if not folder.is_dir():
        raise ValueError(f"{label}{path}: the folder {folder} does not exist")
    return path


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename.

    A reader sees the old file or the new one, never a part; a failed or
    interrupted write removes its temporary file.
    """
    path = check_writable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        # NOTE: mkstemp makes the file private (0600); give it the mode a plain
        # open() would have: the old file's, or 0666 less the umask.
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# --------------------------------------------------------------------------- state files


def _flat_state(state: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted key, leaf) of a nested state: dicts, and lists or tuples of dicts, are walked."""
    items = state.items() if isinstance(state, dict) else enumerate(state)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        nested = isinstance(value, dict) or (
            isinstance(value, (list, tuple)) and value and all(isinstance(v, dict) for v in value)
        )
        if nested:
            yield from _flat_state(value, path)
        elif value is not None:
            yield path, value


def save_state(state: dict[str, Any], path: str | Path) -> Path:
    """Write a state to an ``.npz`` file, atomically (no half-written file).

    A module's state (name → array) is written as it is; a nested one, such as an
    optimizer's ``state_dict()``, with dotted keys (``state.0.exp_avg``,
    ``param_groups.0.lr``), which the optimizer's ``load_state_dict`` reads back.

    >>> import tempfile, os
    >>> from tinygrad_mlp.nn import Linear
    >>> net = Linear(2, 1, seed=0)
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_state(net.state_dict(), os.path.join(d, "net.npz"))
    ...     sorted(load_state(p))
    ['bias', 'weight']
    """
    arrays = {}
    for key, value in _flat_state(state):
        # a Tensor (or anything with an array in .data) is written as its array
        data = value if isinstance(value, np.ndarray) else getattr(value, "data", value)
        array = np.asarray(data)
        if array.dtype == object:
            raise TypeError(f"state entry {key!r} is not an array of numbers")
        arrays[str(key)] = array
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    path = Path(path)
    atomic_write_bytes(path, buffer.getvalue())
    return path


def load_state(path: str | Path) -> dict[str, np.ndarray]:
    """Read a state written by :func:`save_state` (numbers only: no pickle is ever loaded)."""
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path}: not a state file written by save_state ({error})") from None

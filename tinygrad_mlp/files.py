"""Writing files so that a reader never sees half of one: the bottom of the house.

Every file the project writes (model files, state files, ONNX and torch files,
pictures, the playback page) goes through :func:`atomic_write_bytes`: the bytes go
to a temporary file in the target's folder, are flushed to disk (``fsync``), and the
temporary file is renamed over the target. An interrupted save leaves the old file
or none, never a part, and no temporary file behind. This module imports nothing of
the project.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_text", "check_writable"]


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

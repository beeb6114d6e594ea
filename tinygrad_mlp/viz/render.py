"""Writing pictures: DOT source always, SVG/PNG/PDF through Graphviz's ``dot`` program.

Graphviz prints its layout warnings on its own stderr. They are captured here,
never passed through: each becomes a short note in our words on the
:class:`Picture` that :func:`write_picture` returns (the ``graph`` command lists
them under ``--json``). A failed layout is an error naming the file.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

__all__ = ["IMAGE_FORMATS", "GraphvizMissing", "Picture", "render", "save", "write_picture"]

IMAGE_FORMATS = ("svg", "png", "pdf")
SOURCE_FORMATS = ("dot", "gv")


class GraphvizMissing(OSError):
    """Graphviz's ``dot`` program is needed to render an image and is not installed."""


@dataclass
class Picture:
    """A written picture: where, how many bytes, and what Graphviz had to say about it."""

    path: Path
    size: int
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        """Plain data for JSON: ``{"path": str, "bytes": int, "notes": [str, ...]}``.

        >>> Picture(Path("net.svg"), 1234, ["a font was missing"]).to_dict()
        {'path': 'net.svg', 'bytes': 1234, 'notes': ['a font was missing']}
        """
        return {"path": str(self.path), "bytes": self.size, "notes": list(self.notes)}


def _missing(path: Path | str) -> GraphvizMissing:
    return GraphvizMissing(
        f"{path}: rendering needs Graphviz's dot program; install it (Debian: apt-get install "
        "graphviz) or save .dot source instead"
    )


#: Graphviz's warnings in our words; the first pattern that matches wins.
_NOTES = (
    (re.compile(r"size too small for label"), "a label is wider than its shape and overflows it"),
    (re.compile(r"[Uu]nable to reclaim box space"), "an edge could not be routed cleanly"),
    (re.compile(r"(couldn't|could not|unable to) (load|find) font", re.I), "a font was missing"),
    (re.compile(r"[Ff]ailed to place|[Ll]abel.*overlap"), "some labels overlap"),
)


def _notes(stderr: str) -> list[str]:
    notes: list[str] = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line:
            continue
        text = next((note for pattern, note in _NOTES if pattern.search(line)), None)
        if text is None:
            text = "Graphviz: " + re.sub(r"^(Warning|Error):\s*", "", line)
        if text not in notes:
            notes.append(text)
    return notes


def render(graph: graphviz.Digraph, format: str) -> tuple[bytes, list[str]]:
    """Lay out and render ``graph`` with ``dot``; return the bytes and Graphviz's notes.

    Args:
        graph: what :func:`draw_graph` or :func:`draw_network` returned.
        format: "svg", "png" or "pdf".

    Returns:
        ``(image bytes, notes)``: the notes are Graphviz's warnings in our words,
        captured instead of printed.
    """
    if format not in IMAGE_FORMATS:
        raise ValueError(
            f"unknown picture format {format!r}; use one of {', '.join(IMAGE_FORMATS)}"
        )
    program = shutil.which(graph.engine)
    if program is None:
        raise _missing(f"a .{format} picture")
    # NOTE: run dot ourselves (no shell) rather than graph.pipe(): pipe either
    # lets dot's warnings through to our stderr or drops them unseen.
    done = subprocess.run(
        [program, f"-T{format}"],
        input=graph.source.encode("utf-8"),
        capture_output=True,
        check=False,
    )
    stderr = done.stderr.decode("utf-8", errors="replace")
    if done.returncode != 0 or not done.stdout:
        reason = "; ".join(_notes(stderr)[:2]) or f"exit status {done.returncode}"
        raise ValueError(f"Graphviz could not lay out the picture: {reason}")
    return done.stdout, _notes(stderr)


def write_picture(graph: graphviz.Digraph, path: str | Path) -> Picture:
    """Write ``graph`` to ``path`` by its extension and say what was written.

    ``.dot``/``.gv`` is DOT source (no Graphviz program needed); ``.svg``,
    ``.png`` and ``.pdf`` are rendered by ``dot``. The file appears whole or not
    at all.

    Returns:
        A :class:`Picture`: the path, the size in bytes and Graphviz's notes.

    Raises:
        ValueError: for an unknown extension (before anything runs).
        GraphvizMissing: when an image is asked for and ``dot`` is not installed.

    >>> import tempfile, graphviz
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     picture = write_picture(graphviz.Digraph(), Path(folder) / "empty.dot")
    ...     picture.size == len(picture.path.read_bytes()), picture.notes
    (True, [])
    """
    from tinygrad_mlp.io import atomic_write_bytes

    path = Path(path)
    suffix = path.suffix.lower().lstrip(".")
    if suffix in SOURCE_FORMATS:
        data, notes = graph.source.encode("utf-8"), []
    elif suffix in IMAGE_FORMATS:
        if shutil.which(graph.engine) is None:
            raise _missing(path)
        data, notes = render(graph, suffix)
    else:
        raise ValueError(f"{path}: unknown picture format {suffix!r}; use .dot, .svg, .png or .pdf")
    atomic_write_bytes(path, data)
    return Picture(path, len(data), notes)


def save(graph: graphviz.Digraph, path: str | Path) -> Path:
    """Write ``graph`` to ``path``: DOT source for .dot/.gv, an image for .svg/.png/.pdf.

    Raises :class:`GraphvizMissing` (one sentence naming the package to install)
    when an image is asked for and the ``dot`` program is not installed. Use
    :func:`write_picture` to also get the size and Graphviz's notes.
    """
    return write_picture(graph, path).path

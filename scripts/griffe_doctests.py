"""A Griffe extension for the documentation site: docstrings read as Markdown.

Docstrings carry small doctests (``>>> ...`` and the expected output) in their
running text, and the sheet's names (wh[0][2][1]) in their prose. Markdown would
run a doctest's lines together and read ``a[0][2]`` as a reference link to "2".
This wraps every doctest block (from a ``>>>`` line to the next blank line) in a
fenced ``pycon`` block, escapes index brackets in prose outside code, and turns
Sphinx roles (``:func:`fit```) into code spans.
"""

from __future__ import annotations

import re
from typing import Any

import griffe


def fence_doctests(text: str) -> str:
    """``text`` with each doctest block wrapped in a ```` ```pycon ```` fence.

    >>> fence_doctests("Adds wh[0][2].\\n\\n>>> 1 + 1\\n2\\n\\nDone.").splitlines()
    ['Adds wh\\\\[0]\\\\[2].', '', '```pycon', '>>> 1 + 1', '2', '```', '', 'Done.']
    """
    out: list[str] = []
    inside = fenced = False
    indent = ""
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith("```"):
            fenced = not fenced
        if not inside and not fenced and stripped.startswith(">>>"):
            inside, indent = True, line[: len(line) - len(stripped)]
            out.append(f"{indent}```pycon")
        elif inside and not stripped:
            out.append(f"{indent}```")
            inside = False
        if not inside and not fenced:
            line = _escape_references(line)
        out.append(line)
    if inside:
        out.append(f"{indent}```")
    return "\n".join(out)


def _escape_references(line: str) -> str:
    """An index bracket (``x[``, ``][``) is escaped outside code spans, so Markdown reads
    ``x[0][2]`` as text, not as reference links; ``[text](url)`` links stay links.

    >>> _escape_references("x[0][2] and ``y[1][0]`` and `z[0]` [a](b)")
    'x\\\\[0]\\\\[2] and ``y[1][0]`` and `z[0]` [a](b)'
    """
    pieces = re.split(r"(`+)", line)
    out, opener = [], ""
    for piece in pieces:
        if piece.startswith("`"):
            opener = "" if piece == opener else (opener or piece)
        elif not opener:
            piece = re.sub(r"(?<=[\w\])])\[", r"\\[", piece)
        out.append(piece)
    return "".join(out)


_ROLE = re.compile(r":(?:py:)?(?:mod|func|class|meth|attr|data|exc|obj):`(~?)([^`]+)`")


def plain_roles(text: str) -> str:
    """Sphinx cross-reference roles become code spans (``~`` keeps the last name only).

    >>> plain_roles("See :func:`fit` and :class:`~tinygrad_mlp.value.Value`.")
    'See `fit` and `Value`.'
    """
    return _ROLE.sub(lambda m: f"`{m[2].rsplit('.', 1)[-1] if m[1] else m[2]}`", text)


class DoctestFences(griffe.Extension):
    """Make every docstring Griffe loads read well as Markdown (see the module's doc)."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite ``obj``'s docstring in place."""
        if obj.docstring is not None:
            obj.docstring.value = fence_doctests(plain_roles(obj.docstring.value))

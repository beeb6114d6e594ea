"""The cheat sheet's names of a network's numbers, made and read in one place.

For layer l of L layers (the last is the output layer, ``o``; the others hidden, ``h``):

=============  ==================  ==================
what           hidden layer l      output layer
=============  ==================  ==================
input i        ``x[i]``            (the layer before's ``ah[l-1][i]``)
weight (j, i)  ``wh[l][j][i]``     ``wo[j][i]``
bias j         ``bh[l][j]``        ``bo[j]``
sum j          ``sh[l][j]``        ``so[j]``
output j       ``ah[l][j]``        ``yo[j]``
error δ j      ``δh[l][j]``        ``δo[j]``
=============  ==================  ==================

A whole layer's name is the head without the node index (``wh[0]``, ``so``, ``δo``).
This module imports nothing; anything that writes or reads these names uses it.

>>> layer_names(0, 2).weight, layer_names(1, 2).delta
('wh[0]', 'δo')
>>> weight(0, 2, 1, 0), bias(1, 2, 0), delta(0, 2, 2)
('wh[0][1][0]', 'bo[0]', 'δh[0][2]')
>>> parse("wh[0][2][1]")
Label(kind='w', layer=0, index=(2, 1))
>>> parse("yo[1]")
Label(kind='a', layer=None, index=(1,))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "KINDS",
    "Label",
    "LayerNames",
    "activated",
    "bias",
    "delta",
    "input_name",
    "layer_names",
    "node",
    "parse",
    "sibling",
    "weight",
]

#: Each kind of number, with its (hidden, output) head: w, b, s, a (the output), δ.
KINDS: dict[str, tuple[str, str]] = {
    "w": ("wh", "wo"),
    "b": ("bh", "bo"),
    "s": ("sh", "so"),
    "a": ("ah", "yo"),
    "δ": ("δh", "δo"),
}


@dataclass(frozen=True)
class LayerNames:
    """The heads of one layer's names: ``("wh[0]", "bh[0]", "sh[0]", "ah[0]", "δh[0]")``."""

    weight: str
    bias: str
    sum: str
    output: str
    delta: str


def layer_names(l: int, layers: int) -> LayerNames:  # noqa: E741 -- the sheet's layer index
    """The names of layer ``l`` of ``layers``: ``wo``, ``bo`` ... for the last one.

    >>> layer_names(1, 3)
    LayerNames(weight='wh[1]', bias='bh[1]', sum='sh[1]', output='ah[1]', delta='δh[1]')
    """
    if not 0 <= l < layers:
        raise ValueError(f"layer {l} is not one of the {layers} layers")
    column = 1 if l == layers - 1 else 0
    suffix = "" if column else f"[{l}]"
    heads = [KINDS[k][column] + suffix for k in ("w", "b", "s", "a", "δ")]
    return LayerNames(*heads)


def input_name(i: int, l: int = 0, layers: int = 1) -> str:  # noqa: E741
    """The name of input ``i`` of layer ``l``: ``x[i]`` for the first, else ``ah[l-1][i]``."""
    return f"x[{i}]" if l == 0 else f"{layer_names(l - 1, layers).output}[{i}]"


def weight(l: int, layers: int, j: int, i: int) -> str:  # noqa: E741
    """Weight (j, i) of layer l: ``wh[l][j][i]`` or ``wo[j][i]``."""
    return f"{layer_names(l, layers).weight}[{j}][{i}]"


def bias(l: int, layers: int, j: int) -> str:  # noqa: E741
    """Bias j of layer l: ``bh[l][j]`` or ``bo[j]``."""
    return f"{layer_names(l, layers).bias}[{j}]"


def delta(l: int, layers: int, j: int | None = None) -> str:  # noqa: E741
    """Error signal j of layer l: ``δh[l][j]`` or ``δo[j]`` (the layer's ``δh[l]`` for j None)."""
    head = layer_names(l, layers).delta
    return head if j is None else f"{head}[{j}]"


def node(kind: str, l: int, layers: int, j: int | None = None) -> str:  # noqa: E741
    """Any per-node name: ``kind`` one of ``w b s a δ`` (``w`` takes no j here: the row head).

    >>> node("s", 0, 2, 1), node("a", 1, 2, 0), node("a", 1, 2)
    ('sh[0][1]', 'yo[0]', 'yo')
    """
    head = KINDS[kind][1 if l == layers - 1 else 0] + ("" if l == layers - 1 else f"[{l}]")
    return head if j is None else f"{head}[{j}]"


@dataclass(frozen=True)
class Label:
    """A parsed name: ``kind`` (``x w b s a δ``), the hidden ``layer`` (None for the output
    layer and the inputs) and the indices after it."""

    kind: str
    layer: int | None
    index: tuple[int, ...]


_HEAD = {head: (kind, column) for kind, pair in KINDS.items() for column, head in enumerate(pair)}
_LABEL = re.compile(r"^(x|wh|wo|bh|bo|sh|so|ah|yo|δh|δo)((?:\[\d+\])*)$")


def parse(label: str) -> Label | None:
    """Read a sheet name back, or None when ``label`` is not one.

    >>> parse("δh[1][0]"), parse("loss")
    (Label(kind='δ', layer=1, index=(0,)), None)
    """
    m = _LABEL.match(label)
    if m is None:
        return None
    head, rest = m.groups()
    numbers = tuple(int(n) for n in re.findall(r"\d+", rest))
    if head == "x":
        return Label("x", None, numbers)
    kind, column = _HEAD[head]
    if column == 1:
        return Label(kind, None, numbers)
    if not numbers:
        return None
    return Label(kind, numbers[0], numbers[1:])


def activated(label: str) -> str:
    """The name of f(s) from the name of s: ``sh[l][j]`` → ``ah[l][j]``, ``so[j]`` → ``yo[j]``,
    ``s[j]`` → ``a[j]`` and ``<prefix>.s[j]`` → ``<prefix>.a[j]``; "" for any other name.

    >>> activated("sh[0][2]"), activated("so[0]"), activated("net.0.s[1]"), activated("x[0]")
    ('ah[0][2]', 'yo[0]', 'net.0.a[1]', '')
    """
    head, sep, tail = label.partition("[")
    if not sep:
        return ""
    mapped = {"sh": "ah", "so": "yo", "s": "a"}.get(head)
    if mapped is None:
        if not head.endswith(".s"):
            return ""
        mapped = head[:-1] + "a"
    return mapped + sep + tail


def sibling(head: str, kind: str) -> str:
    """Another kind's name for the layer whose head is ``head``: ``wh[0]`` → ``ah[0]`` for
    ``kind`` ``a``, ``wo`` → ``so`` for ``s``; "" when ``head`` is not a layer's head.

    >>> sibling("wh[1]", "a"), sibling("wo", "s"), sibling("fc.weight", "a")
    ('ah[1]', 'so', '')
    """
    found = parse(head)
    if found is None or found.index:
        return ""
    column = 1 if found.layer is None else 0
    return KINDS[kind][column] + ("" if found.layer is None else f"[{found.layer}]")

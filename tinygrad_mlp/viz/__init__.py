"""Pictures of graphs and networks with Graphviz.

- :func:`draw_graph` (:mod:`.graph`): the computation graph of a ``Value`` or
  ``Tensor`` in micrograd's shape — a record per value (label | data | grad) and a
  small node per op — with clusters per neuron and layer, gradient colours and a
  legend, local derivatives on edges, a highlighted path, and collapsing past a
  node limit into boxes that summarize their values.
- :func:`draw_network` (:mod:`.network`): the network diagram of an ``MLP``.
- :func:`save` / :func:`write_picture` (:mod:`.render`): DOT source always; SVG,
  PNG or PDF by the file's extension when Graphviz's ``dot`` is installed, with
  its warnings captured rather than printed.

Both drawing functions return a ``graphviz.Digraph``, which shows itself inline
in Jupyter. Nothing here recurses: graphs are walked by :func:`autograd.walk`.
Every number is written by :func:`format_number`; every label, column or class
name is escaped for the kind of Graphviz label it lands in, so text from a
user's file is drawn as its characters.

Gradients before ``backward()``: a graph whose root has no gradient yet (a
``Value`` root with grad 0, a ``Tensor`` root with grad None) is drawn with
"grad —" (not computed), never with zeros. After ``backward()`` the root's
gradient is 1 and every value shows its own.
"""

from __future__ import annotations

from tinygrad_mlp.viz._text import format_number
from tinygrad_mlp.viz.graph import draw_graph, modules_of
from tinygrad_mlp.viz.network import draw_network
from tinygrad_mlp.viz.playback import playback
from tinygrad_mlp.viz.render import (
    IMAGE_FORMATS,
    GraphvizMissing,
    Picture,
    render,
    save,
    write_picture,
)

__all__ = [
    "IMAGE_FORMATS",
    "GraphvizMissing",
    "Picture",
    "draw_graph",
    "draw_network",
    "format_number",
    "modules_of",
    "playback",
    "render",
    "save",
    "write_picture",
]

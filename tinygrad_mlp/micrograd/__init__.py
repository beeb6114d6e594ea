"""micrograd's API and semantics on this project's core: change the imports, keep the code.

``from micrograd.engine import Value`` becomes ``from tinygrad_mlp.micrograd.engine import
Value``; ``from micrograd import nn`` becomes ``from tinygrad_mlp.micrograd import nn``.
:func:`draw_dot` is the drawing function of micrograd's ``trace_graph.ipynb``.
"""

from __future__ import annotations

from tinygrad_mlp.micrograd import engine, nn
from tinygrad_mlp.micrograd.draw import draw_dot, trace
from tinygrad_mlp.micrograd.engine import Value

__all__ = ["Value", "draw_dot", "engine", "nn", "trace"]

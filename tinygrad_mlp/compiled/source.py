"""Generated Python functions: the one place the package turns source text into code.

Both captured programs end as one generated function of straight-line code: the
scalar engine's (:mod:`tinygrad_mlp.compiled.floats`) as float arithmetic on locals,
the tensor engine's (:mod:`tinygrad_mlp.compiled.arrays`) as its numpy calls on
buffers made once. The text is generated from our own op classes and the slot
numbering of a recording, never from user input: user numbers enter only as
``repr`` of floats (which round-trips exactly), as objects bound to names in the
function's namespace, or through the function's arguments.
(tests/test_reliability.py allows ``exec`` in exactly this file.)
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

__all__ = ["function_from_source"]


def function_from_source(source: str, name: str, space: dict[str, Any], label: str) -> Callable:
    """The function ``name`` that ``source`` defines, its globals ``space`` (copied).

    ``label`` names the source in tracebacks (``<label>``).
    """
    code = builtins.compile(source, f"<{label}>", "exec")
    space = dict(space)
    exec(code, space)  # NOTE: generated from our op table, never user text (see above)
    return space[name]

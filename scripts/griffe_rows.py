"""A Griffe extension for the documentation site: the element-wise methods' docstrings.

A method decorated with ``from_row(name)`` (:mod:`tinygrad_mlp.elementwise`) gets
its docstring from the table's row when the class is made; Griffe reads the source
without running it, so this extension renders the same docstring for the site.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import griffe

from tinygrad_mlp.elementwise import FUNCTIONS, row_doc

_FROM_ROW = re.compile(r"(?:\w+\.)*from_row\((.*)\)", re.S)


class RowDocstrings(griffe.Extension):
    """Render the docstring of every ``@from_row(...)`` method from its row."""

    def on_function_instance(self, *, func: griffe.Function, **kwargs: Any) -> None:
        """Replace ``func``'s docstring with its row's, followed by its own."""
        for decorator in func.decorators:
            found = _FROM_ROW.fullmatch(str(decorator.value))
            if not found:
                continue
            call = ast.parse(f"f({found.group(1)})", mode="eval").body
            name = ast.literal_eval(call.args[0])
            twin = next((ast.literal_eval(k.value) for k in call.keywords if k.arg == "twin"), "")
            own = func.docstring.value if func.docstring else ""
            text = row_doc(FUNCTIONS[name], twin) + (f"\n\n{own}" if own else "")
            func.docstring = griffe.Docstring(text, parent=func)

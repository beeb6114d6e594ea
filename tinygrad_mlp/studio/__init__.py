"""The studio: watch a network learn, live, in the browser (``tinygrad-mlp studio``).

:class:`Session` is the headless run (a model, its data, its optimizer, stepped one
batch at a time); the server's worker drives one, a script may drive another and
get the same weights. :func:`serve` runs the server until interrupted;
:class:`Studio` runs it in the background and shows the page inline in Jupyter.
The server needs the ``studio`` extra: ``pip install 'tinygrad-mlp[studio]'``.
"""

from __future__ import annotations

from typing import Any

from tinygrad_mlp.studio.datasets import BUILTIN, make_dataset
from tinygrad_mlp.studio.session import Session, default_config, natural_loss

__all__ = [
    "BUILTIN",
    "Session",
    "Studio",
    "default_config",
    "make_dataset",
    "natural_loss",
    "serve",
]

_NEEDS = "the studio needs its extra: pip install 'tinygrad-mlp[studio]'"


def _server() -> Any:
    try:
        import starlette  # noqa: F401 -- only asks whether the extra is installed
        import uvicorn  # noqa: F401
    except ImportError:
        raise ImportError(_NEEDS) from None
    from tinygrad_mlp.studio import server

    return server


def serve(
    data: Any = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    json_line: bool = False,
) -> None:
    """Serve the studio until interrupted (see :func:`tinygrad_mlp.studio.server.serve`)."""
    _server().serve(data, host=host, port=port, open_browser=open_browser, json_line=json_line)


def Studio(*args: Any, **kwargs: Any) -> Any:  # noqa: N802 -- reads as the class it makes
    """A studio in a background thread, shown inline in Jupyter
    (see :class:`tinygrad_mlp.studio.server.Studio`)."""
    return _server().Studio(*args, **kwargs)

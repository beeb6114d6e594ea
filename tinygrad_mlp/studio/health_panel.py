"""The health panel's one door to :mod:`tinygrad_mlp.health` (per-layer training figures).

The studio reads the monitor through these three functions only. Where the module is
missing, :func:`monitor` gives None and :func:`figures` says the figures are not
available, so the page keeps its place for them.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["UNAVAILABLE", "figures", "monitor", "record"]

UNAVAILABLE = "health figures: not available"


def monitor(net: Any) -> Any:
    """A ``tinygrad_mlp.health.Monitor`` watching ``net``, or None where there is none."""
    try:
        from tinygrad_mlp.health import Monitor
    except ImportError:
        return None
    return Monitor(net)


def record(watch: Any, step: int) -> None:
    """Let ``watch`` read this step's figures (called after ``backward``)."""
    watch.record(step)


def _plain(value: Any, depth: int = 0) -> Any:
    """``value`` as small JSON: numbers rounded, NaN as None, containers capped."""
    if depth > 4:
        return None
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value if not isinstance(value, str) else value[:200]
    if isinstance(value, (int, float)) or hasattr(value, "item"):
        try:
            number = float(value)
        except (TypeError, ValueError):
            return str(value)[:200]
        return round(number, 4) if math.isfinite(number) else None
    if isinstance(value, dict):
        return {str(k)[:60]: _plain(v, depth + 1) for k, v in list(value.items())[:32]}
    if isinstance(value, (list, tuple)):
        return [_plain(v, depth + 1) for v in list(value)[:32]]
    return str(value)[:200]


def _latest(history: Any) -> Any:
    """The newest entry of a history kept as a list, or as a dict keyed by step."""
    if isinstance(history, dict):
        if not history:
            return None
        keys = list(history)
        if all(isinstance(k, int) for k in keys):
            return {"step": max(keys), **_as_dict(history[max(keys)])}
        return {k: _latest(v) if isinstance(v, (list, dict)) else v for k, v in history.items()}
    if isinstance(history, (list, tuple)):
        return history[-1] if history else None
    return history


def _as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {"figures": value}


def figures(watch: Any) -> dict[str, Any]:
    """The newest per-layer figures and the findings, ready for the page.

    >>> figures(None)
    {'available': False, 'message': 'health figures: not available'}
    """
    if watch is None:
        return {"available": False, "message": UNAVAILABLE}
    return {
        "available": True,
        "latest": _plain(_latest(getattr(watch, "history", None))),
        "findings": [str(f)[:300] for f in list(getattr(watch, "findings", []) or [])[:10]],
    }

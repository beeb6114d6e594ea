"""The health panel: :class:`tinygrad_mlp.health.Monitor`'s figures, ready for the page.

The studio keeps one monitor per run (a row per epoch, so that "dead" means zero on
every sample of the epoch, as in ``train --health``) and sends the newest row of each
layer and the findings so far with every update.
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_mlp.health import GUIDE, Monitor

__all__ = ["COLUMNS", "figures", "monitor", "record"]

#: (the monitor's figure, the column the page shows), in the page's order.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("name", "layer"),
    ("activation", "f"),
    ("grad_norm", "‖∇W‖"),
    ("update_ratio", "log10 ΔW/W"),
    ("saturated", "saturated"),
    ("dead", "dead"),
    ("mean", "mean a"),
    ("std", "spread a"),
)


def monitor(net: Any, steps_per_epoch: int = 1) -> Monitor:
    """A monitor of ``net`` that files a row every ``steps_per_epoch`` steps (an epoch)."""
    return Monitor(net, every=max(1, int(steps_per_epoch)))


def record(watch: Monitor, step: int) -> None:
    """Let ``watch`` read this step's figures (called after ``backward``)."""
    watch.record(step)


def _rounded(value: Any) -> Any:
    if isinstance(value, float):
        return round(value, 4) if math.isfinite(value) else None
    return value


def figures(watch: Monitor | None) -> dict[str, Any]:
    """The newest row of each layer and the findings (at most ten), as plain JSON.

    >>> figures(None)
    {'available': False, 'message': 'health figures: off for this run'}
    """
    if watch is None:
        return {"available": False, "message": "health figures: off for this run"}
    rows = [
        {column: _rounded(row.get(key)) for key, column in COLUMNS} for row in watch.latest()
    ]
    findings = [str(f)[:300] for f in watch.findings[-10:]]
    return {"available": True, "latest": rows, "findings": findings, "guide": GUIDE}

"""The health panel: :class:`tinygrad_mlp.health.Monitor`'s figures, ready for the page.

The studio keeps one monitor per run and files a row each time it sends an update (about
20 a second while playing): a row's activation figures cover every training forward
since the last row ("dead": zero on all of those samples), its update ratio the step
just taken. The page gets the newest row of each layer and the findings so far.
"""

from __future__ import annotations

import math
from typing import Any

from tinygrad_mlp.health import GUIDE, Monitor

__all__ = ["COLUMNS", "after_step", "figures", "monitor", "record"]

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


def monitor(net: Any) -> Monitor:
    """A monitor of ``net`` whose rows the studio files itself (see :func:`record`)."""
    return Monitor(net)


def record(watch: Monitor, step: int) -> None:
    """File a row of this step's figures (called after ``backward``, before the update)."""
    watch.record(step, row=True)


def after_step(watch: Monitor) -> None:
    """Measure the update the optimizer just made against the row's weights."""
    watch.after_step()


def _rounded(value: Any) -> Any:
    if isinstance(value, float):  # four significant digits: a gradient norm may be 1e-10
        return float(f"{value:.4g}") if math.isfinite(value) else None
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
    # NOTE: a finding that ends and comes back is one line here: the newest of each kind
    newest: dict[str, str] = {}
    for finding in watch.findings:
        newest.pop(finding.split(" since ")[0], None)
        newest[finding.split(" since ")[0]] = str(finding)[:300]
    findings = list(newest.values())[-10:]
    return {"available": True, "latest": rows, "findings": findings, "guide": GUIDE}

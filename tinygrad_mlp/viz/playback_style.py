"""The playback's constants, read by both the frames (:mod:`.playback`) and the page
(:mod:`.playback_page`): the font, the fill and edge colours, the frame files' names.

Neither of the two modules imports the other for these, so the page can be built
from a :class:`~tinygrad_mlp.viz.playback.Playback` without a circle of imports.
"""

from __future__ import annotations

import re

from tinygrad_mlp.viz._text import FONT

__all__ = [
    "CURRENT_BACKWARD",
    "CURRENT_FORWARD",
    "EDGE_BACKWARD",
    "EDGE_FORWARD",
    "FONT",
    "FRAME_FILE",
    "INPUT_BACKWARD",
    "INPUT_FORWARD",
    "KNOWN_FILL",
    "LEAF_FILL",
    "UNKNOWN_FILL",
]

#: Fill colours: the node at work, its inputs (forward) or receivers (backward), the rest.
CURRENT_FORWARD, INPUT_FORWARD = "#ffd966", "#fff2cc"
CURRENT_BACKWARD, INPUT_BACKWARD = "#f4a6b4", "#fde3e8"
EDGE_FORWARD, EDGE_BACKWARD = "#b8860b", "#c0392b"
LEAF_FILL, KNOWN_FILL, UNKNOWN_FILL = "#eef3fb", "#f7f7f7", "#ffffff"
#: The files ``write_frames`` writes (and may replace): frame-000.svg, frame-001.png, ...
FRAME_FILE = re.compile(r"^frame-\d{3,}\.(?:svg|png)$")

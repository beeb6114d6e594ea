"""The playback page: one self-contained HTML file that steps through the frames.

Every frame's SVG sits inline; a small script (allowed by its hash in the page's
content security policy, nothing else may run or load) shows one frame at a
time with its caption, with buttons, a slider and the keys ← → space Home End.
"""

from __future__ import annotations

import base64
import hashlib
import html
import re
from typing import Any

from tinygrad_mlp.viz.playback_style import (
    CURRENT_BACKWARD,
    CURRENT_FORWARD,
    INPUT_BACKWARD,
    INPUT_FORWARD,
    LEAF_FILL,
)

# NOTE: tinygrad_mlp.viz.playback imports this module to write its page, so the
# recording's type is not imported back: no circle.
Playback = Any

__all__ = ["page"]

_SVG_HEAD = re.compile(r"^.*?(?=<svg)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _inline_svg(svg: str, k: int) -> str:
    """An SVG document made fit to sit inside HTML: no prolog or comments, ids unique per frame."""
    svg = _COMMENT.sub("", _SVG_HEAD.sub("", svg, count=1))
    return re.sub(r'\bid="', f'id="f{k}-', svg)


_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.2em; color: #222; }
h1 { font-size: 1.3em; margin: 0 0 .2em; }
#sub { color: #555; margin: 0 0 .8em; }
#controls { display: flex; gap: .5em; align-items: center; flex-wrap: wrap; }
#controls button { font-size: 1em; padding: .25em .8em; }
#slider { flex: 1; min-width: 12em; }
#counter { font-variant-numeric: tabular-nums; min-width: 11em; }
#caption { background: #fafafa; border: 1px solid #ddd; border-radius: 6px;
  padding: .6em .8em; margin: .6em 0; font-size: 1.02em; line-height: 1.45;
  white-space: pre-wrap; min-height: 4.5em; }
#frames { overflow: auto; max-height: 62vh; border: 1px solid #eee; }
#frames.fit svg { max-width: 100%; height: auto; }
.legend { color: #555; font-size: .9em; }
.legend .swatch { display: inline-block; width: .9em; height: .9em; border: 1px solid #888;
  vertical-align: middle; margin: 0 .3em 0 .2em; }
.legend label { margin-left: 1.2em; }
"""

_SCRIPT = """
(function () {
  "use strict";
  var frames = Array.prototype.slice.call(document.querySelectorAll("#frames > .frame"));
  var caption = document.getElementById("caption");
  var slider = document.getElementById("slider");
  var counter = document.getElementById("counter");
  var playButton = document.getElementById("play");
  var current = 0, timer = null;
  function show(i) {
    i = Math.max(0, Math.min(frames.length - 1, Math.floor(Number(i)) || 0));
    frames[current].hidden = true;
    current = i;
    frames[i].hidden = false;
    caption.textContent = frames[i].querySelector(".text").textContent;
    centre(frames[i].querySelector("g.current"));
    slider.value = String(i);
    counter.textContent = "frame " + (i + 1) + " / " + frames.length + " \\u00b7 " +
      frames[i].getAttribute("data-kind");
    return i;
  }
  function centre(at) {
    // NOTE: scrolls the picture's own box only, never the page, to bring the value at work
    // to its middle.
    if (!at) { return; }
    var box = document.getElementById("frames");
    var r = at.getBoundingClientRect(), b = box.getBoundingClientRect();
    box.scrollLeft += (r.left + r.width / 2) - (b.left + b.width / 2);
    box.scrollTop += (r.top + r.height / 2) - (b.top + b.height / 2);
  }
  function pause() {
    if (timer !== null) { clearInterval(timer); timer = null; }
    playButton.textContent = "\\u25b6 play";
  }
  function play() {
    if (timer !== null) { return; }
    if (current >= frames.length - 1) { show(0); }
    playButton.textContent = "\\u275a\\u275a pause";
    timer = setInterval(function () {
      if (current >= frames.length - 1) { pause(); } else { show(current + 1); }
    }, 1100);
  }
  function step(by) { pause(); show(current + by); }
  function toggle() { if (timer === null) { play(); } else { pause(); } }
  document.getElementById("back").addEventListener("click", function () { step(-1); });
  document.getElementById("next").addEventListener("click", function () { step(1); });
  var fit = document.getElementById("fit");
  fit.addEventListener("change", function () {
    document.getElementById("frames").classList.toggle("fit", fit.checked);
  });
  playButton.addEventListener("click", toggle);
  slider.addEventListener("input", function () { pause(); show(slider.value); });
  document.addEventListener("keydown", function (event) {
    if (event.target === slider) { return; }
    var moves = { ArrowRight: 1, ArrowLeft: -1 };
    if (event.key in moves) { step(moves[event.key]); event.preventDefault(); }
    else if (event.key === "Home") { pause(); show(0); event.preventDefault(); }
    else if (event.key === "End") { pause(); show(frames.length - 1); event.preventDefault(); }
    else if (event.key === " ") { toggle(); event.preventDefault(); }
  });
  // NOTE: a picture that nearly fits starts fitted; a wide one keeps its size and scrolls
  // to the value at work.
  var svg = frames[0].querySelector("svg");
  var box = document.getElementById("frames");
  if (svg && svg.getBoundingClientRect().width <= box.clientWidth * 1.3) {
    fit.checked = true;
    box.classList.add("fit");
  }
  window.playback = {
    frames: frames.length,
    get current() { return current; },
    show: show, play: play, pause: pause
  };
  show(0);
})();
"""


def page(pb: Playback, svgs: list[str]) -> str:
    """The page's HTML text for ``pb``, given each frame's SVG document."""
    esc = html.escape
    title = pb.title or "Backprop playback"
    kinds = [f.kind for f in pb.frames]
    summary = (
        f"{kinds.count('forward')} forward steps, then {kinds.count('backward')} backward "
        f"steps. Keys: ← → step, space play/pause, Home/End."
    )
    body = []
    for k, (frame, svg) in enumerate(zip(pb.frames, svgs, strict=True)):
        node = pb.name(frame.node) if frame.node is not None else ""
        body.append(
            f'<div class="frame" data-kind="{esc(frame.kind)}" data-node="{esc(node)}"'
            f"{'' if k == 0 else ' hidden'}>"
            f'<pre class="text" hidden>{esc(frame.caption)}</pre>{_inline_svg(svg, k)}</div>'
        )
    script_hash = base64.b64encode(hashlib.sha256(_SCRIPT.encode("utf-8")).digest()).decode()
    # NOTE: a content security policy as a second wall: even markup that slipped
    # through escaping could not run a script (only the page's own, by its hash)
    # nor load anything from a network.
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{script_hash}'"
    )
    legend = "".join(
        f'<span class="swatch" style="background:{colour}"></span>{esc(text)} '
        for colour, text in (
            (CURRENT_FORWARD, "being computed"),
            (INPUT_FORWARD, "its inputs"),
            (CURRENT_BACKWARD, "passing its gradient back"),
            (INPUT_BACKWARD, "receiving a gradient"),
            (LEAF_FILL, "input or parameter"),
        )
    )
    legend = (
        f'<p class="legend">{legend}<label><input type="checkbox" id="fit"> fit the picture '
        "to the window</label></p>"
    )
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{esc(csp)}">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{esc(title)}</title>\n<style>{_STYLE}</style></head>\n<body>\n"
        f'<h1>{esc(title)}</h1>\n<p id="sub">{esc(pb.description)}<br>{esc(summary)}</p>\n'
        '<div id="controls"><button id="back" title="step back (←)">◀ back</button>'
        '<button id="play" title="play / pause (space)">▶ play</button>'
        '<button id="next" title="step forward (→)">next ▶</button>'
        f'<input id="slider" type="range" min="0" max="{len(pb.frames) - 1}" value="0" '
        'aria-label="frame"><span id="counter"></span></div>\n'
        f'<pre id="caption" aria-live="polite"></pre>\n{legend}\n'
        f'<div id="frames">\n{chr(10).join(body)}\n</div>\n'
        f"<script>{_SCRIPT}</script>\n</body></html>\n"
    )

"""Playback frames as pictures with their captions: PNG frames and an animated GIF.

Pillow (the ``playback`` extra) draws each frame's caption under the graph that
Graphviz rendered; every frame gets the same size, so the animation never jumps.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

__all__ = ["captioned_pngs", "gif"]


def captioned_pngs(graphs: list[bytes], captions: list[str]) -> list[bytes]:
    """PNG images: each rendered graph centred above its caption, all of one size.

    Args:
        graphs: one PNG per frame, as Graphviz rendered it.
        captions: one caption per frame; long lines are wrapped at spaces.

    Returns:
        The PNG bytes of each frame.
    """
    images = [_image_open(b) for b in graphs]
    width = max(max(g.width for g in images), 900)
    # NOTE: the caption grows with the picture, so a wide graph keeps a readable caption.
    image_module, draw_module, font = _pillow(size=max(16, width // 100))
    wrapped = [_wrap_lines(c, width, font, draw_module) for c in captions]
    line_height = int(font.size * 1.35) if hasattr(font, "size") else 18
    text_height = max(len(rows) for rows in wrapped) * line_height + 24
    height = max(g.height for g in images) + text_height
    out = []
    for graph, rows in zip(images, wrapped, strict=True):
        canvas = image_module.new("RGB", (width, height), "white")
        canvas.paste(graph, ((width - graph.width) // 2, 0))
        draw = draw_module.Draw(canvas)
        y = height - text_height + 12
        draw.line([(12, y - 8), (width - 12, y - 8)], fill="#cccccc")
        for line in rows:
            draw.text((16, y), line, fill="black", font=font)
            y += line_height
        buffer = io.BytesIO()
        canvas.save(buffer, format="PNG")
        out.append(buffer.getvalue())
    return out


def gif(pngs: list[bytes], seconds_per_frame: float) -> bytes:
    """An animated GIF, looping forever, of ``pngs`` shown ``seconds_per_frame`` each."""
    image_module, _, _ = _pillow()
    images = [image_module.open(io.BytesIO(b)) for b in pngs]
    buffer = io.BytesIO()
    images[0].save(
        buffer,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=int(seconds_per_frame * 1000),
        loop=0,
    )
    return buffer.getvalue()


def _image_open(data: bytes) -> Any:
    image_module, _, _ = _pillow()
    return image_module.open(io.BytesIO(data)).convert("RGB")


def _pillow(size: int = 16):
    try:
        from PIL import Image, ImageDraw, ImageFont
    except ImportError:
        raise ImportError(
            "PNG frames and GIFs need Pillow: pip install 'tinygrad-mlp[playback]'"
        ) from None
    font = None
    if shutil.which("fc-match"):
        try:
            found = subprocess.run(
                ["fc-match", "-f", "%{file}", "DejaVu Sans"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
            if found:
                font = ImageFont.truetype(found, size)
        except (OSError, subprocess.SubprocessError):
            font = None
    if font is None:
        font = ImageFont.load_default(size=size)
    return Image, ImageDraw, font


def _wrap_lines(text: str, width: int, font, draw_module) -> list[str]:
    """Caption lines broken at spaces to fit ``width`` pixels."""
    from PIL import Image

    measure = draw_module.Draw(Image.new("RGB", (1, 1)))
    out = []
    for line in text.splitlines():
        words = line.split(" ")
        current = ""
        for word in words:
            trial = f"{current} {word}" if current else word
            if current and measure.textlength(trial, font=font) > width - 32:
                out.append(current)
                current = "    " + word
            else:
                current = trial
        out.append(current)
    return out

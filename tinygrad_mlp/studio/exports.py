"""Take a run away: its model file, its data as CSV, the command line that trains the same
model again, and the boundary over training as an animated GIF or numbered PNGs."""

from __future__ import annotations

import csv
import io
import shlex
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.data import Dataset
from tinygrad_mlp.io import save_model
from tinygrad_mlp.training import TrainConfig

__all__ = ["PALETTE", "boundary_gif", "boundary_pngs", "command_line", "data_csv", "model_json"]

#: Class colours (RGB), as the page draws them.
PALETTE = [(245, 147, 34), (8, 119, 189), (60, 160, 80), (150, 80, 170), (200, 60, 60)]


def data_csv(data: Dataset, loss: str) -> str:
    """``data`` as CSV text that :func:`~tinygrad_mlp.data.load_csv` reads back exactly.

    >>> from tinygrad_mlp.studio.datasets import make_dataset
    >>> data_csv(make_dataset("xor", size=10), "bce").splitlines()[0]
    'x1,x2,class'
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*data.input_names, *data.target_names])
    targets = data.targets if data.targets is not None else np.empty((len(data), 0))
    for inputs, target in zip(data.inputs, targets, strict=True):
        cells = [repr(float(v)) for v in inputs]
        for value in target:
            if isinstance(value, str):
                cells.append(value)
            elif loss == "ce":
                cells.append(f"{float(value):g}")
            else:
                cells.append(repr(float(value)))
        writer.writerow(cells)
    return out.getvalue()


def command_line(config: TrainConfig, epochs: int, data: str = "studio-data.csv") -> str:
    """The ``tinygrad-mlp train`` command that trains these settings for ``epochs`` epochs
    on the CSV ``data`` (as :func:`data_csv` writes it): the same weights, to the bit.

    >>> print(command_line(TrainConfig(hidden=[4], activation="tanh", loss="bce"), 3))
    ... # doctest: +NORMALIZE_WHITESPACE
    tinygrad-mlp train --data studio-data.csv --model studio-model.json --hidden 4
    --activation tanh --loss bce --optimizer adam --lr 0.001 --batch-size 200
    --weight-decay 0.0 --normalize standard --val-split 0.1 --patience 0 --seed 0 --epochs 3
    """
    words = ["tinygrad-mlp", "train", "--data", data, "--model", "studio-model.json"]
    words += ["--hidden", ",".join(map(str, config.hidden)), "--activation", config.activation]
    if config.output_activation is not None:
        words += ["--output-activation", config.output_activation]
    words += [
        "--loss", config.loss,
        "--optimizer", config.optimizer,
        "--lr", repr(config.lr),
        "--batch-size", str(config.batch_size),
        "--weight-decay", repr(config.weight_decay),
        "--normalize", config.normalize,
        "--val-split", repr(config.val_split),
        "--patience", "0",
        "--seed", str(config.seed),
        "--epochs", str(max(1, epochs)),
    ]  # fmt: skip
    if not config.shuffle:
        words.append("--no-shuffle")
    return " ".join(shlex.quote(w) for w in words)


def model_json(model: Any) -> bytes:
    """The model file ``tinygrad-mlp train`` would write (:func:`tinygrad_mlp.io.save_model`)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.json"
        save_model(path, model)
        return path.read_bytes()


def _image(frame: dict[str, Any], points: dict[str, Any], side: int) -> Any:
    """One boundary frame as a Pillow image: the heat map, the points, the step."""
    from PIL import Image, ImageDraw

    size = frame["size"]
    values = np.asarray(frame["values"], dtype=float).reshape(size, size)
    classes = np.asarray(frame.get("cls", np.zeros(size * size)), dtype=int).reshape(size, size)
    rgb = np.zeros((size, size, 3))
    for k, colour in enumerate(PALETTE):
        mask = classes == k
        rgb[mask] = colour
    if "cls" in frame:
        weight = np.clip((values - 0.3) / 0.7, 0, 1)[..., None] * 0.6
        rgb = 255 * (1 - weight) + rgb * weight
    else:
        low, high = np.array(PALETTE[0]), np.array(PALETTE[1])
        mix = values[..., None]
        edge = np.abs(mix - 0.5) * 2 * 0.6
        rgb = 255 * (1 - edge) + np.where(mix > 0.5, high, low) * edge
    picture = Image.fromarray(rgb.astype(np.uint8)).resize((side, side), Image.BILINEAR)
    draw = ImageDraw.Draw(picture)
    (x0, x1), (y0, y1) = points["extent"]
    for x, y, label in points.get("rows", []):
        px = (x - x0) / (x1 - x0) * side
        py = (y1 - y) / (y1 - y0) * side
        colour = PALETTE[int(label) % len(PALETTE)]
        draw.ellipse([px - 3, py - 3, px + 3, py + 3], fill=colour, outline=(255, 255, 255))
    draw.text((6, 4), f"step {frame['step']}", fill=(0, 0, 0))
    return picture


def _pillow() -> None:
    try:
        import PIL  # noqa: F401 -- only asks whether Pillow is there
    except ImportError:
        raise ValueError(
            "the GIF and PNG exports need Pillow: pip install 'tinygrad-mlp[playback]'"
        ) from None


def boundary_gif(frames: list[dict[str, Any]], points: dict[str, Any], side: int = 320) -> bytes:
    """An animated GIF of the boundary ``frames`` (from the worker) over ``points``."""
    _pillow()
    if not frames:
        raise ValueError("no boundary frames yet: train a little first (2-input data only)")
    images = [_image(frame, points, side) for frame in frames]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=80, loop=0)
    return out.getvalue()


def boundary_pngs(frames: list[dict[str, Any]], points: dict[str, Any], side: int = 320) -> bytes:
    """A zip of numbered PNGs (``boundary-0001.png``, ...) of the boundary ``frames``."""
    _pillow()
    if not frames:
        raise ValueError("no boundary frames yet: train a little first (2-input data only)")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for k, frame in enumerate(frames, start=1):
            image = io.BytesIO()
            _image(frame, points, side).save(image, format="PNG")
            archive.writestr(f"boundary-{k:04d}.png", image.getvalue())
    return out.getvalue()

"""What the page may say over the WebSocket, checked whole before anything is applied.

:func:`parse` turns one text frame into a :class:`Command` or raises ValueError with
one sentence for the page. It looks at nothing but the message, so a rejected
message cannot have changed a thing; checks that need the run (is there a point 7?)
happen in the worker, again before any change.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.studio.datasets import BUILTIN, MAX_POINTS, MIN_POINTS
from tinygrad_mlp.training.config import LOSSES, OPTIMIZERS

__all__ = ["LIMITS", "MAX_MESSAGE", "MAX_UPLOAD", "Command", "parse"]

#: The largest frame of any kind but an upload, and the largest upload (bytes).
MAX_MESSAGE = 64 * 1024
MAX_UPLOAD = 1024 * 1024

#: The ranges a setting may take: (lowest, highest).
LIMITS: dict[str, tuple[float, float]] = {
    "layers": (1, 6),
    "units": (1, 64),
    "lr": (1e-6, 10.0),
    "batch_size": (1, 5000),
    "weight_decay": (0.0, 1.0),
    "seed": (0, 2**31 - 1),
    "coordinate": (-1e6, 1e6),
}

_EMPTY = ("play", "pause", "step", "epoch", "reset", "digest")
_SETTINGS = (
    "hidden",
    "activation",
    "output_activation",
    "loss",
    "optimizer",
    "lr",
    "batch_size",
    "weight_decay",
    "seed",
)


@dataclass
class Command:
    """One checked message: its ``kind``, its arguments and the page's ``id`` for the reply."""

    kind: str
    args: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


def _int(value: Any, name: str, low: float, high: float) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be a whole number, got {_show(value)}")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low:g} to {high:g}, got {_show(value)}")
    return value


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number, got {_show(value)}")
    number = float(value)
    if not math.isfinite(number) or not low <= number <= high:
        raise ValueError(f"{name} must be a number from {low:g} to {high:g}, got {_show(value)}")
    return number


def _choice(value: Any, name: str, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}, got {_show(value)}")
    return value


def _show(value: Any) -> str:
    """A short, safe picture of a bad value for the error sentence."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _keys(body: dict, allowed: tuple[str, ...], what: str) -> None:
    unknown = [k for k in body if k not in allowed]
    if unknown:
        raise ValueError(f"{what} takes no {_show(unknown[0])}; it takes {', '.join(allowed)}")


def _settings(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError(f"settings must be an object, got {_show(body)}")
    _keys(body, _SETTINGS, "settings")
    out: dict[str, Any] = {}
    if "hidden" in body:
        hidden = body["hidden"]
        low, high = LIMITS["layers"]
        if not isinstance(hidden, list) or not low <= len(hidden) <= high:
            raise ValueError(f"hidden must be a list of {low:g} to {high:g} layer sizes")
        out["hidden"] = [_int(n, "a hidden layer's size", *LIMITS["units"]) for n in hidden]
    for name in ("activation",):
        if name in body:
            out[name] = _choice(body[name], name, ACTIVATIONS)
    if "output_activation" in body:
        value = body["output_activation"]
        out["output_activation"] = (
            None if value is None else _choice(value, "output_activation", ACTIVATIONS)
        )
    if "loss" in body:
        out["loss"] = _choice(body["loss"], "loss", LOSSES)
    if "optimizer" in body:
        out["optimizer"] = _choice(body["optimizer"], "optimizer", OPTIMIZERS)
    if "lr" in body:
        out["lr"] = _number(body["lr"], "lr", *LIMITS["lr"])
    if "batch_size" in body:
        out["batch_size"] = _int(body["batch_size"], "batch_size", *LIMITS["batch_size"])
    if "weight_decay" in body:
        out["weight_decay"] = _number(body["weight_decay"], "weight_decay", *LIMITS["weight_decay"])
    if "seed" in body:
        out["seed"] = _int(body["seed"], "seed", *LIMITS["seed"])
    return out


def parse(frame: Any) -> Command:
    """One WebSocket frame → a checked :class:`Command`, or ValueError in one sentence.

    >>> parse('{"type": "step"}').kind
    'step'
    >>> parse('{"type": "configure", "settings": {"lr": 0.1}}').args
    {'settings': {'lr': 0.1}}
    >>> parse('{"type": "configure", "settings": {"lr": NaN}}')
    Traceback (most recent call last):
    ...
    ValueError: lr must be a number from 1e-06 to 10, got nan
    """
    if not isinstance(frame, str):
        raise ValueError("messages must be JSON text")
    size = len(frame.encode("utf-8", "surrogatepass"))
    if size > MAX_UPLOAD or (size > MAX_MESSAGE and '"csv"' not in frame[:200]):
        raise ValueError(
            f"a message may hold at most {MAX_MESSAGE} bytes and a CSV upload at most "
            f"{MAX_UPLOAD} bytes (1 MB); this one holds {size}"
        )
    try:
        body = json.loads(frame)
    except (ValueError, RecursionError):
        raise ValueError("a message must be one JSON object") from None
    if not isinstance(body, dict):
        raise ValueError(f"a message must be a JSON object, got {type(body).__name__}")
    kind = body.get("type")
    ident = body.get("id")
    if ident is not None:
        ident = _int(ident, "id", 0, 2**31 - 1)
    rest = {k: v for k, v in body.items() if k not in ("type", "id")}
    if kind in _EMPTY:
        _keys(rest, (), kind)
        return Command(kind, {}, ident)
    if kind == "configure":
        _keys(rest, ("settings",), kind)
        return Command(kind, {"settings": _settings(rest.get("settings"))}, ident)
    if kind == "dataset":
        _keys(rest, ("name", "size", "noise", "seed"), kind)
        return Command(
            kind,
            {
                "name": _choice(rest.get("name"), "name", BUILTIN),
                "size": _int(rest.get("size", 200), "size", MIN_POINTS, MAX_POINTS),
                "noise": _number(rest.get("noise", 0.1), "noise", 0.0, 1.0),
                "seed": _int(rest.get("seed", 0), "seed", *LIMITS["seed"]),
            },
            ident,
        )
    if kind == "csv":
        _keys(rest, ("name", "text"), kind)
        name, text = rest.get("name", "upload.csv"), rest.get("text")
        if not isinstance(name, str) or not 0 < len(name) <= 200:
            raise ValueError("a file's name must be text of 1 to 200 characters")
        if not isinstance(text, str):
            raise ValueError("a CSV upload needs its text")
        if len(text.encode("utf-8", "surrogatepass")) > MAX_UPLOAD:
            raise ValueError(f"a CSV upload may hold at most {MAX_UPLOAD} bytes (1 MB)")
        return Command(kind, {"name": name, "text": text}, ident)
    if kind == "add_point":
        _keys(rest, ("x", "target"), kind)
        x = rest.get("x")
        if not isinstance(x, list) or not 1 <= len(x) <= 2:
            raise ValueError("a point's x must be a list of 1 or 2 numbers")
        coords = [_number(v, "a coordinate", *LIMITS["coordinate"]) for v in x]
        target = rest.get("target")
        if isinstance(target, int) and not isinstance(target, bool):
            target = _int(target, "target", *LIMITS["coordinate"])
        else:
            target = _number(target, "target", *LIMITS["coordinate"])
        return Command(kind, {"x": coords, "target": target}, ident)
    if kind in ("remove_point", "sample"):
        _keys(rest, ("index",), kind)
        return Command(kind, {"index": _int(rest.get("index"), "index", 0, 10**6)}, ident)
    known = ", ".join([*_EMPTY, "configure", "dataset", "csv", "add_point", "remove_point"])
    raise ValueError(f"unknown message type {_show(kind)}; known: {known}, sample")

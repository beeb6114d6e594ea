"""The training thread: the one owner of the studio's :class:`Session`.

The server's event loop never touches the model. It hands checked commands to the
worker (:meth:`Worker.submit`) and awaits the answer; the worker applies each one
whole or not at all, trains while playing, and publishes a snapshot of everything
the page draws at most :attr:`Worker.rate` times a second, whatever the step rate.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import logging
import math
import os
import queue
import re
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from tinygrad_mlp.data import load_csv
from tinygrad_mlp.studio import health_panel
from tinygrad_mlp.studio.datasets import make_dataset
from tinygrad_mlp.studio.messages import Command
from tinygrad_mlp.studio.session import Session, natural_loss

__all__ = ["MAX_FRAMES", "MAX_ROWS", "PAGE_SHARE", "Worker"]

#: The most rows an uploaded CSV may have, and boundary frames kept for the GIF.
MAX_ROWS, MAX_FRAMES = 5000, 120
#: The largest share of the training thread's time that updates for the page may take.
PAGE_SHARE = 0.1
_LOG = logging.getLogger(__name__)


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


class Worker:
    """Runs ``session`` in its own thread; ``publish(text)`` receives each JSON update.

    Args:
        session: the run to own (nothing else may touch it once started).
        publish: called from the worker's thread with each update as JSON text.
        rate: the most updates a second.
    """

    def __init__(
        self, session: Session, publish: Callable[[str], None], rate: float = 20.0
    ) -> None:
        self.session, self.publish, self.rate = session, publish, rate
        self.commands: queue.Queue = queue.Queue()
        self.playing = False
        self.sample = 0
        self.run = 0
        self.data_version = 0
        self.history: list[list[float | None]] = []
        self.frames: list[dict[str, Any]] = []
        self._frame_stride, self._frame_count = 1, 0
        self._dirty, self._new_data = True, True
        self._stop = threading.Event()
        self.updates = 0
        self.thread = threading.Thread(target=self._loop, name="studio-training", daemon=True)

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    def stop(self) -> None:
        """Ask the thread to end, and wait for it."""
        self._stop.set()
        self.thread.join(timeout=5)

    def submit(self, command: Command) -> concurrent.futures.Future:
        """Queue a checked command; the future holds its reply (a dict) or its error."""
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.commands.put((command, future))
        return future

    def call(self, function: Callable[[Worker], Any]) -> concurrent.futures.Future:
        """Run ``function(worker)`` in the worker's thread (for exports); a future of it."""
        return self.submit(Command("call", {"function": function}))

    # -- the loop ---------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._run_loop()
            except Exception:  # NOTE: a bug in a step or a snapshot must not end training
                _LOG.exception("the studio's training thread failed; paused")
                self.playing = False
                time.sleep(0.1)

    def _run_loop(self) -> None:
        interval = 1.0 / self.rate
        next_publish = time.perf_counter()
        while not self._stop.is_set():
            if self.playing:
                self._drain()
                while self.playing:
                    self._step()
                    if time.perf_counter() >= next_publish or not self.commands.empty():
                        break
            else:
                try:
                    item = self.commands.get(timeout=min(interval, 0.05))
                except queue.Empty:
                    item = None
                if item is not None:
                    self._apply(*item)
                    self._drain()
            now = time.perf_counter()
            if self._dirty and now >= next_publish:
                if self.playing and self.session.monitor is not None:
                    self._step(record=True)
                self._publish()
                spent = time.perf_counter() - now
                # NOTE: while playing, the page may take at most PAGE_SHARE of this thread's
                # time: on a busy machine a snapshot takes longer, and updates come less
                # often, rather than training slowing down.
                wait = max(interval, spent / PAGE_SHARE) if self.playing else interval
                next_publish = now + wait
            elif self._dirty and not self.playing:
                time.sleep(max(0.0, min(next_publish - now, interval)))

    def _drain(self) -> None:
        while True:
            try:
                item = self.commands.get_nowait()
            except queue.Empty:
                return
            self._apply(*item)

    def _step(self, record: bool = False) -> None:
        self.session.step(record=record)
        self._dirty = True
        if self.session.diverged:
            self.playing = False

    def _apply(self, command: Command, future: concurrent.futures.Future) -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            result = self._run(command)
        except (ValueError, TypeError) as error:
            future.set_exception(error)
        except Exception as error:  # NOTE: a bug must not end the thread; report it
            _LOG.exception("studio command %s failed", command.kind)
            future.set_exception(RuntimeError(f"internal error: {error}"))
        else:
            future.set_result(result)

    def _fresh_run(self) -> None:
        self.run += 1
        self.history.clear()
        self.frames.clear()
        self._frame_stride, self._frame_count = 1, 0
        self.sample = min(self.sample, len(self.session.data) - 1)
        self._dirty = True

    def _new_points(self) -> None:
        self.data_version += 1
        self._new_data = True
        self.sample = min(self.sample, len(self.session.data) - 1)
        self._dirty = True

    def _run(self, command: Command) -> dict[str, Any]:
        session, args = self.session, command.args
        kind = command.kind
        if kind == "call":
            return args["function"](self)
        if kind == "play":
            if session.diverged:
                raise ValueError(f"{session.diverged}: lower the learning rate and reset")
            self.playing = self._dirty = True
        elif kind == "pause":
            self.playing, self._dirty = False, True
        elif kind == "step":
            self._step()
        elif kind == "epoch":
            session.run_epoch()
            self._dirty = True
        elif kind == "reset":
            session.reset()
            self._fresh_run()
        elif kind == "configure":
            config = replace(session.config, **args["settings"])
            session.configure(config)
            self._fresh_run()
        elif kind == "dataset":
            data = make_dataset(args["name"], args["size"], args["noise"], args["seed"])
            session.set_data(data, natural_loss(data))
            self._new_points()
            self._fresh_run()
        elif kind == "csv":
            data = _read_upload(args["name"], args["text"])
            session.set_data(data, natural_loss(data))
            self._new_points()
            self._fresh_run()
        elif kind == "add_point":
            target = args["target"]
            if session.classes is not None and not isinstance(target, int):
                raise ValueError("a point's class must be an index")
            session.add_point(args["x"], target)
            self._new_points()
        elif kind == "remove_point":
            session.remove_point(args["index"])
            self._new_points()
        elif kind == "sample":
            if args["index"] >= len(session.data):
                raise ValueError(
                    f"there is no row {args['index']}; the data has {len(session.data)}"
                )
            self.sample = args["index"]
            self._dirty = True
        elif kind == "digest":
            return {"digest": self.digest()}
        else:  # pragma: no cover - parse admits no other kind
            raise ValueError(f"unknown command {kind}")
        return {}

    # -- what goes out ----------------------------------------------------------------------

    def digest(self) -> str:
        """A fingerprint of the model, the data, the settings and the step."""
        h = hashlib.sha256()
        for w in self.session.weights():
            h.update(w.tobytes())
        h.update(self.session.data.inputs.tobytes())
        if self.session.data.targets is not None:
            h.update(repr(self.session.data.targets.tolist()).encode())
        h.update(json.dumps(self.session.settings(), sort_keys=True).encode())
        h.update(f"{self.session.step_count} {self.sample}".encode())
        return h.hexdigest()

    def snapshot(self, full: bool = False) -> dict[str, Any]:
        """Everything the page draws; ``full`` adds the loss history and the points."""
        session = self.session
        train, val = session.losses()
        view = session.view()
        message: dict[str, Any] = {
            "type": "update",
            "run": self.run,
            "step": session.step_count,
            "epoch": session.epoch,
            "batches_per_epoch": session.batches_per_epoch,
            "loss": _finite(session.last_loss),
            "train_loss": _finite(train),
            "val_loss": _finite(val),
            "playing": self.playing,
            "diverged": session.diverged,
            "settings": session.settings(),
            "data_version": self.data_version,
            "view": view,
            "network": session.network(self.sample),
            "health": health_panel.figures(session.monitor),
        }
        # NOTE: the sample's table (the witness and a backward pass) costs as much as the
        # rest together; while playing, every fourth update carries it.
        if full or not self.playing or self.updates % 4 == 0:
            message["sample"] = session.sample(self.sample)
        if full or self._new_data:
            message["points"] = session.points()
        if full:
            message["history"] = self.history[-2000:]
        return message

    def _publish(self) -> None:
        message = self.snapshot()
        self._new_data = False
        self._dirty = False
        point = [self.session.step_count, message["train_loss"], message["val_loss"]]
        if not self.history or self.history[-1][0] != point[0]:
            self.history.append(point)
            if len(self.history) > 20000:
                del self.history[: len(self.history) // 2]
        message["point"] = point
        view = message["view"]
        if view["kind"] == "boundary":
            self._keep_frame(view)
        self.updates += 1
        self.publish(json.dumps(message, separators=(",", ":"), allow_nan=False))

    def _keep_frame(self, view: dict[str, Any]) -> None:
        self._frame_count += 1
        if self._frame_count % self._frame_stride:
            return
        self.frames.append({**view, "step": self.session.step_count})
        if len(self.frames) > MAX_FRAMES:
            self.frames = self.frames[::2]
            self._frame_stride *= 2


_SAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]")


def _read_upload(name: str, text: str) -> Any:
    """An uploaded CSV read by the command line's loader, its errors naming ``name``."""
    shown = _SAFE_NAME.sub("_", Path(name).name)[:100] or "upload.csv"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / shown
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            data = load_csv(path, outputs=1, numeric_targets=False)
        except ValueError as error:
            raise ValueError(str(error).replace(folder + os.sep, "")) from None
    data = replace(data, path=shown)
    if len(data) > MAX_ROWS:
        raise ValueError(f"{shown}: {len(data)} rows; the studio takes at most {MAX_ROWS}")
    if len(data) < 2:
        raise ValueError(f"{shown}: the studio needs at least 2 rows")
    try:
        numbers = data.targets.astype(np.float64)
    except ValueError:
        return data  # NOTE: class names: loss ce reads them as they are
    if not np.isfinite(numbers).all():
        raise ValueError(f"{shown}: the target column holds a value that is not finite")
    return replace(data, targets=numbers)

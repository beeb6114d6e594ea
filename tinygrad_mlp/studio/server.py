"""The studio's web server: a Starlette app on uvicorn, one page, one WebSocket.

Safe by default: it binds 127.0.0.1; every request and the WebSocket must carry the
random token printed with the address; a WebSocket whose Origin is not the page's is
refused; on a loopback address a request naming another host (DNS rebinding) is
refused. Every page is served with a content security policy that allows its own
scripts and nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import importlib.resources
import json
import secrets
import socket
import sys
import threading
import time
import webbrowser
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from tinygrad_mlp.data import Dataset, load_csv
from tinygrad_mlp.names import ACTIVATIONS
from tinygrad_mlp.studio import exports
from tinygrad_mlp.studio.datasets import BUILTIN, make_dataset
from tinygrad_mlp.studio.messages import MAX_UPLOAD, parse
from tinygrad_mlp.studio.session import Session
from tinygrad_mlp.studio.worker import Worker
from tinygrad_mlp.training.config import LOSSES, OPTIMIZERS

__all__ = ["Studio", "create_app", "initial_data", "serve"]

#: What the page's menus offer: the vocabulary, the optimizers, the built-in data.
CHOICES = {
    "activations": list(ACTIVATIONS),
    "losses": list(LOSSES),
    "optimizers": list(OPTIMIZERS),
    "datasets": list(BUILTIN),
}
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
STATIC = {"studio.js": "text/javascript", "studio.css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors *"
)


def _static(name: str) -> str:
    return (importlib.resources.files("tinygrad_mlp.studio") / "static" / name).read_text(
        encoding="utf-8"
    )


class _Guard:
    """ASGI middleware: the token on every request, the page's Origin on the WebSocket,
    and (bound to loopback) a loopback Host."""

    def __init__(self, app: Any, token: str, loopback: bool) -> None:
        self.app, self.token, self.loopback = app, token, loopback

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        given = query.get("token", [""])[0]
        host = headers.get("host", "")
        reason = None
        if not hmac.compare_digest(given.encode(), self.token.encode()):
            reason = "a valid token is required (open the address the studio printed)"
        elif self.loopback and urlsplit(f"http://{host}").hostname not in (
            "127.0.0.1",
            "localhost",
            "::1",
        ):
            reason = "this studio answers on its loopback address only"
        elif scope["type"] == "websocket" and headers.get("origin") != f"http://{host}":
            reason = "the WebSocket's origin is not the studio's page"
        if reason is None:
            return await self.app(scope, receive, send)
        if scope["type"] == "websocket":
            await receive()  # the websocket.connect event
            await send({"type": "websocket.close", "code": 1008, "reason": reason})
            return
        response = PlainTextResponse(reason, status_code=403)
        await response(scope, receive, send)


class _Hub:
    """The event loop's side: one small queue per page, the newest update wins."""

    def __init__(self) -> None:
        self.queues: set[asyncio.Queue] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.bytes_sent = 0
        self.messages_sent = 0

    def publish(self, text: str) -> None:
        """From the worker's thread: hand ``text`` to every page."""
        loop = self.loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._put, text)

    def _put(self, text: str) -> None:
        for q in self.queues:
            if q.full():
                q.get_nowait()  # NOTE: a slow page skips to the newest update
            q.put_nowait(text)


def initial_data(path: str | None = None) -> Dataset:
    """The data a studio starts with: the CSV at ``path`` (read as ``--data`` reads it),
    else the built-in xor set of 200 points."""
    if path is None:
        return make_dataset("xor", size=200, noise=0.1, seed=0)
    data = load_csv(path, outputs=1, numeric_targets=False)
    try:
        numbers = data.targets.astype(np.float64)
    except ValueError:
        return data  # NOTE: class names, for loss ce
    if not np.isfinite(numbers).all():
        raise ValueError(f"{path}: the target column holds a value that is not finite")
    return replace(data, targets=numbers)


def create_app(session: Session, token: str, loopback: bool = True, rate: float = 20.0):
    """The Starlette app serving ``session`` (its worker starts with the app).

    Args:
        session: the run to show and train (the app's worker thread owns it from now on).
        token: the secret every request must carry as ``?token=``.
        loopback: refuse requests that name a host other than a loopback one.
        rate: the most updates a second sent to each page.
    """
    hub = _Hub()
    worker = Worker(session, hub.publish, rate=rate)

    async def ask(function) -> Any:
        return await asyncio.wrap_future(worker.call(function))

    async def page(request: Request) -> Response:
        text = _static("index.html").replace("{{TOKEN}}", html.escape(token))
        return _secured(Response(text, media_type="text/html; charset=utf-8"))

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse("no such file", status_code=404)
        return _secured(Response(_static(name), media_type=STATIC[name]))

    async def export(request: Request) -> Response:
        what = request.path_params["what"]
        try:
            if what == "model.json":
                body = await ask(lambda w: exports.model_json(w.session.model))
                kind = "application/json"
            elif what == "data.csv":
                body = await ask(lambda w: exports.data_csv(w.session.data, w.session.config.loss))
                kind = "text/csv; charset=utf-8"
            elif what == "command.txt":
                body = await ask(_command_text)
                kind = "text/plain; charset=utf-8"
            elif what in ("boundary.gif", "boundary.zip"):
                frames, points = await ask(lambda w: (list(w.frames), w.session.points()))
                maker = exports.boundary_gif if what.endswith("gif") else exports.boundary_pngs
                body = await asyncio.get_running_loop().run_in_executor(None, maker, frames, points)
                kind = "image/gif" if what.endswith("gif") else "application/zip"
            else:
                return PlainTextResponse("no such export", status_code=404)
        except ValueError as error:
            return PlainTextResponse(str(error), status_code=400)
        response = Response(body, media_type=kind)
        response.headers["content-disposition"] = f'attachment; filename="studio-{what}"'
        return _secured(response)

    async def graph(request: Request) -> Response:
        try:
            sample = int(request.query_params.get("sample", "0"))
        except ValueError:
            return PlainTextResponse("sample must be a whole number", status_code=400)
        try:
            digraph = await ask(lambda w: w.session.graph(_row(w, sample)))
            from tinygrad_mlp.viz.render import render

            svg, _ = await asyncio.get_running_loop().run_in_executor(None, render, digraph, "svg")
        except (ValueError, OSError) as error:
            return PlainTextResponse(str(error), status_code=400)
        return _secured(Response(svg, media_type="image/svg+xml"))

    async def socket_route(websocket: WebSocket) -> None:
        await websocket.accept()
        updates: asyncio.Queue = asyncio.Queue(maxsize=1)
        hub.queues.add(updates)
        hello = await ask(lambda w: w.snapshot(full=True))
        hello["type"] = "hello"
        hello["limits"] = {"upload": MAX_UPLOAD}
        hello["choices"] = CHOICES
        await websocket.send_text(json.dumps(hello, allow_nan=False))
        sender = asyncio.create_task(_send_updates(websocket, updates, hub))
        try:
            while True:
                event = await websocket.receive()
                if event["type"] == "websocket.disconnect":
                    break
                frame = event.get("text")
                if frame is None:
                    frame = event.get("bytes")
                reply = await _answer(worker, frame)
                await websocket.send_text(json.dumps(reply, allow_nan=False))
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            hub.queues.discard(updates)
            sender.cancel()

    @contextlib.asynccontextmanager
    async def lifespan(app):
        hub.loop = asyncio.get_running_loop()
        worker.start()
        try:
            yield
        finally:
            hub.loop = None
            worker.stop()

    app = Starlette(
        routes=[
            Route("/", page),
            Route("/static/{name}", static),
            Route("/export/{what}", export),
            Route("/graph.svg", graph),
            WebSocketRoute("/ws", socket_route),
        ],
        lifespan=lifespan,
    )
    app.state.worker, app.state.hub = worker, hub
    return _Guard(app, token, loopback)


def _row(worker: Worker, sample: int) -> int:
    if not 0 <= sample < len(worker.session.data):
        raise ValueError(f"there is no row {sample}; the data has {len(worker.session.data)}")
    return sample


def _command_text(worker: Worker) -> str:
    session = worker.session
    line = exports.command_line(session.config, session.epoch)
    note = (
        f"# {session.epoch} whole epochs ({session.epoch * session.batches_per_epoch} steps) "
        f"of this run; the studio is at step {session.step_count}.\n"
        "# Save the data with the studio's data.csv export as studio-data.csv, then run:\n"
    )
    return note + line + "\n"


async def _answer(worker: Worker, frame: Any) -> dict[str, Any]:
    """The reply to one frame: ``ack`` with the command's result, or ``error``."""
    try:
        command = parse(frame)
    except ValueError as error:
        return {"type": "error", "message": str(error)}
    try:
        result = await asyncio.wrap_future(worker.submit(command))
    except (ValueError, TypeError, RuntimeError) as error:
        return {"type": "error", "message": str(error), "id": command.id}
    return {"type": "ack", "kind": command.kind, "id": command.id, **result}


async def _send_updates(websocket: WebSocket, updates: asyncio.Queue, hub: _Hub) -> None:
    with contextlib.suppress(Exception):
        while True:
            text = await updates.get()
            await websocket.send_text(text)
            hub.bytes_sent += len(text)
            hub.messages_sent += 1


def _secured(response: Response) -> Response:
    response.headers["content-security-policy"] = CSP
    response.headers["x-content-type-options"] = "nosniff"
    response.headers["cache-control"] = "no-store"
    response.headers["referrer-policy"] = "no-referrer"
    return response


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise ValueError(f"cannot listen on {host}:{port} ({error.strerror})") from None
    sock.listen(64)
    sock.setblocking(False)
    return sock


def _url(host: str, port: int, token: str) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/?token={token}"


class Studio:
    """A studio server running in a background thread; in Jupyter it shows inline.

    ``Studio()`` starts on the built-in xor data; ``Studio(data=...)`` takes a
    :class:`~tinygrad_mlp.data.Dataset` or a CSV path. The notebook shows the same
    page the command line serves, in an IFrame. ``close()`` stops it.

    Args:
        data: a Dataset, a CSV path, or None for xor.
        host, port: where to listen (port 0: a free one).
        session: a ready :class:`~tinygrad_mlp.studio.Session` instead of ``data``.
        width, height: the IFrame's size in the notebook.
    """

    def __init__(
        self,
        data: Dataset | str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        session: Session | None = None,
        width: int = 1280,
        height: int = 900,
        rate: float = 20.0,
    ) -> None:
        import uvicorn

        if session is None:
            if data is None or isinstance(data, str):
                data = initial_data(data)
            session = Session(data, health=True)
        self.token = secrets.token_urlsafe(24)
        self.width, self.height = width, height
        sock = _bind(host, port)
        self.port = sock.getsockname()[1]
        self.host = host
        self.url = _url(host, self.port, self.token)
        self.app = create_app(session, self.token, loopback=host in LOOPBACK, rate=rate)
        config = uvicorn.Config(self.app, log_level="warning", ws_max_size=16 * 1024 * 1024)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started and time.monotonic() < deadline:
            time.sleep(0.01)

    @property
    def worker(self) -> Worker:
        """The training thread (its ``session`` is the run)."""
        return self.app.app.state.worker

    def close(self) -> None:
        """Stop the server and its training thread."""
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> Studio:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _repr_html_(self) -> str:
        return (
            f'<iframe src="{html.escape(self.url)}" width="{int(self.width)}" '
            f'height="{int(self.height)}" style="border:1px solid #ccc"></iframe>'
        )


def serve(
    data: str | Dataset | None = None,
    host: str = "127.0.0.1",
    port: int = 8765,
    open_browser: bool = True,
    json_line: bool = False,
) -> None:
    """Serve the studio until interrupted, printing its address as one line first.

    Args:
        data: a CSV path or a Dataset to start with (None: the built-in xor set).
        host: the address to listen on; anything but loopback prints a warning.
        port: the port (0: a free one).
        open_browser: open the page in the default browser.
        json_line: print the address as one line of JSON, ``{"url": ...}``.
    """
    import uvicorn

    if data is None or isinstance(data, str):
        data = initial_data(data)
    session = Session(data, health=True)
    token = secrets.token_urlsafe(24)
    sock = _bind(host, port)
    port = sock.getsockname()[1]
    url = _url(host, port, token)
    if host not in LOOPBACK:
        print(
            f"warning: listening on {host}: anyone who can reach this machine and has the "
            "token can train here; the page is plain HTTP",
            file=sys.stderr,
        )
    print(json.dumps({"url": url}) if json_line else url, flush=True)
    if open_browser:
        webbrowser.open(url)
    app = create_app(session, token, loopback=host in LOOPBACK)
    config = uvicorn.Config(app, log_level="warning", ws_max_size=16 * 1024 * 1024)
    with contextlib.suppress(KeyboardInterrupt):
        uvicorn.Server(config).run(sockets=[sock])

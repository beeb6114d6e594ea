"""The studio without a browser: its headless run against the command line's training,
its server's guards (token, origin, host), its messages, exports and command line.

The server parts need the ``studio`` extra (Starlette, uvicorn) and httpx for
Starlette's TestClient; the ``dev`` extra installs them.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
import zipfile

import numpy as np
import pytest

from tinygrad_mlp.cli import main
from tinygrad_mlp.io import load_model
from tinygrad_mlp.studio import Session, default_config, make_dataset
from tinygrad_mlp.studio.exports import command_line, data_csv

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # NOTE: newer Starlette asks for httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient  # noqa: E402
from starlette.websockets import WebSocketDisconnect  # noqa: E402

from tinygrad_mlp.studio.server import create_app  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
TOKEN = "a-test-token"
HOST = "127.0.0.1:8000"
ORIGIN = f"http://{HOST}"


def _same(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


# -- the headless run -----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["xor", "blobs", "curve"])
def test_session_after_whole_epochs_equals_the_exported_train_command(name, tmp_path, monkeypatch):
    data = make_dataset(name, size=60, seed=3)
    session = Session(data, default_config(data, hidden=[5, 3], seed=7))
    for _ in range(3):
        session.run_epoch()
    monkeypatch.chdir(tmp_path)
    (tmp_path / "studio-data.csv").write_text(data_csv(data, session.config.loss))
    words = shlex.split(command_line(session.config, session.epoch))
    assert words[:2] == ["tinygrad-mlp", "train"]
    assert main([*words[1:], "--quiet"]) == 0
    model = load_model(tmp_path / "studio-model.json")
    assert _same(session.weights(), [p.data for p in model.net.parameters()])


def test_reset_replays_the_run_to_the_bit_and_a_second_session_agrees():
    data = make_dataset("moons", size=80, noise=0.2)
    config = default_config(data, hidden=[8, 8], seed=11, batch_size=7)
    first = Session(data, config)
    for _ in range(37):
        first.step()
    after = first.weights()
    first.reset()
    assert first.step_count == 0 and not _same(first.weights(), after)
    for _ in range(37):
        first.step()
    other = Session(data, config)
    for _ in range(37):
        other.step()
    assert _same(first.weights(), after) and _same(other.weights(), after)


def test_the_witness_agrees_with_autodiff_on_a_sample():
    session = Session(make_dataset("spiral", size=50))
    for _ in range(20):
        session.step()
    sample = session.sample(3)
    assert sample["largest_difference"] < 1e-12
    names = [row[2] for row in sample["rows"]]
    assert names[0] == "δh[0][0]" and names[-1] == "δo[0]"


def test_adding_and_removing_points_changes_the_data_and_keeps_the_weights():
    session = Session(make_dataset("xor", size=30))
    before = session.weights()
    session.add_point([0.5, -0.5], 1)
    assert len(session.data) == 31 and session.data.targets[-1, 0] == 1.0
    assert _same(session.weights(), before)
    session.remove_point(30)
    assert len(session.data) == 30
    with pytest.raises(ValueError, match="class must be an index from 0 to 1"):
        session.add_point([0.0, 0.0], 2)
    with pytest.raises(ValueError, match="there is no point 99"):
        session.remove_point(99)


def test_a_diverging_run_stops_with_a_sentence():
    data = make_dataset("curve", size=40)
    session = Session(data, default_config(data, lr=10.0, optimizer="sgd", batch_size=1))
    for _ in range(400):
        if session.diverged:
            break
        session.step()
    assert session.diverged and "diverged" in session.diverged
    with pytest.raises(ValueError, match="lower the learning rate"):
        session.step()


# -- the server -----------------------------------------------------------------------------


@pytest.fixture
def client():
    app = create_app(Session(make_dataset("xor", size=100)), TOKEN, rate=25.0)
    with TestClient(app, base_url=ORIGIN) as test_client:
        yield test_client, app.app.state.worker


def _socket(test_client, token: str = TOKEN, origin: str | None = ORIGIN):
    headers = {"origin": origin} if origin is not None else {}
    return test_client.websocket_connect(f"ws://{HOST}/ws?token={token}", headers=headers)


def _reply(ws) -> dict:
    """The next message that is not a pushed update."""
    while True:
        message = json.loads(ws.receive_text())
        if message["type"] not in ("update", "hello"):
            return message


def _say(ws, message) -> dict:
    ws.send_text(message if isinstance(message, str) else json.dumps(message))
    return _reply(ws)


@pytest.mark.parametrize("path", ["/", "/static/studio.js", "/export/model.json", "/graph.svg"])
def test_a_request_without_the_right_token_is_refused(client, path):
    test_client, _ = client
    assert test_client.get(path).status_code == 403
    assert test_client.get(f"{path}?token=wrong").status_code == 403
    assert test_client.get(f"{path}?token={TOKEN}").status_code in (200, 400)


def test_the_page_carries_the_token_and_a_strict_content_policy(client):
    test_client, _ = client
    page = test_client.get(f"/?token={TOKEN}")
    assert page.status_code == 200
    assert f"static/studio.js?token={TOKEN}" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert 'id="play"' in page.text and 'id="boundary"' in page.text


def test_a_request_naming_another_host_is_refused_on_loopback(client):
    test_client, _ = client
    response = test_client.get(f"/?token={TOKEN}", headers={"host": "evil.example:8000"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("token", "origin"),
    [
        (TOKEN, "http://evil.example"),
        (TOKEN, None),
        (TOKEN, "http://127.0.0.1:9999"),
        ("x", ORIGIN),
    ],
)
def test_a_foreign_or_tokenless_websocket_is_refused(client, token, origin):
    test_client, _ = client
    with pytest.raises(WebSocketDisconnect) as refused:
        with _socket(test_client, token, origin) as ws:
            ws.receive_text()
    assert refused.value.code == 1008


def test_reset_and_steps_over_the_socket_equal_a_headless_run(client):
    test_client, worker = client
    with _socket(test_client) as ws:
        assert json.loads(ws.receive_text())["type"] == "hello"
        assert (
            _say(ws, {"type": "configure", "settings": {"seed": 5, "hidden": [8, 8]}})["type"]
            == "ack"
        )
        for _ in range(13):
            assert _say(ws, {"type": "step"})["type"] == "ack"
        assert _say(ws, {"type": "reset"})["type"] == "ack"
        for _ in range(25):
            _say(ws, {"type": "step"})
        served = worker.call(lambda w: w.session.weights()).result(timeout=10)
    data = make_dataset("xor", size=100)
    headless = Session(data, default_config(data, seed=5, hidden=[8, 8]))
    for _ in range(25):
        headless.step()
    assert _same(served, headless.weights())


def test_playing_sends_at_most_about_thirty_small_updates_a_second(client):
    test_client, _ = client
    with _socket(test_client) as ws:
        ws.receive_text()
        _say(ws, {"type": "play"})
        start, sizes = time.perf_counter(), []
        while time.perf_counter() - start < 1.0:
            text = ws.receive_text()
            if json.loads(text)["type"] == "update":
                sizes.append(len(text))
        elapsed = time.perf_counter() - start
        _say(ws, {"type": "pause"})
    assert 3 <= len(sizes) <= 32 * elapsed
    assert max(sizes) < 40_000


def test_a_bad_csv_is_one_sentence_and_the_previous_data_stays(client):
    test_client, worker = client
    with _socket(test_client) as ws:
        ws.receive_text()
        before = _say(ws, {"type": "digest"})["digest"]
        reply = _say(ws, {"type": "csv", "name": "mine.csv", "text": "a,b\n1,2\nx,3\n"})
        assert reply == {
            "type": "error",
            "message": "mine.csv: line 3, column 'a': 'x' is not a number",
            "id": None,
        }
        assert _say(ws, {"type": "digest"})["digest"] == before
        big = _say(ws, {"type": "csv", "name": "big.csv", "text": "a,b\n" + "1,2\n" * 300_000})
        assert big["type"] == "error" and "1 MB" in big["message"]
        assert _say(ws, {"type": "digest"})["digest"] == before


def test_a_csv_with_class_names_trains_with_ce_and_keeps_its_names_as_text(client):
    test_client, worker = client
    header = '"<img src=x onerror=alert(1)>","<script>alert(2)</script>",kind'
    rows = "\n".join(f"{i % 7},{(i * 3) % 5},{'<b>yes</b>' if i % 2 else 'no'}" for i in range(40))
    with _socket(test_client) as ws:
        ws.receive_text()
        assert (
            _say(ws, {"type": "csv", "name": "x.csv", "text": header + "\n" + rows})["type"]
            == "ack"
        )
        points = worker.call(lambda w: w.session.points()).result(timeout=10)
    assert points["inputs"] == ["<img src=x onerror=alert(1)>", "<script>alert(2)</script>"]
    assert points["classes"] == ["<b>yes</b>", "no"] or sorted(points["classes"]) == [
        "<b>yes</b>",
        "no",
    ]


def test_exports_give_the_model_file_the_command_and_the_boundary(client, tmp_path):
    test_client, worker = client
    with _socket(test_client) as ws:
        ws.receive_text()
        for _ in range(3):
            _say(ws, {"type": "epoch"})
        _say(ws, {"type": "step"})
    time.sleep(0.15)  # NOTE: let the worker publish (and keep) a boundary frame
    model_bytes = test_client.get(f"/export/model.json?token={TOKEN}")
    assert model_bytes.status_code == 200
    (tmp_path / "m.json").write_bytes(model_bytes.content)
    weights = worker.call(lambda w: w.session.weights()).result(timeout=10)
    assert _same(weights, [p.data for p in load_model(tmp_path / "m.json").net.parameters()])
    command = test_client.get(f"/export/command.txt?token={TOKEN}").text
    assert "tinygrad-mlp train --data studio-data.csv" in command and "--epochs 3" in command
    csv_text = test_client.get(f"/export/data.csv?token={TOKEN}").text
    assert csv_text.startswith("x1,x2,class\n") and csv_text.count("\n") == 101
    gif = test_client.get(f"/export/boundary.gif?token={TOKEN}")
    assert gif.status_code == 200 and gif.content[:6] == b"GIF89a"
    archive = zipfile.ZipFile(
        io.BytesIO(test_client.get(f"/export/boundary.zip?token={TOKEN}").content)
    )
    assert archive.namelist()[0] == "boundary-0001.png"


def test_the_health_panel_shows_the_monitors_newest_row_and_findings():
    from tinygrad_mlp.studio import health_panel

    session = Session(make_dataset("xor", size=40), health=True)
    for _ in range(3 * len(session._order or [0]) + 12):
        session.step(record=True)
    watch = session.monitor
    figures = health_panel.figures(watch)
    assert figures["available"] and len(figures["latest"]) == len(session.model.net.layers)
    for shown, row in zip(figures["latest"], watch.latest(), strict=True):
        assert shown["layer"] == row["name"] and shown["f"] == row["activation"]
        assert shown["‖∇W‖"] == pytest.approx(row["grad_norm"], abs=1e-4)
    assert set(figures["findings"]) <= set(watch.findings)
    assert health_panel.figures(None)["available"] is False


def test_studio_shows_inline_as_an_iframe_onto_its_server():
    from tinygrad_mlp.studio import Studio

    with Studio(make_dataset("circles", size=50)) as studio:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/\?token=[\w-]+", studio.url)
        assert f'src="{studio.url}"' in studio._repr_html_()
        with urllib.request.urlopen(studio.url, timeout=10) as page:
            assert page.status == 200
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(studio.url.split("?")[0], timeout=10)
        assert refused.value.code == 403


# -- the command line -----------------------------------------------------------------------


def _start(*flags: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tinygrad_mlp", "studio", "--port", "0", "--no-browser", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = process.stdout.readline().strip()
    return process, line


def _stop(process: subprocess.Popen) -> str:
    process.terminate()
    _, err = process.communicate(timeout=15)
    return err


def test_the_command_prints_one_address_with_a_token_and_serves_it():
    process, line = _start()
    try:
        assert re.fullmatch(r"http://127\.0\.0\.1:(\d+)/\?token=[\w-]{20,}", line), line
        with urllib.request.urlopen(line, timeout=10) as page:
            assert b'id="boundary"' in page.read()
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(line.split("?")[0], timeout=10)
    finally:
        err = _stop(process)
    assert "warning" not in err


def test_the_command_warns_when_it_listens_beyond_this_machine():
    process, line = _start("--host", "0.0.0.0")
    try:
        assert line.startswith("http://0.0.0.0:")
    finally:
        err = _stop(process)
    assert "warning: listening on 0.0.0.0" in err


def test_the_command_starts_with_a_csv_and_rejects_a_bad_one_in_a_sentence(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1\n")
    assert main(["studio", "--data", str(bad), "--port", "0", "--no-browser"]) == 2
    assert "line 2 has 1 cells, but the header has 2" in capsys.readouterr().err

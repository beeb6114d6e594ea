"""Hundreds of random and malformed WebSocket messages: the studio answers every one, and
a message it rejects changes nothing (the model, the data, the settings, the step)."""

from __future__ import annotations

import json
import random
import warnings

import pytest

from tinygrad_mlp.studio import Session, make_dataset

pytest.importorskip("starlette")
pytest.importorskip("httpx")
with warnings.catch_warnings():  # NOTE: newer Starlette asks for httpx2; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from tinygrad_mlp.studio.server import create_app  # noqa: E402

TOKEN, HOST = "fuzz", "127.0.0.1:8000"
KINDS = [
    "play", "pause", "step", "epoch", "reset", "digest", "configure", "dataset", "csv",
    "add_point", "remove_point", "sample", "nope", "", None, 3,
]  # fmt: skip
WILD = [
    None, True, False, 0, -1, 1, 2**63, -(2**70), 1e308, -1e308, 1.5, "NaN", "1", "", "x" * 300,
    [], [1], [1, 2, 3], {}, {"a": 1}, [[1]], 0.0, 4, 65, 10**9, [2**40], ["8"], [None],
]  # fmt: skip
SETTING_NAMES = [
    "hidden", "activation", "output_activation", "loss", "optimizer", "lr", "batch_size",
    "weight_decay", "seed", "momentum", "epochs",
]  # fmt: skip
GOOD_SETTINGS = {
    "hidden": [[3], [4, 4], [64], [1, 2, 3, 4, 5, 6]],
    "activation": ["tanh", "relu", "sigmoid", "gelu"],
    "output_activation": [None, "linear", "tanh"],
    "loss": ["bce", "mse", "ce"],
    "optimizer": ["adam", "sgd", "momentum"],
    "lr": [0.01, 0.5, 10],
    "batch_size": [1, 10, 5000],
    "weight_decay": [0, 0.01],
    "seed": [0, 7],
}


def _value(rng: random.Random, name: str):
    if name in GOOD_SETTINGS and rng.random() < 0.5:
        return rng.choice(GOOD_SETTINGS[name])
    return rng.choice(WILD)


def _message(rng: random.Random):
    """A frame: mostly well-formed JSON of a random shape, sometimes not JSON at all."""
    roll = rng.random()
    if roll < 0.06:
        return rng.choice(
            [
                "",
                "{",
                "[]",
                "null",
                '{"type": "step"',
                '{"type": "configure", "settings": {"lr": NaN}}',
                '{"type": "configure", "settings": {"lr": Infinity}}',
                '{"type": "configure", "settings": {"lr": 1e999}}',
                "[" * 5000 + "]" * 5000,
                '{"type": "step", "type": "reset"}',
                "\udcff",
            ]
        )
    if roll < 0.08:
        return b"\x00\xff binary"
    kind = rng.choice(KINDS)
    message: dict = {"type": kind}
    if rng.random() < 0.2:
        message["id"] = rng.choice(WILD)
    if kind == "configure" or rng.random() < 0.1:
        names = rng.sample(SETTING_NAMES, rng.randint(0, 4))
        message["settings"] = (
            {n: _value(rng, n) for n in names} if rng.random() < 0.9 else rng.choice(WILD)
        )
    if kind == "dataset":
        message.update(
            name=rng.choice(["xor", "spiral", "curve", "blobs", "mnist", 3]),
            size=rng.choice([10, 50, 2000, 2001, 9, "50", 1e9]),
            noise=rng.choice([0, 0.5, 1, 1.01, -0.1, "0.1", None]),
        )
    if kind == "add_point":
        message.update(x=rng.choice([[0.1, 0.2], [0.5], [1e7, 0], [0, 1, 2], "x", [None, 1]]))
        message["target"] = rng.choice([0, 1, 2, 0.5, -3, None, "0", 1e300])
    if kind in ("remove_point", "sample"):
        message["index"] = rng.choice([0, 1, 5, 99, 10**6, -1, 1.0, "0", None])
    if kind == "csv":
        message.update(
            name=rng.choice(["a.csv", "", "../../etc/passwd", "<b>.csv", 7]),
            text=rng.choice(["a,b\n1,2\n3,4\n", "a,b\n1\n", "", "a;b\n1;2\n", 5, "x\n" * 3]),
        )
    if rng.random() < 0.1:
        message[rng.choice(["extra", "settings", "x"])] = rng.choice(WILD)
    return json.dumps(message)


def _reply(ws) -> dict:
    while True:
        message = json.loads(ws.receive_text())
        if message["type"] not in ("update", "hello"):
            return message


def _send(ws, frame) -> dict:
    if isinstance(frame, bytes):
        ws.send_bytes(frame)
    else:
        ws.send_text(frame)
    return _reply(ws)


def _digest(ws) -> str:
    reply = _send(ws, '{"type": "digest"}')
    assert reply["type"] == "ack", reply
    return reply["digest"]


def test_random_and_hostile_messages_never_break_the_server_or_half_change_the_model():
    rng = random.Random(2024)
    app = create_app(Session(make_dataset("xor", size=60)), TOKEN)
    rejected = accepted = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        client = TestClient(app, base_url=f"http://{HOST}")
    with (
        client,
        client.websocket_connect(
            f"ws://{HOST}/ws?token={TOKEN}", headers={"origin": f"http://{HOST}"}
        ) as ws,
    ):
        assert json.loads(ws.receive_text())["type"] == "hello"
        frames = [_message(rng) for _ in range(400)]
        frames += [
            json.dumps({"type": "csv", "name": "big.csv", "text": "a,b\n" + "1,2\n" * 2_700_000})
        ]
        frames += ["x" * (10 * 1024 * 1024), json.dumps({"type": "step", "pad": "y" * 100_000})]
        frames += [json.dumps({"type": "configure", "settings": {"hidden": [10**6]}})]
        frames += [json.dumps({"type": "configure", "settings": {"hidden": [64] * 7}})]
        for frame in frames:
            before = _digest(ws)
            reply = _send(ws, frame)
            if reply["type"] == "ack":
                accepted += 1
                if reply["kind"] == "play":
                    assert _send(ws, '{"type": "pause"}')["type"] == "ack"
                continue
            assert reply["type"] == "error" and isinstance(reply["message"], str), reply
            assert reply["message"] and "Traceback" not in reply["message"]
            assert not reply["message"].startswith("internal error"), (frame[:200], reply)
            assert _digest(ws) == before, (frame[:200], reply)
            rejected += 1
        assert _send(ws, '{"type": "step"}')["type"] in ("ack", "error")
        assert _digest(ws)
    print(f"{rejected} rejected, {accepted} accepted")
    assert rejected > 200 and accepted > 20, (rejected, accepted)

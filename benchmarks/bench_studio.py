"""The studio: training speed with the page attached against headless, the size of an
update, and the time from start to an interactive page.

- headless: a :class:`tinygrad_mlp.studio.Session` stepped in a loop (a 2-8-8-1 tanh
  net on xor's 200 points, batches of 10, Adam), the studio's own runner.
- attached: the same session in a live studio (``Studio``: uvicorn in a thread, the
  training thread, updates at most 25 a second) with the page open in Debian's
  Chromium through Playwright, playing.

The two take turns in rounds of a few seconds each (the machine is shared: turns hit
both alike); each round counts steps by the wall clock and by this process's CPU time
(which holds the training thread, the server and the JSON, not the browser). The
target is attached ≥ 0.8 × headless. Bytes per update are the WebSocket text sent per
update while playing; start-to-interactive is from ``Studio(...)`` to the first update
drawn in an already running browser.

Run from the repository root: ``python benchmarks/bench_studio.py [--seconds 3]``.
Needs the studio and browser extras and ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.common import machine, print_table, write_results  # noqa: E402
from tinygrad_mlp.studio import Session, default_config, make_dataset  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]


def _session() -> Session:
    data = make_dataset("xor", size=200, noise=0.1, seed=0)
    return Session(data, default_config(data, hidden=[8, 8]), health=True)


def headless_round(seconds: float) -> tuple[float, float]:
    """(steps per wall second, steps per CPU second) of a bare session."""
    session = _session()
    wall, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        for _ in range(50):
            session.step()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return session.step_count / wall, session.step_count / cpu


def attached_round(browser, seconds: float) -> tuple[float, float, float, float]:
    """(steps/wall s, steps/CPU s, bytes per update, seconds from start to interactive)."""
    from tinygrad_mlp.studio.server import Studio

    start = time.perf_counter()
    studio = Studio(session=_session())
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(studio.url)
    while not page.evaluate("window.studio && window.studio.state().updates > 0"):
        page.wait_for_timeout(10)
    ready = time.perf_counter() - start
    hub = studio.app.app.state.hub
    page.click("#play")
    page.wait_for_timeout(300)
    steps0, bytes0, sent0 = studio.worker.session.step_count, hub.bytes_sent, hub.messages_sent
    wall, cpu = time.perf_counter(), time.process_time()
    page.wait_for_timeout(seconds * 1000)
    steps = studio.worker.session.step_count - steps0
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    per_update = (hub.bytes_sent - bytes0) / max(1, hub.messages_sent - sent0)
    page.click("#play")
    page.close()
    studio.close()
    return steps / wall, steps / cpu, per_update, ready


def main() -> None:
    """Interleave headless and attached rounds; print and record the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    headless, attached = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(args.rounds):
            headless.append(headless_round(args.seconds))
            attached.append(attached_round(browser, args.seconds))
        browser.close()

    def med(rows, k):
        return statistics.median(r[k] for r in rows)

    ratio_wall = med(attached, 0) / med(headless, 0)
    ratio_cpu = med(attached, 1) / med(headless, 1)
    rows = [
        ["headless steps/s (wall)", f"{med(headless, 0):.0f}"],
        ["attached steps/s (wall)", f"{med(attached, 0):.0f}"],
        ["attached / headless (wall)", f"{ratio_wall:.2f}"],
        ["headless steps per CPU s", f"{med(headless, 1):.0f}"],
        ["attached steps per CPU s", f"{med(attached, 1):.0f}"],
        ["attached / headless (CPU)", f"{ratio_cpu:.2f}"],
        ["bytes per update", f"{med(attached, 2):.0f}"],
        ["start to interactive page (s)", f"{med(attached, 3):.2f}"],
    ]
    print_table(["2-8-8-1 tanh on xor, 200 points, batch 10", "value"], rows)
    write_results(
        "studio",
        [
            {
                "headless": headless,
                "attached": attached,
                "ratio_wall": ratio_wall,
                "ratio_cpu": ratio_cpu,
                "machine": machine(),
            }
        ],
    )


if __name__ == "__main__":
    main()

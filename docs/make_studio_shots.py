"""Screenshots of the studio for docs/studio.md: ``python docs/make_studio_shots.py``.

Starts the studio on the spiral set, sets a 2-16-16-1 tanh net, plays until the loss is
low, and saves docs/img/studio-spiral.png; then the 1-D curve as docs/img/studio-curve.png.
Needs the studio and browser extras and Debian's /usr/bin/chromium.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.browser import ARGS, CHROMIUM  # noqa: E402
from tinygrad_mlp.studio import Studio, make_dataset  # noqa: E402

IMG = Path(__file__).resolve().parent / "img"


def _play(page, seconds: float) -> None:
    page.click("#play")
    time.sleep(seconds)
    page.click("#play")
    page.wait_for_timeout(1500)  # the paused graph and the last update arrive


def _shoot(name: str, data, hidden: str, lr: str, seconds: float) -> None:
    with Studio(data) as studio, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        page.goto(studio.url)
        page.wait_for_function("window.studio && window.studio.state().updates > 0")
        page.fill("#hidden", hidden)
        page.select_option("#activation", "tanh")
        page.fill("#lr", lr)
        page.click("#apply")
        page.wait_for_timeout(500)
        _play(page, seconds)
        page.screenshot(path=str(IMG / name))
        browser.close()
    print(f"wrote {IMG / name}")


if __name__ == "__main__":
    _shoot("studio-spiral.png", make_dataset("spiral", size=300, noise=0.1), "16,16", "0.02", 40)
    _shoot("studio-curve.png", make_dataset("curve", size=100, noise=0.1), "16", "0.02", 15)

"""The playback page in a real headless Chromium (Debian's), driven by Playwright.

Needs the ``browser`` extra (Playwright, pointed at the system browser; never
``playwright install``) and ``/usr/bin/chromium`` (``apt-get install chromium``):
``scripts/test.sh`` installs both.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.browser import ARGS, CHROMIUM, WatchedPage
from tinygrad_mlp.cli import main

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
]
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
    "\"'><svg onload=alert(3)>",
]


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Page(WatchedPage):
    """The playback page with every console message, page error and dialog collected."""

    def __init__(self, browser, path: Path) -> None:
        super().__init__(browser, path.resolve().as_uri(), "window.playback !== undefined")

    def js(self, expression: str):
        return self.page.evaluate(expression)

    def state(self) -> tuple[int, str, str]:
        """(current frame, id of the highlighted value's box, caption text)."""
        return self.js(
            """() => {
                const frames = document.querySelectorAll('#frames > .frame');
                const frame = frames[window.playback.current];
                const at = frame.querySelector('g.current title');
                return [window.playback.current, at ? at.textContent : '',
                        document.getElementById('caption').textContent];
            }"""
        )


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("page") / "seed.html"
    assert main(["playback", "-o", str(out)]) == 0
    return out


def test_page_loads_without_errors_and_reports_its_frames(browser, seed_page):
    page = Page(browser, seed_page)
    assert page.js("window.playback.frames") == seed_page.read_text().count('<div class="frame"')
    assert page.js("window.playback.frames") == 52
    assert page.js("window.playback.current") == 0
    assert "Start" in page.state()[2]
    bad = [m for m in page.console if m[0] in ("error", "warning")]
    assert bad == [] and page.errors == []
    assert all(url.startswith(("file:", "data:")) for url in page.requests)
    page.page.close()


def test_stepping_moves_the_highlight_and_the_caption(browser, seed_page):
    page = Page(browser, seed_page)
    page.js("window.playback.show(1)")
    first = page.state()
    assert first[0] == 1 and first[1] and first[2].startswith("Forward 1/25")
    page.page.keyboard.press("ArrowRight")
    second = page.state()
    assert second[0] == 2 and second[1] != first[1] and second[2] != first[2]
    page.page.keyboard.press("ArrowLeft")
    assert page.state() == first
    page.page.click("#next")
    assert page.state() == second
    page.page.click("#back")
    assert page.state() == first
    # the slider jumps anywhere; its position follows the keys
    page.page.eval_on_selector(
        "#slider", "s => { s.value = '30'; s.dispatchEvent(new Event('input')); }"
    )
    jumped = page.state()
    assert jumped[0] == 30 and jumped[2].startswith("Backward")
    page.page.keyboard.press("End")
    assert page.state()[0] == 51 and page.js("document.getElementById('slider').value") == "51"
    # the value at work is brought into the picture's box; the page itself stays put
    visible = """() => {
        const frame = document.querySelectorAll('#frames > .frame')[window.playback.current];
        const r = frame.querySelector('g.current').getBoundingClientRect();
        const b = document.getElementById('frames').getBoundingClientRect();
        return r.left >= b.left && r.right <= b.right && r.top >= b.top && r.bottom <= b.bottom;
    }"""
    for k in (3, 27, 48, 12):
        page.js(f"window.playback.show({k})")
        assert page.js(visible), f"frame {k}: the highlighted value is out of view"
    assert page.js("window.scrollY") == 0
    page.page.keyboard.press("Home")
    assert page.state()[0] == 0
    assert page.errors == [] and page.dialogs == []
    page.page.close()


def test_play_advances_on_its_own_and_pause_stops(browser, seed_page):
    page = Page(browser, seed_page)
    page.page.click("#play")
    page.wait_for("window.playback.current >= 2")
    page.page.click("#play")
    stopped = page.js("window.playback.current")
    page.page.wait_for_timeout(1500)
    assert page.js("window.playback.current") == stopped
    page.page.close()


def test_a_screenshot_of_a_frame_shows_the_graph_and_its_highlight(browser, seed_page, tmp_path):
    image = pytest.importorskip("PIL.Image")
    page = Page(browser, seed_page)
    page.js("window.playback.show(5)")  # forward: sh[0][0] being computed
    shot = page.page.locator("#frames").screenshot()
    pixels = np.asarray(image.open(io.BytesIO(shot)).convert("RGB")).reshape(-1, 3)
    assert len(pixels) > 100_000
    not_white = (pixels < 240).any(axis=1).mean()
    assert 0.01 < not_white < 0.9  # a drawing, neither blank nor a solid block
    highlight = np.array([0xFF, 0xD9, 0x66])  # the colour of the value being computed
    assert (np.abs(pixels.astype(int) - highlight).sum(axis=1) < 12).sum() > 200
    (tmp_path / "frame.png").write_bytes(shot)
    page.page.close()


def test_column_names_that_are_html_play_back_as_text(browser, tmp_path):
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (16, 2))
    rows = np.c_[x, x.sum(axis=1) / 2].round(4).tolist()
    data = tmp_path / "evil.csv"
    with open(data, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(PAYLOADS)
        writer.writerows(rows)
    model = tmp_path / "m.json"
    argv = ["train", "--data", str(data), "--model", str(model), "--hidden", "2", "--epochs", "2"]
    assert main([*argv, "--quiet"]) == 0
    out = tmp_path / "evil.html"
    assert main(["playback", "--model", str(model), "--data", str(data), "-o", str(out)]) == 0
    page = Page(browser, out)
    for k in range(page.js("window.playback.frames")):
        page.js(f"window.playback.show({k})")
    text = page.js("document.body.innerText")
    svg_text = page.js(
        "Array.from(document.querySelectorAll('svg text')).map(t => t.textContent).join('\\n')"
    )
    for payload in PAYLOADS:
        assert payload in text
    assert "“<img src=x onerror=alert(1)>”" in svg_text
    assert page.js("document.querySelectorAll('img, iframe, object, embed').length") == 0
    assert page.js("document.scripts.length") == 1
    assert page.dialogs == [] and page.errors == []
    page.page.close()

"""The studio in a real headless Chromium (Debian's), driven by Playwright, on a live server.

Needs the ``browser`` extra (Playwright, pointed at the system browser; never
``playwright install``), the ``studio`` extra and ``/usr/bin/chromium``
(``scripts/test.sh`` installs them all). One server and one page serve the whole
module, so the tests run in order, each from where the last left the studio.
"""

from __future__ import annotations

import io

import numpy as np
import pytest

from tests.browser import ARGS, CHROMIUM, WatchedPage
from tinygrad_mlp.studio import Session, default_config, make_dataset

sync_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

pytestmark = [
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
    # NOTE: the tests run in order on one page, so one worker runs them all (--dist loadgroup)
    pytest.mark.xdist_group("studio_browser"),
]
PAYLOADS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(2)</script>",
]
#: The loss a 2-4-1 tanh net must get below on xor (bce, in nats; chance is ln 2 = 0.69).
XOR_LOSS = 0.15


@pytest.fixture(scope="module")
def studio():
    from tinygrad_mlp.studio import Studio

    with Studio(make_dataset("xor", size=200, noise=0.1, seed=0)) as running:
        yield running


@pytest.fixture(scope="module")
def page(studio):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        tab = Tab(browser, studio.url)
        yield tab
        browser.close()


class Tab(WatchedPage):
    """The studio's page with every console message, page error and dialog collected."""

    TIMEOUT = 15.0

    def __init__(self, browser, url: str) -> None:
        ready = "window.studio !== undefined && window.studio.state().updates > 0"
        super().__init__(browser, url, ready, height=1000)

    def waiting_on(self) -> str:
        """The studio's state, for a timeout's message."""
        return f": {self.state()}"

    def state(self) -> dict:
        return self.page.evaluate("window.studio.state()")

    def settle(self, step: int) -> dict:
        """Wait until the page shows step ``step``, paused."""
        self.wait_for(f"window.studio.state().step === {step} && !window.studio.state().playing")
        return self.state()


def _weights(studio) -> list[np.ndarray]:
    return studio.worker.call(lambda w: w.session.weights()).result(timeout=10)


def test_the_page_loads_with_the_token_and_shows_the_start(page, studio):
    state = page.state()
    assert state["step"] == 0 and state["points"] == 200 and state["playing"] is False
    assert state["view"] == "boundary" and state["connected"]
    assert page.page.locator("#play").is_visible() and page.page.locator("#boundary").is_visible()
    origin = studio.url.split("/?")[0]
    assert all(url.startswith((origin, "data:")) for url in page.requests), page.requests


def test_play_makes_the_loss_fall_below_the_stated_value_and_pause_stops(page):
    start = page.state()["loss"]
    assert start > 0.5
    page.page.click("#play")
    page.wait_for(f"window.studio.state().loss < {XOR_LOSS}", seconds=30)
    page.page.click("#play")
    page.wait_for("!window.studio.state().playing")
    assert page.page.locator("#play").inner_text().strip().endswith("play")


def test_step_advances_one_batch(page):
    before = page.state()["step"]
    page.page.click("#step")
    assert page.settle(before + 1)["step"] == before + 1


def test_reset_replays_the_headless_run_to_the_bit(page, studio):
    page.page.click("#reset")
    page.settle(0)
    for _ in range(2):
        page.page.click("#epoch")
    page.settle(32)  # 160 training rows in batches of 10: 16 steps an epoch
    for _ in range(3):
        page.page.click("#step")
    shown = page.settle(35)
    data = make_dataset("xor", size=200, noise=0.1, seed=0)
    headless = Session(data, default_config(data))
    for _ in range(35):
        headless.step()
    served = _weights(studio)
    assert all(np.array_equal(a, b) for a, b in zip(served, headless.weights(), strict=True))
    assert shown["loss"] == pytest.approx(headless.losses()[0], rel=1e-12)


def test_clicks_add_a_point_of_the_chosen_class_and_remove_it(page, studio):
    before = page.state()["points"]
    page.page.select_option("#class", "1")
    # NOTE: the canvas shows x1, x2 in [-1.5, 1.5]-ish; its corner holds no point
    page.page.click("#boundary", position={"x": 8, "y": 8})
    page.wait_for(f"window.studio.state().points === {before + 1}")
    data = studio.worker.call(lambda w: w.session.data).result(timeout=10)
    assert len(data) == before + 1 and data.targets[-1, 0] == 1.0
    assert data.inputs[-1, 0] < -1 and data.inputs[-1, 1] > 1
    page.page.click("#boundary", position={"x": 8, "y": 8})
    page.wait_for(f"window.studio.state().points === {before}")
    assert len(studio.worker.call(lambda w: w.session.data).result(timeout=10)) == before


def test_switching_the_activation_keeps_training(page):
    page.page.select_option("#activation", "relu")
    page.page.fill("#hidden", "8,8")
    page.page.click("#apply")
    page.wait_for("window.studio.state().activation === 'relu' && window.studio.state().step === 0")
    start = page.state()["loss"]
    page.page.click("#play")
    page.wait_for("window.studio.state().step > 200")
    page.page.click("#play")
    page.wait_for("!window.studio.state().playing")
    assert page.state()["loss"] < start


def test_the_boundary_screenshot_is_not_blank(page):
    from PIL import Image

    shot = Image.open(io.BytesIO(page.page.locator("#boundary").screenshot())).convert("RGB")
    pixels = np.asarray(shot, dtype=float)
    assert pixels.shape[0] > 300 and pixels.std() > 20
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50


def test_a_csv_whose_header_is_a_payload_shows_as_text_and_runs_nothing(page, tmp_path):
    path = tmp_path / "payload.csv"
    lines = ['"{}","{}",label'.format(*PAYLOADS)]
    lines += [f"{i % 5},{(i * 7) % 3},{'<i>a</i>' if i % 2 else 'b'}" for i in range(30)]
    path.write_text("\n".join(lines) + "\n")
    page.page.set_input_files("#csv", str(path))
    page.wait_for("window.studio.state().points === 30")
    assert page.state()["inputs"] == PAYLOADS
    assert sorted(page.state()["classes"]) == ["<i>a</i>", "b"]
    shown = page.page.locator("#data-name").inner_text()
    assert PAYLOADS[0] in shown and PAYLOADS[1] in shown
    page.page.click("#step")
    page.page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.page.evaluate("document.querySelectorAll('img[src=\"x\"], i, script').length") == 1


def test_a_bad_csv_shows_its_sentence_and_keeps_the_data(page, tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("a,b,c\n" + "".join(f"{i % 4},{i % 3},{i % 2}\n" for i in range(30)))
    page.page.set_input_files("#csv", str(good))
    page.wait_for("window.studio.state().points === 30 && window.studio.state().error === ''")
    path = tmp_path / "broken.csv"
    path.write_text("a,b,c\n1,2,3\n4,5\n")
    page.page.set_input_files("#csv", str(path))
    page.wait_for("window.studio.state().error !== ''")
    assert page.state()["error"] == "broken.csv: line 3 has 2 cells, but the header has 3"
    assert page.state()["points"] == 30


def test_no_console_error_and_no_page_error(page):
    bad = [m for m in page.console if m[0] in ("error", "warning")]
    assert bad == [] and page.errors == [] and page.dialogs == []

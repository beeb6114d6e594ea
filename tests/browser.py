"""What the browser tests share: Debian's Chromium, its launch flags, and a page that
collects every console message, page error, dialog and request.

Playwright drives the system's browser (``/usr/bin/chromium``); its own browser
download is never used. The flags keep Chromium off the network it cannot reach here.
"""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class WatchedPage:
    """A page opened at ``url`` with everything it says collected, ready when ``ready``
    (a JS expression) is true."""

    #: Seconds :meth:`wait_for` polls by default.
    TIMEOUT = 10.0

    def __init__(self, browser, url: str, ready: str, height: int = 900) -> None:
        self.page = browser.new_page(viewport={"width": 1280, "height": height})
        self.console: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.console.append((m.type, m.text)))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url)
        self.wait_for(ready)

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def wait_for(self, condition: str, seconds: float | None = None) -> None:
        """Poll ``condition``.

        NOTE: the pages' content security policies forbid the eval behind wait_for_function.
        """
        for _ in range(int((seconds or self.TIMEOUT) * 20)):
            if self.page.evaluate(condition):
                return
            self.page.wait_for_timeout(50)
        raise AssertionError(f"timed out waiting for {condition}{self.waiting_on()}")

    def waiting_on(self) -> str:
        """What the timeout message adds about the page's state ("" by default)."""
        return ""

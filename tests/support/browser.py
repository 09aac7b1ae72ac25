"""Headless Chromium for end-to-end tests: Debian's own chromium driven through Playwright (never
a browser fetched by `playwright install`), with a fresh profile for every page.

    with chromium_page() as page:                     # 1600×900, like the ward's screen
        page.goto(url)
        page.screenshot(path=tmp_path / "page.png")

Where chromium is missing the tests that need it skip, unless HUDDLE_REQUIRE_BROWSER is set
(./scripts/test sets it, and installs chromium when it can): then they fail, so a CI run cannot
go green without having opened a browser."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

REQUIRE_BROWSER = "HUDDLE_REQUIRE_BROWSER"
KIOSK_VIEWPORT = (1600, 900)
"""Width and height in CSS pixels: a ward's wall screen."""
LAUNCH_TIMEOUT_MS = 60_000
# Headless on a machine with no GPU, no outside network and no desktop session. Playwright
# gives the browser a new empty --user-data-dir of its own and adds --headless. Every host but
# localhost and 127.0.0.1 fails to resolve at once: tests stay off the internet, and a page's
# outside resources (textual-serve's page links a Google Fonts stylesheet) cannot hold up its
# load event where a firewall drops packets rather than refusing them.
LAUNCH_FLAGS = (
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
_DEBIAN = Path("/usr/bin/chromium")


def chromium_path() -> str | None:
    """Chromium's executable: `chromium` on PATH, else Debian's /usr/bin/chromium; None if
    neither is there."""
    found = shutil.which("chromium")
    if found:
        return found
    return str(_DEBIAN) if os.access(_DEBIAN, os.X_OK) else None


def require_chromium() -> str:
    """Chromium's executable; fails the test when it is missing and HUDDLE_REQUIRE_BROWSER is
    set, else skips it."""
    found = chromium_path()
    if found is not None:
        return found
    if os.environ.get(REQUIRE_BROWSER):
        pytest.fail(
            f"chromium is missing and {REQUIRE_BROWSER} is set: install it (Debian: apt-get "
            f"install chromium; ./scripts/test does), or set {REQUIRE_BROWSER}= (empty) to skip"
        )
    pytest.skip("chromium is missing (Debian: apt-get install chromium)")


@contextlib.contextmanager
def chromium_page(
    viewport: tuple[int, int] = KIOSK_VIEWPORT, *, init_script: str | None = None
) -> Iterator[Page]:
    """A page in a new headless Chromium of its own, `viewport` wide and high; `init_script`
    runs in every document before the page's own scripts. The browser is closed afterwards."""
    executable = require_chromium()
    width, height = viewport
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            headless=True,
            args=list(LAUNCH_FLAGS),
            timeout=LAUNCH_TIMEOUT_MS,
        )
        try:
            context = browser.new_context(viewport={"width": width, "height": height})
            if init_script is not None:
                context.add_init_script(init_script)
            yield context.new_page()
        finally:
            browser.close()

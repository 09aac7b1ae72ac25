"""`huddle-board serve` in a real browser: the page opened in headless Chromium at a wall screen's
size draws the demo ward's box score, and a screenshot of it is kept (issue 4, browser kiosk).

textual-serve draws the board's terminal with xterm.js. Its textual.js loads xterm's WebGL
addon and then its canvas addon, and the canvas renderer, loaded last, draws the screen (on 2D
canvas layers, `.xterm-text-layer` among them): the text is pixels only, with no `.xterm-rows`
to read. The test reads xterm's own screen buffer instead, the cells the renderer draws from.
textual.js keeps its Terminal object to itself; a script that runs before the page's own
catches it at the moment textual.js stores its FitAddon beside it. Should xterm ever draw with
its DOM renderer and the catch miss, the DOM rows are read instead; if neither is there the text
is empty and the test fails. That the cells were painted is checked on the 2D canvases: an
empty terminal is one colour, the box score hundreds (antialiased text, bands, sparklines).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
from playwright.sync_api import Page
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from huddle_board.clock import SystemClock
from huddle_board.db import open_store
from huddle_board.demo import DEMO_NAME, build_demo_ward
from tests.support.browser import chromium_page, require_chromium
from tests.support.central import free_port

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
DRAW_TIMEOUT_MS = 60_000
# What the box score shows for the demo ward whatever today's date: the header with the ward's
# name, the tab, the title, the three bands and measures whose names fit their column.
EXPECTED = (
    DEMO_NAME,
    "1 Box score",
    "Box score — week of",
    "Measure",
    "Target",
    "This week",
    "PERFORMANCE",
    "CAPACITY",
    "COST",
    "Falls with harm",
    "Discharges before noon",
    "Sickness absence",
    "Cost per patient per week",
    "Still missing for",
)
# Runs before textual.js. Its terminal class sets `this.terminal` and then `this.fitAddon` in
# its constructor: a setter for `fitAddon` on Object.prototype sees the first, keeps it on
# window, and removes itself.
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "fitAddon", {
  configurable: true,
  set(value) {
    delete Object.prototype.fitAddon;
    this.fitAddon = value;
    if (this.terminal && this.terminal.buffer) window.__huddleTerminal = this.terminal;
  },
});
"""
READ_SCREEN = """() => {
  const terminal = window.__huddleTerminal;
  if (terminal) {
    const buffer = terminal.buffer.active;
    const rows = [];
    for (let y = 0; y < terminal.rows; y++) {
      const line = buffer.getLine(buffer.viewportY + y);
      rows.push(line ? line.translateToString(true) : "");
    }
    return rows.join("\\n");
  }
  const dom = document.querySelector(".xterm-rows");
  return dom ? dom.innerText : "";
}"""
SHOWS_ALL = f"""expected => {{
  if (!document.body.classList.contains("-first-byte")) return null;
  const text = ({READ_SCREEN})();
  return expected.every(part => text.includes(part)) ? text : null;
}}"""
# The most colours on any of the terminal's 2D canvases; null if it draws on none (WebGL or DOM).
PAINTED_COLOURS = """() => {
  const counts = Array.from(document.querySelectorAll(".xterm-screen canvas")).map(canvas => {
    const context = canvas.getContext("2d");
    if (!context || !canvas.width || !canvas.height) return null;
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data.buffer;
    return new Set(new Uint32Array(pixels)).size;
  }).filter(count => count !== null);
  return counts.length ? Math.max(...counts) : null;
}"""
NEXT_FRAMES = "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def demo_board(path: Path) -> Path:
    """A board file holding the demo ward, its weeks ending today (the served board reads the
    system clock)."""
    db, health = open_store(path)
    try:
        assert health.ok
        build_demo_ward(db, clock=SystemClock())
    finally:
        db.close()
    return path


def _stop(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (the server and the board textual-serve started
    for the page), then SIGKILL to whatever of it is left after 10 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.wait(10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(10)


def _start(board: Path, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "huddle_board", "serve", "--db", str(board)]
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _answers(url: str, server: subprocess.Popen[bytes]) -> bool:
    """Polls `url` until it answers 200 (True) or the server exits (False)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline and server.poll() is None:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(url, timeout=2.0).status_code == 200:
                return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def served_board(board: Path, log_path: Path) -> Iterator[str]:
    """`huddle-board serve` for `board` on 127.0.0.1 and a free port, answering; its URL. The
    server and its boards are stopped afterwards; their output goes to `log_path`."""
    for attempt in range(5):
        port = free_port()
        logged_before = log_path.stat().st_size if log_path.exists() else 0
        server = _start(board, port, log_path)
        url = f"http://127.0.0.1:{port}/"
        try:
            if _answers(url, server):
                yield url
                return
        finally:
            _stop(server)
        log = log_path.read_bytes()[logged_before:].decode(errors="replace")
        # Another process may have taken the free port between probe and bind.
        if "address already in use" not in log.lower() or attempt == 4:
            raise AssertionError(f"huddle-board serve did not answer on {url}:\n{log}")


def wait_for_box_score(page: Page) -> str:
    """The terminal's screen as text once it shows everything in EXPECTED, or as it is when
    DRAW_TIMEOUT_MS has passed."""
    try:
        shown = page.wait_for_function(
            SHOWS_ALL, arg=list(EXPECTED), timeout=DRAW_TIMEOUT_MS, polling=250
        )
    except PlaywrightTimeout:
        return str(page.evaluate(READ_SCREEN))
    return str(shown.json_value())


def test_the_served_board_draws_the_box_score_in_chromium(tmp_path: Path) -> None:
    require_chromium()
    board = demo_board(tmp_path / "board.db")
    log_path = tmp_path / "serve.log"
    screenshot = tmp_path / "box-score.png"
    with served_board(board, log_path) as url, chromium_page(init_script=CATCH_TERMINAL) as page:
        page.goto(url, wait_until="domcontentloaded")
        screen = wait_for_box_score(page)
        page.evaluate(NEXT_FRAMES)  # xterm paints on animation frames: let it paint the last
        page.screenshot(path=screenshot)
        session_ended = page.evaluate("document.body.classList.contains('-closed')")
        colours = page.evaluate(PAINTED_COLOURS)
    missing = [part for part in EXPECTED if part not in screen]
    assert not missing, (
        f"the box score was not drawn within {DRAW_TIMEOUT_MS / 1000:.0f} s: {missing} missing "
        f"(screenshot {screenshot}).\nScreen:\n{screen}\nServer log:\n"
        + log_path.read_text(errors="replace")
    )
    assert not session_ended, "the board's session ended"
    assert colours is None or colours > 100, (
        f"the box score is in the terminal but was not painted: {colours} colours on its canvas"
    )

"""`huddle-board serve` really serves the board's page over HTTP (the browser end-to-end test
with Chromium is still to come: see issue 4)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from sqlite_utils import Database

from huddle_board.clock import FixedClock
from huddle_board.demo import build_demo_ward
from tests.support.central import free_port

ROOT = Path(__file__).resolve().parents[2]


def test_serve_answers_with_the_board_page(
    store: Database, store_path: Path, clock: FixedClock
) -> None:
    store.execute("DELETE FROM ward")
    build_demo_ward(store, clock=clock)
    store.close()
    port = free_port()
    command = [sys.executable, "-m", "huddle_board", "serve", "--db", str(store_path)]
    server = subprocess.Popen(
        [*command, "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        page = None
        for _ in range(100):
            try:
                page = httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert page is not None, "the server did not answer"
        assert page.status_code == 200
        assert f"huddle-board — {store_path.name}" in page.text
        assert "/ws" in page.text  # the page connects back for the board's session
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_refuses_a_missing_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "huddle_board", "serve", "--db", str(tmp_path / "none.db")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert done.returncode == 2
    assert "does not exist" in done.stderr

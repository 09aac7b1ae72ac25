"""The start-up benchmark's child process really starts the board (not a timing test: it
checks the benchmark measures the real thing and reports its line)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from sqlite_utils import Database

from huddle_board.clock import FixedClock
from huddle_board.demo import build_demo_ward

ROOT = Path(__file__).resolve().parents[2]


def test_startup_child_opens_the_board_and_reports_its_first_frame(
    store: Database, store_path: Path, clock: FixedClock
) -> None:
    store.execute("DELETE FROM ward")
    build_demo_ward(store, clock=clock)
    store.close()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.startup", "board", str(store_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr
    word, peak_kib = done.stdout.split()
    assert word == "ready" and int(peak_kib) > 10_000

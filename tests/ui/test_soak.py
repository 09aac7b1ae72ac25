"""The kiosk's soak test: the real board, built as `huddle-board --kiosk` builds it, in a
process of its own (so its memory is its own), rotating 20,000 times through its screens in
headless mode with 2,000 real data refreshes (a write to the store by another connection, then
`DataChanged`). No exception and no failed worker on the way, and memory after the warm-up
(the first 2,000 steps) grows by less than 10%: resident memory and the interpreter's allocated
blocks both. The driver is `benchmarks/soak.py`, which the benchmark runs too."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from benchmarks.soak import SoakReport
from huddle_board.ui.app import ROTATION

ROTATIONS = 20_000
REFRESHES = 2_000


def test_20000_rotations_and_2000_refreshes_without_a_leak(demo_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.soak",
            "--json",
            "--db",
            str(demo_path),
            "--rotations",
            str(ROTATIONS),
            "--refreshes",
            str(REFRESHES),
        ],
        capture_output=True,
        text=True,
        timeout=3600,
        cwd=Path(__file__).parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = SoakReport(**json.loads(done.stdout.strip().splitlines()[-1]))
    print(report.summary())
    assert report.errors == []
    assert (report.rotations, report.refreshes) == (ROTATIONS, REFRESHES)
    # The kiosk's four screens in turn, each a quarter of the time.
    assert report.shown == {screen: ROTATIONS // 4 for screen in ROTATION}
    assert report.rss_growth < 0.10, report.summary()
    assert report.blocks_growth < 0.10, report.summary()

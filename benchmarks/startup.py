"""Child process for the start-up benchmark: opens either the board on a given store or a bare
Textual app, headless, and prints one line when the first complete frame is drawn:
`ready <peak RSS in KiB>`. The parent times it from spawn to that line.

Each is started the way it starts for real: the board through `cli.prepare_board` (which
imports Textual itself, as `huddle-board` does), the bare app by importing Textual and running.
So nothing is imported at the top of this module but the standard library."""

from __future__ import annotations

import asyncio
import datetime as dt
import resource
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.app import App
    from textual.pilot import Pilot


def peak_rss_kib() -> int:
    """This process's peak resident memory. VmHWM belongs to the process image, unlike
    ru_maxrss, which a child inherits from the parent that forked it."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _report_and_exit(app: App[None]) -> None:
    print(f"ready {peak_rss_kib()}", flush=True)
    app.exit()


async def _when_drawn(pilot: Pilot[Any]) -> None:
    """Auto-pilot for both apps: once the app is ready (and, for the board, the box score has
    its data), report after the next refresh, i.e. the first complete frame."""
    app = pilot.app
    panes = app.query("BoxScorePane")
    while panes and not getattr(panes.first(), "is_drawn", True):
        await asyncio.sleep(0.001)
    app.call_after_refresh(_report_and_exit, app)


def run_bare() -> None:
    from benchmarks.bare import BareApp

    BareApp().run(headless=True, size=(160, 45), auto_pilot=_when_drawn)


def run_board(path: Path) -> None:
    from huddle_board.cli import prepare_board
    from huddle_board.clock import FixedClock
    from huddle_board.config import Settings

    clock = FixedClock(dt.datetime(2026, 11, 26, 9, 0))
    app = prepare_board(Settings(db_path=path), clock)
    app.run(headless=True, size=(160, 45), auto_pilot=_when_drawn)


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        run_bare()
    else:
        run_board(Path(sys.argv[2]))

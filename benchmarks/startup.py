"""Child process for the start-up benchmark: opens either the board on a given store or a bare
Textual app, headless, and prints one line when the first complete frame is drawn:
`ready <peak RSS in KiB>`. The parent times it from spawn to that line."""

from __future__ import annotations

import asyncio
import datetime as dt
import resource
import sys
from pathlib import Path

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Footer, Static


def _report_and_exit(app: App[None]) -> None:
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"ready {peak_kib}", flush=True)
    app.exit()


class BareApp(App[None]):
    """The baseline: a Textual app with a header line, some text and a footer."""

    def compose(self) -> ComposeResult:
        yield Static("bare")
        yield Static("\n".join(f"row {n}" for n in range(20)))
        yield Footer()


async def _when_drawn(pilot: Pilot[None]) -> None:
    """Auto-pilot for both apps: once the app is ready (and, for the board, the box score has
    its data), report after the next refresh, i.e. the first complete frame."""
    app = pilot.app
    panes = app.query("BoxScorePane")
    while panes and not getattr(panes.first(), "loaded_once", True):
        await asyncio.sleep(0.001)
    app.call_after_refresh(_report_and_exit, app)


def run_bare() -> None:
    BareApp().run(headless=True, size=(160, 45), auto_pilot=_when_drawn)


def run_board(path: Path) -> None:
    from huddle_board.clock import FixedClock
    from huddle_board.config import Settings
    from huddle_board.db import open_store, queries
    from huddle_board.ui.app import make_app

    db, health = open_store(path)
    ward = queries.ward(db)
    db.close()
    assert ward is not None
    clock = FixedClock(dt.datetime(2026, 11, 26, 9, 0))
    app = make_app(Settings(db_path=path), path, health, ward, clock)
    app.run(headless=True, size=(160, 45), auto_pilot=_when_drawn)


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        run_bare()
    else:
        run_board(Path(sys.argv[2]))

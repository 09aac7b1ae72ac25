"""Render the board's screens on the demo ward as SVG files for the README:
`python scripts/screenshots.py docs/` (a fixed clock, 160×45, the real app)."""

from __future__ import annotations

import asyncio
import datetime as dt
import sys
import tempfile
from pathlib import Path

from textual.pilot import Pilot

from huddle_board.cli import prepare_board
from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import open_store
from huddle_board.demo import build_demo_ward
from huddle_board.ui.app import HuddleBoardApp

NOW = dt.datetime(2026, 11, 26, 9, 0)
SCREENS = (("1", "box-score"), ("2", "ideas"), ("3", "huddle"), ("4", "actions"), ("5", "sync"))


async def settled(app: HuddleBoardApp, pilot: Pilot[None]) -> None:
    for _ in range(3):
        await pilot.pause(0.05)
        while any(worker.is_running for worker in app.workers):
            await asyncio.sleep(0.001)


async def shoot(path: Path, folder: Path) -> None:
    app = prepare_board(Settings(db_path=path), FixedClock(NOW))
    async with app.run_test(size=(160, 45)) as pilot:
        for key, name in SCREENS:
            await pilot.press(key)
            await settled(app, pilot)
            await pilot.pause(0.3)  # the box score's SPC is read after its first frame
            await settled(app, pilot)
            app.save_screenshot(str(folder / f"{name}.svg"))
            print(folder / f"{name}.svg")


async def shoot_over_the_board(path: Path, folder: Path) -> None:
    """The screens over the box score: a measure's chart (Enter) and the week review (W)."""
    app = prepare_board(Settings(db_path=path), FixedClock(NOW))
    async with app.run_test(size=(160, 45)) as pilot:
        for keys, name in ((("enter",), "chart"), (("escape", "W"), "week-review")):
            await settled(app, pilot)
            await pilot.press(*keys)
            await settled(app, pilot)
            await pilot.pause(0.3)  # the SPC and the review are read after the first frame
            await settled(app, pilot)
            app.save_screenshot(str(folder / f"{name}.svg"))
            print(folder / f"{name}.svg")


async def shoot_kiosk(path: Path, folder: Path) -> None:
    """The box score as a ward's wall display shows it: kiosk mode, high contrast."""
    settings = Settings(db_path=path, kiosk=True, theme="high-contrast")
    app = prepare_board(settings, FixedClock(NOW))
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(app, pilot)
        await pilot.pause(0.3)
        await settled(app, pilot)
        app.save_screenshot(str(folder / "kiosk.svg"))
        print(folder / "kiosk.svg")


def main() -> None:
    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "docs")
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "demo.db"
        db, _ = open_store(path)
        build_demo_ward(db, clock=FixedClock(NOW))
        db.close()
        asyncio.run(shoot(path, folder))
        asyncio.run(shoot_kiosk(path, folder))
        asyncio.run(shoot_over_the_board(path, folder))


if __name__ == "__main__":
    main()

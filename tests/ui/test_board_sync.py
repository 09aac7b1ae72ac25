"""The board as `huddle-board` starts it, with sync set up, against a real `huddle-central` on
loopback: its own push job sends the whole queue once, the header says so, and a change made
on screen reaches the store with its new rev."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from huddle_board.cli import prepare_board
from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import connect_raw
from huddle_board.db.migrations import SYNCED_TABLES
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.widgets.forms import InitialsScreen
from tests.support.central import CentralProcess, all_rows
from tests.ui.conftest import KIOSK, NOW, settle

pytestmark = pytest.mark.anyio


def header_sync(app: HuddleBoardApp) -> str:
    return str(app.query_one("#header-sync", Static).render())


def local_rows(path: Path) -> int:
    conn = connect_raw(path, read_only=True)
    try:
        return sum(
            conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            for table in SYNCED_TABLES.values()
        )
    finally:
        conn.close()


async def wait_for(pilot: Pilot[None], done: Callable[[], bool], what: str) -> None:
    for _ in range(300):  # 15 s at most: the first push of the demo ward takes well under 1 s
        if done():
            return
        await pilot.pause(0.05)
    raise AssertionError(f"gave up waiting for {what}")


async def test_the_board_pushes_its_queue_and_a_new_change(
    demo_path: Path, central_sqlite: CentralProcess, tmp_path: Path
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(central_sqlite.token("DEMO-7A", "kiosk-7a") + "\n")
    token_file.chmod(0o600)
    settings = Settings(db_path=demo_path, store_url=central_sqlite.url, token_file=token_file)
    app = prepare_board(settings, FixedClock(NOW))
    try:
        async with app.run_test(size=KIOSK) as pilot:
            await settle(pilot)
            expected = local_rows(demo_path)
            await wait_for(
                pilot, lambda: central_sqlite.counts()["entries"] == expected, "the first push"
            )
            header = app.query_one("#header")

            def synced() -> bool:
                getattr(header, "refresh_sync")()  # noqa: B009 (read it now, not in 5 s)
                return "synced" in header_sync(app) and "0 waiting" in header_sync(app)

            await wait_for(pilot, synced, "the header to say synced")
            assert central_sqlite.counts()["revisions"] == expected  # each sent once

            # Close an action on screen: its rev 2 reaches the store without waiting a minute.
            await pilot.press("4")
            await settle(pilot)
            pane = app.query_one("#actions-pane")
            action_id = getattr(pane, "highlighted_id")()  # noqa: B009
            await pilot.press("d")
            await settle(pilot)
            assert isinstance(app.screen, InitialsScreen)
            await pilot.press("j", "m", "enter")
            await settle(pilot)

            def applied() -> bool:
                rows = all_rows(central_sqlite.db, "entries")
                return any(row["id"] == action_id and row["rev"] == 2 for row in rows)

            await wait_for(pilot, applied, "the closed action to reach the store")
            assert central_sqlite.counts()["entries"] == expected
    finally:
        if app.sync_job is not None:
            app.sync_job.shutdown()
        gc.enable()
        gc.unfreeze()

"""The board when its data file fails under it, on the real kiosk board and a real file:

- another program holds the file's write lock for 10 s (a real second process);
- the disk refuses writes (the file and its WAL made immutable with `chattr +i`, so every
  write fails in the kernel as on a read-only disk);
- a read fails (the file is not a database any more).

In each the board keeps showing its last data and rotating, says so in the banner, loses no
change, and recovers by itself once the fault clears.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static, TabbedContent

from huddle_board.db import StoreHealth, check_store
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.actions import ActionsPane
from huddle_board.ui.screens.box_score import BoxScorePane
from huddle_board.ui.store import StoreAccess
from huddle_board.ui.widgets.forms import InitialsScreen
from tests.ui.conftest import KIOSK, BoardFactory, ManualMonotonic, revisions, settle
from tests.ui.test_box_score import open_form

# Holds the write lock with a write in progress for LOCK_S seconds, then lets go.
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")
conn.execute("UPDATE ward SET name = name")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
"""
LOCK_S = 10.0

pytestmark = pytest.mark.anyio


def banner(app: HuddleBoardApp) -> str:
    return str(app.query_one("#banner", Static).render())


def active(app: HuddleBoardApp) -> str:
    return app.query_one(TabbedContent).active


def open_action_ids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {row[0] for row in conn.execute("SELECT id FROM actions WHERE status = 'open'")}
    finally:
        conn.close()


async def recovered(pilot: Pilot[None]) -> None:
    """Once the fault is gone: the board's next watch (its 5 s timer, called here at once)
    writes what was waiting, in two workers one after the other; wait until the banner has
    gone (or fail after 10 s)."""
    app = pilot.app
    assert isinstance(app, HuddleBoardApp)
    app.store_watch()
    for _ in range(200):
        await settle(pilot)
        if banner(app) == "" and not app._pending_writes:
            return
        await pilot.pause(0.05)
    raise AssertionError(f"the board did not recover: {banner(app)!r}")


async def rotate_once(pilot: Pilot[None], monotonic: ManualMonotonic) -> str:
    """Let the kiosk go idle long enough for its next rotation step; the screen it shows."""
    app = pilot.app
    assert isinstance(app, HuddleBoardApp)
    monotonic.advance(max(app.settings.idle_before_rotation_s, app.settings.rotation_every_s))
    app.rotation_tick()
    await settle(pilot)
    return active(app)


async def close_highlighted_action(pilot: Pilot[None]) -> str:
    """On the actions screen: mark the highlighted action done as KP; its id."""
    app = pilot.app
    await pilot.press("4")
    await settle(pilot)
    pane = app.query_one(ActionsPane)
    action = pane.highlighted()
    assert action is not None
    await pilot.press("d")
    await settle(pilot)
    assert isinstance(app.screen, InitialsScreen)
    await pilot.press("k", "p", "enter")
    await settle(pilot)
    return action.id


async def test_write_lock_held_for_10_s_by_another_program(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        before = open_action_ids(demo_path)
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(demo_path), str(LOCK_S)],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
            # A change made during the lock waits for it (5 s), then is kept, not lost.
            closed = await close_highlighted_action(pilot)
            assert app.is_running and banner(app) == (
                "⚠ Changes cannot be saved: the board's data file is locked by another "
                "program. 1 change is waiting. Nothing is lost: the board tries again by itself."
            )
            assert open_action_ids(demo_path) == before
            # The board goes on reading and rotating with the lock held.
            assert await rotate_once(pilot, monotonic) == "box-score"
            assert await rotate_once(pilot, monotonic) == "ideas"
            assert app.query_one(BoxScorePane).loaded_once
            assert locker.poll() is None, "the lock ended before the checks did"
        finally:
            locker.wait(timeout=30)
        assert locker.returncode == 0
        # The lock is gone: at the next watch the change is written and the banner goes.
        await recovered(pilot)
        assert open_action_ids(demo_path) == before - {closed}
        assert app.store.write_fault is None


async def test_a_form_saved_during_the_lock_keeps_what_was_typed(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        before = revisions(demo_path)
        form = await open_form(pilot)
        typed = form.focused
        assert isinstance(typed, Input)
        typed.value = "7"
        form.query_one("#initials", Input).value = "JM"
        locker = subprocess.Popen(
            [sys.executable, "-c", LOCKER, str(demo_path), "6"],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert app.screen is form and typed.value == "7"  # still open, as typed
            error = str(form.query_one("#form-error", Static).render())
            assert error == (
                "Changes cannot be saved: the board's data file is locked by another program. "
                "What you typed is kept here: press Save again in a moment."
            )
            assert "locked by another program" in banner(app)
        finally:
            locker.wait(timeout=30)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is not form
        assert revisions(demo_path) > before
        await recovered(pilot)


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """The files refuse every write (`chattr +i`) until the block ends: as a disk remounted
    read-only does for the board's writes. Needs root and a file system with the flag."""
    if os.geteuid() != 0 or shutil.which("chattr") is None:
        pytest.skip("needs root and chattr to make the data file refuse writes")
    names = [str(path) for path in paths if path.exists()]
    subprocess.run(["chattr", "+i", *names], check=True)
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", *names], check=True)


async def test_the_disk_refuses_writes_then_comes_back(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        before = open_action_ids(demo_path)
        wal = demo_path.with_name(demo_path.name + "-wal")
        with immutable(demo_path, wal):
            closed = await close_highlighted_action(pilot)
            assert app.is_running
            assert banner(app).startswith(
                "⚠ Changes cannot be saved: the disk refuses to write the board's data file"
            )
            assert "1 change is waiting" in banner(app)
            # Still refused at the next watch: still waiting, still on show.
            app.store_watch()
            await settle(pilot)
            assert "1 change is waiting" in banner(app)
            for expected in ("box-score", "ideas", "actions", "huddle", "box-score"):
                assert await rotate_once(pilot, monotonic) == expected
            assert open_action_ids(demo_path) == before
        await recovered(pilot)
        assert open_action_ids(demo_path) == before - {closed}
    assert check_store(demo_path).ok


def test_a_failed_read_is_a_read_fault_until_the_file_reads_again(demo_path: Path) -> None:
    """StoreAccess on a file that stops being a database, then is one again."""
    store = StoreAccess(demo_path, StoreHealth(True))
    good = demo_path.read_bytes()
    with store.session() as conn:
        assert conn.execute("SELECT count(*) FROM ward").fetchone()[0] == 1
    assert store.read_fault is None
    store._drop_connection()  # as after a fault: the next read opens the file again
    for suffix in ("-wal", "-shm"):
        demo_path.with_name(demo_path.name + suffix).unlink(missing_ok=True)
    demo_path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(sqlite3.DatabaseError), store.session() as conn:
        conn.execute("SELECT count(*) FROM ward").fetchone()
    assert store.read_fault is not None
    assert store.read_fault.startswith("the board's data file cannot be read")
    demo_path.write_bytes(good)
    with store.session() as conn:
        assert conn.execute("SELECT count(*) FROM ward").fetchone()[0] == 1
    assert store.read_fault is None

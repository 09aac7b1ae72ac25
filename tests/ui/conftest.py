"""Fixtures for driving the real board: the demo ward (built once per session, copied per
test), a fixed clock, a hand-driven monotonic clock, and an app factory built exactly as
`huddle_board.cli` builds it."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import open_store, queries
from huddle_board.ui.app import HuddleBoardApp, make_app

KIOSK = (160, 45)
SMALL = (100, 30)
NOW = dt.datetime(2026, 11, 26, 9, 0)


class ManualMonotonic:
    """A monotonic clock the test moves by hand (huddle timer, initials memory)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def anyio_backend() -> str:
    """The async pilot tests run on asyncio only (Textual's loop)."""
    return "asyncio"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from huddle_board.demo import build_demo_ward

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    db, _ = open_store(path)
    build_demo_ward(db, clock=FixedClock(NOW))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path


@pytest.fixture
def demo_path(demo_template: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.db"
    shutil.copy(demo_template, target)
    return target


@pytest.fixture
def monotonic() -> ManualMonotonic:
    return ManualMonotonic()


BoardFactory = Callable[..., HuddleBoardApp]


@pytest.fixture
def board(monotonic: ManualMonotonic) -> BoardFactory:
    """`board(path)` builds the real app on the store at `path` with a fixed clock;
    `board(path, now, **settings)` with other settings too."""

    def build(path: Path, now: dt.datetime = NOW, **settings: Any) -> HuddleBoardApp:
        db, health = open_store(path)
        ward = queries.ward(db)
        db.close()
        assert ward is not None
        app = make_app(
            Settings(db_path=path, **settings), path, health, ward, FixedClock(now), monotonic
        )
        app.animation_level = "none"  # no scroll animation half-way through a snapshot
        return app

    return build


@pytest.fixture
def kiosk_board(board: BoardFactory) -> BoardFactory:
    """Like `board`, in kiosk mode (`Settings(kiosk=True)`)."""

    def build(path: Path, now: dt.datetime = NOW, **settings: Any) -> HuddleBoardApp:
        return board(path, now, kiosk=True, **settings)

    return build


async def settle(pilot: Pilot[None]) -> None:
    """Let every worker finish and the screen redraw."""
    for _ in range(3):
        await pilot.pause()
        while any(worker.is_running for worker in pilot.app.workers):
            await asyncio.sleep(0.001)
    await pilot.pause()


def revisions(path: Path) -> int:
    """How many revisions of entries the file holds (each write adds to one)."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT coalesce(sum(rev), 0) FROM outbox").fetchone()[0])
    finally:
        conn.close()

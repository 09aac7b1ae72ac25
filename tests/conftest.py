"""Shared fixtures: a fixed clock, and a fresh migrated store for ward DEMO-7A with an author."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from huddle_board.clock import FixedClock
from huddle_board.db import commands, open_store

WARD = "DEMO-7A"


@pytest.fixture
def clock() -> FixedClock:
    """Thursday 26 November 2026, 09:00 UTC (ISO week 2026-W48, Monday 23 November)."""
    return FixedClock(dt.datetime(2026, 11, 26, 9, 0))


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "board.db"


@pytest.fixture
def store(store_path: Path, clock: FixedClock) -> Iterator[Database]:
    db, health = open_store(store_path)
    assert health.ok
    commands.set_ward(db, WARD, "Demo ward 7A", clock)
    yield db
    db.close()


@pytest.fixture
def author(clock: FixedClock) -> commands.Author:
    return commands.Author(ward=WARD, initials="JM", clock=clock)


# A real central store on loopback (SQLite, and a temporary PostgreSQL cluster): used by the
# central, sync and UI tests alike.
from tests.support.fixtures import (  # noqa: E402
    central,
    central_postgres,
    central_sqlite,
    postgres_url,
)

__all__ = ["central", "central_postgres", "central_sqlite", "postgres_url"]

"""How the UI reaches the local store: each worker thread opens its own connection (SQLite
objects never cross threads), read-only when the file failed its quick_check."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db import StoreHealth, StoreUnavailable, connect, connect_raw


class StoreAccess:
    def __init__(self, path: Path, health: StoreHealth) -> None:
        self.path = path
        self.health = health

    @property
    def writable(self) -> bool:
        return self.health.ok

    @contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """A connection for reads in the calling (worker) thread, closed afterwards."""
        conn = connect_raw(self.path, read_only=not self.health.ok)
        try:
            yield conn
        finally:
            conn.close()

    @contextmanager
    def writer(self) -> Iterator[Database]:
        if not self.health.ok:
            raise StoreUnavailable(f"Changes are not being saved: {self.health.problem}")
        db = connect(self.path)
        try:
            yield db
        finally:
            db.close()

"""How the UI reaches the local store. Workers run on a small pool of threads; each thread
keeps its own connection (SQLite objects never cross threads), read-only when the file failed
its quick_check. Keeping them open avoids reopening the file for every read, and the churn of
the last connection closing (which checkpoints and removes the WAL) while others open."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db import StoreHealth, StoreUnavailable, connect_raw


class StoreAccess:
    def __init__(self, path: Path, health: StoreHealth) -> None:
        self.path = path
        self.health = health
        self._local = threading.local()

    @property
    def writable(self) -> bool:
        return self.health.ok

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_raw(self.path, read_only=not self.health.ok)
            self._local.conn = conn
        return conn

    @contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """The calling (worker) thread's connection, for reads."""
        yield self._connection()

    @contextmanager
    def writer(self) -> Iterator[Database]:
        """The calling (worker) thread's connection as a sqlite-utils Database, for
        `db.commands` (which open their own BEGIN IMMEDIATE transactions)."""
        if not self.health.ok:
            raise StoreUnavailable(f"Changes are not being saved: {self.health.problem}")
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            from sqlite_utils import Database

            db = Database(self._connection(), execute_plugins=False)
            self._local.db = db
        if db.conn.in_transaction:  # never expected: a command always ends its transaction
            db.conn.execute("ROLLBACK")
        yield db

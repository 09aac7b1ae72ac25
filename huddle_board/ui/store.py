"""How the UI reaches the local store. Workers run on a small pool of threads; each thread
keeps its own connection (SQLite objects never cross threads), read-only when the file failed
its quick_check. Keeping them open avoids reopening the file for every read, and the churn of
the last connection closing (which checkpoints and removes the WAL) while others open.

It also keeps what the board shows about the file's faults: `read_fault` (the last read
failed: the board keeps its last data) and `write_fault` (a write was refused for now: locked,
read-only or full disk); each clears itself once a read, or a write or `probe_write`, works.
Plain attributes, set from worker threads and read by the event loop: no SQLite object in
them."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db import (
    StoreHealth,
    StoreInterrupted,
    StoreUnavailable,
    connect_raw,
    refused_write,
    store_fault,
)


class StoreAccess:
    def __init__(
        self, path: Path, health: StoreHealth, now: Callable[[], dt.datetime] | None = None
    ) -> None:
        self.path = path
        self.health = health
        self._now = now
        # When a read last worked (what "showing the data as of" says during a read fault).
        self.last_read_at: dt.datetime | None = None
        self._local = threading.local()
        self.read_fault: str | None = None
        self.write_fault: str | None = None

    @property
    def writable(self) -> bool:
        return self.health.ok

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = connect_raw(self.path, read_only=not self.health.ok)
            self._local.conn = conn
        return conn

    def _drop_connection(self) -> None:
        """Close the calling thread's connection after a fault: the next use opens a new one
        (a file that was replaced, or a disk that came back, is then seen afresh)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        self._local.db = None
        if conn is not None:
            with suppress(sqlite3.Error):
                conn.close()

    @contextmanager
    def session(self) -> Iterator[sqlite3.Connection]:
        """The calling (worker) thread's connection, for reads. A read that fails on the
        file (not on the query) sets `read_fault`; one that works clears it."""
        try:
            yield self._connection()
        except sqlite3.DatabaseError as error:
            # the file's fault (locked, unreadable, not a database), not a programming error
            if isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError:
                self.read_fault = store_fault(error)
                self._drop_connection()
            raise
        self.read_fault = None
        if self._now is not None:
            self.last_read_at = self._now()

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
        try:
            yield db
        except StoreInterrupted as refused:
            self.write_fault = str(refused)
            raise
        self.write_fault = None

    def probe_write(self) -> bool:
        """Whether the file takes a write again (after `write_fault`): one real write
        transaction that changes nothing (`user_version` set to what it is). Clears
        `write_fault` when it works."""
        conn = self._connection()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                version = int(conn.execute("PRAGMA user_version").fetchone()[0])
                conn.execute(f"PRAGMA user_version={version}")
                conn.execute("COMMIT")
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
        except sqlite3.Error as error:
            self.write_fault = str(refused_write(error))
            return False
        self.write_fault = None
        return True

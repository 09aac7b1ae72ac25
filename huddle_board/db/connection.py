"""Opening the local store: one connection per thread, each with WAL (checked), synchronous=FULL,
foreign keys on and a busy timeout; writes begin with BEGIN IMMEDIATE; `quick_check` at start."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlite_utils import Database


class Reader(Protocol):
    """What the read queries need: a plain sqlite3 connection or a sqlite-utils Database.
    (The board's start-up reads through a plain connection, so it need not import
    sqlite-utils before its first frame; every write goes through sqlite-utils.)"""

    def execute(self, sql: str, parameters: Any = ..., /) -> sqlite3.Cursor: ...


class StoreUnavailable(RuntimeError):
    """The store cannot take this write: damaged, read-only, or locked for too long."""


class StoreInterrupted(StoreUnavailable):
    """The store refused a write for now, and trying again later may work: the file is locked
    by another program, the disk refuses writes (read-only, failing) or is full. The write was
    rolled back whole; nothing of it was committed."""


def store_fault(error: sqlite3.Error) -> str:
    """What went wrong with the store, in words for the ward (from SQLite's error code)."""
    name = str(getattr(error, "sqlite_errorname", "") or "")
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return "the board's data file is locked by another program"
    if name.startswith("SQLITE_READONLY") or name.startswith("SQLITE_IOERR"):
        return f"the disk refuses to write the board's data file ({error})"
    if name.startswith("SQLITE_FULL"):
        return "the disk is full"
    if name.startswith(("SQLITE_CANTOPEN", "SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return f"the board's data file cannot be read ({error})"
    return f"the board's data file cannot be used ({error})"


def refused_write(error: sqlite3.Error) -> StoreUnavailable:
    """The exception for a write SQLite refused: StoreInterrupted when it may pass (locked,
    read-only, failing or full disk), StoreUnavailable when it will not (a damaged file)."""
    name = str(getattr(error, "sqlite_errorname", "") or "")
    transient = name.startswith(
        ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_FULL")
    )
    kind = StoreInterrupted if transient else StoreUnavailable
    return kind(f"Changes cannot be saved: {store_fault(error)}")


@dataclass(frozen=True)
class StoreHealth:
    ok: bool
    problem: str = ""


def connect_raw(path: Path | str, *, read_only: bool = False) -> sqlite3.Connection:
    """A plain connection for the calling thread only, with the house pragmas: WAL (checked),
    synchronous=FULL, foreign keys on, a 5 s busy timeout; autocommit, so that writes open
    their own BEGIN IMMEDIATE transaction."""
    target = str(path)
    if read_only:
        uri = f"file:{Path(target).resolve()}?mode=ro"
        conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=True)
    else:
        conn = sqlite3.connect(target, isolation_level=None, check_same_thread=True)
    conn.execute("PRAGMA busy_timeout=5000")
    try:
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.DatabaseError:
        if not read_only:
            conn.close()
            raise
        # A damaged file opened read-only may not even answer pragmas: reads say so later.
    if not read_only and target != ":memory:":
        # WAL persists in the file: switching needs the write lock, so it is done only when
        # the file is not in WAL yet (a new store); every connection checks it.
        mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            conn.close()
            raise StoreUnavailable(f"{target}: could not switch to WAL journal (got {mode})")
    return conn


def connect(path: Path | str, *, read_only: bool = False) -> Database:
    """A sqlite-utils Database on a new connection for the calling thread only (SQLite
    objects never cross threads)."""
    from sqlite_utils import Database

    return Database(connect_raw(path, read_only=read_only), execute_plugins=False)


def check_store(path: Path | str) -> StoreHealth:
    """Run `quick_check` on an existing file. A damaged file is kept as it is, never repaired
    or replaced here: the board then opens it read-only and refuses writes."""
    if not Path(path).exists():
        return StoreHealth(True)
    try:
        conn = sqlite3.connect(f"file:{Path(path).resolve()}?mode=ro", uri=True)
        try:
            rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return StoreHealth(False, f"the board's database file is damaged ({error})")
    if rows != ["ok"]:
        return StoreHealth(False, "the board's database file is damaged: " + "; ".join(rows[:3]))
    return StoreHealth(True)


@contextmanager
def transaction(db: Database) -> Iterator[Database]:
    """A write transaction that takes the write lock at once (BEGIN IMMEDIATE): it commits on
    success, rolls back on any error, and turns a refused write into StoreUnavailable."""
    conn = db.conn
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.DatabaseError as error:
        raise refused_write(error) from error
    try:
        yield db
        conn.execute("COMMIT")
    except BaseException as error:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        # Locked, read-only, full or damaged: the store's fault, not the input's.
        if isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError:
            raise refused_write(error) from error
        raise


@contextmanager
def read_transaction(db: Reader) -> Iterator[None]:
    """One read transaction around the caller's reads, so they all see the same moment
    (unless the caller already holds a transaction). A sqlite3 connection or a sqlite-utils
    Database; nothing is written, so it ends with a rollback."""
    conn = getattr(db, "conn", db)  # a sqlite-utils Database wraps its connection
    if not isinstance(conn, sqlite3.Connection) or conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        yield
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")

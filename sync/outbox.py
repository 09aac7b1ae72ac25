"""The kiosk's outbox, as the push job sees it: read a batch of queued entries as protocol
Entries, acknowledge by rev, set aside (dead letters, never deleted), retry, count.

`db.commands` writes each row and its outbox row (entity, entity_id, rev) in one transaction;
an edit replaces the outbox row's rev (and clears any set-aside mark). So an acknowledgement
deletes the outbox row only where its rev still equals the rev that was pushed: an edit made
while the push was on the wire stays queued and goes in the next batch.

Order is the outbox's insertion order (rowid), never a timestamp: the kiosk's clock may be
wrong. Plain sqlite3 on the calling thread's own connection; reads run in one read
transaction (a consistent snapshot of outbox and tables), writes in BEGIN IMMEDIATE, and no
transaction is ever held open by this module once a function returns.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from huddle_board.db.migrations import SYNCED_TABLES
from sync import protocol
from sync.protocol import Entry

ENVELOPE = ("id", "ward", "rev", "updated_at", "deleted")
"""The columns an Entry carries itself; every other column of a synced row goes in `data`."""
_CHUNK = 400  # ids per `IN (...)` query, below SQLite's oldest parameter limit (999)
_BODY_OVERHEAD = len(b'{"entries":[]}')

Key = tuple[str, str]


class Connection(Protocol):
    """A plain sqlite3 connection or a sqlite-utils Database: both execute SQL."""

    def execute(self, sql: str, parameters: Any = ..., /) -> sqlite3.Cursor: ...


@dataclass(frozen=True)
class Unusable:
    """A queued entry that cannot be sent as it is (its row is missing, or holds a value JSON
    cannot carry): the push cycle sets it aside with this reason."""

    entity: str
    entity_id: str
    rev: int
    reason: str


@dataclass(frozen=True)
class Batch:
    entries: list[Entry]
    unusable: list[Unusable]

    def __bool__(self) -> bool:
        return bool(self.entries or self.unusable)


@contextmanager
def writing(conn: Connection) -> Iterator[None]:
    """A short write transaction: BEGIN IMMEDIATE, COMMIT, or ROLLBACK on any error."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


@contextmanager
def reading(conn: Connection) -> Iterator[None]:
    """A read transaction, so several SELECTs see one snapshot (WAL readers never block)."""
    conn.execute("BEGIN")
    try:
        yield
    finally:
        conn.execute("COMMIT")


def _json_safe(value: Any) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int)


def entry_from_row(entity: str, row: Mapping[str, Any]) -> Entry:
    """The protocol Entry for one synced row; ValueError names a value JSON cannot carry."""
    data: dict[str, Any] = {}
    for name, value in row.items():
        if name in ENVELOPE:
            continue
        if not _json_safe(value):
            kind = "binary data" if isinstance(value, bytes) else repr(value)[:40]
            raise ValueError(f"column {name} holds {kind}, which the protocol cannot carry")
        data[name] = value
    return Entry(
        entity=entity,
        id=str(row["id"]),
        rev=int(row["rev"]),
        ward=str(row["ward"]),
        updated_at=str(row["updated_at"]),
        deleted=bool(row["deleted"]),
        data=data,
    )


def entry_size(entry: Entry) -> int:
    """The bytes this entry adds to a push body (its JSON plus a separating comma)."""
    return len(protocol.dumps(entry.to_json())) + 1


def _rows(conn: Connection, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        marks = ", ".join("?" for _ in chunk)
        cursor = conn.execute(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk)
        names = [column[0] for column in cursor.description]
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            found[str(row["id"])] = row
    return found


def read_batch(
    conn: Connection,
    limit: int = protocol.MAX_ENTRIES,
    max_bytes: int = protocol.MAX_BODY_BYTES,
) -> Batch:
    """Up to `limit` queued entries (not set aside), oldest first, whose push body fits in
    `max_bytes` (the first entry is always taken, however big: the store decides). Entries
    that cannot be sent come back in `unusable` for the caller to set aside."""
    if limit < 1:
        raise ValueError("a batch holds at least one entry")
    with reading(conn):
        queued = conn.execute(
            "SELECT entity, entity_id, rev FROM outbox WHERE set_aside = 0 ORDER BY rowid LIMIT ?",
            [limit],
        ).fetchall()
        by_entity: dict[str, list[str]] = {}
        for entity, entity_id, _rev in queued:
            by_entity.setdefault(entity, []).append(entity_id)
        rows = {
            entity: _rows(conn, SYNCED_TABLES[entity], ids)
            for entity, ids in by_entity.items()
            if entity in SYNCED_TABLES
        }
    entries: list[Entry] = []
    unusable: list[Unusable] = []
    size = _BODY_OVERHEAD
    for entity, entity_id, rev in queued:
        row = rows.get(entity, {}).get(entity_id)
        problem = ""
        if entity not in SYNCED_TABLES:
            problem = f"{entity!r} is not a synced entity"
        elif row is None:
            problem = f"the {entity} row is missing from the board's database"
        elif int(row["rev"]) != int(rev):
            # Both are written in one transaction, so this is a damaged or hand-edited file.
            problem = f"the outbox holds rev {rev} but the {entity} row is at rev {row['rev']}"
        if problem:
            unusable.append(Unusable(entity, entity_id, int(rev), problem))
            continue
        assert row is not None
        try:
            entry = entry_from_row(entity, row)
        except ValueError as error:
            unusable.append(Unusable(entity, entity_id, int(rev), str(error)))
            continue
        grown = size + entry_size(entry)
        if entries and grown > max_bytes:
            break
        entries.append(entry)
        size = grown
    return Batch(entries, unusable)


def ack(conn: Connection, entries: Iterable[Entry]) -> int:
    """Delete the outbox rows of entries the store has taken, only where the queued rev is
    still the pushed one. Inside the caller's write transaction; returns how many."""
    done = 0
    for entry in entries:
        cursor = conn.execute(
            "DELETE FROM outbox WHERE entity = ? AND entity_id = ? AND rev = ? AND set_aside = 0",
            [entry.entity, entry.id, entry.rev],
        )
        done += cursor.rowcount
    return done


def set_aside(conn: Connection, items: Iterable[tuple[str, str, int, str]]) -> int:
    """Mark (entity, entity_id, rev, reason) as set aside: kept in the outbox, no longer sent
    until retried or edited again. A newer rev queued meanwhile is left to be tried on its
    own. Inside the caller's write transaction; returns how many."""
    done = 0
    for entity, entity_id, rev, reason in items:
        cursor = conn.execute(
            "UPDATE outbox SET set_aside = 1, reason = ?, attempts = attempts + 1 "
            "WHERE entity = ? AND entity_id = ? AND rev = ?",
            [reason[:1000] or "refused by the store", entity, entity_id, rev],
        )
        done += cursor.rowcount
    return done


def note_attempt(conn: Connection, entries: Iterable[Entry]) -> None:
    """Count one more failed attempt for each entry (shown beside a set-aside entry).
    Inside the caller's write transaction."""
    for entry in entries:
        conn.execute(
            "UPDATE outbox SET attempts = attempts + 1 "
            "WHERE entity = ? AND entity_id = ? AND rev = ?",
            [entry.entity, entry.id, entry.rev],
        )


def retry(conn: Connection, keys: Iterable[Key] | None = None) -> int:
    """Put set-aside entries back in the queue: those with the given (entity, entity_id)
    keys, or all when `keys` is None. Inside the caller's write transaction."""
    if keys is None:
        return conn.execute(
            "UPDATE outbox SET set_aside = 0, reason = '' WHERE set_aside = 1"
        ).rowcount
    done = 0
    for entity, entity_id in keys:
        cursor = conn.execute(
            "UPDATE outbox SET set_aside = 0, reason = '' "
            "WHERE entity = ? AND entity_id = ? AND set_aside = 1",
            [entity, entity_id],
        )
        done += cursor.rowcount
    return done


def count_waiting(conn: Connection) -> int:
    """Entries queued to be sent (set-aside ones not counted)."""
    return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE set_aside = 0").fetchone()[0])


def count_set_aside(conn: Connection) -> int:
    return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE set_aside = 1").fetchone()[0])

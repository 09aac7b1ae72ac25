"""How sync stands, read from the kiosk database: for the board's footer and sync screen (read
in the board's worker threads) and for `huddle-sync status`.

The push job writes one `sync_state` row after each cycle (migration 0002_sync_local): when it
last succeeded, since when the store has been unreachable, why it was refused. The times are
for people to read; nothing is ordered or decided by them. Waiting and set-aside counts come
straight from the outbox.

Plain sqlite3 (or a sqlite-utils Database): no Textual, no httpx.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from huddle_board.clock import Clock, utc_stamp
from huddle_board.db.connection import refused_write
from sync import outbox
from sync.outbox import Connection, Key
from sync.protocol import parse_timestamp

Headline = Literal["not set up", "refused", "offline", "waiting", "synced"]


@dataclass(frozen=True)
class SyncStatus:
    configured: bool
    """Whether this kiosk has a store URL and a token file set."""
    waiting: int
    """Entries queued to be pushed (set-aside ones not counted)."""
    set_aside: int
    """Entries the store refused or that could not be sent; kept, shown, retried on request."""
    last_success_at: dt.datetime | None
    """When a push cycle last finished with the store taking everything sent (UTC)."""
    offline_since: dt.datetime | None
    """Since when the store has been unreachable or busy (UTC); None when it answers."""
    refused: str | None
    """Why the store refused this kiosk (token revoked or unknown, wrong ward), or why the
    kiosk cannot push (its token file); None when not refused."""
    last_attempt_at: dt.datetime | None
    detail: str
    """The last cycle's detail (an error message, or empty)."""

    @property
    def headline(self) -> Headline:
        """The one word for the footer: not set up, refused, offline, waiting or synced."""
        if not self.configured:
            return "not set up"
        if self.refused:
            return "refused"
        if self.offline_since is not None:
            return "offline"
        if self.waiting or self.last_success_at is None:
            return "waiting"
        return "synced"


@dataclass(frozen=True)
class SetAsideEntry:
    entity: str
    entity_id: str
    rev: int
    queued_at: str
    attempts: int
    reason: str

    @property
    def key(self) -> Key:
        return (self.entity, self.entity_id)


def _when(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return parse_timestamp(text)
    except ValueError:
        return None


def read_status(conn: Connection, configured: bool) -> SyncStatus:
    """The sync state as it stands; a store from before migration 0002 reads as 'never ran'."""
    waiting = outbox.count_waiting(conn)
    aside = outbox.count_set_aside(conn)
    try:
        row = conn.execute(
            "SELECT last_success_at, offline_since, refused, last_attempt_at, detail "
            "FROM sync_state WHERE id = 1"
        ).fetchone()
    except sqlite3.OperationalError:
        row = None
    if row is None:
        row = (None, None, None, None, "")
    return SyncStatus(
        configured=configured,
        waiting=waiting,
        set_aside=aside,
        last_success_at=_when(row[0]),
        offline_since=_when(row[1]),
        refused=row[2] or None,
        last_attempt_at=_when(row[3]),
        detail=str(row[4] or ""),
    )


def set_aside_entries(conn: Connection, limit: int | None = None) -> list[SetAsideEntry]:
    """The entries set aside, oldest queued first, with their reasons."""
    sql = (
        "SELECT entity, entity_id, rev, queued_at, attempts, reason FROM outbox "
        "WHERE set_aside = 1 ORDER BY rowid"
    )
    params: list[int] = []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [
        SetAsideEntry(str(e), str(i), int(r), str(q), int(a), str(reason))
        for e, i, r, q, a, reason in conn.execute(sql, params)
    ]


def retry_set_aside(conn: Connection, keys: Iterable[Key] | None) -> int:
    """Queue set-aside entries again, by (entity, entity_id), or all of them when `keys` is
    None; returns how many. Nothing is deleted: an entry refused again is set aside again.
    Its own BEGIN IMMEDIATE transaction; StoreUnavailable when the file cannot be written."""
    try:
        with outbox.writing(conn):
            return outbox.retry(conn, None if keys is None else list(keys))
    except sqlite3.OperationalError as error:  # locked for too long, read-only, full
        raise refused_write(error) from error


def record_outcome(conn: Connection, clock: Clock, outcome: str, detail: str = "") -> None:
    """Write what a push cycle came to (see `sync.push.Outcome`) in one short transaction."""
    now = utc_stamp(clock)
    with outbox.writing(conn):
        conn.execute("INSERT OR IGNORE INTO sync_state (id) VALUES (1)")
        if outcome in ("synced", "pending"):
            conn.execute(
                "UPDATE sync_state SET last_success_at = ?, offline_since = NULL, "
                "refused = NULL, last_attempt_at = ?, detail = ? WHERE id = 1",
                [now, now, detail],
            )
        elif outcome in ("offline", "busy"):
            conn.execute(
                "UPDATE sync_state SET offline_since = COALESCE(offline_since, ?), "
                "last_attempt_at = ?, detail = ? WHERE id = 1",
                [now, now, detail],
            )
        elif outcome in ("refused", "misconfigured"):
            conn.execute(
                "UPDATE sync_state SET refused = ?, offline_since = NULL, "
                "last_attempt_at = ?, detail = ? WHERE id = 1",
                [detail or outcome, now, detail],
            )
        # "skipped": another pusher is at work and records its own outcome.


def describe(status: SyncStatus) -> list[str]:
    """`huddle-sync status` as lines of text (also handy for logs)."""

    def when(moment: dt.datetime | None) -> str:
        return moment.strftime("%Y-%m-%d %H:%M:%S UTC") if moment else "never"

    lines = [
        f"sync:          {status.headline}",
        f"waiting:       {status.waiting}",
        f"set aside:     {status.set_aside}",
        f"last success:  {when(status.last_success_at)}",
        f"offline since: {when(status.offline_since) if status.offline_since else '-'}",
        f"refused:       {status.refused or '-'}",
        f"last attempt:  {when(status.last_attempt_at)}",
    ]
    if status.detail:
        lines.append(f"detail:        {status.detail}")
    return lines

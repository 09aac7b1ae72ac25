"""The schema, as `sqlite_utils.Migrations` applied at start. Every syncable table carries
id, ward, rev, updated_at (information only), deleted (tombstone) and written_by (initials)."""

from __future__ import annotations

import sqlite3
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from huddle_board.db.connection import StoreHealth, check_store, connect, connect_raw

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

MIGRATION_SET = "huddle_board"

_SYNCED = """
    id TEXT PRIMARY KEY,
    ward TEXT NOT NULL,
    rev INTEGER NOT NULL CHECK (rev >= 1),
    updated_at TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    written_by TEXT NOT NULL,
"""

SYNCED_TABLES: dict[str, str] = {
    "measure": "measures",
    "week_value": "week_values",
    "idea": "ideas",
    "pdsa_cycle": "pdsa_cycles",
    "huddle": "huddles",
    "action": "actions",
}


def _initial(db: Database) -> None:
    _run_statements(
        db,
        f"""
        CREATE TABLE ward (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE measures ({_SYNCED}
            name TEXT NOT NULL,
            band TEXT NOT NULL CHECK (band IN ('performance', 'capacity', 'cost')),
            unit TEXT NOT NULL,
            decimals INTEGER NOT NULL DEFAULT 0,
            improvement TEXT NOT NULL CHECK (improvement IN ('increase','decrease','neutral')),
            target REAL,
            owner TEXT,
            every_n_weeks INTEGER NOT NULL DEFAULT 1,
            is_ratio INTEGER NOT NULL DEFAULT 0,
            ratio_scale REAL NOT NULL DEFAULT 1,
            position INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE week_values ({_SYNCED}
            measure_id TEXT NOT NULL REFERENCES measures(id),
            week TEXT NOT NULL,
            value REAL,
            numerator REAL,
            denominator REAL,
            UNIQUE (measure_id, week)
        );
        CREATE INDEX week_values_week ON week_values(week);
        CREATE TABLE ideas ({_SYNCED}
            title TEXT NOT NULL,
            problem TEXT NOT NULL DEFAULT '',
            raised_by TEXT NOT NULL,
            raised_on TEXT NOT NULL,
            measure_id TEXT REFERENCES measures(id),
            impact TEXT CHECK (impact IN ('high', 'low')),
            effort TEXT CHECK (effort IN ('easy', 'hard')),
            owner TEXT,
            status TEXT NOT NULL
                CHECK (status IN ('new','in_test','adopted','parked','abandoned')),
            status_changed_on TEXT NOT NULL
        );
        CREATE INDEX ideas_status ON ideas(status, raised_on);
        CREATE TABLE pdsa_cycles ({_SYNCED}
            idea_id TEXT NOT NULL REFERENCES ideas(id),
            number INTEGER NOT NULL,
            plan TEXT NOT NULL,
            prediction TEXT NOT NULL,
            do TEXT NOT NULL DEFAULT '',
            study TEXT NOT NULL DEFAULT '',
            act TEXT CHECK (act IN ('adopt', 'adapt', 'abandon')),
            started_on TEXT NOT NULL,
            finished_on TEXT
        );
        CREATE INDEX pdsa_cycles_idea ON pdsa_cycles(idea_id, number);
        CREATE TABLE huddles ({_SYNCED}
            kind TEXT NOT NULL CHECK (kind IN ('daily', 'weekly')),
            held_on TEXT NOT NULL,
            started_at TEXT NOT NULL,
            duration_s INTEGER NOT NULL DEFAULT 0,
            lead TEXT NOT NULL,
            attendance TEXT NOT NULL DEFAULT '{{}}',
            notes TEXT NOT NULL DEFAULT '{{}}',
            closed INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX huddles_held_on ON huddles(held_on, started_at);
        CREATE TABLE actions ({_SYNCED}
            text TEXT NOT NULL,
            owner TEXT NOT NULL,
            due_on TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('open', 'done', 'dropped')),
            source_kind TEXT CHECK (source_kind IN ('huddle', 'idea')),
            source_id TEXT,
            raised_on TEXT NOT NULL,
            closed_on TEXT,
            escalated INTEGER NOT NULL DEFAULT 0,
            escalation_reason TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX actions_open ON actions(status, due_on);
        CREATE TABLE outbox (
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            rev INTEGER NOT NULL,
            queued_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            set_aside INTEGER NOT NULL DEFAULT 0,
            reason TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (entity, entity_id)
        );
        """,
    )


def _run_statements(db: Database, script: str) -> None:
    # executescript() would COMMIT the migration's transaction first: run one by one instead.
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def _sync_local(db: Database) -> None:
    """The push job's own tables, local to this kiosk and never synced (no outbox rows):
    `sync_lease` names the one process allowed to push (see `sync.job`), `sync_state` is one
    row saying how the last push went, for the board's footer and `huddle-sync status`.
    Timestamps here are information for people; nothing is ordered by them."""
    _run_statements(
        db,
        """
        CREATE TABLE sync_lease (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            boot TEXT NOT NULL DEFAULT '',
            expires REAL NOT NULL
        );
        CREATE TABLE sync_state (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            last_success_at TEXT,
            offline_since TEXT,
            refused TEXT,
            last_attempt_at TEXT,
            detail TEXT NOT NULL DEFAULT ''
        );
        INSERT INTO sync_state (id) VALUES (1)
        """,
    )


def _kiosk_admin(db: Database) -> None:
    """The kiosk's admin PIN, local to this PC and never synced (no outbox rows): one row with
    a salted scrypt hash of the PIN (see `huddle_board.kiosk`), never the PIN itself."""
    _run_statements(
        db,
        """
        CREATE TABLE kiosk_admin (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            pin_hash TEXT,
            set_at TEXT
        )
        """,
    )


def _kiosk_settings(db: Database) -> None:
    """Settings changed on the kiosk's admin screen, local to this PC and never synced (no
    outbox rows): a setting's name, its value as text (as in the settings file), and who set
    it when. They apply over the settings file (see `huddle_board.kiosk`)."""
    _run_statements(
        db,
        """
        CREATE TABLE kiosk_settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            set_by TEXT NOT NULL,
            set_at TEXT NOT NULL
        )
        """,
    )


def _measure_rebases(db: Database) -> None:
    """A measure's rebases, on the measure's own row so that they sync with it: a JSON list
    of {"week": "2026-03-02", "reason": "..."}, oldest first (see `commands.add_rebase`)."""
    db.execute("ALTER TABLE measures ADD COLUMN rebases TEXT NOT NULL DEFAULT '[]'")


# (name, function) in order; names are never changed once released.
MIGRATIONS = (
    ("0001_initial", _initial),
    ("0002_sync_local", _sync_local),
    ("0003_kiosk_admin", _kiosk_admin),
    ("0004_kiosk_settings", _kiosk_settings),
    ("0005_measure_rebases", _measure_rebases),
)


@cache
def _migration_set() -> Migrations:
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for name, function in MIGRATIONS:
        migrations(name=name)(function)
    return migrations


def migrate(db: Database) -> None:
    """Bring the schema up to date; safe to run on every start."""
    _migration_set().apply(db)


def is_current(conn: sqlite3.Connection) -> bool:
    """Whether every migration is already applied (read with plain SQL, so a start-up that
    needs no migration does not import sqlite-utils)."""
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET]
        ).fetchall()
    except sqlite3.OperationalError:
        return False
    return {name for name, _ in MIGRATIONS} <= {row[0] for row in rows}


def open_store(path: Path | str) -> tuple[Database, StoreHealth]:
    """Check, open and migrate the store at `path` for the calling thread. A damaged file is
    opened read-only (writes refused) and reported in the returned health, never replaced."""
    health = check_store(path)
    if not health.ok:
        return connect(path, read_only=True), health
    db = connect(path)
    migrate(db)
    return db, health


def open_for_reading(
    path: Path | str, health: StoreHealth | None = None
) -> tuple[sqlite3.Connection, StoreHealth]:
    """Like `open_store`, but a plain connection for reads: what the board's start-up uses.
    `health` is the file's `check_store` result when the caller has already run it."""
    health = check_store(path) if health is None else health
    if not health.ok:
        return connect_raw(path, read_only=True), health
    conn = connect_raw(path)
    if not is_current(conn):
        db, _ = open_store(path)
        db.close()
    return conn, health

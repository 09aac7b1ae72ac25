"""Helpers for the end-to-end sync tests: compare a kiosk store with what the real
`huddle-central` holds (read from its database through tests/support)."""

from __future__ import annotations

import json
from typing import Any

from huddle_board.db.connection import Reader
from huddle_board.db.migrations import SYNCED_TABLES
from sync.outbox import ENVELOPE
from tests.support.central import CentralProcess, all_rows


def local_rows(conn: Reader) -> dict[tuple[str, str], dict[str, Any]]:
    """Every synced row of a kiosk store, by (entity, id)."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for entity, table in SYNCED_TABLES.items():
        cursor = conn.execute(f"SELECT * FROM {table}")
        names = [column[0] for column in cursor.description]
        for values in cursor.fetchall():
            row = dict(zip(names, values, strict=True))
            found[(entity, str(row["id"]))] = row
    return found


def local_counts(conn: Reader) -> dict[str, int]:
    return {
        entity: int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
        for entity, table in SYNCED_TABLES.items()
    }


def central_entries(central: CentralProcess, ward: str) -> dict[tuple[str, str], dict[str, Any]]:
    """The store's current rows for `ward`, by (entity, id), read from its database."""
    rows = [row for row in all_rows(central.db, "entries") if row["ward"] == ward]
    found = {(row["entity"], row["id"]): row for row in rows}
    assert len(found) == len(rows), "a (entity, id) twice in the store"
    return found


def central_counts(central: CentralProcess, ward: str) -> dict[str, int]:
    counts = dict.fromkeys(SYNCED_TABLES, 0)
    for entity, _ in central_entries(central, ward):
        counts[entity] += 1
    return counts


def central_revisions(central: CentralProcess) -> list[tuple[str, str, int]]:
    """Every revision the store has kept, as (entity, id, rev); each at most once."""
    revisions = [
        (row["entity"], row["id"], int(row["rev"])) for row in all_rows(central.db, "revisions")
    ]
    assert len(set(revisions)) == len(revisions), "a revision stored twice"
    return revisions


def assert_store_matches(conn: Reader, central: CentralProcess, ward: str) -> None:
    """Every local row is in the store exactly once, at the same rev, with the same content."""
    local = local_rows(conn)
    remote = central_entries(central, ward)
    assert set(local) == set(remote)
    for key, row in local.items():
        stored = remote[key]
        assert int(stored["rev"]) == row["rev"], key
        assert bool(stored["deleted"]) == bool(row["deleted"]), key
        data = json.loads(stored["data"])
        assert data == {k: v for k, v in row.items() if k not in ENVELOPE}, key

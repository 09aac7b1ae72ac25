"""The outbox as the push job reads it: entries built from the synced tables, oldest first,
acknowledged only by rev, set aside but never deleted."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3

from sqlite_utils import Database

from huddle_board.db import commands
from huddle_board.db.commands import Author, IdeaDraft
from sync import outbox, protocol, state


def _ideas(store: Database, author: Author, count: int) -> list[str]:
    return [commands.add_idea(store, author, IdeaDraft(f"Idea {n}")) for n in range(count)]


def test_entries_carry_the_row_as_the_protocol_says(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    idea = commands.add_idea(store, author, IdeaDraft("Fewer falls at night", "Beds 3-5"))
    commands.set_idea_status(store, author, idea, "parked")
    batch = outbox.read_batch(conn)
    assert batch.unusable == []
    (entry,) = batch.entries
    assert (entry.entity, entry.id, entry.rev, entry.ward) == ("idea", idea, 2, "DEMO-7A")
    assert entry.deleted is False
    assert entry.updated_at.endswith("Z")
    assert entry.data["title"] == "Fewer falls at night"
    assert entry.data["status"] == "parked"
    assert entry.data["written_by"] == "JM"
    assert not set(entry.data) & {"id", "ward", "rev", "updated_at", "deleted"}
    # What the store parses is what the kiosk built.
    assert protocol.parse_push(protocol.push_body([entry])) == [entry]


def test_tombstones_go_as_deleted_true(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    action = commands.add_action(store, author, "Order bed rails", "JM", dt.date(2026, 12, 1))
    commands.delete(store, author, "action", action)
    (entry,) = outbox.read_batch(conn).entries
    assert entry.deleted is True and entry.rev == 2


def test_oldest_queued_first_and_limit(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    ids = _ideas(store, author, 5)
    # Editing the first idea again keeps its place: the outbox row is updated, not re-added.
    commands.set_idea_status(store, author, ids[0], "parked")
    batch = outbox.read_batch(conn, limit=3)
    assert [e.id for e in batch.entries] == ids[:3]
    assert batch.entries[0].rev == 2


def test_batch_stops_before_the_body_limit(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    _ideas(store, author, 10)
    one = outbox.entry_size(outbox.read_batch(conn, limit=1).entries[0])
    batch = outbox.read_batch(conn, max_bytes=one * 3 + 20)
    assert len(batch.entries) == 3
    assert len(protocol.push_body(batch.entries)) <= one * 3 + 20
    # The first entry is always taken, however small the limit: the store decides.
    assert len(outbox.read_batch(conn, max_bytes=10).entries) == 1


def test_ack_only_where_the_rev_still_matches(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    _first, second = _ideas(store, author, 2)
    pushed = outbox.read_batch(conn).entries
    # An edit lands while the batch is on the wire.
    commands.set_idea_status(store, author, second, "parked")
    with outbox.writing(conn):
        assert outbox.ack(conn, pushed) == 1
    rows = conn.execute("SELECT entity_id, rev FROM outbox").fetchall()
    assert rows == [(second, 2)]


def test_set_aside_is_kept_shown_and_retried(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    first, second = _ideas(store, author, 2)
    with outbox.writing(conn):
        assert outbox.set_aside(conn, [("idea", first, 1, "title: too long")]) == 1
    assert outbox.count_waiting(conn) == 1
    assert outbox.count_set_aside(conn) == 1
    assert [e.id for e in outbox.read_batch(conn).entries] == [second]
    # An ack never removes a set-aside entry.
    entry = protocol.Entry("idea", first, 1, "DEMO-7A", "2026-11-26T09:00:00Z", False)
    with outbox.writing(conn):
        assert outbox.ack(conn, [entry]) == 0
    (aside,) = state.set_aside_entries(conn)
    assert (aside.entity, aside.entity_id, aside.rev, aside.reason) == (
        "idea",
        first,
        1,
        "title: too long",
    )
    assert aside.attempts == 1
    assert state.retry_set_aside(conn, [aside.key]) == 1
    assert outbox.count_set_aside(conn) == 0
    assert outbox.count_waiting(conn) == 2
    assert state.retry_set_aside(conn, None) == 0


def test_an_edit_queues_a_set_aside_entry_again(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    (idea,) = _ideas(store, author, 1)
    with outbox.writing(conn):
        outbox.set_aside(conn, [("idea", idea, 1, "rejected")])
    commands.set_idea_status(store, author, idea, "parked")
    (entry,) = outbox.read_batch(conn).entries
    assert entry.rev == 2


def test_rows_the_protocol_cannot_carry_come_back_unusable(
    store: Database, author: Author, conn: sqlite3.Connection
) -> None:
    good, binary, missing = _ideas(store, author, 3)
    conn.execute("UPDATE ideas SET problem = ? WHERE id = ?", [b"\x00\x01", binary])
    conn.execute("UPDATE outbox SET entity_id = 'gone' WHERE entity_id = ?", [missing])
    batch = outbox.read_batch(conn)
    assert [e.id for e in batch.entries] == [good]
    reasons = {u.entity_id: u.reason for u in batch.unusable}
    assert "binary data" in reasons[binary]
    assert "missing" in reasons["gone"]
    json.dumps([e.to_json() for e in batch.entries])

"""Unit tests of the push cycle's reaction to each HTTP status, against an httpx MockTransport
(the same behaviours are shown against the real store in test_sync_e2e.py and
test_sync_faults.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database
from sync_support import Handler

from huddle_board.db import commands
from huddle_board.db.commands import Author, IdeaDraft
from huddle_board.db.connection import connect_raw
from sync import outbox, protocol, state
from sync.client import CentralClient
from sync.protocol import Entry, Result
from sync.push import push_cycle

MockClient = Callable[[Handler], CentralClient]


def _ideas(store: Database, author: Author, count: int) -> list[str]:
    return [commands.add_idea(store, author, IdeaDraft(f"Idea {n}")) for n in range(count)]


def _applied(request: httpx.Request) -> httpx.Response:
    entries = protocol.parse_push(request.content)
    results = [Result(e.entity, e.id, e.rev, "applied") for e in entries]
    return httpx.Response(200, content=protocol.results_body(results))


def test_drains_in_batches_and_acks(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    _ideas(store, author, 12)
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sizes.append(len(protocol.parse_push(request.content)))
        return _applied(request)

    report = push_cycle(conn, mock_client(handler), batch_size=5)
    assert report.outcome == "synced"
    assert sizes == [5, 5, 2]
    assert (report.sent, report.applied, report.acked, report.waiting) == (12, 12, 12, 0)


def test_no_transaction_is_open_while_a_request_is_on_the_wire(
    store: Database,
    author: Author,
    conn: sqlite3.Connection,
    store_path: Path,
    mock_client: MockClient,
) -> None:
    _ideas(store, author, 3)
    other = connect_raw(store_path)

    def handler(request: httpx.Request) -> httpx.Response:
        assert not conn.in_transaction
        # Staff can write while the push waits for the store: the write lock is free.
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return _applied(request)

    assert push_cycle(conn, mock_client(handler), batch_size=1).outcome == "synced"
    other.close()


def test_duplicate_and_stale_are_acked_rejected_is_set_aside(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    a, b, c = _ideas(store, author, 3)
    answers = {a: "duplicate", b: "stale", c: "rejected"}

    def handler(request: httpx.Request) -> httpx.Response:
        results = [
            Result(e.entity, e.id, e.rev, answers[e.id], "id belongs to another ward")  # type: ignore[arg-type]
            for e in protocol.parse_push(request.content)
        ]
        return httpx.Response(200, content=protocol.results_body(results))

    report = push_cycle(conn, mock_client(handler))
    assert (report.outcome, report.duplicate, report.stale, report.set_aside) == ("synced", 1, 1, 1)
    (aside,) = state.set_aside_entries(conn)
    assert (aside.entity_id, aside.reason) == (c, "id belongs to another ward")


def test_an_edit_during_the_push_stays_queued(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    (idea,) = _ideas(store, author, 1)
    pushed: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        pushed.extend(e.rev for e in protocol.parse_push(request.content))
        return _applied(request)

    def edit(entries: Sequence[Entry]) -> None:
        if len(pushed) == 1:
            commands.set_idea_status(store, author, idea, "parked")

    report = push_cycle(conn, mock_client(handler), after_post=edit, max_batches=1)
    assert report.waiting == 1
    assert conn.execute("SELECT rev FROM outbox").fetchall() == [(2,)]
    assert push_cycle(conn, mock_client(handler)).outcome == "synced"
    assert pushed == [1, 2]


def test_413_halves_the_batch_and_sets_aside_a_lone_giant(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    ids = _ideas(store, author, 8)
    giant = ids[5]
    sizes: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        entries = protocol.parse_push(request.content)
        sizes.append(len(entries))
        if len(entries) > 2 or any(e.id == giant for e in entries):
            return httpx.Response(413, json={"detail": "too large"})
        return _applied(request)

    report = push_cycle(conn, mock_client(handler))
    assert report.outcome == "synced"
    assert sizes[:3] == [8, 4, 2]
    assert report.applied == 7 and report.set_aside == 1
    (aside,) = state.set_aside_entries(conn)
    assert aside.entity_id == giant and "too big" in aside.reason


def test_422_sets_aside_exactly_the_entries_named(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    ids = _ideas(store, author, 4)

    def handler(request: httpx.Request) -> httpx.Response:
        entries = protocol.parse_push(request.content)
        bad = [i for i, e in enumerate(entries) if e.id in (ids[1], ids[3])]
        if bad:
            detail = [{"loc": f"entries[{i}].data.title", "msg": "is too long"} for i in bad]
            return httpx.Response(422, json={"detail": detail})
        return _applied(request)

    report = push_cycle(conn, mock_client(handler))
    assert (report.outcome, report.applied, report.set_aside) == ("synced", 2, 2)
    reasons = {e.entity_id: e.reason for e in state.set_aside_entries(conn)}
    assert reasons == {
        ids[1]: "malformed: data.title: is too long",
        ids[3]: "malformed: data.title: is too long",
    }


def test_a_422_naming_no_entry_is_narrowed_down(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    ids = _ideas(store, author, 4)

    def handler(request: httpx.Request) -> httpx.Response:
        if any(e.id == ids[2] for e in protocol.parse_push(request.content)):
            return httpx.Response(422, json={"detail": [{"loc": "body", "msg": "odd"}]})
        return _applied(request)

    report = push_cycle(conn, mock_client(handler))
    assert (report.outcome, report.applied, report.set_aside) == ("synced", 3, 1)
    (aside,) = state.set_aside_entries(conn)
    assert aside.entity_id == ids[2] and "odd" in aside.reason


@pytest.mark.parametrize(
    ("status", "outcome", "detail"),
    [
        (500, "offline", "500"),
        (503, "offline", "503"),
        (429, "busy", "busy"),
        (401, "refused", "token refused (revoked or unknown)"),
        (403, "refused", "wrong ward"),
        (404, "offline", "store URL"),
    ],
)
def test_stopping_statuses_keep_the_queue(
    store: Database,
    author: Author,
    conn: sqlite3.Connection,
    mock_client: MockClient,
    status: int,
    outcome: str,
    detail: str,
) -> None:
    _ideas(store, author, 3)
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(status, headers={"Retry-After": "30"}, json={"detail": "no"})

    report = push_cycle(conn, mock_client(handler))
    assert report.outcome == outcome and detail in report.detail
    assert calls == [1]  # the cycle stops at the first such answer
    assert report.waiting == 3 and outbox.count_set_aside(conn) == 0
    assert report.retry_after == (30.0 if report.retryable else None)
    assert {row[0] for row in conn.execute("SELECT attempts FROM outbox")} == {1}


def test_network_error_stops_the_cycle_retryable(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    _ideas(store, author, 2)

    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("Server disconnected", request=request)

    report = push_cycle(conn, mock_client(handler))
    assert report.outcome == "offline" and report.retryable
    assert report.waiting == 2


def test_unusable_rows_are_set_aside_and_the_queue_moves_on(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    _good, bad = _ideas(store, author, 2)
    conn.execute("UPDATE ideas SET problem = ? WHERE id = ?", [b"\xff", bad])
    report = push_cycle(conn, mock_client(_applied))
    assert (report.outcome, report.applied, report.set_aside) == ("synced", 1, 1)


def test_a_reply_missing_entries_acks_none_of_the_batch(
    store: Database, author: Author, conn: sqlite3.Connection, mock_client: MockClient
) -> None:
    _ideas(store, author, 3)

    def handler(request: httpx.Request) -> httpx.Response:
        entries = protocol.parse_push(request.content)[:1]
        results = [Result(e.entity, e.id, e.rev, "applied") for e in entries]
        return httpx.Response(200, content=protocol.results_body(results))

    report = push_cycle(conn, mock_client(handler))
    assert report.outcome == "offline"
    assert report.waiting == 2  # the answered one is acked, the others go again

"""Races on PostgreSQL, made to happen on purpose: the test holds a lock in its own transaction,
waits until the server's push is seen waiting on it (pg_stat_activity), then lets go."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from sync.central.db import CentralDB, entries, wards
from sync.protocol import PUSH_PATH, parse_results
from tests.support.central import (
    STAMP,
    CentralProcess,
    all_rows,
    central_process,
    make_entry,
    new_database,
)

WARD_A = "RAI-7A"
WARD_B = "RAI-7B"


def waiting_on_locks(db: CentralDB) -> int:
    """Sessions of this database now waiting for a lock another transaction holds."""
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar_one()
        )


def wait_until(condition: Callable[[], bool], what: str, limit_s: float = 30.0) -> None:
    deadline = time.monotonic() + limit_s
    while not condition():
        assert time.monotonic() < deadline, f"never saw: {what}"
        time.sleep(0.01)


def in_background(call: Callable[[], httpx.Response]) -> tuple[threading.Thread, dict[str, Any]]:
    answer: dict[str, Any] = {}

    def run() -> None:
        answer["response"] = call()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, answer


def test_an_id_another_ward_inserts_mid_push_is_rejected(central_postgres: CentralProcess) -> None:
    central = central_postgres
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    contested = str(uuid.uuid4())
    own = make_entry(WARD_A)

    # Ward B's row for the contested id, inserted but not committed yet: the server's lookup
    # does not see it, and its insert has to wait for this transaction.
    with central.db.engine.connect() as holder:
        held = holder.begin()
        holder.execute(
            sa.insert(entries).values(
                id=contested,
                entity="idea",
                ward=WARD_B,
                rev=7,
                updated_at=STAMP,
                deleted=False,
                data='{"title": "ward B"}',
                seq=1,
                received_at=STAMP,
                device="kiosk-b",
            )
        )
        thread, answer = in_background(
            lambda: kiosk.post(
                PUSH_PATH, json={"entries": [own, make_entry(WARD_A, id=contested, rev=9)]}
            )
        )
        wait_until(lambda: waiting_on_locks(central.db) >= 1, "the push waiting on ward B's row")
        held.commit()
    thread.join(30)

    response = answer["response"]
    assert response.status_code == 200, response.text
    results = parse_results(response.content)
    assert [result.status for result in results] == ["applied", "rejected"]
    rows = {row["id"]: row for row in all_rows(central.db, "entries")}
    assert (rows[contested]["ward"], rows[contested]["rev"]) == (WARD_B, 7)
    assert rows[own["id"]]["ward"] == WARD_A
    history = all_rows(central.db, "revisions")
    assert [(row["id"], row["ward"]) for row in history] == [(own["id"], WARD_A)]


def test_pushes_for_one_ward_queue_while_other_wards_go_ahead(
    central_postgres: CentralProcess,
) -> None:
    central = central_postgres
    kiosk_a1 = central.client(central.token(WARD_A, "kiosk-a1"))
    kiosk_a2 = central.client(central.token(WARD_A, "kiosk-a2"))
    kiosk_b = central.client(central.token(WARD_B, "kiosk-b"))
    shared = make_entry(WARD_A, rev=1)
    assert kiosk_a1.post(PUSH_PATH, json={"entries": [shared]}).status_code == 200

    with central.db.engine.connect() as holder:
        held = holder.begin()
        # Hold ward A's counter row, as a push in progress does.
        holder.execute(
            sa.update(wards).where(wards.c.ward == WARD_A).values(last_seq=wards.c.last_seq)
        )
        thread, answer = in_background(
            lambda: kiosk_a2.post(PUSH_PATH, json={"entries": [{**shared, "rev": 2}]})
        )
        wait_until(lambda: waiting_on_locks(central.db) >= 1, "ward A's push queued")
        # Ward B is not held up by ward A's queue.
        assert kiosk_b.post(PUSH_PATH, json={"entries": [make_entry(WARD_B)]}).status_code == 200
        assert thread.is_alive()
        held.commit()
    thread.join(30)

    assert [result.status for result in parse_results(answer["response"].content)] == ["applied"]
    rows = {row["id"]: row for row in all_rows(central.db, "entries")}
    assert rows[shared["id"]]["rev"] == 2


def test_several_worker_processes_share_one_postgres_store(postgres_url: str) -> None:
    with central_process(new_database(postgres_url), args=["--workers", "2"]) as central:
        token = central.token(WARD_A, "kiosk-a")
        batch = [make_entry(WARD_A) for _ in range(20)]
        with central.client(token) as kiosk:
            answers = [kiosk.post(PUSH_PATH, json={"entries": batch}) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200] * 4
        assert {result.status for result in parse_results(answers[0].content)} == {"applied"}
        for answer in answers[1:]:
            assert {result.status for result in parse_results(answer.content)} == {"duplicate"}
        central.revoke("kiosk-a")
        with central.client(token) as kiosk:  # no worker remembers a revoked token
            assert [kiosk.get("/api/v1/entries").status_code for _ in range(4)] == [401] * 4
        assert central.counts()["entries"] == 20

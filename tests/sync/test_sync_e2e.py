"""The kiosk's push job against the real `huddle-central` on loopback, over SQLite and over
PostgreSQL: every entry reaches the store exactly once, edits made during a push stay queued,
a revoked token keeps the queue, a replaced kiosk is restored with the same ids and revs."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from e2e_support import (
    assert_store_matches,
    central_counts,
    central_entries,
    central_revisions,
    local_counts,
    local_rows,
)
from faultproxy import fault_proxy
from sqlite_utils import Database
from sync_support import MovableClock, write_token

from huddle_board.db import commands, open_store
from huddle_board.db.commands import Author, IdeaDraft
from huddle_board.db.connection import connect_raw
from huddle_board.demo import build_demo_ward
from sync import outbox, state
from sync.client import CentralClient
from sync.job import PushJob, SyncSettings
from sync.push import CycleReport, push_cycle
from tests.support.central import CentralProcess

WARD = "DEMO-7A"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
BIN = Path(sys.executable).parent


def _job(db_path: Path, url: str, token_file: Path, clock: MovableClock | None = None) -> PushJob:
    return PushJob(db_path, SyncSettings(url, token_file), clock or MovableClock(NOW))


@pytest.fixture
def demo(tmp_path: Path) -> Path:
    """The demo ward (some 2,000 queued entries) with a tombstone among them."""
    path = tmp_path / "kiosk.db"
    db, _ = open_store(path)
    clock = MovableClock(NOW)
    build_demo_ward(db, clock=clock)
    author = Author(WARD, "JM", clock)
    action = db.execute("SELECT id FROM actions WHERE status = 'open' LIMIT 1").fetchone()[0]
    commands.delete(db, author, "action", action)
    db.close()
    return path


def restore(store: str, token_file: Path, db: Path) -> subprocess.CompletedProcess[str]:
    """The real `huddle-board restore`, as IT would run it on a replacement kiosk."""
    command = [BIN / "huddle-board", "restore", "--store", store, "--token-file", token_file]
    return subprocess.run(
        [*command, "--db", db],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_demo_ward_drains_exactly_once(
    demo: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    conn = connect_raw(demo)
    queued = outbox.count_waiting(conn)
    assert queued > 2000
    job = _job(demo, central.url, token_file)
    report = job.run_once()
    assert (report.outcome, report.applied, report.waiting) == ("synced", queued, 0)
    assert report.batches == -(-queued // 500)
    assert central_counts(central, WARD) == local_counts(conn)
    assert_store_matches(conn, central, WARD)
    assert len(central_revisions(central)) == queued
    # Nothing left to send: a second cycle sends nothing and changes nothing.
    again = job.run_once()
    assert (again.outcome, again.sent) == ("synced", 0)
    assert len(central_revisions(central)) == queued
    status = state.read_status(conn, True)
    assert status.headline == "synced" and status.waiting == 0
    conn.close()


def test_an_edit_made_while_its_rev_is_on_the_wire_stays_queued(
    store: Database, author: Author, store_path: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token = central.token(WARD, "kiosk-1")
    idea = commands.add_idea(store, author, IdeaDraft("Night-time falls huddle"))
    report: dict[str, object] = {}
    with fault_proxy(central.url) as proxy:
        proxy.hold = threading.Event()

        def push() -> None:
            conn = connect_raw(store_path)  # the pushing thread's own connection
            with CentralClient(proxy.url, token) as client:
                report["first"] = push_cycle(conn, client, max_batches=1)
            conn.close()

        pusher = threading.Thread(target=push)
        pusher.start()
        assert proxy.arrived.wait(10)
        # Rev 1 is held on its way to the store; staff edit the idea (no lock held by the
        # push, so this commits at once).
        assert commands.set_idea_status(store, author, idea, "parked") == 2
        proxy.hold.set()
        pusher.join(30)
    first = report["first"]
    assert isinstance(first, CycleReport)
    assert (first.sent, first.acked, first.waiting) == (1, 0, 1)
    assert store.execute("SELECT rev FROM outbox WHERE entity_id = ?", [idea]).fetchall() == [(2,)]
    assert int(central_entries(central, WARD)[("idea", idea)]["rev"]) == 1
    # The next cycle sends rev 2; the store keeps both in its history.
    token_file = write_token(tmp_path, token)
    assert _job(store_path, central.url, token_file).run_once().outcome == "synced"
    assert int(central_entries(central, WARD)[("idea", idea)]["rev"]) == 2
    assert sorted(rev for _, i, rev in central_revisions(central) if i == idea) == [1, 2]
    assert store.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0


def test_a_commit_whose_reply_is_lost_is_a_duplicate_on_resend(
    store: Database, author: Author, store_path: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    for n in range(30):
        commands.add_idea(store, author, IdeaDraft(f"Idea {n}"))
    with fault_proxy(central.url) as proxy:
        proxy.plan.extend(["drop"])
        job = _job(store_path, proxy.url, token_file)
        lost = job.run_once()
        assert lost.outcome == "offline" and lost.waiting == 30
        # The store did commit the batch the kiosk never heard about.
        assert central_counts(central, WARD)["idea"] == 30
        resend = job.run_once()
    assert (resend.outcome, resend.duplicate, resend.applied) == ("synced", 30, 0)
    assert len(central_revisions(central)) == 30
    assert_store_matches(store, central, WARD)


def test_a_revoked_token_keeps_the_queue_and_says_refused(
    store: Database, author: Author, store_path: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    commands.add_idea(store, author, IdeaDraft("Before the revoke"))
    job = _job(store_path, central.url, token_file)
    assert job.run_once().outcome == "synced"
    central.revoke("kiosk-1")
    for n in range(3):
        commands.add_idea(store, author, IdeaDraft(f"After {n}"))
    report = job.run_once()
    assert report.outcome == "refused" and report.status == 401
    assert report.waiting == 3
    status = state.read_status(store, True)
    assert status.headline == "refused"
    assert status.refused is not None
    assert status.refused.startswith("token refused (revoked or unknown)")
    assert status.waiting == 3
    assert central_counts(central, WARD)["idea"] == 1
    # The command line says so too, with exit code 3.
    done = subprocess.run(
        [
            BIN / "huddle-sync",
            "push",
            "--once",
            "--db",
            store_path,
            "--store",
            central.url,
            "--token-file",
            token_file,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    shown = subprocess.run(
        [
            BIN / "huddle-sync",
            "status",
            "--db",
            store_path,
            "--store",
            central.url,
            "--token-file",
            token_file,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0
    assert "refused:       token refused (revoked or unknown)" in shown.stdout
    assert "waiting:       3" in shown.stdout
    token = token_file.read_text().strip()
    assert token not in done.stdout + done.stderr + shown.stdout + central.log_text()


def test_a_token_for_another_ward_is_refused_and_nothing_is_written(
    store: Database,
    author: Author,
    store_path: Path,
    tmp_path: Path,
    central: CentralProcess,
) -> None:
    token_file = write_token(tmp_path, central.token("OTHER-3B", "kiosk-9"))
    commands.add_idea(store, author, IdeaDraft("For ward 7A"))
    report = _job(store_path, central.url, token_file).run_once()
    assert report.outcome == "refused" and report.status == 403
    assert report.detail.startswith("wrong ward")
    assert state.read_status(store, True).refused == report.detail
    assert central_entries(central, WARD) == {}
    assert central_entries(central, "OTHER-3B") == {}


def test_restore_rebuilds_the_kiosk_then_it_pushes_on(
    demo: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    assert _job(demo, central.url, token_file).run_once().outcome == "synced"
    # The kiosk dies; a new one is restored with a token of its own.
    new_token = write_token(tmp_path, central.token(WARD, "kiosk-2"), "new.token")
    restored = tmp_path / "replacement.db"
    done = restore(central.url, new_token, restored)
    assert done.returncode == 0, done.stderr
    old, new = connect_raw(demo), connect_raw(restored)
    for entity, count in local_counts(old).items():
        assert f"  {entity}: {count} rows" in done.stdout
    assert local_rows(new) == local_rows(old)  # same ids, revs, content, tombstones
    assert new.execute("SELECT code FROM ward").fetchone()[0] == WARD
    assert new.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0
    assert new.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    assert state.read_status(new, True).headline == "synced"
    # Restoring over it again is refused: only a new file is written.
    again = restore(central.url, new_token, restored)
    assert again.returncode == 2 and "not empty" in again.stderr
    # The board works on: an edit is rev + 1, which the store applies.
    db = Database(new)
    idea, rev = db.execute("SELECT id, rev FROM ideas ORDER BY id LIMIT 1").fetchone()
    author = Author(WARD, "KB", MovableClock(NOW + dt.timedelta(days=1)))
    assert commands.set_idea_status(db, author, idea, "abandoned") == rev + 1
    report = _job(restored, central.url, new_token).run_once()
    assert (report.outcome, report.applied) == ("synced", 1)
    assert int(central_entries(central, WARD)[("idea", idea)]["rev"]) == rev + 1
    assert_store_matches(new, central, WARD)
    old.close()
    new.close()


def test_restore_of_an_empty_ward_or_with_a_bad_token_writes_nothing(
    tmp_path: Path, central_sqlite: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central_sqlite.token(WARD, "kiosk-1"))
    target = tmp_path / "new.db"
    done = subprocess.run(
        [
            BIN / "huddle-board",
            "restore",
            "--store",
            central_sqlite.url,
            "--token-file",
            token_file,
            "--db",
            target,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "no entries" in done.stderr
    assert not target.exists()
    bad = write_token(tmp_path, "not-a-real-token", "bad.token")
    done = subprocess.run(
        [
            BIN / "huddle-board",
            "restore",
            "--store",
            central_sqlite.url,
            "--token-file",
            bad,
            "--db",
            target,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3 and not target.exists()
    assert "not-a-real-token" not in done.stderr


def test_the_clock_two_years_ahead_then_back_changes_nothing(
    store: Database, store_path: Path, tmp_path: Path, central: CentralProcess
) -> None:
    """Only rev decides: an edit stamped two years ahead does not beat a later edit stamped
    today, and the schedule follows the monotonic clock alone."""
    from sync_support import FakeMonotonic

    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    clock, ticks = MovableClock(NOW), FakeMonotonic()
    author = Author(WARD, "JM", clock)
    job = PushJob(store_path, SyncSettings(central.url, token_file), clock, ticks)
    conn = job._connect()
    idea = commands.add_idea(store, author, IdeaDraft("Clock test"))
    assert job.step(conn) is not None
    clock.at = NOW + dt.timedelta(days=730)
    commands.set_idea_status(store, author, idea, "parked")  # rev 2, stamped 2028
    assert job.step(conn) is None  # not due: the wall clock does not make it run early
    ticks.advance(60)
    report = job.step(conn)
    assert report is not None and report.applied == 1
    # A pusher that died while the clock was ahead left a lease that "expires" in 2028.
    conn.execute(
        "INSERT INTO sync_lease (name, holder, host, pid, boot, expires) "
        "VALUES ('push', 'gone', 'kiosk', 1, '', ?)",
        [clock.at.timestamp() + 100],
    )
    clock.at = NOW
    commands.set_idea_status(store, author, idea, "abandoned")  # rev 3, stamped 2026
    ticks.advance(30)
    assert job.step(conn) is None  # the wall clock going back does not stall or hurry it
    ticks.advance(30)
    report = job.step(conn)
    assert report is not None and report.outcome == "synced" and report.applied == 1
    stored = central_entries(central, WARD)[("idea", idea)]
    assert int(stored["rev"]) == 3
    assert stored["updated_at"].startswith("2026-11-26")
    assert sorted(r for _, i, r in central_revisions(central) if i == idea) == [1, 2, 3]
    conn.close()


def test_malformed_and_oversized_entries_are_set_aside_by_the_real_store(
    store: Database,
    author: Author,
    store_path: Path,
    tmp_path: Path,
    central: CentralProcess,
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    ids = [commands.add_idea(store, author, IdeaDraft(f"Idea {n}")) for n in range(40)]
    conn = sqlite3.connect(store_path, isolation_level=None)
    # A hand-edited row the store refuses (422 naming its field), and one too big for any push.
    conn.execute("UPDATE ideas SET updated_at = 'yesterday' WHERE id = ?", [ids[7]])
    conn.execute("UPDATE ideas SET problem = ? WHERE id = ?", ["x" * (1024 * 1024 + 10), ids[20]])
    conn.close()
    report = _job(store_path, central.url, token_file).run_once()
    assert (report.outcome, report.applied, report.set_aside) == ("synced", 38, 2)
    reasons = {e.entity_id: e.reason for e in state.set_aside_entries(store)}
    assert reasons[ids[7]].startswith("malformed: updated_at:")
    assert reasons[ids[20]].startswith("too big for the store")
    assert ("idea", ids[7]) not in central_entries(central, WARD)
    # Nothing set aside is deleted; an admin's retry puts it back (and it is set aside again).
    assert state.retry_set_aside(store, None) == 2
    again = _job(store_path, central.url, token_file).run_once()
    assert (again.set_aside, outbox.count_set_aside(store)) == (2, 2)


def test_413_halves_batches_against_the_real_store(
    store: Database,
    author: Author,
    store_path: Path,
    tmp_path: Path,
    central_sqlite: CentralProcess,
) -> None:
    token = central_sqlite.token(WARD, "kiosk-1")
    ids = [commands.add_idea(store, author, IdeaDraft(f"Idea {n}")) for n in range(24)]
    conn = connect_raw(store_path)
    for idea in ids:
        conn.execute("UPDATE ideas SET problem = ? WHERE id = ?", ["p" * 150_000, idea])
    # A kiosk that believes the limit is 8 MiB: the store's 413s make it halve (24 → 12 → 6).
    with CentralClient(central_sqlite.url, token) as client:
        report = push_cycle(conn, client, max_bytes=8 * 1024 * 1024)
    assert (report.outcome, report.applied, report.set_aside) == ("synced", 24, 0)
    assert report.batches == 2 + 4
    assert central_counts(central_sqlite, WARD)["idea"] == 24
    conn.close()


def test_429_stops_the_cycle_and_honours_retry_after(
    store: Database, author: Author, store_path: Path, tmp_path: Path
) -> None:
    from tests.support.central import central_process
    from tests.support.fixtures import sqlite_url

    for n in range(10):
        commands.add_idea(store, author, IdeaDraft(f"Idea {n}"))
    with central_process(sqlite_url(tmp_path), rate_per_minute=6, burst=2) as server:
        token = server.token(WARD, "kiosk-1")
        conn = connect_raw(store_path)
        with CentralClient(server.url, token) as client:
            report = push_cycle(conn, client, batch_size=2)
        assert report.outcome == "busy" and report.status == 429
        assert report.retry_after is not None and report.retry_after > 0
        assert report.applied == 4 and report.waiting == 6
        conn.close()

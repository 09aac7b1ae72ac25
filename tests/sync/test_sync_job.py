"""The push job: backoff with full jitter, Retry-After, monotonic scheduling, the single-pusher
lease, the token file check, the refusal latch and the background thread. HTTP here is an
httpx MockTransport; the same behaviours against the real store are in test_sync_e2e.py."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database
from sync_support import TOKEN, FakeMonotonic, Handler, MovableClock

from huddle_board.db import commands
from huddle_board.db.commands import Author, IdeaDraft
from sync import protocol, state
from sync.client import CentralClient
from sync.job import (
    BACKOFF_CAP_S,
    LEASE_TTL_S,
    Lease,
    PushJob,
    SyncSettings,
    backoff_delay,
    next_delay,
    pid_alive,
)
from sync.protocol import Result
from sync.push import CycleReport

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


def _applied(request: httpx.Request) -> httpx.Response:
    entries = protocol.parse_push(request.content)
    results = [Result(e.entity, e.id, e.rev, "applied") for e in entries]
    return httpx.Response(200, content=protocol.results_body(results))


def _factory(handler: Handler) -> Callable[[str, str, Path | None], CentralClient]:
    def make(url: str, token: str, ca_file: Path | None) -> CentralClient:
        return CentralClient(url, token, ca_file, transport=httpx.MockTransport(handler))

    return make


def _job(
    store_path: Path,
    token_file: Path,
    handler: Handler,
    clock: MovableClock | None = None,
    monotonic: FakeMonotonic | None = None,
    interval_s: float = 60.0,
) -> PushJob:
    settings = SyncSettings("https://store.test", token_file, None, interval_s)
    return PushJob(
        store_path,
        settings,
        clock or MovableClock(START),
        monotonic or FakeMonotonic(),
        rng=random.Random(3),
        client_factory=_factory(handler),
    )


def test_full_jitter_backoff_stays_within_its_bounds() -> None:
    rng = random.Random(1)
    for failures in range(1, 15):
        ceiling = min(BACKOFF_CAP_S, 2.0 * 2 ** (failures - 1))
        delays = [backoff_delay(failures, rng) for _ in range(200)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > ceiling * 0.8  # full jitter: spread over the whole range
    assert backoff_delay(10_000, rng) <= BACKOFF_CAP_S


def test_retry_after_is_honoured_and_success_waits_the_interval() -> None:
    rng = random.Random(2)
    busy = CycleReport("busy", retry_after=45.0)
    assert all(next_delay(busy, 1, 60.0, rng) >= 45.0 for _ in range(50))
    assert next_delay(CycleReport("synced"), 0, 60.0, rng) == 60.0
    assert next_delay(CycleReport("refused"), 0, 60.0, rng) == 60.0
    assert next_delay(CycleReport("offline"), 1, 60.0, rng) <= 2.0


def test_schedule_runs_on_the_monotonic_clock_whatever_the_wall_clock_does(
    store: Database, author: Author, store_path: Path, token_file: Path
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _applied(request)

    clock, ticks = MovableClock(START), FakeMonotonic()
    job = _job(store_path, token_file, handler, clock, ticks)
    conn = job._connect()
    commands.add_idea(store, author, IdeaDraft("one"))
    assert job.step(conn) is not None and calls == [1]
    ticks.advance(59)
    assert job.step(conn) is None
    # Two years ahead: nothing runs early, nothing spins.
    clock.at = START + dt.timedelta(days=730)
    commands.add_idea(store, author, IdeaDraft("two"))
    assert job.step(conn) is None and calls == [1]
    ticks.advance(1)
    assert job.step(conn) is not None and len(calls) == 2
    # And back: the job does not wait two years.
    clock.at = START
    commands.add_idea(store, author, IdeaDraft("three"))
    assert job.step(conn) is None
    ticks.advance(60)
    report = job.step(conn)
    assert report is not None and report.outcome == "synced" and len(calls) == 3
    conn.close()


def test_failures_back_off_then_the_interval_returns(
    store: Database, author: Author, store_path: Path, token_file: Path
) -> None:
    up = [False]

    def handler(request: httpx.Request) -> httpx.Response:
        return _applied(request) if up[0] else httpx.Response(503)

    ticks = FakeMonotonic()
    job = _job(store_path, token_file, handler, monotonic=ticks)
    conn = job._connect()
    commands.add_idea(store, author, IdeaDraft("one"))
    waits = []
    for _ in range(6):
        report = job.step(conn)
        assert report is not None and report.outcome == "offline"
        waits.append(job.seconds_until_due())
        ticks.advance(job.seconds_until_due())
    assert job.failures == 6
    assert all(w <= min(BACKOFF_CAP_S, 2.0 * 2**n) for n, w in enumerate(waits))
    status = state.read_status(conn, True)
    assert status.offline_since is not None and status.waiting == 1
    up[0] = True
    report = job.step(conn)
    assert report is not None and report.outcome == "synced"
    assert job.failures == 0 and job.seconds_until_due() == 60.0
    status = state.read_status(conn, True)
    assert status.offline_since is None and status.last_success_at is not None
    assert status.headline == "synced"
    conn.close()


def test_a_refused_token_is_not_sent_again_until_it_changes(
    store: Database, author: Author, store_path: Path, token_file: Path
) -> None:
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.headers["Authorization"])
        if request.headers["Authorization"] == f"Bearer {TOKEN}":
            return httpx.Response(401, json={"detail": "revoked"})
        return _applied(request)

    ticks = FakeMonotonic()
    job = _job(store_path, token_file, handler, monotonic=ticks)
    conn = job._connect()
    commands.add_idea(store, author, IdeaDraft("one"))
    report = job.step(conn)
    assert report is not None and report.outcome == "refused"
    status = state.read_status(conn, True)
    assert status.refused is not None and status.refused.startswith("token refused")
    assert status.waiting == 1 and status.headline == "refused"
    ticks.advance(60)
    assert job.step(conn) is not None and len(calls) == 1  # the queue is kept, not re-sent
    token_file.write_text("a-new-token-from-the-ward-manager\n")
    ticks.advance(60)
    report = job.step(conn)
    assert report is not None and report.outcome == "synced" and len(calls) == 2
    assert state.read_status(conn, True).refused is None
    conn.close()


def test_token_file_readable_by_others_is_refused_with_a_clear_message(
    store: Database, author: Author, store_path: Path, token_file: Path
) -> None:
    token_file.chmod(0o644)
    job = _job(store_path, token_file, _applied)
    report = job.run_once()
    assert report.outcome == "misconfigured"
    assert "mode 0644; it must be 0600" in report.detail
    conn = job._connect()
    status = state.read_status(conn, True)
    assert status.refused is not None and "0600" in status.refused
    conn.close()


def test_lease_one_pusher_at_a_time(store: Database, store_path: Path) -> None:
    conn = sqlite3.connect(store_path, isolation_level=None)
    clock = MovableClock(START)
    first, second = Lease(clock), Lease(clock)
    assert first.acquire(conn)
    assert first.acquire(conn)  # renewal
    assert not second.acquire(conn)  # a live holder (this very process) is respected
    # Another host's live lease too (no pid check across hosts).
    conn.execute("UPDATE sync_lease SET host = 'other-kiosk', pid = 1")
    assert not second.acquire(conn)
    # Expired: taken.
    clock.at = START + dt.timedelta(seconds=LEASE_TTL_S + 1)
    assert second.acquire(conn)
    assert not first.acquire(conn)
    second.release(conn)
    assert first.acquire(conn)
    conn.close()


def test_lease_of_a_dead_process_is_taken(store: Database, store_path: Path) -> None:
    conn = sqlite3.connect(store_path, isolation_level=None)
    clock = MovableClock(START)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(gone.stdout)
    assert not pid_alive(dead_pid)
    holder = Lease(clock)
    holder.pid = dead_pid
    assert holder.acquire(conn)
    assert Lease(clock).acquire(conn)
    conn.close()


def test_lease_written_by_a_clock_since_set_back_is_taken(
    store: Database, store_path: Path
) -> None:
    conn = sqlite3.connect(store_path, isolation_level=None)
    ahead = MovableClock(START + dt.timedelta(days=730))
    assert Lease(ahead).acquire(conn)
    # Back to the right time: the old lease "expires" in two years; implausible, so taken.
    assert Lease(MovableClock(START)).acquire(conn)
    conn.close()


def test_a_job_skips_its_cycle_while_another_pusher_holds_the_lease(
    store: Database, author: Author, store_path: Path, token_file: Path
) -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return _applied(request)

    commands.add_idea(store, author, IdeaDraft("one"))
    clock = MovableClock(START)
    conn = sqlite3.connect(store_path, isolation_level=None)
    other = Lease(clock)
    assert other.acquire(conn)
    job = _job(store_path, token_file, handler, clock)
    report = job.run_once()
    assert report.outcome == "skipped" and report.waiting == 1 and calls == []
    other.release(conn)
    assert job.run_once().outcome == "synced" and calls == [1]
    # The job let go of the lease after its cycle.
    assert conn.execute("SELECT COUNT(*) FROM sync_lease").fetchone()[0] == 0
    conn.close()


def test_the_job_runs_in_its_own_thread_and_stops_cleanly(
    store: Database, author: Author, store_path: Path, token_file: Path
) -> None:
    threads: set[str] = set()
    pushed = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        threads.add(threading.current_thread().name)
        pushed.set()
        return _applied(request)

    for n in range(3):
        commands.add_idea(store, author, IdeaDraft(f"idea {n}"))
    settings = SyncSettings("https://store.test", token_file, None, 0.05)
    job = PushJob(
        store_path, settings, MovableClock(START), client_factory=_factory(handler), poll_s=0.05
    )
    job.start()
    with pytest.raises(RuntimeError):
        job.start()
    try:
        assert pushed.wait(10)
        # A write by staff while the job runs is picked up by a later cycle.
        pushed.clear()
        commands.add_idea(store, author, IdeaDraft("later"))
        assert pushed.wait(10)
    finally:
        job.shutdown()
    assert not job.running
    job.shutdown()  # twice is fine
    assert threading.current_thread().name not in threads
    assert store.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 0

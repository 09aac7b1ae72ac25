"""Sync benchmarks, against a real `huddle-central` process on loopback:

- drain 10,000 queued entries from a kiosk's file to the store over SQLite and over PostgreSQL
  (entries per second), beside the same rows written straight into the same kind of database
  by one bulk insert (the limit);
- 50 simulated kiosks (one per ward, as on the wards, each with its own token) pushing a batch
  at the same instant, ten rounds, to the PostgreSQL store served by two worker processes:
  entries per second and the p99 latency of a push, beside the same rows bulk inserted.

Targets: the SQLite drain at 2,000 entries/s or more; the 50-kiosk p99 under 250 ms.

The PostgreSQL cluster is a temporary one (the tests' own, fsync off), so the PostgreSQL figures
measure the service and its SQL, not a disk. Without PostgreSQL installed, those figures are
left out with a note."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from benchmarks.board import Figure, build_ward
from sync import protocol
from sync.central.db import CentralDB, entries, entry_row, revisions
from sync.client import CentralClient
from sync.protocol import Entry
from sync.push import push_cycle

DRAIN = 10_000
KIOSKS = 50
WARDS = 50
BATCHES_PER_KIOSK = 10
ENTRIES_PER_BATCH = 25
SERVER_WORKERS = 2


def kiosk_with_queue(five_years: Path, folder: Path, count: int = DRAIN) -> Path:
    """A copy of the five-year ward with exactly `count` entries queued (the oldest)."""
    path = folder / "kiosk.db"
    shutil.copy(five_years, path)
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "DELETE FROM outbox WHERE rowid NOT IN (SELECT rowid FROM outbox ORDER BY rowid "
            "LIMIT ?)",
            [count],
        )
    queued = conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0]
    conn.close()
    assert queued == count, f"the five-year ward queues only {queued} entries"
    return path


def _central_rows(database_url: str, ward: str) -> int:
    db = CentralDB(database_url)
    try:
        with db.read() as conn:
            found = conn.execute(
                sa.select(sa.func.count()).select_from(entries).where(entries.c.ward == ward)
            ).scalar_one()
        return int(found)
    finally:
        db.dispose()


def drain_rate(
    database_url: str, fresh: Callable[[], str], kiosk: Path, folder: Path
) -> tuple[float, float]:
    """(entries/s through the real push job's cycle, entries/s of one bulk insert of the
    same rows into a fresh database of the same kind)."""
    from huddle_board.db import connect_raw
    from sync import outbox
    from tests.support.central import central_process

    work = folder / f"drain-{uuid.uuid4().hex[:6]}.db"
    shutil.copy(kiosk, work)
    conn = connect_raw(work)
    ward = str(conn.execute("SELECT code FROM ward").fetchone()[0])
    batch = outbox.read_batch(conn, DRAIN)
    rows = [_row(entry, ward) for entry in batch.entries]
    with central_process(database_url) as central:
        client = CentralClient(central.url, central.token(ward, "bench-kiosk"))
        started = time.perf_counter()
        while True:
            report = push_cycle(conn, client)
            if not report.ok or report.waiting == 0:
                break
        seconds = time.perf_counter() - started
        client.close()
        assert report.waiting == 0, f"the drain stopped: {report.outcome} {report.detail}"
        assert _central_rows(central.database_url, ward) == DRAIN
    conn.close()
    return DRAIN / seconds, len(rows) / bulk_insert_seconds(fresh(), rows)


def _row(entry: Entry, ward: str) -> dict[str, Any]:
    return entry_row(entry, ward, "bulk", 0, "2026-11-26T09:00:00Z")


def bulk_insert_seconds(database_url: str, rows: list[dict[str, Any]]) -> float:
    """The limit: the same rows (and their history) in one transaction, one executemany."""
    db = CentralDB(database_url)
    try:
        db.migrate()
        numbered = [{**row, "seq": seq} for seq, row in enumerate(rows, start=1)]
        started = time.perf_counter()
        with db.write() as conn:
            conn.execute(sa.insert(entries), numbered)
            conn.execute(sa.insert(revisions), numbered)
        return time.perf_counter() - started
    finally:
        db.dispose()


def synthetic_batch(ward: str, kiosk: int, batch: int) -> list[Entry]:
    return [
        Entry(
            entity="action",
            id=f"{ward}-{kiosk:02d}-{batch:02d}-{n:03d}-{uuid.uuid4().hex[:8]}",
            rev=1,
            ward=ward,
            updated_at="2026-11-26T09:00:00Z",
            deleted=False,
            data={"text": f"Action {n} from kiosk {kiosk}", "owner": "JM", "status": "open"},
        )
        for n in range(ENTRIES_PER_BATCH)
    ]


def many_kiosks(database_url: str, fresh: Callable[[], str]) -> tuple[float, float, float]:
    """(entries/s, p99 push latency in ms, bulk-insert entries/s) for KIOSKS concurrent
    kiosks each pushing BATCHES_PER_KIOSK batches."""
    from tests.support.central import central_process

    wards = [f"BENCH-{n}" for n in range(WARDS)]
    work = {
        kiosk: [
            synthetic_batch(wards[kiosk % WARDS], kiosk, batch)
            for batch in range(BATCHES_PER_KIOSK)
        ]
        for kiosk in range(KIOSKS)
    }
    latencies: list[float] = []
    failures: list[str] = []
    with central_process(database_url, args=["--workers", str(SERVER_WORKERS)]) as central:
        tokens = {kiosk: central.token(wards[kiosk % WARDS], f"kiosk-{kiosk}") for kiosk in work}
        # Every round, all the kiosks push one batch at the same instant (their intervals
        # lined up: the worst case of "at once"); the next round starts when all are in. The
        # kiosks are coroutines on one event loop, so that simulating them takes as little
        # of the machine's CPU (which the store and PostgreSQL share) as it can.
        bodies = {kiosk: [protocol.push_body(batch) for batch in work[kiosk]] for kiosk in work}

        async def push(client: httpx.AsyncClient, body: bytes) -> None:
            began = time.perf_counter()
            reply = await client.post(protocol.PUSH_PATH, content=body)
            latencies.append((time.perf_counter() - began) * 1000)
            if reply.status_code != 200:
                failures.append(f"{reply.status_code} {reply.text[:80]}")

        async def all_kiosks() -> float:
            clients = [
                httpx.AsyncClient(
                    base_url=central.url,
                    headers={"Authorization": f"Bearer {tokens[kiosk]}"},
                    timeout=30,
                )
                for kiosk in work
            ]
            try:
                await asyncio.gather(*(client.get(protocol.HEALTH_PATH) for client in clients))
                began = time.perf_counter()
                for round_number in range(BATCHES_PER_KIOSK):
                    await asyncio.gather(
                        *(
                            push(client, bodies[kiosk][round_number])
                            for kiosk, client in zip(work, clients, strict=True)
                        )
                    )
                return time.perf_counter() - began
            finally:
                await asyncio.gather(*(client.aclose() for client in clients))

        seconds = asyncio.run(all_kiosks())
        assert not failures, f"{len(failures)} pushes failed, e.g. {failures[0]}"
        total = KIOSKS * BATCHES_PER_KIOSK * ENTRIES_PER_BATCH
        for ward in wards:
            assert _central_rows(central.database_url, ward) == total // WARDS
    rows = [_row(e, e.ward) for batches in work.values() for batch in batches for e in batch]
    limit = len(rows) / bulk_insert_seconds(fresh(), rows)
    p99 = statistics.quantiles(latencies, n=100)[98]
    return total / seconds, p99, limit


@contextlib.contextmanager
def postgres() -> Iterator[Callable[[], str] | None]:
    """A maker of fresh databases in a temporary PostgreSQL cluster, or None when PostgreSQL
    is not installed."""
    from tests.support.central import new_database, postgres_bin, postgres_cluster

    if postgres_bin() is None:
        yield None
        return
    with postgres_cluster() as cluster:
        yield lambda: new_database(cluster)


def run(folder: Path) -> list[Figure]:
    folder = folder / "sync"
    folder.mkdir()
    five_years, _ = build_ward(folder)
    kiosk = kiosk_with_queue(five_years, folder)

    def sqlite_file() -> str:
        return f"sqlite:///{folder / f'central-{uuid.uuid4().hex[:6]}.db'}"

    rate, limit = drain_rate(sqlite_file(), sqlite_file, kiosk, folder)
    figures = [
        Figure("drain 10,000 to SQLite store", rate, limit, "/s", "≥ 2,000 entries/s", rate >= 2000)
    ]
    with postgres() as fresh:
        if fresh is None:
            print("PostgreSQL is not installed: its figures are left out.")
            return figures
        rate, limit = drain_rate(fresh(), fresh, kiosk, folder)
        figures.append(Figure("drain 10,000 to PostgreSQL", rate, limit, "/s", "(no target)", True))
        throughput, p99, limit = many_kiosks(fresh(), fresh)
        figures.append(
            Figure("50 kiosks: throughput", throughput, limit, "/s", "(no target)", True)
        )
        figures.append(
            Figure("50 kiosks: p99 push latency", p99, None, "ms", "< 250 ms", p99 < 250)
        )
    return figures

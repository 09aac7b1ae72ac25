"""Faults against the real `huddle-central` (SQLite and PostgreSQL): the store answering 500
for a while, a pusher and a writer killed with SIGKILL, the push job's own thread running
while staff write. A fault-injecting proxy (faultproxy.py) stands between kiosk and store."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from e2e_support import assert_store_matches, central_counts, central_revisions
from faultproxy import fault_proxy
from sqlite_utils import Database
from sync_support import FakeMonotonic, MovableClock, write_token

from huddle_board.db import commands
from huddle_board.db.commands import Author, IdeaDraft
from huddle_board.db.connection import connect_raw
from sync import outbox, state
from sync.job import BACKOFF_CAP_S, PushJob, SyncSettings
from tests.support.central import CentralProcess

WARD = "DEMO-7A"
BIN = Path(sys.executable).parent

WRITER = r"""
import sys
import time
from huddle_board.clock import SystemClock
from huddle_board.db import commands, open_store
from huddle_board.db.commands import Author, IdeaDraft

db, _ = open_store(sys.argv[1])
author = Author("DEMO-7A", "JM", SystemClock())
for n in range(int(sys.argv[2]), int(sys.argv[3])):
    commands.add_idea(db, author, IdeaDraft(f"Idea {n}"))
    print(n, flush=True)  # printed after the commit: every printed n is committed
    time.sleep(float(sys.argv[4]))  # staff do not type a thousand ideas a second
"""


def test_the_store_answers_500_for_a_while_then_recovers(
    store: Database,
    author: Author,
    store_path: Path,
    tmp_path: Path,
    central: CentralProcess,
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    for n in range(45):
        commands.add_idea(store, author, IdeaDraft(f"Idea {n}"))
    with fault_proxy(central.url) as proxy:
        # Refused before the store sees it, or committed by the store and answered 500 anyway.
        proxy.plan.extend(["pass", "500", "500-after", "500", "500-after", "500", "500"])
        ticks = FakeMonotonic()
        job = PushJob(
            store_path,
            SyncSettings(proxy.url, token_file, None, 60.0),
            MovableClock(author.clock.now()),
            ticks,
            rng=random.Random(7),
            batch_size=20,
        )
        conn = job._connect()
        outcomes: list[str] = []
        written = 45
        while len(outcomes) < 30:
            # Staff keep working through the outage.
            commands.add_idea(store, author, IdeaDraft(f"Idea {written}"))
            written += 1
            report = job.step(conn)
            assert report is not None
            outcomes.append(report.outcome)
            wait = job.seconds_until_due()
            if report.outcome == "offline":
                ceiling = min(BACKOFF_CAP_S, 2.0 * 2 ** (job.failures - 1))
                assert wait <= ceiling
                status = state.read_status(conn, True)
                assert status.headline == "offline" and status.offline_since is not None
            if report.outcome == "synced" and not proxy.plan:
                break
            ticks.advance(wait)
        assert outcomes[:6] == ["offline"] * 6
        assert outcomes[-1] == "synced"
        assert proxy.faults().count("500-after") == 2
    assert outbox.count_waiting(conn) == 0
    assert central_counts(central, WARD)["idea"] == written
    assert_store_matches(conn, central, WARD)
    assert len(central_revisions(central)) == written  # each (id, rev) stored once
    status = state.read_status(conn, True)
    assert status.headline == "synced" and status.offline_since is None
    conn.close()


def test_kill_9_of_a_writer_and_a_pusher_loses_and_doubles_nothing(
    store: Database, store_path: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    store.close()
    env = {**os.environ, "HUDDLE_SYNC_INTERVAL": "0.05"}
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store_path), "0", "1000", "0.002"],
        stdout=subprocess.PIPE,
        text=True,
    )
    pusher = subprocess.Popen(
        [BIN / "huddle-sync", "run", "--db", store_path, "--store", central.url,
         "--token-file", token_file],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )  # fmt: skip
    printed: list[int] = []
    try:
        assert writer.stdout is not None
        for line in writer.stdout:
            printed.append(int(line))
            if (
                len(printed) >= 400
                and len(printed) % 50 == 0
                and central_counts(central, WARD)["idea"]
            ):
                break
        else:
            raise AssertionError("the writer finished before the pusher pushed anything")
        # Both die mid-work: no shutdown, no cleanup, possibly a lease left behind.
        os.kill(pusher.pid, signal.SIGKILL)
        os.kill(writer.pid, signal.SIGKILL)
    finally:
        for process in (writer, pusher):
            if process.poll() is None:
                process.kill()
            process.wait(30)
    assert writer.returncode == -signal.SIGKILL and pusher.returncode == -signal.SIGKILL
    conn = connect_raw(store_path)
    assert conn.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    titles = {row[0] for row in conn.execute("SELECT title FROM ideas")}
    assert {f"Idea {n}" for n in printed} <= titles  # every committed write is there
    committed = len(titles)
    assert central_counts(central, WARD)["idea"] <= committed
    # Restart: the writer finishes its thousand, then a new pusher drains the queue.
    rest = subprocess.run(
        [sys.executable, "-c", WRITER, str(store_path), str(committed), "1000", "0"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rest.returncode == 0, rest.stderr
    done = subprocess.run(
        [BIN / "huddle-sync", "push", "--once", "--db", store_path, "--store", central.url,
         "--token-file", token_file],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("synced:")
    assert conn.execute("SELECT COUNT(*) FROM ideas").fetchone()[0] == 1000
    assert outbox.count_waiting(conn) == 0
    assert central_counts(central, WARD)["idea"] == 1000
    assert_store_matches(conn, central, WARD)
    assert len(central_revisions(central)) == 1000  # exactly once: no (id, rev) twice
    conn.close()


class _Quick(random.Random):
    """Backoff draws a hundredth of their range, so a threaded test need not wait seconds."""

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * 0.01


def test_the_job_thread_pushes_while_staff_write_through_an_outage(
    store: Database, author: Author, store_path: Path, tmp_path: Path, central: CentralProcess
) -> None:
    token_file = write_token(tmp_path, central.token(WARD, "kiosk-1"))
    with fault_proxy(central.url) as proxy:
        proxy.plan.extend(["500", "500-after", "drop", "500"])
        job = PushJob(
            store_path,
            SyncSettings(proxy.url, token_file, None, 0.05),
            author.clock,
            rng=_Quick(),
            poll_s=0.05,
        )
        job.start()
        try:
            for n in range(60):
                commands.add_idea(store, author, IdeaDraft(f"Idea {n}"))
                if n % 10 == 0:
                    time.sleep(0.02)
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                if outbox.count_waiting(store) == 0 and not proxy.plan:
                    break
                time.sleep(0.05)
        finally:
            job.shutdown()
        assert not proxy.plan, proxy.faults()
    assert outbox.count_waiting(store) == 0
    assert_store_matches(store, central, WARD)
    assert threading.active_count() < 20

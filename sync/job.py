"""The push job: push cycles on a schedule, with full-jitter backoff, Retry-After and a
single-pusher lease in the kiosk database.

Timing. Every decision about *when* uses a monotonic clock (injected, `time.monotonic` by
default): a kiosk's wall clock may be years off and may be corrected at any moment, and
neither must stall the job or make it spin. APScheduler (3.11, BackgroundScheduler) hosts the
job in its own thread, but its triggers follow the wall clock (an interval job whose next run
is computed before the clock is set back two years waits two years), so the scheduler starts
one long-running job at once, and that job waits between cycles on a threading.Event, whose
timeout is monotonic too.

Lease. Only one process pushes at a time (the board and a `huddle-sync run` may both be set
up): before each cycle, and before each batch within it, the pusher takes or renews the
`sync_lease` row in a BEGIN IMMEDIATE transaction, and releases it after the cycle. Another
holder's lease is respected while it is live; it can be taken when it has expired, when its
holder process is gone (same host: the pid is not running, or the machine has rebooted since),
or when its expiry lies implausibly far ahead (the clock was set back after it was written).
Two pushers at once would still be safe (the store answers "duplicate" and acks go by rev);
the lease only avoids the waste.

Threads. The job's thread opens its own SQLite connection and its own HTTP client; `run_once`
does the same in the calling thread. Nothing SQLite crosses a thread.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import random
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from huddle_board.clock import Clock
from huddle_board.db.connection import connect_raw
from huddle_board.db.migrations import is_current, open_store
from sync import outbox, protocol, state
from sync.client import DEFAULT_TIMEOUT, CentralClient, SyncError, TokenFileError, read_token_file
from sync.outbox import Connection
from sync.push import CycleReport, push_cycle

if TYPE_CHECKING:
    from huddle_board.config import Settings

log = logging.getLogger(__name__)

BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 300.0
LEASE_NAME = "push"
LEASE_TTL_S = 120.0
"""Longer than one batch can take (connect, write and read timeouts together), renewed before
each batch."""
POLL_S = 1.0
"""The job thread looks at its (monotonic) clock at least this often while waiting."""

ClientFactory = Callable[[str, str, Path | None], CentralClient]


@dataclass(frozen=True)
class SyncSettings:
    """What the push job needs from the board's Settings."""

    store_url: str | None
    token_file: Path | None
    ca_file: Path | None = None
    interval_s: float = 60.0

    @property
    def configured(self) -> bool:
        return self.store_url is not None and self.token_file is not None

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncSettings:
        return cls(
            store_url=settings.store_url,
            token_file=settings.token_file,
            ca_file=settings.ca_file,
            interval_s=settings.sync_interval_s,
        )


def backoff_delay(failures: int, rng: random.Random) -> float:
    """Full-jitter exponential backoff after `failures` failed cycles in a row (1 or more):
    uniform(0, min(cap, base * 2**n)) with n = failures - 1, so the first retry comes within
    2 s and later ones spread over up to 5 minutes (kiosks do not retry in step)."""
    n = min(max(failures - 1, 0), 32)
    return rng.uniform(0.0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**n))


def next_delay(report: CycleReport, failures: int, interval_s: float, rng: random.Random) -> float:
    """Seconds until the next cycle: the interval after a cycle that got an answer, a backoff
    after a retryable failure, never sooner than the store's Retry-After."""
    if not report.retryable:
        return interval_s
    delay = backoff_delay(failures, rng)
    if report.retry_after is not None:
        delay = max(delay, report.retry_after)
    return delay


# -- the lease -------------------------------------------------------------------------------


def _boot_id() -> str:
    """This boot of the machine (Linux), so a pid from before a reboot is known to be dead."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (a zombie counts as gone)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    except OSError:
        return False
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return True
    return not fields or fields[0] not in ("Z", "X")


class Lease:
    """The single-pusher lease, one row of `sync_lease`. Times are wall-clock seconds from the
    injected clock, as they must mean the same to every process; the rules above make a wrong
    or jumping clock cost at most one lease period, never a stall."""

    def __init__(self, clock: Clock, ttl_s: float = LEASE_TTL_S, name: str = LEASE_NAME) -> None:
        self.clock = clock
        self.ttl_s = ttl_s
        self.name = name
        self.holder = uuid.uuid4().hex
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.boot = _boot_id()

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _takeable(self, row: tuple[Any, ...], now: float) -> bool:
        holder, host, pid, boot, expires = row
        if holder == self.holder:
            return True
        if float(expires) <= now:
            return True  # expired
        if float(expires) > now + 2 * self.ttl_s:
            return True  # written by a clock that has since been set back
        if host == self.host:
            if boot and self.boot and boot != self.boot:
                return True  # written before this machine last started
            if not pid_alive(int(pid)):
                return True  # its process is gone (killed, crashed)
        return False

    def acquire(self, conn: Connection) -> bool:
        """Take or renew the lease; False when another live pusher holds it."""
        now = self._now()
        with outbox.writing(conn):
            row = conn.execute(
                "SELECT holder, host, pid, boot, expires FROM sync_lease WHERE name = ?",
                [self.name],
            ).fetchone()
            if row is not None and not self._takeable(tuple(row), now):
                return False
            conn.execute(
                "INSERT INTO sync_lease (name, holder, host, pid, boot, expires) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET "
                "holder = excluded.holder, host = excluded.host, pid = excluded.pid, "
                "boot = excluded.boot, expires = excluded.expires",
                [self.name, self.holder, self.host, self.pid, self.boot, now + self.ttl_s],
            )
        if row is not None and row[0] != self.holder:
            log.info("took over the push lease from %s pid %s", row[1], row[2])
        return True

    def release(self, conn: Connection) -> None:
        with outbox.writing(conn):
            conn.execute(
                "DELETE FROM sync_lease WHERE name = ? AND holder = ?", [self.name, self.holder]
            )


# -- the job ---------------------------------------------------------------------------------


def _default_client(timeout: httpx.Timeout) -> ClientFactory:
    def make(url: str, token: str, ca_file: Path | None) -> CentralClient:
        return CentralClient(url, token, ca_file, timeout)

    return make


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class PushJob:
    """Pushes the kiosk's outbox to the central store: in its own thread (`start`) every
    `interval_s`, or once in the calling thread (`run_once`)."""

    def __init__(
        self,
        db_path: Path | str,
        settings: SyncSettings | Settings,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        rng: random.Random | None = None,
        client_factory: ClientFactory | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        batch_size: int = protocol.MAX_ENTRIES,
        poll_s: float = POLL_S,
    ) -> None:
        self.db_path = Path(db_path)
        self.settings = (
            settings if isinstance(settings, SyncSettings) else SyncSettings.from_settings(settings)
        )
        self.clock = clock
        self.monotonic = monotonic
        self.rng = rng or random.Random()
        self.client_factory = client_factory or _default_client(timeout)
        self.batch_size = batch_size
        self.poll_s = poll_s
        self.lease = Lease(clock)
        self.failures = 0
        """Retryable failures in a row (for the backoff)."""
        self.last_report: CycleReport | None = None
        self._due = monotonic()
        self._refused_token: str | None = None
        """The digest of a token the store refused: the thread does not send it again."""
        self._cycle_lock = threading.Lock()
        self._nudge = threading.Event()
        self._stopping = False
        self._scheduler: Any = None
        self._local = threading.local()

    # -- scheduling (monotonic only) --

    def seconds_until_due(self) -> float:
        return max(0.0, self._due - self.monotonic())

    def wake(self) -> None:
        """Run a cycle now (after an admin retried set-aside entries, or a new token)."""
        self._due = self.monotonic()
        self._refused_token = None
        self._nudge.set()

    def step(self, conn: Connection) -> CycleReport | None:
        """Run a cycle on `conn` (this thread's) if one is due, then schedule the next; None
        when none was due. The job thread calls it in a loop; tests call it directly."""
        now = self.monotonic()
        if now < self._due:
            if self._due - now <= max(self.settings.interval_s, BACKOFF_CAP_S, 3600.0):
                return None
            self._due = now  # a monotonic clock cannot run backwards; start afresh if it did
        try:
            report = self._cycle(conn, loop=True)
        except (sqlite3.Error, SyncError, OSError) as error:
            # The local database was locked or failed: log, back off, try again.
            log.warning("push cycle failed: %s", error)
            report = CycleReport("offline", f"push cycle failed: {error}")
        if report.retryable:
            self.failures += 1
        elif report.outcome != "skipped":
            self.failures = 0
        delay = next_delay(report, self.failures, self.settings.interval_s, self.rng)
        self._due = self.monotonic() + delay
        self.last_report = report
        return report

    # -- a cycle --

    def _connect(self) -> sqlite3.Connection:
        """This thread's own connection, with the sync tables migrated in if need be."""
        conn = connect_raw(self.db_path)
        if not is_current(conn):
            db, _ = open_store(self.db_path)
            db.close()
        return conn

    def run_once(self) -> CycleReport:
        """One cycle now, in the calling thread, on a connection of its own; the state is
        recorded as after every cycle. Tries even a token refused before."""
        conn = self._connect()
        try:
            return self._cycle(conn, loop=False)
        finally:
            self._close_client()
            conn.close()

    def _client(self, token: str) -> CentralClient:
        """This thread's client, made again when the token file changed."""
        client: CentralClient | None = getattr(self._local, "client", None)
        if client is not None and client.uses_token(token):
            return client
        if client is not None:
            client.close()
        assert self.settings.store_url is not None
        client = self.client_factory(self.settings.store_url, token, self.settings.ca_file)
        self._local.client = client
        return client

    def _close_client(self) -> None:
        client: CentralClient | None = getattr(self._local, "client", None)
        if client is not None:
            client.close()
            self._local.client = None

    def _cycle(self, conn: Connection, *, loop: bool) -> CycleReport:
        with self._cycle_lock:
            if not self.settings.configured or self.settings.token_file is None:
                detail = "sync is not set up (no store URL or no token file)"
                return CycleReport("misconfigured", detail, waiting=outbox.count_waiting(conn))
            try:
                token = read_token_file(self.settings.token_file)
            except TokenFileError as error:
                report = CycleReport(
                    "misconfigured", str(error), waiting=outbox.count_waiting(conn)
                )
                state.record_outcome(conn, self.clock, report.outcome, report.detail)
                return report
            if loop and self._refused_token == _digest(token):
                # Refused: stop pushing (the queue stays) until the token file changes.
                detail = "refused by the store; waiting for a new token"
                return CycleReport("refused", detail, waiting=outbox.count_waiting(conn))
            client = self._client(token)
            if not self.lease.acquire(conn):
                return CycleReport(
                    "skipped",
                    "another process is pushing this board",
                    waiting=outbox.count_waiting(conn),
                )
            try:
                report = push_cycle(
                    conn,
                    client,
                    batch_size=self.batch_size,
                    keep_going=lambda: self.lease.acquire(conn),
                )
            finally:
                self.lease.release(conn)
            if report.outcome == "refused":
                self._refused_token = _digest(token)
            elif report.outcome != "skipped":
                self._refused_token = None
            if report.outcome != "skipped":
                state.record_outcome(conn, self.clock, report.outcome, report.detail)
            self._log(report)
            return report

    def _log(self, report: CycleReport) -> None:
        if report.outcome in ("synced", "pending", "skipped"):
            log.info(
                "push %s: %d sent, %d applied, %d duplicate, %d stale, %d set aside, %d waiting",
                report.outcome,
                report.sent,
                report.applied,
                report.duplicate,
                report.stale,
                report.set_aside,
                report.waiting,
            )
        else:
            log.warning("push %s: %s (%d waiting)", report.outcome, report.detail, report.waiting)

    # -- the thread --

    def start(self) -> None:
        """Start pushing in the background: the first cycle at once, then every interval."""
        if self._scheduler is not None:
            raise RuntimeError("the push job is already started")
        from apscheduler.schedulers.background import BackgroundScheduler

        self._stopping = False
        self._nudge.clear()
        scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            daemon=True,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        # One job, run once at once; it loops on the monotonic clock until shutdown().
        scheduler.add_job(self._loop, trigger="date", id="huddle-sync-push", name="push job")
        scheduler.start()
        self._scheduler = scheduler

    def shutdown(self, wait: bool = True) -> None:
        """Stop the thread after its current request (at most one timeout) and close its
        connection and client. Safe to call twice."""
        scheduler, self._scheduler = self._scheduler, None
        self._stopping = True
        self._nudge.set()
        if scheduler is not None:
            scheduler.shutdown(wait=wait)

    @property
    def running(self) -> bool:
        return self._scheduler is not None

    def _loop(self) -> None:
        try:
            conn = self._connect()
        except (sqlite3.Error, OSError) as error:
            log.error("the push job cannot open %s: %s", self.db_path, error)
            return
        try:
            while not self._stopping:
                try:
                    self.step(conn)
                except Exception:
                    # A background job must not die quietly: log it, back off, go on.
                    log.exception("push cycle failed on an unexpected error")
                    self.failures += 1
                    self._due = self.monotonic() + backoff_delay(self.failures, self.rng)
                if self._stopping:
                    break
                self._nudge.wait(min(self.seconds_until_due(), self.poll_s))
                self._nudge.clear()
        finally:
            self._close_client()
            conn.close()

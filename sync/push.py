"""One push cycle: outbox batch → POST /api/v1/push → acknowledge, set aside or stop.

What each answer gets (architecture, "Sync protocol (v1)"):
- 200: applied, duplicate and stale entries are acknowledged by rev; rejected ones are set
  aside with the store's reason. The cycle goes on with the next batch.
- 422/400 naming entries[i]: exactly those are set aside with the field messages; the rest go
  again. One naming no entry: the batch is halved until the culprit is alone.
- 413: the batch is halved; a single entry still too big is set aside.
- 5xx, a network error or a timeout: the cycle stops, retryable (the job backs off).
- 429: the cycle stops; the job waits as long as Retry-After says.
- 401/403: the cycle stops, refused; the queue is kept.

No SQLite transaction is open while a request is on the wire: a batch is read in one short
read transaction, and its outcome written in one short BEGIN IMMEDIATE transaction after the
answer, so staff keep writing while the store is slow.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from sync import outbox, protocol
from sync.client import CentralClient, PushReply, StoreUnreachable
from sync.outbox import Connection
from sync.protocol import Entry, Problem

log = logging.getLogger(__name__)

Outcome = Literal["synced", "pending", "offline", "busy", "refused", "skipped", "misconfigured"]
"""synced: the queue is drained (set-aside entries apart). pending: the cycle ended early
with entries still queued but nothing wrong (a batch limit, or edits racing the push).
offline: no usable answer (retry with backoff). busy: 429 (retry after Retry-After).
refused: 401/403. skipped: another pusher holds the lease. misconfigured: no usable store
settings or token file."""

REFUSALS = {
    401: "token refused (revoked or unknown)",
    403: "wrong ward",
}
_STALLED_BATCHES = 3
"""Batches in a row that acknowledge nothing (every entry edited again while on the wire)
before the cycle leaves the rest to the next one."""


@dataclass(frozen=True)
class CycleReport:
    outcome: Outcome
    detail: str = ""
    sent: int = 0
    """Entries posted, resends included."""
    acked: int = 0
    """Outbox rows acknowledged (removed from the queue)."""
    applied: int = 0
    duplicate: int = 0
    stale: int = 0
    set_aside: int = 0
    """Entries set aside in this cycle."""
    waiting: int = 0
    """Entries still queued after the cycle (set-aside ones not counted)."""
    retry_after: float | None = None
    status: int | None = None
    """The last HTTP status seen, if any."""
    batches: int = 0

    @property
    def retryable(self) -> bool:
        return self.outcome in ("offline", "busy")

    @property
    def ok(self) -> bool:
        return self.outcome in ("synced", "pending", "skipped")


@dataclass
class _Tally:
    sent: int = 0
    acked: int = 0
    applied: int = 0
    duplicate: int = 0
    stale: int = 0
    set_aside: int = 0
    batches: int = 0
    status: int | None = None

    def report(
        self,
        conn: Connection,
        outcome: Outcome,
        detail: str = "",
        retry_after: float | None = None,
    ) -> CycleReport:
        return CycleReport(
            outcome=outcome,
            detail=detail,
            waiting=outbox.count_waiting(conn),
            retry_after=retry_after,
            **dataclasses.asdict(self),
        )


def _field_reasons(problems: Sequence[Problem]) -> dict[int, str]:
    """The messages for each entry a 422 names, with the batch-relative prefix taken off
    (`entries[3].rev: …` becomes `rev: …`: the index means nothing once set aside)."""
    found: dict[int, list[str]] = {}
    for problem in problems:
        if not problem.loc.startswith("entries["):
            continue
        number, _, rest = problem.loc[len("entries[") :].partition("]")
        if not number.isdigit():
            continue
        where = rest.lstrip(".") or "entry"
        found.setdefault(int(number), []).append(f"{where}: {problem.msg}")
    return {index: "; ".join(messages) for index, messages in found.items()}


def _no_transaction(conn: Connection) -> None:
    if getattr(conn, "in_transaction", False):
        raise RuntimeError("a push must not start with a transaction open on the kiosk database")


def push_cycle(
    conn: Connection,
    client: CentralClient,
    *,
    batch_size: int = protocol.MAX_ENTRIES,
    max_bytes: int = protocol.MAX_BODY_BYTES,
    max_batches: int | None = None,
    keep_going: Callable[[], bool] | None = None,
    after_post: Callable[[Sequence[Entry]], None] | None = None,
) -> CycleReport:
    """Push queued entries until the queue is drained or the cycle has to stop.

    `keep_going` is asked before each batch (the job renews its lease there; False ends the
    cycle as skipped). `after_post` is called with each batch after the store has answered
    and before the answer is written (no transaction open): tests edit rows there."""
    size = max(1, min(batch_size, protocol.MAX_ENTRIES))
    tally = _Tally()
    stalled = 0
    while True:
        if max_batches is not None and tally.batches >= max_batches:
            return tally.report(conn, "pending", f"stopped after {max_batches} batches")
        if keep_going is not None and not keep_going():
            return tally.report(conn, "skipped", "another pusher took over")
        batch = outbox.read_batch(conn, size, max_bytes)
        if batch.unusable:
            with outbox.writing(conn):
                tally.set_aside += outbox.set_aside(
                    conn,
                    [(u.entity, u.entity_id, u.rev, u.reason) for u in batch.unusable],
                )
        if not batch.entries:
            if batch.unusable:
                continue
            return tally.report(conn, "synced")
        entries = batch.entries
        _no_transaction(conn)
        tally.batches += 1
        tally.sent += len(entries)
        try:
            reply = client.push(entries)
        except StoreUnreachable as error:
            with outbox.writing(conn):
                outbox.note_attempt(conn, entries)
            return tally.report(conn, "offline", str(error))
        tally.status = reply.status
        if after_post is not None:
            after_post(entries)
        if reply.status == 200 and reply.results is not None:
            progress = _apply_results(conn, entries, reply, tally)
            if progress is None:
                return tally.report(
                    conn, "offline", "the store's answer left out some entries; sent again later"
                )
            stalled = 0 if progress else stalled + 1
            if stalled >= _STALLED_BATCHES:
                return tally.report(conn, "pending", "entries were edited while being pushed")
            continue
        if reply.status == 413:
            if len(entries) == 1:
                entry = entries[0]
                reason = (
                    f"too big for the store ({outbox.entry_size(entry)} bytes; a push may "
                    f"hold {protocol.MAX_BODY_BYTES} bytes)"
                )
                with outbox.writing(conn):
                    tally.set_aside += outbox.set_aside(
                        conn, [(entry.entity, entry.id, entry.rev, reason)]
                    )
            else:
                size = max(1, len(entries) // 2)
                log.info("store said 413: batches of %d from now on", size)
            continue
        if reply.status in (400, 422):
            if not _set_aside_malformed(conn, entries, reply, tally):
                # No entry named (or none that is in this batch): halve until it is alone.
                size = max(1, len(entries) // 2)
            continue
        if reply.status in REFUSALS:
            with outbox.writing(conn):
                outbox.note_attempt(conn, entries)
            detail = REFUSALS[reply.status]
            if reply.detail and reply.detail not in detail:
                detail = f"{detail}: {reply.detail}"
            return tally.report(conn, "refused", detail)
        with outbox.writing(conn):
            outbox.note_attempt(conn, entries)
        if reply.status == 429:
            return tally.report(
                conn, "busy", f"the store is busy ({reply.detail})", reply.retry_after
            )
        answered = f"the store answered HTTP {reply.status}"
        if reply.detail and not reply.detail.startswith("HTTP "):
            answered += f" ({reply.detail})"
        if reply.status == 200:
            detail = "the store's answer was malformed"
        elif reply.status >= 500:
            detail = answered
        else:
            detail = f"{answered}: is the store URL right?"
        return tally.report(conn, "offline", detail, reply.retry_after)


def _apply_results(
    conn: Connection, entries: Sequence[Entry], reply: PushReply, tally: _Tally
) -> bool | None:
    """Write a 200's results: acks by rev, rejected entries set aside. True when anything left
    the queue, False when nothing did, None when the answer missed entries (not written)."""
    assert reply.results is not None
    by_key = {result.key: result for result in reply.results}
    done: list[Entry] = []
    rejected: list[tuple[str, str, int, str]] = []
    missing: list[Entry] = []
    for entry in entries:
        result = by_key.get(entry.key)
        if result is None:
            missing.append(entry)
        elif result.status == "rejected":
            reason = result.reason or "rejected by the store"
            rejected.append((entry.entity, entry.id, entry.rev, reason))
        else:
            done.append(entry)
            if result.status == "applied":
                tally.applied += 1
            elif result.status == "duplicate":
                tally.duplicate += 1
            else:
                tally.stale += 1
    with outbox.writing(conn):
        acked = outbox.ack(conn, done)
        aside = outbox.set_aside(conn, rejected)
        outbox.note_attempt(conn, missing)
    tally.acked += acked
    tally.set_aside += aside
    if missing:
        log.warning("the store's answer left out %d of %d entries", len(missing), len(entries))
        return None
    return bool(acked or aside)


def _set_aside_malformed(
    conn: Connection, entries: Sequence[Entry], reply: PushReply, tally: _Tally
) -> bool:
    """Set aside the entries a 400/422 names; a lone entry takes every message. False when
    the answer named no entry of a batch of several."""
    reasons = {
        index: reason
        for index, reason in _field_reasons(reply.problems).items()
        if 0 <= index < len(entries)
    }
    if not reasons and len(entries) == 1:
        messages = "; ".join(f"{p.loc}: {p.msg}" for p in reply.problems)
        reasons = {0: messages or f"the store refused it (HTTP {reply.status})"}
    if not reasons:
        return False
    items = [
        (entries[i].entity, entries[i].id, entries[i].rev, "malformed: " + reason)
        for i, reason in sorted(reasons.items())
    ]
    with outbox.writing(conn):
        tally.set_aside += outbox.set_aside(conn, items)
    return True

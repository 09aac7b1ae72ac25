"""Rebuild a replaced kiosk from the central store: `huddle-board restore --store URL
--token-file F --db NEW.db`.

Pages through `GET /api/v1/entries` (the token's ward only) and writes every row as the store
has it: the same ids, revs and content, tombstones too, one transaction per page. No outbox
rows are written (the rows are already central), so the board starts synced and pushes on as
normal: the next local edit of a row is its rev + 1, which the store applies.

Only a new file is written: an existing non-empty file is refused, and a restore that fails
half-way removes what it wrote (the store still holds everything), so it can simply be run
again. The first page is fetched before the file is created, so a wrong URL or token leaves
nothing behind.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from huddle_board.clock import Clock, utc_stamp
from huddle_board.db.migrations import SYNCED_TABLES, open_store
from sync import outbox, protocol, state
from sync.client import (
    CentralClient,
    StoreRefused,
    StoreUnreachable,
    SyncError,
    TokenFileError,
    read_token_file,
)
from sync.outbox import ENVELOPE
from sync.protocol import Entry, Page

EXIT_OK, EXIT_RETRYABLE, EXIT_USAGE, EXIT_REFUSED = 0, 1, 2, 3


class RestoreError(Exception):
    """The restore cannot go on; the message says why and what to do."""


@dataclass
class RestoreReport:
    ward: str = ""
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(protocol.ENTITIES, 0))
    deleted: dict[str, int] = field(default_factory=lambda: dict.fromkeys(protocol.ENTITIES, 0))
    pages: int = 0
    problems: list[str] = field(default_factory=list)
    """Rows whose references point nowhere (the store's data as it is; shown, not fixed)."""

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _is_empty(path: Path) -> bool:
    return not path.exists() or (path.is_file() and path.stat().st_size == 0)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        target = Path(f"{path}{suffix}")
        if target.exists():
            target.unlink()


def _pages(client: CentralClient, page_size: int) -> Iterator[Page]:
    after: str | None = None
    seen: set[str] = set()
    while True:
        page = client.entries(after, page_size)
        yield page
        if page.next is None:
            return
        if page.next in seen:
            raise RestoreError(f"the store sent the cursor {page.next!r} twice; stopped")
        seen.add(page.next)
        after = page.next


class _Writer:
    """Writes pages of entries into a new, migrated store on one plain connection."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.columns = {
            entity: {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
            for entity, table in SYNCED_TABLES.items()
        }

    def write(self, entries: list[Entry], report: RestoreReport) -> None:
        with outbox.writing(self.conn):
            for entry in entries:
                self._row(entry)
                report.counts[entry.entity] += 1
                report.deleted[entry.entity] += int(entry.deleted)

    def _row(self, entry: Entry) -> None:
        if entry.entity not in SYNCED_TABLES:
            raise RestoreError(f"the store sent an unknown entity {entry.entity!r}")
        fields = set(entry.data)
        unknown = sorted((fields - self.columns[entry.entity]) | (fields & set(ENVELOPE)))
        if unknown:
            raise RestoreError(
                f"{entry.entity} {entry.id} has fields this board does not know "
                f"({', '.join(unknown)}): update huddle-board, then restore again"
            )
        row = {
            "id": entry.id,
            "ward": entry.ward,
            "rev": entry.rev,
            "updated_at": entry.updated_at,
            "deleted": int(entry.deleted),
            **entry.data,
        }
        names = list(row)
        updates = ", ".join(f"{name} = excluded.{name}" for name in names if name != "id")
        table = SYNCED_TABLES[entry.entity]
        # Should the store send a row twice, the higher rev wins, as it does everywhere.
        self.conn.execute(
            f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)}) "
            f"ON CONFLICT (id) DO UPDATE SET {updates} WHERE excluded.rev > {table}.rev",
            list(row.values()),
        )


def restore(
    db_path: Path,
    client: CentralClient,
    clock: Clock,
    *,
    page_size: int = protocol.MAX_PAGE,
    progress: Callable[[RestoreReport], None] | None = None,
) -> RestoreReport:
    """Write every entry of the token's ward from the store into a new board at `db_path`."""
    if not _is_empty(db_path):
        raise RestoreError(f"{db_path} already exists and is not empty; restore writes a new file")
    pages = _pages(client, page_size)
    first = next(pages)
    if not first.entries and first.next is None:
        raise RestoreError("the store holds no entries for this token's ward: nothing to restore")
    report = RestoreReport()
    db, health = open_store(db_path)
    db.close()
    if not health.ok:  # pragma: no cover - a file we have just created
        raise RestoreError(health.problem)
    conn = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=5000")
        conn.execute("PRAGMA synchronous=FULL")
        # The store's order need not put parents before children (week values before their
        # measure): references are checked once everything is written, not row by row.
        conn.execute("PRAGMA foreign_keys=OFF")
        writer = _Writer(conn)
        for page in _chain(first, pages):
            wards = {entry.ward for entry in page.entries}
            if report.ward:
                wards.add(report.ward)
            if len(wards) > 1:
                raise RestoreError(
                    f"the store sent entries for more than one ward ({', '.join(sorted(wards))})"
                )
            if wards:
                report.ward = wards.pop()
            writer.write(page.entries, report)
            report.pages += 1
            if progress is not None:
                progress(report)
        if not report.ward:
            raise RestoreError("the store holds no entries for this token's ward")
        with outbox.writing(conn):
            conn.execute(
                "INSERT INTO ward (code, name, created_at) VALUES (?, ?, ?)",
                [report.ward, f"Ward {report.ward}", utc_stamp(clock)],
            )
        report.problems = [
            f"{table} row {rowid}: {parent} reference not found"
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check")
        ]
        state.record_outcome(conn, clock, "synced", "restored from the store")
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        _remove(db_path)
        raise
    conn.close()
    return report


def _chain(first: Page, rest: Iterator[Page]) -> Iterator[Page]:
    yield first
    yield from rest


def run_restore(
    db_path: Path,
    store_url: str | None,
    token_file: Path | None,
    ca_file: Path | None,
    clock: Clock,
    *,
    page_size: int = protocol.MAX_PAGE,
) -> int:
    """`huddle-board restore`: restore and print rows per entity; returns the exit code
    (0 done, 1 store unreachable, 2 bad usage, 3 token refused)."""

    def fail(message: str, code: int) -> int:
        print(f"huddle-board restore: {message}", file=sys.stderr)
        return code

    if store_url is None or token_file is None:
        return fail("give --store URL and --token-file FILE (or set them in settings)", EXIT_USAGE)
    if not _is_empty(db_path):
        return fail(f"{db_path} already exists and is not empty; give a new file", EXIT_USAGE)
    try:
        token = read_token_file(token_file)
        client = CentralClient(store_url, token, ca_file)
    except TokenFileError as error:
        return fail(str(error), EXIT_USAGE)
    except SyncError as error:
        return fail(str(error), EXIT_USAGE)
    try:
        with client:
            report = restore(db_path, client, clock, page_size=page_size)
    except StoreRefused as error:
        return fail(f"{error} (revoked, unknown or for another ward)", EXIT_REFUSED)
    except StoreUnreachable as error:
        return fail(f"the store cannot be reached: {error}; nothing was written", EXIT_RETRYABLE)
    except (RestoreError, SyncError) as error:
        return fail(f"{error}; nothing was written", EXIT_USAGE)
    print(f"Restored ward {report.ward} into {db_path} from {store_url} ({report.pages} pages):")
    for entity in protocol.ENTITIES:
        tombstones = report.deleted[entity]
        note = f" ({tombstones} deleted)" if tombstones else ""
        print(f"  {entity}: {report.counts[entity]} rows{note}")
    for problem in report.problems[:20]:
        print(f"  warning: {problem}")
    print(
        f'The ward is named "Ward {report.ward}"; to rename it: huddle-board init --db '
        f'{db_path} --ward {report.ward} --name "Ward name"'
    )
    return EXIT_OK

"""The central store's database: schema, migrations, and the two operations the API needs.

SQLAlchemy Core over SQLite (the default, one file) or PostgreSQL (psycopg 3, a whole board),
with one code path: the same statements run on both; only the connection set-up differs
(SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE for writes; PostgreSQL gets a pool).

Tables:
- `schema_version`: one row per applied migration, so later versions can migrate in place.
- `devices`: one row per device token (the SHA-256 hash only, never the token).
- `wards`: a per-ward sequence counter. A push first bumps its ward's counter, which takes that
  row's lock until the push commits. So pushes for one ward run one at a time (pushes for
  different wards still run side by side), and the sequence numbers a ward's rows get are in
  commit order. That is what lets a reader page by sequence number without skipping a row.
- `entries`: the current row (latest rev) of every (entity, id), tombstones included, with the
  ward-local sequence number of its latest applied write.
- `revisions`: every applied rev, append-only (nothing updates or deletes it)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from sync.protocol import Entry, Result

DEFAULT_DATABASE = "sqlite:///huddle-central.db"
MAX_REV = 2**63 - 1  # revs are stored as 64-bit integers
SQLITE_BUSY_TIMEOUT_MS = 5000  # waiting for another process (e.g. `token create`)
WRITE_QUEUE_TIMEOUT_S = 30.0  # waiting for this process's other writers (SQLite)
# Any fixed number: taken by `migrate` on PostgreSQL so two instances starting at once do not
# both try to create the tables.
_MIGRATION_LOCK = 7_400_311

metadata = sa.MetaData()

schema_version = sa.Table(
    "schema_version",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("applied_at", sa.Text, nullable=False),
)

devices = sa.Table(
    "devices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("device", sa.Text, nullable=False, unique=True),
    sa.Column("ward", sa.Text, nullable=False),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("created_at", sa.Text, nullable=False),
    sa.Column("last_used_at", sa.Text),
    sa.Column("revoked_at", sa.Text),
)

wards = sa.Table(
    "wards",
    metadata,
    sa.Column("ward", sa.Text, primary_key=True),
    sa.Column("last_seq", sa.BigInteger, nullable=False),
)


def _entry_columns() -> list[sa.Column[Any]]:
    """The columns of a stored entry: `entries` holds each one's latest rev, `revisions`
    every rev applied (a table needs Column objects of its own, hence a function)."""
    return [
        sa.Column("id", sa.Text, nullable=False),
        sa.Column("entity", sa.Text, nullable=False),
        sa.Column("ward", sa.Text, nullable=False),
        sa.Column("rev", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.Text, nullable=False),
        sa.Column("deleted", sa.Boolean, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("received_at", sa.Text, nullable=False),
        sa.Column("device", sa.Text, nullable=False),
    ]


# The primary keys lead with `id` so that a batch's lookup (`id IN (...)`) uses them directly.
entries = sa.Table(
    "entries",
    metadata,
    *_entry_columns(),
    sa.PrimaryKeyConstraint("id", "entity", name="entries_pk"),
    sa.Index("entries_ward_seq", "ward", "seq", unique=True),
)

revisions = sa.Table(
    "revisions",
    metadata,
    *_entry_columns(),
    sa.PrimaryKeyConstraint("id", "entity", "rev", name="revisions_pk"),
)


# The two upserts, as SQL text: SQLite (3.35+) and PostgreSQL spell INSERT ... ON CONFLICT ...
# RETURNING the same way, and SQLAlchemy cannot cache its ON CONFLICT constructs, so building
# and compiling them on every push cost more than the rest of a small push.
_RESERVE = sa.text(
    "INSERT INTO wards (ward, last_seq) VALUES (:ward, :count) "
    "ON CONFLICT (ward) DO UPDATE SET last_seq = wards.last_seq + :count "
    "RETURNING last_seq"
)
_INSERT_NEW = sa.text(
    f"INSERT INTO entries ({', '.join(column.name for column in entries.c)}) "
    f"VALUES ({', '.join(':' + column.name for column in entries.c)}) "
    "ON CONFLICT (id, entity) DO NOTHING"
)


class Step(Protocol):
    def __call__(self, conn: Connection) -> None: ...


def _version_1(conn: Connection) -> None:
    # When a later migration changes one of these tables, this step must keep creating the
    # version-1 shape: copy the old definition here rather than editing the one above.
    metadata.create_all(conn, tables=[devices, wards, entries, revisions])


# Append only: a version number, once released, never changes meaning.
MIGRATIONS: tuple[tuple[int, str, Step], ...] = (
    (1, "devices, wards, entries, revisions", _version_1),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]


class SchemaTooNew(RuntimeError):
    """The database was migrated by a newer huddle-central than this one."""


def utc_now() -> str:
    """Now, as the kiosk writes timestamps (ISO 8601 UTC, ending in Z)."""
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def normalise_url(text: str) -> str:
    """A SQLAlchemy URL from what an admin may type: a URL, or a plain path to a SQLite file.

    `postgresql://` and `postgres://` get the psycopg (version 3) driver, the one installed."""
    text = text.strip()
    if not text:
        raise ValueError("the database URL is empty")
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


def safe_url(database_url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    try:
        return sa.make_url(normalise_url(database_url)).render_as_string(hide_password=True)
    except (ValueError, sa.exc.ArgumentError):
        return "(unreadable database URL)"


def encode_cursor(seq: int) -> str:
    """An opaque paging cursor: callers hand it back, they do not compute with it."""
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The sequence number in a cursor made by `encode_cursor`; ValueError for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise ValueError("is not a cursor this store made") from error
    if not text.startswith("s") or not text[1:].isdigit() or len(text) > 24:
        raise ValueError("is not a cursor this store made")
    return int(text[1:])


@dataclass(frozen=True)
class _Found:
    ward: str
    rev: int


class CentralDB:
    """One database (SQLite file or PostgreSQL), with its engine and pool.

    Thread-safe: every call checks a connection out for itself. On SQLite there is no pool at
    all (a connection per use, opened and closed in the calling thread), so a SQLite
    connection never crosses threads; opening one costs well under a millisecond."""

    def __init__(self, database_url: str, *, pool_size: int = 20, max_overflow: int = 20) -> None:
        self.url = sa.make_url(normalise_url(database_url))
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            if self.url.database in (None, "", ":memory:"):
                raise ValueError("huddle-central needs a SQLite file, not an in-memory database")
            self.engine: Engine = sa.create_engine(
                self.url, poolclass=NullPool, hide_parameters=True
            )
            event.listen(self.engine, "connect", _sqlite_connect)
            event.listen(self.engine, "begin", _sqlite_begin)
        elif self.dialect == "postgresql":
            self.engine = sa.create_engine(
                self.url,
                pool_size=pool_size,
                max_overflow=max_overflow,
                pool_timeout=10,
                pool_pre_ping=True,  # a restarted server or a dropped link costs one retry
                pool_recycle=1800,
                hide_parameters=True,  # SQL errors in logs never carry values (token hashes)
                connect_args={
                    "connect_timeout": 10,
                    "application_name": "huddle-central",
                    # A push stuck behind a lock answers 503 (the kiosk retries) rather than
                    # hanging until the kiosk's own timeout; a stuck session lets go.
                    "options": "-c lock_timeout=30s -c statement_timeout=60s "
                    "-c idle_in_transaction_session_timeout=60s",
                },
            )
        else:
            raise ValueError(
                f"unsupported database {self.url.drivername!r}: use sqlite:///FILE "
                "or postgresql+psycopg://USER@HOST/DB"
            )
        self._write_lock = threading.Lock() if self.dialect == "sqlite" else None

    def __repr__(self) -> str:
        return f"CentralDB({self.url.render_as_string(hide_password=True)!r})"

    def dispose(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction (BEGIN IMMEDIATE on SQLite, so it never has to upgrade a read
        lock halfway, which SQLite would refuse at once with `database is locked`).

        On SQLite, writers in this process also queue on a lock first: SQLite lets one writer
        in at a time anyway, and its busy handler retries by sleeping, so under load some
        writers would wait far longer than others (and time out); a lock hands the turn on
        at once."""
        with self._writer(), self.engine.connect() as conn:
            conn.execution_options(huddle_write=True)
            with conn.begin():
                yield conn

    @contextmanager
    def _writer(self) -> Iterator[None]:
        if self._write_lock is None:
            yield
            return
        if not self._write_lock.acquire(timeout=WRITE_QUEUE_TIMEOUT_S):
            raise sa.exc.TimeoutError(
                f"no turn to write to the SQLite file within {WRITE_QUEUE_TIMEOUT_S} s"
            )
        try:
            yield
        finally:
            self._write_lock.release()

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with self.engine.connect() as conn, conn.begin():
            yield conn

    # -- schema -------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Create or bring the schema up to date, in one transaction; the version reached."""
        with self.write() as conn:
            if self.dialect == "postgresql":
                conn.execute(sa.text("SET LOCAL statement_timeout = 0"))  # a migration may be long
                conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
            schema_version.create(conn, checkfirst=True)
            done = set(conn.execute(sa.select(schema_version.c.version)).scalars())
            newest = max(done, default=0)
            if newest > SCHEMA_VERSION:
                raise SchemaTooNew(
                    f"the database is at schema version {newest}, newer than this "
                    f"huddle-central knows ({SCHEMA_VERSION}): upgrade huddle-central"
                )
            for version, name, step in MIGRATIONS:
                if version not in done:
                    step(conn)
                    conn.execute(
                        sa.insert(schema_version).values(
                            version=version, name=name, applied_at=utc_now()
                        )
                    )
        return SCHEMA_VERSION

    def version(self) -> int:
        """The schema version, read from the database: a real round trip, for /healthz."""
        with self.read() as conn:
            found = conn.execute(sa.select(sa.func.max(schema_version.c.version))).scalar()
        return int(found or 0)

    # -- push -----------------------------------------------------------------------------------

    def push(
        self, ward: str, device: str, batch: Sequence[Entry], received_at: str
    ) -> list[Result]:
        """Apply one push for `ward` in one transaction; one result per entry, in order.

        The caller has checked that every entry is for `ward`. Per (entity, id): a higher rev
        than the stored one is applied (and kept in `revisions`), the same rev is a duplicate,
        a lower one is stale, and an id that exists under another ward is rejected (that row
        is not touched). Set-based: one lookup for the whole batch, then one executemany per
        kind of write."""
        if not batch:
            return []
        results: list[Result | None] = [None] * len(batch)
        # Key order for the writes: two transactions that insert the same ids then take the
        # index locks in the same order (a deadlock needs opposite orders).
        order = sorted(range(len(batch)), key=lambda index: batch[index].key)
        with self.write() as conn:
            top = self._reserve(conn, ward, len(batch))
            first = top - len(batch) + 1  # entry i gets sequence number first + i if applied
            found = self._lookup(conn, [batch[index].key for index in order])
            inserts: list[int] = []
            updates: list[int] = []
            for index in order:
                verdict = _judge(batch[index], ward, found.get(batch[index].key))
                if verdict == "insert":
                    inserts.append(index)
                elif verdict == "update":
                    updates.append(index)
                else:
                    results[index] = verdict
            rows = {i: entry_row(batch[i], ward, device, first + i, received_at) for i in order}
            if inserts:
                # DO NOTHING: another ward may insert the same id between our lookup and
                # here; its row stays as it is, and the count below finds out.
                conn.execute(_INSERT_NEW, [rows[index] for index in inserts])
            if updates:
                self._update(conn, ward, [rows[index] for index in updates])
            applied = inserts + updates
            if applied:
                # History: a copy of every row this transaction wrote, found by the sequence
                # numbers it reserved (no other transaction can use them for this ward), in
                # one statement on the database side.
                ours = sa.and_(entries.c.ward == ward, entries.c.seq.between(first, top))
                names = [column.name for column in revisions.c]
                copied = conn.execute(
                    sa.insert(revisions)
                    .from_select(names, sa.select(*[entries.c[name] for name in names]).where(ours))
                    # SQLAlchemy keeps an INSERT's row count only when asked.
                    .execution_options(preserve_rowcount=True)
                ).rowcount
                if copied != len(applied):
                    applied = self._recount(conn, ward, batch, applied, ours, results)
                for index in applied:
                    results[index] = _result(batch[index], "applied")
        return [result for result in results if result is not None]

    def _recount(
        self,
        conn: Connection,
        ward: str,
        batch: Sequence[Entry],
        applied: list[int],
        ours: sa.ColumnElement[bool],
        results: list[Result | None],
    ) -> list[int]:
        """The entries really written, when fewer were than the lookup promised: another
        ward inserted some of the same ids first. Those are judged again (rejected)."""
        written = {
            (row.entity, row.id)
            for row in conn.execute(sa.select(entries.c.entity, entries.c.id).where(ours))
        }
        lost = [index for index in applied if batch[index].key not in written]
        again = self._lookup(conn, [batch[index].key for index in lost])
        for index in lost:
            verdict = _judge(batch[index], ward, again.get(batch[index].key))
            if not isinstance(verdict, Result):
                # Cannot happen while this ward's lock is held; if it ever does, write nothing.
                raise RuntimeError(f"entry {batch[index].key} was neither written nor refused")
            results[index] = verdict
        return [index for index in applied if batch[index].key in written]

    def _reserve(self, conn: Connection, ward: str, count: int) -> int:
        """Take `count` sequence numbers for `ward` (and its row lock until commit)."""
        return int(conn.execute(_RESERVE, {"ward": ward, "count": count}).scalar_one())

    def _lookup(self, conn: Connection, keys: Sequence[tuple[str, str]]) -> dict[Any, _Found]:
        wanted = set(keys)
        statement = sa.select(entries.c.entity, entries.c.id, entries.c.ward, entries.c.rev).where(
            entries.c.id.in_(sorted({row_id for _, row_id in keys}))
        )
        found: dict[Any, _Found] = {}
        for row in conn.execute(statement):
            if (row.entity, row.id) in wanted:
                found[(row.entity, row.id)] = _Found(row.ward, int(row.rev))
        return found

    def _update(self, conn: Connection, ward: str, rows: Sequence[dict[str, Any]]) -> None:
        columns = ("rev", "updated_at", "deleted", "data", "seq", "received_at", "device")
        statement = (
            sa.update(entries)
            .where(
                entries.c.id == sa.bindparam("k_id"),
                entries.c.entity == sa.bindparam("k_entity"),
                entries.c.ward == sa.bindparam("k_ward"),
                # Never lower a rev, whatever happened since the lookup.
                entries.c.rev < sa.bindparam("k_rev"),
            )
            .values({name: sa.bindparam(f"v_{name}") for name in columns})
        )
        params = []
        for row in rows:
            values = {f"v_{name}": row[name] for name in columns}
            values.update(k_id=row["id"], k_entity=row["entity"], k_ward=ward, k_rev=row["rev"])
            params.append(values)
        conn.execute(statement, params)

    # -- read -----------------------------------------------------------------------------------

    def page(self, ward: str, after: int, limit: int) -> tuple[list[Entry], int | None]:
        """Up to `limit` of `ward`'s current rows after sequence number `after`, in sequence
        order, and the sequence number to continue after (None when there are no more).

        A row changed while a reader pages moves to the end (its sequence number is that of
        its latest write), so the reader meets it again with the newer rev: nothing that
        existed when paging began is skipped, and a row comes twice only when it changed."""
        with self.read() as conn:
            rows = conn.execute(
                sa.select(
                    entries.c.entity,
                    entries.c.id,
                    entries.c.rev,
                    entries.c.ward,
                    entries.c.updated_at,
                    entries.c.deleted,
                    entries.c.data,
                    entries.c.seq,
                )
                .where(entries.c.ward == ward, entries.c.seq > after)
                .order_by(entries.c.seq)
                .limit(limit + 1)
            ).all()
        following = int(rows[limit - 1].seq) if len(rows) > limit else None
        return [
            Entry(
                entity=row.entity,
                id=row.id,
                rev=int(row.rev),
                ward=row.ward,
                updated_at=row.updated_at,
                deleted=bool(row.deleted),
                data=json.loads(row.data),
            )
            for row in rows[:limit]
        ], following


def _judge(entry: Entry, ward: str, found: _Found | None) -> Result | Literal["insert", "update"]:
    """ "insert", "update", or the final result for an entry, given the stored row."""
    if found is None:
        return "insert"
    if found.ward != ward:
        return _result(entry, "rejected", "this id belongs to another ward's entry")
    if entry.rev > found.rev:
        return "update"
    if entry.rev == found.rev:
        return _result(entry, "duplicate")
    return _result(entry, "stale", f"the store already has rev {found.rev}")


def _result(entry: Entry, status: Any, reason: str = "") -> Result:
    return Result(entity=entry.entity, id=entry.id, rev=entry.rev, status=status, reason=reason)


def entry_row(entry: Entry, ward: str, device: str, seq: int, received_at: str) -> dict[str, Any]:
    """The `entries` (and `revisions`) row for `entry`."""
    return {
        "id": entry.id,
        "entity": entry.entity,
        "ward": ward,
        "rev": entry.rev,
        "updated_at": entry.updated_at,
        "deleted": entry.deleted,
        "data": json.dumps(dict(entry.data), ensure_ascii=False, separators=(",", ":")),
        "seq": seq,
        "received_at": received_at,
        "device": device,
    }


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take transaction control from the sqlite3 module: SQLAlchemy's "begin" event below
    # issues BEGIN itself (the SQLAlchemy documentation's recipe for pysqlite).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise RuntimeError(f"SQLite would not use WAL (journal_mode is {mode})")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
    finally:
        cursor.close()


def _sqlite_begin(conn: Connection) -> None:
    write = conn.get_execution_options().get("huddle_write", False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

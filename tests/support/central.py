"""Real servers for tests: a `huddle-central serve` subprocess on loopback, and a throwaway
PostgreSQL cluster for it to use.

    with postgres_cluster() as cluster_url:          # one per test session is plenty
        url = new_database(cluster_url)              # a fresh empty database, per test
        with central_process(url) as central:        # the real server, on 127.0.0.1:<free port>
            token = central.token("RAI-7A", "kiosk-1")
            httpx.post(central.url + "/api/v1/push", ...)

PostgreSQL refuses to run as root, so when the tests run as root (CI does) the cluster is
created and started as the `postgres` OS user, in a temporary folder that user owns. Where the
PostgreSQL binaries are missing the PostgreSQL tests skip, unless HUDDLE_REQUIRE_POSTGRES is
set (CI sets it): then they fail, so a CI run cannot go green without them."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from sync.central import tokens
from sync.central.db import CentralDB

REQUIRE_POSTGRES = "HUDDLE_REQUIRE_POSTGRES"
START_TIMEOUT_S = 30.0


# -- PostgreSQL ---------------------------------------------------------------------------------


def postgres_bin() -> Path | None:
    """The folder holding initdb and pg_ctl: from PATH, else Debian's newest
    /usr/lib/postgresql/NN/bin (the package does not put initdb on PATH)."""
    found = shutil.which("initdb")
    if found:
        folder = Path(found).resolve().parent
        if (folder / "pg_ctl").exists():
            return folder
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    return candidates[-1].parent if candidates else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _as_postgres() -> dict[str, Any]:
    """Popen arguments that run a command as the `postgres` OS user when we are root."""
    if os.geteuid() != 0:
        return {}
    try:
        import pwd

        record = pwd.getpwnam("postgres")
    except KeyError as error:
        raise RuntimeError(
            "running as root, and there is no `postgres` OS user to run PostgreSQL as"
        ) from error
    return {"user": record.pw_uid, "group": record.pw_gid, "extra_groups": []}


def _missing_postgres(why: str) -> None:
    if os.environ.get(REQUIRE_POSTGRES):
        pytest.fail(
            f"{why}, and {REQUIRE_POSTGRES} is set: install PostgreSQL (Debian: postgresql)"
        )
    pytest.skip(f"{why}: install PostgreSQL (Debian: postgresql) to run these tests")


@contextlib.contextmanager
def postgres_cluster() -> Iterator[str]:
    """A temporary PostgreSQL cluster on 127.0.0.1 and a free port, with an empty database
    `huddle`; yields its SQLAlchemy URL. The cluster and its files are removed afterwards.

    Tuned for tests, not for keeping data: fsync and synchronous_commit are off."""
    folder = postgres_bin()
    if folder is None:
        _missing_postgres("PostgreSQL binaries (initdb, pg_ctl) not found")
    assert folder is not None
    as_postgres = _as_postgres()
    base = Path(tempfile.mkdtemp(prefix="huddle-pg-"))
    data = base / "data"
    log = base / "postgres.log"
    if as_postgres:
        os.chown(base, as_postgres["user"], as_postgres["group"])
    run: dict[str, Any] = {"cwd": base, "capture_output": True, "text": True, **as_postgres}
    started = False
    try:
        subprocess.run(
            [
                str(folder / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
            check=True,
            **run,
        )
        for _attempt in range(5):
            port = free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -c unix_socket_directories={base} "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                "-c max_connections=400"
            )
            done = subprocess.run(
                [
                    str(folder / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(log),
                    "-o",
                    options,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
                **run,
            )
            if done.returncode == 0:
                started = True
                break
            if "already in use" not in _read(log):
                raise RuntimeError(f"PostgreSQL did not start:\n{done.stderr}\n{_read(log)}")
        if not started:
            raise RuntimeError(f"PostgreSQL found no free port:\n{_read(log)}")
        cluster = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        yield new_database(cluster, name="huddle")
    finally:
        if started:
            subprocess.run(
                [str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], **run
            )
        shutil.rmtree(base, ignore_errors=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(errors="replace")
    except OSError:
        return ""


def _admin(cluster_url: str) -> sa.Engine:
    url = sa.make_url(cluster_url).set(database="postgres")
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def new_database(cluster_url: str, name: str | None = None) -> str:
    """A fresh, empty database in the cluster of `cluster_url`; its SQLAlchemy URL."""
    name = name or f"t_{uuid.uuid4().hex[:16]}"
    engine = _admin(cluster_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    finally:
        engine.dispose()
    return sa.make_url(cluster_url).set(database=name).render_as_string(hide_password=False)


def drop_database(database_url: str) -> None:
    """Drop a database out from under whoever uses it (PostgreSQL 13+: WITH (FORCE))."""
    name = sa.make_url(database_url).database
    engine = _admin(database_url)
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        engine.dispose()


# -- looking at a store -----------------------------------------------------------------------

STAMP = "2026-11-26T09:00:00Z"


def make_entry(
    ward: str,
    *,
    entity: str = "idea",
    id: str | None = None,
    rev: int = 1,
    deleted: bool = False,
    data: dict[str, Any] | None = None,
    updated_at: str = STAMP,
) -> dict[str, Any]:
    """One entry as the kiosk sends it (JSON-ready), with a new UUID unless `id` is given."""
    return {
        "entity": entity,
        "id": id or str(uuid.uuid4()),
        "rev": rev,
        "ward": ward,
        "updated_at": updated_at,
        "deleted": deleted,
        "data": {"title": f"entry rev {rev}"} if data is None else data,
    }


def table_counts(db: CentralDB) -> dict[str, int]:
    with db.read() as conn:
        return {
            name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for name, table in db_tables().items()
        }


def db_tables() -> dict[str, sa.Table]:
    from sync.central.db import metadata

    return dict(metadata.tables)


def all_rows(db: CentralDB, table: str) -> list[dict[str, Any]]:
    """Every row of one of the store's tables, as dicts."""
    with db.read() as conn:
        return [dict(row._mapping) for row in conn.execute(sa.select(db_tables()[table]))]


# -- huddle-central ------------------------------------------------------------------------------


def _command() -> list[str]:
    """The installed `huddle-central` script beside this Python, else `python -m sync.central`
    (the same `main`)."""
    script = Path(sys.executable).parent / "huddle-central"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "sync.central"]


@dataclass
class CentralProcess:
    """A running `huddle-central serve` on 127.0.0.1 (see `central_process`)."""

    database_url: str
    port: int
    log_path: Path
    args: Sequence[str] = ()
    process: subprocess.Popen[bytes] | None = None
    _db: CentralDB | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db(self) -> CentralDB:
        """The same database, opened in the test process (for tokens and for looking)."""
        if self._db is None:
            self._db = CentralDB(self.database_url, pool_size=2, max_overflow=2)
        return self._db

    def token(self, ward: str, device: str) -> str:
        """A new device token for `ward` (through the tokens module, as the CLI does)."""
        return tokens.create_token(self.db, ward, device)

    def revoke(self, device: str) -> None:
        tokens.revoke(self.db, device)

    def client(self, token: str | None = None, **options: Any) -> httpx.Client:
        """An httpx client for this server, sending `token` as the bearer token."""
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        options.setdefault("timeout", 30.0)
        return httpx.Client(base_url=self.url, headers=headers, **options)

    def counts(self) -> dict[str, int]:
        """Rows in each of the store's tables."""
        return table_counts(self.db)

    def log_text(self) -> str:
        """Everything the server has written to stdout and stderr so far."""
        return _read(self.log_path)

    def start(self) -> None:
        """Start (or start again, on the same port) and wait until /healthz answers 200."""
        if self.process is not None and self.process.poll() is None:
            return
        command = [
            *_command(),
            "serve",
            "--database",
            self.database_url,
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.args,
        ]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServerDidNotStart(self.log_text())
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(self.url + "/healthz", timeout=2.0).status_code == 200:
                    return
            time.sleep(0.02)
        self.kill()
        raise ServerDidNotStart(f"no answer on {self.url}/healthz:\n{self.log_text()}")

    def stop(self) -> None:
        """SIGTERM (uvicorn's graceful shutdown), SIGKILL if it takes over 10 s."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def close(self) -> None:
        self.stop()
        if self._db is not None:
            self._db.dispose()
            self._db = None


class ServerDidNotStart(RuntimeError):
    pass


@contextlib.contextmanager
def central_process(
    database_url: str,
    *,
    rate_per_minute: float | None = None,
    burst: int | None = None,
    args: Sequence[str] = (),
) -> Iterator[CentralProcess]:
    """The real `huddle-central serve` over `database_url` on 127.0.0.1 and a free port,
    started and answering /healthz; stopped afterwards. Its output goes to `.log_path`."""
    extra = list(args)
    if rate_per_minute is not None:
        extra += ["--rate-per-minute", str(rate_per_minute)]
    if burst is not None:
        extra += ["--burst", str(burst)]
    folder = Path(tempfile.mkdtemp(prefix="huddle-central-"))
    central: CentralProcess | None = None
    try:
        for attempt in range(5):
            central = CentralProcess(database_url, free_port(), folder / "server.log", extra)
            try:
                central.start()
                break
            except ServerDidNotStart as error:
                central.close()
                # Another process may have taken the free port between probe and bind.
                if "address already in use" not in str(error).lower() or attempt == 4:
                    raise
        assert central is not None
        yield central
    finally:
        if central is not None:
            central.close()
        shutil.rmtree(folder, ignore_errors=True)

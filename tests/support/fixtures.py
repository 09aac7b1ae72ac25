"""Fixtures for tests that need a real central store (tests/central, tests/sync, ...).

Import them into a conftest.py (pytest finds fixtures by name in the conftest's namespace):

    from tests.support.fixtures import central, central_postgres, central_sqlite, postgres_url

- `postgres_url` (session): a temporary PostgreSQL cluster, started once per test session (per
  xdist worker); skips where PostgreSQL is missing unless HUDDLE_REQUIRE_POSTGRES is set.
- `central`: a real `huddle-central serve` over a fresh database, once over SQLite and once
  over PostgreSQL (parametrized: test ids end in [sqlite] and [postgres]).
- `central_sqlite`, `central_postgres`: the same over one of them only."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.central import CentralProcess, central_process, new_database, postgres_cluster


class _SharedCluster:
    """One cluster per process, however many conftest files import `postgres_url` (each import
    is a fixture definition of its own, and each would otherwise start a cluster)."""

    def __init__(self) -> None:
        self.stack = contextlib.ExitStack()
        self.url: str | None = None
        self.users = 0

    @contextlib.contextmanager
    def use(self) -> Iterator[str]:
        if self.url is None:
            self.url = self.stack.enter_context(postgres_cluster())
        self.users += 1
        try:
            yield self.url
        finally:
            self.users -= 1
            if self.users == 0:
                self.url = None
                self.stack.close()


_cluster = _SharedCluster()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a database `huddle` in a temporary cluster (new databases: new_database)."""
    with _cluster.use() as url:
        yield url


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'central.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def central(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CentralProcess]:
    """A real huddle-central over a fresh database: SQLite, then PostgreSQL."""
    if request.param == "sqlite":
        url = sqlite_url(tmp_path)
    else:
        url = new_database(request.getfixturevalue("postgres_url"))
    with central_process(url) as process:
        yield process


@pytest.fixture
def central_sqlite(tmp_path: Path) -> Iterator[CentralProcess]:
    with central_process(sqlite_url(tmp_path)) as process:
        yield process


@pytest.fixture
def central_postgres(postgres_url: str) -> Iterator[CentralProcess]:
    with central_process(new_database(postgres_url)) as process:
        yield process

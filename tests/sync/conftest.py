"""Fixtures for the kiosk side of sync: a plain connection to the test store, a token file,
clients that talk to an in-process httpx MockTransport (for unit tests of the kiosk's
reactions to single HTTP statuses only), and the real `huddle-central` (over SQLite and
PostgreSQL, from tests/support/fixtures.py) for the end-to-end tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database
from sync_support import TOKEN, Handler

from huddle_board.db.connection import connect_raw
from sync.client import CentralClient
from tests.support.fixtures import (  # noqa: F401  (fixtures are found by name)
    central,
    central_postgres,
    central_sqlite,
    postgres_url,
)


@pytest.fixture
def conn(store: Database, store_path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the migrated test store (ward DEMO-7A), as the push job uses."""
    connection = connect_raw(store_path)
    yield connection
    connection.close()


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "device.token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
def mock_client() -> Iterator[Callable[[Handler], CentralClient]]:
    made: list[CentralClient] = []

    def make(handler: Handler) -> CentralClient:
        client = CentralClient("https://store.test", TOKEN, transport=httpx.MockTransport(handler))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()

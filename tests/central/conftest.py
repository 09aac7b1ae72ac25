"""The central store's tests run against a real `huddle-central serve` on loopback, over SQLite
and over a temporary PostgreSQL cluster (fixtures in tests/support/fixtures.py)."""

from __future__ import annotations

from tests.support.fixtures import (  # noqa: F401  (fixtures are found by name)
    central,
    central_postgres,
    central_sqlite,
    postgres_url,
)

"""How the UI reaches the local store: each worker thread opens its own connection (SQLite
objects never cross threads), read-only when the file failed its quick_check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlite_utils import Database

from huddle_board.db import StoreHealth, StoreUnavailable, connect


class StoreAccess:
    def __init__(self, path: Path, health: StoreHealth) -> None:
        self.path = path
        self.health = health

    @property
    def writable(self) -> bool:
        return self.health.ok

    @contextmanager
    def session(self) -> Iterator[Database]:
        """A connection for the calling (worker) thread, closed afterwards."""
        db = connect(self.path, read_only=not self.health.ok)
        try:
            yield db
        finally:
            db.close()

    @contextmanager
    def writer(self) -> Iterator[Database]:
        if not self.health.ok:
            raise StoreUnavailable(f"Changes are not being saved: {self.health.problem}")
        with self.session() as db:
            yield db

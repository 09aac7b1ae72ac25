"""The kiosk's local SQLite store: connections with the house pragmas, migrations, read queries
that return model objects, and commands (every write, with its outbox row, in one transaction).

Never imports Textual: the sync job and the command line use it headless.
"""

from huddle_board.db.connection import (
    StoreHealth,
    StoreUnavailable,
    check_store,
    connect,
    transaction,
)
from huddle_board.db.migrations import migrate, open_store

__all__ = [
    "StoreHealth",
    "StoreUnavailable",
    "check_store",
    "connect",
    "migrate",
    "open_store",
    "transaction",
]

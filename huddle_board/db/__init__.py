"""The kiosk's local SQLite store: connections with the house pragmas, migrations, read queries
that return model objects, and commands (every write, with its outbox row, in one transaction).

Never imports Textual: the sync job and the command line use it headless.
"""

from huddle_board.db.connection import (
    Reader,
    StoreHealth,
    StoreInterrupted,
    StoreUnavailable,
    check_store,
    connect,
    connect_raw,
    read_transaction,
    refused_write,
    store_fault,
    transaction,
)
from huddle_board.db.migrations import migrate, open_for_reading, open_store

__all__ = [
    "Reader",
    "StoreHealth",
    "StoreInterrupted",
    "StoreUnavailable",
    "check_store",
    "connect",
    "connect_raw",
    "migrate",
    "open_for_reading",
    "open_store",
    "read_transaction",
    "refused_write",
    "store_fault",
    "transaction",
]

"""The kiosk's admin PIN: checked, hashed (scrypt with a random salt, the parameters stored
with the hash) and kept in the local `kiosk_admin` table; and the guard that locks the PIN
screen after too many wrong tries. No Textual here: the CLI and the tests use it as it is.

Stored form: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
from collections.abc import Callable

from huddle_board.clock import Clock, utc_stamp

PIN_PATTERN = re.compile(r"[0-9]{4,8}")
PIN_RULE = "The PIN must be 4 to 8 digits (0-9), nothing else."
SALT_BYTES = 16
KEY_BYTES = 32
# scrypt's cost: n=2**14, r=8 takes 16 MB and some tens of ms; enough for a 4-8 digit PIN
# that is only ever checked on the PC itself, behind the screen's lockout.
SCRYPT_N = 2**14
SCRYPT_R = 8
SCRYPT_P = 1
# Refuse stored parameters beyond these (a damaged or tampered row must not hang the board).
_MAX_N = 2**20
_MAX_R = 32
_MAX_P = 16

MAX_WRONG_TRIES = 5
LOCKOUT_S = 60.0


class PinRefused(ValueError):
    """The PIN does not follow the rule; the message says what it must be."""


def check_pin(pin: str) -> str:
    """`pin` as it is, if it is 4 to 8 ASCII digits; PinRefused otherwise."""
    if not PIN_PATTERN.fullmatch(pin):
        raise PinRefused(PIN_RULE)
    return pin


def _scrypt(pin: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        pin.encode(), salt=salt, n=n, r=r, p=p, maxmem=2 * 128 * n * r * p, dklen=KEY_BYTES
    )


def hash_pin(pin: str) -> str:
    """A salted scrypt hash of `pin` (which must follow the rule), with its parameters."""
    check_pin(pin)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _scrypt(pin, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def pin_matches(pin: str, stored: str) -> bool:
    """Whether `pin` is the one hashed in `stored` (compared in constant time). A malformed
    `stored` matches nothing."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return False
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt, expected = bytes.fromhex(parts[4]), bytes.fromhex(parts[5])
    except ValueError:
        return False
    if not (1 < n <= _MAX_N and n & (n - 1) == 0 and 0 < r <= _MAX_R and 0 < p <= _MAX_P):
        return False
    if not salt or len(expected) != KEY_BYTES:
        return False
    # Hash whatever was typed (even a non-PIN), so a wrong form takes as long as a wrong PIN.
    return hmac.compare_digest(_scrypt(pin, salt, n, r, p), expected)


def set_pin(conn: sqlite3.Connection, pin: str, clock: Clock) -> None:
    """Store the hash of `pin` (PinRefused if it breaks the rule) on an autocommit connection
    to a migrated store, replacing any earlier PIN."""
    stored = hash_pin(pin)
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "INSERT INTO kiosk_admin (id, pin_hash, set_at) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET pin_hash = excluded.pin_hash, "
            "set_at = excluded.set_at",
            [stored, utc_stamp(clock)],
        )
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def stored_pin(conn: sqlite3.Connection) -> str | None:
    """The stored PIN hash, or None when no PIN is set (or the store predates the table)."""
    try:
        row = conn.execute("SELECT pin_hash FROM kiosk_admin WHERE id = 1").fetchone()
    except sqlite3.OperationalError:
        return None
    if row is None or not row[0]:
        return None
    return str(row[0])


class PinGuard:
    """Counts wrong PINs; after `MAX_WRONG_TRIES` in a row the PIN screen is locked for
    `LOCKOUT_S` seconds of the `monotonic` clock. Lives as long as the board, so closing and
    reopening the PIN screen does not reset the count."""

    def __init__(self, monotonic: Callable[[], float]) -> None:
        self.monotonic = monotonic
        self.wrong = 0
        self.locked_until: float | None = None

    def locked_for(self) -> float:
        """Seconds left of the lockout; 0 when the PIN may be tried."""
        if self.locked_until is None:
            return 0.0
        left = self.locked_until - self.monotonic()
        if left <= 0:
            self.locked_until = None
            self.wrong = 0
            return 0.0
        return left

    def failed(self) -> None:
        self.wrong += 1
        if self.wrong >= MAX_WRONG_TRIES:
            self.locked_until = self.monotonic() + LOCKOUT_S

    def succeeded(self) -> None:
        self.wrong = 0
        self.locked_until = None

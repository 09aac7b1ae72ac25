"""The kiosk's admin PIN: checked, hashed (scrypt with a random salt, the parameters stored
with the hash) and kept in the local `kiosk_admin` table; the guard that locks the PIN
screen after too many wrong tries; and the settings the admin screen may change, kept in the
local `kiosk_settings` table. No Textual here: the CLI and the tests use it as it is.

Stored form: ``scrypt$<n>$<r>$<p>$<salt hex>$<hash hex>``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import re
import secrets
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from huddle_board.clock import Clock, utc_stamp
from huddle_board.config import Settings, SettingsError, setting_value

log = logging.getLogger(__name__)

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


# -- settings changed on the kiosk -----------------------------------------------------------
# The admin screen may change how the kiosk shows itself, never where its data is or where it
# syncs (those stay with IT, in the settings file). What it sets is kept in the board's file,
# local to this PC, and applies over the settings file, the environment and the command line:
# what the ward set on the screen is what the board does. A value set back to empty goes back
# to the settings file's (or the default).

ADMIN_SETTINGS: tuple[tuple[str, str], ...] = (
    ("idle_before_rotation_s", "Rotate after nobody touches it for (seconds)"),
    ("rotation_every_s", "Show each screen in rotation for (seconds)"),
    ("night_start", "Dim at night from (HH:MM)"),
    ("night_end", "Dim at night until (HH:MM)"),
    ("burn_in_shift_s", "Shift the layout against burn-in every (seconds)"),
    ("form_timeout_s", "Close a form left open after (seconds)"),
    ("theme", "Theme (textual-dark or high-contrast)"),
    ("large_figures", "Large headline figures (true, false or auto)"),
)
ADMIN_SETTING_NAMES = tuple(name for name, _ in ADMIN_SETTINGS)


@dataclass(frozen=True)
class StoredSetting:
    value: str
    set_by: str
    set_at: str


def setting_text(settings: Settings, name: str) -> str:
    """A setting's value as it is written in the settings file (and on the admin screen)."""
    value = getattr(settings, name)
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def stored_settings(conn: sqlite3.Connection) -> dict[str, StoredSetting]:
    """The settings changed on this kiosk's admin screen (none when the store predates them)."""
    try:
        rows = conn.execute("SELECT name, value, set_by, set_at FROM kiosk_settings").fetchall()
    except sqlite3.OperationalError:
        return {}
    return {str(n): StoredSetting(str(v), str(b), str(a)) for n, v, b, a in rows}


def check_admin_settings(changes: Mapping[str, str]) -> dict[str, Any]:
    """Each changed setting checked: its value, converted (an empty one, which means 'back to
    the settings file', is left out); SettingsError naming the first that is wrong and what
    it must be."""
    checked: dict[str, Any] = {}
    for name, text in changes.items():
        if name not in ADMIN_SETTING_NAMES:
            raise SettingsError(f"{name!r} cannot be changed on the kiosk")
        if text.strip():
            checked[name] = setting_value(name, text.strip())
    return checked


def save_admin_settings(
    conn: sqlite3.Connection, changes: Mapping[str, str], initials: str, clock: Clock
) -> None:
    """Keep `changes` (name → text; "" to forget the kiosk's own value) in one transaction on
    an autocommit connection to a migrated store, after checking every one of them."""
    check_admin_settings(changes)
    now = utc_stamp(clock)
    conn.execute("BEGIN IMMEDIATE")
    try:
        for name, text in changes.items():
            if text.strip():
                conn.execute(
                    "INSERT INTO kiosk_settings (name, value, set_by, set_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (name) DO UPDATE SET value = excluded.value, "
                    "set_by = excluded.set_by, set_at = excluded.set_at",
                    [name, text.strip(), initials, now],
                )
            else:
                conn.execute("DELETE FROM kiosk_settings WHERE name = ?", [name])
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def with_admin_settings(settings: Settings, stored: Mapping[str, StoredSetting]) -> Settings:
    """`settings` with the kiosk's own values over them. A stored value that no longer checks
    (an older board's, say) is left out and logged: the board still starts."""
    values: dict[str, Any] = {}
    for name, setting in stored.items():
        try:
            values.update(check_admin_settings({name: setting.value}))
        except SettingsError as error:
            log.warning("kiosk setting %s=%r ignored: %s", name, setting.value, error)
    return dataclasses.replace(settings, **values)

"""Device tokens: one per kiosk, bound to one ward, revocable.

A token is 256 random bits (URL-safe base64, 43 characters), shown once when it is created and
stored only as its SHA-256 hash: whoever reads the database cannot push as a kiosk. A plain
hash (no salt, no slow hash) is right here because the secret is random and long; guessing it
is as hard as guessing the 256 bits."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from sync.central.db import CentralDB, devices, utc_now
from sync.protocol import MAX_WARD_LENGTH

TOKEN_BYTES = 32  # 256 bits
MAX_DEVICE_LENGTH = 64
MAX_TOKEN_LENGTH = 256  # anything longer is not one of ours: refuse without hashing it


class TokenError(ValueError):
    """A token command that cannot be done (unknown device, name taken, bad ward)."""


@dataclass(frozen=True)
class TokenInfo:
    """What `token list` shows: never the secret, never its hash."""

    device: str
    ward: str
    created_at: str
    last_used_at: str | None
    revoked_at: str | None


@dataclass(frozen=True)
class Device:
    """The device a request's token belongs to."""

    id: int
    device: str
    ward: str
    revoked: bool


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _check_name(value: str, what: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise TokenError(f"the {what} must be 1 to {limit} characters")
    if value != value.strip() or any(ord(char) < 32 or ord(char) == 127 for char in value):
        raise TokenError(f"the {what} must not hold control characters or surrounding spaces")
    return value


def create_token(db: CentralDB, ward: str, device: str) -> str:
    """A new token for `device` in `ward`; the secret is returned here and nowhere else."""
    _check_name(ward, "ward code", MAX_WARD_LENGTH)
    _check_name(device, "device name", MAX_DEVICE_LENGTH)
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    with db.write() as conn:
        taken = conn.execute(sa.select(devices.c.id).where(devices.c.device == device)).first()
        if taken is not None:
            raise TokenError(
                f"device {device!r} already has a token: revoke it and give the new one "
                "another device name"
            )
        conn.execute(
            sa.insert(devices).values(
                device=device, ward=ward, token_hash=hash_token(secret), created_at=utc_now()
            )
        )
    return secret


def revoke(db: CentralDB, device: str) -> bool:
    """Revoke `device`'s token: True if it was live, False if it was already revoked.
    TokenError if there is no such device."""
    with db.write() as conn:
        row = conn.execute(
            sa.select(devices.c.id, devices.c.revoked_at).where(devices.c.device == device)
        ).first()
        if row is None:
            raise TokenError(f"no device named {device!r}")
        if row.revoked_at is not None:
            return False
        conn.execute(sa.update(devices).where(devices.c.id == row.id).values(revoked_at=utc_now()))
    return True


def list_tokens(db: CentralDB) -> list[TokenInfo]:
    with db.read() as conn:
        rows = conn.execute(
            sa.select(
                devices.c.device,
                devices.c.ward,
                devices.c.created_at,
                devices.c.last_used_at,
                devices.c.revoked_at,
            ).order_by(devices.c.ward, devices.c.device)
        ).all()
    return [
        TokenInfo(row.device, row.ward, row.created_at, row.last_used_at, row.revoked_at)
        for row in rows
    ]


def authenticate(db: CentralDB, secret: str) -> Device | None:
    """The device holding `secret`, revoked or not (the caller tells those apart), or None."""
    if not secret or len(secret) > MAX_TOKEN_LENGTH:
        return None
    with db.read() as conn:
        row = conn.execute(
            sa.select(devices.c.id, devices.c.device, devices.c.ward, devices.c.revoked_at).where(
                devices.c.token_hash == hash_token(secret)
            )
        ).first()
    if row is None:
        return None
    return Device(int(row.id), row.device, row.ward, row.revoked_at is not None)


def record_use(db: CentralDB, device_id: int, at: str | None = None) -> None:
    """Note that the device's token was just used (the caller decides how often)."""
    with db.write() as conn:
        conn.execute(
            sa.update(devices).where(devices.c.id == device_id).values(last_used_at=at or utc_now())
        )

"""Shared helpers for the kiosk-side sync tests (a module with a name of its own: tests/sync
has no __init__.py, since a package called `sync` would shadow the real one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import httpx

TOKEN = "kiosk-test-token-0123456789abcdef"
Handler = Callable[[httpx.Request], httpx.Response]


class MovableClock:
    """A wall clock a test can set anywhere (two years ahead, then back)."""

    def __init__(self, at: dt.datetime) -> None:
        self.at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self.at

    def today(self) -> dt.date:
        return self.at.date()


class FakeMonotonic:
    """A monotonic clock that moves only when a test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += seconds


def write_token(folder: Path, token: str, name: str = "device.token") -> Path:
    """A token file as an installer writes it: the token, mode 0600."""
    path = folder / name
    path.write_text(token + "\n")
    path.chmod(0o600)
    return path

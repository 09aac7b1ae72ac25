"""An injectable clock, so screens and tests are deterministic: the real one reads the system
time, the fixed one always answers the same instant."""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The local wall-clock time, timezone-aware."""
        ...

    def today(self) -> dt.date: ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now().astimezone()

    def today(self) -> dt.date:
        return self.now().date()


class FixedClock:
    def __init__(self, at: dt.datetime) -> None:
        self._at = at if at.tzinfo else at.replace(tzinfo=dt.UTC)

    def now(self) -> dt.datetime:
        return self._at

    def today(self) -> dt.date:
        return self._at.date()


def utc_stamp(clock: Clock) -> str:
    """An ISO 8601 UTC timestamp for `updated_at`: information only, never used for ordering."""
    return clock.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

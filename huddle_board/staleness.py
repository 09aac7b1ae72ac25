"""What a kiosk says about the age of its data, and when it dims for the night: pure functions
of the date, the time and what was read from the store (no Textual, no database).

- Last week's box score is due by Wednesday: from Wednesday on, a measure due last week with
  no value makes the data stale.
- A kiosk that pushes to a central store and has not done so for over a day (or never has)
  is stale too.
"""

from __future__ import annotations

import datetime as dt
import re

from huddle_board.model import week_start

# The weekday (Monday 0) from which last week's values count as late.
DUE_BY_WEEKDAY = 2
DUE_BY_NAME = "Wednesday"
# How long a configured kiosk may go without a successful push.
SYNC_MAX_AGE = dt.timedelta(hours=24)

_HHMM = re.compile(r"(\d{1,2}):(\d{2})")


def previous_week(today: dt.date) -> dt.date:
    """The Monday of the ISO week before the one holding `today`."""
    return week_start(today) - dt.timedelta(weeks=1)


def last_week_overdue(today: dt.date) -> bool:
    """Whether last week's values should all be in by `today` (Wednesday or later)."""
    return today.weekday() >= DUE_BY_WEEKDAY


def stale_reasons(
    today: dt.date,
    now: dt.datetime,
    last_week_values_complete: bool,
    last_success_at: dt.datetime | None,
    sync_configured: bool,
) -> list[str]:
    """Why the data on the board is stale, one sentence each; empty when it is not.

    `last_week_values_complete`: whether every measure due in `previous_week(today)` has a
    value; `last_success_at`: the last successful push (UTC when it carries no zone)."""
    reasons: list[str] = []
    if last_week_overdue(today) and not last_week_values_complete:
        reasons.append(f"Last week's box score is not complete (due by {DUE_BY_NAME})")
    if sync_configured:
        if last_success_at is None:
            reasons.append("Never synced with the central store")
        else:
            moment = last_success_at
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            if now.tzinfo is None:
                now = now.replace(tzinfo=dt.UTC)
            if now - moment > SYNC_MAX_AGE:
                local = moment.astimezone(now.tzinfo)
                reasons.append(
                    f"No sync with the central store for over a day (last {local:%d %b %H:%M})"
                )
    return reasons


def parse_hhmm(text: str) -> dt.time:
    """'22:00' (or '6:30') as a time of day; ValueError when it is not one."""
    found = _HHMM.fullmatch(text.strip())
    if found is None:
        raise ValueError(f"not a time of day as HH:MM: {text!r}")
    hour, minute = int(found[1]), int(found[2])
    if hour > 23 or minute > 59:
        raise ValueError(f"not a time of day as HH:MM: {text!r}")
    return dt.time(hour, minute)


def is_night(now_time: dt.time, start: dt.time, end: dt.time) -> bool:
    """Whether `now_time` falls in the night from `start` (included) to `end` (excluded); a
    window across midnight (22:00 to 06:00) works, and `start == end` means no night."""
    now_time = now_time.replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= now_time < end
    return now_time >= start or now_time < end


# The burn-in guard's offsets (x, y) in cells, in turn.
BURN_IN_OFFSETS: tuple[tuple[int, int], ...] = ((0, 0), (1, 0), (1, 1), (0, 1))

"""The kiosk's pure rules: when last week's box score is late, when sync is too old, when it
is night; and the night settings (TOML, environment, validation)."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest

from huddle_board.config import Settings, SettingsError, load_settings
from huddle_board.staleness import (
    BURN_IN_OFFSETS,
    is_night,
    last_week_overdue,
    parse_hhmm,
    previous_week,
    stale_reasons,
)

BOX = "Last week's box score is not complete (due by Wednesday)"
NOW = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)  # a Thursday in 2026-W48


def t(text: str) -> dt.time:
    return parse_hhmm(text)


def test_previous_week_is_the_monday_before_this_weeks() -> None:
    for day in range(23, 30):  # Monday 23 to Sunday 29 November 2026
        assert previous_week(dt.date(2026, 11, day)) == dt.date(2026, 11, 16)
    assert previous_week(dt.date(2026, 11, 30)) == dt.date(2026, 11, 23)
    # across the year: Friday 1 January 2027 is in 2026-W53, whose week before is W52
    assert previous_week(dt.date(2027, 1, 1)) == dt.date(2026, 12, 21)
    assert previous_week(dt.date(2027, 1, 4)) == dt.date(2026, 12, 28)


@pytest.mark.parametrize(
    ("day", "overdue"),
    [(23, False), (24, False), (25, True), (26, True), (28, True), (29, True), (30, False)],
)
def test_last_weeks_values_are_due_by_wednesday(day: int, overdue: bool) -> None:
    today = dt.date(2026, 11, day)
    assert last_week_overdue(today) is overdue
    reasons = stale_reasons(today, NOW, False, None, False)
    assert reasons == ([BOX] if overdue else [])
    assert stale_reasons(today, NOW, True, None, False) == []


def test_sync_older_than_a_day_is_stale_only_when_sync_is_configured() -> None:
    today = NOW.date()
    last = dt.datetime(2026, 11, 24, 14, 2, tzinfo=dt.UTC)
    expected = "No sync with the central store for over a day (last 24 Nov 14:02)"
    assert stale_reasons(today, NOW, True, last, True) == [expected]
    assert stale_reasons(today, NOW, True, last, False) == []
    assert stale_reasons(today, NOW, True, None, False) == []
    # exactly a day is not over a day; a minute more is
    exactly = NOW - dt.timedelta(hours=24)
    assert stale_reasons(today, NOW, True, exactly, True) == []
    over = exactly - dt.timedelta(minutes=1)
    assert len(stale_reasons(today, NOW, True, over, True)) == 1
    # never synced counts when configured
    assert stale_reasons(today, NOW, True, None, True) == ["Never synced with the central store"]


def test_sync_times_without_a_zone_are_utc_and_shown_in_the_boards_zone() -> None:
    plus_one = dt.timezone(dt.timedelta(hours=1))
    now = dt.datetime(2026, 11, 26, 10, 0, tzinfo=plus_one)
    last = dt.datetime(2026, 11, 24, 14, 2)  # naive: UTC
    assert stale_reasons(now.date(), now, True, last, True) == [
        "No sync with the central store for over a day (last 24 Nov 15:02)"
    ]


def test_both_reasons_box_score_first() -> None:
    reasons = stale_reasons(NOW.date(), NOW, False, NOW - dt.timedelta(days=3), True)
    assert reasons[0] == BOX
    assert reasons[1].startswith("No sync with the central store for over a day")


@pytest.mark.parametrize(
    ("now", "night"),
    [
        ("21:59", False),
        ("22:00", True),
        ("23:59", True),
        ("00:00", True),
        ("05:59", True),
        ("06:00", False),
        ("12:00", False),
    ],
)
def test_a_night_across_midnight(now: str, night: bool) -> None:
    assert is_night(t(now), t("22:00"), t("06:00")) is night


@pytest.mark.parametrize(
    ("now", "night"),
    [("00:59", False), ("01:00", True), ("04:59", True), ("05:00", False), ("23:00", False)],
)
def test_a_night_after_midnight(now: str, night: bool) -> None:
    assert is_night(t(now), t("01:00"), t("05:00")) is night


def test_an_empty_night_and_zoned_times() -> None:
    assert not is_night(t("22:00"), t("22:00"), t("22:00"))
    zoned = dt.time(23, 0, tzinfo=dt.UTC)
    assert is_night(zoned, t("22:00"), t("06:00"))


@pytest.mark.parametrize("bad", ["24:00", "12:60", "noon", "1200", "", "12:5", "-1:00"])
def test_parse_hhmm_refuses_what_is_not_a_time(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_hhmm(bad)


def test_burn_in_offsets_come_back_to_the_start_one_cell_at_a_time() -> None:
    cycle = (*BURN_IN_OFFSETS, BURN_IN_OFFSETS[0])
    assert BURN_IN_OFFSETS[0] == (0, 0)
    for (x1, y1), (x2, y2) in itertools.pairwise(cycle):
        assert abs(x1 - x2) + abs(y1 - y2) == 1


def test_night_and_burn_in_settings(tmp_path: Path) -> None:
    default = load_settings(env={})
    assert (default.night_start, default.night_end, default.burn_in_shift_s) == (
        "22:00",
        "06:00",
        300.0,
    )
    file = tmp_path / "board.toml"
    file.write_text('night_start = "23:30"\nnight_end = 05:00:00\nburn_in_shift_s = 120\n')
    from_file = load_settings(file, env={})
    assert (from_file.night_start, from_file.night_end, from_file.burn_in_shift_s) == (
        "23:30",
        "05:00",
        120.0,
    )
    env = {"HUDDLE_NIGHT_START": "7:05", "HUDDLE_NIGHT_END": "08:00", "HUDDLE_BURN_IN_SHIFT": "60"}
    from_env = load_settings(file, env=env)
    assert (from_env.night_start, from_env.night_end, from_env.burn_in_shift_s) == (
        "07:05",
        "08:00",
        60.0,
    )
    assert load_settings(env={"HUDDLE_BURN_IN_SHIFT_S": "30"}).burn_in_shift_s == 30.0
    assert Settings().night_start == "22:00"


@pytest.mark.parametrize(
    "env",
    [
        {"HUDDLE_NIGHT_START": "25:00"},
        {"HUDDLE_NIGHT_END": "late"},
        {"HUDDLE_BURN_IN_SHIFT": "0"},
        {"HUDDLE_BURN_IN_SHIFT": "often"},
    ],
)
def test_bad_night_and_burn_in_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError):
        load_settings(env=env)


def test_a_toml_number_is_not_a_time(tmp_path: Path) -> None:
    file = tmp_path / "board.toml"
    file.write_text("night_start = 22\n")
    with pytest.raises(SettingsError, match="HH:MM"):
        load_settings(file, env={})

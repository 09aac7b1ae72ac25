"""The coach's week review on a small hand-built ward, every number worked by hand: the box
score against the week before with the SPC signal on the week's point (and how a rebase changes
it), ideas that changed status, the funnel, PDSA cycles started, finished and open, huddles
held against expected with their attendance, actions opened, closed and overdue as at the end
of the week, missing measures; a week still running, and one not started."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlite_utils import Database

from huddle_board.clock import FixedClock
from huddle_board.db import commands, connect, open_store
from huddle_board.db.commands import Author, IdeaDraft, MeasureSpec, WeekEntry
from huddle_board.model import IDEA_STATUSES, HuddleKind
from huddle_board.review import (
    CycleEntry,
    MeasureReview,
    WeekNotStarted,
    WeekReview,
    parse_week,
    week_review,
)

WARD = "TEST-7A"
MONDAY = dt.date(2026, 11, 16)  # ISO week 2026-W47, Sunday 22 November
SUNDAY = dt.date(2026, 11, 22)
# Falls: 3, 2, 3, 2 ... (7 threes, 6 twos) for 13 weeks, then 9 in the reviewed week. Mean
# 42 / 14 = 3.0; moving ranges twelve 1s and a 6, average 18 / 13; the 6 is at least 3.267 times
# that and is screened out, so the average moving range is 1.0: limits 3 ± 2.66.
FALLS = [3.0 if n % 2 == 0 else 2.0 for n in range(13)] + [9.0]
FALLS_FROM = MONDAY - dt.timedelta(weeks=13)


def day(month: int, day_of_month: int) -> dt.date:
    return dt.date(2026, month, day_of_month)


def at(on: dt.date, hour: int = 9) -> Author:
    """JM writing on `on`: every command takes its dates from the author's clock."""
    return Author(WARD, "JM", FixedClock(dt.datetime.combine(on, dt.time(hour, 0))))


def build_measures(db: Database) -> dict[str, str]:
    author = at(day(8, 1))
    ids = {
        "falls": commands.add_measure(
            db, author, MeasureSpec("Falls", "performance", "falls", 0, "decrease", 2.0, "SC")
        ),
        "noon": commands.add_measure(
            db,
            author,
            MeasureSpec("Discharges before noon", "performance", "%", 0, "increase", 30.0, "MO"),
        ),
        "care": commands.add_measure(
            db,
            author,
            MeasureSpec("Direct care time", "capacity", "%", 0, "increase", 50.0, "AK", 8),
        ),
        "admitted": commands.add_measure(
            db, author, MeasureSpec("Patients admitted", "performance", "patients", 0, "neutral")
        ),
    }
    for n, value in enumerate(FALLS):
        week = FALLS_FROM + dt.timedelta(weeks=n)
        commands.record_week_values(db, author, week, [WeekEntry(ids["falls"], value)])
    for week, value in ((day(10, 26), 20.0), (day(11, 2), 25.0), (day(11, 9), 22.0)):
        commands.record_week_values(db, author, week, [WeekEntry(ids["noon"], value)])
    # Direct care time is sampled every 8 weeks: 10 Aug and 5 Oct are sampling weeks, 16 Nov not.
    for week, value in ((day(8, 10), 35.0), (day(10, 5), 38.0)):
        commands.record_week_values(db, author, week, [WeekEntry(ids["care"], value)])
    for week in (day(11, 9), MONDAY):
        commands.record_week_values(db, author, week, [WeekEntry(ids["admitted"], 40.0)])
    return ids


def build_ideas(db: Database) -> dict[str, str]:
    def idea(title: str, raised: dt.date, problem: str = "") -> str:
        return commands.add_idea(db, at(raised), IdeaDraft(title, problem, owner="LT"))

    ids = {
        "meals": idea("Protected mealtimes", day(11, 10), "Meals interrupted by ward rounds."),
        "sensors": idea("Falls sensors in bay 2", day(10, 1)),
        "noise": idea("Quieter nights", day(11, 20)),
        "parked": idea("Parked long ago", day(9, 1)),
        "later": idea("Raised after the week", day(11, 23)),
        "testing": idea("Ward clerk at handover", day(10, 20)),
        "parked_later": idea("Parked after the week", day(10, 1)),
    }
    commands.start_pdsa_cycle(db, at(day(11, 17)), ids["meals"], "Try it for a week", "Fewer")
    sensors = commands.start_pdsa_cycle(db, at(day(10, 5)), ids["sensors"], "Bay 2", "Fewer")
    commands.record_pdsa_result(db, at(day(11, 19)), sensors, "Done", "Worked", "adopt")
    commands.set_idea_status(db, at(day(9, 10)), ids["parked"], "parked")
    commands.start_pdsa_cycle(db, at(day(11, 2)), ids["testing"], "Clerk answers", "Calmer")
    commands.set_idea_status(db, at(day(11, 24)), ids["parked_later"], "parked")
    return ids


def build_huddles(db: Database) -> None:
    """Daily huddles on every day of the week but Thursday 19th (two on the 18th, the second
    with no attendance recorded), one on the Sunday before; the weekly one on the 18th."""
    daily = {
        day(11, 15): 20,
        day(11, 16): 6,
        day(11, 17): 8,
        day(11, 18): 10,
        day(11, 20): 7,
        day(11, 21): 9,
        day(11, 22): 8,
    }
    for held_on, headcount in daily.items():
        huddle(db, held_on, "daily", headcount)
    huddle(db, day(11, 18), "daily", 0, hour=20)
    huddle(db, day(11, 18), "weekly", 12, hour=14)


def huddle(db: Database, held_on: dt.date, kind: HuddleKind, headcount: int, hour: int = 8) -> None:
    author = at(held_on, hour)
    huddle_id = commands.start_huddle(db, author, kind, "JM")
    nurses = min(headcount, 4)
    attendance = {"nurse": nurses, "hcsw": headcount - nurses}
    commands.save_huddle(
        db, author, huddle_id, attendance=attendance, notes={}, duration_s=540, close=True
    )


def build_actions(db: Database) -> dict[str, str]:
    def action(text: str, raised: dt.date, due: dt.date) -> str:
        return commands.add_action(db, at(raised), text, "SC", due)

    ids = {
        "late": action("Overdue and still open", day(11, 2), day(11, 10)),
        "done": action("Done in the week", day(11, 2), day(11, 20)),
        "new": action("Raised in the week", day(11, 17), day(11, 30)),
        "dropped": action("Dropped after the week", day(11, 17), day(11, 19)),
        "after": action("Raised after the week", day(11, 23), day(11, 30)),
        "sunday": action("Due on the Sunday", day(11, 5), SUNDAY),
        "before": action("Done before the week", day(11, 1), day(11, 5)),
    }
    commands.set_action_status(db, at(day(11, 18)), ids["done"], "done")
    commands.set_action_status(db, at(day(11, 24)), ids["dropped"], "dropped")
    commands.set_action_status(db, at(day(11, 12)), ids["before"], "done")
    return ids


@pytest.fixture(scope="module")
def ward(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("review") / "ward.db"
    db, health = open_store(path)
    assert health.ok
    commands.set_ward(db, WARD, "Test ward 7A", FixedClock(dt.datetime(2026, 8, 1, 9, 0)))
    build_measures(db)
    build_ideas(db)
    build_huddles(db)
    build_actions(db)
    db.close()
    return path


@pytest.fixture
def db(ward: Path) -> Iterator[Database]:
    database = connect(ward)
    yield database
    database.close()


@pytest.fixture
def review(db: Database) -> WeekReview:
    return week_review(db, MONDAY + dt.timedelta(days=3))  # any day of the week will do


def measure(review: WeekReview, name: str) -> MeasureReview:
    return next(row for row in review.measures if row.measure.name == name)


# -- the week ---------------------------------------------------------------------------------


def test_the_week_is_identified_by_its_monday(review: WeekReview) -> None:
    assert review.week == MONDAY and review.label == "2026-W47"
    assert review.sunday == SUNDAY and review.through == SUNDAY
    assert not review.in_progress
    assert review.ward.code == WARD


@pytest.mark.parametrize(
    ("text", "monday"),
    [
        ("2026-W47", MONDAY),
        (" 2026-w47 ", MONDAY),
        ("2026W47", MONDAY),
        ("2026-11-22", MONDAY),
        ("2021-W01", dt.date(2021, 1, 4)),
        ("2020-W53", dt.date(2020, 12, 28)),
        ("2026-W53", dt.date(2026, 12, 28)),
    ],
)
def test_parse_week(text: str, monday: dt.date) -> None:
    assert parse_week(text) == monday


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-W60", "2026 has no week 60"),
        ("2025-W53", "2025 has no week 53"),
        ("last week", "write an ISO week like 2026-W47"),
        ("2026-13-01", "write an ISO week like 2026-W47"),
        ("", "write an ISO week like 2026-W47"),
    ],
)
def test_parse_week_refuses_what_is_not_a_week(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_week(text)


# -- the box score ----------------------------------------------------------------------------


def test_each_measure_against_the_week_before(review: WeekReview) -> None:
    rows = {row.measure.name: row for row in review.measures}
    assert list(rows) == [
        "Falls",
        "Discharges before noon",
        "Direct care time",
        "Patients admitted",
    ]
    falls = rows["Falls"]
    assert (falls.value, falls.previous, falls.change) == (9.0, 3.0, 6.0)
    assert falls.previous_week == dt.date(2026, 11, 9)
    assert falls.met is False and falls.due and not falls.missing
    admitted = rows["Patients admitted"]
    assert (admitted.value, admitted.previous, admitted.change, admitted.met) == (40, 40, 0, None)


def test_the_signal_on_the_weeks_point(review: WeekReview) -> None:
    falls = measure(review, "Falls")
    analysis = falls.analysis
    assert analysis is not None
    assert len(analysis.points) == 14 and falls.weeks[0] == FALLS_FROM
    assert falls.weeks[-1] == MONDAY
    assert analysis.mean == pytest.approx(3.0)
    assert analysis.upper_limit == pytest.approx(5.66)
    assert analysis.lower_limit == pytest.approx(0.34)
    assert analysis.trial is False
    point = falls.point
    assert point is not None and point.value == 9.0
    assert point.point_type == "special_cause_concern" and point.rule == "outside_limits"
    assert falls.signal == "above the upper limit"
    assert falls.other_rules == ()
    assert analysis.variation == "special_cause_concern"
    assert analysis.assurance == "inconsistent"  # the target 2 lies between the limits
    assert [row.measure.name for row in review.signals] == ["Falls"]


def test_a_rebase_changes_the_limits_and_the_signal(db: Database) -> None:
    falls_id = next(
        row.measure.id for row in week_review(db, MONDAY).measures if row.measure.name == "Falls"
    )
    # Rebased in the week of 9 November (any day of it): the new segment holds 3 and 9 only,
    # mean 6, one moving range of 6, limits 6 ± 15.96 (trial), so 9 is common cause.
    rebases = {falls_id: [(dt.date(2026, 11, 11), "Sensors fitted in bay 2")]}
    falls = measure(week_review(db, MONDAY, rebases=rebases), "Falls")
    assert falls.analysis is not None
    assert [segment.reason for segment in falls.analysis.segments] == [
        None,
        "Sensors fitted in bay 2",
    ]
    assert falls.analysis.mean == pytest.approx(6.0)
    assert falls.analysis.upper_limit == pytest.approx(6 + 2.66 * 6)
    assert falls.analysis.trial is True
    assert falls.signal is None
    # A rebase after the week, or before the series began, starts no segment.
    later = {falls_id: [(dt.date(2026, 12, 1), "Later"), (dt.date(2026, 1, 5), "Before")]}
    unrebased = measure(week_review(db, MONDAY, rebases=later), "Falls").analysis
    assert unrebased is not None and len(unrebased.segments) == 1
    assert unrebased.points[-1].rule == "outside_limits"


def test_a_missing_value_and_whose_it_is(review: WeekReview) -> None:
    noon = measure(review, "Discharges before noon")
    assert noon.value is None and noon.previous == 22.0 and noon.change is None
    assert noon.missing and noon.met is None and noon.signal is None
    assert noon.analysis is not None and noon.analysis.trial  # 3 values: trial limits
    assert noon.point is not None and noon.point.value is None
    assert noon.latest is not None and noon.latest.value == 22.0
    assert [(m.name, m.owner) for m in review.missing] == [("Discharges before noon", "MO")]


def test_a_sampled_measure_not_due_is_not_missing(review: WeekReview) -> None:
    care = measure(review, "Direct care time")
    assert care.due is False and care.missing is False and care.value is None
    assert care.previous == 38.0 and care.previous_week == dt.date(2026, 10, 5)
    assert care.latest is not None and care.latest.value == 38.0
    assert care.weeks[care.latest.index] == dt.date(2026, 10, 5)
    assert care.analysis is not None and len(care.analysis.points) == 15  # 10 Aug to 16 Nov


def test_a_week_before_any_value(db: Database) -> None:
    early = week_review(db, dt.date(2026, 8, 3))
    assert all(row.analysis is None and row.weeks == () for row in early.measures)
    assert all(row.point is None and row.signal is None for row in early.measures)
    assert [m.name for m in early.missing] == [
        "Falls",
        "Discharges before noon",
        "Patients admitted",
    ]


# -- ideas and PDSA cycles ----------------------------------------------------------------------


def test_ideas_that_changed_status(review: WeekReview) -> None:
    changes = [(c.idea.title, c.idea.status, c.changed_on) for c in review.ideas_changed]
    assert changes == [
        ("Protected mealtimes", "in_test", dt.date(2026, 11, 17)),
        ("Falls sensors in bay 2", "adopted", dt.date(2026, 11, 19)),
        ("Quieter nights", "new", dt.date(2026, 11, 20)),
    ]
    assert review.ideas_changed[0].idea.problem == "Meals interrupted by ward rounds."


def test_the_funnel_counts_ideas_raised_by_the_end_of_the_week(review: WeekReview) -> None:
    assert dict(review.funnel.counts) == {
        "new": 1,
        "in_test": 2,
        "adopted": 1,
        "parked": 2,
        "abandoned": 0,
    }
    assert [status for status, _ in review.funnel.counts] == list(IDEA_STATUSES)
    assert review.funnel.total == 6  # "Raised after the week" is not counted
    assert review.funnel.changed_since == 1  # parked on 24 November


def test_pdsa_cycles_started_finished_and_open(review: WeekReview) -> None:
    def names(entries: Sequence[CycleEntry]) -> list[tuple[str, int]]:
        return [(entry.idea_title, entry.cycle.number) for entry in entries]

    assert names(review.cycles_started) == [("Protected mealtimes", 1)]
    assert names(review.cycles_finished) == [("Falls sensors in bay 2", 1)]
    assert review.cycles_finished[0].cycle.act == "adopt"
    assert names(review.cycles_open) == [("Ward clerk at handover", 1), ("Protected mealtimes", 1)]


# -- huddles --------------------------------------------------------------------------------------


def test_huddles_held_against_expected(review: WeekReview) -> None:
    daily, weekly = review.daily, review.weekly
    assert (daily.expected, daily.held) == (7, 6)
    assert daily.days_without == (dt.date(2026, 11, 19),)
    assert len(daily.huddles) == 7  # two on the 18th; the Sunday before is not in the week
    # The second huddle on the 18th has no attendance recorded: left out of the average.
    assert daily.average_attendance == pytest.approx((6 + 8 + 10 + 7 + 9 + 8) / 6)
    roles = dict(daily.average_by_role)
    assert roles["nurse"] == pytest.approx(4.0)
    assert roles["hcsw"] == pytest.approx((2 + 4 + 6 + 3 + 5 + 4) / 6)
    assert roles["doctor"] == 0.0
    assert (weekly.expected, weekly.held, weekly.average_attendance) == (1, 1, 12.0)
    assert weekly.days_without == ()


# -- actions ---------------------------------------------------------------------------------


def test_actions_opened_closed_and_overdue_at_the_end_of_the_week(review: WeekReview) -> None:
    actions = review.actions
    assert [a.text for a in actions.opened] == ["Dropped after the week", "Raised in the week"]
    assert [a.text for a in actions.closed] == ["Done in the week"]
    # Open when the week ended: still open, or closed only later; "Due on the Sunday" is not
    # overdue on the Sunday itself (as the board shows it that day).
    assert actions.open_at_end == 4
    assert [a.text for a in actions.overdue] == ["Overdue and still open", "Dropped after the week"]
    assert actions.overdue[1].status == "dropped"  # its status now


# -- a week still running, and one not started ----------------------------------------------------


def test_a_week_still_running_is_reviewed_as_at_today(db: Database) -> None:
    thursday = dt.date(2026, 11, 19)
    review = week_review(db, MONDAY, today=thursday)
    assert review.in_progress and review.through == thursday
    # Thursday's daily huddle may still be to come: three days so far, all with one.
    assert (review.daily.expected, review.daily.held, review.daily.days_without) == (3, 3, ())
    assert [c.idea.title for c in review.ideas_changed] == [
        "Protected mealtimes",
        "Falls sensors in bay 2",
    ]
    assert [a.text for a in review.actions.overdue] == ["Overdue and still open"]
    assert [a.text for a in review.actions.closed] == ["Done in the week"]
    assert review.funnel.total == 5


def test_the_week_after_today_is_not_reviewed(db: Database) -> None:
    with pytest.raises(WeekNotStarted, match="2026-W47 has not started yet"):
        week_review(db, MONDAY, today=dt.date(2026, 11, 15))
    assert not week_review(db, MONDAY, today=dt.date(2026, 11, 30)).in_progress


def test_deleted_rows_are_left_out(tmp_path: Path, ward: Path) -> None:
    copy = tmp_path / "copy.db"
    source = connect(ward)
    source.conn.execute(f"VACUUM INTO '{copy}'")
    source.close()
    db = connect(copy)
    try:
        review = week_review(db, MONDAY)
        author = at(day(11, 25))
        commands.delete(db, author, "idea", review.ideas_changed[0].idea.id)
        commands.delete(db, author, "action", review.actions.closed[0].id)
        commands.delete(db, author, "measure", measure(review, "Falls").measure.id)
        after = week_review(db, MONDAY)
    finally:
        db.close()
    assert [c.idea.title for c in after.ideas_changed] == [
        "Falls sensors in bay 2",
        "Quieter nights",
    ]
    assert after.cycles_started == ()  # its idea is gone
    assert after.actions.closed == ()
    assert "Falls" not in [row.measure.name for row in after.measures]

"""The coach's review of one ISO week: what changed in the box score and which SPC signals fired
on the week's point, ideas that changed status, PDSA cycles started and finished, huddles held
against expected with their attendance, actions opened, closed and overdue, and the measures
still missing. Read through `db.queries` into one frozen tree (`WeekReview`); no Textual.

Each measure's XmR chart is worked out over its whole history up to and including the week (the
limits of Making Data Count are never rolled; they change only at a rebase), so the week's
point is labelled as it would have been when the week was reviewed. A week still running is
reviewed as at `today`: huddles expected so far, actions overdue as the board shows them today.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from huddle_board import spc
from huddle_board.db import queries, read_transaction
from huddle_board.model import (
    IDEA_STATUSES,
    ROLES,
    Action,
    Huddle,
    HuddleKind,
    Idea,
    IdeaStatus,
    Measure,
    PdsaCycle,
    Ward,
    iso_week_label,
    week_start,
)

if TYPE_CHECKING:
    from huddle_board.db.connection import Reader

RebaseWeeks = Mapping[str, Sequence[tuple[dt.date, str]]]
"""Per measure id, the weeks from which its limits were worked out afresh, each with its
reason (any day of the week will do)."""

RULE_TITLES: dict[spc.Rule, str] = {
    "outside_limits": "a point outside the process limits",
    "trend": "7 points rising or falling",
    "two_in_three": "2 of 3 points near a process limit",
    "shift": "7 points on one side of the mean",
}
WEEKLY_EXPECTED = 1

_ISO_WEEK = re.compile(r"^(\d{4})-?W(\d{1,2})$")


class WeekNotStarted(ValueError):
    """The week asked for lies in the future: there is nothing to review yet."""


def parse_week(text: str) -> dt.date:
    """The Monday of the ISO week written "2026-W47" (or of a day written "2026-11-18").
    Raises ValueError with a message for the person who typed it."""
    cleaned = text.strip().upper()
    found = _ISO_WEEK.match(cleaned)
    if found:
        year, number = int(found[1]), int(found[2])
        try:
            return dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise ValueError(
                f"{text.strip()!r} is not a week: {year} has no week {number}."
            ) from None
    try:
        return week_start(dt.date.fromisoformat(cleaned))
    except ValueError:
        raise ValueError(
            f"{text.strip()!r} is not a week: write an ISO week like 2026-W47 "
            "(or a day of it like 2026-11-18)."
        ) from None


# -- the tree ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeasureReview:
    """One measure in the week: its value against the one collected before, the target, and its
    XmR chart up to and including the week."""

    measure: Measure
    value: float | None
    """This week's value; None when missing or not due (a sampled measure)."""
    previous: float | None
    """The value one collection before: last week's, or a sampled measure's sample before."""
    previous_week: dt.date
    due: bool
    """A value is expected this week (sampled measures are collected every N weeks)."""
    weeks: tuple[dt.date, ...]
    """The Monday of each point of `analysis`, oldest first, ending with the reviewed week."""
    analysis: spc.Analysis | None
    """None when nothing has been recorded up to this week."""

    @property
    def missing(self) -> bool:
        return self.due and self.value is None

    @property
    def met(self) -> bool | None:
        """This week's value against the target; None without a value or a target."""
        return None if self.value is None else self.measure.met(self.value)

    @property
    def change(self) -> float | None:
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def point(self) -> spc.Point | None:
        """The reviewed week's point on the chart (its value may be None)."""
        return self.analysis.points[-1] if self.analysis is not None else None

    @property
    def latest(self) -> spc.Point | None:
        """The latest point with a value, up to and including this week."""
        if self.analysis is None:
            return None
        return next((p for p in reversed(self.analysis.points) if p.value is not None), None)

    @property
    def signal(self) -> str | None:
        """The special cause on this week's point in plain English; None for common cause or
        when the week has no value."""
        point = self.point
        return spc.describe(point) if point is not None and point.value is not None else None

    @property
    def other_rules(self) -> tuple[str, ...]:
        """Every further rule this week's point meets, after the one `signal` describes."""
        point = self.point
        if point is None or point.value is None:
            return ()
        return tuple(RULE_TITLES[rule] for rule in point.rules[1:])


@dataclass(frozen=True)
class IdeaChange:
    idea: Idea
    changed_on: dt.date
    """The day it took its present status."""


@dataclass(frozen=True)
class IdeaFunnel:
    """Ideas raised by the end of the week, by their status now."""

    counts: tuple[tuple[IdeaStatus, int], ...]
    """Every status, in the order of `IDEA_STATUSES`."""
    changed_since: int
    """How many of them have changed status after the week (shown by their status now)."""

    @property
    def total(self) -> int:
        return sum(count for _status, count in self.counts)


@dataclass(frozen=True)
class CycleEntry:
    cycle: PdsaCycle
    idea_title: str


@dataclass(frozen=True)
class HuddleTally:
    """Huddles of one kind in the week, against those expected."""

    kind: HuddleKind
    expected: int
    """7 daily huddles (one a day; the days so far while the week is running) or 1 weekly."""
    held: int
    """Days with a daily huddle, or the number of weekly huddles."""
    huddles: tuple[Huddle, ...]
    days_without: tuple[dt.date, ...]
    """Days of the week so far with no daily huddle (empty for the weekly one)."""
    average_attendance: float | None
    """Mean head count over the huddles with their attendance recorded."""
    average_by_role: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class ActionTally:
    opened: tuple[Action, ...]
    closed: tuple[Action, ...]
    """Done or dropped during the week."""
    open_at_end: int
    """Open at the end of the reviewed days."""
    overdue: tuple[Action, ...]
    """Open at the end of the reviewed days and due before the last of them, as the board
    showed them that day; the longest overdue first."""


@dataclass(frozen=True)
class WeekReview:
    ward: Ward
    week: dt.date
    """The Monday of the reviewed ISO week."""
    through: dt.date
    """The last day reviewed: the Sunday, or today while the week is running."""
    in_progress: bool
    measures: tuple[MeasureReview, ...]
    ideas_changed: tuple[IdeaChange, ...]
    funnel: IdeaFunnel
    cycles_started: tuple[CycleEntry, ...]
    cycles_finished: tuple[CycleEntry, ...]
    cycles_open: tuple[CycleEntry, ...]
    """Open at the end of the reviewed days."""
    daily: HuddleTally
    weekly: HuddleTally
    actions: ActionTally
    rule_set: str = spc.RULE_SET

    @property
    def label(self) -> str:
        return iso_week_label(self.week)

    @property
    def sunday(self) -> dt.date:
        return self.week + dt.timedelta(days=6)

    @property
    def missing(self) -> tuple[Measure, ...]:
        """Measures due this week with no value."""
        return tuple(row.measure for row in self.measures if row.missing)

    @property
    def signals(self) -> tuple[MeasureReview, ...]:
        """Measures whose point this week is a special cause."""
        return tuple(row for row in self.measures if row.signal is not None)


# -- building it ---------------------------------------------------------------------------------


def week_review(
    db: Reader,
    week: dt.date,
    *,
    today: dt.date | None = None,
    rebases: RebaseWeeks | None = None,
) -> WeekReview:
    """The review of the ISO week holding `week`, as at its end; or as at `today` while it is
    still running (WeekNotStarted when it lies after `today`). Each measure's limits are
    worked out afresh from its stored rebases, or from the weeks in `rebases` for the
    measures it names. One read transaction, so the parts agree."""
    monday = week_start(week)
    sunday = monday + dt.timedelta(days=6)
    if today is not None and today < monday:
        raise WeekNotStarted(
            f"{iso_week_label(monday)} has not started yet (today is {today.isoformat()})."
        )
    through = sunday if today is None else min(today, sunday)
    running = today is not None and today <= sunday
    with read_transaction(db):
        ward = queries.ward(db) or Ward("?", "Ward not set up")
        measures = _measure_reviews(db, monday, rebases or {})
        changed = tuple(
            IdeaChange(idea, day)
            for idea, day in queries.ideas_changed_between(db, monday, through)
        )
        counts, changed_since = queries.idea_funnel(db, through)
        cycles = queries.cycles_between(db, monday, through)
        huddles = queries.huddles_between(db, monday, through)
        actions = _action_tally(db, monday, through)
    funnel = IdeaFunnel(tuple((s, counts.get(s, 0)) for s in IDEA_STATUSES), changed_since)
    started, finished, still_open = _cycle_lists(cycles, monday, through)
    return WeekReview(
        ward=ward,
        week=monday,
        through=through,
        in_progress=running,
        measures=measures,
        ideas_changed=changed,
        funnel=funnel,
        cycles_started=started,
        cycles_finished=finished,
        cycles_open=still_open,
        daily=_huddle_tally("daily", huddles, monday, through, running),
        weekly=_huddle_tally("weekly", huddles, monday, through, running),
        actions=actions,
    )


def _measure_reviews(
    db: Reader, monday: dt.date, rebases: RebaseWeeks
) -> tuple[MeasureReview, ...]:
    recorded = queries.values_through(db, monday)
    return tuple(
        _measure_review(
            measure,
            monday,
            recorded.get(measure.id, {}),
            rebases.get(measure.id, [(r.week, r.reason) for r in measure.rebases]),
        )
        for measure in queries.measures(db)
    )


def _measure_review(
    measure: Measure,
    monday: dt.date,
    values: Mapping[dt.date, float],
    rebases: Sequence[tuple[dt.date, str]],
) -> MeasureReview:
    previous_week = monday - dt.timedelta(weeks=1)
    if measure.every_n_weeks > 1:  # the sample before, wherever it fell
        earlier = [week for week in values if week < monday]
        previous_week = max(earlier, default=monday - dt.timedelta(weeks=measure.every_n_weeks))
    weeks: tuple[dt.date, ...] = ()
    analysis = None
    if values:
        first = min(values)
        weeks = tuple(first + dt.timedelta(weeks=n) for n in range((monday - first).days // 7 + 1))
        analysis = spc.analyse(
            [values.get(week) for week in weeks],
            measure.improvement,
            target=measure.target,
            rebases=_rebase_points(weeks, rebases),
        )
    return MeasureReview(
        measure=measure,
        value=values.get(monday),
        previous=values.get(previous_week),
        previous_week=previous_week,
        due=measure.due_in(monday),
        weeks=weeks,
        analysis=analysis,
    )


def _rebase_points(
    weeks: tuple[dt.date, ...], rebases: Sequence[tuple[dt.date, str]]
) -> tuple[spc.Rebase, ...]:
    """Rebases as points of the series; those before its second week or after the reviewed
    week are left out (they start no segment within it)."""
    index = {week: number for number, week in enumerate(weeks)}
    points: dict[int, spc.Rebase] = {}
    for day, reason in rebases:
        number = index.get(week_start(day), 0)
        if number > 0:
            points[number] = spc.Rebase(number, reason)
    return tuple(points[number] for number in sorted(points))


def _cycle_lists(
    cycles: Sequence[tuple[PdsaCycle, str]], first: dt.date, last: dt.date
) -> tuple[tuple[CycleEntry, ...], tuple[CycleEntry, ...], tuple[CycleEntry, ...]]:
    """(started, finished, still open at the end) among `cycles`."""
    started: list[CycleEntry] = []
    finished: list[CycleEntry] = []
    still_open: list[CycleEntry] = []
    for cycle, title in cycles:
        entry = CycleEntry(cycle, title)
        if cycle.started_on is not None and first <= cycle.started_on <= last:
            started.append(entry)
        if cycle.finished_on is not None and first <= cycle.finished_on <= last:
            finished.append(entry)
        if cycle.finished_on is None or cycle.finished_on > last:
            still_open.append(entry)
    finished.sort(key=lambda entry: (entry.cycle.finished_on, entry.idea_title))
    return tuple(started), tuple(finished), tuple(still_open)


def _huddle_tally(
    kind: HuddleKind, huddles: Sequence[Huddle], first: dt.date, last: dt.date, running: bool
) -> HuddleTally:
    """While the week is `running` (`last` is today), today counts only once its daily huddle
    has been held: it may still be to come."""
    held = tuple(huddle for huddle in huddles if huddle.kind == kind)
    counted = [huddle for huddle in held if huddle.headcount > 0]
    by_role = tuple(
        (role, statistics.fmean(huddle.attendance.get(role, 0) for huddle in counted))
        for role in ROLES
        if counted
    )
    if kind == "daily":
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        held_on = {huddle.held_on for huddle in held}
        if running and last not in held_on:
            days.pop()
        expected, count = len(days), len(held_on & set(days))
        without = tuple(day for day in days if day not in held_on)
    else:
        expected, count, without = WEEKLY_EXPECTED, len(held), ()
    return HuddleTally(
        kind=kind,
        expected=expected,
        held=count,
        huddles=held,
        days_without=without,
        average_attendance=statistics.fmean(h.headcount for h in counted) if counted else None,
        average_by_role=by_role,
    )


def _action_tally(db: Reader, first: dt.date, last: dt.date) -> ActionTally:
    open_at_end = queries.actions_open_at(db, last)
    return ActionTally(
        opened=tuple(queries.actions_raised_between(db, first, last)),
        closed=tuple(queries.actions_closed_between(db, first, last)),
        open_at_end=len(open_at_end),
        overdue=tuple(action for action in open_at_end if action.due_on < last),
    )

"""The ward's things as frozen dataclasses: measures, week values, ideas, PDSA cycles, huddles
and actions, plus the small vocabularies (bands, statuses, agenda sections) they use.

Pure: imports nothing else from the project.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

Band = Literal["performance", "capacity", "cost"]
Improvement = Literal["increase", "decrease", "neutral"]
IdeaStatus = Literal["new", "in_test", "adopted", "parked", "abandoned"]
HuddleKind = Literal["daily", "weekly"]
ActionStatus = Literal["open", "done", "dropped"]
PdsaAct = Literal["adopt", "adapt", "abandon"]
Impact = Literal["high", "low"]
Effort = Literal["easy", "hard"]

BANDS: tuple[Band, ...] = ("performance", "capacity", "cost")
BAND_TITLES: dict[Band, str] = {
    "performance": "Performance",
    "capacity": "Capacity",
    "cost": "Cost",
}
IDEA_STATUSES: tuple[IdeaStatus, ...] = ("new", "in_test", "adopted", "parked", "abandoned")
IDEA_STATUS_TITLES: dict[IdeaStatus, str] = {
    "new": "New",
    "in_test": "In test",
    "adopted": "Adopted",
    "parked": "Parked",
    "abandoned": "Abandoned",
}
ROLES: tuple[str, ...] = ("nurse", "hcsw", "doctor", "ahp", "other")
ROLE_TITLES: dict[str, str] = {
    "nurse": "Nurse",
    "hcsw": "HCSW",
    "doctor": "Doctor",
    "ahp": "AHP",
    "other": "Other",
}

AGENDAS: dict[HuddleKind, tuple[tuple[str, str], ...]] = {
    "daily": (
        ("safety", "Safety concerns and near misses since last huddle"),
        ("at_risk", "Patients at risk (bed numbers only)"),
        ("staffing", "Staffing against plan"),
        ("flow", "Flow: admissions, discharges, delays"),
        ("equipment", "Equipment and environment"),
        ("carried_over", "Actions carried over"),
        ("good_news", "Good news and learning"),
    ),
    "weekly": (
        ("box_score", "Box score review"),
        ("ideas", "Ideas and PDSA tests"),
        ("celebrations", "Celebrations"),
        ("next_steps", "Next steps and actions"),
    ),
}
HUDDLE_TITLES: dict[HuddleKind, str] = {
    "daily": "Daily safety huddle",
    "weekly": "Weekly value-management huddle",
}


def week_start(day: dt.date) -> dt.date:
    """The Monday of the ISO week holding `day`: a week is identified by its Monday."""
    return day - dt.timedelta(days=day.weekday())


def iso_week_label(monday: dt.date) -> str:
    """'2026-W48' for the ISO week starting on `monday`."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def pick_letter(impact: Impact | None, effort: Effort | None) -> str:
    """PICK chart placement: Possible, Implement, Challenge, Kill; '?' until both are known."""
    if impact is None or effort is None:
        return "?"
    if effort == "easy":
        return "I" if impact == "high" else "P"
    return "C" if impact == "high" else "K"


@dataclass(frozen=True)
class Ward:
    code: str
    name: str


@dataclass(frozen=True)
class MeasureRebase:
    """From the week of `week` (a Monday) a measure's mean and limits are worked out afresh,
    after a sustained change with a known cause (`reason`)."""

    week: dt.date
    reason: str


@dataclass(frozen=True)
class Measure:
    id: str
    name: str
    band: Band
    unit: str
    decimals: int
    improvement: Improvement
    target: float | None = None
    owner: str | None = None
    every_n_weeks: int = 1
    is_ratio: bool = False
    ratio_scale: float = 1.0
    position: int = 0
    rev: int = 1
    rebases: tuple[MeasureRebase, ...] = ()  # oldest first

    def due_in(self, monday: dt.date, epoch: dt.date = dt.date(2020, 1, 6)) -> bool:
        """Whether a value is expected for the week starting `monday` (sampled measures
        are collected every N weeks, counted from a fixed Monday)."""
        if self.every_n_weeks <= 1:
            return True
        return ((monday - epoch).days // 7) % self.every_n_weeks == 0

    def met(self, value: float) -> bool | None:
        """Whether `value` meets the target; None when there is no target or no direction."""
        if self.target is None or self.improvement == "neutral":
            return None
        if self.improvement == "increase":
            return value >= self.target
        return value <= self.target

    def format(self, value: float | None) -> str:
        if value is None:
            return "–"
        text = f"{value:,.{self.decimals}f}"
        if self.unit == "£":
            return f"£{text}"
        if self.unit == "%":
            return f"{text}%"
        return text


@dataclass(frozen=True)
class MeasureSeries:
    """A measure's values, one per ISO week (`weeks`, Mondays, oldest first) from its first
    recorded value to the current week; None where a week has no value."""

    measure: Measure
    weeks: tuple[dt.date, ...]
    values: tuple[float | None, ...]


@dataclass(frozen=True)
class PdsaStart:
    """A PDSA cycle of an idea linked to a measure, started on `started_on`."""

    started_on: dt.date
    idea_title: str
    number: int


@dataclass(frozen=True)
class WeekValue:
    id: str
    measure_id: str
    week: dt.date
    value: float | None
    numerator: float | None = None
    denominator: float | None = None
    written_by: str = ""
    rev: int = 1


@dataclass(frozen=True)
class MeasureRow:
    """One row of the box score: a measure with its values by week (None where missing)."""

    measure: Measure
    values: dict[dt.date, float | None]
    history: tuple[float, ...] = ()

    def latest_sample(self, weeks: tuple[dt.date, ...]) -> float | None:
        """The value to judge this week by: this week's, or for a measure sampled every N
        weeks, its latest sample among `weeks` when this week is not a sampling week."""
        if self.measure.due_in(weeks[-1]):
            return self.values.get(weeks[-1])
        recorded = [self.values[w] for w in weeks if self.values.get(w) is not None]
        return recorded[-1] if recorded else None


@dataclass(frozen=True)
class BoxScore:
    weeks: tuple[dt.date, ...]
    rows: tuple[MeasureRow, ...]

    @property
    def current_week(self) -> dt.date:
        return self.weeks[-1]

    def missing(self) -> list[Measure]:
        """Measures due this week that still have no value."""
        week = self.current_week
        return [
            row.measure
            for row in self.rows
            if row.measure.due_in(week) and row.values.get(week) is None
        ]


@dataclass(frozen=True)
class PdsaCycle:
    id: str
    idea_id: str
    number: int
    plan: str
    prediction: str
    do: str = ""
    study: str = ""
    act: PdsaAct | None = None
    started_on: dt.date | None = None
    finished_on: dt.date | None = None
    written_by: str = ""
    rev: int = 1

    @property
    def is_open(self) -> bool:
        return self.act is None


@dataclass(frozen=True)
class Idea:
    id: str
    title: str
    problem: str
    raised_by: str
    raised_on: dt.date
    status: IdeaStatus
    owner: str | None = None
    measure_id: str | None = None
    impact: Impact | None = None
    effort: Effort | None = None
    pdsa_count: int = 0
    written_by: str = ""
    rev: int = 1

    @property
    def pick(self) -> str:
        return pick_letter(self.impact, self.effort)

    def age_days(self, today: dt.date) -> int:
        return max(0, (today - self.raised_on).days)


@dataclass(frozen=True)
class Huddle:
    id: str
    kind: HuddleKind
    held_on: dt.date
    started_at: str
    duration_s: int
    lead: str
    attendance: dict[str, int] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    closed: bool = False
    written_by: str = ""
    rev: int = 1

    @property
    def headcount(self) -> int:
        return sum(self.attendance.values())


@dataclass(frozen=True)
class Action:
    id: str
    text: str
    owner: str
    due_on: dt.date
    status: ActionStatus = "open"
    source_kind: Literal["huddle", "idea"] | None = None
    source_id: str | None = None
    source_label: str = ""
    raised_on: dt.date | None = None
    closed_on: dt.date | None = None
    escalated: bool = False
    escalation_reason: str = ""
    written_by: str = ""
    rev: int = 1

    def overdue(self, today: dt.date) -> bool:
        return self.status == "open" and self.due_on < today

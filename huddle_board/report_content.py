"""What a week's report-out shows, shared by the report's two formats and the week review
screen: the patient-identifier check every free text passes first, and the report's words,
numbers, icons and tables, built from a `review.WeekReview`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from huddle_board import privacy, spc
from huddle_board.model import (
    BAND_TITLES,
    BANDS,
    HUDDLE_TITLES,
    IDEA_STATUS_TITLES,
    ROLE_TITLES,
    Action,
    Measure,
)
from huddle_board.review import CycleEntry, HuddleTally, MeasureReview, WeekReview

"""Weeks drawn on each chart (the limits still rest on the whole history)."""
SPARK_WEEKS = 26
LIST_LIMIT = 25
"""Rows shown of a long list (actions, ideas, PDSA cycles): a report-out, not an export."""
SPARKS = "▁▂▃▄▅▆▇█"

# Making Data Count colours, as NHSRplotthedots draws them.
COLOURS = {
    "common": "#7b7d7d",
    "improvement": "#289de0",
    "concern": "#fab428",
    "neutral": "#361475",
    "mean": "#000000",
    "limit": "#7b7d7d",
    "target": "#de1b1b",
}
INK = {"common": "#ffffff", "improvement": "#ffffff", "concern": "#1d1d1b", "neutral": "#ffffff"}


class ReportRefused(ValueError):
    """The report would show a likely patient identifier; `problems` says where, one line each.
    Nothing of the report is returned."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(
            "The report was not made: it would show what looks like a patient identifier.\n"
            f"{lines}\n"
            "Change the text on the board (patients by bed number only), then make the report "
            "again."
        )


# -- the identifier check -----------------------------------------------------------------------


def check_identifiers(review: WeekReview) -> None:
    """Raise ReportRefused when any free text the report would show holds a CHI or NHS number.
    A place is named by its title unless the title itself holds the number."""
    problems = []
    for where, name, text in free_texts(review):
        matches = privacy.find_identifiers(text)
        if matches:
            found = "; ".join(
                f"looks like {'a CHI number' if m.kind == 'chi' else 'an NHS number'} "
                f"(characters {m.start + 1}–{m.end})"
                for m in matches
            )
            problems.append(f"{where}, field {name}: {found}")
    if problems:
        raise ReportRefused(problems)


def free_texts(review: WeekReview) -> Iterator[tuple[str, str, str]]:
    """(where, field, text) for every free text the report shows."""
    yield "the ward", "name", review.ward.name
    for row in review.measures:
        measure = row.measure
        where = _named("measure", measure.name, f"measure {measure.position + 1}")
        yield where, "name", measure.name
        yield where, "unit", measure.unit
    for change in review.ideas_changed:
        idea = change.idea
        where = _named(
            "idea", idea.title, f"the idea raised on {idea.raised_on} by {idea.raised_by}"
        )
        yield where, "title", idea.title
        yield where, "problem", idea.problem
    for entry in _unique_cycles(review):
        cycle = entry.cycle
        named = _named("idea", entry.idea_title, f"an idea (cycle started {cycle.started_on})")
        where = f"PDSA cycle {cycle.number} of {named}"
        yield where, "idea title", entry.idea_title
        for name in ("plan", "prediction", "do", "study"):
            yield where, name, str(getattr(cycle, name))
    for action in _unique_actions(review):
        where = (
            f"the action owned by {action.owner}, raised {action.raised_on}, due {action.due_on}"
        )
        yield where, "text", action.text
        yield where, "escalation reason", action.escalation_reason
        yield where, "raised at", action.source_label


def _named(kind: str, title: str, otherwise: str) -> str:
    if privacy.has_identifier(title):
        return otherwise
    return f"{kind} '{privacy.printable(title)}'"


def _unique_cycles(review: WeekReview) -> list[CycleEntry]:
    entries = (*review.cycles_started, *review.cycles_finished, *review.cycles_open)
    return list({entry.cycle.id: entry for entry in entries}.values())


def _unique_actions(review: WeekReview) -> list[Action]:
    actions = review.actions
    return list({a.id: a for a in (*actions.opened, *actions.closed, *actions.overdue)}.values())


# -- words and numbers, shared by both formats ---------------------------------------------------


@dataclass(frozen=True)
class Icon:
    """A Making Data Count icon: a coloured disc with a letter, always followed by a word."""

    tone: str  # a key of COLOURS
    letter: str  # "" for common cause: a level line instead
    word: str


@dataclass(frozen=True)
class Band:
    """A band's title row inside the box score table."""

    title: str


Cell = str | Icon


@dataclass(frozen=True)
class Table:
    head: tuple[str, ...]
    rows: list[tuple[Cell, ...] | Band]
    numeric: frozenset[int] = field(default_factory=frozenset)
    empty: str = "None this week."
    limit: int | None = LIST_LIMIT
    """At most this many rows are shown; a note says how many more the board holds."""

    @property
    def shown(self) -> list[tuple[Cell, ...] | Band]:
        return self.rows if self.limit is None else self.rows[: self.limit]

    @property
    def more(self) -> str:
        hidden = len(self.rows) - len(self.shown)
        return f"… and {hidden} more, not shown here (the board lists them all)." if hidden else ""


VARIATION: dict[spc.PointType, tuple[str, str]] = {
    "common_cause": ("common", "Common cause"),
    "special_cause_improvement": ("improvement", "Improvement"),
    "special_cause_concern": ("concern", "Concern"),
    "special_cause_neutral_high": ("neutral", "Neutral"),
    "special_cause_neutral_low": ("neutral", "Neutral"),
}
_ASSURANCE: dict[spc.Assurance, Icon] = {
    "consistent_pass": Icon("improvement", "P", "Consistently passes"),
    "consistent_fail": Icon("concern", "F", "Consistently fails"),
    "inconsistent": Icon("common", "?", "Hit and miss"),
}


def variation_icon(row: MeasureReview) -> Icon | str:
    """The measure's variation: its latest point's type, with H or L for the side."""
    latest = row.latest
    if row.analysis is None or latest is None:
        return "– no values"
    tone, word = VARIATION[latest.point_type]
    if latest.side is None:
        return Icon(tone, "", word)
    letter = "H" if latest.side == "high" else "L"
    return Icon(tone, letter, f"{word} ({'high' if letter == 'H' else 'low'})")


def assurance_icon(row: MeasureReview) -> Icon | str:
    measure = row.measure
    if measure.target is None:
        return "– no target"
    if measure.improvement == "neutral":
        return "– neutral measure"
    if row.analysis is None or row.analysis.assurance is None:
        return "– too few values"
    return _ASSURANCE[row.analysis.assurance]


def fmt_value(measure: Measure, value: float | None, extra_decimals: int = 0) -> str:
    """A value as the measure shows it; negative (a lower limit below zero) with a minus sign
    in front of any £, and never "-0"."""
    if value is None:
        return "–"
    if extra_decimals:
        measure = dataclasses.replace(measure, decimals=min(4, measure.decimals + extra_decimals))
    if round(value, measure.decimals) == 0:
        value = 0.0
    return f"−{measure.format(-value)}" if value < 0 else measure.format(value)


def line_value(measure: Measure, value: float | None) -> str:
    """A mean or a limit: one decimal more than the values for a measure of small whole
    counts (a mean of 0.4 falls, not 0)."""
    small = measure.decimals == 0 and value is not None and abs(value) < 100
    return fmt_value(measure, value, 1 if small else 0)


def _signed(measure: Measure, delta: float | None) -> str:
    if delta is None:
        return "–"
    if round(delta, measure.decimals) == 0:
        return "no change"
    return f"{'+' if delta > 0 else '−'}{measure.format(abs(delta))}"


def _met(row: MeasureReview) -> str:
    if row.measure.target is None or row.measure.improvement == "neutral":
        return "· no target"
    if row.met is None:
        return "? no value" if row.due else "· not due"
    return "✔ met" if row.met else "✘ missed"


def _week_before(row: MeasureReview) -> str:
    """The value one collection before; a sampled measure's says which week it was."""
    if row.measure.every_n_weeks > 1 and row.previous is not None:
        return f"{row.measure.format(row.previous)} ({short_day(row.previous_week)})"
    return row.measure.format(row.previous)


def this_week_text(row: MeasureReview) -> str:
    if row.value is not None:
        return row.measure.format(row.value)
    if row.due:
        return "– missing"
    latest = row.latest
    sampled = f"not due (every {row.measure.every_n_weeks} weeks)"
    if latest is None:
        return sampled
    on = short_day(row.weeks[latest.index])
    return f"{sampled}; last {row.measure.format(latest.value)} on {on}"


def signal_text(row: MeasureReview) -> str:
    if row.signal is None:
        return ""
    others = f" (also {', '.join(row.other_rules)})" if row.other_rules else ""
    return f"{row.signal}{others}"


def day_label(day: dt.date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%b %Y}"


def short_day(day: dt.date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%b}"


def period_label(review: WeekReview) -> str:
    first, last = review.week, review.sunday
    text = f"{short_day(first)} – {day_label(last)}"
    if review.in_progress:
        text += f" (week still running: as at {day_label(review.through)})"
    return text


def _number(value: float | None, decimals: int = 1) -> str:
    return "–" if value is None else f"{value:.{decimals}f}"


# -- the tables -----------------------------------------------------------------------------------


def box_score_table(review: WeekReview) -> Table:
    head = (
        "Measure",
        "Owner",
        "Target",
        "Week before",
        "This week",
        "Change",
        "Target met",
        "Variation",
        "Assurance",
        "Special cause this week",
    )
    rows: list[tuple[Cell, ...] | Band] = []
    for band in BANDS:
        in_band = [row for row in review.measures if row.measure.band == band]
        if in_band:
            rows.append(Band(BAND_TITLES[band]))
        for row in in_band:
            measure = row.measure
            rows.append(
                (
                    f"{measure.name} ({measure.unit})" if measure.unit else measure.name,
                    measure.owner or "–",
                    measure.format(measure.target) if measure.target is not None else "–",
                    _week_before(row),
                    this_week_text(row),
                    _signed(measure, row.change),
                    _met(row),
                    variation_icon(row),
                    assurance_icon(row),
                    signal_text(row),
                )
            )
    return Table(head, rows, frozenset({2, 3, 4, 5}), "No measures on the box score yet.", None)


def headline(review: WeekReview) -> list[tuple[str, str]]:
    """(figure, what it is) for the top of the report."""
    signals = review.signals
    kinds = {tone: 0 for tone in ("improvement", "concern", "neutral")}
    for row in signals:
        point = row.point
        if point is not None:
            kinds[VARIATION[point.point_type][0]] += 1
    split = ", ".join(f"{n} {tone}" for tone, n in kinds.items() if n) or "none"
    judged = [row for row in review.measures if row.met is not None]
    missed = sum(1 for row in judged if row.met is False)
    actions = review.actions
    daily, weekly = review.daily, review.weekly
    return [
        (str(len(signals)), f"measures with a special cause this week ({split})"),
        (f"{missed} of {len(judged)}", "measures with a target missed it"),
        (str(len(review.missing)), "measures still missing a value"),
        (f"{daily.held} of {daily.expected}", "days with a daily safety huddle"),
        (f"{weekly.held} of {weekly.expected}", "weekly value-management huddle"),
        (_number(daily.average_attendance), "average attendance at daily huddles"),
        (f"{len(actions.opened)} / {len(actions.closed)}", "actions opened / closed"),
        (str(len(actions.overdue)), f"actions overdue at {short_day(review.through)}"),
        (str(len(review.ideas_changed)), "ideas changed status"),
        (
            f"{len(review.cycles_started)} / {len(review.cycles_finished)}",
            "PDSA cycles started / finished",
        ),
    ]


def funnel_table(review: WeekReview) -> Table:
    counts = review.funnel.counts
    head = (*(IDEA_STATUS_TITLES[status] for status, _ in counts), "All")
    row = (*(str(count) for _, count in counts), str(review.funnel.total))
    return Table(head, [row], frozenset(range(len(head))), limit=None)


def ideas_changed_table(review: WeekReview) -> Table:
    titles = {row.measure.id: row.measure.name for row in review.measures}
    rows: list[tuple[Cell, ...] | Band] = [
        (
            change.idea.title,
            IDEA_STATUS_TITLES[change.idea.status],
            short_day(change.changed_on),
            change.idea.problem,
            titles.get(change.idea.measure_id or "", "–"),
            change.idea.owner or "–",
            change.idea.pick,
            str(change.idea.pdsa_count),
        )
        for change in review.ideas_changed
    ]
    head = ("Idea", "Now", "On", "Problem", "Measure", "Owner", "PICK", "PDSA cycles")
    return Table(head, rows, frozenset({7}), "No idea changed status this week.")


def cycles_table(entries: Sequence[CycleEntry], finished: bool) -> Table:
    rows: list[tuple[Cell, ...] | Band] = []
    for entry in entries:
        cycle = entry.cycle
        if finished:
            rows.append(
                (
                    entry.idea_title,
                    str(cycle.number),
                    short_day(cycle.finished_on),
                    cycle.prediction,
                    cycle.study or "–",
                    (cycle.act or "–").capitalize(),
                )
            )
        else:
            started = short_day(cycle.started_on)
            rows.append(
                (entry.idea_title, str(cycle.number), started, cycle.plan, cycle.prediction)
            )
    if finished:
        done = ("Idea", "Cycle", "Finished", "Prediction", "Study: what was learned", "Act")
        return Table(done, rows, frozenset({1}), "No PDSA cycle finished this week.")
    head = ("Idea", "Cycle", "Started", "Plan", "Prediction")
    return Table(head, rows, frozenset({1}), "No PDSA cycle started this week.")


def open_cycles_table(review: WeekReview) -> Table:
    rows: list[tuple[Cell, ...] | Band] = [
        (
            entry.idea_title,
            str(entry.cycle.number),
            short_day(entry.cycle.started_on),
            str((review.through - entry.cycle.started_on).days) if entry.cycle.started_on else "–",
        )
        for entry in review.cycles_open
    ]
    head = ("Idea", "Cycle", "Started", "Days open")
    return Table(head, rows, frozenset({1, 3}), "No PDSA cycle open.")


def _source(action: Action) -> str:
    return action.source_label or "–"


def overdue_table(review: WeekReview) -> Table:
    rows: list[tuple[Cell, ...] | Band] = [
        (
            action.text,
            action.owner,
            short_day(action.due_on),
            str((review.through - action.due_on).days),
            _source(action),
            f"⚑ {action.escalation_reason}" if action.escalated else "",
        )
        for action in review.actions.overdue
    ]
    head = ("Action", "Owner", "Due", "Days overdue", "Raised at", "Escalated")
    return Table(head, rows, frozenset({3}), "No action overdue.")


def opened_table(review: WeekReview) -> Table:
    rows: list[tuple[Cell, ...] | Band] = [
        (
            action.text,
            action.owner,
            short_day(action.raised_on),
            short_day(action.due_on),
            _source(action),
            action.status,
        )
        for action in review.actions.opened
    ]
    head = ("Action", "Owner", "Raised", "Due", "Raised at", "Status now")
    return Table(head, rows, empty="No action raised this week.")


def closed_table(review: WeekReview) -> Table:
    rows: list[tuple[Cell, ...] | Band] = [
        (
            action.text,
            action.owner,
            short_day(action.closed_on),
            "✔ done" if action.status == "done" else "✘ dropped",
            _source(action),
        )
        for action in review.actions.closed
    ]
    head = ("Action", "Owner", "Closed", "How", "Raised at")
    return Table(head, rows, empty="No action closed this week.")


def attendance_table(review: WeekReview) -> Table:
    rows: list[tuple[Cell, ...] | Band] = []
    for tally in (review.daily, review.weekly):
        roles = dict(tally.average_by_role)
        rows.append(
            (
                HUDDLE_TITLES[tally.kind],
                f"{tally.held} of {tally.expected}",
                _number(tally.average_attendance),
                *(_number(roles.get(role)) for role in ROLE_TITLES),
            )
        )
    head = ("Huddle", "Held", "Average attendance", *ROLE_TITLES.values())
    return Table(head, rows, frozenset(range(1, len(head))), limit=None)


def huddles_table(review: WeekReview) -> Table:
    huddles = sorted(
        (*review.daily.huddles, *review.weekly.huddles), key=lambda h: (h.held_on, h.started_at)
    )
    rows: list[tuple[Cell, ...] | Band] = [
        (
            f"{huddle.held_on:%a} {short_day(huddle.held_on)}",
            HUDDLE_TITLES[huddle.kind],
            huddle.started_at,
            f"{huddle.duration_s // 60} min",
            huddle.lead,
            str(huddle.headcount),
        )
        for huddle in huddles
    ]
    head = ("Day", "Huddle", "Started", "Length", "Lead", "Attendance")
    return Table(head, rows, frozenset({3, 5}), "No huddle held this week.")


def days_without(tally: HuddleTally) -> str:
    if not tally.days_without:
        return "A daily huddle was held every day."
    days = ", ".join(f"{day:%a} {short_day(day)}" for day in tally.days_without)
    return f"No daily huddle on: {days}."


def sparkline(row: MeasureReview, weeks: int = SPARK_WEEKS) -> str:
    """The last `weeks` values as block characters; a missing week is a middle dot."""
    if row.analysis is None:
        return ""
    values = [point.value for point in row.analysis.points[-weeks:]]
    present = [value for value in values if value is not None]
    low, high = min(present, default=0.0), max(present, default=0.0)
    span = (high - low) or 1.0
    top = len(SPARKS) - 1
    return "".join(
        "·" if value is None else SPARKS[round((value - low) / span * top) if high > low else 3]
        for value in values
    )


# -- sentences -------------------------------------------------------------------------------


def missing_line(review: WeekReview) -> str:
    missing = review.missing
    if not missing:
        return "Every measure due this week has its value."
    names = ", ".join(f"{m.name} ({m.owner})" if m.owner else m.name for m in missing)
    return f"Still missing for this week: {names}."


def funnel_note(review: WeekReview) -> str:
    note = f"Ideas raised up to {day_label(review.through)}, by their status now."
    later = review.funnel.changed_since
    if later:
        note += f" {later} of them changed status after the week."
    return note


def actions_line(review: WeekReview) -> str:
    actions = review.actions
    return (
        f"{len(actions.opened)} raised and {len(actions.closed)} closed this week; "
        f"{actions.open_at_end} open and {len(actions.overdue)} overdue at "
        f"{day_label(review.through)}."
    )


def footer_text(review: WeekReview) -> str:
    return (
        f"Statistical process control (XmR charts): {review.rule_set}. Mean and process limits "
        "rest on every week up to this one, recalculated only at a rebase; limits on fewer than "
        "12 points are trial limits. A missing week is a gap, never zero. Patients appear by "
        "bed number only; huddle notes are not part of this report."
    )


def made_by(generated_on: dt.date | None) -> str:
    """The report's 'made' line."""
    if generated_on is None:
        return "Made by huddle-board"
    return f"Made {day_label(generated_on)} by huddle-board"


def idea_tables(review: WeekReview) -> list[tuple[str, Table]]:
    """The ideas and PDSA section's tables after the funnel, each under its title (both
    formats)."""
    return [
        ("Ideas that changed status this week", ideas_changed_table(review)),
        ("PDSA cycles started this week", cycles_table(review.cycles_started, finished=False)),
        ("PDSA cycles finished this week", cycles_table(review.cycles_finished, finished=True)),
        (f"PDSA cycles open at {short_day(review.through)}", open_cycles_table(review)),
    ]


def action_tables(review: WeekReview) -> list[tuple[str, Table]]:
    """The actions section's tables, each under its title (both formats)."""
    return [
        (f"Overdue at {short_day(review.through)}", overdue_table(review)),
        ("Raised this week", opened_table(review)),
        ("Closed this week", closed_table(review)),
    ]

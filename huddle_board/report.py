"""The week's report-out, for peers, service managers and executive sponsors: one self-contained
HTML file (inline CSS and SVG, nothing fetched) that prints on A4 landscape, or Markdown.

What it shows, from a `review.WeekReview`: the box score with each measure's change, target,
variation and assurance (a glyph, a word and a colour: colour is never alone), an XmR chart per
measure in the Making Data Count colours with a marker shape per kind of point, the ideas
funnel, the PDSA log, actions and huddle attendance. Markdown has the same tables; its charts
are left out, with a text sparkline per measure instead (and it says so).

Every free text that goes into the report passes the patient-identifier check first
(`check_identifiers`): a hit stops the report with `ReportRefused`, which says where each hit
is, and nothing is returned to write. Huddle notes never go into a report. User text is made
printable (`privacy.printable`) and escaped for HTML or Markdown; it is never markup.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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

CHART_WEEKS = 52
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
_INK = {"common": "#ffffff", "improvement": "#ffffff", "concern": "#1d1d1b", "neutral": "#ffffff"}


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


def write_report(path: Path, text: str) -> None:
    """Write `text` to `path` whole or not at all: into a temporary file beside it, flushed to
    disk, then renamed over `path`; on any failure the temporary file is removed and `path`
    is left as it was."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


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


_VARIATION: dict[spc.PointType, tuple[str, str]] = {
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
    tone, word = _VARIATION[latest.point_type]
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


def _fmt(measure: Measure, value: float | None, extra_decimals: int = 0) -> str:
    """A value as the measure shows it; negative (a lower limit below zero) with a minus sign
    in front of any £, and never "-0"."""
    if value is None:
        return "–"
    if extra_decimals:
        measure = dataclasses.replace(measure, decimals=min(4, measure.decimals + extra_decimals))
    if round(value, measure.decimals) == 0:
        value = 0.0
    return f"−{measure.format(-value)}" if value < 0 else measure.format(value)


def _line(measure: Measure, value: float | None) -> str:
    """A mean or a limit: one decimal more than the values for a measure of small whole
    counts (a mean of 0.4 falls, not 0)."""
    small = measure.decimals == 0 and value is not None and abs(value) < 100
    return _fmt(measure, value, 1 if small else 0)


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
        return f"{row.measure.format(row.previous)} ({_short(row.previous_week)})"
    return row.measure.format(row.previous)


def _this_week(row: MeasureReview) -> str:
    if row.value is not None:
        return row.measure.format(row.value)
    if row.due:
        return "– missing"
    latest = row.latest
    sampled = f"not due (every {row.measure.every_n_weeks} weeks)"
    if latest is None:
        return sampled
    return (
        f"{sampled}; last {row.measure.format(latest.value)} on {_short(row.weeks[latest.index])}"
    )


def _signal(row: MeasureReview) -> str:
    if row.signal is None:
        return ""
    others = f" (also {', '.join(row.other_rules)})" if row.other_rules else ""
    return f"{row.signal}{others}"


def _day(day: dt.date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%b %Y}"


def _short(day: dt.date | None) -> str:
    return "–" if day is None else f"{day.day} {day:%b}"


def _period(review: WeekReview) -> str:
    first, last = review.week, review.sunday
    text = f"{_short(first)} – {_day(last)}"
    if review.in_progress:
        text += f" (week still running: as at {_day(review.through)})"
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
                    _this_week(row),
                    _signed(measure, row.change),
                    _met(row),
                    variation_icon(row),
                    assurance_icon(row),
                    _signal(row),
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
            kinds[_VARIATION[point.point_type][0]] += 1
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
        (str(len(actions.overdue)), f"actions overdue at {_short(review.through)}"),
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
            _short(change.changed_on),
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
                    _short(cycle.finished_on),
                    cycle.prediction,
                    cycle.study or "–",
                    (cycle.act or "–").capitalize(),
                )
            )
        else:
            started = _short(cycle.started_on)
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
            _short(entry.cycle.started_on),
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
            _short(action.due_on),
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
            _short(action.raised_on),
            _short(action.due_on),
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
            _short(action.closed_on),
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
            f"{huddle.held_on:%a} {_short(huddle.held_on)}",
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
    days = ", ".join(f"{day:%a} {_short(day)}" for day in tally.days_without)
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


# -- HTML ------------------------------------------------------------------------------------------


def _e(text: str) -> str:
    """User text for HTML: control and invisible characters made visible, then escaped."""
    return html.escape(privacy.printable(text), quote=True)


def _icon_html(icon: Icon) -> str:
    colour, ink = COLOURS[icon.tone], _INK[icon.tone]
    mark = (
        f'<text x="10" y="14.2" text-anchor="middle" font-size="12" font-weight="700" '
        f'fill="{ink}">{_e(icon.letter)}</text>'
        if icon.letter
        else f'<path d="M4.5 10h11" stroke="{ink}" stroke-width="2.2" stroke-linecap="round"/>'
    )
    return (
        f'<span class="icon"><svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">'
        f'<circle cx="10" cy="10" r="9.5" fill="{colour}"/>{mark}</svg>{_e(icon.word)}</span>'
    )


def _cell_html(cell: Cell) -> str:
    return _icon_html(cell) if isinstance(cell, Icon) else _e(cell)


def _table_html(table: Table, css: str = "") -> str:
    if not table.rows:
        return f'<p class="none">{_e(table.empty)}</p>'
    head = "".join(
        f"<th{' class=num' if n in table.numeric else ''}>{_e(title)}</th>"
        for n, title in enumerate(table.head)
    )
    body = []
    for row in table.shown:
        if isinstance(row, Band):
            body.append(
                f'<tr class="band"><th colspan="{len(table.head)}">{_e(row.title)}</th></tr>'
            )
            continue
        cells = "".join(
            f"<td{' class=num' if n in table.numeric else ''}>{_cell_html(cell)}</td>"
            for n, cell in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    css_class = f' class="{css}"' if css else ""
    more = f'<p class="note">{_e(table.more)}</p>' if table.more else ""
    return (
        f"<table{css_class}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{more}"
    )


_CSS = """
@page { size: A4 landscape; margin: 10mm; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 277mm; padding: 6mm 4mm; color: #1d1d1b; background: #fff;
  font: 10pt/1.35 "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; }
header { display: flex; justify-content: space-between; align-items: flex-end; gap: 8mm;
  border-bottom: 3px solid #005eb8; padding-bottom: 2mm; margin-bottom: 4mm; }
h1 { font-size: 19pt; margin: 0; color: #005eb8; }
h1 small { display: block; font-size: 12pt; color: #1d1d1b; font-weight: 600; }
.meta { text-align: right; font-size: 9pt; color: #425563; }
h2 { font-size: 13pt; color: #005eb8; margin: 5mm 0 2mm; border-bottom: 1px solid #aeb7bd;
  break-after: avoid; page-break-after: avoid; }
h3 { font-size: 10.5pt; margin: 3mm 0 1mm; break-after: avoid; page-break-after: avoid; }
section.page { break-before: page; page-break-before: always; }
.glance { display: grid; grid-template-columns: repeat(5, 1fr); gap: 2mm; margin: 0 0 3mm;
  padding: 0; list-style: none; }
.glance li { border: 1px solid #d8dde0; border-left: 4px solid #005eb8; padding: 1.5mm 2mm;
  break-inside: avoid; }
.glance b { display: block; font-size: 15pt; line-height: 1.1; }
.glance span { font-size: 8.5pt; color: #425563; }
table { border-collapse: collapse; width: 100%; margin: 0 0 2mm; font-size: 9pt; }
thead { display: table-header-group; }
th, td { text-align: left; vertical-align: top; padding: 1.2mm 1.6mm;
  border-bottom: 1px solid #d8dde0; }
thead th { background: #e8edee; font-weight: 600; }
tr { break-inside: avoid; page-break-inside: avoid; }
tr.band th { background: #005eb8; color: #fff; font-size: 9pt; letter-spacing: 0.04em;
  text-transform: uppercase; padding: 0.8mm 1.6mm; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.icon { display: inline-flex; align-items: center; gap: 1mm; white-space: nowrap; }
.icon svg { flex: none; }
.none, .note { color: #425563; font-style: italic; margin: 1mm 0 2mm; }
.legend { display: flex; flex-wrap: wrap; gap: 2mm 5mm; font-size: 8.5pt; margin: 0 0 2mm;
  align-items: center; }
.legend span { display: inline-flex; align-items: center; gap: 1mm; }
.charts { display: grid; grid-template-columns: repeat(3, 1fr); gap: 3mm 4mm; }
figure { margin: 0; border: 1px solid #d8dde0; padding: 1.5mm 2mm 1mm; break-inside: avoid;
  page-break-inside: avoid; }
figcaption { font-size: 8.5pt; }
figcaption b { display: block; font-size: 9.5pt; }
figure svg.chart { display: block; width: 100%; height: auto; }
.funnel { display: grid; grid-template-columns: 22mm 1fr 12mm; gap: 1mm 2mm; max-width: 150mm;
  align-items: center; margin: 1mm 0; }
.funnel .stage { display: contents; }
.funnel .bar { height: 4mm; background: #e8edee; }
.funnel .bar i { display: block; height: 100%; background: #005eb8; min-width: 0.5mm; }
.funnel b { text-align: right; font-variant-numeric: tabular-nums; }
.funnel .all span, .funnel .all b { border-top: 1px solid #aeb7bd; padding-top: 0.5mm; }
table.box-score td:first-child { min-width: 48mm; }
table.box-score td:nth-child(6), table.box-score td:nth-child(7),
table.box-score td:nth-child(8),
table.box-score td:nth-child(9) { white-space: nowrap; }
footer { margin-top: 5mm; border-top: 1px solid #aeb7bd; padding-top: 2mm; font-size: 8.5pt;
  color: #425563; }
@media print {
  body { padding: 0; max-width: none; font-size: 9pt; }
  header { margin-bottom: 2mm; }
  h2 { margin-top: 3mm; }
  .glance { grid-template-columns: repeat(10, 1fr); gap: 1.5mm; margin-bottom: 2mm; }
  .glance li { padding: 1mm 1.5mm; }
  .glance b { font-size: 12pt; }
  .glance span { font-size: 7pt; line-height: 1.2; display: block; }
  table { font-size: 8pt; }
  th, td { padding: 0.6mm 1.4mm; }
  .charts { grid-template-columns: repeat(4, 1fr); gap: 2mm 3mm; }
  figcaption { font-size: 7.5pt; }
}
"""


def render_html(
    review: WeekReview, *, generated_on: dt.date | None = None, chart_weeks: int = CHART_WEEKS
) -> str:
    """The report as one self-contained HTML page (ReportRefused on a patient identifier)."""
    check_identifiers(review)
    title = f"{review.ward.name} — week review {review.label}"
    made = f"Made {_day(generated_on)} by huddle-board" if generated_on else "Made by huddle-board"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>{_e(review.ward.name)}<small>Week review {_e(review.label)}: "
        f"{_e(_period(review))}</small></h1>",
        f'<div class="meta">{_e(review.ward.code)}<br>{_e(made)}</div></header>',
        _glance_html(review),
        "<h2>Box score</h2>",
        _table_html(box_score_table(review), "box-score"),
        f'<p class="note">{_e(_missing_line(review))}</p>',
        _charts_html(review, chart_weeks),
        '<section class="page"><h2>Ideas and PDSA tests</h2>',
        "<h3>Ideas funnel</h3>",
        _funnel_html(review),
        f'<p class="note">{_e(_funnel_note(review))}</p>',
        "<h3>Ideas that changed status this week</h3>",
        _table_html(ideas_changed_table(review)),
        "<h3>PDSA cycles started this week</h3>",
        _table_html(cycles_table(review.cycles_started, finished=False)),
        "<h3>PDSA cycles finished this week</h3>",
        _table_html(cycles_table(review.cycles_finished, finished=True)),
        f"<h3>PDSA cycles open at {_e(_short(review.through))}</h3>",
        _table_html(open_cycles_table(review)),
        "</section>",
        '<section class="page"><h2>Actions</h2>',
        f"<p>{_e(_actions_line(review))}</p>",
        f"<h3>Overdue at {_e(_short(review.through))}</h3>",
        _table_html(overdue_table(review)),
        "<h3>Raised this week</h3>",
        _table_html(opened_table(review)),
        "<h3>Closed this week</h3>",
        _table_html(closed_table(review)),
        "<h2>Huddles and attendance</h2>",
        _table_html(attendance_table(review), "attendance"),
        f'<p class="note">{_e(days_without(review.daily))}</p>',
        _table_html(huddles_table(review)),
        "</section>",
        f"<footer>{_e(_footer(review))}</footer>",
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"


def _glance_html(review: WeekReview) -> str:
    items = "".join(
        f"<li><b>{_e(figure)}</b><span>{_e(words)}</span></li>"
        for figure, words in headline(review)
    )
    return f'<ul class="glance" aria-label="The week at a glance">{items}</ul>'


def _missing_line(review: WeekReview) -> str:
    missing = review.missing
    if not missing:
        return "Every measure due this week has its value."
    names = ", ".join(f"{m.name} ({m.owner})" if m.owner else m.name for m in missing)
    return f"Still missing for this week: {names}."


def _funnel_html(review: WeekReview) -> str:
    """The funnel as bars, one per status, each with its count written beside it."""
    widest = max((count for _, count in review.funnel.counts), default=0) or 1
    stages = "".join(
        f'<div class="stage"><span>{_e(IDEA_STATUS_TITLES[status])}</span>'
        f'<span class="bar"><i style="width: {100 * count / widest:.1f}%"></i></span>'
        f"<b>{count}</b></div>"
        for status, count in review.funnel.counts
    )
    total = (
        '<div class="stage all"><span>All ideas</span><span></span>'
        f"<b>{review.funnel.total}</b></div>"
    )
    return f'<div class="funnel">{stages}{total}</div>'


def _funnel_note(review: WeekReview) -> str:
    note = f"Ideas raised up to {_day(review.through)}, by their status now."
    later = review.funnel.changed_since
    if later:
        note += f" {later} of them changed status after the week."
    return note


def _actions_line(review: WeekReview) -> str:
    actions = review.actions
    return (
        f"{len(actions.opened)} raised and {len(actions.closed)} closed this week; "
        f"{actions.open_at_end} open and {len(actions.overdue)} overdue at "
        f"{_day(review.through)}."
    )


def _footer(review: WeekReview) -> str:
    return (
        f"Statistical process control (XmR charts): {review.rule_set}. Mean and process limits "
        "rest on every week up to this one, recalculated only at a rebase; limits on fewer than "
        "12 points are trial limits. A missing week is a gap, never zero. Patients appear by "
        "bed number only; huddle notes are not part of this report."
    )


# -- the XmR charts (inline SVG) -------------------------------------------------------------------

_W, _H = 400.0, 160.0
_LEFT, _RIGHT, _TOP, _BOTTOM = 6.0, 84.0, 8.0, 20.0
_MARKERS = ("common", "improvement", "concern", "neutral")


def _marker(tone: str, x: float, y: float) -> str:
    """Each kind of point has its own shape as well as its colour."""
    fill = COLOURS[tone]
    if tone == "improvement":  # diamond
        return (
            f'<path d="M{x:.1f} {y - 4.6:.1f}l4.6 4.6l-4.6 4.6l-4.6 -4.6z" fill="{fill}" '
            'stroke="#1d1d1b" stroke-width="0.6"/>'
        )
    if tone == "concern":  # square
        return (
            f'<rect x="{x - 3.6:.1f}" y="{y - 3.6:.1f}" width="7.2" height="7.2" fill="{fill}" '
            'stroke="#1d1d1b" stroke-width="0.6"/>'
        )
    if tone == "neutral":  # triangle
        return (
            f'<path d="M{x:.1f} {y - 4.6:.1f}l4.4 8l-8.8 0z" fill="{fill}" '
            'stroke="#1d1d1b" stroke-width="0.6"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.2" fill="{fill}"/>'


_MARKER_WORDS = {
    "common": "Common cause",
    "improvement": "Special cause improvement",
    "concern": "Special cause concern",
    "neutral": "Special cause (neutral measure)",
}


def _legend_html() -> str:
    def swatch(inner: str) -> str:
        return f'<svg viewBox="0 0 22 12" width="22" height="12" aria-hidden="true">{inner}</svg>'

    items = [
        f"<span>{swatch(_marker(tone, 11, 6))}{_e(_MARKER_WORDS[tone])}</span>" for tone in _MARKERS
    ]
    lines = (
        ("Mean", COLOURS["mean"], ""),
        ("Process limits", COLOURS["limit"], ' stroke-dasharray="4 2"'),
        ("Target", COLOURS["target"], ' stroke-dasharray="1.5 1.5"'),
    )
    for word, colour, dash in lines:
        line = f'<line x1="1" y1="6" x2="21" y2="6" stroke="{colour}" stroke-width="1.6"{dash}/>'
        items.append(f"<span>{swatch(line)}{_e(word)}</span>")
    ring = '<circle cx="11" cy="6" r="5" fill="none" stroke="#1d1d1b"/>'
    items.append(f"<span>{swatch(ring)}This week&#8217;s point</span>")
    return f'<div class="legend">{"".join(items)}</div>'


def _charts_html(review: WeekReview, weeks: int) -> str:
    figures = [_figure_html(row, weeks) for row in review.measures]
    return (
        '<section class="page"><h2>XmR charts</h2>'
        f'<p class="note">The last {weeks} weeks of each measure, up to this week.</p>'
        f'{_legend_html()}<div class="charts">{"".join(figures)}</div></section>'
    )


def _figure_html(row: MeasureReview, weeks: int) -> str:
    measure = row.measure
    caption = [f"<b>{_e(measure.name)}</b>"]
    variation, assurance = variation_icon(row), assurance_icon(row)
    for cell in (variation, assurance):
        caption.append(_cell_html(cell) if isinstance(cell, Icon) else "")
    analysis = row.analysis
    if analysis is None:
        body = f'<p class="none">{_e("No values recorded yet.")}</p>'
    else:
        body = _chart_svg(row, analysis, weeks)
    summary = _e(_chart_summary(row))
    return f"<figure><figcaption>{' '.join(caption)}<br>{summary}</figcaption>{body}</figure>"


def _chart_summary(row: MeasureReview) -> str:
    analysis, measure = row.analysis, row.measure
    parts = [f"This week {_this_week(row)}"]
    if analysis is not None and analysis.mean is not None:
        parts.append(f"mean {_line(measure, analysis.mean)}")
    if (
        analysis is not None
        and analysis.upper_limit is not None
        and analysis.lower_limit is not None
    ):
        lower, upper = _line(measure, analysis.lower_limit), _line(measure, analysis.upper_limit)
        limits = f"limits {lower} to {upper}"
        parts.append(f"trial {limits}" if analysis.trial else limits)
    if measure.target is not None:
        parts.append(f"target {measure.format(measure.target)}")
    signal = _signal(row)
    if signal:
        parts.append(signal)
    return " · ".join(parts)


@dataclass(frozen=True)
class _Frame:
    """Where a chart's points go: weeks along x, values up y."""

    count: int
    low: float
    high: float

    def x(self, index: int) -> float:
        width = _W - _LEFT - _RIGHT
        return _LEFT + (width * index / (self.count - 1) if self.count > 1 else width / 2)

    def y(self, value: float) -> float:
        return _TOP + (self.high - value) / (self.high - self.low) * (_H - _TOP - _BOTTOM)


def _frame(points: Sequence[spc.Point], target: float | None) -> _Frame:
    numbers = [p.value for p in points if p.value is not None]
    for point in points:
        numbers += [n for n in (point.mean, point.upper_limit, point.lower_limit) if n is not None]
    if target is not None:
        numbers.append(target)
    low, high = min(numbers, default=0.0), max(numbers, default=0.0)
    pad = (high - low) * 0.06 or max(abs(high) * 0.1, 1.0)
    return _Frame(len(points), low - pad, high + pad)


def _chart_svg(row: MeasureReview, analysis: spc.Analysis, weeks: int) -> str:
    start = max(0, len(analysis.points) - weeks)
    points = analysis.points[start:]
    days = row.weeks[start:]
    frame = _frame(points, row.measure.target)
    shapes = [
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_W - _LEFT - _RIGHT}" '
        f'height="{_H - _TOP - _BOTTOM}" fill="#fafbfb" stroke="#d8dde0" stroke-width="0.6"/>'
    ]
    shapes += _segment_lines(points, analysis, frame)
    if row.measure.target is not None:
        y = frame.y(row.measure.target)
        shapes.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{_W - _RIGHT}" y2="{y:.1f}" '
            f'stroke="{COLOURS["target"]}" stroke-width="1.3" stroke-dasharray="1.5 1.5"/>'
        )
    shapes.append(_value_line(points, frame))
    shapes += [
        _point_marker(row.measure, point, n, frame, days[n]) for n, point in enumerate(points)
    ]
    last = points[-1]
    if last.value is not None:
        shapes.append(
            f'<circle cx="{frame.x(len(points) - 1):.1f}" cy="{frame.y(last.value):.1f}" r="6" '
            'fill="none" stroke="#1d1d1b" stroke-width="1"/>'
        )
    shapes += _axis_labels(days, frame)
    shapes += _line_labels(row, last, frame)
    description = f"XmR chart of {row.measure.name}: {_chart_summary(row)}"
    return (
        f'<svg class="chart" viewBox="0 0 {_W:.0f} {_H:.0f}" role="img">'
        f"<title>{_e(description)}</title>{''.join(shapes)}</svg>"
    )


def _segment_lines(points: Sequence[spc.Point], analysis: spc.Analysis, frame: _Frame) -> list[str]:
    """Mean and process limits per segment; a dotted rule where limits were rebased."""
    shapes: list[str] = []
    start = 0
    for end in range(1, len(points) + 1):
        if end < len(points) and points[end].segment == points[start].segment:
            continue
        first = points[start]
        x1, x2 = frame.x(start), frame.x(end - 1)
        if x1 == x2:
            x1, x2 = x1 - 3, x2 + 3
        lines = (
            (first.mean, COLOURS["mean"], "1.2", ""),
            (first.upper_limit, COLOURS["limit"], "1", ' stroke-dasharray="4 2"'),
            (first.lower_limit, COLOURS["limit"], "1", ' stroke-dasharray="4 2"'),
        )
        for value, colour, width, dash in lines:
            if value is not None:
                y = frame.y(value)
                shapes.append(
                    f'<line x1="{x1:.1f}" y1="{y:.1f}" x2="{x2:.1f}" y2="{y:.1f}" '
                    f'stroke="{colour}" stroke-width="{width}"{dash}/>'
                )
        if start > 0:
            reason = analysis.segments[first.segment].reason or "limits recalculated"
            x = frame.x(start)
            shapes.append(
                f'<line x1="{x:.1f}" y1="{_TOP}" x2="{x:.1f}" y2="{_H - _BOTTOM}" '
                'stroke="#425563" stroke-width="1" stroke-dasharray="1 2">'
                f"<title>Rebased: {_e(reason)}</title></line>"
            )
        start = end
    return shapes


def _value_line(points: Sequence[spc.Point], frame: _Frame) -> str:
    coords = " ".join(
        f"{frame.x(n):.1f},{frame.y(p.value):.1f}"
        for n, p in enumerate(points)
        if p.value is not None
    )
    return (
        f'<polyline points="{coords}" fill="none" stroke="{COLOURS["common"]}" '
        'stroke-width="1.1" stroke-linejoin="round"/>'
    )


def _point_marker(measure: Measure, point: spc.Point, n: int, frame: _Frame, day: dt.date) -> str:
    if point.value is None:
        return ""
    tone = _VARIATION[point.point_type][0]
    reason = spc.describe(point)
    label = f"{_day(day)}: {_fmt(measure, point.value)}" + (f" ({reason})" if reason else "")
    return f"<g><title>{_e(label)}</title>{_marker(tone, frame.x(n), frame.y(point.value))}</g>"


def _axis_labels(days: Sequence[dt.date], frame: _Frame) -> list[str]:
    """Four week labels along the bottom: the first, two between, and the last."""
    count = len(days)
    picks = sorted({0, count // 3, 2 * count // 3, count - 1}) if count > 1 else [0]
    labels = []
    for n in picks:
        anchor = "start" if n == 0 and count > 1 else "end" if n == count - 1 else "middle"
        labels.append(
            f'<text x="{frame.x(n):.1f}" y="{_H - 5:.1f}" font-size="11" fill="#425563" '
            f'text-anchor="{anchor}">{_e(f"{days[n].day} {days[n]:%b %y}")}</text>'
        )
    return labels


def _line_labels(row: MeasureReview, last: spc.Point, frame: _Frame) -> list[str]:
    """The last segment's lines and the target named at the right, nudged apart."""
    measure = row.measure
    named = [
        (value, f"{word} {_line(measure, value)}", colour)
        for value, word, colour in (
            (last.upper_limit, "UPL", COLOURS["limit"]),
            (last.mean, "Mean", COLOURS["mean"]),
            (last.lower_limit, "LPL", COLOURS["limit"]),
        )
        if value is not None
    ]
    if measure.target is not None:
        named.append((measure.target, f"Target {_fmt(measure, measure.target)}", COLOURS["target"]))
    placed: list[tuple[float, str, str]] = []
    for value, text, colour in sorted(named, key=lambda item: -item[0]):
        y = frame.y(value) + 3
        if placed and y < placed[-1][0] + 11:
            y = placed[-1][0] + 11
        placed.append((y, text, colour))
    overflow = placed[-1][0] - (_H - 4) if placed else 0
    labels = []
    for y, text, colour in placed:
        y -= max(0.0, overflow)
        fill = "#1d1d1b" if colour == COLOURS["limit"] else colour
        labels.append(
            f'<text x="{_W - _RIGHT + 3:.1f}" y="{y:.1f}" font-size="11" fill="{fill}">'
            f"{_e(text)}</text>"
        )
    return labels


# -- Markdown ----------------------------------------------------------------------------------

_MD_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\`*_[]<>|~&#"})


def _md(text: str) -> str:
    """User text for Markdown: printable, on one line, with every character that Markdown or
    HTML would read escaped by a backslash."""
    flat = " ".join(privacy.printable(text).split())
    return flat.translate(_MD_SPECIAL)


def _md_cell(cell: Cell) -> str:
    if isinstance(cell, Icon):
        return f"({_md(cell.letter)}) {_md(cell.word)}" if cell.letter else _md(cell.word)
    return _md(cell)


def _md_table(table: Table) -> list[str]:
    if not table.rows:
        return [f"_{_md(table.empty)}_", ""]
    align = ["---:" if n in table.numeric else "---" for n in range(len(table.head))]
    lines = [
        "| " + " | ".join(_md(title) for title in table.head) + " |",
        "| " + " | ".join(align) + " |",
    ]
    for row in table.shown:
        if isinstance(row, Band):
            cells = [f"**{_md(row.title)}**", *([""] * (len(table.head) - 1))]
        else:
            cells = [_md_cell(cell) for cell in row]
        lines.append("| " + " | ".join(cells) + " |")
    more = [f"_{_md(table.more)}_", ""] if table.more else []
    return [*lines, "", *more]


def render_markdown(
    review: WeekReview, *, generated_on: dt.date | None = None, spark_weeks: int = SPARK_WEEKS
) -> str:
    """The report as Markdown: the same tables, and a text sparkline in place of each chart
    (ReportRefused on a patient identifier)."""
    check_identifiers(review)
    made = f"Made {_day(generated_on)} by huddle-board" if generated_on else "Made by huddle-board"
    lines = [
        f"# {_md(review.ward.name)}: week review {review.label}",
        "",
        f"{_md(_period(review))} · ward {_md(review.ward.code)} · {made}",
        "",
        f"> The XmR charts are left out of the Markdown report: each measure has a text "
        f"sparkline of its last {spark_weeks} weeks below (· is a missing week). The HTML "
        "report (--format html) has the charts.",
        "",
        "## At a glance",
        "",
        *(f"- **{_md(figure)}** {_md(words)}" for figure, words in headline(review)),
        "",
        "## Box score",
        "",
        "Icons: (H) high, (L) low side of the mean; (P) consistently passes, (F) consistently "
        "fails, (?) hit and miss the target.",
        "",
        *_md_table(box_score_table(review)),
        _md(_missing_line(review)),
        "",
        *_md_table(_spark_table(review, spark_weeks)),
        "## Ideas and PDSA tests",
        "",
        "### Ideas funnel",
        "",
        *_md_table(funnel_table(review)),
        _md(_funnel_note(review)),
        "",
        "### Ideas that changed status this week",
        "",
        *_md_table(ideas_changed_table(review)),
        "### PDSA cycles started this week",
        "",
        *_md_table(cycles_table(review.cycles_started, finished=False)),
        "### PDSA cycles finished this week",
        "",
        *_md_table(cycles_table(review.cycles_finished, finished=True)),
        f"### PDSA cycles open at {_short(review.through)}",
        "",
        *_md_table(open_cycles_table(review)),
        "## Actions",
        "",
        _md(_actions_line(review)),
        "",
        f"### Overdue at {_short(review.through)}",
        "",
        *_md_table(overdue_table(review)),
        "### Raised this week",
        "",
        *_md_table(opened_table(review)),
        "### Closed this week",
        "",
        *_md_table(closed_table(review)),
        "## Huddles and attendance",
        "",
        *_md_table(attendance_table(review)),
        _md(days_without(review.daily)),
        "",
        *_md_table(huddles_table(review)),
        "---",
        "",
        _md(_footer(review)),
    ]
    return "\n".join(lines) + "\n"


def _spark_table(review: WeekReview, weeks: int) -> Table:
    rows: list[tuple[Cell, ...] | Band] = []
    for row in review.measures:
        analysis = row.analysis
        limits = "–"
        if analysis is not None and analysis.upper_limit is not None:
            lower, upper = analysis.lower_limit, analysis.upper_limit
            limits = f"{_line(row.measure, lower)} to {_line(row.measure, upper)}"
            limits += " (trial)" if analysis.trial else ""
        mean = analysis.mean if analysis is not None else None
        rows.append((row.measure.name, sparkline(row, weeks), _line(row.measure, mean), limits))
    head = ("Measure", f"Last {weeks} weeks", "Mean", "Process limits")
    return Table(head, rows, frozenset({2}), "No measures on the box score yet.", None)

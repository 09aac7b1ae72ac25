"""A measure's weekly series read through the SPC engine, for the box score and the chart: where
its rebases fall, its variation and assurance, and the special cause on its latest point in
plain English ("7 weeks below average up to the week of 16 Nov"); and the Making Data Count
icons' meanings as a glyph, a word and a colour, so that colour is never the only signal.

Pure: imports only the pure core (model, spc).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from huddle_board import spc
from huddle_board.model import MeasureRebase, MeasureSeries, week_start

# -- the icons: glyph, word (full and short) and colour ---------------------------------------
# Making Data Count: orange for concern, blue for improvement, purple for a neutral measure,
# grey for common cause; assurance blue for pass, orange for fail, grey for hit and miss. The
# shades are light enough to read on a black screen and on the table's cursor.

BLUE = "#4FA8FF"
ORANGE = "#FF9F1A"
PURPLE = "#C38BFF"
GREY = "#A8A8A8"


@dataclass(frozen=True)
class Icon:
    glyph: str
    word: str
    short: str  # the word on a narrow screen
    colour: str


VARIATION_ICONS: dict[spc.PointType, Icon] = {
    "common_cause": Icon("─", "Common cause", "Common", GREY),
    "special_cause_improvement": Icon("●", "Improvement", "Improve", BLUE),
    "special_cause_concern": Icon("●", "Concern", "Concern", ORANGE),
    "special_cause_neutral_high": Icon("▲", "Neutral high", "Neutral", PURPLE),
    "special_cause_neutral_low": Icon("▼", "Neutral low", "Neutral", PURPLE),
}
ASSURANCE_ICONS: dict[spc.Assurance, Icon] = {
    "consistent_pass": Icon("P", "Pass", "Pass", BLUE),
    "consistent_fail": Icon("F", "Fail", "Fail", ORANGE),
    "inconsistent": Icon("?", "Hit & miss", "H&M", GREY),
}
POINT_LETTERS: dict[spc.PointType, str] = {
    "common_cause": "·",
    "special_cause_improvement": "I",
    "special_cause_concern": "C",
    "special_cause_neutral_high": "H",
    "special_cause_neutral_low": "L",
}
"""The letter that marks a point on the chart and in its table."""
POINT_TITLES: dict[spc.PointType, str] = {
    "common_cause": "common cause",
    "special_cause_improvement": "special cause improvement",
    "special_cause_concern": "special cause concern",
    "special_cause_neutral_high": "special cause neutral high",
    "special_cause_neutral_low": "special cause neutral low",
}
ASSURANCE_TITLES: dict[spc.Assurance, str] = {
    "consistent_pass": "consistently passes the target",
    "consistent_fail": "consistently fails the target",
    "inconsistent": "hit and miss against the target",
}
RULE_WORDS: dict[spc.Rule, str] = {
    "outside_limits": "outside a limit",
    "trend": "7 rising/falling",
    "two_in_three": "2 of 3 near a limit",
    "shift": "7 on one side",
}
"""The rules in a few words, for a table."""


def variation_icon(point_type: spc.PointType, side: spc.Side | None) -> Icon:
    """The variation icon; for improvement or concern the glyph says high or low."""
    icon = VARIATION_ICONS[point_type]
    if point_type in ("special_cause_improvement", "special_cause_concern") and side:
        return Icon("▲" if side == "high" else "▼", icon.word, icon.short, icon.colour)
    return icon


# -- reading a series --------------------------------------------------------------------------


def noun(series: MeasureSeries) -> str:
    """What a point is: a week, or a sample for a measure collected every N weeks."""
    return "samples" if series.measure.every_n_weeks > 1 else "weeks"


def rebase_points(
    weeks: Sequence[dt.date], rebases: Sequence[MeasureRebase]
) -> tuple[tuple[int, MeasureRebase], ...]:
    """Each rebase that starts a segment within `weeks`, with the point it starts at; one
    before the series' second week or after its last is left out (it starts no segment)."""
    index = {week: number for number, week in enumerate(weeks)}
    found: dict[int, MeasureRebase] = {}
    for rebase in rebases:
        number = index.get(week_start(rebase.week), 0)
        if number > 0:
            found.setdefault(number, rebase)
    return tuple(sorted(found.items(), key=lambda item: item[0]))


@dataclass(frozen=True)
class Reading:
    """A series through `spc.analyse`: the analysis, which point is the latest with a value,
    and the rebases that start its segments."""

    series: MeasureSeries
    analysis: spc.Analysis
    latest: int
    rebases: tuple[tuple[int, MeasureRebase], ...]

    @property
    def point(self) -> spc.Point:
        return self.analysis.points[self.latest]

    @property
    def week(self) -> dt.date:
        return self.series.weeks[self.latest]

    def summary(self) -> Summary:
        point = self.point
        return Summary(
            variation=point.point_type,
            side=point.side,
            assurance=self.analysis.assurance,
            description=spc.describe(point, noun(self.series)),
            rule=point.rule,
            week=self.week,
            trial=self.analysis.trial,
            baseline=self.analysis.segments[-1].baseline_points,
        )


def read(series: MeasureSeries) -> Reading | None:
    """The series' XmR chart; None while it has no value."""
    values = series.values
    if not any(value is not None for value in values):
        return None
    measure = series.measure
    rebases = rebase_points(series.weeks, measure.rebases)
    analysis = spc.analyse(
        values,
        measure.improvement,
        target=measure.target,
        rebases=[spc.Rebase(index, rebase.reason) for index, rebase in rebases],
    )
    latest = max(i for i, value in enumerate(values) if value is not None)
    return Reading(series, analysis, latest, rebases)


@dataclass(frozen=True)
class Summary:
    """What the box score shows of a measure's SPC: its latest point's variation, the
    assurance, and the special cause in words with the week it was seen."""

    variation: spc.PointType
    side: spc.Side | None
    assurance: spc.Assurance | None
    description: str | None  # spc.describe's words; None for common cause
    rule: spc.Rule | None
    week: dt.date
    trial: bool
    baseline: int  # how many values the latest limits rest on

    def reason(self, short: bool = False) -> str | None:
        """ "above the upper limit in the week of 16 Nov", "7 weeks below average up to the
        week of 16 Nov"; `short`: "above the upper limit (16 Nov)", "... (to 16 Nov)"."""
        if self.description is None:
            return None
        day = f"{self.week:%d %b}"
        run = self.rule in ("trend", "shift")
        if short:
            return f"{self.description} ({'to ' if run else ''}{day})"
        return f"{self.description} {'up to' if run else 'in'} the week of {day}"


def summarise(series: MeasureSeries) -> Summary | None:
    reading = read(series)
    return reading.summary() if reading is not None else None

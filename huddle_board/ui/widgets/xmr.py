"""An XmR chart in character cells, drawn through the line API: one column (or a few, when
the series is short) per week, the values as points, each segment's mean, process limits and
the target as lines, special-cause points marked by a letter in the Making Data Count colours
(so colour is never alone), rebases as a dotted upright line, and a row of markers under the
weeks for PDSA cycle starts (P) and rebases (R). The selected week's column is highlighted.

The cells are worked out once per size and data (`chart_cells`, plain Python, no Textual) and
kept as strips; a redraw only hands them out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip
from textual.widget import Widget

from huddle_board.model import MeasureSeries, PdsaStart, week_start
from huddle_board.privacy import printable
from huddle_board.variation import (
    BLUE,
    GREY,
    ORANGE,
    POINT_LETTERS,
    PURPLE,
    Reading,
)

MEAN_GLYPH = "─"
LIMIT_GLYPH = "┄"
TARGET_GLYPH = "═"
REBASE_GLYPH = "┊"
POINT_GLYPH = "●"
MEAN_STYLE = "#E0E0E0"
LIMIT_STYLE = "#9A9A9A"
TARGET_STYLE = "bold #FF6B6B"
REBASE_STYLE = "bold #FFE000"
PDSA_STYLE = "bold #00E5FF"
AXIS_STYLE = "#9A9A9A"
SELECTED_STYLE = "on #33336B"
POINT_STYLES = {
    "common_cause": GREY,
    "special_cause_improvement": f"bold {BLUE}",
    "special_cause_concern": f"bold {ORANGE}",
    "special_cause_neutral_high": f"bold {PURPLE}",
    "special_cause_neutral_low": f"bold {PURPLE}",
}
RIGHT_LABELS = 22  # room right of the plot for the lines' labels
MAX_STEP = 4  # columns per week, at most, for a short series
Cell = tuple[str, str]  # a character and its style


@dataclass(frozen=True)
class ChartData:
    """What the chart shows: the series, its XmR reading (None while it has no value) and the
    PDSA cycles of the ideas linked to the measure."""

    series: MeasureSeries
    reading: Reading | None
    pdsa: tuple[PdsaStart, ...] = ()

    def pdsa_weeks(self) -> dict[int, list[PdsaStart]]:
        """PDSA starts by the index of their week in the series (outside it: left out)."""
        index = {week: number for number, week in enumerate(self.series.weeks)}
        found: dict[int, list[PdsaStart]] = {}
        for start in self.pdsa:
            number = index.get(week_start(start.started_on))
            if number is not None:
                found.setdefault(number, []).append(start)
        return found

    def rebase_weeks(self) -> set[int]:
        return {index for index, _ in self.reading.rebases} if self.reading else set()


@dataclass(frozen=True)
class Frame:
    """Where the weeks and the values fall: the first week shown, the columns per week and
    where the plot starts, and the value at the plot's top and bottom rows."""

    first: int
    count: int
    step: int
    left: int
    top: float
    bottom: float
    rows: int

    def column(self, index: int) -> int:
        return self.left + (index - self.first) * self.step + self.step // 2

    def row(self, value: float) -> int:
        span = self.top - self.bottom
        share = (self.top - value) / span if span else 0.5
        return 1 + max(0, min(self.rows - 1, round(share * (self.rows - 1))))


def _window(total: int, room: int, selected: int | None) -> tuple[int, int, int]:
    """(first week shown, weeks shown, columns per week) for `room` columns: the latest weeks,
    moved back far enough to show the selected one."""
    step = max(1, min(MAX_STEP, room // max(1, total)))
    count = min(total, room // step)
    first = total - count
    if selected is not None and selected < first:
        first = selected
    return first, count, step


def _value_range(data: ChartData, first: int, count: int) -> tuple[float, float]:
    reading = data.reading
    found = [v for v in data.series.values[first : first + count] if v is not None]
    if reading is not None:
        for point in reading.analysis.points[first : first + count]:
            found += [
                v for v in (point.mean, point.upper_limit, point.lower_limit) if v is not None
            ]
    target = data.series.measure.target
    if target is not None:
        found.append(target)
    if not found:
        return 1.0, 0.0
    top, bottom = max(found), min(found)
    pad = (top - bottom) * 0.05 or max(1.0, abs(top) * 0.05)
    return top + pad, bottom - pad


def frame_for(data: ChartData, width: int, height: int, selected: int | None) -> Frame:
    measure = data.series.measure
    total = len(data.series.weeks)
    rows = max(3, height - 4)  # a caption above; the axis, months and markers below
    guess = _value_range(data, 0, total)
    label = max(len(measure.format(guess[0])), len(measure.format(guess[1])), 4) + 1
    room = max(1, width - label - 1 - RIGHT_LABELS)
    first, count, step = _window(total, room, selected)
    top, bottom = _value_range(data, first, count)
    return Frame(first, count, step, label + 1, top, bottom, rows)


def chart_cells(data: ChartData, width: int, height: int, selected: int | None) -> list[list[Cell]]:
    """The chart as rows of (character, style) cells, `width` by `height`."""
    grid: list[list[Cell]] = [[(" ", "")] * width for _ in range(height)]
    if not data.series.weeks:
        _write(grid, 0, 0, "No values yet: nothing to chart.", "dim")
        return grid
    if width < 20 or height < 7:
        _write(grid, 0, 0, "The chart needs a larger screen.", "dim")
        return grid
    frame = frame_for(data, width, height, selected)
    _caption(grid, data, frame)
    _axes(grid, data, frame)
    if selected is not None and frame.first <= selected < frame.first + frame.count:
        _highlight(grid, frame, selected)
    _rebase_lines(grid, data, frame)
    if data.reading is not None:
        _lines(grid, data, frame)
    _points(grid, data, frame)
    _markers(grid, data, frame)
    return grid


def _put(grid: list[list[Cell]], row: int, column: int, char: str, style: str) -> None:
    if 0 <= row < len(grid) and 0 <= column < len(grid[row]):
        grid[row][column] = (char, style)


def _write(grid: list[list[Cell]], row: int, column: int, text: str, style: str) -> None:
    for offset, char in enumerate(text):
        _put(grid, row, column + offset, char, style)


def _caption(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    unit = printable(data.series.measure.unit)
    _write(grid, 0, 0, unit[: frame.left + frame.count * frame.step], "dim")
    if frame.first > 0:
        note = f"◀ {frame.first} earlier weeks (← to see them)"
        _write(
            grid,
            0,
            max(len(unit) + 2, frame.left + frame.count * frame.step - len(note)),
            note,
            "dim",
        )


def _axes(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    measure = data.series.measure
    right = frame.left + frame.count * frame.step
    axis = frame.rows + 1
    for row in range(1, axis):
        _put(grid, row, frame.left - 1, "│", AXIS_STYLE)
    _put(grid, axis, frame.left - 1, "└", AXIS_STYLE)
    for column in range(frame.left, right):
        _put(grid, axis, column, "─", AXIS_STYLE)
    for row, value in ((1, frame.top), (frame.rows, frame.bottom)):
        text = measure.format(value)
        _write(grid, row, frame.left - 2 - len(text), text, AXIS_STYLE)
    _month_labels(grid, data.series.weeks, frame, axis)


def _month_labels(
    grid: list[list[Cell]], weeks: Sequence[dt.date], frame: Frame, axis: int
) -> None:
    free_from = 0
    for index in range(frame.first, frame.first + frame.count):
        week = weeks[index]
        if index > frame.first and week.month == weeks[index - 1].month:
            continue
        label = f"{week:%b %Y}" if week.month == 1 or index == frame.first else f"{week:%b}"
        column = frame.column(index)
        if column < free_from:
            continue
        _put(grid, axis, column, "┬", AXIS_STYLE)
        _write(grid, axis + 1, column, label, AXIS_STYLE)
        free_from = column + len(label) + 1


def _highlight(grid: list[list[Cell]], frame: Frame, selected: int) -> None:
    start = frame.left + (selected - frame.first) * frame.step
    for row in range(1, frame.rows + 1):
        for column in range(start, start + frame.step):
            char, style = grid[row][column]
            grid[row][column] = (char, f"{style} {SELECTED_STYLE}".strip())


def _overlay(grid: list[list[Cell]], row: int, column: int, char: str, style: str) -> None:
    """Draw over the cell, keeping the selected column's background."""
    if not (0 <= row < len(grid) and 0 <= column < len(grid[row])):
        return
    kept = SELECTED_STYLE if SELECTED_STYLE in grid[row][column][1] else ""
    grid[row][column] = (char, f"{style} {kept}".strip())


def _rebase_lines(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    for index in data.rebase_weeks():
        if frame.first <= index < frame.first + frame.count:
            column = frame.left + (index - frame.first) * frame.step
            for row in range(1, frame.rows + 1):
                _overlay(grid, row, column, REBASE_GLYPH, REBASE_STYLE)


def _lines(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    """Each segment's mean and limits across its own weeks, and the target across all."""
    assert data.reading is not None
    target = data.series.measure.target
    for index in range(frame.first, frame.first + frame.count):
        point = data.reading.analysis.points[index]
        start = frame.left + (index - frame.first) * frame.step
        lines = [
            (target, TARGET_GLYPH, TARGET_STYLE),
            (point.upper_limit, LIMIT_GLYPH, LIMIT_STYLE),
            (point.lower_limit, LIMIT_GLYPH, LIMIT_STYLE),
            (point.mean, MEAN_GLYPH, MEAN_STYLE),
        ]
        for value, glyph, style in lines:
            if value is None:
                continue
            row = frame.row(value)
            for column in range(start, start + frame.step):
                if grid[row][column][0] in (" ", REBASE_GLYPH) or grid[row][column][0] == glyph:
                    _overlay(grid, row, column, glyph, style)
    _line_labels(grid, data, frame)


def _line_labels(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    """The last segment's lines and the target, named with their values right of the plot;
    a label that would sit on another moves to the next free row."""
    assert data.reading is not None
    analysis = data.reading.analysis
    measure = data.series.measure
    trial = " (trial)" if analysis.trial else ""
    labels = [
        (analysis.upper_limit, f"{LIMIT_GLYPH} upper limit{trial}", LIMIT_STYLE),
        (measure.target, f"{TARGET_GLYPH} target", TARGET_STYLE),
        (analysis.mean, f"{MEAN_GLYPH} mean", MEAN_STYLE),
        (analysis.lower_limit, f"{LIMIT_GLYPH} lower limit{trial}", LIMIT_STYLE),
    ]
    column = frame.left + frame.count * frame.step + 1
    taken: set[int] = set()
    placed = sorted(
        (
            (frame.row(value), text, value, style)
            for value, text, style in labels
            if value is not None
        ),
        key=lambda item: item[0],
    )
    for row, text, value, style in placed:
        while row in taken and row < frame.rows:
            row += 1
        while row in taken and row > 1:
            row -= 1
        taken.add(row)
        _write(grid, row, column, f"{text} {measure.format(value)}"[: RIGHT_LABELS - 1], style)


def _points(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    points = data.reading.analysis.points if data.reading is not None else ()
    for index in range(frame.first, frame.first + frame.count):
        value = data.series.values[index]
        if value is None:
            continue
        point_type = points[index].point_type if points else "common_cause"
        glyph = POINT_GLYPH if point_type == "common_cause" else POINT_LETTERS[point_type]
        _overlay(grid, frame.row(value), frame.column(index), glyph, POINT_STYLES[point_type])


def _markers(grid: list[list[Cell]], data: ChartData, frame: Frame) -> None:
    """P under a week in which a PDSA cycle started, R under a rebase (R wins a shared week)."""
    row = frame.rows + 3
    for index in data.pdsa_weeks():
        if frame.first <= index < frame.first + frame.count:
            _put(grid, row, frame.column(index), "P", PDSA_STYLE)
    for index in data.rebase_weeks():
        if frame.first <= index < frame.first + frame.count:
            _put(grid, row, frame.column(index), "R", REBASE_STYLE)


@lru_cache(maxsize=64)
def _style(text: str) -> Style:
    return Style.parse(text) if text else Style()


def to_strip(cells: Sequence[Cell], base: Style) -> Strip:
    """One row of cells as a strip, runs of one style joined into one segment."""
    segments: list[Segment] = []
    run, run_style = "", ""
    for char, style in cells:
        if style != run_style and run:
            segments.append(Segment(run, base + _style(run_style)))
            run = ""
        run += char
        run_style = style
    if run:
        segments.append(Segment(run, base + _style(run_style)))
    return Strip(segments)


class XmrChart(Widget):
    """The chart of one measure; `show` gives it its data and the selected week."""

    DEFAULT_CSS = """
    XmrChart {
        height: 1fr;
        min-height: 8;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data: ChartData | None = None
        self.selected: int | None = None
        self._strips: list[Strip] = []
        self._drawn_for: tuple[object, ...] | None = None

    def show(self, data: ChartData, selected: int | None) -> None:
        self.data, self.selected = data, selected
        self.refresh()

    def select(self, selected: int | None) -> None:
        if selected != self.selected:
            self.selected = selected
            self.refresh()

    @property
    def frame(self) -> Frame | None:
        """Where the weeks and values fall at the present size (None before data)."""
        if self.data is None or not self.data.series.weeks:
            return None
        return frame_for(self.data, self.size.width, self.size.height, self.selected)

    def rows_text(self) -> list[str]:
        """The chart as plain text, one string per row (what a person would read)."""
        self._ensure_strips()
        return [strip.text for strip in self._strips]

    def _ensure_strips(self) -> None:
        key = (self.data, self.selected, self.size, self.rich_style)
        if key == self._drawn_for:
            return
        self._drawn_for = key
        width, height = self.size
        if self.data is None:
            self._strips = [Strip.blank(width, self.rich_style) for _ in range(height)]
            return
        cells = chart_cells(self.data, width, height, self.selected)
        self._strips = [to_strip(row, self.rich_style) for row in cells]

    def render_line(self, y: int) -> Strip:
        self._ensure_strips()
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

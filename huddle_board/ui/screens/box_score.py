"""The box score screen: measures in their bands (Performance, Capacity, Cost), a column per
recent ISO week with the newest at the right, the target, met or missed by symbol, word and
colour, a trend sparkline, and a line naming the measures still missing this week."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from huddle_board.db import Reader

from huddle_board.db import queries
from huddle_board.model import (
    BAND_TITLES,
    BANDS,
    BoxScore,
    Measure,
    MeasureRow,
    iso_week_label,
    week_start,
)
from huddle_board.privacy import printable
from huddle_board.ui.widgets.grid import BoardGrid, GridColumn, GridRow
from huddle_board.ui.widgets.pane import BoardPane

SPARKS = "▁▂▃▄▅▆▇█"
SPARK_POINTS = 12
NAME_WIDTH = 30
WEEK_WIDTH = 8
# name, latest week, target, status and trend columns with their padding, plus the table's
# vertical scrollbar (the pane itself has no padding: the tab pane's is already outside it)
FIXED_WIDTH = NAME_WIDTH + 12 + 10 + 11 + SPARK_POINTS + 2 * 5 + 2


def sparkline(values: tuple[float, ...]) -> str:
    points = values[-SPARK_POINTS:]
    if not points:
        return ""
    low, high = min(points), max(points)
    span = high - low
    if span == 0:
        return SPARKS[3] * len(points)
    return "".join(SPARKS[round((v - low) / span * (len(SPARKS) - 1))] for v in points)


def target_status(measure: Measure, value: float | None) -> Text:
    """Met or missed by symbol, word and colour together; colour is never alone."""
    if measure.target is None or measure.improvement == "neutral":
        return Text("· no target", style="dim")
    if value is None:
        return Text("? no value", style="dim")
    if measure.met(value):
        return Text("✔ met", style="bold green")
    return Text("✘ missed", style="bold red")


def week_label(monday: dt.date) -> str:
    return f"{monday:%d %b}"


@dataclass(frozen=True)
class BoxScoreData:
    score: BoxScore


def load_box_score(db: Reader, today: dt.date, weeks: int) -> BoxScoreData:
    return BoxScoreData(queries.box_score(db, week_start(today), weeks))


class BoxScorePane(BoardPane):
    TABLES = ("measures", "week_values")
    _data: BoxScoreData | None = None
    _layout: tuple[object, ...] | None = None  # weeks, measures and row height on show

    BINDINGS = [Binding("e", "enter_values", "Enter week's values")]

    def compose(self) -> ComposeResult:
        yield Static("", id="box-score-title", markup=False)
        yield BoardGrid(id="box-score-table")
        yield Static("", id="box-score-missing", markup=False)
        with Horizontal(classes="pane-buttons"):
            yield Button("Enter week's values (e)", id="enter-values", variant="primary")

    @property
    def table(self) -> BoardGrid:
        return self.query_one("#box-score-table", BoardGrid)

    @property
    def is_drawn(self) -> bool:
        """Whether the box score's figures are in the table (the start-up benchmark waits
        for this before it counts the next frame as the first complete one)."""
        return self.table.row_count > 0

    def current_week(self) -> dt.date:
        return week_start(self.board.clock.today())

    def fetch(self, db: Reader) -> BoxScoreData:
        return load_box_score(db, self.board.clock.today(), self.board.settings.weeks_shown)

    def weeks_that_fit(self, score: BoxScore) -> tuple[dt.date, ...]:
        width = self.size.width or self.app.size.width
        fit = max(2, 1 + (width - FIXED_WIDTH) // (WEEK_WIDTH + 2))
        return score.weeks[-fit:]

    def show(self, data: BoxScoreData) -> None:
        self._data = data
        score = data.score
        weeks = self.weeks_that_fit(score)
        latest = score.current_week
        title = f"Box score — week of {latest:%d %B %Y} ({iso_week_label(latest)})"
        self.query_one("#box-score-title", Static).update(title)
        self._show_missing(score)
        with self.app.batch_update():
            self._fill_table(score, weeks)

    def _layout_key(self, score: BoxScore, weeks: tuple[dt.date, ...]) -> tuple[object, ...]:
        return (weeks, tuple(row.measure.id for row in score.rows), self._row_height(score))

    def _row_height(self, score: BoxScore) -> int:
        """Two lines a row when the screen has room for them: easier to read from afar."""
        # the title, the column labels, the missing line and the button take 9 lines
        room = (self.size.height or self.app.size.height - 4) - 9
        return 2 if 2 * len(score.rows) + len(BANDS) <= room else 1

    def _fill_table(self, score: BoxScore, weeks: tuple[dt.date, ...]) -> None:
        """Draw the figures; the cursor stays on its measure."""
        self._layout = self._layout_key(score, weeks)
        height = self._row_height(score)
        rows: list[GridRow] = []
        for band in BANDS:
            in_band = [row for row in score.rows if row.measure.band == band]
            if not in_band:
                continue
            title = Text(BAND_TITLES[band].upper(), style="bold reverse")
            rows.append(GridRow(f"band-{band}", (title,), band=True))
            rows.extend(
                GridRow(row.measure.id, tuple(self._cells(row, weeks)), height) for row in in_band
            )
        self.table.set_table(self._columns(weeks), rows)

    @staticmethod
    def _columns(weeks: tuple[dt.date, ...]) -> list[GridColumn]:
        columns = [GridColumn("name", Text("Measure"), NAME_WIDTH)]
        for week in weeks[:-1]:
            label = Text(week_label(week), justify="right")
            columns.append(GridColumn(week.isoformat(), label, WEEK_WIDTH))
        latest = Text(f"▶ {week_label(weeks[-1])}", style="bold", justify="right")
        columns += [
            GridColumn(weeks[-1].isoformat(), latest, 12),
            GridColumn("target", Text("Target", justify="right"), 10),
            GridColumn("status", Text("This week"), 11),
            GridColumn("trend", Text("Trend"), SPARK_POINTS),
        ]
        return columns

    def _cells(self, row: MeasureRow, weeks: tuple[dt.date, ...]) -> list[Text]:
        measure = row.measure
        name = Text(printable(measure.name), overflow="ellipsis", no_wrap=True)
        cells = [name]
        for week in weeks[:-1]:
            cells.append(self._value_cell(measure, week, row.values.get(week), ""))
        cells.append(self._value_cell(measure, weeks[-1], row.values.get(weeks[-1]), "bold"))
        target = "–" if measure.target is None else measure.format(measure.target)
        cells.append(Text(target, justify="right"))
        cells.append(target_status(measure, row.latest_sample(weeks)))
        cells.append(Text(sparkline(row.history), style="cyan"))
        return cells

    @staticmethod
    def _value_cell(measure: Measure, week: dt.date, value: float | None, style: str) -> Text:
        if value is None and not measure.due_in(week):
            return Text("·", style="dim", justify="right")  # not collected that week
        if value is None:
            return Text("–", style="dim", justify="right")
        return Text(measure.format(value), style=style, justify="right")

    def _show_missing(self, score: BoxScore) -> None:
        missing = score.missing()
        label = iso_week_label(score.current_week)
        widget = self.query_one("#box-score-missing", Static)
        if not missing:
            widget.update(f"✔ Every measure is recorded for {label}.")
            widget.remove_class("missing")
            return
        names = ", ".join(
            f"{printable(m.name)} ({printable(m.owner) if m.owner else 'no owner'})"
            for m in missing
        )
        widget.update(f"Still missing for {label}: {names}")
        widget.add_class("missing")

    def on_resize(self, event: events.Resize) -> None:
        data = self._data
        if (
            data is not None
            and self._layout_key(data.score, self.weeks_that_fit(data.score)) != self._layout
        ):
            with self.app.batch_update():
                self._fill_table(data.score, self.weeks_that_fit(data.score))

    @on(Button.Pressed, "#enter-values")
    def action_enter_values(self) -> None:
        from huddle_board.ui.screens.week_form import WeekValuesForm  # loaded when first used

        self.app.push_screen(WeekValuesForm(self.current_week()))

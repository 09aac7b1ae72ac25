"""The box score screen: measures in their bands (Performance, Capacity, Cost), a column per
recent ISO week with the newest at the right, the target, met or missed by symbol, word and
colour, a trend sparkline, and a line naming the measures still missing this week. With large
figures on (kiosk mode), this week's headline figures in large digits above the table."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from huddle_board.db import Reader
    from huddle_board.ui.widgets.figures import FigureStrip

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
# On a narrow screen (two weeks and the trend do not fit) the trend goes first, then the
# earlier weeks, and last the measure names shorten, down to NAME_MIN: the latest week, the
# target and whether it was met stay in view down to 80 columns.
NARROW_FIXED = FIXED_WIDTH - SPARK_POINTS - 2
NAME_MIN = 16


class TableFit(NamedTuple):
    """The box score's columns for a width: the weeks shown, the measure names' width and
    whether the trend is shown."""

    weeks: tuple[dt.date, ...]
    name_width: int = NAME_WIDTH
    trend: bool = True


def table_fit(weeks: tuple[dt.date, ...], width: int) -> TableFit:
    if width >= FIXED_WIDTH + WEEK_WIDTH + 2:
        return TableFit(weeks[-(1 + (width - FIXED_WIDTH) // (WEEK_WIDTH + 2)) :])
    shown = max(1, 1 + (width - NARROW_FIXED) // (WEEK_WIDTH + 2))
    name = max(NAME_MIN, NAME_WIDTH + min(0, width - NARROW_FIXED))
    return TableFit(weeks[-shown:], name, trend=False)


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
    # (open, overdue) actions, read only for the large figures
    actions: tuple[int, int] | None = None


def load_box_score(
    db: Reader, today: dt.date, weeks: int, with_actions: bool = False
) -> BoxScoreData:
    actions = queries.action_counts(db, today) if with_actions else None
    return BoxScoreData(queries.box_score(db, week_start(today), weeks), actions)


class BoxScorePane(BoardPane):
    # actions: the large figures count the overdue ones (without them, a change to the
    # actions costs one more read of the box score, which is then not drawn again)
    TABLES = ("measures", "week_values", "actions")
    _data: BoxScoreData | None = None
    _layout: tuple[object, ...] | None = None  # weeks, measures and row height on show
    _figures: FigureStrip | None = None

    BINDINGS = [Binding("e", "enter_values", "Enter week's values")]

    def compose(self) -> ComposeResult:
        yield Static("", id="box-score-title", markup=False)
        if self.board.settings.show_large_figures:
            from huddle_board.ui.widgets.figures import FigureStrip  # only when it is shown

            self._figures = FigureStrip(id="box-score-figures")
            yield self._figures
        yield BoardGrid(id="box-score-table")
        yield Static("", id="box-score-missing", markup=False)
        with Horizontal(classes="pane-buttons"):
            yield Button("Enter week's values (e)", id="enter-values", variant="primary")

    @property
    def table(self) -> BoardGrid:
        return self.query_one("#box-score-table", BoardGrid)

    @property
    def figures(self) -> FigureStrip | None:
        """The large figures, when they are on."""
        return self._figures

    @property
    def is_drawn(self) -> bool:
        """Whether the box score's figures are in the table (the start-up benchmark waits
        for this before it counts the next frame as the first complete one)."""
        return self.table.row_count > 0

    def current_week(self) -> dt.date:
        return week_start(self.board.clock.today())

    def fetch(self, db: Reader) -> BoxScoreData:
        settings = self.board.settings
        return load_box_score(
            db, self.board.clock.today(), settings.weeks_shown, settings.show_large_figures
        )

    def table_fit(self, score: BoxScore) -> TableFit:
        return table_fit(score.weeks, self.size.width or self.app.size.width)

    def show(self, data: BoxScoreData) -> None:
        self._data = data
        score = data.score
        fit = self.table_fit(score)
        latest = score.current_week
        title = f"Box score — week of {latest:%d %B %Y} ({iso_week_label(latest)})"
        self.query_one("#box-score-title", Static).update(title)
        self._show_missing(score)
        with self.app.batch_update():
            self._show_figures(data)
            self._fill_table(score, fit)

    def _layout_key(self, score: BoxScore, fit: TableFit) -> tuple[object, ...]:
        return (fit, tuple(row.measure.id for row in score.rows), self._row_height(score))

    def _room(self) -> int:
        """The lines the table's rows have: the title, the column labels, the missing line
        and the button take 9."""
        return (self.size.height or self.app.size.height - 4) - 9

    def _row_height(self, score: BoxScore) -> int:
        """Two lines a row when the screen has room for them: easier to read from afar."""
        room = self._room() - self._figures_height()
        return 2 if 2 * len(score.rows) + len(BANDS) <= room else 1

    # -- large figures ------------------------------------------------------------------------

    def set_large_figures(self, on: bool) -> None:
        """The large figures turned on or off (the admin screen's settings): added or taken
        away, and the data read again with or without the action counts."""
        if on == (self._figures is not None):
            return
        if on:
            from huddle_board.ui.widgets.figures import FigureStrip

            self._figures = FigureStrip(id="box-score-figures")
            self.mount(self._figures, after="#box-score-title")
        else:
            assert self._figures is not None
            self._figures.remove()
            self._figures = None
        self._version = self._last_data = None  # read and draw again, even if unchanged
        self.reload()

    def _figures_height(self) -> int:
        strip = self.figures
        return strip.HEIGHT if strip is not None and not strip.has_class("-hidden") else 0

    def _show_figures(self, data: BoxScoreData) -> None:
        strip = self.figures
        if strip is None:
            return
        from huddle_board.ui.widgets.figures import headlines

        # at start-up the header's counts were read with the box score, not into it
        actions = data.actions if data.actions is not None else self.board.first_counts
        strip.show(headlines(data.score, actions))
        self._place_figures(data.score)

    def _place_figures(self, score: BoxScore) -> None:
        """Show the large figures only where the table keeps a line for each of its rows
        beside them and they fit the width: the figures are a summary of the table."""
        strip = self.figures
        if strip is None:
            return
        width = self.size.width or self.app.size.width - 2
        fits = strip.fit(width) and len(score.rows) + len(BANDS) + strip.HEIGHT <= self._room()
        strip.set_class(not fits, "-hidden")

    def _fill_table(self, score: BoxScore, fit: TableFit) -> None:
        """Draw the figures; the cursor stays on its measure."""
        self._layout = self._layout_key(score, fit)
        height = self._row_height(score)
        rows: list[GridRow] = []
        for band in BANDS:
            in_band = [row for row in score.rows if row.measure.band == band]
            if not in_band:
                continue
            title = Text(BAND_TITLES[band].upper(), style="bold reverse")
            rows.append(GridRow(f"band-{band}", (title,), band=True))
            rows.extend(
                GridRow(row.measure.id, tuple(self._cells(row, fit)), height) for row in in_band
            )
        self.table.set_table(self._columns(fit), rows)

    @staticmethod
    def _columns(fit: TableFit) -> list[GridColumn]:
        weeks = fit.weeks
        columns = [GridColumn("name", Text("Measure"), fit.name_width)]
        for week in weeks[:-1]:
            label = Text(week_label(week), justify="right")
            columns.append(GridColumn(week.isoformat(), label, WEEK_WIDTH))
        latest = Text(f"▶ {week_label(weeks[-1])}", style="bold", justify="right")
        columns += [
            GridColumn(weeks[-1].isoformat(), latest, 12),
            GridColumn("target", Text("Target", justify="right"), 10),
            GridColumn("status", Text("This week"), 11),
        ]
        if fit.trend:
            columns.append(GridColumn("trend", Text("Trend"), SPARK_POINTS))
        return columns

    def _cells(self, row: MeasureRow, fit: TableFit) -> list[Text]:
        weeks = fit.weeks
        measure = row.measure
        name = Text(printable(measure.name), overflow="ellipsis", no_wrap=True)
        cells = [name]
        for week in weeks[:-1]:
            cells.append(self._value_cell(measure, week, row.values.get(week), ""))
        cells.append(self._value_cell(measure, weeks[-1], row.values.get(weeks[-1]), "bold"))
        target = "–" if measure.target is None else measure.format(measure.target)
        cells.append(Text(target, justify="right"))
        cells.append(target_status(measure, row.latest_sample(weeks)))
        if fit.trend:
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
        if data is not None:
            self._place_figures(data.score)
        if (
            data is not None
            and self._layout_key(data.score, self.table_fit(data.score)) != self._layout
        ):
            with self.app.batch_update():
                self._fill_table(data.score, self.table_fit(data.score))

    @on(Button.Pressed, "#enter-values")
    def action_enter_values(self) -> None:
        from huddle_board.ui.screens.week_form import WeekValuesForm  # loaded when first used

        self.app.push_screen(WeekValuesForm(self.current_week()))

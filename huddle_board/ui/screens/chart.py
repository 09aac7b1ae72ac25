"""A measure's XmR chart on a screen of its own, opened from the box score with Enter: what the
measure is, its variation and assurance in words, the chart (points, mean, process limits,
target, special causes, PDSA cycle starts and rebases), a legend and the rule set, and the
values beneath as a table, newest first. The table's cursor is the selected week, highlighted
on the chart; r rebases the measure from that week (with a reason), x takes a rebase away;
Escape closes.

The data is read in a worker; the event loop never waits on SQLite."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Label, Static, TabbedContent

from huddle_board import spc
from huddle_board.db import commands, queries
from huddle_board.model import Measure, MeasureRebase, MeasureSeries, PdsaStart, week_start
from huddle_board.privacy import printable
from huddle_board.ui.screens.idea_forms import checked
from huddle_board.ui.widgets.failures import ReportsWorkerFailures
from huddle_board.ui.widgets.footer import BoardFooter
from huddle_board.ui.widgets.forms import FormScreen, Save
from huddle_board.ui.widgets.grid import CELL_PADDING, BoardGrid, GridColumn, GridRow
from huddle_board.ui.widgets.pane import pane_css
from huddle_board.ui.widgets.xmr import (
    LIMIT_GLYPH,
    MEAN_GLYPH,
    PDSA_STYLE,
    POINT_GLYPH,
    POINT_STYLES,
    REBASE_STYLE,
    TARGET_GLYPH,
    TARGET_STYLE,
    ChartData,
    XmrChart,
)
from huddle_board.variation import (
    ASSURANCE_ICONS,
    ASSURANCE_TITLES,
    ORANGE,
    POINT_LETTERS,
    POINT_TITLES,
    RULE_WORDS,
    Reading,
    read,
    variation_icon,
)

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db import Reader
    from huddle_board.ui.app import HuddleBoardApp

SHORT_BELOW = 32  # lines: below this the facts and the rules give their lines to the chart
DIRECTION = {"increase": "higher is better", "decrease": "lower is better", "neutral": "neutral"}


def load_chart(db: Reader, measure_id: str, current_week: dt.date) -> ChartData | None:
    """The chart's data: the measure's whole series, its reading and its PDSA starts."""
    series = queries.measure_history(db, measure_id, current_week)
    if series is None:
        return None
    return ChartData(series, read(series), tuple(queries.pdsa_starts(db, measure_id)))


# -- words ----------------------------------------------------------------------------------


def facts_line(series: MeasureSeries) -> Text:
    measure = series.measure
    parts = [printable(measure.unit) or "no unit", DIRECTION[measure.improvement]]
    parts.append(
        "no target" if measure.target is None else f"target {measure.format(measure.target)}"
    )
    if measure.owner:
        parts.append(f"owner {printable(measure.owner)}")
    if measure.every_n_weeks > 1:
        parts.append(f"collected every {measure.every_n_weeks} weeks")
    if series.weeks:
        first, last = series.weeks[0], series.weeks[-1]
        parts.append(f"{len(series.weeks)} weeks from {first:%d %b %Y} to {last:%d %b %Y}")
    return Text(" · ".join(parts), style="dim")


def spc_line(reading: Reading | None) -> Text:
    """Variation and assurance with their glyph, word and colour; the special cause in words;
    the last segment's mean and limits, and whether they are trial limits."""
    if reading is None:
        return Text("No values yet: nothing to chart.", style="dim")
    summary = reading.summary()
    measure = reading.series.measure
    icon = variation_icon(summary.variation, summary.side)
    line = Text.assemble(
        ("Variation: ", "bold"),
        (f"{icon.glyph} {POINT_TITLES[summary.variation]}", f"bold {icon.colour}"),
    )
    reason = summary.reason()
    if reason:
        line.append(f" — {reason}")
    line.append(" · ")
    line.append("Assurance: ", style="bold")
    if summary.assurance is None:
        line.append("none (no target, or a neutral measure)", style="dim")
    else:
        mark = ASSURANCE_ICONS[summary.assurance]
        line.append(
            f"{mark.glyph} {ASSURANCE_TITLES[summary.assurance]}", style=f"bold {mark.colour}"
        )
    analysis = reading.analysis
    if analysis.mean is not None:
        line.append(f" · mean {measure.format(analysis.mean)}")
    if analysis.lower_limit is not None and analysis.upper_limit is not None:
        line.append(
            f", process limits {measure.format(analysis.lower_limit)} to "
            f"{measure.format(analysis.upper_limit)}"
        )
    if analysis.trial:
        line.append(" · ")
        line.append(f"trial limits: fewer than {spc.TRIAL_BELOW} points", style=f"bold {ORANGE}")
    return line


def legend_line() -> Text:
    letters = [
        (f"{POINT_GLYPH} common cause", POINT_STYLES["common_cause"]),
        ("I improvement", POINT_STYLES["special_cause_improvement"]),
        ("C concern", POINT_STYLES["special_cause_concern"]),
        ("H/L neutral high/low", POINT_STYLES["special_cause_neutral_high"]),
        (f"{MEAN_GLYPH} mean", ""),
        (f"{LIMIT_GLYPH} process limits", ""),
        (f"{TARGET_GLYPH} target", TARGET_STYLE),
        ("P PDSA cycle started", PDSA_STYLE),
        ("R rebase", REBASE_STYLE),
    ]
    line = Text()
    for number, (text, style) in enumerate(letters):
        if number:
            line.append("  ")
        line.append(text, style=style)
    return line


# -- the values table -----------------------------------------------------------------------

TABLE_COLUMNS = (
    ("week", "Week", 15),
    ("value", "Value", 10),
    ("mean", "Mean", 9),
    ("lower", "Lower", 9),
    ("upper", "Upper", 9),
    ("point", "Point", 27),
    ("rule", "Rules met", 34),
)
NOTES_MIN = 20


def value_columns(width: int) -> list[GridColumn]:
    """The table's columns; the notes (PDSA cycles and rebases) take the width left over."""
    justified = {"value", "mean", "lower", "upper"}
    columns = [
        GridColumn(key, Text(title, justify="right" if key in justified else "left"), size)
        for key, title, size in TABLE_COLUMNS
    ]
    used = sum(column.width + 2 * CELL_PADDING for column in columns) + 2  # the scrollbar
    notes = max(NOTES_MIN, width - used - 2 * CELL_PADDING)
    return [*columns, GridColumn("notes", Text("PDSA cycles and rebases"), notes)]


def value_rows(data: ChartData) -> list[GridRow]:
    """One row per week, newest first."""
    series, reading = data.series, data.reading
    measure = series.measure
    pdsa = data.pdsa_weeks()
    rebases = dict(reading.rebases) if reading else {}
    rows = []
    for index in range(len(series.weeks) - 1, -1, -1):
        week = series.weeks[index]
        point = reading.analysis.points[index] if reading else None
        cells = [Text(f"{week:%d %b %Y} W{week.isocalendar().week:02d}")]
        cells.append(_number(measure, series.values[index]))
        for line in ("mean", "lower_limit", "upper_limit"):
            cells.append(_number(measure, getattr(point, line) if point else None, "dim"))
        cells += _point_cells(point, series.values[index])
        cells.append(_notes(pdsa.get(index, []), rebases.get(index)))
        rows.append(GridRow(week.isoformat(), tuple(cells)))
    return rows


def _number(measure: Measure, value: float | None, style: str = "") -> Text:
    return Text(measure.format(value), style=style, justify="right")


def _point_cells(point: spc.Point | None, value: float | None) -> list[Text]:
    if point is None or value is None:
        return [Text("– no value", style="dim"), Text("")]
    style = POINT_STYLES[point.point_type]
    letter = POINT_GLYPH if point.point_type == "common_cause" else POINT_LETTERS[point.point_type]
    words = Text(f"{letter} {POINT_TITLES[point.point_type]}", style=style)
    rules = ", ".join(RULE_WORDS[rule] for rule in point.rules)
    return [words, Text(rules)]


def _notes(starts: list[PdsaStart], rebase: MeasureRebase | None) -> Text:
    """PDSA cycle starts and a rebase in the week, as plain text (never markup)."""
    notes = Text(no_wrap=True, overflow="ellipsis")
    if rebase is not None:
        notes.append("R ", style=REBASE_STYLE)
        notes.append(f"rebase: {printable(rebase.reason)}")
    for start in starts:
        if notes.plain:
            notes.append("; ")
        notes.append("P ", style=PDSA_STYLE)
        notes.append(f"PDSA {start.number} of {printable(start.idea_title)}")
    return notes


# -- the screen -----------------------------------------------------------------------------


class ChartScreen(ReportsWorkerFailures, Screen[None]):
    DEFAULT_CSS = pane_css(__file__)
    SCOPED_CSS = False  # its styles also reach the rebase form it opens
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        Binding("r", "rebase", "Rebase here"),
        Binding("x", "remove_rebase", "Remove rebase"),
        # over the table's own left and right (which would scroll it sideways)
        Binding("left", "step(1)", "Earlier week", show=False, priority=True),
        Binding("right", "step(-1)", "Later week", show=False, priority=True),
        # the board's screen keys close the chart first (rather than switch the board's
        # screen behind it)
        *(Binding(str(n), f"leave({n})", show=False) for n in range(1, 6)),
    ]
    AUTO_FOCUS = "#chart-values"

    class Loaded(Message):
        def __init__(self, data: ChartData | None) -> None:
            super().__init__()
            self.data = data

    def __init__(self, measure_id: str) -> None:
        super().__init__()
        self.measure_id = measure_id
        self.data: ChartData | None = None

    @property
    def board(self) -> HuddleBoardApp:
        return cast("HuddleBoardApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="chart-box"):
            yield Static("", id="chart-title", markup=False)
            yield Static("", id="chart-facts", markup=False)
            yield Static("", id="chart-spc", markup=False)
            yield XmrChart(id="chart-plot")
            yield Static(legend_line(), id="chart-legend")
            yield Static(Text(f"Rules: {spc.RULE_SET}", style="dim"), id="chart-rules")
            yield BoardGrid(id="chart-values", zebra=True)
        yield BoardFooter()

    def on_mount(self) -> None:
        self.query_one("#chart-title", Static).update(Text("Loading the chart…"))
        self.reload()

    @property
    def chart(self) -> XmrChart:
        return self.query_one("#chart-plot", XmrChart)

    @property
    def table(self) -> BoardGrid:
        return self.query_one("#chart-values", BoardGrid)

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, exit_on_error=False, group="chart")
    def _load(self) -> None:
        current = week_start(self.board.clock.today())
        with self.board.store.session() as db:
            data = load_chart(db, self.measure_id, current)
        self.post_message(self.Loaded(data))

    def on_chart_screen_loaded(self, message: Loaded) -> None:
        data = message.data
        if data is None:
            self.query_one("#chart-title", Static).update("That measure no longer exists.")
            return
        self.data = data
        measure = data.series.measure
        title = Text.assemble((printable(measure.name), "bold"), " — XmR chart")
        self.query_one("#chart-title", Static).update(title)
        self.query_one("#chart-facts", Static).update(facts_line(data.series))
        self.query_one("#chart-spc", Static).update(spc_line(data.reading))
        with self.app.batch_update():
            self.table.set_table(value_columns(self._table_width()), value_rows(data))
            self.chart.show(data, self.selected_index)

    def _table_width(self) -> int:
        return self.table.size.width or self.app.size.width - 2

    def on_resize(self, event: events.Resize) -> None:
        self.set_class(event.size.height < SHORT_BELOW, "-short")
        self.call_after_refresh(self._fit_table)

    def _fit_table(self) -> None:
        columns = value_columns(self._table_width())
        if self.data is not None and columns != list(self.table.columns):
            self.table.set_table(columns, self.table.rows)

    @property
    def selected_week(self) -> dt.date | None:
        key = self.table.cursor_key
        return dt.date.fromisoformat(key) if key else None

    @property
    def selected_index(self) -> int | None:
        week = self.selected_week
        if self.data is None or week is None:
            return None
        weeks = self.data.series.weeks
        return weeks.index(week) if week in weeks else None

    @on(BoardGrid.Highlighted, "#chart-values")
    def _week_chosen(self) -> None:
        self.chart.select(self.selected_index)

    def action_step(self, rows: int) -> None:
        """← an earlier week, → a later one (the table lists the newest first)."""
        self.table.action_cursor(rows)

    def action_close(self) -> None:
        self.dismiss(None)

    def action_leave(self, number: int) -> None:
        """Close the chart and show the board's screen `number` (1 the box score, ...)."""
        from huddle_board.ui.app import PANES

        pane_id = PANES[number - 1][0]
        self.dismiss(None)
        self.app.query_one(TabbedContent).active = pane_id

    def data_changed(self) -> None:
        """Something was written while the chart is open (the app calls this): read again."""
        self.reload()

    def action_rebase(self) -> None:
        """Rebase from the selected week: asks the reason (and initials) in a form."""
        data, index, week = self.data, self.selected_index, self.selected_week
        if data is None or index is None or week is None:
            return
        if index == 0:
            self.notify(
                "A rebase starts new limits after the first week: choose a later week.",
                severity="warning",
            )
            return
        form = RebaseForm(data.series.measure, week)
        self.app.push_screen(form, callback=self._rebased)

    def _rebased(self, rev: int | None) -> None:
        if rev is not None:
            self.reload()

    _remove_armed: dt.date | None = None

    def action_remove_rebase(self) -> None:
        """Take away the rebase at the selected week (after a second press): the limits then
        run on across it. Asks initials like any change."""
        data, week = self.data, self.selected_week
        if data is None or week is None:
            return
        monday = week_start(week)
        measure = data.series.measure
        if monday not in {rebase.week for rebase in measure.rebases}:
            self.notify("There is no rebase at this week.", severity="warning")
            return
        if self._remove_armed != monday:
            self._remove_armed = monday
            self.notify(f"Press x again to remove the rebase at the week of {monday:%d %b %Y}.")
            return
        self._remove_armed = None
        measure_id = measure.id

        def write(db: Database, author: commands.Author) -> None:
            commands.remove_rebase(db, author, measure_id, monday)

        self.board.save(write, "measures", "Initials to remove this rebase")


class RebaseForm(FormScreen[int]):
    """Rebase a measure from a week: its mean and limits are worked out afresh from there.
    The reason is required and checked for patient identifiers."""

    SAVE_LABEL = "Rebase"
    WHAT = "measures"

    def __init__(self, measure: Measure, week: dt.date) -> None:
        super().__init__()
        self.measure = measure
        self.week = week_start(week)
        self.TITLE_TEXT = f"Rebase {printable(measure.name)} from the week of {self.week:%d %b %Y}"

    def fields(self) -> ComposeResult:
        yield Static(
            "The mean and process limits are worked out afresh from this week. Rebase only "
            "after a sustained change with a known cause, and say what it was.",
            classes="rebase-help",
            markup=False,
        )
        with Horizontal(classes="form-row"):
            yield Label("Reason", classes="form-label", markup=False)
            yield Input(placeholder="e.g. falls sensors in bay 2 adopted", id="rebase-reason")

    def prepare(self) -> Save:
        text = self.query_one("#rebase-reason", Input).value
        reason = checked(text, "rebase reason", required=True)
        measure_id, week = self.measure.id, self.week

        def save(db: Database, author: commands.Author) -> int:
            return commands.add_rebase(db, author, measure_id, week, reason)

        return save

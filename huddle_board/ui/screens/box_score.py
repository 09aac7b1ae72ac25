"""The box score screen: measures in their bands (Performance, Capacity, Cost), a column per
recent ISO week with the newest at the right, the target, met or missed by symbol, word and
colour, each measure's SPC (variation and assurance as glyph, word and colour, and the special
cause in words), a trend sparkline, and a line naming the measures still missing this week.
With large figures on (kiosk mode), this week's headline figures in large digits above the
table. Enter opens the highlighted measure's XmR chart.

The SPC rests on each measure's whole history, which costs more to read and work out than the
rest of the table: it is read in the pane's worker, never before the first frame. The figures
read at start-up show "…" in its columns until the worker's read fills them in."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal, NamedTuple

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from huddle_board.db import Reader
    from huddle_board.ui.widgets.figures import FigureStrip
    from huddle_board.variation import Summary

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
from huddle_board.ui.widgets.grid import CELL_PADDING, BoardGrid, GridColumn, GridRow
from huddle_board.ui.widgets.pane import BoardPane

SPARKS = "▁▂▃▄▅▆▇█"
SPARK_POINTS = 12
NAME_WIDTH = 30
NAME_MIN = 16
WEEK_WIDTH = 8
LATEST_WIDTH = 12
TARGET_WIDTH = 10
STATUS_WIDTH = 11
VARIATION_WIDTH = 14  # "▲ Neutral high", "─ Common cause"
VARIATION_SHORT = 9  # "▲ Improve"
ASSURANCE_WIDTH = 12  # "? Hit & miss"
ASSURANCE_SHORT = 1  # "?"
WHY_MIN = 36
WHY_MAX = 48
SCROLLBAR = 2  # the table's vertical scrollbar (the pane has no padding of its own)
PAD = 2 * CELL_PADDING
NAME_NARROW = 22  # names first grow to this, then (with the SPC in full) to NAME_MID
NAME_MID = 26
SpcForm = Literal["full", "short"]
SPC_AFTER_START_S = 0.2  # the SPC's read after start-up waits this long after the first frame

# SPC words for the legend under the table: the rule set's name, and what the glyphs say.
RULE_SET_NAME = "Making Data Count rules (NHSRplotthedots)"
LEGEND = (
    f"SPC: {RULE_SET_NAME} · assurance (A): P pass, F fail, ? hit & miss · "
    "▲▼ special cause high/low, ─ common cause · Enter: chart"
)


class TableFit(NamedTuple):
    """The box score's columns for a width: the weeks shown, the measure names' width,
    whether the trend is shown, the SPC columns' form (None: not shown) and the width of the
    special cause's words (0: not shown)."""

    weeks: tuple[dt.date, ...]
    name_width: int = NAME_WIDTH
    trend: bool = True
    spc: SpcForm | None = "full"
    why_width: int = WHY_MAX


class _Room:
    """The width left to hand out to the box score's columns."""

    def __init__(self, width: int) -> None:
        self.left = width

    def take(self, width: int) -> bool:
        if width > self.left:
            return False
        self.left -= width
        return True

    def up_to(self, width: int) -> int:
        given = max(0, min(width, self.left))
        self.left -= given
        return given


def table_fit(weeks: tuple[dt.date, ...], width: int) -> TableFit:
    """What fits in `width`. The latest week, the target and whether it was met are always
    there (narrowing the names down to NAME_MIN); then, as width allows, in this order: the
    SPC in short (glyph and short word, assurance by its letter), a second week, the SPC in
    full, the special cause's words, a third week, the trend, the other weeks, and wider
    names and words. So on a narrow screen the SPC is shortened, then dropped, before the
    'This week' column, and the trend and the older weeks go before the SPC."""
    fixed = SCROLLBAR + (LATEST_WIDTH + PAD) + (TARGET_WIDTH + PAD) + (STATUS_WIDTH + PAD)
    room = _Room(width - fixed - (NAME_MIN + PAD))
    name, shown, why = NAME_MIN, 1, 0
    spc: SpcForm | None = None
    if room.take(VARIATION_SHORT + ASSURANCE_SHORT + 2 * PAD):
        spc = "short"
    name += room.up_to(NAME_NARROW - name)
    shown += len(weeks) > shown and room.take(WEEK_WIDTH + PAD)
    if spc == "short" and room.take(
        VARIATION_WIDTH - VARIATION_SHORT + ASSURANCE_WIDTH - ASSURANCE_SHORT
    ):
        spc = "full"
    name += room.up_to(NAME_MID - name)
    if spc == "full" and room.take(WHY_MIN + PAD):
        why = WHY_MIN
    if shown == 2:
        shown += len(weeks) > shown and room.take(WEEK_WIDTH + PAD)
    trend = room.take(SPARK_POINTS + PAD)
    while shown < len(weeks) and room.take(WEEK_WIDTH + PAD):
        shown += 1
    if why:
        why += room.up_to(WHY_MAX - why)
    name += room.up_to(NAME_WIDTH - name)
    return TableFit(weeks[-shown:], name, trend, spc, why)


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
    # each measure's SPC by measure id (None for a measure with no value yet); None itself
    # until it has been read (the figures read at start-up)
    spc: dict[str, Summary | None] | None = None


def load_box_score(
    db: Reader, today: dt.date, weeks: int, with_actions: bool = False
) -> BoxScoreData:
    """The box score without its SPC (what start-up reads before the first frame)."""
    actions = queries.action_counts(db, today) if with_actions else None
    return BoxScoreData(queries.box_score(db, week_start(today), weeks), actions)


def load_spc(db: Reader, current_week: dt.date) -> dict[str, Summary | None]:
    """Every measure's SPC over its whole history up to `current_week`."""
    from huddle_board.variation import summarise  # in the worker, after the first frame

    return {
        series.measure.id: summarise(series)
        for series in queries.measure_histories(db, current_week)
    }


class BoxScorePane(BoardPane):
    # actions: the large figures count the overdue ones (without them, a change to the
    # actions costs one more read of the box score, which is then not drawn again)
    TABLES = ("measures", "week_values", "actions")
    _data: BoxScoreData | None = None
    _layout: tuple[object, ...] | None = None  # weeks, measures and row height on show
    _figures: FigureStrip | None = None

    BINDINGS = [
        Binding("e", "enter_values", "Enter week's values"),
        # not in the footer (one more key to build before the first frame): the SPC's
        # legend under the table says it
        Binding("enter", "open_chart", "Chart", show=False),
    ]
    _spc_asked = False  # the SPC of the figures read at start-up was asked for
    # the last SPC read (in the worker), and the week and measures' and values' versions it
    # was read at: a change to the actions alone does not read it again
    _spc: dict[str, Summary | None] | None = None
    _spc_key: object = None

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
        data = load_box_score(
            db, self.board.clock.today(), settings.weeks_shown, settings.show_large_figures
        )
        return replace(data, spc=self._spc_for(db, data.score.current_week))

    def _spc_for(self, db: Reader, current_week: dt.date) -> dict[str, Summary | None]:
        """Every measure's SPC, read again only when a measure or a value has changed."""
        key = (current_week, queries.table_versions(db, ("measures", "week_values")))
        if self._spc is None or key != self._spc_key:
            self._spc, self._spc_key = load_spc(db, current_week), key
        return self._spc

    def table_fit(self, score: BoxScore) -> TableFit:
        # before the first layout (start-up) the pane has no size yet: the screen's width
        # less the tab pane's padding, so the first frame's columns are the ones that stay
        return table_fit(score.weeks, self.size.width or self.app.size.width - 2)

    def show(self, data: BoxScoreData) -> None:
        if data.spc is None and not self._spc_asked:
            # The figures read at start-up, without the SPC: read it a moment after the first
            # frame is on screen, so that its worker never competes with drawing that frame.
            self._spc_asked = True
            self.set_timer(SPC_AFTER_START_S, self.reload)
        self._data = data
        if data.spc is not None:
            self._show_legend()
        score = data.score
        fit = self.table_fit(score)
        latest = score.current_week
        title = f"Box score — week of {latest:%d %B %Y} ({iso_week_label(latest)})"
        self.query_one("#box-score-title", Static).update(title)
        self._show_missing(score)
        with self.app.batch_update():
            self._show_figures(data)
            self._fill_table(score, fit)

    def _show_legend(self) -> None:
        """The SPC's legend under the table, naming its rule set: added with the first SPC
        shown (at start-up, after the first frame)."""
        if self.query("#box-score-legend"):
            return
        legend = Static(Text(LEGEND, style="dim"), id="box-score-legend")
        legend.styles.text_wrap = "nowrap"
        legend.styles.text_overflow = "ellipsis"
        legend.styles.padding = (0, 1)
        self.mount(legend, after=self.table)

    def _layout_key(self, score: BoxScore, fit: TableFit) -> tuple[object, ...]:
        return (fit, tuple(row.measure.id for row in score.rows), self._row_height(score))

    def _room(self) -> int:
        """The lines the table's rows have: the title, the column labels, the SPC's legend,
        the missing line and the button take 10 (the legend's line is kept for it while the
        SPC is read after start-up)."""
        return (self.size.height or self.app.size.height - 4) - 10

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
        spc = self._data.spc if self._data is not None else None
        height = self._row_height(score)
        rows: list[GridRow] = []
        for band in BANDS:
            in_band = [row for row in score.rows if row.measure.band == band]
            if not in_band:
                continue
            title = Text(BAND_TITLES[band].upper(), style="bold reverse")
            rows.append(GridRow(f"band-{band}", (title,), band=True))
            rows.extend(
                GridRow(row.measure.id, tuple(self._cells(row, fit, spc)), height)
                for row in in_band
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
            GridColumn(weeks[-1].isoformat(), latest, LATEST_WIDTH),
            GridColumn("target", Text("Target", justify="right"), TARGET_WIDTH),
            GridColumn("status", Text("This week"), STATUS_WIDTH),
        ]
        if fit.spc == "full":
            columns.append(GridColumn("variation", Text("Variation"), VARIATION_WIDTH))
            columns.append(GridColumn("assurance", Text("Assurance"), ASSURANCE_WIDTH))
        elif fit.spc == "short":
            columns.append(GridColumn("variation", Text("SPC"), VARIATION_SHORT))
            columns.append(GridColumn("assurance", Text("A"), ASSURANCE_SHORT))
        if fit.trend:
            columns.append(GridColumn("trend", Text("Trend"), SPARK_POINTS))
        if fit.why_width:
            columns.append(GridColumn("why", Text("Special cause (latest)"), fit.why_width))
        return columns

    def _cells(
        self, row: MeasureRow, fit: TableFit, spc: dict[str, Summary | None] | None
    ) -> list[Text]:
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
        if fit.spc is not None:
            cells.extend(self._spc_cells(measure, fit.spc, spc))
        if fit.trend:
            cells.append(Text(sparkline(row.history), style="cyan"))
        if fit.why_width:
            cells.append(self._why_cell(measure, fit.why_width, spc))
        return cells

    @staticmethod
    def _spc_cells(
        measure: Measure, form: SpcForm, spc: dict[str, Summary | None] | None
    ) -> list[Text]:
        if spc is None:  # still being read (the figures read at start-up)
            return [Text("…", style="dim"), Text("…", style="dim")]
        from huddle_board.ui.widgets import spc_cells  # after the first frame

        summary = spc.get(measure.id)
        return [
            spc_cells.variation_cell(summary, form),
            spc_cells.assurance_cell(measure, summary, form),
        ]

    @staticmethod
    def _why_cell(measure: Measure, width: int, spc: dict[str, Summary | None] | None) -> Text:
        if spc is None:
            return Text("")
        from huddle_board.ui.widgets.spc_cells import why_cell

        return why_cell(spc.get(measure.id), width)

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
        if not score.rows:  # a new ward
            where = "F9, then Box score measures" if self.board.settings.kiosk else "press m"
            widget.update(f"No measures on the box score yet: to set them up, {where}.")
            widget.add_class("missing")
            return
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

    def action_open_chart(self) -> None:
        """The highlighted measure's XmR chart, on a screen of its own."""
        key = self.table.cursor_key
        if key is None or key.startswith("band-"):
            return
        from huddle_board.ui.screens.chart import ChartScreen  # loaded when first used

        self.app.push_screen(ChartScreen(key))

    @on(Button.Pressed, "#enter-values")
    def action_enter_values(self) -> None:
        from huddle_board.ui.screens.week_form import WeekValuesForm  # loaded when first used

        self.app.push_screen(WeekValuesForm(self.current_week()))

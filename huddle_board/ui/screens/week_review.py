"""The coach's week review on a screen of its own, pushed over the board: the week at a glance in
large digits, the SPC signals that fired (glyph, word and colour, with the reason in plain
English), the box score's changes, huddles held against expected with their attendance, actions
opened, closed and overdue, ideas that changed status and the PDSA cycles started and finished.

It opens on the last complete week (the one before the current week). ← and → (or [ and ])
move a week, t goes to this week, g to a week typed as 2026-W47, r writes the report-out (HTML
or Markdown) with `huddle_board.report`, as `huddle-board report` does (the dialogs are in
`week_dialogs`). The review is read and the report made in worker threads; the event loop never
waits on SQLite or the disk.

The tables are the report-out's own (`report_content.box_score_table` and the rest), drawn as
Rich tables, so the screen and the report-out show the same figures in the same words."""

from __future__ import annotations

import datetime as dt
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich import box
from rich.console import Group, RenderableType
from rich.style import Style
from rich.table import Table as RichTable
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Digits, Label, Static
from textual.worker import Worker, WorkerState

from huddle_board import report_content
from huddle_board.model import iso_week_label, week_start
from huddle_board.privacy import printable
from huddle_board.review import MeasureReview, WeekNotStarted, WeekReview, week_review
from huddle_board.ui.screens.week_dialogs import GoToWeekScreen, ReportOutScreen
from huddle_board.ui.widgets.footer import BoardFooter
from huddle_board.ui.widgets.pane import pane_css
from huddle_board.variation import BLUE, GREY, ORANGE, PURPLE, variation_icon

if TYPE_CHECKING:
    from textual.app import App

    from huddle_board.ui.app import HuddleBoardApp

NARROW_BELOW = 130  # columns: the glance tiles go on two rows
SHORT_BELOW = 32  # lines: the glance figures in words instead of large digits
TONES = {"common": GREY, "improvement": BLUE, "concern": ORANGE, "neutral": PURPLE}
"""report_content.Icon's tones in the board's Making Data Count colours."""
COLUMNS: dict[str, tuple[int, int]] = {
    "Measure": (2, 14),
    "This week": (1, 8),
    "Idea": (2, 14),
    "Action": (3, 16),
    "Problem": (3, 14),
    "Plan": (3, 14),
    "Prediction": (3, 14),
    "Study: what was learned": (3, 14),
    "Raised at": (2, 10),
}
"""(ratio, least width) of the long text columns of report's tables, which share the width
left; the other columns keep to one line."""
COLUMN_MARKS = [Style.from_meta({"column": n}) for n in range(16)]
"""Each column's cells marked apart, so that no two cells merge into one run of text: an SVG
screenshot then places every cell where the terminal does (as `BoardGrid` does)."""
LEFT_OUT = ("Special cause this week",)
"""The box score's reasons are listed under "Signals this week" instead, one line each."""
LEFT_OUT_NARROW = (*LEFT_OUT, "Owner", "Target", "Week before", "Assurance")
"""What a narrow screen leaves out of the box score, so that every measure keeps its name."""


def last_complete_week(today: dt.date) -> dt.date:
    """The Monday of the week before today's: the last week with all its days behind it."""
    return week_start(today) - dt.timedelta(weeks=1)


# -- report's tables as Rich tables ---------------------------------------------------------


def icon_text(icon: report_content.Icon) -> Text:
    """A Making Data Count icon as the board draws it: glyph, word and colour together."""
    glyphs = {"H": "▲", "L": "▼", "": "─" if icon.tone == "common" else "●"}
    glyph = glyphs.get(icon.letter, icon.letter)
    return Text(f"{glyph} {icon.word}", style=f"bold {TONES[icon.tone]}")


def cell_text(cell: report_content.Cell) -> Text:
    """A cell of report's tables: user text made printable, never markup; a dash dimmed."""
    if isinstance(cell, report_content.Icon):
        return icon_text(cell)
    return Text(printable(cell), style="dim" if cell.startswith("–") else "")


def rich_table(table: report_content.Table, left_out: tuple[str, ...] = ()) -> RenderableType:
    """Every row of `table` (the screen scrolls: no limit as in the report), or its note when
    it has none."""
    if not table.rows:
        return Text(table.empty, style="dim italic")
    kept = [n for n, title in enumerate(table.head) if title not in left_out]
    # Only a table with long texts takes the whole width: the others keep to their figures.
    wide = any(table.head[n] in COLUMNS for n in kept)
    shown = RichTable(
        box=box.SIMPLE_HEAD, expand=wide, show_edge=False, pad_edge=False, header_style="bold"
    )
    for n in kept:
        title = table.head[n]
        ratio, least = COLUMNS.get(title, (None, None))
        shown.add_column(
            title,
            justify="right" if n in table.numeric else "left",
            no_wrap=ratio is None,
            style=COLUMN_MARKS[n],
            ratio=ratio,
            min_width=least,
        )
    for row in table.rows:
        if isinstance(row, report_content.Band):
            if shown.row_count:
                shown.add_section()
            shown.add_row(Text(row.title, style="bold underline"))
        else:
            shown.add_row(*(cell_text(row[n]) for n in kept))
    return shown


# -- the week in words ----------------------------------------------------------------------


@dataclass(frozen=True)
class Tile:
    """One figure of the glance: large digits over its words, or one line on a short screen."""

    key: str
    figure: str
    words: str
    alert: bool = False
    """A figure that wants looking at (values missing, actions overdue): in the warning
    colour, its words saying what it is."""

    @property
    def line(self) -> Text:
        style = f"bold {ORANGE}" if self.alert else "bold"
        return Text.assemble((self.figure, style), " ", self.words)


def glance(review: WeekReview) -> tuple[Tile, ...]:
    judged = [row for row in review.measures if row.met is not None]
    missed = sum(1 for row in judged if row.met is False)
    daily, weekly, actions = review.daily, review.weekly, review.actions
    attendance = daily.average_attendance
    return (
        Tile("signals", str(len(review.signals)), "special causes this week"),
        Tile("missed", str(missed), f"of {len(judged)} targets missed"),
        Tile("missing", str(len(review.missing)), "values missing", bool(review.missing)),
        Tile("daily", str(daily.held), f"of {daily.expected} daily huddles held"),
        Tile("weekly", str(weekly.held), f"of {weekly.expected} weekly huddle held"),
        Tile("attendance", "–" if attendance is None else f"{attendance:.1f}", "at daily huddles"),
        Tile("opened", str(len(actions.opened)), f"actions raised · {len(actions.closed)} closed"),
        Tile("overdue", str(len(actions.overdue)), "actions overdue", bool(actions.overdue)),
        Tile("ideas", str(len(review.ideas_changed)), "ideas changed status"),
        Tile(
            "pdsa",
            str(len(review.cycles_started)),
            f"PDSA cycles started · {len(review.cycles_finished)} finished",
        ),
    )


TILE_KEYS = (
    *("signals", "missed", "missing", "daily", "weekly"),
    *("attendance", "opened", "overdue", "ideas", "pdsa"),
)


def period(review: WeekReview) -> str:
    text = f"{review.week:%a} {review.week.day} {review.week:%b} – {review.sunday:%a} "
    text += f"{review.sunday.day} {review.sunday:%b %Y}"
    if review.in_progress:
        text += f" · week still running: as at {review.through:%a} {review.through.day} "
        text += f"{review.through:%b}"
    return text


def title_text(review: WeekReview) -> Text:
    return Text.assemble(
        f"Week review {review.label}  ·  {period(review)}  ·  ", printable(review.ward.name)
    )


def signal_reason(row: MeasureReview) -> str:
    others = f" (also {', '.join(row.other_rules)})" if row.other_rules else ""
    return f"{row.signal}{others}"


def signals_table(review: WeekReview, narrow: bool = False) -> RenderableType:
    """Each special cause on the week's point: its icon, the measure, the value and why (on a
    narrow screen, all but the icon in one column, wrapped)."""
    if not review.signals:
        return Text(
            "No special cause this week: every measure's point is common cause (or has no value).",
            style="dim italic",
        )
    shown = RichTable.grid(padding=(0, 2), expand=True)
    shown.add_column(no_wrap=True, style=COLUMN_MARKS[0])
    shown.add_column(ratio=2, style=COLUMN_MARKS[1])
    if not narrow:
        shown.add_column(no_wrap=True, style=COLUMN_MARKS[2])
        shown.add_column(ratio=3, style=COLUMN_MARKS[3])
    for row in review.signals:
        point = row.point
        assert point is not None  # a signal is a point's
        icon = variation_icon(point.point_type, point.side)
        measure = row.measure
        cells: tuple[Text, ...] = (
            Text(printable(measure.name), style="bold"),
            Text(f"{measure.format(row.value)} (week before {measure.format(row.previous)})"),
            Text(signal_reason(row), style=icon.colour),
        )
        if narrow:
            cells = (Text(" ").join(cells),)
        shown.add_row(Text(f"{icon.glyph} {icon.word}", style=f"bold {icon.colour}"), *cells)
    return shown


def missing_text(review: WeekReview) -> Text:
    missing = review.missing
    if not missing:
        return Text("✔ Every measure due this week has its value.")
    names = ", ".join(
        f"{printable(m.name)} ({printable(m.owner)})" if m.owner else printable(m.name)
        for m in missing
    )
    return Text(f"? Still missing for this week: {names}.", style=f"bold {ORANGE}")


def huddles_renderable(review: WeekReview) -> RenderableType:
    without = report_content.days_without(review.daily)
    return Group(
        rich_table(report_content.attendance_table(review)),
        Text(without, style="" if not review.daily.days_without else f"bold {ORANGE}"),
        Text(""),
        rich_table(report_content.huddles_table(review)),
    )


def actions_renderable(review: WeekReview) -> RenderableType:
    actions, through = review.actions, review.through
    summary = (
        f"{len(actions.opened)} raised and {len(actions.closed)} closed this week; "
        f"{actions.open_at_end} open and {len(actions.overdue)} overdue at {through.day} "
        f"{through:%b}."
    )
    return Group(
        Text(summary),
        *_titled(f"Overdue at {through.day} {through:%b}", report_content.overdue_table(review)),
        *_titled("Raised this week", report_content.opened_table(review)),
        *_titled("Closed this week", report_content.closed_table(review)),
    )


def ideas_renderable(review: WeekReview) -> RenderableType:
    funnel = review.funnel
    note = f"Ideas raised up to {review.through.day} {review.through:%b %Y}, by their status now."
    if funnel.changed_since:
        note += f" {funnel.changed_since} of them changed status after the week."
    through = f"{review.through.day} {review.through:%b}"
    return Group(
        rich_table(report_content.funnel_table(review)),
        Text(note, style="dim"),
        *_titled("Ideas that changed status this week", report_content.ideas_changed_table(review)),
        *_titled("PDSA cycles started", report_content.cycles_table(review.cycles_started, False)),
        *_titled("PDSA cycles finished", report_content.cycles_table(review.cycles_finished, True)),
        *_titled(f"PDSA cycles open at {through}", report_content.open_cycles_table(review)),
    )


def _titled(title: str, table: report_content.Table) -> tuple[RenderableType, ...]:
    return Text(""), Text(title, style="bold underline"), rich_table(table)


# -- the screen -----------------------------------------------------------------------------


class WeekReviewScreen(Screen[None]):
    """The week review. `week`: any day of the week to open on (the last complete week when
    None); `report_dir`: where the report-out is offered to go (the home folder when None)."""

    DEFAULT_CSS = pane_css(__file__)
    SCOPED_CSS = False  # its styles also reach the two small dialogs it opens
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close"),
        # over the scroll area's own left and right (which would scroll it sideways)
        Binding("left", "step(-1)", "Earlier week", key_display="←", priority=True),
        Binding("right", "step(1)", "Later week", key_display="→", priority=True),
        Binding("left_square_bracket", "step(-1)", "Earlier week", show=False),
        Binding("right_square_bracket", "step(1)", "Later week", show=False),
        Binding("t", "this_week", "This week"),
        Binding("g", "go_to_week", "Go to week"),
        Binding("r", "report_out", "Report-out"),
    ]
    AUTO_FOCUS = "#wr-body"

    class Loaded(Message):
        """The review of `week` (None, with `problem` saying why, when it could not be read)."""

        def __init__(self, week: dt.date, review: WeekReview | None, problem: str = "") -> None:
            super().__init__()
            self.week = week
            self.review = review
            self.problem = problem

    def __init__(self, week: dt.date | None = None, report_dir: Path | None = None) -> None:
        super().__init__()
        self._opening = week
        self.week = dt.date.min  # set on mount, from the board's clock
        self.review: WeekReview | None = None
        self.report_dir = report_dir

    @property
    def board(self) -> HuddleBoardApp:
        return cast("HuddleBoardApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("", id="wr-title")
        yield Static("", id="wr-status", markup=False)
        with VerticalScroll(id="wr-body"):
            with Grid(id="wr-glance"):
                for key in TILE_KEYS:
                    with Vertical(classes="wr-tile", id=f"wr-tile-{key}"):
                        yield Digits("", classes="wr-figure")
                        yield Static("", classes="wr-words", markup=False)
                        yield Static("", classes="wr-line", markup=False)
            yield Label("Signals this week", classes="wr-heading")
            yield Static("", id="wr-signals")
            yield Label("Box score: what changed", classes="wr-heading")
            yield Static("", id="wr-box-score")
            yield Static("", id="wr-missing")
            yield Label("Huddles and attendance", classes="wr-heading")
            yield Static("", id="wr-huddles")
            yield Label("Actions", classes="wr-heading")
            yield Static("", id="wr-actions")
            yield Label("Ideas and PDSA tests", classes="wr-heading")
            yield Static("", id="wr-ideas")
            yield Static("", id="wr-rules")
        yield BoardFooter()

    def on_mount(self) -> None:
        today = self.board.clock.today()
        opening = self._opening or last_complete_week(today)
        self.show_week(min(week_start(opening), week_start(today)))

    @property
    def current_week(self) -> dt.date:
        return week_start(self.board.clock.today())

    def show_week(self, monday: dt.date) -> None:
        """Read the review of the week starting `monday` (in a worker); the last one shown
        stays on screen until it arrives."""
        self.week = monday
        self._status(f"Reading {iso_week_label(monday)}…", problem=False)
        self._load(monday)

    def data_changed(self) -> None:
        """Something was written to the store (the app calls this): read the week again."""
        self._load(self.week)

    @work(thread=True, exclusive=True, exit_on_error=False, group="week-review")
    def _load(self, monday: dt.date) -> None:
        today = self.board.clock.today()
        try:
            with self.board.store.session() as db:
                review = week_review(db, monday, today=today)
        except WeekNotStarted as refused:
            self.post_message(self.Loaded(monday, None, str(refused)))
            return
        except sqlite3.Error:
            fault = self.board.store.read_fault
            if not fault:
                raise  # not the file's fault: the worker's failure is shown (below)
            problem = f"The board's file cannot be read just now ({fault}): try again soon."
            self.post_message(self.Loaded(monday, None, problem))
            return
        self.post_message(self.Loaded(monday, review))

    def on_week_review_screen_loaded(self, message: Loaded) -> None:
        if message.week != self.week:
            return  # the user has moved on to another week since
        if message.review is None:
            self._status(message.problem, problem=True)
            return
        self._status("", problem=False)
        self.review = message.review
        self.show(message.review)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A failed read: said here (the board's banner is under this screen) and there."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self._status(f"Something went wrong ({type(error).__name__}: {error}).", True)
            self.board.worker_failed(event)

    def _status(self, text: str, problem: bool) -> None:
        status = self.query_one("#wr-status", Static)
        status.update(text)
        status.set_class(bool(text), "shown")
        status.set_class(problem, "problem")

    def show(self, review: WeekReview) -> None:
        with self.app.batch_update():
            self.query_one("#wr-title", Static).update(title_text(review))
            for tile in glance(review):
                box = self.query_one(f"#wr-tile-{tile.key}", Vertical)
                figure = box.query_one(Digits)
                figure.update(tile.figure)
                box.set_class(tile.alert, "-alert")
                box.query_one(".wr-words", Static).update(tile.words)
                box.query_one(".wr-line", Static).update(tile.line)
            self._show_by_width(review)
            self._put("#wr-missing", missing_text(review))
            self._put("#wr-huddles", huddles_renderable(review))
            self._put("#wr-actions", actions_renderable(review))
            self._put("#wr-ideas", ideas_renderable(review))
            rules = f"Statistical process control (XmR charts): {review.rule_set}."
            self._put("#wr-rules", Text(rules, style="dim"))

    def _put(self, selector: str, content: RenderableType) -> None:
        self.query_one(selector, Static).update(content)

    def _show_by_width(self, review: WeekReview) -> None:
        """The parts laid out for the screen's width: the signals and the box score."""
        narrow = self.has_class("-narrow")
        self._put("#wr-signals", signals_table(review, narrow))
        left_out = LEFT_OUT_NARROW if narrow else LEFT_OUT
        self._put("#wr-box-score", rich_table(report_content.box_score_table(review), left_out))

    def on_resize(self, event: events.Resize) -> None:
        narrow = event.size.width < NARROW_BELOW
        changed = narrow != self.has_class("-narrow")
        self.set_class(narrow, "-narrow")
        self.set_class(event.size.height < SHORT_BELOW, "-short")
        if changed and self.review is not None:
            self._show_by_width(self.review)

    # -- keys -------------------------------------------------------------------------------

    def action_close(self) -> None:
        self.dismiss(None)

    def action_step(self, weeks: int) -> None:
        """A week earlier (-1) or later (1); never past the current week."""
        monday = self.week + dt.timedelta(weeks=weeks)
        if monday > self.current_week:
            self.notify("This is the current week: there is no later week to review yet.")
            return
        self.show_week(monday)

    def action_this_week(self) -> None:
        self.show_week(self.current_week)

    def action_go_to_week(self) -> None:
        self.app.push_screen(GoToWeekScreen(self.current_week), callback=self._go_to)

    def _go_to(self, monday: dt.date | None) -> None:
        if monday is not None:
            self.show_week(monday)

    def action_report_out(self) -> None:
        folder = self.report_dir or Path.home()
        path = folder / f"huddle-report-{iso_week_label(self.week)}.html"
        self.app.push_screen(ReportOutScreen(self.week, path), callback=self._written)

    def _written(self, path: Path | None) -> None:
        if path is not None:
            self.notify(
                f"Week review {iso_week_label(self.week)} written to {path}",
                title="Report-out",
                timeout=15,
                markup=False,
            )


def open_week_review(app: App[Any]) -> None:
    """Push the week review over the board (not over a form or another screen)."""
    if len(app.screen_stack) == 1:
        app.push_screen(WeekReviewScreen())

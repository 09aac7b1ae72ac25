"""The week review's two dialogs: going to a week typed as 2026-W47 (or a day of it), and
writing the week's report-out (HTML or Markdown) to a file, in a worker, with
`huddle_board.report` as `huddle-board report` does."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, Static
from textual.worker import Worker, WorkerState

from huddle_board import report
from huddle_board.model import iso_week_label, week_start
from huddle_board.review import WeekNotStarted, parse_week, week_review

if TYPE_CHECKING:
    from huddle_board.ui.app import HuddleBoardApp

MARKDOWN_SUFFIXES = (".md", ".markdown")
HTML_SUFFIXES = (".html", ".htm")


class GoToWeekScreen(ModalScreen[dt.date | None]):
    """Asks for a week as 2026-W47 (or a day of it); refuses one that has not started."""

    AUTO_FOCUS = "Input"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current_week: dt.date) -> None:
        super().__init__()
        self.current_week = current_week

    def compose(self) -> ComposeResult:
        with Vertical(classes="wr-dialog wr-week-dialog"):
            yield Label("Go to week", classes="wr-dialog-title")
            yield Label("An ISO week like 2026-W47, or a day of it like 2026-11-18.")
            yield Input(placeholder=iso_week_label(self.current_week), id="wr-week-input")
            yield Static("", id="wr-week-error", classes="wr-error", markup=False)
            with Horizontal(classes="wr-buttons"):
                yield Button("Show", variant="primary", id="wr-week-ok")
                yield Button("Cancel", id="wr-week-cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#wr-week-ok")
    def confirm(self) -> None:
        text = self.query_one(Input).value
        try:
            monday = parse_week(text)
        except ValueError as refused:
            self._error(str(refused))
            return
        if monday > self.current_week:
            self._error(f"{iso_week_label(monday)} has not started yet.")
            return
        self.dismiss(monday)

    def _error(self, text: str) -> None:
        error = self.query_one("#wr-week-error", Static)
        error.update(text)
        error.add_class("shown")

    @on(Button.Pressed, "#wr-week-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def report_path(text: str, default_name: str) -> Path:
    """The file a typed path names, absolute (~ expanded); a folder gets `default_name` in it.
    Touches the disk: for a worker thread."""
    path = Path(text.strip()).expanduser().absolute()
    return path / default_name if path.is_dir() else path


def is_markdown(path: str) -> bool | None:
    """What the path's ending says of the format; None when it says nothing."""
    suffix = Path(path.strip()).suffix.lower()
    if suffix in MARKDOWN_SUFFIXES:
        return True
    return False if suffix in HTML_SUFFIXES else None


class ReportOutScreen(ModalScreen[Path | None]):
    """Where to write the week's report-out and in which format (the file's ending and the
    switch follow each other). Writes it in a worker with `huddle_board.report`: the identifier
    check refuses a report that would show a patient identifier and says where; nothing is
    written then, nor when the file cannot be. Dismissed with the path written."""

    AUTO_FOCUS = "Input"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    class Done(Message):
        def __init__(self, path: Path | None, problem: str = "") -> None:
            super().__init__()
            self.path = path
            self.problem = problem

    def __init__(self, week: dt.date, path: Path) -> None:
        super().__init__()
        self.week = week_start(week)
        self.path = path

    @property
    def board(self) -> HuddleBoardApp:
        return cast("HuddleBoardApp", self.app)

    def compose(self) -> ComposeResult:
        label = iso_week_label(self.week)
        markdown = is_markdown(str(self.path)) is True
        with Vertical(classes="wr-dialog wr-report-dialog"):
            yield Label(f"Report-out of the week review {label}", classes="wr-dialog-title")
            yield Label(
                "One file to take to peers and managers. Every free text is checked for "
                "patient identifiers first.",
                markup=False,
            )
            with Horizontal(classes="wr-field"):
                yield Label("File", markup=False)
                yield Input(str(self.path), id="wr-report-path")
            with RadioSet(id="wr-report-format"):
                yield RadioButton(
                    "HTML: one page with the charts, prints on A4 landscape",
                    value=not markdown,
                    id="wr-format-html",
                )
                yield RadioButton("Markdown: the tables as text", value=markdown, id="wr-format-md")
            with VerticalScroll(id="wr-report-result", classes="wr-result"):
                yield Static("", id="wr-report-error", classes="wr-error", markup=False)
            with Horizontal(classes="wr-buttons"):
                yield Button("Write report", variant="primary", id="wr-report-ok")
                yield Button("Cancel", id="wr-report-cancel")

    @property
    def markdown(self) -> bool:
        return self.query_one("#wr-format-md", RadioButton).value

    @on(Input.Changed, "#wr-report-path")
    def _path_changed(self, event: Input.Changed) -> None:
        said = is_markdown(event.value)
        if said is not None and said != self.markdown:
            button = "#wr-format-md" if said else "#wr-format-html"
            self.query_one(button, RadioButton).value = True

    @on(RadioSet.Changed, "#wr-report-format")
    def _format_changed(self) -> None:
        field = self.query_one("#wr-report-path", Input)
        if is_markdown(field.value) is not None and is_markdown(field.value) != self.markdown:
            path = Path(field.value)
            field.value = str(path.with_suffix(".md" if self.markdown else ".html"))

    @on(Input.Submitted, "#wr-report-path")
    @on(Button.Pressed, "#wr-report-ok")
    def action_write(self) -> None:
        text = self.query_one("#wr-report-path", Input).value
        if not text.strip():
            self._show("Give the file to write, e.g. ~/huddle-report_content.html.", problem=True)
            return
        self._show("Making the report…", problem=False)
        self.query_one("#wr-report-ok", Button).disabled = True
        self._write(text, self.markdown)

    @work(thread=True, exclusive=True, exit_on_error=False, group="report-out")
    def _write(self, text: str, markdown: bool) -> None:
        """As `huddle-board report` does: the review as today, made into the report (which
        checks it for identifiers), written whole or not at all."""
        today = self.board.clock.today()
        suffix = ".md" if markdown else ".html"
        path = report_path(text, f"huddle-report-{iso_week_label(self.week)}{suffix}")
        try:
            with self.board.store.session() as db:
                review = week_review(db, self.week, today=today)
            render = report.render_markdown if markdown else report.render_html
            made = render(review, generated_on=today)
        except (WeekNotStarted, report.ReportRefused) as refused:
            self.post_message(self.Done(None, str(refused)))
            return
        except sqlite3.Error as error:
            problem = f"The board's file could not be read ({error}). Nothing was written."
            self.post_message(self.Done(None, problem))
            return
        try:
            report.write_report(path, made)
        except OSError as error:
            problem = f"{path} could not be written ({error.strerror or error}). Nothing was "
            problem += "written: check the folder exists and can be written to."
            self.post_message(self.Done(None, problem))
            return
        self.post_message(self.Done(path))

    def on_report_out_screen_done(self, message: Done) -> None:
        self.query_one("#wr-report-ok", Button).disabled = False
        if message.path is None:
            self._show(message.problem, problem=True)
            return
        self.dismiss(message.path)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.query_one("#wr-report-ok", Button).disabled = False
            self._show(f"The report was not made ({type(error).__name__}: {error}).", True)
            self.board.worker_failed(event)

    def _show(self, text: str, problem: bool) -> None:
        shown = self.query_one("#wr-report-error", Static)
        shown.update(text)
        shown.set_class(bool(text), "shown")
        shown.set_class(problem, "problem")
        self.query_one("#wr-report-result").set_class(bool(text), "shown")

    @on(Button.Pressed, "#wr-report-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

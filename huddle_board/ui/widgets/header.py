"""The board's header: ward name, date, time and ISO week, and the open and overdue actions,
readable from across the corridor."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from huddle_board.clock import Clock
from huddle_board.db import queries
from huddle_board.model import Ward, iso_week_label, week_start
from huddle_board.ui.widgets.failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from huddle_board.ui.app import HuddleBoardApp


class BoardHeader(ReportsWorkerFailures, Horizontal):
    class Counts(Message):
        def __init__(self, open_count: int, overdue: int) -> None:
            super().__init__()
            self.open_count = open_count
            self.overdue = overdue

    def __init__(self, ward: Ward, clock: Clock, counts: tuple[int, int] | None = None) -> None:
        """`counts`: (open, overdue) actions when read before the app started."""
        super().__init__(id="header")
        self.ward = ward
        self.clock = clock
        self._counts = counts

    def compose(self) -> ComposeResult:
        yield Static(Content(self.ward.name), id="header-ward", markup=False)
        yield Static("", id="header-counts", markup=False)
        yield Static("", id="header-sync", markup=False)
        yield Static("", id="header-clock", markup=False)

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1, self.tick)
        if self._counts is None:
            self.refresh_counts()
        else:
            self.on_board_header_counts(self.Counts(*self._counts))

    def tick(self) -> None:
        now = self.clock.now()
        week = iso_week_label(week_start(now.date()))
        text = f"{now:%a %d %b %Y}  {now:%H:%M}  {week}"
        self.query_one("#header-clock", Static).update(text)

    def refresh_counts(self) -> None:
        self._count()

    @work(thread=True, exclusive=True, exit_on_error=False, group="counts")
    def _count(self) -> None:
        board = cast("HuddleBoardApp", self.app)
        with board.store.session() as db:
            open_count, overdue = queries.action_counts(db, self.clock.today())
        self.post_message(self.Counts(open_count, overdue))

    def on_board_header_counts(self, message: Counts) -> None:
        text = f"{message.open_count} open actions"
        if message.overdue:
            text += f", {message.overdue} overdue"
        counts = self.query_one("#header-counts", Static)
        counts.update(text)
        counts.set_class(message.overdue > 0, "overdue")

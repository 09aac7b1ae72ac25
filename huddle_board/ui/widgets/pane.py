"""The base of the board's screens: each loads its model objects in a worker thread and
shows them when they arrive, so the event loop never waits on SQLite."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import work
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import TabbedContent

from huddle_board.db import queries
from huddle_board.ui.widgets.failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from huddle_board.db import Reader
    from huddle_board.ui.app import HuddleBoardApp


def pane_css(module_file: str) -> str:
    """The styles in the `.tcss` file beside a screen's module, for its DEFAULT_CSS: added to
    the app's stylesheet when the screen is first built, not at start-up."""
    return Path(module_file).with_suffix(".tcss").read_text(encoding="utf-8")


class BoardPane(ReportsWorkerFailures, Vertical):
    """One screen of the board. Subclasses implement `fetch` (worker thread, gets a
    connection) and `show` (event loop, gets what `fetch` returned)."""

    class Loaded(Message):
        def __init__(self, pane: BoardPane, data: Any) -> None:
            super().__init__()
            self.pane = pane
            self.data = data

    loaded_once = False
    _last_data: Any = None

    def __init__(self, *, initial: Any = None, id: str | None = None) -> None:
        """`initial`: data read before the app started, shown at once in the first frame."""
        super().__init__(id=id)
        self._initial = initial

    @property
    def board(self) -> HuddleBoardApp:
        return cast("HuddleBoardApp", self.app)

    def on_mount(self) -> None:
        if self._initial is not None:
            # Start-up: data and focus are in place before the first frame is drawn, so the
            # first frame is the complete one (a later focus would draw the table again).
            self.loaded_once = True
            self._last_data = self._initial
            self.show(self._initial)
            self._initial = None
            self._fresh = True
            self.focus_main()
            return
        self.reload()
        self.call_after_refresh(self._focus_if_active)

    _fresh = False  # shown from the data read at start-up, not yet visited again

    def reload(self) -> None:
        self._load()

    def visited(self) -> None:
        """The pane's tab was chosen: read its data again (not on the start-up visit, whose
        data was read a moment ago) and give it the focus."""
        if self._fresh:
            self._fresh = False
        else:
            self.reload()
        if not self.has_focus_within:
            self.focus_main()

    # The synced tables `fetch` reads: when none of them has changed since the last fetch
    # (and neither has `version_key`), a reload stops after one cheap query.
    TABLES: ClassVar[tuple[str, ...]] = ()
    _version: object = None

    def version_key(self) -> tuple[object, ...]:
        """What else `fetch` depends on (today's date; a pane adds its own state)."""
        return (self.board.clock.today(),)

    @work(thread=True, exclusive=True, exit_on_error=False, group="load")
    def _load(self) -> None:
        try:
            self._read()
        except sqlite3.Error:
            if not self.board.store.read_fault:
                raise  # not the file's fault: the banner says something went wrong
            # The file cannot be read: the last data stays, the banner says so and the app
            # tries again (`HuddleBoardApp.store_watch`).
            self.app.call_from_thread(self.board.show_standing)

    def _read(self) -> None:
        with self.board.store.session() as db:
            version = None
            if self.TABLES:  # read before the data: a write in between costs a fetch, no more
                version = (self.version_key(), queries.table_versions(db, self.TABLES))
                if version == self._version and self.loaded_once:
                    return
            data = self.fetch(db)
        self._version = version
        if data != self._last_data:  # unchanged data is not drawn again
            self.post_message(self.Loaded(self, data))

    def on_board_pane_loaded(self, message: Loaded) -> None:
        if message.pane is self:
            message.stop()
            first = not self.loaded_once
            self.loaded_once = True
            self._last_data = message.data
            self.show(message.data)
            if first:  # the screen is built: what it is made of lives as long as the board
                self.call_after_refresh(self.board.freeze_long_lived)

    @property
    def is_active(self) -> bool:
        """Whether this pane's tab is the one on show."""
        tabs = self.app.query(TabbedContent)
        return not tabs or tabs.first().active == getattr(self.parent, "id", None)

    def _focus_if_active(self) -> None:
        # Focusing a widget in a hidden tab makes TabbedContent switch to that tab: a late
        # focus from a pane the user has already left would pull the board back to it.
        if self.is_active:
            self.focus_main()

    def focus_main(self) -> None:
        """Put the keyboard focus on the pane's main widget when the pane is shown."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def fetch(self, db: Reader) -> Any:
        raise NotImplementedError

    def show(self, data: Any) -> None:
        raise NotImplementedError

"""Modal forms. Every form that writes carries an initials field (prefilled for 2 minutes after
the last use), checks what it can before saving, saves in a worker thread, and stays open with
the message on screen when the input is refused, so nothing typed is lost."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from huddle_board.db import StoreInterrupted, StoreUnavailable
from huddle_board.db.commands import Author, InvalidInput, check_initials
from huddle_board.ui.messages import DataChanged
from huddle_board.ui.widgets.failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.ui.app import HuddleBoardApp

T = TypeVar("T")
Save = Callable[["Database", Author], Any]


class FormScreen(ReportsWorkerFailures, ModalScreen[T], Generic[T]):
    """A modal form: subclasses compose their fields in `fields()` and build the write in
    `prepare()` (raise InvalidInput for bad input); the base asks initials and saves."""

    AUTO_FOCUS = "Input, TextArea, Select, RadioSet, Button"
    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]
    TITLE_TEXT = "Form"
    SAVE_LABEL = "Save"
    WHAT = "data"

    class Refused(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Saved(Message):
        def __init__(self, result: Any) -> None:
            super().__init__()
            self.result = result

    @property
    def board(self) -> HuddleBoardApp:
        return cast("HuddleBoardApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(self.TITLE_TEXT, classes="form-title", markup=False)
            yield from self.fields()
            with Horizontal(classes="form-initials"):
                yield Label("Your initials", markup=False)
                yield Input(
                    self.board.remembered_initials() or "",
                    placeholder="e.g. JM",
                    max_length=4,
                    id="initials",
                )
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button(self.SAVE_LABEL, variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def prepare(self) -> Save:
        """Read and check the fields; return the write to run (in a worker thread)."""
        raise NotImplementedError

    def show_error(self, text: str) -> None:
        error = self.query_one("#form-error", Static)
        error.update(text)
        error.set_class(bool(text), "shown")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        try:
            initials = check_initials(self.query_one("#initials", Input).value)
            save = self.prepare()
        except InvalidInput as refused:
            self.show_error(refused.message)
            return
        self.show_error("")
        self.board.remember_initials(initials)
        self._save(save, initials)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(thread=True, exclusive=True, exit_on_error=False, group="save")
    def _save(self, save: Save, initials: str) -> None:
        try:
            with self.board.store.writer() as db:
                result = save(db, self.board.author(initials))
        except (InvalidInput, StoreUnavailable) as refused:
            text = refused.message if isinstance(refused, InvalidInput) else str(refused)
            if isinstance(refused, StoreInterrupted):
                text += ". What you typed is kept here: press Save again in a moment."
            self.post_message(self.Refused(text))
            return
        self.post_message(self.Saved(result))

    def on_form_screen_refused(self, message: Refused) -> None:
        self.show_error(message.text)
        self.board.show_standing()  # a refused write is the store's fault: the banner says so

    def on_form_screen_saved(self, message: Saved) -> None:
        self.board.post_message(DataChanged(self.WHAT))
        self.dismiss(message.result)


class InitialsScreen(ModalScreen[str | None]):
    """Asks who is making a change: 2–4 letters, remembered for 2 minutes."""

    AUTO_FOCUS = "Input"

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, purpose: str) -> None:
        super().__init__()
        self.purpose = purpose

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box initials-box"):
            yield Label("Who is this?", classes="form-title")
            yield Label(self.purpose, markup=False)
            yield Input(placeholder="Your initials, e.g. JM", max_length=4, id="initials")
            yield Static("", id="form-error", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def confirm(self) -> None:
        try:
            initials = check_initials(self.query_one(Input).value)
        except InvalidInput as refused:
            error = self.query_one("#form-error", Static)
            error.update(refused.message)
            error.add_class("shown")
            return
        self.dismiss(initials)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

"""Kiosk mode's admin screens: the PIN screen (F9) and, behind the right PIN, the admin menu.

The stored hash is read, and the typed PIN hashed (scrypt: tens of ms), in a worker thread;
the guard that locks the screen after too many wrong PINs lives on the app, so closing and
reopening the screen does not reset it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from huddle_board.kiosk import MAX_WRONG_TRIES, PinGuard, pin_matches, stored_pin
from huddle_board.ui.widgets.failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from huddle_board.ui.store import StoreAccess

ADMIN_CSS = """
PinScreen, AdminMenu {
    align: center middle;
}
#pin-message {
    height: auto;
    color: $error;
    text-style: bold;
}
AdminMenu Button {
    width: 100%;
    margin-bottom: 1;
}
"""


class PinScreen(ReportsWorkerFailures, ModalScreen[bool]):
    """Asks the admin PIN; dismissed with True for the right one, False when closed."""

    DEFAULT_CSS = ADMIN_CSS
    AUTO_FOCUS = "Input"
    BINDINGS = [Binding("escape", "close", "Close")]

    class Checked(Message):
        def __init__(self, is_set: bool, matched: bool) -> None:
            super().__init__()
            self.is_set = is_set
            self.matched = matched

    def __init__(self, store: StoreAccess, guard: PinGuard) -> None:
        super().__init__()
        self.store = store
        self.guard = guard
        self.checking = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box initials-box"):
            yield Label("Admin", classes="form-title", markup=False)
            yield Static("Enter the admin PIN.", id="pin-prompt", markup=False)
            yield Input(placeholder="PIN", password=True, max_length=8, restrict="[0-9]*", id="pin")
            yield Static("", id="pin-message", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Close", id="close")

    def on_mount(self) -> None:
        self.read_state()
        self.show_lock()

    def say(self, text: str) -> None:
        self.query_one("#pin-message", Static).update(Content(text))

    def show_lock(self) -> bool:
        left = self.guard.locked_for()
        if left:
            self.say(
                f"Locked after {MAX_WRONG_TRIES} wrong PINs: try again in {int(left + 0.999)} s."
            )
        return bool(left)

    def show_no_pin(self) -> None:
        """No PIN is set: say how to set one, and offer nothing but Close."""
        self.query_one("#pin-prompt", Static).update(
            Content(
                "No admin PIN is set on this board, so the admin functions are closed.\n"
                "Set one on this PC with:\n"
                f"  huddle-board set-pin --db {self.store.path}"
            )
        )
        self.query_one("#pin", Input).display = False
        self.query_one("#ok", Button).display = False
        self.query_one("#close", Button).focus()

    @work(thread=True, exit_on_error=False, group="pin")
    def read_state(self) -> None:
        with self.store.session() as conn:
            is_set = stored_pin(conn) is not None
        if not is_set:
            self.post_message(self.Checked(False, False))

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def submit(self) -> None:
        if self.checking:
            return
        field = self.query_one("#pin", Input)
        pin, field.value = field.value, ""
        if self.show_lock():
            return  # not even tried while locked
        if not pin:
            self.say("Enter the PIN.")
            return
        self.checking = True
        self.check(pin)

    @work(thread=True, exit_on_error=False, group="pin")
    def check(self, pin: str) -> None:
        with self.store.session() as conn:
            stored = stored_pin(conn)
        matched = stored is not None and pin_matches(pin, stored)
        self.post_message(self.Checked(stored is not None, matched))

    def on_pin_screen_checked(self, message: PinScreen.Checked) -> None:
        self.checking = False
        if not message.is_set:
            self.show_no_pin()
            return
        if message.matched:
            self.guard.succeeded()
            self.dismiss(True)
            return
        self.guard.failed()
        if self.guard.locked_for():
            self.say(
                f"Wrong PIN. Too many wrong PINs: locked for {int(self.guard.locked_for())} s."
            )
        else:
            self.say("Wrong PIN.")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(False)


class AdminMenu(ModalScreen[str | None]):
    """What the admin may do: dismissed with the id of the button pressed ("settings", "ward",
    "measures", "import", "retry", "exit") or None (closed)."""

    DEFAULT_CSS = ADMIN_CSS
    AUTO_FOCUS = "Button"
    BINDINGS = [Binding("escape", "close", "Close")]

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box initials-box"):
            yield Label("Admin", classes="form-title", markup=False)
            yield Button("Kiosk settings", id="settings")
            yield Button("Ward set-up", id="ward")
            yield Button("Box score measures", id="measures")
            yield Button("Import values from CSV", id="import")
            yield Button("Retry set-aside entries", id="retry")
            yield Button("Exit the board", variant="error", id="exit")
            yield Button("Close", id="close")

    @on(Button.Pressed, "#exit, #retry, #settings, #ward, #measures, #import")
    def chosen(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)

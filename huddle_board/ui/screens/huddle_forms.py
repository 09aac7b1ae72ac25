"""The form for raising an action during a huddle: what needs doing, who owns it (initials)
and when it is due. The due date defaults to tomorrow and accepts the ways people write dates
on a ward: 2026-11-27, 27/11/2026, 'today', 'tomorrow' or '+3' (days from today)."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Input, Label, Static

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db import commands
from huddle_board.db.commands import InvalidInput
from huddle_board.ui.widgets.forms import FormScreen, Save

_DAYS_AHEAD = re.compile(r"^\+\s*(\d{1,3})\s*(?:d|day|days)?$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_UK = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")
_HOW = "write it like 27/11/2026, 2026-11-27, 'tomorrow' or '+3' (days from today)"
FURTHEST_DAYS = 366


def _day(text: str, year: int, month: int, day: int) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise InvalidInput(
            "due date", f"Due date: '{text}' is not a date in the calendar."
        ) from None


def _read_date(text: str, today: dt.date) -> dt.date:
    cleaned = text.strip().lower()
    if cleaned in ("today", "tomorrow"):
        return today + dt.timedelta(days=int(cleaned == "tomorrow"))
    if ahead := _DAYS_AHEAD.match(cleaned):
        return today + dt.timedelta(days=int(ahead.group(1)))
    if iso := _ISO.match(cleaned):
        year, month, day = (int(part) for part in iso.groups())
        return _day(text.strip(), year, month, day)
    if uk := _UK.match(cleaned):
        day, month, year = (int(part) for part in uk.groups())
        return _day(text.strip(), year, month, day)
    raise InvalidInput("due date", f"Due date: '{text.strip()}' is not a date; {_HOW}.")


def parse_due(text: str, today: dt.date) -> dt.date:
    """The due date typed in `text`, from `today`; InvalidInput with a message if it is
    empty, not a date, in the past or more than a year away."""
    if not text.strip():
        raise InvalidInput("due date", f"A due date is needed: {_HOW}.")
    due = _read_date(text, today)
    if due < today:
        raise InvalidInput("due date", f"The due date {due:%d/%m/%Y} is in the past.")
    if (due - today).days > FURTHEST_DAYS:
        raise InvalidInput("due date", f"The due date {due:%d/%m/%Y} is more than a year away.")
    return due


def due_preview(text: str, today: dt.date) -> str:
    """What the due field currently means, shown under it as it is typed."""
    try:
        due = parse_due(text, today)
    except InvalidInput as refused:
        return refused.message
    return f"→ due {due:%A %d %B %Y}"


class ActionForm(FormScreen[str]):
    """Raise an action in a running huddle: it is stored with the huddle as its source."""

    SAVE_LABEL = "Raise action (ctrl+s)"
    WHAT = "actions"

    def __init__(self, huddle_id: str, heading: str, today: dt.date) -> None:
        super().__init__()
        self.huddle_id = huddle_id
        self.today = today
        self.TITLE_TEXT = f"Raise an action — {heading}"

    def fields(self) -> ComposeResult:
        with Horizontal(classes="action-row"):
            yield Label("Action", classes="action-label")
            yield Input(placeholder="What needs doing (no patient identifiers)", id="action-text")
        with Horizontal(classes="action-row"):
            yield Label("Owner", classes="action-label")
            yield Input(placeholder="Initials, e.g. AB", max_length=4, id="action-owner")
        with Horizontal(classes="action-row"):
            yield Label("Due", classes="action-label")
            yield Input("tomorrow", placeholder="e.g. tomorrow, +3, 27/11/2026", id="action-due")
        yield Static(due_preview("tomorrow", self.today), id="action-due-preview", markup=False)

    def on_mount(self) -> None:
        self.query_one("#action-text", Input).focus()

    @on(Input.Changed, "#action-due")
    def _preview_due(self, event: Input.Changed) -> None:
        preview = self.query_one("#action-due-preview", Static)
        preview.update(due_preview(event.value, self.today))

    @on(Input.Submitted)
    def _next_or_save(self, event: Input.Submitted) -> None:
        """Enter moves to the next field; on the last field (initials) it raises the action."""
        event.stop()
        if event.input.id == "initials":
            self.action_save()
        else:
            self.focus_next()

    def prepare(self) -> Save:
        text = self.query_one("#action-text", Input).value
        text = commands.check_text(text, "action", required=True)
        owner = commands.check_initials(self.query_one("#action-owner", Input).value, "owner")
        due = parse_due(self.query_one("#action-due", Input).value, self.today)
        huddle_id = self.huddle_id

        def save(db: Database, author: commands.Author) -> str:
            return commands.add_action(
                db, author, text, owner, due, source_kind="huddle", source_id=huddle_id
            )

        return save

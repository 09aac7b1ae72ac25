"""The Actions screen: every open action with its owner, due date and where it came from (a
huddle or an idea), overdue first. An action is marked done or dropped with a key or a button
(and the last one can be undone), or escalated to the service manager with a reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db import Reader

from huddle_board.db import commands, queries
from huddle_board.model import Action, ActionStatus
from huddle_board.privacy import printable
from huddle_board.ui.widgets.forms import FormScreen, Save
from huddle_board.ui.widgets.grid import BoardGrid, GridColumn, GridRow
from huddle_board.ui.widgets.pane import BoardPane, pane_css

STATUS_WIDTH = 11
DUE_WIDTH = 22
OWNER_WIDTH = 5
MIN_TEXT_WIDTH = 20
# below this pane width, the source column narrows and escalation shows as "▲" only
WIDE_PANE = 130
COLUMNS = ("status", "due", "text", "owner", "source", "escalated")


def column_widths(pane_width: int) -> dict[str, int]:
    """Column widths for a pane this wide: the action text takes what the others leave."""
    wide = pane_width >= WIDE_PANE
    widths = {"status": STATUS_WIDTH, "due": DUE_WIDTH, "owner": OWNER_WIDTH}
    widths.update(source=28 if wide else 17, escalated=26 if wide else 3)
    # two cells of padding per column, and the vertical scrollbar
    used = sum(widths.values()) + 2 * len(COLUMNS) + 2
    widths["text"] = max(MIN_TEXT_WIDTH, pane_width - used)
    return widths


def one_line(text: str) -> str:
    """User text made printable and flattened onto one line for a table cell."""
    return " ".join(printable(text).split())


def plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def status_cell(action: Action, today: dt.date) -> Text:
    """Overdue, due today or open: by symbol, word and colour together."""
    if action.overdue(today):
        return Text("⚠ OVERDUE", style="bold red")
    if action.due_on == today:
        return Text("● due today", style="bold yellow")
    return Text("○ open")


def due_cell(action: Action, today: dt.date) -> Text:
    """'24 Nov · 2 days late', '26 Nov · today', '28 Nov · in 2 days'."""
    days = (action.due_on - today).days
    date = f"{action.due_on:%d %b}"
    if action.due_on.year != today.year:
        date += f" {action.due_on:%Y}"
    if days < 0:
        return Text(f"{date} · {plural(-days, 'day')} late", style="bold red")
    if days == 0:
        return Text(f"{date} · today", style="bold")
    when = "tomorrow" if days == 1 else f"in {days} days"
    return Text(f"{date} · {when}")


def source_text(action: Action, short: bool = False) -> str:
    """'Daily huddle 2026-11-24' or 'Idea: …'; shortened to 'Daily 2026-11-24' when narrow."""
    if not action.source_label:
        return "—"
    label = one_line(action.source_label)
    if short and action.source_kind == "huddle":
        label = label.replace(" huddle ", " ", 1)
    return label


def escalated_cell(action: Action, wide: bool) -> Text:
    if not action.escalated:
        return Text("")
    if not wide:
        return Text("▲", style="bold magenta")
    reason = one_line(action.escalation_reason)
    return Text(f"▲ escalated: {reason}", style="bold magenta", no_wrap=True, overflow="ellipsis")


def row_cells(action: Action, today: dt.date, wide: bool) -> list[Text]:
    """The table cells of one action, in COLUMNS order; user text is never markup."""

    def cut(text: str, style: str = "") -> Text:
        return Text(text, style=style, no_wrap=True, overflow="ellipsis")

    return [
        status_cell(action, today),
        due_cell(action, today),
        cut(one_line(action.text)),
        cut(one_line(action.owner), "bold"),
        cut(source_text(action, short=not wide)),
        escalated_cell(action, wide),
    ]


def detail_text(action: Action) -> Text:
    """The highlighted action in full, under the table (the cells may be cut short)."""
    detail = Text(printable(action.text), style="bold")
    detail.append(f"  — {printable(action.owner)}, from {source_text(action)}", style="")
    if action.escalated:
        reason = printable(action.escalation_reason)
        detail.append(f"\n▲ Escalated to the service manager: {reason}", style="bold magenta")
    return detail


@dataclass(frozen=True)
class ActionsData:
    today: dt.date
    actions: list[Action]
    open_count: int
    overdue_count: int


class EscalateForm(FormScreen[int]):
    """Escalate an action to a higher tier (the service manager), with the reason why."""

    TITLE_TEXT = "Escalate to the service manager"
    SAVE_LABEL = "Escalate"
    WHAT = "actions"

    def __init__(self, action: Action) -> None:
        super().__init__()
        self.action = action

    def fields(self) -> ComposeResult:
        yield Label(Text(printable(self.action.text)), id="escalate-action", markup=False)
        with Horizontal(classes="escalate-row"):
            yield Label("Reason", markup=False)
            yield Input(
                self.action.escalation_reason,
                placeholder="Why this needs the service manager",
                max_length=commands.TEXT_LIMITS["escalation reason"],
                id="escalate-reason",
            )

    def prepare(self) -> Save:
        typed = self.query_one("#escalate-reason", Input).value
        reason = commands.check_text(typed, "escalation reason", required=True)
        action_id = self.action.id

        def save(db: Database, author: commands.Author) -> int:
            return commands.escalate_action(db, author, action_id, reason)

        return save


class ActionsPane(BoardPane):
    """Open actions, overdue first; done (d), dropped (x), escalate (s), undo (u)."""

    DEFAULT_CSS = pane_css(__file__)
    SCOPED_CSS = False  # its styles also reach the forms it opens

    TABLES = ("actions", "huddles", "ideas")  # huddles and ideas name the actions' sources

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "mark('done')", "Done"),
        Binding("x", "mark('dropped')", "Dropped"),
        Binding("s", "escalate", "Escalate"),
        Binding("u", "undo", "Undo"),
    ]

    class Marked(Message):
        """An action's status was written (from the write's worker thread)."""

        def __init__(self, action: Action, status: ActionStatus) -> None:
            super().__init__()
            self.action = action
            self.status = status

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: ActionsData | None = None
        self._shown: dict[str, Action] = {}
        self._widths: dict[str, int] = {}
        self._wanted: str | None = None
        self.last_closed: Action | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="actions-summary", markup=False)
        yield BoardGrid(id="actions-table", zebra=True)
        yield Static("", id="actions-detail", markup=False)
        with Horizontal(classes="pane-buttons"):
            yield Button("Done (d)", id="action-done", variant="success")
            yield Button("Dropped (x)", id="action-dropped", variant="warning")
            yield Button("Escalate (s)", id="action-escalate", variant="primary")
            yield Button("Undo (u)", id="action-undo")

    @property
    def table(self) -> BoardGrid:
        return self.query_one("#actions-table", BoardGrid)

    # -- loading and showing ---------------------------------------------------------------

    def fetch(self, db: Reader) -> ActionsData:
        today = self.board.clock.today()
        open_count, overdue_count = queries.action_counts(db, today)
        return ActionsData(today, queries.open_actions(db, today), open_count, overdue_count)

    def show(self, data: ActionsData) -> None:
        self._data = data
        self._show_summary(data)
        with self.app.batch_update():
            self._fill_table(data, column_widths(self.size.width or self.app.size.width))
        self._show_detail()

    def _show_summary(self, data: ActionsData) -> None:
        escalated = sum(action.escalated for action in data.actions)
        text = f"{data.open_count} open · {data.overdue_count} overdue · {escalated} escalated"
        if data.open_count > len(data.actions):
            text += f" (the first {len(data.actions)} shown)"
        if not data.open_count:
            text = "No open actions: every action is done or dropped."
        summary = self.query_one("#actions-summary", Static)
        summary.update(text)
        summary.set_class(data.overdue_count > 0, "overdue")

    def _fill_table(self, data: ActionsData, widths: dict[str, int]) -> None:
        """Draw the actions; the cursor stays on its action (or, that action closed, in its
        place), or goes to the one just brought back by undo."""
        titles = ("Status", "Due", "Action", "Owner", "Source", "Escalated")
        columns = [
            GridColumn(
                key,
                Text("▲" if key == "escalated" and widths[key] < len(title) else title),
                widths[key],
            )
            for key, title in zip(COLUMNS, titles, strict=True)
        ]
        wide = widths["escalated"] > 3
        rows = [
            GridRow(action.id, tuple(row_cells(action, data.today, wide)))
            for action in data.actions
        ]
        self.table.set_table(columns, rows, cursor=self._wanted)
        self._shown = {action.id: action for action in data.actions}
        self._widths, self._wanted = widths, None

    def _show_detail(self) -> None:
        action = self.highlighted()
        detail = self.query_one("#actions-detail", Static)
        detail.update(detail_text(action) if action is not None else "")

    @on(BoardGrid.Highlighted, "#actions-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def on_resize(self, event: events.Resize) -> None:
        if self._data is not None and column_widths(event.size.width) != self._widths:
            with self.app.batch_update():
                self._fill_table(self._data, column_widths(event.size.width))

    def highlighted_id(self) -> str | None:
        return self.table.cursor_key

    def highlighted(self) -> Action | None:
        key = self.highlighted_id()
        return None if key is None else self._shown.get(key)

    # -- changes -----------------------------------------------------------------------------

    def _chosen(self) -> Action | None:
        action = self.highlighted()
        if action is None:
            self.notify("There is no open action to choose.", severity="warning")
        return action

    @on(Button.Pressed, "#action-done")
    def _done_pressed(self) -> None:
        self.action_mark("done")

    @on(Button.Pressed, "#action-dropped")
    def _dropped_pressed(self) -> None:
        self.action_mark("dropped")

    def action_mark(self, status: ActionStatus) -> None:
        """Mark the highlighted action done or dropped (undo with u)."""
        action = self._chosen()
        if action is not None:
            self._set_status(action, status, "Initials to close this action")

    def _set_status(self, action: Action, status: ActionStatus, purpose: str) -> None:
        def write(db: Database, author: commands.Author) -> None:
            commands.set_action_status(db, author, action.id, status)
            self.post_message(self.Marked(action, status))

        self.board.save(write, "actions", purpose)

    @on(Button.Pressed, "#action-undo")
    def action_undo(self) -> None:
        """Reopen the action closed last."""
        if self.last_closed is None:
            self.notify("Nothing to undo.")
            return
        self._set_status(self.last_closed, "open", "Initials to reopen this action")

    def on_actions_pane_marked(self, message: Marked) -> None:
        message.stop()
        text = one_line(message.action.text)
        short = text if len(text) <= 60 else text[:59] + "…"
        if message.status == "open":
            self.last_closed = None
            self._wanted = message.action.id
            self.notify(f"Reopened: {short}", markup=False)
            return
        self.last_closed = message.action
        self.notify(f"Marked {message.status}: {short} — press u to undo", markup=False)

    @on(Button.Pressed, "#action-escalate")
    def action_escalate(self) -> None:
        """Escalate the highlighted action to the service manager, with a reason."""
        action = self._chosen()
        if action is not None:
            self.app.push_screen(EscalateForm(action))

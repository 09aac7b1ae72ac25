"""The Huddle screen. With no huddle running: start a daily safety huddle (d) or a weekly
value-management huddle (w), resume one left open (r), and browse the last huddles read-only.
While a huddle runs: the countdown always at the top, the agenda sections in order with a
notes field each, attendance by role with − and +, actions raised (a), the open actions from
earlier huddles (overdue first), save (ctrl+s) and close (c), which saves it for good.

Notes are checked for patient identifiers before anything is saved; a refused note stays on
screen with the message, so nothing typed is lost."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Button, ContentSwitcher, DataTable, Label, Static, TextArea

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db import Reader

from huddle_board import privacy
from huddle_board.db import commands, queries
from huddle_board.db.commands import InvalidInput
from huddle_board.model import (
    AGENDAS,
    HUDDLE_TITLES,
    ROLE_TITLES,
    ROLES,
    Action,
    Huddle,
    HuddleKind,
)
from huddle_board.privacy import printable
from huddle_board.ui.screens.huddle_forms import ActionForm
from huddle_board.ui.widgets.huddle_timer import HuddleTimer, mm_ss
from huddle_board.ui.widgets.pane import BoardPane, pane_css

START_DEBOUNCE_S = 3.0

Write = Callable[["Database", commands.Author], None]
KIND_SHORT = {"daily": "Daily", "weekly": "Weekly"}
OVERDUE = Text("⚠ OVERDUE", style="bold red")


@dataclass(frozen=True)
class HuddleData:
    """What the screen shows: the last huddles, the open actions, and the actions raised in
    the running huddle (if any; `running_id` says which one they were read for)."""

    recent: list[Huddle]
    open_actions: list[Action]
    running_id: str | None = None
    raised: list[Action] = field(default_factory=list)

    def resumable(self) -> Huddle | None:
        """The latest huddle that was started and never closed."""
        return next((huddle for huddle in self.recent if not huddle.closed), None)


@dataclass(frozen=True)
class HuddleProgress:
    """What a save writes: attendance by role, checked notes per section, seconds so far."""

    huddle_id: str
    attendance: dict[str, int]
    notes: dict[str, str]
    duration_s: int


@dataclass
class RunningHuddle:
    """The huddle in progress: its time is the time recorded before (when resumed) plus the
    monotonic time since it was started or resumed here."""

    huddle: Huddle
    resumed_at: float
    earlier_s: int = 0

    def elapsed_s(self, now: float) -> float:
        return self.earlier_s + max(0.0, now - self.resumed_at)


def huddle_heading(huddle: Huddle) -> str:
    return f"{HUDDLE_TITLES[huddle.kind]}, {huddle.held_on:%a %d %b %Y} {huddle.started_at}"


def action_line(action: Action, today: dt.date) -> Text:
    """One action: OVERDUE (symbol, word and colour) or its due date, owner, text, source."""
    line = Text()
    if action.overdue(today):
        line.append_text(OVERDUE)
        line.append(f" was due {action.due_on:%a %d %b}", style="bold red")
    else:
        line.append(f"○ due {action.due_on:%a %d %b}")
    line.append(f"  {printable(action.owner)}  ", style="bold")
    line.append(printable(action.text))
    if action.source_label:
        line.append(f"  ({printable(action.source_label)})", style="dim")
    return line


def actions_text(actions: list[Action], today: dt.date, empty: str) -> Text:
    if not actions:
        return Text(empty, style="dim")
    return Text("\n").join(action_line(action, today) for action in actions)


def attendance_text(huddle: Huddle) -> str:
    counts = ", ".join(f"{ROLE_TITLES[role]} {huddle.attendance.get(role, 0)}" for role in ROLES)
    return f"Attendance: {huddle.headcount} ({counts})"


def huddle_record(huddle: Huddle, actions: list[Action], today: dt.date) -> Text:
    """A past huddle, read-only: heading, attendance, notes per section, actions raised."""
    state = "closed" if huddle.closed else "OPEN (not closed)"
    record = Text()
    record.append(huddle_heading(huddle), style="bold")
    record.append(f"\nLead {printable(huddle.lead)} · {mm_ss(huddle.duration_s)} long · {state}")
    record.append(f"\n{attendance_text(huddle)}\n")
    for key, title in AGENDAS[huddle.kind]:
        record.append(f"\n{title}\n", style="bold underline")
        note = huddle.notes.get(key, "")
        record.append(printable(note) if note else "—", style="" if note else "dim")
        record.append("\n")
    record.append("\nActions raised\n", style="bold underline")
    record.append_text(actions_text(actions, today, "None."))
    return record


class AttendanceRow(Horizontal, can_focus=True):
    """Head count for one role: − and + buttons (touch), or focus the row and press - / +."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("+,=,right", "change(1)", "+1 attending", key_display="+"),
        Binding("-,left", "change(-1)", "−1 attending", key_display="-"),
        Binding("down", "next_role(1)", "Next role", show=False),
        Binding("up", "next_role(-1)", "Previous role", show=False),
    ]
    count: reactive[int] = reactive(0)

    def __init__(self, role: str, count: int) -> None:
        super().__init__(id=f"attend-{role}", classes="attendance-row")
        self.role = role
        self.set_reactive(AttendanceRow.count, count)

    def compose(self) -> ComposeResult:
        yield Label(ROLE_TITLES[self.role], classes="attendance-role")
        yield self._button("−", "fewer")
        yield Static(str(self.count), classes="attendance-count", markup=False)
        yield self._button("+", "more")

    @staticmethod
    def _button(label: str, name: str) -> Button:
        button = Button(label, compact=True, classes=f"attendance-{name}")
        button.can_focus = False
        return button

    def watch_count(self, count: int) -> None:
        self.query_one(".attendance-count", Static).update(str(count))

    def action_change(self, step: int) -> None:
        self.count = max(0, min(commands.MAX_HEADCOUNT, self.count + step))

    def action_next_role(self, step: int) -> None:
        if step > 0:
            self.screen.focus_next(AttendanceRow)
        else:
            self.screen.focus_previous(AttendanceRow)

    @on(Button.Pressed, ".attendance-fewer")
    def _fewer(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_change(-1)

    @on(Button.Pressed, ".attendance-more")
    def _more(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_change(1)


class HuddlePane(BoardPane):
    DEFAULT_CSS = pane_css(__file__)
    SCOPED_CSS = False  # its styles also reach the forms it opens
    TABLES = ("huddles", "actions", "ideas")  # ideas name the open actions' sources
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("d", "start('daily')", "Start daily huddle"),
        Binding("w", "start('weekly')", "Start weekly huddle"),
        Binding("r", "resume", "Resume huddle"),
        Binding("a", "raise_action", "Raise action"),
        Binding("ctrl+s", "save_notes", "Save notes"),
        Binding("c", "close_huddle", "Close huddle"),
        Binding("escape", "leave_notes", "Leave notes"),
    ]
    RUNNING_ACTIONS: ClassVar[set[str]] = {
        "raise_action",
        "save_notes",
        "close_huddle",
        "leave_notes",
    }
    STARTING_ACTIONS: ClassVar[set[str]] = {"start", "resume"}

    class Started(Message):
        def __init__(self, huddle: Huddle) -> None:
            super().__init__()
            self.huddle = huddle

    class Saved(Message):
        def __init__(self, huddle_id: str, closed: bool) -> None:
            super().__init__()
            self.huddle_id = huddle_id
            self.closed = closed

    class RecordLoaded(Message):
        def __init__(self, huddle: Huddle | None, actions: list[Action]) -> None:
            super().__init__()
            self.huddle = huddle
            self.actions = actions

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.running: RunningHuddle | None = None
        self._running_id: str | None = None
        self._selected_id: str | None = None
        self._data: HuddleData | None = None
        self._warnings: list[str] = []

    # -- layout ------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with ContentSwitcher(initial="huddle-start", id="huddle-views"):
            with Horizontal(id="huddle-start"):
                yield from self._start_view()
            with Vertical(id="huddle-running"):
                yield from self._running_view()

    def _start_view(self) -> ComposeResult:
        with Vertical(id="huddle-start-left"):
            yield Button("Start daily safety huddle (d)", id="start-daily", classes="huddle-start")
            yield Button(
                "Start weekly value-management huddle (w)",
                id="start-weekly",
                classes="huddle-start",
            )
            yield Button("", id="resume-huddle", variant="warning")
            with VerticalScroll(id="huddle-record-box"):
                yield Static("", id="huddle-record", markup=False)
        with Vertical(id="huddle-browse"):
            yield Label("", id="huddle-browse-title")
            yield DataTable(id="huddle-list", cursor_type="row")

    def _running_view(self) -> ComposeResult:
        with Horizontal(id="huddle-top"):
            yield HuddleTimer(id="huddle-timer")
            with Vertical(id="huddle-heading"):
                yield Static("", id="huddle-title", markup=False)
                yield Static("", id="huddle-status", markup=False)
        with Horizontal(id="huddle-body"):
            yield VerticalScroll(id="huddle-agenda")
            with VerticalScroll(id="huddle-side"):
                yield Label("Attendance (+ / −)", classes="side-title")
                yield Vertical(id="huddle-attendance")
                yield Label("Raised in this huddle", classes="side-title")
                yield Static("", id="huddle-raised", markup=False)
                yield Label("Open actions, overdue first", classes="side-title")
                yield Static("", id="huddle-open-actions", markup=False)
        with Horizontal(classes="pane-buttons"):
            yield Button("Raise action (a)", id="raise-action", variant="primary")
            yield Button("Save notes (ctrl+s)", id="save-notes")
            yield Button("Close huddle (c)", id="close-huddle", variant="success")

    def on_mount(self) -> None:
        table = self.query_one("#huddle-list", DataTable)
        table.add_column("Date", width=12)
        table.add_column("Kind", width=6)
        table.add_column("Lead", width=4)
        table.add_column("Staff", width=5)
        table.add_column("Time", width=5)
        table.add_column("Status", width=6)
        self.query_one("#resume-huddle").display = False
        self.query_one("#huddle-record-box").border_title = "Selected huddle (read-only)"

    def focus_main(self) -> None:
        if self.running is not None:
            self.query(TextArea).first().focus()
        else:
            self.query_one("#start-daily").focus()

    # -- data ---------------------------------------------------------------------------------

    def version_key(self) -> tuple[object, ...]:
        return (*super().version_key(), self._running_id)

    def fetch(self, db: Reader) -> HuddleData:
        running_id = self._running_id
        return HuddleData(
            recent=queries.recent_huddles(db, self.board.settings.huddles_listed),
            open_actions=queries.open_actions(db, self.board.clock.today()),
            running_id=running_id,
            raised=queries.huddle_actions(db, running_id) if running_id else [],
        )

    def show(self, data: HuddleData) -> None:
        self._data = data
        self._fill_list(data.recent)
        self._offer_resume(data.resumable())
        if self.running is not None and data.running_id == self.running.huddle.id:
            self._show_actions(data)
        self.refresh_bindings()

    def _fill_list(self, recent: list[Huddle]) -> None:
        count = self.board.settings.huddles_listed
        self.query_one("#huddle-browse-title", Label).update(f"Last {count} huddles")
        table = self.query_one("#huddle-list", DataTable)
        table.clear()
        for huddle in recent:
            table.add_row(
                Text(f"{huddle.held_on:%d %b} {huddle.started_at}"),
                Text(KIND_SHORT[huddle.kind]),
                Text(printable(huddle.lead)),
                Text(str(huddle.headcount), justify="right"),
                Text(mm_ss(huddle.duration_s), justify="right"),
                Text("closed", style="dim") if huddle.closed else Text("● open", style="bold"),
                key=huddle.id,
            )
        keys = [huddle.id for huddle in recent]
        if self._selected_id in keys:
            table.move_cursor(row=keys.index(self._selected_id))
        if not recent:
            self.query_one("#huddle-record", Static).update(
                Text("No huddles yet: start one with d or w.", style="dim")
            )

    def _offer_resume(self, huddle: Huddle | None) -> None:
        button = self.query_one("#resume-huddle", Button)
        button.display = huddle is not None
        if huddle is not None:
            when = f"{huddle.held_on:%a %d %b} {huddle.started_at}"
            button.label = f"Resume the {KIND_SHORT[huddle.kind].lower()} huddle of {when} (r)"

    def _show_actions(self, data: HuddleData) -> None:
        today = self.board.clock.today()
        raised_ids = {action.id for action in data.raised}
        earlier = [action for action in data.open_actions if action.id not in raised_ids]
        self.query_one("#huddle-raised", Static).update(
            actions_text(data.raised, today, "None yet: raise one with a.")
        )
        self.query_one("#huddle-open-actions", Static).update(
            actions_text(earlier, today, "No open actions.")
        )

    # -- browsing past huddles ------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#huddle-list")
    def _huddle_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._selected_id = event.row_key.value
            self._load_record(event.row_key.value)

    @work(thread=True, exclusive=True, exit_on_error=False, group="huddle-record")
    def _load_record(self, huddle_id: str) -> None:
        with self.board.store.session() as db:
            huddle = queries.huddle(db, huddle_id)
            actions = queries.huddle_actions(db, huddle_id)
        self.post_message(self.RecordLoaded(huddle, actions))

    def on_huddle_pane_record_loaded(self, message: RecordLoaded) -> None:
        if message.huddle is None or message.huddle.id != self._selected_id:
            return
        today = self.board.clock.today()
        record = huddle_record(message.huddle, message.actions, today)
        self.query_one("#huddle-record", Static).update(record)

    # -- starting and resuming ----------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.RUNNING_ACTIONS:
            return self.running is not None
        if action == "resume":
            data = self._data
            return self.running is None and data is not None and data.resumable() is not None
        if action in self.STARTING_ACTIONS:
            return self.running is None
        return True

    @on(Button.Pressed, "#start-daily")
    def _start_daily(self) -> None:
        self.action_start("daily")

    @on(Button.Pressed, "#start-weekly")
    def _start_weekly(self) -> None:
        self.action_start("weekly")

    def action_start(self, kind: str) -> None:
        if self.running is not None or kind not in AGENDAS:
            return
        # A second press while the first start is being saved must not start a second huddle.
        now = self.board.monotonic()
        if now - getattr(self, "_start_pressed_at", -START_DEBOUNCE_S) < START_DEBOUNCE_S:
            return
        self._start_pressed_at = now
        chosen: HuddleKind = "daily" if kind == "daily" else "weekly"

        def write(db: Database, author: commands.Author) -> None:
            huddle_id = commands.start_huddle(db, author, chosen, author.initials)
            huddle = queries.huddle(db, huddle_id)
            if huddle is not None:
                self.post_message(self.Started(huddle))

        self.board.save(write, "huddle", purpose="Initials of the huddle lead")

    @on(Button.Pressed, "#resume-huddle")
    async def action_resume(self) -> None:
        huddle = self._data.resumable() if self._data is not None else None
        if self.running is None and huddle is not None:
            await self._begin(huddle)

    async def on_huddle_pane_started(self, message: Started) -> None:
        self._start_pressed_at = -START_DEBOUNCE_S
        if self.running is None:
            await self._begin(message.huddle)

    async def _begin(self, huddle: Huddle) -> None:
        """Show the running huddle, with its notes and attendance so far when resumed."""
        self.running = RunningHuddle(huddle, self.board.monotonic(), huddle.duration_s)
        self._running_id = huddle.id
        await self._build_agenda(huddle)
        await self._build_attendance(huddle)
        self.query_one("#huddle-title", Static).update(
            f"{huddle_heading(huddle)} · lead {printable(huddle.lead)}"
        )
        self._say("Notes save with ctrl+s, on raising an action and on closing.")
        self.query_one("#huddle-views", ContentSwitcher).current = "huddle-running"
        self.query_one(HuddleTimer).start(self._limit_s(huddle), self._elapsed_s)
        self.refresh_bindings()
        self.focus_main()
        self.reload()

    def _limit_s(self, huddle: Huddle) -> int:
        settings = self.board.settings
        minutes = settings.daily_huddle_minutes
        if huddle.kind == "weekly":
            minutes = settings.weekly_huddle_minutes
        return minutes * 60

    def _elapsed_s(self) -> float:
        if self.running is None:
            return 0.0
        return self.running.elapsed_s(self.board.monotonic())

    async def _build_agenda(self, huddle: Huddle) -> None:
        agenda = self.query_one("#huddle-agenda", VerticalScroll)
        await agenda.remove_children()
        sections = []
        for number, (key, title) in enumerate(AGENDAS[huddle.kind], start=1):
            note = TextArea(
                huddle.notes.get(key, ""), id=f"note-{key}", soft_wrap=True, compact=True
            )
            heading = Label(f"{number}. {title}", classes="agenda-title")
            sections.append(Vertical(heading, note, classes="agenda-section"))
        await agenda.mount_all(sections)

    async def _build_attendance(self, huddle: Huddle) -> None:
        box = self.query_one("#huddle-attendance", Vertical)
        await box.remove_children()
        await box.mount_all(AttendanceRow(role, huddle.attendance.get(role, 0)) for role in ROLES)

    # -- saving and closing ---------------------------------------------------------------------

    def _say(self, text: str, refused: bool = False) -> None:
        status = self.query_one("#huddle-status", Static)
        status.update(text)
        status.set_class(refused, "refused")

    def _notes(self, huddle: Huddle) -> dict[str, str]:
        """Every non-empty note, checked; a refused note is focused and InvalidInput raised."""
        notes = {}
        for key, title in AGENDAS[huddle.kind]:
            area = self.query_one(f"#note-{key}", TextArea)
            try:
                text = commands.check_text(area.text, "note")
            except InvalidInput as refused:
                area.focus()
                raise InvalidInput("note", f"Not saved — {title}: {refused.message}") from None
            if text:
                notes[key] = text
        return notes

    def _save_progress(self, close: bool) -> None:
        """Check the notes, then save them with attendance and time so far (ctrl+s, on
        raising an action, and for good on closing)."""
        running = self.running
        if running is None:
            return
        try:
            notes = self._notes(running.huddle)
        except InvalidInput as refused:
            self._say(refused.message, refused=True)
            return
        self._warnings = [w for note in notes.values() for w in privacy.find_warnings(note)]
        attendance = {row.role: row.count for row in self.query(AttendanceRow)}
        progress = HuddleProgress(running.huddle.id, attendance, notes, int(self._elapsed_s()))
        self.board.save(self._writer(progress, close), "huddle", "Initials to save the huddle")

    def _writer(self, progress: HuddleProgress, close: bool) -> Write:
        def write(db: Database, author: commands.Author) -> None:
            commands.save_huddle(
                db,
                author,
                progress.huddle_id,
                attendance=progress.attendance,
                notes=progress.notes,
                duration_s=progress.duration_s,
                close=close,
            )
            self.post_message(self.Saved(progress.huddle_id, close))

        return write

    @on(Button.Pressed, "#save-notes")
    def action_save_notes(self) -> None:
        self._save_progress(close=False)

    @on(Button.Pressed, "#close-huddle")
    def action_close_huddle(self) -> None:
        self._save_progress(close=True)

    def on_huddle_pane_saved(self, message: Saved) -> None:
        if self.running is None or self.running.huddle.id != message.huddle_id:
            return
        if message.closed:
            self._end(message.huddle_id)
            return
        saved = f"✔ Saved at {self.board.clock.now():%H:%M}."
        self._say(" ⚠ ".join([saved, *dict.fromkeys(self._warnings)]))

    def _end(self, huddle_id: str) -> None:
        """Back to the start view, with the closed huddle selected in the list."""
        self.running = None
        self._running_id = None
        self._selected_id = huddle_id
        self.query_one(HuddleTimer).stop()
        self.query_one("#huddle-views", ContentSwitcher).current = "huddle-start"
        self.refresh_bindings()
        self.query_one("#huddle-list", DataTable).focus()
        self.reload()

    @on(Button.Pressed, "#raise-action")
    def action_raise_action(self) -> None:
        running = self.running
        if running is None:
            return
        heading = huddle_heading(running.huddle)
        form = ActionForm(running.huddle.id, heading, self.board.clock.today())
        self.app.push_screen(form, callback=self._action_raised)

    def _action_raised(self, action_id: str | None) -> None:
        if action_id is not None:
            self._save_progress(close=False)

    def action_leave_notes(self) -> None:
        """Escape from a notes field to the attendance, so the one-key actions work."""
        if self.running is not None:
            self.query_one(AttendanceRow).focus()

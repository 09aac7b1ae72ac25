"""The Sync screen: how the push to the board's central store is going, in full words, and the
entries the store would not take ("set aside"), each with what it is and the store's reason.
An admin can put the highlighted entry, or all of them, back in the queue; nothing set aside is
ever deleted here. When sync is not set up, the screen says how to set it up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.console import JustifyMethod
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, Static

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db import Reader

from huddle_board.db.commands import Author
from huddle_board.db.queries import entry_labels
from huddle_board.privacy import printable
from huddle_board.ui.widgets.grid import BoardGrid, GridColumn, GridRow
from huddle_board.ui.widgets.header import local_time, one_line, sync_state
from huddle_board.ui.widgets.pane import BoardPane, pane_css
from sync.state import SetAsideEntry, SyncStatus, read_status, retry_set_aside, set_aside_entries

# How often the screen reads again while it is on show (the push job sets entries aside in its
# own thread or process).
REFRESH_S = 5.0
LISTED = 1000  # entries set aside shown at most (oldest first); "retry all" takes them all
COLUMNS = ("entity", "what", "rev", "queued", "attempts", "reason")
WIDE_FIXED = {"entity": 10, "rev": 5, "queued": 16, "attempts": 8}
NARROW_FIXED = {"entity": 10, "rev": 4, "queued": 12, "attempts": 5}
WIDE_PANE = 110  # below this pane width, the fixed columns narrow
MIN_FLEX = 16
ENTITY_NAMES = {
    "measure": "Measure",
    "week_value": "Week value",
    "idea": "Idea",
    "pdsa_cycle": "PDSA cycle",
    "huddle": "Huddle",
    "action": "Action",
}
SET_UP_HELP = (
    "To set up sync, add the central store's address and the file holding this board's device "
    "token to the board's settings file, then start the board again:\n"
    '    store_url = "https://huddle-central.example.nhs.uk"\n'
    '    token_file = "/etc/huddle-board/token"\n'
    "(or set HUDDLE_STORE_URL and HUDDLE_TOKEN_FILE). IT makes the token with "
    "`huddle-central token create`; its file must be readable by this user only (chmod 600)."
)
NOTHING_SET_ASIDE = "Nothing set aside: every entry has been taken by the store or waits its turn."


def entries(count: int) -> str:
    return "1 entry" if count == 1 else f"{count:,} entries"


@dataclass(frozen=True)
class SetAsideRow:
    """One entry set aside, with what it is in words (read from the board's own tables)."""

    entry: SetAsideEntry
    what: str

    @property
    def key(self) -> str:
        return f"{self.entry.entity}/{self.entry.entity_id}"


@dataclass(frozen=True)
class SyncData:
    today: dt.date  # the times shown say "today" or a weekday: a new day draws them again
    status: SyncStatus
    rows: tuple[SetAsideRow, ...]


# -- the words on screen ------------------------------------------------------------------------


def full_when(moment: dt.datetime, now: dt.datetime) -> str:
    """'09:14 today', 'Tue 24 Nov 14:02', '12 Nov 2025 14:02'."""
    local = local_time(moment, now)
    if local.date() == now.date():
        return f"{local:%H:%M} today"
    if local.year == now.year:
        return f"{local:%a %d %b %H:%M}"
    return f"{local:%d %b %Y %H:%M}"


def status_text(status: SyncStatus, now: dt.datetime) -> Text:
    """The sync state in full words: symbol, word and colour together."""
    state = sync_state(status)
    waiting = (
        "nothing waiting to be sent"
        if not status.waiting
        else f"{entries(status.waiting)} waiting to be sent"
    )
    if state == "sync-off":
        line = Text.assemble(("○ Sync is not set up", "bold"))
        line.append(": this board's entries are kept on this computer only.")
    elif state == "sync-refused":
        reason = one_line(status.refused or "")
        line = Text.assemble((f"✖ The central store refused this board: {reason}.", "bold red"))
        line.append(f" Call IT. {waiting.capitalize()}; nothing is lost.", style="bold")
    elif state == "sync-offline":
        assert status.offline_since is not None
        since = full_when(status.offline_since, now)
        line = Text.assemble((f"⚠ Offline since {since}", "bold yellow"))
        line.append(f": the central store cannot be reached. {waiting.capitalize()}")
        line.append("; they are sent when it is back." if status.waiting else ".")
    elif state == "sync-ok":
        assert status.last_success_at is not None
        since = full_when(status.last_success_at, now)
        line = Text.assemble((f"✔ Synced at {since}", "bold green"))
        line.append(f": {waiting}.")
    else:
        line = Text.assemble(("◌ Not synced yet", "bold"))
        line.append(f": {waiting}.")
    if status.set_aside:
        listed = "listed below" if status.set_aside <= LISTED else f"the first {LISTED:,} below"
        line.append(
            f"\n▲ {entries(status.set_aside)} set aside ({listed}): kept, and sent again "
            "when retried.",
            style="bold magenta",
        )
    extra = []
    if status.last_attempt_at is not None:
        extra.append(f"Last attempt {full_when(status.last_attempt_at, now)}")
    if status.detail and status.configured and status.detail != status.refused:
        extra.append(one_line(status.detail))
    if extra:
        line.append("\n" + " · ".join(extra), style="dim")
    return line


def queued_text(queued_at: str, now: dt.datetime, wide: bool = True) -> str:
    """When an entry was queued (a UTC stamp in the outbox), in the board's time zone:
    'Thu 26 Nov 09:00', or '26 Nov 09:00' in a narrow column."""
    try:
        moment = dt.datetime.fromisoformat(queued_at.replace("Z", "+00:00"))
    except ValueError:
        return one_line(queued_at)
    local = local_time(moment, now)
    if local.year != now.year:
        return f"{local:%d %b %Y %H:%M}" if wide else f"{local:%d %b %Y}"
    return f"{local:%a %d %b %H:%M}" if wide else f"{local:%d %b %H:%M}"


def column_widths(pane_width: int) -> dict[str, int]:
    """The two free-text columns (what it is, the reason) share what the others leave; on a
    narrow pane the others shorten first."""
    fixed = WIDE_FIXED if pane_width >= WIDE_PANE else NARROW_FIXED
    # two cells of padding per column, and the vertical scrollbar
    free = pane_width - sum(fixed.values()) - 2 * len(COLUMNS) - 2
    what = max(MIN_FLEX, free * 2 // 5)
    return {**fixed, "what": what, "reason": max(MIN_FLEX, free - what)}


def row_cells(row: SetAsideRow, now: dt.datetime, wide: bool = True) -> tuple[Text, ...]:
    """The table cells of one entry, in COLUMNS order; user text is never markup."""

    def cut(text: str, justify: JustifyMethod = "left") -> Text:
        return Text(text, justify=justify, no_wrap=True, overflow="ellipsis")

    entry = row.entry
    return (
        cut(ENTITY_NAMES.get(entry.entity, one_line(entry.entity))),
        cut(one_line(row.what) or "— not on this board —"),
        cut(str(entry.rev), justify="right"),
        cut(queued_text(entry.queued_at, now, wide)),
        cut(str(entry.attempts), justify="right"),
        cut(one_line(entry.reason) or "—"),
    )


def detail_text(row: SetAsideRow) -> Text:
    """The highlighted entry in full, under the table (the cells may be cut short)."""
    entry = row.entry
    name = ENTITY_NAMES.get(entry.entity, one_line(entry.entity))
    detail = Text.assemble((f"{name}: {printable(row.what) or '— not on this board —'}", "bold"))
    detail.append(f"  (rev {entry.rev}, id {one_line(entry.entity_id)})")
    detail.append("\n▲ The store's reason: ", style="bold magenta")
    detail.append(printable(entry.reason) or "none given")
    return detail


# -- the screen ----------------------------------------------------------------------------------


class SyncPane(BoardPane):
    """The sync state and the entries set aside; retry the highlighted one (r) or all (a)."""

    DEFAULT_CSS = pane_css(__file__)
    SCOPED_CSS = False  # its styles also reach the forms it opens

    # The outbox and the sync state are not synced tables: read every time.
    TABLES = ()

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "retry", "Retry entry"),
        Binding("a", "retry_all", "Retry all"),
    ]

    class Retried(Message):
        """Entries were put back in the queue (from the write's worker thread)."""

        def __init__(self, count: int, asked: int) -> None:
            super().__init__()
            self.count = count
            self.asked = asked

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._data: SyncData | None = None
        self._shown: dict[str, SetAsideRow] = {}
        self._widths: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        yield Static("", id="sync-status", markup=False)
        yield Static("", id="sync-help", markup=False)
        yield BoardGrid(id="sync-table", zebra=True)
        yield Static("", id="sync-detail", markup=False)
        with Horizontal(classes="pane-buttons", id="sync-buttons"):
            yield Button("Retry entry (r)", id="sync-retry", variant="primary")
            yield Button("Retry all (a)", id="sync-retry-all", variant="warning")

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REFRESH_S, self._tick)

    def _tick(self) -> None:
        if self.loaded_once and self.is_active:
            self.reload()

    @property
    def table(self) -> BoardGrid:
        return self.query_one("#sync-table", BoardGrid)

    @property
    def configured(self) -> bool:
        return self.board.settings.sync_configured

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The retry keys are not offered (nor shown in the footer) when sync is not set up:
        nothing can have been set aside."""
        return self.configured or action not in ("retry", "retry_all")

    # -- loading and showing ---------------------------------------------------------------

    def fetch(self, db: Reader) -> SyncData:
        status = read_status(db, self.configured)
        entries = set_aside_entries(db, limit=LISTED)
        labels = entry_labels(db, ((e.entity, e.entity_id) for e in entries))
        rows = tuple(
            SetAsideRow(entry, labels.get((entry.entity, entry.entity_id), "")) for entry in entries
        )
        return SyncData(self.board.clock.today(), status, rows)

    def show(self, data: SyncData) -> None:
        self._data = data
        now = self.board.clock.now()
        self.query_one("#sync-status", Static).update(status_text(data.status, now))
        empty = not data.rows
        help_text = NOTHING_SET_ASIDE if self.configured else SET_UP_HELP
        self.query_one("#sync-help", Static).update(Content(help_text))
        self.set_class(empty, "-empty")
        self.set_class(not self.configured, "-off")
        with self.app.batch_update():
            self._fill_table(data, column_widths(self.size.width or self.app.size.width))
        self._show_detail()

    def _fill_table(self, data: SyncData, widths: dict[str, int]) -> None:
        wide = widths["queued"] == WIDE_FIXED["queued"]
        attempts = "Attempts" if wide else "Tries"
        titles = ("Entity", "What it is", "Rev", "Queued", attempts, "Store's reason")
        columns = [
            GridColumn(
                key,
                Text(title, justify="right" if key in ("rev", "attempts") else "left"),
                widths[key],
            )
            for key, title in zip(COLUMNS, titles, strict=True)
        ]
        now = self.board.clock.now()
        self.table.set_table(
            columns, [GridRow(row.key, row_cells(row, now, wide)) for row in data.rows]
        )
        self._shown = {row.key: row for row in data.rows}
        self._widths = widths

    def _show_detail(self) -> None:
        row = self.highlighted()
        detail = self.query_one("#sync-detail", Static)
        detail.update(detail_text(row) if row is not None else "")

    @on(BoardGrid.Highlighted, "#sync-table")
    def _highlighted(self) -> None:
        self._show_detail()

    def on_resize(self, event: events.Resize) -> None:
        if self._data is not None and column_widths(event.size.width) != self._widths:
            with self.app.batch_update():
                self._fill_table(self._data, column_widths(event.size.width))

    def highlighted(self) -> SetAsideRow | None:
        key = self.table.cursor_key
        return None if key is None else self._shown.get(key)

    # -- retry -------------------------------------------------------------------------------

    @on(Button.Pressed, "#sync-retry")
    def action_retry(self) -> None:
        """Put the highlighted entry back in the queue."""
        row = self.highlighted()
        if row is None:
            self.notify("Nothing is set aside: there is nothing to retry.")
            return
        self._retry([(row.entry.entity, row.entry.entity_id)], "Initials to retry this entry")

    @on(Button.Pressed, "#sync-retry-all")
    def action_retry_all(self) -> None:
        """Put every entry set aside back in the queue (those beyond the list's first
        LISTED too)."""
        if not self._shown:
            self.notify("Nothing is set aside: there is nothing to retry.")
            return
        count = self._data.status.set_aside if self._data else len(self._shown)
        self._retry(None, f"Initials to retry all {entries(max(count, len(self._shown)))}")

    def _retry(self, keys: list[tuple[str, str]] | None, purpose: str) -> None:
        """Clear the set-aside mark of `keys` (all when None) in a worker; the push job sends
        them on its next cycle. Initials are asked, as for any change on the board."""

        def write(db: Database, author: Author) -> None:
            count = retry_set_aside(db.conn, keys)
            self.post_message(self.Retried(count, count if keys is None else len(keys)))

        self.board.save(write, "sync", purpose)

    def on_sync_pane_retried(self, message: Retried) -> None:
        message.stop()
        text = f"{entries(message.count)} back in the queue: the next push sends them."
        if message.count < message.asked:
            text += f" ({message.asked - message.count} had already left the list.)"
        self.notify(text, markup=False)

"""The board's header: ward name, open and overdue actions, the sync state, date, time and ISO
week, readable from across the corridor. On a narrow terminal the parts shorten, so that
all of them stay on the one line."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, NamedTuple, cast

from rich.cells import cell_len
from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from huddle_board.clock import Clock
from huddle_board.db import queries
from huddle_board.model import Ward, iso_week_label, week_start
from huddle_board.privacy import printable
from huddle_board.ui.widgets.failures import ReportsWorkerFailures

if TYPE_CHECKING:
    from huddle_board.ui.app import HuddleBoardApp
    from sync.state import SyncStatus

# How often the header reads the sync state again (the push job writes it in its own thread
# or process, so the board cannot be told; a read is one row and two counts).
SYNC_REFRESH_S = 5.0
# The ward name keeps at least this many cells before the other parts shorten.
WARD_MIN = 20
# The longest refusal reason shown in the header; the sync screen shows all of it.
REFUSED_MAX = 40
NOT_SET_UP = ("sync not set up",) * 4 + ("no sync",)
SYNC_CLASSES = ("sync-off", "sync-ok", "sync-pending", "sync-offline", "sync-refused")


def one_line(text: str) -> str:
    """Text from the store made printable and flattened onto one line."""
    return " ".join(printable(text).split())


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def local_time(moment: dt.datetime, now: dt.datetime) -> dt.datetime:
    """`moment` (UTC when it carries no zone) in the board clock's time zone."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(now.tzinfo) if now.tzinfo else moment


def when(moment: dt.datetime, now: dt.datetime) -> str:
    """'09:14' today, 'Tue 14:02' within the last week, '12 Nov 14:02' before that."""
    moment = local_time(moment, now)
    days = (now.date() - moment.date()).days
    if days == 0:
        return f"{moment:%H:%M}"
    if 0 < days < 7:
        return f"{moment:%a %H:%M}"
    if moment.year == now.year:
        return f"{moment:%d %b %H:%M}"
    return f"{moment:%d %b %Y %H:%M}"


def sync_state(status: SyncStatus) -> str:
    """The state by name (also the header's colour class): off, ok, pending (never synced
    yet, nothing wrong), offline or refused."""
    if not status.configured:
        return "sync-off"
    if status.refused:
        return "sync-refused"
    if status.offline_since is not None:
        return "sync-offline"
    if status.last_success_at is not None:
        return "sync-ok"
    return "sync-pending"


def sync_texts(status: SyncStatus, now: dt.datetime) -> tuple[str, ...]:
    """The header's sync text, longest first: symbol and word always together, so the state
    never rests on colour alone."""
    state = sync_state(status)
    if state == "sync-off":
        return NOT_SET_UP
    if state == "sync-refused":
        reason = shorten(one_line(status.refused or ""), REFUSED_MAX)
        long, short, waiting = f"✖ sync refused: {reason} — call IT", "✖ sync refused", ""
    elif state == "sync-offline":
        assert status.offline_since is not None
        long = f"⚠ offline since {when(status.offline_since, now)}"
        short, waiting = "⚠ offline", f" · {status.waiting:,} waiting"
    elif state == "sync-ok":
        assert status.last_success_at is not None
        long = f"✔ synced {when(status.last_success_at, now)}"
        short, waiting = "✔ synced", f" · {status.waiting:,} waiting"
    else:
        long, short = "◌ not synced yet", "◌ not synced"
        waiting = f" · {status.waiting:,} waiting"
    if not status.set_aside:
        tiny = short + waiting if state == "sync-offline" else short
        return (long + waiting, short + waiting, short + waiting, short + waiting, tiny)
    aside, brief = f" · {status.set_aside:,} set aside", f" · {status.set_aside:,} aside"
    # the narrowest keep what needs someone's attention (set aside) before what will pass
    return (
        long + waiting + aside,
        short + waiting + aside,
        short + waiting + brief,
        short + brief,
        short + brief,
    )


class Layout(NamedTuple):
    counts: int
    sync: int
    clock: int


# From the widest header to the narrowest: the clock drops its year first, then the action
# counts their words, then the sync state its details, the clock its date, and last the sync
# state what can wait, and the clock its week.
LAYOUTS = (
    Layout(0, 0, 0),
    Layout(0, 0, 1),
    Layout(1, 0, 1),
    Layout(1, 1, 1),
    Layout(1, 2, 1),
    Layout(1, 1, 2),
    Layout(1, 2, 2),
    Layout(1, 3, 2),
    Layout(1, 3, 3),
    Layout(1, 4, 3),
)


class BoardHeader(ReportsWorkerFailures, Horizontal):
    # The sync state's colour goes with its symbol and word, never alone. A ward name too
    # long for a narrow board ends in an ellipsis rather than a cut word.
    DEFAULT_CSS = """
    BoardHeader {
        #header-ward {
            text-wrap: nowrap;
            text-overflow: ellipsis;
        }
        #header-sync.sync-ok {
            background: $success;
            text-style: bold;
        }
        #header-sync.sync-pending {
            text-style: bold;
        }
        #header-sync.sync-offline {
            background: $warning;
            text-style: bold;
        }
        #header-sync.sync-refused {
            background: $error;
            text-style: bold;
        }
        #header-sync.sync-off {
            color: $text-muted;
        }
    }
    """

    class Counts(Message):
        def __init__(self, open_count: int, overdue: int) -> None:
            super().__init__()
            self.open_count = open_count
            self.overdue = overdue

    class SyncRead(Message):
        """The sync state, read in a worker thread."""

        def __init__(self, status: SyncStatus) -> None:
            super().__init__()
            self.status = status

    def __init__(
        self,
        ward: Ward,
        clock: Clock,
        counts: tuple[int, int] | None = None,
        sync_configured: bool = False,
    ) -> None:
        """`counts`: (open, overdue) actions when read before the app started;
        `sync_configured`: whether the board pushes to a central store (else the header
        says so and never reads the sync state)."""
        super().__init__(id="header")
        self.ward = ward
        self.clock = clock
        self._counts = counts
        self.sync_configured = sync_configured
        self.sync_status: SyncStatus | None = None
        # Kiosk mode: when the board last read its store ('HH:MM'), shown after the clock.
        self.as_of: str | None = None
        # each part's texts, longest first
        self._clock_texts: tuple[str, ...] = ("",)
        self._count_texts: tuple[str, ...] = ("",)
        self._sync_texts: tuple[str, ...] = ("◌ sync …",) if sync_configured else NOT_SET_UP

    def compose(self) -> ComposeResult:
        yield Static(Content(self.ward.name), id="header-ward", markup=False)
        yield Static("", id="header-counts", markup=False)
        sync = Static("", id="header-sync", markup=False)
        sync.add_class("sync-pending" if self.sync_configured else "sync-off")
        yield sync
        yield Static("", id="header-clock", markup=False)

    def on_mount(self) -> None:
        self.tick()
        self.set_interval(1, self.tick)
        if self._counts is None:
            self.refresh_counts()
        else:
            self.on_board_header_counts(self.Counts(*self._counts))
        if self.sync_configured:
            self.refresh_sync()
            self.set_interval(SYNC_REFRESH_S, self.refresh_sync)

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def tick(self) -> None:
        now = self.clock.now()
        week = iso_week_label(week_start(now.date()))
        long = short = ""
        if self.as_of is not None:
            long, short = f" · data as of {self.as_of}", f" · as of {self.as_of}"
        self._clock_texts = (
            f"{now:%a %d %b %Y}  {now:%H:%M}  {week}{long}",
            f"{now:%a %d %b}  {now:%H:%M}  {week[5:]}{long}",
            f"{now:%H:%M}  {week[5:]}{short}",
            f"{now:%H:%M}{short}",
        )
        self._fit()

    def show_ward(self, ward: Ward) -> None:
        """The ward was renamed (admin screen)."""
        self.ward = ward
        self.query_one("#header-ward", Static).update(Content(ward.name))
        self._fit()

    def show_as_of(self, moment: dt.datetime) -> None:
        """Kiosk mode: say when the data was last read from the store."""
        self.as_of = f"{moment:%H:%M}"
        self.tick()

    # -- actions ------------------------------------------------------------------------------

    def refresh_counts(self) -> None:
        self._count()

    @work(thread=True, exclusive=True, exit_on_error=False, group="counts")
    def _count(self) -> None:
        board = cast("HuddleBoardApp", self.app)
        with board.store.session() as db:
            open_count, overdue = queries.action_counts(db, self.clock.today())
        self.post_message(self.Counts(open_count, overdue))

    def on_board_header_counts(self, message: Counts) -> None:
        overdue = f", {message.overdue} overdue" if message.overdue else ""
        self._count_texts = (
            f"{message.open_count} open actions{overdue}",
            f"{message.open_count} open{overdue}",
        )
        self.query_one("#header-counts", Static).set_class(message.overdue > 0, "overdue")
        self._fit()

    # -- sync -----------------------------------------------------------------------------------

    def refresh_sync(self) -> None:
        """Read the sync state again (in a worker: never on the event loop)."""
        if self.sync_configured:
            self._read_sync()

    @work(thread=True, exclusive=True, exit_on_error=False, group="sync")
    def _read_sync(self) -> None:
        # imported here, in the worker: a board without sync never loads the sync code
        from sync.state import read_status

        board = cast("HuddleBoardApp", self.app)
        with board.store.session() as db:
            status = read_status(db, self.sync_configured)
        self.post_message(self.SyncRead(status))

    def on_board_header_sync_read(self, message: SyncRead) -> None:
        self.sync_status = message.status
        self._sync_texts = sync_texts(message.status, self.clock.now())
        sync = self.query_one("#header-sync", Static)
        state = sync_state(message.status)
        for name in SYNC_CLASSES:
            sync.set_class(name == state, name)
        self._fit()

    # -- fitting the line -----------------------------------------------------------------------

    def _fit(self) -> None:
        """Show the longest texts that leave the ward name its room on this width."""
        width = self.size.width or self.app.size.width
        ward = min(cell_len(self.ward.name), WARD_MIN) + 2  # its padding: 1 either side
        chosen = LAYOUTS[-1]
        for layout in LAYOUTS:
            if ward + self._width_of(layout) <= width:
                chosen = layout
                break
        self._show("#header-counts", self._count_texts, chosen.counts)
        self._show("#header-sync", self._sync_texts, chosen.sync)
        self._show("#header-clock", self._clock_texts, chosen.clock)

    def _width_of(self, layout: Layout) -> int:
        # padding: 2 either side of the counts and the sync state, 1 either side of the clock
        return (
            cell_len(_pick(self._count_texts, layout.counts))
            + 4
            + cell_len(_pick(self._sync_texts, layout.sync))
            + 4
            + cell_len(_pick(self._clock_texts, layout.clock))
            + 2
        )

    def _show(self, selector: str, texts: tuple[str, ...], index: int) -> None:
        widget = self.query_one(selector, Static)
        text = _pick(texts, index)
        if str(widget.content) != text:
            widget.update(Content(text))


def _pick(texts: tuple[str, ...], index: int) -> str:
    return texts[min(index, len(texts) - 1)]

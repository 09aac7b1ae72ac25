"""The board's Textual app: a header (ward, actions, sync state, date, time, ISO week), a tab
bar over the five screens (box score, ideas, huddle, actions, sync), a banner for problems, and
a footer of keys.

The app reads no files and no environment: `make_app` gets everything it needs.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import time
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.content import Content
from textual.message import Message
from textual.widgets import Static, TabbedContent, TabPane, Tabs
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db.commands import Author
    from huddle_board.kiosk import PinGuard
    from sync.job import PushJob

from huddle_board.clock import Clock
from huddle_board.config import Settings
from huddle_board.db import StoreHealth, StoreInterrupted, StoreUnavailable
from huddle_board.model import Ward
from huddle_board.staleness import BURN_IN_OFFSETS, is_night, parse_hhmm
from huddle_board.ui.messages import DataChanged, Problem
from huddle_board.ui.screens.box_score import BoxScorePane
from huddle_board.ui.store import StoreAccess
from huddle_board.ui.theme import use_theme
from huddle_board.ui.widgets.footer import BoardFooter
from huddle_board.ui.widgets.header import BoardHeader
from huddle_board.ui.widgets.pane import BoardPane

Write = Callable[["Database", "Author"], Any]

# (tab id, tab title, module, class): panes other than the box score are imported and built
# on their first visit, so the board starts as fast as it can.
PANES: tuple[tuple[str, str, str, str], ...] = (
    ("box-score", "1 Box score", "box_score", "BoxScorePane"),
    ("ideas", "2 Ideas", "ideas", "IdeasPane"),
    ("huddle", "3 Huddle", "huddle", "HuddlePane"),
    ("actions", "4 Actions", "actions", "ActionsPane"),
    ("sync", "5 Sync", "sync", "SyncPane"),
)

# What kiosk mode shows, in turn, once nobody has touched the board for a while.
ROTATION = ("box-score", "ideas", "actions", "huddle")
# Input that counts as somebody using the board (stops rotation, restarts the idle count).
TOUCH_EVENTS = (events.Key, events.MouseDown, events.MouseScrollDown, events.MouseScrollUp)
# Kiosk mode: how often the board checks whether its data is stale and whether it is night.
KIOSK_CHECK_S = 60.0
# While the store has a fault: how often the board tries it again.
STORE_WATCH_S = 5.0


def pane_class(module: str, name: str) -> type[BoardPane]:
    found: type[BoardPane] = getattr(
        importlib.import_module(f"huddle_board.ui.screens.{module}"), name
    )
    return found


class BoardTabs(TabbedContent):
    """The tab bar over the board's screens. Unlike TabbedContent, focusing a widget does not
    switch tabs: only a key or a click does, so a late focus in a pane the user has left
    (a form closing, a load finishing) never pulls the board back to it."""

    # Textual calls the handler of every class in the MRO: `prevent_default` keeps
    # TabbedContent's own from running after these.

    def _on_tab_pane_focused(self, event: TabPane.Focused) -> None:
        event.stop()
        event.prevent_default()

    def _on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        """A tab bar's activation that arrives after the board has moved on (two switches in
        quick succession: keys pressed fast, or the kiosk's rotation) would switch back to
        the older tab: only the tab the bar shows now counts."""
        if event.tabs.active != (event.tab.id or ""):
            event.stop()
            event.prevent_default()


class KioskChecked(Message):
    """What the kiosk's staleness check read (in a worker): why the data is stale, if it is,
    and when the store was read."""

    def __init__(self, reasons: list[str], read_at: dt.datetime) -> None:
        super().__init__()
        self.reasons = reasons
        self.read_at = read_at


class HuddleBoardApp(App[None]):
    # Only the shell's styles at start: each screen brings its own (`pane_css`) when it is
    # first built, so start-up parses and matches only what the first frame shows.
    CSS_PATH: ClassVar[list[str | PurePath]] = ["app.tcss"]
    # Kiosk mode only: nothing outside it has these classes or ids, so the board looks the
    # same there. Tint applies per widget, hence the universal selector for the night.
    CSS = """
    #stale-banner {
        display: none;
        height: auto;
        background: $warning;
        color: $text;
        text-style: bold;
        padding: 0 1;
    }
    #stale-banner.stale {
        display: block;
    }
    Screen.-night, Screen.-night * {
        tint: black 55%;
    }
    """
    TITLE = "huddle-board"
    ENABLE_COMMAND_PALETTE = False
    # No automatic focus on the board's screen: Textual would pick the first focusable widget
    # even in a hidden tab, and TabbedContent then switches to that tab. Each pane focuses its
    # own main widget when shown; forms set their own AUTO_FOCUS.
    AUTO_FOCUS = None
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("1", "show_pane('box-score')", "Box score", key_display="1"),
        Binding("2", "show_pane('ideas')", "Ideas", key_display="2"),
        Binding("3", "show_pane('huddle')", "Huddle", key_display="3"),
        Binding("4", "show_pane('actions')", "Actions", key_display="4"),
        Binding("5", "show_pane('sync')", "Sync", key_display="5"),
        # Kiosk mode only (`check_action`): outside it the key is neither shown nor handled.
        Binding("f9", "admin", "Admin", key_display="F9"),
        # Not in kiosk mode (`check_action`): there, the admin menu has it.
        Binding("W", "week_review", "Week review", key_display="W"),
        Binding("m", "measures", "Measures", show=False),
        Binding("i", "import_values", "Import CSV", show=False),
        Binding("ctrl+q", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        settings: Settings,
        store: StoreAccess,
        ward: Ward,
        clock: Clock,
        monotonic: Callable[[], float] = time.monotonic,
        first_screen: Any = None,
        first_counts: tuple[int, int] | None = None,
        manage_gc: bool = False,
    ) -> None:
        super().__init__()
        use_theme(self, settings.theme)
        self.manage_gc = manage_gc
        # Started in worker threads once the first frame is drawn, so they never delay it
        # (the CLI puts the sync job here), and how to ask that job for a cycle now.
        self.after_first_frame: list[Callable[[], None]] = []
        self.sync_job: PushJob | None = None
        self.sync_wake: Callable[[], None] | None = None
        self.first_screen = first_screen
        self.first_counts = first_counts
        self.settings = settings
        # The settings before the kiosk's own (admin screen) values: what a value set back to
        # empty there returns to. `cli.prepare_board` sets it; otherwise the same.
        self.file_settings = settings
        self.store = store
        self.ward = ward
        self.clock = clock
        self.monotonic = monotonic
        self._initials: tuple[str, float] | None = None
        # Kiosk mode: when somebody last touched the board, and the rotation's step (None
        # while it is not rotating) and when it last moved.
        self._last_touch = monotonic()
        self._rotation_step: int | None = None
        self._rotated_at = 0.0
        self._pin_guard: PinGuard | None = None
        # Kiosk mode: the burn-in guard's step and when it last moved; when the store was
        # last read (what "data as of" says) and why the data is stale.
        self._burn_in_step = 0
        self._burn_in_at = monotonic()
        self.data_as_of: dt.datetime | None = None
        self.stale: list[str] = []
        # The store's faults: writes refused for now and kept to run again, and what the
        # banner says of them now.
        self._pending_writes: list[tuple[Write, str, str]] = []
        self._problem = ""
        self._banner_shown = ""

    def compose(self) -> ComposeResult:
        yield BoardHeader(self.ward, self.clock, self.first_counts, self.settings.sync_configured)
        standing = self.standing_notice()
        yield Static(standing, id="banner", markup=False, classes="shown" * bool(standing))
        if self.settings.kiosk:
            yield Static("", id="stale-banner", markup=False)
        with BoardTabs(id="panes"):
            for pane_id, title, _, _ in PANES:
                with TabPane(title, id=pane_id):
                    if pane_id == "box-score":
                        yield BoxScorePane(id=f"{pane_id}-pane", initial=self.first_screen)
        yield BoardFooter()

    # -- memory -----------------------------------------------------------------------------
    # With `manage_gc` (the board as `huddle-board` starts it), start-up runs with the cyclic
    # garbage collector off, and what start-up and each screen's first build make, which lives
    # as long as the board, is frozen out of the collector's way. Otherwise every full
    # collection walks some 200,000 objects: 100-200 ms, and they come on screen switches.
    # Freezing happens once per screen, so what it keeps back from the collector is bounded.

    def on_mount(self) -> None:
        self._banner_shown = self.standing_notice()
        self.call_after_refresh(self._first_frame_drawn)
        self.set_interval(STORE_WATCH_S, self.store_watch)
        if self.settings.kiosk:
            self.set_interval(1, self.rotation_tick)
            self.set_interval(1, self.burn_in_tick)
            self.set_interval(KIOSK_CHECK_S, self.kiosk_check)
            self.night_tick()

    def _first_frame_drawn(self) -> None:
        if self.manage_gc:
            self.freeze_long_lived()
            gc.enable()
        for task in self.after_first_frame:
            self.run_worker(task, thread=True, exit_on_error=False, group="start")
        if self.settings.kiosk:
            self.kiosk_check()

    def freeze_long_lived(self) -> None:
        """Move everything alive now out of the collector's way (`gc.freeze`)."""
        if self.manage_gc:
            gc.freeze()

    # -- the store's faults ----------------------------------------------------------------
    # A damaged file (found at start) stays in the banner. A read that fails (the file cannot
    # be read) or a write refused for now (locked by another program, read-only or full disk)
    # shows in the banner while it lasts: the board keeps showing its last data, tries again
    # every STORE_WATCH_S, and the banner goes once the file works again.

    def standing_notice(self) -> str:
        """What the banner says while the store has a fault ("" when it has none)."""
        lines = []
        if not self.store.writable:
            lines.append(
                f"⚠ {self.store.health.problem} — changes are not being saved; call IT. "
                "The data shown is kept."
            )
        elif self.store.write_fault:
            waiting = len(self._pending_writes)
            kept = f"{waiting} change{'s are' if waiting != 1 else ' is'} waiting. " * bool(waiting)
            lines.append(
                f"⚠ {self.store.write_fault}. {kept}Nothing is lost: the board tries again "
                "by itself."
            )
        if self.store.read_fault:
            lines.append(
                f"⚠ Showing the data as of {self._as_of()}: {self.store.read_fault}. "
                "The board tries again by itself."
            )
        return "\n".join(lines)

    def _as_of(self) -> str:
        at = self.store.last_read_at
        return "start-up" if at is None else at.strftime("%H:%M")

    def store_watch(self) -> None:
        """Every STORE_WATCH_S: while the store has a fault, try it again (in a worker) and
        keep the banner in step with it."""
        if self.store.read_fault:
            for pane in self.query(BoardPane):
                if pane.is_active:
                    pane.reload()
        if self.store.write_fault and self.store.writable:
            self._probe_write()
        self.show_standing()

    @work(thread=True, exclusive=True, exit_on_error=False, group="store-watch")
    def _probe_write(self) -> None:
        if self.store.probe_write() and self._pending_writes:
            self.call_from_thread(self._retry_pending)

    def _retry_pending(self) -> None:
        pending, self._pending_writes = self._pending_writes, []
        for write, initials, what in pending:
            self._run_write(write, initials, what)

    def show_standing(self) -> None:
        """Draw the banner: the store's standing notice, then the latest problem if any."""
        text = "\n".join(part for part in (self.standing_notice(), self._problem) if part)
        banner = self.query_one("#banner", Static)
        if text != self._banner_shown:
            self._banner_shown = text
            banner.update(Content(text))
            banner.set_class(bool(text), "shown")

    # -- screens ---------------------------------------------------------------------------

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = pane_id

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        """Show a pane: built on its first visit (start-up builds only the box score), then
        reloaded in the background on every visit while its last data stays on screen."""
        if event.pane.id != event.tabbed_content.active:
            return  # a stale event: the user has moved on already
        found = event.pane.query(BoardPane)
        if found:
            found.first().visited()
            return
        # Let go of the focus now: a focused widget left in the hidden pane would pull the tab
        # bar back to it; the new pane takes the focus once it is mounted.
        self.set_focus(None)
        module, name = next((m, n) for pane_id, _, m, n in PANES if pane_id == event.pane.id)
        event.pane.mount(pane_class(module, name)(id=f"{event.pane.id}-pane"))

    # -- kiosk mode -------------------------------------------------------------------------
    # No key quits (Textual binds ctrl+q to `quit` and ctrl+c to `help_quit`, which suggests
    # ctrl+q), F9 opens the admin screens behind the PIN, and the board rotates through its
    # screens while nobody touches it. Outside kiosk mode none of this changes anything.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "admin":
            return self.settings.kiosk
        if action in ("measures", "import_values"):  # kiosk mode: behind the PIN (admin menu)
            return not self.settings.kiosk and len(self.screen_stack) == 1
        if action in ("show_pane", "week_review"):  # not from under another screen
            return len(self.screen_stack) == 1
        return True

    async def action_quit(self) -> None:
        if self.settings.kiosk:
            return  # only the admin menu ends a kiosk
        await super().action_quit()

    def action_help_quit(self) -> None:
        if self.settings.kiosk:
            return  # and no hint how to quit either
        super().action_help_quit()

    def action_admin(self) -> None:
        if not self.settings.kiosk:
            return
        from huddle_board.kiosk import PinGuard
        from huddle_board.ui.widgets.admin import AdminMenu, PinScreen

        if isinstance(self.screen, PinScreen | AdminMenu):
            return
        if self._pin_guard is None:
            self._pin_guard = PinGuard(self.monotonic)

        def chosen(choice: str | None) -> None:
            if choice == "exit":
                self.exit()
            elif choice == "retry":
                self.action_show_pane("sync")
            elif choice == "settings":
                self._open_settings()
            elif choice == "measures":
                self.action_measures()
            elif choice == "import":
                self.action_import_values()
            elif choice == "ward":
                from huddle_board.ui.widgets.admin_forms import WardSetupForm

                self.push_screen(WardSetupForm(self.ward, self.settings), callback=self.ward_set)

        def unlocked(right: bool | None) -> None:
            if right:
                self.push_screen(AdminMenu(), callback=chosen)

        self.push_screen(PinScreen(self.store, self._pin_guard), callback=unlocked)

    def action_week_review(self) -> None:
        """The coach's week review (and report-out), over the board."""
        from huddle_board.ui.screens.week_review import open_week_review

        open_week_review(self)

    def action_import_values(self) -> None:
        """Import a week's figures from a CSV file: from the admin menu in kiosk mode, `i`
        otherwise."""
        from huddle_board.ui.screens.import_form import ImportForm

        if len(self.screen_stack) == 1:
            self.push_screen(ImportForm())

    def action_measures(self) -> None:
        """The box score's measures: from the admin menu in kiosk mode, `m` otherwise."""
        from huddle_board.ui.widgets.measures import MeasuresScreen

        if len(self.screen_stack) == 1:
            self.push_screen(MeasuresScreen())

    @work(thread=True, exclusive=True, exit_on_error=False, group="admin")
    def _open_settings(self) -> None:
        from huddle_board.kiosk import stored_settings
        from huddle_board.ui.widgets.admin_forms import KioskSettingsForm

        with self.store.session() as conn:
            stored = stored_settings(conn)
        form = KioskSettingsForm(self.settings, self.file_settings, stored)
        self.call_from_thread(self.push_screen, form, self.apply_settings)

    def apply_settings(self, settings: Settings | None) -> None:
        """The admin screen saved the kiosk's settings: they apply at once."""
        if settings is None:
            return
        before, self.settings = self.settings, settings
        use_theme(self, settings.theme)
        if before.show_large_figures != settings.show_large_figures:
            self.query_one(BoxScorePane).set_large_figures(settings.show_large_figures)
        self.night_tick()
        self.notify("The kiosk's settings are saved and in force.", timeout=10)

    def ward_set(self, ward: Ward | None) -> None:
        """The admin screen renamed the ward: the header shows the new name."""
        if ward is None:
            return
        self.ward = ward
        self.query_one(BoardHeader).show_ward(ward)
        self.notify(f"The ward's name is now {ward.name}.", timeout=10, markup=False)

    async def on_event(self, event: events.Event) -> None:
        if self.settings.kiosk and isinstance(event, TOUCH_EVENTS) and not event.is_forwarded:
            self.touched()
        await super().on_event(event)

    def touched(self) -> None:
        """Somebody used the board: rotation stops and the idle count starts again."""
        self._last_touch = self.monotonic()
        self._rotation_step = None

    @property
    def rotating(self) -> bool:
        return self._rotation_step is not None

    def rotation_tick(self) -> None:
        """Called every second in kiosk mode: once the board has been idle for
        `idle_before_rotation_s`, show the ROTATION screens in turn, one every
        `rotation_every_s`. Not while a form or the admin screen is open: one left open for
        `form_timeout_s` with nobody touching the board is closed, unsaved."""
        if not self.settings.kiosk:
            return
        now = self.monotonic()
        if len(self.screen_stack) > 1:
            if now - self._last_touch >= self.settings.form_timeout_s:
                self.close_forgotten_screen()
            return
        if self._rotation_step is None:
            if now - self._last_touch < self.settings.idle_before_rotation_s:
                return
            step = 0
        elif now - self._rotated_at < self.settings.rotation_every_s:
            return
        else:
            step = (self._rotation_step + 1) % len(ROTATION)
        self._rotation_step = step
        self._rotated_at = now
        self.action_show_pane(ROTATION[step])

    def close_forgotten_screen(self) -> None:
        """Close the screen on top (a form, the PIN or the admin menu) as its Cancel or Close
        would: a closed form writes nothing. One a tick, so a stack of them goes in turn."""
        screen = self.screen
        self.log.info(f"kiosk: closing {type(screen).__name__}, left open with nobody about")
        screen.dismiss(None)
        if len(self.screen_stack) <= 2:
            minutes = round(self.settings.form_timeout_s / 60)
            self.show_problem(
                f"A screen was left open for {minutes} minute{'s' * (minutes != 1)} with nobody "
                "using the board: it was closed, and nothing unsaved in it was kept."
            )

    # -- kiosk display: stale data, night, burn-in ------------------------------------------

    def kiosk_check(self) -> None:
        """Every KIOSK_CHECK_S in kiosk mode: dim or not for the night, and read in a worker
        whether the data is stale."""
        if not self.settings.kiosk:
            return
        self.night_tick()
        self._check_stale()

    @work(thread=True, exclusive=True, exit_on_error=False, group="kiosk-check")
    def _check_stale(self) -> None:
        from huddle_board.db import queries
        from huddle_board.staleness import previous_week, stale_reasons

        today, now = self.clock.today(), self.clock.now()
        with self.store.session() as db:
            complete = not queries.box_score(db, previous_week(today), weeks=1).missing()
            last_success = None
            if self.settings.sync_configured:
                from sync.state import read_status

                last_success = read_status(db, True).last_success_at
        reasons = stale_reasons(today, now, complete, last_success, self.settings.sync_configured)
        self.post_message(KioskChecked(reasons, now))

    def on_kiosk_checked(self, message: KioskChecked) -> None:
        self.stale = message.reasons
        self.data_as_of = message.read_at
        self.query_one(BoardHeader).show_as_of(message.read_at)
        banner = self.query_one("#stale-banner", Static)
        banner.update(Content("\n".join(f"⚠ {reason}" for reason in message.reasons)))
        banner.set_class(bool(message.reasons), "stale")

    @property
    def night(self) -> bool:
        return self.screen_stack[0].has_class("-night") if self.screen_stack else False

    def night_tick(self) -> None:
        """In kiosk mode, dim every screen between `night_start` and `night_end`."""
        if not self.settings.kiosk:
            return
        night = is_night(
            self.clock.now().time(),
            parse_hhmm(self.settings.night_start),
            parse_hhmm(self.settings.night_end),
        )
        for screen in self.screen_stack:
            screen.set_class(night, "-night")

    @property
    def burn_in_offset(self) -> tuple[int, int]:
        return BURN_IN_OFFSETS[self._burn_in_step]

    def burn_in_tick(self) -> None:
        """In kiosk mode, every `burn_in_shift_s` move the whole layout to the next of
        BURN_IN_OFFSETS (one cell right, then down, then left, then back up)."""
        if not self.settings.kiosk:
            return
        now = self.monotonic()
        if now - self._burn_in_at < self.settings.burn_in_shift_s:
            return
        self._burn_in_at = now
        self._burn_in_step = (self._burn_in_step + 1) % len(BURN_IN_OFFSETS)
        x, y = self.burn_in_offset
        self.screen_stack[0].styles.padding = (y, 0, 0, x)

    # -- who is writing -------------------------------------------------------------------

    def remembered_initials(self) -> str | None:
        if self._initials is None:
            return None
        initials, at = self._initials
        if self.monotonic() - at > self.settings.initials_ttl_s:
            self._initials = None
            return None
        return initials

    def remember_initials(self, initials: str) -> None:
        self._initials = (initials, self.monotonic())

    def author(self, initials: str) -> Author:
        from huddle_board.db.commands import Author  # loaded with the first write, not at start

        return Author(ward=self.ward.code, initials=initials, clock=self.clock)

    def save(self, write: Write, what: str, purpose: str = "Initials for this change") -> None:
        """Run `write` in a worker once the writer's initials are known (asked if needed)."""
        initials = self.remembered_initials()
        if initials is not None:
            self.remember_initials(initials)
            self._run_write(write, initials, what)
            return

        def chosen(initials: str | None) -> None:
            if initials:
                self.remember_initials(initials)
                self._run_write(write, initials, what)

        from huddle_board.ui.widgets.forms import InitialsScreen  # with the first write

        self.push_screen(InitialsScreen(purpose), callback=chosen)

    @work(thread=True, exit_on_error=False, group="write")
    def _run_write(self, write: Write, initials: str, what: str) -> None:
        from huddle_board.db.commands import InvalidInput

        try:
            with self.store.writer() as db:
                write(db, self.author(initials))
        except InvalidInput as refused:
            self.post_message(Problem(refused.message))
            return
        except StoreInterrupted:
            # Locked, read-only or full: kept, and written again once the file takes writes.
            self._pending_writes.append((write, initials, what))
            self.call_from_thread(self.show_standing)
            return
        except StoreUnavailable as refused:
            self.post_message(Problem(str(refused)))
            return
        self.post_message(DataChanged(what))

    # -- reactions ------------------------------------------------------------------------

    def on_data_changed(self, message: DataChanged) -> None:
        self.show_standing()  # a write went through: a write fault the banner showed is over
        for screen in self.screen_stack[1:]:  # an open screen over the board that lists data
            changed = getattr(screen, "data_changed", None)
            if changed is not None:
                changed()
        for pane in self.query(BoardPane):
            if pane.loaded_once:
                pane.reload()
        header = self.query_one(BoardHeader)
        header.refresh_counts()
        header.refresh_sync()  # a local write adds to the queue: the waiting count changes
        if self.sync_wake is not None:
            self.sync_wake()  # push it now rather than at the next interval

    def on_problem(self, message: Problem) -> None:
        self.show_problem(message.text)

    def show_problem(self, text: str) -> None:
        """Show `text` in the banner for 30 s, under the store's standing notice if any."""
        notice = self._problem = f"⚠ {text}"
        self.show_standing()
        self.set_timer(30, lambda: self._clear_problem(notice))

    def _clear_problem(self, notice: str) -> None:
        if self._problem == notice:  # not when a newer problem is on show
            self._problem = ""
            self.show_standing()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        self.worker_failed(event)

    def worker_failed(self, event: Worker.StateChanged) -> None:
        """A worker failed: the banner says so and the board carries on."""
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.log.error(f"worker {event.worker.name} failed: {error!r}")
            self.show_problem(f"Something went wrong ({type(error).__name__}: {error}).")


def make_app(
    settings: Settings,
    db_path: Path,
    health: StoreHealth,
    ward: Ward,
    clock: Clock,
    monotonic: Callable[[], float] = time.monotonic,
    first_screen: Any = None,
    first_counts: tuple[int, int] | None = None,
    manage_gc: bool = False,
) -> HuddleBoardApp:
    """Build the board the same way for `__main__` and for the tests. `first_screen` is the
    box score's data when it was read during start-up (shown in the very first frame), and
    `first_counts` the header's open and overdue actions; `manage_gc` for the board started by
    `cli.prepare_board`, which turned the garbage collector off."""
    store = StoreAccess(db_path, health, clock.now)
    return HuddleBoardApp(
        settings, store, ward, clock, monotonic, first_screen, first_counts, manage_gc
    )

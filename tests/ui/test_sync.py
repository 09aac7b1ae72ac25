"""Sync on screen: the header's sync state (not set up, synced, offline, refused, set aside) at
the kiosk's size and on smaller terminals, refreshed on its own and after a local write; the
Sync screen's list of entries set aside, with what each is and the store's reason shown
literally; retry of one or all (initials asked; nothing deleted); the set-up help.

The sync state is written the way the push job writes it (`sync.state.record_outcome`), and
entries are set aside in the real outbox of the demo ward."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

import huddle_board.ui.widgets.header as header_module
from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import connect_raw, open_store, queries
from huddle_board.ui.app import HuddleBoardApp, make_app
from huddle_board.ui.screens.sync import SyncPane
from huddle_board.ui.widgets.forms import InitialsScreen
from huddle_board.ui.widgets.grid import BoardGrid
from sync.state import record_outcome
from tests.ui.conftest import KIOSK, NOW, SMALL, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

MARKUP = "[bold]x[/ and \x1b[2J after"
TINY = (80, 24)
Key = tuple[str, str]


@contextmanager
def raw(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection of the test's own (the push job's, in real life), closed afterwards."""
    conn = connect_raw(path)
    try:
        yield conn
    finally:
        conn.close()


def record(path: Path, outcome: str, at: dt.datetime, detail: str = "") -> None:
    """What a push cycle at `at` came to, written as the push job writes it."""
    with raw(path) as conn:
        record_outcome(conn, FixedClock(at), outcome, detail)


def set_aside(path: Path, entity: str, count: int, reason: str, attempts: int = 3) -> list[Key]:
    """Set the first `count` queued entries of `entity` aside, as a push cycle does when the
    store rejects them."""
    with raw(path) as conn:
        conn.execute("BEGIN IMMEDIATE")
        keys = [
            (str(row[0]), str(row[1]))
            for row in conn.execute(
                "SELECT entity, entity_id FROM outbox WHERE entity = ? AND set_aside = 0 "
                "ORDER BY rowid LIMIT ?",
                [entity, count],
            )
        ]
        conn.executemany(
            "UPDATE outbox SET set_aside = 1, reason = ?, attempts = ? "
            "WHERE entity = ? AND entity_id = ?",
            [(reason, attempts, *key) for key in keys],
        )
        conn.execute("COMMIT")
    return keys


def drain(path: Path) -> None:
    """Every queued entry taken by the store (what the push job's acknowledgements do)."""
    with raw(path) as conn:
        conn.execute("DELETE FROM outbox WHERE set_aside = 0")


def outbox(path: Path) -> dict[Key, tuple[int, str]]:
    """(set_aside, reason) of every outbox row."""
    with raw(path) as conn:
        rows = conn.execute("SELECT entity, entity_id, set_aside, reason FROM outbox")
        return {(e, i): (int(a), str(r)) for e, i, a, r in rows}


def waiting(path: Path) -> int:
    return sum(not aside for aside, _ in outbox(path).values())


SyncBoard = Callable[..., HuddleBoardApp]


@pytest.fixture
def sync_board(monotonic: ManualMonotonic, tmp_path: Path) -> SyncBoard:
    """`sync_board(path)`: the real app on `path` with sync set up (a store URL and a token
    file); nothing is pushed, the tests write the sync state as the push job would."""

    def build(path: Path, now: dt.datetime = NOW) -> HuddleBoardApp:
        token = tmp_path / "token"
        token.write_text("not a real token\n")
        token.chmod(0o600)
        settings = Settings(
            db_path=path, store_url="https://store.example.invalid", token_file=token
        )
        db, health = open_store(path)
        ward = queries.ward(db)
        db.close()
        assert ward is not None
        app = make_app(settings, path, health, ward, FixedClock(now), monotonic)
        app.animation_level = "none"
        return app

    return build


def header_sync(app: HuddleBoardApp) -> str:
    return str(app.query_one("#header-sync", Static).render())


def header_classes(app: HuddleBoardApp) -> set[str]:
    return {name for name in app.query_one("#header-sync").classes if name.startswith("sync-")}


def screen_text(app: HuddleBoardApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def table(app: HuddleBoardApp) -> BoardGrid:
    return app.query_one("#sync-table", BoardGrid)


def pane(app: HuddleBoardApp) -> SyncPane:
    return app.query_one(SyncPane)


def row_key(key: Key) -> str:
    return f"{key[0]}/{key[1]}"


async def wait_for(pilot: Pilot[None], ready: Callable[[], bool]) -> None:
    """Let the board work until `ready()` (a read in a worker, a timer) or give up."""
    for _ in range(100):
        await settle(pilot)
        if ready():
            return
        await pilot.pause(0.02)
    assert ready()


async def open_sync(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("5")
    await wait_for(pilot, lambda: any(found.loaded_once for found in pilot.app.query(SyncPane)))


async def give_initials(pilot: Pilot[None], initials: str = "it") -> None:
    assert isinstance(pilot.app.screen, InitialsScreen)
    await pilot.press(*initials, "enter")
    await settle(pilot)


# -- the header ---------------------------------------------------------------------------------


async def test_header_says_when_sync_is_not_set_up(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert header_sync(app) == "sync not set up"
        assert header_classes(app) == {"sync-off"}


async def test_header_synced_with_nothing_waiting(demo_path: Path, sync_board: SyncBoard) -> None:
    record(demo_path, "synced", NOW.replace(hour=8, minute=14))
    drain(demo_path)
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await wait_for(pilot, lambda: header_sync(app).startswith("✔"))
        assert header_sync(app) == "✔ synced 08:14 · 0 waiting"
        assert header_classes(app) == {"sync-ok"}


async def test_header_offline_since_with_the_queue(demo_path: Path, sync_board: SyncBoard) -> None:
    record(demo_path, "synced", dt.datetime(2026, 11, 24, 13, 30))
    record(demo_path, "offline", dt.datetime(2026, 11, 24, 14, 2), "connection refused")
    record(demo_path, "offline", dt.datetime(2026, 11, 26, 8, 55), "connection refused")
    queued = waiting(demo_path)
    assert queued > 1000
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await wait_for(pilot, lambda: header_sync(app).startswith("⚠"))
        assert header_sync(app) == f"⚠ offline since Tue 14:02 · {queued:,} waiting"
        assert header_classes(app) == {"sync-offline"}


async def test_header_refused_with_entries_set_aside(
    demo_path: Path, sync_board: SyncBoard
) -> None:
    record(demo_path, "refused", NOW, "token revoked")
    set_aside(demo_path, "idea", 2, "id exists under another ward")
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await wait_for(pilot, lambda: header_sync(app).startswith("✖"))
        assert header_sync(app) == "✖ sync refused: token revoked — call IT · 2 set aside"
        assert header_classes(app) == {"sync-refused"}
        # everything else in the header is still there, in full
        text = screen_text(app).splitlines()[0]
        assert "Ward 7A Respiratory" in text and "open actions" in text
        assert "Thu 26 Nov 2026" in text


@pytest.mark.parametrize("size", [SMALL, TINY], ids=["100x30", "80x24"])
async def test_header_shortens_on_a_smaller_board(
    demo_path: Path, sync_board: SyncBoard, size: tuple[int, int]
) -> None:
    record(demo_path, "offline", dt.datetime(2026, 11, 24, 14, 2), "connection refused")
    set_aside(demo_path, "idea", 2, "id exists under another ward")
    queued = waiting(demo_path)
    app = sync_board(demo_path)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: header_sync(app).startswith("⚠"))
        line = screen_text(app).splitlines()[0]
        assert "Ward 7A Respiratory" in line  # the ward name keeps its room
        assert "09:00" in line
        if size == SMALL:
            assert header_sync(app) == f"⚠ offline · {queued:,} waiting · 2 set aside"
            assert "20 open, 5 overdue" in line
        else:
            assert header_sync(app) == "⚠ offline · 2 aside"
        assert header_sync(app) in line  # all of it on screen, nothing cut


async def test_header_reads_the_state_again_on_its_own(
    demo_path: Path, sync_board: SyncBoard, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The push job writes the state in its own thread or process: the header reads it again
    every few seconds (here every 50 ms), in a worker."""
    monkeypatch.setattr(header_module, "SYNC_REFRESH_S", 0.05)
    record(demo_path, "synced", NOW.replace(hour=8, minute=14))
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await wait_for(pilot, lambda: header_sync(app).startswith("✔"))
        record(demo_path, "refused", NOW, "wrong ward")
        await wait_for(pilot, lambda: header_sync(app).startswith("✖"))
        assert header_sync(app) == "✖ sync refused: wrong ward — call IT"


async def test_header_counts_a_local_write_at_once(demo_path: Path, sync_board: SyncBoard) -> None:
    record(demo_path, "synced", NOW.replace(hour=8, minute=14))
    drain(demo_path)
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await wait_for(pilot, lambda: header_sync(app).startswith("✔"))
        assert header_sync(app).endswith("· 0 waiting")
        await pilot.press("4")
        await settle(pilot)
        await pilot.press("d")  # the first open action, done
        await settle(pilot)
        await give_initials(pilot)
        assert waiting(demo_path) == 1
        await wait_for(pilot, lambda: header_sync(app).endswith("· 1 waiting"))


# -- the sync screen ----------------------------------------------------------------------------


async def test_sync_screen_lists_entries_set_aside_with_their_reasons(
    demo_path: Path, sync_board: SyncBoard
) -> None:
    record(demo_path, "offline", dt.datetime(2026, 11, 24, 14, 2), "connection refused")
    ideas = set_aside(demo_path, "idea", 2, "id exists under another ward")
    measures = set_aside(demo_path, "measure", 1, "field data.unit: required", attempts=1)
    with raw(demo_path) as conn:
        titles = dict(conn.execute("SELECT id, title FROM ideas").fetchall())
        names = dict(conn.execute("SELECT id, name FROM measures").fetchall())
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_sync(pilot)
        # oldest queued first: the demo's measures were written before its ideas
        assert table(app).row_keys == [row_key(k) for k in (*measures, *ideas)]
        cells = [cell.plain for cell in table(app).cells(row_key(ideas[0]))]
        assert cells[0] == "Idea"
        assert cells[1] == titles[ideas[0][1]]
        assert (cells[2], cells[4], cells[5]) == ("1", "3", "id exists under another ward")
        assert cells[3] == "Thu 26 Nov 09:00"
        cells = [cell.plain for cell in table(app).cells(row_key(measures[0]))]
        assert cells[:2] == ["Measure", names[measures[0][1]]]
        assert cells[5] == "field data.unit: required"
        status = str(app.query_one("#sync-status", Static).render())
        assert status.startswith("⚠ Offline since Tue 24 Nov 14:02: the central store cannot")
        assert "▲ 3 entries set aside" in status
        assert "connection refused" in status
        text = screen_text(app)
        assert "▲ The store's reason: field data.unit: required" in text  # the highlighted one
        assert "Retry entry (r)" in text and "Retry all (a)" in text


async def test_a_reason_with_markup_and_escapes_shows_literally(
    demo_path: Path, sync_board: SyncBoard
) -> None:
    record(demo_path, "refused", NOW, MARKUP)
    (key,) = set_aside(demo_path, "action", 1, MARKUP)
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_sync(pilot)
        cell = table(app).cells(row_key(key))[5]
        assert cell.plain == "[bold]x[/ and ␛[2J after"
        assert not cell.spans
        text = screen_text(app)
        assert "[bold]x[/ and ␛[2J after" in text.splitlines()[0]  # the header
        assert text.count("[bold]x[/ and ␛[2J after") == 4  # header, status, table, detail
        assert "\x1b" not in text


async def test_retry_one_then_all_asks_initials_and_deletes_nothing(
    demo_path: Path, sync_board: SyncBoard
) -> None:
    record(demo_path, "synced", NOW)
    keys = set_aside(demo_path, "idea", 3, "id exists under another ward")
    before = set(outbox(demo_path))
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_sync(pilot)
        table(app).move_to_key(row_key(keys[1]))
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await give_initials(pilot)
        rows = outbox(demo_path)
        assert rows[keys[1]] == (0, "")  # back in the queue
        assert rows[keys[0]][0] == rows[keys[2]][0] == 1
        await wait_for(pilot, lambda: table(app).row_count == 2)
        assert table(app).row_keys == [row_key(keys[0]), row_key(keys[2])]
        await wait_for(pilot, lambda: header_sync(app).endswith("· 2 set aside"))
        assert any("1 entry back in the queue" in n.message for n in app._notifications)
        await pilot.press("a")  # initials remembered: no prompt
        await settle(pilot)
        assert not isinstance(app.screen, InitialsScreen)
        assert all(aside == 0 for aside, _ in outbox(demo_path).values())
        await wait_for(pilot, lambda: table(app).row_count == 0)
        assert pane(app).has_class("-empty")
        assert "Nothing set aside" in screen_text(app)
        assert not table(app).display
        assert not header_sync(app).endswith("set aside")
        assert set(outbox(demo_path)) == before  # nothing deleted


async def test_retry_by_buttons_and_cancelled_initials_write_nothing(
    demo_path: Path, sync_board: SyncBoard
) -> None:
    keys = set_aside(demo_path, "huddle", 2, "rejected")
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_sync(pilot)
        await pilot.click("#sync-retry-all")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert [outbox(demo_path)[key][0] for key in keys] == [1, 1]
        assert table(app).row_count == 2
        await pilot.click("#sync-retry")
        await settle(pilot)
        await give_initials(pilot)
        assert [outbox(demo_path)[key][0] for key in keys] == [0, 1]
        await pilot.click("#sync-retry-all")
        await settle(pilot)
        assert [outbox(demo_path)[key][0] for key in keys] == [0, 0]
        await wait_for(pilot, lambda: table(app).row_count == 0)


async def test_sync_screen_without_sync_says_how_to_set_it_up(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_sync(pilot)
        text = screen_text(app)
        assert "○ Sync is not set up" in text
        assert 'store_url = "' in text and 'token_file = "' in text
        assert "HUDDLE_STORE_URL" in text and "HUDDLE_TOKEN_FILE" in text
        assert not table(app).display
        assert not app.query_one("#sync-buttons").display


async def test_sync_screen_with_nothing_set_aside(demo_path: Path, sync_board: SyncBoard) -> None:
    app = sync_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_sync(pilot)
        status = str(app.query_one("#sync-status", Static).render())
        assert status.startswith(f"◌ Not synced yet: {waiting(demo_path):,} entries waiting")
        assert "Nothing set aside" in screen_text(app)
        await pilot.press("r")
        await settle(pilot)
        assert not isinstance(app.screen, InitialsScreen)
        assert any("nothing to retry" in n.message for n in app._notifications)


def _sync_screen_with_entries_set_aside(path: Path) -> None:
    record(path, "synced", dt.datetime(2026, 11, 24, 13, 30))
    record(path, "offline", dt.datetime(2026, 11, 24, 14, 2), "the store answered 503")
    set_aside(path, "idea", 2, "id exists under another ward")
    set_aside(path, "week_value", 1, "field data.value: must be a number", attempts=1)
    set_aside(path, "action", 1, MARKUP, attempts=5)


async def _show_sync(pilot: Pilot[None]) -> None:
    await open_sync(pilot)
    await settle(pilot)


def test_snapshot_sync_kiosk(snap_compare: Any, demo_path: Path, sync_board: SyncBoard) -> None:
    _sync_screen_with_entries_set_aside(demo_path)
    assert snap_compare(sync_board(demo_path), terminal_size=KIOSK, run_before=_show_sync)

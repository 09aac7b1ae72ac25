"""The board's shell: switching screens by number key and by clicking a tab, the header, and
what the board does when the store is damaged or a background load fails (a banner; it carries
on)."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from textual.widget import Widget
from textual.widgets import Input, Static, TabbedContent

from benchmarks.board import drawn
from huddle_board.cli import prepare_board
from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import StoreHealth, check_store, commands, connect, queries
from huddle_board.model import Ward
from huddle_board.ui.app import HuddleBoardApp, make_app
from huddle_board.ui.screens.actions import ActionsPane
from huddle_board.ui.screens.week_form import WeekValuesForm
from huddle_board.ui.widgets.forms import InitialsScreen
from huddle_board.ui.widgets.pane import BoardPane
from tests.ui.conftest import KIOSK, NOW, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

PANES = ("box-score", "ideas", "huddle", "actions")
DEMO_WARD = Ward("DEMO-7A", "Ward 7A Respiratory")


def active(app: HuddleBoardApp) -> str:
    return app.query_one(TabbedContent).active


def banner(app: HuddleBoardApp) -> str:
    widget = app.query_one("#banner", Static)
    return str(widget.render()) if widget.has_class("shown") else ""


def text_of(app: HuddleBoardApp, selector: str) -> str:
    return str(app.query_one(selector, Static).render())


def damaged_board(path: Path, monotonic: ManualMonotonic) -> HuddleBoardApp:
    """The board on `path` as `__main__` builds it when quick_check failed."""
    health = StoreHealth(False, "the board's database file is damaged")
    return make_app(Settings(db_path=path), path, health, DEMO_WARD, FixedClock(NOW), monotonic)


def action_rows(path: Path) -> list[tuple[str, int]]:
    db = connect(path, read_only=True)
    try:
        return [(row[0], row[1]) for row in db.execute("SELECT status, rev FROM actions")]
    finally:
        db.close()


async def test_number_keys_switch_panes(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert active(app) == "box-score"
        for key, pane_id in zip("2341", ("ideas", "huddle", "actions", "box-score"), strict=True):
            await pilot.press(key)
            await settle(pilot)
            assert active(app) == pane_id
            pane = app.query_one(f"#{pane_id}-pane", BoardPane)
            assert pane.loaded_once
            assert app.focused is not None and pane in app.focused.ancestors_with_self


async def test_switches_in_quick_succession_end_on_the_last(
    demo_path: Path, board: BoardFactory
) -> None:
    """Each switch is answered late by the tab bar and by the new pane's focus: neither may
    take the board back to an earlier screen. Seen in the kiosk's soak as a rotation that
    stuck now and then: a switch as soon as the last one is drawn (`drawn`, as there)."""
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        for step in range(40):
            pane_id = PANES[step % 4]
            app.action_show_pane(pane_id)
            await drawn(app)
            assert active(app) == pane_id, f"step {step}"


async def test_clicking_a_tab_switches_panes(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        for pane_id in (*PANES[1:], PANES[0]):
            assert await pilot.click(f"#--content-tab-{pane_id}")
            await settle(pilot)
            assert active(app) == pane_id
            assert app.query_one(f"#{pane_id}-pane", BoardPane).loaded_once


def live_widgets() -> int:
    gc.collect()
    return sum(isinstance(thing, Widget) for thing in gc.get_objects())


async def test_switching_screens_leaks_no_widgets(demo_path: Path, board: BoardFactory) -> None:
    """Textual's Footer kept every key it ever showed (BoardFooter lets them go): on a kiosk
    switching screens all day that grew without end."""
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:

        async def round_of_screens() -> None:
            for key in "23412341":
                await pilot.press(key)
                await settle(pilot)

        await settle(pilot)
        await round_of_screens()  # every screen built once
        before = live_widgets()
        await round_of_screens()
        await round_of_screens()
        assert live_widgets() == before


async def test_another_writer_s_change_shows_on_the_next_visit(
    demo_path: Path, board: BoardFactory
) -> None:
    """A second board on the same file (the browser kiosk) or a restore writes behind this
    one's back: a screen reads again when it is shown, so the change appears."""
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        ideas = app.query_one("#ideas-pane", BoardPane)
        other = connect(demo_path)
        author = commands.Author("DEMO-7A", "KT", FixedClock(NOW))
        idea_id = commands.add_idea(other, author, commands.IdeaDraft(title="Written elsewhere"))
        other.close()
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        assert idea_id in getattr(ideas, "ideas")  # noqa: B009 (the pane's current ideas)


async def test_the_board_as_the_cli_starts_it_turns_the_collector_back_on(
    demo_path: Path,
) -> None:
    """`prepare_board` starts with the cyclic GC off; the first frame turns it back on with
    start-up's objects frozen out of its way."""
    gc.unfreeze()
    app = prepare_board(Settings(db_path=demo_path), FixedClock(NOW))
    try:
        assert not gc.isenabled()
        async with app.run_test(size=KIOSK) as pilot:
            await settle(pilot)
            assert gc.isenabled()
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.enable()
        gc.unfreeze()


async def test_header_shows_ward_date_time_and_week(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert text_of(app, "#header-ward") == "Ward 7A Respiratory"
        clock = text_of(app, "#header-clock")
        assert "Thu 26 Nov 2026" in clock and "09:00" in clock and "2026-W48" in clock
        db = connect(demo_path)
        open_count, overdue = queries.action_counts(db, NOW.date())
        db.close()
        assert text_of(app, "#header-counts") == (f"{open_count} open actions, {overdue} overdue")
        assert banner(app) == ""


def test_a_damaged_file_fails_its_check(demo_path: Path, tmp_path: Path) -> None:
    damaged = tmp_path / "damaged.db"
    shutil.copy(demo_path, damaged)
    with damaged.open("r+b") as handle:
        handle.seek(100)
        handle.write(bytes(range(256)) * 7 + b"\xff" * (1900 - 256 * 7))
    health = check_store(damaged)
    assert not health.ok and "damaged" in health.problem
    assert check_store(demo_path).ok


async def test_a_truly_damaged_file_shows_the_banner_and_the_board_runs(
    demo_path: Path, tmp_path: Path, monotonic: ManualMonotonic
) -> None:
    damaged = tmp_path / "damaged.db"
    shutil.copy(demo_path, damaged)
    with damaged.open("r+b") as handle:
        handle.seek(100)
        handle.write(b"\xa5" * 1900)
    health = check_store(damaged)
    settings = Settings(db_path=damaged)
    app = make_app(settings, damaged, health, DEMO_WARD, FixedClock(NOW), monotonic)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert banner(app).startswith("⚠ ")  # the damage, or the failed load it causes
        await pilot.press("4")
        await settle(pilot)
        assert app.is_running and active(app) == "actions"


async def test_damaged_store_banner_and_refused_writes(
    demo_path: Path, monotonic: ManualMonotonic
) -> None:
    before = action_rows(demo_path)
    app = damaged_board(demo_path, monotonic)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert "changes are not being saved" in banner(app)
        assert "damaged" in banner(app)
        await pilot.press("4")
        await settle(pilot)
        assert app.query_one(ActionsPane).table.row_count > 0  # still readable
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, InitialsScreen)
        await pilot.press("j", "m", "enter")
        await settle(pilot)
        assert app.is_running
        notice, problem = banner(app).split("\n")
        assert notice.startswith("⚠ the board's database file is damaged")
        assert problem == "⚠ Changes are not being saved: the board's database file is damaged"
        assert action_rows(demo_path) == before


async def test_damaged_store_form_keeps_what_was_typed(
    demo_path: Path, monotonic: ManualMonotonic
) -> None:
    app = damaged_board(demo_path, monotonic)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, WeekValuesForm)
        form.query_one("#initials", Input).value = "JM"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = str(form.query_one("#form-error", Static).render())
        assert error == "Changes are not being saved: the board's database file is damaged"


async def test_a_failed_load_shows_the_banner_and_the_board_carries_on(
    demo_path: Path, board: BoardFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(queries, "open_actions", broken)
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("4")
        await settle(pilot)
        assert banner(app) == "⚠ Something went wrong (RuntimeError: the disk went away)."
        assert app.is_running
        await pilot.press("1")
        await settle(pilot)
        assert active(app) == "box-score"
        monkeypatch.undo()
        await pilot.press("4")
        await settle(pilot)
        assert app.query_one(ActionsPane).table.row_count > 0

"""Kiosk mode on the real board at 160×45: no key quits, F9 and the admin PIN (wrong PINs,
the lockout, the admin menu), and the rotation through the screens once nobody touches it.
Outside kiosk mode none of it is there."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Button, Input, Static, TabbedContent

from huddle_board.clock import FixedClock
from huddle_board.db import connect_raw
from huddle_board.kiosk import set_pin
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.widgets.admin import AdminMenu, PinScreen
from tests.ui.conftest import KIOSK, NOW, BoardFactory, ManualMonotonic, revisions, settle
from tests.ui.test_box_score import open_form

pytestmark = pytest.mark.anyio

PIN = "482193"
WRONG = "0000"


def with_pin(path: Path, pin: str = PIN) -> Path:
    conn = connect_raw(path)
    try:
        set_pin(conn, pin, FixedClock(NOW))
    finally:
        conn.close()
    return path


def active(app: HuddleBoardApp) -> str:
    return app.query_one(TabbedContent).active


def pin_message(app: HuddleBoardApp) -> str:
    return str(app.screen.query_one("#pin-message", Static).render())


async def enter_pin(pilot: Any, pin: str) -> None:
    await pilot.press(*pin, "enter")
    await settle(pilot)


async def test_no_key_quits_a_kiosk(demo_path: Path, kiosk_board: BoardFactory) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        for key in ("ctrl+q", "ctrl+c", "escape", "q"):
            await pilot.press(key)
            await settle(pilot)
            assert app.is_running and not app._exit
        assert not app._notifications  # not even a hint how to quit
        assert "f9" in app.screen.active_bindings  # shown in the footer as "Admin"
        assert app.screen.active_bindings["f9"].binding.description == "Admin"
        assert not app.use_command_palette


async def test_outside_kiosk_mode_ctrl_q_quits_and_f9_does_nothing(
    demo_path: Path, board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert "f9" not in app.screen.active_bindings
        await pilot.press("f9")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        monotonic.advance(10_000)
        app.rotation_tick()
        assert active(app) == "box-score" and not app.rotating
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert app._exit


async def test_wrong_pins_then_the_lockout_then_the_admin_menu(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(with_pin(demo_path))
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PinScreen)
        field = app.screen.query_one("#pin", Input)
        assert field.password and app.focused is field
        await enter_pin(pilot, WRONG)
        assert pin_message(app) == "Wrong PIN."
        assert field.value == ""
        for _ in range(3):
            await enter_pin(pilot, WRONG)
            assert pin_message(app) == "Wrong PIN."
        await enter_pin(pilot, WRONG)  # the fifth
        assert pin_message(app).startswith("Wrong PIN. Too many wrong PINs: locked for 60 s")
        # Locked: even the right PIN is not tried, and closing and reopening does not help.
        await enter_pin(pilot, PIN)
        assert "Locked after 5 wrong PINs: try again in 60 s" in pin_message(app)
        await pilot.press("escape")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        monotonic.advance(30)
        await pilot.press("f9")
        await settle(pilot)
        assert "try again in 30 s" in pin_message(app)
        await enter_pin(pilot, PIN)
        assert isinstance(app.screen, PinScreen)
        monotonic.advance(30)
        await enter_pin(pilot, PIN)
        assert isinstance(app.screen, AdminMenu)
        labels = [str(button.label) for button in app.screen.query(Button)]
        assert labels == [
            "Kiosk settings",
            "Ward set-up",
            "Box score measures",
            "Import values from CSV",
            "Retry set-aside entries",
            "Exit the board",
            "Close",
        ]
        assert await pilot.click("#exit")
        await pilot.pause()
        assert app._exit


async def test_admin_menu_retry_shows_the_sync_screen_and_close_closes(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(with_pin(demo_path))
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        for button, pane in (("#retry", "sync"), ("#close", "sync")):
            await pilot.press("f9")
            await settle(pilot)
            await enter_pin(pilot, PIN)
            assert isinstance(app.screen, AdminMenu)
            assert await pilot.click(button)
            await settle(pilot)
            assert len(app.screen_stack) == 1
            assert active(app) == pane
        assert app.is_running and not app._exit


async def test_with_no_pin_set_the_admin_screen_says_how_to_set_one(
    demo_path: Path, kiosk_board: BoardFactory, tmp_path: Path
) -> None:
    odd = tmp_path / "[b]ward" / "[red]board.db"  # markup-like text: shown as it is
    odd.parent.mkdir()
    shutil.copy(demo_path, odd)
    app = kiosk_board(odd)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, PinScreen)
        prompt = str(screen.query_one("#pin-prompt", Static).render())
        assert "No admin PIN is set" in prompt
        assert f"huddle-board set-pin --db {odd}" in prompt
        assert not screen.query_one("#pin", Input).display
        assert not screen.query_one("#ok", Button).display
        await pilot.press("enter")  # the one button left: Close
        await settle(pilot)
        assert len(app.screen_stack) == 1 and app.is_running


async def test_an_idle_kiosk_rotates_through_the_screens(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        monotonic.advance(119)
        app.rotation_tick()
        assert not app.rotating
        monotonic.advance(1)
        app.rotation_tick()
        assert app.rotating and active(app) == "box-score"
        monotonic.advance(29)
        app.rotation_tick()
        assert active(app) == "box-score"
        for pane in ("ideas", "actions", "huddle", "box-score", "ideas"):
            monotonic.advance(30)
            app.rotation_tick()
            await settle(pilot)
            assert active(app) == pane
            assert app.query_one(f"#{pane}-pane").display


async def test_a_key_stops_rotation_and_does_what_it_does(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path, idle_before_rotation_s=60, rotation_every_s=10)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        monotonic.advance(60)
        app.rotation_tick()
        monotonic.advance(10)
        app.rotation_tick()
        await settle(pilot)
        assert app.rotating and active(app) == "ideas"
        await pilot.press("4")
        await settle(pilot)
        assert not app.rotating and active(app) == "actions"
        monotonic.advance(59)
        app.rotation_tick()
        assert not app.rotating and active(app) == "actions"
        monotonic.advance(1)
        app.rotation_tick()
        await settle(pilot)
        assert app.rotating and active(app) == "box-score"


async def test_no_rotation_under_an_open_admin_screen(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        monotonic.advance(299)
        app.rotation_tick()
        assert not app.rotating and isinstance(app.screen, PinScreen)


async def test_a_form_left_open_is_closed_unsaved_and_rotation_resumes(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path, form_timeout_s=300)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(pilot)
        await pilot.press("7")
        before = revisions(demo_path)
        monotonic.advance(299)
        app.rotation_tick()
        await settle(pilot)
        assert app.screen is form and not app.rotating
        monotonic.advance(1)
        app.rotation_tick()
        await settle(pilot)
        assert len(app.screen_stack) == 1
        assert str(app.query_one("#banner", Static).render()) == (
            "⚠ A screen was left open for 5 minutes with nobody using the board: it was "
            "closed, and nothing unsaved in it was kept."
        )
        assert revisions(demo_path) == before
        app.rotation_tick()  # idle all along: the rotation starts at once (if the board's
        await settle(pilot)  # own 1 s tick has not started it already)
        assert app.rotating and active(app) == "box-score"


async def test_the_pin_screen_and_admin_menu_close_after_the_timeout_too(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path, form_timeout_s=60)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, PinScreen)
        monotonic.advance(60)
        app.rotation_tick()
        await settle(pilot)
        assert len(app.screen_stack) == 1

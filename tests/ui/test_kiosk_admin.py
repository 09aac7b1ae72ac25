"""The admin menu's forms on the real kiosk board, behind the real PIN: the kiosk's settings
(checked, kept in the board's file with who set them, in force at once and at the next start,
over the settings file) and the ward's set-up (its name; the identifier check applies)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from huddle_board.cli import prepare_board
from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.box_score import BoxScorePane
from huddle_board.ui.widgets.admin import AdminMenu
from huddle_board.ui.widgets.admin_forms import KioskSettingsForm, WardSetupForm
from tests.ui.conftest import KIOSK, NOW, BoardFactory, settle
from tests.ui.test_kiosk import PIN, enter_pin, with_pin

pytestmark = pytest.mark.anyio


async def open_admin(pilot: Pilot[None], button: str) -> None:
    """F9, the PIN, then one of the admin menu's buttons."""
    await settle(pilot)
    await pilot.press("f9")
    await settle(pilot)
    await enter_pin(pilot, PIN)
    assert isinstance(pilot.app.screen, AdminMenu)
    pilot.app.screen.query_one(f"#{button}", Button).press()
    await settle(pilot)


def field(app: HuddleBoardApp, name: str) -> Input:
    return app.screen.query_one(f"#setting-{name}", Input)


def form_error(app: HuddleBoardApp) -> str:
    return str(app.screen.query_one("#form-error", Static).render())


def stored(path: Path) -> dict[str, tuple[str, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT name, value, set_by FROM kiosk_settings").fetchall()
    finally:
        conn.close()
    return {name: (value, by) for name, value, by in rows}


async def test_settings_are_saved_in_force_at_once_and_at_the_next_start(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(with_pin(demo_path), rotation_every_s=30)
    async with app.run_test(size=KIOSK) as pilot:
        await open_admin(pilot, "settings")
        assert isinstance(app.screen, KioskSettingsForm)
        assert field(app, "rotation_every_s").value == "30"
        assert field(app, "night_start").value == "22:00"
        assert field(app, "large_figures").value == "auto"
        field(app, "rotation_every_s").value = "45"
        field(app, "theme").value = "high-contrast"
        field(app, "night_end").value = "07:15"
        app.screen.query_one("#initials", Input).value = "kp"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        assert app.settings.rotation_every_s == 45
        assert app.settings.night_end == "07:15"
        assert app.theme == "high-contrast"
        assert app.query_one(BoxScorePane).figures is not None  # auto: on in kiosk mode
        await open_admin(pilot, "settings")
        field(app, "large_figures").value = "false"
        app.screen.query_one("#initials", Input).value = "kp"
        await pilot.press("ctrl+s")
        await settle(pilot)
        pane = app.query_one(BoxScorePane)
        assert pane.figures is None and not pane.query("FigureStrip")
        assert pane.is_drawn
    assert stored(demo_path) == {
        "rotation_every_s": ("45", "KP"),
        "theme": ("high-contrast", "KP"),
        "night_end": ("07:15", "KP"),
        "large_figures": ("false", "KP"),
    }
    # The next start: over what the settings file says.
    again = prepare_board(
        Settings(db_path=demo_path, kiosk=True, rotation_every_s=20, theme="textual-dark"),
        FixedClock(NOW),
    )
    assert again.settings.rotation_every_s == 45
    assert again.settings.theme == "high-contrast"
    assert again.file_settings.rotation_every_s == 20
    again.manage_gc = False  # never run: turn the collector back on here
    import gc

    gc.enable()


async def test_a_wrong_value_is_refused_by_name_and_nothing_is_kept(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(with_pin(demo_path))
    async with app.run_test(size=KIOSK) as pilot:
        await open_admin(pilot, "settings")
        form = app.screen
        field(app, "night_start").value = "25:00"
        field(app, "rotation_every_s").value = "12"
        app.screen.query_one("#initials", Input).value = "KP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form_error(app) == (
            "Setting 'night_start' must be a time of day as HH:MM, like 22:00."
        )
        assert field(app, "night_start").value == "25:00"  # kept as typed
        field(app, "night_start").value = "21:30"
        field(app, "theme").value = "pink"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "must be one of textual-dark, high-contrast" in form_error(
            app
        )
        assert app.settings.rotation_every_s == 30
    assert stored(demo_path) == {}


async def test_an_empty_value_goes_back_to_the_settings_file(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(with_pin(demo_path), idle_before_rotation_s=90)
    async with app.run_test(size=KIOSK) as pilot:
        for value, expected in (("200", 200.0), ("", 90.0)):
            await open_admin(pilot, "settings")
            field(app, "idle_before_rotation_s").value = value
            app.screen.query_one("#initials", Input).value = "KP"
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert len(app.screen_stack) == 1
            assert app.settings.idle_before_rotation_s == expected
    assert stored(demo_path) == {}


async def test_ward_set_up_renames_the_ward_and_refuses_an_identifier(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(with_pin(demo_path))
    async with app.run_test(size=KIOSK) as pilot:
        await open_admin(pilot, "ward")
        form = app.screen
        assert isinstance(form, WardSetupForm)
        pairing = str(form.query_one("#ward-pairing", Static).render())
        assert pairing.startswith("Not paired with a central store")
        name = form.query_one("#ward-name", Input)
        name.value = "Ward 7A bed 4 0101701233"  # a CHI number: refused
        form.query_one("#initials", Input).value = "KP"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "CHI number" in form_error(app)
        name.value = "Ward 7A [b]Resp[/b]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert len(app.screen_stack) == 1
        header = str(app.query_one("#header-ward", Static).render())
        assert header == "Ward 7A [b]Resp[/b]"  # literally: user text is never markup
    conn = sqlite3.connect(demo_path)
    try:
        assert conn.execute("SELECT code, name FROM ward").fetchall() == [
            ("DEMO-7A", "Ward 7A [b]Resp[/b]")
        ]
    finally:
        conn.close()

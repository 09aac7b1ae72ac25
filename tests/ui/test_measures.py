"""Setting up the box score's measures on the real board: a new ward starts with none; `m`
(or the admin menu, behind the PIN, in kiosk mode) lists them; a measure is added, changed
and taken off the box score, each write tagged with initials and queued for the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Select, Static

from huddle_board.clock import FixedClock
from huddle_board.db import commands, open_store
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.box_score import BoxScorePane
from huddle_board.ui.widgets.admin import AdminMenu
from huddle_board.ui.widgets.measures import MeasureForm, MeasuresScreen
from tests.ui.conftest import KIOSK, NOW, BoardFactory, settle
from tests.ui.test_kiosk import PIN, enter_pin, with_pin

pytestmark = pytest.mark.anyio


@pytest.fixture
def new_ward(tmp_path: Path) -> Path:
    """A ward just set up with `huddle-board init`: no measures yet."""
    path = tmp_path / "new.db"
    db, _ = open_store(path)
    commands.set_ward(db, "RAI-7A", "Ward 7A Respiratory", FixedClock(NOW))
    db.close()
    return path


def measure_rows(path: Path) -> list[tuple[str, float | None, int, int, str]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT name, target, rev, deleted, written_by FROM measures ORDER BY position"
        ).fetchall()
        return [tuple(row) for row in rows]
    finally:
        conn.close()


def listed(app: HuddleBoardApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, MeasuresScreen)
    return [measure.name for measure in screen.measures]


async def fill_measure(pilot: Pilot[None], **fields: str) -> MeasureForm:
    form = pilot.app.screen
    assert isinstance(form, MeasureForm)
    for field_id, value in fields.items():
        form.query_one(f"#m-{field_id}", Input).value = value
    return form


async def save(pilot: Pilot[None], initials: str = "JM") -> None:
    pilot.app.screen.query_one("#initials", Input).value = initials
    await pilot.press("ctrl+s")
    await settle(pilot)


async def test_a_new_ward_puts_in_its_box_score(new_ward: Path, board: BoardFactory) -> None:
    app = board(new_ward)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        told = str(app.query_one("#box-score-missing", Static).render())
        assert told == "No measures on the box score yet: to set them up, press m."
        await pilot.press("m")
        await settle(pilot)
        assert listed(app) == []
        empty = str(app.screen.query_one("#measures-empty", Static).render())
        assert empty.startswith("No measures yet: press a to add the first.")
        await pilot.press("a")
        await settle(pilot)
        form = await fill_measure(pilot, name="Falls with harm", target="0", owner="jm")
        form.query_one("#m-improvement", Select).value = "decrease"
        await save(pilot)
        assert listed(app) == ["Falls with harm"]
        await pilot.press("a")
        await settle(pilot)
        form = await fill_measure(pilot, name="Falls per 1,000 bed days", target="6", scale="1000")
        form.query_one(Checkbox).value = True
        form.query_one("#m-improvement", Select).value = "decrease"
        await save(pilot)
        assert listed(app) == ["Falls with harm", "Falls per 1,000 bed days"]
        await pilot.press("escape")
        await settle(pilot)
        table = app.query_one(BoxScorePane).table
        assert len([key for key in table.row_keys if not key.startswith("band")]) >= 2
    assert measure_rows(new_ward) == [
        ("Falls with harm", 0.0, 1, 0, "JM"),
        ("Falls per 1,000 bed days", 6.0, 1, 0, "JM"),
    ]
    conn = sqlite3.connect(new_ward)
    try:
        queued = conn.execute("SELECT count(*) FROM outbox WHERE entity = 'measure'").fetchone()
    finally:
        conn.close()
    assert queued == (2,)


async def test_change_then_remove_a_measure(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        first = listed(app)[0]
        count = len(listed(app))
        await pilot.press("enter")
        await settle(pilot)
        form = await fill_measure(pilot, target="4.5")
        assert form.query_one("#m-name", Input).value == first
        await save(pilot, "KP")
        assert isinstance(app.screen, MeasuresScreen)
        await pilot.press("x")
        await settle(pilot)
        error = str(app.screen.query_one("#form-error", Static).render())
        assert error.startswith(f"Take {first!r} off the box score? Its values are kept.")
        await pilot.press("x")  # KP's initials are remembered: not asked again
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen)
        assert len(listed(app)) == count - 1 and first not in listed(app)
    (row,) = [row for row in measure_rows(demo_path) if row[0] == first]
    assert row == (first, 4.5, 3, 1, "KP")  # changed (rev 2), then tombstoned (rev 3)


async def test_bad_input_is_refused_and_kept(new_ward: Path, board: BoardFactory) -> None:
    app = board(new_ward)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        form = await fill_measure(pilot, name="Falls", target="six")
        await save(pilot)
        assert app.screen is form
        error = str(form.query_one("#form-error", Static).render())
        assert error == "Target must be a number, or empty."
        await fill_measure(pilot, name="Falls bed 4 0101701233", target="6")
        await save(pilot)
        assert app.screen is form
        assert "CHI number" in str(form.query_one("#form-error", Static).render())
        assert form.query_one("#m-name", Input).value == "Falls bed 4 0101701233"
    assert measure_rows(new_ward) == []


async def test_in_kiosk_mode_measures_are_behind_the_pin(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(with_pin(demo_path))
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert len(app.screen_stack) == 1  # no key opens them without the PIN
        await pilot.press("f9")
        await settle(pilot)
        await enter_pin(pilot, PIN)
        assert isinstance(app.screen, AdminMenu)
        app.screen.query_one("#measures", Button).press()
        await settle(pilot)
        assert isinstance(app.screen, MeasuresScreen) and listed(app)

"""The Huddle screen, driven like a ward team would: start a huddle, take notes, count who
came, raise an action, watch the timer turn amber then red, close it, and find it in the list.
Every check looks at the screen and at the store (through a second connection)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import ContentSwitcher, DataTable, Digits, Label, Static, TextArea

from huddle_board import privacy
from huddle_board.db import connect, queries
from huddle_board.db.commands import InvalidInput
from huddle_board.ui.screens.huddle import AttendanceRow, HuddlePane
from huddle_board.ui.screens.huddle_forms import ActionForm, parse_due
from huddle_board.ui.widgets.forms import InitialsScreen
from huddle_board.ui.widgets.huddle_timer import HuddleTimer

from .conftest import KIOSK, NOW, SMALL, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

TODAY = NOW.date()
CHI = "0101901232"  # a valid CHI number (modulus 11 check digit)


def rows(path: Path, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    db = connect(path)
    try:
        cursor = db.execute(sql, params or [])
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]
    finally:
        db.close()


def todays_huddles(path: Path) -> list[dict[str, Any]]:
    return rows(path, "SELECT * FROM huddles WHERE held_on = ?", [TODAY.isoformat()])


def shown(widget: Widget) -> str:
    """The text a widget draws, line by line, as it is on screen."""
    return "\n".join(widget.render_line(y).text for y in range(widget.size.height))


def static_text(app: Any, selector: str) -> str:
    content = app.query_one(selector, Static).content
    return content.plain if isinstance(content, Text) else str(content)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*["space" if char == " " else char for char in text])


async def start_huddle(pilot: Pilot[None], key: str, initials: str = "JM") -> None:
    await settle(pilot)  # the board has started: the tab bar is ready for keys
    await pilot.press("3")
    await settle(pilot)
    await pilot.press(key)
    await settle(pilot)
    assert isinstance(pilot.app.screen, InitialsScreen)
    await type_text(pilot, initials)
    await pilot.press("enter")
    await settle(pilot)


async def tick(pilot: Pilot[None], monotonic: ManualMonotonic, seconds: float) -> None:
    """Move the monotonic clock, then let the timer's one-second interval fire."""
    monotonic.advance(seconds)
    await pilot.pause(1.1)


def timer_words(app: Any) -> str:
    return static_text(app, "#timer-state")


# -- a whole daily huddle ---------------------------------------------------------------------


async def test_daily_huddle_from_start_to_close_by_keyboard(
    demo_path: Path, board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        assert app.focused is app.query_one("#note-safety", TextArea)
        assert app.query_one("#timer-digits", Digits).value == "10:00"
        await type_text(pilot, "Near miss bay 2")
        await pilot.press("tab")
        await type_text(pilot, "Bed 12 falls")
        await pilot.press("escape")  # out of the notes, onto the attendance
        assert isinstance(app.focused, AttendanceRow) and app.focused.role == "nurse"
        await pilot.press("+", "+", "+", "-", "down", "+")
        await settle(pilot)
        counts = [shown(count).strip() for count in app.query(".attendance-count")]
        assert counts == ["2", "1", "0", "0", "0"]

        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        await type_text(pilot, "New hoist sling")
        await pilot.press("tab")
        await type_text(pilot, "ab")
        await pilot.press("tab")
        await type_text(pilot, "+3")
        await pilot.press("tab", "enter")  # initials prefilled (JM), Enter raises it
        await settle(pilot)
        assert not isinstance(app.screen, ActionForm)
        assert "New hoist sling" in static_text(app, "#huddle-raised")

        huddle_id = todays_huddles(demo_path)[0]["id"]
        saved = todays_huddles(demo_path)[0]
        assert json.loads(saved["notes"])["safety"] == "Near miss bay 2"  # saved early
        assert saved["closed"] == 0
        (action,) = rows(demo_path, "SELECT * FROM actions WHERE source_id = ?", [huddle_id])
        assert action["source_kind"] == "huddle" and action["owner"] == "AB"
        assert action["due_on"] == "2026-11-29" and action["written_by"] == "JM"
        assert action["text"] == "New hoist sling" and action["status"] == "open"

        timer = app.query_one(HuddleTimer)
        monotonic.advance(7 * 60 + 59)
        timer.tick()
        assert not timer.has_class("amber") and "On time" in timer_words(app)
        await tick(pilot, monotonic, 2)  # 8:01, shown by the timer's own one-second tick
        assert timer.has_class("amber") and not timer.has_class("red")
        assert timer_words(app) == "◐ Time's nearly up"
        assert app.query_one("#timer-digits", Digits).value == "01:59"
        monotonic.advance(149)  # 10:30
        timer.tick()
        assert timer.has_class("red") and not timer.has_class("amber")
        assert timer_words(app) == "⚠ Over time"
        assert app.query_one("#timer-digits", Digits).value == "-00:30"

        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, InitialsScreen)  # initials are forgotten after 2 min
        await type_text(pilot, "KR")
        await pilot.press("enter")
        await settle(pilot)

        (closed,) = todays_huddles(demo_path)
        assert closed["closed"] == 1 and closed["kind"] == "daily"
        assert abs(closed["duration_s"] - 630) <= 1
        assert closed["lead"] == "JM" and closed["written_by"] == "KR"
        attendance = json.loads(closed["attendance"])
        assert attendance == {"nurse": 2, "hcsw": 1, "doctor": 0, "ahp": 0, "other": 0}
        notes = json.loads(closed["notes"])
        assert notes == {"safety": "Near miss bay 2", "at_risk": "Bed 12 falls"}

        pane = app.query_one(HuddlePane)
        assert pane.running is None
        assert app.query_one("#huddle-views", ContentSwitcher).current == "huddle-start"
        table = app.query_one("#huddle-list", DataTable)
        assert table.coordinate_to_cell_key((0, 0)).row_key.value == huddle_id
        top = [str(cell) for cell in table.get_row_at(0)]
        assert top == ["26 Nov 09:00", "Daily", "JM", "3", "10:30", "closed"]
        record = static_text(app, "#huddle-record")
        assert "Near miss bay 2" in record and "New hoist sling" in record


async def test_weekly_huddle_has_its_four_sections_and_fifteen_minutes(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "w")
        notes = [area.id for area in app.query(TextArea)]
        assert notes == ["note-box_score", "note-ideas", "note-celebrations", "note-next_steps"]
        titles = [str(label.content) for label in app.query(".agenda-title").results(Label)]
        assert titles == [
            "1. Box score review",
            "2. Ideas and PDSA tests",
            "3. Celebrations",
            "4. Next steps and actions",
        ]
        assert app.query_one("#timer-digits", Digits).value == "15:00"
        assert "00:00 used of 15:00" in static_text(app, "#timer-used")
        await pilot.click("#attend-doctor .attendance-more")  # by touch, too
        await pilot.click("#attend-ahp .attendance-more")
        await pilot.click("#attend-ahp .attendance-fewer")
        await pilot.click("#close-huddle")
        await settle(pilot)
        (huddle,) = todays_huddles(demo_path)
        assert huddle["kind"] == "weekly" and huddle["lead"] == "JM" and huddle["closed"] == 1
        assert json.loads(huddle["attendance"])["doctor"] == 1
        assert json.loads(huddle["attendance"])["ahp"] == 0


async def test_timer_uses_the_huddle_length_settings(
    demo_path: Path, board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = board(demo_path)
    app.settings = app.settings.__class__(db_path=demo_path, daily_huddle_minutes=5)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        assert app.query_one("#timer-digits", Digits).value == "05:00"
        monotonic.advance(4 * 60 + 1)
        app.query_one(HuddleTimer).tick()
        assert app.query_one(HuddleTimer).has_class("amber")


# -- what is refused, and what is shown literally ----------------------------------------------


async def test_note_with_a_patient_identifier_is_refused_and_kept_on_screen(
    demo_path: Path, board: BoardFactory
) -> None:
    assert privacy.has_identifier(CHI)
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        app.query_one("#note-safety", TextArea).load_text("Safe shift")
        await pilot.press("tab", "tab")
        await type_text(pilot, "Bed 4 ")
        app.query_one("#note-staffing", TextArea).insert(f"CHI {CHI} short")
        note = f"Bed 4 CHI {CHI} short"
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = app.query_one("#huddle-status", Static)
        assert status.has_class("refused")
        assert "Staffing against plan" in static_text(app, "#huddle-status")
        assert "CHI number" in static_text(app, "#huddle-status")
        staffing = app.query_one("#note-staffing", TextArea)
        assert staffing.text == note and app.focused is staffing
        assert app.query_one("#note-safety", TextArea).text == "Safe shift"

        await pilot.press("escape", "c")  # closing is refused too
        await settle(pilot)
        (huddle,) = todays_huddles(demo_path)
        assert huddle["closed"] == 0 and json.loads(huddle["notes"]) == {}
        assert app.query_one(HuddlePane).running is not None
        stored = rows(demo_path, "SELECT * FROM huddles WHERE notes LIKE ?", [f"%{CHI}%"])
        assert stored == []


async def test_markup_and_control_characters_in_notes_are_shown_literally(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        await type_text(pilot, "[bold]x[/")
        app.query_one("#note-flow", TextArea).load_text("clear \x1b[2J screen")
        await pilot.press("escape", "c")
        await settle(pilot)
        (huddle,) = todays_huddles(demo_path)
        assert huddle["closed"] == 1
        assert json.loads(huddle["notes"])["flow"] == "clear \x1b[2J screen"
        on_screen = shown(app.query_one("#huddle-record", Static))
        assert "[bold]x[/" in on_screen
        assert "clear ␛[2J screen" in on_screen and "\x1b" not in on_screen


# -- open actions and resuming --------------------------------------------------------------


async def test_open_actions_are_listed_overdue_first(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        lines = static_text(app, "#huddle-open-actions").splitlines()
        db = connect(demo_path)
        expected = queries.open_actions(db, TODAY)
        db.close()
        assert len(lines) == len(expected) >= 6
        overdue = [line.startswith("⚠ OVERDUE") for line in lines]
        assert overdue == sorted(overdue, reverse=True)  # every OVERDUE line comes first
        assert 0 < sum(overdue) < len(lines)
        assert overdue == [action.overdue(TODAY) for action in expected]
        for line, action in zip(lines, expected, strict=True):
            assert f"{action.due_on:%a %d %b}" in line and action.text in line


async def test_a_huddle_left_open_is_offered_for_resuming(
    demo_path: Path, board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        await type_text(pilot, "Sharps")
        app.query_one("#note-at_risk", TextArea).load_text("Bed 4 DOB 01/02/1950")
        monotonic.advance(95)
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = static_text(app, "#huddle-status")
        assert "Saved at 09:00" in status  # a warning, not a refusal:
        assert "bed number together with what looks like a date of birth" in status
    (huddle,) = todays_huddles(demo_path)
    assert huddle["closed"] == 0 and huddle["duration_s"] == 95
    assert json.loads(huddle["notes"]) == {"safety": "Sharps", "at_risk": "Bed 4 DOB 01/02/1950"}

    again = board(demo_path)  # the kiosk restarted
    async with again.run_test(size=KIOSK) as pilot:
        await pilot.press("3")
        await settle(pilot)
        resume = again.query_one("#resume-huddle")
        assert resume.display
        assert "Resume the daily huddle of Thu 26 Nov 09:00 (r)" in str(resume.label)  # type: ignore[attr-defined]
        top = [str(cell) for cell in again.query_one("#huddle-list", DataTable).get_row_at(0)]
        assert top[-1] == "● open"
        await pilot.press("r")
        await settle(pilot)
        assert again.query_one("#note-safety", TextArea).text == "Sharps"
        assert again.query_one("#timer-digits", Digits).value == "08:25"


async def test_action_form_refuses_a_bad_due_date_and_stays_open(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await start_huddle(pilot, "d")
        await pilot.press("escape")
        await pilot.click("#raise-action")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        await type_text(pilot, "O2 check")
        await pilot.press("tab")
        await type_text(pilot, "CW")
        await pilot.press("tab")
        await type_text(pilot, "31/02/2027")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ActionForm)
        error = app.screen.query_one("#form-error", Static)
        assert "'31/02/2027' is not a date in the calendar" in str(error.content)
        assert rows(demo_path, "SELECT * FROM actions WHERE text = 'O2 check'") == []


@pytest.mark.parametrize(
    ("typed", "due"),
    [
        ("tomorrow", dt.date(2026, 11, 27)),
        ("today", TODAY),
        ("+3", dt.date(2026, 11, 29)),
        (" +10 days ", dt.date(2026, 12, 6)),
        ("2026-12-01", dt.date(2026, 12, 1)),
        ("01/12/2026", dt.date(2026, 12, 1)),
        ("1.12.2026", dt.date(2026, 12, 1)),
    ],
)
def test_due_dates_are_read_the_ways_wards_write_them(typed: str, due: dt.date) -> None:
    assert parse_due(typed, TODAY) == due


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "A due date is needed"),
        ("next week", "'next week' is not a date"),
        ("2026-02-30", "not a date in the calendar"),
        ("25/11/2026", "is in the past"),
        ("+400", "more than a year away"),
    ],
)
def test_bad_due_dates_are_refused_with_a_message(typed: str, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_due(typed, TODAY)
    assert message in refused.value.message


# -- how it looks ---------------------------------------------------------------------------


async def show_huddle_screen(pilot: Pilot[None]) -> None:
    await settle(pilot)  # the board has started: the tab bar is ready for keys
    await pilot.press("3")
    await settle(pilot)


async def run_a_daily_huddle(pilot: Pilot[None]) -> None:
    await start_huddle(pilot, "d")
    await type_text(pilot, "Near miss bay 2")
    await pilot.press("escape", "+", "+")  # off the notes: no blinking cursor in the picture
    await settle(pilot)
    # Where the agenda rests after the focus left the notes depends on when the scroll to the
    # focused field landed: start the picture from the top of the agenda.
    pilot.app.query_one("#huddle-agenda").scroll_home(animate=False)
    await settle(pilot)


def test_snapshot_start_view_kiosk(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=show_huddle_screen)


def test_snapshot_start_view_small(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=SMALL, run_before=show_huddle_screen)


def test_snapshot_running_daily_huddle_kiosk(
    snap_compare: Any, demo_path: Path, board: BoardFactory
) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=run_a_daily_huddle)


async def test_a_second_start_press_while_saving_starts_no_second_huddle(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    before = rows(demo_path, "SELECT COUNT(*) AS n FROM huddles")[0]["n"]
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        app.remember_initials("JM")
        await pilot.press("3")
        await settle(pilot)
        pane = app.query_one(HuddlePane)
        pane.action_start("daily")
        pane.action_start("daily")  # a double tap, before the first start is saved
        await settle(pilot)
        assert pane.running is not None
    after = rows(demo_path, "SELECT COUNT(*) AS n FROM huddles")[0]["n"]
    assert after == before + 1

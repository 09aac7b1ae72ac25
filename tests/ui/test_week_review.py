"""The coach's week review on the real board (demo ward, fixed clock on Thu 26 Nov 2026): it
opens on the last complete week (2026-W47) with that week's figures as `review.week_review`
works them out from the same file, moves a week at a time and to a typed week, writes the
report-out (HTML and Markdown) with `huddle_board.report`, refuses one that would show a
patient identifier (and says where) or cannot be written, and copes with an 80×24 terminal."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Digits, Input, RadioButton, Static

from huddle_board import report
from huddle_board.db import connect
from huddle_board.review import WeekReview, week_review
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.week_dialogs import GoToWeekScreen, ReportOutScreen
from huddle_board.ui.screens.week_review import WeekReviewScreen
from tests.ui.conftest import KIOSK, NOW, BoardFactory, settle

pytestmark = pytest.mark.anyio

W47 = dt.date(2026, 11, 16)
W46 = dt.date(2026, 11, 9)
W48 = dt.date(2026, 11, 23)
WARD_NAME = "Ward 7A Respiratory"
CHI = "0101701233"  # passes the modulus 11 check: a likely CHI number
SPIROMETRY = "Bedside spirometry instead of the lab"  # changed status on 18 Nov (W47)


# -- helpers ---------------------------------------------------------------------------------


def reviewed(path: Path, monday: dt.date) -> WeekReview:
    """The review as the screen should show it, worked out on the same file."""
    db = connect(path)
    try:
        return week_review(db, monday, today=NOW.date())
    finally:
        db.close()


def drawn(widget: Widget) -> str:
    """What the widget draws, line by line (all of it, scrolled into view or not)."""
    region = Region(0, 0, *widget.outer_size)
    return "\n".join(strip.text.rstrip() for strip in widget.render_lines(region))


def part(app: HuddleBoardApp, selector: str) -> str:
    return drawn(app.screen.query_one(selector, Static))


def whole(app: HuddleBoardApp) -> str:
    """Everything the review shows, from its title to its rules line."""
    screen = app.screen
    assert isinstance(screen, WeekReviewScreen)
    return "\n".join(drawn(widget) for widget in screen.query(Static))


def tile(app: HuddleBoardApp, key: str) -> str:
    """A figure of the glance: its large digits' value, then its words."""
    box = app.screen.query_one(f"#wr-tile-{key}")
    words = one_line(drawn(box.query_one(".wr-words", Static)))
    return f"{box.query_one(Digits).value} {words}"


def one_line(text: str) -> str:
    return " ".join(text.split())


async def open_review(pilot: Pilot[None], **options: Any) -> WeekReviewScreen:
    app = pilot.app
    await settle(pilot)
    app.push_screen(WeekReviewScreen(**options))
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, WeekReviewScreen) and screen.review is not None
    return screen


async def press(pilot: Pilot[None], *keys: str) -> None:
    await pilot.press(*keys)
    await settle(pilot)


def row_of(text: str, name: str) -> str:
    """The box score's line that starts with the measure's name."""
    return next(line for line in text.splitlines() if line.strip().startswith(name))


# -- what it shows ---------------------------------------------------------------------------


async def test_opens_on_the_last_complete_week_with_its_figures(
    demo_path: Path, board: BoardFactory
) -> None:
    expected = reviewed(demo_path, W47)
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        screen = await open_review(pilot)
        assert screen.week == W47
        title = part(app, "#wr-title")
        assert "Week review 2026-W47" in title
        assert "Mon 16 Nov – Sun 22 Nov 2026" in title and WARD_NAME in title
        assert "still running" not in title

        # The demo's week as a coach reads it on screen.
        huddles = part(app, "#wr-huddles")
        assert one_line(row_of(huddles, "Daily safety huddle")).startswith(
            "Daily safety huddle 7 of 7 10.0"
        )
        assert one_line(row_of(huddles, "Weekly value-management huddle")).startswith(
            "Weekly value-management huddle 1 of 1 11.0"
        )
        assert "A daily huddle was held every day." in huddles
        assert "16 raised and 6 closed this week; 19 open and 4 overdue at 22 Nov." in one_line(
            part(app, "#wr-actions")
        )
        assert "✔ Every measure due this week has its value." in part(app, "#wr-missing")

        # Every signal the engine finds on the week's point, with its icon and reason.
        signals = one_line(part(app, "#wr-signals"))
        assert [row.measure.name for row in expected.signals] == [
            "Pressure ulcers grade 2+",
            "Sickness absence",
            "Vacancies",
            "Cost per patient per week",
        ]
        assert "▲ Concern Pressure ulcers grade 2+ 2 (week before 0) above the upper limit" in (
            signals
        )
        assert "▼ Improvement Cost per patient per week £455.2 (week before" in signals
        assert "2 of 3 weeks close to the lower limit (also 7 points on one side" in signals

        # Each measure's line: this week's value, the change and its variation.
        box_score = part(app, "#wr-box-score")
        for row in expected.measures:
            if row.value is None:
                continue
            line = one_line(row_of(box_score, row.measure.name[:14]))
            assert row.measure.format(row.value) in line, row.measure.name
        assert one_line(row_of(box_score, "Pressure ulcers")).endswith(
            "0 0 2 +2 ✘ missed ▲ Concern (high) ? Hit and miss"
        )
        assert "not due" in one_line(row_of(box_score, "Direct care time"))  # sampled

        # The glance agrees with the review.
        daily = tile(app, "daily")
        assert daily == f"{expected.daily.held} of {expected.daily.expected} daily huddles held"
        overdue = tile(app, "overdue")
        assert overdue == f"{len(expected.actions.overdue)} actions overdue" == "4 actions overdue"
        assert app.screen.query_one("#wr-tile-overdue").has_class("-alert")
        assert not app.screen.query_one("#wr-tile-missing").has_class("-alert")

        # Lists: every overdue action, the idea that changed status, the PDSA cycles.
        actions = one_line(part(app, "#wr-actions"))
        for action in expected.actions.overdue:
            assert action.text in actions
        ideas = one_line(part(app, "#wr-ideas"))
        assert SPIROMETRY in ideas and "In test" in ideas
        finished = ideas.split("PDSA cycles finished")[1].split("PDSA cycles open")[0]
        for entry in expected.cycles_finished:  # (long texts wrap within their columns)
            day = entry.cycle.finished_on
            assert day is not None and f" {entry.cycle.number} {day.day} {day:%b} " in finished
        assert finished.count("Adapt") == len(expected.cycles_finished) == 3
        assert "Making Data Count" in part(app, "#wr-rules")


async def test_moves_a_week_at_a_time_and_to_this_week(
    demo_path: Path, board: BoardFactory
) -> None:
    earlier = reviewed(demo_path, W46)
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        screen = await open_review(pilot)
        assert SPIROMETRY in one_line(part(app, "#wr-ideas"))

        await press(pilot, "left")
        assert screen.week == W46 and screen.review is not None and screen.review.week == W46
        assert "Week review 2026-W46" in part(app, "#wr-title")
        ideas = one_line(part(app, "#wr-ideas"))
        for change in earlier.ideas_changed:
            assert change.idea.title in ideas
        assert "Lying and standing blood pressure on admission" in ideas
        signals = one_line(part(app, "#wr-signals"))
        assert "13 weeks above average" in signals and "29 weeks below average" in signals
        assert tile(app, "opened") == "7 actions raised · 4 closed"

        await press(pilot, "right_square_bracket")
        assert "Week review 2026-W47" in part(app, "#wr-title")
        await press(pilot, "right")
        title = part(app, "#wr-title")
        assert "Week review 2026-W48" in title and "week still running: as at Thu 26 Nov" in title
        missing = one_line(part(app, "#wr-missing"))
        assert missing.startswith("? Still missing for this week: Patient experience score (JM)")
        # No later week to review: it stays on the current one, and says so.
        await press(pilot, "right")
        assert screen.week == W48
        assert any("no later week" in n.message for n in app._notifications)

        await press(pilot, "left_square_bracket", "left_square_bracket", "t")
        assert screen.week == W48 and "2026-W48" in part(app, "#wr-title")

        await press(pilot, "escape")
        assert len(app.screen_stack) == 1


async def test_goes_to_a_typed_week(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        screen = await open_review(pilot)
        await press(pilot, "g")
        dialog = app.screen
        assert isinstance(dialog, GoToWeekScreen)
        field = dialog.query_one(Input)
        for typed, problem in (
            ("2026-W99", "2026 has no week 99"),
            ("last week", "write an ISO week like 2026-W47"),
            ("2026-W50", "2026-W50 has not started yet"),
        ):
            field.value = typed
            await press(pilot, "enter")
            assert app.screen is dialog
            assert problem in one_line(drawn(dialog.query_one("#wr-week-error", Static)))
        field.value = "2026-W40"
        await press(pilot, "enter")
        assert app.screen is screen and screen.week == dt.date(2026, 9, 28)
        assert "Week review 2026-W40" in part(app, "#wr-title")


async def test_user_text_is_never_markup(demo_path: Path, board: BoardFactory) -> None:
    title = "[bold red]Spirometry[/] at the bed\x1b[2J"
    conn = sqlite3.connect(demo_path)
    with conn:
        conn.execute("UPDATE ideas SET title = ? WHERE title = ?", (title, SPIROMETRY))
    conn.close()
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_review(pilot)
        ideas = one_line(part(app, "#wr-ideas"))
        assert "[bold red]Spirometry[/] at the bed" in ideas
        assert "\x1b" not in ideas


# -- the report-out --------------------------------------------------------------------------


async def open_report(pilot: Pilot[None]) -> ReportOutScreen:
    await press(pilot, "r")
    dialog = pilot.app.screen
    assert isinstance(dialog, ReportOutScreen)
    return dialog


def message(dialog: ReportOutScreen) -> str:
    return one_line(drawn(dialog.query_one("#wr-report-error", Static)))


async def test_report_out_writes_the_html_report(
    demo_path: Path, board: BoardFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        screen = await open_review(pilot, report_dir=folder)
        dialog = await open_report(pilot)
        field = dialog.query_one("#wr-report-path", Input)
        target = folder / "huddle-report-2026-W47.html"
        assert field.value == str(target)
        await press(pilot, "enter")
        assert app.screen is screen
        assert any(str(target) in n.message for n in app._notifications)
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert WARD_NAME in html and "2026-W47" in html and "<svg" in html
    # What report.py makes of the week, as `huddle-board report` writes it.
    assert html == report.render_html(reviewed(demo_path, W47), generated_on=NOW.date())
    assert [p.name for p in folder.iterdir()] == [target.name]  # no temporary file left


async def test_report_out_in_markdown_by_the_switch_or_the_ending(
    demo_path: Path, board: BoardFactory, tmp_path: Path
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_review(pilot, report_dir=tmp_path)
        dialog = await open_report(pilot)
        field = dialog.query_one("#wr-report-path", Input)
        await pilot.click("#wr-format-md")
        await settle(pilot)
        assert field.value == str(tmp_path / "huddle-report-2026-W47.md")
        # Typing an ending moves the switch back.
        field.value = str(tmp_path / "out.html")
        await settle(pilot)
        assert dialog.query_one("#wr-format-html", RadioButton).value
        field.value = str(tmp_path / "week.markdown")
        await settle(pilot)
        assert dialog.query_one("#wr-format-md", RadioButton).value
        await pilot.click("#wr-report-ok")
        await settle(pilot)
        assert not isinstance(app.screen, ReportOutScreen)
    text = (tmp_path / "week.markdown").read_text(encoding="utf-8")
    assert text.startswith(f"# {WARD_NAME}: week review 2026-W47")
    assert not (tmp_path / "out.html").exists()


async def test_report_out_refuses_a_patient_identifier_and_says_where(
    demo_path: Path, board: BoardFactory, tmp_path: Path
) -> None:
    # Straight into the file, past the board's own check (as an old or imported row could be).
    conn = sqlite3.connect(demo_path)
    with conn:
        changed = conn.execute(
            "UPDATE ideas SET problem = ? WHERE title = ?", (f"bed 4 {CHI}", SPIROMETRY)
        ).rowcount
    conn.close()
    assert changed == 1
    folder = tmp_path / "reports"
    folder.mkdir()
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_review(pilot, report_dir=folder)
        dialog = await open_report(pilot)
        await press(pilot, "enter")
        assert app.screen is dialog  # stays open, saying why
        said = message(dialog)
        assert said.startswith("The report was not made: it would show what looks like a")
        assert f"idea '{SPIROMETRY}', field problem: looks like a CHI number" in said
        assert CHI not in said
        assert dialog.query_one("#wr-report-error", Static).has_class("problem")
    assert list(folder.iterdir()) == []  # nothing written, not even a temporary file


async def test_report_out_says_when_the_file_cannot_be_written(
    demo_path: Path, board: BoardFactory, tmp_path: Path
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_review(pilot, report_dir=tmp_path)
        dialog = await open_report(pilot)
        target = tmp_path / "no such folder" / "report.html"
        dialog.query_one("#wr-report-path", Input).value = str(target)
        await press(pilot, "enter")
        assert app.screen is dialog
        said = message(dialog)
        assert said.startswith(f"{target} could not be written (No such file or directory).")
        assert "Nothing was written" in said
        # Fixed: written into the folder the path names, under the week's own name.
        dialog.query_one("#wr-report-path", Input).value = str(tmp_path)
        await press(pilot, "enter")
        assert not isinstance(app.screen, ReportOutScreen)
    assert WARD_NAME in (tmp_path / "huddle-report-2026-W47.html").read_text(encoding="utf-8")
    assert not target.parent.exists()


# -- small screens and the snapshot ----------------------------------------------------------


async def test_an_80_by_24_terminal(demo_path: Path, board: BoardFactory, tmp_path: Path) -> None:
    app = board(demo_path)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_review(pilot, report_dir=tmp_path)
        assert screen.has_class("-narrow") and screen.has_class("-short")
        box_score = part(app, "#wr-box-score")
        for name in ("Pressure ulcers", "Sickness absence", "Cost per patient"):
            assert "✘ missed" in one_line(row_of(box_score, name))
        assert one_line(part(app, "#wr-tile-daily .wr-line")) == "7 of 7 daily huddles held"
        await press(pilot, "pagedown", "pagedown", "end", "left", "home")
        assert "Week review 2026-W46" in part(app, "#wr-title")
        await press(pilot, "g", "escape", "r")
        assert isinstance(app.screen, ReportOutScreen)
        await press(pilot, "escape", "escape")
        assert len(app.screen_stack) == 1


async def _week_review(pilot: Pilot[None]) -> None:
    await open_review(pilot, report_dir=Path("/reports"))


def test_snapshot_week_review_kiosk(
    snap_compare: Any, demo_path: Path, board: BoardFactory
) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=_week_review)

"""The box score screen and the week values form: bands, week columns by width, missing values
as a dash, the 'still missing' line, and recording a week by keyboard (checked in the store)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Label, Static

from huddle_board.clock import FixedClock
from huddle_board.db import commands, connect, open_store, queries
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.box_score import BoxScorePane
from huddle_board.ui.screens.week_form import WeekValuesForm
from huddle_board.ui.widgets.grid import BoardGrid
from tests.ui.conftest import KIOSK, NOW, SMALL, BoardFactory, settle

pytestmark = pytest.mark.anyio

WARD = "TEST-7A"
WEEK = dt.date(2026, 11, 23)
WALL = (240, 67)


@pytest.fixture
def small_ward(tmp_path: Path) -> dict[str, Any]:
    """Three measures and no values yet: a ratio (falls per 1,000 bed days), a percentage and
    a cost."""
    path = tmp_path / "box.db"
    db, _ = open_store(path)
    clock = FixedClock(NOW)
    commands.set_ward(db, WARD, "Test ward 7A", clock)
    author = commands.Author(WARD, "JM", clock)
    spec = commands.MeasureSpec
    ids = {
        "falls": commands.add_measure(
            db,
            author,
            spec(
                "Falls per 1,000 bed days",
                "performance",
                "per 1,000",
                1,
                "decrease",
                6.0,
                "SC",
                is_ratio=True,
                ratio_scale=1000,
            ),
        ),
        "noon": commands.add_measure(
            db, author, spec("Discharges before noon", "performance", "%", 0, "increase", 33, "MO")
        ),
        "cost": commands.add_measure(
            db, author, spec("Cost per patient per week", "cost", "£", 2, "decrease", 450)
        ),
    }
    db.close()
    return {"path": path, "ids": ids}


def table(app: HuddleBoardApp) -> BoardGrid:
    return app.query_one("#box-score-table", BoardGrid)


def cell(app: HuddleBoardApp, row_key: str, column: int) -> str:
    return table(app).cells(row_key)[column].plain


def column(app: HuddleBoardApp, key: str) -> int:
    """Where the column `key` is (a week's is its Monday, e.g. "2026-11-23")."""
    return [found.key for found in table(app).columns].index(key)


def values_in_store(path: Path, week: dt.date = WEEK) -> dict[str, Any]:
    db = connect(path)
    try:
        return {measure_id: value for measure_id, value in queries.week_values(db, week).items()}
    finally:
        db.close()


async def open_form(pilot: Pilot[None]) -> WeekValuesForm:
    await settle(pilot)
    await pilot.press("e")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, WeekValuesForm)
    return form


def form_error(form: WeekValuesForm) -> str:
    error = form.query_one("#form-error", Static)
    return str(error.render()) if error.has_class("shown") else ""


# -- the box score ---------------------------------------------------------------------------


async def test_three_bands_and_eight_weeks_on_a_wall_screen(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=WALL) as pilot:
        await settle(pilot)
        keys = table(app).row_keys
        bands = [key for key in keys if key.startswith("band-")]
        assert bands == ["band-performance", "band-capacity", "band-cost"]
        assert [cell(app, band, 0) for band in bands] == ["PERFORMANCE", "CAPACITY", "COST"]
        titles = [found.label.plain for found in table(app).columns]
        assert titles[0] == "Measure" and titles[9:] == [
            "Target",
            "This week",
            "Variation",
            "Assurance",
            "Trend",
            "Special cause (latest)",
        ]
        assert titles[1] == "05 Oct" and titles[8] == "▶ 23 Nov"  # eight week columns
        # on the kiosk's screen the SPC takes the place of the older weeks and the trend
        await pilot.resize_terminal(*KIOSK)
        await settle(pilot)
        titles = [found.label.plain for found in table(app).columns]
        assert titles == [
            "Measure",
            "09 Nov",
            "16 Nov",
            "▶ 23 Nov",
            "Target",
            "This week",
            "Variation",
            "Assurance",
            "Special cause (latest)",
        ]


async def test_fewer_weeks_on_a_small_screen(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        titles = [found.label.plain for found in table(app).columns]
        weeks = titles[1 : titles.index("Target")]
        assert 1 < len(weeks) < 8
        assert weeks[-1] == "▶ 23 Nov"


async def test_missing_values_are_a_dash_and_named_with_their_owners(
    demo_path: Path, board: BoardFactory
) -> None:
    db = connect(demo_path)
    score = queries.box_score(db, WEEK)
    db.close()
    missing = score.missing()
    assert missing, "the demo ward has measures still missing this week"
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        latest = column(app, WEEK.isoformat())
        for measure in missing:
            assert cell(app, measure.id, latest) == "–"
        line = str(app.query_one("#box-score-missing", Static).render())
        assert line.startswith("Still missing for 2026-W48: ")
        for measure in missing:
            assert f"{measure.name} ({measure.owner or 'no owner'})" in line


async def test_a_ward_with_no_values_shows_dashes_never_zero(
    small_ward: dict[str, Any], board: BoardFactory
) -> None:
    app = board(small_ward["path"])
    async with app.run_test(size=WALL) as pilot:  # all eight weeks on screen
        await settle(pilot)
        for measure_id in small_ward["ids"].values():
            cells = [text.plain for text in table(app).cells(measure_id)[1:9]]
            assert cells == ["–"] * 8
        line = str(app.query_one("#box-score-missing", Static).render())
        assert "Falls per 1,000 bed days (SC)" in line
        assert "Cost per patient per week (no owner)" in line


async def test_the_cursor_moves_over_measures_never_bands(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        grid = table(app)
        assert app.focused is grid
        measures = [row.key for row in grid.rows if not row.band]
        assert grid.cursor_key == measures[0]
        await pilot.press("up")
        assert grid.cursor_key == measures[0]
        seen = []
        for _ in measures:
            seen.append(grid.cursor_key)
            await pilot.press("down")
        assert seen == measures  # each measure once, in order, the band rows skipped
        assert grid.cursor_key == measures[-1]
        await pilot.press("home")
        assert grid.cursor_key == measures[0]


async def test_a_click_selects_the_measure_and_a_reload_keeps_it(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        grid = table(app)
        capacity = grid.row_keys.index("band-capacity")
        target = grid.rows[capacity + 1]
        line = 1 + sum(row.height for row in grid.rows[: capacity + 1])  # under the header
        await pilot.click("#box-score-table", offset=(5, line))
        assert grid.cursor_key == target.key
        await pilot.click("#box-score-table", offset=(5, line - 1))  # the band title
        assert grid.cursor_key == target.key
        pane = app.query_one(BoxScorePane)
        pane.show(pane._last_data)  # the same figures drawn again, as after a save
        await settle(pilot)
        assert grid.cursor_key == target.key


async def test_the_cursor_stays_in_view_on_a_small_screen(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=(100, 24)) as pilot:
        await settle(pilot)
        grid = table(app)
        assert grid.virtual_size.height > grid.size.height  # it has to scroll
        await pilot.press("end")
        await settle(pilot)
        assert grid.scroll_y > 0
        last = grid.rows[-1]
        shown = [grid.render_line(y).text for y in range(grid.size.height)]
        assert shown[0].lstrip().startswith("Measure")  # the header stays on top
        assert any(last.cells[0].plain in line for line in shown)


async def test_measure_names_are_shown_literally(tmp_path: Path, board: BoardFactory) -> None:
    path = tmp_path / "names.db"
    db, _ = open_store(path)
    clock = FixedClock(NOW)
    commands.set_ward(db, WARD, "Test ward 7A", clock)
    author = commands.Author(WARD, "JM", clock)
    name = "[bold]Falls[/ \x1b[2J"
    measure_id = commands.add_measure(
        db, author, commands.MeasureSpec(name, "performance", "n", 0, "decrease", 2)
    )
    db.close()
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        shown = table(app).cells(measure_id)[0].plain
        assert shown.startswith("[bold]Falls[/ ") and "\x1b" not in shown
        lines = [table(app).render_line(y).text for y in range(6)]
        assert any("[bold]Falls[/" in line for line in lines)


# -- the week values form --------------------------------------------------------------------


async def test_record_a_week_by_keyboard(small_ward: dict[str, Any], board: BoardFactory) -> None:
    path, ids = small_ward["path"], small_ward["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(pilot)
        assert form.focused is form.query_one(f"#num-{ids['falls']}", Input)
        await pilot.press("2", "tab", *"180", "tab", *"35", "tab", *"£1,234.5")
        await pilot.press("ctrl+s")  # no initials yet: asked for in the form
        await settle(pilot)
        assert app.screen is form
        assert "Initials must be 2 to 4 letters" in form_error(form)
        assert values_in_store(path) == {}
        await pilot.press("tab", "j", "m", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, WeekValuesForm)
        stored = values_in_store(path)
        falls = stored[ids["falls"]]
        assert (falls.numerator, falls.denominator) == (2, 180)
        assert falls.value == pytest.approx(2 / 180 * 1000)
        assert stored[ids["noon"]].value == 35
        assert stored[ids["cost"]].value == 1234.5
        assert {value.written_by for value in stored.values()} == {"JM"}
        latest = column(app, WEEK.isoformat())
        assert cell(app, ids["falls"], latest) == "11.1"
        assert cell(app, ids["cost"], latest) == "£1,234.50"
        line = str(app.query_one("#box-score-missing", Static).render())
        assert line == "✔ Every measure is recorded for 2026-W48."


async def test_a_word_is_refused_naming_the_measure(
    small_ward: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = small_ward["path"], small_ward["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(pilot)
        await pilot.press("tab", "tab", *"abc", "tab", *"450")
        form.query_one("#initials", Input).value = "JM"
        await pilot.click("#save")
        await settle(pilot)
        assert app.screen is form
        assert form_error(form) == (
            "Discharges before noon: 'abc' is not a number (use a point for decimals)."
        )
        assert form.query_one(f"#val-{ids['noon']}", Input).value == "abc"
        # A decimal comma is refused, not read as a thousands separator (12,5 is not 125).
        form.query_one(f"#val-{ids['noon']}", Input).value = "12,5"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form_error(form).startswith("Discharges before noon: '12,5' is not a number")
        assert values_in_store(path) == {}


async def test_a_ratio_with_only_the_numerator_is_refused(
    small_ward: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = small_ward["path"], small_ward["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(pilot)
        await pilot.press("3", "tab", "tab", *"40")
        form.query_one("#initials", Input).value = "JM"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        message = "Falls per 1,000 bed days: give both the numerator and the denominator."
        assert form_error(form) == message
        assert form.query_one(f"#num-{ids['falls']}", Input).value == "3"
        assert values_in_store(path) == {}  # the other value is not written either


async def test_previous_and_next_week_load_stored_values(
    demo_path: Path, board: BoardFactory
) -> None:
    db = connect(demo_path)
    measures = queries.measures(db)
    earlier = queries.week_values(db, WEEK - dt.timedelta(weeks=1))
    current = queries.week_values(db, WEEK)
    db.close()
    plain = next(m for m in measures if not m.is_ratio and m.id in earlier and m.id in current)
    ratio = next(m for m in measures if m.is_ratio and m.id in earlier)
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(pilot)

        def shown(prefix: str, measure_id: str) -> str:
            return form.query_one(f"#{prefix}-{measure_id}", Input).value

        def label() -> str:
            return str(form.query_one("#week-label", Label).render())

        assert label() == "Week of 23 Nov 2026 (2026-W48)"
        assert float(shown("val", plain.id)) == current[plain.id].value
        await pilot.click("#previous-week")
        await settle(pilot)
        assert label() == "Week of 16 Nov 2026 (2026-W47)"
        assert float(shown("val", plain.id)) == earlier[plain.id].value
        assert float(shown("num", ratio.id)) == earlier[ratio.id].numerator
        assert float(shown("den", ratio.id)) == earlier[ratio.id].denominator
        await pilot.click("#next-week")
        await settle(pilot)
        assert label() == "Week of 23 Nov 2026 (2026-W48)"
        assert float(shown("val", plain.id)) == current[plain.id].value


# -- snapshots -------------------------------------------------------------------------------


async def _settled(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def _week_form(pilot: Pilot[None]) -> None:
    await open_form(pilot)


def test_snapshot_box_score_kiosk(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=_settled)


def test_snapshot_box_score_small(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=SMALL, run_before=_settled)


def test_snapshot_week_form_kiosk(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=_week_form)

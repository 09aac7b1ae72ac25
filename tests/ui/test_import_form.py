"""The import form on the real board (demo ward): a person types the file's and the mapping's
paths, checks the file (every problem on screen with its line, nothing written), then imports a
good one; what reached the store is read back."""

from __future__ import annotations

import re
import sqlite3
import zipfile
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Checkbox, Input, Static

from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.import_form import ImportForm
from tests.ui.conftest import KIOSK, BoardFactory, revisions, settle

pytestmark = pytest.mark.anyio

DATA = Path(__file__).parent.parent / "data" / "import"
MAPPING = DATA / "mapping.toml"


async def open_form(app: HuddleBoardApp, pilot: Pilot[None]) -> ImportForm:
    await settle(pilot)
    form = ImportForm()
    app.push_screen(form)
    await settle(pilot)
    assert app.screen is form
    return form


async def fill(pilot: Pilot[None], form: ImportForm, csv_path: Path) -> None:
    """Type the CSV file's path (the cursor starts there) and the mapping's."""
    assert form.focused is form.query_one("#import-csv", Input)
    await pilot.press(*str(csv_path))
    await pilot.press("tab", *str(MAPPING))


def result(form: ImportForm) -> str:
    """The result area's text, lines joined as written (not as wrapped on screen)."""
    return str(form.query_one("#import-result", Static).render())


def imported_weeks(path: Path) -> dict[tuple[str, str], tuple[float, str, int]]:
    """(measure, week) → (value, written by, rev) for weeks before the demo's history."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT m.name, v.week, v.value, v.written_by, v.rev FROM week_values v "
            "JOIN measures m ON m.id = v.measure_id WHERE v.week < '2024-12-02'"
        ).fetchall()
    finally:
        conn.close()
    return {(name, week): (value, by, rev) for name, week, value, by, rev in rows}


async def test_check_shows_every_bad_row_with_its_line_and_writes_nothing(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    before = revisions(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(app, pilot)
        await fill(pilot, form, DATA / "bad.csv")
        await pilot.click("#import-check")
        await settle(pilot)

        shown = result(form)
        assert shown.splitlines()[0] == "bad.csv: 8 problems; nothing was imported."
        lines = re.findall(r"^  line (\d+):", shown, re.MULTILINE)
        assert lines == ["3", "4", "6", "7", "8", "9", "10", "11"]
        assert "  line 4: 'Bank £' is 'lots', not a number." in shown.splitlines()
        assert form.query_one("#import-result", Static).has_class("refused")
        assert app.screen is form
    assert revisions(demo_path) == before
    assert imported_weeks(demo_path) == {}


async def test_a_good_file_is_checked_then_imported_then_refused_as_already_stored(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    before = revisions(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(app, pilot)
        await fill(pilot, form, DATA / "good.csv")
        await pilot.click("#import-check")
        await settle(pilot)
        assert result(form).splitlines() == [
            "good.csv: 4 rows, read as UTF-8, comma-separated; weeks 2024-W44 to 2024-W47.",
            "  Bank nursing spend: 4 new",
            "  Sickness absence: 3 new",
            "  Falls per 1,000 occupied bed days: 3 new",
            "Every row is good: press Import to write them.",
        ]
        assert revisions(demo_path) == before  # the check wrote nothing

        await pilot.click("#save")  # Import, without initials
        await settle(pilot)
        assert "Initials must be 2 to 4 letters" in str(form.query_one("#form-error").render())
        assert revisions(demo_path) == before

        form.query_one("#initials", Input).value = "JM"
        await pilot.press("ctrl+s")  # the Save key of every form (a second click this soon
        # after the first would be taken for the same press)
        await settle(pilot)
        assert result(form).splitlines()[-1] == "Imported: 10 values written by JM."
        assert app.screen is form  # stays open with what it did
        assert form.query_one("#save", Button).disabled
        assert str(form.query_one("#cancel", Button).label) == "Close"
        await pilot.press("ctrl+s")  # the key too: the file is not imported a second time
        await settle(pilot)
        assert "already imported" in str(form.query_one("#form-error").render())
        stored = imported_weeks(demo_path)
        assert stored["Bank nursing spend", "2024-10-28"] == (6120.5, "JM", 1)
        assert len(stored) == 10
        assert revisions(demo_path) == before + 10  # each value queued for sync

        await pilot.click("#cancel")
        await settle(pilot)
        assert not isinstance(app.screen, ImportForm)

        again = await open_form(app, pilot)
        await fill(pilot, again, DATA / "good.csv")
        again.query_one("#initials", Input).value = "AB"
        await pilot.press("ctrl+s")
        await settle(pilot)
        shown = result(again)
        assert shown.splitlines()[0] == "good.csv: 10 problems; nothing was imported."
        assert (
            "  line 2: Bank nursing spend already has a value for the week of 28 Oct 2024" in shown
        )
        assert shown.splitlines()[-1].startswith("Tick 'Replace values already on the board'")

        again.query_one("#import-replace", Checkbox).value = True
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert result(again).splitlines()[-1] == (
            "Nothing to write: the board holds these values already."
        )
    assert revisions(demo_path) == before + 10


async def test_a_workbook_renamed_csv_is_named_for_what_it_is(
    demo_path: Path, board: BoardFactory, tmp_path: Path
) -> None:
    book = tmp_path / "figures.csv"
    with zipfile.ZipFile(book, "w") as packed:
        packed.writestr("xl/workbook.xml", "<workbook/>")
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        form = await open_form(app, pilot)
        await fill(pilot, form, book)
        await pilot.click("#import-check")
        await settle(pilot)
        assert result(form).startswith("figures.csv is an Excel workbook")
        assert form.query_one("#import-result", Static).has_class("refused")

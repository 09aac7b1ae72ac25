"""The Ideas screen, driven like a ward team would: keys and clicks on the demo ward, checking
what is on screen and what reached the store (rows, authors, outbox)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.app import App
from textual.geometry import Region
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static, TextArea

from huddle_board.db import connect
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens import ideas as ideas_screen
from huddle_board.ui.screens.idea_forms import IdeaForm, PdsaPlanForm, PdsaResultForm
from huddle_board.ui.screens.ideas import IdeasPane
from huddle_board.ui.widgets.forms import InitialsScreen
from tests.ui.conftest import KIOSK, SMALL, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

NHS_TITLE = "Bed 4 943 476 5919"


# -- helpers ---------------------------------------------------------------------------------


def on_screen(widget: Widget) -> str:
    """The text the widget draws (its visible lines), as a person would read it."""
    width, height = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


def flat(text: str) -> str:
    """Screen text without borders, with wrapped lines joined (as a reader takes them)."""
    return re.sub(r"\s+", " ", re.sub("[▊▎▔▁]", " ", text)).strip()


def column(app: HuddleBoardApp, status: str) -> str:
    return flat(on_screen(app.query_one(f"#list-{status}", OptionList)))


def column_title(app: HuddleBoardApp, status: str) -> str:
    title = app.query_one(f"#column-{status} .column-title", Static)
    return str(title.render())


def detail(app: HuddleBoardApp) -> str:
    return flat(on_screen(app.query_one("#idea-detail-text", Static)))


def pane(app: App[Any]) -> IdeasPane:
    return app.query_one(IdeasPane)


def rows(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    db = connect(path)
    try:
        return [tuple(row) for row in db.execute(sql, list(params)).fetchall()]
    finally:
        db.close()


def idea_row(path: Path, idea_id: str) -> dict[str, Any]:
    db = connect(path)
    try:
        cursor = db.execute("SELECT * FROM ideas WHERE id = ?", [idea_id])
        names = [c[0] for c in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))
    finally:
        db.close()


def outbox_rev(path: Path, entity: str, row_id: str) -> int | None:
    found = rows(
        path, "SELECT rev FROM outbox WHERE entity = ? AND entity_id = ?", (entity, row_id)
    )
    return found[0][0] if found else None


async def open_ideas(pilot: Pilot[None]) -> None:
    await settle(pilot)  # the board has started: the tab bar is ready for keys
    await pilot.press("2")
    await settle(pilot)


async def type_text(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


async def add_idea(pilot: Pilot[None], title: str, initials: str = "jm") -> None:
    """Fill the idea form by keyboard: title, problem, owner AB, high impact, easy effort."""
    await pilot.press("a")
    await settle(pilot)
    await type_text(pilot, title)
    await pilot.press("tab")
    await type_text(pilot, "Falls")
    await pilot.press("tab")
    await type_text(pilot, "ab")
    await pilot.press("tab", "tab", "enter", "tab", "enter", "tab")
    await type_text(pilot, initials)
    await pilot.press("ctrl+s")
    await settle(pilot)


async def plan_cycle(pilot: Pilot[None]) -> None:
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PdsaPlanForm)
    await type_text(pilot, "Bay 2")
    await pilot.press("tab")
    await type_text(pilot, "Fewer")
    await pilot.press("tab")
    await type_text(pilot, "jm")
    await pilot.press("ctrl+s")
    await settle(pilot)


async def record_result(pilot: Pilot[None], act_steps: int) -> None:
    """Record do and study; `act_steps` right-arrows from 'not yet' (1 adopt, 2 adapt)."""
    await pilot.press("r")
    await settle(pilot)
    assert isinstance(pilot.app.screen, PdsaResultForm)
    await type_text(pilot, "Done")
    await pilot.press("tab")
    await type_text(pilot, "Ok")
    await pilot.press("tab", *["right"] * act_steps, "enter", "ctrl+s")
    await settle(pilot)


# -- tests -----------------------------------------------------------------------------------


async def test_columns_show_cards_with_pick_owner_age_and_pdsa(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        counts = dict(rows(demo_path, "SELECT status, COUNT(*) FROM ideas GROUP BY status"))
        assert column_title(app, "new") == f"New ({counts['new']})"
        assert column_title(app, "in_test") == f"In test ({counts['in_test']})"
        assert not app.query_one("#column-abandoned").display
        text = column(app, "in_test")
        assert "PDSA" in text and "days" in text
        assert any(word in text for word in ("Implement", "Possible", "Challenge", "Kill"))
        selected = pane(app).selected
        assert selected is not None
        title = idea_row(demo_path, selected)["title"]
        assert title in detail(app)


async def test_add_idea_by_keyboard_then_edit_it(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        await add_idea(pilot, "Rails")
        assert not isinstance(app.screen, IdeaForm)
        new = column(app, "new")
        assert "I Implement Rails" in new
        assert "AB · today · 0 PDSA" in new
        idea_id = pane(app).selected
        assert idea_id is not None
        row = idea_row(demo_path, idea_id)
        assert row["title"] == "Rails"
        assert (row["status"], row["owner"], row["impact"], row["effort"]) == (
            "new",
            "AB",
            "high",
            "easy",
        )
        assert (row["raised_by"], row["written_by"], row["problem"]) == ("JM", "JM", "Falls")
        assert outbox_rev(demo_path, "idea", idea_id) == 1

        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, IdeaForm)
        assert form.query_one("#idea-title", Input).value == "Rails"
        await pilot.press("end")
        await type_text(pilot, " 2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Rails 2" in column(app, "new")
        row = idea_row(demo_path, idea_id)
        assert (row["title"], row["rev"], row["owner"]) == ("Rails 2", 2, "AB")
        assert outbox_rev(demo_path, "idea", idea_id) == 2


async def selected_new_idea(pilot: Pilot[None], path: Path) -> tuple[str, str]:
    """The demo idea selected when the screen opens (top of New, no PDSA yet): id, title."""
    await open_ideas(pilot)
    idea_id = pane(pilot.app).selected  # type: ignore[arg-type]
    assert idea_id is not None
    row = idea_row(path, idea_id)
    assert row["status"] == "new"
    return idea_id, row["title"]


async def test_pdsa_cycle_moves_idea_to_in_test_then_adopted(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        idea_id, title = await selected_new_idea(pilot, demo_path)
        await plan_cycle(pilot)
        assert title not in column(app, "new")
        assert title in column(app, "in_test")
        assert "1 PDSA" in column(app, "in_test").split(title)[1].split("──")[0]
        assert pane(app).selected == idea_id and pane(app).current == "in_test"
        assert "Cycle 1" in detail(app) and "Fewer" in detail(app)

        await record_result(pilot, act_steps=1)
        assert title in column(app, "adopted")
        assert title not in column(app, "in_test")
        assert idea_row(demo_path, idea_id)["status"] == "adopted"
        cycles = rows(
            demo_path,
            "SELECT id, act, do, study, written_by, finished_on FROM pdsa_cycles WHERE idea_id = ?",
            (idea_id,),
        )
        assert [c[1:] for c in cycles] == [("adopt", "Done", "Ok", "JM", "2026-11-26")]
        assert outbox_rev(demo_path, "pdsa_cycle", cycles[0][0]) == 2
        assert outbox_rev(demo_path, "idea", idea_id) == 3


async def test_adapt_keeps_the_idea_in_test(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        idea_id, title = await selected_new_idea(pilot, demo_path)
        await plan_cycle(pilot)
        await record_result(pilot, act_steps=2)
        assert idea_row(demo_path, idea_id)["status"] == "in_test"
        acts = rows(demo_path, "SELECT act FROM pdsa_cycles WHERE idea_id = ?", (idea_id,))
        assert acts == [("adapt",)]
        assert title in column(app, "in_test")
        assert "act: adapt" in detail(app)
        await plan_cycle(pilot)
        assert "2 PDSA" in column(app, "in_test").split(title)[1].split("──")[0]


async def test_refuses_nhs_number_in_title_and_keeps_the_text(
    demo_path: Path, board: BoardFactory
) -> None:
    before = rows(demo_path, "SELECT COUNT(*) FROM ideas")[0][0]
    outbox = rows(demo_path, "SELECT COUNT(*) FROM outbox")[0][0]
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        await add_idea(pilot, NHS_TITLE)
        form = app.screen
        assert isinstance(form, IdeaForm)
        error = on_screen(form.query_one("#form-error", Static))
        assert "NHS number" in error and "bed number only" in error
        assert form.query_one("#idea-title", Input).value == NHS_TITLE
        assert form.query_one("#idea-problem", TextArea).text == "Falls"
    assert rows(demo_path, "SELECT COUNT(*) FROM ideas")[0][0] == before
    assert rows(demo_path, "SELECT COUNT(*) FROM outbox")[0][0] == outbox


async def test_markup_in_a_title_is_shown_literally(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        await add_idea(pilot, "[bold]x[/")
        assert "[bold]x[/" in column(app, "new")
        assert "[bold]x[/" in detail(app)


async def test_status_by_key_and_by_button_asks_initials_once(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        idea_id = pane(app).selected
        assert idea_id is not None
        title = idea_row(demo_path, idea_id)["title"]
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, InitialsScreen)
        await type_text(pilot, "kr")
        await pilot.press("enter")
        await settle(pilot)
        row = idea_row(demo_path, idea_id)
        assert (row["status"], row["written_by"]) == ("parked", "KR")
        assert title in column(app, "parked") and title not in column(app, "new")
        assert pane(app).selected == idea_id

        await pilot.click("#move-new")
        await settle(pilot)
        assert not isinstance(app.screen, InitialsScreen)
        assert idea_row(demo_path, idea_id)["status"] == "new"
        assert title in column(app, "new")

        await pilot.click("#move-parked")
        await settle(pilot)
        assert idea_row(demo_path, idea_id)["status"] == "parked"
        await pilot.press("n")
        await settle(pilot)
        row = idea_row(demo_path, idea_id)
        assert (row["status"], row["written_by"], row["rev"]) == ("new", "KR", 5)
        assert outbox_rev(demo_path, "idea", idea_id) == 5


async def test_initials_are_asked_again_after_two_minutes(
    demo_path: Path, board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        idea_id = pane(app).selected
        assert idea_id is not None
        await pilot.press("p")
        await settle(pilot)
        await type_text(pilot, "kr")
        await pilot.press("enter")
        await settle(pilot)
        monotonic.advance(121)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, InitialsScreen)
        assert idea_row(demo_path, idea_id)["status"] == "parked"
        await type_text(pilot, "ab")
        await pilot.press("enter")
        await settle(pilot)
        row = idea_row(demo_path, idea_id)
        assert (row["status"], row["written_by"]) == ("new", "AB")


async def test_abandon_and_show_the_abandoned_column(demo_path: Path, board: BoardFactory) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        idea_id, title = await selected_new_idea(pilot, demo_path)
        await pilot.press("x")
        await settle(pilot)
        await type_text(pilot, "jm")
        await pilot.press("enter")
        await settle(pilot)
        assert idea_row(demo_path, idea_id)["status"] == "abandoned"
        assert title not in column(app, "new")
        await pilot.press("v")
        await settle(pilot)
        assert app.query_one("#column-abandoned").display
        assert title in column(app, "abandoned")
        next_id = pane(app).selected
        assert next_id != idea_id and idea_row(demo_path, next_id or "")["status"] == "new"
        await pilot.press("right", "right", "right", "right")
        await settle(pilot)
        assert app.focused is app.query_one("#list-abandoned")
        assert pane(app).current == "abandoned" and pane(app).selected is not None
        await pilot.click("#idea-toggle-abandoned")
        await settle(pilot)
        assert not app.query_one("#column-abandoned").display


async def test_arrows_move_between_columns_and_detail_follows(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        assert app.focused is app.query_one("#list-new")
        await pilot.press("right")
        await settle(pilot)
        assert app.focused is app.query_one("#list-in_test")
        selected = pane(app).selected
        assert selected is not None
        row = idea_row(demo_path, selected)
        assert row["status"] == "in_test"
        assert row["title"] in detail(app) and "Cycle 1" in detail(app)
        await pilot.press("down")
        await settle(pilot)
        assert pane(app).selected != selected
        await pilot.press("left")
        await settle(pilot)
        assert app.focused is app.query_one("#list-new") and pane(app).current == "new"


async def test_long_columns_say_how_many_more(
    demo_path: Path, board: BoardFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ideas_screen, "SHOWN_PER_STATUS", 3)
    count = rows(demo_path, "SELECT COUNT(*) FROM ideas WHERE status = 'new'")[0][0]
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_ideas(pilot)
        assert app.query_one("#list-new", OptionList).option_count == 3
        more = app.query_one("#column-new .column-more", Static)
        assert str(more.render()) == f"+{count - 3} more (older, not listed)"


async def _show_ideas(pilot: Pilot[None]) -> None:
    await open_ideas(pilot)


def test_snapshot_ideas_kiosk(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=_show_ideas)


def test_snapshot_ideas_small(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=SMALL, run_before=_show_ideas)

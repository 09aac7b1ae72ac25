"""The Actions screen: open actions overdue first, closed with a key or a button (checked in
the store with their outbox row), undo, escalation with a reason, user text shown literally."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from huddle_board.clock import FixedClock
from huddle_board.db import commands, connect, open_store
from huddle_board.ui.app import HuddleBoardApp
from huddle_board.ui.screens.actions import ActionsPane, EscalateForm
from huddle_board.ui.widgets.forms import InitialsScreen
from huddle_board.ui.widgets.grid import BoardGrid
from tests.ui.conftest import KIOSK, NOW, SMALL, BoardFactory, settle

pytestmark = pytest.mark.anyio

WARD = "TEST-7A"
MARKUP = "[bold]x[/ and \x1b[2J after"


def _author(initials: str, at: dt.datetime) -> commands.Author:
    return commands.Author(ward=WARD, initials=initials, clock=FixedClock(at))


@pytest.fixture
def ward_path(tmp_path: Path) -> dict[str, Any]:
    """A small ward: two overdue actions (one from a huddle, one with markup-like text), one
    due today from an idea, two due later, and one already done."""
    path = tmp_path / "actions.db"
    db, _ = open_store(path)
    commands.set_ward(db, WARD, "Test ward 7A", FixedClock(NOW))
    early = _author("JM", dt.datetime(2026, 11, 2, 9, 0))
    now = _author("AB", NOW)
    huddle = commands.start_huddle(db, _author("JM", dt.datetime(2026, 11, 24, 8)), "daily", "JM")
    idea = commands.add_idea(db, early, commands.IdeaDraft("Protected mealtimes"))
    ids = {
        "later": commands.add_action(
            db, now, "Update the staffing plan", "GH", dt.date(2026, 12, 10)
        ),
        "today": commands.add_action(
            db,
            now,
            "Chase estates about the sluice door",
            "CD",
            NOW.date(),
            source_kind="idea",
            source_id=idea,
        ),
        "markup": commands.add_action(db, early, MARKUP, "AB", dt.date(2026, 11, 23)),
        "oldest": commands.add_action(
            db,
            early,
            "Order two low-low beds",
            "JM",
            dt.date(2026, 11, 20),
            source_kind="huddle",
            source_id=huddle,
        ),
        "soon": commands.add_action(db, now, "Review falls notes", "EF", dt.date(2026, 11, 28)),
    }
    done = commands.add_action(db, now, "Already done", "GH", dt.date(2026, 12, 1))
    commands.set_action_status(db, now, done, "done")
    db.close()
    return {"path": path, "ids": ids, "done": done}


def pane(app: HuddleBoardApp) -> ActionsPane:
    return app.query_one(ActionsPane)


def table(app: HuddleBoardApp) -> BoardGrid:
    return app.query_one("#actions-table", BoardGrid)


def row_keys(app: HuddleBoardApp) -> list[str]:
    return table(app).row_keys


def screen_text(app: HuddleBoardApp) -> str:
    """What is on the terminal, as plain text (the compositor's lines)."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def stored(path: Path, action_id: str) -> dict[str, Any]:
    db = connect(path)
    try:
        row = dict(db.table("actions").get(action_id))
        outbox = db.execute(
            "SELECT rev FROM outbox WHERE entity = 'action' AND entity_id = ?", [action_id]
        ).fetchone()
        row["outbox_rev"] = outbox[0] if outbox else None
        return row
    finally:
        db.close()


async def open_actions(pilot: Pilot[None]) -> None:
    """Show the actions screen and wait until its first load is on screen."""
    await settle(pilot)  # the board has started: the tab bar is ready for keys
    await pilot.press("4")
    await settle(pilot)
    for _ in range(50):
        found = pilot.app.query(ActionsPane)
        if found and found.first().loaded_once:
            break
        await pilot.pause(0.02)
        await settle(pilot)
    await settle(pilot)


async def give_initials(pilot: Pilot[None], initials: str = "kp") -> None:
    assert isinstance(pilot.app.screen, InitialsScreen)
    await pilot.press(*initials, "enter")
    await settle(pilot)


async def go_to(pilot: Pilot[None], action_id: str) -> None:
    table(pilot.app).move_to_key(action_id)
    await settle(pilot)


async def test_overdue_first_with_summary_and_sources(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    ids = ward_path["ids"]
    app = board(ward_path["path"])
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        assert row_keys(app) == [ids[k] for k in ("oldest", "markup", "today", "soon", "later")]
        assert ward_path["done"] not in row_keys(app)
        summary = str(app.query_one("#actions-summary", Static).render())
        assert summary == "5 open · 2 overdue · 0 escalated"
        text = screen_text(app)
        assert "⚠ OVERDUE    20 Nov · 6 days late" in text
        assert "● due today  26 Nov · today" in text
        assert "○ open       28 Nov · in 2 days" in text
        assert "Daily huddle 2026-11-24" in text
        assert "Idea: Protected mealtimes" in text


async def test_user_text_is_shown_literally(ward_path: dict[str, Any], board: BoardFactory) -> None:
    app = board(ward_path["path"])
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await go_to(pilot, ward_path["ids"]["markup"])
        cell = table(app).cells(ward_path["ids"]["markup"])[2]
        assert cell.plain == "[bold]x[/ and ␛[2J after"
        assert not cell.spans
        text = screen_text(app)
        assert text.count("[bold]x[/ and ␛[2J after") == 2  # in the table and the detail line
        assert "\x1b" not in text


async def test_done_by_key_writes_the_store_and_the_row_leaves(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    path, action_id = ward_path["path"], ward_path["ids"]["markup"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await go_to(pilot, action_id)
        await pilot.press("d")
        await settle(pilot)
        await give_initials(pilot, "kp")
        row = stored(path, action_id)
        assert (row["status"], row["closed_on"], row["written_by"]) == ("done", "2026-11-26", "KP")
        assert row["rev"] == 2 and row["outbox_rev"] == 2
        assert action_id not in row_keys(app)
        assert pane(app).highlighted_id() == ward_path["ids"]["today"]  # the next one
        assert str(app.query_one("#actions-summary", Static).render()).startswith("4 open · 1 ")
        messages = [n.message for n in app._notifications]
        assert any("Marked done" in m and "press u to undo" in m for m in messages)


async def test_dropped_and_done_by_clicking_the_buttons(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = ward_path["path"], ward_path["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await go_to(pilot, ids["soon"])
        await pilot.click("#action-dropped")
        await settle(pilot)
        await give_initials(pilot, "kp")
        await go_to(pilot, ids["oldest"])
        await pilot.click("#action-done")  # initials remembered: no prompt
        await settle(pilot)
        dropped, done = stored(path, ids["soon"]), stored(path, ids["oldest"])
        assert (dropped["status"], dropped["written_by"], dropped["outbox_rev"]) == (
            "dropped",
            "KP",
            2,
        )
        assert (done["status"], done["closed_on"], done["outbox_rev"]) == ("done", "2026-11-26", 2)
        assert row_keys(app) == [ids["markup"], ids["today"], ids["later"]]


async def test_x_key_drops_and_cancelled_initials_write_nothing(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = ward_path["path"], ward_path["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert stored(path, ids["oldest"])["status"] == "open"
        await pilot.press("x")
        await settle(pilot)
        await give_initials(pilot)
        assert stored(path, ids["oldest"])["status"] == "dropped"


async def test_undo_reopens_the_last_closed_action(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = ward_path["path"], ward_path["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await go_to(pilot, ids["today"])
        await pilot.press("d")
        await settle(pilot)
        await give_initials(pilot)
        assert ids["today"] not in row_keys(app)
        await pilot.press("u")
        await settle(pilot)
        row = stored(path, ids["today"])
        assert (row["status"], row["closed_on"], row["rev"], row["outbox_rev"]) == (
            "open",
            None,
            3,
            3,
        )
        assert ids["today"] in row_keys(app)
        assert pane(app).highlighted_id() == ids["today"]
        await pilot.click("#action-undo")  # nothing left to undo
        await settle(pilot)
        assert stored(path, ids["today"])["rev"] == 3
        assert any(n.message == "Nothing to undo." for n in app._notifications)


async def test_escalate_with_a_reason(ward_path: dict[str, Any], board: BoardFactory) -> None:
    path, ids = ward_path["path"], ward_path["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await go_to(pilot, ids["soon"])
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, EscalateForm)
        await pilot.press("ctrl+s")  # no reason, no initials
        await settle(pilot)
        assert isinstance(app.screen, EscalateForm)
        assert stored(path, ids["soon"])["escalated"] == 0
        app.screen.query_one("#escalate-reason", Input).focus()
        await pilot.press(*"No [red]porter[/] cover", "tab", "k", "p", "ctrl+s")
        await settle(pilot)
        assert not isinstance(app.screen, EscalateForm)
        row = stored(path, ids["soon"])
        assert (row["escalated"], row["escalation_reason"], row["written_by"]) == (
            1,
            "No [red]porter[/] cover",
            "KP",
        )
        assert row["outbox_rev"] == 2
        assert pane(app).highlighted_id() == ids["soon"]  # the cursor stays on it
        cell = table(app).cells(ids["soon"])[5]
        assert cell.plain == "▲ escalated: No [red]porter[/] cover"
        assert "▲ Escalated to the service manager: No [red]porter[/] cover" in screen_text(app)
        assert "1 escalated" in str(app.query_one("#actions-summary", Static).render())


async def test_escalation_reason_with_a_chi_number_is_refused(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = ward_path["path"], ward_path["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await open_actions(pilot)
        await pilot.click("#action-escalate")
        await settle(pilot)
        await pilot.press(*"bed 4 0101701233", "tab", "k", "p")
        await pilot.click("#save")
        await settle(pilot)
        assert isinstance(app.screen, EscalateForm)
        error = str(app.screen.query_one("#form-error", Static).render())
        assert "CHI number" in error
        assert stored(path, ids["oldest"])["escalated"] == 0


async def test_narrow_board_keeps_the_text_readable(
    ward_path: dict[str, Any], board: BoardFactory
) -> None:
    app = board(ward_path["path"])
    async with app.run_test(size=SMALL) as pilot:
        await open_actions(pilot)
        text = screen_text(app)
        assert "Daily 2026-11-24" in text
        assert "Order two low-low beds" in text
        assert "Done (d)" in text and "Undo (u)" in text


def _show_actions(moves: int = 0) -> Callable[[Pilot[None]], Any]:
    async def before(pilot: Pilot[None]) -> None:
        await open_actions(pilot)
        for _ in range(moves):
            await pilot.press("down")
        await settle(pilot)

    return before


def test_snapshot_actions_kiosk(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=_show_actions())


def test_snapshot_actions_small(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=SMALL, run_before=_show_actions(11))

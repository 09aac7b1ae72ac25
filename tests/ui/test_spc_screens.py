"""SPC on the real board: the box score's variation, assurance and special-cause words agree
with the engine on the stored series, the first frame shows "…" until the worker's read fills
them in, a measure's XmR chart opens on Enter with its lines, special causes, PDSA starts and
rebases, and a rebase is added through the chart's form (a patient identifier in the reason
is refused). The rebase commands and the migration that stores them, on a real store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import Input, Static, TabbedContent

from huddle_board import spc
from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import commands, connect, open_store, queries
from huddle_board.db.commands import Author, InvalidInput, MeasureSpec, WeekEntry
from huddle_board.db.migrations import MIGRATIONS
from huddle_board.ui.app import HuddleBoardApp, make_app
from huddle_board.ui.messages import DataChanged
from huddle_board.ui.screens.box_score import BoxScoreData, BoxScorePane, load_box_score
from huddle_board.ui.screens.chart import ChartScreen, RebaseForm
from huddle_board.ui.widgets.grid import BoardGrid
from huddle_board.ui.widgets.xmr import Frame, XmrChart
from tests.ui.conftest import KIOSK, NOW, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

WARD = "TEST-7A"
WEEK = dt.date(2026, 11, 23)
WALL = (240, 67)
CHI = "0101701233"

# What the screen says for each of the engine's labels (written out here, not imported, so a
# wrong word on screen fails the test).
VARIATION_WORDS = {
    "common_cause": "─ Common cause",
    "special_cause_improvement": "Improvement",
    "special_cause_concern": "Concern",
    "special_cause_neutral_high": "▲ Neutral high",
    "special_cause_neutral_low": "▼ Neutral low",
}
ASSURANCE_WORDS = {
    "consistent_pass": "P Pass",
    "consistent_fail": "F Fail",
    "inconsistent": "? Hit & miss",
    None: "·",
}
COLOURS = {"improvement": "#4fa8ff", "concern": "#ff9f1a", "common": "#a8a8a8"}


# -- helpers ---------------------------------------------------------------------------------


def grid(app: HuddleBoardApp) -> BoardGrid:
    return app.query_one("#box-score-table", BoardGrid)


def cell(app: HuddleBoardApp, row_key: str, column_key: str) -> Text:
    table = grid(app)
    index = [column.key for column in table.columns].index(column_key)
    return table.cells(row_key)[index]


def stored_analysis(path: Path, measure_id: str) -> tuple[list[dt.date], spc.Analysis] | None:
    """The engine's reading of a measure as stored: every week from its first value to this
    week (None where missing), its rebases at their weeks; worked out here from the rows."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(
            "SELECT week, value FROM week_values WHERE measure_id = ? AND deleted = 0 "
            "AND value IS NOT NULL AND week <= ?",
            [measure_id, WEEK.isoformat()],
        ).fetchall()
        improvement, target, rebases = conn.execute(
            "SELECT improvement, target, rebases FROM measures WHERE id = ?", [measure_id]
        ).fetchone()
    finally:
        conn.close()
    if not rows:
        return None
    values = {dt.date.fromisoformat(week): value for week, value in rows}
    first = min(values)
    weeks = [first + dt.timedelta(weeks=n) for n in range((WEEK - first).days // 7 + 1)]
    points = [
        spc.Rebase(weeks.index(dt.date.fromisoformat(item["week"])), item["reason"])
        for item in json.loads(rebases)
        if dt.date.fromisoformat(item["week"]) in weeks[1:]
    ]
    series = [values.get(week) for week in weeks]
    return weeks, spc.analyse(series, improvement, target=target, rebases=points)


def latest_point(weeks: list[dt.date], analysis: spc.Analysis) -> tuple[dt.date, spc.Point]:
    index = max(i for i, point in enumerate(analysis.points) if point.value is not None)
    return weeks[index], analysis.points[index]


def store_with(
    path: Path, measures: dict[str, tuple[MeasureSpec, list[float | None]]]
) -> dict[str, str]:
    """A ward with `measures`, each with its values for the weeks up to WEEK (the last value
    is WEEK's); returns the measure ids by name."""
    db, _ = open_store(path)
    clock = FixedClock(NOW)
    commands.set_ward(db, WARD, "Test ward 7A", clock)
    author = Author(WARD, "JM", clock)
    ids = {}
    for name, (spec, values) in measures.items():
        measure_id = commands.add_measure(db, author, spec)
        ids[name] = measure_id
        for back, value in enumerate(reversed(values)):
            if value is not None:
                week = WEEK - dt.timedelta(weeks=back)
                commands.record_week_values(db, author, week, [WeekEntry(measure_id, value)])
    db.close()
    return ids


SPIKE: list[float | None] = [*([10.0, 11.0] * 9), 10.0, 30.0]  # the last far above the rest
SHIFT = [50, 52, 49, 51, 50, 53, 48, 51, 50, 52, 49, 51, 50, 46, 47, 45, 47, 46, 45, 47]
SHORT: list[float | None] = [7.0, 7.5, 6.5, 7.2, 6.9]


@pytest.fixture
def signals(tmp_path: Path) -> dict[str, Any]:
    """Four measures: one far above its limit this week, one 7 weeks below its mean, one whose
    last value (last week) is above its limit, and one with only five values (trial limits)."""
    spec = MeasureSpec
    path = tmp_path / "signals.db"
    ids = store_with(
        path,
        {
            "spike": (spec("Bed moves at night", "performance", "n", 0, "decrease", 12), SPIKE),
            "shift": (
                spec("Discharges before noon", "performance", "%", 0, "increase", 45),
                [float(v) for v in SHIFT],
            ),
            "late": (spec("Bank shifts", "cost", "n", 0, "decrease", None), [*SPIKE, None]),
            "short": (spec("Staff experience", "capacity", "0–10", 1, "neutral"), SHORT),
        },
    )
    return {"path": path, "ids": ids}


def shown_rows(frame: Frame) -> range:
    """The plot's rows (under the caption, above the axis)."""
    return range(1, frame.rows + 1)


def chart(app: HuddleBoardApp) -> XmrChart:
    return app.screen.query_one("#chart-plot", XmrChart)


def screen_text(app: HuddleBoardApp, widget_id: str) -> str:
    return str(app.screen.query_one(widget_id, Static).render())


async def open_chart(pilot: Pilot[None], measure_id: str) -> ChartScreen:
    app = pilot.app
    assert isinstance(app, HuddleBoardApp)
    grid(app).move_to_key(measure_id)
    await pilot.press("enter")
    await settle(pilot)
    screen = app.screen
    assert isinstance(screen, ChartScreen) and screen.data is not None
    return screen


def rebases_in_store(path: Path, measure_id: str) -> list[dict[str, str]]:
    db = connect(path)
    try:
        found: list[dict[str, str]] = json.loads(
            db.execute("SELECT rebases FROM measures WHERE id = ?", [measure_id]).fetchone()[0]
        )
        return found
    finally:
        db.close()


# -- the box score ---------------------------------------------------------------------------


async def test_the_box_score_shows_what_the_engine_says(
    demo_path: Path, board: BoardFactory
) -> None:
    db = connect(demo_path)
    measures = queries.measures(db)
    db.close()
    app = board(demo_path)
    special = 0
    async with app.run_test(size=WALL) as pilot:
        await settle(pilot)
        header = " ".join(column.label.plain for column in grid(app).columns)
        assert "Variation" in header and "Assurance" in header
        for measure in measures:
            found = stored_analysis(demo_path, measure.id)
            assert found is not None, measure.name
            week, point = latest_point(*found)
            variation = cell(app, measure.id, "variation")
            assert VARIATION_WORDS[point.point_type] in variation.plain, measure.name
            assurance = cell(app, measure.id, "assurance")
            assert assurance.plain.startswith(ASSURANCE_WORDS[found[1].assurance]), measure.name
            why = cell(app, measure.id, "why").plain
            if point.point_type == "common_cause":
                assert variation.plain[0] == "─" and why == "", measure.name
                assert COLOURS["common"] in str(variation.style).lower()
                continue
            special += 1
            assert variation.plain[0] == ("▲" if point.side == "high" else "▼"), measure.name
            kind = "improvement" if "improvement" in point.point_type else "concern"
            assert COLOURS[kind] in str(variation.style).lower(), measure.name
            described = spc.describe(point)
            assert described is not None and why.startswith(described), (measure.name, why)
            assert f"{week:%d %b}" in why, (measure.name, why)
        legend = str(app.query_one("#box-score-legend", Static).render())
        assert "Making Data Count rules (NHSRplotthedots)" in legend
    assert special >= 2, "the demo ward shows some special causes"


async def test_special_causes_in_words_with_their_week(
    signals: dict[str, Any], board: BoardFactory
) -> None:
    ids = signals["ids"]
    app = board(signals["path"])
    async with app.run_test(size=WALL) as pilot:
        await settle(pilot)
        assert cell(app, ids["spike"], "why").plain == "above the upper limit in the week of 23 Nov"
        assert cell(app, ids["spike"], "variation").plain == "▲ Concern"
        assert cell(app, ids["shift"], "why").plain == (
            "7 weeks below average up to the week of 23 Nov"
        )
        assert cell(app, ids["shift"], "variation").plain == "▼ Concern"
        # no value yet this week: the reason is last week's, and says so
        assert cell(app, ids["late"], "why").plain == "above the upper limit in the week of 16 Nov"
        assert cell(app, ids["late"], "assurance").plain == "· no target"
        assert cell(app, ids["short"], "why").plain == "trial limits (5 values)"
        assert cell(app, ids["short"], "assurance").plain == "· no target"  # neutral
        # on the kiosk's screen the words are shorter, the week still there
        await pilot.resize_terminal(*KIOSK)
        await settle(pilot)
        assert cell(app, ids["spike"], "why").plain == "above the upper limit (23 Nov)"
        assert cell(app, ids["shift"], "why").plain == "7 weeks below average (to 23 Nov)"


async def test_narrow_screens_shorten_the_spc_before_this_week(
    signals: dict[str, Any], board: BoardFactory
) -> None:
    ids = signals["ids"]
    app = board(signals["path"])
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        keys = [column.key for column in grid(app).columns]
        assert keys[:2] == ["name", WEEK.isoformat()] and "status" in keys
        assert keys[-2:] == ["variation", "assurance"] and "why" not in keys
        assert cell(app, ids["spike"], "variation").plain == "▲ Concern"
        assert cell(app, ids["spike"], "assurance").plain == "?"
        await pilot.resize_terminal(60, 24)  # too narrow for any SPC: 'This week' stays
        await settle(pilot)
        keys = [column.key for column in grid(app).columns]
        assert "status" in keys and "variation" not in keys


async def test_the_first_frame_shows_dots_until_the_spc_is_read(
    demo_path: Path, monotonic: ManualMonotonic
) -> None:
    """As the command line starts the board: the box score read before the app starts has no
    SPC (that read would delay the first frame); the worker's read after it fills it in."""
    db, health = open_store(demo_path)
    ward = queries.ward(db)
    first_screen = load_box_score(db, NOW.date(), 8)
    db.close()
    assert ward is not None and first_screen.spc is None
    app = make_app(
        Settings(db_path=demo_path),
        demo_path,
        health,
        ward,
        FixedClock(NOW),
        monotonic,
        first_screen=first_screen,
    )
    async with app.run_test(size=KIOSK) as pilot:
        pane = app.query_one(BoxScorePane)
        for _ in range(300):  # the SPC's read starts a moment after the first frame
            if getattr(pane._last_data, "spc", None) is not None:
                break
            await pilot.pause(0.01)
        await settle(pilot)
        data = pane._last_data
        assert isinstance(data, BoxScoreData) and data.spc is not None
        first = data.score.rows[0].measure.id
        assert cell(app, first, "variation").plain != "…"
        # The same figures without the SPC, as at start-up: dots in both columns.
        pane.show(dataclasses.replace(data, spc=None))
        assert cell(app, first, "variation").plain == "…"
        assert cell(app, first, "assurance").plain == "…"


async def test_the_spc_is_read_again_only_when_a_measure_or_value_changes(
    signals: dict[str, Any], board: BoardFactory
) -> None:
    path, ids = signals["path"], signals["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        pane = app.query_one(BoxScorePane)
        read = pane._spc
        assert read is not None
        db, _ = open_store(path)
        author = Author(WARD, "JM", FixedClock(NOW))
        commands.add_action(db, author, "Check the bed rails", "JM", NOW.date())
        app.post_message(DataChanged("actions"))
        await settle(pilot)
        assert pane._spc is read  # the box score was read again, its SPC was not
        commands.record_week_values(db, author, WEEK, [WeekEntry(ids["late"], 10.0)])
        db.close()
        app.post_message(DataChanged("week_values"))
        await settle(pilot)
        assert pane._spc is not read
        assert cell(app, ids["late"], "variation").plain == "─ Common cause"


# -- the chart -------------------------------------------------------------------------------


async def test_enter_opens_the_chart_with_its_lines_and_marks(
    demo_path: Path, board: BoardFactory
) -> None:
    """The demo's falls: rebased at the improvement, with PDSA cycles of linked ideas and
    special causes before the rebase."""
    db = connect(demo_path)
    falls = next(m for m in queries.measures(db) if m.name.startswith("Falls per 1,000"))
    starts = queries.pdsa_starts(db, falls.id)
    db.close()
    assert falls.rebases and starts
    app = board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert grid(app).cursor_key == falls.id
        screen = await open_chart(pilot, falls.id)
        assert screen.measure_id == falls.id
        assert screen_text(app, "#chart-title").startswith(falls.name)
        plot = chart(app)
        rows = plot.rows_text()
        text = "\n".join(rows)
        for label in ("upper limit", "─ mean", "lower limit", "═ target 6.0"):
            assert label in text, label
        frame = plot.frame
        assert frame is not None and screen.data is not None
        found = stored_analysis(demo_path, falls.id)
        assert found is not None
        weeks, analysis = found
        shown = range(frame.first, frame.first + frame.count)
        # every special-cause point on screen is its letter at its place; common cause a dot
        letters = {"special_cause_improvement": "I", "special_cause_concern": "C"}
        special = [i for i in shown if analysis.points[i].point_type != "common_cause"]
        assert special, "the demo's falls have special causes on screen"
        for index in shown:
            point = analysis.points[index]
            if point.value is None:
                continue
            at = rows[frame.row(point.value)][frame.column(index)]
            assert at == letters.get(point.point_type, "●"), (weeks[index], at)
        # the rebase: R under its week and the dotted line through the plot
        rebase_at = weeks.index(falls.rebases[0].week)
        markers = rows[frame.rows + 3]
        assert markers[frame.column(rebase_at)] == "R"
        line = [
            rows[row][frame.left + (rebase_at - frame.first) * frame.step]
            for row in shown_rows(frame)
        ]
        assert line.count("┊") > frame.rows // 2
        # each PDSA start within the chart: P under its week (or R, which wins a shared week)
        for start in starts:
            week = start.started_on - dt.timedelta(days=start.started_on.weekday())
            if week in weeks and weeks.index(week) in shown:
                assert markers[frame.column(weeks.index(week))] in "PR", start
        # the values beneath, newest first, with the PDSA cycles and the rebase in words
        values = screen.table
        assert values.row_keys[0] == WEEK.isoformat()
        notes = values.cells(falls.rebases[0].week.isoformat())[-1].plain
        assert notes.startswith(f"R rebase: {falls.rebases[0].reason}")
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ChartScreen)
        # the board's screen keys close the chart, then switch
        await open_chart(pilot, falls.id)
        await pilot.press("2")
        await settle(pilot)
        assert not isinstance(app.screen, ChartScreen)
        assert app.query_one(TabbedContent).active == "ideas"


async def test_trial_limits_are_labelled(signals: dict[str, Any], board: BoardFactory) -> None:
    app = board(signals["path"])
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        await open_chart(pilot, signals["ids"]["short"])
        assert "trial limits: fewer than 12 points" in screen_text(app, "#chart-spc")
        assert "upper limit (trial)" in "\n".join(chart(app).rows_text())


async def test_the_selected_week_follows_the_keys(
    signals: dict[str, Any], board: BoardFactory
) -> None:
    app = board(signals["path"])
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        screen = await open_chart(pilot, signals["ids"]["shift"])
        assert screen.selected_week == WEEK and chart(app).selected == len(SHIFT) - 1
        await pilot.press("left", "left")
        assert screen.selected_week == WEEK - dt.timedelta(weeks=2)
        assert chart(app).selected == len(SHIFT) - 3
        await pilot.press("right")
        assert screen.selected_week == WEEK - dt.timedelta(weeks=1)


async def test_a_rebase_through_the_form(signals: dict[str, Any], board: BoardFactory) -> None:
    path, ids = signals["path"], signals["ids"]
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert cell(app, ids["shift"], "variation").plain == "▼ Concern"
        screen = await open_chart(pilot, ids["shift"])
        for _ in range(6):  # to the first of the seven lower weeks
            await pilot.press("down")
        changed = WEEK - dt.timedelta(weeks=6)
        assert screen.selected_week == changed
        await pilot.press("r")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RebaseForm)
        assert "from the week of 12 Oct 2026" in form.TITLE_TEXT
        # a reason with a CHI number is refused, and kept in the form
        await pilot.click("#rebase-reason")
        await pilot.press(*f"Patient {CHI} moved to bay 4")
        form.query_one("#initials", Input).value = "JM"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        error = str(form.query_one("#form-error", Static).render())
        assert "CHI number" in error and form.query_one("#rebase-reason", Input).value
        assert rebases_in_store(path, ids["shift"]) == []
        # a reason without one is saved, and the chart reloads with the rebase
        form.query_one("#rebase-reason", Input).value = "Bay 4 closed for refurbishment"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ChartScreen) and app.screen is not form
        assert rebases_in_store(path, ids["shift"]) == [
            {"week": changed.isoformat(), "reason": "Bay 4 closed for refurbishment"}
        ]
        notes = screen.table.cells(changed.isoformat())[-1].plain
        assert notes == "R rebase: Bay 4 closed for refurbishment"
        frame = chart(app).frame
        assert frame is not None
        markers = chart(app).rows_text()[frame.rows + 3]
        assert markers[frame.column(len(SHIFT) - 7)] == "R"
        assert screen.data is not None and screen.data.reading is not None
        assert len(screen.data.reading.analysis.segments) == 2
        # the box score has read it too: the seven weeks are a segment of their own now
        await pilot.press("escape")
        await settle(pilot)
        assert cell(app, ids["shift"], "variation").plain == "─ Common cause"
        # taken away again from the chart: x at that week, twice (JM's initials remembered)
        screen = await open_chart(pilot, ids["shift"])
        for _ in range(6):
            await pilot.press("down")
        await pilot.press("x")
        await settle(pilot)
        assert rebases_in_store(path, ids["shift"]) != []  # the first press only asks
        await pilot.press("x")
        await settle(pilot)
        assert rebases_in_store(path, ids["shift"]) == []
        await settle(pilot)
        assert screen.data is not None and screen.data.reading is not None
        assert len(screen.data.reading.analysis.segments) == 1


async def test_no_rebase_at_the_first_week(signals: dict[str, Any], board: BoardFactory) -> None:
    app = board(signals["path"])
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        screen = await open_chart(pilot, signals["ids"]["short"])
        await pilot.press("end")  # the oldest week
        assert screen.selected_index == 0
        await pilot.press("r")
        await settle(pilot)
        assert app.screen is screen  # no form: a rebase there would start nothing


async def test_a_measure_without_values_has_nothing_to_chart(
    tmp_path: Path, board: BoardFactory
) -> None:
    path = tmp_path / "empty.db"
    ids = store_with(path, {"m": (MeasureSpec("Falls", "performance", "n", 0, "decrease"), [])})
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert cell(app, ids["m"], "variation").plain == "–"
        assert cell(app, ids["m"], "why").plain == ""
        screen = await open_chart(pilot, ids["m"])
        assert "No values yet" in screen_text(app, "#chart-spc")
        assert chart(app).rows_text()[0].startswith("No values yet: nothing to chart.")
        assert screen.table.row_count == 0
        await pilot.press("r")  # no week to rebase from: nothing happens
        assert app.screen is screen


async def test_user_text_on_the_chart_is_never_markup(tmp_path: Path, board: BoardFactory) -> None:
    name = "[bold red]Falls[/] \x1b[2J"
    path = tmp_path / "names.db"
    ids = store_with(path, {"m": (MeasureSpec(name, "performance", "[n]", 0, "decrease"), SPIKE)})
    db, _ = open_store(path)
    author = Author(WARD, "JM", FixedClock(NOW))
    commands.add_rebase(db, author, ids["m"], WEEK - dt.timedelta(weeks=3), "[link=x]bay 4[/link]")
    db.close()
    app = board(path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        screen = await open_chart(pilot, ids["m"])
        title = screen_text(app, "#chart-title")
        assert title.startswith("[bold red]Falls[/] ") and "\x1b" not in title
        rebase_week = (WEEK - dt.timedelta(weeks=3)).isoformat()
        assert screen.table.cells(rebase_week)[-1].plain == "R rebase: [link=x]bay 4[/link]"
        assert "[n]" in chart(app).rows_text()[0]


# -- snapshots -------------------------------------------------------------------------------


async def _falls_chart(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


async def _settled(pilot: Pilot[None]) -> None:
    await settle(pilot)


def test_snapshot_chart_kiosk(snap_compare: Any, demo_path: Path, board: BoardFactory) -> None:
    assert snap_compare(board(demo_path), terminal_size=KIOSK, run_before=_falls_chart)


def test_snapshot_box_score_signals_kiosk(
    snap_compare: Any, signals: dict[str, Any], board: BoardFactory
) -> None:
    assert snap_compare(board(signals["path"]), terminal_size=KIOSK, run_before=_settled)


# -- the rebase commands and their column ------------------------------------------------------


def test_rebases_are_added_and_removed_by_command(signals: dict[str, Any]) -> None:
    path, measure_id = signals["path"], signals["ids"]["shift"]
    db, _ = open_store(path)
    author = Author(WARD, "KB", FixedClock(NOW))
    rev = db.execute("SELECT rev FROM measures WHERE id = ?", [measure_id]).fetchone()[0]
    later, earlier = dt.date(2026, 11, 12), dt.date(2026, 10, 1)  # a Thursday, a Thursday
    assert commands.add_rebase(db, author, measure_id, later, " New rota ") == rev + 1
    assert commands.add_rebase(db, author, measure_id, earlier, "Ward moved") == rev + 2
    assert rebases_in_store(path, measure_id) == [
        {"week": "2026-09-28", "reason": "Ward moved"},
        {"week": "2026-11-09", "reason": "New rota"},
    ]
    measure = queries.measure(db, measure_id)
    assert measure is not None and [r.week for r in measure.rebases] == [
        dt.date(2026, 9, 28),
        dt.date(2026, 11, 9),
    ]
    outbox = db.execute("SELECT rev FROM outbox WHERE entity_id = ?", [measure_id]).fetchone()
    assert outbox == (rev + 2,)  # queued for sync with the measure
    with pytest.raises(InvalidInput, match="already a rebase"):
        commands.add_rebase(db, author, measure_id, dt.date(2026, 11, 10), "Again")
    with pytest.raises(InvalidInput, match="needed"):
        commands.add_rebase(db, author, measure_id, dt.date(2026, 8, 3), "  ")
    with pytest.raises(InvalidInput, match="CHI number"):
        commands.add_rebase(db, author, measure_id, dt.date(2026, 8, 3), f"For {CHI}")
    assert commands.remove_rebase(db, author, measure_id, dt.date(2026, 9, 30)) == rev + 3
    assert rebases_in_store(path, measure_id) == [{"week": "2026-11-09", "reason": "New rota"}]
    with pytest.raises(InvalidInput, match="is not a rebase"):
        commands.remove_rebase(db, author, measure_id, dt.date(2026, 9, 30))
    db.close()


def test_a_store_from_before_rebases_is_migrated(tmp_path: Path) -> None:
    """A store made before migration 0005 gains the column; its measures have no rebases."""
    from sqlite_utils.migrations import Migrations

    path = tmp_path / "old.db"
    old = Migrations("huddle_board")
    for name, function in MIGRATIONS[:-1]:
        old(name=name)(function)
    db = connect(path)
    old.apply(db)
    db.execute(
        "INSERT INTO measures (id, ward, rev, updated_at, written_by, name, band, unit, "
        "improvement) VALUES ('m1', 'W', 1, 'x', 'JM', 'Falls', 'performance', 'n', 'decrease')"
    )
    db.conn.commit()
    db.close()
    db, _ = open_store(path)
    assert MIGRATIONS[-1][0] == "0005_measure_rebases"
    measure = queries.measure(db, "m1")
    assert measure is not None and measure.rebases == ()
    db.close()

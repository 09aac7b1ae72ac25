"""The kiosk's display on the real board at 160×45: the stale-data banner, "data as of" in
the header, night dimming and the burn-in guard. Outside kiosk mode none of it is there."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from textual.widgets import Static

from huddle_board.clock import FixedClock
from huddle_board.db import connect_raw
from huddle_board.ui.app import HuddleBoardApp
from tests.ui.conftest import KIOSK, NOW, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

# Wednesday of 2026-W49: the demo ward's 2026-W48 (built on NOW) lacks three values.
WEDNESDAY = dt.datetime(2026, 12, 2, 9, 30)
TUESDAY = dt.datetime(2026, 12, 1, 9, 30)
BOX = "⚠ Last week's box score is not complete (due by Wednesday)"


def banner(app: HuddleBoardApp) -> Static:
    return app.query_one("#stale-banner", Static)


def clock_text(app: HuddleBoardApp) -> str:
    return str(app.query_one("#header-clock", Static).render())


async def test_a_late_box_score_shows_the_stale_banner(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path, now=WEDNESDAY)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        shown = banner(app)
        assert shown.display and shown.region.height == 1
        assert str(shown.render()) == BOX
        assert app.stale == [BOX[2:]]
        # under the header, above the tabs
        assert shown.region.y == 1
        assert "data as of 09:30" in clock_text(app)
        assert app.data_as_of == WEDNESDAY.replace(tzinfo=dt.UTC)


async def test_the_banner_comes_and_goes_with_last_weeks_values(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path)  # Thursday of 2026-W48, with 2026-W47 complete
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert not banner(app).display
        conn = connect_raw(demo_path)  # a value taken out elsewhere (a correction, a restore)
        try:
            with conn:
                row = conn.execute(
                    "SELECT id, value FROM week_values WHERE week = '2026-11-16' LIMIT 1"
                ).fetchone()
                conn.execute("UPDATE week_values SET value = NULL WHERE id = ?", [row[0]])
            app.kiosk_check()
            await settle(pilot)
            assert banner(app).display and str(banner(app).render()) == BOX
            with conn:
                conn.execute("UPDATE week_values SET value = ? WHERE id = ?", [row[1], row[0]])
        finally:
            conn.close()
        app.kiosk_check()
        await settle(pilot)
        assert not banner(app).display and app.stale == []


async def test_no_banner_when_last_week_is_complete_or_not_yet_due(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    for now in (NOW, TUESDAY):  # Thursday with 2026-W47 complete; Tuesday before the due day
        app = kiosk_board(demo_path, now=now)
        async with app.run_test(size=KIOSK) as pilot:
            await settle(pilot)
            assert not banner(app).display and banner(app).region.height == 0
            assert app.stale == []
            assert f"data as of {now:%H:%M}" in clock_text(app)


async def test_sync_not_done_for_a_day_is_stale(
    demo_path: Path, kiosk_board: BoardFactory, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("secret\n")
    conn = connect_raw(demo_path)
    try:
        with conn:
            conn.execute(
                "INSERT OR REPLACE INTO sync_state (id, last_success_at) "
                "VALUES (1, '2026-11-24T14:02:00.000000Z')"
            )
    finally:
        conn.close()
    app = kiosk_board(demo_path, store_url="https://store.example", token_file=token)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert str(banner(app).render()) == (
            "⚠ No sync with the central store for over a day (last 24 Nov 14:02)"
        )


async def test_the_night_dims_the_board_across_midnight(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path, now=NOW.replace(hour=21, minute=59))
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        screen = app.screen_stack[0]
        assert not screen.has_class("-night") and not app.night
        for hour, minute, night in ((22, 0, True), (3, 0, True), (5, 59, True), (6, 0, False)):
            app.clock = FixedClock(NOW.replace(hour=hour, minute=minute))
            app.kiosk_check()
            await settle(pilot)
            assert screen.has_class("-night") is night and app.night is night
            tint = app.query_one("#header-ward").styles.tint
            assert (tint.a > 0) is night


async def test_night_hours_come_from_the_settings(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path, now=NOW.replace(hour=9), night_start="08:00", night_end="10:00")
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert app.night


async def test_the_burn_in_guard_moves_the_layout_one_cell_at_a_time(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        header = app.query_one("#header")
        assert app.burn_in_offset == (0, 0) and header.region.offset == (0, 0)
        monotonic.advance(299)
        app.burn_in_tick()
        await settle(pilot)
        assert app.burn_in_offset == (0, 0)
        for expected in ((1, 0), (1, 1), (0, 1), (0, 0), (1, 0)):
            monotonic.advance(300)
            app.burn_in_tick()
            await settle(pilot)
            assert app.burn_in_offset == expected
            assert tuple(header.region.offset) == expected
            assert app.query_one("#panes").region.x == expected[0]


async def test_the_burn_in_interval_comes_from_the_settings(
    demo_path: Path, kiosk_board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = kiosk_board(demo_path, burn_in_shift_s=10)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        monotonic.advance(10)
        app.burn_in_tick()
        assert app.burn_in_offset == (1, 0)


async def test_outside_kiosk_mode_none_of_it(
    demo_path: Path, board: BoardFactory, monotonic: ManualMonotonic
) -> None:
    app = board(demo_path, now=WEDNESDAY.replace(hour=23))
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert not app.query("#stale-banner")
        assert "data as of" not in clock_text(app)
        app.kiosk_check()
        app.night_tick()
        monotonic.advance(10_000)
        app.burn_in_tick()
        await settle(pilot)
        assert not app.screen.has_class("-night")
        assert app.burn_in_offset == (0, 0)
        assert app.query_one("#header").region.offset == (0, 0)

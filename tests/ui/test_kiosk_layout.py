"""The kiosk's display on the real board: the high-contrast theme, the box score's headline
figures in large digits, and the layout from 80×24 to 240×67 and through resizes again and
again. Outside kiosk mode, with the default settings, none of it is there."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import pytest
from textual.color import Color
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Digits, Static, Tab, TabbedContent

from huddle_board.clock import FixedClock
from huddle_board.config import THEMES, Settings, SettingsError, load_settings
from huddle_board.db import commands, connect, open_store, queries
from huddle_board.model import BoxScore, week_start
from huddle_board.ui.app import HuddleBoardApp, make_app
from huddle_board.ui.screens.box_score import BoxScorePane, load_box_score
from huddle_board.ui.widgets.figures import FigureStrip
from huddle_board.ui.widgets.footer import BoardFooter
from huddle_board.ui.widgets.grid import CELL_PADDING, BoardGrid
from tests.ui.conftest import KIOSK, NOW, SMALL, BoardFactory, ManualMonotonic, settle

pytestmark = pytest.mark.anyio

TINY = (80, 24)
WALL = (240, 67)
SIZES = (TINY, SMALL, KIOSK, WALL)
PANES = ("box-score", "ideas", "huddle", "actions", "sync")
FIGURES = ("met", "missed", "to-enter", "overdue")
WEEK = week_start(NOW.date())


# -- helpers ---------------------------------------------------------------------------------


def score_in_store(path: Path) -> BoxScore:
    db = connect(path)
    try:
        return queries.box_score(db, WEEK)
    finally:
        db.close()


def actions_in_store(path: Path) -> tuple[int, int]:
    db = connect(path)
    try:
        return queries.action_counts(db, NOW.date())
    finally:
        db.close()


def strip(app: HuddleBoardApp) -> FigureStrip:
    return app.query_one("#box-score-figures", FigureStrip)


def figure(app: HuddleBoardApp, key: str) -> str:
    return app.query_one(f"#figure-{key}-digits", Digits).value


def words(app: HuddleBoardApp, key: str) -> str:
    return str(app.query_one(f"#figure-{key}-words", Static).render())


def shown(app: HuddleBoardApp) -> bool:
    """Whether the large figures are on screen, with every digit inside it."""
    found = app.query("#box-score-figures")
    if not found or not found.first().display:
        return False
    width, height = app.size
    digits = list(found.first().query(Digits))
    assert [d.id for d in digits] == [f"figure-{key}-digits" for key in FIGURES]
    return all(d.region.width >= len(d.value) * 3 and d.region.height == 3 for d in digits) and all(
        d.region.right <= width and d.region.bottom <= height for d in digits
    )


def grid(app: HuddleBoardApp) -> BoardGrid:
    return app.query_one("#box-score-table", BoardGrid)


def inside(app: HuddleBoardApp, widget: Widget) -> bool:
    """On screen, whole, and not of zero size."""
    region = widget.region
    width, height = app.size
    return (
        region.width > 0
        and region.height > 0
        and region.right <= width
        and region.bottom <= height
        and region.x >= 0
        and region.y >= 0
    )


def assert_shell_in_view(app: HuddleBoardApp) -> None:
    """The header's clock and sync state, every tab's whole label, the pane on show and the
    footer: all on screen."""
    clock = app.query_one("#header-clock", Static)
    assert inside(app, clock) and f"{NOW:%H:%M}" in str(clock.render())
    assert clock.region.width >= len(str(clock.render()))
    sync = app.query_one("#header-sync", Static)
    assert inside(app, sync) and str(sync.render()).strip()
    for tab in app.query(Tab):
        assert inside(app, tab), tab.label.plain
        assert tab.region.width >= len(tab.label.plain)
    active = app.query_one(TabbedContent).active
    assert inside(app, app.query_one(f"#{active}-pane"))
    assert inside(app, app.query_one(BoardFooter))


def assert_box_score_in_view(app: HuddleBoardApp) -> None:
    """The table shows each measure's name, its latest value, the target and whether it was
    met, whatever the width."""
    table = grid(app)
    assert inside(app, table)
    keys = [column.key for column in table.columns]
    status = keys.index("status")
    right = sum(column.width + 2 * CELL_PADDING for column in table.columns[: status + 1])
    assert right <= table.scrollable_content_region.width
    assert keys[0] == "name" and keys[status - 2 : status] == [WEEK.isoformat(), "target"]
    header = table.render_line(0).text
    assert "This week" in header and f"▶ {WEEK:%d %b}" in header


async def visit(pilot: Pilot[None], pane: str) -> None:
    pilot.app.query_one(TabbedContent).active = pane
    await settle(pilot)


@pytest.fixture
def few_measures(tmp_path: Path) -> Path:
    """A ward with three measures, one value each this week: one met, one missed, one still
    to enter; and one overdue action of two."""
    path = tmp_path / "few.db"
    db, _ = open_store(path)
    clock = FixedClock(NOW)
    commands.set_ward(db, "TEST-7A", "Test ward 7A", clock)
    author = commands.Author("TEST-7A", "JM", clock)
    spec = commands.MeasureSpec
    falls = commands.add_measure(
        db, author, spec("Falls", "performance", "n", 0, "decrease", 2, "SC")
    )
    noon = commands.add_measure(
        db, author, spec("Discharges before noon", "performance", "%", 0, "increase", 33, "MO")
    )
    commands.add_measure(db, author, spec("Cost per patient", "cost", "£", 2, "decrease", 450))
    entries = [commands.WeekEntry(falls, 1), commands.WeekEntry(noon, 20)]
    commands.record_week_values(db, author, WEEK, entries)
    earlier = commands.Author("TEST-7A", "JM", FixedClock(NOW - dt.timedelta(days=10)))
    for due in (NOW.date() - dt.timedelta(days=3), NOW.date() + dt.timedelta(days=3)):
        commands.add_action(db, earlier, text="Check the sensors", owner="SC", due_on=due)
    db.close()
    return path


# -- settings --------------------------------------------------------------------------------


def test_theme_and_large_figures_settings(tmp_path: Path) -> None:
    defaults = load_settings(None, env={})
    assert defaults.theme == "textual-dark" and defaults.large_figures is None
    assert not defaults.show_large_figures
    assert Settings(kiosk=True).show_large_figures
    assert not Settings(kiosk=True, large_figures=False).show_large_figures
    assert Settings(large_figures=True).show_large_figures
    file = tmp_path / "settings.toml"
    file.write_text('theme = "high-contrast"\nlarge_figures = false\nkiosk = true\n')
    from_file = load_settings(file, env={})
    assert from_file.theme == "high-contrast" and from_file.large_figures is False
    assert not from_file.show_large_figures
    env = {"HUDDLE_THEME": " High-Contrast ", "HUDDLE_LARGE_FIGURES": "yes"}
    from_env = load_settings(None, env=env)
    assert from_env.theme == "high-contrast" and from_env.large_figures is True
    assert load_settings(file, env={"HUDDLE_LARGE_FIGURES": "auto"}).large_figures is None


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("theme", "neon", "setting 'theme' must be one of textual-dark, high-contrast"),
        ("theme", 3, "setting 'theme' must be one of textual-dark, high-contrast"),
        ("large_figures", "sometimes", "setting 'large_figures' must be true, false or auto"),
        ("large_figures", 2, "setting 'large_figures' must be true, false or auto"),
    ],
)
def test_bad_theme_or_large_figures_are_refused(setting: str, value: Any, message: str) -> None:
    with pytest.raises(SettingsError) as refused:
        load_settings(None, env={}, **{setting: value})
    assert str(refused.value).startswith(message)


async def test_every_theme_setting_is_a_theme_the_board_has(
    demo_path: Path, board: BoardFactory
) -> None:
    for name in THEMES:
        app = board(demo_path, theme=name)
        async with app.run_test(size=KIOSK) as pilot:
            await settle(pilot)
            assert app.theme == name and app.current_theme.name == name


# -- the high-contrast theme -----------------------------------------------------------------


def contrast(one: Color, other: Color) -> float:
    """The WCAG contrast ratio of two opaque colours."""

    def luminance(color: Color) -> float:
        def channel(value: int) -> float:
            c = value / 255
            return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

        return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)

    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


async def test_high_contrast_is_black_white_and_strong_colours(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path, theme="high-contrast")
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        black, white = Color(0, 0, 0), Color(255, 255, 255)
        assert app.screen.styles.background == black
        assert app.query_one("#box-score-title").styles.color == white
        variables = app.get_css_variables()
        # coloured text on the black background, and the header's text on its coloured parts
        for name in ("primary", "accent", "success", "warning", "error", "foreground"):
            assert contrast(Color.parse(variables[name]), black) >= 6, name
        for selector in ("#header-ward", "#header-counts", "#header-clock"):
            part = app.query_one(selector)
            style = part.rich_style
            assert style.color is not None and style.bgcolor is not None
            ink, paper = (Color.from_rich_color(c) for c in (style.color, style.bgcolor))
            assert contrast(ink, paper) >= 6, selector
        # the figures' colours are the theme's, their words always beside them
        assert strip(app).query_one("#figure-met").styles.color == Color.parse(variables["success"])
        assert words(app, "met").startswith("✔ ") and words(app, "missed").startswith("✘ ")


async def test_the_default_board_keeps_its_theme_and_has_no_large_figures(
    demo_path: Path, board: BoardFactory
) -> None:
    app = board(demo_path)
    async with app.run_test(size=WALL) as pilot:
        await settle(pilot)
        assert app.theme == "textual-dark"
        assert not app.query("#box-score-figures") and not app.query(Digits)
        assert app.query_one(BoxScorePane).figures is None


# -- the headline figures --------------------------------------------------------------------


async def test_the_figures_match_the_table_and_the_store(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path, theme="high-contrast")
    async with app.run_test(size=WALL) as pilot:  # every week in the table
        await settle(pilot)
        assert shown(app)
        table = grid(app)
        status = [column.key for column in table.columns].index("status")
        verdicts = [row.cells[status].plain for row in table.rows if not row.band]
        met, missed = verdicts.count("✔ met"), verdicts.count("✘ missed")
        assert met and missed  # the demo ward has both
        assert (figure(app, "met"), figure(app, "missed")) == (str(met), str(missed))
        assert words(app, "met").startswith(f"✔ of {met + missed} targets met")
        missing = score_in_store(demo_path).missing()
        assert figure(app, "to-enter") == str(len(missing)) != "0"
        open_count, overdue = actions_in_store(demo_path)
        assert figure(app, "overdue") == str(overdue) != "0"
        assert words(app, "overdue").startswith(f"⚠ of {open_count} open actions")
        states = {key: set(strip(app).query_one(f"#figure-{key}").classes) for key in FIGURES}
        assert states == {
            "met": {"figure", "-good"},
            "missed": {"figure", "-bad"},
            "to-enter": {"figure", "-due"},
            "overdue": {"figure", "-bad"},
        }


async def test_the_figures_follow_a_save(few_measures: Path, kiosk_board: BoardFactory) -> None:
    app = kiosk_board(few_measures)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot)
        # a small ward: the figures fit beside the whole table even at 100×30
        assert shown(app)
        assert [figure(app, key) for key in FIGURES] == ["1", "1", "1", "1"]
        score = score_in_store(few_measures)
        cost = next(row.measure for row in score.rows if row.measure.band == "cost")
        app.remember_initials("JM")
        app.save(
            lambda db, author: commands.record_week_values(
                db, author, WEEK, [commands.WeekEntry(cost.id, 400)]
            ),
            "week values",
        )
        await settle(pilot)
        assert [figure(app, key) for key in FIGURES] == ["2", "1", "0", "1"]
        assert strip(app).query_one("#figure-to-enter").has_class("-good")
        overdue = next(
            action
            for action in queries.open_actions(connect(few_measures), NOW.date())
            if action.due_on < NOW.date()
        )
        app.save(
            lambda db, author: commands.set_action_status(db, author, overdue.id, "done"),
            "action done",
        )
        await settle(pilot)
        assert figure(app, "overdue") == "0"
        assert words(app, "overdue").startswith("⚠ of 1 open actions")


async def test_the_first_frame_has_the_figures(demo_path: Path, monotonic: ManualMonotonic) -> None:
    """As the command line starts the board: the box score and the action counts read before
    the app starts, the figures complete in the very first frame."""
    db, health = open_store(demo_path)
    ward = queries.ward(db)
    first_screen = load_box_score(db, NOW.date(), 8)
    counts = queries.action_counts(db, NOW.date())
    db.close()
    assert ward is not None and first_screen.actions is None
    settings = Settings(db_path=demo_path, kiosk=True, theme="high-contrast")
    app = make_app(
        settings,
        demo_path,
        health,
        ward,
        FixedClock(NOW),
        monotonic,
        first_screen=first_screen,
        first_counts=counts,
    )
    async with app.run_test(size=KIOSK) as pilot:
        await pilot.pause()
        assert shown(app)
        assert figure(app, "overdue") == str(counts[1])
        assert figure(app, "to-enter") == str(len(first_screen.score.missing()))


async def test_large_figures_can_be_turned_on_or_off(demo_path: Path, board: BoardFactory) -> None:
    for settings, expected in (
        ({"large_figures": True}, True),
        ({"kiosk": True, "large_figures": False}, False),
    ):
        app = board(demo_path, **settings)
        async with app.run_test(size=KIOSK) as pilot:
            await settle(pilot)
            assert shown(app) is expected
            assert bool(app.query(Digits)) is expected


# -- the layout at every size ----------------------------------------------------------------


@pytest.mark.parametrize("kiosk", [True, False], ids=["kiosk", "desk"])
@pytest.mark.parametrize("size", SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
async def test_every_screen_fits_every_size(
    size: tuple[int, int], kiosk: bool, demo_path: Path, board: BoardFactory
) -> None:
    settings = {"kiosk": True, "theme": "high-contrast"} if kiosk else {}
    app = board(demo_path, **settings)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        for pane in PANES:
            await visit(pilot, pane)
            assert_shell_in_view(app)
            focused = app.focused  # the sync screen's table is hidden while sync is off
            assert focused is None or not focused.display or inside(app, focused), pane
        await visit(pilot, "box-score")
        assert_box_score_in_view(app)
        table = grid(app)
        if kiosk and size in (KIOSK, WALL):
            assert shown(app)
            assert table.virtual_size.height <= table.size.height  # no row scrolled away
        else:
            assert not shown(app)
        if size == SMALL:  # the figures stepped aside for the whole table
            assert table.virtual_size.height <= table.size.height


async def test_the_figures_step_aside_on_a_small_screen_and_come_back(
    demo_path: Path, kiosk_board: BoardFactory
) -> None:
    app = kiosk_board(demo_path, theme="high-contrast")
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        assert shown(app) and not strip(app).short
        rows = grid(app).rows
        await pilot.resize_terminal(*TINY)
        await settle(pilot)
        assert not shown(app) and strip(app).has_class("-hidden")
        await pilot.resize_terminal(90, 45)  # room for them, but not for their long words
        await settle(pilot)
        assert shown(app) and strip(app).short
        assert (
            words(app, "met") == f"✔ of {int(figure(app, 'met')) + int(figure(app, 'missed'))}\nmet"
        )
        await pilot.resize_terminal(*WALL)
        await settle(pilot)
        assert shown(app) and not strip(app).short
        assert {row.height for row in grid(app).rows if not row.band} == {2}
        assert [row.key for row in grid(app).rows] == [row.key for row in rows]


async def test_resized_again_and_again(demo_path: Path, kiosk_board: BoardFactory) -> None:
    """Fifty resizes, on every screen in turn, some before the last one was drawn: no error,
    and the box score shows its figures at the end."""
    app = kiosk_board(demo_path, theme="high-contrast")
    sizes = itertools.cycle((*SIZES, (81, 25), (239, 66), (120, 40), (100, 24)))
    panes = itertools.cycle(PANES)
    async with app.run_test(size=KIOSK) as pilot:
        await settle(pilot)
        expected = [figure(app, key) for key in FIGURES]
        rows = [row.key for row in grid(app).rows]
        for step in range(50):
            await pilot.resize_terminal(*next(sizes))
            if step % 3 == 0:
                await visit(pilot, next(panes))
            else:
                await pilot.pause()
        await visit(pilot, "box-score")
        await pilot.resize_terminal(*KIOSK)
        await settle(pilot)
        assert_shell_in_view(app)
        assert_box_score_in_view(app)
        assert shown(app) and [figure(app, key) for key in FIGURES] == expected
        assert [row.key for row in grid(app).rows] == rows
        assert not app.query_one("#banner").has_class("shown")  # no worker failed
    assert app.return_code in (None, 0)


# -- snapshots: kiosk mode, high contrast, large figures --------------------------------------


def kiosk_snapshot(demo_path: Path, board: BoardFactory) -> HuddleBoardApp:
    return board(demo_path, kiosk=True, theme="high-contrast")


async def _settled(pilot: Pilot[None]) -> None:
    await settle(pilot)


def test_snapshot_kiosk_high_contrast(
    snap_compare: Any, demo_path: Path, board: BoardFactory
) -> None:
    app = kiosk_snapshot(demo_path, board)
    assert snap_compare(app, terminal_size=KIOSK, run_before=_settled)


def test_snapshot_kiosk_high_contrast_tiny(
    snap_compare: Any, demo_path: Path, board: BoardFactory
) -> None:
    app = kiosk_snapshot(demo_path, board)
    assert snap_compare(app, terminal_size=TINY, run_before=_settled)


def test_snapshot_kiosk_high_contrast_wall(
    snap_compare: Any, demo_path: Path, board: BoardFactory
) -> None:
    app = kiosk_snapshot(demo_path, board)
    assert snap_compare(app, terminal_size=WALL, run_before=_settled)

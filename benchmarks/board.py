"""The ward board's benchmark, on a generated five-year ward (260 weeks × 15 measures, 1,800
huddles, 2,000 ideas, 10,000 actions):

- cold start to the first complete box-score frame, and peak memory, each beside a bare
  Textual app started the same way (a fresh interpreter, headless, 160×45), in the same run;
- the median time to switch screens, beside the same switches in a bare Textual app with a
  tab bar over four static panes.

Targets: start within 1.5× the bare app, switch under 50 ms, peak memory within 2× the bare app.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual.app import App, ComposeResult
from textual.widgets import Footer, Static, TabbedContent, TabPane

from huddle_board.clock import FixedClock
from huddle_board.config import Settings
from huddle_board.db import open_store

NOW = dt.datetime(2026, 11, 26, 9, 0)
PANE_IDS = ("box-score", "ideas", "huddle", "actions")
# Both children may write and reuse compiled bytecode, as an installed board does (this
# workplace sets PYTHONDONTWRITEBYTECODE, which would make every start compile every module).
CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    baseline: float | None
    unit: str
    target: str
    met: bool

    def line(self) -> str:
        base = "" if self.baseline is None else f"{self.baseline:10.1f} {self.unit}"
        verdict = "met" if self.met else "MISSED"
        return (
            f"{self.name:<34}{self.value:10.1f} {self.unit:<4}{base:<16}{self.target:<22}{verdict}"
        )


def build_ward(folder: Path) -> tuple[Path, float]:
    from huddle_board.demo import build_benchmark_ward

    path = folder / "five-years.db"
    started = time.perf_counter()
    db, _ = open_store(path)
    build_benchmark_ward(db, clock=FixedClock(NOW))
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    return path, time.perf_counter() - started


def start_once(args: list[str]) -> tuple[float, float]:
    """Seconds from spawning a fresh interpreter to its first complete frame, and its peak RSS
    in MiB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.startup", *args],
        stdout=subprocess.PIPE,
        text=True,
        env=CHILD_ENV,
    )
    assert child.stdout is not None
    line = child.stdout.readline()
    elapsed = time.perf_counter() - started
    child.wait(timeout=30)
    if not line.startswith("ready "):
        raise RuntimeError(f"start-up child said {line!r}")
    return elapsed, int(line.split()[1]) / 1024


def start_figures(path: Path, runs: int) -> list[Figure]:
    bare: list[tuple[float, float]] = []
    board: list[tuple[float, float]] = []
    start_once(["bare"])  # warm the file cache for both
    start_once(["board", str(path)])
    for _ in range(runs):
        bare.append(start_once(["bare"]))
        board.append(start_once(["board", str(path)]))
    bare_s = statistics.median(t for t, _ in bare) * 1000
    board_s = statistics.median(t for t, _ in board) * 1000
    bare_mem = statistics.median(m for _, m in bare)
    board_mem = statistics.median(m for _, m in board)
    return [
        Figure(
            "cold start to box score", board_s, bare_s, "ms", "≤ 1.5× bare", board_s <= 1.5 * bare_s
        ),
        Figure(
            "peak memory at start",
            board_mem,
            bare_mem,
            "MiB",
            "≤ 2× bare",
            board_mem <= 2 * bare_mem,
        ),
    ]


class BareTabs(App[None]):
    """Baseline for switching: a tab bar over four static panes."""

    def compose(self) -> ComposeResult:
        with TabbedContent():
            for pane_id in PANE_IDS:
                with TabPane(pane_id, id=pane_id):
                    yield Static(pane_id * 40)
        yield Footer()

    def action_show_pane(self, pane_id: str) -> None:
        self.query_one(TabbedContent).active = pane_id


async def drawn(app: App[None]) -> None:
    """Wait until no worker is running (a cancelled one counts as finished) and the screen
    has been redrawn once more: the new pane's data is on screen."""
    while any(worker.is_running for worker in app.workers):
        await asyncio.sleep(0.0005)
    drawn = asyncio.Event()
    app.call_after_refresh(drawn.set)
    await drawn.wait()


async def median_switch_ms(app: App[None], rounds: int) -> float:
    """Median time from asking for a screen to that screen drawn with its data."""
    timings: list[float] = []
    show: Callable[[str], None] = getattr(app, "action_show_pane")  # noqa: B009 (both apps have it)
    async with app.run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        await drawn(app)
        for pane_id in PANE_IDS[1:]:  # first visits build each pane: not counted
            show(pane_id)
            await drawn(app)
            await pilot.pause()
        for round_number in range(rounds):
            pane_id = PANE_IDS[round_number % len(PANE_IDS)]
            started = time.perf_counter()
            show(pane_id)
            await drawn(app)
            timings.append((time.perf_counter() - started) * 1000)
            await pilot.pause()
    return statistics.median(timings)


def switch_figure(path: Path, rounds: int) -> Figure:
    """The board built as `huddle-board` builds it (`cli.prepare_board`)."""
    from huddle_board.cli import prepare_board

    board = prepare_board(Settings(db_path=path), FixedClock(NOW))
    board_ms = asyncio.run(median_switch_ms(board, rounds))
    bare_ms = asyncio.run(median_switch_ms(BareTabs(), rounds))
    return Figure("median screen switch", board_ms, bare_ms, "ms", "< 50 ms", board_ms < 50)


def run(folder: Path, *, runs: int, rounds: int) -> list[Figure]:
    path, build_s = build_ward(folder)
    print(f"five-year ward generated in {build_s:.1f} s ({path.stat().st_size / 2**20:.1f} MiB)")
    return [*start_figures(path, runs), switch_figure(path, rounds)]

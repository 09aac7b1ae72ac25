"""The kiosk's soak: the real board, as `huddle-board --kiosk` builds it, rotating through its
screens in headless mode with its data refreshed now and then; and the same rotation on a bare
Textual app (a tab bar over four static panes) as the baseline.

One rotation step is what the kiosk does every `rotation_every_s` once nobody touches it: the
next screen shown, its data read again in a worker and drawn. A data refresh is a real write to
the store by another connection (this week's value for a measure) followed by `DataChanged`,
as after any write: every screen built so far reads its data again.

Memory is measured after a warm-up (the first tenth of the steps, when every screen has been
built and every cache filled) and at the end, each after a full garbage collection: resident
memory (RSS) and the interpreter's allocated blocks, which a leak of Python objects grows.

    python -m benchmarks.soak [--rotations N] [--refreshes M] [--json] [--db PATH]

The kiosk's soak test (tests/ui/test_soak.py) runs this in a process of its own; the benchmark
(`python -m benchmarks`) reports its step time and memory beside the bare app's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from textual.app import App
from textual.widgets import TabbedContent
from textual.worker import Worker, WorkerState

from benchmarks.board import NOW, PANE_IDS, BareTabs, Figure, drawn

SIZE = (160, 45)


@dataclass
class SoakReport:
    rotations: int
    refreshes: int
    step_ms: float  # median time of one rotation step, asked to drawn
    step_p99_ms: float
    rss_warm_kib: int
    rss_end_kib: int
    blocks_warm: int
    blocks_end: int
    seconds: float
    errors: list[str] = field(default_factory=list)
    shown: dict[str, int] = field(default_factory=dict)  # how often each screen was on show

    @property
    def rss_growth(self) -> float:
        """Growth of resident memory after the warm-up, as a fraction."""
        return (self.rss_end_kib - self.rss_warm_kib) / self.rss_warm_kib

    @property
    def blocks_growth(self) -> float:
        return (self.blocks_end - self.blocks_warm) / self.blocks_warm

    def summary(self) -> str:
        return (
            f"{self.rotations} rotations, {self.refreshes} refreshes in {self.seconds:.0f} s: "
            f"step median {self.step_ms:.2f} ms (p99 {self.step_p99_ms:.2f}); "
            f"RSS {self.rss_warm_kib / 1024:.1f} → {self.rss_end_kib / 1024:.1f} MiB "
            f"({self.rss_growth:+.1%}); blocks {self.blocks_warm} → {self.blocks_end} "
            f"({self.blocks_growth:+.1%}); {len(self.errors)} errors"
        )


def rss_kib() -> int:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") // 1024


def _memory() -> tuple[int, int]:
    gc.collect()
    return rss_kib(), sys.getallocatedblocks()


class Rotation:
    """How to make one app take its next rotation step, and refresh its data."""

    def step(self, app: App[None]) -> None:
        raise NotImplementedError

    def refresh(self, app: App[None], number: int) -> None:
        raise NotImplementedError


class BareRotation(Rotation):
    def __init__(self) -> None:
        self.next = 0

    def step(self, app: App[None]) -> None:
        self.next = (self.next + 1) % len(PANE_IDS)
        assert isinstance(app, BareTabs)
        app.action_show_pane(PANE_IDS[self.next])

    def refresh(self, app: App[None], number: int) -> None:
        for static in app.query("Static"):
            static.refresh()


class BoardRotation(Rotation):
    """The kiosk's own rotation, driven by a hand-moved monotonic clock: each step moves it
    on by `rotation_every_s` and calls the app's `rotation_tick`, as its 1 s timer does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.now = 1000.0
        self._db: Any = None
        self._measure: str | None = None
        self._ward = ""

    def monotonic(self) -> float:
        return self.now

    def step(self, app: App[None]) -> None:
        from huddle_board.ui.app import HuddleBoardApp

        assert isinstance(app, HuddleBoardApp)
        self.now += max(app.settings.rotation_every_s, app.settings.idle_before_rotation_s)
        app.rotation_tick()
        app.burn_in_tick()

    def refresh(self, app: App[None], number: int) -> None:
        """A real write by another connection (this week's value for one measure, a new value
        each time), then `DataChanged` as after any write."""
        from huddle_board.clock import FixedClock
        from huddle_board.db import connect
        from huddle_board.db.commands import Author, WeekEntry, record_week_values
        from huddle_board.ui.messages import DataChanged

        if self._db is None:
            self._db = connect(self.path)
            self._ward = str(self._db.execute("SELECT code FROM ward").fetchone()[0])
            self._measure = str(
                self._db.execute(
                    "SELECT id FROM measures WHERE is_ratio = 0 AND deleted = 0 "
                    "ORDER BY position LIMIT 1"
                ).fetchone()[0]
            )
        assert self._measure is not None
        author = Author(ward=self._ward, initials="SK", clock=FixedClock(NOW))
        entry = WeekEntry(self._measure, value=float(number % 50))
        record_week_values(self._db, author, NOW.date(), [entry])
        app.post_message(DataChanged("soak"))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


async def soak_app(
    app: App[None], rotation: Rotation, rotations: int, refreshes: int
) -> SoakReport:
    errors: list[str] = []
    original = getattr(app, "worker_failed", None)

    def failed(event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            errors.append(f"worker {event.worker.name}: {event.worker.error!r}")
        if original is not None:
            original(event)

    if original is not None:
        app.worker_failed = failed  # type: ignore[attr-defined]
    refresh_every = max(1, rotations // refreshes) if refreshes else 0
    warm_after = max(len(PANE_IDS) * 2, rotations // 10)
    timings: list[float] = []
    warm = (0, 0)
    done_refreshes = 0
    shown: dict[str, int] = {}
    started = time.perf_counter()
    async with app.run_test(size=SIZE, headless=True) as pilot:
        await pilot.pause()
        await drawn(app)
        for number in range(rotations):
            if number == warm_after:
                warm = _memory()
            if refresh_every and number % refresh_every == 0 and done_refreshes < refreshes:
                rotation.refresh(app, done_refreshes)
                done_refreshes += 1
                await drawn(app)
            begun = time.perf_counter()
            rotation.step(app)
            await drawn(app)
            timings.append((time.perf_counter() - begun) * 1000)
            active = app.query_one(TabbedContent).active
            shown[active] = shown.get(active, 0) + 1
        await pilot.pause()
        await drawn(app)
        end = _memory()
        problem = str(getattr(app, "_problem", ""))
        if problem:
            errors.append(f"banner: {problem}")
    timings.sort()
    return SoakReport(
        rotations=rotations,
        refreshes=done_refreshes,
        step_ms=statistics.median(timings),
        step_p99_ms=timings[int(len(timings) * 0.99) - 1],
        rss_warm_kib=warm[0],
        rss_end_kib=end[0],
        blocks_warm=warm[1],
        blocks_end=end[1],
        seconds=time.perf_counter() - started,
        errors=errors,
        shown=shown,
    )


def soak_board(path: Path, rotations: int, refreshes: int) -> SoakReport:
    """The board as `huddle-board --kiosk --db PATH` builds it (`cli.prepare_board`)."""
    from huddle_board.cli import prepare_board
    from huddle_board.clock import FixedClock
    from huddle_board.config import Settings

    rotation = BoardRotation(path)
    app = prepare_board(Settings(db_path=path, kiosk=True), FixedClock(NOW))
    app.monotonic = rotation.monotonic
    app.touched()
    app.animation_level = "none"
    try:
        return asyncio.run(soak_app(app, rotation, rotations, refreshes))
    finally:
        rotation.close()


def soak_bare(rotations: int, refreshes: int) -> SoakReport:
    return asyncio.run(soak_app(BareTabs(), BareRotation(), rotations, refreshes))


def _child(args: list[str]) -> SoakReport:
    """A soak in a fresh process (memory figures of its own)."""
    import subprocess

    from benchmarks.board import CHILD_ENV

    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.soak", "--json", *args],
        capture_output=True,
        text=True,
        check=True,
        env=CHILD_ENV,
    )
    return SoakReport(**json.loads(done.stdout.strip().splitlines()[-1]))


def run(path: Path, rotations: int = 2000, refreshes: int = 200) -> list[Figure]:
    """The benchmark's figures: one rotation step and memory after the soak, board and bare."""
    counts = ["--rotations", str(rotations), "--refreshes", str(refreshes)]
    board = _child([*counts, "--db", str(path)])
    # The bare app's step and memory are flat from the start: a tenth of the steps will do.
    few = max(400, rotations // 10)
    bare = _child(["--rotations", str(few), "--refreshes", str(few // 10), "--bare"])
    print(f"soak, board: {board.summary()}")
    print(f"soak, bare:  {bare.summary()}")
    return [
        Figure("kiosk rotation step (median)", board.step_ms, bare.step_ms, "ms", "", True),
        Figure(
            "memory after the soak",
            board.rss_end_kib / 1024,
            bare.rss_end_kib / 1024,
            "MiB",
            "growth < 10%",
            board.rss_growth < 0.10 and not board.errors,
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--rotations", type=int, default=20_000)
    parser.add_argument("--refreshes", type=int, default=2_000)
    parser.add_argument("--db", type=Path, help="the board's file (default: a demo ward)")
    parser.add_argument("--bare", action="store_true", help="the bare Textual app instead")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args()
    if args.bare:
        report = soak_bare(args.rotations, args.refreshes)
    elif args.db is not None:
        report = soak_board(args.db, args.rotations, args.refreshes)
    else:
        with tempfile.TemporaryDirectory(prefix="huddle-soak-") as folder:
            path = Path(folder) / "demo.db"
            _demo(path)
            report = soak_board(path, args.rotations, args.refreshes)
    print(json.dumps(asdict(report)) if args.json else report.summary())
    return 0


def _demo(path: Path) -> None:
    from huddle_board.clock import FixedClock
    from huddle_board.db import open_store
    from huddle_board.demo import build_demo_ward

    db, _ = open_store(path)
    build_demo_ward(db, clock=FixedClock(NOW))
    db.close()


if __name__ == "__main__":
    sys.exit(main())

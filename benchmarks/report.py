"""The report-out's benchmark: `huddle-board report` for the five-year ward (15 measures × 260
weeks, 1,800 huddles, 2,000 ideas, 10,000 actions) without the file write: open the store, the
week review (every measure's XmR chart over its whole history) and the HTML page; beside the
floor of the same run, the same connection reading the rows the review needs with plain SQL
(every value up to the week, the week's ideas, cycles, huddles and actions, and the actions
open at its end) and building nothing from them.

Target: under 1 s (median of repeated runs).

    python -m benchmarks.report [--db PATH]   (builds the five-year ward when no PATH is given)
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.board import NOW, Figure, build_ward
from huddle_board.db import connect_raw
from huddle_board.report import render_html
from huddle_board.review import week_review

TARGET_MS = 1000.0
WEEK = dt.date(2026, 11, 16)  # 2026-W47: the last whole week of the ward (built at NOW)

_FLOOR_SQL = (
    ("SELECT measure_id, week, value FROM week_values WHERE deleted = 0 AND week <= ?", 1),
    ("SELECT * FROM measures WHERE deleted = 0", 0),
    ("SELECT * FROM ideas WHERE deleted = 0 AND status_changed_on BETWEEN ? AND ?", 2),
    ("SELECT status, COUNT(*) FROM ideas WHERE deleted = 0 AND raised_on <= ? GROUP BY 1", 1),
    (
        "SELECT * FROM pdsa_cycles WHERE deleted = 0 AND started_on <= ? "
        "AND (started_on >= ? OR finished_on IS NULL OR finished_on >= ?)",
        3,
    ),
    ("SELECT * FROM huddles WHERE deleted = 0 AND held_on BETWEEN ? AND ?", 2),
    ("SELECT * FROM actions WHERE deleted = 0 AND raised_on BETWEEN ? AND ?", 2),
    ("SELECT * FROM actions WHERE deleted = 0 AND closed_on BETWEEN ? AND ?", 2),
    (
        "SELECT * FROM actions WHERE deleted = 0 AND raised_on <= ? "
        "AND (status = 'open' OR closed_on > ?)",
        2,
    ),
)


def make_report(path: Path) -> str:
    """What `huddle-board report` does before writing the file."""
    db = connect_raw(path)
    try:
        return render_html(week_review(db, WEEK), generated_on=NOW.date())
    finally:
        db.close()


def read_rows(path: Path) -> int:
    """The floor: the same rows fetched with plain SQL, nothing built from them."""
    sunday = WEEK + dt.timedelta(days=6)
    first, last = WEEK.isoformat(), sunday.isoformat()
    params = {0: [], 1: [last], 2: [first, last], 3: [last, first, first]}
    db = connect_raw(path)
    try:
        return sum(len(db.execute(sql, params[count]).fetchall()) for sql, count in _FLOOR_SQL)
    finally:
        db.close()


def median_ms(work: Callable[[Path], object], path: Path, repeats: int) -> float:
    work(path)  # warm up: the file in the page cache, modules imported
    timings: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        work(path)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(path: Path, repeats: int = 9) -> list[Figure]:
    """`path` is the five-year ward (`benchmarks.board.build_ward` makes it)."""
    report_ms = median_ms(make_report, path, repeats)
    floor_ms = median_ms(read_rows, path, repeats)
    return [
        Figure(
            "report-out, 5-year ward (HTML)",
            report_ms,
            floor_ms,
            "ms",
            f"< {TARGET_MS:g} ms",
            report_ms < TARGET_MS,
        )
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.report", description=__doc__)
    parser.add_argument("--db", type=Path, help="the five-year ward (built when not given)")
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="huddle-report-") as folder:
        path = args.db or build_ward(Path(folder))[0]
        page = make_report(path)
        print(f"report: {len(page) / 1024:.0f} KiB of HTML")
        for figure in run(path, args.repeats):
            print(figure.line())
    return 0


if __name__ == "__main__":
    sys.exit(main())

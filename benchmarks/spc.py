"""The SPC engine's benchmark: `spc.analyse()` over a five-year ward's box score (15 measures
× 260 weeks, with missing weeks, shifts, trends, a rebase and targets), beside the floor of
the same run: the mean and average moving range of the same values in a tight loop, the least
arithmetic any XmR chart needs.

Target: under 20 ms for all 15 measures (median of repeated runs).
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from benchmarks.board import Figure
from huddle_board.spc import Improvement, Rebase, analyse

MEASURES = 15
WEEKS = 260
TARGET_MS = 20.0


@dataclass(frozen=True)
class Series:
    values: list[float | None]
    improvement: Improvement
    target: float | None
    rebases: tuple[Rebase, ...]


def box_score(seed: int = 2026) -> list[Series]:
    """15 measures of 260 weeks: noise around a level that steps now and then, a few runs of
    weeks rising or falling, about 3% of weeks missing, every third measure rebased once."""
    rng = random.Random(seed)
    directions: tuple[Improvement, ...] = ("increase", "decrease", "neutral")
    measures: list[Series] = []
    for number in range(MEASURES):
        level, spread = rng.uniform(5, 500), rng.uniform(0.5, 30)
        values: list[float | None] = []
        while len(values) < WEEKS:
            roll = rng.random()
            if roll < 0.03:
                values.append(None)
            elif roll < 0.05:
                level += rng.choice([-1, 1]) * spread
            elif roll < 0.07:
                run = sorted(rng.gauss(level, spread) for _ in range(rng.randint(6, 9)))
                values.extend(run if rng.random() < 0.5 else run[::-1])
            else:
                values.append(rng.gauss(level, spread))
        rebases = (Rebase(rng.randint(100, 200), "new way of working"),) if number % 3 == 0 else ()
        improvement = directions[number % 3]
        target = None if number % 4 == 0 else level
        measures.append(Series(values[:WEEKS], improvement, target, rebases))
    return measures


def analyse_all(measures: list[Series]) -> None:
    for series in measures:
        analyse(series.values, series.improvement, target=series.target, rebases=series.rebases)


def mean_and_moving_range(measures: list[Series]) -> None:
    """The floor: mean and average moving range of each measure's values, nothing else."""
    for series in measures:
        present = [value for value in series.values if value is not None]
        total = ranges = 0.0
        previous = present[0]
        for value in present:
            total += value
            ranges += abs(value - previous)
            previous = value
        _ = (total / len(present), ranges / (len(present) - 1))


def median_ms(work: Callable[[list[Series]], None], measures: list[Series], repeats: int) -> float:
    work(measures)  # warm up
    timings: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        work(measures)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run(repeats: int = 60) -> list[Figure]:
    measures = box_score()
    analysed = median_ms(analyse_all, measures, repeats)
    floor = median_ms(mean_and_moving_range, measures, repeats)
    return [
        Figure(
            f"spc.analyse {MEASURES} × {WEEKS} weeks",
            analysed,
            floor,
            "ms",
            f"< {TARGET_MS:g} ms",
            analysed < TARGET_MS,
        )
    ]

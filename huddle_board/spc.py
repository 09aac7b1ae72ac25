"""Making Data Count statistical process control: XmR charts with the special-cause rules,
variation and assurance of the R package NHSRplotthedots, over plain lists of numbers.

Pure: imports nothing else from the project.

How the numbers are worked, per segment (the whole series, or the stretch from one rebase to the
next):

- the baseline is every value of the segment, or its first `fix_after_n_points` values when the
  limits are fixed; centre line = mean of the baseline;
- moving ranges |x_i − x_(i−1)| between neighbouring values of the baseline, average moving range
  (AMR) their mean; with `screen_outliers`, moving ranges ≥ 3.267 × AMR are dropped and the AMR
  worked out once more;
- process limits = mean ± 2.66 × AMR; near limits = mean ± (2/3) × 2.66 × AMR;
- the rules run over every point of the segment against its (possibly fixed) limits, and never
  across a rebase.

Special-cause rules, in order of precedence (a point that meets several is labelled by the
first): `outside_limits` (strictly beyond a process limit), `trend` (7 or more points strictly
rising or strictly falling: equal neighbours break it), `two_in_three` (2 of 3 consecutive
points strictly beyond the same near limit but not beyond the process limit, all three on that
side of the mean: only the near points are flagged), `shift` (7 or more points strictly on one
side of the mean: a point exactly on the mean breaks the run). A trend point is improvement or
concern by the trend's direction; the others by their side of the mean.

Missing values (None) are skipped, never counted as zero: the series is worked out over the
values that are there, so a moving range joins the values either side of a gap, and a gap
neither breaks nor extends a run. A missing week still has its `Point` (value None, common
cause, with its segment's limits, so a chart can draw the lines across the gap); `variation` is
the type of the last point that has a value.

Where this differs from NHSRplotthedots (both follow ../shared/docs/domain.md):
- NHSRplotthedots expects no gaps: it leaves the moving ranges either side of a missing value
  out, where this module joins the values either side (a value sampled every 8 weeks still has
  moving ranges);
- a point shared by two trends (the peak between a rise and a fall) takes the later trend's
  direction, as there; but a point that ends one trend just before another starts (after a
  level step, or a step the other way) takes its own trend's direction, where NHSRplotthedots
  reads the step to the next point (and calls a level step "decreasing");
- limits are trial limits when they rest on fewer than 12 values (NHSRplotthedots counts the
  rows of the segment, so limits fixed after 6 points would not be called trial there);
- when every moving range is 0, screening keeps them (NHSRplotthedots drops them all and has no
  limits); a segment with a single value has a mean but no limits (None), one with no value
  (rebased, nothing entered yet) has neither. `assurance` is None without limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Literal

Improvement = Literal["increase", "decrease", "neutral"]
PointType = Literal[
    "common_cause",
    "special_cause_improvement",
    "special_cause_concern",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
]
Rule = Literal["outside_limits", "trend", "two_in_three", "shift"]
Assurance = Literal["consistent_pass", "consistent_fail", "inconsistent"]
Side = Literal["high", "low"]

IMPROVEMENTS: tuple[Improvement, ...] = ("increase", "decrease", "neutral")
RULES: tuple[Rule, ...] = ("outside_limits", "trend", "two_in_three", "shift")
"""The special-cause rules in their order of precedence."""
RULE_SET = (
    "Making Data Count (NHSRplotthedots): a point outside the process limits; "
    "7 points rising or falling; 2 of 3 points near a process limit; "
    "7 points on one side of the mean"
)
"""The rule set's name, for the screen (other tools use other run lengths)."""

LIMIT_SIGMAS = 2.66
NEAR_LIMIT_SIGMAS = 2 * (LIMIT_SIGMAS / 3)  # worked as NHSRplotthedots does, to the last bit
OUTLIER_SCREEN = 3.267
RUN_LENGTH = 7
TRIAL_BELOW = 12

_BIT: dict[Rule, int] = {rule: 1 << n for n, rule in enumerate(RULES)}
# Every combination of rule bits, as (rules met in precedence order, the first of them).
_MET: list[tuple[tuple[Rule, ...], Rule | None]] = [
    (met := tuple(r for r in RULES if mask & _BIT[r]), met[0] if met else None)
    for mask in range(1 << len(RULES))
]


@dataclass(frozen=True)
class Rebase:
    """Limits are worked out afresh from `index` (the first point of the new segment)."""

    index: int
    reason: str


@dataclass(frozen=True)
class Segment:
    """A stretch of points sharing one centre line and one pair of limits."""

    start: int
    end: int  # one past the last point
    reason: str | None  # why it was rebased; None for the first segment
    mean: float | None  # None when the segment has no value
    upper_limit: float | None  # None with fewer than 2 baseline values
    lower_limit: float | None
    near_upper_limit: float | None
    near_lower_limit: float | None
    average_moving_range: float | None
    baseline_points: int  # how many values the mean and limits rest on
    trial: bool  # fewer than 12 baseline values


@dataclass(frozen=True, slots=True)
class Point:
    """One value of the series (one week) with its segment's lines and its label."""

    index: int
    value: float | None
    point_type: PointType
    rule: Rule | None  # the first rule met, by precedence; None for common cause
    rules: tuple[Rule, ...]  # every rule met, in order of precedence
    side: Side | None  # above / rising ("high") or below / falling ("low") for a special cause
    run_length: int | None  # points in the trend or shift that flagged it
    mean: float | None
    upper_limit: float | None
    lower_limit: float | None
    segment: int


@dataclass(frozen=True)
class Analysis:
    """An XmR chart's numbers: the top-level lines and `trial` are the last segment's."""

    improvement: Improvement
    target: float | None
    mean: float | None
    upper_limit: float | None
    lower_limit: float | None
    trial: bool
    points: tuple[Point, ...]
    segments: tuple[Segment, ...]
    variation: PointType  # the last point with a value
    assurance: Assurance | None  # None without a target, for a neutral measure, or no limits


def analyse(
    values: Sequence[float | None],
    improvement: Improvement,
    target: float | None = None,
    screen_outliers: bool = True,
    fix_after_n_points: int | None = None,
    rebases: Sequence[Rebase] = (),
) -> Analysis:
    """The XmR chart of `values` (oldest first, one per week, None for a missing week), for a
    measure that should `improvement` ("increase", "decrease" or "neutral"). `rebases` start
    new segments with their own mean and limits; `fix_after_n_points` (2 or more) works each
    segment's mean and limits out from its first n values only and extends them. Raises
    ValueError for an empty or all-missing series, or an argument out of its range."""
    cleaned = _checked(values, improvement, target, fix_after_n_points)
    bounds = _segment_bounds(len(cleaned), rebases)
    points: list[Point] = []
    segments: list[Segment] = []
    for number, (start, end, reason) in enumerate(bounds):
        segment = _limits(cleaned, start, end, reason, fix_after_n_points, screen_outliers)
        segments.append(segment)
        points.extend(_label(cleaned, segment, number, improvement))
    last = segments[-1]
    variation = next(p.point_type for p in reversed(points) if p.value is not None)
    return Analysis(
        improvement=improvement,
        target=target,
        mean=last.mean,
        upper_limit=last.upper_limit,
        lower_limit=last.lower_limit,
        trial=last.trial,
        points=tuple(points),
        segments=tuple(segments),
        variation=variation,
        assurance=assurance(last, improvement, target),
    )


def assurance(segment: Segment, improvement: Improvement, target: float | None) -> Assurance | None:
    """Whether `segment`'s process will meet `target`: consistently, never, or hit and miss."""
    upper, lower = segment.upper_limit, segment.lower_limit
    if target is None or improvement == "neutral" or upper is None or lower is None:
        return None
    if target > upper:
        return "consistent_fail" if improvement == "increase" else "consistent_pass"
    if target < lower:
        return "consistent_pass" if improvement == "increase" else "consistent_fail"
    return "inconsistent"


def describe(point: Point, noun: str = "weeks") -> str | None:
    """The special cause in plain English ("7 weeks below average", "above the upper limit");
    None for common cause. `noun` names the points when they are not weeks."""
    high = point.side == "high"
    if point.rule == "outside_limits":
        return "above the upper limit" if high else "below the lower limit"
    if point.rule == "trend":
        return f"{'rising' if high else 'falling'} for {point.run_length} {noun}"
    if point.rule == "two_in_three":
        return f"2 of 3 {noun} close to the {'upper' if high else 'lower'} limit"
    if point.rule == "shift":
        return f"{point.run_length} {noun} {'above' if high else 'below'} average"
    return None


# ---------------------------------------------------------------------------------------------
# Checks and segments


def _checked(
    values: Sequence[float | None],
    improvement: str,
    target: float | None,
    fix_after_n_points: int | None,
) -> list[float | None]:
    if improvement not in IMPROVEMENTS:
        raise ValueError(
            f"improvement must be 'increase', 'decrease' or 'neutral', not {improvement!r}"
        )
    if target is not None and not math.isfinite(target):
        raise ValueError(f"the target must be a finite number, not {target!r}")
    if fix_after_n_points is not None and fix_after_n_points < 2:
        raise ValueError(
            f"limits need at least 2 points to be fixed on, not {fix_after_n_points!r}"
        )
    cleaned: list[float | None] = []
    for index, value in enumerate(values):
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TypeError(f"value {index} is {value!r}, not a number or None")
            value = float(value)
            if not math.isfinite(value):
                raise ValueError(f"value {index} is {value!r}: use None for a missing week")
        cleaned.append(value)
    if not cleaned:
        raise ValueError("there are no values to analyse: the series is empty")
    if all(value is None for value in cleaned):
        raise ValueError("there are no values to analyse: every week is missing")
    return cleaned


def _segment_bounds(count: int, rebases: Sequence[Rebase]) -> list[tuple[int, int, str | None]]:
    """(start, end, reason) for each segment, oldest first."""
    ordered = sorted(rebases, key=lambda rebase: rebase.index)
    for previous, rebase in zip([None, *ordered], ordered, strict=False):
        if not 0 < rebase.index < count:
            raise ValueError(
                f"a rebase must start a segment at a point from 1 to {count - 1}, "
                f"not at {rebase.index}"
            )
        if previous is not None and previous.index == rebase.index:
            raise ValueError(f"two rebases at point {rebase.index}")
    starts = [0, *(rebase.index for rebase in ordered)]
    reasons = [None, *(rebase.reason for rebase in ordered)]
    ends = [*starts[1:], count]
    return list(zip(starts, ends, reasons, strict=True))


# ---------------------------------------------------------------------------------------------
# Limits


def _limits(
    values: list[float | None],
    start: int,
    end: int,
    reason: str | None,
    fix_after_n_points: int | None,
    screen_outliers: bool,
) -> Segment:
    baseline = [value for value in values[start:end] if value is not None]
    if fix_after_n_points is not None:
        baseline = baseline[:fix_after_n_points]
    count = len(baseline)
    mean = math.fsum(baseline) / count if count else None
    amr = _average_moving_range(baseline, screen_outliers)
    if mean is None or amr is None:
        return Segment(start, end, reason, mean, None, None, None, None, None, count, True)
    return Segment(
        start=start,
        end=end,
        reason=reason,
        mean=mean,
        upper_limit=mean + LIMIT_SIGMAS * amr,
        lower_limit=mean - LIMIT_SIGMAS * amr,
        near_upper_limit=mean + NEAR_LIMIT_SIGMAS * amr,
        near_lower_limit=mean - NEAR_LIMIT_SIGMAS * amr,
        average_moving_range=amr,
        baseline_points=count,
        trial=count < TRIAL_BELOW,
    )


def _average_moving_range(baseline: list[float], screen_outliers: bool) -> float | None:
    ranges = [abs(after - before) for before, after in pairwise(baseline)]
    if not ranges:
        return None
    amr = math.fsum(ranges) / len(ranges)
    if screen_outliers and amr > 0:
        # Some range is at most the average, so at least one survives the screen.
        kept = [moving_range for moving_range in ranges if moving_range < OUTLIER_SCREEN * amr]
        amr = math.fsum(kept) / len(kept)
    return amr


# ---------------------------------------------------------------------------------------------
# Rules and labels


def _label(
    values: list[float | None], segment: Segment, number: int, improvement: Improvement
) -> list[Point]:
    """The points of `segment`, labelled by the rules run over its values."""
    present = [i for i in range(segment.start, segment.end) if values[i] is not None]
    ys = [value for value in values[segment.start : segment.end] if value is not None]
    by_index = dict(zip(present, _flags(ys, segment), strict=True))
    mean, upper, lower = segment.mean, segment.upper_limit, segment.lower_limit
    points: list[Point] = []
    for index in range(segment.start, segment.end):
        flag = by_index.get(index)
        if flag is None:  # a missing week
            points.append(
                Point(index, None, "common_cause", None, (), None, None, mean, upper, lower, number)
            )
            continue
        mask, side, run = flag
        rules, rule = _MET[mask]
        point_type = _point_type(side, improvement)
        points.append(
            Point(
                index, values[index], point_type, rule, rules, side, run, mean, upper, lower, number
            )
        )
    return points


def _point_type(side: Side | None, improvement: Improvement) -> PointType:
    if side is None:
        return "common_cause"
    if improvement == "neutral":
        return "special_cause_neutral_high" if side == "high" else "special_cause_neutral_low"
    favourable: Side = "high" if improvement == "increase" else "low"
    return "special_cause_improvement" if side == favourable else "special_cause_concern"


def _flags(ys: list[float], segment: Segment) -> list[tuple[int, Side | None, int | None]]:
    """For each value: the bits of the rules it meets; the side that labels it (the trend's
    direction when the trend rule leads, else its side of the mean; None for common cause); the
    length of the trend or shift when that rule leads."""
    mean = segment.mean
    if mean is None:
        return []
    count = len(ys)
    masks = [0] * count
    above = [(y > mean) - (y < mean) for y in ys]  # +1 above the mean, -1 below, 0 on it
    shift_runs = _shift(above, masks)
    upper, lower = segment.upper_limit, segment.lower_limit
    near_upper, near_lower = segment.near_upper_limit, segment.near_lower_limit
    if (
        upper is not None
        and lower is not None
        and near_upper is not None
        and near_lower is not None
    ):
        outside = [y > upper or y < lower for y in ys]
        near = [
            not out and (y > near_upper or y < near_lower)
            for y, out in zip(ys, outside, strict=True)
        ]
        _two_in_three(near, above, masks)
        bit = _BIT["outside_limits"]
        for i, out in enumerate(outside):
            if out:
                masks[i] |= bit
    trend_sides, trend_runs = _trend(ys, masks)
    flags: list[tuple[int, Side | None, int | None]] = []
    for i, mask in enumerate(masks):
        rule = _MET[mask][1]
        if rule == "trend":
            flags.append((mask, trend_sides[i], trend_runs[i]))
        elif rule is None:
            flags.append((mask, None, None))
        else:
            side: Side = "high" if above[i] > 0 else "low"
            flags.append((mask, side, shift_runs[i] if rule == "shift" else None))
    return flags


def _shift(above: list[int], masks: list[int]) -> list[int]:
    """Runs of 7 or more values on one side of the mean; each value's run length (0 if none)."""
    bit, count, start = _BIT["shift"], len(above), 0
    runs = [0] * count
    while start < count:
        end = start + 1
        while end < count and above[end] == above[start]:
            end += 1
        if above[start] != 0 and end - start >= RUN_LENGTH:
            for i in range(start, end):
                masks[i] |= bit
                runs[i] = end - start
        start = end
    return runs


def _two_in_three(near: list[bool], above: list[int], masks: list[int]) -> None:
    """Near-limit values in any window of 3 with 2 or more near a limit, all 3 on one side."""
    bit = _BIT["two_in_three"]
    for i in range(len(near) - 2):
        if near[i] + near[i + 1] + near[i + 2] >= 2 and abs(sum(above[i : i + 3])) == 3:
            for j in range(i, i + 3):
                if near[j]:
                    masks[j] |= bit


def _trend(ys: list[float], masks: list[int]) -> tuple[list[Side | None], list[int]]:
    """Runs of 7 or more values each strictly above (or each strictly below) the one before;
    each value's direction and run length. A value shared by a rise and a fall takes the later
    one's: it is written last."""
    bit, count, start = _BIT["trend"], len(ys), 0
    sides: list[Side | None] = [None] * count
    runs = [0] * count
    steps = [(b > a) - (b < a) for a, b in pairwise(ys)]
    while start < count - 1:  # `start` indexes steps; step k goes from value k to value k + 1
        end = start + 1
        while end < count - 1 and steps[end] == steps[start]:
            end += 1
        if steps[start] != 0 and end - start >= RUN_LENGTH - 1:
            side: Side = "high" if steps[start] > 0 else "low"
            for i in range(start, end + 1):
                masks[i] |= bit
                sides[i] = side
                runs[i] = end - start + 1
        start = end
    return sides, runs

"""Tests for huddle_board.spc, the Making Data Count engine.

Every expected mean, moving range and limit is worked out by hand in the comments beside the
series (fractions kept exact where the values allow). Shorthand: AMR is the average moving range;
UPL/LPL the process limits, mean ± 2.66 × AMR; near limits mean ± 1.7733 × AMR (2/3 of 2.66).
Signs under a series mark each value above (+) or below (-) the mean, or on it (0).

The last section checks the rules against an independent transcription of NHSRplotthedots'
window definitions over many generated series.
"""

from __future__ import annotations

import random

import pytest

from huddle_board.spc import (
    RULE_SET,
    Analysis,
    Rebase,
    analyse,
    describe,
)

# 12 values, nothing special:
#   sum = 10+12+11+13+12+11+12+10+11+12+13+11 = 138, mean = 138/12 = 11.5
#   MRs 2,1,2,1,1,1,2,1,1,1,2: sum 15 over 11, AMR = 15/11 = 1.363636
#   screen: 3.267 × 1.3636 = 4.455, no MR that large
#   UPL = 11.5 + 2.66 × 15/11 = 11.5 + 39.9/11 = 15.127273;  LPL = 11.5 − 3.627273 = 7.872727
#   near: ± 26.6/11 = ± 2.418182, so 13.918182 and 9.081818 (no value beyond them)
#   signs - + - + + - + - - + + -  (longest run 2); steps up/down alternate (no trend)
STEADY = [10, 12, 11, 13, 12, 11, 12, 10, 11, 12, 13, 11]
STEADY_MEAN = 11.5
STEADY_AMR = 15 / 11
STEADY_UPL = 11.5 + 39.9 / 11
STEADY_LPL = 11.5 - 39.9 / 11


def kinds(result: Analysis) -> list[str]:
    return [point.point_type for point in result.points]


def flagged(result: Analysis) -> dict[int, str | None]:
    """Index → rule, for the special-cause points only."""
    return {point.index: point.rule for point in result.points if point.rule is not None}


# ---------------------------------------------------------------------------------------------
# Limits


def test_mean_moving_range_and_limits_of_a_steady_series() -> None:
    result = analyse(STEADY, "increase")
    assert result.mean == pytest.approx(STEADY_MEAN)
    assert result.upper_limit == pytest.approx(STEADY_UPL)
    assert result.lower_limit == pytest.approx(STEADY_LPL)
    (segment,) = result.segments
    assert segment.average_moving_range == pytest.approx(STEADY_AMR)
    assert segment.near_upper_limit == pytest.approx(11.5 + 26.6 / 11)
    assert segment.near_lower_limit == pytest.approx(11.5 - 26.6 / 11)
    assert segment.baseline_points == 12
    assert (segment.start, segment.end, segment.reason) == (0, 12, None)
    assert kinds(result) == ["common_cause"] * 12
    assert [point.value for point in result.points] == STEADY
    assert result.variation == "common_cause"
    assert result.trial is False


def test_each_point_carries_its_segment_lines() -> None:
    result = analyse(STEADY, "decrease")
    assert [point.index for point in result.points] == list(range(12))
    for point in result.points:
        assert point.mean == pytest.approx(STEADY_MEAN)
        assert point.upper_limit == pytest.approx(STEADY_UPL)
        assert point.lower_limit == pytest.approx(STEADY_LPL)
        assert point.segment == 0
        assert (point.rule, point.rules, point.side, point.run_length) == (None, (), None, None)


def test_fewer_than_12_points_are_trial_limits() -> None:
    # The first 11 steady values: trial. Their own numbers, for the record:
    #   sum = 138 − 11 = 127, mean = 11.545455; MRs as above less the last (2): AMR = 13/10 = 1.3
    eleven = analyse(STEADY[:11], "increase")
    assert eleven.trial is True
    assert eleven.segments[0].trial is True
    assert eleven.mean == pytest.approx(127 / 11)
    assert eleven.upper_limit == pytest.approx(127 / 11 + 2.66 * 1.3)
    assert analyse(STEADY, "increase").trial is False


# A series with two wild values (62 and −38) and a low last value (3):
#   idx   0  1  2  3  4  5  6  7  8   9 10 11 12 13 14 15 16
#   value 11 13 11 13 62 11 13 11 13 -38 13 11 13 11 13 11  3
#   sum = 7 × 11 + 7 × 13 + 62 − 38 + 3 = 77 + 91 + 24 + 3 = 195, mean = 195/17 = 11.470588
#   MRs: eleven of 2 (22), 49 (13→62), 51 (62→11), 51 (13→−38), 51 (−38→13), 8 (11→3)
#        sum 22 + 202 + 8 = 232 over 16, AMR = 14.5
#   screening: 3.267 × 14.5 = 47.37; 49, 51, 51, 51 ≥ 47.37 are dropped:
#        AMR = (22 + 8)/12 = 2.5
#   screened:   UPL = 11.470588 + 6.65 = 18.120588, LPL = 11.470588 − 6.65 = 4.820588
#               62 above, −38 below, and 3 below the lower limit
#   unscreened: UPL = 11.470588 + 2.66 × 14.5 = 11.470588 + 38.57 = 50.040588,
#               LPL = −27.099412: 62 above, −38 below, 3 inside
#   signs - + - + + - + - + - + - + - + - -  (no run of 7); steps alternate (no trend)
WILD = [11, 13, 11, 13, 62, 11, 13, 11, 13, -38, 13, 11, 13, 11, 13, 11, 3]


def test_outlier_screening_drops_wild_moving_ranges() -> None:
    result = analyse(WILD, "increase")
    assert result.segments[0].average_moving_range == pytest.approx(2.5)
    assert result.mean == pytest.approx(195 / 17)
    assert result.upper_limit == pytest.approx(195 / 17 + 6.65)
    assert result.lower_limit == pytest.approx(195 / 17 - 6.65)
    assert flagged(result) == {4: "outside_limits", 9: "outside_limits", 16: "outside_limits"}
    assert result.points[16].point_type == "special_cause_concern"
    assert result.variation == "special_cause_concern"


def test_without_screening_every_moving_range_counts() -> None:
    result = analyse(WILD, "increase", screen_outliers=False)
    assert result.segments[0].average_moving_range == pytest.approx(14.5)
    assert result.upper_limit == pytest.approx(195 / 17 + 38.57)
    assert result.lower_limit == pytest.approx(195 / 17 - 38.57)
    assert flagged(result) == {4: "outside_limits", 9: "outside_limits"}
    assert result.points[4].point_type == "special_cause_improvement"
    assert result.points[9].point_type == "special_cause_concern"
    assert result.variation == "common_cause"


def test_a_moving_range_of_exactly_3_267_times_the_average_is_dropped() -> None:
    # Values 0, 3.267, 4, 4.5, 4, 4.5, 4: MRs 3.267, 0.733 (4 − 3.267, exact in binary as the
    # two are within a factor of 2), 0.5, 0.5, 0.5, 0.5: sum exactly 6 over 6, AMR exactly 1,
    # so the first MR equals 3.267 × AMR to the last bit. The domain's rule (and
    # NHSRplotthedots, which keeps MR < 3.267 × AMR) drops it: AMR = (0.733 + 2)/5 = 0.5466.
    values = [0, 3.267, 4, 4.5, 4, 4.5, 4]
    assert analyse(values, "increase").segments[0].average_moving_range == pytest.approx(0.5466)
    unscreened = analyse(values, "increase", screen_outliers=False)
    assert unscreened.segments[0].average_moving_range == 1.0


def test_a_flat_series_keeps_its_zero_moving_ranges() -> None:
    # Every MR is 0: AMR 0, limits on the mean. Screening keeps the zeros (nothing is an
    # outlier), so there are limits; every value sits on the mean, so nothing is special.
    result = analyse([5.0] * 12, "increase", target=5.0)
    assert (result.mean, result.upper_limit, result.lower_limit) == (5.0, 5.0, 5.0)
    assert kinds(result) == ["common_cause"] * 12
    assert result.assurance == "inconsistent"


# ---------------------------------------------------------------------------------------------
# The rules, one by one


def test_a_point_beyond_a_process_limit() -> None:
    # STEADY with 16 after it (13 values):
    #   sum = 138 + 16 = 154, mean = 154/13 = 11.846154
    #   MRs: 15 as before plus 5 (11→16): 20 over 12, AMR = 5/3; screen cut 5.445, 5 stays
    #   UPL = 11.846154 + 2.66 × 5/3 = 11.846154 + 4.433333 = 16.279487: 16 is NOT above
    # With 17 instead: sum 155, mean 11.923077; MRs 15 + 6 = 21 over 12, AMR = 1.75;
    #   screen cut 5.717, so 6 is dropped: AMR = 15/11 again;
    #   UPL = 11.923077 + 3.627273 = 15.550350: 17 is above
    inside = analyse([*STEADY, 16], "increase")
    assert inside.upper_limit == pytest.approx(154 / 13 + 2.66 * 5 / 3)
    assert flagged(inside) == {}
    above = analyse([*STEADY, 17], "increase")
    assert above.upper_limit == pytest.approx(155 / 13 + 39.9 / 11)
    assert flagged(above) == {12: "outside_limits"}
    point = above.points[12]
    assert (point.side, point.run_length, point.rules) == ("high", None, ("outside_limits",))
    assert point.point_type == "special_cause_improvement"
    assert analyse([*STEADY, 17], "decrease").points[12].point_type == "special_cause_concern"
    assert describe(point) == "above the upper limit"


def test_a_point_below_the_lower_limit() -> None:
    # STEADY with 6 after it: sum 144, mean 11.076923; MRs 15 + 5 = 20 over 12, AMR = 5/3
    #   (cut 5.445, 5 stays); LPL = 11.076923 − 4.433333 = 6.643590: 6 is below
    result = analyse([*STEADY, 6], "decrease")
    assert result.lower_limit == pytest.approx(144 / 13 - 2.66 * 5 / 3)
    assert flagged(result) == {12: "outside_limits"}
    assert result.points[12].point_type == "special_cause_improvement"
    assert result.points[12].side == "low"
    assert describe(result.points[12]) == "below the lower limit"


# Seven rising values (7 … 13, idx 6–12) amid a swing:
#   idx   0  1  2 3  4 5 6 7 8  9 10 11 12 13 14 15
#   value 12 8 12 8 12 8 7 8 9 10 11 12 13  8 12  8
#   sum = 60 + 70 + 28 = 158, mean = 158/16 = 9.875
#   MRs: five of 4 (20), seven of 1 (7), 5 (13→8), 4, 4: sum 40 over 15, AMR = 8/3
#   (cut 8.712); UPL = 9.875 + 7.093333 = 16.968333, LPL = 2.781667;
#   near 14.603889 / 5.146111: nothing near or beyond
#   signs + - + - + - - - - + + + + - + -  (runs of 4 at most)
RISING = [12, 8, 12, 8, 12, 8, 7, 8, 9, 10, 11, 12, 13, 8, 12, 8]


def test_seven_points_rising_are_a_trend() -> None:
    result = analyse(RISING, "increase")
    assert result.mean == pytest.approx(9.875)
    assert result.upper_limit == pytest.approx(9.875 + 2.66 * 8 / 3)
    assert flagged(result) == dict.fromkeys(range(6, 13), "trend")
    for index in range(6, 13):
        point = result.points[index]
        assert point.point_type == "special_cause_improvement"
        assert (point.side, point.run_length) == ("high", 7)
    assert describe(result.points[6]) == "rising for 7 weeks"
    falling = analyse(RISING, "decrease")
    assert {falling.points[i].point_type for i in range(6, 13)} == {"special_cause_concern"}


def test_six_points_rising_are_not_a_trend() -> None:
    # RISING with 8 in place of 7 (idx 6): idx 5–7 are 8 8 8, so the rise 8 … 13 is 6 long.
    # sum 159, mean 9.9375; MRs 4×5, 0, 0, 1×5, 5, 4, 4: sum 38 over 15, AMR 2.533333;
    # near limits 9.9375 ± 4.492444, nothing beyond; signs + - + - + - - - - + + + + - + -.
    values = [*RISING]
    values[6] = 8
    assert flagged(analyse(values, "increase")) == {}


def test_equal_neighbours_break_a_trend() -> None:
    #   value 12 8 12 8 12 8 7 8 9 9 10 11 12 8 12 8   (7 … 12 with 9 twice)
    #   sum = 60 + 66 + 28 = 154, mean = 9.625; MRs: 4×5, 1, 1, 1, 0, 1, 1, 1, 4, 4, 4:
    #   sum 38 over 15, AMR = 2.533333; UPL 16.363667, near 14.117444 / 5.132556
    #   steps d u d u d d u u = u u u d u d: 7 8 9 then 9 10 11 12, neither reaches 7
    #   signs + - + - + - - - - - + + + - + -: the run below is idx 5–9, 5 long
    values = [12, 8, 12, 8, 12, 8, 7, 8, 9, 9, 10, 11, 12, 8, 12, 8]
    result = analyse(values, "increase")
    assert result.segments[0].average_moving_range == pytest.approx(38 / 15)
    assert flagged(result) == {}


# Two of three near the upper limit:
#   idx 0–15 alternate 11, 13; then 17.5 13 17.5 11 13 (idx 16–20)
#   sum = 8 × 11 + 8 × 13 + 17.5 + 13 + 17.5 + 11 + 13 = 88 + 104 + 72 = 264, mean = 264/21
#         = 12.571429
#   MRs: fifteen of 2 (30), 4.5, 4.5, 4.5, 6.5, 2: sum 52 over 20, AMR = 2.6 (cut 8.49)
#   UPL = 12.571429 + 6.916 = 19.487429; near upper = 12.571429 + 1.773333 × 2.6
#         = 12.571429 + 4.610667 = 17.182095
#   17.5 (idx 16 and 18) are near the upper limit but inside it; idx 16–18 (17.5 13 17.5)
#   are all above the mean (13 > 12.571), so 16 and 18 are flagged and 17 is not
#   signs - + … - + + + + - +  (runs of 4 at most)
TWO_OF_THREE = [11, 13] * 8 + [17.5, 13, 17.5, 11, 13]


def test_two_of_three_near_the_upper_limit() -> None:
    result = analyse(TWO_OF_THREE, "increase")
    assert result.mean == pytest.approx(264 / 21)
    assert result.segments[0].near_upper_limit == pytest.approx(264 / 21 + 2 * 2.66 / 3 * 2.6)
    assert result.upper_limit == pytest.approx(264 / 21 + 6.916)
    assert flagged(result) == {16: "two_in_three", 18: "two_in_three"}
    assert result.points[16].point_type == "special_cause_improvement"
    assert result.points[16].side == "high"
    assert describe(result.points[16]) == "2 of 3 weeks close to the upper limit"
    assert analyse(TWO_OF_THREE, "decrease").points[18].point_type == "special_cause_concern"


def test_two_near_the_limit_with_the_third_across_the_mean_are_not_flagged() -> None:
    # idx 16–20: 17.5 12 17.5 11 13. sum = 192 + 71 = 263, mean = 12.523810;
    # MRs 30, 4.5, 5.5, 5.5, 6.5, 2: sum 54 over 20, AMR 2.7; near upper = 12.523810 + 4.788
    # = 17.311810, so both 17.5 are near, but 12 is below the mean: no two-in-three.
    values = [11, 13] * 8 + [17.5, 12, 17.5, 11, 13]
    result = analyse(values, "increase")
    assert result.segments[0].near_upper_limit == pytest.approx(263 / 21 + 2 * 2.66 / 3 * 2.7)
    assert flagged(result) == {}


def test_two_near_the_limit_with_the_third_on_the_mean_are_not_flagged() -> None:
    # idx 16–20: 19.5 12.75 19.5 11 13. sum = 192 + 39 + 12.75 + 24 = 267.75 over 21,
    # mean = 12.75 exactly, so idx 17 sits on it. MRs 30, 6.5, 6.75, 6.75, 8.5, 2: sum 60.5
    # over 20, AMR 3.025; near upper = 12.75 + 5.364333 = 18.114333, UPL 20.7965: both 19.5
    # are near, but the three are not all above the mean.
    values = [11, 13] * 8 + [19.5, 12.75, 19.5, 11, 13]
    result = analyse(values, "increase")
    assert result.mean == 12.75
    assert result.segments[0].near_upper_limit == pytest.approx(12.75 + 2 * 2.66 / 3 * 3.025)
    assert flagged(result) == {}


def test_two_of_three_near_the_lower_limit() -> None:
    # TWO_OF_THREE mirrored about 12 (x → 24 − x): mean 24 − 12.571429 = 11.428571, AMR 2.6,
    # near lower 11.428571 − 4.610667 = 6.817905; 6.5 at idx 16 and 18 are near it.
    values = [24 - value for value in TWO_OF_THREE]
    result = analyse(values, "increase")
    assert flagged(result) == {16: "two_in_three", 18: "two_in_three"}
    assert result.points[18].point_type == "special_cause_concern"
    assert describe(result.points[18]) == "2 of 3 weeks close to the lower limit"


# Seven below the mean, then seven above:
#   idx   0  1  2  3  4–10       11 12 13–19
#   value 11 13 11 13 11.5 × 7   13 11 12.5 × 7
#   sum = 48 + 80.5 + 24 + 87.5 = 240, mean = 12 (exactly)
#   MRs 2 2 2 1.5 0×6 1.5 2 1.5 0×6: sum 12.5 over 19, AMR = 0.657895 (cut 2.149)
#   UPL = 12 + 1.75 = 13.75, LPL = 10.25; near 13.166667 / 10.833333: nothing near
#   signs - + - + - - - - - - - + - + + + + + + +
SHIFTS = [11, 13, 11, 13, *[11.5] * 7, 13, 11, *[12.5] * 7]


def test_seven_points_on_one_side_of_the_mean_are_a_shift() -> None:
    result = analyse(SHIFTS, "increase")
    assert result.mean == 12.0
    assert result.upper_limit == pytest.approx(13.75)
    assert result.lower_limit == pytest.approx(10.25)
    assert flagged(result) == dict.fromkeys([*range(4, 11), *range(13, 20)], "shift")
    low, high = result.points[4], result.points[19]
    assert (low.point_type, low.side, low.run_length) == ("special_cause_concern", "low", 7)
    assert (high.point_type, high.side, high.run_length) == ("special_cause_improvement", "high", 7)
    assert describe(low) == "7 weeks below average"
    assert describe(high) == "7 weeks above average"
    assert result.variation == "special_cause_improvement"


def test_six_points_on_one_side_are_not_a_shift() -> None:
    # SHIFTS without its last value: sum 227.5 over 19, mean 11.973684, AMR 12.5/18;
    # signs - + - + - - - - - - - + - + + + + + +: idx 4–10 are still 7 below, but only six
    # 12.5s are left above (the 11 at idx 12 is below).
    result = analyse(SHIFTS[:-1], "increase")
    assert result.mean == pytest.approx(227.5 / 19)
    assert flagged(result) == dict.fromkeys(range(4, 11), "shift")


def test_a_point_exactly_on_the_mean_breaks_a_run() -> None:
    # SHIFTS with idx 3 at 12.5 (was 13) and idx 7 at 12 (was 11.5): the sum is unchanged
    # (−0.5 + 0.5), so the mean is exactly 12 and idx 7 sits on it.
    #   signs - + - + - - - 0 - - - + - + + + + + + +: the run below is cut into 3 and 3
    #   MRs 2 2 1.5 1 0 0 0.5 0.5 0 0 1.5 2 1.5 0×6: sum 12.5, AMR as before
    values = [*SHIFTS]
    values[3], values[7] = 12.5, 12
    result = analyse(values, "increase")
    assert result.mean == 12.0
    assert result.points[7].value == result.mean
    assert flagged(result) == dict.fromkeys(range(13, 20), "shift")


# ---------------------------------------------------------------------------------------------
# Order of precedence


# Ten values swinging 10, 14, then seven falling, all above the mean:
#   idx   0–9            10    11  12    13     14      15       16
#   value 10 14 × 5      15.5  15  14.5  14.25  14.125  14.0625  14.03125
#   sum = 120 + 101.46875 = 221.46875, mean = 221.46875/17 = 13.027574
#   MRs nine of 4 (36), 1.5, 0.5, 0.5, 0.25, 0.125, 0.0625, 0.03125: sum 38.96875 over 16,
#   AMR = 2.435547 (cut 7.957); UPL = 19.506128, near upper 17.346610: nothing near
#   signs - + - + - + - + - + + + + + + + +: idx 9–16 are 8 above the mean (a shift)
#   steps … u (14 → 15.5) then d × 6: idx 10–16 are 7 falling (a trend)
FALLING_ABOVE = [10, 14] * 5 + [15.5, 15, 14.5, 14.25, 14.125, 14.0625, 14.03125]


def test_a_trend_outranks_a_shift_and_labels_by_its_direction() -> None:
    result = analyse(FALLING_ABOVE, "increase")
    assert result.mean == pytest.approx(221.46875 / 17)
    assert result.segments[0].average_moving_range == pytest.approx(38.96875 / 16)
    assert flagged(result) == {9: "shift", **dict.fromkeys(range(10, 17), "trend")}
    shift_only = result.points[9]
    assert (shift_only.point_type, shift_only.side, shift_only.run_length) == (
        "special_cause_improvement",
        "high",
        8,
    )
    for index in range(10, 17):
        point = result.points[index]
        assert point.rules == ("trend", "shift")
        # Above the mean, but falling: for a measure that should rise, a concern.
        assert (point.point_type, point.side, point.run_length) == (
            "special_cause_concern",
            "low",
            7,
        )
    assert describe(result.points[16]) == "falling for 7 weeks"
    assert describe(shift_only) == "8 weeks above average"


def test_a_point_outside_the_limits_outranks_a_trend() -> None:
    # FALLING_ABOVE with 24 in place of 15.5 and a final 10:
    #   idx 10–17: 24 15 14.5 14.25 14.125 14.0625 14.03125 10 (8 falling)
    #   sum = 120 + 24 + 85.96875 + 10 = 239.96875, mean = 13.331597
    #   MRs 36, 10, 9, 0.5, 0.25, 0.125, 0.0625, 0.03125, 4.03125: sum 60 over 17,
    #   AMR = 3.529412 (cut 11.53, all stay); UPL = 13.331597 + 9.388235 = 22.719833
    #   signs: idx 9–16 above (8), idx 17 below
    values = [10, 14] * 5 + [24, 15, 14.5, 14.25, 14.125, 14.0625, 14.03125, 10]
    result = analyse(values, "increase")
    assert result.upper_limit == pytest.approx(239.96875 / 18 + 2.66 * 60 / 17)
    top = result.points[10]
    assert top.rules == ("outside_limits", "trend", "shift")
    assert top.rule == "outside_limits"
    # Labelled by the rule that leads: above the upper limit, an improvement, though it
    # starts a fall.
    assert (top.point_type, top.side, top.run_length) == ("special_cause_improvement", "high", None)
    assert flagged(result) == {
        9: "shift",
        10: "outside_limits",
        **dict.fromkeys(range(11, 18), "trend"),
    }
    assert result.points[11].run_length == 8
    assert result.points[17].point_type == "special_cause_concern"


def test_two_of_three_outranks_a_shift() -> None:
    # Eight values above the mean, two of them near the upper limit:
    #   idx 0–9 swing 11, 13; idx 10–16: 13 16.5 13 16.5 13 13 13; idx 17–19: 11 13 11
    #   sum = 120 + 98 + 35 = 253, mean = 12.65
    #   MRs nine of 2 (18), 0, 3.5 × 4 (14), 0, 0, 2, 2, 2: sum 38 over 19, AMR = 2 (cut 6.5)
    #   near upper = 12.65 + 1.773333 × 2 = 16.196667, UPL = 12.65 + 5.32 = 17.97:
    #   16.5 (idx 11 and 13) are near; windows 11–13 hold both, all above the mean
    #   signs - + - + - + - + - + + + + + + + + - + -: idx 9–16 are 8 above (a shift)
    values = [11, 13] * 5 + [13, 16.5, 13, 16.5, 13, 13, 13, 11, 13, 11]
    result = analyse(values, "increase")
    assert result.mean == pytest.approx(12.65)
    assert result.segments[0].average_moving_range == pytest.approx(2.0)
    assert result.segments[0].near_upper_limit == pytest.approx(12.65 + 2 * 2.66 / 3 * 2)
    assert flagged(result) == {
        9: "shift",
        10: "shift",
        11: "two_in_three",
        12: "shift",
        13: "two_in_three",
        14: "shift",
        15: "shift",
        16: "shift",
    }
    assert result.points[11].rules == ("two_in_three", "shift")
    assert result.points[11].run_length is None
    assert result.points[12].run_length == 8


def test_a_point_beyond_the_limit_does_not_count_as_near_it() -> None:
    # STEADY then 16, 17, 16, limits not fixed:
    #   sum 138 + 49 = 187 over 15, mean 12.466667; MRs 15 + 5 + 1 + 1 = 22 over 14,
    #   AMR 1.571429 (cut 5.13: 5 stays); UPL = 12.466667 + 4.18 = 16.646667,
    #   near upper = 12.466667 + 2.786667 = 15.253333
    #   17 is above the UPL; the two 16s are near it, and with 17 between them make
    #   2 of 3 near the limit (the point beyond the limit is not counted as near).
    rolling = analyse([*STEADY, 16, 17, 16], "increase")
    assert rolling.upper_limit == pytest.approx(187 / 15 + 2.66 * 22 / 14)
    assert flagged(rolling) == {12: "two_in_three", 13: "outside_limits", 14: "two_in_three"}


# ---------------------------------------------------------------------------------------------
# Trends that meet


def test_a_peak_shared_by_a_rise_and_a_fall_takes_the_later_direction() -> None:
    #   idx   0–5        6–12            13–18         19 20
    #   value 2 10 × 3   3 4 5 6 7 8 9   8 7 6 5 4 3   10 5
    #   sum = 36 + 42 + 33 + 15 = 126, mean = 6 (exactly)
    #   MRs five of 8 (40), 7, twelve of 1 (12), 7, 5: sum 71 over 20, AMR = 3.55 (cut 11.6)
    #   UPL = 6 + 9.443 = 15.443, LPL = −3.443; near 12.2953 / −0.2953: nothing near
    #   rise idx 6–12 (7), fall idx 12–18 (7), sharing the 9 at idx 12
    #   signs - + - + - + - - - 0 + + + + + 0 - - - + -: the 6s on the mean break the run
    values = [2, 10, 2, 10, 2, 10, 3, 4, 5, 6, 7, 8, 9, 8, 7, 6, 5, 4, 3, 10, 5]
    result = analyse(values, "increase")
    assert result.mean == 6.0
    assert result.segments[0].average_moving_range == pytest.approx(3.55)
    assert flagged(result) == dict.fromkeys(range(6, 19), "trend")
    assert [result.points[i].side for i in (6, 11, 12, 13, 18)] == [
        "high",
        "high",
        "low",
        "low",
        "low",
    ]
    assert result.points[12].point_type == "special_cause_concern"


def test_a_trend_ending_at_an_equal_value_keeps_its_own_direction() -> None:
    # Rise 3 … 9 (idx 6–12), 9 again (idx 13), fall 9 … 3 (idx 13–19):
    #   sum = 36 + 42 + 42 + 10 + 2 = 132 over 22, mean = 6 (exactly)
    #   MRs 40, 7, six of 1, 0, six of 1, 7, 8: sum 74 over 21, AMR = 3.523810 (cut 11.5)
    #   UPL = 6 + 9.373333 = 15.373333; near 12.248889 / −0.248889: nothing near
    # The 9 at idx 12 ends the rise only (the next step is level): rising. (NHSRplotthedots
    # reads its level step as "decreasing"; the domain's rule is about the run it belongs to.)
    values = [2, 10, 2, 10, 2, 10, 3, 4, 5, 6, 7, 8, 9, 9, 8, 7, 6, 5, 4, 3, 10, 2]
    result = analyse(values, "decrease")
    assert result.segments[0].average_moving_range == pytest.approx(74 / 21)
    assert flagged(result) == dict.fromkeys(range(6, 20), "trend")
    assert result.points[12].side == "high"
    assert result.points[12].point_type == "special_cause_concern"
    assert result.points[13].side == "low"
    assert result.points[13].point_type == "special_cause_improvement"


# ---------------------------------------------------------------------------------------------
# Neutral measures


def test_a_neutral_measure_says_high_or_low() -> None:
    result = analyse(SHIFTS, "neutral", target=20)
    assert result.points[4].point_type == "special_cause_neutral_low"
    assert result.points[19].point_type == "special_cause_neutral_high"
    assert result.variation == "special_cause_neutral_high"
    assert result.assurance is None
    outside = analyse([*STEADY, 17], "neutral")
    assert outside.points[12].point_type == "special_cause_neutral_high"
    assert analyse(RISING, "neutral").points[8].point_type == "special_cause_neutral_high"


# ---------------------------------------------------------------------------------------------
# Assurance (STEADY: LPL 7.872727, UPL 15.127273)


@pytest.mark.parametrize(
    ("improvement", "target", "expected"),
    [
        ("increase", 16, "consistent_fail"),  # target above the UPL, the process can't reach it
        ("decrease", 16, "consistent_pass"),  # … and stays below it every week
        ("increase", 7, "consistent_pass"),  # target below the LPL
        ("decrease", 7, "consistent_fail"),
        ("increase", 12, "inconsistent"),  # inside the limits: hit and miss
        ("decrease", 8, "inconsistent"),
        ("increase", None, None),
        ("neutral", 16, None),
    ],
)
def test_assurance(improvement: str, target: float | None, expected: str | None) -> None:
    result = analyse(STEADY, improvement, target=target)  # type: ignore[arg-type]
    assert result.assurance == expected
    assert result.target == target


def test_a_target_exactly_on_a_limit_is_hit_and_miss() -> None:
    upper = analyse(STEADY, "increase").upper_limit
    assert analyse(STEADY, "increase", target=upper).assurance == "inconsistent"


def test_assurance_uses_the_last_segments_limits() -> None:
    # Second segment STEADY + 10: mean 21.5, same AMR, limits 17.872727 … 25.127273.
    # A target of 16 is above the first segment's UPL but below the last one's LPL.
    values = [*STEADY, *(value + 10 for value in STEADY)]
    result = analyse(values, "increase", target=16, rebases=[Rebase(12, "new staffing model")])
    assert result.assurance == "consistent_pass"
    assert analyse(values[:12], "increase", target=16).assurance == "consistent_fail"


# ---------------------------------------------------------------------------------------------
# Fixed limits


def test_fixed_limits_come_from_the_first_n_points_and_extend() -> None:
    # STEADY then 16, 17, 16: fixed on the first 12, the lines are STEADY's
    # (11.5, 7.872727, 15.127273) for all 15 points, so all three late values are above.
    values = [*STEADY, 16, 17, 16]
    fixed = analyse(values, "increase", fix_after_n_points=12)
    assert fixed.mean == pytest.approx(STEADY_MEAN)
    assert fixed.upper_limit == pytest.approx(STEADY_UPL)
    assert fixed.segments[0].baseline_points == 12
    assert fixed.trial is False
    assert {point.upper_limit for point in fixed.points} == {fixed.upper_limit}
    assert flagged(fixed) == dict.fromkeys([12, 13, 14], "outside_limits")
    # Not fixed, only 17 is beyond the limit (see the test just above).
    assert flagged(analyse(values, "increase"))[13] == "outside_limits"


def test_limits_fixed_on_few_points_are_trial() -> None:
    # Fixed on the first 6 STEADY values: 10 12 11 13 12 11, mean 69/6 = 11.5,
    # MRs 2 1 2 1 1: AMR 7/5 = 1.4, UPL 11.5 + 3.724 = 15.224
    fixed = analyse(STEADY, "increase", fix_after_n_points=6)
    assert fixed.trial is True
    assert fixed.segments[0].baseline_points == 6
    assert fixed.upper_limit == pytest.approx(15.224)


def test_fixing_on_more_points_than_there_are_uses_them_all() -> None:
    assert analyse(STEADY, "increase", fix_after_n_points=50) == analyse(STEADY, "increase")


# ---------------------------------------------------------------------------------------------
# Rebases


def test_each_segment_has_its_own_lines() -> None:
    # STEADY, then STEADY + 10 from idx 12: segment means 11.5 and 21.5, the same AMR 15/11.
    values = [*STEADY, *(value + 10 for value in STEADY)]
    result = analyse(values, "increase", rebases=[Rebase(12, "new discharge lounge")])
    first, second = result.segments
    assert (first.start, first.end, first.reason) == (0, 12, None)
    assert (second.start, second.end, second.reason) == (12, 24, "new discharge lounge")
    assert first.mean == pytest.approx(11.5)
    assert second.mean == pytest.approx(21.5)
    assert second.average_moving_range == pytest.approx(STEADY_AMR)
    assert result.mean == pytest.approx(21.5)
    assert result.upper_limit == pytest.approx(21.5 + 39.9 / 11)
    assert [point.segment for point in result.points] == [0] * 12 + [1] * 12
    assert result.points[11].upper_limit == pytest.approx(STEADY_UPL)
    assert result.points[12].upper_limit == pytest.approx(21.5 + 39.9 / 11)
    assert flagged(result) == {}
    # Without the rebase: mean 16.5, and all of the second half is above it, a shift of 12
    # (and the jump 11 → 20 is a wild MR); the rebase is what makes the new level ordinary.
    whole = analyse(values, "increase")
    assert whole.mean == pytest.approx(16.5)
    assert all(whole.points[i].rule is not None for i in range(12, 24))


def test_rules_do_not_run_across_a_rebase() -> None:
    # Four values below the first segment's mean at its end, three below the second's at its
    # start: 7 in a row, but in two segments.
    # Segment 1 = 12, 14 × 4 then 11, 11.5, 11, 11.5 (12 values): sum 104 + 45 = 149,
    #   mean 12.416667; signs - + - + - + - + - - - -: idx 8–11 below (4)
    # Segment 2 = 11, 11.5, 11, then 14, 12 × 4 (11 values): sum 33.5 + 104 = 137.5,
    #   mean 12.5; signs - - - + - + - + - + -: idx 12–14 below (3)
    values = [12, 14] * 4 + [11, 11.5, 11, 11.5] + [11, 11.5, 11] + [14, 12] * 4
    result = analyse(values, "increase", rebases=[Rebase(12, "ward moved")])
    assert result.segments[0].mean == pytest.approx(149 / 12)
    assert result.segments[1].mean == pytest.approx(137.5 / 11)
    assert flagged(result) == {}
    # The same values in one segment: mean 286.5/23 = 12.456522, AMR 37/22 (nothing near);
    # idx 8–14 are 7 below it, a shift.
    assert flagged(analyse(values, "increase")) == dict.fromkeys(range(8, 15), "shift")


def test_rebases_are_sorted_and_each_segment_has_its_trial_flag() -> None:
    values = [*STEADY, *STEADY, 10, 12, 11]
    result = analyse(values, "increase", rebases=[Rebase(24, "b"), Rebase(12, "a")])
    assert [(s.start, s.end, s.reason, s.trial) for s in result.segments] == [
        (0, 12, None, False),
        (12, 24, "a", False),
        (24, 27, "b", True),
    ]
    assert result.trial is True
    # Last segment 10 12 11: mean 11, MRs 2 1: AMR 1.5, UPL 11 + 3.99 = 14.99
    assert result.mean == pytest.approx(11)
    assert result.upper_limit == pytest.approx(14.99)


def test_a_segment_of_one_value_has_a_mean_but_no_limits() -> None:
    result = analyse([*STEADY, 30], "increase", target=12, rebases=[Rebase(12, "new")])
    assert result.mean == 30
    assert (result.upper_limit, result.lower_limit) == (None, None)
    assert result.trial is True
    assert result.assurance is None
    assert result.points[12].point_type == "common_cause"


def test_a_segment_with_no_value_yet_has_no_lines() -> None:
    # Rebased this week, this week's value not in yet.
    result = analyse([*STEADY, None], "increase", rebases=[Rebase(12, "new rota")])
    assert (result.mean, result.upper_limit, result.lower_limit) == (None, None, None)
    assert result.segments[1].baseline_points == 0
    assert result.points[12].value is None
    assert result.variation == "common_cause"  # the last value's, idx 11


# ---------------------------------------------------------------------------------------------
# Missing values


def test_missing_weeks_are_skipped_not_zero() -> None:
    # STEADY with gaps at idx 1, 6 and the end: the same values in the same order, so the same
    # mean 11.5 and, with the moving ranges joined across each gap, the same AMR 15/11.
    # (NHSRplotthedots would leave out the ranges either side of a gap.)
    values: list[float | None] = [10, None, 12, 11, 13, 12, None, 11, 12, 10, 11, 12, 13, 11, None]
    result = analyse(values, "increase")
    assert result.mean == pytest.approx(STEADY_MEAN)
    assert result.segments[0].average_moving_range == pytest.approx(STEADY_AMR)
    assert result.upper_limit == pytest.approx(STEADY_UPL)
    assert result.trial is False  # 12 values, though 15 weeks
    gap = result.points[6]
    assert (gap.value, gap.point_type, gap.rule, gap.side) == (None, "common_cause", None, None)
    assert gap.mean == pytest.approx(STEADY_MEAN)
    assert gap.upper_limit == pytest.approx(STEADY_UPL)
    assert len(result.points) == 15


def test_a_gap_neither_breaks_nor_extends_a_shift() -> None:
    # SHIFTS with a gap in the middle of the run below (after idx 6) and one at the end: the
    # values are SHIFTS', so the mean is 12 and the seven 11.5s are still seven in a row.
    values: list[float | None] = [*SHIFTS[:7], None, *SHIFTS[7:], None]
    result = analyse(values, "increase")
    assert result.mean == 12.0
    below = [i for i in range(4, 12) if i != 7]
    assert flagged(result) == dict.fromkeys([*below, *range(14, 21)], "shift")
    assert result.points[8].run_length == 7
    assert result.points[7].rule is None
    assert result.variation == "special_cause_improvement"  # idx 20, the last value
    assert result.points[21].point_type == "common_cause"


# ---------------------------------------------------------------------------------------------
# Input checks


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [], "improvement": "increase"}, "series is empty"),
        ({"values": [None, None], "improvement": "increase"}, "every week is missing"),
        ({"values": STEADY, "improvement": "up"}, "'increase', 'decrease' or 'neutral'"),
        ({"values": STEADY, "improvement": "Increase"}, "not 'Increase'"),
        ({"values": [1, float("nan")], "improvement": "increase"}, "value 1 is nan"),
        ({"values": [1, float("inf")], "improvement": "increase"}, "value 1 is inf"),
        ({"values": STEADY, "improvement": "increase", "target": float("nan")}, "target"),
        ({"values": STEADY, "improvement": "increase", "fix_after_n_points": 1}, "at least 2"),
        ({"values": STEADY, "improvement": "increase", "rebases": [Rebase(0, "x")]}, "not at 0"),
        ({"values": STEADY, "improvement": "increase", "rebases": [Rebase(12, "x")]}, "at 12"),
        (
            {
                "values": STEADY,
                "improvement": "increase",
                "rebases": [Rebase(5, "x"), Rebase(5, "y")],
            },
            "two rebases at point 5",
        ),
    ],
)
def test_bad_input_is_a_clear_value_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        analyse(**kwargs)  # type: ignore[arg-type]


def test_a_value_that_is_not_a_number_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="value 2 is '11'"):
        analyse([10, 12, "11"], "increase")  # type: ignore[list-item]


def test_integers_and_floats_are_both_numbers() -> None:
    assert analyse(STEADY, "increase") == analyse([float(v) for v in STEADY], "increase")


# ---------------------------------------------------------------------------------------------
# Words


def test_describe_common_cause_is_none() -> None:
    assert describe(analyse(STEADY, "increase").points[0]) is None


def test_describe_names_the_points_when_they_are_not_weeks() -> None:
    point = analyse(SHIFTS, "increase").points[4]
    assert describe(point, noun="samples") == "7 samples below average"


def test_the_rule_set_is_named() -> None:
    assert "NHSRplotthedots" in RULE_SET
    assert "7 points" in RULE_SET


# ---------------------------------------------------------------------------------------------
# Against NHSRplotthedots' own window definitions
#
# An independent transcription of how NHSRplotthedots (ptd_spc_standard.R,
# ptd_calculate_point_type.R) flags points: each rule as a window ending or starting at every
# point, not as runs. One difference, on purpose: a value in a trend takes that trend's
# direction (the later trend's when it is shared by two). NHSRplotthedots reads it from the step
# to the next value when that value is in a trend too, which gets the last value of a fall
# followed by a separate fall (the step between them rises) the wrong way round.


def _sign(x: float) -> int:
    return (x > 0) - (x < 0)


def reference(ys: list[float], improvement: int, screen: bool = True) -> list[str]:
    n = len(ys)
    mean = sum(ys) / n
    mrs = [abs(ys[i] - ys[i - 1]) for i in range(1, n)]
    amr = sum(mrs) / len(mrs)
    if screen:
        kept = [mr for mr in mrs if mr < 3.267 * amr]
        amr = sum(kept) / len(kept)
    upl, lpl = mean + 2.66 * amr, mean - 2.66 * amr
    nupl, nlpl = mean + 2 * (2.66 / 3) * amr, mean - 2 * (2.66 / 3) * amr
    rtm = [_sign(y - mean) for y in ys]
    outside = [y > upl or y < lpl for y in ys]
    close = [not outside[i] and (ys[i] < nlpl or ys[i] > nupl) for i in range(n)]

    def part_of_seven(ends: list[bool]) -> list[bool]:
        return [any(ends[i : i + 7]) for i in range(n)]

    shift_ends = [
        i >= 6 and rtm[i] != 0 and all(rtm[i - k] == rtm[i] for k in range(1, 7)) for i in range(n)
    ]
    # +1 / −1 where the 7 values ending here rise / fall step by step, else 0
    trend_ends = [0] * n
    for i in range(6, n):
        steps = {_sign(ys[j] - ys[j - 1]) for j in range(i - 5, i + 1)}
        trend_ends[i] = next(iter(steps)) if steps in ({1}, {-1}) else 0
    # A value's trend direction: that of the latest-starting window of 7 holding it
    trend = [
        next((trend_ends[e] for e in range(i + 6, i - 1, -1) if e < n and trend_ends[e]), 0)
        for i in range(n)
    ]
    in_shift = part_of_seven(shift_ends)

    def window(start: int) -> bool:
        if start < 0 or start + 3 > n:
            return False
        span = range(start, start + 3)
        return sum(close[j] for j in span) >= 2 and abs(sum(rtm[j] for j in span)) == 3

    in_two = [close[i] and (window(i - 2) or window(i - 1) or window(i)) for i in range(n)]
    kinds: list[str] = []
    for i in range(n):
        direction = rtm[i] if outside[i] or in_two[i] or in_shift[i] else 0
        if trend[i] and not outside[i]:
            direction = trend[i]
        if direction == 0:
            kinds.append("common_cause")
        elif improvement == 0:
            kinds.append("special_cause_neutral_" + ("high" if direction > 0 else "low"))
        else:
            good = direction == improvement
            kinds.append("special_cause_improvement" if good else "special_cause_concern")
    return kinds


def generated_series(rng: random.Random) -> list[float]:
    """Noise with, now and then, a run of sorted values (a trend) or a step (a shift)."""
    ys: list[float] = []
    level = 50.0
    while len(ys) < rng.randint(15, 80):
        roll = rng.random()
        if roll < 0.1:
            ys.extend(
                sorted(
                    (rng.gauss(level, 3) for _ in range(rng.randint(5, 9))),
                    reverse=rng.random() < 0.5,
                )
            )
        elif roll < 0.2:
            level += rng.choice([-4.0, 4.0])
        elif roll < 0.23:
            ys.append(level + rng.choice([-1, 1]) * rng.uniform(10, 25))
        else:
            ys.append(rng.gauss(level, 3))
    return ys


@pytest.mark.parametrize("improvement", ["increase", "decrease", "neutral"])
@pytest.mark.parametrize("screen", [True, False])
def test_matches_nhsrplotthedots_on_generated_series(improvement: str, screen: bool) -> None:
    rng = random.Random(f"{improvement}-{screen}")
    direction = {"increase": 1, "decrease": -1, "neutral": 0}[improvement]
    special = 0
    for _ in range(150):
        ys = generated_series(rng)
        result = analyse(ys, improvement, screen_outliers=screen)  # type: ignore[arg-type]
        assert kinds(result) == reference(ys, direction, screen), ys
        special += sum(point.rule is not None for point in result.points)
    assert special > 500  # the generated series do exercise the rules


# ---------------------------------------------------------------------------------------------
# Invariants over generated series


def test_invariants_on_generated_series() -> None:
    rng = random.Random(7)
    for _ in range(100):
        ys: list[float | None] = [None if rng.random() < 0.1 else v for v in generated_series(rng)]
        if all(v is None for v in ys):
            continue
        cut = rng.randint(1, len(ys) - 1)
        result = analyse(ys, "increase", target=50, rebases=[Rebase(cut, "r")])
        assert len(result.points) == len(ys)
        for point in result.points:
            segment = result.segments[point.segment]
            assert segment.start <= point.index < segment.end
            assert (point.mean, point.upper_limit) == (segment.mean, segment.upper_limit)
            if point.value is None or point.rule is None:
                assert point.point_type == "common_cause"
                assert point.side is None
            else:
                assert point.rule == point.rules[0]
                assert describe(point) is not None
        for segment in result.segments:
            if segment.upper_limit is not None and segment.lower_limit is not None:
                assert segment.mean is not None
                assert segment.upper_limit - segment.mean == pytest.approx(
                    segment.mean - segment.lower_limit
                )
                unscreened = analyse(
                    ys[segment.start : segment.end], "increase", screen_outliers=False
                ).segments[0]
                # screening only ever narrows the limits
                assert segment.upper_limit <= unscreened.upper_limit + 1e-9  # type: ignore[operator]

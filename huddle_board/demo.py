"""Generated wards: a believable demo ward for trying the board, for screenshots and for SVG
snapshot tests, and a five-year benchmark ward, both from one generator at two sizes.

`build_demo_ward` fills an empty store with "Ward 7A Respiratory": two years of weekly values
for thirteen measures (one sampled every eight weeks, three still missing this week), forty
improvement ideas in every status with their PDSA cycles, a year of daily safety huddles and
weekly value-management huddles, and the actions they raised (a few still open and overdue).
Cost per patient per week and falls show a sustained improvement from about thirty weeks ago,
after two ideas were adopted; falls is rebased there (new limits from that week, with the
reason), cost per patient is not, so its chart shows the shift as special cause.

`build_benchmark_ward` runs the same generator over five years with fifteen weekly measures,
1,800 huddles, 2,000 ideas and 10,000 actions.

Everything comes from random generators seeded with `seed` and from the injected clock (ids
included: no uuid4, no system time), so the same seed and clock give identical tables. Rows
are written with `commands.load_rows` (rev 1 plus outbox rows, one transaction per table).
Free text contains no patient identifiers: patients appear by bed number only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import math
import random
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.clock import Clock
from huddle_board.db import commands
from huddle_board.db.commands import Author, MeasureSpec
from huddle_board.db.migrations import SYNCED_TABLES
from huddle_board.model import (
    AGENDAS,
    ROLES,
    ActionStatus,
    HuddleKind,
    IdeaStatus,
    Measure,
    PdsaAct,
    week_start,
)

Row = dict[str, Any]
_Figure = tuple[float, float | None, float | None]
"""One week's figure: value, numerator, denominator (the last two for ratio measures only)."""
_Model = Callable[[random.Random, dt.date, bool], _Figure]
"""Makes a week's figure from the generator, the week's Monday and whether the ward's
sustained improvement has started by then."""

DEMO_CODE = "DEMO-7A"
DEMO_NAME = "Ward 7A Respiratory"
BENCHMARK_CODE = "BENCH-5Y"
IMPROVED_WEEKS_AGO = 30
"""The sustained improvement in cost per patient and falls starts this many weeks ago."""


@dataclass(frozen=True)
class WardSize:
    """How much history the generator makes."""

    weeks: int
    """Weeks of values, ending with the current ISO week."""
    huddle_days: int
    """Days of huddles, ending yesterday (today's huddle is still to be held)."""
    huddles: int
    """Daily plus weekly huddles; the daily ones skip days to reach this number."""
    ideas: int
    idea_days: int
    """Ideas were raised over this many days."""
    actions: int
    open_actions: int
    overdue_actions: int
    """At least this many of the open actions are overdue."""
    measures: tuple[str, ...]
    """Keys of the measures to make (from the catalogue below), shown in catalogue order."""
    sampled: bool
    """Collect direct care time every eight weeks (otherwise every measure is weekly)."""
    missing_now: tuple[str, ...]
    """Keys of the measures with no value yet in the current week."""


_WARD_MEASURES = (
    "falls",
    "falls_harm",
    "pressure_ulcers",
    "admissions",
    "discharges_noon",
    "patient_experience",
    "direct_care",
    "sickness",
    "vacancies",
    "staff_experience",
    "cost_per_patient",
    "bank",
    "agency",
)
DEMO_SIZE = WardSize(
    weeks=104,
    huddle_days=365,
    huddles=400,
    ideas=40,
    idea_days=365,
    actions=240,
    open_actions=20,
    overdue_actions=5,
    measures=_WARD_MEASURES,
    sampled=True,
    missing_now=("patient_experience", "staff_experience", "agency"),
)
BENCHMARK_SIZE = WardSize(
    weeks=260,
    huddle_days=1820,
    huddles=1800,
    ideas=2000,
    idea_days=1820,
    actions=10_000,
    open_actions=300,
    overdue_actions=60,
    measures=(*_WARD_MEASURES, "overtime", "pharmacy"),
    sampled=False,
    missing_now=(),
)

# -- the team (initials only) ----------------------------------------------------------------

_AUTHOR = "JM"
_CHARGE_NURSES = ("JM", "SC", "LT", "MO", "KR")
_NURSES = (*_CHARGE_NURSES, "HW", "EF", "GN", "TS")
_TEAM = (*_NURSES, "CW", "DL", "NP", "BA", "RO", "AK", "PD")
_WEEKLY_LEADS = ("JM", "AK", "SC")

# -- measures --------------------------------------------------------------------------------


def _clamp(value: float, low: float, high: float = math.inf) -> float:
    return min(high, max(low, value))


def _winter(monday: dt.date) -> float:
    """+1 in mid-January, -1 in mid-July: a respiratory ward is busiest in winter."""
    return math.cos(2 * math.pi * (monday.isocalendar().week - 3) / 52)


def _poisson(rng: random.Random, mean: float) -> int:
    """A Poisson count (Knuth's method; the means here are small)."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _gauss(mean: float, sd: float, low: float = 0.0, high: float = math.inf) -> _Model:
    """A plain value with normal noise, kept within [low, high]."""

    def model(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
        return _clamp(rng.gauss(mean, sd), low, high), None, None

    return model


def _count(before: float, after: float | None = None) -> _Model:
    """A weekly count of events (Poisson), with a lower mean after the improvement."""

    def model(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
        mean = after if improved and after is not None else before
        return float(_poisson(rng, mean)), None, None

    return model


def _falls_rate(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
    bed_days = round(28 * 7 * _clamp(rng.gauss(0.93, 0.03), 0.75, 1.0))
    falls = _poisson(rng, (5.5 if improved else 9.0) * bed_days / 1000)
    return falls / bed_days * 1000, float(falls), float(bed_days)


def _cost_per_patient(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
    patients = round(_clamp(rng.gauss(42 + 4 * _winter(monday), 3), 25))
    cost = round(patients * rng.gauss(449 if improved else 510, 20))
    return cost / patients, float(cost), float(patients)


def _admissions(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
    return _clamp(rng.gauss(40 + 6 * _winter(monday), 3.5), 0), None, None


def _sickness(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
    return _clamp(rng.gauss(5.0 + 0.8 * _winter(monday), 1.0), 0, 100), None, None


def _vacancies(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
    drift = 1.5 * math.sin(monday.toordinal() / 63)
    return _clamp(rng.gauss(4.5 + drift, 0.3), 0), None, None


def _spend(mean: float, saving: float, sd: float, floor: float = 0.0) -> _Model:
    """Weekly spend in £, lower by `saving` after the improvement; under `floor` it is £0."""

    def model(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
        value = rng.gauss(mean - (saving if improved else 0.0), sd)
        return (value if value >= floor else 0.0), None, None

    return model


def _pharmacy(rng: random.Random, monday: dt.date, improved: bool) -> _Figure:
    mean = 8800 + 600 * _winter(monday) - (700 if improved else 0)
    return _clamp(rng.gauss(mean, 650), 0), None, None


@dataclass(frozen=True)
class _Template:
    key: str
    spec: MeasureSpec
    model: _Model


def _spec(
    name: str,
    band: str,
    unit: str,
    decimals: int,
    improvement: str,
    target: float | None,
    owner: str,
    **more: Any,
) -> MeasureSpec:
    return MeasureSpec(name, band, unit, decimals, improvement, target, owner, **more)


_TEMPLATES: tuple[_Template, ...] = (
    _Template(
        "falls",
        _spec(
            "Falls per 1,000 occupied bed days",
            "performance",
            "per 1,000 bed days",
            1,
            "decrease",
            6.0,
            "SC",
            is_ratio=True,
            ratio_scale=1000.0,
        ),
        _falls_rate,
    ),
    _Template(
        "falls_harm",
        _spec("Falls with harm", "performance", "falls", 0, "decrease", 0.0, "SC"),
        _count(0.35, 0.2),
    ),
    _Template(
        "pressure_ulcers",
        _spec("Pressure ulcers grade 2+", "performance", "ulcers", 0, "decrease", 0.0, "LT"),
        _count(0.4),
    ),
    _Template(
        "admissions",
        _spec("Patients admitted per week", "performance", "patients", 0, "increase", None, "JM"),
        _admissions,
    ),
    _Template(
        "discharges_noon",
        _spec("Discharges before noon", "performance", "%", 0, "increase", 33.0, "MO"),
        _gauss(24, 5, 0, 100),
    ),
    _Template(
        "patient_experience",
        _spec("Patient experience score", "performance", "0–10", 1, "increase", 9.0, "JM"),
        _gauss(8.4, 0.35, 0, 10),
    ),
    _Template(
        "direct_care",
        _spec("Direct care time", "capacity", "%", 0, "increase", 50.0, "AK", every_n_weeks=8),
        _gauss(37, 3.5, 0, 100),
    ),
    _Template(
        "sickness", _spec("Sickness absence", "capacity", "%", 1, "decrease", 4.0, "JM"), _sickness
    ),
    _Template(
        "vacancies", _spec("Vacancies", "capacity", "WTE", 1, "decrease", None, "JM"), _vacancies
    ),
    _Template(
        "staff_experience",
        _spec("Staff experience score", "capacity", "0–10", 1, "increase", None, "AK"),
        _gauss(7.0, 0.4, 0, 10),
    ),
    _Template(
        "cost_per_patient",
        _spec("Cost per patient per week", "cost", "£", 1, "decrease", 450.0, "RB", is_ratio=True),
        _cost_per_patient,
    ),
    _Template(
        "bank",
        _spec("Bank nursing spend", "cost", "£", 0, "decrease", 5500.0, "JM"),
        _spend(6400, 600, 900),
    ),
    _Template(
        "agency",
        _spec("Agency nursing spend", "cost", "£", 0, "decrease", None, "JM"),
        _spend(2600, 400, 1300, floor=300),
    ),
    _Template(
        "overtime",
        _spec("Overtime spend", "cost", "£", 0, "decrease", None, "JM"),
        _spend(1400, 0, 450),
    ),
    _Template(
        "pharmacy", _spec("Pharmacy spend", "cost", "£", 0, "decrease", None, "PD"), _pharmacy
    ),
    _Template(
        "supplies",
        _spec("Supplies spend", "cost", "£", 0, "decrease", None, "HW"),
        _spend(3100, 0, 350),
    ),
)

_REBASES: dict[str, str] = {
    "falls": "Falls sensors and bay nursing in bay 2 adopted after two PDSA cycles",
}
"""Measures rebased at the start of the ward's sustained improvement, with the reason."""

# -- free text -------------------------------------------------------------------------------

_IDEA_POOL: tuple[tuple[str, str, str | None, str, str], ...] = (
    # (title, problem, linked measure key, impact, effort); the first two are the adopted
    # ideas behind the ward's sustained improvement.
    (
        "Falls sensors and bay nursing in bay 2",
        "Most falls happen at night in bay 2, furthest from the nurses' station.",
        "falls",
        "high",
        "easy",
    ),
    (
        "Weekly review of non-stock drug orders",
        "Urgent and non-stock pharmacy orders push up the drugs bill; many could wait for the "
        "weekly top-up.",
        "cost_per_patient",
        "high",
        "easy",
    ),
    (
        "Criteria-led discharge for COPD exacerbations",
        "Patients who are fit to go wait for the afternoon ward round before discharge.",
        "discharges_noon",
        "high",
        "hard",
    ),
    (
        "Discharge lounge by 11:00 for planned discharges",
        "Beds are not free for admissions from AMU until mid-afternoon.",
        "discharges_noon",
        "high",
        "easy",
    ),
    (
        "TTO prescriptions written the day before",
        "Waiting for take-home medicines is the commonest reason for a discharge after noon.",
        "discharges_noon",
        "high",
        "easy",
    ),
    (
        "Intentional rounding chart at the bedside",
        "Hourly checks are recorded late, or not at all, on busy shifts.",
        "falls",
        "low",
        "easy",
    ),
    (
        "Red tray for patients who need help to eat",
        "Meals go cold for patients who need help, and weight loss is missed.",
        "patient_experience",
        "low",
        "easy",
    ),
    (
        "Do not disturb tabard for the drug round",
        "Nurses are interrupted many times per drug round, which risks errors.",
        None,
        "high",
        "easy",
    ),
    (
        "Skin check at every shift handover",
        "Early pressure damage is found late on patients who cannot move themselves.",
        "pressure_ulcers",
        "high",
        "easy",
    ),
    (
        "Mattress audit every Monday",
        "Pressure-relieving mattresses are missing when a high-risk patient arrives.",
        "pressure_ulcers",
        "low",
        "easy",
    ),
    (
        "Oxygen prescription check at the safety huddle",
        "Oxygen is given without a prescribed target range.",
        None,
        "high",
        "easy",
    ),
    (
        "Request bank cover as soon as a rota gap appears",
        "Gaps found the day before are filled by agency at a higher rate.",
        "bank",
        "high",
        "easy",
    ),
    (
        "Block-book bank staff instead of agency",
        "Agency nurses cost more and do not know the ward's routines.",
        "agency",
        "high",
        "hard",
    ),
    (
        "Self-rostering pilot for staff nurses",
        "Staff say the rota does not fit their lives; short-notice sickness is high.",
        "sickness",
        "high",
        "hard",
    ),
    (
        "Wellbeing check-in at the weekly huddle",
        "Staff feel nobody asks how they are after a hard week.",
        "staff_experience",
        "low",
        "easy",
    ),
    (
        "Ward clerk answers phones during handover",
        "Handover is interrupted by phone calls about bed availability.",
        "direct_care",
        "high",
        "easy",
    ),
    (
        "Supplies team tops up stock, not nurses",
        "Nurses spend time each shift checking and ordering stock.",
        "direct_care",
        "high",
        "hard",
    ),
    (
        "Move the printer next to the nurses' station",
        "Nurses walk to the far end of the ward for every printout.",
        "direct_care",
        "low",
        "easy",
    ),
    (
        "Pre-printed NIV observation chart",
        "NIV observations are written on plain paper and are hard to follow.",
        None,
        "low",
        "easy",
    ),
    (
        "Nebuliser masks stocked on the drug trolley",
        "Masks run out at night and are borrowed from other wards.",
        "supplies",
        "low",
        "easy",
    ),
    (
        "Return unused inhalers to pharmacy",
        "Unused inhalers are thrown away when a patient moves ward.",
        "pharmacy",
        "low",
        "easy",
    ),
    (
        "Reusable sharps bins",
        "Single-use sharps bins are a large part of the supplies bill.",
        "supplies",
        "low",
        "hard",
    ),
    (
        "Estimated discharge date on the board for every bed",
        "Nobody knows which beds will free up today.",
        "discharges_noon",
        "high",
        "easy",
    ),
    (
        "Daily call with social work at 10:30",
        "Delayed discharges wait days for a care package review.",
        None,
        "high",
        "hard",
    ),
    (
        "Leaflet explaining NIV for families",
        "Families are frightened by the NIV mask and ask the same questions each visit.",
        "patient_experience",
        "low",
        "easy",
    ),
    (
        "Quiet hours from 22:00 to 06:00",
        "Patients say noise at night stops them sleeping.",
        "patient_experience",
        "high",
        "easy",
    ),
    (
        "Phone slot for families after visiting",
        "Families phone during the drug round for updates.",
        "patient_experience",
        "low",
        "hard",
    ),
    (
        "Falls safety cross in the staff room",
        "The team does not see how many days since the last fall.",
        "falls",
        "low",
        "easy",
    ),
    (
        "Lying and standing blood pressure on admission",
        "Postural drops are found only after a fall.",
        "falls",
        "high",
        "easy",
    ),
    (
        "Buddy for every new starter",
        "New starters feel lost in their first weeks on the ward.",
        "staff_experience",
        "low",
        "easy",
    ),
    (
        "Return-to-work talk within two days",
        "Return-to-work conversations happen late or not at all.",
        "sickness",
        "low",
        "easy",
    ),
    (
        "Thank-you board in the staff room",
        "Good work goes unnoticed on busy weeks.",
        "staff_experience",
        "low",
        "easy",
    ),
    (
        "Bedside spirometry instead of the lab",
        "Patients wait for a porter to take them to the lung function lab.",
        None,
        "low",
        "hard",
    ),
    (
        "Single nurse check for oral antibiotics",
        "Two-nurse checks slow the drug round down.",
        None,
        "low",
        "hard",
    ),
    (
        "Electronic whiteboard for the ward",
        "The paper board is out of date by the afternoon.",
        None,
        "low",
        "hard",
    ),
    (
        "Toileting round at 02:00 in bay 4",
        "Several falls happen when patients get up alone to the toilet at night.",
        "falls",
        "high",
        "easy",
    ),
    (
        "Chair alarms for patients at high risk of falls",
        "Patients at risk stand up from chairs without help.",
        "falls",
        "low",
        "hard",
    ),
    (
        "Oxygen cylinders restocked on the night shift",
        "Cylinders run out during the morning transfers.",
        None,
        "low",
        "easy",
    ),
    (
        "Hospital at home referral checklist",
        "Patients who could go home with support stay for days.",
        "admissions",
        "high",
        "hard",
    ),
    (
        "Welcome pack for agency nurses",
        "Agency nurses do not know where equipment is kept.",
        "agency",
        "low",
        "easy",
    ),
)

_PLANS = (
    "Test in bay 2 for one week, on night shifts only; charge nurse to lead.",
    "Two nurses test it on early shifts for five days.",
    "Test on all shifts for one week, then review at the weekly huddle.",
    "Try it with the next ten admissions; tally sheet at the nurses' station.",
    "Test for two weeks in bays 3 and 4; coach to collect the data.",
)
_PREDICTIONS = (
    "At least four of five days go better than usual.",
    "Fewer interruptions, and the measure moves within a month.",
    "Staff find it easy; it takes under two minutes per patient.",
    "Half of planned discharges leave before noon.",
    "No extra work for the night shift.",
)
_DONE: dict[PdsaAct, tuple[str, ...]] = {
    "adopt": (
        "Ran as planned every day; staff kept it going without reminders.",
        "Done on all shifts; two days missed at the weekend.",
    ),
    "adapt": (
        "Ran on weekdays only; missed at weekends when short-staffed.",
        "Done for part of the week; the tally sheet went missing twice.",
    ),
    "abandon": (
        "Tried for a week; often skipped on busy shifts.",
        "Ran as planned, but it took much longer than expected.",
    ),
}
_STUDIED: dict[PdsaAct, tuple[str, ...]] = {
    "adopt": (
        "Better than predicted: the team wants to keep it.",
        "Prediction met; the run chart is moving the right way.",
    ),
    "adapt": (
        "Worked partly: change the timing and test again.",
        "Good on weekdays; weekends need another plan.",
    ),
    "abandon": (
        "No change in the measure and extra work for the team.",
        "Staff found it added work with no benefit: stop.",
    ),
}
_UNDER_WAY = ("", "Under way: going well so far.", "Started; a few shifts missed.")

_DAILY_NOTES: dict[str, tuple[str, ...]] = {
    "safety": (
        "No incidents overnight.",
        "Near miss: wrong strength of insulin pen picked up, caught at the second check.",
        "Fall in bay 2 overnight, no harm; post-falls check done.",
        "Oxygen cylinder left in the corridor, moved.",
        "Two omitted doses on the late shift: pharmacist to review.",
        "Call bell in side room 3 not working, reported.",
        "Patient in bed {bed} found on the floor, no injury, incident form done.",
        "Controlled drug count correct at handover.",
        "Nothing new since yesterday.",
    ),
    "at_risk": (
        "Bed {bed}: high falls risk, enhanced observation.",
        "Beds {bed} and {bed2}: pressure areas checked two-hourly.",
        "Bed {bed}: NEWS rising overnight, medical review this morning.",
        "Bed {bed}: on NIV, one-to-one nurse until stable.",
        "Bed {bed}: isolated in a side room, result awaited.",
        "Bed {bed}: confused at night, bay nursing in bay 2.\nBed {bed2}: skin check each shift.",
    ),
    "staffing": (
        "On plan: 5 RN, 3 HCSW.",
        "One RN short on the late shift; bank requested.",
        "HCSW redeployed to ward 6 until noon.",
        "Agency nurse on nights, ward induction done.",
        "Short one HCSW, skill mix OK.",
        "Student nurse on placement this week.",
    ),
    "flow": (
        "4 expected admissions, 3 discharges planned before noon.",
        "Bed {bed} waiting for a care package, social work chased.",
        "Two patients medically fit, awaiting transport.",
        "TTOs for two discharges written last night.",
        "No beds until after 14:00.",
        'Family asked about "open visiting", explained the ward policy.\nPoster to go up.',
    ),
    "equipment": (
        "Hoist in bay 3 out of order, estates called.",
        "Bladder scanner back from repair.",
        "Short of pressure-relieving mattresses: one on order.",
        "Blood gas analyser calibrating, use the ICU machine.",
        "Sharps bins full in the treatment room, replaced.",
        "All checks done.",
    ),
    "carried_over": (
        "Open actions reviewed; one overdue.",
        "Hoist repair still outstanding.",
        "Rota gaps for the weekend still open.",
        "All actions from yesterday closed.",
    ),
    "good_news": (
        "Thank-you card from a family in bay 4.",
        "No falls for two weeks.",
        "New HCSW finished induction.",
        "Great teamwork on nights, with two admissions at once.",
        "Bed {bed} went home before noon.",
        "Safety cross green all week.",
    ),
}
_WEEKLY_NOTES: dict[str, tuple[str, ...]] = {
    "box_score": (
        "Falls per 1,000 bed days below the mean for seven weeks: special cause improvement.",
        "Cost per patient per week under target for the fourth week running.",
        "Sickness absence above 4% again: common cause, not meeting target.",
        "Discharges before noon still hit and miss against 33%.",
        "Agency spend up after two vacant RN shifts.",
        "No special cause this week.",
        "One grade 2 pressure ulcer in bay 1, learning shared.",
    ),
    "ideas": (
        "Falls sensors in bay 2: adopted, keep going.",
        "TTOs the day before: cycle 2, weekends this time.",
        "Two new ideas on the PICK chart, both Implement.",
        "Self-rostering pilot parked until the new rota system.",
        "Drug order review saves about £600 a week.",
        "Quiet hours: patient feedback positive, adapt for weekends.",
    ),
    "celebrations": (
        "HCSW of the month: CW.",
        "Patient experience above 9 this week.",
        "Two staff passed their NIV competencies.",
        "Three weeks with no falls with harm.",
    ),
    "next_steps": (
        "Coach to pull the SPC charts for the report-out.",
        "Start cycle 1 of criteria-led discharge on Monday.",
        "Ward manager to meet finance about bank spend.",
        "Update the idea board before Friday.",
    ),
}
_HUDDLE_ACTIONS = (
    "Chase estates about the hoist in bay 3.",
    "Request bank cover for the Saturday late shift.",
    "Re-order a pressure-relieving mattress.",
    "Book hoist and sling refresher for HCSWs.",
    "Chase OT assessment for bed {bed}.",
    "Ask pharmacy to review the TTO for bed {bed}.",
    "Check falls sensor batteries in bay 2.",
    "Update the estimated discharge dates on the board.",
    "Complete the incident form for the fall in bay 2.",
    "Remind the team about intentional rounding charts.",
    "Arrange a service for the bladder scanner.",
    "Escalate two night-shift gaps to the bed manager.",
    "Restock the NIV mask cupboard.",
    "Share the learning from the near miss at handover.",
    "Chase social work for bed {bed}.",
    "Order new sharps bins for the treatment room.",
)
_IDEA_ACTIONS = (
    "Print and laminate the new checklist.",
    "Brief the night staff before the next test.",
    "Collect the week's tally sheets.",
    "Pull the data for the next weekly huddle.",
    "Order trial stock from supplies.",
    "Ask the coach to set up the run chart.",
)
_ESCALATIONS = (
    "Estates have not repaired the hoist after three requests.",
    "Rota gaps cannot be filled from bank or agency.",
    "Needs a funding decision from the service manager.",
)

# -- the generator ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Setting:
    """What every part of the generator needs to know."""

    seed: int
    today: dt.date
    current_week: dt.date
    improved_from: dt.date
    size: WardSize

    def rng(self, part: str) -> random.Random:
        """An independent generator per part, so changing one part leaves the others."""
        return random.Random(f"{self.seed}/{part}")


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _days(count: int) -> dt.timedelta:
    return dt.timedelta(days=count)


def _fill(rng: random.Random, text: str) -> str:
    bed = rng.randint(1, 28)
    bed2 = (bed + rng.randint(1, 26) - 1) % 28 + 1
    return text.format(bed=bed, bed2=bed2)


def build_demo_ward(
    db: Database, *, code: str = DEMO_CODE, weeks: int = 104, clock: Clock, seed: int = 7
) -> None:
    """Fill an empty store with the demo respiratory ward (see the module docstring)."""
    code = code.strip().upper()
    name = DEMO_NAME if code == DEMO_CODE else f"Ward {code} Respiratory"
    size = dataclasses.replace(DEMO_SIZE, weeks=weeks)
    build_ward(db, code=code, name=name, size=size, clock=clock, seed=seed)


def build_benchmark_ward(
    db: Database, *, code: str = BENCHMARK_CODE, clock: Clock, seed: int = 11
) -> None:
    """Fill an empty store with a five-year ward: 260 weeks × 15 weekly measures (no value
    missing), 1,800 huddles, 2,000 ideas and 10,000 actions (300 of them open)."""
    name = "Benchmark ward, five years"
    build_ward(db, code=code, name=name, size=BENCHMARK_SIZE, clock=clock, seed=seed)


def build_ward(
    db: Database, *, code: str, name: str, size: WardSize, clock: Clock, seed: int
) -> None:
    """The one generator behind the demo and benchmark wards. The store must hold no
    measures, values, ideas, cycles, huddles or actions yet."""
    if size.weeks < 1:
        raise ValueError("A generated ward needs at least one week of values.")
    _require_empty(db)
    today = clock.today()
    current = week_start(today)
    improved_from = current - dt.timedelta(weeks=IMPROVED_WEEKS_AGO)
    setting = _Setting(seed, today, current, improved_from, size)
    commands.set_ward(db, code, name, clock)
    author = Author(ward=code.strip().upper(), initials=_AUTHOR, clock=clock)  # as set_ward
    measures, keys = _measure_rows(setting)
    ideas, cycles = _idea_rows(setting, keys)
    huddles = _huddle_rows(setting)
    actions = _action_rows(setting, huddles, ideas, cycles)
    commands.load_rows(db, author, "measure", measures)
    commands.load_rows(db, author, "week_value", _week_value_rows(setting, measures, keys))
    commands.load_rows(db, author, "idea", ideas)
    commands.load_rows(db, author, "pdsa_cycle", cycles)
    commands.load_rows(db, author, "huddle", huddles)
    commands.load_rows(db, author, "action", actions)


def _require_empty(db: Database) -> None:
    for table in SYNCED_TABLES.values():
        if db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None:
            raise ValueError(f"A generated ward needs an empty store; {table} has rows.")


# -- measures and week values ----------------------------------------------------------------


def _measure_rows(setting: _Setting) -> tuple[list[Row], dict[str, str]]:
    """Measure rows in board order, and measure id by template key."""
    rng = setting.rng("measures")
    rows: list[Row] = []
    keys: dict[str, str] = {}
    for template in _TEMPLATES:
        if template.key not in setting.size.measures:
            continue
        spec = template.spec
        if not setting.size.sampled:
            spec = dataclasses.replace(spec, every_n_weeks=1)
        row_id = _new_id(rng)
        keys[template.key] = row_id
        row = _measure_row(row_id, spec, len(rows))
        if template.key in _REBASES:  # limits worked out afresh at the improvement
            rebase = {"week": setting.improved_from.isoformat(), "reason": _REBASES[template.key]}
            row["rebases"] = json.dumps([rebase])
        rows.append(row)
    return rows, keys


def _measure_row(row_id: str, spec: MeasureSpec, position: int) -> Row:
    return {
        "id": row_id,
        "name": spec.name,
        "band": spec.band,
        "unit": spec.unit,
        "decimals": spec.decimals,
        "improvement": spec.improvement,
        "target": spec.target,
        "owner": spec.owner,
        "every_n_weeks": spec.every_n_weeks,
        "is_ratio": int(spec.is_ratio),
        "ratio_scale": spec.ratio_scale,
        "position": position,
        "rebases": "[]",
    }


def _as_measure(row: Row) -> Measure:
    fields = {f.name for f in dataclasses.fields(Measure)} - {"rebases"}  # JSON in the row
    values = {k: v for k, v in row.items() if k in fields}
    return Measure(**{**values, "is_ratio": bool(row["is_ratio"])})


def _week_value_rows(setting: _Setting, measures: list[Row], keys: dict[str, str]) -> list[Row]:
    """`size.weeks` weeks of values per measure, ending with the current week; sampled
    measures only in their due weeks; the `missing_now` measures have none this week yet."""
    models = {keys[t.key]: t for t in _TEMPLATES if t.key in keys}
    rows: list[Row] = []
    for row in measures:
        template = models[row["id"]]
        rng = setting.rng(f"values/{template.key}")
        measure = _as_measure(row)
        for back in range(setting.size.weeks - 1, -1, -1):
            monday = setting.current_week - dt.timedelta(weeks=back)
            if not measure.due_in(monday):
                continue
            if back == 0 and template.key in setting.size.missing_now:
                continue
            figure = template.model(rng, monday, monday >= setting.improved_from)
            rows.append(_week_value(rng, measure, monday, figure))
    return rows


def _week_value(rng: random.Random, measure: Measure, monday: dt.date, figure: _Figure) -> Row:
    value, numerator, denominator = figure
    if not measure.is_ratio:
        value = round(value, measure.decimals)
    writer = measure.owner if measure.owner and rng.random() < 0.85 else rng.choice(_TEAM)
    return {
        "id": _new_id(rng),
        "measure_id": measure.id,
        "week": monday.isoformat(),
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "written_by": writer,
    }


# -- ideas and PDSA cycles -------------------------------------------------------------------

_STATUS_CYCLE: tuple[IdeaStatus, ...] = (
    "new",
    "new",
    "in_test",
    "in_test",
    "adopted",
    "adopted",
    "parked",
    "abandoned",
)
_CYCLE_COUNTS: dict[IdeaStatus, tuple[int, ...]] = {
    "new": (0,),
    "parked": (0,),
    "in_test": (1, 1, 2, 3),
    "adopted": (1, 2, 2, 3),
    "abandoned": (1, 1, 2),
}
_LAST_ACT: dict[IdeaStatus, PdsaAct | None] = {
    "in_test": None,
    "adopted": "adopt",
    "abandoned": "abandon",
}
_Span = tuple[dt.date, dt.date | None]
"""A PDSA cycle's start and finish (None while it is open)."""


def _statuses(rng: random.Random, count: int) -> list[IdeaStatus]:
    """Statuses for `count` ideas: the first two adopted (the improvement), every status
    present, in a shuffled order after that."""
    rest: list[IdeaStatus] = [_STATUS_CYCLE[i % len(_STATUS_CYCLE)] for i in range(count - 2)]
    rng.shuffle(rest)
    headline: list[IdeaStatus] = ["adopted", "adopted"]
    return (headline + rest)[:count]


def _idea_rows(setting: _Setting, keys: dict[str, str]) -> tuple[list[Row], list[Row]]:
    rng = setting.rng("ideas")
    ideas: list[Row] = []
    cycles: list[Row] = []
    for index, status in enumerate(_statuses(rng, setting.size.ideas)):
        raised, spans, changed = _idea_dates(rng, setting, index, status)
        idea = _idea_row(rng, index, status, keys, raised, changed)
        ideas.append(idea)
        cycles.extend(_cycle_rows(rng, idea, spans, _LAST_ACT.get(status)))
    return ideas, cycles


def _idea_row(
    rng: random.Random,
    index: int,
    status: IdeaStatus,
    keys: dict[str, str],
    raised: dt.date,
    changed: dt.date,
) -> Row:
    title, problem, key, impact, effort = _IDEA_POOL[index % len(_IDEA_POOL)]
    repeat = index // len(_IDEA_POOL)
    placed = status != "new" or rng.random() < 0.6
    raised_by = rng.choice(_TEAM)
    owner = rng.choice(_NURSES) if status != "new" or rng.random() < 0.5 else None
    return {
        "id": _new_id(rng),
        "title": f"{title} ({repeat + 1})" if repeat else title,
        "problem": problem,
        "raised_by": raised_by,
        "raised_on": raised.isoformat(),
        "measure_id": keys.get(key) if key else None,
        "impact": impact if placed else None,
        "effort": effort if placed else None,
        "owner": owner,
        "status": status,
        "status_changed_on": changed.isoformat(),
        "written_by": owner or raised_by,
    }


def _idea_dates(
    rng: random.Random, setting: _Setting, index: int, status: IdeaStatus
) -> tuple[dt.date, list[_Span], dt.date]:
    """(raised on, PDSA cycle spans, status changed on) for one idea."""
    today, window = setting.today, setting.size.idea_days
    if index < 2:  # the adopted ideas behind the improvement, finished just before it
        finished = setting.improved_from - _days(3 + 7 * index)
        raised, spans = _spans(rng, 2, today, window, last_finish=finished)
        return raised, spans, finished
    count = rng.choice(_CYCLE_COUNTS[status])
    if status == "new":
        raised = today - _days(rng.randint(1, min(window, 120)))
        return raised, [], raised
    if status == "parked":
        raised = today - _days(rng.randint(30, window))
        return raised, [], min(today, raised + _days(rng.randint(7, 60)))
    raised, spans = _spans(rng, count, today, window, open_last=status == "in_test")
    last_start, last_finish = spans[-1]
    return raised, spans, spans[0][0] if status == "in_test" else (last_finish or last_start)


def _spans(
    rng: random.Random,
    count: int,
    today: dt.date,
    window: int,
    *,
    open_last: bool = False,
    last_finish: dt.date | None = None,
) -> tuple[dt.date, list[_Span]]:
    """(raised on, spans) for `count` cycles laid out backwards from the last one: open and
    started recently, or finished on `last_finish`, or finished at some time in the window."""
    lengths = [rng.randint(7, 21) for _ in range(count)]
    gaps = [rng.randint(0, 4) for _ in range(count)]
    lead = rng.randint(3, 40)
    if open_last:
        start = today - _days(rng.randint(1, 20))
        spans: list[_Span] = [(start, None)]
    else:
        if last_finish is None:
            room = max(8, window - lead - sum(lengths) - sum(gaps))
            last_finish = today - _days(rng.randint(7, room))
        start = last_finish - _days(lengths[-1])
        spans = [(start, last_finish)]
    for length, gap in zip(reversed(lengths[:-1]), gaps, strict=False):
        finish = start - _days(gap)
        start = finish - _days(length)
        spans.append((start, finish))
    spans.reverse()
    return spans[0][0] - _days(lead), spans


def _cycle_rows(
    rng: random.Random, idea: Row, spans: Sequence[_Span], last: PdsaAct | None
) -> list[Row]:
    rows: list[Row] = []
    for number, (started, finished) in enumerate(spans, start=1):
        act: PdsaAct | None = last if number == len(spans) else "adapt"
        rows.append(
            {
                "id": _new_id(rng),
                "idea_id": idea["id"],
                "number": number,
                "plan": rng.choice(_PLANS),
                "prediction": rng.choice(_PREDICTIONS),
                "do": rng.choice(_DONE[act]) if act else rng.choice(_UNDER_WAY),
                "study": rng.choice(_STUDIED[act]) if act else "",
                "act": act,
                "started_on": started.isoformat(),
                "finished_on": finished.isoformat() if finished and act else None,
                "written_by": idea["owner"] or idea["raised_by"],
            }
        )
    return rows


# -- huddles ---------------------------------------------------------------------------------


def _huddle_days(rng: random.Random, setting: _Setting) -> list[tuple[dt.date, HuddleKind]]:
    """Which huddles were held: a weekly one every Wednesday, a daily one on all but a few
    skipped days, so that the total is `size.huddles`; in date order, weekly after daily."""
    days = [setting.today - _days(n) for n in range(setting.size.huddle_days, 0, -1)]
    weekly = [day for day in days if day.weekday() == 2]
    daily_count = max(0, min(len(days), setting.size.huddles - len(weekly)))
    skipped = set(rng.sample(range(len(days)), len(days) - daily_count))
    held: list[tuple[dt.date, HuddleKind]] = []
    for index, day in enumerate(days):
        if index not in skipped:
            held.append((day, "daily"))
        if day.weekday() == 2:
            held.append((day, "weekly"))
    return held


def _huddle_rows(setting: _Setting) -> list[Row]:
    rng = setting.rng("huddles")
    return [_huddle_row(rng, day, kind) for day, kind in _huddle_days(rng, setting)]


def _huddle_row(rng: random.Random, day: dt.date, kind: HuddleKind) -> Row:
    daily = kind == "daily"
    start = dt.datetime.combine(day, dt.time(8, 30) if daily else dt.time(14, 0))
    start += dt.timedelta(minutes=rng.randint(-5, 10) if daily else rng.randint(0, 10))
    timer = 600 if daily else 900  # the huddle timer; most finish a little inside it
    lead = rng.choice(_CHARGE_NURSES if daily else _WEEKLY_LEADS)
    return {
        "id": _new_id(rng),
        "kind": kind,
        "held_on": day.isoformat(),
        "started_at": start.strftime("%H:%M"),
        "duration_s": int(_clamp(rng.gauss(timer * 0.9, timer * 0.16), timer * 0.4, timer * 2)),
        "lead": lead,
        "attendance": json.dumps(_attendance(rng, day, kind), sort_keys=True),
        "notes": json.dumps(_notes(rng, kind), sort_keys=True),
        "closed": 1,
        "written_by": lead,
    }


def _attendance(rng: random.Random, day: dt.date, kind: HuddleKind) -> dict[str, int]:
    weekend = day.weekday() >= 5
    if kind == "weekly":
        ranges = {"nurse": (3, 5), "hcsw": (1, 3), "doctor": (0, 1), "ahp": (1, 2)}
        ranges["other"] = (1, 2)
    else:
        ranges = {"nurse": (3, 6 if weekend else 7), "hcsw": (2, 4), "doctor": (0, 2)}
        ranges.update(ahp=(0, 0 if weekend else 2), other=(0, 1))
    return {role: rng.randint(*ranges[role]) for role in ROLES}


def _notes(rng: random.Random, kind: HuddleKind) -> dict[str, str]:
    pools = _DAILY_NOTES if kind == "daily" else _WEEKLY_NOTES
    notes: dict[str, str] = {}
    for section, _title in AGENDAS[kind]:
        empty = rng.random() < 0.25
        notes[section] = "" if empty else _fill(rng, rng.choice(pools[section]))
    return notes


# -- actions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Raised:
    """An action before its status is settled."""

    text: str
    owner: str
    raised_on: dt.date
    due_on: dt.date
    source_kind: str
    source_id: str
    written_by: str


def _action_rows(
    setting: _Setting, huddles: list[Row], ideas: list[Row], cycles: list[Row]
) -> list[Row]:
    """`size.actions` actions: most from huddles (about a third of huddles raise any), a few
    from ideas under test; then statuses (see `_open_set`)."""
    rng = setting.rng("actions")
    from_ideas = _idea_actions(rng, setting.size.actions // 25, ideas, cycles)
    count = setting.size.actions - len(from_ideas)
    raised = _huddle_actions(rng, setting.today, count, huddles) + from_ideas
    raised.sort(key=lambda action: (action.raised_on, action.source_id, action.text))
    open_set = _open_set(rng, setting, raised)
    return [
        _action_row(rng, setting.today, action, index in open_set)
        for index, action in enumerate(raised)
    ]


def _huddle_actions(
    rng: random.Random, today: dt.date, count: int, huddles: list[Row]
) -> list[_Raised]:
    """`count` actions from about a third of the huddles (more where there are many actions
    to place), and from every huddle of the last two weeks, whose actions are mostly open."""
    if not huddles or count <= 0:
        return []
    since = (today - _days(14)).isoformat()
    recent = [huddle for huddle in huddles if huddle["held_on"] >= since]
    older = [huddle for huddle in huddles if huddle["held_on"] < since]
    wanted = max(round(0.3 * len(huddles)), math.ceil(count / 3)) - len(recent)
    hosts = recent + rng.sample(older, min(len(older), max(0, wanted)))
    chosen = hosts[:count] + [rng.choice(hosts) for _ in range(count - len(hosts))]
    return [_from_huddle(rng, host) for host in chosen]


def _from_huddle(rng: random.Random, huddle: Row) -> _Raised:
    raised = dt.date.fromisoformat(huddle["held_on"])
    return _Raised(
        text=_fill(rng, rng.choice(_HUDDLE_ACTIONS)),
        owner=rng.choice(_TEAM),
        raised_on=raised,
        due_on=raised + _days(rng.randint(1, 14)),
        source_kind="huddle",
        source_id=huddle["id"],
        written_by=huddle["lead"],
    )


def _idea_actions(
    rng: random.Random, count: int, ideas: list[Row], cycles: list[Row]
) -> list[_Raised]:
    """Actions raised while testing an idea, on the day one of its cycles started."""
    by_id = {idea["id"]: idea for idea in ideas}
    if not cycles or count <= 0:
        return []
    actions = []
    for cycle in rng.sample(cycles, min(count, len(cycles))):
        idea = by_id[cycle["idea_id"]]
        raised = dt.date.fromisoformat(cycle["started_on"])
        owner = idea["owner"] or rng.choice(_NURSES)
        actions.append(
            _Raised(
                rng.choice(_IDEA_ACTIONS),
                owner,
                raised,
                raised + _days(rng.randint(1, 14)),
                "idea",
                idea["id"],
                owner,
            )
        )
    return actions


def _open_set(rng: random.Random, setting: _Setting, raised: list[_Raised]) -> set[int]:
    """Which actions are still open, `size.open_actions` in all: those not due yet (the ones
    due soonest were done early), then overdue ones, mostly due in the last two months."""
    size, today = setting.size, setting.today
    by_due = sorted(range(len(raised)), key=lambda i: (raised[i].due_on, i), reverse=True)
    not_due = [i for i in by_due if raised[i].due_on >= today]
    kept = not_due[: max(0, size.open_actions - size.overdue_actions)]
    needed = size.open_actions - len(kept)
    past = [i for i in by_due if raised[i].due_on < today]
    late = [i for i in past if raised[i].due_on >= today - _days(60)]
    pool = late if len(late) >= needed else past
    return set(kept) | set(rng.sample(pool, min(len(pool), needed)))


def _action_row(rng: random.Random, today: dt.date, action: _Raised, is_open: bool) -> Row:
    status: ActionStatus = "open"
    closed_on: dt.date | None = None
    if not is_open:
        status = "done" if rng.random() < 0.85 else "dropped"
        took = rng.randint(0, (action.due_on - action.raised_on).days + 5)
        closed_on = min(today, action.raised_on + _days(took))
    escalated = rng.random() < (0.08 if is_open else 0.02)
    return {
        "id": _new_id(rng),
        "text": action.text,
        "owner": action.owner,
        "due_on": action.due_on.isoformat(),
        "status": status,
        "source_kind": action.source_kind,
        "source_id": action.source_id,
        "raised_on": action.raised_on.isoformat(),
        "closed_on": closed_on.isoformat() if closed_on else None,
        "escalated": int(escalated),
        "escalation_reason": rng.choice(_ESCALATIONS) if escalated else "",
        "written_by": action.written_by,
    }

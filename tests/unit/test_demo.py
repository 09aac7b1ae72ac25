"""The generated wards: the demo ward is believable (measures in every band, two years of
values with three still missing this week, ideas in every status with PDSA cycles that match,
a year of huddles, open and overdue actions, no patient identifiers), deterministic for a seed
and clock, and the benchmark ward has exactly the sizes it promises."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from huddle_board import privacy
from huddle_board.clock import FixedClock
from huddle_board.db import commands, open_store, queries
from huddle_board.db.migrations import SYNCED_TABLES
from huddle_board.demo import IMPROVED_WEEKS_AGO, build_benchmark_ward, build_demo_ward
from huddle_board.model import AGENDAS, BANDS, IDEA_STATUSES, ROLES, Measure

NOW = dt.datetime(2026, 11, 26, 9, 0)
TODAY = NOW.date()
MONDAY = dt.date(2026, 11, 23)
WEEKS = 104
BOARD_TABLES = ("ward", *SYNCED_TABLES.values(), "outbox")

# Free-text columns, with the TEXT_LIMITS field that commands would check them against.
TEXT_COLUMNS: dict[str, dict[str, str]] = {
    "measures": {"name": "measure name", "unit": "unit"},
    "ideas": {"title": "title", "problem": "problem"},
    "pdsa_cycles": {"plan": "plan", "prediction": "prediction", "do": "do", "study": "study"},
    "actions": {"text": "action", "escalation_reason": "escalation reason"},
}


def rows(db: Database, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def fresh(path: Path) -> Database:
    db, health = open_store(path)
    assert health.ok
    return db


def dump(db: Database) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
        for table in BOARD_TABLES
    }


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Database:
    db = fresh(tmp_path_factory.mktemp("demo") / "demo.db")
    build_demo_ward(db, clock=FixedClock(NOW))
    return db


@pytest.fixture(scope="module")
def measures(demo: Database) -> list[Measure]:
    return queries.measures(demo)


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Database, float]:
    db = fresh(tmp_path_factory.mktemp("bench") / "bench.db")
    started = time.perf_counter()
    build_benchmark_ward(db, clock=FixedClock(NOW))
    return db, time.perf_counter() - started


# -- measures and values ---------------------------------------------------------------------


def test_demo_ward_is_named(demo: Database) -> None:
    ward = queries.ward(demo)
    assert ward is not None
    assert (ward.code, ward.name) == ("DEMO-7A", "Ward 7A Respiratory")


def test_demo_has_about_twelve_measures_in_all_three_bands(measures: list[Measure]) -> None:
    assert 12 <= len(measures) <= 14
    assert {measure.band for measure in measures} == set(BANDS)
    assert [measure.position for measure in measures] == list(range(len(measures)))
    assert all(measure.owner for measure in measures)
    names = {measure.name: measure for measure in measures}
    falls = names["Falls per 1,000 occupied bed days"]
    assert (falls.is_ratio, falls.ratio_scale, falls.improvement) == (True, 1000.0, "decrease")
    cost = names["Cost per patient per week"]
    assert (cost.is_ratio, cost.unit, cost.improvement) == (True, "£", "decrease")
    assert names["Direct care time"].every_n_weeks == 8
    assert names["Sickness absence"].target == 4.0
    assert {m.improvement for m in measures} == {"increase", "decrease"}


def test_demo_values_cover_104_weeks_ending_this_week(
    demo: Database, measures: list[Measure]
) -> None:
    weeks = [MONDAY - dt.timedelta(weeks=n) for n in range(WEEKS)]
    for measure in measures:
        recorded = {week for week, _value in queries.measure_series(demo, measure.id)}
        due = {week for week in weeks if measure.due_in(week)}
        assert recorded <= due, measure.name
        assert due - recorded <= {MONDAY}, measure.name
    sampled = [m for m in measures if m.every_n_weeks > 1]
    assert sampled and all(11 <= len(queries.measure_series(demo, m.id)) <= 14 for m in sampled)
    oldest = demo.execute("SELECT MIN(week) FROM week_values").fetchone()[0]
    assert oldest == weeks[-1].isoformat()


def test_demo_values_are_plausible(demo: Database, measures: list[Measure]) -> None:
    for measure in measures:
        found = rows(demo, "SELECT * FROM week_values WHERE measure_id = ?", [measure.id])
        for row in found:
            value = row["value"]
            assert value >= 0, measure.name
            if measure.unit == "%":
                assert value <= 100, measure.name
            if measure.unit == "0–10":
                assert value <= 10, measure.name
            if measure.is_ratio:
                assert row["denominator"] > 0
                assert value == pytest.approx(
                    row["numerator"] / row["denominator"] * measure.ratio_scale
                )
                assert row["numerator"] == round(row["numerator"])
            else:
                assert row["numerator"] is None and row["denominator"] is None
                assert value == round(value, measure.decimals), measure.name
        spread = statistics.pstdev(row["value"] for row in found)
        assert spread > 0, f"{measure.name} has no noise"


def test_demo_leaves_some_measures_missing_this_week(demo: Database) -> None:
    missing = queries.box_score(demo, MONDAY).missing()
    assert 2 <= len(missing) <= 3
    assert all(measure.owner for measure in missing)


def _mean(demo: Database, measures: list[Measure], name: str, first: int, last: int) -> float:
    """Mean value of a measure from `first` weeks ago to `last` weeks ago (inclusive)."""
    measure = next(m for m in measures if m.name == name)
    since, until = MONDAY - dt.timedelta(weeks=first), MONDAY - dt.timedelta(weeks=last)
    series = queries.measure_series(demo, measure.id)
    return statistics.fmean(value for week, value in series if since <= week <= until)


def test_demo_shows_a_sustained_improvement(demo: Database, measures: list[Measure]) -> None:
    before = IMPROVED_WEEKS_AGO + 1
    cost_before = _mean(demo, measures, "Cost per patient per week", before + 40, before)
    cost_after = _mean(demo, measures, "Cost per patient per week", IMPROVED_WEEKS_AGO, 0)
    assert 0.08 < 1 - cost_after / cost_before < 0.16
    falls = "Falls per 1,000 occupied bed days"
    falls_before = _mean(demo, measures, falls, before + 40, before)
    assert _mean(demo, measures, falls, IMPROVED_WEEKS_AGO, 0) < 0.85 * falls_before
    adopted = queries.ideas(demo, ["adopted"])["adopted"]
    linked = {idea.measure_id for idea in adopted}
    assert {m.id for m in measures if m.name in (falls, "Cost per patient per week")} <= linked


# -- ideas and PDSA cycles -------------------------------------------------------------------


def test_demo_has_about_forty_ideas_in_every_status(demo: Database) -> None:
    counts = queries.idea_counts(demo)
    assert set(counts) == set(IDEA_STATUSES)
    assert sum(counts.values()) == 40
    ideas = rows(demo, "SELECT * FROM ideas")
    assert len({idea["title"] for idea in ideas}) == 40
    assert any(idea["measure_id"] for idea in ideas)
    assert any(idea["measure_id"] is None for idea in ideas)
    assert {idea["impact"] for idea in ideas} == {"high", "low", None}
    for idea in ideas:
        raised = dt.date.fromisoformat(idea["raised_on"])
        assert TODAY - dt.timedelta(days=365) <= raised <= TODAY
        assert idea["raised_on"] <= idea["status_changed_on"] <= TODAY.isoformat()


EXPECTED_LAST_ACT = {"in_test": None, "adopted": "adopt", "abandoned": "abandon"}


def test_demo_pdsa_cycles_match_idea_status(demo: Database) -> None:
    cycles: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for cycle in rows(demo, "SELECT * FROM pdsa_cycles ORDER BY idea_id, number"):
        cycles[cycle["idea_id"]].append(cycle)
    for idea in rows(demo, "SELECT * FROM ideas"):
        found = cycles.get(idea["id"], [])
        status = idea["status"]
        if status in ("new", "parked"):
            assert found == [], idea["title"]
            continue
        assert found, idea["title"]
        assert [c["number"] for c in found] == list(range(1, len(found) + 1))
        assert all(c["act"] == "adapt" for c in found[:-1])
        assert found[-1]["act"] == EXPECTED_LAST_ACT[status]
        _check_cycle_dates(idea, found)
    acts = Counter(c["act"] for found in cycles.values() for c in found)
    assert acts["adapt"] >= 3


def _check_cycle_dates(idea: dict[str, Any], cycles: list[dict[str, Any]]) -> None:
    previous = idea["raised_on"]
    for cycle in cycles:
        assert previous <= cycle["started_on"] <= TODAY.isoformat()
        assert cycle["plan"] and cycle["prediction"]
        if cycle["act"] is None:
            assert cycle["finished_on"] is None and cycle["study"] == ""
        else:
            assert cycle["started_on"] < cycle["finished_on"] <= TODAY.isoformat()
            assert cycle["do"] and cycle["study"]
        previous = cycle["finished_on"] or cycle["started_on"]


# -- huddles and actions ---------------------------------------------------------------------


def test_demo_has_a_year_of_daily_and_weekly_huddles(demo: Database) -> None:
    huddles = rows(demo, "SELECT * FROM huddles")
    daily = [h for h in huddles if h["kind"] == "daily"]
    weekly = [h for h in huddles if h["kind"] == "weekly"]
    assert 330 <= len(daily) <= 365
    assert len({h["held_on"] for h in daily}) == len(daily)
    assert len(weekly) in (52, 53)
    assert len({dt.date.fromisoformat(h["held_on"]).isocalendar()[:2] for h in weekly}) == len(
        weekly
    )
    assert all(
        TODAY - dt.timedelta(days=365) <= dt.date.fromisoformat(h["held_on"]) < TODAY
        for h in huddles
    )
    assert all(h["closed"] == 1 for h in huddles)


@pytest.mark.parametrize(("kind", "timer"), [("daily", 600), ("weekly", 900)])
def test_demo_huddle_records_are_complete(demo: Database, kind: str, timer: int) -> None:
    huddles = rows(demo, "SELECT * FROM huddles WHERE kind = ?", [kind])
    sections = {key for key, _title in AGENDAS[kind]}  # type: ignore[index]
    for huddle in huddles:
        attendance = json.loads(huddle["attendance"])
        assert set(attendance) == set(ROLES)
        assert attendance["nurse"] >= 1
        assert set(json.loads(huddle["notes"])) == sections
        assert huddle["lead"].isalpha() and huddle["lead"].isupper()
        assert json.dumps(attendance, sort_keys=True) == huddle["attendance"]
    durations = [h["duration_s"] for h in huddles]
    assert 0.7 * timer < statistics.median(durations) < 1.05 * timer
    assert 0.05 < sum(d > timer for d in durations) / len(durations) < 0.5
    notes = [text for h in huddles for text in json.loads(h["notes"]).values()]
    assert "" in notes and len(set(notes)) > 10


def test_demo_has_open_and_overdue_actions(demo: Database) -> None:
    open_count, overdue = queries.action_counts(demo, TODAY)
    assert 15 <= open_count <= 25
    assert 1 <= overdue < open_count / 2
    actions = rows(demo, "SELECT * FROM actions")
    raised_from = Counter(action["source_kind"] for action in actions)
    assert raised_from["idea"] >= 3 and raised_from["huddle"] > 100
    huddles_with_actions = {a["source_id"] for a in actions if a["source_kind"] == "huddle"}
    share = len(huddles_with_actions) / demo.execute("SELECT COUNT(*) FROM huddles").fetchone()[0]
    assert 0.2 < share < 0.45
    for action in actions:
        due = dt.date.fromisoformat(action["due_on"])
        raised = dt.date.fromisoformat(action["raised_on"])
        assert 1 <= (due - raised).days <= 14 and raised < TODAY
        if action["status"] == "open":
            assert action["closed_on"] is None
        else:
            assert action["raised_on"] <= action["closed_on"] <= TODAY.isoformat()


def test_demo_action_sources_exist(demo: Database) -> None:
    for kind, table in (("huddle", "huddles"), ("idea", "ideas")):
        missing = demo.execute(
            f"SELECT COUNT(*) FROM actions WHERE source_kind = ? "
            f"AND source_id NOT IN (SELECT id FROM {table})",
            [kind],
        ).fetchone()[0]
        assert missing == 0
    labels = {action.source_label for action in queries.open_actions(demo, TODAY)}
    assert all(label.startswith(("Daily huddle", "Weekly huddle", "Idea: ")) for label in labels)


# -- privacy, outbox, determinism ------------------------------------------------------------


def _free_texts(db: Database) -> list[tuple[str, str, str]]:
    """(table.column, commands field, text) for every free-text value in the store."""
    found = [("ward.name", "ward name", db.execute("SELECT name FROM ward").fetchone()[0])]
    for table, columns in TEXT_COLUMNS.items():
        for row in rows(db, f"SELECT {', '.join(columns)} FROM {table}"):
            found += [(f"{table}.{c}", field, row[c]) for c, field in columns.items()]
    for row in rows(db, "SELECT notes FROM huddles"):
        found += [("huddles.notes", "note", text) for text in json.loads(row["notes"]).values()]
    return found


def test_demo_free_text_holds_no_patient_identifiers(demo: Database) -> None:
    texts = _free_texts(demo)
    assert len(texts) > 2000
    for where, field, text in texts:
        assert privacy.find_identifiers(text) == [], (where, text)
        assert privacy.find_warnings(text) == [], (where, text)
        assert commands.check_text(text, field) == text, (where, text)


def test_demo_every_row_is_queued_for_sync_at_rev_1(demo: Database) -> None:
    total = 0
    for entity, table in SYNCED_TABLES.items():
        count = demo.execute(f"SELECT COUNT(*) FROM {table} WHERE rev = 1").fetchone()[0]
        queued = demo.execute(
            f"SELECT COUNT(*) FROM outbox JOIN {table} ON {table}.id = outbox.entity_id "
            "WHERE outbox.entity = ? AND outbox.rev = 1",
            [entity],
        ).fetchone()[0]
        assert queued == count > 0, entity
        total += count
    assert demo.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == total
    assert {row[0] for row in demo.execute("SELECT DISTINCT ward FROM ideas")} == {"DEMO-7A"}


def test_demo_is_deterministic_for_a_seed_and_clock(tmp_path: Path) -> None:
    built = []
    for name in ("one", "two"):
        db = fresh(tmp_path / f"{name}.db")
        build_demo_ward(db, clock=FixedClock(NOW))
        built.append(dump(db))
        db.close()
    assert built[0] == built[1]
    other = fresh(tmp_path / "other.db")
    build_demo_ward(other, clock=FixedClock(NOW), seed=8)
    assert dump(other)["week_values"] != built[0]["week_values"]


def test_demo_builds_quickly(tmp_path: Path) -> None:
    db = fresh(tmp_path / "timed.db")
    started = time.perf_counter()
    build_demo_ward(db, clock=FixedClock(NOW))
    assert time.perf_counter() - started < 3.0


def test_demo_takes_a_code_and_a_length(tmp_path: Path) -> None:
    db = fresh(tmp_path / "short.db")
    build_demo_ward(db, code="RAI-7B", weeks=10, clock=FixedClock(NOW))
    ward = queries.ward(db)
    assert ward is not None and ward.code == "RAI-7B" and "RAI-7B" in ward.name
    weeks = db.execute("SELECT COUNT(DISTINCT week), MIN(week) FROM week_values").fetchone()
    assert weeks == (10, (MONDAY - dt.timedelta(weeks=9)).isoformat())
    assert {row[0] for row in db.execute("SELECT DISTINCT ward FROM actions")} == {"RAI-7B"}


def test_demo_refuses_a_store_that_already_has_data(demo: Database) -> None:
    before = dump(demo)
    with pytest.raises(ValueError, match="empty store"):
        build_demo_ward(demo, clock=FixedClock(NOW))
    assert dump(demo) == before


# -- the benchmark ward ----------------------------------------------------------------------


def test_benchmark_ward_has_exact_sizes(bench: tuple[Database, float]) -> None:
    db, _seconds = bench
    count = {
        table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        for table in SYNCED_TABLES.values()
    }
    assert count["measures"] == 15
    assert count["week_values"] == 260 * 15
    assert count["huddles"] == 1800
    assert count["ideas"] == 2000
    assert count["actions"] == 10_000
    per_measure = db.execute(
        "SELECT COUNT(*), COUNT(DISTINCT week) FROM week_values GROUP BY measure_id"
    ).fetchall()
    assert set(per_measure) == {(260, 260)}
    assert {m.band for m in queries.measures(db)} == set(BANDS)


def test_benchmark_ward_is_mostly_closed(bench: tuple[Database, float]) -> None:
    db, _seconds = bench
    open_count, overdue = queries.action_counts(db, TODAY)
    assert 100 <= open_count <= 500
    assert 0 < overdue < open_count
    assert set(queries.idea_counts(db)) == set(IDEA_STATUSES)
    kinds = dict(db.execute("SELECT kind, COUNT(*) FROM huddles GROUP BY kind").fetchall())
    assert kinds == {"daily": 1540, "weekly": 260}
    span = db.execute("SELECT MIN(held_on), MAX(held_on) FROM huddles").fetchone()
    assert span[1] < TODAY.isoformat() and span[0] >= (TODAY - dt.timedelta(days=1826)).isoformat()


def test_benchmark_ward_builds_in_a_few_seconds(bench: tuple[Database, float]) -> None:
    _db, seconds = bench
    assert seconds < 10.0

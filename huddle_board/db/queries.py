"""Reads from the local store, returned as model objects: screens never see rows or SQL.
Tombstoned rows (deleted = 1) are never returned."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from huddle_board.db.connection import Reader

from huddle_board.db.migrations import SYNCED_TABLES
from huddle_board.model import (
    Action,
    BoxScore,
    Huddle,
    Idea,
    IdeaStatus,
    Measure,
    MeasureRebase,
    MeasureRow,
    MeasureSeries,
    PdsaCycle,
    PdsaStart,
    Ward,
    WeekValue,
    iso_week_label,
    week_start,
)

SPARK_WEEKS = 26


def _rows(db: Reader, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def table_versions(db: Reader, tables: Sequence[str]) -> tuple[tuple[int, int], ...]:
    """Rows and the sum of their revs, per synced table: every write adds a row or raises a
    rev (tombstones included), so this changes with any write to `tables`, and costs one scan
    in SQLite, not the building of every row's model object."""
    unknown = set(tables) - set(SYNCED_TABLES.values())
    if unknown:
        raise ValueError(f"not a synced table: {sorted(unknown)}")
    sql = " UNION ALL ".join(
        f"SELECT COUNT(*), COALESCE(SUM(rev), 0) FROM {table}" for table in tables
    )
    return tuple((int(rows), int(revs)) for rows, revs in db.execute(sql).fetchall())


def ward(db: Reader) -> Ward | None:
    for row in _rows(db, "SELECT code, name FROM ward LIMIT 1"):
        return Ward(code=row["code"], name=row["name"])
    return None


def _measure(row: dict[str, Any]) -> Measure:
    return Measure(
        id=row["id"],
        name=row["name"],
        band=row["band"],
        unit=row["unit"],
        decimals=row["decimals"],
        improvement=row["improvement"],
        target=row["target"],
        owner=row["owner"],
        every_n_weeks=row["every_n_weeks"],
        is_ratio=bool(row["is_ratio"]),
        ratio_scale=row["ratio_scale"],
        position=row["position"],
        rev=row["rev"],
        rebases=_rebases(row.get("rebases")),
    )


def _rebases(text: str | None) -> tuple[MeasureRebase, ...]:
    """The measure's rebases from their JSON (oldest first); an entry that is not a week
    with a reason (a damaged or hand-edited row) is left out, never fatal."""
    if not text or text == "[]":
        return ()
    try:
        found = json.loads(text)
    except json.JSONDecodeError:
        return ()
    rebases = []
    for item in found if isinstance(found, list) else ():
        try:
            week = week_start(dt.date.fromisoformat(item["week"]))
            rebases.append(MeasureRebase(week, str(item["reason"])))
        except (TypeError, KeyError, ValueError):
            continue
    return tuple(sorted(rebases, key=lambda rebase: rebase.week))


def measures(db: Reader) -> list[Measure]:
    sql = "SELECT * FROM measures WHERE deleted = 0 ORDER BY position, name"
    return [_measure(row) for row in _rows(db, sql)]


def box_score(db: Reader, current_week: dt.date, weeks: int = 8) -> BoxScore:
    """The box score for the `weeks` ISO weeks ending with `current_week` (a Monday), with a
    longer history per measure for its trend sparkline. Missing values stay None."""
    shown = tuple(current_week - dt.timedelta(weeks=n) for n in range(weeks - 1, -1, -1))
    since = current_week - dt.timedelta(weeks=max(weeks, SPARK_WEEKS) - 1)
    found: dict[str, dict[dt.date, float | None]] = {}
    sql = (
        "SELECT measure_id, week, value FROM week_values "
        "WHERE deleted = 0 AND week BETWEEN ? AND ? ORDER BY week"
    )
    for row in _rows(db, sql, [since.isoformat(), current_week.isoformat()]):
        found.setdefault(row["measure_id"], {})[dt.date.fromisoformat(row["week"])] = row["value"]
    rows = []
    for measure in measures(db):
        values = found.get(measure.id, {})
        history = tuple(v for v in values.values() if v is not None)
        rows.append(MeasureRow(measure, {week: values.get(week) for week in shown}, history))
    return BoxScore(weeks=shown, rows=tuple(rows))


def week_values(db: Reader, week: dt.date) -> dict[str, WeekValue]:
    """Per measure id, what was recorded for one week (to prefill the week's form)."""
    sql = "SELECT * FROM week_values WHERE deleted = 0 AND week = ?"
    return {
        row["measure_id"]: WeekValue(
            id=row["id"],
            measure_id=row["measure_id"],
            week=week,
            value=row["value"],
            numerator=row["numerator"],
            denominator=row["denominator"],
            written_by=row["written_by"],
            rev=row["rev"],
        )
        for row in _rows(db, sql, [week.isoformat()])
    }


def measure_series(db: Reader, measure_id: str) -> list[tuple[dt.date, float]]:
    sql = (
        "SELECT week, value FROM week_values WHERE deleted = 0 AND measure_id = ? "
        "AND value IS NOT NULL ORDER BY week"
    )
    return [
        (dt.date.fromisoformat(row["week"]), float(row["value"]))
        for row in _rows(db, sql, [measure_id])
    ]


def measure(db: Reader, measure_id: str) -> Measure | None:
    for row in _rows(db, "SELECT * FROM measures WHERE deleted = 0 AND id = ?", [measure_id]):
        return _measure(row)
    return None


def _weekly(
    measure: Measure, recorded: dict[dt.date, float | None], current_week: dt.date
) -> MeasureSeries:
    """Every week from the first recorded value to `current_week`, None where none is."""
    present = [week for week, value in recorded.items() if value is not None]
    if not present:
        return MeasureSeries(measure, (), ())
    first = min(present)
    count = max(0, (current_week - first).days // 7 + 1)
    weeks = tuple(first + dt.timedelta(weeks=n) for n in range(count))
    return MeasureSeries(measure, weeks, tuple(recorded.get(week) for week in weeks))


def measure_histories(db: Reader, current_week: dt.date) -> list[MeasureSeries]:
    """Every measure's whole weekly series up to `current_week` (a Monday), in board order,
    for its SPC: one read of the values, however many measures there are."""
    sql = (
        "SELECT measure_id, week, value FROM week_values "
        "WHERE deleted = 0 AND value IS NOT NULL AND week <= ?"
    )
    found: dict[str, dict[dt.date, float | None]] = {}
    for measure_id, week, value in db.execute(sql, [current_week.isoformat()]):
        found.setdefault(measure_id, {})[dt.date.fromisoformat(week)] = float(value)
    return [_weekly(m, found.get(m.id, {}), current_week) for m in measures(db)]


def measure_history(db: Reader, measure_id: str, current_week: dt.date) -> MeasureSeries | None:
    """One measure's whole weekly series up to `current_week`; None if it is gone."""
    found = measure(db, measure_id)
    if found is None:
        return None
    recorded: dict[dt.date, float | None] = {
        week: value for week, value in measure_series(db, measure_id) if week <= current_week
    }
    return _weekly(found, recorded, current_week)


def pdsa_starts(db: Reader, measure_id: str) -> list[PdsaStart]:
    """When each PDSA cycle of the ideas linked to a measure started, oldest first."""
    sql = (
        "SELECT c.started_on, i.title, c.number FROM pdsa_cycles c "
        "JOIN ideas i ON i.id = c.idea_id WHERE c.deleted = 0 AND i.deleted = 0 "
        "AND i.measure_id = ? ORDER BY c.started_on, i.title, c.number"
    )
    return [
        PdsaStart(dt.date.fromisoformat(started), str(title), int(number))
        for started, title, number in db.execute(sql, [measure_id])
    ]


def _idea(row: dict[str, Any]) -> Idea:
    return Idea(
        id=row["id"],
        title=row["title"],
        problem=row["problem"],
        raised_by=row["raised_by"],
        raised_on=dt.date.fromisoformat(row["raised_on"]),
        status=row["status"],
        owner=row["owner"],
        measure_id=row["measure_id"],
        impact=row["impact"],
        effort=row["effort"],
        pdsa_count=row["pdsa_count"],
        written_by=row["written_by"],
        rev=row["rev"],
    )


_IDEA_SQL = (
    "SELECT ideas.*, (SELECT COUNT(*) FROM pdsa_cycles p WHERE p.idea_id = ideas.id "
    "AND p.deleted = 0) AS pdsa_count FROM ideas WHERE deleted = 0"
)


def ideas(
    db: Reader, statuses: Sequence[IdeaStatus] | None = None, limit: int = 200
) -> dict[IdeaStatus, list[Idea]]:
    """Ideas grouped by status, newest first, at most `limit` per status."""
    wanted = list(statuses or ("new", "in_test", "adopted", "parked", "abandoned"))
    grouped: dict[IdeaStatus, list[Idea]] = {status: [] for status in wanted}
    for status in wanted:
        sql = _IDEA_SQL + " AND status = ? ORDER BY raised_on DESC, title LIMIT ?"
        grouped[status] = [_idea(row) for row in _rows(db, sql, [status, limit])]
    return grouped


def idea_counts(db: Reader) -> dict[IdeaStatus, int]:
    sql = "SELECT status, COUNT(*) AS n FROM ideas WHERE deleted = 0 GROUP BY status"
    return {cast(IdeaStatus, row["status"]): row["n"] for row in _rows(db, sql)}


def idea(db: Reader, idea_id: str) -> Idea | None:
    for row in _rows(db, _IDEA_SQL + " AND id = ?", [idea_id]):
        return _idea(row)
    return None


def _cycle(row: dict[str, Any]) -> PdsaCycle:
    return PdsaCycle(
        id=row["id"],
        idea_id=row["idea_id"],
        number=row["number"],
        plan=row["plan"],
        prediction=row["prediction"],
        do=row["do"],
        study=row["study"],
        act=row["act"],
        started_on=_date(row["started_on"]),
        finished_on=_date(row["finished_on"]),
        written_by=row["written_by"],
        rev=row["rev"],
    )


def pdsa_cycles(db: Reader, idea_id: str) -> list[PdsaCycle]:
    sql = "SELECT * FROM pdsa_cycles WHERE deleted = 0 AND idea_id = ? ORDER BY number"
    return [_cycle(row) for row in _rows(db, sql, [idea_id])]


def _huddle(row: dict[str, Any]) -> Huddle:
    return Huddle(
        id=row["id"],
        kind=row["kind"],
        held_on=dt.date.fromisoformat(row["held_on"]),
        started_at=row["started_at"],
        duration_s=row["duration_s"],
        lead=row["lead"],
        attendance=json.loads(row["attendance"]),
        notes=json.loads(row["notes"]),
        closed=bool(row["closed"]),
        written_by=row["written_by"],
        rev=row["rev"],
    )


def recent_huddles(db: Reader, limit: int = 30) -> list[Huddle]:
    sql = "SELECT * FROM huddles WHERE deleted = 0 ORDER BY held_on DESC, started_at DESC LIMIT ?"
    return [_huddle(row) for row in _rows(db, sql, [limit])]


def huddle(db: Reader, huddle_id: str) -> Huddle | None:
    for row in _rows(db, "SELECT * FROM huddles WHERE deleted = 0 AND id = ?", [huddle_id]):
        return _huddle(row)
    return None


def _action(row: dict[str, Any]) -> Action:
    return Action(
        id=row["id"],
        text=row["text"],
        owner=row["owner"],
        due_on=dt.date.fromisoformat(row["due_on"]),
        status=row["status"],
        source_kind=row["source_kind"],
        source_id=row["source_id"],
        source_label=row["source_label"] or "",
        raised_on=_date(row["raised_on"]),
        closed_on=_date(row["closed_on"]),
        escalated=bool(row["escalated"]),
        escalation_reason=row["escalation_reason"],
        written_by=row["written_by"],
        rev=row["rev"],
    )


# Actions with a readable label of where they came from (shared with the CSV export).
ACTION_SQL = """
    SELECT actions.*, CASE actions.source_kind
        WHEN 'huddle' THEN (SELECT CASE h.kind WHEN 'daily' THEN 'Daily huddle ' ELSE
            'Weekly huddle ' END || h.held_on FROM huddles h WHERE h.id = actions.source_id)
        WHEN 'idea' THEN (SELECT 'Idea: ' || i.title FROM ideas i WHERE i.id = actions.source_id)
        END AS source_label
    FROM actions WHERE deleted = 0
"""


def open_actions(db: Reader, today: dt.date, limit: int = 1000) -> list[Action]:
    """Open actions, overdue first (oldest due date first), then by due date."""
    sql = ACTION_SQL + " AND status = 'open' ORDER BY due_on < ? DESC, due_on, raised_on LIMIT ?"
    return [_action(row) for row in _rows(db, sql, [today.isoformat(), limit])]


def huddle_actions(db: Reader, huddle_id: str) -> list[Action]:
    sql = ACTION_SQL + " AND source_kind = 'huddle' AND source_id = ? ORDER BY raised_on"
    return [_action(row) for row in _rows(db, sql, [huddle_id])]


def action_counts(db: Reader, today: dt.date) -> tuple[int, int]:
    """(open, overdue) action counts."""
    row = db.execute(
        "SELECT COUNT(*), COALESCE(SUM(due_on < ?), 0) FROM actions "
        "WHERE deleted = 0 AND status = 'open'",
        [today.isoformat()],
    ).fetchone()
    return int(row[0]), int(row[1])


# -- what an entry is (the sync screen's list of entries set aside) -------------------------

_LABEL_SQL = {
    "measure": "SELECT id, deleted, name FROM measures WHERE id IN ({})",
    "week_value": (
        "SELECT v.id, v.deleted, m.name, v.week FROM week_values v "
        "LEFT JOIN measures m ON m.id = v.measure_id WHERE v.id IN ({})"
    ),
    "idea": "SELECT id, deleted, title FROM ideas WHERE id IN ({})",
    "pdsa_cycle": (
        "SELECT c.id, c.deleted, i.title, c.number FROM pdsa_cycles c "
        "LEFT JOIN ideas i ON i.id = c.idea_id WHERE c.id IN ({})"
    ),
    "huddle": "SELECT id, deleted, kind, held_on FROM huddles WHERE id IN ({})",
    "action": "SELECT id, deleted, text FROM actions WHERE id IN ({})",
}


def _words(entity: str, fields: Sequence[object]) -> str:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    if entity == "week_value":
        name, week = text(fields[0]) or "a measure", text(fields[1])
        with contextlib.suppress(ValueError):  # a week that is not a date is shown as it is
            week = iso_week_label(week_start(dt.date.fromisoformat(week)))
        return f"{name}, week {week}"
    if entity == "pdsa_cycle":
        return f"PDSA {text(fields[1])} of {text(fields[0]) or 'an idea'}"
    if entity == "huddle":
        return f"{text(fields[0]).capitalize()} huddle {text(fields[1])}"
    return text(fields[0])


def entry_labels(db: Reader, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """What each (entity, id) is in words: the idea's title, the measure's name, the action's
    text, "Daily huddle 2026-11-24", "Falls, week 2026-W47", "PDSA 2 of <idea>". A deleted
    row says so; a row the board does not hold is left out."""
    wanted: dict[str, list[str]] = {}
    for entity, entity_id in keys:
        if entity in _LABEL_SQL:
            wanted.setdefault(entity, []).append(entity_id)
    labels: dict[tuple[str, str], str] = {}
    for entity, ids in wanted.items():
        for start in range(0, len(ids), 500):  # below SQLite's limit on bound values
            chunk = ids[start : start + 500]
            sql = _LABEL_SQL[entity].format(", ".join("?" * len(chunk)))
            for row_id, deleted, *fields in db.execute(sql, chunk):
                words = _words(entity, fields)
                labels[(entity, row_id)] = f"(deleted) {words}" if deleted else words
    return labels


# -- week review (the coach's review of one week and its report-out) ---------------------------


def values_through(db: Reader, last_week: dt.date) -> dict[str, dict[dt.date, float]]:
    """Per measure id, every value recorded for the weeks up to and including `last_week`
    (a Monday), oldest first; missing weeks are absent, never zero."""
    sql = (
        "SELECT measure_id, week, value FROM week_values "
        "WHERE deleted = 0 AND value IS NOT NULL AND week <= ? ORDER BY week"
    )
    found: dict[str, dict[dt.date, float]] = {}
    for measure_id, week, value in db.execute(sql, [last_week.isoformat()]):
        found.setdefault(measure_id, {})[dt.date.fromisoformat(week)] = float(value)
    return found


def ideas_changed_between(db: Reader, first: dt.date, last: dt.date) -> list[tuple[Idea, dt.date]]:
    """Ideas whose status last changed from `first` to `last` (inclusive), with the day it
    changed, in the order they changed. A new idea counts: it was raised into 'new'."""
    sql = _IDEA_SQL + " AND status_changed_on BETWEEN ? AND ? ORDER BY status_changed_on, title"
    return [
        (_idea(row), dt.date.fromisoformat(row["status_changed_on"]))
        for row in _rows(db, sql, [first.isoformat(), last.isoformat()])
    ]


def idea_funnel(db: Reader, through: dt.date) -> tuple[dict[IdeaStatus, int], int]:
    """Ideas raised on or before `through`, counted by their status now; and how many of them
    have changed status since `through` (the store keeps no history of statuses)."""
    sql = (
        "SELECT status, COUNT(*), COALESCE(SUM(status_changed_on > ?), 0) FROM ideas "
        "WHERE deleted = 0 AND raised_on <= ? GROUP BY status"
    )
    counts: dict[IdeaStatus, int] = {}
    changed_since = 0
    for status, count, later in db.execute(sql, [through.isoformat(), through.isoformat()]):
        counts[cast(IdeaStatus, status)] = int(count)
        changed_since += int(later)
    return counts, changed_since


def cycles_between(db: Reader, first: dt.date, last: dt.date) -> list[tuple[PdsaCycle, str]]:
    """PDSA cycles started or finished from `first` to `last` (inclusive), or still open at
    the end of `last`, each with its idea's title; by start day, idea and number."""
    sql = (
        "SELECT c.*, i.title AS idea_title FROM pdsa_cycles c JOIN ideas i ON i.id = c.idea_id "
        "WHERE c.deleted = 0 AND i.deleted = 0 AND c.started_on <= ? AND ("
        "c.started_on >= ? OR c.finished_on IS NULL OR c.finished_on >= ?) "
        "ORDER BY c.started_on, i.title, c.number"
    )
    days = [last.isoformat(), first.isoformat(), first.isoformat()]
    return [(_cycle(row), str(row["idea_title"])) for row in _rows(db, sql, days)]


def huddles_between(db: Reader, first: dt.date, last: dt.date) -> list[Huddle]:
    """Huddles held from `first` to `last` (inclusive), in the order they were held."""
    sql = (
        "SELECT * FROM huddles WHERE deleted = 0 AND held_on BETWEEN ? AND ? "
        "ORDER BY held_on, started_at"
    )
    return [_huddle(row) for row in _rows(db, sql, [first.isoformat(), last.isoformat()])]


def actions_raised_between(db: Reader, first: dt.date, last: dt.date) -> list[Action]:
    """Actions raised from `first` to `last` (inclusive), in the order they were raised."""
    sql = ACTION_SQL + " AND raised_on BETWEEN ? AND ? ORDER BY raised_on, due_on, text"
    return [_action(row) for row in _rows(db, sql, [first.isoformat(), last.isoformat()])]


def actions_closed_between(db: Reader, first: dt.date, last: dt.date) -> list[Action]:
    """Actions done or dropped from `first` to `last` (inclusive), in the order they closed."""
    sql = (
        ACTION_SQL + " AND status != 'open' AND closed_on BETWEEN ? AND ? "
        "ORDER BY closed_on, raised_on, text"
    )
    return [_action(row) for row in _rows(db, sql, [first.isoformat(), last.isoformat()])]


def actions_open_at(db: Reader, day: dt.date) -> list[Action]:
    """Actions that were open at the end of `day`: raised by then and not closed by then
    (open now, or closed later); the longest overdue first."""
    sql = (
        ACTION_SQL + " AND raised_on <= ? AND (status = 'open' OR closed_on > ?) "
        "ORDER BY due_on, raised_on, text"
    )
    return [_action(row) for row in _rows(db, sql, [day.isoformat(), day.isoformat()])]

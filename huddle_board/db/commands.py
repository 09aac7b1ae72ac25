"""Every write to the local store. Each command checks its input, then in one BEGIN IMMEDIATE
transaction writes the row (rev + 1, tombstones instead of deletes) and its outbox row, so a
crash never leaves an entry that sync does not know about.

Free text passes `privacy.check_text` (identifiers and length) before anything is written.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board import privacy
from huddle_board.clock import Clock, utc_stamp
from huddle_board.db.connection import transaction
from huddle_board.db.migrations import SYNCED_TABLES
from huddle_board.model import (
    AGENDAS,
    BANDS,
    IDEA_STATUSES,
    ROLES,
    ActionStatus,
    HuddleKind,
    IdeaStatus,
    Measure,
    PdsaAct,
    week_start,
)

TEXT_LIMITS: dict[str, int] = {
    "title": 120,
    "problem": 1000,
    "plan": 1000,
    "prediction": 500,
    "do": 1000,
    "study": 1000,
    "action": 280,
    "note": 2000,
    "escalation reason": 280,
    "measure name": 80,
    "unit": 24,
    "ward name": 60,
    "rebase reason": 200,
}
_INITIALS = re.compile(r"^[A-Za-z]{2,4}$")
_WARD_CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{1,19}$")
MAX_HEADCOUNT = 99


class InvalidInput(ValueError):
    """Input a person typed that the board will not store; `message` says why, for the screen."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Author:
    """Who is writing and for which ward: stamped on every row written."""

    ward: str
    initials: str
    clock: Clock


def check_initials(text: str, field: str = "initials") -> str:
    """Initials are 2–4 letters; stored upper-case."""
    cleaned = text.strip()
    if not _INITIALS.match(cleaned):
        raise InvalidInput(field, f"{field.capitalize()} must be 2 to 4 letters, like 'JM'.")
    return cleaned.upper()


def check_text(text: str, field: str, *, required: bool = False) -> str:
    """Strip, refuse identifiers and over-long text, and require it where needed."""
    cleaned = text.strip()
    if required and not cleaned:
        raise InvalidInput(field, f"{field.capitalize()} is needed.")
    try:
        privacy.check_text(cleaned, field=field, max_length=TEXT_LIMITS[field])
    except privacy.TextRefused as refused:
        raise InvalidInput(field, refused.message) from refused
    return cleaned


def new_id() -> str:
    return str(uuid.uuid4())


def _queue(db: Database, entity: str, row_id: str, rev: int, stamp: str) -> None:
    db.execute(
        "INSERT INTO outbox (entity, entity_id, rev, queued_at) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (entity, entity_id) DO UPDATE SET rev = excluded.rev, "
        "queued_at = excluded.queued_at, set_aside = 0, reason = ''",
        [entity, row_id, rev, stamp],
    )


def _write(
    db: Database, author: Author, entity: str, row_id: str, values: Mapping[str, Any]
) -> int:
    """Insert or update one syncable row inside the caller's transaction; returns its rev."""
    table = SYNCED_TABLES[entity]
    stamp = utc_stamp(author.clock)
    current = db.execute(f"SELECT rev, ward FROM {table} WHERE id = ?", [row_id]).fetchone()
    if current is None:
        rev = 1
        row = {"id": row_id, "ward": author.ward, "rev": rev, "updated_at": stamp}
        row.update(deleted=0, written_by=author.initials)
        row.update(values)
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        db.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
    else:
        if current[1] != author.ward:
            raise InvalidInput("ward", f"That {entity} belongs to ward {current[1]}.")
        rev = int(current[0]) + 1
        changes = {**values, "rev": rev, "updated_at": stamp, "written_by": author.initials}
        sets = ", ".join(f"{name} = ?" for name in changes)
        db.execute(f"UPDATE {table} SET {sets} WHERE id = ?", [*changes.values(), row_id])
    _queue(db, entity, row_id, rev, stamp)
    return rev


def _require(db: Database, entity: str, row_id: str) -> dict[str, Any]:
    table = SYNCED_TABLES[entity]
    cursor = db.execute(f"SELECT * FROM {table} WHERE id = ? AND deleted = 0", [row_id])
    row = cursor.fetchone()
    if row is None:
        raise InvalidInput(entity, f"That {entity.replace('_', ' ')} no longer exists.")
    return dict(zip([c[0] for c in cursor.description], row, strict=True))


def delete(db: Database, author: Author, entity: str, row_id: str) -> int:
    """Tombstone a row: it stays in the table (and syncs) with deleted = 1."""
    with transaction(db):
        _require(db, entity, row_id)
        return _write(db, author, entity, row_id, {"deleted": 1})


# -- ward and measures ---------------------------------------------------------------------


def set_ward(db: Database, code: str, name: str, clock: Clock) -> None:
    """Name the ward this kiosk serves (one ward per store)."""
    code = code.strip().upper()
    if not _WARD_CODE.match(code):
        raise InvalidInput("ward code", "A ward code is 2–20 letters, digits or dashes.")
    name = check_text(name, "ward name", required=True)
    with transaction(db):
        db.execute("DELETE FROM ward WHERE code != ?", [code])
        db.execute(
            "INSERT INTO ward (code, name, created_at) VALUES (?, ?, ?) "
            "ON CONFLICT (code) DO UPDATE SET name = excluded.name",
            [code, name, utc_stamp(clock)],
        )


@dataclass(frozen=True)
class MeasureSpec:
    name: str
    band: str
    unit: str
    decimals: int
    improvement: str
    target: float | None = None
    owner: str | None = None
    every_n_weeks: int = 1
    is_ratio: bool = False
    ratio_scale: float = 1.0


def _measure_values(spec: MeasureSpec, position: int) -> dict[str, Any]:
    if spec.band not in BANDS:
        raise InvalidInput("band", f"Band must be one of {', '.join(BANDS)}.")
    if spec.improvement not in ("increase", "decrease", "neutral"):
        raise InvalidInput("improvement", "Improvement must be increase, decrease or neutral.")
    if not 0 <= spec.decimals <= 4 or spec.every_n_weeks < 1 or spec.ratio_scale <= 0:
        raise InvalidInput("measure", "Decimals 0–4, every N weeks ≥ 1, ratio scale > 0.")
    return {
        "name": check_text(spec.name, "measure name", required=True),
        "band": spec.band,
        "unit": check_text(spec.unit, "unit"),
        "decimals": spec.decimals,
        "improvement": spec.improvement,
        "target": spec.target,
        "owner": check_initials(spec.owner, "owner") if spec.owner else None,
        "every_n_weeks": spec.every_n_weeks,
        "is_ratio": int(spec.is_ratio),
        "ratio_scale": spec.ratio_scale,
        "position": position,
    }


def add_measure(db: Database, author: Author, spec: MeasureSpec) -> str:
    with transaction(db):
        position = db.execute("SELECT COUNT(*) FROM measures").fetchone()[0]
        row_id = new_id()
        _write(db, author, "measure", row_id, _measure_values(spec, int(position)))
    return row_id


def edit_measure(db: Database, author: Author, measure_id: str, spec: MeasureSpec) -> int:
    """Change a measure's definition (name, band, target, …); it keeps its place and its
    values. A ratio measure cannot become a plain one, or back, once it has values: they were
    entered as the other kind. Returns the new rev."""
    with transaction(db):
        current = _require(db, "measure", measure_id)
        if bool(current["is_ratio"]) != spec.is_ratio:
            has_values = db.execute(
                "SELECT 1 FROM week_values WHERE measure_id = ? AND deleted = 0 LIMIT 1",
                [measure_id],
            ).fetchone()
            if has_values:
                raise InvalidInput(
                    "ratio",
                    "This measure has values entered as "
                    f"{'a ratio' if current['is_ratio'] else 'single figures'}: it cannot "
                    "change kind. Add a new measure instead.",
                )
        values = _measure_values(spec, int(current["position"]))
        return _write(db, author, "measure", measure_id, values)


def _stored_rebases(measure: Mapping[str, Any]) -> list[dict[str, str]]:
    try:
        found = json.loads(measure.get("rebases") or "[]")
    except json.JSONDecodeError:
        return []
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _rebases_column(rebases: list[dict[str, str]]) -> dict[str, str]:
    return {"rebases": json.dumps(rebases, ensure_ascii=False)}


def add_rebase(db: Database, author: Author, measure_id: str, week: dt.date, reason: str) -> int:
    """Work a measure's mean and limits out afresh from the ISO week holding `week`, for
    `reason` (required, checked for identifiers); returns the measure's new rev. A week that
    already has a rebase is refused: remove it first."""
    reason = check_text(reason, "rebase reason", required=True)
    monday = week_start(week).isoformat()
    with transaction(db):
        measure = _require(db, "measure", measure_id)
        rebases = _stored_rebases(measure)
        if any(item.get("week") == monday for item in rebases):
            raise InvalidInput(
                "rebase", f"The week of {week_start(week):%d %b %Y} is already a rebase."
            )
        rebases.append({"week": monday, "reason": reason})
        rebases.sort(key=lambda item: str(item.get("week")))
        return _write(db, author, "measure", measure_id, _rebases_column(rebases))


def remove_rebase(db: Database, author: Author, measure_id: str, week: dt.date) -> int:
    """Take away the rebase at the ISO week holding `week`; returns the measure's new rev."""
    monday = week_start(week).isoformat()
    with transaction(db):
        measure = _require(db, "measure", measure_id)
        rebases = _stored_rebases(measure)
        kept = [item for item in rebases if item.get("week") != monday]
        if len(kept) == len(rebases):
            raise InvalidInput(
                "rebase", f"The week of {week_start(week):%d %b %Y} is not a rebase."
            )
        return _write(db, author, "measure", measure_id, _rebases_column(kept))


# -- week values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekEntry:
    """One measure's figure for a week as typed: a value, or numerator and denominator for a
    ratio measure; all None means 'not known yet' (a missing value, never zero)."""

    measure_id: str
    value: float | None = None
    numerator: float | None = None
    denominator: float | None = None


def _entry_value(measure: Mapping[str, Any], entry: WeekEntry) -> float | None:
    name = str(measure["name"])
    if measure["is_ratio"]:
        if entry.numerator is None and entry.denominator is None:
            return None
        if entry.numerator is None or entry.denominator is None:
            raise InvalidInput(name, f"{name}: give both the numerator and the denominator.")
        if entry.denominator <= 0:
            raise InvalidInput(name, f"{name}: the denominator must be above 0.")
        if entry.numerator < 0:
            raise InvalidInput(name, f"{name}: the numerator cannot be negative.")
        value: float | None = entry.numerator / entry.denominator * float(measure["ratio_scale"])
    else:
        value = entry.value
    if value is None:
        return None
    if not math.isfinite(value) or value < 0:
        raise InvalidInput(name, f"{name}: {value} is not a possible value.")
    if measure["unit"] == "%" and value > 100:
        raise InvalidInput(name, f"{name}: a percentage cannot be above 100.")
    return value


def record_week_values(
    db: Database, author: Author, week: dt.date, entries: Sequence[WeekEntry]
) -> int:
    """Record a week's figures in one transaction; returns how many rows changed. Unchanged
    values are left alone; a cleared value becomes a tombstone (missing again)."""
    monday = week_start(week)
    changed = 0
    with transaction(db):
        for entry in entries:
            measure = _require(db, "measure", entry.measure_id)
            value = _entry_value(measure, entry)
            existing = db.execute(
                "SELECT id, value, numerator, denominator, deleted FROM week_values "
                "WHERE measure_id = ? AND week = ?",
                [entry.measure_id, monday.isoformat()],
            ).fetchone()
            numbers = (value, entry.numerator, entry.denominator)
            if existing is None and value is None:
                continue
            if existing is not None and (
                (existing[4] == 1 and value is None)
                or (existing[4] == 0 and existing[1:4] == numbers)
            ):
                continue
            row_id = existing[0] if existing is not None else new_id()
            values: dict[str, Any] = {
                "measure_id": entry.measure_id,
                "week": monday.isoformat(),
                "value": value,
                "numerator": entry.numerator if measure["is_ratio"] else None,
                "denominator": entry.denominator if measure["is_ratio"] else None,
                "deleted": int(value is None),
            }
            _write(db, author, "week_value", row_id, values)
            changed += 1
    return changed


# -- ideas and PDSA cycles -------------------------------------------------------------------


@dataclass(frozen=True)
class IdeaDraft:
    title: str
    problem: str = ""
    owner: str | None = None
    measure_id: str | None = None
    impact: str | None = None
    effort: str | None = None


def _idea_values(db: Database, draft: IdeaDraft) -> dict[str, Any]:
    if draft.impact not in (None, "high", "low") or draft.effort not in (None, "easy", "hard"):
        raise InvalidInput("pick", "Impact is high or low; effort is easy or hard.")
    if draft.measure_id is not None:
        _require(db, "measure", draft.measure_id)
    return {
        "title": check_text(draft.title, "title", required=True),
        "problem": check_text(draft.problem, "problem"),
        "owner": check_initials(draft.owner, "owner") if draft.owner else None,
        "measure_id": draft.measure_id,
        "impact": draft.impact,
        "effort": draft.effort,
    }


def add_idea(db: Database, author: Author, draft: IdeaDraft) -> str:
    today = author.clock.today().isoformat()
    row_id = new_id()
    with transaction(db):
        values = _idea_values(db, draft)
        values.update(
            raised_by=author.initials, raised_on=today, status="new", status_changed_on=today
        )
        _write(db, author, "idea", row_id, values)
    return row_id


def edit_idea(db: Database, author: Author, idea_id: str, draft: IdeaDraft) -> int:
    with transaction(db):
        _require(db, "idea", idea_id)
        return _write(db, author, "idea", idea_id, _idea_values(db, draft))


def set_idea_status(db: Database, author: Author, idea_id: str, status: IdeaStatus) -> int:
    if status not in IDEA_STATUSES:
        raise InvalidInput("status", f"Unknown idea status {status!r}.")
    with transaction(db):
        idea = _require(db, "idea", idea_id)
        if idea["status"] == status:
            return int(idea["rev"])
        values = {"status": status, "status_changed_on": author.clock.today().isoformat()}
        return _write(db, author, "idea", idea_id, values)


def start_pdsa_cycle(db: Database, author: Author, idea_id: str, plan: str, prediction: str) -> str:
    """Plan a new PDSA cycle (with its prediction); the idea is then 'in test'."""
    plan = check_text(plan, "plan", required=True)
    prediction = check_text(prediction, "prediction", required=True)
    row_id = new_id()
    today = author.clock.today().isoformat()
    with transaction(db):
        idea = _require(db, "idea", idea_id)
        number = db.execute(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM pdsa_cycles WHERE idea_id = ?", [idea_id]
        ).fetchone()[0]
        values = {"idea_id": idea_id, "number": int(number), "plan": plan}
        values.update(prediction=prediction, started_on=today)
        _write(db, author, "pdsa_cycle", row_id, values)
        if idea["status"] != "in_test":
            _write(db, author, "idea", idea_id, {"status": "in_test", "status_changed_on": today})
    return row_id


_ACT_STATUS: dict[str, IdeaStatus] = {"adopt": "adopted", "abandon": "abandoned"}


def record_pdsa_result(
    db: Database,
    author: Author,
    cycle_id: str,
    do: str,
    study: str,
    act: PdsaAct | None,
) -> int:
    """Record Do and Study, and Act when decided: adopt or abandon settles the idea; adapt
    closes this cycle and leaves the idea in test for the next one."""
    if act not in (None, "adopt", "adapt", "abandon"):
        raise InvalidInput("act", "Act is adopt, adapt or abandon.")
    values: dict[str, Any] = {"do": check_text(do, "do"), "study": check_text(study, "study")}
    today = author.clock.today().isoformat()
    values.update(act=act, finished_on=today if act else None)
    with transaction(db):
        cycle = _require(db, "pdsa_cycle", cycle_id)
        rev = _write(db, author, "pdsa_cycle", cycle_id, values)
        if act in _ACT_STATUS:
            status = _ACT_STATUS[act]
            _write(
                db, author, "idea", cycle["idea_id"], {"status": status, "status_changed_on": today}
            )
    return rev


# -- huddles and actions ---------------------------------------------------------------------


def start_huddle(db: Database, author: Author, kind: HuddleKind, lead: str) -> str:
    if kind not in AGENDAS:
        raise InvalidInput("kind", "A huddle is daily or weekly.")
    now = author.clock.now()
    values = {"kind": kind, "held_on": now.date().isoformat(), "started_at": now.strftime("%H:%M")}
    values["lead"] = check_initials(lead, "lead")
    row_id = new_id()
    with transaction(db):
        _write(db, author, "huddle", row_id, values)
    return row_id


def _attendance(attendance: Mapping[str, int]) -> dict[str, int]:
    counts = {}
    for role, count in attendance.items():
        if role not in ROLES or not 0 <= int(count) <= MAX_HEADCOUNT:
            raise InvalidInput("attendance", f"Attendance for {role!r} must be 0–{MAX_HEADCOUNT}.")
        counts[role] = int(count)
    return counts


def save_huddle(
    db: Database,
    author: Author,
    huddle_id: str,
    *,
    attendance: Mapping[str, int],
    notes: Mapping[str, str],
    duration_s: int,
    close: bool,
) -> int:
    """Save a huddle's attendance and notes per agenda section; `close` ends it."""
    with transaction(db):
        huddle = _require(db, "huddle", huddle_id)
        sections = {key for key, _ in AGENDAS[huddle["kind"]]}
        cleaned = {}
        for section, text in notes.items():
            if section not in sections:
                raise InvalidInput("notes", f"{section!r} is not on this huddle's agenda.")
            cleaned[section] = check_text(text, "note")
        values = {
            "attendance": json.dumps(_attendance(attendance), sort_keys=True),
            "notes": json.dumps(cleaned, sort_keys=True),
            "duration_s": max(0, int(duration_s)),
            "closed": int(close or huddle["closed"]),
        }
        return _write(db, author, "huddle", huddle_id, values)


def add_action(
    db: Database,
    author: Author,
    text: str,
    owner: str,
    due_on: dt.date,
    *,
    source_kind: str | None = None,
    source_id: str | None = None,
) -> str:
    values: dict[str, Any] = {"text": check_text(text, "action", required=True)}
    values["owner"] = check_initials(owner, "owner")
    today = author.clock.today()
    if due_on < today:
        raise InvalidInput("due date", "The due date is in the past.")
    values.update(due_on=due_on.isoformat(), status="open", raised_on=today.isoformat())
    values.update(source_kind=source_kind, source_id=source_id)
    row_id = new_id()
    with transaction(db):
        if source_kind is not None and source_id is not None:
            _require(db, source_kind, source_id)
        _write(db, author, "action", row_id, values)
    return row_id


def set_action_status(db: Database, author: Author, action_id: str, status: ActionStatus) -> int:
    if status not in ("open", "done", "dropped"):
        raise InvalidInput("status", "An action is open, done or dropped.")
    closed_on = None if status == "open" else author.clock.today().isoformat()
    with transaction(db):
        _require(db, "action", action_id)
        return _write(db, author, "action", action_id, {"status": status, "closed_on": closed_on})


def escalate_action(db: Database, author: Author, action_id: str, reason: str) -> int:
    reason = check_text(reason, "escalation reason", required=True)
    with transaction(db):
        _require(db, "action", action_id)
        values = {"escalated": 1, "escalation_reason": reason}
        return _write(db, author, "action", action_id, values)


# -- bulk loading (demo and benchmark wards) ----------------------------------------------------


def load_rows(db: Database, author: Author, entity: str, rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert many new rows (rev 1) with their outbox rows in one transaction: for generated
    wards, where row-by-row commands would be needlessly slow. Rows carry their own `id`."""
    table = SYNCED_TABLES[entity]
    stamp = utc_stamp(author.clock)
    count = 0
    with transaction(db):
        columns: list[str] | None = None
        batch: list[list[Any]] = []
        for source in rows:
            row = {"ward": author.ward, "rev": 1, "updated_at": stamp, "deleted": 0}
            row.update(written_by=author.initials)
            row.update(source)
            columns = columns or list(row)
            if len(row) != len(columns):
                raise ValueError(f"row {len(batch) + 1} has other columns than the first")
            batch.append([row[name] for name in columns])
        if columns is None:
            return 0
        marks = ", ".join("?" for _ in columns)
        db.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
        id_at = columns.index("id")
        db.conn.executemany(
            "INSERT INTO outbox (entity, entity_id, rev, queued_at) VALUES (?, ?, 1, ?)",
            [(entity, values[id_at], stamp) for values in batch],
        )
        count = len(batch)
    return count


# -- a file of week values, imported whole ------------------------------------------------------


def week_entry_value(measure: Measure, entry: WeekEntry) -> float | None:
    """What `record_week_values` would store for `entry` (None: missing), or InvalidInput: the
    same checks, so that an imported file can be checked whole before any of it is written."""
    fields = {"name": measure.name, "is_ratio": measure.is_ratio, "unit": measure.unit}
    return _entry_value({**fields, "ratio_scale": measure.ratio_scale}, entry)


def import_week_values(
    db: Database,
    author: Author,
    weeks: Sequence[tuple[dt.date, Sequence[WeekEntry]]],
    *,
    replace: bool,
) -> int:
    """Record many weeks' figures in one transaction: all of them or, on any refusal, none.
    Empty entries are skipped (an import never clears a value). A measure that already has a
    value for the week is refused unless `replace`, which writes the new figure as the row's
    next revision (an equal figure is left alone). Returns how many rows changed."""
    changed = 0
    with transaction(db):
        for week, entries in weeks:
            monday = week_start(week)
            for entry in entries:
                changed += _import_entry(db, author, monday, entry, replace)
    return changed


def _import_entry(
    db: Database, author: Author, monday: dt.date, entry: WeekEntry, replace: bool
) -> int:
    measure = _require(db, "measure", entry.measure_id)
    value = _entry_value(measure, entry)
    if value is None:
        return 0
    existing = db.execute(
        "SELECT id, value, numerator, denominator, deleted FROM week_values "
        "WHERE measure_id = ? AND week = ?",
        [entry.measure_id, monday.isoformat()],
    ).fetchone()
    ratio = bool(measure["is_ratio"])
    numbers = (value, entry.numerator, entry.denominator) if ratio else (value, None, None)
    if existing is not None and existing[4] == 0:
        if not replace:
            name, week = str(measure["name"]), f"{monday:%d %b %Y}"
            raise InvalidInput(name, f"{name} already has a value for the week of {week}.")
        if tuple(existing[1:4]) == numbers:
            return 0
    values: dict[str, Any] = dict(zip(("value", "numerator", "denominator"), numbers, strict=True))
    values.update(measure_id=entry.measure_id, week=monday.isoformat(), deleted=0)
    _write(db, author, "week_value", existing[0] if existing else new_id(), values)
    return 1

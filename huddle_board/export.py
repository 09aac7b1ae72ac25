"""CSV export of the ward's records, for a report-out or a spreadsheet: one file per kind of
record (week values, ideas, PDSA cycles, huddles, actions), each with a header row.

Headless: never imports Textual. Tombstoned rows are left out, and so are the values of a
deleted measure and the cycles of a deleted idea. All files come from one read transaction,
so they agree with each other even while the board is writing.

Files are UTF-8 with a byte-order mark, so spreadsheet programs read "£" and "–" correctly.
A text cell that begins with =, +, -, @, a tab or a carriage return gets a leading apostrophe,
so a spreadsheet shows it as text instead of running it as a formula. Each file is written
under a temporary name and then renamed, so a half-written file never has the final name.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlite_utils import Database

from huddle_board.db import queries, read_transaction
from huddle_board.model import AGENDAS, BAND_TITLES, ROLES, iso_week_label, pick_letter

Cell = str | int | float | None
Table = tuple[list[str], list[list[Cell]]]
"""A header and its rows."""

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NOTE_SECTIONS: tuple[str, ...] = tuple(
    key for agenda in AGENDAS.values() for key, _title in agenda
)
"""Agenda sections of both kinds of huddle (daily first); the keys do not overlap."""


def export_csv(db: Database, directory: Path) -> dict[str, int]:
    """Write week_values.csv, ideas.csv, pdsa_cycles.csv, huddles.csv and actions.csv into
    `directory` (made if missing); returns the number of data rows per file name."""
    directory.mkdir(parents=True, exist_ok=True)
    with read_transaction(db):
        tables = {name: build(db) for name, build in _TABLES.items()}
    for name, (header, rows) in tables.items():
        _write(directory / name, header, rows)
    return {name: len(rows) for name, (_header, rows) in tables.items()}


def _write(path: Path, header: Sequence[str], rows: Sequence[Sequence[Cell]]) -> None:
    partial = path.with_name(path.name + ".partial")
    with partial.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([_cell(value) for value in row] for row in rows)
    partial.replace(path)


def _cell(value: Cell) -> Cell:
    """Numbers as numbers (3, not 3.0), missing as empty, text safe from formula injection."""
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_STARTS) else value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _select(db: Database, sql: str) -> Iterator[dict[str, Any]]:
    cursor = db.execute(sql)
    names = [column[0] for column in cursor.description]
    for row in cursor:
        yield dict(zip(names, row, strict=True))


def _yes_no(flag: Any) -> str:
    return "yes" if flag else "no"


# -- week values -----------------------------------------------------------------------------

_WEEK_VALUES_SQL = (
    "SELECT measure_id, week, value, numerator, denominator, written_by FROM week_values "
    "WHERE deleted = 0 ORDER BY week"
)


def _week_values(db: Database) -> Table:
    header = [
        "week",
        "iso_week",
        "measure",
        "band",
        "unit",
        "value",
        "numerator",
        "denominator",
        "written_by",
    ]
    measures = {measure.id: measure for measure in queries.measures(db)}
    rows: list[list[Cell]] = []
    found = [row for row in _select(db, _WEEK_VALUES_SQL) if row["measure_id"] in measures]
    found.sort(key=lambda row: (row["week"], measures[row["measure_id"]].position))
    for row in found:
        measure = measures[row["measure_id"]]
        week = dt.date.fromisoformat(row["week"])
        rows.append(
            [
                row["week"],
                iso_week_label(week),
                measure.name,
                BAND_TITLES[measure.band],
                measure.unit,
                row["value"],
                row["numerator"],
                row["denominator"],
                row["written_by"],
            ]
        )
    return header, rows


# -- ideas and PDSA cycles -------------------------------------------------------------------

_IDEAS_SQL = """
    SELECT ideas.*, measures.name AS measure_name,
        (SELECT COUNT(*) FROM pdsa_cycles p WHERE p.idea_id = ideas.id AND p.deleted = 0)
        AS pdsa_count
    FROM ideas LEFT JOIN measures ON measures.id = ideas.measure_id AND measures.deleted = 0
    WHERE ideas.deleted = 0 ORDER BY ideas.raised_on, ideas.title, ideas.id
"""


def _ideas(db: Database) -> Table:
    header = [
        "id",
        "title",
        "problem",
        "status",
        "raised_by",
        "raised_on",
        "status_changed_on",
        "owner",
        "impact",
        "effort",
        "pick",
        "measure",
        "pdsa_cycles",
        "written_by",
    ]
    rows: list[list[Cell]] = [
        [
            row["id"],
            row["title"],
            row["problem"],
            row["status"],
            row["raised_by"],
            row["raised_on"],
            row["status_changed_on"],
            row["owner"],
            row["impact"],
            row["effort"],
            pick_letter(row["impact"], row["effort"]),
            row["measure_name"],
            row["pdsa_count"],
            row["written_by"],
        ]
        for row in _select(db, _IDEAS_SQL)
    ]
    return header, rows


_CYCLES_SQL = """
    SELECT p.*, ideas.title AS idea_title FROM pdsa_cycles p
    JOIN ideas ON ideas.id = p.idea_id AND ideas.deleted = 0
    WHERE p.deleted = 0 ORDER BY ideas.raised_on, ideas.title, ideas.id, p.number
"""


def _pdsa_cycles(db: Database) -> Table:
    header = [
        "id",
        "idea_id",
        "idea_title",
        "number",
        "plan",
        "prediction",
        "do",
        "study",
        "act",
        "started_on",
        "finished_on",
        "written_by",
    ]
    names = header[:2] + header[3:]
    rows: list[list[Cell]] = []
    for row in _select(db, _CYCLES_SQL):
        cells: list[Cell] = [row[name] for name in names]
        cells.insert(2, row["idea_title"])
        rows.append(cells)
    return header, rows


# -- huddles ---------------------------------------------------------------------------------

_HUDDLES_SQL = "SELECT * FROM huddles WHERE deleted = 0 ORDER BY held_on, started_at, kind, id"


def _huddles(db: Database) -> Table:
    header = ["id", "kind", "held_on", "started_at", "duration_s", "lead", "headcount"]
    header += [f"attendance_{role}" for role in ROLES]
    header += [f"notes_{section}" for section in _NOTE_SECTIONS]
    header += ["other", "closed", "written_by"]
    return header, [_huddle_cells(row) for row in _select(db, _HUDDLES_SQL)]


def _huddle_cells(row: dict[str, Any]) -> list[Cell]:
    attendance = _json_object(row["attendance"])
    notes = _json_object(row["notes"])
    counts = [attendance.pop(role, 0) for role in ROLES]
    texts = [notes.pop(section, "") for section in _NOTE_SECTIONS]
    headcount = sum(count for count in counts if isinstance(count, int))
    left = {"attendance": attendance, "notes": notes}
    other = {name: values for name, values in left.items() if values}
    cells: list[Cell] = [
        row["id"],
        row["kind"],
        row["held_on"],
        row["started_at"],
        row["duration_s"],
        row["lead"],
        headcount,
    ]
    cells += [_plain(value) for value in counts + texts]
    # Roles or sections the board does not know (from a newer kiosk, say) are kept as JSON.
    cells += [
        json.dumps(other, sort_keys=True, ensure_ascii=False) if other else "",
        _yes_no(row["closed"]),
        row["written_by"],
    ]
    return cells


def _json_object(text: str | None) -> dict[str, Any]:
    """A huddle's attendance or notes; anything that is not a JSON object is kept whole."""
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        return {"unreadable": text}
    return dict(value) if isinstance(value, dict) else {"unreadable": text}


def _plain(value: Any) -> Cell:
    if value is None or isinstance(value, str | int | float):
        return value
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


# -- actions ---------------------------------------------------------------------------------

_ACTIONS_SQL = queries.ACTION_SQL + " ORDER BY raised_on, due_on, id"


def _actions(db: Database) -> Table:
    header = [
        "id",
        "text",
        "owner",
        "raised_on",
        "due_on",
        "status",
        "closed_on",
        "source_kind",
        "source_id",
        "source",
        "escalated",
        "escalation_reason",
        "written_by",
    ]
    rows: list[list[Cell]] = []
    for row in _select(db, _ACTIONS_SQL):
        cells: list[Cell] = [row[name] for name in header[:9]]
        cells += [
            row["source_label"],
            _yes_no(row["escalated"]),
            row["escalation_reason"],
            row["written_by"],
        ]
        rows.append(cells)
    return header, rows


_TABLES: dict[str, Callable[[Database], Table]] = {
    "week_values.csv": _week_values,
    "ideas.csv": _ideas,
    "pdsa_cycles.csv": _pdsa_cycles,
    "huddles.csv": _huddles,
    "actions.csv": _actions,
}

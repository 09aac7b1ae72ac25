"""The local store: migrations, the house pragmas, commands (row + outbox row in one
transaction, rev bumps, tombstones, input checks) and behaviour on damage and crashes.

Everything runs against real SQLite files in tmp_path; nothing is mocked except, in the
atomicity tests, the outbox write that is made to fail on purpose."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from huddle_board.clock import FixedClock
from huddle_board.db import (
    StoreUnavailable,
    check_store,
    commands,
    connect,
    migrate,
    open_store,
    queries,
)
from huddle_board.db.commands import Author, IdeaDraft, InvalidInput, MeasureSpec, WeekEntry
from huddle_board.db.migrations import MIGRATIONS

TODAY = dt.date(2026, 11, 26)
MONDAY = dt.date(2026, 11, 23)
NHS_NUMBER_TITLE = "Bed 4 943 476 5919"  # 943 476 5919 passes the NHS modulus 11 check
BOARD_TABLES = {
    "ward",
    "measures",
    "week_values",
    "ideas",
    "pdsa_cycles",
    "huddles",
    "actions",
    "outbox",
}


# -- helpers -----------------------------------------------------------------------------------


def tables(db: Database) -> set[str]:
    return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def row(db: Database, table: str, row_id: str) -> dict[str, Any] | None:
    cursor = db.execute(f"SELECT * FROM {table} WHERE id = ?", [row_id])
    found = cursor.fetchone()
    if found is None:
        return None
    return dict(zip([c[0] for c in cursor.description], found, strict=True))


def count(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


def outbox(db: Database) -> dict[tuple[str, str], int]:
    """(entity, entity_id) -> queued rev; the primary key makes one row per entity id."""
    return {(e, i): r for e, i, r in db.execute("SELECT entity, entity_id, rev FROM outbox")}


def pragmas(db: Database) -> tuple[str, int, int, int]:
    return (
        str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower(),
        int(db.execute("PRAGMA synchronous").fetchone()[0]),
        int(db.execute("PRAGMA foreign_keys").fetchone()[0]),
        int(db.execute("PRAGMA busy_timeout").fetchone()[0]),
    )


def plain_measure(name: str = "Falls", unit: str = "count") -> MeasureSpec:
    return MeasureSpec(name=name, band="performance", unit=unit, decimals=0, improvement="decrease")


def ratio_measure(name: str = "Obs on time", scale: float = 100.0, unit: str = "%") -> MeasureSpec:
    return MeasureSpec(
        name=name,
        band="performance",
        unit=unit,
        decimals=1,
        improvement="increase",
        is_ratio=True,
        ratio_scale=scale,
    )


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- migrations --------------------------------------------------------------------------------


def test_open_store_migrates_an_empty_file(store_path: Path) -> None:
    assert not store_path.exists()
    db, health = open_store(store_path)
    assert health.ok
    assert store_path.exists()
    assert BOARD_TABLES | {"_sqlite_migrations"} <= tables(db)
    applied = list(db.execute("SELECT migration_set, name FROM _sqlite_migrations"))
    assert applied == [("huddle_board", name) for name, _ in MIGRATIONS]
    assert applied[0] == ("huddle_board", "0001_initial")
    db.close()


def test_reopening_an_existing_store_is_a_no_op_and_keeps_data(
    store: Database, store_path: Path, author: Author
) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Fewer interruptions on drug round"))
    schema_before = sorted(store.execute("SELECT type, name, sql FROM sqlite_master"))
    store.close()

    for _ in range(2):
        db, health = open_store(store_path)
        assert health.ok
        assert sorted(db.execute("SELECT type, name, sql FROM sqlite_master")) == schema_before
        assert count(db, "_sqlite_migrations") == len(MIGRATIONS)
        found = queries.idea(db, idea_id)
        assert found is not None and found.title == "Fewer interruptions on drug round"
        assert queries.ward(db) is not None and queries.ward(db).code == "DEMO-7A"
        assert outbox(db) == {("idea", idea_id): 1}
        db.close()


def test_migrate_on_an_in_memory_connection(author: Author, clock: FixedClock) -> None:
    db = connect(":memory:")
    migrate(db)
    migrate(db)  # twice: still one record each, no error
    assert tables(db) >= BOARD_TABLES
    assert count(db, "_sqlite_migrations") == len(MIGRATIONS)
    commands.set_ward(db, "DEMO-7A", "Demo ward", clock)
    idea_id = commands.add_idea(db, author, IdeaDraft(title="Whiteboard by the nurses' station"))
    assert outbox(db) == {("idea", idea_id): 1}
    db.close()


# -- the house pragmas -------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["open_store", "connect", "second connect", "read_only"])
def test_every_file_connection_has_the_house_pragmas(
    store: Database, store_path: Path, how: str
) -> None:
    if how == "open_store":
        db = store
    elif how == "read_only":
        db = connect(store_path, read_only=True)
    else:
        db = connect(store_path)
    assert pragmas(db) == ("wal", 2, 1, 5000)
    if db is not store:
        db.close()


def test_in_memory_connection_has_the_house_pragmas_except_wal() -> None:
    db = connect(":memory:")
    # An in-memory database cannot use WAL; the other pragmas must still be set.
    assert pragmas(db)[1:] == (2, 1, 5000)
    db.close()


def test_foreign_keys_are_enforced(store: Database, author: Author) -> None:
    bad = {"id": "w1", "measure_id": "no-such-measure", "week": MONDAY.isoformat(), "value": 1.0}
    with pytest.raises(sqlite3.IntegrityError):
        commands.load_rows(store, author, "week_value", [bad])
    assert count(store, "week_values") == 0
    assert outbox(store) == {}


def test_read_only_connection_refuses_writes(
    store: Database, store_path: Path, author: Author
) -> None:
    db = connect(store_path, read_only=True)
    with pytest.raises(StoreUnavailable):
        commands.add_idea(db, author, IdeaDraft(title="Not stored"))
    db.close()
    assert count(store, "ideas") == 0


# -- each command writes its row and its outbox row in one transaction --------------------------


def _seed(db: Database, author: Author) -> dict[str, str]:
    measure_id = commands.add_measure(db, author, plain_measure())
    idea_id = commands.add_idea(db, author, IdeaDraft(title="Protected mealtimes"))
    return {"measure": measure_id, "idea": idea_id}


# Each case: (name, table written, a call that writes a new row).
COMMANDS = [
    ("add_measure", "measures", lambda db, a, s: commands.add_measure(db, a, plain_measure("LOS"))),
    ("add_idea", "ideas", lambda db, a, s: commands.add_idea(db, a, IdeaDraft(title="Quiet hour"))),
    (
        "add_action",
        "actions",
        lambda db, a, s: commands.add_action(db, a, "Order pumps", "JM", TODAY),
    ),
    ("start_huddle", "huddles", lambda db, a, s: commands.start_huddle(db, a, "daily", "JM")),
    (
        "start_pdsa_cycle",
        "pdsa_cycles",
        lambda db, a, s: commands.start_pdsa_cycle(db, a, s["idea"], "Try it", "Fewer calls"),
    ),
    (
        "record_week_values",
        "week_values",
        lambda db, a, s: commands.record_week_values(
            db, a, TODAY, [WeekEntry(s["measure"], value=3)]
        ),
    ),
]


@pytest.mark.parametrize(("name", "table", "call"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_failed_outbox_write_leaves_nothing_behind(
    store: Database, author: Author, monkeypatch: pytest.MonkeyPatch, name: str, table: str, call
) -> None:
    seeded = _seed(store, author)
    rows_before = count(store, table)
    ideas_before = [tuple(r) for r in store.execute("SELECT * FROM ideas ORDER BY id")]
    outbox_before = outbox(store)

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(commands, "_queue", refuse)
    with pytest.raises(RuntimeError, match="outbox write failed"):
        call(store, author, seeded)
    assert not store.conn.in_transaction
    assert count(store, table) == rows_before
    # start_pdsa_cycle also moves the idea to in_test: that must be undone as well.
    assert [tuple(r) for r in store.execute("SELECT * FROM ideas ORDER BY id")] == ideas_before
    assert outbox(store) == outbox_before


@pytest.mark.parametrize(("name", "table", "call"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_success_queues_the_row_with_its_rev(
    store: Database, author: Author, name: str, table: str, call
) -> None:
    seeded = _seed(store, author)
    before = {r[0] for r in store.execute(f"SELECT id FROM {table}")}
    call(store, author, seeded)
    (new_id,) = {r[0] for r in store.execute(f"SELECT id FROM {table}")} - before
    written = row(store, table, new_id)
    assert written is not None
    assert written["rev"] == 1
    assert written["ward"] == "DEMO-7A"
    assert written["written_by"] == "JM"
    entity = {v: k for k, v in commands.SYNCED_TABLES.items()}[table]
    assert outbox(store)[(entity, new_id)] == written["rev"]


def test_outbox_trigger_abort_rolls_back_the_row(store: Database, author: Author) -> None:
    store.execute(
        "CREATE TRIGGER refuse_outbox BEFORE INSERT ON outbox "
        "BEGIN SELECT RAISE(ABORT, 'outbox refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="outbox refused"):
        commands.add_idea(store, author, IdeaDraft(title="Never stored"))
    assert not store.conn.in_transaction
    assert count(store, "ideas") == 0
    assert count(store, "outbox") == 0


def test_second_outbox_write_failing_rolls_back_the_first_row(
    store: Database, author: Author
) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Safety cross on the board"))
    # start_pdsa_cycle writes the cycle (and its outbox row), then the idea: fail the idea's.
    store.execute(
        "CREATE TRIGGER refuse_idea BEFORE INSERT ON outbox WHEN NEW.entity = 'idea' "
        "BEGIN SELECT RAISE(ABORT, 'idea refused'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="idea refused"):
        commands.start_pdsa_cycle(store, author, idea_id, "Trial for a week", "Fewer falls")
    assert count(store, "pdsa_cycles") == 0
    assert row(store, "ideas", idea_id)["status"] == "new"  # type: ignore[index]
    assert outbox(store) == {("idea", idea_id): 1}


def test_failed_edit_keeps_the_old_row(
    store: Database, author: Author, monkeypatch: pytest.MonkeyPatch
) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Old title"))

    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox write failed")

    monkeypatch.setattr(commands, "_queue", refuse)
    with pytest.raises(RuntimeError):
        commands.edit_idea(store, author, idea_id, IdeaDraft(title="New title"))
    kept = row(store, "ideas", idea_id)
    assert kept is not None and (kept["title"], kept["rev"]) == ("Old title", 1)
    assert outbox(store) == {("idea", idea_id): 1}


# -- rev -------------------------------------------------------------------------------------


def test_rev_bumps_by_one_on_each_idea_edit(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Draft"))
    assert commands.edit_idea(store, author, idea_id, IdeaDraft(title="Second")) == 2
    assert commands.edit_idea(store, author, idea_id, IdeaDraft(title="Third", owner="ab")) == 3
    assert commands.set_idea_status(store, author, idea_id, "parked") == 4
    # The same status again changes nothing: no bump, nothing new queued.
    assert commands.set_idea_status(store, author, idea_id, "parked") == 4
    stored = row(store, "ideas", idea_id)
    assert stored is not None
    assert (stored["rev"], stored["title"], stored["owner"], stored["status"]) == (
        4,
        "Third",
        "AB",
        "parked",
    )
    assert outbox(store) == {("idea", idea_id): 4}
    assert count(store, "outbox") == 1


def test_table_versions_change_with_every_write_and_only_then(
    store: Database, author: Author
) -> None:
    """What a board screen checks before it reads its data again."""
    tables = ("ideas", "pdsa_cycles")

    def version() -> tuple[tuple[int, int], ...]:
        return queries.table_versions(store.conn, tables)

    seen = [version()]
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Draft"))
    seen.append(version())
    assert version() == seen[-1]  # reading changes nothing
    commands.edit_idea(store, author, idea_id, IdeaDraft(title="Second"))
    seen.append(version())
    commands.set_idea_status(store, author, idea_id, "parked")
    seen.append(version())
    commands.set_idea_status(store, author, idea_id, "parked")  # no change, no write
    assert version() == seen[-1]
    commands.delete(store, author, "idea", idea_id)
    seen.append(version())
    assert len(set(seen)) == len(seen)
    assert queries.table_versions(store.conn, ("measures",)) == ((0, 0),)
    with pytest.raises(ValueError, match="not a synced table"):
        queries.table_versions(store.conn, ("ideas; DROP TABLE ideas",))


def test_week_value_rev_bumps_only_when_the_value_changes(store: Database, author: Author) -> None:
    measure_id = commands.add_measure(store, author, plain_measure())
    assert commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=3)]) == 1
    value_id = queries.week_values(store, MONDAY)[measure_id].id
    assert row(store, "week_values", value_id)["rev"] == 1  # type: ignore[index]

    # Same value again (any day of the same week): unchanged, no bump.
    same = [WeekEntry(measure_id, value=3.0)]
    assert commands.record_week_values(store, author, MONDAY, same) == 0
    assert row(store, "week_values", value_id)["rev"] == 1  # type: ignore[index]

    assert commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=5)]) == 1
    stored = row(store, "week_values", value_id)
    assert stored is not None and (stored["rev"], stored["value"]) == (2, 5.0)
    assert outbox(store)[("week_value", value_id)] == 2
    assert sum(1 for entity, _ in outbox(store) if entity == "week_value") == 1
    assert count(store, "week_values") == 1


# -- tombstones --------------------------------------------------------------------------------


def test_delete_tombstones_bumps_rev_and_queues(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Move the linen trolley"))
    keep_id = commands.add_idea(store, author, IdeaDraft(title="Label the cupboards"))
    assert commands.delete(store, author, "idea", idea_id) == 2

    stored = row(store, "ideas", idea_id)
    assert stored is not None and (stored["deleted"], stored["rev"]) == (1, 2)
    assert outbox(store)[("idea", idea_id)] == 2
    assert queries.idea(store, idea_id) is None
    assert [i.id for i in queries.ideas(store)["new"]] == [keep_id]
    assert queries.idea_counts(store) == {"new": 1}
    with pytest.raises(InvalidInput):
        commands.delete(store, author, "idea", idea_id)
    with pytest.raises(InvalidInput):
        commands.edit_idea(store, author, idea_id, IdeaDraft(title="Back again"))
    assert row(store, "ideas", idea_id)["rev"] == 2  # type: ignore[index]


def test_deleted_action_leaves_the_open_list(store: Database, author: Author) -> None:
    action_id = commands.add_action(store, author, "Chase the hoist repair", "JM", TODAY)
    assert queries.action_counts(store, TODAY) == (1, 0)
    commands.delete(store, author, "action", action_id)
    assert queries.open_actions(store, TODAY) == []
    assert queries.action_counts(store, TODAY) == (0, 0)
    assert row(store, "actions", action_id)["deleted"] == 1  # type: ignore[index]


def test_clearing_a_week_value_tombstones_it(store: Database, author: Author) -> None:
    measure_id = commands.add_measure(store, author, plain_measure())
    commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=0)])
    value_id = queries.week_values(store, MONDAY)[measure_id].id
    assert queries.box_score(store, MONDAY).rows[0].values[MONDAY] == 0  # a real zero

    assert commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id)]) == 1
    stored = row(store, "week_values", value_id)
    assert stored is not None
    assert (stored["deleted"], stored["rev"], stored["value"]) == (1, 2, None)
    assert outbox(store)[("week_value", value_id)] == 2

    score = queries.box_score(store, MONDAY)
    assert score.rows[0].values[MONDAY] is None
    assert [m.id for m in score.missing()] == [measure_id]
    assert queries.week_values(store, MONDAY) == {}
    assert queries.measure_series(store, measure_id) == []

    # Clearing again is no change; recording again revives the same row.
    assert commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id)]) == 0
    commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=2)])
    revived = row(store, "week_values", value_id)
    assert revived is not None and (revived["deleted"], revived["rev"]) == (0, 3)
    assert count(store, "week_values") == 1


def test_deleted_week_value_is_missing_from_the_box_score(store: Database, author: Author) -> None:
    measure_id = commands.add_measure(store, author, plain_measure())
    commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=7)])
    value_id = queries.week_values(store, MONDAY)[measure_id].id
    assert commands.delete(store, author, "week_value", value_id) == 2
    assert row(store, "week_values", value_id)["value"] == 7  # the tombstone keeps its value
    score = queries.box_score(store, MONDAY)
    assert score.rows[0].values[MONDAY] is None
    assert score.rows[0].history == ()
    assert queries.measure_series(store, measure_id) == []


def test_weeks_never_recorded_are_none_not_zero(store: Database, author: Author) -> None:
    measure_id = commands.add_measure(store, author, plain_measure())
    commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=4)])
    score = queries.box_score(store, MONDAY, weeks=3)
    assert score.weeks == (MONDAY - dt.timedelta(weeks=2), MONDAY - dt.timedelta(weeks=1), MONDAY)
    assert list(score.rows[0].values.values()) == [None, None, 4.0]


# -- record_week_values --------------------------------------------------------------------------


def test_ratio_measure_computes_numerator_over_denominator_times_scale(
    store: Database, author: Author
) -> None:
    percent = commands.add_measure(store, author, ratio_measure())
    per_thousand = commands.add_measure(
        store, author, ratio_measure("Falls per 1,000 bed days", 1000, "per 1,000")
    )
    entries = [
        WeekEntry(percent, numerator=45, denominator=60),
        WeekEntry(per_thousand, numerator=3, denominator=1500),
    ]
    assert commands.record_week_values(store, author, TODAY, entries) == 2
    recorded = queries.week_values(store, MONDAY)
    assert recorded[percent].value == pytest.approx(75.0)
    assert (recorded[percent].numerator, recorded[percent].denominator) == (45, 60)
    assert recorded[per_thousand].value == pytest.approx(2.0)


@pytest.mark.parametrize(
    "entry",
    [
        {"numerator": 3},
        {"denominator": 4},
    ],
)
def test_ratio_with_only_one_part_is_refused_naming_the_measure(
    store: Database, author: Author, entry: dict[str, float]
) -> None:
    measure_id = commands.add_measure(store, author, ratio_measure("Obs on time"))
    with pytest.raises(InvalidInput, match="Obs on time") as refused:
        commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, **entry)])
    assert refused.value.field == "Obs on time"
    assert count(store, "week_values") == 0


@pytest.mark.parametrize(
    ("spec", "entry"),
    [
        (plain_measure(), {"value": -1}),
        (plain_measure(), {"value": float("nan")}),
        (plain_measure(), {"value": float("inf")}),
        (plain_measure("Obs done", unit="%"), {"value": 100.5}),
        (ratio_measure(), {"numerator": 61, "denominator": 60}),  # 101.7 %
        (ratio_measure(), {"numerator": 3, "denominator": 0}),
        (ratio_measure(), {"numerator": -3, "denominator": 60}),
    ],
    ids=["negative", "nan", "inf", "percent>100", "ratio>100%", "zero-denominator", "neg-num"],
)
def test_impossible_values_are_refused(
    store: Database, author: Author, spec: MeasureSpec, entry: dict[str, float]
) -> None:
    measure_id = commands.add_measure(store, author, spec)
    with pytest.raises(InvalidInput) as refused:
        commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, **entry)])
    assert spec.name in refused.value.message
    assert count(store, "week_values") == 0


def test_percent_of_exactly_100_is_accepted(store: Database, author: Author) -> None:
    measure_id = commands.add_measure(store, author, plain_measure("Obs done", unit="%"))
    commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=100)])
    assert queries.week_values(store, MONDAY)[measure_id].value == 100


def test_a_bad_entry_writes_nothing_for_the_whole_week(store: Database, author: Author) -> None:
    falls = commands.add_measure(store, author, plain_measure("Falls"))
    pressure = commands.add_measure(store, author, plain_measure("Pressure ulcers"))
    obs = commands.add_measure(store, author, ratio_measure("Obs on time"))
    commands.record_week_values(store, author, TODAY, [WeekEntry(falls, value=1)])
    before_rows = sorted(store.execute("SELECT * FROM week_values"))
    before_outbox = outbox(store)

    entries = [
        WeekEntry(falls, value=2),  # a change to an existing value
        WeekEntry(pressure, value=0),  # a new value
        WeekEntry(obs, numerator=10),  # bad: last, so the others were already written
    ]
    with pytest.raises(InvalidInput, match="Obs on time"):
        commands.record_week_values(store, author, TODAY, entries)
    assert sorted(store.execute("SELECT * FROM week_values")) == before_rows
    assert outbox(store) == before_outbox
    assert not store.conn.in_transaction


def test_unknown_or_deleted_measure_is_refused(store: Database, author: Author) -> None:
    measure_id = commands.add_measure(store, author, plain_measure())
    commands.delete(store, author, "measure", measure_id)
    with pytest.raises(InvalidInput):
        commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=1)])
    with pytest.raises(InvalidInput):
        commands.record_week_values(store, author, TODAY, [WeekEntry("nope", value=1)])
    assert count(store, "week_values") == 0


# -- initials ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"), [("jm", "JM"), ("Abc", "ABC"), ("abcd", "ABCD"), (" jm ", "JM")]
)
def test_initials_of_two_to_four_letters_are_upper_cased(typed: str, stored: str) -> None:
    assert commands.check_initials(typed) == stored


@pytest.mark.parametrize("typed", ["", " ", "J", "JOHNS", "J1", "J.M", "J M"])
def test_bad_initials_are_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        commands.check_initials(typed, "lead")
    assert refused.value.field == "lead"


def test_commands_store_checked_initials(store: Database, author: Author) -> None:
    huddle_id = commands.start_huddle(store, author, "daily", "ab")
    assert queries.huddle(store, huddle_id).lead == "AB"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput):
        commands.start_huddle(store, author, "daily", "J1")
    with pytest.raises(InvalidInput):
        commands.add_action(store, author, "Restock gloves", "JOHNS", TODAY)
    assert count(store, "huddles") == 1
    assert count(store, "actions") == 0


# -- identifiers and length --------------------------------------------------------------------


def test_idea_title_with_an_nhs_number_is_refused(store: Database, author: Author) -> None:
    with pytest.raises(InvalidInput) as refused:
        commands.add_idea(store, author, IdeaDraft(title=NHS_NUMBER_TITLE))
    assert refused.value.field == "title"
    assert refused.value.message
    with pytest.raises(InvalidInput):
        commands.add_idea(store, author, IdeaDraft(title="Bed 4", problem=NHS_NUMBER_TITLE))
    assert count(store, "ideas") == 0
    assert count(store, "outbox") == 0


def test_identifiers_are_refused_in_other_free_text(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Bed 4 falls"))
    with pytest.raises(InvalidInput):
        commands.edit_idea(store, author, idea_id, IdeaDraft(title=NHS_NUMBER_TITLE))
    with pytest.raises(InvalidInput):
        commands.add_action(store, author, f"Review {NHS_NUMBER_TITLE}", "JM", TODAY)
    huddle_id = commands.start_huddle(store, author, "daily", "JM")
    with pytest.raises(InvalidInput):
        commands.save_huddle(
            store,
            author,
            huddle_id,
            attendance={},
            notes={"at_risk": NHS_NUMBER_TITLE},
            duration_s=60,
            close=False,
        )
    assert row(store, "ideas", idea_id)["title"] == "Bed 4 falls"  # type: ignore[index]
    assert row(store, "huddles", huddle_id)["rev"] == 1  # type: ignore[index]
    assert count(store, "actions") == 0


def test_title_length_limit(store: Database, author: Author) -> None:
    limit = commands.TEXT_LIMITS["title"]
    commands.add_idea(store, author, IdeaDraft(title="x" * limit))
    with pytest.raises(InvalidInput) as refused:
        commands.add_idea(store, author, IdeaDraft(title="x" * (limit + 1)))
    assert refused.value.field == "title"
    with pytest.raises(InvalidInput):
        commands.add_idea(store, author, IdeaDraft(title="   "))
    assert count(store, "ideas") == 1


# -- PDSA --------------------------------------------------------------------------------------


def test_pdsa_cycles_put_the_idea_in_test_and_are_numbered(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Red trays for help with meals"))
    first = commands.start_pdsa_cycle(store, author, idea_id, "Ward bay A", "Fewer missed meals")
    idea = queries.idea(store, idea_id)
    assert idea is not None and (idea.status, idea.rev, idea.pdsa_count) == ("in_test", 2, 1)

    commands.record_pdsa_result(store, author, first, "Done for a week", "Mixed", "adapt")
    idea = queries.idea(store, idea_id)
    assert idea is not None and (idea.status, idea.rev) == ("in_test", 2)

    second = commands.start_pdsa_cycle(store, author, idea_id, "Whole ward", "Fewer again")
    cycles = queries.pdsa_cycles(store, idea_id)
    assert [(c.id, c.number) for c in cycles] == [(first, 1), (second, 2)]
    assert cycles[0].act == "adapt" and cycles[0].finished_on == TODAY and not cycles[0].is_open
    assert cycles[1].is_open and cycles[1].started_on == TODAY
    assert queries.idea(store, idea_id).rev == 2  # type: ignore[union-attr]  # already in test

    commands.record_pdsa_result(store, author, second, "Done", "It worked", "adopt")
    idea = queries.idea(store, idea_id)
    assert idea is not None and (idea.status, idea.rev) == ("adopted", 3)
    assert outbox(store)[("idea", idea_id)] == 3
    assert outbox(store)[("pdsa_cycle", second)] == 2


def test_pdsa_abandon_abandons_the_idea(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Phone-free handover"))
    cycle = commands.start_pdsa_cycle(store, author, idea_id, "One week", "Shorter handover")
    assert commands.record_pdsa_result(store, author, cycle, "Tried", "Longer", "abandon") == 2
    assert queries.idea(store, idea_id).status == "abandoned"  # type: ignore[union-attr]


def test_pdsa_result_without_act_keeps_the_cycle_open(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Falls sensor mats"))
    cycle = commands.start_pdsa_cycle(store, author, idea_id, "Bay B", "Fewer falls")
    commands.record_pdsa_result(store, author, cycle, "Half way", "", None)
    (stored,) = queries.pdsa_cycles(store, idea_id)
    assert stored.is_open and stored.finished_on is None and stored.do == "Half way"
    with pytest.raises(InvalidInput):
        commands.record_pdsa_result(store, author, cycle, "", "", "keep")  # type: ignore[arg-type]
    assert queries.idea(store, idea_id).status == "in_test"  # type: ignore[union-attr]


def test_pdsa_needs_plan_and_prediction(store: Database, author: Author) -> None:
    idea_id = commands.add_idea(store, author, IdeaDraft(title="Discharge lounge by 11"))
    with pytest.raises(InvalidInput):
        commands.start_pdsa_cycle(store, author, idea_id, "A plan", "  ")
    with pytest.raises(InvalidInput):
        commands.start_pdsa_cycle(store, author, "no-such-idea", "A plan", "A prediction")
    assert count(store, "pdsa_cycles") == 0
    assert queries.idea(store, idea_id).status == "new"  # type: ignore[union-attr]


# -- huddles and actions -----------------------------------------------------------------------


def test_huddle_start_save_close(store: Database, author: Author) -> None:
    huddle_id = commands.start_huddle(store, author, "daily", "jm")
    started = queries.huddle(store, huddle_id)
    assert started is not None
    assert (started.held_on, started.started_at, started.closed) == (TODAY, "09:00", False)

    rev = commands.save_huddle(
        store,
        author,
        huddle_id,
        attendance={"nurse": 4, "doctor": 1, "hcsw": 0},
        notes={"safety": "No falls overnight", "good_news": "Bay C discharged by 11"},
        duration_s=420,
        close=False,
    )
    assert rev == 2
    saved = queries.huddle(store, huddle_id)
    assert saved is not None
    assert saved.attendance == {"nurse": 4, "doctor": 1, "hcsw": 0}
    assert saved.headcount == 5
    assert saved.notes == {"safety": "No falls overnight", "good_news": "Bay C discharged by 11"}
    assert (saved.duration_s, saved.closed) == (420, False)

    attendance = {"nurse": 5}
    assert (
        commands.save_huddle(
            store, author, huddle_id, attendance=attendance, notes={}, duration_s=600, close=True
        )
        == 3
    )
    assert queries.huddle(store, huddle_id).closed  # type: ignore[union-attr]
    # Saving a closed huddle again never reopens it.
    commands.save_huddle(
        store, author, huddle_id, attendance=attendance, notes={}, duration_s=600, close=False
    )
    closed = queries.huddle(store, huddle_id)
    assert closed is not None and closed.closed and closed.rev == 4
    assert outbox(store)[("huddle", huddle_id)] == 4


@pytest.mark.parametrize(
    ("attendance", "notes"),
    [
        ({}, {"box_score": "Weekly section in a daily huddle"}),
        ({}, {"no_such_section": "x"}),
        ({"nurse": 100}, {}),
        ({"nurse": -1}, {}),
        ({"porter": 2}, {}),
    ],
    ids=["weekly-section", "unknown-section", "100-nurses", "negative", "unknown-role"],
)
def test_bad_huddle_saves_are_refused(
    store: Database, author: Author, attendance: dict[str, int], notes: dict[str, str]
) -> None:
    huddle_id = commands.start_huddle(store, author, "daily", "JM")
    with pytest.raises(InvalidInput):
        commands.save_huddle(
            store, author, huddle_id, attendance=attendance, notes=notes, duration_s=1, close=True
        )
    kept = queries.huddle(store, huddle_id)
    assert kept is not None and (kept.rev, kept.closed, kept.notes) == (1, False, {})
    assert outbox(store)[("huddle", huddle_id)] == 1


def test_attendance_of_99_is_accepted(store: Database, author: Author) -> None:
    huddle_id = commands.start_huddle(store, author, "weekly", "JM")
    commands.save_huddle(
        store,
        author,
        huddle_id,
        attendance={"nurse": commands.MAX_HEADCOUNT},
        notes={"box_score": "Reviewed"},
        duration_s=900,
        close=True,
    )
    assert queries.huddle(store, huddle_id).attendance == {"nurse": 99}  # type: ignore[union-attr]


def test_open_actions_put_overdue_first(store: Database, author: Author) -> None:
    last_week = Author("DEMO-7A", "AB", FixedClock(dt.datetime(2026, 11, 19, 9, 0)))
    later = commands.add_action(store, author, "Audit sharps bins", "JM", dt.date(2026, 12, 10))
    soon = commands.add_action(store, author, "Book fire training", "JM", dt.date(2026, 11, 27))
    today = commands.add_action(store, author, "Ring estates", "JM", TODAY)
    yesterday = Author("DEMO-7A", "JM", FixedClock(dt.datetime(2026, 11, 24, 9, 0)))
    overdue = commands.add_action(store, yesterday, "Chase hoist", "JM", dt.date(2026, 11, 25))
    older = commands.add_action(
        store, last_week, "Fix the bay B light", "AB", dt.date(2026, 11, 20)
    )
    done = commands.add_action(store, last_week, "Order slings", "AB", dt.date(2026, 11, 19))
    commands.set_action_status(store, author, done, "done")

    listed = queries.open_actions(store, TODAY)
    assert [a.id for a in listed] == [older, overdue, today, soon, later]
    assert [a.overdue(TODAY) for a in listed] == [True, True, False, False, False]
    assert queries.action_counts(store, TODAY) == (5, 2)


def test_action_due_in_the_past_is_refused(store: Database, author: Author) -> None:
    with pytest.raises(InvalidInput, match="past"):
        commands.add_action(store, author, "Too late", "JM", TODAY - dt.timedelta(days=1))
    assert count(store, "actions") == 0


def test_huddle_actions_carry_their_source(store: Database, author: Author) -> None:
    huddle_id = commands.start_huddle(store, author, "daily", "JM")
    action_id = commands.add_action(
        store, author, "Call pharmacy", "JM", TODAY, source_kind="huddle", source_id=huddle_id
    )
    (action,) = queries.huddle_actions(store, huddle_id)
    assert action.id == action_id
    assert action.source_label == "Daily huddle 2026-11-26"


# -- a damaged file ----------------------------------------------------------------------------


@pytest.fixture
def damaged_source(store: Database, store_path: Path, author: Author) -> Path:
    """A closed store of several pages (WAL checkpointed into the main file)."""
    measure_id = commands.add_measure(store, author, plain_measure())
    commands.record_week_values(store, author, TODAY, [WeekEntry(measure_id, value=2)])
    rows = [
        {
            "id": f"action-{n}",
            "text": f"Action {n} " + "x" * 200,
            "owner": "JM",
            "due_on": "2026-12-01",
            "status": "open",
            "raised_on": "2026-11-26",
        }
        for n in range(300)
    ]
    commands.load_rows(store, author, "action", rows)
    store.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    assert store_path.stat().st_size >= 10 * 4096
    return store_path


def _garbage_page_two(data: bytes) -> bytes:
    return data[:4096] + bytes((b * 7 + 13) % 256 for b in range(4096)) + data[8192:]


def _bad_btree_page_header(data: bytes) -> bytes:
    # Page 3 is a b-tree leaf (the migrations table's index, the first thing ever created):
    # with its header overwritten, quick_check runs and answers with a list of problems.
    return data[:8192] + bytes(range(100, 116)) + data[8208:]


def _random_bytes(data: bytes) -> bytes:
    return os.urandom(len(data))


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


DAMAGE = [
    pytest.param(_garbage_page_two, id="garbage-page-2"),
    pytest.param(_bad_btree_page_header, id="bad-btree-page-header"),
    pytest.param(_random_bytes, id="random-bytes"),
    pytest.param(_truncated, id="truncated"),
]


@pytest.mark.parametrize("damage", [p.values[0] for p in DAMAGE], ids=[p.id for p in DAMAGE])
def test_check_store_reports_damage(damaged_source: Path, damage) -> None:
    damaged_source.write_bytes(damage(damaged_source.read_bytes()))
    before = sha256(damaged_source)
    health = check_store(damaged_source)
    assert not health.ok
    assert "damaged" in health.problem
    assert sha256(damaged_source) == before


def test_check_store_reports_problems_that_quick_check_lists(damaged_source: Path) -> None:
    damaged_source.write_bytes(_bad_btree_page_header(damaged_source.read_bytes()))
    raw = sqlite3.connect(f"file:{damaged_source}?mode=ro", uri=True)
    listed = [r[0] for r in raw.execute("PRAGMA quick_check")]
    raw.close()
    assert listed != ["ok"]  # the damage is reported as rows, not raised
    health = check_store(damaged_source)
    assert not health.ok
    assert "Page 3" in health.problem


def test_check_store_on_a_missing_or_healthy_file(tmp_path: Path, store: Database) -> None:
    assert check_store(tmp_path / "not-there.db").ok
    assert not (tmp_path / "not-there.db").exists()
    assert check_store(tmp_path / "board.db").ok


@pytest.mark.parametrize("damage", DAMAGE)
def test_open_store_on_a_damaged_file_keeps_it_and_refuses_writes(
    damaged_source: Path, author: Author, clock: FixedClock, damage
) -> None:
    damaged_source.write_bytes(damage(damaged_source.read_bytes()))
    before = sha256(damaged_source)

    db, health = open_store(damaged_source)
    assert not health.ok
    assert "damaged" in health.problem
    with pytest.raises(StoreUnavailable):
        commands.add_idea(db, author, IdeaDraft(title="Not stored"))
    with pytest.raises(StoreUnavailable):
        commands.set_ward(db, "DEMO-7A", "Renamed", clock)
    with pytest.raises(StoreUnavailable):
        commands.add_action(db, author, "Not stored either", "JM", TODAY)
    with pytest.raises(sqlite3.DatabaseError, match=r"readonly|not a database|malformed"):
        db.execute("CREATE TABLE scribble (x)")
    db.close()
    assert sha256(damaged_source) == before


# -- a crash mid-write -------------------------------------------------------------------------

WRITER = textwrap.dedent(
    """
    import datetime as dt
    import sys

    from huddle_board.clock import FixedClock
    from huddle_board.db import commands, open_store

    db, health = open_store(sys.argv[1])
    assert health.ok, health.problem
    author = commands.Author("DEMO-7A", "JM", FixedClock(dt.datetime(2026, 11, 26, 9, 0)))
    for n in range(1_000_000):
        action_id = commands.add_action(db, author, f"Crash test {n}", "JM", dt.date(2026, 12, 1))
        print(action_id, flush=True)
    """
)


def test_a_crash_mid_write_loses_no_committed_entry(store: Database, store_path: Path) -> None:
    store.close()
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed: list[str] = []
    try:
        assert writer.stdout is not None
        while len(printed) < 50:
            line = writer.stdout.readline()
            if not line:
                pytest.fail(f"writer stopped early: {writer.communicate()[1]}")
            printed.append(line.strip())
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        rest, _ = writer.communicate(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    printed += rest.split()  # lines printed between the 50th and the kill were committed too
    assert len(printed) >= 50

    health = check_store(store_path)
    assert health.ok, health.problem
    db, health = open_store(store_path)
    assert health.ok
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    stored = {r[0] for r in db.execute("SELECT id FROM actions WHERE deleted = 0")}
    queued = outbox(db)
    missing = [i for i in printed if i not in stored]
    assert missing == []
    assert all(queued.get(("action", i)) == 1 for i in printed)
    # At most the one entry committed but not yet printed; never a row without its outbox row.
    assert len(stored) - len(printed) in (0, 1)
    assert {("action", i) for i in stored} == {k for k in queued if k[0] == "action"}
    db.close()

"""CSV export of the demo ward: five files with header rows, one row per live record
(tombstones left out), text that survives commas, quotes and newlines, numbers written as
numbers, and cells that a spreadsheet would run as formulas neutralised."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlite_utils import Database

from huddle_board.clock import FixedClock
from huddle_board.db import commands, open_store, queries
from huddle_board.db.commands import Author, IdeaDraft
from huddle_board.demo import build_demo_ward
from huddle_board.export import export_csv
from huddle_board.model import AGENDAS, ROLES

NOW = dt.datetime(2026, 11, 26, 9, 0)
TODAY = NOW.date()
FILES = {
    "week_values.csv": "week_values",
    "ideas.csv": "ideas",
    "pdsa_cycles.csv": "pdsa_cycles",
    "huddles.csv": "huddles",
    "actions.csv": "actions",
}
HEADERS = {
    "week_values.csv": [
        "week",
        "iso_week",
        "measure",
        "band",
        "unit",
        "value",
        "numerator",
        "denominator",
        "written_by",
    ],
    "ideas.csv": [
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
    ],
    "pdsa_cycles.csv": [
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
    ],
    "actions.csv": [
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
    ],
}
TRICKY = 'Bed 3: "wet floor" sign, mopped\nsecond line, with a comma'


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def demo(tmp_path: Path, clock: FixedClock) -> Iterator[Database]:
    db, health = open_store(tmp_path / "demo.db")
    assert health.ok
    build_demo_ward(db, clock=clock)
    yield db
    db.close()


@pytest.fixture
def author(clock: FixedClock) -> Author:
    return Author(ward="DEMO-7A", initials="AK", clock=clock)


def read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return next(csv.reader(handle))


def live(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT COUNT(*) FROM {table} WHERE deleted = 0").fetchone()[0])


def test_export_writes_five_files_with_headers_and_all_rows(demo: Database, tmp_path: Path) -> None:
    target = tmp_path / "out" / "nested"
    counts = export_csv(demo, target)
    assert set(counts) == set(FILES)
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)
    for name, table in FILES.items():
        assert counts[name] == live(demo, table) > 0, name
        assert len(read(target / name)) == counts[name], name
    for name, expected in HEADERS.items():
        assert header(target / name) == expected
    huddle_header = header(target / "huddles.csv")
    assert {f"attendance_{role}" for role in ROLES} <= set(huddle_header)
    sections = [key for agenda in AGENDAS.values() for key, _title in agenda]
    assert {f"notes_{key}" for key in sections} <= set(huddle_header)


def test_week_values_name_the_week_measure_and_band(demo: Database, tmp_path: Path) -> None:
    export_csv(demo, tmp_path)
    values = read(tmp_path / "week_values.csv")
    assert values[-1]["week"] == "2026-11-23" and values[-1]["iso_week"] == "2026-W48"
    assert [row["week"] for row in values] == sorted(row["week"] for row in values)
    falls = [row for row in values if row["measure"] == "Falls per 1,000 occupied bed days"]
    assert len(falls) == 104 and {row["band"] for row in falls} == {"Performance"}
    for row in falls:
        ratio = float(row["numerator"]) / float(row["denominator"]) * 1000
        assert float(row["value"]) == pytest.approx(ratio)
        assert "." not in row["numerator"]  # counts stay whole numbers, not 3.0
    harm = [row for row in values if row["measure"] == "Falls with harm"]
    assert all(row["value"].isdigit() and row["numerator"] == "" for row in harm)
    assert {row["unit"] for row in values} >= {"£", "%", "WTE"}


def test_huddles_flatten_attendance_and_notes(demo: Database, tmp_path: Path) -> None:
    export_csv(demo, tmp_path)
    exported = {row["id"]: row for row in read(tmp_path / "huddles.csv")}
    for huddle in queries.recent_huddles(demo, limit=20):
        row = exported[huddle.id]
        assert int(row["headcount"]) == huddle.headcount
        for role, count in huddle.attendance.items():
            assert int(row[f"attendance_{role}"]) == count
        for section, text in huddle.notes.items():
            assert row[f"notes_{section}"] == text
        assert row["closed"] == "yes" and row["other"] == ""


def test_text_with_commas_quotes_and_newlines_round_trips(
    demo: Database, author: Author, tmp_path: Path
) -> None:
    huddle_id = commands.start_huddle(demo, author, "daily", "AK")
    commands.save_huddle(
        demo,
        author,
        huddle_id,
        attendance={"nurse": 4},
        notes={"safety": TRICKY},
        duration_s=540,
        close=True,
    )
    action_id = commands.add_action(
        demo,
        author,
        'Order "non-slip" mats, bay 3\nand bay 4',
        "AK",
        TODAY,
        source_kind="huddle",
        source_id=huddle_id,
    )
    export_csv(demo, tmp_path)
    huddle = next(r for r in read(tmp_path / "huddles.csv") if r["id"] == huddle_id)
    assert huddle["notes_safety"] == TRICKY
    assert huddle["attendance_nurse"] == "4" and huddle["attendance_hcsw"] == "0"
    assert huddle["held_on"] == "2026-11-26" and huddle["started_at"] == "09:00"
    action = next(r for r in read(tmp_path / "actions.csv") if r["id"] == action_id)
    assert action["text"] == 'Order "non-slip" mats, bay 3\nand bay 4'
    assert action["source"] == "Daily huddle 2026-11-26"


def test_tombstoned_rows_are_left_out(demo: Database, author: Author, tmp_path: Path) -> None:
    action = queries.open_actions(demo, TODAY)[0]
    commands.delete(demo, author, "action", action.id)
    in_test = queries.ideas(demo, ["in_test"])["in_test"][0]
    commands.delete(demo, author, "idea", in_test.id)
    counts = export_csv(demo, tmp_path)
    assert counts["actions.csv"] == live(demo, "actions")
    assert action.id not in {row["id"] for row in read(tmp_path / "actions.csv")}
    assert counts["ideas.csv"] == live(demo, "ideas")
    cycles = read(tmp_path / "pdsa_cycles.csv")
    assert in_test.id not in {row["idea_id"] for row in cycles}
    assert len(cycles) == live(demo, "pdsa_cycles") - in_test.pdsa_count


def test_cells_that_look_like_formulas_are_neutralised(
    demo: Database, author: Author, tmp_path: Path
) -> None:
    idea_id = commands.add_idea(demo, author, IdeaDraft("=HYPERLINK(1)", problem="@sum, +1"))
    export_csv(demo, tmp_path)
    idea = next(r for r in read(tmp_path / "ideas.csv") if r["id"] == idea_id)
    assert (idea["title"], idea["problem"]) == ("'=HYPERLINK(1)", "'@sum, +1")
    assert idea["pick"] == "?" and idea["pdsa_cycles"] == "0" and idea["owner"] == ""


def test_ideas_and_cycles_carry_their_links(demo: Database, tmp_path: Path) -> None:
    export_csv(demo, tmp_path)
    ideas = {row["id"]: row for row in read(tmp_path / "ideas.csv")}
    cycles = read(tmp_path / "pdsa_cycles.csv")
    for cycle in cycles:
        assert cycle["idea_title"] == ideas[cycle["idea_id"]]["title"]
    per_idea = {key: sum(c["idea_id"] == key for c in cycles) for key in ideas}
    assert all(int(row["pdsa_cycles"]) == per_idea[key] for key, row in ideas.items())
    assert any(row["measure"] == "Cost per patient per week" for row in ideas.values())
    assert {row["pick"] for row in ideas.values()} >= {"I", "P", "C"}


def test_export_again_replaces_the_files(demo: Database, tmp_path: Path) -> None:
    target = tmp_path / "out"
    first = export_csv(demo, target)
    contents = {name: (target / name).read_bytes() for name in FILES}
    assert all(data.startswith("\ufeff".encode()) for data in contents.values())
    assert export_csv(demo, target) == first
    assert {name: (target / name).read_bytes() for name in FILES} == contents
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)  # no partial files left


def test_unknown_huddle_keys_are_kept(demo: Database, tmp_path: Path) -> None:
    huddle_id = demo.execute("SELECT id FROM huddles LIMIT 1").fetchone()[0]
    extra = json.dumps({"nurse": 2, "student": 3})
    demo.execute("UPDATE huddles SET attendance = ? WHERE id = ?", [extra, huddle_id])
    export_csv(demo, tmp_path)
    row = next(r for r in read(tmp_path / "huddles.csv") if r["id"] == huddle_id)
    assert row["attendance_nurse"] == "2"
    assert json.loads(row["other"]) == {"attendance": {"student": 3}}

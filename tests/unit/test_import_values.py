"""CSV import of weekly figures (`huddle_board.importer`, `huddle-board import values`): a good
file lands in the store with its revisions and outbox rows; bad rows, a wrong mapping, values
already stored and files that are not CSV are refused with messages that say where, and a
refused file writes nothing."""

from __future__ import annotations

import codecs
import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from huddle_board import cli
from huddle_board.clock import FixedClock
from huddle_board.db import commands, queries
from huddle_board.db.commands import Author, InvalidInput, MeasureSpec, WeekEntry
from huddle_board.importer import (
    MAX_PROBLEMS,
    ImportCheck,
    ImportRefused,
    check_values_file,
    import_values_file,
)

DATA = Path(__file__).parent.parent / "data" / "import"
MAPPING = DATA / "mapping.toml"
GOOD = DATA / "good.csv"
BAD = DATA / "bad.csv"
REPO = Path(__file__).parent.parent.parent
TODAY = dt.date(2026, 11, 26)
W44, W45, W46, W47 = (dt.date(2024, 10, 28) + dt.timedelta(weeks=n) for n in range(4))
HEADER = "Week ending,Bank £,Sickness %,Falls,Occupied bed days,Comment\n"

BANK = "Bank nursing spend"
SICKNESS = "Sickness absence"
FALLS = "Falls per 1,000 occupied bed days"


@pytest.fixture
def measures(store: Database, author: Author) -> dict[str, str]:
    """The demo ward's names for three measures (one a ratio, one a percentage) and one
    measure the mapping leaves out; name → id."""
    specs = [
        MeasureSpec(BANK, "cost", "£", 0, "decrease"),
        MeasureSpec(SICKNESS, "capacity", "%", 1, "decrease", 4.0),
        MeasureSpec(
            FALLS, "performance", "per 1,000 bed days", 1, "decrease", 6.0, None, 1, True, 1000.0
        ),
        MeasureSpec("Falls with harm", "performance", "falls", 0, "decrease"),
    ]
    return {spec.name: commands.add_measure(store, author, spec) for spec in specs}


def stored(db: Database) -> dict[tuple[str, dt.date], dict[str, Any]]:
    """Every week value row by (measure name, week), tombstones included."""
    sql = (
        "SELECT m.name, v.week, v.value, v.numerator, v.denominator, v.rev, v.written_by, "
        "v.deleted, o.rev AS queued FROM week_values v JOIN measures m ON m.id = v.measure_id "
        "LEFT JOIN outbox o ON o.entity = 'week_value' AND o.entity_id = v.id"
    )
    cursor = db.execute(sql)
    names = [column[0] for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor]
    return {(row["name"], dt.date.fromisoformat(row["week"])): row for row in rows}


def state(db: Database) -> tuple[Any, ...]:
    """Everything an import could change: week value rows and the outbox."""
    values = db.execute("SELECT * FROM week_values ORDER BY id").fetchall()
    outbox = db.execute("SELECT entity, entity_id, rev FROM outbox ORDER BY entity_id").fetchall()
    return tuple(values), tuple(outbox)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def check(
    db: Database, csv_path: Path, mapping: Path = MAPPING, replace: bool = False
) -> ImportCheck:
    return check_values_file(db, csv_path, mapping, TODAY, replace=replace)


# -- a good file ---------------------------------------------------------------------------------


def test_a_good_file_is_imported_with_its_revisions_and_outbox_rows(
    store: Database, author: Author, measures: dict[str, str]
) -> None:
    outcome = import_values_file(store, author, GOOD, MAPPING, replace=False)

    assert outcome.check.ok, outcome.check.problems
    assert outcome.written == 10
    rows = stored(store)
    assert len(rows) == 10
    assert rows[BANK, W44]["value"] == 6120.5  # "6,120.50": a thousands comma, in quotes
    assert rows[BANK, W47]["value"] == 6010  # "£6010"
    assert rows[SICKNESS, W44]["value"] == 4.2  # "4.2%"
    assert (SICKNESS, W46) not in rows  # an empty cell is missing, not zero
    assert (FALLS, W47) not in rows  # "n/a" is listed as missing in the mapping
    falls = rows[FALLS, W44]
    assert (falls["numerator"], falls["denominator"]) == (2, 196)
    assert falls["value"] == pytest.approx(2 / 196 * 1000)
    assert rows[FALLS, W46]["value"] == 0  # a real zero stays a zero
    assert {row["rev"] for row in rows.values()} == {1}
    assert {row["queued"] for row in rows.values()} == {1}  # each one waits in the outbox
    assert {row["written_by"] for row in rows.values()} == {"JM"}
    assert {row["deleted"] for row in rows.values()} == {0}
    tallies = {tally.name: tally.words for tally in outcome.check.tallies}
    assert tallies == {BANK: "4 new", SICKNESS: "3 new", FALLS: "3 new"}
    assert outcome.check.summary()[0] == (
        "good.csv: 4 rows, read as UTF-8, comma-separated; weeks 2024-W44 to 2024-W47."
    )


def test_the_store_reads_imported_values_like_typed_ones(
    store: Database, author: Author, measures: dict[str, str]
) -> None:
    import_values_file(store, author, GOOD, MAPPING, replace=False)

    week = queries.week_values(store, W45)
    assert week[measures[BANK]].value == 5980
    assert week[measures[FALLS]].numerator == 1
    assert measures["Falls with harm"] not in week


@pytest.mark.parametrize(
    ("cell", "monday"),
    [
        ("2024-11-03", W44),  # ISO date, a Sunday
        ("03/11/2024", W44),  # day first, as in the UK
        ("28 Oct 2024", W44),
        ("2024-11-04T00:00:00", W45),
        ("2024-W46", W46),
        ("2024w47", W47),
    ],
)
def test_a_week_is_read_from_a_date_on_any_day_or_an_iso_week(
    store: Database, measures: dict[str, str], tmp_path: Path, cell: str, monday: dt.date
) -> None:
    mapping = write(tmp_path / "m.toml", f'week_column = "Week"\n[measures]\n"{BANK}" = "Bank"\n')
    result = check(store, write(tmp_path / "f.csv", f"Week,Bank\n{cell},100\n"), mapping)

    assert result.ok, result.problems
    assert [row.week for row in result.rows] == [monday]


# -- bad rows ------------------------------------------------------------------------------------


def test_every_bad_row_is_reported_by_its_line_and_nothing_is_written(
    store: Database, author: Author, measures: dict[str, str]
) -> None:
    before = state(store)

    outcome = import_values_file(store, author, BAD, MAPPING, replace=False)

    assert outcome.written == 0
    assert state(store) == before
    assert outcome.check.problems == (
        "line 3: 'Week ending' is '31/11/2024', not a date in the form %d/%m/%Y.",
        "line 4: 'Bank £' is 'lots', not a number.",
        # line 4's quoted note runs on to line 5: the next record starts on line 6
        "line 6: Sickness absence: a percentage cannot be above 100. ('Sickness %' is '104')",
        "line 7: Falls per 1,000 occupied bed days: give both the numerator and the "
        "denominator. ('Falls' is '3', 'Occupied bed days' is '')",
        "line 8: the week 2024-W44 is also on line 2.",
        "line 9: 'Week ending' is '2030-W01', a week in the future (2030-W01).",
        "line 10: 3 cells where the header has 6.",
        "line 11: Bank nursing spend: -50.0 is not a possible value. ('Bank £' is '-50')",
    )
    assert outcome.check.problem_count == 8
    report = outcome.check.problem_report("hint")
    assert report[0] == "bad.csv: 8 problems; nothing was imported."
    assert "hint" not in report  # no value already stored: nothing to replace


def test_a_bad_row_at_the_end_leaves_the_store_as_it_was(
    store: Database, author: Author, measures: dict[str, str], tmp_path: Path
) -> None:
    import_values_file(store, author, GOOD, MAPPING, replace=False)
    before = state(store)
    later = HEADER + "01/12/2024,6000,4.0,1,190,\n08/12/2024,7000,4.1,1,190,\n"
    last_bad = write(tmp_path / "last.csv", later + "15/12/2024,7000,4.1,1,190,oops,extra\n")

    outcome = import_values_file(store, author, last_bad, MAPPING, replace=False)

    assert outcome.check.problems == (
        "line 4: 7 cells where the header has 6: a number with a comma, not in quotes?",
    )
    assert outcome.written == 0
    assert state(store) == before


def test_one_transaction_a_value_stored_meanwhile_undoes_the_whole_import(
    store: Database, author: Author, measures: dict[str, str]
) -> None:
    """Checked files can meet a value typed at the board between the check and the write:
    `import_week_values` refuses it inside its transaction and nothing of the file stays."""
    commands.record_week_values(store, author, W46, [WeekEntry(measures[BANK], value=1.0)])
    before = state(store)
    weeks = [
        (W44, [WeekEntry(measures[BANK], value=10.0)]),
        (W45, [WeekEntry(measures[FALLS], numerator=1.0, denominator=100.0)]),
        (W46, [WeekEntry(measures[BANK], value=30.0)]),
    ]

    with pytest.raises(
        InvalidInput, match="Bank nursing spend already has a value for the week of 11 Nov 2024"
    ):
        commands.import_week_values(store, author, weeks, replace=False)

    assert state(store) == before
    assert not store.conn.in_transaction


def test_problems_are_capped_for_the_report_but_all_counted(
    store: Database, measures: dict[str, str], tmp_path: Path
) -> None:
    rows = "".join(f"0{day % 9 + 1}/11/2024,x{day},,,,\n" for day in range(80))
    result = check(store, write(tmp_path / "many.csv", HEADER + rows))

    assert result.problem_count == 80
    assert len(result.problems) == MAX_PROBLEMS
    assert result.problems[0] == "line 2: 'Bank £' is 'x0', not a number."
    assert result.problem_report("")[-1] == f"  … and {80 - MAX_PROBLEMS} more."


def test_a_decimal_comma_is_refused_not_read_as_thousands(
    store: Database, measures: dict[str, str], tmp_path: Path
) -> None:
    text = "Week ending;Bank £;Sickness %;Falls;Occupied bed days;Comment\n03/11/2024;6120;4,2;;;\n"
    result = check(store, write(tmp_path / "semi.csv", text))

    assert result.delimiter == ";"  # found from the header line
    assert result.problems == ("line 2: 'Sickness %' is '4,2', not a number.",)


def test_a_patient_identifier_in_a_cell_is_not_repeated_in_the_message(
    store: Database, measures: dict[str, str], tmp_path: Path
) -> None:
    result = check(store, write(tmp_path / "id.csv", HEADER + "03/11/2024,943 476 5919,,,,\n"))

    assert result.problems == (
        "line 2: 'Bank £' is '(a patient identifier, not shown)', not a number.",
    )


# -- the mapping ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        (
            'week_column = "Week ending"\n[measures]\n"Bank nursing spnd" = "Bank £"\n',
            "m.toml: [measures] 'Bank nursing spnd': the board has no such measure "
            "(did you mean 'Bank nursing spend'?).",
        ),
        (
            f'week_column = "Week ending"\n[measures]\n"{BANK}" = "Bank GBP"\n',
            "m.toml: [measures] 'Bank nursing spend' names column 'Bank GBP': not in the header "
            "of good.csv (line 1), which has 'Week ending', 'Bank £', 'Sickness %', 'Falls', "
            "'Occupied bed days', 'Comment'.",
        ),
        (
            f'week_column = "Week"\n[measures]\n"{BANK}" = "Bank £"\n',
            "m.toml: week_column names column 'Week': not in the header of good.csv",
        ),
        (
            f'week_column = "Week ending"\n[measures]\n"{BANK}" = "Bank £"\n'
            f'"{SICKNESS}" = "Bank £"\n',
            "m.toml: [measures] 'Bank nursing spend' and 'Sickness absence' both read column "
            "'Bank £'.",
        ),
        (
            f'week_column = "Week ending"\n[measures]\n"{BANK}" = "Bank £"\n'
            f'"{BANK}" = "Sickness %"\n',
            "m.toml is not valid TOML: Cannot overwrite a value (at line 4, column",
        ),
        (
            f'week_column = "Week ending"\n[measures]\n"{FALLS}" = "Falls"\n',
            "m.toml: [measures] 'Falls per 1,000 occupied bed days' is a ratio measure: give "
            '{ numerator = "column", denominator = "column" }.',
        ),
        (
            f'week_colum = "Week ending"\n[measures]\n"{BANK}" = "Bank £"\n',
            "m.toml: unknown key 'week_colum' (did you mean 'week_column'?).",
        ),
        (
            f'[measures]\n"{BANK}" = "Bank £"\n',
            "m.toml: week_column is missing",
        ),
        ('week_column = "Week ending"\n', "m.toml: a [measures] table is needed"),
        ('week_column = "Week ending"\n[measures\n', "m.toml is not valid TOML: Expected ']'"),
        (
            'week_column = "Week ending"\ndate_format = "dd/mm/yyyy"\n[measures]\n"x" = "y"\n',
            "m.toml: date_format has no % codes",
        ),
    ],
    ids=[
        "unknown-measure",
        "unknown-column",
        "unknown-week-column",
        "column-twice",
        "measure-twice",
        "ratio-one-column",
        "unknown-key",
        "no-week-column",
        "no-measures",
        "bad-toml",
        "bad-date-format",
    ],
)
def test_a_wrong_mapping_is_refused_naming_its_key(
    store: Database, measures: dict[str, str], tmp_path: Path, mapping: str, message: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        check(store, GOOD, write(tmp_path / "m.toml", mapping))

    assert refused.value.message.startswith(message)


def test_a_measure_named_by_name_and_by_id_is_mapped_twice(
    store: Database, measures: dict[str, str], tmp_path: Path
) -> None:
    mapping = 'week_column = "Week ending"\n[measures]\n'
    mapping += f'"{BANK}" = "Bank £"\n"{measures[BANK]}" = "Falls"\n'
    with pytest.raises(ImportRefused, match="are the same measure"):
        check(store, GOOD, write(tmp_path / "m.toml", mapping))


def test_the_same_denominator_may_serve_two_ratio_measures(
    store: Database, author: Author, measures: dict[str, str], tmp_path: Path
) -> None:
    spec = MeasureSpec(
        "Pressure ulcers per 1,000 bed days",
        "performance",
        "",
        1,
        "decrease",
        is_ratio=True,
        ratio_scale=1000.0,
    )
    commands.add_measure(store, author, spec)
    mapping = (
        'week_column = "Week"\n[measures]\n'
        f'"{FALLS}" = {{ numerator = "Falls", denominator = "Bed days" }}\n'
        '"pressure ulcers per 1,000 bed days" = '
        '{ numerator = "Ulcers", denominator = "Bed days" }\n'
    )
    csv_text = "Week,Falls,Ulcers,Bed days\n2024-11-04,1,2,200\n"
    result = check(store, write(tmp_path / "f.csv", csv_text), write(tmp_path / "m.toml", mapping))

    assert result.ok
    assert [figure.value for figure in result.rows[0].figures] == [5.0, 10.0]


# -- values already stored -----------------------------------------------------------------------


def test_values_already_stored_are_refused_then_replaced_as_new_revisions(
    store: Database, measures: dict[str, str], tmp_path: Path, clock: FixedClock
) -> None:
    import_values_file(store, Author("DEMO-7A", "JM", clock), GOOD, MAPPING, replace=False)
    before = state(store)

    again = import_values_file(store, Author("DEMO-7A", "AB", clock), GOOD, MAPPING, replace=False)

    assert again.written == 0 and state(store) == before
    assert again.check.duplicate_count == 10
    assert again.check.problems[0] == (
        "line 2: Bank nursing spend already has a value for the week of 28 Oct 2024 (2024-W44): "
        "£6,120, written by JM."
    )
    assert again.check.problems[3].startswith("line 3: Bank nursing spend")  # the row after
    assert again.check.problem_report("Use --replace.")[-1] == "Use --replace."

    changed = write(tmp_path / "changed.csv", GOOD.read_text().replace("5980", "5990"))
    replaced = import_values_file(
        store, Author("DEMO-7A", "AB", clock), changed, MAPPING, replace=True
    )

    assert replaced.written == 1
    tallies = {tally.name: tally.words for tally in replaced.check.tallies}
    assert tallies == {
        BANK: "1 replaced, 3 unchanged",
        SICKNESS: "3 unchanged",
        FALLS: "3 unchanged",
    }
    rows = stored(store)
    assert rows[BANK, W45]["value"] == 5990
    assert (rows[BANK, W45]["rev"], rows[BANK, W45]["queued"]) == (2, 2)
    assert rows[BANK, W45]["written_by"] == "AB"
    assert (rows[BANK, W44]["rev"], rows[BANK, W44]["written_by"]) == (1, "JM")


def test_a_cleared_value_is_not_a_duplicate(
    store: Database, author: Author, measures: dict[str, str]
) -> None:
    """A value typed and then cleared (a tombstone) is missing: the import fills it in."""
    commands.record_week_values(store, author, W44, [WeekEntry(measures[BANK], value=1.0)])
    commands.record_week_values(store, author, W44, [WeekEntry(measures[BANK], value=None)])

    outcome = import_values_file(store, author, GOOD, MAPPING, replace=False)

    assert outcome.check.ok
    row = stored(store)[BANK, W44]
    assert (row["value"], row["rev"], row["deleted"]) == (6120.5, 3, 0)


def test_a_dry_run_checks_everything_and_writes_nothing(
    store: Database, author: Author, measures: dict[str, str]
) -> None:
    import_values_file(store, author, GOOD, MAPPING, replace=False)
    before = state(store)

    dry = check(store, GOOD, replace=True)

    assert dry.ok
    assert [tally.words for tally in dry.tallies] == ["4 unchanged", "3 unchanged", "3 unchanged"]
    assert state(store) == before


# -- files that are not CSV, and encodings --------------------------------------------------------


def xlsx(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("[Content_Types].xml", "<Types/>")
        book.writestr("xl/workbook.xml", "<workbook/>")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: xlsx(p), "is an Excel workbook (or another packed file), not CSV"),
        (lambda p: write(p, "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "latin-1"), "is an Excel workbook"),
        (lambda p: write(p, HEADER, "utf-16-le"), "UTF-16 text without a byte-order mark"),
        (lambda p: write(p, "\x89PNG\r\n\x1a\n", "latin-1"), "holds control characters"),
        (lambda p: write(p, ""), "is empty"),
        (lambda p: write(p, "\n \n"), "is empty"),
        (lambda p: write(p, '"Week ending,Bank £\n03/11/2024,1\n'), "line 1: not readable as CSV"),
    ],
    ids=["xlsx", "xls", "utf-16-no-bom", "binary", "empty", "blank", "unclosed-quote"],
)
def test_a_file_that_is_not_csv_is_refused_with_what_it_is(
    store: Database, measures: dict[str, str], tmp_path: Path, make: Any, message: str
) -> None:
    path = make(tmp_path / "figures.csv")

    with pytest.raises(ImportRefused) as refused:
        check(store, path)

    assert message in refused.value.message
    assert refused.value.message.startswith("figures.csv")


@pytest.mark.parametrize(
    ("encoding", "label"),
    [
        ("utf-8-sig", "UTF-8 with BOM"),
        ("utf-16", "UTF-16"),  # with its byte-order mark
        ("cp1252", "Windows-1252"),  # Excel's plain "CSV" on a UK PC: '£' is one byte
    ],
)
def test_excel_encodings_are_read(
    store: Database,
    author: Author,
    measures: dict[str, str],
    tmp_path: Path,
    encoding: str,
    label: str,
) -> None:
    path = write(tmp_path / "excel.csv", GOOD.read_text(encoding="utf-8"), encoding)
    if encoding == "utf-8-sig":
        assert path.read_bytes().startswith(codecs.BOM_UTF8)  # "Week ending" follows the BOM

    outcome = import_values_file(store, author, path, MAPPING, replace=False)

    assert outcome.check.ok, outcome.check.problems
    assert outcome.check.encoding == label
    assert outcome.written == 10


def test_a_header_below_a_title_line(
    store: Database, measures: dict[str, str], tmp_path: Path
) -> None:
    mapping = write(
        tmp_path / "m.toml", MAPPING.read_text().replace("missing", "header_line = 3\nmissing")
    )
    text = "Ward 7A weekly figures\n\n" + GOOD.read_text()
    result = check(store, write(tmp_path / "titled.csv", text), mapping)

    assert result.ok
    assert [row.line for row in result.rows] == [4, 5, 7, 8]


# -- the command line ----------------------------------------------------------------------------


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(["import", "values", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_the_command_line_checks_then_imports_then_refuses_then_replaces(
    store: Database, store_path: Path, measures: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    base = [str(GOOD), "--map", str(MAPPING), "--db", str(store_path)]

    code, out, err = run_cli(capsys, *base, "--dry-run")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "Dry run: nothing was written."
    assert "  Bank nursing spend: 4 new" in out.splitlines()
    assert stored(store) == {}

    code, out, err = run_cli(capsys, *base, "--initials", "ab")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "Imported: 10 values written by AB."
    assert {row["written_by"] for row in stored(store).values()} == {"AB"}

    code, out, err = run_cli(capsys, *base, "--initials", "AB")
    assert (code, out) == (1, "")
    assert err.startswith("huddle-board: good.csv: 10 problems; nothing was imported.\n")
    assert "  line 5: Bank nursing spend already has a value for the week of 11 Nov 2024" in err
    assert err.splitlines()[-1] == "Use --replace to overwrite the values already stored."

    code, out, err = run_cli(capsys, *base, "--initials", "AB", "--replace")
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "Nothing to write: the board holds these values already."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dry-run"], "huddle-board: bad.csv: 8 problems; nothing was imported.\n  line 3: "),
        ([], "huddle-board: --initials is needed: who is importing (2 to 4 letters, e.g. JM).\n"),
        (["--initials", "J"], "huddle-board: --initials must be 2 to 4 letters, like 'JM'.\n"),
    ],
)
def test_the_command_line_exit_status_and_messages(
    store_path: Path,
    measures: dict[str, str],
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    code, out, err = run_cli(
        capsys, str(BAD), "--map", str(MAPPING), "--db", str(store_path), *args
    )

    assert code == (1 if "problems" in message else 2)
    assert out == ""
    assert err.startswith(message)


def test_the_command_line_refuses_a_wrong_mapping_with_status_2(
    store_path: Path, measures: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mapping = write(
        tmp_path / "m.toml", 'week_column = "Week ending"\n[measures]\n"Fals" = "Falls"\n'
    )
    code, out, err = run_cli(
        capsys, str(GOOD), "--map", str(mapping), "--db", str(store_path), "--dry-run"
    )

    assert (code, out) == (2, "")
    assert err == "huddle-board: m.toml: [measures] 'Fals': the board has no such measure.\n"


def test_huddle_board_import_values_runs_as_a_program(
    store: Database, store_path: Path, measures: dict[str, str], tmp_path: Path
) -> None:
    """The real entry point, in its own process, on a file being used by the fixture's
    connection (WAL lets both in); a .xlsx renamed .csv exits 2 with its message."""
    command = [sys.executable, "-m", "huddle_board", "import", "values"]
    common = ["--map", str(MAPPING), "--db", str(store_path), "--initials", "JM"]
    done = subprocess.run(
        [*command, str(GOOD), *common], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert len(stored(store)) == 10

    book = xlsx(tmp_path / "figures.csv")
    done = subprocess.run(
        [*command, str(book), *common], capture_output=True, text=True, cwd=REPO, timeout=60
    )
    assert done.returncode == 2
    assert "figures.csv is an Excel workbook" in done.stderr

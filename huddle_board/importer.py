"""Importing the weekly figures that finance, workforce and incident systems send as CSV: the
mapping file (`import_mapping`) is checked first, then the file (`import_csv`), then every row,
and each problem is reported with its line in the file (the header is line 1). Only a file
with no problem is written: all of it in one transaction (`commands.import_week_values`),
each value a new revision with its outbox row, so sync sends it like a typed one.

Headless (no Textual): the command line (`huddle-board import values`) and the board's import
form both use it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

    from huddle_board.db import Reader

from huddle_board import import_csv
from huddle_board.db import commands, queries
from huddle_board.db.commands import Author, InvalidInput, WeekEntry
from huddle_board.import_csv import BadCell, Records
from huddle_board.import_mapping import (
    DELIMITERS,
    ColumnMap,
    ImportRefused,
    ValuesMapping,
    load_mapping,
    shown,
)
from huddle_board.model import Measure, WeekValue, iso_week_label

__all__ = [
    "ImportCheck",
    "ImportOutcome",
    "ImportRefused",
    "MeasureTally",
    "check_values_file",
    "import_values_file",
]

MAX_PROBLEMS = 50
"""Problems kept for the report, the first by line number (all of them are counted)."""


@dataclass(frozen=True)
class Figure:
    """One measure's figure in one row, with the value it stores."""

    measure: Measure
    entry: WeekEntry
    value: float


@dataclass(frozen=True)
class WeekRow:
    line: int
    week: dt.date
    figures: tuple[Figure, ...]


@dataclass(frozen=True)
class MeasureTally:
    """What a file holds for one measure: values new to the board, values replacing others,
    values equal to those stored (left alone)."""

    name: str
    new: int = 0
    replaced: int = 0
    unchanged: int = 0

    @property
    def words(self) -> str:
        counts = ((self.new, "new"), (self.replaced, "replaced"), (self.unchanged, "unchanged"))
        return ", ".join(f"{count} {word}" for count, word in counts if count) or "no values"


@dataclass(frozen=True)
class ImportCheck:
    """A file checked against the board: its good rows, what they would write, and its
    problems (the first MAX_PROBLEMS by line; `problem_count` counts them all)."""

    file_name: str
    encoding: str
    delimiter: str
    rows_read: int
    rows: tuple[WeekRow, ...]
    tallies: tuple[MeasureTally, ...]
    problems: tuple[str, ...]
    problem_count: int
    duplicate_count: int

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def summary(self) -> list[str]:
        """What the file holds and would write, per measure."""
        head = f"{self.file_name}: {self.rows_read} rows, read as {self.encoding}, "
        head += f"{DELIMITERS[self.delimiter]}-separated"
        if self.rows:
            weeks = sorted(row.week for row in self.rows)
            head += f"; weeks {iso_week_label(weeks[0])} to {iso_week_label(weeks[-1])}"
        return [f"{head}.", *(f"  {tally.name}: {tally.words}" for tally in self.tallies)]

    def problem_report(self, replace_hint: str) -> list[str]:
        """The problems, one a line, under a heading; `replace_hint` says how to overwrite
        values already stored (the command line and the form say it differently)."""
        plural = "" if self.problem_count == 1 else "s"
        lines = [f"{self.file_name}: {self.problem_count} problem{plural}; nothing was imported."]
        lines += [f"  {problem}" for problem in self.problems]
        if self.problem_count > len(self.problems):
            lines.append(f"  … and {self.problem_count - len(self.problems)} more.")
        if self.duplicate_count:
            lines.append(replace_hint)
        return lines


@dataclass(frozen=True)
class ImportOutcome:
    check: ImportCheck
    written: int
    """Rows changed in the store (0 when the file was refused)."""
    initials: str

    @property
    def done(self) -> str:
        """What an accepted import did, in a line."""
        if self.written == 0:
            return "Nothing to write: the board holds these values already."
        plural = "" if self.written == 1 else "s"
        return f"Imported: {self.written} value{plural} written by {self.initials}."


def check_values_file(
    db: Reader, csv_path: Path, mapping_path: Path, today: dt.date, *, replace: bool
) -> ImportCheck:
    """Check the mapping, the file, then every row against the board, writing nothing.
    ImportRefused when the mapping or the file as a whole is wrong; the rows' problems are in
    the result."""
    mapping = load_mapping(mapping_path, queries.measures(db))
    name = csv_path.name
    text, encoding = import_csv.read_csv_text(csv_path)
    delimiter = import_csv.delimiter_of(text, mapping)
    records = import_csv.records(text, delimiter, name)
    line, cells = import_csv.header(records, mapping, name)
    where = import_csv.positions(cells, line, mapping, name)
    problems = _Problems()
    rows, read = _check_rows(records, len(cells), where, mapping, today, problems)
    tallies, duplicates = _tally(db, rows, mapping, replace, problems)
    found = problems.first()
    return ImportCheck(
        name, encoding, delimiter, read, tuple(rows), tallies, found, problems.count, duplicates
    )


def import_values_file(
    db: Database, author: Author, csv_path: Path, mapping_path: Path, *, replace: bool
) -> ImportOutcome:
    """Check the file (as `check_values_file`) and, when every row is good, write all of it
    in one transaction as `author`."""
    check = check_values_file(db, csv_path, mapping_path, author.clock.today(), replace=replace)
    if not check.ok:
        return ImportOutcome(check, 0, author.initials)
    weeks = [(row.week, [figure.entry for figure in row.figures]) for row in check.rows]
    written = commands.import_week_values(db, author, weeks, replace=replace)
    return ImportOutcome(check, written, author.initials)


# -- the rows -------------------------------------------------------------------------------------


@dataclass
class _Problems:
    found: list[tuple[int, str]] = field(default_factory=list)
    count: int = 0

    def add(self, line: int, text: str) -> None:
        self.count += 1
        if len(self.found) < 100 * MAX_PROBLEMS:  # a bound on memory for a wholly bad file
            self.found.append((line, text))

    def first(self) -> tuple[str, ...]:
        ordered = sorted(self.found, key=lambda problem: problem[0])[:MAX_PROBLEMS]
        return tuple(f"line {line}: {text}" for line, text in ordered)


def _check_rows(
    records: Records,
    width: int,
    where: Mapping[str, int],
    mapping: ValuesMapping,
    today: dt.date,
    problems: _Problems,
) -> tuple[list[WeekRow], int]:
    """The good rows, and how many rows were read (blank lines aside)."""
    rows: list[WeekRow] = []
    seen: dict[dt.date, int] = {}
    read = 0
    for line, record in records:
        if not any(cell.strip() for cell in record):
            continue
        read += 1
        row = _check_row(line, record, width, where, mapping, today, problems)
        if row is None:
            continue
        if row.week in seen:
            label = iso_week_label(row.week)
            problems.add(line, f"the week {label} is also on line {seen[row.week]}.")
            continue
        seen[row.week] = line
        rows.append(row)
    return rows, read


def _check_row(
    line: int,
    record: list[str],
    width: int,
    where: Mapping[str, int],
    mapping: ValuesMapping,
    today: dt.date,
    problems: _Problems,
) -> WeekRow | None:
    """The row's week and figures, or None once each of its problems is added."""
    if len(record) < width or any(cell.strip() for cell in record[width:]):
        hint = ": a number with a comma, not in quotes?" if len(record) > width else "."
        problems.add(line, f"{len(record)} cells where the header has {width}{hint}")
        return None
    before = problems.count
    week: dt.date | None = None
    figures: list[Figure] = []
    try:
        week = import_csv.week_of(record[where[mapping.week_column]], mapping, today)
    except BadCell as bad:
        problems.add(line, str(bad))
    for column_map in mapping.columns:
        try:
            figure = _figure(record, where, column_map, mapping.missing)
        except BadCell as bad:
            problems.add(line, str(bad))
            continue
        if figure is not None:
            figures.append(figure)
    if week is None or problems.count > before:
        return None
    return WeekRow(line, week, tuple(figures))


def _figure(
    record: list[str], where: Mapping[str, int], column_map: ColumnMap, missing: frozenset[str]
) -> Figure | None:
    """A measure's figure in a row, checked as a typed one is; None when its cells are empty."""

    def number(column: str | None) -> float | None:
        return None if column is None else import_csv.number(record[where[column]], column, missing)

    measure = column_map.measure
    entry = WeekEntry(
        measure.id,
        value=number(column_map.value),
        numerator=number(column_map.numerator),
        denominator=number(column_map.denominator),
    )
    try:
        value = commands.week_entry_value(measure, entry)
    except InvalidInput as refused:
        cells = [f"'{shown(c)}' is '{shown(record[where[c]].strip())}'" for c in column_map.columns]
        raise BadCell(f"{refused.message} ({', '.join(cells)})") from None
    return None if value is None else Figure(measure, entry, value)


def _tally(
    db: Reader, rows: Sequence[WeekRow], mapping: ValuesMapping, replace: bool, problems: _Problems
) -> tuple[tuple[MeasureTally, ...], int]:
    """Count new, replaced and unchanged values per measure. Without `replace`, each value
    the board already holds for a week and measure is a problem."""
    counts = {column_map.measure.id: [0, 0, 0] for column_map in mapping.columns}
    duplicates = 0
    for row in rows:
        stored = queries.week_values(db, row.week)
        for figure in row.figures:
            old = stored.get(figure.measure.id)
            if old is None:
                counts[figure.measure.id][0] += 1
            elif not replace:
                duplicates += 1
                problems.add(row.line, _already_stored(figure.measure, old, row.week))
            else:
                counts[figure.measure.id][2 if _same(old, figure) else 1] += 1
    tallies = tuple(MeasureTally(m.measure.name, *counts[m.measure.id]) for m in mapping.columns)
    return tallies, duplicates


def _same(old: WeekValue, figure: Figure) -> bool:
    """Whether the stored row already holds this figure (as `import_week_values` judges)."""
    entry = figure.entry
    return (old.value, old.numerator, old.denominator) == (
        figure.value,
        entry.numerator,
        entry.denominator,
    )


def _already_stored(measure: Measure, old: WeekValue, week: dt.date) -> str:
    return (
        f"{measure.name} already has a value for the week of {week:%d %b %Y} "
        f"({iso_week_label(week)}): {measure.format(old.value)}, written by {old.written_by}."
    )

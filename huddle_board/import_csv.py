"""Reading an imported CSV file: its text (UTF-8 with or without a byte-order mark, UTF-16 with
one, else Windows-1252, what Excel's plain "CSV" saves on a UK PC; a workbook or a binary file
is refused with a message saying so), its records with the line each starts on (a quoted cell
may hold newlines), its header, and the week and number cells."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from pathlib import Path

from huddle_board.import_mapping import DELIMITERS, ImportRefused, ValuesMapping, shown
from huddle_board.model import iso_week_label, week_start

MAX_FILE_BYTES = 20 * 1024 * 1024
EARLIEST_WEEK = dt.date(2000, 1, 3)
DATE_FORMATS = ("%d/%m/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d %b %Y", "%d-%b-%Y")
DATE_EXAMPLES = "a date like 29/11/2026 or 2026-11-29, or a week like 2026-W48"
_ISO_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)
_NUMBER = re.compile(r"[-+]?(\d+|\d{1,3}(,\d{3})+)(\.\d*)?|[-+]?\.\d+")
_NOT_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "UTF-8 with BOM"),
    (codecs.BOM_UTF16_LE, "utf-16", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "UTF-16"),
)
Records = Iterator[tuple[int, list[str]]]


class BadCell(Exception):
    """A cell (or a pair of cells) of a row that cannot be imported; the text says why."""


def read_csv_text(path: Path) -> tuple[str, str]:
    """The file's text and how it was read ("UTF-8", ...), or ImportRefused saying what the
    file is instead: empty, too large, a workbook, binary, in another encoding."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportRefused(f"{path.name} is over {MAX_FILE_BYTES >> 20} MB: not CSV figures.")
        data = path.read_bytes()
    except OSError as error:
        raise ImportRefused(f"The file cannot be read ({error.strerror}): {path}") from None
    text, encoding = _decode(data, path.name)
    if not text.strip():
        raise ImportRefused(f"{path.name} is empty.")
    if _NOT_TEXT.search(text):
        raise ImportRefused(f"{path.name} holds control characters: a binary file, not CSV.")
    return text, encoding


def _decode(data: bytes, name: str) -> tuple[str, str]:
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise ImportRefused(
            f"{name} is an Excel workbook (or another packed file), not CSV: in Excel, use "
            "Save As and choose 'CSV UTF-8 (Comma delimited)'."
        )
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), label
            except UnicodeDecodeError:
                raise ImportRefused(f"{name} starts as {label} text but is not.") from None
    if b"\x00" in data:
        raise ImportRefused(
            f"{name} holds NUL bytes: a binary file, or UTF-16 text without a byte-order mark, "
            "not CSV. Save it as 'CSV UTF-8'."
        )
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "Windows-1252"
    except UnicodeDecodeError:
        raise ImportRefused(f"{name} is neither UTF-8 nor Windows-1252 text: not CSV.") from None


def delimiter_of(text: str, mapping: ValuesMapping) -> str:
    """The mapping's delimiter, else whichever of comma, semicolon and tab the header line
    holds most of (a comma when none)."""
    if mapping.delimiter is not None:
        return mapping.delimiter
    lines = text.splitlines()
    first = lines[mapping.header_line - 1] if len(lines) >= mapping.header_line else ""
    return max(DELIMITERS, key=lambda mark: (first.count(mark), mark == ","))


def records(text: str, delimiter: str, name: str) -> Records:
    """(the line of the file a record starts on, its cells), header included."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    start = 1
    try:
        for record in reader:
            yield start, record
            start = reader.line_num + 1
    except csv.Error as error:
        raise ImportRefused(f"{name}, line {start}: not readable as CSV ({error}).") from None


def header(rows: Records, mapping: ValuesMapping, name: str) -> tuple[int, list[str]]:
    """The header record (at the mapping's `header_line`) and its line."""
    for line, record in rows:
        if line >= mapping.header_line:
            return line, record
    raise ImportRefused(f"{name} has no line {mapping.header_line} with the column names.")


def positions(cells: list[str], line: int, mapping: ValuesMapping, name: str) -> dict[str, int]:
    """Where each mapped column is in the header: its exact name, else the name in another
    case. ImportRefused names each mapping key whose column is not there."""
    names = [cell.strip() for cell in cells]
    wanted = [("week_column", mapping.week_column)]
    wanted += [(f"[measures] '{shown(m.key)}'", c) for m in mapping.columns for c in m.columns]
    found: dict[str, int] = {}
    absent: list[str] = []
    for key, column in wanted:
        hits = [n for n, cell in enumerate(names) if cell == column]
        hits = hits or [n for n, cell in enumerate(names) if cell.casefold() == column.casefold()]
        if len(hits) > 1:
            raise ImportRefused(f"{name}, line {line}: the header has '{shown(column)}' twice.")
        if hits:
            found[column] = hits[0]
        else:
            absent.append(f"{key} names column '{shown(column)}'")
    if absent:
        has = ", ".join(f"'{shown(cell, 30)}'" for cell in names if cell) or "no names"
        raise ImportRefused(
            f"{mapping.name}: {'; '.join(absent)}: not in the header of {name} (line {line}), "
            f"which has {has}."
        )
    return found


def week_of(text: str, mapping: ValuesMapping, today: dt.date) -> dt.date:
    """The Monday of the week a cell names (any day of it, or an ISO week), not after this
    week; BadCell otherwise."""
    cell, column = text.strip(), shown(mapping.week_column)
    if not cell:
        raise BadCell(f"'{column}' is empty: no week.")
    day = _day(cell, mapping.date_format)
    if day is None:
        form = f"a date in the form {mapping.date_format}" if mapping.date_format else DATE_EXAMPLES
        raise BadCell(f"'{column}' is '{shown(cell)}', not {form}.")
    monday = week_start(day)
    if monday > week_start(today):
        label = iso_week_label(monday)
        raise BadCell(f"'{column}' is '{shown(cell)}', a week in the future ({label}).")
    if monday < EARLIEST_WEEK:
        raise BadCell(f"'{column}' is '{shown(cell)}', too long ago for a week's figures.")
    return monday


def _day(cell: str, date_format: str | None) -> dt.date | None:
    iso_week = _ISO_WEEK.fullmatch(cell)
    if iso_week:
        try:
            return dt.date.fromisocalendar(int(iso_week[1]), int(iso_week[2]), 1)
        except ValueError:
            return None
    if date_format is None:
        try:
            return dt.datetime.fromisoformat(cell).date()
        except ValueError:
            pass
    for form in (date_format,) if date_format else DATE_FORMATS:
        try:
            return dt.datetime.strptime(cell, form).date()
        except ValueError:
            continue
    return None


def number(text: str, column: str, missing: frozenset[str]) -> float | None:
    """'1,234.5', '£450', '12%' → a number; empty (or a `missing` word) → None, never 0.
    A comma only separates thousands: '12,5' is refused, not read as 125."""
    cell = text.strip()
    if not cell or cell.casefold() in missing:
        return None
    try:
        return plain_number(cell)
    except ValueError:
        raise BadCell(f"'{shown(column)}' is '{shown(cell)}', not a number.") from None


def plain_number(text: str) -> float | None:
    """'1,234.5', '£450', '12 %' → a number; '' → None; ValueError for anything else, a
    decimal comma ('12,5') included: a comma only separates thousands. (The week form reads
    typed figures with this too.)"""
    bare = text.replace("£", "").replace("%", "").replace("\u00a0", "").strip()
    if not bare:
        return None
    if not _NUMBER.fullmatch(bare):
        raise ValueError(text)
    return float(bare.replace(",", ""))

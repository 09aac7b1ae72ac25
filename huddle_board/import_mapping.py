"""The mapping file of a CSV import (TOML): which column holds the week, how its dates are
written, and which columns hold which of the board's measures. Checked whole against the
board's measures before any row of a file is read:

    week_column = "Week ending"   # a date on any day of the week, or an ISO week: 2026-W47
    date_format = "%d/%m/%Y"      # optional (Python strptime); without it 2026-11-29,
                                  # 29/11/2026 (day first), 29 Nov 2026 and 2026-W48 are read
    delimiter = ","               # optional: ",", ";" or "\\t"; else found from the header
    missing = ["n/a", "-"]        # optional: cells meaning "no figure", besides an empty one
    header_line = 1               # optional: the line with the column names (titles above)

    [measures]                    # a measure (its name on the board, or its id) = its column
    "Bank nursing spend" = "Bank £"
    "Falls per 1,000 occupied bed days" = { numerator = "Falls", denominator = "OBD" }

A ratio measure takes a numerator and a denominator column. A column holds one measure's
figures; only a denominator (occupied bed days, say) may serve several ratio measures.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from huddle_board import privacy
from huddle_board.model import Measure

MAPPING_KEYS = ("week_column", "date_format", "delimiter", "missing", "header_line", "measures")
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}


class ImportRefused(Exception):
    """The import cannot start: the mapping, or the file as a whole, is wrong. `message` names
    the mapping key, or says what the file is instead of CSV."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def shown(text: str, limit: int = 40) -> str:
    """A cell, column or key as a message may show it: short, control characters made
    visible, and never a patient identifier (messages appear on the ward's screen)."""
    if privacy.has_identifier(text):
        return "(a patient identifier, not shown)"
    text = privacy.printable(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(frozen=True)
class ColumnMap:
    """Where one measure's figure is: one column, or numerator and denominator columns.
    `key` is the measure as the mapping names it."""

    key: str
    measure: Measure
    value: str | None = None
    numerator: str | None = None
    denominator: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        found = (self.value, self.numerator, self.denominator)
        return tuple(column for column in found if column is not None)

    @property
    def own_columns(self) -> tuple[str, ...]:
        """The columns no other measure may read: the value, or the numerator."""
        return tuple(column for column in (self.value, self.numerator) if column is not None)


@dataclass(frozen=True)
class ValuesMapping:
    name: str
    """The mapping file's name, for messages."""
    week_column: str
    columns: tuple[ColumnMap, ...]
    date_format: str | None = None
    delimiter: str | None = None
    missing: frozenset[str] = frozenset()
    """Cell texts (case-folded) that mean 'no figure'."""
    header_line: int = 1


def load_mapping(path: Path, measures: Sequence[Measure]) -> ValuesMapping:
    """Read the mapping file and check it against the board's measures; ImportRefused names
    the key that is wrong."""
    raw, name = _read_toml(path), path.name
    for key in raw:
        if key not in MAPPING_KEYS:
            raise ImportRefused(f"{name}: unknown key '{shown(key)}'{_like(key, MAPPING_KEYS)}.")
    week_column = _text(raw, "week_column", name)
    if week_column is None:
        example = 'week_column = "Week ending"'
        raise ImportRefused(f"{name}: week_column is missing: the week's column, e.g. {example}.")
    date_format = _text(raw, "date_format", name)
    if date_format is not None and "%" not in date_format:
        raise ImportRefused(f'{name}: date_format has no % codes; for 29/11/2026 it is "%d/%m/%Y".')
    delimiter = raw.get("delimiter")
    if delimiter is not None and delimiter not in DELIMITERS:
        raise ImportRefused(f'{name}: delimiter must be ",", ";" or "\\t".')
    header_line = raw.get("header_line", 1)
    if type(header_line) is not int or header_line < 1:
        raise ImportRefused(f"{name}: header_line must be a line number, 1 or more.")
    columns = _measure_maps(raw.get("measures"), measures, name)
    for column_map in columns:
        if week_column.casefold() in (column.casefold() for column in column_map.columns):
            raise ImportRefused(f"{name}: [measures] '{shown(column_map.key)}' reads the week.")
    missing = _missing(raw, name)
    return ValuesMapping(name, week_column, columns, date_format, delimiter, missing, header_line)


def _like(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean '{shown(close[0])}'?)" if close else ""


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as error:
        raise ImportRefused(f"The mapping file cannot be read ({error.strerror}): {path}") from None
    except UnicodeDecodeError:
        raise ImportRefused(f"{path.name} is not a UTF-8 text file, so not a mapping.") from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ImportRefused(f"{path.name} is not valid TOML: {error}.") from None


def _text(raw: Mapping[str, Any], key: str, name: str) -> str | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ImportRefused(f"{name}: {key} must be a text in quotes.")
    return value.strip()


def _missing(raw: Mapping[str, Any], name: str) -> frozenset[str]:
    words = raw.get("missing", [])
    if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
        raise ImportRefused(f'{name}: missing must be a list of texts, like ["n/a", "-"].')
    return frozenset(word.strip().casefold() for word in words)


def _measure_maps(table: Any, measures: Sequence[Measure], name: str) -> tuple[ColumnMap, ...]:
    if not isinstance(table, dict) or not table:
        raise ImportRefused(f'{name}: a [measures] table is needed: "measure name" = "column".')
    maps: list[ColumnMap] = []
    for key, spec in table.items():
        column_map = _column_map(key, _measure(key, measures, name), spec, name)
        for earlier in maps:
            both = f"{name}: [measures] '{shown(earlier.key)}' and '{shown(key)}'"
            if earlier.measure.id == column_map.measure.id:
                raise ImportRefused(f"{both} are the same measure.")
            shared = set(earlier.own_columns) & set(column_map.own_columns)
            if shared:
                raise ImportRefused(f"{both} both read column '{shown(shared.pop())}'.")
        maps.append(column_map)
    return tuple(maps)


def _measure(key: str, measures: Sequence[Measure], name: str) -> Measure:
    """The measure a mapping key names: its id, its name, or its name in another case."""
    for measure in measures:
        if key in (measure.id, measure.name):
            return measure
    folded = [m for m in measures if m.name.strip().casefold() == key.strip().casefold()]
    if len(folded) == 1:
        return folded[0]
    like = _like(key, [measure.name for measure in measures])
    raise ImportRefused(f"{name}: [measures] '{shown(key)}': the board has no such measure{like}.")


def _column_map(key: str, measure: Measure, spec: Any, name: str) -> ColumnMap:
    where = f"{name}: [measures] '{shown(key)}'"
    if not measure.is_ratio:
        if not _is_column(spec):
            raise ImportRefused(f"{where} must name one column, in quotes.")
        return ColumnMap(key, measure, value=spec.strip())
    ratio = spec if isinstance(spec, dict) else {}
    numerator, denominator = ratio.get("numerator"), ratio.get("denominator")
    if len(ratio) != 2 or not _is_column(numerator) or not _is_column(denominator):
        example = '{ numerator = "column", denominator = "column" }'
        raise ImportRefused(f"{where} is a ratio measure: give {example}.")
    return ColumnMap(
        key, measure, numerator=str(numerator).strip(), denominator=str(denominator).strip()
    )


def _is_column(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())

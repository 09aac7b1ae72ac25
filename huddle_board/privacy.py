"""Privacy gate for free text on the ward board.

Everything a user types into a free-text field passes through `check_text`
before it is saved.  The board must never hold a patient identifier: patients
are referred to by bed number only.  This module is pure Python (stdlib only)
and imports nothing else from the project.

Identifiers
-----------
`find_identifiers` looks for two kinds of ten-digit identifier:

* ``"chi"`` -- a Scottish CHI number.  The first six digits are a date of
  birth DDMMYY that must exist (day 01-31, month 01-12, 31/02 rejected).  YY
  is read as 19YY or 20YY; the date is valid if it exists in either century,
  so 29/02/00 is valid (2000 was a leap year).  The tenth digit is a check
  digit: either modulus 11 (weights 10..2 on the first nine digits,
  check = 11 - sum mod 11, 11 becomes 0, 10 means invalid) or, for numbers
  issued from 2025-26, modulus 10 (Luhn style: double the digits in positions
  1, 3, 5, 7, 9, subtract 9 from any result over 9, add all nine,
  check = (10 - sum mod 10) mod 10).  Passing either check is enough.
* ``"nhs_number"`` -- an NHS number (England, Wales): ten digits with the
  modulus 11 check and no date rule.

A number that is both (every modulus 11 CHI is also a valid NHS number) is
reported once, as ``"chi"``.

How digits are grouped (the rule, kept deliberately simple):

1. A *run* is a maximal sequence of ASCII digit groups joined by exactly one
   separator between groups.  Separators are a space or a dash; the no-break,
   thin and narrow no-break spaces and the Unicode hyphens/figure dash/en dash
   count as well.  Two separators in a row, or anything else (a comma, a
   word, a newline), ends the run.  So "943 476 5919", "943-476-5919",
   "010170 1234" and "01 01 70 12 34" are runs of ten digits, while in
   "bed 12 at 0900 reviewed" the numbers are separate runs.
2. A run of exactly ten digits is a candidate.
3. A run of more than ten digits is normally the number continuing, so
   "943 476 5919 2" and "12345678901" are *not* identifiers.  Two exceptions
   catch an identifier written after another number:

   * any single unbroken group of exactly ten digits inside the run is a
     candidate ("bed 4 9434765919", "9434765919 2");
   * the trailing whole groups that add up to exactly ten digits are a
     candidate, since a short leading group is usually a bed or room number
     ("bed 4 943 476 5919").  Trailing digits are never split off the front
     of a grouped number: "943 476 5919 2" stays an eleven-digit run.

4. A candidate directly touching another digit is not a match; letters do
   not protect it: "CHI0101701233" and "NHS9434765919" are identifiers.
5. A candidate is a match when its ten digits pass the CHI or NHS rules.

Known trade-off: a list of numbers separated only by spaces ("12 14 16 18
20") forms a ten-digit run and may pass the modulus 11 check by chance (this
one does).  The user sees a clear message and can add commas; refusing a
harmless note is preferred to storing an identifier.

Offsets (`IdentifierMatch.start`/`end`) are indices into the original text,
end exclusive, covering the digits and the separators between them.
Messages shown to users count characters from 1.

Warnings
--------
`find_warnings` flags, without blocking, text that mentions a bed number
(``bed 12``, ``Bed: 4``, ``bed12``) together with something that looks like a
date of birth: a date written d/m/yy(yy), d.m.yy(yy) or d-m-yy(yy), or the
words "DOB", "D.O.B", "date of birth" or "born".  "B12" style bed references
are deliberately not recognised (vitamin B12 is common on a ward).

Terminal safety
---------------
`printable` makes text safe to draw on a terminal.  It only handles control
and invisible characters; markup such as "[bold]" is left alone (the UI
renders with markup off).  Newline and tab are kept; other characters are
replaced by a single visible character:

* C0 controls U+0000-U+001F (including carriage return and escape) become
  the matching Control Picture U+2400 + code ("\\x1b" -> "\u241b");
* DEL U+007F becomes U+2421 ("\u2421");
* C1 controls U+0080-U+009F become U+FFFD ("\ufffd");
* format characters (category Cf: bidi overrides and isolates, zero-width
  spaces and joiners, soft hyphen, BOM, tag characters ...), line and
  paragraph separators (Zl, Zp) and lone surrogates (Cs) become
  U+2370 ("\u2370").  One exception: a zero-width joiner inside an emoji
  sequence (after an emoji or skin-tone modifier or U+FE0F and before another
  emoji) is kept so that e.g. a health-worker emoji still renders.

Plain ASCII and text without suspicious characters is returned unchanged
(the same object) after a single precompiled regex search.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

__all__ = [
    "IdentifierKind",
    "IdentifierMatch",
    "TextRefused",
    "check_text",
    "find_identifiers",
    "find_warnings",
    "has_identifier",
    "identifier_kind",
    "identifier_message",
    "printable",
]

IdentifierKind = Literal["chi", "nhs_number"]


@dataclass(frozen=True, slots=True)
class IdentifierMatch:
    """One identifier found in a text.

    `start` and `end` are offsets into the original text (end exclusive) and
    cover the digits with any separators between them; `text` is
    ``original[start:end]``.
    """

    kind: IdentifierKind
    start: int
    end: int
    text: str


class TextRefused(ValueError):
    """Raised by `check_text` when a text may not be saved.

    `field` is the field name given to `check_text`; `message` is the
    complete sentence(s) to show the user (also the exception's str()).
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field: str = field
        self.message: str = message


# ---------------------------------------------------------------------------
# Check digits and dates

_MOD11_WEIGHTS: Final = (10, 9, 8, 7, 6, 5, 4, 3, 2)


def _mod11_check(digits: Sequence[int]) -> int | None:
    """Modulus 11 check digit for nine digits, or None when it would be 10."""
    total = sum(d * w for d, w in zip(digits, _MOD11_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def _mod10_check(digits: Sequence[int]) -> int:
    """Modulus 10 (Luhn style) check digit for nine digits.

    Digits in positions 1, 3, 5, 7 and 9 (counting from 1 on the left) are
    doubled, 9 is subtracted from any doubled value over 9, and all nine are
    summed.
    """
    total = 0
    for index, digit in enumerate(digits):
        if index % 2 == 0:  # positions 1, 3, 5, 7, 9
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def _date_exists(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _valid_dob(digits: Sequence[int]) -> bool:
    """True when the first six digits are a DDMMYY date in 19YY or 20YY."""
    day = digits[0] * 10 + digits[1]
    month = digits[2] * 10 + digits[3]
    yy = digits[4] * 10 + digits[5]
    return _date_exists(1900 + yy, month, day) or _date_exists(2000 + yy, month, day)


def identifier_kind(digits: str) -> IdentifierKind | None:
    """Classify exactly ten ASCII digits (no separators).

    Returns ``"chi"`` for a valid CHI number (valid date of birth and a
    modulus 11 or modulus 10 check digit), otherwise ``"nhs_number"`` when the
    modulus 11 check passes, otherwise None.  Anything that is not exactly
    ten ASCII digits gives None.
    """
    if len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        return None
    values = [ord(c) - 48 for c in digits]
    first_nine, check = values[:9], values[9]
    mod11_ok = _mod11_check(first_nine) == check
    if _valid_dob(values) and (mod11_ok or _mod10_check(first_nine) == check):
        return "chi"
    if mod11_ok:
        return "nhs_number"
    return None


# ---------------------------------------------------------------------------
# Finding identifiers

_SEPARATORS: Final = " -\u00a0\u2009\u202f\u2010\u2011\u2012\u2013"
_RUN_RE: Final = re.compile(rf"[0-9]+(?:[{re.escape(_SEPARATORS)}][0-9]+)*")
_GROUP_RE: Final = re.compile(r"[0-9]+")
_DIGIT_COUNT: Final = 10


def _candidate_spans(text: str, run: re.Match[str]) -> Iterator[tuple[int, int]]:
    """Spans (start, end) in `text` that may hold a ten-digit identifier."""
    groups = [(g.start(), g.end()) for g in _GROUP_RE.finditer(text, run.start(), run.end())]
    total = sum(end - start for start, end in groups)
    if total == _DIGIT_COUNT:
        yield run.start(), run.end()
        return
    if total < _DIGIT_COUNT:
        return
    for start, end in groups:
        if end - start == _DIGIT_COUNT:
            yield start, end
    count = 0
    for start, end in reversed(groups):
        count += end - start
        if count == _DIGIT_COUNT:
            yield start, run.end()
        if count >= _DIGIT_COUNT:
            break


def _touches_digit(text: str, start: int, end: int) -> bool:
    # Letters next to the digits do not protect them: "CHI0101701233" is still a CHI number.
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return before.isdigit() or after.isdigit()


def find_identifiers(text: str) -> list[IdentifierMatch]:
    """Return the CHI and NHS numbers in `text`, in order of position.

    See the module docstring for the exact grouping rule.  Each number is
    reported once; a number valid as both CHI and NHS number is ``"chi"``.
    """
    matches: list[IdentifierMatch] = []
    seen: set[tuple[int, int]] = set()
    for run in _RUN_RE.finditer(text):
        for start, end in _candidate_spans(text, run):
            if (start, end) in seen or _touches_digit(text, start, end):
                continue
            seen.add((start, end))
            span_text = text[start:end]
            kind = identifier_kind("".join(_GROUP_RE.findall(span_text)))
            if kind is not None:
                matches.append(IdentifierMatch(kind, start, end, span_text))
    matches.sort(key=lambda m: (m.start, m.end))
    return matches


def has_identifier(text: str) -> bool:
    """True when `text` holds a CHI or NHS number."""
    return bool(find_identifiers(text))


_KIND_NAMES: Final[dict[IdentifierKind, tuple[str, str]]] = {
    # kind: (singular with article, plural)
    "chi": ("a CHI number", "CHI numbers"),
    "nhs_number": ("an NHS number", "NHS numbers"),
}
_IDENTIFIER_ADVICE: Final = (
    "Patient identifiers cannot be stored on the board: refer to patients by bed number only."
)


def _join_ranges(ranges: list[str]) -> str:
    if len(ranges) == 1:
        return ranges[0]
    return ", ".join(ranges[:-1]) + " and " + ranges[-1]


def identifier_message(matches: Sequence[IdentifierMatch]) -> str:
    """A message for the user describing `matches`.

    One sentence per kind found (CHI first, then NHS), giving the character
    positions counted from 1, followed by the advice sentence, e.g.
    "This looks like a CHI number (characters 12–21). Patient identifiers
    cannot be stored on the board: refer to patients by bed number only."
    Returns "" when `matches` is empty.
    """
    if not matches:
        return ""
    sentences: list[str] = []
    for kind, (singular, plural) in _KIND_NAMES.items():
        found = sorted((m for m in matches if m.kind == kind), key=lambda m: m.start)
        if not found:
            continue
        ranges = _join_ranges([f"{m.start + 1}\u2013{m.end}" for m in found])
        if len(found) == 1:
            sentences.append(f"This looks like {singular} (characters {ranges}).")
        else:
            sentences.append(f"These look like {plural} (characters {ranges}).")
    sentences.append(_IDENTIFIER_ADVICE)
    return " ".join(sentences)


# ---------------------------------------------------------------------------
# Warnings

_BED_RE: Final = re.compile(r"\bbed\s*[:#.]?\s*\d+", re.IGNORECASE)
_DATE_RE: Final = re.compile(
    r"(?<![0-9])(?:0?[1-9]|[12][0-9]|3[01])([./-])(?:0?[1-9]|1[0-2])\1(?:[0-9]{4}|[0-9]{2})(?![0-9])"
)
_DOB_WORD_RE: Final = re.compile(
    r"\b(?:d\.?\s?o\.?\s?b\b|date\s+of\s+birth\b|born\b)", re.IGNORECASE
)
_DOB_WARNING: Final = (
    "This mentions a bed number together with what looks like a date of birth: "
    "the two together can identify a patient. Check the date is needed."
)


def find_warnings(text: str) -> list[str]:
    """Warnings (not refusals) for `text`; empty when there is nothing to say.

    Currently one warning: a bed reference together with a date of birth
    (a d/m/y date, or "DOB", "D.O.B", "date of birth", "born").
    """
    if _BED_RE.search(text) and (_DATE_RE.search(text) or _DOB_WORD_RE.search(text)):
        return [_DOB_WARNING]
    return []


# ---------------------------------------------------------------------------
# Terminal safety

# Every character that might need replacing.  Below U+0600 the only format
# character is U+00AD (a test checks this against unicodedata); everything
# from U+0600 up is looked at individually.
_SUSPECT_RE: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\xad]|[^\x00-\u05ff]")
_FORMAT_PLACEHOLDER: Final = "\u2370"  # ⍰
_C1_PLACEHOLDER: Final = "\ufffd"  # �
_DEL_PICTURE: Final = "\u2421"  # ␡
_ZWJ: Final = "\u200d"
_EMOJI_VARIATION: Final = "\ufe0f"


def _joins_emoji(text: str, index: int) -> bool:
    """True when the ZWJ at `index` sits inside an emoji sequence."""
    if index == 0 or index + 1 >= len(text):
        return False
    before, after = text[index - 1], text[index + 1]
    before_ok = before == _EMOJI_VARIATION or unicodedata.category(before) in ("So", "Sk")
    return before_ok and unicodedata.category(after) == "So"


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return _DEL_PICTURE
    if code <= 0x9F:
        return _C1_PLACEHOLDER
    category = unicodedata.category(char)
    if category == "Cf":
        if char == _ZWJ and _joins_emoji(match.string, match.start()):
            return char
        return _FORMAT_PLACEHOLDER
    if category in ("Zl", "Zp", "Cs"):
        return _FORMAT_PLACEHOLDER
    return char


def printable(text: str) -> str:
    """Return `text` with control and invisible format characters made visible.

    Newline and tab are kept; see the module docstring for the placeholders.
    """
    if _SUSPECT_RE.search(text) is None:
        return text
    return _SUSPECT_RE.sub(_visible, text)


# ---------------------------------------------------------------------------
# The gate


def check_text(text: str, *, field: str, max_length: int) -> None:
    """Refuse `text` for `field` if it is too long or holds an identifier.

    Raises `TextRefused` with a message for the user, e.g.
    "Note is too long: 312 characters, the limit is 280." or
    "Note: This looks like a CHI number (characters 12–21). Patient ...".
    The length is checked first.  Warnings (`find_warnings`) never refuse.
    """
    if max_length < 0:
        raise ValueError(f"max_length must not be negative, got {max_length}")
    if len(text) > max_length:
        raise TextRefused(
            field,
            f"{field} is too long: {len(text)} characters, the limit is {max_length}.",
        )
    matches = find_identifiers(text)
    if matches:
        raise TextRefused(field, f"{field}: {identifier_message(matches)}")

"""Tests for huddle_board.privacy: identifier detection, warnings, printable, the gate."""

from __future__ import annotations

import unicodedata

import pytest

from huddle_board.privacy import (
    IdentifierMatch,
    TextRefused,
    check_text,
    find_identifiers,
    find_warnings,
    has_identifier,
    identifier_kind,
    identifier_message,
    printable,
)

# ---------------------------------------------------------------------------
# Test-side check digit helpers (written independently of the module).


def mod11_digit(first9: str) -> int | None:
    """Modulus 11 check digit, None when the result is 10 (no valid number)."""
    total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11  # 11 -> 0
    return None if check == 10 else check


def mod10_digit(first9: str) -> int:
    """Luhn-style check: double positions 1, 3, 5, 7, 9 (1-based)."""
    total = 0
    for position, char in enumerate(first9, start=1):
        value = int(char) * (2 if position % 2 == 1 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def with_mod11(first9: str) -> str:
    check = mod11_digit(first9)
    assert check is not None, f"{first9} has no modulus 11 check digit"
    return first9 + str(check)


def with_mod10(first9: str) -> str:
    return first9 + str(mod10_digit(first9))


# Hand computations, so the helpers (and the module) are checked against
# arithmetic done on paper rather than against each other:
#
# 010170123, modulus 11:
#   0*10 + 1*9 + 0*8 + 1*7 + 7*6 + 0*5 + 1*4 + 2*3 + 3*2
#   = 0 + 9 + 0 + 7 + 42 + 0 + 4 + 6 + 6 = 74;  74 mod 11 = 8;  11 - 8 = 3
#   -> 0101701233.  (So "010170 1234" is NOT valid.)
#
# 120345678, modulus 11:
#   1*10 + 2*9 + 0*8 + 3*7 + 4*6 + 5*5 + 6*4 + 7*3 + 8*2
#   = 10 + 18 + 0 + 21 + 24 + 25 + 24 + 21 + 16 = 159;  159 mod 11 = 5;  11 - 5 = 6
#   -> 1203456786
# 120345678, modulus 10: doubled positions 1,3,5,7,9 are 1,0,4,6,8 -> 2,0,8,12->3,16->7
#   = 2+0+8+3+7 = 20; undoubled 2,3,5,7 = 17; total 37;  (10 - 7) mod 10 = 3
#   -> 1203456783, which fails modulus 11 (needs 6): valid only via modulus 10.
#
# 943476591 (a published NHS test number), modulus 11:
#   9*10 + 4*9 + 3*8 + 4*7 + 7*6 + 6*5 + 5*4 + 9*3 + 1*2
#   = 90 + 36 + 24 + 28 + 42 + 30 + 20 + 27 + 2 = 299;  299 mod 11 = 2;  11 - 2 = 9
#   -> 9434765919.  Its "DOB" 94/34 is impossible, so it is an NHS number only.
#
# 401023213, modulus 11:
#   4*10 + 0*9 + 1*8 + 0*7 + 2*6 + 3*5 + 2*4 + 1*3 + 3*2
#   = 40 + 0 + 8 + 0 + 12 + 15 + 8 + 3 + 6 = 92;  92 mod 11 = 4;  11 - 4 = 7
#   -> 4010232137
#
# 010170125, modulus 11:
#   0 + 9 + 0 + 7 + 42 + 0 + 4 + 6 + 5*2 = 78;  78 mod 11 = 1;  11 - 1 = 10 -> invalid
# 010170125, modulus 10: doubled 0,0,7,1,5 -> 0,0,14->5,2,10->1 = 8; undoubled 1,1,0,2 = 4;
#   total 12;  (10 - 2) mod 10 = 8  -> 0101701258 is valid only via modulus 10.

CHI_MOD11 = "0101701233"
CHI_MOD10 = "1203456783"
NHS_TEST = "9434765919"
NHS_OTHER = "4010232137"


def test_helpers_agree_with_hand_computation() -> None:
    assert with_mod11("010170123") == CHI_MOD11
    assert with_mod11("120345678") == "1203456786"
    assert with_mod10("120345678") == CHI_MOD10
    assert with_mod11("943476591") == NHS_TEST
    assert with_mod11("401023213") == NHS_OTHER
    assert mod11_digit("010170125") is None
    assert mod10_digit("010170125") == 8


def spaced(number: str) -> str:
    """Write a ten-digit number as 6-4 with a space: 010170 1233."""
    return f"{number[:6]} {number[6:]}"


def dashed(number: str) -> str:
    """Write a ten-digit number as 3-3-4 with dashes: 943-476-5919."""
    return f"{number[:3]}-{number[3:6]}-{number[6:]}"


def pairs(number: str) -> str:
    """Write a ten-digit number in pairs: 01 01 70 12 33."""
    return " ".join(number[i : i + 2] for i in range(0, 10, 2))


def only(text: str) -> IdentifierMatch:
    matches = find_identifiers(text)
    assert len(matches) == 1, matches
    return matches[0]


# ---------------------------------------------------------------------------
# identifier_kind: the digit rules on bare ten-digit strings

VALID_CHI = [
    CHI_MOD11,
    CHI_MOD10,
    "0101701258",  # modulus 11 would be 10; valid via modulus 10 (hand-computed above)
    with_mod11("311299123"),  # 31 Dec
    with_mod11("290200555"),  # 29 Feb 2000 (leap)
    with_mod10("290200555"),
    with_mod11("290196777"),  # 29 Feb 1996 (leap)
    with_mod11("290100345"),  # 29 Feb: 1900 is not leap but 2000 is
    with_mod11("300424987"),  # 30 Apr 2024 / 1924
]


@pytest.mark.parametrize("number", VALID_CHI)
def test_valid_chi_numbers(number: str) -> None:
    assert identifier_kind(number) == "chi"


def test_mod10_and_mod11_variants_differ_for_chosen_number() -> None:
    # Guards the modulus 10 test: 1203456783 must not also pass modulus 11.
    assert mod11_digit("120345678") != mod10_digit("120345678")
    assert identifier_kind("1203456786") == "chi"  # the modulus 11 form
    assert identifier_kind("1203456783") == "chi"  # the modulus 10 form
    for wrong in "01245789":  # every digit except 3 (mod 10) and 6 (mod 11)
        assert identifier_kind("120345678" + wrong) is None


@pytest.mark.parametrize("last", "0123456789")
def test_check_digit_ten_is_invalid_unless_mod10_passes(last: str) -> None:
    expected = "chi" if last == "8" else None
    assert identifier_kind("010170125" + last) == expected


@pytest.mark.parametrize(
    "number",
    [
        "0101701234",  # wrong check digit (mod 11 and mod 10 both want 3)
        "0101701230",
        "9434765918",  # NHS test number with the last digit changed
        "4010232136",
        "1234567890",  # mod 11 check of 123456789 is 10
        "0000000001",
    ],
)
def test_wrong_check_digit(number: str) -> None:
    assert identifier_kind(number) is None


@pytest.mark.parametrize(
    "first9",
    [
        "320170123",  # day 32
        "000170123",  # day 00
        "011370123",  # month 13
        "010070124",  # month 00
        "310270124",  # 31 Feb
        "300270123",  # 30 Feb
        "290201123",  # 29 Feb 1901 / 2001: neither is a leap year
        "310470123",  # 31 Apr
    ],
)
def test_impossible_dates_are_not_chi(first9: str) -> None:
    # With a modulus 11 check digit the number is still a valid NHS number...
    assert identifier_kind(with_mod11(first9)) == "nhs_number"
    # ...with a modulus 10 check digit only, it is nothing at all.
    if mod10_digit(first9) != mod11_digit(first9):
        assert identifier_kind(with_mod10(first9)) is None


@pytest.mark.parametrize("number", [NHS_TEST, NHS_OTHER, "9876543210"])
def test_valid_nhs_numbers(number: str) -> None:
    # 9876543210: 90+72+56+42+30+20+12+6+2 = 330 = 30*11 -> check 11 -> 0.
    assert identifier_kind(number) == "nhs_number"


@pytest.mark.parametrize(
    "text", ["943476591", "94347659190", "", "943476591x", "９４３４７６５９１９"]
)
def test_identifier_kind_needs_exactly_ten_ascii_digits(text: str) -> None:
    assert identifier_kind(text) is None


# ---------------------------------------------------------------------------
# find_identifiers: layouts, offsets, boundaries


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (NHS_TEST, "nhs_number"),
        ("943 476 5919", "nhs_number"),
        ("943-476-5919", "nhs_number"),
        ("943-476 5919", "nhs_number"),  # mixed separators
        (NHS_OTHER, "nhs_number"),
        (dashed(NHS_OTHER), "nhs_number"),
        (CHI_MOD11, "chi"),
        (spaced(CHI_MOD11), "chi"),
        (dashed(CHI_MOD11), "chi"),
        (pairs(CHI_MOD11), "chi"),
        ("01-01-70-12-33", "chi"),
        (CHI_MOD10, "chi"),
        (spaced(CHI_MOD10), "chi"),
        (pairs(CHI_MOD10), "chi"),
        ("943\u00a0476\u00a05919", "nhs_number"),  # no-break spaces
        ("943\u2013476\u20135919", "nhs_number"),  # en dashes
    ],
)
def test_whole_text_layouts(text: str, kind: str) -> None:
    match = only(text)
    assert (match.kind, match.start, match.end, match.text) == (kind, 0, len(text), text)


def test_match_is_frozen() -> None:
    match = only(NHS_TEST)
    with pytest.raises(AttributeError):
        match.kind = "chi"  # type: ignore[misc]


def test_chi_that_is_also_nhs_reported_once_as_chi() -> None:
    # 0101701233 passes modulus 11 (so it is a valid NHS number) and has a DOB.
    assert identifier_kind(CHI_MOD11) == "chi"
    assert find_identifiers(f"see {CHI_MOD11} today") == [IdentifierMatch("chi", 4, 14, CHI_MOD11)]


def test_offsets_in_a_sentence_hand_counted() -> None:
    text = "NHS no 943-476-5919."
    #       0123456789012345678  -> digits start at 7, last digit at index 18
    assert find_identifiers(text) == [IdentifierMatch("nhs_number", 7, 19, "943-476-5919")]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Pt in bed 3, CHI 010170 1233, for review", "010170 1233"),
        ("Bed 7: NHS number is 943 476 5919 (mum has it)", "943 476 5919"),
        ("(4010232137)", "4010232137"),
        ("id=943-476-5919;", "943-476-5919"),
        ("943 476 5919, 2 bags", "943 476 5919"),  # comma ends the run
        ("943 476 5919\n2 bags", "943 476 5919"),  # newline ends the run
        ("bed 4 9434765919", "9434765919"),  # unbroken ten-digit group after a bed number
        ("bed 4 943 476 5919", "943 476 5919"),  # trailing groups after a bed number
        ("bed 12 0101701233 seen", "0101701233"),
        ("9434765919 2 units", "9434765919"),  # unbroken ten-digit group
        ("10 01 01 70 12 33", "01 01 70 12 33"),  # trailing pairs
    ],
)
def test_identifier_embedded_in_sentence(text: str, found: str) -> None:
    match = only(text)
    start = text.index(found)
    assert (match.start, match.end, match.text) == (start, start + len(found), found)
    assert text[match.start : match.end] == match.text


def test_two_identifiers_in_order() -> None:
    text = f"{NHS_OTHER} and {CHI_MOD11} and 943 476 5919"
    matches = find_identifiers(text)
    assert [(m.kind, m.text) for m in matches] == [
        ("nhs_number", NHS_OTHER),
        ("chi", CHI_MOD11),
        ("nhs_number", "943 476 5919"),
    ]
    assert [m.start for m in matches] == [0, 15, 30]


def test_two_unbroken_numbers_joined_by_a_space() -> None:
    matches = find_identifiers(f"{NHS_TEST} {NHS_OTHER}")
    assert [(m.start, m.end) for m in matches] == [(0, 10), (11, 21)]


@pytest.mark.parametrize(
    "text",
    [
        "943476591",  # 9 digits
        "943 476 591",
        "94347659190",  # 11 digits
        "12345678901",
        "123456789012",  # 12 digits
        "943 476 5919 2",  # a separator then more digits continues the run
        "943-476-5919-2",
        "2 943 476 5919 2",
        "943  476 5919",  # double space breaks the run: 3 + 7 digits
        "943 - 476 - 5919",  # spaced dashes are two separators
        "943, 476, 5919",
        "943/476/5919",
        "bed 12 at 0900 reviewed",
        "bed 943 at 476 5919",  # words between groups
        "12, 14, 16, 18, 20",
        "0101701234",  # wrong check digit
        "010170 1234",
        "",
        "no digits here",
    ],
)
def test_not_identifiers(text: str) -> None:
    assert find_identifiers(text) == []
    assert has_identifier(text) is False


def test_space_separated_list_can_be_a_false_positive() -> None:
    # Documented trade-off: 1214161820 passes modulus 11
    # (10+18+8+28+6+30+4+24+4 = 132 = 12*11 -> check 0), so a list written
    # with bare spaces is refused; with commas it is fine (see above).
    assert [m.kind for m in find_identifiers("12 14 16 18 20")] == ["nhs_number"]


def test_has_identifier() -> None:
    assert has_identifier(f"bed 3 {dashed(NHS_TEST)}") is True
    assert has_identifier("bed 3 falls risk") is False


# ---------------------------------------------------------------------------
# identifier_message

ADVICE = "Patient identifiers cannot be stored on the board: refer to patients by bed number only."


def test_message_for_one_chi() -> None:
    text = "Patient in 010170 1233 bed"
    assert identifier_message(find_identifiers(text)) == (
        f"This looks like a CHI number (characters 12\u201322). {ADVICE}"
    )


def test_message_for_one_nhs_number() -> None:
    assert identifier_message([IdentifierMatch("nhs_number", 0, 10, NHS_TEST)]) == (
        f"This looks like an NHS number (characters 1\u201310). {ADVICE}"
    )


def test_message_one_sentence_per_kind_chi_first() -> None:
    matches = find_identifiers(f"{NHS_TEST} {CHI_MOD11}, {NHS_OTHER}")
    assert identifier_message(matches) == (
        "This looks like a CHI number (characters 12\u201321). "
        "These look like NHS numbers (characters 1\u201310 and 24\u201333). " + ADVICE
    )


def test_message_empty() -> None:
    assert identifier_message([]) == ""


# ---------------------------------------------------------------------------
# find_warnings


@pytest.mark.parametrize(
    "text",
    [
        "Bed 4 DOB 01/01/1970",
        "bed 4, dob unknown",
        "bed12 d.o.b. given",
        "Bed: 3 D.O.B 3.4.50",
        "bed 6 born 1950",
        "bed 6, date of birth on file",
        "lady in bed 9 12/03/1948 for discharge",
        "bed 2 1-2-47",
        "31.12.99 bed 1",
    ],
)
def test_warning_for_bed_and_date_of_birth(text: str) -> None:
    warnings = find_warnings(text)
    assert len(warnings) == 1
    assert "date of birth" in warnings[0]
    assert "bed number" in warnings[0]


@pytest.mark.parametrize(
    "text",
    [
        "",
        "bed 4 for discharge at 12:30",
        "bed 4 obs 12.30",  # a time, not a date
        "DOB 01/01/1970",  # no bed
        "B12 levels low, born 1950",  # "B12" is not treated as a bed
        "bedside review 01/01/2024",  # "bedside" is not "bed N"
        "bed 4 stubborn wound",  # "born" only as a word
        "bed 4 adobe",
        "bed 4 32/01/1970",  # day 32 does not look like a date
        "bed 4 01/13/1970",  # month 13
        "bed 4 01/01/19701",  # too many year digits
    ],
)
def test_no_warning(text: str) -> None:
    assert find_warnings(text) == []


def test_warnings_do_not_block() -> None:
    check_text("Bed 4 DOB 01/01/1970", field="Note", max_length=280)


# ---------------------------------------------------------------------------
# printable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("\x1b[2J", "\u241b[2J"),  # ESC -> ␛
        ("a\x00b", "a\u2400b"),  # NUL -> ␀
        ("\x07", "\u2407"),  # BEL -> ␇
        ("x\ry", "x\u240dy"),  # CR -> ␍
        ("\x1f", "\u241f"),
        ("\x7f", "\u2421"),  # DEL -> ␡
        ("a\x85b", "a\ufffdb"),  # NEL (C1)
        ("\x9b2J", "\ufffd2J"),  # 8-bit CSI (C1)
        ("\x80\x9f", "\ufffd\ufffd"),
        ("abc\u202edef", "abc\u2370def"),  # RIGHT-TO-LEFT OVERRIDE
        ("a\u200bb", "a\u2370b"),  # ZERO WIDTH SPACE
        ("\u200e\u200f", "\u2370\u2370"),
        ("\u2066x\u2069", "\u2370x\u2370"),  # isolates
        ("\ufeffhi", "\u2370hi"),  # BOM
        ("co\u00adop", "co\u2370op"),  # SOFT HYPHEN
        ("a\u2028b\u2029c", "a\u2370b\u2370c"),  # line / paragraph separators
        ("a\u200db", "a\u2370b"),  # ZWJ outside an emoji sequence
        ("x\ud800y", "x\u2370y"),  # lone surrogate
    ],
)
def test_printable_replaces(text: str, expected: str) -> None:
    assert printable(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "plain ASCII text, bed 4",
        "line one\nline two",
        "col\tcol",
        "[bold]x[/",
        "[red]alarm[/red] \\[escaped]",
        "café £5 naïve",
        "\u00e9\u00a3\u20ac",
        "huddle at 9 \U0001f600",
        "\u0639\u0631\u0628\u064a",  # Arabic letters (right-to-left but not format chars)
        "\u4e2d\u6587",
        "\U0001f469\U0001f3fd\u200d\u2695\ufe0f",  # health worker: ZWJ inside emoji kept
        "e\u0301",  # combining accent
    ],
)
def test_printable_keeps(text: str) -> None:
    assert printable(text) == text


def test_printable_fast_path_returns_same_object() -> None:
    text = "nothing to do here [bold]\n"
    assert printable(text) is text


def test_printable_result_has_no_controls_or_format_chars() -> None:
    every = "".join(chr(c) for c in range(0x0, 0x3000) if not 0xD800 <= c <= 0xDFFF)
    every += "\ufeff\ufff9\ufffa\ufffb\U000e0001\U000e0041\U0001d173"
    result = printable(every)
    for char in result:
        category = unicodedata.category(char)
        if char in "\n\t":
            continue
        assert category not in ("Cc", "Cf", "Zl", "Zp", "Cs"), hex(ord(char))


def test_no_format_chars_below_u0600_other_than_soft_hyphen() -> None:
    # printable()'s fast-path regex relies on this.
    odd = [c for c in range(0x600) if unicodedata.category(chr(c)) in ("Cf", "Zl", "Zp", "Cs")]
    assert odd == [0xAD]


# ---------------------------------------------------------------------------
# check_text


def test_check_text_accepts_ordinary_text() -> None:
    check_text("Bed 4: falls risk, review at 0900", field="Note", max_length=280)
    check_text("", field="Note", max_length=0)


def test_check_text_at_the_limit_is_fine() -> None:
    check_text("x" * 280, field="Note", max_length=280)


def test_check_text_too_long() -> None:
    with pytest.raises(TextRefused) as info:
        check_text("x" * 312, field="Note", max_length=280)
    assert info.value.field == "Note"
    assert info.value.message == "Note is too long: 312 characters, the limit is 280."
    assert str(info.value) == info.value.message


def test_check_text_length_checked_before_identifiers() -> None:
    with pytest.raises(TextRefused, match="too long"):
        check_text(NHS_TEST + " " * 300, field="Idea", max_length=280)


@pytest.mark.parametrize("number", [CHI_MOD11, CHI_MOD10, NHS_TEST, dashed(NHS_OTHER)])
def test_check_text_refuses_identifiers(number: str) -> None:
    text = f"Bed 1 {number} review"
    with pytest.raises(TextRefused) as info:
        check_text(text, field="Note", max_length=280)
    assert info.value.field == "Note"
    kind = identifier_kind(number.replace("-", ""))
    label = "a CHI number" if kind == "chi" else "an NHS number"
    start = text.index(number) + 1
    assert info.value.message == (
        f"Note: This looks like {label} (characters {start}\u2013{start + len(number) - 1}). "
        + ADVICE
    )


def test_text_refused_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        check_text(NHS_TEST, field="Note", max_length=280)


def test_check_text_rejects_negative_limit() -> None:
    with pytest.raises(ValueError, match="max_length"):
        check_text("", field="Note", max_length=-1)


@pytest.mark.parametrize("text", ["X9434765919", "9434765919X", "NHS9434765919", "9434765919kg"])
def test_letters_next_to_the_digits_do_not_hide_an_identifier(text: str) -> None:
    (match,) = find_identifiers(text)
    assert match.text == "9434765919"

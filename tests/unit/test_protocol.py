"""The wire format both ends share: a good push round-trips, and every kind of bad body is
refused with a message naming the field at fault."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sync import protocol
from sync.protocol import Entry, Page, ProtocolError, Result

GOOD: dict[str, Any] = {
    "entity": "idea",
    "id": "0b6e7c1e-6f3a-4a43-9f4e-2f8f3c1d9a10",
    "rev": 3,
    "ward": "RAI-7A",
    "updated_at": "2026-11-26T09:00:00Z",
    "deleted": False,
    "data": {"title": "Protected mealtimes", "status": "new", "pdsa": None, "impact": 2},
}


def body(*entries: dict[str, Any]) -> bytes:
    return json.dumps({"entries": list(entries)}).encode()


def problems(raw: bytes | str) -> list[tuple[str, str]]:
    with pytest.raises(ProtocolError) as refused:
        protocol.parse_push(raw)
    return [(problem.loc, problem.msg) for problem in refused.value.problems]


def test_a_push_round_trips() -> None:
    entry = protocol.parse_entry(GOOD)
    assert protocol.parse_push(protocol.push_body([entry])) == [entry]
    result = Result(entry.entity, entry.id, entry.rev, "applied")
    assert protocol.parse_results(protocol.results_body([result])) == [result]
    page = Page([entry], "42")
    assert protocol.parse_page(protocol.dumps(page.to_json())) == page


def test_unicode_survives_the_wire() -> None:
    entry = protocol.parse_entry({**GOOD, "data": {"title": "Café ✔ — ward 7A"}})
    assert protocol.parse_push(protocol.push_body([entry]))[0].data["title"] == "Café ✔ — ward 7A"


@pytest.mark.parametrize(
    ("raw", "loc"),
    [
        (b"{not json", "body"),
        (b"\xff\xfe", "body"),
        (b"[]", "body"),
        (b"{}", "entries"),
        (b'{"entries": {}}', "entries"),
        (body("x"), "entries[0]"),  # type: ignore[arg-type]
    ],
)
def test_malformed_bodies_name_the_place(raw: bytes, loc: str) -> None:
    assert [found for found, _ in problems(raw)] == [loc]


@pytest.mark.parametrize(
    ("field", "value", "says"),
    [
        ("rev", "3", "whole number"),
        ("rev", 0, "whole number"),
        ("rev", True, "whole number"),
        ("rev", 2.5, "whole number"),
        ("entity", "patient", "must be one of"),
        ("id", 7, "must be a string"),
        ("id", "", "1 to 64"),
        ("id", "x" * 65, "1 to 64"),
        ("ward", "RAI\n7A", "control characters"),
        ("updated_at", "yesterday", "UTC timestamp"),
        ("updated_at", "2026-11-26T09:00:00+01:00", "UTC timestamp"),
        ("deleted", "no", "true or false"),
        ("deleted", 0, "true or false"),
        ("data", [], "must be an object"),
    ],
)
def test_wrong_types_name_the_field(field: str, value: Any, says: str) -> None:
    found = problems(body(GOOD, {**GOOD, "id": "second", field: value}))
    assert [loc for loc, _ in found] == [f"entries[1].{field}"]
    assert says in found[0][1]


def test_nested_data_and_missing_fields_are_named() -> None:
    nested = {**GOOD, "data": {"title": {"x": 1}}}
    missing = {key: value for key, value in GOOD.items() if key != "rev"}
    found = problems(body(nested, missing))
    assert ("entries[0].data.title", "must be a plain value") in found
    assert ("entries[1].rev", "is required") in found


def test_the_same_entry_twice_in_a_batch_is_refused() -> None:
    assert problems(body(GOOD, GOOD)) == [("entries[1].id", "repeats entries[0]")]


def test_more_than_500_entries_are_refused() -> None:
    many = [{**GOOD, "id": f"id-{n}"} for n in range(protocol.MAX_ENTRIES + 1)]
    assert problems(body(*many)) == [("entries", "must hold at most 500 entries")]


def test_problems_point_at_their_entries() -> None:
    with pytest.raises(ProtocolError) as refused:
        protocol.parse_push(body(GOOD, {**GOOD, "id": "b", "rev": -1}, {**GOOD, "id": "c"}))
    assert refused.value.entry_indexes() == {1}
    assert refused.value.to_json() == {
        "detail": [{"loc": "entries[1].rev", "msg": "must be a whole number ≥ 1, not -1"}]
    }


def test_unknown_keys_are_ignored() -> None:
    entry = protocol.parse_entry({**GOOD, "schema": 2})
    assert isinstance(entry, Entry) and entry.rev == 3

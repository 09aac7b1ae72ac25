"""GET /api/v1/entries: the caller's ward only, every row once, stable while others write."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx

from sync.protocol import ENTRIES_PATH, PUSH_PATH, Entry, parse_page
from tests.support.central import CentralProcess, make_entry

WARD_A = "RAI-7A"
WARD_B = "RAI-7B"


def push_all(client: httpx.Client, entries: list[dict[str, Any]]) -> None:
    for start in range(0, len(entries), 500):
        answer = client.post(PUSH_PATH, json={"entries": entries[start : start + 500]})
        assert answer.status_code == 200, answer.text


def read_pages(client: httpx.Client, limit: int | None = None) -> list[list[Entry]]:
    pages: list[list[Entry]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {} if limit is None else {"limit": limit}
        if cursor is not None:
            params["after"] = cursor
        answer = client.get(ENTRIES_PATH, params=params)
        assert answer.status_code == 200, answer.text
        page = parse_page(answer.content)
        pages.append(page.entries)
        if page.next is None:
            return pages
        cursor = page.next


def test_paging_returns_every_row_of_the_callers_ward_exactly_once(
    central: CentralProcess,
) -> None:
    kiosk_a = central.client(central.token(WARD_A, "kiosk-a"))
    kiosk_b = central.client(central.token(WARD_B, "kiosk-b"))
    mine = [make_entry(WARD_A, rev=n % 4 + 1, deleted=n % 50 == 0) for n in range(1234)]
    theirs = [make_entry(WARD_B) for _ in range(300)]
    push_all(kiosk_a, mine[:600])
    push_all(kiosk_b, theirs)
    push_all(kiosk_a, mine[600:])

    pages = read_pages(kiosk_a, limit=100)

    assert [len(page) for page in pages] == [100] * 12 + [34]
    seen = [entry for page in pages for entry in page]
    assert Counter(entry.id for entry in seen) == Counter(entry["id"] for entry in mine)
    assert {entry.ward for entry in seen} == {WARD_A}
    expected = {entry["id"]: entry for entry in mine}
    for entry in seen:
        assert entry.to_json() == expected[entry.id]  # latest rev, tombstones, data

    default = read_pages(kiosk_a)  # 500 a page unless asked
    assert [len(page) for page in default] == [500, 500, 234]
    assert [len(page) for page in read_pages(kiosk_b, limit=1000)] == [300]
    assert {entry.ward for page in read_pages(kiosk_b) for entry in page} == {WARD_B}


def test_a_ward_with_nothing_gets_an_empty_last_page(central: CentralProcess) -> None:
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    push_all(central.client(central.token(WARD_B, "kiosk-b")), [make_entry(WARD_B)])
    answer = kiosk.get(ENTRIES_PATH)
    assert answer.json() == {"entries": [], "next": None}


def test_paging_while_the_ward_writes_skips_nothing(central: CentralProcess) -> None:
    """Rows changed while a reader pages come again later with the newer rev; every row that
    existed at the start is met, and nothing unchanged comes twice."""
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    start = [make_entry(WARD_A) for _ in range(250)]
    push_all(kiosk, start)

    seen: list[Entry] = []
    first = parse_page(kiosk.get(ENTRIES_PATH, params={"limit": 100}).content)
    seen += first.entries
    # Change rows already read (ids 0-9) and rows not read yet (ids 150-159), add new ones.
    changed = [{**start[n], "rev": 2} for n in (*range(10), *range(150, 160))]
    added = [make_entry(WARD_A) for _ in range(5)]
    push_all(kiosk, changed + added)
    cursor = first.next
    while cursor is not None:
        page = parse_page(kiosk.get(ENTRIES_PATH, params={"after": cursor, "limit": 100}).content)
        seen += page.entries
        cursor = page.next

    times = Counter(entry.id for entry in seen)
    assert set(times) == {entry["id"] for entry in start + added}
    assert {entry_id for entry_id, count in times.items() if count > 1} == {
        start[n]["id"] for n in range(10)
    }
    latest = {entry.id: entry.rev for entry in seen}  # the last copy of each row wins
    assert sorted(rev for rev in latest.values() if rev == 2) == [2] * 20
    # Read again from the start: one copy of each row, at its latest rev.
    again = [entry for page in read_pages(kiosk, limit=1000) for entry in page]
    assert {entry.id: entry.rev for entry in again} == latest
    assert len(again) == len(latest)

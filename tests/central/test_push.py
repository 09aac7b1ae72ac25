"""POST /api/v1/push against the real server, over SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx

from sync.protocol import PUSH_PATH, parse_results
from tests.support.central import CentralProcess, all_rows, make_entry

WARD_A = "RAI-7A"
WARD_B = "RAI-7B"


def push(client: httpx.Client, entries: list[dict[str, Any]]) -> httpx.Response:
    return client.post(PUSH_PATH, json={"entries": entries})


def statuses(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [result.status for result in parse_results(response.content)]


def test_the_same_batch_twice_gives_identical_results_and_no_new_rows(
    central: CentralProcess,
) -> None:
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    batch = [make_entry(WARD_A, rev=n % 3 + 1) for n in range(40)]
    batch.append(make_entry(WARD_A, entity="measure", deleted=True))

    first = push(kiosk, batch)
    assert statuses(first) == ["applied"] * len(batch)
    results = first.json()["results"]
    assert [(r["entity"], r["id"], r["rev"]) for r in results] == [
        (e["entity"], e["id"], e["rev"]) for e in batch
    ]
    counts = central.counts()
    stored = sorted(all_rows(central.db, "entries"), key=lambda row: row["id"])

    second = push(kiosk, batch)
    third = push(kiosk, batch)
    assert statuses(second) == ["duplicate"] * len(batch)
    assert second.json() == third.json()
    assert central.counts() == counts
    assert counts["entries"] == counts["revisions"] == len(batch)
    assert sorted(all_rows(central.db, "entries"), key=lambda row: row["id"]) == stored


def test_a_higher_rev_replaces_the_row_and_history_keeps_both(central: CentralProcess) -> None:
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    one = make_entry(WARD_A, rev=1, data={"title": "Bed huddle at 9", "owner": None})
    two = {**one, "rev": 2, "data": {"title": "Bed huddle at 9:15", "owner": "JM"}}

    assert statuses(push(kiosk, [one])) == ["applied"]
    assert statuses(push(kiosk, [two])) == ["applied"]
    replayed = push(kiosk, [one])
    assert statuses(replayed) == ["stale"]
    assert "rev 2" in replayed.json()["results"][0]["reason"]
    deleted = {**two, "rev": 3, "deleted": True}
    assert statuses(push(kiosk, [deleted, make_entry(WARD_A)])) == ["applied", "applied"]

    rows = {row["id"]: row for row in all_rows(central.db, "entries")}
    assert rows[one["id"]]["rev"] == 3
    assert rows[one["id"]]["deleted"] in (True, 1)
    history = sorted(
        (row["rev"], row["data"])
        for row in all_rows(central.db, "revisions")
        if row["id"] == one["id"]
    )
    assert [rev for rev, _ in history] == [1, 2, 3]
    assert 'Bed huddle at 9"' in history[0][1] and "9:15" in history[1][1]

    # Read back: the latest rev, tombstone included, with its data.
    page = kiosk.get("/api/v1/entries").json()
    mine = next(entry for entry in page["entries"] if entry["id"] == one["id"])
    assert mine == {**deleted, "ward": WARD_A}


def test_another_wards_entry_refuses_the_whole_batch(central: CentralProcess) -> None:
    kiosk_a = central.client(central.token(WARD_A, "kiosk-a"))
    assert statuses(push(kiosk_a, [make_entry(WARD_A)])) == ["applied"]
    before = central.counts()

    batch = [make_entry(WARD_A), make_entry(WARD_B), make_entry(WARD_A), make_entry(WARD_B)]
    refused = push(kiosk_a, batch)

    assert refused.status_code == 403
    detail = refused.json()["detail"]
    assert [problem["loc"] for problem in detail] == ["entries[1].ward", "entries[3].ward"]
    assert WARD_A in detail[0]["msg"]
    assert central.counts() == before  # nothing from the batch, not even ward A's entries


def test_an_id_under_another_ward_is_rejected_and_left_alone(central: CentralProcess) -> None:
    kiosk_a = central.client(central.token(WARD_A, "kiosk-a"))
    kiosk_b = central.client(central.token(WARD_B, "kiosk-b"))
    theirs = make_entry(WARD_B, rev=1, data={"title": "ward B's idea"})
    assert statuses(push(kiosk_b, [theirs])) == ["applied"]
    before = all_rows(central.db, "entries")

    mine = make_entry(WARD_A)
    clash = {**theirs, "ward": WARD_A, "rev": 5, "data": {"title": "overwritten?"}}
    answer = push(kiosk_a, [mine, clash])

    assert statuses(answer) == ["applied", "rejected"]
    assert "another ward" in answer.json()["results"][1]["reason"]
    assert WARD_B not in answer.text  # the other ward is not named to this kiosk
    after = {row["id"]: row for row in all_rows(central.db, "entries")}
    assert after[theirs["id"]] == next(row for row in before if row["id"] == theirs["id"])
    assert after[mine["id"]]["ward"] == WARD_A
    history = [row for row in all_rows(central.db, "revisions") if row["id"] == theirs["id"]]
    assert [(row["ward"], row["rev"]) for row in history] == [(WARD_B, 1)]


def test_the_same_id_in_two_entities_is_two_rows(central: CentralProcess) -> None:
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    shared = "00000000-0000-4000-8000-000000000001"
    batch = [make_entry(WARD_A, entity=entity, id=shared) for entity in ("idea", "action")]
    assert statuses(push(kiosk, batch)) == ["applied", "applied"]
    assert statuses(push(kiosk, batch)) == ["duplicate", "duplicate"]
    assert central.counts()["entries"] == 2


def test_an_empty_batch_is_answered_with_no_results(central: CentralProcess) -> None:
    kiosk = central.client(central.token(WARD_A, "kiosk-a"))
    answer = push(kiosk, [])
    assert answer.status_code == 200
    assert answer.json() == {"results": []}

"""30 kiosks in 3 wards pushing at once: exact counts, no entry in a wrong ward, the highest rev
wins every race, and an id two wards both claim belongs to exactly one of them."""

from __future__ import annotations

import threading
import uuid
from collections import Counter, defaultdict
from typing import Any

from sync.protocol import PUSH_PATH, Result, parse_results
from tests.support.central import CentralProcess, all_rows, make_entry

WARDS = ("RAI-7A", "RAI-7B", "RAI-7C")
KIOSKS_PER_WARD = 10
OWN_PER_KIOSK = 60  # each kiosk's own new entries, sent over its batches
BATCHES = 3
SHARED_PER_WARD = 20  # ids every kiosk of a ward pushes, each kiosk at its own rev
CONTESTED = 10  # ids every kiosk of every ward pushes


def test_thirty_kiosks_in_three_wards_push_at_once(central: CentralProcess) -> None:
    shared = {ward: [str(uuid.uuid4()) for _ in range(SHARED_PER_WARD)] for ward in WARDS}
    contested = [str(uuid.uuid4()) for _ in range(CONTESTED)]
    kiosks: list[tuple[str, int, str]] = []  # (ward, number in the ward, token)
    for ward in WARDS:
        for number in range(KIOSKS_PER_WARD):
            kiosks.append((ward, number, central.token(ward, f"{ward}-kiosk-{number}")))

    own: dict[str, list[str]] = {}
    batches: dict[str, list[list[dict[str, Any]]]] = {}
    for ward, number, token in kiosks:
        mine = [make_entry(ward) for _ in range(OWN_PER_KIOSK)]
        own[token] = [entry["id"] for entry in mine]
        rev = number + 1  # kiosk 9 holds the highest rev of every shared id
        racing = [make_entry(ward, id=row_id, rev=rev) for row_id in shared[ward]]
        racing += [make_entry(ward, id=row_id, rev=rev) for row_id in contested]
        step = OWN_PER_KIOSK // BATCHES
        batches[token] = [
            mine[start : start + step] + racing for start in range(0, OWN_PER_KIOSK, step)
        ]

    barrier = threading.Barrier(len(kiosks))
    results: dict[str, list[Result]] = defaultdict(list)
    failures: list[str] = []

    def kiosk(token: str) -> None:
        try:
            with central.client(token, timeout=60.0) as client:
                barrier.wait(60)
                for batch in batches[token]:
                    answer = client.post(PUSH_PATH, json={"entries": batch})
                    if answer.status_code != 200:
                        failures.append(f"{answer.status_code}: {answer.text[:200]}")
                        return
                    results[token] += parse_results(answer.content)
        except Exception as error:
            failures.append(repr(error))
            barrier.abort()

    threads = [threading.Thread(target=kiosk, args=(token,)) for _, _, token in kiosks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert failures == []
    assert not any(thread.is_alive() for thread in threads)

    rows = {row["id"]: row for row in all_rows(central.db, "entries")}
    history = all_rows(central.db, "revisions")
    owner = {row_id: rows[row_id]["ward"] for row_id in contested}

    # Exact counts, each row in its own ward.
    per_ward = Counter(row["ward"] for row in rows.values())
    for ward in WARDS:
        owned = sum(1 for row_id in contested if owner[row_id] == ward)
        assert per_ward[ward] == KIOSKS_PER_WARD * OWN_PER_KIOSK + SHARED_PER_WARD + owned
    assert len(rows) == len(WARDS) * (KIOSKS_PER_WARD * OWN_PER_KIOSK + SHARED_PER_WARD) + CONTESTED
    for ward, _, token in kiosks:
        assert {rows[row_id]["ward"] for row_id in own[token]} == {ward}
        statuses = {result.id: result.status for result in results[token]}
        assert {statuses[row_id] for row_id in own[token]} == {"applied"}

    # The highest rev won every race within a ward.
    for ward in WARDS:
        for row_id in shared[ward]:
            assert (rows[row_id]["ward"], rows[row_id]["rev"]) == (ward, KIOSKS_PER_WARD)

    # A contested id belongs to one ward; the others' kiosks were told "rejected".
    for ward, _, token in kiosks:
        for result in results[token]:
            if result.id in owner:
                assert (result.status == "rejected") == (owner[result.id] != ward)
    for row_id in contested:
        assert rows[row_id]["rev"] == KIOSKS_PER_WARD

    # Every applied result is one row of history, and history holds nothing else.
    applied = Counter(
        (result.id, result.rev)
        for token_results in results.values()
        for result in token_results
        if result.status == "applied"
    )
    assert Counter((row["id"], row["rev"]) for row in history) == applied
    assert all(count == 1 for count in applied.values())
    latest = {(row["id"], row["rev"]) for row in rows.values()}
    assert latest <= set(applied)
    assert all(row["ward"] == rows[row["id"]]["ward"] for row in history)

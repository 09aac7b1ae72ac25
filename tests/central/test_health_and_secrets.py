"""/healthz with a real database round trip; a token never shows in a log, response or column;
its last use is recorded."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from sync.central.tokens import hash_token, list_tokens
from sync.protocol import ENTRIES_PATH, HEALTH_PATH, PUSH_PATH
from tests.support.central import (
    CentralProcess,
    all_rows,
    central_process,
    db_tables,
    drop_database,
    make_entry,
    new_database,
)

WARD = "RAI-7A"


def test_health_is_ok_after_a_database_round_trip(central: CentralProcess) -> None:
    answer = httpx.get(central.url + HEALTH_PATH)
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "database": "ok"}


def test_health_is_503_while_the_sqlite_file_is_gone(tmp_path: Path) -> None:
    database = tmp_path / "central.db"
    with central_process(f"sqlite:///{database}") as central:
        away = tmp_path / "away"
        away.mkdir()
        moved = [path for path in tmp_path.glob("central.db*") if path.is_file()]
        for path in moved:
            path.rename(away / path.name)

        down = httpx.get(central.url + HEALTH_PATH)
        assert down.status_code == 503
        assert down.json() == {"status": "unavailable", "database": "error"}

        for path in moved:
            (away / path.name).replace(path)
        assert httpx.get(central.url + HEALTH_PATH).status_code == 200


def test_health_is_503_when_postgres_loses_the_database(postgres_url: str) -> None:
    url = new_database(postgres_url)
    with central_process(url) as central:
        kiosk = central.client(central.token(WARD, "kiosk-a"))
        central.db.dispose()  # the test's own connections would not stop the drop, but tidy
        drop_database(url)
        down = httpx.get(central.url + HEALTH_PATH)
        assert down.status_code == 503
        assert down.json()["database"] == "error"
        # A push now is a 503 with Retry-After (the kiosk retries), not a crash.
        refused = kiosk.post(PUSH_PATH, json={"entries": [make_entry(WARD)]})
        assert refused.status_code == 503
        assert int(refused.headers["retry-after"]) >= 1
        central._db = None  # the database is gone: nothing left to dispose


def test_the_last_use_of_a_token_is_recorded(central: CentralProcess) -> None:
    token = central.token(WARD, "kiosk-a")
    central.token(WARD, "kiosk-idle")
    assert {info.device: info.last_used_at for info in list_tokens(central.db)} == {
        "kiosk-a": None,
        "kiosk-idle": None,
    }
    assert central.client(token).get(ENTRIES_PATH).status_code == 200
    used = {info.device: info.last_used_at for info in list_tokens(central.db)}
    assert used["kiosk-a"] is not None and used["kiosk-a"].endswith("Z")
    assert used["kiosk-idle"] is None


def test_a_token_never_appears_in_logs_responses_or_columns(
    tmp_path: Path, postgres_url: str
) -> None:
    for url in (f"sqlite:///{tmp_path / 'central.db'}", new_database(postgres_url)):
        with central_process(url, args=["--log-level", "debug"]) as central:
            token = central.token(WARD, "kiosk-a")
            central.token(WARD, "kiosk-b")
            kiosk = central.client(token)
            answers = [
                kiosk.post(PUSH_PATH, json={"entries": [make_entry(WARD), make_entry(WARD)]}),
                kiosk.post(PUSH_PATH, json={"entries": [make_entry("OTHER")]}),  # 403
                kiosk.post(PUSH_PATH, content=b"{oops"),  # 422
                kiosk.post(PUSH_PATH, content=b" " * (1024 * 1024 + 1)),  # 413
                kiosk.get(ENTRIES_PATH),
                kiosk.get(ENTRIES_PATH, params={"after": token}),  # 422: a token as a cursor
                kiosk.get("/no/such/path"),
                httpx.get(central.url + HEALTH_PATH),
            ]
            central.revoke("kiosk-a")
            answers.append(kiosk.post(PUSH_PATH, json={"entries": []}))  # 401
            central.stop()  # flush and close the log
            log = central.log_text()

            statuses = [answer.status_code for answer in answers]
            assert statuses == [200, 403, 422, 413, 200, 422, 404, 200, 401]
            digest = hash_token(token)
            for answer in answers:
                shown = answer.text + json.dumps(dict(answer.headers))
                assert token not in shown and digest not in shown
            assert 'POST /api/v1/push HTTP/1.1" 200' in log  # the access log is on
            assert "entries?after=[hidden]" in log  # a token put in a URL is masked
            assert token not in log and digest not in log

            for table in db_tables():
                for row in all_rows(central.db, table):
                    for column, value in row.items():
                        assert token not in str(value), f"{table}.{column}"
            stored = [row["token_hash"] for row in all_rows(central.db, "devices")]
            assert digest in stored  # the hash alone is what the store keeps

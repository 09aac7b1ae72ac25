"""What bad requests get from the real server: 401, 413, 422 and 429, with nothing written."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sync.protocol import ENTRIES_PATH, MAX_BODY_BYTES, MAX_ENTRIES, PUSH_PATH
from tests.support.central import CentralProcess, central_process, make_entry

WARD = "RAI-7A"


# -- 401 -------------------------------------------------------------------------------------


def test_a_missing_unknown_or_revoked_token_gets_401(central: CentralProcess) -> None:
    token = central.token(WARD, "kiosk-a")
    body = {"entries": [make_entry(WARD)]}
    with central.client(token) as kiosk:
        assert kiosk.post(PUSH_PATH, json=body).status_code == 200
    before = central.counts()

    central.revoke("kiosk-a")
    answers = {
        "revoked": central.client(token).post(PUSH_PATH, json=body),
        "unknown": central.client("x" * 43).post(PUSH_PATH, json=body),
        "missing": central.client().post(PUSH_PATH, json=body),
        "not bearer": central.client().post(
            PUSH_PATH, json=body, headers={"Authorization": f"Basic {token}"}
        ),
        "read revoked": central.client(token).get(ENTRIES_PATH),
        "read unknown": central.client("y" * 43).get(ENTRIES_PATH),
    }

    for name, answer in answers.items():
        assert answer.status_code == 401, name
        assert answer.headers["www-authenticate"].startswith("Bearer"), name
        assert answer.json()["detail"], name
        assert token not in answer.text, name
    assert "revoked" in answers["revoked"].json()["detail"]
    assert central.counts() == before


# -- 413 -------------------------------------------------------------------------------------


class Pulled:
    """A request body that counts how much of it the client was asked for."""

    def __init__(self, total: int, chunk: int = 64 * 1024) -> None:
        self.total = total
        self.chunk = chunk
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        piece = b" " * self.chunk
        while self.pulled < self.total:
            self.pulled += self.chunk
            yield piece


def test_a_2_mib_body_gets_413(central: CentralProcess) -> None:
    kiosk = central.client(central.token(WARD, "kiosk-a"))
    entries = [make_entry(WARD, data={"text": "x" * 4000}) for _ in range(520)]
    body = json.dumps({"entries": entries}).encode()
    assert len(body) > 2 * 1024 * 1024
    before = central.counts()

    declared = kiosk.post(PUSH_PATH, content=body)  # Content-Length says 2 MiB: refused unread
    streamed = Pulled(2 * 1024 * 1024)
    chunked = kiosk.post(PUSH_PATH, content=streamed)  # no Content-Length: counted as it comes

    for answer in (declared, chunked):
        assert answer.status_code == 413
        assert "larger than" in answer.json()["detail"]
        assert answer.headers["connection"] == "close"
    assert central.counts() == before
    # The connection was closed, not left half-read: the next request works.
    assert kiosk.get(ENTRIES_PATH).status_code == 200


def test_the_limit_is_counted_on_the_bytes_received_and_answered_at_once(
    central_sqlite: CentralProcess,
) -> None:
    token = central_sqlite.token(WARD, "kiosk-a")
    # An endless body: a server that read bodies whole would take all 256 MiB of it.
    endless = Pulled(256 * 1024 * 1024)
    answer = central_sqlite.client(token).post(PUSH_PATH, content=endless)
    assert answer.status_code == 413
    assert endless.pulled < 64 * 1024 * 1024  # socket buffers hold a few MiB at most

    # Byte level: send a little over 1 MiB of a chunked body and stop, holding the
    # connection open. The answer must come while the body is still unfinished.
    with socket.create_connection(("127.0.0.1", central_sqlite.port), timeout=20) as raw:
        raw.sendall(
            (
                f"POST {PUSH_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked\r\n\r\n"
            ).encode()
        )
        piece = 64 * 1024
        for _ in range(MAX_BODY_BYTES // piece + 2):
            raw.sendall(f"{piece:x}\r\n".encode() + b" " * piece + b"\r\n")
        reply = b""
        while b"\r\n\r\n" not in reply:
            received = raw.recv(4096)  # a server waiting for the rest times out here (20 s)
            if not received:
                break
            reply += received
    assert reply.startswith(b"HTTP/1.1 413 ")


# -- 422 -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "loc", "words"),
    [
        (b'{"entries": [', "body", "not valid JSON"),
        (b"\xff\xfe not utf-8", "body", "not valid JSON"),
        (b"[]", "body", "must be an object"),
        (b"{}", "entries", "is required"),
        (b'{"entries": {}}', "entries", "must be a list"),
    ],
)
def test_malformed_json_gets_422(
    central_sqlite: CentralProcess, body: bytes, loc: str, words: str
) -> None:
    kiosk = central_sqlite.client(central_sqlite.token(WARD, "kiosk-a"))
    answer = kiosk.post(PUSH_PATH, content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["loc"] == loc
    assert words in problem["msg"]


def test_wrong_types_get_422_naming_each_field_and_nothing_is_written(
    central: CentralProcess,
) -> None:
    kiosk = central.client(central.token(WARD, "kiosk-a"))
    good = make_entry(WARD)
    batch = [
        {**make_entry(WARD), "rev": "2"},
        good,
        {**make_entry(WARD), "deleted": "no", "updated_at": "yesterday"},
        {**make_entry(WARD), "entity": "patient", "data": {"nested": {"a": 1}}},
        {key: value for key, value in make_entry(WARD).items() if key != "id"},
        {**make_entry(WARD), "rev": 2**63},
    ]
    answer = kiosk.post(PUSH_PATH, json={"entries": batch[:5]})
    assert answer.status_code == 422
    locs = {problem["loc"]: problem["msg"] for problem in answer.json()["detail"]}
    assert set(locs) == {
        "entries[0].rev",
        "entries[2].deleted",
        "entries[2].updated_at",
        "entries[3].entity",
        "entries[3].data.nested",
        "entries[4].id",
    }
    assert "whole number" in locs["entries[0].rev"]

    too_big = kiosk.post(PUSH_PATH, json={"entries": [good, batch[5]]})
    assert too_big.status_code == 422
    assert [problem["loc"] for problem in too_big.json()["detail"]] == ["entries[1].rev"]

    repeated = kiosk.post(PUSH_PATH, json={"entries": [good, good]})
    assert repeated.status_code == 422
    assert repeated.json()["detail"][0]["loc"] == "entries[1].id"

    assert central.counts()["entries"] == 0


def test_more_than_500_entries_get_422(central_sqlite: CentralProcess) -> None:
    kiosk = central_sqlite.client(central_sqlite.token(WARD, "kiosk-a"))
    small = {"entries": [make_entry(WARD, data={}) for _ in range(MAX_ENTRIES + 1)]}
    answer = kiosk.post(PUSH_PATH, json=small)
    assert answer.status_code == 422
    assert answer.json()["detail"] == [{"loc": "entries", "msg": "must hold at most 500 entries"}]
    exactly = kiosk.post(PUSH_PATH, json={"entries": small["entries"][:MAX_ENTRIES]})
    assert exactly.status_code == 200
    assert central_sqlite.counts()["entries"] == MAX_ENTRIES


@pytest.mark.parametrize(
    ("query", "loc"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"after": "not-a-cursor!"}, "after"),
        ({"after": "MTIz"}, "after"),  # base64 of "123": not one of ours
    ],
)
def test_bad_paging_values_get_422(
    central_sqlite: CentralProcess, query: dict[str, str], loc: str
) -> None:
    kiosk = central_sqlite.client(central_sqlite.token(WARD, "kiosk-a"))
    answer = kiosk.get(ENTRIES_PATH, params=query)
    assert answer.status_code == 422
    assert [problem["loc"] for problem in answer.json()["detail"]] == [loc]


# -- 429 -------------------------------------------------------------------------------------


def test_one_token_sending_too_fast_gets_429_with_retry_after(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    with central_process(url, rate_per_minute=2, burst=3) as central:
        fast = central.client(central.token(WARD, "kiosk-fast"))
        other = central.client(central.token("RAI-8B", "kiosk-other"))
        body = {"entries": [make_entry(WARD)]}
        answers = [fast.post(PUSH_PATH, json=body) for _ in range(4)]
        assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        # Two a minute: the next one is due in about 30 s.
        assert 1 <= int(refused.headers["retry-after"]) <= 30
        assert "too many" in refused.json()["detail"]
        assert fast.get(ENTRIES_PATH).status_code == 429  # the same bucket for reads
        # Another device has its own bucket.
        assert other.post(PUSH_PATH, json={"entries": [make_entry("RAI-8B")]}).status_code == 200
        assert central.counts()["entries"] == 2


def test_unknown_paths_and_methods_get_json_errors(central_sqlite: CentralProcess) -> None:
    with httpx.Client(base_url=central_sqlite.url) as client:
        missing = client.get("/api/v2/push")
        wrong = client.get(PUSH_PATH)
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}

"""The kiosk's HTTP client: Bearer auth, timeouts, parsed replies, and a token that never shows
(in a repr, an exception or a log line), read only from a file that only its owner can read."""

from __future__ import annotations

import logging
import os
import ssl
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from sync_support import TOKEN, Handler

from sync import protocol
from sync.client import (
    DEFAULT_TIMEOUT,
    CentralClient,
    StoreRefused,
    StoreUnreachable,
    SyncError,
    TokenFileError,
    parse_retry_after,
    read_token_file,
)
from sync.protocol import Entry, Result

ENTRY = Entry("idea", "id-1", 1, "DEMO-7A", "2026-11-26T09:00:00Z", False, {"title": "x"})


def test_push_sends_bearer_json_and_parses_results(
    mock_client: Callable[[Handler], CentralClient],
) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        entries = protocol.parse_push(request.content)
        results = [Result(e.entity, e.id, e.rev, "applied") for e in entries]
        return httpx.Response(200, content=protocol.results_body(results))

    reply = mock_client(handler).push([ENTRY])
    assert reply.status == 200
    assert reply.results == [Result("idea", "id-1", 1, "applied")]
    (request,) = seen
    assert request.url.path == protocol.PUSH_PATH
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.headers["Content-Type"] == "application/json"


def test_statuses_come_back_as_replies(mock_client: Callable[[Handler], CentralClient]) -> None:
    answers = {
        "422": httpx.Response(
            422, json={"detail": [{"loc": "entries[0].rev", "msg": "must be a whole number"}]}
        ),
        "429": httpx.Response(429, headers={"Retry-After": "7"}, json={"detail": "slow down"}),
        "413": httpx.Response(413, json={"detail": "body too large"}),
        "500": httpx.Response(500, text="boom"),
        "401": httpx.Response(401, json={"detail": "unknown or revoked token"}),
    }
    current = ["422"]
    client = mock_client(lambda request: answers[current[0]])
    reply = client.push([ENTRY])
    assert reply.status == 422 and reply.problem_indexes() == {0}
    assert reply.problems[0].msg == "must be a whole number"
    current[0] = "429"
    reply = client.push([ENTRY])
    assert (reply.status, reply.retry_after, reply.detail) == (429, 7.0, "slow down")
    for status in ("413", "500", "401"):
        current[0] = status
        assert client.push([ENTRY]).status == int(status)


def test_retry_after_is_read_safely() -> None:
    assert parse_retry_after(None) is None
    assert parse_retry_after("12") == 12.0
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after("999999") == 3600.0
    assert parse_retry_after("nan") is None
    # An HTTP date: the kiosk's clock cannot be trusted to work it out; soon, then.
    assert parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT") == 1.0


def test_network_errors_raise_unreachable_without_the_token(
    mock_client: Callable[[Handler], CentralClient], caplog: pytest.LogCaptureFixture
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = mock_client(refuse)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(StoreUnreachable) as raised:
        client.push([ENTRY])
    assert TOKEN not in str(raised.value)
    assert raised.value.__context__ is None and raised.value.__cause__ is None
    assert TOKEN not in repr(client)
    assert TOKEN not in caplog.text

    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(StoreUnreachable, match="no answer in time"):
        mock_client(slow).entries()


def test_entries_pages_and_refusals(mock_client: Callable[[Handler], CentralClient]) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("after") == "c1":
            return httpx.Response(401, json={"detail": "revoked token"})
        assert request.url.params["limit"] == "2"
        return httpx.Response(200, json={"entries": [ENTRY.to_json()], "next": "c1"})

    client = mock_client(handler)
    page = client.entries(None, 2)
    assert page.entries == [ENTRY] and page.next == "c1"
    with pytest.raises(StoreRefused) as refused:
        client.entries("c1", 2)
    assert refused.value.status == 401


def test_health(mock_client: Callable[[Handler], CentralClient]) -> None:
    assert mock_client(lambda r: httpx.Response(200, json={"status": "ok"})).health().ok
    assert not mock_client(lambda r: httpx.Response(503, text="db down")).health().ok


def test_timeouts_are_explicit_and_tls_verification_stays_on(tmp_path: Path) -> None:
    assert None not in (
        DEFAULT_TIMEOUT.connect,
        DEFAULT_TIMEOUT.read,
        DEFAULT_TIMEOUT.write,
        DEFAULT_TIMEOUT.pool,
    )
    client = CentralClient("https://store.test", TOKEN)
    assert client._http.timeout == DEFAULT_TIMEOUT
    client.close()
    with pytest.raises(SyncError, match="CA file"):
        CentralClient("https://store.test", TOKEN, ca_file=tmp_path / "missing.pem")
    # A CA file makes a verifying context, never an unverified one.
    ca = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
    if ca.exists():
        with CentralClient("https://store.test", TOKEN, ca_file=ca) as client:
            assert TOKEN not in repr(client)


def test_token_file_must_be_0600_and_not_empty(tmp_path: Path) -> None:
    path = tmp_path / "token"
    path.write_text("line printed before\n  " + TOKEN + "  \n\n")
    path.chmod(0o644)
    with pytest.raises(TokenFileError, match="mode 0644; it must be 0600"):
        read_token_file(path)
    path.chmod(0o600)
    assert read_token_file(path) == TOKEN
    path.write_text("\n")
    with pytest.raises(TokenFileError, match="empty"):
        read_token_file(path)
    with pytest.raises(TokenFileError, match="does not exist"):
        read_token_file(tmp_path / "nothing")
    if os.getuid() == 0:
        path.write_text(TOKEN)
        os.chown(path, 12345, -1)
        with pytest.raises(TokenFileError, match="belongs to user id 12345"):
            read_token_file(path)

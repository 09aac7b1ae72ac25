"""The kiosk's HTTP client for the central store (`huddle-central`): TLS verification always on
(a board's own CA from a file), the device token as a Bearer header, explicit timeouts.

The token is a secret: it is kept in one private attribute and sent only in the Authorization
header. It never appears in a repr, a log line or an exception message (httpx's own messages
name the URL, never the headers), and the token file is refused unless only its owner can read it.
"""

from __future__ import annotations

import json
import math
import os
import ssl
import stat
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from sync import protocol
from sync.protocol import Entry, Page, Problem, ProtocolError, Result

DEFAULT_TIMEOUT = httpx.Timeout(connect=5.0, read=30.0, write=30.0, pool=5.0)
MAX_RETRY_AFTER_S = 3600.0
"""A Retry-After longer than an hour is taken as an hour: a store's typo must not stall a ward."""
USER_AGENT = f"huddle-board-sync/{protocol.VERSION}"


class SyncError(Exception):
    """Talking to the central store went wrong; the message is safe to show and log."""


class StoreUnreachable(SyncError):
    """No usable answer: connection refused or dropped, a timeout, a TLS failure, or a 5xx.
    Worth retrying later."""


class StoreRefused(SyncError):
    """401 or 403: the store will not take this device's token (revoked, unknown, wrong ward)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class StoreAnswer(SyncError):
    """An answer the kiosk cannot use (an unexpected status or a malformed body)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class TokenFileError(SyncError):
    """The token file is missing, empty, or readable by others than its owner."""


@dataclass(frozen=True)
class PushReply:
    """The store's answer to one push. `results` for a 200; `problems` for a 400/422 (each
    naming its field, like `entries[3].rev`); `retry_after` seconds when the store sent
    Retry-After; `detail` a short description for people."""

    status: int
    results: list[Result] | None = None
    problems: list[Problem] = field(default_factory=list)
    retry_after: float | None = None
    detail: str = ""

    def problem_indexes(self) -> set[int]:
        """The entries (by index in the batch) that the problems point at."""
        return ProtocolError(self.problems).entry_indexes()


@dataclass(frozen=True)
class Health:
    ok: bool
    status: int
    detail: str


class _Bearer(httpx.Auth):
    """Adds the token to each request; its repr never shows it."""

    def __init__(self, token: str) -> None:
        self.__token = token

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"Bearer {self.__token}"
        yield request

    def matches(self, token: str) -> bool:
        return token == self.__token

    def __repr__(self) -> str:
        return "<Bearer token hidden>"


def read_token_file(path: Path) -> str:
    """The device token from `path`, which must be a regular file owned by the current user
    with mode 0600: a token others can read is as good as published."""
    try:
        info = path.stat()
    except FileNotFoundError as error:
        raise TokenFileError(f"token file {path} does not exist") from error
    except OSError as error:
        raise TokenFileError(f"token file {path} cannot be read ({error.strerror})") from error
    if not stat.S_ISREG(info.st_mode):
        raise TokenFileError(f"token file {path} is not a regular file")
    if os.name == "posix":  # Windows has no such mode bits; its ACLs are set by the installer.
        mode = stat.S_IMODE(info.st_mode)
        if mode != 0o600:
            raise TokenFileError(
                f"token file {path} has mode {mode:04o}; it must be 0600 so that only its "
                f"owner can read it (chmod 600 {path})"
            )
        if info.st_uid != os.getuid():
            raise TokenFileError(
                f"token file {path} belongs to user id {info.st_uid}, not to the user running "
                f"the sync (id {os.getuid()})"
            )
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise TokenFileError(f"token file {path} cannot be read ({error})") from error
    # `huddle-central token create` prints the token as its last line; take the last line.
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        raise TokenFileError(f"token file {path} is empty")
    token = lines[-1]
    if any(char.isspace() or ord(char) < 33 or ord(char) > 126 for char in token):
        raise TokenFileError(f"token file {path} does not hold a token on its last line")
    return token


def _verify(ca_file: Path | None) -> ssl.SSLContext | bool:
    """TLS verification is never turned off: the system's CAs, or the board's own CA file."""
    if ca_file is None:
        return True
    try:
        return ssl.create_default_context(cafile=str(ca_file))
    except (OSError, ssl.SSLError) as error:
        raise SyncError(f"CA file {ca_file} cannot be used ({error})") from error


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds; an HTTP date is not trusted, as the
    kiosk's clock may be wrong, and is taken as 'soon'). None when absent or unreadable."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return 1.0 if text else None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), MAX_RETRY_AFTER_S)


def _problems(response: httpx.Response) -> list[Problem]:
    """Field-level messages from a 400/422 body ({"detail": [{"loc", "msg"}]})."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return [Problem("body", response.text[:200] or f"HTTP {response.status_code}")]
    items = body.get("detail") if isinstance(body, dict) else None
    if isinstance(items, str):
        return [Problem("body", items[:500])]
    found: list[Problem] = []
    if isinstance(items, list):
        for item in items:
            if isinstance(item, dict):
                found.append(Problem(str(item.get("loc", "body")), str(item.get("msg", ""))))
    return found or [Problem("body", f"HTTP {response.status_code}")]


def _detail(response: httpx.Response) -> str:
    """A short description of a refusal, from the body's `detail` when there is one."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str) and detail:
        return detail[:200]
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


class CentralClient:
    """One device's connection to the central store. Not shared between threads: each thread
    that talks to the store makes its own (httpx pools connections inside one)."""

    def __init__(
        self,
        base_url: str,
        token: str,
        ca_file: Path | None = None,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if not token:
            raise SyncError("no device token given")
        self.base_url = base_url.rstrip("/")
        self._auth = _Bearer(token)
        self._http = httpx.Client(
            base_url=self.base_url,
            auth=self._auth,
            verify=_verify(ca_file),
            timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,  # a redirect could carry the token somewhere else
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"CentralClient({self.base_url!r}, token=<hidden>)"

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def uses_token(self, token: str) -> bool:
        """Whether this client sends `token` (to notice a replaced token file)."""
        return self._auth.matches(token)

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, path, **kwargs)
        except httpx.TimeoutException as error:
            problem = f"{self.base_url}: no answer in time ({type(error).__name__})"
        except (httpx.HTTPError, httpx.InvalidURL) as error:
            # httpx's messages name the host and the failure, never the request's headers.
            problem = f"{self.base_url}: {type(error).__name__}: {error}"[:300]
        # Raised outside the handler, so the httpx error (which holds the request and so its
        # Authorization header) is not kept as this exception's context.
        raise StoreUnreachable(problem)

    def push(self, entries: Sequence[Entry]) -> PushReply:
        """POST one batch. Every HTTP status comes back as a PushReply for the push cycle to
        act on; only a network failure or timeout raises (StoreUnreachable)."""
        response = self._send(
            "POST",
            protocol.PUSH_PATH,
            content=protocol.push_body(entries),
            headers={"Content-Type": "application/json"},
        )
        status = response.status_code
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 200:
            try:
                results = protocol.parse_results(response.content)
            except ProtocolError as error:
                return PushReply(status, None, error.problems, retry_after, "malformed results")
            return PushReply(status, results, [], retry_after, "ok")
        if status in (400, 422):
            return PushReply(status, None, _problems(response), retry_after, "malformed entries")
        return PushReply(status, None, [], retry_after, _detail(response))

    def entries(self, after: str | None = None, limit: int = protocol.DEFAULT_PAGE) -> Page:
        """One page of this ward's entries in the store's stable order (for restore)."""
        params: dict[str, str | int] = {"limit": limit}
        if after is not None:
            params["after"] = after
        response = self._send("GET", protocol.ENTRIES_PATH, params=params)
        status = response.status_code
        if status in (401, 403):
            raise StoreRefused(status, f"the store refused the token: {_detail(response)}")
        if status >= 500:
            raise StoreUnreachable(f"{self.base_url}: the store answered {_detail(response)}")
        if status != 200:
            raise StoreAnswer(status, f"the store answered {_detail(response)}")
        try:
            return protocol.parse_page(response.content)
        except ProtocolError as error:
            raise StoreAnswer(status, f"the store sent a malformed page: {error}"[:300]) from None

    def health(self) -> Health:
        """Whether the store is up and reaches its database (GET /healthz); never raises."""
        try:
            response = self._send("GET", protocol.HEALTH_PATH)
        except StoreUnreachable as error:
            return Health(False, 0, str(error))
        return Health(response.status_code == 200, response.status_code, _detail(response))

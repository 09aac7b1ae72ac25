"""The central store's HTTP API (sync protocol v1), as a Starlette ASGI app for uvicorn.

- `POST /api/v1/push`: a kiosk's batch of entries; the ward comes from its token alone.
- `GET /api/v1/entries?after=<cursor>&limit=<n>`: the caller's ward's current rows, paged.
- `GET /healthz`: liveness plus a database round trip.

Errors are JSON: `{"detail": "message"}`, or `{"detail": [{"loc": ..., "msg": ...}]}` where a
field is at fault (422, and 403 naming the entries for another ward). A token never appears in
a response or a log line; its hash neither.

Database work runs in Starlette's thread pool (SQLAlchemy is synchronous); the event loop only
reads bodies and writes responses."""

from __future__ import annotations

import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sync.central import tokens
from sync.central.db import (
    MAX_REV,
    SCHEMA_VERSION,
    CentralDB,
    decode_cursor,
    encode_cursor,
    utc_now,
)
from sync.protocol import (
    DEFAULT_PAGE,
    ENTRIES_PATH,
    HEALTH_PATH,
    MAX_BODY_BYTES,
    MAX_PAGE,
    PUSH_PATH,
    Page,
    Problem,
    ProtocolError,
    dumps,
    parse_push,
    results_body,
)

log = logging.getLogger("huddle_central")

DEFAULT_RATE_PER_MINUTE = 120.0  # per device; also the CLI's default
DEFAULT_BURST = 30
LAST_USED_EVERY_S = 60.0  # record a token's last use at most this often
RETRY_AFTER_UNAVAILABLE_S = 5
MAX_LISTED_PROBLEMS = 20
JSON = "application/json"
MISSING_TOKEN = "send the device token as 'Authorization: Bearer <token>'"
_LIMIT = re.compile(r"[0-9]{1,7}")


class TokenBuckets:
    """One token bucket per device: `burst` requests at once, refilled at `rate_per_minute`.

    In memory, per process: behind a load balancer each instance keeps its own buckets, which
    only makes the limit looser. A rate of 0 turns limiting off."""

    def __init__(
        self,
        rate_per_minute: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second = max(0.0, rate_per_minute) / 60.0
        self.burst = float(max(1, burst))
        self._monotonic = monotonic
        self._buckets: dict[int, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: int) -> float:
        """0 if the request may go ahead (one token taken), else the seconds to wait."""
        if self.per_second <= 0:
            return 0.0
        with self._lock:
            now = self._monotonic()
            level, then = self._buckets.get(key, (self.burst, now))
            level = min(self.burst, level + max(0.0, now - then) * self.per_second)
            if level >= 1.0:
                self._buckets[key] = (level - 1.0, now)
                return 0.0
            self._buckets[key] = (level, now)
            return (1.0 - level) / self.per_second


class _Central:
    def __init__(
        self,
        db: CentralDB,
        buckets: TokenBuckets,
        max_body_bytes: int,
        monotonic: Callable[[], float],
    ) -> None:
        self.db = db
        self.buckets = buckets
        self.max_body_bytes = max_body_bytes
        self.monotonic = monotonic
        self._last_recorded: dict[int, float] = {}
        self._lock = threading.Lock()

    # -- authentication (in a worker thread, with the request's own database work) ---------

    def device(self, secret: str, client: str) -> tokens.Device | Response:
        """The device holding `secret`, or the response refusing the request (401, 429)."""
        device = tokens.authenticate(self.db, secret)
        if device is None:
            log.warning("refused a request from %s: unknown token", client)
            return _unauthorised("unknown token", "invalid_token")
        if device.revoked:
            log.warning("refused a request from device %s: token revoked", device.device)
            return _unauthorised("this device's token has been revoked", "invalid_token")
        self._note_use(device)
        wait = self.buckets.take(device.id)
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            return JSONResponse(
                {"detail": f"too many requests from this device; try again in {seconds} s"},
                status_code=429,
                headers={"Retry-After": str(seconds)},
            )
        return device

    def _note_use(self, device: tokens.Device) -> None:
        now = self.monotonic()
        with self._lock:
            due = now - self._last_recorded.get(device.id, -math.inf) >= LAST_USED_EVERY_S
            if due:
                self._last_recorded[device.id] = now
        if due:
            tokens.record_use(self.db, device.id)

    # -- endpoints ------------------------------------------------------------------------------
    # Each request makes one trip to the thread pool, for its token and its work together:
    # under load every extra trip costs more than the queries in it.

    async def push(self, request: Request) -> Response:
        secret = _bearer(request)
        if secret is None:
            return _unauthorised(MISSING_TOKEN)
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            return self._too_large()
        body = bytearray()
        try:
            async for chunk in request.stream():
                body += chunk
                if len(body) > self.max_body_bytes:
                    # Stop here: the rest is never read, and the connection is closed after
                    # the answer so the sender stops too.
                    return self._too_large()
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening; nothing was written
        return await run_in_threadpool(self._push, secret, _client(request), bytes(body))

    def _push(self, secret: str, client: str, body: bytes) -> Response:
        device = self.device(secret, client)
        if isinstance(device, Response):
            return device
        return self._apply(device, body)

    def _apply(self, device: tokens.Device, body: bytes) -> Response:
        try:
            batch = parse_push(body)
        except ProtocolError as error:
            return _problems(422, error.problems)
        too_big = [
            Problem(f"entries[{index}].rev", f"must be at most {MAX_REV}")
            for index, entry in enumerate(batch)
            if entry.rev > MAX_REV
        ]
        if too_big:
            return _problems(422, too_big)
        foreign = [
            Problem(
                f"entries[{index}].ward",
                f"is {entry.ward!r}, but this device's token is for ward {device.ward!r}",
            )
            for index, entry in enumerate(batch)
            if entry.ward != device.ward
        ]
        if foreign:
            log.warning(
                "refused a push from device %s (ward %s): %d entries for another ward",
                device.device,
                device.ward,
                len(foreign),
            )
            return _problems(403, foreign)
        results = self.db.push(device.ward, device.device, batch, utc_now())
        counts = Counter(result.status for result in results)
        log.info(
            "push from device %s (ward %s): %d entries, %d applied, %d duplicate, "
            "%d stale, %d rejected",
            device.device,
            device.ward,
            len(results),
            counts["applied"],
            counts["duplicate"],
            counts["stale"],
            counts["rejected"],
        )
        return Response(results_body(results), media_type=JSON)

    async def entries(self, request: Request) -> Response:
        secret = _bearer(request)
        if secret is None:
            return _unauthorised(MISSING_TOKEN)
        query = request.query_params
        return await run_in_threadpool(
            self._entries, secret, _client(request), query.get("after", ""), query.get("limit")
        )

    def _entries(self, secret: str, client: str, cursor: str, text: str | None) -> Response:
        device = self.device(secret, client)
        if isinstance(device, Response):
            return device
        problems: list[Problem] = []
        after = 0
        if cursor:
            try:
                after = decode_cursor(cursor)
            except ValueError as error:
                problems.append(Problem("after", str(error)))
        limit = DEFAULT_PAGE
        if text is not None:
            if _LIMIT.fullmatch(text) and 1 <= int(text) <= MAX_PAGE:
                limit = int(text)
            else:
                problems.append(Problem("limit", f"must be a whole number from 1 to {MAX_PAGE}"))
        if problems:
            return _problems(422, problems)
        rows, following = self.db.page(device.ward, after, limit)
        page = Page(rows, None if following is None else encode_cursor(following))
        return Response(dumps(page.to_json()), media_type=JSON)

    async def health(self, _request: Request) -> Response:
        try:
            version = await run_in_threadpool(self.db.version)
        except Exception as error:
            log.warning("health check: the database did not answer (%s)", type(error).__name__)
            return JSONResponse({"status": "unavailable", "database": "error"}, status_code=503)
        if version != SCHEMA_VERSION:
            log.warning("health check: schema version %s, expected %s", version, SCHEMA_VERSION)
            return JSONResponse(
                {"status": "unavailable", "database": f"schema version {version}"},
                status_code=503,
            )
        return JSONResponse({"status": "ok", "database": "ok"})

    def _too_large(self) -> Response:
        return JSONResponse(
            {"detail": f"the body is larger than {self.max_body_bytes} bytes; send fewer entries"},
            status_code=413,
            headers={"Connection": "close"},
        )


def _bearer(request: Request) -> str | None:
    """The token in `Authorization: Bearer <token>`, or None."""
    scheme, _, secret = request.headers.get("authorization", "").partition(" ")
    secret = secret.strip()
    return secret if scheme.lower() == "bearer" and secret else None


def _client(request: Request) -> str:
    return request.client.host if request.client else "an unknown address"


def _unauthorised(message: str, error: str | None = None) -> Response:
    challenge = 'Bearer realm="huddle-central"'
    if error:
        challenge += f', error="{error}"'
    return JSONResponse(
        {"detail": message}, status_code=401, headers={"WWW-Authenticate": challenge}
    )


def _problems(status: int, problems: list[Problem]) -> Response:
    shown = problems[:MAX_LISTED_PROBLEMS]
    detail = [problem.to_json() for problem in shown]
    if len(problems) > len(shown):
        detail.append({"loc": "entries", "msg": f"and {len(problems) - len(shown)} more"})
    return JSONResponse({"detail": detail}, status_code=status)


async def _http_error(_request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    return JSONResponse(
        {"detail": error.detail}, status_code=error.status_code, headers=error.headers
    )


async def _database_error(_request: Request, error: Exception) -> Response:
    # hide_parameters keeps values (and so token hashes) out of the message.
    log.error("database error: %s", error)
    return JSONResponse(
        {"detail": "the store's database is unavailable; try again later"},
        status_code=503,
        headers={"Retry-After": str(RETRY_AFTER_UNAVAILABLE_S)},
    )


async def _server_error(_request: Request, _error: Exception) -> Response:
    return JSONResponse({"detail": "internal error in the store"}, status_code=500)


def create_app(
    database_url: str,
    *,
    rate_per_minute: float = DEFAULT_RATE_PER_MINUTE,
    burst: int = DEFAULT_BURST,
    max_body_bytes: int = MAX_BODY_BYTES,
    migrate: bool = True,
    pool_size: int = 20,
    max_overflow: int = 20,
    monotonic: Callable[[], float] = time.monotonic,
) -> Starlette:
    """The huddle-central ASGI app over `database_url` (the schema is migrated at start-up
    unless `migrate` is False). `rate_per_minute` and `burst` shape each device's token bucket
    (a rate of 0 turns limiting off)."""
    db = CentralDB(database_url, pool_size=pool_size, max_overflow=max_overflow)
    central = _Central(
        db, TokenBuckets(rate_per_minute, burst, monotonic), max_body_bytes, monotonic
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if migrate:
            version = await run_in_threadpool(db.migrate)
            log.info("database %s at schema version %d", db.url.render_as_string(), version)
        try:
            yield
        finally:
            db.dispose()

    handlers: dict[Any, Any] = {
        HTTPException: _http_error,
        sa.exc.OperationalError: _database_error,
        sa.exc.InterfaceError: _database_error,
        sa.exc.TimeoutError: _database_error,
        Exception: _server_error,
    }
    app = Starlette(
        routes=[
            Route(PUSH_PATH, central.push, methods=["POST"]),
            Route(ENTRIES_PATH, central.entries, methods=["GET"]),
            Route(HEALTH_PATH, central.health, methods=["GET"]),
        ],
        exception_handlers=handlers,
        lifespan=lifespan,
    )
    app.state.db = db
    return app

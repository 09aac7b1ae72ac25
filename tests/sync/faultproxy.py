"""A small fault-injecting HTTP proxy to put in front of the real `huddle-central`: it passes
requests through, or, by plan, answers 500 without passing the request on, passes it on and
answers 500 anyway, passes it on and then drops the connection without a reply (the store has
committed; the kiosk never hears), or holds a request until the test lets it go.

One request per connection (HTTP/1.0 style, `Connection: close`), which httpx handles as any
server that closes; good enough for tests and simple to reason about."""

from __future__ import annotations

import http.client
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Literal
from urllib.parse import urlsplit

Fault = Literal["pass", "500", "500-after", "drop"]
"""pass: forward and relay. 500: answer 500, the store never sees the request. 500-after:
forward (the store commits), then answer 500. drop: forward (the store commits), read its
answer, then close the connection without a word."""

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host"}


@dataclass
class Seen:
    method: str
    path: str
    fault: Fault
    status: int | None


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        assert parts.hostname and parts.port
        self.upstream = (parts.hostname, parts.port)
        self.plan: deque[Fault] = deque()
        """Faults for the next push requests, in order; `pass` when empty."""
        self.hold: threading.Event | None = None
        """When set to an Event, each push waits for it before going to the store."""
        self.arrived = threading.Event()
        """Set when a push request has arrived (and, if held, is waiting)."""
        self.seen: list[Seen] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: the tests look at `seen`

            def do_GET(self) -> None:
                proxy._handle(self)

            def do_POST(self) -> None:
                proxy._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self.hold is not None:
            self.hold.set()
        self._server.shutdown()
        self._server.server_close()

    def faults(self) -> list[Fault]:
        with self._lock:
            return [seen.fault for seen in self.seen]

    def _next_fault(self, path: str) -> Fault:
        with self._lock:
            if path.startswith("/api/v1/push") and self.plan:
                return self.plan.popleft()
            return "pass"

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        fault = self._next_fault(handler.path)
        if handler.path.startswith("/api/v1/push"):
            self.arrived.set()
            if self.hold is not None:
                self.hold.wait(30)
        status: int | None = None
        if fault == "500":
            self._reply(handler, 500, [("Content-Type", "text/plain")], b"injected failure")
            status = 500
        else:
            status, headers, payload = self._forward(handler, body)
            if fault == "pass":
                self._reply(handler, status, headers, payload)
            elif fault == "500-after":
                self._reply(handler, 500, [("Content-Type", "text/plain")], b"injected failure")
                status = 500
            else:  # drop: the store has answered; the kiosk hears nothing
                handler.close_connection = True
                status = None
        with self._lock:
            self.seen.append(Seen(handler.command, handler.path, fault, status))

    def _forward(
        self, handler: BaseHTTPRequestHandler, body: bytes
    ) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(*self.upstream, timeout=60)
        try:
            headers = {
                name: value
                for name, value in handler.headers.items()
                if name.lower() not in HOP_BY_HOP
            }
            connection.request(handler.command, handler.path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
            kept = [
                (name, value)
                for name, value in response.getheaders()
                if name.lower() not in HOP_BY_HOP
            ]
            return response.status, kept, payload
        finally:
            connection.close()

    @staticmethod
    def _reply(
        handler: BaseHTTPRequestHandler, status: int, headers: list[tuple[str, str]], body: bytes
    ) -> None:
        handler.send_response(status)
        for name, value in headers:
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body)


@contextmanager
def fault_proxy(upstream: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(upstream).start()
    try:
        yield proxy
    finally:
        proxy.stop()

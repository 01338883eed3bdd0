"""What the listener, the handler threads and ``FakeOllamaServer`` share: the endpoints' state,
the fault switches, the open connections with their counters, and the request record.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from dataclasses import dataclass
from typing import Any, Protocol

from ollama_service.testing._api import OllamaState
from ollama_service.testing._faults import FaultState

__all__ = ["Connections", "Core", "HasCore", "RecordedRequest", "ServerStats"]


@dataclass(frozen=True)
class RecordedRequest:
    """A request the fake server received.

    Attributes:
        method: ``GET``, ``POST``, ...
        path: the URL path, percent-decoded, without the query string.
        headers: the request headers, with lower-case names.
        body: the raw body (de-chunked).
        json: the parsed JSON body, or ``None`` (no body, not JSON, or a blob upload).
        query: the raw query string (without ``?``), usually empty.
    """

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    json: Any | None
    query: str = ""


@dataclass(frozen=True)
class ServerStats:
    """Connection and request counters (a snapshot).

    Attributes:
        connections_opened: TCP connections accepted since start (or ``reset_stats()``),
            including those closed at once by ``faults.reset_on_connect``.
        connections_open: connections open right now.
        peak_open: the most connections open at once.
        requests_handled: requests received (counted as soon as a request has been read, so it
            is up to date by the time the client sees the response).
    """

    connections_opened: int
    connections_open: int
    peak_open: int
    requests_handled: int


class Connections:
    """Open client sockets and the counters, under one condition variable."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._open: set[socket.socket] = set()
        self._opened = 0
        self._peak = 0
        self._handled = 0

    def opened(self, sock: socket.socket) -> None:
        with self._cond:
            self._open.add(sock)
            self._opened += 1
            self._peak = max(self._peak, len(self._open))

    def closed(self, sock: socket.socket) -> None:
        with self._cond:
            self._open.discard(sock)
            if not self._open:
                self._cond.notify_all()

    def count_request(self) -> None:
        with self._cond:
            self._handled += 1

    def snapshot(self) -> ServerStats:
        with self._cond:
            return ServerStats(self._opened, len(self._open), self._peak, self._handled)

    def reset(self) -> None:
        with self._cond:
            self._opened = len(self._open)
            self._peak = len(self._open)
            self._handled = 0

    def wait_idle(self, timeout: float | None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not self._open, timeout)

    def shutdown_all(self) -> None:
        """Shut every open socket down, which wakes handler threads blocked reading it."""
        with self._cond:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class Core:
    """What the server and handler threads share."""

    def __init__(self, state: OllamaState) -> None:
        self.state = state
        self.faults = FaultState()
        self.connections = Connections()
        self.records: list[RecordedRequest] = []
        self.records_lock = threading.Lock()
        self.stopping = threading.Event()

    def record(self, request: RecordedRequest) -> None:
        with self.records_lock:
            self.records.append(request)


class HasCore(Protocol):
    """The listener, as the handler threads see it."""

    core: Core

"""Fault switches: the misbehaviour a :class:`FakeOllamaServer` can be told to show."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "BUSY_MESSAGE",
    "FaultState",
    "Faults",
    "RequestFault",
    "StreamFault",
    "close",
    "take_request",
    "take_reset",
    "take_stream",
]

BUSY_MESSAGE = "server busy, please try again.  maximum pending requests exceeded"
DEFAULT_STREAM_ERROR = "an error was encountered while running the model"


@dataclass(frozen=True)
class RequestFault:
    """A one-shot fault for the next request (internal)."""

    kind: Literal["respond", "stall"]
    status: int = 200
    body: bytes = b""
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    after_headers: bool = False
    released: threading.Event | None = None


StreamKind = Literal["error", "drop", "truncate", "stall"]


@dataclass(frozen=True)
class StreamFault:
    """A one-shot fault for the next NDJSON stream (internal)."""

    kind: StreamKind
    after: int
    message: str = ""
    released: threading.Event | None = None


def _check_count(name: str, value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def _check_status(status: int) -> None:
    if not 100 <= status <= 599:
        raise ValueError(f"status must be an HTTP status code, got {status!r}")


def _as_bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


class FaultState:
    """The armed faults, shared by :class:`Faults` and the server threads (internal)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency = 0.0
        self.requests: deque[RequestFault] = deque()
        self.streams: deque[StreamFault] = deque()
        self.resets = 0
        self.released = threading.Event()
        self.closed = False


def take_request(state: FaultState) -> RequestFault | None:
    """Pop the next request fault, if any."""
    with state.lock:
        return state.requests.popleft() if state.requests else None


def take_stream(state: FaultState) -> StreamFault | None:
    """Pop the next stream fault, if any."""
    with state.lock:
        return state.streams.popleft() if state.streams else None


def take_reset(state: FaultState) -> bool:
    """Whether the connection just accepted must be reset."""
    with state.lock:
        if state.resets:
            state.resets -= 1
            return True
        return False


def close(state: FaultState) -> None:
    """Release every stall for good: the server is stopping."""
    with state.lock:
        state.closed = True
        state.released.set()


class Faults:
    """Fault switches of one :class:`FakeOllamaServer` (``server.faults``). Thread-safe.

    Request faults (:meth:`busy`, :meth:`fail_next`, :meth:`garbage`, :meth:`stall`) form one
    first-in, first-out queue: each applies to exactly one upcoming request (any method and path)
    and then clears itself. Stream faults (:meth:`error_mid_stream`, :meth:`drop_mid_stream`,
    :meth:`truncate_stream`, :meth:`stall_mid_stream`) form a second queue that only NDJSON
    streams consume. :meth:`reset_on_connect` counts connections, not requests.

    A stream fault's ``after`` is clamped so the final line (``done: true`` or
    ``status: success``) is never sent: the model a pull or create would register is not
    registered when the stream is cut.
    """

    def __init__(self, state: FaultState | None = None) -> None:
        self._state = state if state is not None else FaultState()

    @property
    def latency(self) -> float:
        """Seconds the server waits before each response (0 by default). ``stop()`` interrupts it."""
        with self._state.lock:
            return self._state.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"latency must be >= 0, got {seconds!r}")
        with self._state.lock:
            self._state.latency = float(seconds)

    def _add_requests(self, fault: RequestFault, count: int = 1) -> None:
        with self._state.lock:
            self._state.requests.extend([fault] * count)

    def _add_stream(self, kind: StreamKind, after: int, message: str = "") -> None:
        _check_count("after", after)
        with self._state.lock:
            released = self._state.released if kind == "stall" else None
            self._state.streams.append(StreamFault(kind, after, message, released))

    def busy(self, count: int = 1, *, retry_after: str | None = None) -> None:
        """Answer the next ``count`` requests with Ollama's queue-full error.

        The answer is HTTP 503 with
        ``{"error":"server busy, please try again.  maximum pending requests exceeded"}``
        (two spaces, as Ollama spells it), plus a ``Retry-After`` header when given.
        """
        _check_count("count", count)
        headers = (("Retry-After", retry_after),) if retry_after is not None else ()
        body = b'{"error":"' + BUSY_MESSAGE.encode() + b'"}'
        fault = RequestFault(
            "respond",
            status=503,
            body=body,
            content_type="application/json; charset=utf-8",
            headers=headers,
        )
        self._add_requests(fault, count)

    def fail_next(
        self,
        count: int,
        status: int,
        body: bytes | str,
        *,
        content_type: str = "application/json",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """Answer the next ``count`` requests with ``status`` and ``body`` (sent verbatim).

        The requests are recorded but not processed (nothing changes on the server).
        """
        _check_count("count", count)
        _check_status(status)
        fault = RequestFault(
            "respond",
            status=status,
            body=_as_bytes(body),
            content_type=content_type,
            headers=tuple((headers or {}).items()),
        )
        self._add_requests(fault, count)

    def garbage(
        self, body: bytes | str, *, status: int = 200, content_type: str | None = None
    ) -> None:
        """Replace the next response's body with ``body``, verbatim, with a correct length.

        Use it for an HTML 502 page from a proxy, invalid UTF-8, or an over-long line. The
        request is not processed. ``content_type`` defaults to what the endpoint would send
        (``application/x-ndjson`` for a streaming request, else ``application/json``).
        """
        _check_status(status)
        self._add_requests(
            RequestFault("respond", status=status, body=_as_bytes(body), content_type=content_type)
        )

    def stall(self, after_headers: bool = False) -> None:
        """Stop answering the next request until :meth:`release` (or the server stops).

        With ``after_headers=True`` the status line and headers are sent first, then the body
        waits. After the release the response is sent normally.
        """
        with self._state.lock:
            fault = RequestFault(
                "stall", after_headers=after_headers, released=self._state.released
            )
            self._state.requests.append(fault)

    def error_mid_stream(self, after: int, message: str = DEFAULT_STREAM_ERROR) -> None:
        """The next stream sends ``after`` lines, then ``{"error": message}``, and ends.

        The status stays 200 and no ``done`` line is sent, as when Ollama's runner fails.
        """
        self._add_stream("error", after, message)

    def drop_mid_stream(self, after: int) -> None:
        """The next stream sends ``after`` lines, then the socket is closed abruptly
        (no terminating chunk, so the client sees an incomplete body)."""
        self._add_stream("drop", after)

    def truncate_stream(self, after: int) -> None:
        """The next stream sends ``after`` lines, then ends the chunked body cleanly,
        without the final ``done`` line. The connection stays usable."""
        self._add_stream("truncate", after)

    def stall_mid_stream(self, after: int) -> None:
        """The next stream sends ``after`` lines, then waits for :meth:`release` (or the server
        stopping) before sending the rest."""
        self._add_stream("stall", after)

    def reset_on_connect(self, count: int = 1) -> None:
        """Accept the next ``count`` connections and close them at once with a TCP reset."""
        _check_count("count", count)
        with self._state.lock:
            self._state.resets += count

    def release(self) -> None:
        """Let every stalled response continue, and disarm stalls not yet reached."""
        state = self._state
        with state.lock:
            state.released.set()
            if not state.closed:
                state.released = threading.Event()

    def reset(self) -> None:
        """Clear every fault and the latency, and release stalled responses."""
        state = self._state
        with state.lock:
            state.latency = 0.0
            state.requests.clear()
            state.streams.clear()
            state.resets = 0
        self.release()

    @property
    def pending(self) -> int:
        """How many one-shot faults are armed and not yet used."""
        state = self._state
        with state.lock:
            return len(state.requests) + len(state.streams) + state.resets

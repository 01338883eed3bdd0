"""Request bodies on aiohttp with a write bound: large bodies go out piece by piece, each under
a watchdog that aborts the connection carrying it (`WriteTimeout`); the connector tells a
body which connection that is.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import sys
import weakref
from collections.abc import AsyncIterator
from typing import Any, Final

import aiohttp
import httpx
from aiohttp.client_proto import ResponseHandler

__all__ = ["Connector", "RequestBody", "SENDING", "uncancel"]

# Bodies up to this size are handed to aiohttp whole: they fit the socket buffers, so their
# write cannot stall. Larger ones go piece by piece under the write bound.
_WHOLE_BODY_BYTES: Final = 64 * 1024
_PIECE_BYTES: Final = 64 * 1024


# The body of the request the current task is sending, so the connector can tell it which
# connection carries it (a stalled upload is aborted there).
SENDING: contextvars.ContextVar[RequestBody | None] = contextvars.ContextVar(
    "ollama_service_sending", default=None
)


class Connector(aiohttp.TCPConnector):
    """aiohttp's connector, telling the body being sent which connection it goes out on, and
    remembering which request last took each connection."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # pyright: ignore[reportUnknownMemberType]
        self.owners: weakref.WeakKeyDictionary[ResponseHandler, RequestBody] = (
            weakref.WeakKeyDictionary()
        )

    async def connect(self, *args: Any, **kwargs: Any) -> aiohttp.connector.Connection:
        connection = await super().connect(*args, **kwargs)
        body = SENDING.get()
        if body is not None:
            body.connection = connection
            body.protocol = connection.protocol
            if connection.protocol is not None:
                self.owners[connection.protocol] = body
        return connection


def uncancel() -> None:
    """Undo the cancellation our write watchdog asked for, so callers' scopes stay exact."""
    task = asyncio.current_task()
    if task is not None and sys.version_info >= (3, 11):
        task.uncancel()


class RequestBody:
    """The request body as aiohttp takes it, with a watchdog on each piece of a large one."""

    __slots__ = (
        "_bound",
        "_handle",
        "_source",
        "_task",
        "connection",
        "data",
        "done",
        "finished",
        "protocol",
        "timed_out",
    )

    def __init__(self) -> None:
        self.data: bytes | AsyncIterator[bytes] | None = None
        self.done = True
        self.timed_out = False
        self._bound: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[object] | None = None
        self._source: AsyncIterator[bytes] | None = None
        self.connection: aiohttp.connector.Connection | None = None
        self.protocol: ResponseHandler | None = None
        self.finished: asyncio.Future[None] | None = None

    @classmethod
    def for_request(cls, request: httpx.Request, bound: float | None) -> RequestBody:
        body = cls()
        if "content-length" not in request.headers and "transfer-encoding" not in request.headers:
            return body  # no body (a GET, or a redirect that dropped it)
        try:
            content = request.content
        except httpx.RequestNotRead:
            body._watch(request.stream.__aiter__(), bound)  # type: ignore[union-attr]
            return body
        if len(content) > _WHOLE_BODY_BYTES and bound is not None:
            body._watch(_pieces(content), bound)
        else:
            body.data = content or None
        return body

    def _watch(self, source: AsyncIterator[bytes], bound: float | None) -> None:
        self._source = source
        self._bound = bound
        self._task = asyncio.current_task()
        self.done = False
        self.data = self._pieces()

    async def _pieces(self) -> AsyncIterator[bytes]:
        assert self._source is not None
        loop = asyncio.get_running_loop()
        self.finished = loop.create_future()
        try:
            async for piece in self._source:
                if self._bound is not None and self._task is not None:
                    self._handle = loop.call_later(self._bound, self._expire)
                yield piece  # aiohttp asks for the next piece once this one is written
                self.disarm()
            self.done = True
        finally:
            if not self.finished.done():
                self.finished.set_result(None)

    async def settle(self) -> None:
        """After a failure, let aiohttp's writer let go of the source (the caller closes it
        next, which must not happen while it is being read). Bounded: a writer that does not
        stop within a second is left to aiohttp."""
        finished = self.finished
        if finished is None or finished.done():
            return
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(finished), 1.0)

    def _expire(self) -> None:
        self._handle = None
        if self.done:
            return
        self.timed_out = True
        protocol = self.connection.protocol if self.connection is not None else None
        if protocol is not None:
            # Abort, not close: a closing socket would wait for the stalled bytes to go out.
            protocol.abort()
        elif self._task is not None:
            self._task.cancel()

    def disarm(self) -> None:
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None


async def _pieces(content: bytes) -> AsyncIterator[bytes]:
    view = memoryview(content)
    for start in range(0, len(view), _PIECE_BYTES):
        yield bytes(view[start : start + _PIECE_BYTES])

"""`AiohttpTransport`: an `httpx.AsyncBaseTransport` over aiohttp's client, on asyncio.

httpx keeps doing everything above the transport (redirects and the Authorization rules across
origins, auth, cookies, decompression, the error types); aiohttp only moves bytes, several
times faster per chunk than httpcore and h11, and its pool does not slow down with its size.
Every aiohttp failure is raised as the httpx exception httpcore would raise for it, so the
client's single error boundary (`ollama_service._errors.map_transport_errors`) sees the same
phases on every back-end. In particular a server that disconnects after the request left is a
`RemoteProtocolError` or `ReadError` (reported with `sent=True`), never a connect error that
would make a retry look safe.

aiohttp has no write bound and times its pool wait together with connecting, so both are kept
here: a semaphore holds the pool limit (`PoolTimeout` when it stays full), and a watchdog bounds
each piece of a request body (`WriteTimeout`).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import ssl
import sys
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any, Final

import aiohttp
import httpx
from aiohttp.client_proto import ResponseHandler
from multidict import CIMultiDict
from yarl import URL

__all__ = ["AiohttpTransport"]

# Bodies up to this size are handed to aiohttp whole: they fit the socket buffers, so their
# write cannot stall. Larger ones go piece by piece under the write bound.
_WHOLE_BODY_BYTES: Final = 64 * 1024
_PIECE_BYTES: Final = 64 * 1024
# aiohttp adds these unless told not to; httpx has already set the ones it sends.
_SKIP_AUTO_HEADERS: Final = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})


# The body of the request the current task is sending, so the connector can tell it which
# connection carries it (a stalled upload is aborted there).
_sending: contextvars.ContextVar[_Body | None] = contextvars.ContextVar(
    "ollama_service_sending", default=None
)


class _Connector(aiohttp.TCPConnector):
    """aiohttp's connector, telling the body being sent which connection it goes out on, and
    remembering which request last took each connection."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)  # pyright: ignore[reportUnknownMemberType]
        self.owners: weakref.WeakKeyDictionary[ResponseHandler, _Body] = weakref.WeakKeyDictionary()

    async def connect(self, *args: Any, **kwargs: Any) -> aiohttp.connector.Connection:
        connection = await super().connect(*args, **kwargs)
        body = _sending.get()
        if body is not None:
            body.connection = connection
            body.protocol = connection.protocol
            if connection.protocol is not None:
                self.owners[connection.protocol] = body
        return connection


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport that sends requests with aiohttp (HTTP/1.1, asyncio only).

    Pass it to `httpx.AsyncClient(transport=...)`, or let
    `ollama_service.AsyncClient(backend="aiohttp")` build one. The aiohttp session is created
    on first use, on the running event loop, and belongs to that loop (as every asyncio
    connection does); a transport first used on a loop that has since closed starts afresh.

    Args:
        limits: `max_connections` bounds the connections open at once (a request waits for a
            free one up to the pool timeout); `None` means no bound. Idle connections are
            closed after `keepalive_expiry` seconds.
        ssl_context: The TLS context for `https` URLs (build it with
            `httpx.create_ssl_context` to verify as httpx does).
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.limits = self._limits = limits or httpx.Limits()
        """The pool limits, as given."""
        self._ssl_context = ssl_context
        self._session: aiohttp.ClientSession | None = None
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._timeouts: dict[tuple[float | None, float | None], aiohttp.ClientTimeout] = {}

    def _session_for(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        session = self._session
        if session is not None and self._loop is loop:
            return session
        if session is not None and self._loop is not None and not self._loop.is_closed():
            raise RuntimeError(
                "this AiohttpTransport belongs to another running event loop; "
                "create one client per event loop"
            )
        limit = self._limits.max_connections
        expiry = self._limits.keepalive_expiry
        connector = _Connector(
            limit=limit or 0,
            limit_per_host=0,
            keepalive_timeout=expiry if expiry is not None else 3600.0,
            ssl=self._ssl_context if self._ssl_context is not None else True,
        )
        session = aiohttp.ClientSession(
            connector=connector,
            auto_decompress=False,  # httpx decodes, as it does on its own transport
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            cookie_jar=aiohttp.DummyCookieJar(),  # httpx keeps the cookies
            trust_env=False,  # httpx routes proxied URLs to its own transport
            timeout=aiohttp.ClientTimeout(total=None),
        )
        # aiohttp silently resends an idempotent request once when a connection fails; our retry
        # layer owns retries (with backoff, logs and `.attempts`), so turn that off. There is no
        # public switch: the attribute is set only where this aiohttp release has it.
        if hasattr(session, "_retry_connection"):
            session._retry_connection = False  # pyright: ignore[reportPrivateUsage]
        self._session, self._loop = session, loop
        self._slots = asyncio.Semaphore(limit) if limit else None
        return session

    def _timeout(self, connect: float | None, read: float | None) -> aiohttp.ClientTimeout:
        key = (connect, read)
        timeout = self._timeouts.get(key)
        if timeout is None:
            timeout = self._timeouts[key] = aiohttp.ClientTimeout(
                total=None, connect=None, sock_connect=connect, sock_read=read
            )
        return timeout

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request; the response body is streamed from the socket as it is read."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "the aiohttp back-end runs on asyncio only; use backend='httpx' (for trio)"
            ) from None
        session = self._session_for(loop)
        timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
        slots = self._slots
        if slots is not None:
            await _acquire(slots, timeouts.get("pool"), request)
        try:
            return await self._send(session, request, timeouts, slots)
        except BaseException:
            if slots is not None:
                slots.release()
            raise

    async def _send(
        self,
        session: aiohttp.ClientSession,
        request: httpx.Request,
        timeouts: Mapping[str, float | None],
        slots: asyncio.Semaphore | None,
    ) -> httpx.Response:
        headers: CIMultiDict[str] = CIMultiDict()
        for name, value in request.headers.raw:
            if name.lower() != b"transfer-encoding":  # aiohttp frames a body of unknown size
                headers.add(name.decode("latin-1"), value.decode("latin-1"))
        body = _Body.for_request(request, timeouts.get("write"))
        token = _sending.set(body)
        try:
            response = await session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=headers,
                data=body.data,
                allow_redirects=False,
                timeout=self._timeout(timeouts.get("connect"), timeouts.get("read")),
            )
        except asyncio.CancelledError:
            if body.timed_out:
                _uncancel()
                raise httpx.WriteTimeout("timed out sending the request", request=request) from None
            raise
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await body.settle()
            if body.timed_out:
                raise httpx.WriteTimeout("timed out sending the request", request=request) from exc
            raise _translate(exc, request, writing=not body.done) from exc
        finally:
            _sending.reset(token)
            body.disarm()
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=_ResponseStream(response, request, slots, body, session.connector),
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("latin-1"),
            },
        )

    async def aclose(self) -> None:
        """Close the session and every pooled connection."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()


async def _acquire(slots: asyncio.Semaphore, bound: float | None, request: httpx.Request) -> None:
    """Take a pool slot, waiting at most `bound` seconds (no task is made when one is free)."""
    if not slots.locked():
        await slots.acquire()
        return
    try:
        await asyncio.wait_for(slots.acquire(), bound)
    except asyncio.TimeoutError:
        raise httpx.PoolTimeout(
            "no free connection within the pool timeout", request=request
        ) from None


def _uncancel() -> None:
    """Undo the cancellation our write watchdog asked for, so callers' scopes stay exact."""
    task = asyncio.current_task()
    if task is not None and sys.version_info >= (3, 11):
        task.uncancel()


class _Body:
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
    def for_request(cls, request: httpx.Request, bound: float | None) -> _Body:
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


class _ResponseStream(httpx.AsyncByteStream):
    """A response body read as it arrives; the connection goes back to the pool at the end,
    and is closed instead when the body is abandoned part-way or fails."""

    __slots__ = (
        "_body",
        "_closed",
        "_complete",
        "_connector",
        "_protocol",
        "_received",
        "_request",
        "_response",
        "_slots",
    )

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        request: httpx.Request,
        slots: asyncio.Semaphore | None,
        body: _Body,
        connector: aiohttp.BaseConnector | None,
    ) -> None:
        self._response = response
        self._body = body
        self._connector = connector
        # Taken when the connection was acquired: aiohttp may have released it already.
        self._protocol = body.protocol
        self._request = request
        self._slots = slots
        self._closed = False
        self._complete = False
        self._received = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                self._received += len(chunk)
                yield chunk
            self._complete = True
        except aiohttp.ClientPayloadError as exc:
            await self.aclose()
            raise httpx.RemoteProtocolError(self._incomplete(), request=self._request) from exc
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await self.aclose()
            raise _translate(exc, self._request, writing=False) from exc

    def _incomplete(self) -> str:
        """httpcore's words for a body cut short, so messages read alike on every back-end."""
        expected = self._response.headers.get("content-length")
        if expected is None:
            detail = "incomplete chunked read"
        else:
            detail = f"received {self._received} bytes, expected {expected}"
        return f"peer closed connection without sending complete message body ({detail})"

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        response = self._response
        if self._complete:
            response.release()
        else:
            # Dropped unless the reader saw the end, as httpcore does. aiohttp may already have
            # taken the connection back (the whole body had arrived): it is closed in the pool
            # too, unless another request has taken it since.
            response.close()
            protocol, connector = self._protocol, self._connector
            if (
                protocol is not None
                and isinstance(connector, _Connector)
                and connector.owners.get(protocol) is self._body
            ):
                protocol.close()
        if self._slots is not None:
            self._slots.release()


def _translate(
    exc: BaseException, request: httpx.Request, *, writing: bool
) -> httpx.TransportError:
    """The httpx exception httpcore raises for the same failure."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, DNS, TLS: nothing was sent
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):
        if writing:
            return httpx.WriteTimeout(message, request=request)
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, aiohttp.InvalidURL):
        return httpx.UnsupportedProtocol(message, request=request)
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return httpx.RemoteProtocolError(
            "Server disconnected without sending a response.", request=request
        )
    if isinstance(exc, aiohttp.ClientPayloadError):
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, aiohttp.ClientResponseError):  # a malformed response
        return httpx.RemoteProtocolError(message, request=request)
    if isinstance(exc, OSError):  # reset, broken pipe (ClientOSError, ClientConnectionResetError)
        return (
            httpx.WriteError(message, request=request)
            if writing
            else httpx.ReadError(message, request=request)
        )
    return httpx.RemoteProtocolError(message, request=request)

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

The pieces: `_aiohttp_body` (request bodies, the write bound), `_aiohttp_stream` (response
bodies), `_aiohttp_errors` (aiohttp's failures as httpx exceptions).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from typing import Final

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

from ollama_service._transports._aiohttp_body import SENDING, Connector, RequestBody, uncancel
from ollama_service._transports._aiohttp_errors import translate_error
from ollama_service._transports._aiohttp_stream import ResponseStream

__all__ = ["AiohttpTransport"]

# aiohttp adds these unless told not to; httpx has already set the ones it sends.
_SKIP_AUTO_HEADERS: Final = frozenset({"Accept", "Accept-Encoding", "User-Agent", "Content-Type"})


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
        connector = Connector(
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
        body = RequestBody.for_request(request, timeouts.get("write"))
        token = SENDING.set(body)
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
                uncancel()
                raise httpx.WriteTimeout("timed out sending the request", request=request) from None
            raise
        except (aiohttp.ClientError, OSError, asyncio.TimeoutError) as exc:
            await body.settle()
            if body.timed_out:
                raise httpx.WriteTimeout("timed out sending the request", request=request) from exc
            raise translate_error(exc, request, writing=not body.done) from exc
        finally:
            SENDING.reset(token)
            body.disarm()
        return httpx.Response(
            status_code=response.status,
            headers=response.raw_headers,
            stream=ResponseStream(response, request, slots, body, session.connector),
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

"""`Urllib3Transport`: an `httpx.BaseTransport` over urllib3's connection pools.

httpx keeps doing everything above the transport (redirects and the Authorization rules across
origins, auth, cookies, decompression, the error types); urllib3 only moves bytes, which it does
several times faster per chunk than httpcore and h11. Every urllib3 failure is raised as the
httpx exception httpcore would raise for it, so the single error boundary of the client
(`ollama_service._errors.map_transport_errors`) sees the same phases on every back-end:

- no connection could be made (refused, DNS, TLS handshake): `httpx.ConnectError`;
- the connect, write or read bound ran out: `ConnectTimeout`, `WriteTimeout`, `ReadTimeout`;
- every pooled connection stayed busy for the pool bound: `PoolTimeout`;
- the server closed or reset the connection after the request left: `RemoteProtocolError` or
  `ReadError`, which our errors report with `sent=True`.
"""

from __future__ import annotations

import contextlib
import contextvars
import socket
import ssl
import threading
from collections.abc import Iterable, Iterator, Mapping
from http.client import RemoteDisconnected
from typing import Any, Final, cast

import httpx
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    EmptyPoolError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.response import HTTPResponse

from ollama_service._deadline import current as current_deadline, remaining

__all__ = ["Urllib3Transport"]

# The most a read of an unchunked body asks for.
_READ_BYTES: Final = 65536
# urllib3's default is 1; ours follows httpx.Limits (see `Urllib3Transport`).
_DEFAULT_MAXSIZE: Final = 10

# The write bound of the request being sent on this thread. urllib3 bounds connecting and
# sending by one value; the connection classes below apply this one to sending instead.
_write_timeout: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "ollama_service_write_timeout", default=None
)
# The connection the request being sent on this thread uses, for the deadline's watchdog.
_sending: contextvars.ContextVar[list[Any] | None] = contextvars.ContextVar(
    "ollama_service_sending", default=None
)


class _WriteTimedOut(ProtocolError):
    """Sending the request ran out of the write bound (tells it apart from a read timeout)."""


class _SendBoundMixin:
    """Bound sending by the write timeout, not by the connect timeout urllib3 leaves set."""

    sock: Any
    timeout: Any

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]  # bounded by the connect timeout
        self.timeout = _write_timeout.get()
        if self.sock is not None:
            self.sock.settimeout(self.timeout)

    def request(self, *args: Any, **kwargs: Any) -> None:
        holder = _sending.get()
        if holder is not None:
            holder.append(self)
        if self.sock is not None:  # a reused connection: sending is bounded by the write bound
            self.timeout = _write_timeout.get()
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        except TimeoutError as exc:  # socket.timeout while sending
            raise _WriteTimedOut("timed out sending the request", exc) from exc


class _Connection(_SendBoundMixin, HTTPConnection):
    pass


class _TLSConnection(_SendBoundMixin, HTTPSConnection):
    def connect(self) -> None:
        super().connect()
        context: ssl.SSLContext | None = getattr(self, "ssl_context", None)
        if context is not None and context.verify_mode == ssl.CERT_NONE:
            # The caller asked for no verification (verify=False), as httpx allows without a
            # warning; urllib3 would warn on every request (InsecureRequestWarning).
            self.is_verified = True


# pyright checks these against urllib3's connection protocols, which urllib3's own connection
# classes (our bases) do not satisfy to the letter either.
class _Pool(HTTPConnectionPool):
    ConnectionCls = _Connection  # pyright: ignore[reportAssignmentType]


class _TLSPool(HTTPSConnectionPool):
    ConnectionCls = _TLSConnection  # pyright: ignore[reportAssignmentType]


class Urllib3Transport(httpx.BaseTransport):
    """An httpx transport that sends requests with urllib3 (HTTP/1.1 only).

    Pass it to `httpx.Client(transport=...)`, or let `ollama_service.Client(backend="urllib3")`
    (the default) build one. It is thread-safe: urllib3's pools are.

    Args:
        limits: `max_connections` bounds the connections open to one host at once (a request
            waits for a free one up to the pool timeout); `None` means no bound, with
            `max_keepalive_connections` (or 10) kept for reuse. Idle connections are kept until
            the server closes them, and checked before each reuse (urllib3 has no expiry).
        ssl_context: The TLS context for `https` URLs (build it with
            `httpx.create_ssl_context` to verify as httpx does).
    """

    def __init__(
        self,
        *,
        limits: httpx.Limits | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        limits = limits or httpx.Limits()
        self.limits = limits
        """The pool limits, as given."""
        if limits.max_connections is not None:
            self._maxsize, self._block = max(1, limits.max_connections), True
        else:
            keep = limits.max_keepalive_connections or _DEFAULT_MAXSIZE
            self._maxsize, self._block = max(1, keep), False
        self._ssl_context = ssl_context or ssl.create_default_context()
        self._pools: dict[tuple[str, str, int], HTTPConnectionPool] = {}
        self._lock = threading.Lock()
        # Bodies being read hold their connection; holding them here keeps an abandoned one's
        # socket alive until its stream's finalizer releases it (as httpcore's pool does).
        self._streams: set[_ResponseStream] = set()

    def _pool(self, url: httpx.URL) -> HTTPConnectionPool:
        scheme = url.scheme
        key = (scheme, url.host, url.port or (443 if scheme == "https" else 80))
        pool = self._pools.get(key)
        if pool is not None:
            return pool
        with self._lock:
            pool = self._pools.get(key)
            if pool is None:
                pool = self._pools[key] = self._new_pool(*key)
        return pool

    def _new_pool(self, scheme: str, host: str, port: int) -> HTTPConnectionPool:
        if scheme == "http":
            return _Pool(host, port, maxsize=self._maxsize, block=self._block, retries=False)
        if scheme != "https":
            raise LocationValueError(f"unsupported URL scheme {scheme!r}")
        context = self._ssl_context
        # urllib3 sets the context's verify mode from cert_reqs: pass the context's own, and
        # leave hostname checks to the context (httpx's contexts check hostnames themselves).
        return _TLSPool(
            host,
            port,
            maxsize=self._maxsize,
            block=self._block,
            retries=False,
            ssl_context=context,
            cert_reqs=context.verify_mode,
            assert_hostname=False if not context.check_hostname else None,
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send one request; the response body is streamed from the socket as it is read."""
        timeouts: Mapping[str, float | None] = request.extensions.get("timeout", {})
        url = request.url
        headers = urllib3.HTTPHeaderDict()
        for name, value in request.headers.raw:
            headers.add(name.decode("latin-1"), value.decode("latin-1"))
        body: bytes | Iterable[bytes] | None = None
        if "content-length" in request.headers or "transfer-encoding" in request.headers:
            try:
                body = request.content or None
            except httpx.RequestNotRead:
                body = _iter_request(request.stream)  # type: ignore[arg-type]
        connect, read, write, pool_wait = (timeouts.get(phase) for phase in _PHASES)
        expires = current_deadline()
        watchdog: threading.Timer | None = None
        holder: list[Any] = []
        if expires is not None:
            # Every bound is cut to the time left, and a watchdog ends a wait that a trickling
            # server keeps alive past it (a blocking read restarts its timeout at every byte).
            left = remaining(expires)
            if left <= 0.0:
                raise httpx.ReadTimeout("the call's deadline passed", request=request)
            connect, read, write, pool_wait = (
                left if bound is None else min(bound, left)
                for bound in (connect, read, write, pool_wait)
            )
            watchdog = threading.Timer(left, _hang_up, (holder,))
            watchdog.daemon = True
            watchdog.start()
        token = _write_timeout.set(write)
        sending = _sending.set(holder)
        try:
            pool = self._pool(url)
            response = pool.urlopen(
                request.method,
                url.raw_path.decode("ascii"),
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                release_conn=False,
                timeout=urllib3.Timeout(connect=connect, read=read),
                # Typed as int by urllib3, used as a float (queue.get's timeout).
                pool_timeout=cast("int | None", pool_wait),
            )
        except (HTTPError, LocationValueError) as exc:
            if expires is not None and remaining(expires) <= 0.0:
                raise httpx.ReadTimeout("the call's deadline passed", request=request) from exc
            raise _translate(exc, request) from exc
        finally:
            if watchdog is not None:
                watchdog.cancel()
            _sending.reset(sending)
            _write_timeout.reset(token)
        assert isinstance(response, HTTPResponse)  # what pools return
        if holder and holder[0] is _HUNG_UP:  # the head came just as the deadline passed
            response.close()
            response.release_conn()
            raise httpx.ReadTimeout("the call's deadline passed", request=request)
        stream = _ResponseStream(response, request, self._streams)
        self._streams.add(stream)
        return httpx.Response(
            status_code=response.status,
            headers=list(response.headers.iteritems()),
            stream=stream,
            extensions={
                "http_version": b"HTTP/1.1",
                "reason_phrase": (response.reason or "").encode("latin-1"),
            },
        )

    def close(self) -> None:
        """Close every pooled connection (connections still streaming close when released)."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()


_PHASES: Final = ("connect", "read", "write", "pool")
# Put first in a call's connection list by the deadline's watchdog once it has hung up.
_HUNG_UP: Final = object()


def _hang_up(holder: list[Any]) -> None:
    """The deadline passed while sending or awaiting the head: end the blocked socket wait."""
    holder.insert(0, _HUNG_UP)
    for connection in holder[1:]:
        sock = connection.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


def _iter_request(stream: httpx.SyncByteStream) -> Iterator[bytes]:
    yield from stream


class _ResponseStream(httpx.SyncByteStream):
    """A response body read chunk by chunk; the connection goes back to the pool at the end,
    and is closed instead when the body is abandoned part-way or fails."""

    __slots__ = ("_closed", "_open", "_request", "_response")

    def __init__(
        self,
        response: HTTPResponse,
        request: httpx.Request,
        open_streams: set[_ResponseStream],
    ) -> None:
        self._response = response
        self._request = request
        self._open = open_streams
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        response = self._response
        try:
            if response.chunked and response.supports_chunked_reads():
                # One HTTP chunk at a time, as the server flushed it (Ollama: one line each).
                yield from response.read_chunked(decode_content=False)
            else:
                # The last byte is read on its own: urllib3 puts the connection back in the pool
                # as soon as it reads the end, so a caller who stops before the end (a decode
                # error, a break) finds it still held here and closed, as on httpx.
                while True:
                    left = response.length_remaining
                    size = _READ_BYTES if left is None or left > _READ_BYTES else max(left - 1, 1)
                    chunk = response.read1(size, decode_content=False)
                    if not chunk:
                        break
                    yield chunk
        except (HTTPError, OSError) as exc:
            self.close()
            raise _translate(exc, self._request, response) from exc

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._open.discard(self)
        response = self._response
        if not response.isclosed():
            # Unread bytes would poison the next request on this connection: drop it.
            response.close()
        response.release_conn()


def _translate(
    exc: Exception, request: httpx.Request, response: HTTPResponse | None = None
) -> httpx.TransportError:
    """The httpx exception httpcore raises for the same failure, in httpcore's words where the
    failure is a common one, so messages read alike on every back-end."""
    message = str(exc)
    if isinstance(exc, EmptyPoolError):
        return httpx.PoolTimeout(message, request=request)
    if isinstance(exc, NewConnectionError):  # refused, unreachable, DNS (NameResolutionError)
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, ConnectTimeoutError):
        return httpx.ConnectTimeout(message, request=request)
    if isinstance(exc, SSLError):  # the handshake failed: nothing was sent
        return httpx.ConnectError(message, request=request)
    if isinstance(exc, _WriteTimedOut):
        return httpx.WriteTimeout(message, request=request)
    if isinstance(exc, ReadTimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(exc, LocationValueError):
        return httpx.UnsupportedProtocol(message, request=request)
    cause = exc.args[1] if isinstance(exc, ProtocolError) and len(exc.args) > 1 else exc
    if isinstance(cause, TimeoutError):
        return httpx.ReadTimeout(message, request=request)
    if isinstance(cause, RemoteDisconnected):
        return httpx.RemoteProtocolError(_NO_RESPONSE, request=request)
    if isinstance(cause, (ConnectionResetError, BrokenPipeError)):
        return httpx.ReadError(message, request=request)
    if response is not None:
        # The body ended early (IncompleteRead, "Response ended prematurely", a bad chunk).
        return httpx.RemoteProtocolError(_incomplete_body(response), request=request)
    return httpx.RemoteProtocolError(message, request=request)


_NO_RESPONSE: Final = "Server disconnected without sending a response."


def _incomplete_body(response: HTTPResponse) -> str:
    if response.chunked:
        detail = "incomplete chunked read"
    else:
        expected = response.headers.get("content-length", "?")
        left = response.length_remaining or 0
        received = int(expected) - left if expected.isdigit() else "?"
        detail = f"received {received} bytes, expected {expected}"
    return f"peer closed connection without sending complete message body ({detail})"

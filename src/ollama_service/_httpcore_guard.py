"""A guard around httpcore's pooled connections, for a race in httpcore's pool (1.0.9).

When a pool pass (run by any thread on every request start and end) asks a connection whether
it ``has_expired()``, httpcore reads the connection's state without its lock and then polls its
socket: "idle and readable" means the server closed it. Another thread that was just handed
that connection can, in between, mark it busy, send its request and receive the first bytes of
the answer; the pass then sees "idle" (read before) and "readable" (that answer), and closes
the socket under the thread reading it. That thread gets ``[Errno 9] Bad file descriptor``
(retried, a new connection opened), or, when the close lands while it waits in ``poll()``, waits
for the full read timeout: Linux does not wake a poll on a socket another thread closes. Under
CPU load the window widens and both are frequent (see tests/reliability/test_threads.py).

The guard counts the requests started on each connection (it sees them first) and believes
``has_expired()`` only when the connection is idle afterwards and no request started while it
ran: otherwise the readable bytes may be a request's answer (even one already read, the
connection idle again), not the server's close. Only the clients we build get the guard; a caller's own httpx client is left
as it is.
"""

from __future__ import annotations

import httpcore
import httpx

__all__ = ["guard_pool"]


class _GuardedConnection(httpcore.ConnectionInterface):
    """A sync pooled connection whose ``has_expired()`` is never true while it is in use."""

    def __init__(self, inner: httpcore.ConnectionInterface) -> None:
        self._inner = inner
        self._started = 0

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        self._started += 1
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    def info(self) -> str:
        return self._inner.info()

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return self._inner.can_handle_request(origin)

    def is_available(self) -> bool:
        return self._inner.is_available()

    def has_expired(self) -> bool:
        started = self._started
        return self._inner.has_expired() and self._inner.is_idle() and self._started == started

    def is_idle(self) -> bool:
        return self._inner.is_idle()

    def is_closed(self) -> bool:
        return self._inner.is_closed()

    def __repr__(self) -> str:
        return repr(self._inner)


class _AsyncGuardedConnection(httpcore.AsyncConnectionInterface):
    """The async twin (one event loop cannot interleave the two reads, but both behave alike)."""

    def __init__(self, inner: httpcore.AsyncConnectionInterface) -> None:
        self._inner = inner
        self._started = 0

    async def handle_async_request(self, request: httpcore.Request) -> httpcore.Response:
        self._started += 1
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()

    def info(self) -> str:
        return self._inner.info()

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return self._inner.can_handle_request(origin)

    def is_available(self) -> bool:
        return self._inner.is_available()

    def has_expired(self) -> bool:
        started = self._started
        return self._inner.has_expired() and self._inner.is_idle() and self._started == started

    def is_idle(self) -> bool:
        return self._inner.is_idle()

    def is_closed(self) -> bool:
        return self._inner.is_closed()

    def __repr__(self) -> str:
        return repr(self._inner)


def guard_pool(client: httpx.Client | httpx.AsyncClient) -> bool:
    """Wrap every connection the client's default pool creates in the guard.

    It reaches into httpx's default transport (``_transport._pool``); when that shape is not
    there (a custom transport, another httpx or httpcore), nothing changes.

    Returns:
        Whether the pool is guarded.
    """
    pool: object = getattr(getattr(client, "_transport", None), "_pool", None)
    if isinstance(pool, httpcore.ConnectionPool):
        create = pool.create_connection

        def create_connection(origin: httpcore.Origin) -> httpcore.ConnectionInterface:
            return _GuardedConnection(create(origin))

        pool.create_connection = create_connection  # type: ignore[method-assign]
        return True
    if isinstance(pool, httpcore.AsyncConnectionPool):
        acreate = pool.create_connection

        def acreate_connection(origin: httpcore.Origin) -> httpcore.AsyncConnectionInterface:
            return _AsyncGuardedConnection(acreate(origin))

        pool.create_connection = acreate_connection  # type: ignore[method-assign]
        return True
    return False

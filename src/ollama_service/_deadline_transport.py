"""The sync client's default transport, whose socket waits end at the call's deadline.

A blocking read cannot be interrupted, and httpx's read timeout restarts with every read, so
a server that trickles its headers one byte at a time would hold a sync call for ever. This
transport is httpx's own, with its network backend wrapped: every connect, read and write is
bounded by the time left before the current call's deadline (`_deadline.current`), and fails
with httpx's timeout of that phase once it has passed. Calls without a deadline are untouched.

The async client needs none of this: a cancel scope interrupts any await.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

import httpcore
import httpx

from ._deadline import current, remaining

__all__ = ["deadline_transport"]

_E = TypeVar("_E", bound=Exception)


def _bound(timeout: float | None, expired: type[_E]) -> float | None:
    """`timeout`, cut to the time left before the current deadline."""
    expires = current()
    if expires is None:
        return timeout
    left = remaining(expires)
    if left <= 0.0:
        raise expired("the call's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _bound(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _bound(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bound = _bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, bound))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bound = _bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, bound, local_address, socket_options))

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bound = _bound(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_unix_socket(path, bound, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def deadline_transport(**kwargs: Any) -> httpx.HTTPTransport:
    """httpx's default transport, with socket waits bounded by the call's deadline.

    Args:
        **kwargs: As for `httpx.HTTPTransport` (`verify`, `cert`, `http2`, `limits`, ...).

    Returns:
        The transport. Should httpx ever stop exposing its pool's backend, it is returned
        unwrapped, and deadlines fall back to the per-phase caps alone.
    """
    transport = httpx.HTTPTransport(**kwargs)
    pool: object = getattr(transport, "_pool", None)
    backend: object = getattr(pool, "_network_backend", None)
    if isinstance(pool, httpcore.ConnectionPool) and isinstance(backend, httpcore.NetworkBackend):
        pool._network_backend = _Backend(backend)  # pyright: ignore[reportPrivateUsage]
    return transport

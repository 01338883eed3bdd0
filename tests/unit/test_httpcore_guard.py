"""The guard around httpcore's pooled connections (see `_httpcore_guard`)."""

from __future__ import annotations

from collections.abc import Callable

import httpcore
import httpx
import pytest

from ollama_service import AsyncClient, Client
from ollama_service._httpcore_guard import (
    _AsyncGuardedConnection,
    _GuardedConnection,
    guard_pool,
)


class _Stub(httpcore.ConnectionInterface):
    """A connection whose answers the test sets."""

    def __init__(self, *, expired: bool, idle: bool) -> None:
        self.expired = expired
        self.idle = idle
        self.during_check: Callable[[], object] = lambda: None

    def has_expired(self) -> bool:
        self.during_check()
        return self.expired

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        return httpcore.Response(200)

    def is_idle(self) -> bool:
        return self.idle


class _AsyncStub(httpcore.AsyncConnectionInterface):
    def __init__(self, *, expired: bool, idle: bool) -> None:
        self.expired = expired
        self.idle = idle

    def has_expired(self) -> bool:
        return self.expired

    def is_idle(self) -> bool:
        return self.idle


CASES = [
    pytest.param(True, True, True, id="expired-and-idle-is-expired"),
    # httpcore read "idle", then saw the answer to the request that just started on it.
    pytest.param(True, False, False, id="expired-but-now-in-use-is-not"),
    pytest.param(False, True, False, id="not-expired"),
    pytest.param(False, False, False, id="not-expired-in-use"),
]


@pytest.mark.parametrize(("expired", "idle", "guarded"), CASES)
def test_a_connection_in_use_never_counts_as_expired(
    expired: bool, idle: bool, guarded: bool
) -> None:
    assert _GuardedConnection(_Stub(expired=expired, idle=idle)).has_expired() is guarded
    assert _AsyncGuardedConnection(_AsyncStub(expired=expired, idle=idle)).has_expired() is guarded


def test_a_request_started_during_the_check_means_not_expired() -> None:
    """Another thread ran a whole request while httpcore checked: idle again, but the bytes it
    saw were that request's answer, not the server's close."""
    stub = _Stub(expired=True, idle=True)
    guarded = _GuardedConnection(stub)
    stub.during_check = lambda: guarded.handle_request(httpcore.Request("GET", "http://x/"))
    assert guarded.has_expired() is False
    stub.during_check = lambda: None
    assert guarded.has_expired() is True


def test_our_clients_guard_their_pool() -> None:
    with Client("http://127.0.0.1:1", backend="httpx") as client:  # httpcore is httpx's
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        connection = pool.create_connection(httpcore.URL("http://127.0.0.1:1").origin)
        assert isinstance(connection, _GuardedConnection)


@pytest.mark.anyio
async def test_our_async_clients_guard_their_pool() -> None:
    async with AsyncClient("http://127.0.0.1:1", backend="httpx") as client:
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        connection = pool.create_connection(httpcore.URL("http://127.0.0.1:1").origin)
        assert isinstance(connection, _AsyncGuardedConnection)


def test_other_transports_are_left_alone() -> None:
    mock = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    with mock:
        assert guard_pool(mock) is False
    with httpx.Client() as plain:
        assert guard_pool(plain) is True

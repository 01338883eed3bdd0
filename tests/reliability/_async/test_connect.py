"""Failures to reach the server: refused, unresolvable, reset on connect, no SYN-ACK at all.

Each case asserts the exception class and message, `.sent` (whether the request may have left),
the attempts made (the SDK's `.attempts`, its `ollama.retry` log records and what the server
counted), and that the server is left with no open connection.
"""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from ollama_service import OllamaConnectionError, OllamaTimeoutError
from ollama_service._errors import CONNECTION_ERROR_MESSAGE
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, CountingServer, expected_pieces, retry_records

pytestmark = pytest.mark.anyio

START_HINT = "Is it running? Start it with `ollama serve`, or set OLLAMA_HOST."


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")


@pytest.mark.parametrize("kind", KINDS)
async def test_refused(kind: str, refused_url: str, caplog: pytest.LogCaptureFixture) -> None:
    async with Api(kind, refused_url, max_retries=2) as api:
        with pytest.raises(OllamaConnectionError) as info:
            await api.generate("hello")
        if api.service is not None:
            assert await api.service.health_check() is False

    exc = info.value
    assert type(exc) is OllamaConnectionError
    url = f"{refused_url}/api/generate"
    assert str(exc) == (
        f"{CONNECTION_ERROR_MESSAGE} Could not connect to {url}: connection refused. {START_HINT}"
    )
    assert exc.url == url
    assert exc.sent is False
    assert exc.attempts == 3
    assert [r.attempt for r in retry_records(caplog)] == [1, 2]


@pytest.mark.parametrize("kind", KINDS)
async def test_unresolvable_host(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    base = "http://no-such-host.invalid:11434"
    async with Api(kind, base, max_retries=1) as api:
        with pytest.raises(OllamaConnectionError) as info:
            await api.generate("hello")

    exc = info.value
    assert type(exc) is OllamaConnectionError
    assert str(exc) == (
        f"{CONNECTION_ERROR_MESSAGE} Could not connect to {base}/api/generate: the host name could not be "
        "resolved. Check the host name in OLLAMA_HOST or the base URL."
    )
    assert exc.sent is False
    assert exc.attempts == 2
    assert [r.attempt for r in retry_records(caplog)] == [1]


@pytest.mark.parametrize("kind", KINDS)
async def test_reset_on_connect_then_recovers(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every accepted connection is reset before a byte is read. Whether the client sees the
    reset while connecting or on its first read is a race the kernel decides, so both messages
    are accepted; the class, the attempts and the server's counts are exact."""
    fake.faults.reset_on_connect(3)
    async with Api(kind, fake.base_url, max_retries=2) as api:
        with pytest.raises(OllamaConnectionError) as info:
            await api.generate("hello")
        exc = info.value
        url = re.escape(f"{fake.base_url}/api/generate")
        assert type(exc) is OllamaConnectionError
        assert re.fullmatch(
            rf"{re.escape(CONNECTION_ERROR_MESSAGE)} Could not connect to {url}: .+\. "
            rf"{re.escape(START_HINT)}"
            rf"|The connection to Ollama at {url} closed unexpectedly \(.+\)\. "
            r"The server may have stopped or restarted; check its logs\.",
            str(exc),
        ), str(exc)
        assert exc.attempts == 3
        assert [r.attempt for r in retry_records(caplog)] == [1, 2]
        assert fake.stats.connections_opened == 3
        assert fake.stats.requests_handled == 0
        assert await async_wait_idle(fake)

        # The pool is usable afterwards: the next call gets a fresh connection and succeeds.
        assert await api.generate("again") == "".join(expected_pieces("again"))
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_reset_after_request(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    reset_after_request: CountingServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The server reads the whole request, then resets: the request may have run, but
    generate is marked idempotent, so it is retried; every attempt reached the server."""
    server = reset_after_request
    async with Api(kind, server.base_url, max_retries=2) as api:
        with pytest.raises(OllamaConnectionError) as info:
            await api.generate("hello")
        assert await async_wait_idle(server)

    exc = info.value
    url = re.escape(f"{server.base_url}/api/generate")
    assert type(exc) is OllamaConnectionError
    assert re.fullmatch(
        rf"The connection to Ollama at {url} closed unexpectedly \(.+\)\. "
        r"The server may have stopped or restarted; check its logs\.",
        str(exc),
    ), str(exc)
    assert exc.sent is True
    assert exc.attempts == 3
    assert [r.attempt for r in retry_records(caplog)] == [1, 2]
    assert server.stats.connections_opened == 3
    assert server.stats.requests_handled == 3
    assert server.stats.connections_open == 0


@pytest.mark.parametrize("kind", KINDS)
async def test_connect_timeout(
    kind: str, connect_timeout_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The SYN is never answered: the connect bound fires, is named, and is retried (nothing
    can have been sent)."""
    timeout = httpx.Timeout(5.0, connect=0.2)
    async with Api(kind, connect_timeout_url, max_retries=1, timeout=timeout) as api:
        with pytest.raises(OllamaTimeoutError) as info:
            await api.generate("hello")

    exc = info.value
    assert exc.phase == "connect"
    assert exc.timeout == 0.2
    assert exc.sent is False
    assert exc.attempts == 2
    assert str(exc) == (
        f"Timed out connecting to Ollama at {connect_timeout_url}/api/generate (the connect "
        "timeout is 0.2s). Is it running and reachable? Start it with `ollama serve`, or set "
        "OLLAMA_HOST."
    )
    assert [r.attempt for r in retry_records(caplog)] == [1]

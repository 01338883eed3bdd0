"""A server that accepts and never answers, and one that stalls after headers or mid-stream.

Timeouts are short (0.3 s) and asserted through the exception (class, phase, bound, message),
never through elapsed time. A read timeout on the whole reply is retried (generate is marked
idempotent); one inside a stream that has already started is not.
"""

from __future__ import annotations

import logging

import pytest

from ollama_service import OllamaTimeoutError
from ollama_service.testing import FakeOllamaServer

from ._support import (
    KINDS,
    Api,
    AsyncWaitIdle,
    CountingServer,
    drain,
    expected_pieces,
    retry_records,
)

pytestmark = pytest.mark.anyio

READ_ADVICE = (
    "Loading a large model can take minutes: raise the timeout, "
    "or pass timeout=None to wait without a bound."
)


@pytest.fixture(autouse=True)
def _capture_retries(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="ollama_service")


def read_timeout_message(base_url: str) -> str:
    return (
        f"Timed out waiting for a response from Ollama at {base_url}/api/generate "
        f"(the read timeout is 0.3s). {READ_ADVICE}"
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_accepts_and_never_answers(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    black_hole: CountingServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with Api(kind, black_hole.base_url, timeout=0.3, max_retries=1) as api:
        with pytest.raises(OllamaTimeoutError) as info:
            await api.generate("hello")
        # Each timed-out connection was closed by the client, not left in the pool.
        assert await async_wait_idle(black_hole)

    exc = info.value
    assert exc.phase == "read"
    assert exc.timeout == 0.3
    assert exc.sent is True
    assert exc.attempts == 2
    assert str(exc) == read_timeout_message(black_hole.base_url)
    records = retry_records(caplog)
    assert [(r.attempt, r.error_type) for r in records] == [(1, "OllamaTimeoutError")]
    assert black_hole.stats.connections_opened == 2
    assert black_hole.stats.requests_handled == 2


@pytest.mark.parametrize("kind", KINDS)
async def test_headers_then_stall_in_a_stream(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.faults.stall(after_headers=True)
    async with Api(kind, fake.base_url, timeout=0.3, max_retries=2) as api:
        stream = await api.stream("hello")
        got: list[str] = []
        with pytest.raises(OllamaTimeoutError) as info:
            await drain(stream, got)
        fake.faults.release()
        assert await async_wait_idle(fake)

        exc = info.value
        assert exc.phase == "read"
        assert exc.timeout == 0.3
        assert exc.attempts == 1
        assert str(exc) == read_timeout_message(fake.base_url)
        assert got == []
        assert retry_records(caplog) == []
        assert fake.stats.requests_handled == 1

        assert await api.generate("again") == "".join(expected_pieces("again"))
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_stall_mid_stream(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake.faults.stall_mid_stream(after=2)
    async with Api(kind, fake.base_url, timeout=0.3, max_retries=2) as api:
        stream = await api.stream("hello")
        got: list[str] = []
        with pytest.raises(OllamaTimeoutError) as info:
            await drain(stream, got)
        fake.faults.release()
        assert await async_wait_idle(fake)

        exc = info.value
        assert exc.phase == "read"
        assert exc.attempts == 1
        assert str(exc) == read_timeout_message(fake.base_url)
        # What was delivered stays delivered, and nothing was repeated.
        assert got == expected_pieces("hello")[:2]
        assert retry_records(caplog) == []
        assert fake.stats.requests_handled == 1

        assert await api.generate("again") == "".join(expected_pieces("again"))
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_headers_then_stall_in_a_whole_reply_is_retried(
    async_wait_idle: AsyncWaitIdle,
    kind: str,
    fake: FakeOllamaServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Without streaming, the body is read inside the retry loop: the stalled attempt times
    out, and the next attempt gets the reply."""
    fake.faults.stall(after_headers=True)
    async with Api(kind, fake.base_url, timeout=0.3, max_retries=2) as api:
        assert await api.generate("hello") == "".join(expected_pieces("hello"))
        fake.faults.release()
    assert await async_wait_idle(fake)
    records = retry_records(caplog)
    assert [(r.attempt, r.error_type, r.delay) for r in records] == [(1, "OllamaTimeoutError", 0.0)]
    assert fake.stats.requests_handled == 2

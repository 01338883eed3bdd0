"""The optional total deadline: a server that trickles bytes cannot hold a call for ever.

httpx's read timeout restarts with every read, so a head sent one byte at a time beat it. With
`deadline=`, the call ends with `OllamaTimeoutError(phase="deadline")`, whatever it was doing;
for a stream the deadline covers the time to its first item, not the whole stream. The read
timeout here is far longer than the deadline, so only the deadline can end these calls.
"""

from __future__ import annotations

import httpx
import pytest

from ollama_service import OllamaRequestError, OllamaTimeoutError
from ollama_service.testing import FakeOllamaServer

from ._support import KINDS, Api, AsyncWaitIdle, CountingServer, drain_bare, expected_pieces

pytestmark = pytest.mark.anyio

DEADLINE = 0.5
LONG_READS = httpx.Timeout(30.0)


@pytest.mark.parametrize("kind", KINDS)
async def test_trickled_headers_end_at_the_deadline(
    async_wait_idle: AsyncWaitIdle, kind: str, trickle_headers: CountingServer
) -> None:
    async with Api(
        kind, trickle_headers.base_url, timeout=LONG_READS, deadline=DEADLINE, max_retries=2
    ) as api:
        with pytest.raises(OllamaTimeoutError) as info:
            await api.generate("hello")
    exc = info.value
    assert exc.phase == "deadline"
    assert exc.timeout == DEADLINE
    assert exc.attempts == 1  # never retried: the time is spent
    assert str(exc).startswith(
        f"The call to Ollama at {trickle_headers.base_url}/api/generate did not get the whole "
        f"reply within its deadline of {DEADLINE:g}s"
    )
    assert trickle_headers.stats.requests_handled == 1
    assert await async_wait_idle(trickle_headers)


@pytest.mark.parametrize("kind", KINDS)
async def test_trickled_headers_of_a_stream_end_at_the_deadline(
    async_wait_idle: AsyncWaitIdle, kind: str, trickle_headers: CountingServer
) -> None:
    async with Api(kind, trickle_headers.base_url, timeout=LONG_READS, deadline=DEADLINE) as api:
        with pytest.raises(OllamaTimeoutError) as info:
            await api.stream("hello")
    assert info.value.phase == "deadline"
    assert await async_wait_idle(trickle_headers)


@pytest.mark.parametrize("kind", KINDS)
async def test_a_stream_whose_first_item_never_comes_ends_at_the_deadline(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    fake.faults.stall(after_headers=True)
    async with Api(kind, fake.base_url, timeout=LONG_READS, deadline=DEADLINE) as api:
        stream = await api.stream("hello")
        got: list[str] = []
        with pytest.raises(OllamaTimeoutError) as info:
            await drain_bare(stream, got)
        fake.faults.release()
        assert got == []
        assert info.value.phase == "deadline"
        assert "its first streamed item" in str(info.value)
        # The pool is fine afterwards.
        assert await api.generate("next") == "".join(expected_pieces("next"))
    assert await async_wait_idle(fake)


@pytest.mark.parametrize("kind", KINDS)
async def test_the_deadline_does_not_cut_calls_that_finish_in_time(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    async with Api(kind, fake.base_url, deadline=30.0) as api:
        assert await api.generate("hello") == "".join(expected_pieces("hello"))
        assert await api.run("story", stream=True) == "".join(expected_pieces("story"))
        per_call = api.client.with_options(deadline=None)
        assert (await per_call.generate("llama3.2", "x")).response
    assert await async_wait_idle(fake)


async def test_with_options_sets_a_deadline_per_call(
    async_wait_idle: AsyncWaitIdle, trickle_headers: CountingServer
) -> None:
    async with Api("client", trickle_headers.base_url, timeout=LONG_READS) as api:
        bounded = api.client.with_options(deadline=DEADLINE)
        with pytest.raises(OllamaTimeoutError) as info:
            await bounded.generate("llama3.2", "hello")
    assert info.value.phase == "deadline"
    assert await async_wait_idle(trickle_headers)


@pytest.mark.parametrize("value", [0, -1.0, "soon"])
async def test_an_invalid_deadline_is_refused(value: object) -> None:
    with pytest.raises(OllamaRequestError, match="deadline"):
        Api("client", "http://127.0.0.1:9", deadline=value)


@pytest.mark.parametrize("kind", KINDS)
async def test_the_deadline_covers_retries_and_their_backoff(
    async_wait_idle: AsyncWaitIdle, kind: str, fake: FakeOllamaServer
) -> None:
    """The server asks for a 30 s wait before the retry (honoured: under the 60 s cap); the
    deadline ends the wait instead of sleeping through it."""
    fake.faults.busy(3, retry_after="30")
    async with Api(
        kind, fake.base_url, deadline=DEADLINE, max_retries=2, retry_max_backoff=60
    ) as api:
        with pytest.raises(OllamaTimeoutError) as info:
            await api.generate("hello")
    assert info.value.phase == "deadline"
    assert len(fake.requests) == 1
    fake.faults.reset()
    assert await async_wait_idle(fake)
